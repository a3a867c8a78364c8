package woocommerce

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/fixture"
	"github.com/kontor-dev/kontor/transport"
)

// testMux is a shop of hand-written handlers below the API path; a
// request no handler expects fails the test.
func testMux(t *testing.T, handlers map[string]http.HandlerFunc, opts ...Option) (*Client, *httptest.Server) {
	t.Helper()
	mux := http.NewServeMux()
	for pattern, h := range handlers {
		mux.HandleFunc(pattern, h)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		writeErr(w, 404, "rest_no_route", "No route was found matching the URL and request method.")
	})
	ts := httptest.NewTLSServer(mux)
	t.Cleanup(ts.Close)
	opts = append([]Option{WithTransport(ts.Client().Transport), WithRate(10_000), WithRetry()}, opts...)
	c, err := New(ts.URL, "ck_test", "cs_test", opts...)
	require.NoError(t, err)
	return c, ts
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func TestFixtureOrder(t *testing.T) {
	raw := fixture.Read(t, "shop/woocommerce/order_retrieve.wc-docs.json")
	var o Order
	require.NoError(t, json.Unmarshal(raw, &o))
	c, err := New("https://shop.example.com", "ck", "cs")
	require.NoError(t, err)
	ko := c.orderIn(&o)

	assert.Equal(t, "727", ko.Number)
	assert.Equal(t, "727", ko.ShopKey)
	assert.Equal(t, time.Date(2017, 3, 22, 19, 28, 2, 0, time.UTC), ko.PlacedAt)
	assert.Equal(t, time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC), ko.UpdatedAt)
	assert.Equal(t, kontor.Currency("USD"), ko.Currency)
	assert.Equal(t, "rest-api", ko.Channel)
	assert.Equal(t, kontor.OrderProcessing, ko.Status)
	assert.Equal(t, kontor.PaymentPaid, ko.PaymentStatus)
	assert.Equal(t, "bacs", ko.Payment.Method)
	assert.Equal(t, time.Date(2017, 3, 22, 19, 28, 8, 0, time.UTC), ko.Payment.PaidAt)
	assert.True(t, ko.Payment.Amount.Equal(kontor.MustMoney("29.35", "USD")))
	assert.Equal(t, kontor.B2C, ko.Customer.Type)
	assert.Equal(t, "john.doe@example.com", ko.Customer.Email)
	assert.Empty(t, ko.Customer.ShopKey, "a guest")
	assert.Equal(t, kontor.Address{Kind: "billing", FirstName: "John", LastName: "Doe", Street: "969 Market",
		PostalCode: "94103", City: "San Francisco", Region: "CA", Country: "US", Phone: "(555) 555-5555",
		Email: "john.doe@example.com"}, ko.Billing)
	assert.Equal(t, "969 Market", ko.Shipping.Street)

	require.Len(t, ko.Lines, 2)
	l := ko.Lines[1]
	assert.Equal(t, "Bar3", l.SKU)
	assert.Equal(t, "Ship Your Idea – Color: Black, Size: M Test", l.Title)
	assert.True(t, l.Quantity.Equal(decimal.NewFromInt(1)))
	assert.True(t, l.Net.Equal(kontor.MustMoney("12.00", "USD")))
	assert.True(t, l.Tax.Equal(kontor.MustMoney("0.9", "USD")))
	assert.True(t, l.Gross.Equal(kontor.MustMoney("12.90", "USD")))
	assert.True(t, l.TaxRate.Equal(decimal.RequireFromString("7.5")), "derived from the amounts: %s", l.TaxRate)
	assert.True(t, ko.Lines[0].UnitPrice.Equal(kontor.MustMoney("3", "USD")))
	require.Len(t, ko.ShippingLines, 1)
	assert.Equal(t, "flat_rate", ko.ShippingLines[0].Code)
	assert.True(t, ko.ShippingLines[0].Gross.Equal(kontor.MustMoney("10", "USD")))
	assert.True(t, ko.TotalGross.Equal(kontor.MustMoney("29.35", "USD")))
	assert.True(t, ko.TotalNet.Equal(kontor.MustMoney("28.00", "USD")))
	assert.True(t, ko.TotalTax.Equal(kontor.MustMoney("1.35", "USD")))

	// The documentation's first line has no SKU: validation names exactly
	// that, and nothing else is inconsistent.
	err = ko.Validate()
	var verrs kontor.ValidationErrors
	require.True(t, errors.As(err, &verrs), "%v", err)
	require.Len(t, verrs, 1, "%v", err)
	assert.Equal(t, "lines[0].sku", verrs[0].Field)
	ko.Lines[0].SKU = "WOO-SINGLE-1"
	assert.NoError(t, ko.Validate())
}

func TestFixtureProduct(t *testing.T) {
	raw := fixture.Read(t, "shop/woocommerce/product_retrieve.wc-docs.json")
	var p Product
	require.NoError(t, json.Unmarshal(raw, &p))
	c, _ := testMux(t, map[string]http.HandlerFunc{
		"GET /wp-json/wc/v3/products/categories": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, []map[string]any{{"id": 9, "name": "Clothing", "parent": 0}, {"id": 14, "name": "T-shirts", "parent": 9}})
		},
	})
	kp, err := c.productIn(t.Context(), &p)
	require.NoError(t, err)
	assert.Equal(t, "794", kp.ShopKey)
	assert.Equal(t, "Premium Quality", kp.Title)
	assert.Equal(t, kontor.ProductActive, kp.Status)
	assert.Equal(t, "standard", kp.TaxClass)
	assert.Equal(t, []string{"Clothing", "Clothing > T-shirts"}, kp.Categories)
	require.Len(t, kp.Images, 2)
	assert.Equal(t, kontor.Image{URL: "https://example.com/wp-content/uploads/2017/03/T_2_front-4.jpg", Position: 1}, kp.Images[0])
	assert.Nil(t, kp.Weight, "an empty weight is none")
	assert.Equal(t, time.Date(2017, 3, 23, 20, 1, 14, 0, time.UTC), kp.UpdatedAt)
	require.NotNil(t, p.RegularPrice)
	assert.True(t, p.RegularPrice.Equal(decimal.RequireFromString("21.99")))
	assert.False(t, p.SalePrice.Set)
	assert.False(t, p.ManageStock.On)
	assert.Nil(t, p.StockQuantity, "null")
}

func TestFixtureVariation(t *testing.T) {
	raw := fixture.Read(t, "shop/woocommerce/variation_retrieve.wc-docs.json")
	var v Product
	require.NoError(t, json.Unmarshal(raw, &v))
	assert.Equal(t, int64(732), v.ID)
	assert.True(t, v.RegularPrice.Equal(decimal.RequireFromString("9.00")))
	require.NotNil(t, v.Image)
	assert.Equal(t, "https://example.com/wp-content/uploads/2016/10/T_4_front-12.jpg", v.Image.Src)
	require.Len(t, v.Attributes, 1)
	assert.Equal(t, Attribute{ID: 6, Name: "Color", Option: "Black"}, v.Attributes[0])
	assert.Equal(t, "instock", v.StockStatus)
	assert.Equal(t, "no", v.Backorders)
}

func TestFixtureBatchResponse(t *testing.T) {
	raw := fixture.Read(t, "shop/woocommerce/products_batch_response.wc-docs.json")
	var resp struct {
		Create []json.RawMessage `json:"create"`
		Update []json.RawMessage `json:"update"`
		Delete []json.RawMessage `json:"delete"`
	}
	require.NoError(t, json.Unmarshal(raw, &resp))
	var ids []int64
	for _, r := range append(resp.Create, resp.Update...) {
		res := decodeBatchItem(r, "/products/batch")
		require.NoError(t, res.err)
		ids = append(ids, res.id)
	}
	assert.Equal(t, []int64{801, 804, 799}, ids)
	var p Product
	require.NoError(t, json.Unmarshal(resp.Update[0], &p))
	assert.Equal(t, "variable", p.Type)
	require.Len(t, p.Attributes, 2)
	assert.Equal(t, []string{"S", "M"}, p.Attributes[1].Options)

	// A failed item in the same shape.
	res := decodeBatchItem(json.RawMessage(`{"id":0,"error":{"code":"product_invalid_sku","message":"Invalid or duplicated SKU.","data":{"status":400}}}`), "/products/batch")
	var ae *kontor.APIError
	require.True(t, errors.As(res.err, &ae))
	assert.Equal(t, kontor.KindValidation, ae.Kind)
	assert.Equal(t, "product_invalid_sku", ae.Code)
	assert.Equal(t, 400, ae.StatusCode)
	res = decodeBatchItem(json.RawMessage(`{"id":5,"error":{"code":"woocommerce_rest_product_invalid_id","message":"Invalid ID.","data":{"status":400}}}`), "/products/batch")
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(res.err))
}

func TestErrorBodies(t *testing.T) {
	c, _ := testMux(t, map[string]http.HandlerFunc{
		"GET /wp-json/wc/v3/orders/1": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
		},
		"GET /wp-json/wc/v3/orders/2": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 400, "rest_invalid_param", "Invalid parameter(s): per_page")
		},
		"GET /wp-json/wc/v3/orders/3": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
		},
		"GET /wp-json/wc/v3/orders/4": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "7")
			writeErr(w, 429, "rate_limit_exceeded", "Too many requests.")
		},
		"GET /wp-json/wc/v3/orders/5": func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, 404, "rest_no_route", "No route was found matching the URL and request method.")
		},
	}, WithRetry(retryOnce()))
	// The 429 last: its Retry-After holds the limiter back for 7 seconds.
	for _, tc := range []struct {
		id   string
		want kontor.Kind
	}{{"1", kontor.KindNotFound}, {"2", kontor.KindValidation}, {"3", kontor.KindUnauthorized},
		{"5", kontor.KindPermanent}, {"4", kontor.KindRateLimited}} {
		id, want := tc.id, tc.want
		_, err := c.do(t.Context(), http.MethodGet, "/orders/"+id, nil, nil, &Order{})
		require.Error(t, err)
		assert.Equal(t, want, kontor.KindOf(err), "order %s: %v", id, err)
		var ae *kontor.APIError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, "GET /orders/{id}", ae.Op, "ids are not in error texts")
		if id == "4" {
			d, ok := kontor.RetryAfter(err)
			assert.True(t, ok)
			assert.Equal(t, 7*time.Second, d)
		}
	}
}

// retryOnce disables retries, so a test sees the first answer.
func retryOnce() transport.RetryOption { return transport.RetryMaxAttempts(1) }
