package memerp_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
)

// BenchmarkMemERPReadProducts streams a catalog of 100,000 products (two
// variants each) in pages of 100 per iteration and reports items/s and
// allocations per item.
func BenchmarkMemERPReadProducts(b *testing.B) {
	const catalog = 100_000
	e := memerp.New()
	for i := range catalog {
		if _, err := e.PutProduct(kontortest.SampleProduct(i)); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	items := 0
	for b.Loop() {
		n := 0
		for _, err := range e.ReadProducts(ctx, kontor.Cursor{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != catalog {
			b.Fatalf("read %d products, want %d", n, catalog)
		}
		items += n
	}
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(items), "allocs/item")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(items), "B/item")
}
