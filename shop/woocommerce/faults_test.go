package woocommerce_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// simple is a product without variants.
func simple(i int) kontor.Product {
	p := kontortest.SampleProduct(i)
	p.Variants, p.Options, p.Tags = nil, nil, nil
	return p
}

func simples(from, n int) []kontor.Product {
	out := make([]kontor.Product, n)
	for k := range out {
		out[k] = simple(from + k)
	}
	return out
}

// A batch of 100 with 3 bad items: one kontor refuses before sending (no
// title), two the shop refuses inside its HTTP 200 answer. The other 97
// are created, in one request, and every failure names its item and kind.
func TestBatchWithThreeBadItems(t *testing.T) {
	c, srv := newShop(t, nil)
	batch := simples(0, 100)
	batch[10].Title = ""
	srv.RejectSKU(batch[40].SKU, "Invalid or duplicated SKU.")
	srv.RejectSKU(batch[77].SKU, "The product could not be saved.")

	rs, err := c.WriteProducts(t.Context(), batch)
	require.NoError(t, err)
	require.Len(t, rs, 100)
	failedAt := map[int]kontor.Kind{}
	for i, r := range rs {
		assert.Equal(t, batch[i].SKU, r.Key, "results line up with the batch")
		if r.Outcome == kontor.Failed {
			failedAt[i] = kontor.KindOf(r.Err)
			continue
		}
		assert.Equal(t, kontor.Created, r.Outcome, "item %d", i)
		assert.NotEmpty(t, r.Target.ShopKey)
	}
	assert.Equal(t, map[int]kontor.Kind{10: kontor.KindValidation, 40: kontor.KindValidation, 77: kontor.KindValidation}, failedAt)
	var ve *kontor.ValidationError
	require.True(t, errors.As(rs[10].Err, &ve))
	assert.Equal(t, "title", ve.Field)
	var ae *kontor.APIError
	require.True(t, errors.As(rs[40].Err, &ae))
	assert.Equal(t, "woocommerce_rest_product_not_created", ae.Code)
	assert.Equal(t, http.StatusBadRequest, ae.StatusCode)
	be := kontor.BatchErr(rs).(*kontor.BatchError)
	assert.Equal(t, []int{10, 40, 77}, be.Indexes())

	requests, items := srv.BatchWrites()
	assert.Equal(t, 1, requests, "99 valid items in one batch request")
	assert.Equal(t, 99, items)
	assert.Len(t, srv.Products(), 97)
}

// The shop answers 503 on the second of three batch requests (25 new
// products, batch limit 10). The call fails retryable; written again, the
// products of the first request are found by SKU and left alone, and
// nothing exists twice. The same when the shop did apply the failed
// request before answering 503.
func TestBatchFailingMidwayWrittenAgain(t *testing.T) {
	for _, applied := range []bool{false, true} {
		t.Run(fmt.Sprintf("applied=%v", applied), func(t *testing.T) {
			c, srv := newShop(t, nil, woocommerce.WithBatchLimit(10))
			opts := []woocommercetest.FaultOption{woocommercetest.OnRoute(http.MethodPost, "/products/batch"), woocommercetest.AfterSkipping(1)}
			if applied {
				opts = append(opts, woocommercetest.AfterApplying())
			}
			srv.FailNext(1, http.StatusServiceUnavailable, opts...)
			batch := simples(0, 25)

			_, err := c.WriteProducts(t.Context(), batch)
			require.Error(t, err)
			assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err), "%v", err)
			want := 10
			if applied {
				want = 20
			}
			assert.Len(t, srv.Products(), want, "creates are not resent by transport")

			rs, err := c.WriteProducts(t.Context(), batch)
			require.NoError(t, err)
			counts := map[kontor.Outcome]int{}
			for i, r := range rs {
				counts[r.Outcome]++
				if i < 10 {
					assert.Equal(t, kontor.Unchanged, r.Outcome, "item %d was written by the first call", i)
				}
			}
			assert.Equal(t, map[kontor.Outcome]int{kontor.Unchanged: want, kontor.Created: 25 - want}, counts)
			assert.Len(t, srv.Products(), 25, "nothing twice")

			// A third time: nothing to write, only the identity lookup.
			srv.ResetRequests()
			rs, err = c.WriteProducts(t.Context(), batch)
			require.NoError(t, err)
			for _, r := range rs {
				assert.Equal(t, kontor.Unchanged, r.Outcome)
			}
			requests, _ := srv.BatchWrites()
			assert.Zero(t, requests)
			assert.Equal(t, 1, srv.Count(http.MethodGet, "/products"), "25 SKUs looked up in one request")
		})
	}
}

// A shop that drops the Authorization header: the first request goes
// anonymous and is refused, the client repeats it with the keys in the
// query and stays with them.
func TestShopDropsAuthorizationHeader(t *testing.T) {
	srv := woocommercetest.New(woocommercetest.WithTLS(), woocommercetest.WithoutAuthorizationHeader())
	t.Cleanup(srv.Close)
	c, err := woocommerce.New(srv.URL(), srv.ConsumerKey(), srv.ConsumerSecret(),
		woocommerce.WithTransport(srv.Client().Transport), woocommerce.WithRate(100_000))
	require.NoError(t, err)
	require.Equal(t, woocommerce.AuthBasic, c.AuthMode())

	rs, err := c.WriteProducts(t.Context(), simples(0, 3))
	require.NoError(t, err)
	require.NoError(t, kontor.BatchErr(rs))
	assert.Equal(t, woocommerce.AuthQuery, c.AuthMode())
	var anonymous, query int
	for _, r := range srv.Requests() {
		switch {
		case r.Status == http.StatusUnauthorized:
			anonymous++
		case r.Query.Get("consumer_key") != "":
			query++
		}
	}
	assert.Equal(t, 1, anonymous, "one refused request, then the fallback")
	assert.Equal(t, len(srv.Requests())-1, query)
	assert.Len(t, srv.Products(), 3)
}

// While the orders are read in pages of 10, orders are placed and one
// already read is changed (BeforeList, before page 2). Every order that
// existed is read exactly once, none twice; the next sweep gets the rest.
func TestOrdersPageChangesWhileRead(t *testing.T) {
	clock := &stepClock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	c, srv := newShop(t, []woocommercetest.Option{woocommercetest.WithClock(clock.now)},
		woocommerce.WithPageSize(10), woocommerce.WithClock(clock.peek))
	_, err := srv.SeedProduct(woocommercetest.Product{Name: "Shirt", SKU: "SHIRT", RegularPrice: "10.00"})
	require.NoError(t, err)
	var ids []int64
	for range 25 {
		o, err := srv.SeedOrder(woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "SHIRT", Quantity: 1}}})
		require.NoError(t, err)
		ids = append(ids, o.ID)
	}
	var once sync.Once
	srv.BeforeList(func(route string, page int) {
		if route != "/orders" {
			return
		}
		n := 0
		for _, r := range srv.Requests() {
			if r.Route == "/orders" {
				n++
			}
		}
		if n != 1 { // the second list request is being answered
			return
		}
		once.Do(func() {
			_, err := srv.SetOrderStatus(context.Background(), ids[2], "completed")
			assert.NoError(t, err)
			for range 3 {
				_, err := srv.PlaceOrder(context.Background(), woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "SHIRT", Quantity: 1}}})
				assert.NoError(t, err)
			}
		})
	})
	seen := map[string]int{}
	var maxSeen time.Time
	for o, err := range c.ReadOrders(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		seen[o.Number]++
		if o.UpdatedAt.After(maxSeen) {
			maxSeen = o.UpdatedAt
		}
	}
	for _, id := range ids {
		assert.Equal(t, 1, seen[fmt.Sprint(id)], "order %d", id)
	}
	for n, k := range seen {
		assert.Equal(t, 1, k, "order %s read %d times", n, k)
	}
	// The engine's next sweep, from the latest change less its overlap.
	next := map[string]bool{}
	for o, err := range c.ReadOrders(t.Context(), kontor.Cursor{Since: maxSeen.Add(-time.Minute)}) {
		require.NoError(t, err)
		next[o.Number] = true
	}
	all := srv.Orders()
	require.Len(t, all, 28)
	for _, o := range all {
		assert.True(t, seen[o.Number] == 1 || next[o.Number], "order %s is read by one of the sweeps", o.Number)
	}
	assert.True(t, next[fmt.Sprint(ids[2])], "the order changed during the read comes with the next sweep")
}

// stepClock moves one second per reading, so every change has its own
// modification time.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

// peek reads the clock without moving it (OAuth timestamps).
func (c *stepClock) peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// The shop's webhooks against the handler: the activation ping is
// answered 200 and is no event, a placed order arrives as an event with
// the order, the same delivery again is dropped, a forged one is refused.
func TestWebhooksFromTheShop(t *testing.T) {
	c, srv := newShop(t, nil)
	var mu sync.Mutex
	var events []kontor.Event
	handler, err := c.WebhookHandler(func(context.Context) ([][]byte, error) {
		w := srv.Webhooks()
		if len(w) == 0 {
			return nil, nil
		}
		return [][]byte{[]byte(w[0].Secret)}, nil
	}, func(_ context.Context, ev kontor.Event) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
		return nil
	})
	require.NoError(t, err)
	hooks := httptest.NewServer(handler)
	t.Cleanup(hooks.Close)

	ctx := t.Context()
	wh, err := srv.AddWebhook(ctx, "order.created", hooks.URL, "")
	require.NoError(t, err, "the activation ping is answered 200")
	deliveries := srv.Deliveries()
	require.Len(t, deliveries, 1)
	assert.True(t, deliveries[0].Ping)
	assert.Equal(t, http.StatusOK, deliveries[0].Status)
	assert.Empty(t, events, "the ping is not handed on")

	_, err = srv.SeedProduct(woocommercetest.Product{Name: "Shirt", SKU: "SHIRT", RegularPrice: "10.00"})
	require.NoError(t, err)
	o, err := srv.PlaceOrder(ctx, woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "SHIRT", Quantity: 2}},
		Billing: woocommercetest.Address{Country: "DE", Email: "buyer@example.com", FirstName: "B", LastName: "Uyer"}})
	require.NoError(t, err)
	require.Len(t, events, 1)
	ev := events[0]
	assert.Equal(t, kontor.EntityOrder, ev.Entity)
	assert.Equal(t, "order.created", ev.Topic)
	assert.Equal(t, o.Number, ev.Key)
	assert.Contains(t, string(ev.Payload), `"sku":"SHIRT"`)

	last := srv.Deliveries()[len(srv.Deliveries())-1]
	status, err := srv.Replay(ctx, last)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "a duplicate is acknowledged")
	assert.Len(t, events, 1, "and not handed on again")

	status, err = srv.SendForged(ctx, wh.ID, "order.updated", last.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Len(t, events, 1)

	// A signed body that does not decode is still a hint: an event for
	// the entity without key or payload, so the flow reads the shop.
	status, err = srv.SendSigned(ctx, wh.ID, "order.updated", []byte(`{"id":`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status)
	require.Len(t, events, 2)
	assert.Equal(t, kontor.EntityOrder, events[1].Entity)
	assert.Empty(t, events[1].Key)
	assert.Empty(t, events[1].Payload)

	// WooCommerce disables a webhook after repeated failures; the client
	// turns it on again.
	require.NoError(t, srv.SetWebhookStatus(ctx, wh.ID, "disabled"))
	got, err := c.ReactivateWebhooks(ctx, hooks.URL)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "active", got[0].Status)
	w, _ := srv.Webhook(wh.ID)
	assert.Equal(t, "active", w.Status)
}

// A shipment written twice, and once interrupted after its note: one
// note, one tracking entry, the order completed.
func TestShipmentsNothingTwice(t *testing.T) {
	c, srv := newShop(t, nil)
	_, err := srv.SeedProduct(woocommercetest.Product{Name: "Shirt", SKU: "SHIRT", RegularPrice: "10.00"})
	require.NoError(t, err)
	o, err := srv.SeedOrder(woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "SHIRT", Quantity: 2}}})
	require.NoError(t, err)
	ship := kontortest.SampleShipment(o.Number, 1)

	srv.FailNext(5, http.StatusServiceUnavailable, woocommercetest.OnRoute(http.MethodPost, "/orders/batch"))
	_, err = c.WriteShipments(t.Context(), []kontor.Shipment{ship})
	require.Error(t, err, "the meta data write failed after the note")
	assert.Len(t, srv.OrderNotes(o.ID), 1)

	for _, want := range []kontor.Outcome{kontor.Created, kontor.Unchanged} {
		rs, err := c.WriteShipments(t.Context(), []kontor.Shipment{ship})
		require.NoError(t, err)
		require.Equal(t, want, rs[0].Outcome, "%v", rs[0].Err)
	}
	var ours []woocommercetest.OrderNote
	for _, n := range srv.OrderNotes(o.ID) {
		if strings.Contains(n.Note, "Shipment "+ship.Number+".") {
			ours = append(ours, n)
		}
	}
	require.Len(t, ours, 1, "the interrupted attempt's note is found, not added again")
	assert.Contains(t, ours[0].Note, ship.Tracking[0].Number)
	assert.True(t, ours[0].CustomerNote, "the shipment asks to notify the customer")
	items, ok := srv.OrderMeta(o.ID, woocommerce.MetaTrackingItems)
	require.True(t, ok)
	assert.Len(t, items, 1)
	got, _ := srv.Order(o.ID)
	assert.Equal(t, "completed", got.Status)
}
