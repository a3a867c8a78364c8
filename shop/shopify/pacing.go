package shopify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// Cost is the extensions.cost object Shopify puts on every GraphQL
// response: the static estimate charged up front, what the query really
// cost (null when it was throttled), and the bucket after it.
type Cost struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     ThrottleStatus `json:"throttleStatus"`
}

// ThrottleStatus is the app's leaky bucket as Shopify reports it. Its size
// and restore rate depend on the shop's plan and have changed over the
// years, so they are read from every response, never assumed.
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// bucket is the local model of Shopify's cost bucket. It starts unknown
// (nothing is held back until the first response tells the size) and is
// reset to what every response reports. Points reserved by requests in
// flight are taken off the model until their response arrives.
type bucket struct {
	known     bool
	max       float64   // maximumAvailable
	available float64   // currentlyAvailable at the time at
	rate      float64   // restoreRate, points per second
	at        time.Time // when available was observed
	inflight  float64   // points reserved by requests not yet answered
}

// level returns the points available at now, refilled since the last
// observation and capped at the maximum, less what requests in flight
// reserved.
func (b *bucket) level(now time.Time) float64 {
	if !b.known {
		return math.Inf(1)
	}
	lvl := b.available
	if dt := now.Sub(b.at); dt > 0 {
		lvl += b.rate * dt.Seconds()
	}
	return min(lvl, b.max) - b.inflight
}

// wait returns how long a request that costs cost points must wait at now
// for the bucket to hold them: zero when it does, else the refill time of
// the missing points at the restore rate. A cost above the bucket's size
// waits for a full bucket (Shopify refuses it anyway, with
// MAX_COST_EXCEEDED, which is not retried).
func (b *bucket) wait(now time.Time, cost float64) time.Duration {
	if !b.known || cost <= 0 {
		return 0
	}
	need := min(cost, b.max) - b.level(now)
	if need <= 0 {
		return 0
	}
	if b.rate <= 0 {
		return time.Second
	}
	return refill(need, b.rate)
}

// observe resets the model to what a response reported at now.
func (b *bucket) observe(now time.Time, ts ThrottleStatus) {
	if ts.MaximumAvailable <= 0 || ts.RestoreRate <= 0 {
		return // an answer without a throttle status (an error page, an old fixture)
	}
	b.known = true
	b.max = ts.MaximumAvailable
	b.available = min(ts.CurrentlyAvailable, ts.MaximumAvailable)
	b.rate = ts.RestoreRate
	b.at = now
}

// refill is the time rate needs to restore points, rounded up to the
// millisecond so a wait never ends a hair too early.
func refill(points, rate float64) time.Duration {
	ms := math.Ceil(points / rate * 1000)
	return time.Duration(ms) * time.Millisecond
}

// ThrottleWait is the time Shopify's bucket needs to hold requested points
// again after a THROTTLED answer: (requested − currentlyAvailable) /
// restoreRate, at least zero.
func ThrottleWait(c Cost) time.Duration {
	need := c.RequestedQueryCost - c.ThrottleStatus.CurrentlyAvailable
	if need <= 0 || c.ThrottleStatus.RestoreRate <= 0 {
		return 0
	}
	return refill(need, c.ThrottleStatus.RestoreRate)
}

// Stats counts what the client sent and what it cost. Points are the
// actual query costs Shopify reported.
type Stats struct {
	Requests        int           // GraphQL requests sent, throttled ones included
	Throttled       int           // answers with THROTTLED or HTTP 429
	PointsRequested float64       // sum of requestedQueryCost
	PointsUsed      float64       // sum of actualQueryCost
	Waited          time.Duration // time spent waiting for the bucket
	// MaximumAvailable and RestoreRate are the bucket as last reported.
	MaximumAvailable float64
	RestoreRate      float64
}

// pacer is the cost-based rate limiting middleware: it reads
// extensions.cost on every response into the bucket model, waits before a
// request until the bucket holds what the request is expected to cost, and
// resends a request that was throttled (THROTTLED with HTTP 200, or 429)
// after the computed refill time. A throttled request did not run, so
// resending it is safe whatever it is.
type pacer struct {
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	attempts int // sends of one request at most, throttled ones included

	mu    sync.Mutex
	b     bucket
	costs map[[32]byte]float64 // requestedQueryCost by query shape
	worst float64              // the highest requested cost seen, for unknown shapes
	stats Stats
}

func newPacer(now func() time.Time, sleep func(context.Context, time.Duration) error, attempts int) *pacer {
	return &pacer{now: now, sleep: sleep, attempts: max(attempts, 1), costs: make(map[[32]byte]float64)}
}

// costHint is the context key of a request's expected cost.
type costHint struct{}

// withCost tells the pacer what a request of a shape it has not seen yet
// is expected to cost; once Shopify has answered one, its own figure
// counts.
func withCost(ctx context.Context, points int) context.Context {
	return context.WithValue(ctx, costHint{}, float64(points))
}

// estimate returns the expected requested cost of a query shape: the
// last cost Shopify reported for it, else the caller's hint, else the
// highest seen for any query, so that a first query of a new shape is not
// throttled for being unknown.
func (p *pacer) estimate(ctx context.Context, shape [32]byte) float64 {
	if c, ok := p.costs[shape]; ok {
		return c
	}
	if h, ok := ctx.Value(costHint{}).(float64); ok {
		return h
	}
	return p.worst
}

// reserve waits until the bucket holds cost points and takes them off the
// model. It returns the points reserved, to be released by settle.
func (p *pacer) reserve(ctx context.Context, shape [32]byte) (float64, error) {
	for {
		p.mu.Lock()
		cost := p.estimate(ctx, shape)
		wait := p.b.wait(p.now(), cost)
		if wait <= 0 {
			p.b.inflight += cost
			p.mu.Unlock()
			return cost, nil
		}
		p.stats.Waited += wait
		p.mu.Unlock()
		if err := p.sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
}

// settle releases a reservation and takes in what the response said.
func (p *pacer) settle(reserved float64, shape [32]byte, c *Cost, throttled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.b.inflight = max(p.b.inflight-reserved, 0)
	p.stats.Requests++
	if throttled {
		p.stats.Throttled++
	}
	if c == nil {
		return
	}
	p.b.observe(p.now(), c.ThrottleStatus)
	if c.RequestedQueryCost > 0 {
		p.costs[shape] = c.RequestedQueryCost
		p.worst = max(p.worst, c.RequestedQueryCost)
		p.stats.PointsRequested += c.RequestedQueryCost
	}
	if c.ActualQueryCost != nil {
		p.stats.PointsUsed += *c.ActualQueryCost
	}
	p.stats.MaximumAvailable = p.b.max
	p.stats.RestoreRate = p.b.rate
}

// Stats returns a copy of the counters.
func (p *pacer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// maxGraphQLBody bounds how much of a GraphQL response the pacer buffers;
// a page of 250 orders is far below it.
const maxGraphQLBody = 64 << 20

// envelope is what the pacer reads of a response: the error codes and the
// cost, not the data.
type envelope struct {
	Errors []struct {
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost *Cost `json:"cost"`
	} `json:"extensions"`
}

func (e *envelope) throttled() bool {
	for _, er := range e.Errors {
		if er.Extensions.Code == "THROTTLED" {
			return true
		}
	}
	return false
}

// middleware returns the pacer as transport middleware.
func (p *pacer) middleware() transport.Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return transport.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			return p.roundTrip(next, req)
		})
	}
}

func (p *pacer) roundTrip(next http.RoundTripper, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	body, err := readRequestBody(req)
	if err != nil {
		return nil, err
	}
	shape := queryShape(body)
	for attempt := 1; ; attempt++ {
		reserved, err := p.reserve(ctx, shape)
		if err != nil {
			return nil, fmt.Errorf("shopify: waiting for the cost bucket: %w", err)
		}
		r := req.Clone(ctx)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
		resp, err := next.RoundTrip(r)
		if err != nil {
			p.settle(reserved, shape, nil, false)
			return nil, err
		}

		var env envelope
		if resp.StatusCode == http.StatusOK {
			data, rerr := io.ReadAll(io.LimitReader(resp.Body, maxGraphQLBody))
			resp.Body.Close()
			if rerr != nil {
				p.settle(reserved, shape, nil, false)
				return nil, kontor.NewError(kontor.KindRetryable, "shopify graphql", fmt.Errorf("reading the response: %w", rerr))
			}
			resp.Body = io.NopCloser(bytes.NewReader(data))
			resp.ContentLength = int64(len(data))
			_ = json.Unmarshal(data, &env) // a body that is no JSON is the client's to report
		}
		throttled := resp.StatusCode == http.StatusTooManyRequests || env.throttled()
		p.settle(reserved, shape, env.Extensions.Cost, throttled)
		if !throttled || attempt >= p.attempts {
			return resp, nil
		}

		wait := p.throttleWait(ctx, resp, env.Extensions.Cost, shape)
		drain(resp)
		p.mu.Lock()
		p.stats.Waited += wait
		p.mu.Unlock()
		if err := p.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("shopify: waiting after a throttle: %w", err)
		}
	}
}

// throttleWait is how long to wait after a throttled answer: the refill
// time of the points the request needs (from the answer's cost, or the
// model after a 429 without one), or a 429's Retry-After when longer.
func (p *pacer) throttleWait(ctx context.Context, resp *http.Response, c *Cost, shape [32]byte) time.Duration {
	var wait time.Duration
	if c != nil {
		wait = ThrottleWait(*c)
	} else {
		p.mu.Lock()
		wait = p.b.wait(p.now(), p.estimate(ctx, shape))
		p.mu.Unlock()
	}
	if ra, ok := transport.ParseRetryAfter(resp.Header.Get("Retry-After"), p.now()); ok && ra > wait {
		wait = ra
	}
	if wait <= 0 {
		wait = 100 * time.Millisecond // throttled with points to spare: the model is behind, look again soon
	}
	return wait
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// readRequestBody returns the request body, consuming it.
func readRequestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("shopify: reading the request body: %w", err)
	}
	return b, nil
}

// queryShape identifies a query by what decides its requested cost: the
// query text and its numeric variables (page sizes such as first and
// last); cursors and other values do not change the cost.
func queryShape(body []byte) [32]byte {
	var req struct {
		Query     string                     `json:"query"`
		Variables map[string]json.RawMessage `json:"variables"`
	}
	if json.Unmarshal(body, &req) != nil {
		return sha256.Sum256(body)
	}
	h := sha256.New()
	io.WriteString(h, req.Query)
	keys := make([]string, 0, len(req.Variables))
	for k, v := range req.Variables {
		if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		io.WriteString(h, "\x00"+k+"="+string(req.Variables[k]))
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}
