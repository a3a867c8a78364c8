package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

var t0 = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

func TestBucketArithmetic(t *testing.T) {
	var b bucket
	assert.Zero(t, b.wait(t0, 500), "an unknown bucket holds nothing back")

	b.observe(t0, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 300, RestoreRate: 100})
	assert.Equal(t, 300.0, b.level(t0))
	assert.Zero(t, b.wait(t0, 300), "exactly enough")
	assert.Equal(t, 2*time.Second, b.wait(t0, 500), "200 missing points at 100/s")
	assert.Equal(t, time.Second, b.wait(t0.Add(time.Second), 500), "refilled 100 in a second")
	assert.Equal(t, 2000.0, b.level(t0.Add(time.Hour)), "capped at the maximum")
	assert.Equal(t, 17*time.Second, b.wait(t0, 5000), "a cost above the bucket waits for a full bucket")

	b.inflight = 250
	assert.Equal(t, 50.0, b.level(t0), "requests in flight hold their points")
	assert.Equal(t, 1500*time.Millisecond, b.wait(t0, 200))

	// The bucket's size and rate come from the answers, never assumed.
	b.observe(t0, ThrottleStatus{MaximumAvailable: 20000, CurrentlyAvailable: 0, RestoreRate: 1000})
	b.inflight = 0
	assert.Equal(t, 752*time.Millisecond, b.wait(t0, 752))

	b.observe(t0, ThrottleStatus{}) // an answer without a throttle status changes nothing
	assert.Equal(t, 1000.0, b.rate)
}

func TestThrottleWait(t *testing.T) {
	// The throttled answer of the facts file: 752 requested, 666 there, 50/s.
	var c Cost
	require.NoError(t, json.Unmarshal([]byte(`{"requestedQueryCost":752,"actualQueryCost":null,
		"throttleStatus":{"maximumAvailable":1000.0,"currentlyAvailable":666,"restoreRate":50.0}}`), &c))
	assert.Nil(t, c.ActualQueryCost)
	assert.Equal(t, 1720*time.Millisecond, ThrottleWait(c), "(752-666)/50 s")
	c.ThrottleStatus.CurrentlyAvailable = 800
	assert.Zero(t, ThrottleWait(c))
	assert.Equal(t, 334*time.Millisecond, refill(1, 3), "rounded up to the millisecond")
}

func TestQueryShape(t *testing.T) {
	a := queryShape([]byte(`{"query":"query($first:Int!){x}","variables":{"first":10,"after":"abc"}}`))
	b := queryShape([]byte(`{"query":"query($first:Int!){x}","variables":{"first":10,"after":"def"}}`))
	c := queryShape([]byte(`{"query":"query($first:Int!){x}","variables":{"first":20}}`))
	d := queryShape([]byte(`{"query":"query($first:Int!$levels:Int!){x}","variables":{"first":20,"levels":2}}`))
	e := queryShape([]byte(`{"query":"query($first:Int!$levels:Int!){x}","variables":{"first":20,"levels":3}}`))
	assert.Equal(t, a, b, "the cursor does not change the cost")
	assert.NotEqual(t, a, c, "the page size does")
	assert.NotEqual(t, d, e, "so does any count")
}

// costServer answers GraphQL requests from a script of answers: status,
// throttled or not, and the bucket it reports.
type costServer struct {
	mu      sync.Mutex
	answers []costAnswer
	seen    int
}

type costAnswer struct {
	status    int
	throttled bool
	requested float64
	available float64
	header    http.Header
}

func (s *costServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	a := s.answers[min(s.seen, len(s.answers)-1)]
	s.seen++
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Shopify-API-Version", DefaultAPIVersion)
	if a.status != 0 && a.status != 200 {
		w.WriteHeader(a.status)
		fmt.Fprint(w, `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`)
		return
	}
	cost := fmt.Sprintf(`"extensions":{"cost":{"requestedQueryCost":%g,"actualQueryCost":%s,"throttleStatus":{"maximumAvailable":2000.0,"currentlyAvailable":%g,"restoreRate":100.0}}}`,
		a.requested, map[bool]string{true: "null", false: fmt.Sprint(a.requested)}[a.throttled], a.available)
	if a.throttled {
		fmt.Fprintf(w, `{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}],%s}`, cost)
		return
	}
	fmt.Fprintf(w, `{"data":{"shop":{"currencyCode":"EUR"}},%s}`, cost)
}

func (s *costServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// fakeClock is a simulated clock: sleeping advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

func newTestClient(t *testing.T, h http.Handler, opts ...Option) (*Client, *fakeClock) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	clk := &fakeClock{now: t0}
	c, err := New("test-shop", "shpat_canary_token_0123456789abcdef", append([]Option{WithEndpoint(srv.URL),
		WithClock(clk.Now, clk.Sleep)}, opts...)...)
	require.NoError(t, err)
	return c, clk
}

func TestPacerRetriesThrottledAfterRefill(t *testing.T) {
	srv := &costServer{answers: []costAnswer{
		{throttled: true, requested: 752, available: 666},
		{requested: 752, available: 10},
	}}
	c, clk := newTestClient(t, srv)
	cur, err := c.shopCurrency(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "EUR", cur)
	assert.Equal(t, 2, srv.requests(), "the throttled request was sent again")
	require.Len(t, clk.sleeps, 1)
	assert.Equal(t, 860*time.Millisecond, clk.sleeps[0], "(752-666)/100 s")
	st := c.Stats()
	assert.Equal(t, 2, st.Requests)
	assert.Equal(t, 1, st.Throttled)
	assert.Equal(t, 752.0, st.PointsUsed, "the throttled request cost nothing")
	assert.Equal(t, 100.0, st.RestoreRate)
}

func TestPacerWaitsBeforeAnExpensiveRequest(t *testing.T) {
	srv := &costServer{answers: []costAnswer{{requested: 600, available: 100}}}
	c, clk := newTestClient(t, srv)
	ctx := context.Background()
	c.cfg.pageSize = 10
	_, err := c.shopCurrency(ctx) // learns the cost (600) and the bucket (100 left)
	require.NoError(t, err)
	c.currency = ""
	_, err = c.shopCurrency(ctx)
	require.NoError(t, err)
	require.Len(t, clk.sleeps, 1, "the second request waited for the bucket")
	assert.Equal(t, 5*time.Second, clk.sleeps[0], "500 missing points at 100/s")
	assert.Zero(t, c.Stats().Throttled)
}

func TestPacer429UsesRetryAfter(t *testing.T) {
	srv := &costServer{answers: []costAnswer{
		{status: 429, header: http.Header{"Retry-After": {"2.0"}}},
		{requested: 1, available: 1999},
	}}
	c, clk := newTestClient(t, srv)
	_, err := c.shopCurrency(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second}, clk.sleeps)
	assert.Equal(t, 1, c.Stats().Throttled)
}

func TestPacerGivesUpWithRateLimitedError(t *testing.T) {
	srv := &costServer{answers: []costAnswer{{throttled: true, requested: 10, available: 0}}}
	c, _ := newTestClient(t, srv)
	_, err := c.shopCurrency(context.Background())
	require.Error(t, err)
	assert.Equal(t, kontor.KindRateLimited, kontor.KindOf(err))
	assert.ErrorIs(t, err, kontor.ErrRetryable)
	assert.Equal(t, defaultThrottleTries, srv.requests())
}

func TestVersionFallbackIsReported(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/admin/api/2026-04/graphql.json", r.URL.Path)
		w.Header().Set("X-Shopify-API-Version", "2026-07")
		fmt.Fprint(w, `{"data":{"shop":{"currencyCode":"EUR"}}}`)
	})
	var logs strings.Builder
	c, _ := newTestClient(t, h, WithLogger(newTextLogger(&logs)))
	_, err := c.shopCurrency(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "2026-07", c.ServedVersion())
	assert.Contains(t, logs.String(), "API version fallback")
	assert.Equal(t, 1, strings.Count(logs.String(), "API version fallback"))

	strict, _ := newTestClient(t, h, WithStrictVersion())
	_, err = strict.shopCurrency(context.Background())
	var ve *VersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "2026-07", ve.Served)
	assert.ErrorIs(t, err, kontor.ErrPermanent)
}

func TestOptionsRefuseBadValues(t *testing.T) {
	for name, o := range map[string]Option{
		"old version":  WithAPIVersion("2025-10"),
		"bad version":  WithAPIVersion("2026-05"),
		"page size":    WithPageSize(251),
		"endpoint":     WithEndpoint("ftp://x"),
		"discontinued": WithDiscontinuedStatus("DELETED"),
		"metafield":    WithIdentityMetafield("k", "x"),
	} {
		_, err := New("shop", "token", o)
		assert.Error(t, err, name)
	}
	_, err := New("shop", "")
	assert.Error(t, err)
	c, err := New("my-shop", "token", WithAPIVersion("2026-07"))
	require.NoError(t, err)
	assert.Equal(t, "https://my-shop.myshopify.com/admin/api/2026-07/graphql.json", c.endpoint)
}
