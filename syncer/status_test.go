package syncer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Events routes a connector's event to the flows reading from it: the
// payload to its entity's flow, a bare hint to related flows, nothing to
// flows of other connectors.
func TestEventsRoutesByConnectorAndEntity(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	for i := range 2 {
		_, err := erp.PutProduct(kontortest.SampleProduct(i))
		require.NoError(t, err)
	}
	s := syncer.New(store.NewMemory())
	require.NoError(t, s.Add(
		syncer.Products(erp, shop),
		syncer.Orders(shop, erp),
	))
	_, err := s.SyncAll(ctx)
	require.NoError(t, err)

	o := kontortest.SampleOrder(1)
	payload, err := json.Marshal(o)
	require.NoError(t, err)
	fromShop := s.Events(shop)
	require.NoError(t, fromShop(ctx, kontor.Event{ID: "d-1", Topic: "orders/create", Entity: kontor.EntityOrder, Key: o.Number, Payload: payload}))
	require.NoError(t, fromShop(ctx, kontor.Event{ID: "d-1", Topic: "orders/create", Entity: kontor.EntityOrder, Key: o.Number, Payload: payload}), "a repeat is acknowledged")
	require.NoError(t, fromShop(ctx, kontor.Event{ID: "d-2", Topic: "customers/update", Entity: kontor.EntityCustomer}), "no flow: dropped, acknowledged")

	rep, err := s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created, "the order came from the event payload")
	require.Len(t, erp.Orders(), 1)
	rep, err = s.ProcessEvents(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Read, "a shop event does not reach a flow reading the ERP")
}

// Rate-limit waits on a run's behalf land in its report and in Status.
func TestWaitsAreCounted(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New(memshop.WithMaxBatch(kontor.EntityProduct, 1))
	for i := range 4 {
		_, err := erp.PutProduct(kontortest.SampleProduct(i))
		require.NoError(t, err)
	}
	s := syncer.New(store.NewMemory())
	lim := rate.NewLimiter(rate.Every(15*time.Millisecond), 1)
	require.NoError(t, s.Add(syncer.Products(erp, shop, syncer.Use(syncer.RateLimit(lim)))))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Created)
	assert.Equal(t, 3, rep.Waits, "four batches of one, one token at hand")
	assert.GreaterOrEqual(t, rep.Waited, 30*time.Millisecond)

	st := s.Status()
	require.Len(t, st, 1)
	assert.Equal(t, "products", st[0].Name)
	assert.Equal(t, 3, st[0].Totals.Waits)
	assert.Equal(t, 4, st[0].LastSweep.Created)
	assert.Equal(t, 1, st[0].Runs)
	assert.False(t, st[0].Running)
	assert.Empty(t, st[0].LastError)
}

// A flow that fails as a whole shows why in Status, until it succeeds.
func TestStatusKeepsLastError(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	_, err := erp.PutProduct(kontortest.SampleProduct(0))
	require.NoError(t, err)
	s := syncer.New(store.NewMemory())
	require.NoError(t, s.Add(syncer.Products(erp, shop)))
	v0 := s.StatusVersion()
	erp.FailNextRead(1, kontor.NewError(kontor.KindUnauthorized, "memerp", nil))
	_, err = s.Sync(ctx, "products")
	require.Error(t, err)
	assert.Contains(t, s.Status()[0].LastError, "unauthorized")
	assert.Greater(t, s.StatusVersion(), v0)
	_, err = s.Sync(context.WithoutCancel(ctx), "products")
	require.NoError(t, err)
	assert.Empty(t, s.Status()[0].LastError)
	assert.Equal(t, 1, s.Status()[0].Totals.Created)
}

// Where routes: a flow moves only the items it accepts, from sweeps and
// from events alike, and a Where of the wrong type fails at Add.
func TestWhere(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	for i := range 4 {
		_, err := erp.PutProduct(kontortest.SampleProduct(i))
		require.NoError(t, err)
	}
	even := func(p *kontor.Product) bool {
		return p.SKU == kontortest.SampleProduct(0).SKU || p.SKU == kontortest.SampleProduct(2).SKU
	}
	s := syncer.New(store.NewMemory())
	require.NoError(t, s.Add(syncer.Products(erp, shop, syncer.Where(even))))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Created)
	assert.Len(t, shop.Products(), 2)

	p3, err := json.Marshal(kontortest.SampleProduct(3))
	require.NoError(t, err)
	require.NoError(t, s.Notify(ctx, "products", kontor.Event{ID: "e-3", Payload: p3}))
	rep, err = s.ProcessEvents(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Created+rep.DeadLettered, "an event for an item left out is handled, not written")
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Empty(t, dls)

	bad := syncer.New(store.NewMemory())
	err = bad.Add(syncer.Products(erp, shop, syncer.Where(func(*kontor.Order) bool { return true })))
	require.ErrorContains(t, err, "Where takes")
}

// Stock for a product the shop does not have yet waits as a mapping dead
// letter and is written by itself once the products flow links a product.
func TestDependentNotFoundWaitsForLink(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	_, err := erp.PutProduct(kontortest.SampleProduct(0))
	require.NoError(t, err)
	level := kontortest.SampleStock(0)
	_, err = erp.PutStock(level)
	require.NoError(t, err)
	s := syncer.New(store.NewMemory(), syncer.WithRetry(syncer.RetryPolicy{Attempts: 1}))
	require.NoError(t, s.Add(syncer.Stock(erp, shop), syncer.Products(erp, shop)))

	shop.FailKey(level.Key(), kontor.NewError(kontor.KindNotFound, "memshop", nil))
	rep, err := s.Sync(ctx, "stock")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.DeadLettered)
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, store.ClassMapping, dls[0].Class, "not found in the shop yet: waits for a link")

	shop.FailKey(level.Key(), nil)
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
	assert.Equal(t, 1, rep.Replayed, "the new product link replays the waiting stock")
	_, ok := shop.Stock(level.SKU, level.Location)
	assert.True(t, ok)
	dls, err = s.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Empty(t, dls)
}

// A bare hint (no key, no payload) announces a change without naming it:
// what the sweep it starts writes is not counted as missed.
func TestBareHintAnnouncesTheSweep(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	s := syncer.New(store.NewMemory())
	require.NoError(t, s.Add(syncer.Stock(erp, shop)))
	_, err := erp.PutStock(kontortest.SampleStock(9))
	require.NoError(t, err)
	_, err = s.Sync(ctx, "stock") // the initial load
	require.NoError(t, err)
	for i := range 3 {
		_, err := erp.PutStock(kontortest.SampleStock(i))
		require.NoError(t, err)
	}
	require.NoError(t, s.Notify(ctx, "stock", kontor.Event{ID: "n-1", Topic: "stockLevels/updated"}))
	rep, err := s.Sync(ctx, "stock")
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Created)
	assert.Equal(t, 0, rep.Missed)

	_, err = erp.PutStock(kontortest.SampleStock(3))
	require.NoError(t, err)
	rep, err = s.Sync(ctx, "stock")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Missed, "the hint was used up by the sweep before")
}

// An item that a sweep writes after it failed leaves the dead letters: its
// old payload must not be replayed over the newer one.
func TestWrittenItemLeavesTheDeadLetters(t *testing.T) {
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	p := kontortest.SampleProduct(0)
	_, err := erp.PutProduct(p)
	require.NoError(t, err)
	s := syncer.New(store.NewMemory(), syncer.WithRetry(syncer.RetryPolicy{Attempts: 1}))
	require.NoError(t, s.Add(syncer.Products(erp, shop)))
	shop.FailKey(p.SKU, kontor.NewError(kontor.KindPermanent, "memshop", nil))
	_, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	require.Len(t, dls, 1)

	shop.FailKey(p.SKU, nil)
	p.Title = "Changed at the source"
	_, err = erp.PutProduct(p)
	require.NoError(t, err)
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
	dls, err = s.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Empty(t, dls, "the written item's dead letter is gone")
}
