package businesscentral

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

func TestDeltaReadsItemsWhoseVariantsChanged(t *testing.T) {
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/items"):
			assert.Equal(t, "lastModifiedDateTime ge 2026-03-01T00:00:00.000Z", r.URL.Query().Get("$filter"))
			assert.Equal(t, "itemVariants", r.URL.Query().Get("$expand"))
			fmt.Fprint(w, `{"value":[{"id":"a","number":"A","displayName":"Item A","lastModifiedDateTime":"2026-03-01T01:00:00Z",
				"itemVariants":[{"id":"va","itemId":"a","itemNumber":"A","code":"RED","description":"Red"}]}]}`)
		case strings.HasSuffix(r.URL.Path, "/itemVariants"):
			assert.Equal(t, "lastModifiedDateTime ge 2026-03-01T00:00:00.000Z", r.URL.Query().Get("$filter"))
			// A's variant changed too (A is read already), and B's alone.
			fmt.Fprint(w, `{"value":[{"id":"va","itemId":"a","lastModifiedDateTime":"2026-03-01T01:00:00Z"},
				{"id":"vb","itemId":"b","lastModifiedDateTime":"2026-03-01T02:00:00Z"}]}`)
		case strings.HasSuffix(r.URL.Path, "/$batch"):
			var req batchRequest
			require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
			require.Len(t, req.Requests, 1)
			assert.Equal(t, "companies(c0)/items(b)?$expand=itemVariants", req.Requests[0].URL)
			fmt.Fprint(w, `{"responses":[{"id":"1","status":200,"body":{"id":"b","number":"B","displayName":"Item B",
				"lastModifiedDateTime":"2026-02-01T00:00:00Z","itemVariants":[{"id":"vb","itemId":"b","itemNumber":"B","code":"XL"}]}}]}`)
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	})
	var got []kontor.Product
	for p, err := range c.ReadProducts(t.Context(), kontor.Cursor{Since: since}) {
		require.NoError(t, err)
		got = append(got, p)
	}
	require.Len(t, got, 2)
	assert.Equal(t, "A", got[0].SKU)
	assert.Equal(t, "B", got[1].SKU)
	assert.Equal(t, "B-XL", got[1].Variants[0].SKU)
	assert.Equal(t, time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC), got[1].UpdatedAt, "the variant's change is the product's")
}

func TestReadPricesOnePerVariantSKU(t *testing.T) {
	var q map[string]string
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		q = map[string]string{"$select": r.URL.Query().Get("$select"), "$expand": r.URL.Query().Get("$expand")}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[
			{"id":"a","number":"A","unitPrice":19.9,"priceIncludesTax":true,"lastModifiedDateTime":"2026-03-01T01:00:00Z",
				"itemVariants":[{"code":"RED"},{"code":"BLUE"}]},
			{"id":"b","number":"B","unitPrice":5,"priceIncludesTax":false,"lastModifiedDateTime":"2026-03-01T02:00:00Z","itemVariants":[]}]}`)
	}, WithVariantSeparator("/"))
	var got []kontor.Price
	for p, err := range c.ReadPrices(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		require.NoError(t, p.Validate())
		got = append(got, p)
	}
	assert.Equal(t, map[string]string{"$select": "id,number,unitPrice,priceIncludesTax,lastModifiedDateTime",
		"$expand": "itemVariants($select=code)"}, q)
	type price struct {
		SKU, List, Currency, ERPKey string
		Gross                       bool
		At                          time.Time
	}
	var prices []price
	for _, p := range got {
		prices = append(prices, price{p.SKU, p.List.Amount.String(), string(p.List.Currency), p.ERPKey, p.IncludesTax, p.UpdatedAt})
	}
	a, b := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	assert.Equal(t, []price{
		// API v2.0 has no variant prices: each variant SKU, what a shop
		// sells, has its item's unit price; the item number gets none.
		{"A/RED", "19.9", "EUR", "a", true, a},
		{"A/BLUE", "19.9", "EUR", "a", true, a},
		// An item without variants is sold by its number.
		{"B", "5", "EUR", "b", false, b},
	}, prices)
}
