package transport

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/kontor-dev/kontor"
)

// Limiter defaults.
const (
	defaultLimiterRate  = 10 // requests per second
	defaultLimiterBurst = 1
	// defaultLimiterMinDivisor puts the default floor at 1% of the initial
	// rate: low enough to back off from any overload, high enough that a
	// key recovers in seconds, not hours.
	defaultLimiterMinDivisor = 100
)

// The AIMD tuning. A throttle remembers the ceiling, the rate the key was
// throttled at (or, when the remote was turning a good part of the recent
// requests away, the rate it accepted), and halves it. Success then recovers
// quickly to just below the ceiling (the knee), probes slowly past it, and
// once well past it without a throttle, or two minutes after the throttle,
// forgets it and climbs additively up to the maximum. Recovering fast and
// probing slowly keeps throughput near the remote's limit while throttles
// stay rare.
//
// Each speed is bounded both per second and per request, so that a key
// doing two requests a second sees as few throttles per request as one
// doing two hundred, and a fast key as few per second as a slow one.
const (
	limiterDecrease = 0.5
	limiterKnee     = 0.93 // of the ceiling: where fast recovery stops
	limiterForget   = 1.1  // of the ceiling: where the slow probe stops

	// Fast recovery closes the gap to the ceiling with a time constant of
	// 100ms, or of 10 requests at the ceiling if that is longer, so the
	// remote's own bucket refills a little before the knee.
	limiterRecoveryTau      = 100 * time.Millisecond
	limiterRecoveryRequests = 10

	// The slow probe adds 2% of the ceiling per second, and 0.05% at most
	// per success: 140 requests at least from the knee to the ceiling.
	limiterProbePerSecond  = 0.02
	limiterProbePerSuccess = 0.0005

	// The climb without a known ceiling adds 5% of the maximum per second,
	// and 0.5% at most per success.
	limiterIncreasePerSecond  = 0.05
	limiterIncreasePerSuccess = 0.005

	// limiterCeilingMemory is how long a ceiling is remembered.
	limiterCeilingMemory = 2 * time.Minute

	// The ceiling is the rate the remote accepted, averaged over 250ms or
	// 8 requests, whichever is longer, when at least 4 requests in that
	// window were answered and no more than 90% of them accepted; otherwise
	// it is the current rate.
	limiterTrafficWindow   = 250 * time.Millisecond
	limiterTrafficRequests = 8
	limiterTrafficMinimum  = 4
	limiterTrafficAccepted = 0.9

	// limiterMinSuccessCredit is the least time one success may credit
	// towards an increase; at low rates it is the time of two requests.
	limiterMinSuccessCredit = 100 * time.Millisecond

	// limiterThrottleGap is how long after a decrease an outside throttle
	// signal, whose request time is unknown, is taken to be about requests
	// sent before that decrease and so ignored.
	limiterThrottleGap = 100 * time.Millisecond
)

// limiterSpan is d, or the time n requests take at perSecond if longer.
func limiterSpan(d time.Duration, n, perSecond float64) time.Duration {
	return max(d, time.Duration(n/perSecond*float64(time.Second)))
}

// LimiterOption configures a Limiter.
type LimiterOption func(*limiterConfig)

type limiterConfig struct {
	rate, minRate, maxRate float64
	burst                  int
	key                    func(*http.Request) string
}

// LimiterRate sets the rate a key starts at, in requests per second
// (default 10).
func LimiterRate(perSecond float64) LimiterOption {
	return func(c *limiterConfig) {
		if perSecond > 0 && !math.IsInf(perSecond, 0) {
			c.rate = perSecond
		}
	}
}

// LimiterBurst sets how many requests a key may send back to back after a
// quiet spell (default 1; values below 1 are ignored).
func LimiterBurst(n int) LimiterOption {
	return func(c *limiterConfig) {
		if n >= 1 {
			c.burst = n
		}
	}
}

// LimiterMinRate sets the floor a throttled key's rate never falls below
// (default 1% of the initial rate).
func LimiterMinRate(perSecond float64) LimiterOption {
	return func(c *limiterConfig) {
		if perSecond > 0 && !math.IsInf(perSecond, 0) {
			c.minRate = perSecond
		}
	}
}

// LimiterMaxRate sets the ceiling success raises a key's rate to (default
// the initial rate).
func LimiterMaxRate(perSecond float64) LimiterOption {
	return func(c *limiterConfig) {
		if perSecond > 0 && !math.IsInf(perSecond, 0) {
			c.maxRate = perSecond
		}
	}
}

// LimiterKey sets how a request maps to the budget it draws on (default its
// URL's host). Use it when a remote system limits per tenant or per token
// rather than per host.
func LimiterKey(key func(*http.Request) string) LimiterOption {
	return func(c *limiterConfig) {
		if key != nil {
			c.key = key
		}
	}
}

// Limiter paces requests per remote system or tenant with a token bucket
// that adapts to the remote's signals (AIMD): a throttle lowers the key's
// rate at once, sustained success raises it again. It keeps a small state
// per key it has seen and is safe for concurrent use.
type Limiter struct {
	cfg limiterConfig
	now func() time.Time

	mu   sync.Mutex
	keys map[string]*limiterKey
}

// limiterKey is one key's bucket and adaptive state.
type limiterKey struct {
	bucket  *rate.Limiter
	rate    float64 // the current rate
	minRate float64
	maxRate float64

	ceiling      float64   // the rate throttled at, 0 when unknown
	decreasedAt  time.Time // the last multiplicative decrease
	blockedUntil time.Time // from a Retry-After
	lastSuccess  time.Time

	// Recent responses, exponentially weighted over the traffic window:
	// all of them (offered) and those not throttled (accepted).
	offered, accepted float64
	trafficAt         time.Time
	firstSeen         time.Time
}

// NewLimiter returns a Limiter. Every key starts at the initial rate; a
// maximum below it lowers the start, a minimum above the maximum is
// lowered to it.
func NewLimiter(opts ...LimiterOption) *Limiter {
	cfg := limiterConfig{
		rate:  defaultLimiterRate,
		burst: defaultLimiterBurst,
		key:   func(r *http.Request) string { return r.URL.Host },
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.maxRate == 0 {
		cfg.maxRate = cfg.rate
	}
	if cfg.minRate == 0 {
		cfg.minRate = cfg.rate / defaultLimiterMinDivisor
	}
	cfg.minRate = min(cfg.minRate, cfg.maxRate)
	cfg.rate = min(max(cfg.rate, cfg.minRate), cfg.maxRate)
	return &Limiter{cfg: cfg, now: time.Now, keys: make(map[string]*limiterKey)}
}

// state returns key's state, creating it at the initial rate. l.mu is held.
func (l *Limiter) state(key string, now time.Time) *limiterKey {
	k, ok := l.keys[key]
	if !ok {
		k = &limiterKey{
			bucket:    rate.NewLimiter(rate.Limit(l.cfg.rate), l.cfg.burst),
			rate:      l.cfg.rate,
			minRate:   l.cfg.minRate,
			maxRate:   l.cfg.maxRate,
			firstSeen: now,
		}
		// Start the clock at now: the bucket holds a full burst.
		k.bucket.SetLimitAt(now, rate.Limit(k.rate))
		l.keys[key] = k
	}
	return k
}

// Delay reserves key's next slot as of now and returns how long the caller
// must wait before sending: zero while the burst lasts, then 1/rate apart,
// and no earlier than a Retry-After block ends. It does not sleep. A caller
// that gives up instead of sending calls cancel to hand the slot back.
func (l *Limiter) Delay(key string, now time.Time) (wait time.Duration, cancel func()) {
	l.mu.Lock()
	k := l.state(key, now)
	at := now
	if k.blockedUntil.After(at) {
		at = k.blockedUntil
	}
	// The reservation is made under l.mu so a concurrent throttle cannot
	// slip between the block check and the bucket.
	r := k.bucket.ReserveN(at, 1)
	l.mu.Unlock()
	wait = r.DelayFrom(at) + at.Sub(now)
	return wait, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		r.CancelAt(l.now())
	}
}

// Rate returns key's current rate in requests per second.
func (l *Limiter) Rate(key string) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k, ok := l.keys[key]; ok {
		return k.rate
	}
	return l.cfg.rate
}

// SetRate sets key's rate and burst to a budget the remote system stated
// (e.g. a GraphQL cost bucket's restore rate). The rate also becomes the
// key's maximum, so success never climbs past the stated budget; throttles
// still lower it.
func (l *Limiter) SetRate(key string, perSecond float64, burst int) {
	if !(perSecond > 0) || math.IsInf(perSecond, 0) {
		return
	}
	burst = max(burst, 1)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.state(key, now)
	k.maxRate = perSecond
	k.minRate = min(l.cfg.minRate, perSecond)
	k.ceiling = 0
	k.setRate(now, perSecond)
	k.bucket.SetBurstAt(now, burst)
}

// Throttled lowers key's rate because the remote said slow down, and when
// retryAfter is positive holds every request for key until it has passed.
// Connectors call it for throttle signals that are not a 429, such as a
// GraphQL cost budget running dry.
func (l *Limiter) Throttled(key string, retryAfter time.Duration) {
	now := l.now()
	l.throttled(key, now, now.Add(-limiterThrottleGap), retryAfter)
}

// Observe feeds a response for key into the adaptation: a 429, or a 503
// with Retry-After, throttles the key; any other response below 500 counts
// as success. The middleware calls it for every response.
func (l *Limiter) Observe(key string, resp *http.Response) {
	now := l.now()
	l.observe(key, resp, now, now.Add(-limiterThrottleGap))
}

// observe is Observe with the time the request reserved its slot, which
// tells whether it went out before the last decrease.
func (l *Limiter) observe(key string, resp *http.Response, now, reservedAt time.Time) {
	if resp == nil {
		return
	}
	retryAfter, hasRetryAfter := ParseRetryAfter(resp.Header.Get("Retry-After"), now)
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusServiceUnavailable && hasRetryAfter:
		l.throttled(key, now, reservedAt, retryAfter)
	case resp.StatusCode < 500:
		l.succeeded(key, now)
	}
}

func (l *Limiter) throttled(key string, now, reservedAt time.Time, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.state(key, now)
	k.countResponse(now, false)
	if retryAfter > 0 {
		if until := now.Add(retryAfter); until.After(k.blockedUntil) {
			k.blockedUntil = until
		}
	}
	// A request reserved before the last decrease says nothing about the
	// rate since: decrease once per round of requests, not once per 429.
	if !k.decreasedAt.IsZero() && !reservedAt.After(k.decreasedAt) {
		return
	}
	ceiling := k.rate
	if capacity, ok := k.capacity(now); ok && capacity < ceiling {
		ceiling = capacity
	}
	k.ceiling = ceiling
	k.decreasedAt = now
	// Success credit starts again after the throttle and any block.
	k.lastSuccess = now
	if k.blockedUntil.After(now) {
		k.lastSuccess = k.blockedUntil
	}
	k.setRate(now, max(ceiling*limiterDecrease, k.minRate))
}

func (l *Limiter) succeeded(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.state(key, now)
	k.countResponse(now, true)
	// One success credits a bounded time, so a key that was idle does not
	// leap on its next success.
	dt := min(now.Sub(k.lastSuccess), limiterSpan(limiterMinSuccessCredit, 2, k.rate))
	if k.lastSuccess.IsZero() {
		dt = 0
	}
	if now.After(k.lastSuccess) {
		k.lastSuccess = now
	}
	if dt <= 0 {
		return
	}
	if k.ceiling > 0 && now.Sub(k.decreasedAt) > limiterCeilingMemory {
		k.ceiling = 0 // an old throttle says little about the remote now
	}
	r, c := k.rate, k.ceiling
	switch {
	case c > 0 && r < c*limiterKnee:
		tau := limiterSpan(limiterRecoveryTau, limiterRecoveryRequests, c)
		r = min(c*limiterKnee, c-(c-r)*math.Exp(-float64(dt)/float64(tau)))
	case c > 0 && r < c*limiterForget:
		r += c * min(limiterProbePerSecond*dt.Seconds(), limiterProbePerSuccess)
	default:
		k.ceiling = 0 // well past it without a throttle: the remote allows more now
		r += k.maxRate * min(limiterIncreasePerSecond*dt.Seconds(), limiterIncreasePerSuccess)
	}
	k.setRate(now, min(r, k.maxRate))
}

// setRate changes the key's rate; reservations already made keep their
// slots.
func (k *limiterKey) setRate(now time.Time, perSecond float64) {
	k.rate = perSecond
	k.bucket.SetLimitAt(now, rate.Limit(perSecond))
}

// trafficWindow is the time constant of the recent-traffic averages.
func (k *limiterKey) trafficWindow() time.Duration {
	return limiterSpan(limiterTrafficWindow, limiterTrafficRequests, k.rate)
}

// countResponse adds one response to the recent traffic.
func (k *limiterKey) countResponse(now time.Time, accepted bool) {
	k.decayTraffic(now)
	k.offered++
	if accepted {
		k.accepted++
	}
}

func (k *limiterKey) decayTraffic(now time.Time) {
	if k.trafficAt.IsZero() {
		k.trafficAt = now
		return
	}
	if dt := now.Sub(k.trafficAt); dt > 0 {
		f := math.Exp(-float64(dt) / float64(k.trafficWindow()))
		k.offered *= f
		k.accepted *= f
		k.trafficAt = now
	}
}

// capacity estimates the remote's capacity for the key as the rate of
// requests it recently accepted while it turned others away. It reports
// false when the recent traffic cannot tell: too few requests, or nearly
// all accepted (then the key asked for less than the remote allows).
func (k *limiterKey) capacity(now time.Time) (float64, bool) {
	k.decayTraffic(now)
	seen := now.Sub(k.firstSeen)
	if k.offered < limiterTrafficMinimum || k.accepted >= limiterTrafficAccepted*k.offered || seen <= 0 {
		return 0, false
	}
	w := k.trafficWindow().Seconds()
	// Correct for a history shorter than the window.
	return k.accepted / w / (1 - math.Exp(-seen.Seconds()/w)), true
}

// Middleware returns a middleware that waits for the request's key to have a
// slot, sends the request, and adapts the key's rate to the response. A
// wait that would pass the request context's deadline fails at once with a
// *kontor.Error of KindRateLimited that wraps context.DeadlineExceeded and
// carries the wait as its RetryAfter.
func (l *Limiter) Middleware() Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			ctx := req.Context()
			key := l.cfg.key(req)
			if err := ctx.Err(); err != nil {
				closeRequestBody(req)
				return nil, fmt.Errorf("transport: rate limit %s: %w", key, err)
			}
			now := l.now()
			wait, cancel := l.Delay(key, now)
			if wait > 0 {
				if dl, ok := ctx.Deadline(); ok && now.Add(wait).After(dl) {
					cancel()
					closeRequestBody(req)
					return nil, &kontor.Error{
						Kind:       kontor.KindRateLimited,
						Op:         "rate limit " + key,
						Err:        fmt.Errorf("a wait of %v would pass the deadline: %w", wait, context.DeadlineExceeded),
						RetryAfter: wait,
					}
				}
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					cancel()
					closeRequestBody(req)
					return nil, fmt.Errorf("transport: rate limit %s: %w", key, ctx.Err())
				case <-t.C:
				}
				kontor.RecordWait(ctx, wait)
			}
			resp, err := next.RoundTrip(req)
			if err == nil {
				l.observe(key, resp, l.now(), now)
			}
			return resp, err
		})
	}
}
