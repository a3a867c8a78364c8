package businesscentral_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

// TestConformance runs the connector suite against the fake: reads over
// seeded items, customers and shipped orders, and writes of customers,
// orders and returns (the write checks find their items in place, as a
// shop's orders find the ERP's item master).
func TestConformance(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		srv := newFake(t, bctest.WithPageSize(10))
		if strings.Contains(t.Name(), "/write/") {
			putOrderItems(t, srv, bc.MaxBatchOperations+5)
		}
		c := connect(t, srv, bc.WithPageSize(10))
		return c, kontortest.Features{
			Seed:               func(t testing.TB, n int) { seed(t, srv, n) },
			PlaceOrders:        func(t testing.TB, orders []kontor.Order) { placeOrders(t, srv, orders) },
			PageSize:           10,
			ChecksBeforeCreate: true,
		}
	})
}

// hooked gives the suite its fault hooks, injecting the faults into the
// fake, so the kinds the suite checks come through the real wire: a 503
// or 429 on every attempt, a 401 for the request and its retry with a
// fresh token, a 409 Request_EntityChanged.
type hooked struct {
	*bc.Connector
	srv      *bctest.Server
	failKeys map[string]kontor.Kind
	after    int
	afterErr error
}

// faultFor returns the fault of an injected error's kind and how many
// requests it must fail to reach the caller through the retries.
func faultFor(err error) (bctest.Fault, int) {
	switch kontor.KindOf(err) {
	case kontor.KindRateLimited:
		return bctest.Fault{Status: 429}, fastRetry.MaxAttempts
	case kontor.KindUnauthorized:
		return bctest.Fault{Status: 401}, 2
	case kontor.KindConflict:
		return bctest.Fault{Status: 409}, 1
	}
	return bctest.Fault{Status: 503}, fastRetry.MaxAttempts
}

func (h *hooked) FailNext(n int, err error) {
	f, per := faultFor(err)
	h.srv.FailNext(n*per, f)
}

func (h *hooked) FailKey(key string, err error) {
	if err == nil {
		delete(h.failKeys, key)
		return
	}
	h.failKeys[key] = kontor.KindOf(err)
}

func (h *hooked) FailAfter(n int, err error) { h.after, h.afterErr = n, err }

// arm fails the lookup operation of each failing key in the write's first
// $batch: opsPer operations per item, in batch order.
func (h *hooked) arm(keys []string, opsPer int) {
	for i, k := range keys {
		if kind, ok := h.failKeys[k]; ok {
			f, _ := faultFor(kontor.NewError(kind, "hook", nil))
			h.srv.FailBatchOperation(i*opsPer, f)
		}
	}
}

// midway writes the first n items, then fails as the remote did.
func midway[T any](h *hooked, items []T, write func([]T) ([]kontor.Result, error)) ([]kontor.Result, error, bool) {
	if h.afterErr == nil {
		return nil, nil, false
	}
	n, err := h.after, h.afterErr
	h.afterErr = nil
	if _, werr := write(items[:min(n, len(items))]); werr != nil {
		return nil, werr, true
	}
	return nil, err, true
}

func (h *hooked) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	if rs, err, ok := midway(h, orders, func(os []kontor.Order) ([]kontor.Result, error) { return h.Connector.WriteOrders(ctx, os) }); ok {
		return rs, err
	}
	var keys []string
	for _, o := range orders {
		keys = append(keys, o.Key())
	}
	h.arm(keys, 1)
	return h.Connector.WriteOrders(ctx, orders)
}

func (h *hooked) WriteCustomers(ctx context.Context, custs []kontor.Customer) ([]kontor.Result, error) {
	if rs, err, ok := midway(h, custs, func(cs []kontor.Customer) ([]kontor.Result, error) { return h.Connector.WriteCustomers(ctx, cs) }); ok {
		return rs, err
	}
	var keys []string
	for _, c := range custs {
		keys = append(keys, c.Key())
	}
	h.arm(keys, 1)
	return h.Connector.WriteCustomers(ctx, custs)
}

func (h *hooked) WriteReturns(ctx context.Context, returns []kontor.Return) ([]kontor.Result, error) {
	if rs, err, ok := midway(h, returns, func(rs []kontor.Return) ([]kontor.Result, error) { return h.Connector.WriteReturns(ctx, rs) }); ok {
		return rs, err
	}
	var keys []string
	for _, r := range returns {
		keys = append(keys, r.Key())
	}
	h.arm(keys, 3)
	return h.Connector.WriteReturns(ctx, returns)
}

// TestConformanceFaults runs the suite's fault checks (injected errors,
// a failing item, a write failing midway) with the faults injected into
// the fake. The reads are covered by TestConformance.
func TestConformanceFaults(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		srv := newFake(t)
		if strings.Contains(t.Name(), "/write/") {
			putOrderItems(t, srv, 8)
		}
		c := connect(t, srv)
		return &hooked{Connector: c, srv: srv, failKeys: map[string]kontor.Kind{}}, kontortest.Features{
			PlaceOrders:        func(t testing.TB, orders []kontor.Order) { placeOrders(t, srv, orders) },
			ChecksBeforeCreate: true,
			MaxItems:           5,
		}
	})
}
