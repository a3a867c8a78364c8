package businesscentral

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

func TestDefaultPaceStaysUnderTheUserWindow(t *testing.T) {
	l := newLimiter()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	window := 5 * time.Minute
	inWindow := 0
	for range 7000 {
		wait, _ := l.Delay("user", t0)
		if wait < window {
			inWindow++
		}
	}
	// However many requests queue at once, no five-minute window gets
	// more than the burst plus 19/s.
	assert.LessOrEqual(t, inWindow, 6000)
	assert.InDelta(t, defaultBurst+DefaultRate*300, inWindow, 1)
}

func fastLimiter() Option {
	return WithLimiter(transport.NewLimiter(transport.LimiterRate(10000), transport.LimiterBurst(1000)))
}

func TestAtMostFiveRequestsInFlight(t *testing.T) {
	var cur, peak atomic.Int32
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(15 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[]}`)
	}, fastLimiter())
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for _, err := range c.ReadCustomers(t.Context(), kontor.Cursor{}) {
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int32(DefaultMaxConcurrent), peak.Load())
}

// throttler answers the first n requests with status (and Retry-After
// when set), then 200/201.
func throttler(n int32, status int, retryAfter string, calls *atomic.Int32, times *[]time.Time, mu *sync.Mutex) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k := calls.Add(1)
		mu.Lock()
		*times = append(*times, time.Now())
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if k <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":{"code":"Application_TooManyRequests","message":"Too many requests reached."}}`)
			return
		}
		if r.Method == http.MethodPost {
			w.WriteHeader(201)
			fmt.Fprint(w, `{"id":"new"}`)
			return
		}
		fmt.Fprint(w, `{"value":[]}`)
	}
}

func TestThrottledRequestsAreSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		method     string
		minGap     time.Duration
	}{
		{"read 429 with Retry-After", 429, "0.05", http.MethodGet, 50 * time.Millisecond},
		{"read 429 without", 429, "", http.MethodGet, 0},
		{"read 503 with Retry-After", 503, "0.05", http.MethodGet, 50 * time.Millisecond},
		{"read 503 without", 503, "", http.MethodGet, 0},
		{"write 429 with Retry-After", 429, "0.05", http.MethodPost, 50 * time.Millisecond},
		{"write 503 without", 503, "", http.MethodPost, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			var times []time.Time
			var mu sync.Mutex
			c, srv := handlerConnector(t, throttler(2, tc.status, tc.retryAfter, &calls, &times, &mu), fastLimiter())
			_, err := c.do(t.Context(), request{method: tc.method, url: srv.URL + "/BC/api/v2.0/companies(c0)/customers",
				body: map[string]any{"x": 1}}, nil)
			require.NoError(t, err)
			assert.Equal(t, int32(3), calls.Load())
			assert.GreaterOrEqual(t, times[1].Sub(times[0]), tc.minGap, "the Retry-After was honoured")
		})
	}
}

func TestWriteNotResentAfterAnAmbiguousFailure(t *testing.T) {
	var calls atomic.Int32
	var times []time.Time
	var mu sync.Mutex
	c, srv := handlerConnector(t, throttler(5, 500, "", &calls, &times, &mu), fastLimiter())
	_, err := c.do(t.Context(), request{method: http.MethodPost, url: srv.URL + "/BC/api/v2.0/companies(c0)/salesOrders", body: map[string]any{}}, nil)
	require.Error(t, err)
	assert.Equal(t, int32(1), calls.Load(), "a 500 may have created the order: no blind resend")
	assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
}

func TestThrottleStormGivesUpRateLimited(t *testing.T) {
	var calls atomic.Int32
	var times []time.Time
	var mu sync.Mutex
	c, srv := handlerConnector(t, throttler(100, 429, "", &calls, &times, &mu), fastLimiter())
	_, err := c.do(t.Context(), request{method: http.MethodPost, url: srv.URL + "/BC/api/v2.0/$batch", body: map[string]any{}}, nil)
	require.Error(t, err)
	assert.Equal(t, kontor.KindRateLimited, kontor.KindOf(err))
	assert.True(t, kontor.IsRetryable(err))
	assert.Equal(t, int32(fastRetry.MaxAttempts), calls.Load())
}
