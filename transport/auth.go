package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
	"golang.org/x/sync/singleflight"

	"github.com/kontor-dev/kontor"
)

// AuthOption configures OAuth2ClientCredentials.
type AuthOption func(*authConfig)

type authConfig struct {
	tokenClient *http.Client
	now         func() time.Time // the clock token expiry is checked against
}

// defaultTokenTimeout bounds one call to the token endpoint. The token
// fetch is shared by every request waiting for it, so it cannot use any one
// request's deadline.
const defaultTokenTimeout = 30 * time.Second

// earlyRefresh is how long before its expiry a token is replaced, so a
// request does not leave with a token that expires on its way.
const earlyRefresh = 10 * time.Second

// AuthTokenHTTPClient sets the client that calls the token endpoint. Give it
// a timeout: the default has one of 30 seconds.
func AuthTokenHTTPClient(c *http.Client) AuthOption {
	return func(a *authConfig) {
		if c != nil {
			a.tokenClient = c
		}
	}
}

// withAuthClock sets the clock token expiry is checked against (tests).
func withAuthClock(now func() time.Time) AuthOption {
	return func(a *authConfig) { a.now = now }
}

// OAuth2ClientCredentials authenticates requests with a bearer token from the
// OAuth 2.0 client credentials flow (RFC 6749 §4.4), as Business Central
// wants it.
//
// The token is fetched once and shared by every request through the
// middleware, replaced shortly before it expires, and fetched anew when the
// API answers 401 (a revoked or rotated token): the request is then sent once
// more with the new token if its body can be rewound (GetBody), else the 401
// is returned. Concurrent requests that need a token share one fetch. The
// fetch runs on its own background context and client, never on a request's,
// so one caller's cancellation does not fail the others.
//
// A failed fetch is returned as a *kontor.APIError of kind KindUnauthorized
// (wrong client id, secret or scope), KindRetryable (a 5xx) or
// KindRateLimited, or as a *kontor.Error of kind KindRetryable when the token
// endpoint could not be reached. Put Retry outside this middleware so a
// retry gets a valid token.
func OAuth2ClientCredentials(cfg clientcredentials.Config, opts ...AuthOption) Middleware {
	ac := authConfig{
		tokenClient: &http.Client{Timeout: defaultTokenTimeout},
		now:         time.Now,
	}
	for _, o := range opts {
		o(&ac)
	}
	conf := &clientcredentials.Config{
		ClientID:       cfg.ClientID,
		ClientSecret:   cfg.ClientSecret,
		TokenURL:       cfg.TokenURL,
		Scopes:         append([]string(nil), cfg.Scopes...),
		EndpointParams: authCloneValues(cfg.EndpointParams),
		AuthStyle:      cfg.AuthStyle,
	}
	// The token source keeps this context for every fetch, so it must not be
	// a request's context.
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, ac.tokenClient)
	tokens := &tokenCache{
		fetch: func() (*oauth2.Token, error) { return conf.TokenSource(tokenCtx).Token() },
		now:   ac.now,
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return &oauth2Transport{next: next, tokens: tokens}
	}
}

type oauth2Transport struct {
	next   http.RoundTripper
	tokens *tokenCache
}

func (t *oauth2Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tok, err := t.tokens.get(ctx, nil)
	if err != nil {
		closeRequestBody(req)
		return nil, err
	}
	r := req.Clone(ctx)
	r.Header.Set("Authorization", tok.header)
	resp, err := t.next.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return authRestoreRequest(resp, req), err
	}

	// The API rejected the token: it may have been revoked before its
	// expiry. Fetch a new one and try once more, if the body allows.
	body, ok := authRewindBody(req)
	if !ok {
		return authRestoreRequest(resp, req), nil
	}
	t.tokens.invalidate(tok)
	fresh, err := t.tokens.get(ctx, tok)
	if err != nil {
		if body != nil {
			body.Close()
		}
		drainAndClose(resp.Body)
		return nil, err
	}
	drainAndClose(resp.Body)
	r = req.Clone(ctx)
	r.Body = body
	r.Header.Set("Authorization", fresh.header)
	resp, err = t.next.RoundTrip(r)
	return authRestoreRequest(resp, req), err
}

// authRestoreRequest points resp back at the caller's request, so whoever
// logs or dumps resp.Request sees no credentials the middleware added.
func authRestoreRequest(resp *http.Response, req *http.Request) *http.Response {
	if resp != nil {
		resp.Request = req
	}
	return resp
}

// authRewindBody returns a fresh copy of req's body for a second attempt, and
// whether there is one.
func authRewindBody(req *http.Request) (io.ReadCloser, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	return b, true
}

// tokenCache holds the current token and fetches a new one when it is about
// to expire or was rejected. It keeps its own cache instead of
// oauth2.ReuseTokenSource because a rejected token must be dropped before its
// expiry, and because expiry is checked against an injectable clock.
type tokenCache struct {
	fetch func() (*oauth2.Token, error)
	now   func() time.Time
	group singleflight.Group

	mu  sync.Mutex
	cur *cachedToken
}

type cachedToken struct {
	header    string    // the Authorization header value
	refreshAt time.Time // when to fetch a new one; zero: when rejected
}

// get returns a valid token other than stale, fetching one if needed. All
// callers waiting at the same time share one fetch; a caller whose ctx ends
// stops waiting without ending the fetch for the others.
func (c *tokenCache) get(ctx context.Context, stale *cachedToken) (*cachedToken, error) {
	var last *cachedToken
	// A caller may join a fetch that began before it invalidated stale and
	// so returns stale: one more round gets it a fresh token.
	for range 2 {
		if t := c.valid(stale); t != nil {
			return t, nil
		}
		ch := c.group.DoChan("token", func() (any, error) {
			if t := c.valid(stale); t != nil {
				return t, nil // fetched while this caller was on its way
			}
			tok, err := c.fetch()
			if err != nil {
				return nil, tokenError(err)
			}
			t := newCachedToken(tok, c.now())
			c.mu.Lock()
			c.cur = t
			c.mu.Unlock()
			return t, nil
		})
		select {
		case r := <-ch:
			if r.Err != nil {
				return nil, r.Err
			}
			last = r.Val.(*cachedToken)
			if last != stale {
				return last, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return last, nil
}

// valid returns the current token if it is fresh and not stale.
func (c *tokenCache) valid(stale *cachedToken) *cachedToken {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.cur
	if t == nil || t == stale {
		return nil
	}
	if !t.refreshAt.IsZero() && !c.now().Before(t.refreshAt) {
		return nil
	}
	return t
}

// invalidate drops t if it is still the current token.
func (c *tokenCache) invalidate(t *cachedToken) {
	c.mu.Lock()
	if c.cur == t {
		c.cur = nil
	}
	c.mu.Unlock()
}

func newCachedToken(tok *oauth2.Token, now time.Time) *cachedToken {
	t := &cachedToken{header: tok.Type() + " " + tok.AccessToken}
	if !tok.Expiry.IsZero() {
		// The library computes Expiry with the wall clock; carry the
		// remaining lifetime over to ours.
		life := time.Until(tok.Expiry)
		t.refreshAt = now.Add(life - min(earlyRefresh, life/2))
	}
	return t
}

// tokenError classifies a failed token fetch. Any refusal by the token
// endpoint other than an overload is KindUnauthorized: a wrong id, secret,
// scope or tenant will not fix itself.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &kontor.APIError{
			System:  "oauth2",
			Op:      "token",
			Kind:    kontor.KindUnauthorized,
			Code:    re.ErrorCode,
			Message: re.ErrorDescription,
		}
		if resp := re.Response; resp != nil {
			e.StatusCode = resp.StatusCode
			switch k := kontor.KindForStatus(resp.StatusCode); k {
			case kontor.KindRetryable, kontor.KindRateLimited:
				e.Kind = k
				e.RetryAfter, _ = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			}
			e.RequestID = resp.Header.Get("X-Request-Id")
			if e.RequestID == "" {
				e.RequestID = resp.Header.Get("X-Ms-Request-Id")
			}
		}
		return e
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Unreachable or too slow: the client already keeps the URL
		// (without secrets: they go in the header or the form).
		return kontor.NewError(kontor.KindRetryable, "oauth2 token", err)
	}
	// A response the library could not parse.
	return kontor.NewError(kontor.KindUnknown, "oauth2 token", err)
}

func authCloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// APIKeyHeader sends a static API key in the header name, for APIs that take
// one there (Shopify's X-Shopify-Access-Token, X-Api-Key).
func APIKeyHeader(name, value string) Middleware {
	return authSetHeader(name, value)
}

// BearerToken sends a static token as "Authorization: Bearer <token>", for
// APIs whose tokens do not expire (or that are refreshed elsewhere).
func BearerToken(token string) Middleware {
	return authSetHeader("Authorization", "Bearer "+token)
}

// Basic sends HTTP Basic credentials (RFC 7617), as WooCommerce over HTTPS
// and many on-premises ERP APIs accept them.
func Basic(user, password string) Middleware {
	r := &http.Request{Header: http.Header{}}
	r.SetBasicAuth(user, password)
	return authSetHeader("Authorization", r.Header.Get("Authorization"))
}

func authSetHeader(name, value string) Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			r := req.Clone(req.Context())
			r.Header.Set(name, value)
			resp, err := next.RoundTrip(r)
			return authRestoreRequest(resp, req), err
		})
	}
}

// errPlainHTTPKey is returned instead of sending a key in the query of a
// plain HTTP request, where every proxy on the way could log it.
var errPlainHTTPKey = kontor.NewError(kontor.KindPermanent, "api key query",
	errors.New("refusing to send credentials in the URL over plain HTTP"))

// APIKeyQuery adds credentials to the query string, replacing parameters of
// the same name and keeping the others, as WooCommerce takes its
// consumer_key and consumer_secret:
//
//	APIKeyQuery(url.Values{"consumer_key": {key}, "consumer_secret": {secret}})
//
// It refuses requests over plain HTTP except to a loopback address. The
// caller's URL is left alone and the response points back at the caller's
// request, so errors and logs that quote the URL do not show the keys.
func APIKeyQuery(params url.Values) Middleware {
	params = authCloneValues(params)
	encoded := params.Encode()
	return func(next http.RoundTripper) http.RoundTripper {
		return RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			if req.URL.Scheme != "https" && !authIsLoopback(req.URL.Hostname()) {
				closeRequestBody(req)
				return nil, errPlainHTTPKey
			}
			r := req.Clone(req.Context())
			switch {
			case encoded == "":
			case r.URL.RawQuery == "":
				r.URL.RawQuery = encoded
			case !authHasParam(r.URL.RawQuery, params):
				// Appending keeps the existing query byte for byte.
				r.URL.RawQuery += "&" + encoded
			default:
				q := r.URL.Query()
				for k, vs := range params {
					q[k] = vs
				}
				r.URL.RawQuery = q.Encode()
			}
			resp, err := next.RoundTrip(r)
			return authRestoreRequest(resp, req), err
		})
	}
}

func authHasParam(rawQuery string, params url.Values) bool {
	q, _ := url.ParseQuery(rawQuery)
	for k := range params {
		if _, ok := q[k]; ok {
			return true
		}
	}
	return false
}

func authIsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
