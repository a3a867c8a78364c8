package memshop_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// ticking is a clock that moves one millisecond per reading.
func ticking() func() time.Time {
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Millisecond) }
}

// seed puts n of each entity the shop reads: products and stock written as
// an ERP would, n orders placed by n customers, a return of each, and a
// cancellation of each (a status change).
func seed(t testing.TB, s *memshop.Shop, n int) {
	t.Helper()
	ctx := context.Background()
	products := make([]kontor.Product, n)
	levels := make([]kontor.StockLevel, n)
	for i := range n {
		products[i], levels[i] = kontortest.SampleProduct(i), kontortest.SampleStock(i)
	}
	caps := s.Capabilities()
	for chunk := range slices.Chunk(products, caps.BatchSize(kontor.EntityProduct)) {
		mustSucceed(t)(s.WriteProducts(ctx, chunk))
	}
	for chunk := range slices.Chunk(levels, caps.BatchSize(kontor.EntityStock)) {
		mustSucceed(t)(s.WriteStock(ctx, chunk))
	}
	for i := range n {
		o := s.PlaceOrder(kontortest.SampleOrder(i))
		if _, err := s.RequestReturn(kontortest.SampleReturn(o.Number, i)); err != nil {
			t.Fatal(err)
		}
		if err := s.CancelOrder(o.Number); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSucceed(t testing.TB) func([]kontor.Result, error) {
	return func(rs []kontor.Result, err error) {
		t.Helper()
		if err == nil {
			err = kontor.BatchErr(rs)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func features(s *memshop.Shop, pageSize int) kontortest.Features {
	return kontortest.Features{
		Seed: func(t testing.TB, n int) { seed(t, s, n) },
		PlaceOrders: func(_ testing.TB, orders []kontor.Order) {
			for _, o := range orders {
				s.PlaceOrder(o)
			}
		},
		PageSize:        pageSize,
		ReadsAreOrdered: true,
	}
}

func TestConformance(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		s := memshop.New(memshop.WithPageSize(10), memshop.WithClock(ticking()))
		return s, features(s, 10)
	})
}

// TestConformanceBatches runs the suite with the wall clock and batches of
// several shipments and status changes.
func TestConformanceBatches(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		s := memshop.New(memshop.WithPageSize(6), memshop.WithMaxBatch(kontor.EntityShipment, 4),
			memshop.WithMaxBatch(kontor.EntityStatus, 3), memshop.WithMaxBatch(kontor.EntityProduct, 7))
		return s, features(s, 6)
	})
}
