package businesscentral_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/kontortest"
)

// benchOrder returns order i with five lines of the items SKU-000000 …
// SKU-000004 and its own customer, net prices at 19 %.
func benchOrder(i int) kontor.Order {
	eur := func(s string) kontor.Money { return kontor.MustMoney(s, "EUR") }
	var lines []kontor.OrderLine
	net := decimal.Zero
	for k := range 5 {
		unit := decimal.NewFromInt(int64(10 + k))
		tax := unit.Mul(decimal.NewFromInt(19)).Shift(-2).Round(2)
		lines = append(lines, kontor.OrderLine{SKU: fmt.Sprintf("SKU-%06d", k), Title: fmt.Sprintf("Item %d", k),
			Quantity: decimal.NewFromInt(1), UnitPrice: eur(unit.String()), Net: eur(unit.String()),
			Tax: eur(tax.StringFixed(2)), Gross: eur(unit.Add(tax).StringFixed(2)), TaxRate: decimal.NewFromInt(19)})
		net = net.Add(unit)
	}
	var tax decimal.Decimal
	for _, l := range lines {
		tax = tax.Add(l.Tax.Amount)
	}
	c := kontortest.SampleCustomer(i)
	return kontor.Order{
		Number: fmt.Sprintf("#B%06d", i), PlacedAt: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Currency: "EUR",
		Customer: c, Billing: c.Addresses[0], Lines: lines,
		TotalNet: eur(net.String()), TotalTax: eur(tax.String()), TotalGross: eur(net.Add(tax).String()),
		Status: kontor.OrderProcessing, PaymentStatus: kontor.PaymentPaid,
	}
}

// BenchmarkTransferOrders writes 1,000 orders of 5 lines each into the
// fake, in batches of 100 (the connector's MaxBatch), with $batch and
// with one request per operation. Requests are paced for the benchmark
// far faster than the service allows; paced-orders/s is what the
// service's 19 requests per second allow for the requests counted.
func BenchmarkTransferOrders(b *testing.B) {
	const n = 1000
	orders := make([]kontor.Order, n)
	for i := range orders {
		orders[i] = benchOrder(i)
		require.NoError(b, orders[i].Validate())
	}
	for _, mode := range []struct {
		name string
		opts []bc.Option
	}{{"batch", nil}, {"single", []bc.Option{bc.WithoutBatching()}}} {
		b.Run(mode.name, func(b *testing.B) {
			var requests int
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				srv := newFake(b)
				putOrderItems(b, srv, 5)
				c := connect(b, srv, mode.opts...)
				_, err := c.CompanyID(b.Context())
				require.NoError(b, err)
				srv.ResetCounters()
				start := time.Now()
				b.StartTimer()
				for from := 0; from < n; from += bc.MaxBatchOperations {
					rs, err := c.WriteOrders(b.Context(), orders[from:from+bc.MaxBatchOperations])
					require.NoError(b, err)
					require.NoError(b, kontor.BatchErr(rs))
				}
				b.StopTimer()
				elapsed += time.Since(start)
				requests += srv.Requests()
				require.Len(b, srv.SalesOrders(), n)
				srv.Close()
			}
			perRun := float64(requests) / float64(b.N)
			b.ReportMetric(perRun, "requests/op")
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "orders/s")
			b.ReportMetric(n/(perRun/bc.DefaultRate), "paced-orders/s")
		})
	}
}
