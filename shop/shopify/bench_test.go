package shopify_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// BenchmarkStockSync writes the stock of 5,000 variants at 2 locations
// (10,000 levels, in batches of 250 as the engine sends them) to a fake
// shop with a standard plan's bucket (2,000 points, 100 points/s), on
// simulated time: the fake's bucket refills by a clock that the client's
// waits move on, so the run measures pacing, not the machine. The bucket
// starts empty, so the client's first request (it knows nothing of the
// bucket yet) is throttled; every one after it should not be.
//
// Metrics per sync: points/s used (actual query cost over simulated
// time), the same as a percentage of the restore rate (target ≥ 95),
// THROTTLED answers after the first (target 0), requests, and simulated
// seconds.
func BenchmarkStockSync(b *testing.B) {
	const variants, batch = 5000, 250
	clk := newSimClock()
	srv, c := newShop(b, []shopifytest.Option{shopifytest.WithClock(clk.Now)},
		shopify.WithClock(clk.Now, clk.Sleep), shopify.WithLocations(map[string]string{"WH-A": "Main", "WH-B": "Berlin"}))
	for i := range variants {
		_, err := srv.AddProduct(shopifytest.Product{Title: fmt.Sprintf("Bench %d", i), Variants: []shopifytest.Variant{{
			SKU: fmt.Sprintf("BENCH-%05d", i), Price: decimal.NewFromInt(10), Stock: map[string]int{"Main": 0, "Berlin": 0}}}})
		if err != nil {
			b.Fatal(err)
		}
	}
	srv.SetBucketAvailable(0)
	start, before := clk.Now(), c.Stats()
	levels := make([]kontor.StockLevel, 0, 2*variants)
	b.ResetTimer()
	for n := range b.N {
		levels = levels[:0]
		for i := range variants {
			for k, wh := range []string{"WH-A", "WH-B"} {
				q := int64((i+k+n)%40 + 1)
				levels = append(levels, kontor.StockLevel{SKU: fmt.Sprintf("BENCH-%05d", i), Location: wh, Available: decimal.NewFromInt(q)})
			}
		}
		for from := 0; from < len(levels); from += batch {
			rs, err := c.WriteStock(bg, levels[from:min(from+batch, len(levels))])
			if err == nil {
				err = kontor.BatchErr(rs)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	st := c.Stats()
	simSeconds := clk.Now().Sub(start).Seconds()
	used := st.PointsUsed - before.PointsUsed
	pointsPerSecond := used / simSeconds
	throttled := st.Throttled - before.Throttled
	b.ReportMetric(pointsPerSecond, "points/s")
	b.ReportMetric(100*pointsPerSecond/st.RestoreRate, "%restore")
	b.ReportMetric(float64(max(throttled-1, 0)), "throttled-after-first")
	b.ReportMetric(float64(st.Requests-before.Requests)/float64(b.N), "requests/op")
	b.ReportMetric(simSeconds/float64(b.N), "sim-s/op")
	b.ReportMetric(float64(2*variants)*float64(b.N)/simSeconds, "levels/sim-s")
	if got := srv.Available("BENCH-04999", "Berlin"); got != (4999+1+b.N-1)%40+1 {
		b.Fatalf("the last level is %d", got)
	}
}
