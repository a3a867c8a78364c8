package status

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/transport"
)

// Role is what a request may do.
type Role int

// Roles, each allowed what the one before it is.
const (
	RoleNone     Role = iota // nothing: the request is refused
	RoleViewer               // read the page, the JSON and the events
	RoleOperator             // also replay dead letters
)

// String names the role.
func (r Role) String() string {
	switch r {
	case RoleViewer:
		return "viewer"
	case RoleOperator:
		return "operator"
	}
	return "none"
}

// Option configures Handler.
type Option func(*config)

type config struct {
	auth        func(*http.Request) Role
	title       string
	logger      *slog.Logger
	poll        time.Duration
	deadLetters int
	audit       int
	excerpt     int
	redactor    *transport.Redactor
}

// WithAuth sets how a request's role is decided. The default makes every
// request a viewer.
func WithAuth(fn func(*http.Request) Role) Option { return func(c *config) { c.auth = fn } }

// WithTitle sets the page's title; the default is "Kontor".
func WithTitle(t string) Option { return func(c *config) { c.title = t } }

// WithLogger sets the logger for replays and refused requests.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithPollInterval sets how often /events looks for a change; the default
// is 250 ms.
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.poll = d } }

// WithLimits sets how many dead letters and audit records the page shows;
// the defaults are 100 and 50.
func WithLimits(deadLetters, audit int) Option {
	return func(c *config) { c.deadLetters, c.audit = deadLetters, audit }
}

// WithExcerpt sets how many bytes of a dead letter's masked payload the
// page shows; the default is 240.
func WithExcerpt(n int) Option { return func(c *config) { c.excerpt = n } }

// BearerTokens returns an auth function that gives a request the role of
// the token in its "Authorization: Bearer" header, compared in constant
// time; a request without a known token is a viewer if viewers is true,
// else refused.
func BearerTokens(tokens map[string]Role, viewers bool) func(*http.Request) Role {
	type entry struct {
		token []byte
		role  Role
	}
	list := make([]entry, 0, len(tokens))
	for t, r := range tokens {
		list = append(list, entry{[]byte(t), r})
	}
	return func(req *http.Request) Role {
		h := req.Header.Get("Authorization")
		got, ok := strings.CutPrefix(h, "Bearer ")
		role := RoleNone
		if viewers {
			role = RoleViewer
		}
		if !ok || got == "" {
			return role
		}
		for _, e := range list {
			if subtle.ConstantTimeCompare([]byte(got), e.token) == 1 && e.role > role {
				role = e.role
			}
		}
		return role
	}
}

// Handler returns the status page, JSON, events and replay endpoint of s.
func Handler(s *syncer.Syncer, opts ...Option) http.Handler {
	cfg := config{
		auth:        func(*http.Request) Role { return RoleViewer },
		title:       "Kontor",
		poll:        250 * time.Millisecond,
		deadLetters: 100,
		audit:       50,
		excerpt:     240,
		redactor:    transport.DefaultRedactor,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{s: s, cfg: cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.allow(RoleViewer, h.page))
	mux.HandleFunc("GET /flows", h.allow(RoleViewer, h.fragment))
	mux.HandleFunc("GET /status.json", h.allow(RoleViewer, h.json))
	mux.HandleFunc("GET /events", h.allow(RoleViewer, h.events))
	mux.HandleFunc("POST /dead-letters/{id}/replay", h.allow(RoleOperator, h.replay))
	return mux
}

type handler struct {
	s   *syncer.Syncer
	cfg config
}

// allow refuses a request whose role is below need.
func (h *handler) allow(need Role, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		role := h.cfg.auth(r)
		if role >= need {
			next(w, r)
			return
		}
		h.cfg.logger.Info("status: request refused", "path", r.URL.Path, "role", role.String(), "needs", need.String())
		if role == RoleNone {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kontor"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		http.Error(w, "the "+need.String()+" role is required", http.StatusForbidden)
	}
}

// Snapshot is what the page shows, as /status.json serves it.
type Snapshot struct {
	Title       string       `json:"title"`
	GeneratedAt time.Time    `json:"generated_at"`
	Flows       []Flow       `json:"flows"`
	DeadLetters []DeadLetter `json:"dead_letters"`
	// DeadLettersTotal counts all dead letters; DeadLetters holds the
	// newest of them.
	DeadLettersTotal int           `json:"dead_letters_total"`
	Audit            []AuditRecord `json:"audit"`
}

// Flow is one flow's status with the number of its items in the dead
// letters now (its Totals count how often items went there).
type Flow struct {
	syncer.FlowStatus
	DeadLetters int `json:"dead_letters"`
}

// DeadLetter is a dead letter as shown: the payload cut to an excerpt
// with personal data and secrets masked.
type DeadLetter struct {
	ID          int64         `json:"id"`
	Flow        string        `json:"flow"`
	Entity      kontor.Entity `json:"entity"`
	Key         string        `json:"key"`
	Class       store.Class   `json:"class"`
	Kind        string        `json:"kind"`
	Reason      string        `json:"reason"`
	Excerpt     string        `json:"excerpt"`
	Attempts    int           `json:"attempts"`
	FirstFailed time.Time     `json:"first_failed"`
	LastFailed  time.Time     `json:"last_failed"`
}

// AuditRecord is one write of the audit trail.
type AuditRecord struct {
	Seq     int64          `json:"seq"`
	At      time.Time      `json:"at"`
	Flow    string         `json:"flow"`
	Entity  kontor.Entity  `json:"entity"`
	Key     string         `json:"key"`
	Target  kontor.Side    `json:"target"`
	Op      store.Op       `json:"op"`
	Outcome kontor.Outcome `json:"outcome"`
	Error   string         `json:"error,omitempty"`
}

// snapshot reads the current state.
func (h *handler) snapshot(ctx context.Context) (Snapshot, error) {
	snap := Snapshot{Title: h.cfg.title, GeneratedAt: time.Now().UTC()}
	dls, err := h.s.DeadLetters(ctx, store.DeadLetterFilter{})
	if err != nil {
		return snap, err
	}
	perFlow := map[string]int{}
	for _, dl := range dls {
		perFlow[dl.Flow]++
	}
	for _, f := range h.s.Status() {
		snap.Flows = append(snap.Flows, Flow{FlowStatus: f, DeadLetters: perFlow[f.Name]})
	}
	snap.DeadLettersTotal = len(dls)
	if len(dls) > h.cfg.deadLetters {
		dls = dls[len(dls)-h.cfg.deadLetters:]
	}
	snap.DeadLetters = make([]DeadLetter, 0, len(dls))
	for i := len(dls) - 1; i >= 0; i-- { // newest first
		dl := dls[i]
		snap.DeadLetters = append(snap.DeadLetters, DeadLetter{
			ID: dl.ID, Flow: dl.Flow, Entity: dl.Entity, Key: dl.Key, Class: dl.Class,
			Kind: dl.Kind.String(), Reason: h.cfg.redactor.String(dl.Error), Excerpt: h.excerpt(dl.Payload),
			Attempts: dl.Attempts, FirstFailed: dl.FirstFailed, LastFailed: dl.LastFailed,
		})
	}
	recs, err := h.s.Audit(ctx, store.AuditFilter{Newest: true, Limit: h.cfg.audit})
	if err != nil {
		return snap, err
	}
	snap.Audit = make([]AuditRecord, 0, len(recs))
	for _, r := range recs {
		snap.Audit = append(snap.Audit, AuditRecord{Seq: r.Seq, At: r.At, Flow: r.Flow, Entity: r.Entity, Key: r.Key,
			Target: r.Target, Op: r.Op, Outcome: r.Outcome, Error: h.cfg.redactor.String(r.Error)})
	}
	return snap, nil
}

// excerpt masks personal data in a payload and cuts it short.
func (h *handler) excerpt(payload []byte) string {
	if len(payload) == 0 {
		return ""
	}
	s := string(h.cfg.redactor.Body("application/json", payload))
	if len(s) > h.cfg.excerpt {
		cut := h.cfg.excerpt
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func (h *handler) json(w http.ResponseWriter, r *http.Request) {
	snap, err := h.snapshot(r.Context())
	if err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(snap)
}

// events streams the snapshot as server-sent events whenever the Syncer's
// status changes, and a comment every 15 s to keep proxies from closing it.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	ctx := r.Context()
	tick := time.NewTicker(h.cfg.poll)
	defer tick.Stop()
	var last uint64
	sent := false
	quiet := time.Now()
	for {
		if v := h.s.StatusVersion(); !sent || v != last {
			snap, err := h.snapshot(ctx)
			if err != nil {
				return
			}
			b, _ := json.Marshal(snap)
			if _, err := w.Write([]byte("event: status\ndata: " + string(b) + "\n\n")); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			last, sent, quiet = v, true, time.Now()
		} else if time.Since(quiet) > 15*time.Second {
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
			_ = rc.Flush()
			quiet = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (h *handler) replay(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "a dead letter id is a positive number", http.StatusBadRequest)
		return
	}
	dls, err := h.s.DeadLetters(r.Context(), store.DeadLetterFilter{IDs: []int64{id}})
	if err != nil {
		h.fail(w, err)
		return
	}
	if len(dls) == 0 {
		http.Error(w, "no such dead letter", http.StatusNotFound)
		return
	}
	rep, err := h.s.Replay(r.Context(), store.DeadLetterFilter{IDs: []int64{id}})
	if err != nil {
		h.fail(w, err)
		return
	}
	left, err := h.s.DeadLetters(r.Context(), store.DeadLetterFilter{IDs: []int64{id}})
	if err != nil {
		h.fail(w, err)
		return
	}
	h.cfg.logger.Info("status: dead letter replayed", "id", id, "flow", dls[0].Flow, "replayed", rep.Replayed, "still_failing", len(left) > 0)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		ID           int64         `json:"id"`
		Replayed     bool          `json:"replayed"`
		StillFailing bool          `json:"still_failing"`
		Report       syncer.Report `json:"report"`
	}{id, rep.Replayed > 0, len(left) > 0, rep})
}

func (h *handler) fail(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, context.Canceled) {
		status = 499
	}
	h.cfg.logger.Warn("status: request failed", "kind", kontor.KindOf(err).String(), "error", h.cfg.redactor.String(err.Error()))
	http.Error(w, "status unavailable: "+kontor.KindOf(err).String(), status)
}
