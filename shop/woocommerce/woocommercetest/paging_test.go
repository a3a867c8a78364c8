package woocommercetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

func seedProducts(t *testing.T, s *woocommercetest.Server, clk *clock, n int) []woocommercetest.Product {
	t.Helper()
	var out []woocommercetest.Product
	for i := range n {
		p, err := s.SeedProduct(woocommercetest.Product{Name: fmt.Sprintf("Product %02d", i), SKU: fmt.Sprintf("SKU-%02d", i), RegularPrice: "1.00"})
		require.NoError(t, err)
		out = append(out, p)
		clk.Add(time.Second)
	}
	return out
}

func TestPagingHeadersAndLink(t *testing.T) {
	s, c, clk := newShop(t, basic, woocommercetest.WithTLS())
	seedProducts(t, s, clk, 25)
	base := s.APIURL() + "/products"
	// A single page keeps WordPress' API root link.
	resp := c.getJSON("/products", url.Values{"per_page": {"100"}}, http.StatusOK, nil)
	assert.Equal(t, "<"+s.URL()+`/wp-json/>; rel="https://api.w.org/"`, resp.Header.Get("Link"))
	assert.Equal(t, "noindex", resp.Header.Get("X-Robots-Tag"))
	for _, tc := range []struct {
		page  string
		n     int
		first string
		link  string
	}{
		{"1", 10, "Product 24", `<` + base + `?per_page=10&orderby=date&page=2>; rel="next"`},
		{"2", 10, "Product 14", `<` + base + `?per_page=10&orderby=date&page=1>; rel="prev", <` + base + `?per_page=10&orderby=date&page=3>; rel="next"`},
		{"3", 5, "Product 04", `<` + base + `?per_page=10&orderby=date&page=2>; rel="prev"`},
		{"4", 0, "", `<` + base + `?per_page=10&orderby=date&page=3>; rel="prev"`},
	} {
		req := c.request(http.MethodGet, "/products", nil, nil)
		req.URL.RawQuery = "per_page=10&orderby=date&page=" + tc.page
		resp, body := c.send(req)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var list []woocommercetest.Product
		require.NoError(t, json.Unmarshal(body, &list))
		assert.Len(t, list, tc.n, "page %s", tc.page)
		if tc.n > 0 {
			assert.Equal(t, tc.first, list[0].Name, "newest first")
		} else {
			assert.Equal(t, "[]", string(body))
		}
		assert.Equal(t, "25", resp.Header.Get("X-WP-Total"))
		assert.Equal(t, "3", resp.Header.Get("X-WP-TotalPages"))
		assert.Equal(t, tc.link, resp.Header.Get("Link"), "page %s", tc.page)
	}
}

func TestLinkReencodesQueryAsWordPress(t *testing.T) {
	s, c, clk := newShop(t, queryAuth, woocommercetest.WithTLS())
	seedProducts(t, s, clk, 3)
	q := url.Values{"per_page": {"1"}, "modified_after": {"2024-05-06T10:00:00+00:00"}}
	resp := c.getJSON("/products", q, http.StatusOK, nil)
	next := resp.Header.Get("Link")
	// The '+' of the offset comes back as a space ('+' in the link), the
	// credentials stay in it, colons are encoded.
	assert.Contains(t, next, "modified_after=2024-05-06T10%3A00%3A00+00%3A00")
	assert.Contains(t, next, "consumer_secret="+s.ConsumerSecret())
	assert.Contains(t, next, "page=2>")
}

func TestInvalidPagingParameters(t *testing.T) {
	_, c, _ := newShop(t, oauthSHA256)
	resp, body := c.do(http.MethodGet, "/orders", url.Values{"per_page": {"101"}}, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page",
		"data":{"status":400,"params":{"per_page":"per_page must be between 1 (inclusive) and 100 (inclusive)"},
		"details":{"per_page":{"code":"rest_out_of_bounds","message":"per_page must be between 1 (inclusive) and 100 (inclusive)","data":null}}}}`, string(body))

	resp, body = c.do(http.MethodGet, "/products", url.Values{"per_page": {"ten"}, "page": {"0"}, "orderby": {"name"}}, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	e := decodeErr(t, body)
	assert.Equal(t, "Invalid parameter(s): page, per_page, orderby", e.Message)
	params := e.Data["params"].(map[string]any)
	assert.Equal(t, "per_page is not of type integer.", params["per_page"])
	assert.Equal(t, "page must be greater than or equal to 1", params["page"])
	assert.Contains(t, params["orderby"], "orderby is not one of date, modified, id")

	resp, body = c.do(http.MethodGet, "/orders", url.Values{"modified_after": {"yesterday"}}, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Invalid date.", decodeErr(t, body).Data["params"].(map[string]any)["modified_after"])
	resp, _ = c.do(http.MethodGet, "/orders", url.Values{"per_page": {"100"}}, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestModifiedAfterFilter(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	s, c, clk := newShop(t, oauthSHA256, woocommercetest.WithTimezone(berlin))
	ps := seedProducts(t, s, clk, 3) // 10:00:00, :01, :02 UTC = 12:00:0x in Berlin
	assert.Equal(t, "2024-05-06T12:00:01", ps[1].DateModified)
	assert.Equal(t, "2024-05-06T10:00:01", ps[1].DateModifiedGMT)

	names := func(q url.Values) []string {
		var list []woocommercetest.Product
		c.getJSON("/products", q, http.StatusOK, &list)
		var out []string
		for _, p := range list {
			out = append(out, p.SKU)
		}
		return out
	}
	// Site time, exclusive.
	assert.Equal(t, []string{"SKU-02"}, names(url.Values{"modified_after": {"2024-05-06T12:00:01"}}))
	// GMT column.
	assert.Equal(t, []string{"SKU-02", "SKU-01"}, names(url.Values{"modified_after": {"2024-05-06T10:00:00"}, "dates_are_gmt": {"true"}}))
	// A zone is converted into site time first: right against the site-time column ...
	assert.Equal(t, []string{"SKU-02"}, names(url.Values{"modified_after": {"2024-05-06T10:00:01Z"}}))
	// ... and off by the site's offset against the GMT one, as in WordPress.
	assert.Empty(t, names(url.Values{"modified_after": {"2024-05-06T10:00:01Z"}, "dates_are_gmt": {"true"}}))

	// An update moves a product past the watermark.
	clk.Add(time.Minute)
	_, err = s.UpdateProduct(t.Context(), ps[0].ID, map[string]any{"regular_price": "2.00"})
	require.NoError(t, err)
	assert.Equal(t, []string{"SKU-00"}, names(url.Values{"modified_after": {"2024-05-06T10:00:02"}, "dates_are_gmt": {"1"}, "orderby": {"modified"}, "order": {"asc"}}))
}

func TestCollectionChangingWhilePaged(t *testing.T) {
	s, c, clk := newShop(t, oauthSHA256)
	seedProducts(t, s, clk, 4)
	inserted := 0
	s.BeforeList(func(route string, page int) {
		if route == "/products" && page == 2 && inserted == 0 {
			inserted++
			_, err := s.SeedProduct(woocommercetest.Product{Name: "New", SKU: "NEW"})
			assert.NoError(t, err)
		}
	})
	var seen []string
	for page := 1; page <= 3; page++ {
		var list []woocommercetest.Product
		c.getJSON("/products", url.Values{"per_page": {"2"}, "page": {fmt.Sprint(page)}}, http.StatusOK, &list)
		for _, p := range list {
			seen = append(seen, p.SKU)
		}
	}
	// Newest first: the insert pushed SKU-02 onto page 2 again, so it is
	// read twice, and the new product itself is never seen.
	assert.Equal(t, []string{"SKU-03", "SKU-02", "SKU-02", "SKU-01", "SKU-00"}, seen)
	s.BeforeList(nil)
}

func TestFieldsParameter(t *testing.T) {
	s, c, clk := newShop(t, oauthSHA256)
	seedProducts(t, s, clk, 1)
	resp, body := c.do(http.MethodGet, "/products", url.Values{"_fields": {"id,sku,dimensions.width"}}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `[{"id":10,"sku":"SKU-00","dimensions":{"width":""}}]`, string(body))
}

// GET /data/currencies/current tells the store's currency, as a client
// that asks the shop instead of being told needs.
func TestCurrentCurrency(t *testing.T) {
	_, c, _ := newShop(t, basic, woocommercetest.WithTLS(), woocommercetest.WithCurrency("CHF"))
	var got map[string]string
	c.getJSON("/data/currencies/current", nil, http.StatusOK, &got)
	assert.Equal(t, "CHF", got["code"])
	assert.Equal(t, "Swiss franc", got["name"])
}
