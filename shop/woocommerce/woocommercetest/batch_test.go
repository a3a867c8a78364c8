package woocommercetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/internal/fixture"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// batchItem is an entry of a batch response: a resource or an error.
type batchItem struct {
	ID    json.Number `json:"id"`
	SKU   string      `json:"sku"`
	Error *wpErr      `json:"error"`
}

type batchResp struct {
	Create []batchItem `json:"create"`
	Update []batchItem `json:"update"`
	Delete []batchItem `json:"delete"`
}

func TestBatchWithBadItems(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	taken, err := s.SeedProduct(woocommercetest.Product{Name: "Existing", SKU: "SKU-050"})
	require.NoError(t, err)
	s.RejectSKU("SKU-070", "Could not save the product.")
	var create []any
	for i := range 99 {
		create = append(create, map[string]any{"name": fmt.Sprintf("P%d", i), "sku": fmt.Sprintf("SKU-%03d", i), "regular_price": "1.00",
			"manage_stock": true, "stock_quantity": i})
	}
	// The third bad item: a SKU twice in the same batch.
	create = append(create, map[string]any{"name": "again", "sku": "SKU-010"})
	require.Len(t, create, 100)

	var got batchResp
	resp := c.sendJSON(http.MethodPost, "/products/batch", map[string]any{"create": create}, http.StatusOK, &got)
	assert.Empty(t, resp.Header.Get("X-WP-Total"))
	require.Len(t, got.Create, 100)
	var failed []int
	for i, it := range got.Create {
		if it.Error != nil {
			failed = append(failed, i)
			assert.Equal(t, "0", it.ID.String(), "a failed create has id 0")
		}
	}
	assert.Equal(t, []int{50, 70, 99}, failed)
	assert.Equal(t, "product_invalid_sku", got.Create[50].Error.Code)
	assert.Equal(t, float64(taken.ID), got.Create[50].Error.Data["resource_id"])
	assert.Equal(t, "woocommerce_rest_product_not_created", got.Create[70].Error.Code)
	assert.Equal(t, "Could not save the product.", got.Create[70].Error.Message)
	assert.Equal(t, "product_invalid_sku", got.Create[99].Error.Code)
	assert.Equal(t, "SKU-001", got.Create[1].SKU)
	assert.Len(t, s.Products(), 1+97)

	reqs, items := s.BatchWrites()
	assert.Equal(t, 1, reqs)
	assert.Equal(t, 100, items)
	assert.Equal(t, 1, s.Count(http.MethodPost, "/products/batch"))

	// The same batch again: nothing is created twice.
	c.sendJSON(http.MethodPost, "/products/batch", map[string]any{"create": create}, http.StatusOK, &got)
	for i, it := range got.Create {
		require.NotNil(t, it.Error, "item %d", i)
	}
	assert.Len(t, s.Products(), 98)
}

func TestBatchUpdateDeleteAndShape(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	a, err := s.SeedProduct(woocommercetest.Product{Name: "A", SKU: "A", ManageStock: true, StockQuantity: ptr(int64(1))})
	require.NoError(t, err)
	b, err := s.SeedProduct(woocommercetest.Product{Name: "B", SKU: "B"})
	require.NoError(t, err)
	var got batchResp
	_, body := c.do(http.MethodPut, "/products/batch", nil, map[string]any{
		"update": []any{
			map[string]any{"id": a.ID, "stock_quantity": "7", "regular_price": 12.5}, // cast as WooCommerce's setters cast
			map[string]any{"id": 424242, "name": "ghost"},
			map[string]any{"id": b.ID, "stock_status": "sold-out"},
		},
		"delete": []any{b.ID, 0},
	})
	require.NoError(t, json.Unmarshal(body, &got), string(body))
	assert.Nil(t, got.Create, "only the lists sent come back")
	require.Len(t, got.Update, 3)
	assert.Nil(t, got.Update[0].Error)
	require.NotNil(t, got.Update[1].Error)
	assert.Equal(t, "424242", got.Update[1].ID.String())
	assert.Equal(t, "woocommerce_rest_product_invalid_id", got.Update[1].Error.Code)
	assert.Equal(t, float64(400), got.Update[1].Error.Data["status"])
	require.NotNil(t, got.Update[2].Error)
	assert.Equal(t, "rest_invalid_param", got.Update[2].Error.Code)
	require.Len(t, got.Delete, 1, "id 0 is skipped")
	assert.Equal(t, itoa(b.ID), got.Delete[0].ID.String())

	p, _ := s.Product(a.ID)
	assert.Equal(t, ptr(int64(7)), p.StockQuantity)
	assert.Equal(t, "12.5", p.RegularPrice)
	_, found := s.Product(b.ID)
	assert.False(t, found, "batch deletes are forced")

	// The response items have the documented members.
	var fix batchResp
	raw := fixture.Read(t, "shop/woocommerce/products_batch_response.wc-docs.json")
	var fixMap map[string][]map[string]any
	require.NoError(t, json.Unmarshal(raw, &fixMap))
	require.NoError(t, json.Unmarshal(raw, &fix))
	var gotMap map[string][]map[string]any
	require.NoError(t, json.Unmarshal(body, &gotMap))
	for k := range fixMap["update"][0] {
		assert.Contains(t, gotMap["update"][0], k)
	}

	// An empty batch is [].
	resp, body := c.do(http.MethodPost, "/products/batch", nil, map[string]any{"create": []any{}})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "[]", string(body))
}

func TestBatchLimit(t *testing.T) {
	for _, tc := range []struct {
		limit, n int
		status   int
	}{
		{0, 100, http.StatusOK},
		{0, 101, http.StatusRequestEntityTooLarge},
		{5, 5, http.StatusOK},
		{5, 6, http.StatusRequestEntityTooLarge},
	} {
		t.Run(fmt.Sprintf("limit%d_n%d", tc.limit, tc.n), func(t *testing.T) {
			var opts []woocommercetest.Option
			limit := 100
			if tc.limit > 0 {
				opts = append(opts, woocommercetest.WithBatchLimit(tc.limit))
				limit = tc.limit
			}
			s, c, _ := newShop(t, oauthSHA256, opts...)
			var create, del []any
			for i := range tc.n - 1 {
				create = append(create, map[string]any{"name": fmt.Sprint(i)})
			}
			del = append(del, 999) // create, update and delete count together
			resp, body := c.do(http.MethodPost, "/products/batch", nil, map[string]any{"create": create, "delete": del})
			assert.Equal(t, tc.status, resp.StatusCode, string(body))
			if tc.status != http.StatusOK {
				assert.JSONEq(t, fmt.Sprintf(`{"code":"woocommerce_rest_request_entity_too_large","message":"Unable to accept more than %d items for this request.","data":{"status":413}}`, limit), string(body))
				assert.Empty(t, s.Products(), "nothing of a refused batch is applied")
			} else {
				assert.Len(t, s.Products(), tc.n-1)
			}
		})
	}
}

func TestVariationBatchAndMalformedBatch(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	p, err := s.SeedProduct(woocommercetest.Product{Name: "Tee", Type: "variable"})
	require.NoError(t, err)
	var got batchResp
	c.sendJSON(http.MethodPost, "/products/"+itoa(p.ID)+"/variations/batch", map[string]any{"create": []any{
		map[string]any{"sku": "TEE-S", "regular_price": "10", "attributes": []any{map[string]any{"name": "Size", "option": "S"}}},
		map[string]any{"sku": "TEE-M", "regular_price": "10", "date_on_sale_from": "soon"},
	}}, http.StatusOK, &got)
	require.Len(t, got.Create, 2)
	assert.Nil(t, got.Create[0].Error)
	require.NotNil(t, got.Create[1].Error)
	assert.Equal(t, "rest_invalid_param", got.Create[1].Error.Code)
	assert.Len(t, s.Variations(p.ID), 1)

	resp, body := c.do(http.MethodPost, "/products/batch", nil, map[string]any{"create": "not a list", "delete": []any{"x"}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := decodeErr(t, body)
	assert.Equal(t, "Invalid parameter(s): create, delete", e.Message)
	assert.Equal(t, "delete[0] is not of type integer.", e.Data["params"].(map[string]any)["delete"])
	resp, _ = c.do(http.MethodPost, "/products/424242/variations/batch", nil, map[string]any{"create": []any{map[string]any{}}})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
