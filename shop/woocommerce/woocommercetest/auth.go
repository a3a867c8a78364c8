package woocommercetest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file authenticates requests as WC_REST_Authentication does.
//
// Over HTTPS (WithTLS) WooCommerce first tries HTTP Basic: the
// consumer_key and consumer_secret query parameters if both are present,
// else the Basic credentials of the Authorization header. An unknown key is
// no error (the request just stays anonymous); a known key with the wrong
// secret is "Consumer secret is invalid.". Then, over HTTPS and plain HTTP
// alike, OAuth 1.0a one-legged: the oauth_* parameters from the query, a
// form body and an "Authorization: OAuth ..." header (the header wins).
// Plain HTTP never accepts Basic or the consumer_key/consumer_secret pair.

// Auth methods as recorded in Request.Auth.
const (
	AuthBasic       = "basic"            // Authorization: Basic
	AuthQuery       = "query"            // consumer_key & consumer_secret in the query
	AuthOAuthSHA1   = "oauth1-hmac-sha1" // OAuth 1.0a, HMAC-SHA1
	AuthOAuthSHA256 = "oauth1-hmac-sha256"
)

// oauthWindow is how far oauth_timestamp may be from the server's clock,
// and how long a nonce is remembered.
const oauthWindow = 15 * time.Minute

// authenticate returns how the request authenticated ("" for anonymous) or
// the authentication error WooCommerce would send.
func (s *Server) authenticate(r *http.Request, body []byte, now time.Time) (string, *wpError) {
	var authErr *wpError
	if s.cfg.tls {
		method, err := s.basicAuth(r)
		if method != "" {
			return method, nil
		}
		authErr = err
	}
	method, err := s.oauth(r, body, now)
	if method != "" {
		return method, nil
	}
	if err != nil {
		authErr = err
	}
	return "", authErr
}

func errAuth(message string) *wpError {
	return newError(http.StatusUnauthorized, "woocommerce_rest_authentication_error", message)
}

func (s *Server) basicAuth(r *http.Request) (string, *wpError) {
	q := r.URL.Query()
	key, secret, method := q.Get("consumer_key"), q.Get("consumer_secret"), AuthQuery
	if key == "" || secret == "" {
		key, secret, method = "", "", AuthBasic
		if u, p, ok := r.BasicAuth(); ok && u != "" && p != "" {
			key, secret = u, p
		}
	}
	if key == "" || secret == "" || key != s.cfg.key {
		return "", nil
	}
	if subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.secret)) != 1 {
		return "", errAuth("Consumer secret is invalid.")
	}
	return method, nil
}

var oauthHeaderParam = regexp.MustCompile(`(oauth_[a-z_-]*)=(:?"([^"]*)"|([^,]*))`)

// oauthParams gathers the parameters WooCommerce signs: $_GET, $_POST (a
// form body) and the OAuth header's oauth_* values, the header winning.
func oauthParams(r *http.Request, body []byte) []phpParam {
	params := phpParseQuery(r.URL.RawQuery)
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" && r.Method == http.MethodPost {
		for _, p := range phpParseQuery(string(body)) {
			params = setParam(params, p)
		}
	}
	if h := strings.TrimSpace(r.Header.Get("Authorization")); strings.HasPrefix(h, "OAuth ") {
		for _, m := range oauthHeaderParam.FindAllStringSubmatch(h, -1) {
			v := m[3]
			if v == "" {
				v = m[4]
			}
			dec, err := url.QueryUnescape(v)
			if err != nil {
				dec = v
			}
			params = setParam(params, phpParam{key: m[1], value: dec})
		}
	}
	return params
}

func setParam(params []phpParam, p phpParam) []phpParam {
	for i := range params {
		if params[i].key == p.key {
			params[i] = p
			return params
		}
	}
	return append(params, p)
}

func paramValue(params []phpParam, key string) string {
	for _, p := range params {
		if p.key == key && p.sub == nil {
			return p.value
		}
	}
	return ""
}

var oauthRequired = []string{"oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"}

func (s *Server) oauth(r *http.Request, body []byte, now time.Time) (string, *wpError) {
	params := oauthParams(r, body)
	var missing []string
	for _, name := range oauthRequired {
		if paramValue(params, name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) == len(oauthRequired) {
		return "", nil // not even trying OAuth
	}
	if len(missing) > 0 {
		msg := "Missing OAuth parameter " + strings.Join(missing, ", ")
		if len(missing) > 1 {
			msg = "Missing OAuth parameters " + strings.Join(missing, ", ")
		}
		return "", newError(http.StatusUnauthorized, "woocommerce_rest_authentication_missing_parameter", msg)
	}
	if paramValue(params, "oauth_consumer_key") != s.cfg.key {
		return "", errAuth("Consumer key is invalid.")
	}

	method := paramValue(params, "oauth_signature_method")
	base := s.signatureBase(r, params)
	var h func() hash.Hash
	var auth string
	switch method {
	case "HMAC-SHA1":
		h, auth = sha1.New, AuthOAuthSHA1
	case "HMAC-SHA256":
		h, auth = sha256.New, AuthOAuthSHA256
	default:
		return "", errAuth("Invalid signature - signature method is invalid.")
	}
	mac := hmac.New(h, []byte(s.cfg.secret+"&"))
	mac.Write([]byte(base))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	got := strings.ReplaceAll(paramValue(params, "oauth_signature"), " ", "+")
	if dec, err := url.PathUnescape(got); err == nil {
		got = dec
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return "", errAuth("Invalid signature - provided signature does not match.")
	}

	ts, err := strconv.ParseInt(paramValue(params, "oauth_timestamp"), 10, 64)
	window := int64(oauthWindow / time.Second)
	if err != nil || ts < now.Unix()-window || ts > now.Unix()+window {
		return "", errAuth("Invalid timestamp.")
	}
	nonce := paramValue(params, "oauth_nonce")
	s.mu.Lock()
	defer s.mu.Unlock()
	for n, at := range s.nonces {
		if at < now.Unix()-window {
			delete(s.nonces, n)
		}
	}
	if _, used := s.nonces[nonce]; used {
		return "", errAuth("Invalid nonce - nonce has already been used.")
	}
	s.nonces[nonce] = ts
	return auth, nil
}

// signatureBase builds the string WooCommerce signs:
// METHOD & rawurlencode(home URL + path) & the sorted, normalised
// parameters joined with %26, each "key=value" encoded again.
func (s *Server) signatureBase(r *http.Request, params []phpParam) string {
	sorted := slices.DeleteFunc(slices.Clone(params), func(p phpParam) bool { return p.key == "oauth_signature" })
	slices.SortStableFunc(sorted, func(a, b phpParam) int { return strings.Compare(a.key, b.key) })
	var pairs []string
	for _, p := range sorted {
		key := rfc3986(p.key)
		if p.sub == nil {
			pairs = append(pairs, rfc3986(key+"="+rfc3986(p.value)))
			continue
		}
		for _, sub := range p.sub {
			pairs = append(pairs, rfc3986(key+"%5B"+sub.key+"%5D="+rfc3986(sub.value)))
		}
	}
	base := s.ts.URL + r.URL.EscapedPath()
	return strings.ToUpper(r.Method) + "&" + rfc3986(base) + "&" + strings.Join(pairs, "%26")
}

// checkKeyPermissions applies the key's read/write permissions.
func (s *Server) checkKeyPermissions(method string) *wpError {
	p := s.cfg.permissions
	switch method {
	case http.MethodGet, http.MethodHead:
		if p != "read" && p != "read_write" {
			return errAuth("The API key provided does not have read permissions.")
		}
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		if p != "write" && p != "read_write" {
			return errAuth("The API key provided does not have write permissions.")
		}
	case http.MethodOptions:
	default:
		return errAuth("Unknown request method.")
	}
	return nil
}
