package transport

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Middleware wraps a RoundTripper with one concern: retry, rate limit, cache,
// logging, auth.
type Middleware func(http.RoundTripper) http.RoundTripper

// RoundTripperFunc turns a function into an http.RoundTripper.
type RoundTripperFunc func(*http.Request) (*http.Response, error)

// RoundTrip calls f(req).
func (f RoundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// Chain wraps base with the middleware; the first one given is the
// outermost, the one a request meets first. A nil base is
// http.DefaultTransport. The recommended order is
//
//	Chain(base, Cache(), Retry(), limiter.Middleware(), APIKeyHeader(...), Log(logger))
//
// so a cached read costs nothing, every attempt is paced and authenticated
// afresh, and the log shows each attempt as it went on the wire.
func Chain(base http.RoundTripper, mw ...Middleware) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	for i := len(mw) - 1; i >= 0; i-- {
		if mw[i] != nil {
			base = mw[i](base)
		}
	}
	return base
}

type ctxKey int

const (
	idempotentKey ctxKey = iota
	attemptKey
)

// WithIdempotent marks the requests made with ctx as safe to send more than
// once even when their method is POST or PATCH (the remote deduplicates them,
// or the write is a set to an absolute value). Retry retries such requests.
func WithIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey, true)
}

// IdempotencyKeyHeaders are the request headers whose presence makes a POST
// or PATCH retryable: the remote system deduplicates by their value.
var IdempotencyKeyHeaders = []string{"Idempotency-Key", "X-Idempotency-Key"}

// IsIdempotent reports whether req may be sent more than once: its method is
// idempotent by RFC 9110 (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), it carries
// an idempotency key header, or its context was marked with WithIdempotent.
func IsIdempotent(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	for _, h := range IdempotencyKeyHeaders {
		if req.Header.Get(h) != "" {
			return true
		}
	}
	v, _ := req.Context().Value(idempotentKey).(bool)
	return v
}

// withAttempt records the attempt number (1 for the first) on ctx.
func withAttempt(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, attemptKey, n)
}

// Attempt returns the attempt number Retry set on ctx: 1 for the first
// attempt, 2 for the first retry. It is 1 outside Retry.
func Attempt(ctx context.Context) int {
	if n, ok := ctx.Value(attemptKey).(int); ok {
		return n
	}
	return 1
}

// ParseRetryAfter reads a Retry-After value, given as delay seconds or as an
// HTTP date (RFC 9110 §10.2.3), relative to now. A date in the past is a
// zero delay; an empty or malformed value reports false.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs >= 0 && secs <= 1e9) { // also NaN
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

// closeRequestBody closes the body of a request that will not be sent: a
// RoundTripper must close it even when it fails.
func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// drainLimit bounds how much of a discarded body is read so the connection
// can be reused; past it the connection is closed instead.
const drainLimit = 64 << 10

// drainAndClose reads a little of a response body that is not handed on
// before closing it, so the connection goes back to the pool instead of
// being torn down.
func drainAndClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, body, drainLimit)
	_ = body.Close()
}
