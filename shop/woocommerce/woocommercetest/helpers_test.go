package woocommercetest_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// auth modes of the test client.
const (
	oauthSHA256 = "HMAC-SHA256"
	oauthSHA1   = "HMAC-SHA1"
	basic       = "basic"
	queryAuth   = "query"
	anonymous   = "none"
)

// client is a minimal WooCommerce REST client written from RFC 5849 and
// the WooCommerce docs, independent of the fake's own code.
type client struct {
	t           testing.TB
	hc          *http.Client
	base        string
	mode        string
	key, secret string
	now         func() time.Time
	nonce       int
	oauthHeader bool // send OAuth parameters in the Authorization header
}

func newClient(t testing.TB, s *woocommercetest.Server, mode string, now func() time.Time) *client {
	return &client{t: t, hc: s.Client(), base: s.APIURL(), mode: mode, key: s.ConsumerKey(), secret: s.ConsumerSecret(), now: now}
}

// pct is RFC 3986 percent-encoding as RFC 5849 §3.6 requires.
func pct(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// sign returns the OAuth parameters for a request (RFC 5849 §3.4).
func (c *client) sign(method, rawURL string, query url.Values, secret string) url.Values {
	c.nonce++
	oauth := url.Values{
		"oauth_consumer_key":     {c.key},
		"oauth_nonce":            {fmt.Sprintf("nonce%08d", c.nonce)},
		"oauth_signature_method": {c.mode},
		"oauth_timestamp":        {strconv.FormatInt(c.now().Unix(), 10)},
		"oauth_version":          {"1.0"},
	}
	type pair struct{ k, v string }
	var pairs []pair
	for _, vs := range []url.Values{query, oauth} {
		for k, list := range vs {
			for _, v := range list {
				pairs = append(pairs, pair{pct(k), pct(v)})
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var norm []string
	for _, p := range pairs {
		norm = append(norm, p.k+"="+p.v)
	}
	base := strings.ToUpper(method) + "&" + pct(rawURL) + "&" + pct(strings.Join(norm, "&"))
	var h func() hash.Hash = sha256.New
	if c.mode == oauthSHA1 {
		h = sha1.New
	}
	m := hmac.New(h, []byte(pct(secret)+"&"))
	m.Write([]byte(base))
	oauth.Set("oauth_signature", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return oauth
}

// request builds a request to path (below /wp-json/wc/v3).
func (c *client) request(method, path string, query url.Values, body any) *http.Request {
	c.t.Helper()
	if query == nil {
		query = url.Values{}
	}
	u := c.base + path
	var header string
	switch c.mode {
	case oauthSHA1, oauthSHA256, "PLAINTEXT":
		oauth := c.sign(method, u, query, c.secret)
		if c.oauthHeader {
			var parts []string
			for _, k := range []string{"oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_signature_method", "oauth_timestamp", "oauth_version"} {
				parts = append(parts, k+`="`+pct(oauth.Get(k))+`"`)
			}
			header = "OAuth " + strings.Join(parts, ", ")
		} else {
			for k, v := range oauth {
				query[k] = v
			}
		}
	case queryAuth:
		query.Set("consumer_key", c.key)
		query.Set("consumer_secret", c.secret)
	}
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		if raw, isRaw := body.([]byte); isRaw {
			rd = bytes.NewReader(raw)
		} else {
			b, err := json.Marshal(body)
			require.NoError(c.t, err)
			rd = bytes.NewReader(b)
		}
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if header != "" {
		req.Header.Set("Authorization", header)
	}
	if c.mode == basic {
		req.SetBasicAuth(c.key, c.secret)
	}
	return req
}

// do sends a request and returns the response with its body read.
func (c *client) do(method, path string, query url.Values, body any) (*http.Response, []byte) {
	c.t.Helper()
	return c.send(c.request(method, path, query, body))
}

func (c *client) send(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, b
}

// get sends a GET and decodes the JSON answer into v, requiring status.
func (c *client) getJSON(path string, query url.Values, status int, v any) *http.Response {
	c.t.Helper()
	resp, body := c.do(http.MethodGet, path, query, nil)
	require.Equal(c.t, status, resp.StatusCode, string(body))
	if v != nil {
		require.NoError(c.t, json.Unmarshal(body, v), string(body))
	}
	return resp
}

// sendJSON sends method with a body and decodes the answer.
func (c *client) sendJSON(method, path string, body any, status int, v any) *http.Response {
	c.t.Helper()
	resp, b := c.do(method, path, nil, body)
	require.Equal(c.t, status, resp.StatusCode, string(b))
	if v != nil {
		require.NoError(c.t, json.Unmarshal(b, v), string(b))
	}
	return resp
}

// wpErr is the WordPress error body.
type wpErr struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Data    map[string]any `json:"data"`
}

func decodeErr(t testing.TB, body []byte) wpErr {
	t.Helper()
	var e wpErr
	require.NoError(t, json.Unmarshal(body, &e), string(body))
	return e
}

// newShop starts a fake with a test clock and a client.
func newShop(t testing.TB, mode string, opts ...woocommercetest.Option) (*woocommercetest.Server, *client, *clock) {
	t.Helper()
	clk := newClock()
	s := woocommercetest.New(append([]woocommercetest.Option{woocommercetest.WithClock(clk.Now)}, opts...)...)
	t.Cleanup(s.Close)
	return s, newClient(t, s, mode, clk.Now), clk
}

func ptr[T any](v T) *T { return &v }
