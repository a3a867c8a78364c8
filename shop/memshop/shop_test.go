package memshop_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
)

func outcomes(rs []kontor.Result) []kontor.Outcome {
	out := make([]kontor.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

// recorder collects events; a handler runs on the writer's goroutine.
type recorder struct {
	mu     sync.Mutex
	events []memshop.Event
}

func (r *recorder) handle(_ context.Context, ev memshop.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) take() []memshop.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func topics(evs []memshop.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Topic + " " + ev.Key
	}
	return out
}

func newShop() (*memshop.Shop, *recorder) {
	s := memshop.New(memshop.WithClock(ticking()))
	var r recorder
	s.OnEvent(r.handle)
	return s, &r
}

func TestCapabilities(t *testing.T) {
	caps := memshop.New(memshop.WithMaxBatch(kontor.EntityStock, 10)).Capabilities()
	assert.Equal(t, "memshop", caps.System)
	assert.Equal(t, []kontor.Entity{kontor.EntityProduct, kontor.EntityStock, kontor.EntityCustomer, kontor.EntityOrder,
		kontor.EntityReturn, kontor.EntityStatus}, caps.Reads)
	assert.Equal(t, []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityShipment,
		kontor.EntityStatus}, caps.Writes)
	assert.Equal(t, map[kontor.Entity]int{kontor.EntityProduct: 250, kontor.EntityPrice: 250, kontor.EntityStock: 10,
		kontor.EntityShipment: 1, kontor.EntityStatus: 1}, caps.MaxBatch)
	assert.Equal(t, []kontor.Entity{kontor.EntityProduct, kontor.EntityOrder, kontor.EntityReturn}, caps.Events)
}

func TestWriteProducts(t *testing.T) {
	ctx := context.Background()
	s, events := newShop()
	p1, p2 := kontortest.SampleProduct(1), kontortest.SampleProduct(2)
	p1.ERPKey = "ITEM-1"

	rs, err := s.WriteProducts(ctx, []kontor.Product{p1, p2})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created}, outcomes(rs))
	assert.Equal(t, "gid://memshop/Product/1", rs[0].Target.ShopKey)
	assert.Equal(t, "gid://memshop/Product/2", rs[1].Target.ShopKey)
	got, ok := s.Product(p1.SKU)
	require.True(t, ok)
	assert.Equal(t, "ITEM-1", got.ERPKey, "the ERP key is kept")
	assert.Equal(t, "gid://memshop/ProductVariant/1", got.Variants[0].ShopKey)
	assert.Equal(t, "gid://memshop/ProductVariant/2", got.Variants[1].ShopKey)
	assert.Equal(t, []string{"products/update SKU-000001", "products/update SKU-000002"}, topics(events.take()))

	// The same content, with the weight written as 0.200 and new Meta:
	// unchanged, no event, no new version.
	same := kontortest.SampleProduct(1)
	same.Weight.Value = decimal.RequireFromString("0.200")
	same.Meta = kontor.Meta{Version: 99, UpdatedAt: time.Now()}
	rs, err = s.WriteProducts(ctx, []kontor.Product{same})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Equal(t, got.Version, rs[0].Target.Version)
	assert.Empty(t, events.take())

	// Discontinued: updated and archived; the variants keep their IDs.
	gone := kontortest.SampleProduct(1)
	gone.Status = kontor.ProductDiscontinued
	gone.Variants = gone.Variants[1:]
	rs, err = s.WriteProducts(ctx, []kontor.Product{gone})
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Equal(t, "gid://memshop/Product/1", rs[0].Target.ShopKey)
	assert.True(t, s.Archived(p1.SKU))
	assert.False(t, s.Archived(p2.SKU))
	assert.False(t, s.Archived("unknown"))
	got, _ = s.Product(p1.SKU)
	assert.Equal(t, kontor.ProductDiscontinued, got.Status)
	assert.Equal(t, "gid://memshop/ProductVariant/2", got.Variants[0].ShopKey, "stable per variant SKU")
	evs := events.take()
	require.Len(t, evs, 1)
	assert.Equal(t, kontor.EntityProduct, evs[0].Entity)
	var payload kontor.Product
	require.NoError(t, json.Unmarshal(evs[0].Payload, &payload))
	assert.Equal(t, "gid://memshop/Product/1", payload.ShopKey, "the echo names the shop's key and version")
	assert.Equal(t, rs[0].Target.Version, payload.Version)

	active := kontortest.SampleProduct(1)
	_, err = s.WriteProducts(ctx, []kontor.Product{active})
	require.NoError(t, err)
	assert.False(t, s.Archived(p1.SKU), "written active again, it is unarchived")

	invalid := kontortest.SampleProduct(3)
	invalid.Variants[1].GTIN = "4006381333932"
	rs, err = s.WriteProducts(ctx, []kontor.Product{invalid})
	require.NoError(t, err)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[0].Err, &ve)
	assert.Equal(t, "variants[1].gtin", ve.Field)
	assert.Len(t, s.Products(), 2)
	assert.Equal(t, 5, s.Calls("WriteProducts"))
}

func TestWriteStockAndPrices(t *testing.T) {
	ctx := context.Background()
	s, events := newShop()
	main, store := kontortest.SampleStock(1), kontortest.SampleStock(1)
	store.Location = "STORE"
	store.Available = decimal.NewFromInt(1)
	rs, err := s.WriteStock(ctx, []kontor.StockLevel{main, store, main})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created, kontor.Unchanged}, outcomes(rs))
	assert.Equal(t, "gid://memshop/InventoryLevel/1", rs[0].Target.ShopKey)
	assert.Equal(t, "gid://memshop/InventoryLevel/1", rs[2].Target.ShopKey)
	got, ok := s.Stock(main.SKU, "STORE")
	require.True(t, ok)
	assert.True(t, got.Available.Equal(decimal.NewFromInt(1)))

	main.Available = main.Available.Add(decimal.NewFromInt(5))
	rs, err = s.WriteStock(ctx, []kontor.StockLevel{main})
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	_, ok = s.Stock(main.SKU, "")
	assert.False(t, ok, "the default location is another key")

	price := kontortest.SamplePrice(1)
	group := price
	group.CustomerGroup = "wholesale"
	rs, err = s.WritePrices(ctx, []kontor.Price{price, group, price})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created, kontor.Unchanged}, outcomes(rs))
	assert.Equal(t, []string{price.SKU, price.SKU + "@wholesale", price.SKU}, []string{rs[0].Key, rs[1].Key, rs[2].Key})
	gp, ok := s.Price(price.SKU, "wholesale")
	require.True(t, ok)
	assert.Equal(t, "gid://memshop/Price/2", gp.ShopKey)
	assert.Empty(t, events.take(), "stock and prices announce nothing")
}

func TestPlaceOrder(t *testing.T) {
	s, events := newShop()
	o1 := kontortest.SampleOrder(1)
	o1.Number = ""
	o1.PlacedAt = time.Time{}
	explicit := kontortest.SampleOrder(2)
	explicit.Number = "#1002"
	guest := kontortest.SampleOrder(3)
	guest.Number = ""
	guest.Customer = kontor.Customer{Type: kontor.B2C, LastName: "Guest"}
	again := kontortest.SampleOrder(1) // the same customer as o1
	again.Number = ""

	a := s.PlaceOrder(o1)
	b := s.PlaceOrder(explicit)
	c := s.PlaceOrder(guest)
	d := s.PlaceOrder(again)
	assert.Equal(t, []string{"#1001", "#1002", "#1003", "#1004"}, []string{a.Number, b.Number, c.Number, d.Number},
		"#1002 was taken, so the counter moves on")
	assert.Equal(t, "gid://memshop/Order/1", a.ShopKey)
	assert.Equal(t, "gid://memshop/LineItem/1", a.Lines[0].ShopKey)
	assert.Equal(t, "gid://memshop/LineItem/2", a.Lines[1].ShopKey)
	assert.Equal(t, a.UpdatedAt, a.PlacedAt, "placed now when not given")
	assert.Equal(t, "gid://memshop/Customer/1", a.Customer.ShopKey)
	assert.Equal(t, a.Customer.ShopKey, d.Customer.ShopKey, "the returning customer is matched")
	assert.Empty(t, c.Customer.ShopKey, "a guest stays a guest")
	assert.Len(t, s.Customers(), 2)
	assert.Equal(t, []string{"orders/create #1001", "orders/create #1002", "orders/create #1003", "orders/create #1004"},
		topics(events.take()))

	// An edit: same shop key, new version, orders/updated with the order.
	edited := a
	edited.Note = "please ring twice"
	e := s.PlaceOrder(edited)
	assert.Equal(t, a.ShopKey, e.ShopKey)
	assert.Greater(t, e.Version, a.Version)
	evs := events.take()
	require.Len(t, evs, 1)
	assert.Equal(t, "orders/updated", evs[0].Topic)
	var payload kontor.Order
	require.NoError(t, json.Unmarshal(evs[0].Payload, &payload))
	assert.Equal(t, "please ring twice", payload.Note)
	assert.Len(t, s.Orders(), 4)
	assert.NotEqual(t, evs[0].ID, "")

	var read []string
	for o, err := range s.ReadOrders(context.Background(), kontor.Cursor{Since: d.UpdatedAt}) {
		require.NoError(t, err)
		read = append(read, o.Number)
	}
	assert.Equal(t, []string{"#1004", "#1001"}, read, "the edit moved #1001 behind #1004")
}

func TestWriteShipments(t *testing.T) {
	ctx := context.Background()
	s := memshop.New(memshop.WithMaxBatch(kontor.EntityShipment, 5))
	var events recorder
	s.OnEvent(events.handle)
	o := s.PlaceOrder(kontortest.SampleOrder(1))
	events.take()

	part := kontortest.SampleShipment(o.Number, 1)
	part.Lines = []kontor.ShipmentLine{{SKU: o.Lines[0].SKU, Quantity: decimal.NewFromInt(1)}}
	orphan := kontortest.SampleShipment("#404", 2)
	rs, err := s.WriteShipments(ctx, []kontor.Shipment{part, orphan})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Failed}, outcomes(rs))
	assert.Equal(t, "gid://memshop/Fulfillment/1", rs[0].Target.ShopKey)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[1].Err))
	got, _ := s.Order(o.Number)
	assert.Equal(t, kontor.OrderPartiallyShipped, got.Status)
	assert.Equal(t, []string{"orders/updated " + o.Number}, topics(events.take()))

	rest := kontortest.SampleShipment(o.Number, 3)
	rest.Lines = []kontor.ShipmentLine{{SKU: o.Lines[0].SKU, Quantity: decimal.NewFromInt(1)}, {SKU: o.Lines[1].SKU, Quantity: decimal.NewFromInt(1)}}
	rs, err = s.WriteShipments(ctx, []kontor.Shipment{rest, part})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Unchanged}, outcomes(rs))
	got, _ = s.Order(o.Number)
	assert.Equal(t, kontor.OrderShipped, got.Status, "every line is covered now")
	assert.Len(t, events.take(), 1)

	shipments := s.Shipments(o.Number)
	require.Len(t, shipments, 2)
	assert.Equal(t, o.ShopKey, shipments[0].OrderKeys.ShopKey)
	assert.Equal(t, part.Number, shipments[0].Number)

	// The tracking number changed: updated, the order stays shipped.
	part.Tracking[0].Number = "NEW"
	rs, err = s.WriteShipments(ctx, []kontor.Shipment{part})
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Empty(t, events.take())

	other := s.PlaceOrder(kontortest.SampleOrder(2))
	stolen := kontortest.SampleShipment(other.Number, 1) // SHP-000001 is o's
	rs, err = s.WriteShipments(ctx, []kontor.Shipment{stolen})
	require.NoError(t, err)
	assert.ErrorIs(t, rs[0].Err, kontor.ErrConflict)
}

func TestReturnsCancellationsAndStatus(t *testing.T) {
	ctx := context.Background()
	s, events := newShop()
	_, err := s.RequestReturn(kontortest.SampleReturn("#404", 1))
	assert.ErrorIs(t, err, kontor.ErrNotFound)
	assert.ErrorIs(t, s.CancelOrder("#404"), kontor.ErrNotFound)

	o := s.PlaceOrder(kontortest.SampleOrder(1))
	r1 := kontortest.SampleReturn(o.Number, 1)
	r1.Number, r1.Status = "", ""
	a, err := s.RequestReturn(r1)
	require.NoError(t, err)
	b, err := s.RequestReturn(r1)
	require.NoError(t, err)
	assert.Equal(t, "#500001-R1", a.Number)
	assert.Equal(t, "#500001-R2", b.Number)
	assert.Equal(t, kontor.ReturnRequested, a.Status)
	assert.Equal(t, o.ShopKey, a.OrderKeys.ShopKey)
	assert.Equal(t, "gid://memshop/Return/1", a.ShopKey)
	_, err = s.RequestReturn(a) // the same return again: an update
	require.NoError(t, err)
	assert.Equal(t, []string{"orders/create #500001", "returns/request #500001-R1", "returns/request #500001-R2",
		"returns/update #500001-R1"}, topics(events.take()))
	assert.Len(t, s.Returns(), 2)

	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	rs, err := s.WriteStatusUpdates(ctx, []kontor.StatusUpdate{{OrderNumber: o.Number, PaymentStatus: kontor.PaymentRefunded,
		ReturnNumber: a.Number, ReturnStatus: kontor.ReturnRefunded, Source: kontor.SideERP, At: at}})
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Equal(t, o.ShopKey, rs[0].Target.ShopKey)
	assert.Equal(t, []string{"orders/updated #500001", "returns/update #500001-R1"}, topics(events.take()))
	rs, err = s.WriteStatusUpdates(ctx, []kontor.StatusUpdate{{OrderNumber: o.Number, PaymentStatus: kontor.PaymentRefunded,
		Source: kontor.SideERP, At: at}})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	rs, err = s.WriteStatusUpdates(ctx, []kontor.StatusUpdate{{OrderNumber: "#404", OrderStatus: kontor.OrderShipped,
		Source: kontor.SideERP, At: at}})
	require.NoError(t, err)
	assert.ErrorIs(t, rs[0].Err, kontor.ErrNotFound)
	_, err = s.WriteStatusUpdates(ctx, make([]kontor.StatusUpdate, 2))
	assert.ErrorIs(t, err, kontor.ErrPermanent, "one status change per call")
	assert.Empty(t, events.take())

	var reported []kontor.StatusUpdate
	read := func() {
		reported = nil
		for u, err := range s.ReadStatusUpdates(ctx, kontor.Cursor{}) {
			require.NoError(t, err)
			reported = append(reported, u)
		}
	}
	read()
	assert.Empty(t, reported, "written status changes are not reported back")

	require.NoError(t, s.CancelOrder(o.Number))
	require.NoError(t, s.CancelOrder(o.Number), "cancelling twice changes nothing")
	assert.Equal(t, []string{"orders/cancelled #500001"}, topics(events.take()))
	read()
	require.Len(t, reported, 1)
	assert.Equal(t, kontor.OrderCancelled, reported[0].OrderStatus)
	assert.Equal(t, kontor.SideShop, reported[0].Source)
	assert.Equal(t, o.ShopKey, reported[0].ShopKey)
	require.NoError(t, reported[0].Validate())
}

// TestHandlersMayCallTheShop proves events come after the lock is
// released: a handler reads the order it is told about.
func TestHandlersMayCallTheShop(t *testing.T) {
	s := memshop.New()
	var seen []kontor.OrderStatus
	s.OnEvent(func(_ context.Context, ev memshop.Event) {
		if o, ok := s.Order(ev.Key); ok {
			seen = append(seen, o.Status)
		}
	})
	o := s.PlaceOrder(kontortest.SampleOrder(1))
	require.NoError(t, s.CancelOrder(o.Number))
	assert.Equal(t, []kontor.OrderStatus{kontor.OrderProcessing, kontor.OrderCancelled}, seen)
}

func TestEventsAfterFailureMidway(t *testing.T) {
	ctx := context.Background()
	s, events := newShop()
	s.FailAfter(1, kontor.NewError(kontor.KindRetryable, "test", errors.New("reset")))
	_, err := s.WriteProducts(ctx, []kontor.Product{kontortest.SampleProduct(1), kontortest.SampleProduct(2)})
	require.Error(t, err)
	assert.Equal(t, []string{"products/update SKU-000001"}, topics(events.take()), "what was stored is announced")

	keyed := kontor.WithIdempotencyKeys(ctx, []string{"k1", "k2"})
	rs, err := s.WriteProducts(keyed, []kontor.Product{kontortest.SampleProduct(1), kontortest.SampleProduct(2)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Created}, outcomes(rs))
	rs, err = s.WriteProducts(keyed, []kontor.Product{kontortest.SampleProduct(1), kontortest.SampleProduct(2)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Created}, outcomes(rs), "replayed from the keys")
	assert.Equal(t, []string{"products/update SKU-000002"}, topics(events.take()))
	assert.Equal(t, 3, s.Requests())
}

func TestReadFailureAndDelay(t *testing.T) {
	ctx := context.Background()
	s := memshop.New(memshop.WithPageSize(1))
	s.PlaceOrder(kontortest.SampleOrder(1))
	s.PlaceOrder(kontortest.SampleOrder(2))
	boom := kontor.NewError(kontor.KindRateLimited, "test", errors.New("throttled"))
	var got []string
	var gotErr error
	for o, err := range s.ReadOrders(ctx, kontor.Cursor{}) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, o.Number)
		s.FailNextRead(1, boom) // the second page fails
	}
	assert.Equal(t, []string{"#500001"}, got)
	assert.Same(t, boom, gotErr)
	assert.Equal(t, 2, s.Calls("ReadOrders"))

	s.Delay(time.Hour)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	for _, err := range s.ReadOrders(tctx, kontor.Cursor{}) {
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	}
}
