package minierp_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
	"github.com/kontor-dev/kontor/kontortest"
)

// benchPair is a minierp without a rate limit and a connector that does
// not pace itself, so the numbers are the connector's and the wire's.
func benchPair(b *testing.B) (*minierptest.Server, *minierp.Connector) {
	srv := minierptest.New(minierptest.WithRateLimit(0, 0))
	b.Cleanup(srv.Close)
	conn, err := minierp.New(srv.URL(), srv.APIKey(), minierp.WithRate(1e6))
	if err != nil {
		b.Fatal(err)
	}
	return srv, conn
}

func BenchmarkReadProducts(b *testing.B) {
	const n = 1000
	srv, conn := benchPair(b)
	for i := range n {
		srv.PutArticle(minierptest.Article{SKU: fmt.Sprintf("SKU-%05d", i), Name: "Article", Status: "active", WeightKg: "0.5",
			Variants: []minierptest.Variant{{SKU: fmt.Sprintf("SKU-%05d-S", i)}, {SKU: fmt.Sprintf("SKU-%05d-M", i)}}})
	}
	ctx := context.Background()
	before := srv.Requests()
	b.ResetTimer()
	for b.Loop() {
		got := 0
		for _, err := range conn.ReadProducts(ctx, kontor.Cursor{}) {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("read %d products, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(srv.Requests()-before)/float64(b.N), "requests/op")
}

func BenchmarkWriteOrders(b *testing.B) {
	srv, conn := benchPair(b)
	ctx := context.Background()
	next, written := 0, 0
	before := srv.Requests()
	b.ResetTimer()
	for b.Loop() {
		batch := make([]kontor.Order, minierp.MaxOrderBatch)
		for i := range batch {
			batch[i] = kontortest.SampleOrder(next)
			next++
		}
		rs, err := conn.WriteOrders(ctx, batch)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rs {
			if r.Outcome != kontor.Created {
				b.Fatalf("order %s: %s %v", r.Key, r.Outcome, r.Err)
			}
		}
		written += len(batch)
	}
	b.ReportMetric(float64(written)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(srv.Requests()-before)/float64(b.N), "requests/op")
}
