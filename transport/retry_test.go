package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// retryClockRecorder is a fake clock whose sleeps return at once, record the
// wait and advance the clock by it.
type retryClockRecorder struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newRetryClockRecorder(t0 time.Time) *retryClockRecorder { return &retryClockRecorder{t: t0} }

func (c *retryClockRecorder) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *retryClockRecorder) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.t = c.t.Add(d)
	return ctx.Err()
}

func (c *retryClockRecorder) recorded() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

// retryFake makes Retry use the recorder's clock and sleeps.
func retryFake(c *retryClockRecorder) RetryOption {
	return func(cfg *retryConfig) {
		cfg.now = c.now
		cfg.sleep = c.sleep
	}
}

// retryNoJitter makes backoff waits exact.
func retryNoJitter() RetryOption {
	return func(cfg *retryConfig) { cfg.randomization = 0 }
}

// retryTestClient returns a client whose own transport is closed with the
// test, wrapped in mw.
func retryTestClient(t *testing.T, base *http.Transport, mw ...Middleware) *http.Client {
	t.Helper()
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	t.Cleanup(base.CloseIdleConnections)
	return &http.Client{Transport: Chain(base, mw...)}
}

// retryServer answers with handle(n, w, r) where n counts requests from 1.
func retryServer(t *testing.T, handle func(n int, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(int(count.Add(1)), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

func retryReadBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestRetry429RetryAfterSeconds(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	clock := newRetryClockRecorder(time.Now())
	c := retryTestClient(t, nil, Retry(RetryInitialInterval(10*time.Millisecond), retryFake(clock)))

	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "ok", retryReadBody(t, resp))
	assert.Equal(t, int32(2), count.Load())
	// The backoff (≤15ms) is shorter, so Retry-After decides the wait.
	assert.Equal(t, []time.Duration{2 * time.Second}, clock.recorded())
}

func TestRetry429RetryAfterHTTPDate(t *testing.T) {
	t0 := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Retry-After", t0.Add(5*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	clock := newRetryClockRecorder(t0)
	c := retryTestClient(t, nil, Retry(RetryInitialInterval(10*time.Millisecond), retryFake(clock)))

	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, int32(2), count.Load())
	assert.Equal(t, []time.Duration{5 * time.Second}, clock.recorded())
}

func TestRetry503TwiceThenOK(t *testing.T) {
	var mu sync.Mutex
	var addrs []string
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		addrs = append(addrs, r.RemoteAddr)
		mu.Unlock()
		if n <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, strings.Repeat("busy ", 100))
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	clock := newRetryClockRecorder(time.Now())
	c := retryTestClient(t, nil, Retry(RetryInitialInterval(100*time.Millisecond), retryFake(clock)))

	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", retryReadBody(t, resp))
	assert.Equal(t, int32(3), count.Load())

	waits := clock.recorded()
	require.Len(t, waits, 2)
	// 100ms ±50%, then 150ms ±50%.
	assert.GreaterOrEqual(t, waits[0], 50*time.Millisecond)
	assert.LessOrEqual(t, waits[0], 150*time.Millisecond)
	assert.GreaterOrEqual(t, waits[1], 75*time.Millisecond)
	assert.LessOrEqual(t, waits[1], 225*time.Millisecond)

	// The 503 bodies were drained and closed, so every attempt reused the
	// first connection.
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, addrs, 3)
	assert.Equal(t, addrs[0], addrs[1])
	assert.Equal(t, addrs[0], addrs[2])
}

func TestRetryPOSTWithoutIdempotencyKeySentOnce(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	clock := newRetryClockRecorder(time.Now())
	var attempts []int
	record := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			attempts = append(attempts, Attempt(r.Context()))
			return next.RoundTrip(r)
		})
	}
	c := retryTestClient(t, nil, Retry(retryFake(clock)), record)

	resp, err := c.Post(srv.URL, "application/json", strings.NewReader(`{"a":1}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, int32(1), count.Load())
	assert.Empty(t, clock.recorded())
	assert.Equal(t, []int{1}, attempts)
}

// retryOpaqueReader hides its type so http.NewRequest cannot set GetBody.
type retryOpaqueReader struct{ r io.Reader }

func (o *retryOpaqueReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestRetryPOSTWithIdempotencyKeyResendsFullBody(t *testing.T) {
	const payload = `{"sku":"A-1","qty":3}`
	for name, body := range map[string]func() io.Reader{
		"GetBody":  func() io.Reader { return strings.NewReader(payload) },
		"buffered": func() io.Reader { return &retryOpaqueReader{strings.NewReader(payload)} },
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var bodies, keys []string
			srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				mu.Lock()
				bodies = append(bodies, string(b))
				keys = append(keys, r.Header.Get("Idempotency-Key"))
				mu.Unlock()
				if n <= 2 {
					w.WriteHeader(http.StatusServiceUnavailable)
					return
				}
				w.WriteHeader(http.StatusCreated)
			})
			clock := newRetryClockRecorder(time.Now())
			c := retryTestClient(t, nil, Retry(retryFake(clock)))

			req, err := http.NewRequest(http.MethodPost, srv.URL, body())
			require.NoError(t, err)
			assert.Equal(t, name == "GetBody", req.GetBody != nil)
			req.Header.Set("Idempotency-Key", "k-42")
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()

			assert.Equal(t, http.StatusCreated, resp.StatusCode)
			assert.Equal(t, int32(3), count.Load())
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, []string{payload, payload, payload}, bodies)
			assert.Equal(t, []string{"k-42", "k-42", "k-42"}, keys)
		})
	}
}

func TestRetryBodyTooLargeToBufferSentOnce(t *testing.T) {
	payload := strings.Repeat("x", 100)
	var got string
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	small := func(cfg *retryConfig) { cfg.bodyLimit = 64 }
	c := retryTestClient(t, nil, Retry(small, retryFake(newRetryClockRecorder(time.Now()))))

	req, err := http.NewRequest(http.MethodPut, srv.URL, &retryOpaqueReader{strings.NewReader(payload)})
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, int32(1), count.Load())
	assert.Equal(t, payload, got, "the buffered head and the unread tail are both sent")
}

func TestRetryPATCHOnlyWhenMarkedIdempotent(t *testing.T) {
	for _, marked := range []bool{true, false} {
		t.Run(strconv.FormatBool(marked), func(t *testing.T) {
			srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.WriteHeader(http.StatusBadGateway)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			c := retryTestClient(t, nil, Retry(retryFake(newRetryClockRecorder(time.Now()))))
			ctx := context.Background()
			if marked {
				ctx = WithIdempotent(ctx)
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPatch, srv.URL, strings.NewReader(`{"price":"9.90"}`))
			require.NoError(t, err)
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			if marked {
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, int32(2), count.Load())
			} else {
				assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
				assert.Equal(t, int32(1), count.Load())
			}
		})
	}
}

func TestRetryServerTimeoutThenOK(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select { // hang until the client gives up on this attempt
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = 100 * time.Millisecond
	c := retryTestClient(t, base, Retry(RetryInitialInterval(time.Millisecond)))

	start := time.Now()
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", retryReadBody(t, resp))
	assert.Equal(t, int32(2), count.Load())
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestRetryConnectionResetMidResponse(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n")
			_ = buf.Flush()
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with a reset, not a FIN
			}
			_ = conn.Close()
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
	c := retryTestClient(t, nil, Retry(retryFake(newRetryClockRecorder(time.Now()))))

	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	assert.Equal(t, "ok", retryReadBody(t, resp))
	assert.Equal(t, int32(2), count.Load())
}

func TestRetrySlowBodyEndsAtDeadline(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		for range 100 {
			_, _ = w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	c := retryTestClient(t, nil, Retry())
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)

	start := time.Now()
	resp, err := c.Do(req)
	require.NoError(t, err)
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, int32(1), count.Load())
}

func TestRetryCancelDuringRetryAfterWait(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := retryTestClient(t, nil, Retry()) // real timers
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	time.AfterFunc(50*time.Millisecond, cancel)

	start := time.Now()
	resp, err := c.Do(req)
	elapsed := time.Since(start)
	if resp != nil {
		resp.Body.Close()
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, elapsed, time.Second)
	assert.GreaterOrEqual(t, elapsed, 40*time.Millisecond)
	assert.Equal(t, int32(1), count.Load())
}

func TestRetryRetryAfterBeyondBudgetStopsAtOnce(t *testing.T) {
	t.Run("max elapsed", func(t *testing.T) {
		srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "300") // 5 min > the 2 min default
			w.WriteHeader(http.StatusTooManyRequests)
		})
		clock := newRetryClockRecorder(time.Now())
		c := retryTestClient(t, nil, Retry(retryFake(clock)))
		resp, err := c.Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Equal(t, "300", resp.Header.Get("Retry-After"))
		assert.Equal(t, int32(1), count.Load())
		assert.Empty(t, clock.recorded())
	})
	t.Run("context deadline", func(t *testing.T) {
		srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "5")
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		c := retryTestClient(t, nil, Retry()) // real timers: a wait would show
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		start := time.Now()
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		assert.Less(t, time.Since(start), 500*time.Millisecond)
		assert.Equal(t, int32(1), count.Load())
	})
}

func TestRetryMaxAttemptsExact(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "down "+strconv.Itoa(n))
	})
	clock := newRetryClockRecorder(time.Now())
	c := retryTestClient(t, nil, Retry(RetryMaxAttempts(3), retryFake(clock)))

	resp, err := c.Get(srv.URL)
	require.NoError(t, err, "an exhausted retry returns the last response, not an error")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "down 3", retryReadBody(t, resp))
	assert.Equal(t, int32(3), count.Load())
	assert.Len(t, clock.recorded(), 2)
}

func TestRetryMaxElapsedBoundsWaits(t *testing.T) {
	srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	clock := newRetryClockRecorder(time.Now())
	c := retryTestClient(t, nil, Retry(
		RetryMaxAttempts(10),
		RetryInitialInterval(400*time.Millisecond),
		RetryMaxElapsed(time.Second),
		retryNoJitter(),
		retryFake(clock),
	))

	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	// 400ms + 600ms fill the second; the next 900ms would pass it.
	assert.Equal(t, []time.Duration{400 * time.Millisecond, 600 * time.Millisecond}, clock.recorded())
	assert.Equal(t, int32(3), count.Load())
}

func TestRetryMaxIntervalCapsBackoff(t *testing.T) {
	srv, _ := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusGatewayTimeout)
	})
	clock := newRetryClockRecorder(time.Now())
	c := retryTestClient(t, nil, Retry(
		RetryMaxAttempts(5),
		RetryInitialInterval(time.Second),
		RetryMaxInterval(2*time.Second),
		retryNoJitter(),
		retryFake(clock),
	))
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []time.Duration{time.Second, 1500 * time.Millisecond, 2 * time.Second, 2 * time.Second}, clock.recorded())
}

func TestRetryAttemptNumbersSeenInside(t *testing.T) {
	srv, _ := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n <= 2 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	var attempts []int
	record := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			attempts = append(attempts, Attempt(r.Context()))
			return next.RoundTrip(r)
		})
	}
	c := retryTestClient(t, nil, Retry(retryFake(newRetryClockRecorder(time.Now()))), record)
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, []int{1, 2, 3}, attempts)
}

func TestRetryStatuses(t *testing.T) {
	for _, tc := range []struct {
		status int
		sent   int32
	}{
		{408, 2}, {425, 2}, {429, 2}, {500, 2}, {502, 2}, {503, 2}, {504, 2},
		{400, 1}, {401, 1}, {403, 1}, {404, 1}, {409, 1}, {422, 1}, {501, 1}, {505, 1},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			srv, count := retryServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n == 1 {
					w.WriteHeader(tc.status)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			c := retryTestClient(t, nil, Retry(retryFake(newRetryClockRecorder(time.Now()))))
			resp, err := c.Get(srv.URL)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.sent, count.Load())
		})
	}
}

// retryRefusedURL returns the URL of a loopback port nothing listens on.
func retryRefusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr + "/orders?token=secret"
}

func TestRetryTransportErrorExhausted(t *testing.T) {
	url := retryRefusedURL(t)
	var attempts atomic.Int32
	count := func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			attempts.Add(1)
			return next.RoundTrip(r)
		})
	}
	c := retryTestClient(t, nil, Retry(RetryMaxAttempts(3), retryFake(newRetryClockRecorder(time.Now()))), count)

	_, err := c.Get(url)
	require.Error(t, err)
	assert.Equal(t, int32(3), attempts.Load())
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	assert.ErrorIs(t, err, kontor.ErrRetryable)
	var kerr *kontor.Error
	require.ErrorAs(t, err, &kerr)
	assert.Equal(t, kontor.KindRetryable, kerr.Kind)
	assert.NotContains(t, kerr.Op, "secret", "the query stays out of the error")

	attempts.Store(0)
	_, err = c.Post(url, "text/plain", strings.NewReader("x"))
	require.Error(t, err)
	assert.Equal(t, int32(1), attempts.Load(), "a POST is not resent")
	assert.NotErrorIs(t, err, kontor.ErrRetryable)
}

func TestRetryContextErrorsNotRetried(t *testing.T) {
	var attempts atomic.Int32
	fail := RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		attempts.Add(1)
		return nil, context.Canceled
	})
	rt := Chain(fail, Retry(retryFake(newRetryClockRecorder(time.Now()))))
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
	_, err := rt.RoundTrip(req)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(1), attempts.Load())
}

func TestRetryableTransportError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{io.ErrUnexpectedEOF, true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{&net.DNSError{IsTimeout: true}, true},
		{context.Canceled, false},
		{fmt.Errorf("attempt: %w", context.Canceled), false},
		// Asked only while the request context is live: a deadline that
		// passed belongs to something inside, e.g. a per-attempt timeout.
		{context.DeadlineExceeded, true},
		{kontor.NewError(kontor.KindRetryable, "token", errors.New("503")), true},
		{kontor.NewError(kontor.KindRateLimited, "rate limit", context.DeadlineExceeded), false},
		{kontor.NewError(kontor.KindUnauthorized, "token", io.EOF), false},
		{errors.New("x509: certificate signed by unknown authority"), false},
	} {
		assert.Equal(t, tc.want, retryableTransportError(tc.err), "%v", tc.err)
	}
}
