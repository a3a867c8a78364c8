package woocommerce

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// The expected base string and signature were computed outside Go,
// following WooCommerce's check_oauth_signature: parameters sorted by
// name, each name and value rawurlencoded, each "name=value" rawurlencoded
// again and joined with %26, then HMAC-SHA256 keyed with "secret&".
func TestSignatureGolden(t *testing.T) {
	u, err := url.Parse("http://localhost:8080/wp-json/wc/v3/products?per_page=10&sku=A+B%2CC")
	require.NoError(t, err)
	params := u.Query()
	params.Set("oauth_consumer_key", "ck_test")
	params.Set("oauth_nonce", "abc")
	params.Set("oauth_signature_method", "HMAC-SHA256")
	params.Set("oauth_timestamp", "1700000000")
	params.Set("oauth_version", "1.0")
	params.Set("oauth_signature", "ignored")

	assert.Equal(t, "GET&http%3A%2F%2Flocalhost%3A8080%2Fwp-json%2Fwc%2Fv3%2Fproducts&"+
		"oauth_consumer_key%3Dck_test%26oauth_nonce%3Dabc%26oauth_signature_method%3DHMAC-SHA256%26"+
		"oauth_timestamp%3D1700000000%26oauth_version%3D1.0%26per_page%3D10%26sku%3DA%2520B%252CC",
		BaseString("get", u, params))
	assert.Equal(t, "AnOqykaAzHTWVJ87FPJKYTK11avIpEpxu0MN14t3XQo=", Signature("GET", u, params, "cs_secret"))
}

func TestBaseURLDropsDefaultPort(t *testing.T) {
	for raw, want := range map[string]string{
		"https://Shop.Example.com:443/wp-json/wc/v3/orders?x=1": "https://shop.example.com/wp-json/wc/v3/orders",
		"http://shop.example.com:80/shop/wp-json/wc/v3/orders":  "http://shop.example.com/shop/wp-json/wc/v3/orders",
		"http://127.0.0.1:8081/wp-json/wc/v3/orders":            "http://127.0.0.1:8081/wp-json/wc/v3/orders",
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		assert.Equal(t, want, baseURL(u), raw)
	}
}

// oauthServer checks each request's OAuth 1.0a parameters as WooCommerce
// does and remembers the nonces.
type oauthServer struct {
	mu     sync.Mutex
	nonces map[string]bool
	seen   []url.Values
}

func (s *oauthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, q)
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	want := Signature(r.Method, &u, q, "cs_secret")
	switch {
	case r.Header.Get("Authorization") != "":
		writeErr(w, 400, "unexpected", "the secret must not travel in a header over plain HTTP")
	case q.Get("oauth_signature_method") != "HMAC-SHA256":
		writeErr(w, 401, "woocommerce_rest_authentication_error", "Invalid signature - signature method is invalid.")
	case q.Get("oauth_signature") != want:
		writeErr(w, 401, "woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")
	case s.nonces[q.Get("oauth_nonce")]:
		writeErr(w, 401, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used.")
	default:
		s.nonces[q.Get("oauth_nonce")] = true
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "[]")
	}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "data": map[string]int{"status": status}})
}

func TestOAuthOverPlainHTTP(t *testing.T) {
	srv := &oauthServer{nonces: map[string]bool{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	at := time.Unix(1_700_000_000, 0)
	c, err := New(ts.URL, "ck_test", "cs_secret", WithClock(func() time.Time { return at }), WithRate(1000))
	require.NoError(t, err)
	assert.Equal(t, AuthOAuth1, c.AuthMode(), "plain HTTP signs with OAuth 1.0a")

	q := url.Values{"sku": {"A B,C"}, "modified_after": {"2026-01-01T00:00:00"}}
	for range 2 {
		_, err := c.do(t.Context(), http.MethodGet, "/products", q, nil, &[]Product{})
		require.NoError(t, err)
	}
	require.Len(t, srv.seen, 2)
	for _, v := range srv.seen {
		assert.Equal(t, "ck_test", v.Get("oauth_consumer_key"))
		assert.Equal(t, "1700000000", v.Get("oauth_timestamp"))
		assert.Len(t, v.Get("oauth_nonce"), 32)
		assert.Empty(t, v.Get("consumer_secret"), "the secret never travels over plain HTTP")
		sig, err := base64.StdEncoding.DecodeString(v.Get("oauth_signature"))
		require.NoError(t, err)
		assert.Len(t, sig, 32, "SHA-256")
	}
	assert.NotEqual(t, srv.seen[0].Get("oauth_nonce"), srv.seen[1].Get("oauth_nonce"))
}

func TestPlainHTTPRefusesBasic(t *testing.T) {
	_, err := New("http://shop.example.com", "ck", "cs", WithAuth(AuthBasic))
	require.Error(t, err)
	_, err = New("http://shop.example.com", "ck", "cs", WithAuth(AuthQuery))
	require.Error(t, err)
	c, err := New("http://shop.example.com", "ck", "cs")
	require.NoError(t, err)
	assert.Equal(t, AuthOAuth1, c.AuthMode())
}

// droppingServer loses the Authorization header, as Apache with PHP as CGI
// does, and accepts the query-parameter fallback.
func droppingServer(t *testing.T, drop bool) (*httptest.Server, *[]string) {
	var mu sync.Mutex
	var log []string
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if drop {
			r.Header.Del("Authorization")
		}
		body, _ := io.ReadAll(r.Body)
		user, pass, basic := r.BasicAuth()
		q := r.URL.Query()
		switch {
		case basic && user == "ck_key" && pass == "cs_secret":
			log = append(log, "basic "+string(body))
		case q.Get("consumer_key") == "ck_key" && q.Get("consumer_secret") == "cs_secret":
			log = append(log, "query "+string(body))
		case basic:
			w.Header().Set("WWW-Authenticate", `Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in the password field."`)
			writeErr(w, 401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
			return
		default:
			log = append(log, "anonymous")
			writeErr(w, 401, "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource.")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"update":[{"id":7,"date_modified_gmt":"2026-03-01T10:00:00"}]}`)
	}))
	t.Cleanup(ts.Close)
	return ts, &log
}

func TestFallbackWhenAuthorizationHeaderDropped(t *testing.T) {
	ts, log := droppingServer(t, true)
	c, err := New(ts.URL, "ck_key", "cs_secret", WithRate(1000), WithTransport(ts.Client().Transport))
	require.NoError(t, err)
	require.Equal(t, AuthBasic, c.AuthMode())

	body := map[string]any{"update": []any{map[string]any{"id": 7, "regular_price": "9.90"}}}
	var out struct{ Update []batchItem }
	_, err = c.do(t.Context(), http.MethodPost, "/products/batch", nil, body, &out)
	require.NoError(t, err)
	require.Len(t, out.Update, 1)
	assert.Equal(t, int64(7), out.Update[0].ID)
	assert.Equal(t, AuthQuery, c.AuthMode(), "the client switched for good")
	assert.Equal(t, []string{"anonymous", `query {"update":[{"id":7,"regular_price":"9.90"}]}`}, *log,
		"one anonymous attempt, then the same body again with the keys in the query")

	_, err = c.do(t.Context(), http.MethodPost, "/products/batch", nil, body, &out)
	require.NoError(t, err)
	assert.Len(t, *log, 3, "later requests go straight to the query parameters")
	assert.True(t, strings.HasPrefix((*log)[2], "query "))
}

func TestNoFallbackForWrongSecret(t *testing.T) {
	ts, log := droppingServer(t, false)
	c, err := New(ts.URL, "ck_key", "cs_wrong", WithRate(1000), WithTransport(ts.Client().Transport))
	require.NoError(t, err)
	_, err = c.do(t.Context(), http.MethodGet, "/products", nil, nil, &[]Product{})
	require.Error(t, err)
	assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(err))
	assert.Empty(t, *log, "a rejected secret is not retried in the query")
	assert.Equal(t, AuthBasic, c.AuthMode())
}

func TestForcedQueryAuth(t *testing.T) {
	ts, log := droppingServer(t, true)
	c, err := New(ts.URL, "ck_key", "cs_secret", WithAuth(AuthQuery), WithRate(1000), WithTransport(ts.Client().Transport))
	require.NoError(t, err)
	_, err = c.do(t.Context(), http.MethodGet, "/products", nil, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"query "}, *log)
}
