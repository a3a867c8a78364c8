package woocommercetest_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

func TestOAuthSignaturesVerified(t *testing.T) {
	for _, tc := range []struct {
		mode, header string
		auth         string
	}{
		{oauthSHA256, "", woocommercetest.AuthOAuthSHA256},
		{oauthSHA1, "", woocommercetest.AuthOAuthSHA1},
		{oauthSHA256, "header", woocommercetest.AuthOAuthSHA256},
	} {
		t.Run(tc.mode+tc.header, func(t *testing.T) {
			s, c, _ := newShop(t, tc.mode)
			c.oauthHeader = tc.header != ""
			_, err := s.SeedProduct(woocommercetest.Product{Name: "Mug", SKU: "MUG-1", RegularPrice: "9.90"})
			require.NoError(t, err)
			// Parameters that need encoding must be signed as PHP decodes them.
			q := url.Values{"sku": {"MUG-1"}, "search": {"Mug"}, "modified_after": {"2020-01-01T00:00:00"}}
			var list []woocommercetest.Product
			c.getJSON("/products", q, http.StatusOK, &list)
			require.Len(t, list, 1)
			assert.Equal(t, "MUG-1", list[0].SKU)
			// A write signs the JSON body's request too (the body is not signed).
			c.sendJSON(http.MethodPut, "/products/"+itoa(list[0].ID), map[string]any{"regular_price": "10.50"}, http.StatusOK, nil)
			reqs := s.Requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, tc.auth, reqs[0].Auth)
			assert.Equal(t, tc.auth, reqs[1].Auth)
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestOAuthRejections(t *testing.T) {
	s, c, clk := newShop(t, oauthSHA256)

	wrong := newClient(t, s, oauthSHA256, clk.Now)
	wrong.secret = "cs_wrong"
	resp, body := wrong.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, wpErr{Code: "woocommerce_rest_authentication_error", Message: "Invalid signature - provided signature does not match.",
		Data: map[string]any{"status": float64(401)}}, decodeErr(t, body))

	badKey := newClient(t, s, oauthSHA1, clk.Now)
	badKey.key = "ck_unknown"
	resp, body = badKey.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Consumer key is invalid.", decodeErr(t, body).Message)

	// A signature over different parameters than those sent.
	req := c.request(http.MethodGet, "/products", url.Values{"per_page": {"5"}}, nil)
	q := req.URL.Query()
	q.Set("per_page", "6")
	req.URL.RawQuery = q.Encode()
	resp, body = c.send(req)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, decodeErr(t, body).Message, "signature does not match")

	// The same signed request twice: the nonce is spent.
	req = c.request(http.MethodGet, "/products", nil, nil)
	resp, _ = c.send(req)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	req2, err := http.NewRequest(http.MethodGet, req.URL.String(), nil)
	require.NoError(t, err)
	resp, body = c.send(req2)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Invalid nonce - nonce has already been used.", decodeErr(t, body).Message)

	// A timestamp 16 minutes old.
	old := newClient(t, s, oauthSHA256, func() time.Time { return clk.Now().Add(-16 * time.Minute) })
	old.nonce = 1000
	resp, body = old.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Invalid timestamp.", decodeErr(t, body).Message)
	// 14 minutes is inside the window.
	recent := newClient(t, s, oauthSHA256, func() time.Time { return clk.Now().Add(-14 * time.Minute) })
	recent.nonce = 2000
	resp, _ = recent.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// An unknown signature method.
	plain := newClient(t, s, "PLAINTEXT", clk.Now)
	plain.nonce = 3000
	resp, body = plain.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Invalid signature - signature method is invalid.", decodeErr(t, body).Message)

	// Some OAuth parameters but not all.
	resp, body = anonymousGet(t, s, "/products?oauth_consumer_key="+s.ConsumerKey()+"&oauth_nonce=x")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, wpErr{Code: "woocommerce_rest_authentication_missing_parameter",
		Message: "Missing OAuth parameters oauth_timestamp, oauth_signature, oauth_signature_method",
		Data:    map[string]any{"status": float64(401)}}, decodeErr(t, body))
}

func anonymousGet(t *testing.T, s *woocommercetest.Server, path string) (*http.Response, []byte) {
	t.Helper()
	c := newClient(t, s, anonymous, time.Now)
	req, err := http.NewRequest(http.MethodGet, s.APIURL()+path, nil)
	require.NoError(t, err)
	return c.send(req)
}

func TestPlainHTTPTakesNoBasicOrQueryCredentials(t *testing.T) {
	s, _, clk := newShop(t, basic)
	for _, mode := range []string{basic, queryAuth, anonymous} {
		c := newClient(t, s, mode, clk.Now)
		resp, body := c.do(http.MethodGet, "/orders", nil, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, mode)
		assert.Equal(t, wpErr{Code: "woocommerce_rest_cannot_view", Message: "Sorry, you cannot list resources.",
			Data: map[string]any{"status": float64(401)}}, decodeErr(t, body), mode)
		resp, body = c.do(http.MethodPost, "/products/batch", nil, map[string]any{"create": []any{}})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Equal(t, "woocommerce_rest_cannot_batch", decodeErr(t, body).Code)
	}
	assert.Equal(t, 3, s.Count(http.MethodPost, "/products/batch"), "the refused batch attempts are recorded")
	assert.Empty(t, s.Products())
}

func TestBasicAndQueryOverTLS(t *testing.T) {
	s, c, clk := newShop(t, basic, woocommercetest.WithTLS())
	assert.True(t, strings.HasPrefix(s.URL(), "https://"))
	c.getJSON("/products", nil, http.StatusOK, nil)
	q := newClient(t, s, queryAuth, clk.Now)
	q.getJSON("/products", nil, http.StatusOK, nil)
	o := newClient(t, s, oauthSHA256, clk.Now)
	o.getJSON("/products", nil, http.StatusOK, nil)
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, []string{woocommercetest.AuthBasic, woocommercetest.AuthQuery, woocommercetest.AuthOAuthSHA256},
		[]string{reqs[0].Auth, reqs[1].Auth, reqs[2].Auth})

	// A known key with the wrong secret is an error; an unknown key is just anonymous.
	bad := newClient(t, s, basic, clk.Now)
	bad.secret = "cs_nope"
	resp, body := bad.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Consumer secret is invalid.", decodeErr(t, body).Message)
	bad.key = "ck_nope"
	resp, body = bad.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_cannot_view", decodeErr(t, body).Code)
}

func TestDroppedAuthorizationHeader(t *testing.T) {
	s, c, clk := newShop(t, basic, woocommercetest.WithTLS(), woocommercetest.WithoutAuthorizationHeader())
	resp, body := c.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_cannot_view", decodeErr(t, body).Code)

	hdr := newClient(t, s, oauthSHA256, clk.Now)
	hdr.oauthHeader = true
	resp, _ = hdr.do(http.MethodGet, "/products", nil, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an OAuth header is lost too")

	newClient(t, s, queryAuth, clk.Now).getJSON("/products", nil, http.StatusOK, nil)
	inQuery := newClient(t, s, oauthSHA256, clk.Now)
	inQuery.getJSON("/products", nil, http.StatusOK, nil)

	s.DropAuthorizationHeader(false)
	c.getJSON("/products", nil, http.StatusOK, nil)
}

func TestKeyPermissions(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256, woocommercetest.WithKeyPermissions("read"))
	c.getJSON("/products", nil, http.StatusOK, nil)
	resp, body := c.do(http.MethodPost, "/products", nil, map[string]any{"name": "x"})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "The API key provided does not have write permissions.", decodeErr(t, body).Message)
	assert.Empty(t, s.Products())
}

func TestUnknownRoutes(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	resp, body := c.do(http.MethodGet, "/coupons/1/nothing", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, wpErr{Code: "rest_no_route", Message: "No route was found matching the URL and request method.",
		Data: map[string]any{"status": float64(404)}}, decodeErr(t, body))
	resp, _ = c.do(http.MethodDelete, "/orders", nil, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a path with a method it does not take")
	resp, _ = anonymousGet(t, s, "/../../shop/")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}
