package shopify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/transport"
)

// simClock is simulated time shared by the fake and the client: the
// client's waits move it on at once, and the fake's bucket refills by it.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func newSimClock() *simClock { return &simClock{now: time.Now().UTC()} }

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return nil
}

// newSimShop is newShop on simulated time with a standard plan's bucket.
func newSimShop(t testing.TB, opts ...shopify.Option) (*shopifytest.Server, *shopify.Client, *simClock) {
	t.Helper()
	clk := newSimClock()
	srv, c := newShop(t, []shopifytest.Option{shopifytest.WithClock(clk.Now)}, append([]shopify.Option{shopify.WithClock(clk.Now, clk.Sleep)}, opts...)...)
	return srv, c, clk
}

func addSamples(t testing.TB, srv *shopifytest.Server, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		_, err := srv.AddProduct(fakeProduct(kontortest.SampleProduct(i)))
		require.NoError(t, err)
	}
}

func TestFaultThrottledMidSync(t *testing.T) {
	srv, c, clk := newSimShop(t)
	addSamples(t, srv, 0, 300)
	levels := make([]kontor.StockLevel, 300)
	for i := range levels {
		levels[i] = kontortest.SampleStock(i)
	}
	rs := mustSucceed(t)(c.WriteStock(bg, levels[:150]))
	assert.Equal(t, kontor.Updated, rs[0].Outcome)

	// Another app of the same shop drains the bucket: the client's model
	// says there are points, Shopify says THROTTLED.
	srv.SetBucketAvailable(0)
	start := clk.Now()
	rs = mustSucceed(t)(c.WriteStock(bg, levels[150:]))
	for i, r := range rs {
		want := kontor.Updated
		if levels[150+i].Available.IntPart() == 100 { // what the shop had
			want = kontor.Unchanged
		}
		assert.Equal(t, want, r.Outcome, r.Key)
	}
	st := c.Stats()
	assert.Equal(t, 1, st.Throttled, "one throttle, then the client paces by the reported bucket")
	assert.Equal(t, int64(1), srv.Stats().Throttled)
	assert.Greater(t, clk.Now().Sub(start), 5*time.Second, "it waited for the refill")
	for i := range 300 {
		want := int(levels[i].Available.IntPart())
		require.Equal(t, want, srv.Available(levels[i].SKU, "Main"), "level %d written once, to its value", i)
	}

	// A read throttled in its middle goes on where it was.
	seed(t, srv, 12)
	var n int
	for _, err := range c.ReadOrders(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		n++
		if n == 5 {
			srv.SetBucketAvailable(0)
		}
	}
	assert.Equal(t, 12, n, "every order once")
	assert.Equal(t, 2, c.Stats().Throttled)
}

func TestFault5xx(t *testing.T) {
	srv, c, _ := newSimShop(t)
	addSamples(t, srv, 0, 3)

	// A read is retried.
	srv.FailNext(2, http.StatusServiceUnavailable)
	var n int
	for _, err := range c.ReadProducts(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n)
	assert.Equal(t, int64(2), srv.Stats().Faults)

	// A stock write (idempotent: it carries a key) is retried.
	srv.FailNext(1, http.StatusBadGateway)
	mustSucceed(t)(c.WriteStock(bg, []kontor.StockLevel{kontortest.SampleStock(0)}))
	assert.Equal(t, int(kontortest.SampleStock(0).Available.IntPart()), srv.Available(kontortest.SampleStock(0).SKU, "Main"))

	// A fulfillment is not resent blindly: the batch fails retryable, and
	// the engine's retry creates it once.
	placeOrders(t, srv, []kontor.Order{kontortest.SampleOrder(0)})
	order := kontortest.SampleOrder(0).Number
	ship := kontortest.SampleShipment(order, 0)
	srv.FailNext(5, http.StatusInternalServerError)
	_, err := c.WriteShipments(bg, []kontor.Shipment{ship})
	require.Error(t, err)
	assert.True(t, kontor.IsRetryable(err), "%v", err)
	rs := mustSucceed(t)(c.WriteShipments(bg, []kontor.Shipment{ship}))
	assert.Equal(t, kontor.Created, rs[0].Outcome)
	assert.Len(t, srv.Fulfillments(order), 1)
}

// dropOnce is a transport that loses the answer to the first request
// whose body contains match, after the server has handled it.
type dropOnce struct {
	match   string
	dropped atomic.Bool
}

func (d *dropOnce) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && strings.Contains(string(body), d.match) && d.dropped.CompareAndSwap(false, true) {
		resp.Body.Close()
		return nil, fmt.Errorf("read tcp: %w", io.ErrUnexpectedEOF)
	}
	return resp, err
}

func TestFaultLostAnswers(t *testing.T) {
	// The stock write is resent with the same idempotency key: Shopify
	// answers the resend with the first result, the stock is set once.
	drop := &dropOnce{match: "inventorySetQuantities"}
	srv, c, _ := newSimShop(t, shopify.WithTransport(drop))
	addSamples(t, srv, 0, 2)
	levels := []kontor.StockLevel{kontortest.SampleStock(0), kontortest.SampleStock(1)}
	ctx := kontor.WithIdempotencyKeys(bg, []string{"a", "b"})
	rs := mustSucceed(t)(c.WriteStock(ctx, levels))
	require.True(t, drop.dropped.Load())
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	// Locations, the read by SKU, the lost write and its resend: no stale
	// compare, no re-read.
	assert.Equal(t, 4, c.Stats().Requests)
	assert.Equal(t, int(levels[1].Available.IntPart()), srv.Available(levels[1].SKU, "Main"))

	// The fulfillment is not resent; the engine's retry of the batch finds
	// it by its tracking number.
	drop2 := &dropOnce{match: "fulfillmentCreate"}
	srv2, c2, _ := newSimShop(t, shopify.WithTransport(drop2))
	placeOrders(t, srv2, []kontor.Order{kontortest.SampleOrder(1)})
	ship := kontortest.SampleShipment(kontortest.SampleOrder(1).Number, 1)
	_, err := c2.WriteShipments(bg, []kontor.Shipment{ship})
	require.Error(t, err)
	assert.True(t, kontor.IsRetryable(err))
	rs = mustSucceed(t)(c2.WriteShipments(bg, []kontor.Shipment{ship}))
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome, "found, not shipped twice")
	assert.Len(t, srv2.Fulfillments(ship.OrderNumber), 1)
}

func TestFaultBulkFailed(t *testing.T) {
	srv, c, _ := newSimShop(t)
	addSamples(t, srv, 0, 4)
	srv.FailNextBulkOperation("INTERNAL_SERVER_ERROR")
	var n int
	err := c.BulkReadStock(bg, func(kontor.StockLevel) error { n++; return nil })
	var be *shopify.BulkError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, "FAILED", be.Status)
	assert.Equal(t, "INTERNAL_SERVER_ERROR", be.ErrorCode)
	assert.NotEmpty(t, be.PartialDataURL)
	assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
	assert.Zero(t, n, "nothing from a failed job")

	// The next run completes: 4 products × 2 variants, stocked at Main.
	var got []kontor.StockLevel
	require.NoError(t, c.BulkReadStock(bg, func(s kontor.StockLevel) error { got = append(got, s); return nil }))
	assert.Len(t, got, 8)
	assert.Equal(t, "MAIN", got[0].Location)
	assert.True(t, got[0].Available.Equal(decimal.NewFromInt(100)))
}

func TestFaultPartialData(t *testing.T) {
	srv, c, _ := newSimShop(t)
	seed(t, srv, 3)
	srv.FailField("customer", "Access denied for customer field.", "ACCESS_DENIED", 1)
	var ok int
	var errs []error
	for _, err := range c.ReadOrders(bg, kontor.Cursor{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ok++
	}
	require.Len(t, errs, 1, "the incomplete order ends the read")
	assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(errs[0]))
	assert.ErrorContains(t, errs[0], "customer")
	assert.Zero(t, ok, "the first order was the incomplete one: nothing half-read was yielded")
	n := 0
	for _, err := range c.ReadOrders(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3, n, "the read again is whole")
}

// webhookEndpoint serves the client's webhook handler and records events.
func webhookEndpoint(t *testing.T, srv *shopifytest.Server, c *shopify.Client) (*httptest.Server, *events) {
	t.Helper()
	evs := &events{}
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets([]byte(srv.WebhookSecret())), evs.handle)
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs, evs
}

type events struct {
	mu   sync.Mutex
	list []kontor.Event
}

func (e *events) handle(_ context.Context, ev kontor.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
	return nil
}

func (e *events) get() []kontor.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]kontor.Event(nil), e.list...)
}

func TestFaultWebhookReplayAndForgery(t *testing.T) {
	srv, c := newShop(t, nil)
	hs, evs := webhookEndpoint(t, srv, c)
	ids, err := c.Subscribe(bg, hs.URL, shopify.Topics...)
	require.NoError(t, err)
	assert.Len(t, ids, len(shopify.Topics))
	assert.Len(t, srv.WebhookSubscriptions(), len(shopify.Topics))

	placeOrders(t, srv, []kontor.Order{kontortest.SampleOrder(3)})
	require.NoError(t, srv.WaitForWebhooks(bg))
	var created []kontor.Event
	for _, ev := range evs.get() {
		if ev.Topic == "orders/create" {
			created = append(created, ev)
		}
	}
	require.Len(t, created, 1)
	assert.Equal(t, kontortest.SampleOrder(3).Number, created[0].Key)
	var o kontor.Order
	require.NotEmpty(t, created[0].Payload, "the order as Kontor JSON")
	require.NoError(t, json.Unmarshal(created[0].Payload, &o))
	assert.NoError(t, o.Validate(), "the webhook's order is consistent")
	assert.Equal(t, kontortest.SampleOrder(3).TotalGross.Amount.String(), o.TotalGross.Amount.String())
	before := len(evs.get())

	var orderDelivery shopifytest.Delivery
	for _, d := range srv.Deliveries() {
		if d.Topic == "orders/create" {
			orderDelivery = d
		}
	}
	d, err := srv.Redeliver(bg, orderDelivery.ID)
	require.NoError(t, err)
	assert.True(t, d.Delivered, "a replay is acknowledged")
	assert.Len(t, evs.get(), before, "and not handed on again")

	status, err := srv.SendForged(bg, hs.URL, "orders/create", orderDelivery.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Len(t, evs.get(), before)
}

// failMatching answers 500 to every request whose body contains match
// while on is set, before it reaches the shop.
type failMatching struct {
	match string
	on    atomic.Bool
}

func (f *failMatching) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	if f.on.Load() && strings.Contains(string(body), f.match) {
		return &http.Response{StatusCode: http.StatusInternalServerError, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(`{"errors":"Internal Server Error"}`)), Request: r}, nil
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestFaultFailsMidway writes batches whose second item meets a shop that
// keeps failing: the call fails retryable, and the same batch written
// again creates nothing twice.
func TestFaultFailsMidway(t *testing.T) {
	products := []kontor.Product{withoutWeight(kontortest.SampleProduct(1)), withoutWeight(kontortest.SampleProduct(2)), withoutWeight(kontortest.SampleProduct(3))}
	f := &failMatching{match: products[1].Title}
	f.on.Store(true)
	srv, c, _ := newSimShop(t, shopify.WithTransport(f))
	_, err := c.WriteProducts(bg, products)
	require.Error(t, err)
	assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
	assert.Len(t, srv.Products(), 1, "the first was written before the failure")
	f.on.Store(false)
	rs := mustSucceed(t)(c.WriteProducts(bg, products))
	assert.Equal(t, []kontor.Outcome{kontor.Updated, kontor.Created, kontor.Created}, []kontor.Outcome{rs[0].Outcome, rs[1].Outcome, rs[2].Outcome})
	assert.Len(t, srv.Products(), 3)

	customers := []kontor.Customer{kontortest.SampleCustomer(2), kontortest.SampleCustomer(3), kontortest.SampleCustomer(4)}
	f.match = customers[1].Company
	f.on.Store(true)
	_, err = c.WriteCustomers(bg, customers)
	require.Error(t, err)
	assert.True(t, kontor.IsRetryable(err))
	f.on.Store(false)
	rs = mustSucceed(t)(c.WriteCustomers(bg, customers))
	assert.Equal(t, []kontor.Outcome{kontor.Updated, kontor.Created, kontor.Created}, []kontor.Outcome{rs[0].Outcome, rs[1].Outcome, rs[2].Outcome})
	assert.Len(t, srv.Customers(), 2+1, "two consumers and the company's contact")
}
