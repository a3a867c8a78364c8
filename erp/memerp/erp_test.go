package memerp_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
)

func outcomes(rs []kontor.Result) []kontor.Outcome {
	out := make([]kontor.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func skus(t *testing.T, e *memerp.ERP, since kontor.Cursor) []string {
	t.Helper()
	var out []string
	for p, err := range e.ReadProducts(context.Background(), since) {
		require.NoError(t, err)
		out = append(out, p.SKU)
	}
	return out
}

func TestCapabilities(t *testing.T) {
	e := memerp.New(memerp.WithMaxBatch(kontor.EntityOrder, 5), memerp.WithMaxBatch(kontor.EntityReturn, 0))
	caps := e.Capabilities()
	assert.Equal(t, "memerp", caps.System)
	assert.Equal(t, []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityCustomer,
		kontor.EntityShipment, kontor.EntityStatus}, caps.Reads)
	assert.Equal(t, []kontor.Entity{kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityReturn, kontor.EntityStatus}, caps.Writes)
	assert.Equal(t, 5, caps.BatchSize(kontor.EntityOrder))
	assert.Equal(t, 1, caps.BatchSize(kontor.EntityReturn), "below 1 is 1")
	assert.Equal(t, 100, caps.BatchSize(kontor.EntityCustomer))
	assert.Empty(t, caps.Events)
	assert.Equal(t, 100, memerp.New().PageSize())
	caps.MaxBatch[kontor.EntityOrder] = 999
	assert.Equal(t, 5, e.Capabilities().BatchSize(kontor.EntityOrder), "callers get a copy")
}

func TestPutProductKeysAndVersions(t *testing.T) {
	e := memerp.New(memerp.WithClock(ticking()))
	a, err := e.PutProduct(kontortest.SampleProduct(1))
	require.NoError(t, err)
	b, err := e.PutProduct(kontortest.SampleProduct(2))
	require.NoError(t, err)
	assert.Equal(t, "ITEM-000001", a.ERPKey)
	assert.Equal(t, "ITEM-000002", b.ERPKey)
	assert.Equal(t, int64(1), a.Version)
	assert.Equal(t, t0.Add(time.Millisecond), a.UpdatedAt)

	p := kontortest.SampleProduct(1)
	p.Title = "Renamed"
	p.ERPKey = "ignored for a known item"
	a2, err := e.PutProduct(p)
	require.NoError(t, err)
	assert.Equal(t, "ITEM-000001", a2.ERPKey, "an item keeps its key")
	assert.Equal(t, int64(3), a2.Version, "one version counter for the whole ERP")

	given := kontortest.SampleProduct(3)
	given.ERPKey = "1000"
	c, err := e.PutProduct(given)
	require.NoError(t, err)
	assert.Equal(t, "1000", c.ERPKey, "a new item keeps a given key")

	_, err = e.PutProduct(kontor.Product{Title: "no SKU"})
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "sku", ve.Field)
	_, err = e.PutStock(kontor.StockLevel{})
	assert.ErrorIs(t, err, kontor.ErrValidation)
	_, err = e.PutPrice(kontor.Price{})
	assert.ErrorIs(t, err, kontor.ErrValidation)

	// SKU-000002 is oldest now: the renamed SKU-000001 moved behind it.
	assert.Equal(t, []string{"SKU-000002", "SKU-000001", "SKU-000003"}, skus(t, e, kontor.Cursor{}))
	assert.Equal(t, []string{"SKU-000001", "SKU-000003"}, skus(t, e, kontor.Cursor{Since: a2.UpdatedAt}))
	assert.Equal(t, []string{"SKU-000001", "SKU-000003"}, skus(t, e, kontor.Cursor{Since: a2.UpdatedAt, Token: "not used"}))
	assert.Zero(t, e.Calls("WriteProducts"), "seeding is no request")
	assert.Equal(t, 3, e.Calls("ReadProducts"))
}

func TestReadReturnsCopies(t *testing.T) {
	e := memerp.New()
	_, err := e.PutProduct(kontortest.SampleProduct(1))
	require.NoError(t, err)
	for p, err := range e.ReadProducts(context.Background(), kontor.Cursor{}) {
		require.NoError(t, err)
		p.Variants[0].SKU = "changed"
		p.Weight.Unit = "g"
	}
	for p, err := range e.ReadProducts(context.Background(), kontor.Cursor{}) {
		require.NoError(t, err)
		assert.Equal(t, "SKU-000001-S", p.Variants[0].SKU)
		assert.Equal(t, "kg", p.Weight.Unit)
	}
}

func TestWriteOrdersChecksBeforeCreate(t *testing.T) {
	ctx := context.Background()
	e := memerp.New(memerp.WithClock(ticking()), memerp.WithMaxBatch(kontor.EntityOrder, 4))
	bad := kontortest.SampleOrder(3)
	bad.Lines[0].Tax.Amount = bad.Lines[0].Tax.Amount.Add(decimal.NewFromInt(5))

	rs, err := e.WriteOrders(ctx, []kontor.Order{kontortest.SampleOrder(1), kontortest.SampleOrder(2), bad, kontortest.SampleOrder(1)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created, kontor.Failed, kontor.Unchanged}, outcomes(rs),
		"the duplicate within the batch is found too")
	assert.Equal(t, "SO-000001", rs[0].Target.ERPKey)
	assert.Equal(t, "SO-000002", rs[1].Target.ERPKey)
	assert.Equal(t, "SO-000001", rs[3].Target.ERPKey)
	assert.Equal(t, "#500003", rs[2].Key)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[2].Err, &ve)
	assert.Equal(t, "lines[0].gross", ve.Field)

	// A changed order with a known number is found and left as it was.
	changed := kontortest.SampleOrder(2)
	changed.Note = "edited"
	rs, err = e.WriteOrders(ctx, []kontor.Order{changed})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	o, ok := e.Order("#500002")
	require.True(t, ok)
	assert.Empty(t, o.Note)
	assert.Equal(t, "SO-000002", o.ERPKey)
	assert.Len(t, e.Orders(), 2)

	_, err = e.WriteOrders(ctx, make([]kontor.Order, 5))
	assert.ErrorIs(t, err, kontor.ErrPermanent, "a batch over MaxBatch")
	assert.Equal(t, 3, e.Calls("WriteOrders"))
	assert.Equal(t, 3, e.Requests())
}

func TestWriteOrdersRetryAfterFailureMidway(t *testing.T) {
	ctx := context.Background()
	e := memerp.New()
	batch := []kontor.Order{kontortest.SampleOrder(1), kontortest.SampleOrder(2), kontortest.SampleOrder(3)}

	// Without idempotency keys the number finds the stored orders.
	e.FailAfter(2, kontor.NewError(kontor.KindRetryable, "test", errors.New("connection reset")))
	_, err := e.WriteOrders(ctx, batch)
	require.True(t, kontor.IsRetryable(err))
	assert.Len(t, e.Orders(), 2, "the first two were committed")
	rs, err := e.WriteOrders(ctx, batch)
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Unchanged, kontor.Created}, outcomes(rs))
	assert.Len(t, e.Orders(), 3)

	// With keys the retry gets the first attempt's results back.
	keyed := kontor.WithIdempotencyKeys(ctx, []string{"idem-4", "idem-5"})
	batch = []kontor.Order{kontortest.SampleOrder(4), kontortest.SampleOrder(5)}
	e.FailAfter(1, kontor.NewError(kontor.KindRetryable, "test", errors.New("timeout")))
	_, err = e.WriteOrders(keyed, batch)
	require.Error(t, err)
	rs, err = e.WriteOrders(keyed, batch)
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created}, outcomes(rs), "item 0 is the recorded first result")
	assert.Equal(t, "SO-000004", rs[0].Target.ERPKey)
	assert.Equal(t, "SO-000005", rs[1].Target.ERPKey)
	assert.Len(t, e.Orders(), 5)
}

func TestFaultHooks(t *testing.T) {
	ctx := context.Background()
	e := memerp.New()
	down := kontor.NewError(kontor.KindRetryable, "test", errors.New("503"))
	e.FailNext(1, down)
	_, err := e.WriteOrders(ctx, []kontor.Order{kontortest.SampleOrder(1)})
	assert.Same(t, down, err)
	assert.Empty(t, e.Orders())

	locked := kontor.NewError(kontor.KindConflict, "test", errors.New("record locked"))
	e.FailKey("#500002", locked)
	rs, err := e.WriteOrders(ctx, []kontor.Order{kontortest.SampleOrder(1), kontortest.SampleOrder(2)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Failed}, outcomes(rs))
	assert.ErrorIs(t, rs[1].Err, kontor.ErrConflict)
	e.FailKey("#500002", nil)

	_, err = e.PutProduct(kontortest.SampleProduct(1))
	require.NoError(t, err)
	e.FailNextRead(1, down)
	for _, err := range e.ReadProducts(ctx, kontor.Cursor{}) {
		assert.Same(t, down, err)
	}
	assert.Equal(t, []string{"SKU-000001"}, skus(t, e, kontor.Cursor{}))

	e.Delay(time.Hour)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = e.WriteOrders(tctx, []kontor.Order{kontortest.SampleOrder(2)})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	e.Delay(0)
	assert.Equal(t, 3, e.Calls("WriteOrders"), "the delayed call counts")
	assert.Equal(t, 2, e.Calls("ReadProducts"))
	assert.Equal(t, 5, e.Requests())
}

func TestWriteCustomersMatching(t *testing.T) {
	ctx := context.Background()
	e := memerp.New()
	guest := kontor.Customer{Type: kontor.B2C, Email: "Guest@Example.com", LastName: "Guest", Meta: kontor.Meta{ShopKey: "gid://shop/Customer/1"}}
	known := kontortest.SampleCustomer(1)

	rs, err := e.WriteCustomers(ctx, []kontor.Customer{guest, known})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created}, outcomes(rs))
	assert.Equal(t, "gid://shop/Customer/1", rs[0].Key, "the key is the caller's")
	assert.Equal(t, "CUST-000001", rs[0].Target.ERPKey)
	cs := e.Customers()
	require.Len(t, cs, 2)
	assert.Equal(t, "CUST-000001", cs[0].Number, "a customer without a number gets its key")
	assert.Equal(t, "C000001", cs[1].Number)

	// The same guest again, by shop key; by e-mail in other case; by number.
	byShopKey := kontor.Customer{Type: kontor.B2C, LastName: "Guest", Email: "guest@example.com", Meta: kontor.Meta{ShopKey: "gid://shop/Customer/1"}}
	byEmail := kontor.Customer{Type: kontor.B2C, LastName: "Guest", Email: "GUEST@example.com"}
	renamed := kontortest.SampleCustomer(1)
	renamed.LastName = "Renamed"
	rs, err = e.WriteCustomers(ctx, []kontor.Customer{guest, byShopKey, byEmail, renamed, known})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Updated, kontor.Updated, kontor.Updated, kontor.Updated}, outcomes(rs))
	for _, r := range rs[:3] {
		assert.Equal(t, "CUST-000001", r.Target.ERPKey)
	}
	assert.Len(t, e.Customers(), 2, "nobody was created twice")

	rs, err = e.WriteCustomers(ctx, []kontor.Customer{{Type: "consumer", LastName: "X"}})
	require.NoError(t, err)
	assert.Equal(t, kontor.Failed, rs[0].Outcome)
	assert.ErrorIs(t, rs[0].Err, kontor.ErrValidation)

	seeded := e.PutCustomer(kontor.Customer{Type: kontor.B2B, Company: "ERP only GmbH"})
	assert.Equal(t, "CUST-000003", seeded.ERPKey)
	assert.Equal(t, "CUST-000003", seeded.Number)
}

func TestWriteReturnsAndStatus(t *testing.T) {
	ctx := context.Background()
	e := memerp.New()
	order := kontortest.SampleOrder(1)
	ret := kontortest.SampleReturn(order.Number, 1)
	orphan := kontortest.SampleReturn("#404", 2)

	rs, err := e.WriteReturns(ctx, []kontor.Return{ret})
	require.NoError(t, err)
	assert.ErrorIs(t, rs[0].Err, kontor.ErrNotFound, "the order has not arrived yet")

	_, err = e.WriteOrders(ctx, []kontor.Order{order})
	require.NoError(t, err)
	rs, err = e.WriteReturns(ctx, []kontor.Return{ret, orphan, ret})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Failed, kontor.Unchanged}, outcomes(rs))
	assert.Equal(t, "CN-000001", rs[0].Target.ERPKey)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[1].Err))
	stored := e.Returns()
	require.Len(t, stored, 1)
	assert.Equal(t, "CN-000001", stored[0].CreditNote)
	assert.Equal(t, "SO-000001", stored[0].OrderKeys.ERPKey)

	received := ret
	received.Status = kontor.ReturnReceived
	rs, err = e.WriteReturns(ctx, []kontor.Return{received})
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Equal(t, "CN-000001", rs[0].Target.ERPKey)

	at := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	updates := []kontor.StatusUpdate{
		{OrderNumber: order.Number, OrderStatus: kontor.OrderCancelled, Source: kontor.SideShop, At: at},
		{OrderNumber: order.Number, PaymentStatus: kontor.PaymentPaid, Source: kontor.SideShop, At: at},
		{OrderNumber: order.Number, ReturnNumber: ret.Number, ReturnStatus: kontor.ReturnRefunded, Source: kontor.SideShop, At: at},
		{OrderNumber: "#404", OrderStatus: kontor.OrderCancelled, Source: kontor.SideShop, At: at},
		{OrderNumber: "#500002", ReturnNumber: ret.Number, ReturnStatus: kontor.ReturnClosed, Source: kontor.SideShop, At: at},
		{OrderNumber: order.Number, Source: kontor.SideShop, At: at},
	}
	rs, err = e.WriteStatusUpdates(ctx, updates)
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Updated, kontor.Unchanged, kontor.Updated, kontor.Failed, kontor.Failed, kontor.Failed}, outcomes(rs))
	assert.Equal(t, "SO-000001", rs[0].Target.ERPKey)
	assert.ErrorIs(t, rs[3].Err, kontor.ErrNotFound)
	assert.ErrorIs(t, rs[4].Err, kontor.ErrNotFound, "the order of that number does not exist")
	assert.ErrorIs(t, rs[5].Err, kontor.ErrValidation)
	o, _ := e.Order(order.Number)
	assert.Equal(t, kontor.OrderCancelled, o.Status)
	assert.Equal(t, kontor.ReturnRefunded, e.Returns()[0].Status)

	var reported int
	for _, err := range e.ReadStatusUpdates(ctx, kontor.Cursor{}) {
		require.NoError(t, err)
		reported++
	}
	assert.Zero(t, reported, "written status changes are not reported back")
}

func TestShipAndSetOrderStatus(t *testing.T) {
	ctx := context.Background()
	e := memerp.New(memerp.WithClock(ticking()))
	_, err := e.Ship("#404", kontor.Tracking{Number: "T"}, "DHL")
	assert.ErrorIs(t, err, kontor.ErrNotFound)
	_, err = e.SetOrderStatus("#404", kontor.OrderOnHold, "")
	assert.ErrorIs(t, err, kontor.ErrNotFound)

	order := kontortest.SampleOrder(1)
	order.ShopKey = "gid://shop/Order/1"
	_, err = e.WriteOrders(ctx, []kontor.Order{order})
	require.NoError(t, err)
	_, err = e.SetOrderStatus(order.Number, "lost", "")
	assert.ErrorIs(t, err, kontor.ErrValidation)

	u, err := e.SetOrderStatus(order.Number, kontor.OrderOnHold, "credit check")
	require.NoError(t, err)
	assert.Equal(t, kontor.StatusUpdate{Meta: u.Meta, OrderNumber: order.Number, OrderStatus: kontor.OrderOnHold,
		Source: kontor.SideERP, At: u.UpdatedAt, Reason: "credit check"}, u)
	assert.Equal(t, "SO-000001", u.ERPKey)
	assert.Equal(t, "gid://shop/Order/1", u.ShopKey)

	s, err := e.Ship(order.Number, kontor.Tracking{Number: "00340434", URL: "https://t.example.com/00340434"}, "DHL")
	require.NoError(t, err)
	assert.Equal(t, "SHIP-000001", s.Number)
	assert.Equal(t, s.Number, s.ERPKey)
	assert.Equal(t, kontor.Meta{ERPKey: "SO-000001", ShopKey: "gid://shop/Order/1"}, s.OrderKeys)
	assert.Equal(t, []kontor.Tracking{{Number: "00340434", URL: "https://t.example.com/00340434"}}, s.Tracking)
	assert.Equal(t, s.UpdatedAt, s.ShippedAt)
	require.NoError(t, s.Validate())
	o, _ := e.Order(order.Number)
	assert.Equal(t, kontor.OrderShipped, o.Status)

	var got []kontor.StatusUpdate
	for u, err := range e.ReadStatusUpdates(ctx, kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, u)
	}
	require.Len(t, got, 1, "the latest status per order")
	assert.Equal(t, kontor.OrderShipped, got[0].OrderStatus)
	assert.Greater(t, got[0].Version, s.Version)

	var shipped []kontor.Shipment
	for s, err := range e.ReadShipments(ctx, kontor.Cursor{}) {
		require.NoError(t, err)
		shipped = append(shipped, s)
	}
	assert.Equal(t, []kontor.Shipment{s}, shipped)
	assert.Equal(t, shipped, e.Shipments())
}

func TestAccessorsReturnCopies(t *testing.T) {
	e := memerp.New()
	_, err := e.WriteOrders(context.Background(), []kontor.Order{kontortest.SampleOrder(1)})
	require.NoError(t, err)
	o := e.Orders()[0]
	o.Lines[0].SKU = "changed"
	got, _ := e.Order(o.Number)
	got.Lines[1].SKU = "changed too"
	again, _ := e.Order(o.Number)
	assert.Equal(t, kontortest.SampleOrder(1).Lines, again.Lines)
}

// TestConcurrentWrites has several goroutines deliver the same orders at
// once, as duplicate webhooks do: each order is created exactly once.
func TestConcurrentWrites(t *testing.T) {
	e := memerp.New(memerp.WithPageSize(5))
	const workers, orders = 8, 40
	var mu sync.Mutex
	created := make(map[string]int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range orders {
				rs, err := e.WriteOrders(context.Background(), []kontor.Order{kontortest.SampleOrder((i + w) % orders)})
				if !assert.NoError(t, err) {
					return
				}
				if rs[0].Outcome == kontor.Created {
					mu.Lock()
					created[rs[0].Key]++
					mu.Unlock()
				}
				if _, err := e.PutProduct(kontortest.SampleProduct(i)); !assert.NoError(t, err) {
					return
				}
			}
		})
		wg.Go(func() {
			for _, err := range e.ReadProducts(context.Background(), kontor.Cursor{}) {
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Len(t, created, orders)
	for k, n := range created {
		assert.Equal(t, 1, n, "order %s created %d times", k, n)
	}
	assert.Len(t, e.Orders(), orders)
	assert.Len(t, skus(t, e, kontor.Cursor{}), orders)
	assert.Equal(t, workers*orders, e.Calls("WriteOrders"))
}

func Example() {
	ctx := context.Background()
	erp := memerp.New()
	if _, err := erp.PutStock(kontortest.SampleStock(1)); err != nil {
		fmt.Println(err)
		return
	}
	for s, err := range erp.ReadStock(ctx, kontor.Cursor{}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(s.ERPKey, s.Key(), s.Available)
	}
	rs, err := erp.WriteOrders(ctx, []kontor.Order{kontortest.SampleOrder(1), kontortest.SampleOrder(1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs {
		fmt.Println(r.Key, r.Outcome, r.Target.ERPKey)
	}
	// Output:
	// STOCK-000001 SKU-000001-S@MAIN 4
	// #500001 created SO-000001
	// #500001 unchanged SO-000001
}
