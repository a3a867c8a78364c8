package shopifytest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// seedStock adds n single-variant products stocked at two locations.
func seedStock(b *testing.B, s *shopifytest.Server, n int) (locs [2]shopifytest.Location) {
	locs[0] = s.AddLocation(shopifytest.Location{Name: "A"})
	locs[1] = s.AddLocation(shopifytest.Location{Name: "B"})
	for i := range n {
		_, err := s.AddProduct(shopifytest.Product{Title: fmt.Sprintf("P %d", i), Variants: []shopifytest.Variant{
			{SKU: fmt.Sprintf("S-%05d", i), Price: decimal.NewFromInt(10), Stock: map[string]int{"A": 5, "B": 7}},
		}})
		require.NoError(b, err)
	}
	return locs
}

// BenchmarkReadStockPages pages through the stock of 5,000 variants at two
// locations, 100 inventory items a page, as a stock sync reads it.
func BenchmarkReadStockPages(b *testing.B) {
	s := shopifytest.New(shopifytest.WithBucket(1e12, 1e12))
	defer s.Close()
	seedStock(b, s, 5000)
	q := `query($after: String) { inventoryItems(first: 100, after: $after) { nodes { id sku inventoryLevels(first: 2) {
	  nodes { location { id } quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } }
	  pageInfo { hasNextPage endCursor } } }`
	items := 0
	s.ResetStats()
	start := time.Now()
	for b.Loop() {
		var after any
		for {
			r := gql(b, s, q, map[string]any{"after": after})
			items += len(at(r.Data, "inventoryItems", "nodes").([]any))
			if at(r.Data, "inventoryItems", "pageInfo", "hasNextPage") != true {
				break
			}
			after = at(r.Data, "inventoryItems", "pageInfo", "endCursor")
		}
	}
	el := time.Since(start).Seconds()
	st := s.Stats()
	b.ReportMetric(float64(items)/el, "items/s")
	b.ReportMetric(float64(st.Requests)/el, "requests/s")
	b.ReportMetric(float64(st.PointsSpent)/float64(st.Requests), "points/request")
}

// BenchmarkSetStock writes the stock of 250 items per inventorySetQuantities.
func BenchmarkSetStock(b *testing.B) {
	s := shopifytest.New(shopifytest.WithBucket(1e12, 1e12))
	defer s.Close()
	locs := seedStock(b, s, 250)
	var quantities []any
	for _, p := range s.Products() {
		quantities = append(quantities, map[string]any{"inventoryItemId": p.Variants[0].InventoryItemID, "locationId": locs[0].ID, "quantity": 0, "changeFromQuantity": nil})
	}
	n := 0
	start := time.Now()
	for b.Loop() {
		n++
		for _, q := range quantities {
			q.(map[string]any)["quantity"] = n
		}
		gql(b, s, setQuantities, map[string]any{"key": fmt.Sprint("bench-", n), "input": map[string]any{
			"name": "available", "reason": "correction", "quantities": quantities}})
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(n*len(quantities))/el, "levels/s")
}
