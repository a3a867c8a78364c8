package memerp_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// ticking is a clock that moves one millisecond per reading, so every
// change has its own time.
func ticking() func() time.Time {
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Millisecond) }
}

// seed puts n of each entity the ERP reads: items, prices, stock,
// customers, and n orders, each shipped (a shipment and a status change).
func seed(t testing.TB, e *memerp.ERP, n int) {
	t.Helper()
	for i := range n {
		for _, err := range []error{
			second(e.PutProduct(kontortest.SampleProduct(i))),
			second(e.PutPrice(kontortest.SamplePrice(i))),
			second(e.PutStock(kontortest.SampleStock(i))),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		e.PutCustomer(kontortest.SampleCustomer(i))
	}
	orders := make([]kontor.Order, n)
	for i := range orders {
		orders[i] = kontortest.SampleOrder(i)
	}
	for chunk := range slices.Chunk(orders, e.Capabilities().BatchSize(kontor.EntityOrder)) {
		rs, err := e.WriteOrders(context.Background(), chunk)
		if err == nil {
			err = kontor.BatchErr(rs)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := e.Ship(kontortest.SampleOrder(i).Number, kontor.Tracking{Number: "TRK"}, "DHL"); err != nil {
			t.Fatal(err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestConformance(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		e := memerp.New(memerp.WithPageSize(10), memerp.WithClock(ticking()))
		return e, kontortest.Features{
			Seed:               func(t testing.TB, n int) { seed(t, e, n) },
			PageSize:           10,
			ReadsAreOrdered:    true,
			ChecksBeforeCreate: true,
		}
	})
}

// TestConformanceRealClock runs the suite with the wall clock, where
// changes can share a time, and small batches.
func TestConformanceRealClock(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		e := memerp.New(memerp.WithPageSize(7), memerp.WithMaxBatch(kontor.EntityOrder, 2))
		return e, kontortest.Features{
			Seed:               func(t testing.TB, n int) { seed(t, e, n) },
			PageSize:           7,
			ReadsAreOrdered:    true,
			ChecksBeforeCreate: true,
		}
	})
}
