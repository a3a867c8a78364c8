package woocommercetest_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

func TestThrottleAndMaintenance(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	s.Throttle(2, 3*time.Second)
	for range 2 {
		resp, body := c.do(http.MethodGet, "/products", nil, nil)
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Equal(t, "3", resp.Header.Get("Retry-After"))
		assert.Equal(t, "rate_limit_exceeded", decodeErr(t, body).Code)
	}
	s.FailNext(1, http.StatusServiceUnavailable, woocommercetest.RetryAfter(600*time.Second))
	resp, body := c.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "600", resp.Header.Get("Retry-After"))
	assert.Contains(t, string(body), "Briefly unavailable for scheduled maintenance")
	resp, _ = c.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 4, s.Count(http.MethodGet, "/products"))
}

func TestFailMidwayOnOneRoute(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	s.FailNext(1, http.StatusBadGateway, woocommercetest.OnRoute(http.MethodPost, "/products/batch"), woocommercetest.AfterSkipping(1))
	batch := func(i int) int {
		resp, _ := c.do(http.MethodPost, "/products/batch", nil, map[string]any{"create": []any{map[string]any{"name": "p", "sku": fmt.Sprint("S", i)}}})
		return resp.StatusCode
	}
	c.getJSON("/products", nil, http.StatusOK, nil) // other routes are untouched
	assert.Equal(t, http.StatusOK, batch(1))
	assert.Equal(t, http.StatusBadGateway, batch(2))
	assert.Equal(t, http.StatusOK, batch(3))
	assert.Len(t, s.Products(), 2, "the failed batch was not applied")
	reqs, items := s.BatchWrites()
	assert.Equal(t, 2, reqs)
	assert.Equal(t, 2, items)
}

func TestFailAfterApplying(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	s.FailNext(1, http.StatusGatewayTimeout, woocommercetest.AfterApplying())
	resp, _ := c.do(http.MethodPost, "/products/batch", nil, map[string]any{"create": []any{map[string]any{"name": "p", "sku": "ONCE"}}})
	assert.Equal(t, http.StatusGatewayTimeout, resp.StatusCode)
	_, found := s.ProductBySKU("ONCE")
	assert.True(t, found, "the write happened though the client saw a failure")
	// The client's retry meets the duplicate SKU rule instead of creating twice.
	var got batchResp
	c.sendJSON(http.MethodPost, "/products/batch", map[string]any{"create": []any{map[string]any{"name": "p", "sku": "ONCE"}}}, http.StatusOK, &got)
	require.Len(t, got.Create, 1)
	require.NotNil(t, got.Create[0].Error)
	assert.Equal(t, "product_invalid_sku", got.Create[0].Error.Code)
	assert.Len(t, s.Products(), 1)
}

func TestInternalErrorBody(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	s.FailNext(1, http.StatusInternalServerError)
	resp, body := c.do(http.MethodGet, "/orders", nil, nil)
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "internal_server_error", decodeErr(t, body).Code)
	assert.Equal(t, "application/json; charset=UTF-8", resp.Header.Get("Content-Type"))
	s.ResetRequests()
	assert.Empty(t, s.Requests())
}
