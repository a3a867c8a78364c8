package woocommercetest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// BenchmarkListCatalog pages through 10,000 products, 100 per request, as
// a connector's full read does (OAuth-signed, over loopback).
func BenchmarkListCatalog(b *testing.B) {
	const n = 10000
	s, c, _ := newShop(b, oauthSHA256, woocommercetest.WithClock(func() time.Time { return time.Now() }))
	c.now = time.Now
	for i := range n {
		_, err := s.SeedProduct(woocommercetest.Product{Name: fmt.Sprint("P", i), SKU: fmt.Sprintf("SKU-%05d", i), RegularPrice: "1.00"})
		require.NoError(b, err)
	}
	b.ResetTimer()
	items, requests := 0, 0
	for b.Loop() {
		for page := 1; ; page++ {
			var list []woocommercetest.Product
			resp := c.getJSON("/products", url.Values{"per_page": {"100"}, "page": {fmt.Sprint(page)}, "orderby": {"id"}, "order": {"asc"}}, http.StatusOK, &list)
			requests++
			items += len(list)
			if !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
				break
			}
			if page > n/100 {
				b.Fatal("paging did not end")
			}
		}
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
}

// BenchmarkBatchWrite updates 100 products per batch request.
func BenchmarkBatchWrite(b *testing.B) {
	s, c, _ := newShop(b, oauthSHA256)
	var ids []int64
	for i := range 100 {
		p, err := s.SeedProduct(woocommercetest.Product{Name: fmt.Sprint("P", i), SKU: fmt.Sprint("B", i), ManageStock: true, StockQuantity: ptr(int64(1))})
		require.NoError(b, err)
		ids = append(ids, p.ID)
	}
	b.ResetTimer()
	items := 0
	for i := 0; b.Loop(); i++ {
		var update []any
		for _, id := range ids {
			update = append(update, map[string]any{"id": id, "stock_quantity": i})
		}
		c.sendJSON(http.MethodPost, "/products/batch", map[string]any{"update": update}, http.StatusOK, nil)
		items += len(update)
	}
	b.ReportMetric(float64(items)/b.Elapsed().Seconds(), "items/s")
}
