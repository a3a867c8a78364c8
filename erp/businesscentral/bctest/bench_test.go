package bctest_test

import (
	"fmt"
	"testing"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

// BenchmarkSalesOrderDeepInsert posts orders of 5 lines one request each.
func BenchmarkSalesOrderDeepInsert(b *testing.B) {
	srv := bctest.New(bctest.WithRateLimit(0, 0))
	defer srv.Close()
	seedItems(b, srv, 5)
	cust := seedCustomer(b, srv)
	a := newAPI(b, srv)
	lines := []map[string]any{}
	for i := 1; i <= 5; i++ {
		lines = append(lines, itemLine(itemNo(i), "1"))
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if r := a.do("POST", "salesOrders", orderBody(cust.Number, fmt.Sprint("B-", i), lines...)); r.status != 201 {
			b.Fatal(string(r.raw))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(srv.Requests())/float64(b.N), "requests/order")
}

// BenchmarkSalesOrderBatch posts the same orders 100 to a $batch with
// Isolation: snapshot.
func BenchmarkSalesOrderBatch(b *testing.B) {
	srv := bctest.New(bctest.WithRateLimit(0, 0))
	defer srv.Close()
	seedItems(b, srv, 5)
	cust := seedCustomer(b, srv)
	a := newAPI(b, srv)
	orders := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var ops []map[string]any
		for j := range 100 {
			body := orderBody(cust.Number, fmt.Sprintf("B-%d-%d", i, j))
			var lines []map[string]any
			for k := 1; k <= 5; k++ {
				lines = append(lines, itemLine(itemNo(k), "1"))
			}
			body["salesOrderLines"] = lines
			ops = append(ops, map[string]any{"id": fmt.Sprint(j), "method": "POST", "url": "companies(" + srv.CompanyID() + ")/salesOrders", "body": body,
				"headers": map[string]string{"Content-Type": "application/json"}})
		}
		status, out := a.batch(map[string]any{"requests": ops}, "Isolation", "snapshot")
		if status != 200 || len(out.Responses) != 100 || out.Responses[99].Status != 201 {
			b.Fatalf("batch: %d %v", status, statuses(out))
		}
		orders += 100
	}
	b.ReportMetric(float64(orders)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(srv.Requests())/float64(orders), "requests/order")
}
