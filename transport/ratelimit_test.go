package transport

import (
	"context"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/kontor-dev/kontor"
)

// limiterClock is a settable clock for a Limiter.
type limiterClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *limiterClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *limiterClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var limiterT0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestLimiter returns a limiter on a fake clock standing at limiterT0.
func newTestLimiter(opts ...LimiterOption) (*Limiter, *limiterClock) {
	l := NewLimiter(opts...)
	c := &limiterClock{t: limiterT0}
	l.now = c.now
	return l, c
}

func limiterResponse(status int, retryAfter string) *http.Response {
	h := http.Header{}
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	return &http.Response{StatusCode: status, Header: h, Body: http.NoBody}
}

func limiterDelay(l *Limiter, key string, at time.Time) time.Duration {
	d, _ := l.Delay(key, at)
	return d
}

func TestLimiterDelayBurstThenSpacing(t *testing.T) {
	l, _ := newTestLimiter(LimiterRate(10), LimiterBurst(3))
	t0 := limiterT0

	var got []time.Duration
	for range 5 {
		got = append(got, limiterDelay(l, "shop", t0))
	}
	assert.Equal(t, []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}, got)

	// A slot handed back is the next one given out.
	d, cancel := l.Delay("shop", t0)
	assert.Equal(t, 300*time.Millisecond, d)
	cancel()
	assert.Equal(t, 300*time.Millisecond, limiterDelay(l, "shop", t0))

	// After a quiet second the bucket is full again, but holds no more than
	// the burst.
	t1 := t0.Add(2 * time.Second)
	got = got[:0]
	for range 4 {
		got = append(got, limiterDelay(l, "shop", t1))
	}
	assert.Equal(t, []time.Duration{0, 0, 0, 100 * time.Millisecond}, got)
}

func TestLimiterThrottleHalvesAndSuccessRestores(t *testing.T) {
	l, clock := newTestLimiter(LimiterRate(100))
	assert.Equal(t, 100.0, l.Rate("shop"))

	l.Observe("shop", limiterResponse(http.StatusTooManyRequests, ""))
	assert.Equal(t, 50.0, l.Rate("shop"))
	// Further 429s from the same round of requests do not halve again.
	clock.set(limiterT0.Add(50 * time.Millisecond))
	l.Observe("shop", limiterResponse(http.StatusTooManyRequests, ""))
	assert.Equal(t, 50.0, l.Rate("shop"))

	succeedFor := func(from, d time.Duration) {
		for at := from; at <= from+d; at += 10 * time.Millisecond {
			clock.set(limiterT0.Add(at))
			l.Observe("shop", limiterResponse(http.StatusOK, ""))
		}
	}
	// Fast recovery towards 93% of the rate that was throttled, with a time
	// constant of 100ms counted from the throttle...
	succeedFor(60*time.Millisecond, 100*time.Millisecond)
	assert.InDelta(t, 100-50*math.Exp(-1.6), l.Rate("shop"), 0.001)
	succeedFor(170*time.Millisecond, 30*time.Millisecond)
	assert.Equal(t, 93.0, l.Rate("shop"), "stops at the knee")
	// ...then a slow probe of 2% of the ceiling per second...
	succeedFor(210*time.Millisecond, 990*time.Millisecond)
	assert.InDelta(t, 93+2*1.0, l.Rate("shop"), 0.001)
	// ...and past the ceiling additively back to the maximum.
	succeedFor(1210*time.Millisecond, 5*time.Second)
	assert.Equal(t, 100.0, l.Rate("shop"))

	// The bucket follows the rate: halved to 50/s, slots are 20ms apart.
	clock.set(limiterT0.Add(time.Minute))
	l.Observe("shop", limiterResponse(http.StatusTooManyRequests, ""))
	require.Equal(t, 50.0, l.Rate("shop"))
	t1 := limiterT0.Add(time.Minute)
	assert.Equal(t, time.Duration(0), limiterDelay(l, "shop", t1))
	assert.Equal(t, 20*time.Millisecond, limiterDelay(l, "shop", t1))
}

func TestLimiterCeilingIsTheAcceptedRate(t *testing.T) {
	// The client sends 400/s, the remote accepts every other request.
	l, clock := newTestLimiter(LimiterRate(400))
	at := time.Duration(0)
	for ; at <= 107500*time.Microsecond; at += 2500 * time.Microsecond {
		clock.set(limiterT0.Add(at))
		status := http.StatusOK
		if at%(5*time.Millisecond) != 0 {
			status = http.StatusTooManyRequests
		}
		l.Observe("shop", limiterResponse(status, ""))
	}
	// The first 429 came with too little traffic to tell and halved the
	// rate; the first one more than 100ms later knew the remote accepts
	// 200/s and halved that.
	assert.InDelta(t, 100, l.Rate("shop"), 10)
	for ; at < 600*time.Millisecond; at += 5 * time.Millisecond {
		clock.set(limiterT0.Add(at))
		l.Observe("shop", limiterResponse(http.StatusOK, ""))
	}
	// Recovery stops at 93% of the 200/s that were accepted, not of 400.
	assert.InDelta(t, 0.93*200, l.Rate("shop"), 10)
}

func TestLimiterThrottleFloorsAtMinRate(t *testing.T) {
	l, clock := newTestLimiter(LimiterRate(10), LimiterMinRate(4))
	for i := range 5 {
		clock.set(limiterT0.Add(time.Duration(i) * time.Second))
		l.Throttled("erp", 0)
	}
	assert.Equal(t, 4.0, l.Rate("erp"))
}

func TestLimiterRetryAfterBlocksKey(t *testing.T) {
	l, clock := newTestLimiter(LimiterRate(10))
	t0 := limiterT0
	assert.Equal(t, time.Duration(0), limiterDelay(l, "shop", t0))

	l.Observe("shop", limiterResponse(http.StatusTooManyRequests, "2"))
	assert.Equal(t, 5.0, l.Rate("shop"))
	// Held until t0+2s, then paced at the halved rate.
	assert.Equal(t, 2*time.Second, limiterDelay(l, "shop", t0))
	assert.Equal(t, 1200*time.Millisecond, limiterDelay(l, "shop", t0.Add(time.Second)))
	assert.Equal(t, 400*time.Millisecond, limiterDelay(l, "shop", t0.Add(2*time.Second)))

	// A connector's own throttle signal blocks the same way, and a 503 says
	// slow down only when it carries a Retry-After.
	clock.set(t0.Add(10 * time.Second))
	l.Observe("erp", limiterResponse(http.StatusServiceUnavailable, ""))
	assert.Equal(t, 10.0, l.Rate("erp"))
	l.Throttled("erp", 3*time.Second)
	assert.Equal(t, 5.0, l.Rate("erp"))
	assert.Equal(t, 3*time.Second, limiterDelay(l, "erp", t0.Add(10*time.Second)))

	clock.set(t0.Add(20 * time.Second))
	l.Observe("pim", limiterResponse(http.StatusServiceUnavailable, "1"))
	assert.Equal(t, 5.0, l.Rate("pim"))
	assert.Equal(t, time.Second, limiterDelay(l, "pim", t0.Add(20*time.Second)))
}

func TestLimiterKeysIndependent(t *testing.T) {
	l, _ := newTestLimiter(LimiterRate(10))
	l.Observe("a", limiterResponse(http.StatusTooManyRequests, "5"))
	assert.Equal(t, 5.0, l.Rate("a"))
	assert.Equal(t, 10.0, l.Rate("b"))
	assert.Equal(t, 5*time.Second, limiterDelay(l, "a", limiterT0))
	assert.Equal(t, time.Duration(0), limiterDelay(l, "b", limiterT0))
	assert.Equal(t, 100*time.Millisecond, limiterDelay(l, "b", limiterT0))
}

func TestLimiterSetRate(t *testing.T) {
	l, clock := newTestLimiter(LimiterRate(10), LimiterMaxRate(100))
	l.SetRate("shop", 2, 4)
	assert.Equal(t, 2.0, l.Rate("shop"))
	var got []time.Duration
	for range 5 {
		got = append(got, limiterDelay(l, "shop", limiterT0))
	}
	// The bucket keeps the tokens it had (one), but fills to the new burst.
	assert.Equal(t, []time.Duration{0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 2 * time.Second}, got)
	got = got[:0]
	for range 5 {
		got = append(got, limiterDelay(l, "shop", limiterT0.Add(time.Minute)))
	}
	assert.Equal(t, []time.Duration{0, 0, 0, 0, 500 * time.Millisecond}, got)

	// Success does not climb past a stated budget.
	for i := range 100 {
		clock.set(limiterT0.Add(time.Duration(i) * 100 * time.Millisecond))
		l.Observe("shop", limiterResponse(http.StatusOK, ""))
	}
	assert.Equal(t, 2.0, l.Rate("shop"))

	// Nonsense is ignored.
	l.SetRate("shop", 0, 1)
	assert.Equal(t, 2.0, l.Rate("shop"))
}

func TestNewLimiterOptions(t *testing.T) {
	l := NewLimiter(LimiterRate(-1), LimiterBurst(0), LimiterMinRate(0), LimiterMaxRate(-5))
	assert.Equal(t, limiterConfig{rate: 10, burst: 1, minRate: 0.1, maxRate: 10}, limiterConfig{
		rate: l.cfg.rate, burst: l.cfg.burst, minRate: l.cfg.minRate, maxRate: l.cfg.maxRate,
	})
	l = NewLimiter(LimiterRate(50), LimiterMaxRate(20), LimiterMinRate(30))
	assert.Equal(t, 20.0, l.Rate("x"), "a maximum below the start lowers the start")
	assert.Equal(t, 20.0, l.cfg.minRate)
}

// limiterTestServer counts requests and answers with status(n).
func limiterTestServer(t *testing.T, status func(n int) (int, string)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var count atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, retryAfter := status(int(count.Add(1)))
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv, &count
}

func TestLimiterWaitPastDeadlineFailsAtOnce(t *testing.T) {
	srv, count := limiterTestServer(t, func(int) (int, string) { return http.StatusOK, "" })
	l := NewLimiter(LimiterRate(1))
	c := retryTestClient(t, nil, l.Middleware())

	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Do(req)
	elapsed := time.Since(start)

	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, kontor.KindRateLimited, kontor.KindOf(err))
	after, ok := kontor.RetryAfter(err)
	assert.True(t, ok)
	assert.Greater(t, after, 500*time.Millisecond)
	assert.Less(t, elapsed, 100*time.Millisecond, "fails at once, does not wait for the deadline")
	assert.Equal(t, int32(1), count.Load())

	// The abandoned slot was handed back: the next one is still within a
	// second of the first request, not two.
	host := req.URL.Host
	assert.LessOrEqual(t, limiterDelay(l, host, time.Now()), time.Second)
}

func TestLimiterMiddlewareCancelDuringWait(t *testing.T) {
	srv, count := limiterTestServer(t, func(int) (int, string) { return http.StatusTooManyRequests, "30" })
	l := NewLimiter(LimiterRate(100))
	c := retryTestClient(t, nil, l.Middleware())
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	resp.Body.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(50*time.Millisecond, cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	start := time.Now()
	_, err = c.Do(req)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), time.Second)
	assert.Equal(t, int32(1), count.Load())
}

func TestLimiterMiddlewarePacesAndAdapts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var sent []time.Duration
		var rates []float64
		start := time.Now()
		n := 0
		var l *Limiter
		base := RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			n++
			sent = append(sent, time.Since(start))
			rates = append(rates, l.Rate("t1"))
			if n == 3 {
				return limiterResponse(http.StatusTooManyRequests, "1"), nil
			}
			return limiterResponse(http.StatusOK, ""), nil
		})
		l = NewLimiter(LimiterRate(10), LimiterKey(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))
		rt := Chain(base, l.Middleware())
		for range 5 {
			req, err := http.NewRequest(http.MethodGet, "http://erp.invalid/items", nil)
			require.NoError(t, err)
			req.Header.Set("X-Tenant", "t1")
			resp, err := rt.RoundTrip(req)
			require.NoError(t, err)
			resp.Body.Close()
		}
		// 100ms apart; the 429 at 200ms holds the tenant for 1s and halves
		// its rate, so the next slot after the hold is 200ms later.
		assert.Equal(t, []time.Duration{
			0, 100 * time.Millisecond, 200 * time.Millisecond,
			1200 * time.Millisecond, 1400 * time.Millisecond,
		}, sent)
		assert.Equal(t, []float64{10, 10, 10, 5, 5}, rates)
		assert.Equal(t, 10.0, l.Rate("t2"))
	})
}

// limiterSimServer allows n requests per second with a burst of 10 and
// answers 429 above that, like a remote system's own limiter. It counts
// what it saw from measureFrom on.
type limiterSimServer struct {
	bucket        *rate.Limiter
	measureFrom   time.Time
	ok, throttled atomic.Int64
}

func (s *limiterSimServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	allowed := s.bucket.Allow()
	if !time.Now().Before(s.measureFrom) {
		if allowed {
			s.ok.Add(1)
		} else {
			s.throttled.Add(1)
		}
	}
	if !allowed {
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// limiterSimResult is what the server counted after the warm-up.
type limiterSimResult struct {
	share429   float64 // 429s in percent of the requests the server saw
	pctOfN     float64 // accepted requests per second in percent of n
	offeredPct float64 // requests per second the server saw, in percent of n
	allowedPct float64 // the limiter's mean rate, in percent of n
	finalRate  float64 // the limiter's rate at the end
}

// limiterSim runs workers through an adaptive Limiter that starts at twice
// the n requests per second the server allows. With loopback it talks to an
// httptest server; otherwise it calls the server in-process with a random
// 0.5–3ms one-way latency, which inside a synctest bubble makes the run
// independent of the machine's speed and load.
func limiterSim(tb testing.TB, n float64, total, warmup time.Duration, workers int, loopback bool) limiterSimResult {
	tb.Helper()
	start := time.Now()
	s := &limiterSimServer{bucket: rate.NewLimiter(rate.Limit(n), 10), measureFrom: start.Add(warmup)}
	var base http.RoundTripper
	url := "http://shop.test/products"
	if loopback {
		srv := httptest.NewServer(s)
		defer srv.Close()
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = workers
		defer tr.CloseIdleConnections()
		base, url = tr, srv.URL
	} else {
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(1, 2))
		base = RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			latency := 500*time.Microsecond + time.Duration(rng.Int64N(int64(2500*time.Microsecond)))
			mu.Unlock()
			time.Sleep(latency) // simulated network, not a retry wait
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, r)
			return rec.Result(), nil
		})
	}
	l := NewLimiter(LimiterRate(2*n), LimiterMaxRate(2*n))
	client := &http.Client{Transport: Chain(base, l.Middleware())}

	ctx, cancel := context.WithDeadline(context.Background(), start.Add(total))
	defer cancel()
	var wg sync.WaitGroup
	var rateSum float64
	var rateSamples int
	key := l.cfg.key(httptest.NewRequest(http.MethodGet, url, nil))
	wg.Go(func() { // sample the limiter's rate after the warm-up
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				if !now.Before(s.measureFrom) {
					rateSum += l.Rate(key)
					rateSamples++
				}
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					tb.Error(err)
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					if !errors.Is(err, context.DeadlineExceeded) {
						tb.Error(err)
					}
					return // the run is over
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()

	o, th := float64(s.ok.Load()), float64(s.throttled.Load())
	perN := (total - warmup).Seconds() * n / 100
	res := limiterSimResult{pctOfN: o / perN, offeredPct: (o + th) / perN}
	if o+th > 0 {
		res.share429 = th / (o + th) * 100
	}
	if rateSamples > 0 {
		res.allowedPct = rateSum / float64(rateSamples) / n * 100
	}
	res.finalRate = l.Rate(key)
	return res
}

func TestAdaptiveLimiterConverges(t *testing.T) {
	const n = 200
	run := func(t *testing.T, n float64, total, warmup time.Duration, loopback bool) limiterSimResult {
		r := limiterSim(t, n, total, warmup, 4, loopback)
		t.Logf("after warm-up: 429 share %.2f%%, throughput %.1f%% of %g req/s (offered %.1f%%, allowed %.1f%%), final rate %.1f",
			r.share429, r.pctOfN, n, r.offeredPct, r.allowedPct, r.finalRate)
		return r
	}
	t.Run("virtual time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			r := run(t, n, 3*time.Second, time.Second, false)
			assert.Less(t, r.share429, 2.0, "429 share in percent")
			assert.GreaterOrEqual(t, r.pctOfN, 90.0, "throughput in percent of the server's limit")
		})
	})
	t.Run("virtual time, slow remote", func(t *testing.T) {
		// 5 req/s, as many small ERP and shop APIs allow: the same bounds,
		// measured over the 40 s after a 20 s warm-up.
		synctest.Test(t, func(t *testing.T) {
			r := run(t, 5, time.Minute, 20*time.Second, false)
			assert.Less(t, r.share429, 2.0, "429 share in percent")
			assert.GreaterOrEqual(t, r.pctOfN, 90.0, "throughput in percent of the server's limit")
		})
	})
	t.Run("loopback", func(t *testing.T) {
		if testing.Short() {
			t.Skip("real time on a real socket: skipped with -short")
		}
		r := run(t, n, 3*time.Second, time.Second, true)
		if r.pctOfN < 90 && r.offeredPct < 0.95*r.allowedPct {
			// The limiter allowed more than the workers managed to send:
			// the machine is too busy to offer the load. The virtual-time
			// runs above check the algorithm regardless.
			t.Skipf("machine overloaded: the workers sent %.1f%% of %d req/s while the limiter allowed %.1f%%",
				r.offeredPct, n, r.allowedPct)
		}
		assert.Less(t, r.share429, 2.0, "429 share in percent")
		assert.GreaterOrEqual(t, r.pctOfN, 90.0, "throughput in percent of the server's limit")
	})
}

// BenchmarkAdaptiveLimiter runs the simulation over loopback in real time
// and reports the 429 share and the throughput in percent of the server's
// limit.
func BenchmarkAdaptiveLimiter(b *testing.B) {
	const n = 200
	var share, pct float64
	runs := 0
	for b.Loop() {
		r := limiterSim(b, n, 3*time.Second, time.Second, 4, true)
		share += r.share429
		pct += r.pctOfN
		runs++
	}
	b.ReportMetric(share/float64(runs), "429_share_%")
	b.ReportMetric(pct/float64(runs), "pct_of_N")
}
