package woocommercetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/internal/fixture"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// keysOf returns the top-level member names of a JSON object.
func keysOf(t *testing.T, body []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m), string(body))
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestFieldsMatchFixtures checks that the fake answers with every member
// the documented WooCommerce responses have.
func TestFieldsMatchFixtures(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	p, err := s.SeedProduct(woocommercetest.Product{Name: "Ship Your Idea", Type: "variable", SKU: "SYI",
		Attributes: []woocommercetest.Attribute{{Name: "Color", Variation: true, Visible: true, Options: []string{"Black", "Green"}}}})
	require.NoError(t, err)
	v, err := s.SeedVariation(p.ID, woocommercetest.Variation{SKU: "SYI-B", RegularPrice: "9.00",
		Attributes: []woocommercetest.VariationAttribute{{Name: "Color", Option: "Black"}}})
	require.NoError(t, err)
	o, err := s.PlaceOrder(t.Context(), woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "SYI-B", Quantity: 2}},
		ShippingLines: []woocommercetest.ShippingLine{{MethodID: "flat_rate", MethodTitle: "Flat Rate", Total: "10.00"}}})
	require.NoError(t, err)

	for _, tc := range []struct{ fixture, path string }{
		{"shop/woocommerce/product_retrieve.wc-docs.json", "/products/" + itoa(p.ID)},
		{"shop/woocommerce/variation_retrieve.wc-docs.json", "/products/" + itoa(p.ID) + "/variations/" + itoa(v.ID)},
		{"shop/woocommerce/order_retrieve.wc-docs.json", "/orders/" + itoa(o.ID)},
	} {
		want := keysOf(t, fixture.Read(t, tc.fixture))
		resp, body := c.do(http.MethodGet, tc.path, nil, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		got := keysOf(t, body)
		for _, k := range want {
			assert.Contains(t, got, k, "%s lacks %q", tc.path, k)
		}
	}

	// Line items and addresses have the documented members too.
	var fix struct {
		Billing   map[string]any   `json:"billing"`
		Shipping  map[string]any   `json:"shipping"`
		LineItems []map[string]any `json:"line_items"`
	}
	require.NoError(t, json.Unmarshal(fixture.Read(t, "shop/woocommerce/order_retrieve.wc-docs.json"), &fix))
	var got struct {
		Billing   map[string]any   `json:"billing"`
		Shipping  map[string]any   `json:"shipping"`
		LineItems []map[string]any `json:"line_items"`
	}
	c.getJSON("/orders/"+itoa(o.ID), nil, http.StatusOK, &got)
	for k := range fix.Billing {
		assert.Contains(t, got.Billing, k)
	}
	for k := range fix.Shipping {
		assert.Contains(t, got.Shipping, k)
	}
	assert.NotContains(t, got.Shipping, "email")
	for k := range fix.LineItems[1] {
		assert.Contains(t, got.LineItems[0], k)
	}
	assert.Equal(t, "SYI-B", got.LineItems[0]["sku"])
	assert.Equal(t, float64(9), got.LineItems[0]["price"], "price is a JSON number")
}

func TestProductJSONAsPHPWritesIt(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	p, err := s.SeedProduct(woocommercetest.Product{Name: "Tasse für 5€ <klein>", SKU: "T-1", RegularPrice: "5"})
	require.NoError(t, err)
	_, body := c.do(http.MethodGet, "/products/"+itoa(p.ID), nil, nil)
	assert.Contains(t, string(body), `"permalink":"http:\/\/127.0.0.1`)
	assert.Contains(t, string(body), `"name":"Tasse f\u00fcr 5\u20ac <klein>"`)
	assert.Contains(t, string(body), `"date_created":"2024-05-06T10:00:00","date_created_gmt":"2024-05-06T10:00:00"`)
	assert.Contains(t, string(body), `"stock_quantity":null`)
	assert.Contains(t, string(body), `"date_on_sale_from":null`)
}

func TestCreateAndUpdateProductOverREST(t *testing.T) {
	s, c, clk := newShop(t, oauthSHA256)
	cat, err := s.SeedCategory(woocommercetest.Category{Name: "Clothing"})
	require.NoError(t, err)
	var p woocommercetest.Product
	resp := c.sendJSON(http.MethodPost, "/products", map[string]any{
		"name": "Hoodie", "sku": "HOOD-1", "regular_price": "49.90", "sale_price": "39.90",
		"date_on_sale_to": "2024-05-07T00:00:00", "manage_stock": true, "stock_quantity": "3",
		"categories": []any{map[string]any{"id": cat.ID}, map[string]any{"id": 9999}},
		"images":     []any{map[string]any{"src": "https://example.com/hoodie-front.jpg"}},
		"meta_data":  []any{map[string]any{"key": "_erp_key", "value": "ART-77"}},
	}, http.StatusCreated, &p)
	assert.Equal(t, s.APIURL()+"/products/"+itoa(p.ID), resp.Header.Get("Location"))
	assert.Equal(t, "39.90", p.Price)
	assert.True(t, p.OnSale)
	assert.Equal(t, ptr(int64(3)), p.StockQuantity)
	assert.Equal(t, "instock", p.StockStatus)
	assert.Equal(t, []woocommercetest.Term{{ID: cat.ID, Name: "Clothing", Slug: "clothing"}}, p.Categories)
	assert.Equal(t, "hoodie-front", p.Images[0].Name)
	require.Len(t, p.MetaData, 1)
	assert.Equal(t, "ART-77", p.MetaData[0].Value)

	// The sale ends: the regular price is back.
	clk.Add(24 * time.Hour)
	got, _ := s.Product(p.ID)
	assert.Equal(t, "49.90", got.Price)
	assert.False(t, got.OnSale)

	// Stock to zero derives the status; backorders allowed make it onbackorder.
	c.sendJSON(http.MethodPut, "/products/"+itoa(p.ID), map[string]any{"stock_quantity": 0}, http.StatusOK, &got)
	assert.Equal(t, "outofstock", got.StockStatus)
	c.sendJSON(http.MethodPatch, "/products/"+itoa(p.ID), map[string]any{"backorders": "notify"}, http.StatusOK, &got)
	assert.Equal(t, "onbackorder", got.StockStatus)
	assert.True(t, got.BackordersAllowed)

	// Meta by key updates in place; null deletes.
	c.sendJSON(http.MethodPost, "/products/"+itoa(p.ID), map[string]any{"meta_data": []any{
		map[string]any{"key": "_erp_key", "value": "ART-78"}, map[string]any{"key": "other", "value": 1}}}, http.StatusOK, &got)
	require.Len(t, got.MetaData, 2)
	assert.Equal(t, p.MetaData[0].ID, got.MetaData[0].ID)
	assert.Equal(t, "ART-78", got.MetaData[0].Value)
	c.sendJSON(http.MethodPut, "/products/"+itoa(p.ID), map[string]any{"meta_data": []any{map[string]any{"key": "other", "value": nil}}}, http.StatusOK, &got)
	assert.Len(t, got.MetaData, 1)

	// An update that changes nothing still stamps date_modified.
	clk.Add(time.Hour)
	c.sendJSON(http.MethodPut, "/products/"+itoa(p.ID), map[string]any{}, http.StatusOK, &got)
	assert.Equal(t, "2024-05-07T11:00:00", got.DateModifiedGMT)
}

func TestProductValidation(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	resp, body := c.do(http.MethodPost, "/products", nil, map[string]any{"name": "x", "regular_price": 9.99, "status": "live", "stock_quantity": "many"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := decodeErr(t, body)
	assert.Equal(t, "rest_invalid_param", e.Code)
	assert.Equal(t, "Invalid parameter(s): regular_price, status, stock_quantity", e.Message)
	params := e.Data["params"].(map[string]any)
	assert.Equal(t, "regular_price is not of type string.", params["regular_price"])
	assert.Equal(t, "status is not one of draft, pending, private, publish, future.", params["status"])

	resp, body = c.do(http.MethodPost, "/products", nil, []byte(`{"name": "x",`))
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "rest_invalid_json", decodeErr(t, body).Code)

	first, err := s.SeedProduct(woocommercetest.Product{Name: "A", SKU: "DUP"})
	require.NoError(t, err)
	_, err = s.SeedProduct(woocommercetest.Product{Name: "A2", SKU: "DUP-1"})
	require.NoError(t, err)
	resp, body = c.do(http.MethodPost, "/products", nil, map[string]any{"name": "B", "sku": "DUP"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, fmt.Sprintf(`{"code":"product_invalid_sku","message":"Invalid or duplicated SKU.","data":{"status":400,"resource_id":%d,"unique_sku":"DUP-2"}}`, first.ID), string(body))

	resp, body = c.do(http.MethodPut, "/products/999999", nil, map[string]any{"name": "B"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_product_invalid_id", decodeErr(t, body).Code)
	resp, _ = c.do(http.MethodGet, "/products/999999", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Len(t, s.Products(), 2)
}

func TestVariationsAndSKUScope(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	p, err := s.SeedProduct(woocommercetest.Product{Name: "Tee", Type: "variable", SKU: "TEE"})
	require.NoError(t, err)
	for i, color := range []string{"Black", "Green"} {
		_, err := s.SeedVariation(p.ID, woocommercetest.Variation{SKU: "TEE-" + color, RegularPrice: fmt.Sprint(10 + i),
			ManageStock: true, StockQuantity: ptr(int64(5)), Attributes: []woocommercetest.VariationAttribute{{Name: "Color", Option: color}}})
		require.NoError(t, err)
	}
	var parent woocommercetest.Product
	c.getJSON("/products/"+itoa(p.ID), nil, http.StatusOK, &parent)
	assert.Len(t, parent.Variations, 2)
	assert.Equal(t, "10", parent.Price, "a variable product shows its lowest price")

	// With sku, /products also searches variations (WooCommerce widens the
	// post type) and returns them as products of type variation.
	var list []woocommercetest.Product
	c.getJSON("/products", url.Values{"sku": {"TEE-Black,TEE"}}, http.StatusOK, &list)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"TEE-Black", "TEE"}, []string{list[0].SKU, list[1].SKU})
	assert.Equal(t, "variation", list[0].Type)
	assert.Equal(t, p.ID, list[0].ParentID)
	c.getJSON("/products", url.Values{"sku": {"TEE-Black"}, "type": {"simple"}}, http.StatusOK, &list)
	assert.Empty(t, list, "a type filter keeps to products")
	var vars []woocommercetest.Variation
	c.getJSON("/products/"+itoa(p.ID)+"/variations", url.Values{"sku": {"TEE-Black"}}, http.StatusOK, &vars)
	require.Len(t, vars, 1)
	assert.Equal(t, "Tee - Black", vars[0].Name)
	assert.True(t, strings.HasSuffix(vars[0].Permalink, "/product/tee/?attribute_color=Black"))

	// A SKU is unique across products and variations.
	resp, body := c.do(http.MethodPost, "/products", nil, map[string]any{"name": "Other", "sku": "TEE-Green"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "product_invalid_sku", decodeErr(t, body).Code)

	// A variation read through /products/<id>.
	var asProduct woocommercetest.Product
	c.getJSON("/products/"+itoa(vars[0].ID), nil, http.StatusOK, &asProduct)
	assert.Equal(t, "variation", asProduct.Type)
	assert.Equal(t, p.ID, asProduct.ParentID)

	resp, body = c.do(http.MethodPost, "/products/424242/variations", nil, map[string]any{"sku": "X"})
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_product_variation_invalid_parent", decodeErr(t, body).Code)
}

func TestDeleteProduct(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	p, err := s.SeedProduct(woocommercetest.Product{Name: "Old", SKU: "OLD"})
	require.NoError(t, err)
	var got woocommercetest.Product
	c.sendJSON(http.MethodDelete, "/products/"+itoa(p.ID), nil, http.StatusOK, &got)
	assert.Equal(t, "trash", got.Status)
	var list []woocommercetest.Product
	c.getJSON("/products", nil, http.StatusOK, &list)
	assert.Empty(t, list, "trashed products are not listed")
	c.getJSON("/products", url.Values{"status": {"trash"}}, http.StatusOK, &list)
	assert.Len(t, list, 1)
	resp, _ := c.do(http.MethodDelete, "/products/"+itoa(p.ID), nil, nil)
	assert.Equal(t, http.StatusGone, resp.StatusCode)
	resp, _ = c.do(http.MethodDelete, "/products/"+itoa(p.ID), url.Values{"force": {"true"}}, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, found := s.Product(p.ID)
	assert.False(t, found)
}

func TestTags(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	var tag woocommercetest.Tag
	c.sendJSON(http.MethodPost, "/products/tags", map[string]any{"name": "Sale"}, http.StatusCreated, &tag)
	var p woocommercetest.Product
	c.sendJSON(http.MethodPost, "/products", map[string]any{"name": "X", "tags": []any{map[string]any{"id": tag.ID}, map[string]any{"id": 777}}}, http.StatusCreated, &p)
	assert.Equal(t, []woocommercetest.Term{{ID: tag.ID, Name: "Sale", Slug: "sale"}}, p.Tags, "unknown tag ids are dropped")
	var list []woocommercetest.Product
	c.getJSON("/products", url.Values{"tag": {itoa(tag.ID)}}, http.StatusOK, &list)
	assert.Len(t, list, 1)
	c.sendJSON(http.MethodPut, "/products/tags/"+itoa(tag.ID), map[string]any{"name": "Summer sale"}, http.StatusOK, &tag)
	got, _ := s.Product(p.ID)
	assert.Equal(t, "Summer sale", got.Tags[0].Name)
	var tags []woocommercetest.Tag
	c.getJSON("/products/tags", nil, http.StatusOK, &tags)
	require.Len(t, tags, 1)
	assert.Equal(t, int64(1), tags[0].Count)
	resp, _ := c.do(http.MethodDelete, "/products/tags/"+itoa(tag.ID), url.Values{"force": {"true"}}, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	got, _ = s.Product(p.ID)
	assert.Empty(t, got.Tags)
}

func TestCategories(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	var cat woocommercetest.Category
	c.sendJSON(http.MethodPost, "/products/categories", map[string]any{"name": "Shoes & Boots"}, http.StatusCreated, &cat)
	assert.Equal(t, "shoes-boots", cat.Slug)
	resp, body := c.do(http.MethodPost, "/products/categories", nil, map[string]any{"name": "shoes & boots"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, fmt.Sprintf(`{"code":"term_exists","message":"A term with the name provided already exists with this parent.","data":{"status":400,"resource_id":%d}}`, cat.ID), string(body))
	_, err := s.SeedProduct(woocommercetest.Product{Name: "Boot", Categories: []woocommercetest.Term{{Name: "Shoes & Boots"}, {Name: "Winter"}}})
	require.NoError(t, err)
	var cats []woocommercetest.Category
	resp = c.getJSON("/products/categories", url.Values{"hide_empty": {"true"}}, http.StatusOK, &cats)
	assert.Equal(t, "2", resp.Header.Get("X-WP-Total"))
	require.Len(t, cats, 2)
	assert.Equal(t, []string{"Shoes & Boots", "Winter"}, []string{cats[0].Name, cats[1].Name})
	assert.Equal(t, int64(1), cats[0].Count)
}
