package status

import (
	"embed"
	"html/template"
	"net/http"
	"time"
)

//go:embed page.html
var pageFS embed.FS

var page = template.Must(template.New("page.html").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("15:04:05")
	},
	"ago": func(t, now time.Time) string {
		if t.IsZero() {
			return ""
		}
		d := now.Sub(t).Round(time.Second)
		if d < 0 {
			return "in " + (-d).String()
		}
		return d.String() + " ago"
	},
	"dur": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).ParseFS(pageFS, "page.html"))

func (h *handler) page(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "page")
}

// fragment renders only the live part of the page, for the page's script.
func (h *handler) fragment(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "live")
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, name string) {
	snap, err := h.snapshot(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline'")
	data := struct {
		Snapshot
		Operator bool
	}{snap, h.cfg.auth(r) >= RoleOperator}
	if err := page.ExecuteTemplate(w, name, data); err != nil {
		h.cfg.logger.Warn("status: render failed", "error", err)
	}
}
