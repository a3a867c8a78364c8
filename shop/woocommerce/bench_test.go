package woocommerce_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

const (
	benchCatalog = 10_000
	benchChanged = benchCatalog / 100 // 1 %
)

// benchShop is a shop with 10,000 simple products that manage stock.
func benchShop(b *testing.B) (*woocommercetest.Server, []string, []int64) {
	b.Helper()
	srv := woocommercetest.New(woocommercetest.WithTLS())
	b.Cleanup(srv.Close)
	skus := make([]string, benchCatalog)
	ids := make([]int64, benchCatalog)
	qty := int64(5)
	for i := range benchCatalog {
		skus[i] = fmt.Sprintf("B-%05d", i)
		p, err := srv.SeedProduct(woocommercetest.Product{Name: "Item " + skus[i], SKU: skus[i], RegularPrice: "9.90",
			ManageStock: true, StockQuantity: &qty})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = p.ID
	}
	return srv, skus, ids
}

// changedLevels is the 1 % of the catalog whose stock changed in round r:
// every 100th SKU.
func changedLevels(skus []string, r int) []kontor.StockLevel {
	out := make([]kontor.StockLevel, 0, benchChanged)
	for i := 0; i < len(skus); i += 100 {
		out = append(out, kontor.StockLevel{SKU: skus[i], Available: decimal.NewFromInt(int64(100 + r))})
	}
	return out
}

// BenchmarkStockSync1Percent writes the stock of 10,000 products of which
// 1 % changed:
//
//   - delta: the engine's fingerprints pass only the 100 changed levels;
//     the connector needs one SKU lookup and ceil(100/limit) batch writes.
//   - naive: one PUT /products/<id> per changed product, ids known.
//
// Reported: requests and writes per sync and items/s.
func BenchmarkStockSync1Percent(b *testing.B) {
	srv, skus, ids := benchShop(b)
	round := 0
	run := func(b *testing.B, items int, sync func(levels []kontor.StockLevel) error) {
		var requests, writes int
		for b.Loop() {
			round++
			srv.ResetRequests()
			if err := sync(changedLevels(skus, round)); err != nil {
				b.Fatal(err)
			}
			requests += len(srv.Requests())
			w, _ := srv.BatchWrites()
			writes += w
		}
		b.ReportMetric(float64(requests)/float64(b.N), "requests/sync")
		b.ReportMetric(float64(writes)/float64(b.N), "batch-writes/sync")
		b.ReportMetric(float64(items)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	}

	for _, limit := range []int{100, 25} {
		b.Run(fmt.Sprintf("delta/limit=%d", limit), func(b *testing.B) {
			c, err := woocommerce.New(srv.URL(), srv.ConsumerKey(), srv.ConsumerSecret(),
				woocommerce.WithTransport(srv.Client().Transport), woocommerce.WithRate(1e6), woocommerce.WithBatchLimit(limit))
			if err != nil {
				b.Fatal(err)
			}
			run(b, benchChanged, func(levels []kontor.StockLevel) error {
				rs, err := c.WriteStock(b.Context(), levels)
				if err == nil {
					err = kontor.BatchErr(rs)
				}
				return err
			})
		})
	}

	b.Run("naive", func(b *testing.B) {
		hc := srv.Client()
		run(b, benchChanged, func(levels []kontor.StockLevel) error {
			for k, l := range levels {
				u := srv.APIURL() + "/products/" + fmt.Sprint(ids[k*100]) + "?" + url.Values{
					"consumer_key": {srv.ConsumerKey()}, "consumer_secret": {srv.ConsumerSecret()}}.Encode()
				body := fmt.Sprintf(`{"manage_stock":true,"stock_quantity":%s}`, l.Available)
				req, err := http.NewRequestWithContext(b.Context(), http.MethodPut, u, bytes.NewReader([]byte(body)))
				if err != nil {
					return err
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("PUT: %s", resp.Status)
				}
			}
			return nil
		})
	})
}
