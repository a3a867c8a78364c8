package woocommerce

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kontor-dev/kontor/transport"
)

// authenticator puts the consumer key and secret on every request, in the
// client's mode. In AuthAuto over HTTPS it starts with HTTP Basic and
// switches to query parameters for good once a request answered 401 in a
// way that shows the shop never saw the Authorization header.
type authenticator struct {
	mode   AuthMode
	key    string
	secret string
	now    func() time.Time
	log    *slog.Logger

	fellBack atomic.Bool
}

func (a *authenticator) current() AuthMode {
	if a.mode == AuthAuto {
		if a.fellBack.Load() {
			return AuthQuery
		}
		return AuthBasic
	}
	return a.mode
}

func (a *authenticator) middleware(next http.RoundTripper) http.RoundTripper {
	return transport.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		mode := a.current()
		r, err := a.sign(req, mode)
		if err != nil {
			return nil, err
		}
		resp, err := next.RoundTrip(r)
		if err != nil || a.mode != AuthAuto || mode != AuthBasic || resp.StatusCode != http.StatusUnauthorized {
			return restore(resp, req), err
		}
		// A 401 in Basic mode: did the shop see the header at all?
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if !headerDropped(resp, body) {
			return restore(resp, req), nil
		}
		again, err := rewind(req)
		if err != nil {
			return restore(resp, req), nil
		}
		r2, err := a.sign(again, AuthQuery)
		if err != nil {
			return restore(resp, req), nil
		}
		resp2, err := next.RoundTrip(r2)
		if err != nil {
			return nil, err
		}
		if resp2.StatusCode != http.StatusUnauthorized && a.fellBack.CompareAndSwap(false, true) {
			a.log.Warn("woocommerce: the shop drops the Authorization header; sending the consumer key as query parameters from now on")
		}
		return restore(resp2, req), nil
	})
}

// headerDropped reports whether a 401 answered a request whose Basic
// credentials WooCommerce never saw: WooCommerce rejects credentials it saw
// with woocommerce_rest_authentication_error and a WWW-Authenticate
// header, while a request it took for anonymous fails the endpoint's
// permission check (woocommerce_rest_cannot_view and its siblings).
func headerDropped(resp *http.Response, body []byte) bool {
	if resp.Header.Get("WWW-Authenticate") != "" {
		return false
	}
	var e struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(body, &e) != nil {
		return false
	}
	return strings.HasPrefix(e.Code, "woocommerce_rest_cannot_") || e.Code == "rest_forbidden" ||
		e.Code == "woocommerce_rest_authentication_missing_parameter"
}

// sign returns a copy of req carrying the credentials in mode.
func (a *authenticator) sign(req *http.Request, mode AuthMode) (*http.Request, error) {
	r := req.Clone(req.Context())
	switch mode {
	case AuthBasic:
		r.SetBasicAuth(a.key, a.secret)
	case AuthQuery:
		q := r.URL.Query()
		q.Set("consumer_key", a.key)
		q.Set("consumer_secret", a.secret)
		r.URL.RawQuery = q.Encode()
	case AuthOAuth1:
		q := r.URL.Query()
		for k := range q {
			if strings.HasPrefix(k, "oauth_") {
				delete(q, k)
			}
		}
		q.Set("oauth_consumer_key", a.key)
		q.Set("oauth_nonce", nonce())
		q.Set("oauth_signature_method", "HMAC-SHA256")
		q.Set("oauth_timestamp", strconv.FormatInt(a.now().Unix(), 10))
		q.Set("oauth_version", "1.0")
		q.Set("oauth_signature", Signature(r.Method, r.URL, q, a.secret))
		r.URL.RawQuery = q.Encode()
	}
	return r, nil
}

// Signature returns the one-legged OAuth 1.0a HMAC-SHA256 signature
// (base64) of a request to u with the query parameters params (the
// oauth_* ones included, oauth_signature excluded), keyed with the consumer
// secret and an empty token secret. It builds the base string as
// WooCommerce checks it: the upper-case method, the percent-encoded URL
// without query (scheme and host lower-case, a default port dropped), and
// the percent-encoded, sorted "key=value" pairs joined by "&".
func Signature(method string, u *url.URL, params url.Values, consumerSecret string) string {
	mac := hmac.New(sha256.New, []byte(percentEncode(consumerSecret)+"&"))
	mac.Write([]byte(BaseString(method, u, params)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// BaseString returns the OAuth 1.0a signature base string (RFC 5849
// §3.4.1) of a request; see Signature.
func BaseString(method string, u *url.URL, params url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range params {
		if k == "oauth_signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, pair{percentEncode(k), percentEncode(v)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.ToUpper(method) + "&" + percentEncode(baseURL(u)) + "&" + percentEncode(strings.Join(parts, "&"))
}

// baseURL is scheme://host[:port]/path with the default port dropped.
func baseURL(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := u.Port(); p != "" && !(scheme == "http" && p == "80") && !(scheme == "https" && p == "443") {
		host += ":" + p
	}
	return scheme + "://" + host + u.EscapedPath()
}

// percentEncode is RFC 3986 encoding: everything but ALPHA, DIGIT and
// "-._~" as %XX with upper-case hex, as PHP's rawurlencode does.
func percentEncode(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

// nonce returns 32 random hex digits; WooCommerce refuses a nonce it saw
// within 15 minutes.
func nonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rewind returns a clone of req with its body read afresh.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	if req.GetBody == nil {
		return nil, io.ErrUnexpectedEOF
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r.Body = b
	return r, nil
}

// restore points a response back at the caller's request, so that errors
// and logs quoting the request's URL never show credentials in its query.
func restore(resp *http.Response, req *http.Request) *http.Response {
	if resp != nil {
		resp.Request = req
	}
	return resp
}
