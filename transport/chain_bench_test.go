package transport

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkChain measures what the full middleware chain adds to a request
// against a loopback server: Retry, RateLimit (a rate that never waits),
// an API key header and Log at Info into a discarding handler. Compare
// "bare" with "chain"; the difference is the per-request overhead.
func BenchmarkChain(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req-1")
		_, _ = io.WriteString(w, `{"data":{"product":{"id":"gid://shopify/Product/1","title":"Shirt"}}}`)
	}))
	defer srv.Close()
	base := srv.Client().Transport

	run := func(b *testing.B, rt http.RoundTripper) {
		client := &http.Client{Transport: rt}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			resp, err := client.Get(srv.URL + "/admin/api/2026-01/graphql.json")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, base) })
	b.Run("chain", func(b *testing.B) {
		limiter := NewLimiter(LimiterRate(1e9), LimiterMaxRate(1e9), LimiterBurst(1<<20))
		logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
		run(b, Chain(base,
			Retry(),
			limiter.Middleware(),
			APIKeyHeader("X-Shopify-Access-Token", "shpat_benchmark"),
			Log(logger),
		))
	})
}
