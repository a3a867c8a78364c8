package kontortest_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
)

// numberingShop is a shop of WooCommerce's kind: it keeps prices only for
// products it sells, numbers orders itself (by id) and finds an order by
// the id in OrderKeys.ShopKey or by its own number, never by the number
// the order came with.
type numberingShop struct {
	mu       sync.Mutex
	catalog  map[string]bool
	prices   map[string]bool
	orders   map[string]kontor.OrderStatus // by id
	shipped  map[string]string             // shipment number → order id
	nextID   int
	byKeys   int      // status updates and shipments found by OrderKeys
	prepared []string // what PrepareCatalog was asked for, in order
}

func newNumberingShop() *numberingShop {
	return &numberingShop{catalog: map[string]bool{}, prices: map[string]bool{}, orders: map[string]kontor.OrderStatus{},
		shipped: map[string]string{}, nextID: 700}
}

func (s *numberingShop) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "numbering", Writes: []kontor.Entity{kontor.EntityPrice, kontor.EntityShipment, kontor.EntityStatus},
		MaxBatch: map[kontor.Entity]int{kontor.EntityPrice: 10, kontor.EntityShipment: 10, kontor.EntityStatus: 10}}
}

// place stores orders and returns them under their new numbers and ids.
func (s *numberingShop) place(orders []kontor.Order) []kontor.Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(orders)
	for i := range out {
		s.nextID++
		id := strconv.Itoa(s.nextID)
		s.orders[id] = out[i].Status
		out[i].Number, out[i].ShopKey = id, id
	}
	return out
}

// order finds an order by key, else by number; the caller holds mu.
func (s *numberingShop) order(number string, keys kontor.Meta) (string, bool) {
	if _, ok := s.orders[keys.ShopKey]; ok && keys.ShopKey != "" {
		s.byKeys++
		return keys.ShopKey, true
	}
	_, ok := s.orders[number]
	return number, ok
}

func write[T any](ctx context.Context, s *numberingShop, items []T, key func(*T) string, valid func(*T) error,
	apply func(*T) kontor.Result) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rs := make([]kontor.Result, len(items))
	for i := range items {
		it := &items[i]
		if err := valid(it); err != nil {
			rs[i] = kontor.Result{Outcome: kontor.Failed, Err: err}
		} else {
			rs[i] = apply(it)
		}
		rs[i].Key = key(it)
	}
	return rs, nil
}

func notFound(format string, args ...any) kontor.Result {
	return kontor.Result{Outcome: kontor.Failed, Err: kontor.NewError(kontor.KindNotFound, "numbering", fmt.Errorf(format, args...))}
}

func (s *numberingShop) WritePrices(ctx context.Context, prices []kontor.Price) ([]kontor.Result, error) {
	return write(ctx, s, prices, (*kontor.Price).Key, (*kontor.Price).Validate, func(p *kontor.Price) kontor.Result {
		if !s.catalog[p.SKU] {
			return notFound("no product has SKU %s", p.SKU)
		}
		outcome := kontor.Created
		if s.prices[p.SKU] {
			outcome = kontor.Unchanged
		}
		s.prices[p.SKU] = true
		return kontor.Result{Outcome: outcome, Target: kontor.Meta{ShopKey: "price/" + p.SKU}}
	})
}

func (s *numberingShop) WriteShipments(ctx context.Context, shipments []kontor.Shipment) ([]kontor.Result, error) {
	return write(ctx, s, shipments, (*kontor.Shipment).Key, (*kontor.Shipment).Validate, func(sh *kontor.Shipment) kontor.Result {
		id, ok := s.order(sh.OrderNumber, sh.OrderKeys)
		if !ok {
			return notFound("no order has number %s", sh.OrderNumber)
		}
		outcome := kontor.Created
		if s.shipped[sh.Number] == id {
			outcome = kontor.Unchanged
		}
		s.shipped[sh.Number] = id
		return kontor.Result{Outcome: outcome, Target: kontor.Meta{ShopKey: id + "/" + sh.Number}}
	})
}

func (s *numberingShop) WriteStatusUpdates(ctx context.Context, updates []kontor.StatusUpdate) ([]kontor.Result, error) {
	return write(ctx, s, updates, (*kontor.StatusUpdate).Key, (*kontor.StatusUpdate).Validate, func(u *kontor.StatusUpdate) kontor.Result {
		id, ok := s.order(u.OrderNumber, u.OrderKeys)
		if !ok {
			return notFound("no order has number %s", u.OrderNumber)
		}
		outcome := kontor.Updated
		if s.orders[id] == u.OrderStatus {
			outcome = kontor.Unchanged
		}
		s.orders[id] = u.OrderStatus
		return kontor.Result{Outcome: outcome, Target: kontor.Meta{ShopKey: id}}
	})
}

func (s *numberingShop) features() kontortest.Features {
	return kontortest.Features{
		PrepareCatalog: func(_ testing.TB, skus []string) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.prepared = append(s.prepared, skus...)
			for _, sku := range skus {
				s.catalog[sku] = true
			}
		},
		PlaceNumberedOrders: func(_ testing.TB, orders []kontor.Order) []kontor.Order { return s.place(orders) },
	}
}

// With PrepareCatalog and PlaceNumberedOrders, a shop that takes prices
// only for its products and knows orders only by its own numbers passes
// every write check; the shipments and status updates find their orders
// by the keys the hook returned, and carry the shop's numbers.
func TestHooksForNumberingShop(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		s := newNumberingShop()
		return s, s.features()
	})

	s := newNumberingShop()
	rec := runCheck(t, "write/status/aligned", s, s.features())
	require.False(t, rec.Failed(), rec.output())
	assert.Equal(t, 5, s.byKeys, "every update found its order by OrderKeys.ShopKey")

	s = newNumberingShop()
	rec = runCheck(t, "write/price/aligned", s, s.features())
	require.False(t, rec.Failed(), rec.output())
	want := []string{"SKU-000000-S", "SKU-000001-S", "SKU-000002-S", "SKU-000003-S", "SKU-000004-S"}
	assert.Equal(t, want, s.prepared, "the SKUs of the prices, before they were written")
}

// Without the hooks the same shop fails: prices for products it does not
// sell, updates for order numbers it never gave.
func TestHooksMissing(t *testing.T) {
	s := newNumberingShop()
	rec := runCheck(t, "write/price/aligned", s, kontortest.Features{})
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.output(), "no product has SKU SKU-000000-S")

	s = newNumberingShop()
	f := s.features()
	f.PlaceNumberedOrders = nil
	f.PlaceOrders = func(_ testing.TB, orders []kontor.Order) { s.place(orders) }
	rec = runCheck(t, "write/status/aligned", s, f)
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.output(), "no order has number #500000")
}

// A PlaceNumberedOrders that loses orders fails the check, naming the hook.
func TestPlaceNumberedOrdersMustReturnEach(t *testing.T) {
	s := newNumberingShop()
	f := s.features()
	f.PlaceNumberedOrders = func(_ testing.TB, orders []kontor.Order) []kontor.Order { return s.place(orders)[1:] }
	rec := runCheck(t, "write/shipment/aligned", s, f)
	assert.True(t, rec.Failed())
	assert.Contains(t, rec.output(), "PlaceNumberedOrders returned 4 orders for 5")
}
