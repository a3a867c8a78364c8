package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/kontor-dev/kontor"
)

// Retry defaults. The elapsed-time cap is explicit because the backoff
// library's own default (15 min) is far longer than any sync step should
// block on one call.
const (
	defaultRetryMaxAttempts     = 5
	defaultRetryMaxElapsed      = 2 * time.Minute
	defaultRetryInitialInterval = 500 * time.Millisecond
	defaultRetryMaxInterval     = 30 * time.Second
	defaultRetryRandomization   = 0.5
	defaultRetryMultiplier      = 1.5

	// retryBodyBufferLimit bounds how much of a request body without GetBody
	// Retry keeps in memory to resend it; a larger body is sent once.
	retryBodyBufferLimit = 32 << 20
)

// RetryOption configures Retry.
type RetryOption func(*retryConfig)

type retryConfig struct {
	maxAttempts   int
	maxElapsed    time.Duration
	initial       time.Duration
	maxInterval   time.Duration
	randomization float64
	bodyLimit     int64

	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// RetryMaxAttempts sets how many times a request is sent at most, the first
// attempt included (default 5). 1 disables retries; values below 1 are
// ignored.
func RetryMaxAttempts(n int) RetryOption {
	return func(c *retryConfig) {
		if n >= 1 {
			c.maxAttempts = n
		}
	}
}

// RetryMaxElapsed caps the time from the first attempt until the last retry
// may start (default 2 min); waits that would end past it are not started.
// Values of zero or below are ignored: there is always a cap.
func RetryMaxElapsed(d time.Duration) RetryOption {
	return func(c *retryConfig) {
		if d > 0 {
			c.maxElapsed = d
		}
	}
}

// RetryInitialInterval sets the backoff before the first retry (default
// 500ms); each later wait grows by 1.5×, randomized by ±50%.
func RetryInitialInterval(d time.Duration) RetryOption {
	return func(c *retryConfig) {
		if d > 0 {
			c.initial = d
		}
	}
}

// RetryMaxInterval caps a single backoff wait (default 30s). A longer
// Retry-After from the server still wins, within RetryMaxElapsed.
func RetryMaxInterval(d time.Duration) RetryOption {
	return func(c *retryConfig) {
		if d > 0 {
			c.maxInterval = d
		}
	}
}

// Retry returns a middleware that resends a request that failed in a way
// that may pass: a transient transport error (refused or reset connection,
// a connection dropped mid-response, a network timeout) or a 408, 425, 429,
// 500, 502, 503 or 504 response. Only requests that IsIdempotent allows are
// resent; any other request is sent exactly once.
//
// Between attempts it waits for the longer of the exponential backoff and
// the response's Retry-After, and gives up at once, returning the last
// response, when that wait would end past RetryMaxElapsed or the request
// context's deadline. Waits end when the context does. The request body is
// rewound for every attempt (through GetBody, or a copy of up to 32 MiB), and
// Attempt reports the attempt number to the middleware inside Retry.
//
// When the attempts run out, the last response is returned unchanged for
// the caller to classify, or the last transport error wrapped in a
// *kontor.Error of KindRetryable.
func Retry(opts ...RetryOption) Middleware {
	cfg := retryConfig{
		maxAttempts:   defaultRetryMaxAttempts,
		maxElapsed:    defaultRetryMaxElapsed,
		initial:       defaultRetryInitialInterval,
		maxInterval:   defaultRetryMaxInterval,
		randomization: defaultRetryRandomization,
		bodyLimit:     retryBodyBufferLimit,
		now:           time.Now,
		sleep:         retrySleep,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return &retrier{next: next, cfg: cfg}
	}
}

type retrier struct {
	next http.RoundTripper
	cfg  retryConfig
}

// retryClock lets the backoff measure elapsed time on the injected clock.
type retryClock func() time.Time

func (c retryClock) Now() time.Time { return c() }

func (r *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if r.cfg.maxAttempts <= 1 || !IsIdempotent(req) {
		return r.next.RoundTrip(req.WithContext(withAttempt(ctx, 1)))
	}

	body, getBody, retryable, err := r.requestBodies(req)
	if err != nil {
		return nil, err
	}
	if !retryable {
		once := req.Clone(withAttempt(ctx, 1))
		once.Body = body
		return r.next.RoundTrip(once)
	}

	start := r.cfg.now()
	bo := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(r.cfg.initial),
		backoff.WithMaxInterval(r.cfg.maxInterval),
		backoff.WithMaxElapsedTime(r.cfg.maxElapsed),
		backoff.WithRandomizationFactor(r.cfg.randomization),
		backoff.WithMultiplier(defaultRetryMultiplier),
		backoff.WithClockProvider(retryClock(r.cfg.now)),
	)

	for attempt := 1; ; attempt++ {
		areq := req.Clone(withAttempt(ctx, attempt))
		areq.Body = body
		areq.GetBody = getBody
		resp, err := r.next.RoundTrip(areq)

		var retryAfter time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil || !retryableTransportError(err) {
				return nil, err
			}
		case retryableStatus(resp.StatusCode):
			retryAfter, _ = ParseRetryAfter(resp.Header.Get("Retry-After"), r.cfg.now())
		default:
			return resp, nil
		}

		// Decide on the next attempt before touching the response, so that
		// giving up returns it intact.
		if attempt >= r.cfg.maxAttempts {
			return retryGiveUp(req, resp, err, attempt)
		}
		wait := bo.NextBackOff()
		if wait == backoff.Stop {
			return retryGiveUp(req, resp, err, attempt)
		}
		wait = max(wait, retryAfter)
		now := r.cfg.now()
		if now.Add(wait).After(start.Add(r.cfg.maxElapsed)) {
			return retryGiveUp(req, resp, err, attempt)
		}
		if dl, ok := ctx.Deadline(); ok && !now.Add(wait).Before(dl) {
			return retryGiveUp(req, resp, err, attempt)
		}
		if getBody != nil {
			b, gerr := getBody()
			if gerr != nil {
				return retryGiveUp(req, resp, err, attempt)
			}
			body = b
		}

		if resp != nil {
			drainAndClose(resp.Body)
		}
		if serr := r.cfg.sleep(ctx, wait); serr != nil {
			if body != nil {
				body.Close()
			}
			return nil, fmt.Errorf("transport: %s: waiting %v before attempt %d: %w",
				retryOp(req), wait, attempt+1, serr)
		}
	}
}

// requestBodies returns the body of the first attempt and how to get a fresh
// copy for each later one (nil when the request has no body). retryable is
// false when the body is too large to copy: the request is then sent once.
func (r *retrier) requestBodies(req *http.Request) (first io.ReadCloser, again func() (io.ReadCloser, error), retryable bool, err error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, nil, true, nil
	}
	if req.GetBody != nil {
		return req.Body, req.GetBody, true, nil
	}
	buf, err := io.ReadAll(io.LimitReader(req.Body, r.cfg.bodyLimit+1))
	if err != nil {
		_ = req.Body.Close()
		return nil, nil, false, fmt.Errorf("transport: %s: reading request body: %w", retryOp(req), err)
	}
	if int64(len(buf)) > r.cfg.bodyLimit {
		rest := req.Body
		return struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), rest), rest}, nil, false, nil
	}
	_ = req.Body.Close()
	again = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	first, _ = again()
	return first, again, true, nil
}

// retryGiveUp ends the retries: the last response unchanged, or the last
// transport error classified as retryable for the caller's own retry policy.
func retryGiveUp(req *http.Request, resp *http.Response, err error, attempts int) (*http.Response, error) {
	if err == nil {
		return resp, nil
	}
	var c kontor.Classified
	if errors.As(err, &c) {
		return nil, err
	}
	return nil, &kontor.Error{
		Kind: kontor.KindRetryable,
		Op:   fmt.Sprintf("%s after %d attempts", retryOp(req), attempts),
		Err:  err,
	}
}

// retryOp names a request in errors without its query, which may carry
// credentials.
func retryOp(req *http.Request) string {
	if req.URL == nil {
		return req.Method
	}
	return req.Method + " " + req.URL.Host + req.URL.Path
}

// retryableStatus reports whether a response status says the same request
// may succeed later.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests,
		http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransportError reports whether a transport error is worth another
// attempt. A cancellation is deliberate and never is; an error an inner
// middleware already classified is retried only when its kind is
// KindRetryable (a rate limiter that could not wait within the deadline will
// not be able to on the next attempt either). The request context's own
// deadline is caught before this is asked.
func retryableTransportError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var c kontor.Classified
	if errors.As(err, &c) {
		return c.ErrorKind() == kontor.KindRetryable
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retrySleep waits for d or until ctx ends, whichever comes first.
func retrySleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
