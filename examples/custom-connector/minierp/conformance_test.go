package minierp_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/transport"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// ticking is a clock that moves one millisecond per reading, so every
// change in minierp has its own time.
func ticking() func() time.Time {
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Millisecond) }
}

// hooked is the connector as the suite sees it, with the suite's test
// hooks. They inject each failure at the server as the HTTP status of its
// kind, so it travels the wire and comes back through the connector's
// error mapping: the suite checks that mapping, not a shortcut.
type hooked struct {
	*minierp.Connector
	srv *minierptest.Server
}

func (h hooked) FailNext(n int, err error)     { h.srv.FailNext(n, statusOf(err)) }
func (h hooked) FailKey(key string, err error) { h.srv.FailKey(key, statusOf(err)) }
func (h hooked) FailAfter(n int, err error)    { h.srv.FailAfter(n, statusOf(err)) }
func (h hooked) Requests() int                 { return h.srv.Requests() }

// statusOf is the status minierp answers for a failure of err's kind; 0
// (no failure) for nil.
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	switch kontor.KindOf(err) {
	case kontor.KindRetryable:
		return http.StatusServiceUnavailable
	case kontor.KindRateLimited:
		return http.StatusTooManyRequests
	case kontor.KindUnauthorized:
		return http.StatusUnauthorized
	case kontor.KindConflict:
		return http.StatusConflict
	case kontor.KindNotFound:
		return http.StatusNotFound
	case kontor.KindValidation:
		return http.StatusUnprocessableEntity
	}
	return http.StatusBadRequest
}

// seedERP puts n articles, prices, stock levels and shipped orders into
// minierp, as its users would.
func seedERP(t testing.TB, srv *minierptest.Server, n int) {
	t.Helper()
	for i := range n {
		sku := fmt.Sprintf("SKU-%06d", i)
		srv.PutArticle(minierptest.Article{SKU: sku, Name: fmt.Sprintf("Shirt %d", i), Status: "active", WeightKg: "0.2",
			Variants: []minierptest.Variant{
				{SKU: sku + "-S", Options: []minierptest.VariantOption{{Name: "Size", Value: "S"}}},
				{SKU: sku + "-M", Options: []minierptest.VariantOption{{Name: "Size", Value: "M"}}},
			}})
		srv.PutPrice(minierptest.Price{SKU: sku + "-S", Currency: "EUR", Amount: "19.90", InclVAT: true})
		srv.PutStock(minierptest.Stock{SKU: sku + "-S", Warehouse: "MAIN", Available: "3", OnHand: "5", Reserved: "2"})
		o, err := srv.AddOrder(minierptest.Order{ExternalNumber: fmt.Sprintf("#%d", 900000+i), Currency: "EUR",
			OrderDate: t0, Customer: minierptest.OrderCustomer{Type: "person"}, BillTo: minierptest.Address{Country: "DE"}})
		require.NoError(t, err)
		_, err = srv.Ship(o.ExternalNumber, "DHL", minierptest.Tracking{Number: fmt.Sprintf("0034%010d", i)})
		require.NoError(t, err)
	}
}

// conformance runs the suite against a fresh minierp for every check.
// Retries are off, so an injected failure reaches the suite as it
// happened; TestRetryAfter and the tests after it cover the retries.
func conformance(t *testing.T, pageSize int, sopts ...minierptest.Option) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		srv := minierptest.New(append([]minierptest.Option{minierptest.WithRateLimit(0, 0),
			minierptest.WithRetryAfter(time.Millisecond)}, sopts...)...)
		t.Cleanup(srv.Close)
		conn, err := minierp.New(srv.URL(), srv.APIKey(), minierp.WithPageSize(pageSize), minierp.WithRate(2000),
			minierp.WithRetry(transport.RetryMaxAttempts(1)))
		require.NoError(t, err)
		return hooked{conn, srv}, kontortest.Features{
			Seed:               func(t testing.TB, n int) { seedERP(t, srv, n) },
			PageSize:           pageSize,
			ReadsAreOrdered:    true,
			ChecksBeforeCreate: true,
		}
	})
}

func TestConformance(t *testing.T) {
	conformance(t, 10, minierptest.WithClock(ticking()))
}

// TestConformanceRealClock runs the suite on the wall clock, where
// changes can share a time, with pages of 7.
func TestConformanceRealClock(t *testing.T) {
	conformance(t, 7)
}
