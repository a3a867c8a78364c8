package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/kontor-dev/kontor"
)

const (
	authTestClientID = "client-1"
	authTestSecret   = "s3cret/+="
	authTestScope    = "https://api.businesscentral.dynamics.com/.default"
)

// authTestIdP is a token endpoint that checks the client credentials grant
// and counts the tokens it issues. The API server accepts only the tokens it
// issued and not revoked.
type authTestIdP struct {
	t         testing.TB
	srv       *httptest.Server
	requests  atomic.Int32 // token requests seen
	status    atomic.Int32 // when set, answer every token request with it
	expiresIn int

	mu     sync.Mutex
	gate   chan struct{} // when set, token requests wait for it to close
	issued int
	valid  map[string]bool
}

func newAuthTestIdP(t *testing.T, expiresIn int) *authTestIdP {
	idp := &authTestIdP{t: t, expiresIn: expiresIn, valid: map[string]bool{}}
	idp.srv = httptest.NewServer(http.HandlerFunc(idp.serveToken))
	t.Cleanup(idp.srv.Close)
	return idp
}

func (idp *authTestIdP) serveToken(w http.ResponseWriter, r *http.Request) {
	idp.requests.Add(1)
	idp.mu.Lock()
	gate := idp.gate
	idp.mu.Unlock()
	if gate != nil {
		<-gate
	}
	w.Header().Set("Content-Type", "application/json")
	if s := idp.status.Load(); s != 0 {
		w.WriteHeader(int(s))
		_, _ = io.WriteString(w, `{"error":"temporarily_unavailable"}`)
		return
	}
	if !assert.NoError(idp.t, r.ParseForm()) ||
		!assert.Equal(idp.t, http.MethodPost, r.Method) ||
		!assert.Equal(idp.t, "client_credentials", r.PostForm.Get("grant_type")) ||
		!assert.Equal(idp.t, authTestScope, r.PostForm.Get("scope")) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"invalid_request"}`)
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		// RFC 6749 §2.3.1: the header form is URL-encoded first.
		id, _ = url.QueryUnescape(u)
		secret, _ = url.QueryUnescape(p)
	}
	if id != authTestClientID || secret != authTestSecret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"bad secret"}`)
		return
	}
	idp.mu.Lock()
	idp.issued++
	tok := fmt.Sprintf("tok-%d", idp.issued)
	idp.valid[tok] = true
	idp.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok, "token_type": "bearer", "expires_in": idp.expiresIn,
	})
}

// setGate makes token requests wait until the returned channel is closed.
func (idp *authTestIdP) setGate() chan struct{} {
	ch := make(chan struct{})
	idp.mu.Lock()
	idp.gate = ch
	idp.mu.Unlock()
	return ch
}

// revokeAll makes the API reject every token issued so far.
func (idp *authTestIdP) revokeAll() {
	idp.mu.Lock()
	clear(idp.valid)
	idp.mu.Unlock()
}

func (idp *authTestIdP) accepts(authorization string) bool {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	idp.mu.Lock()
	defer idp.mu.Unlock()
	return ok && idp.valid[tok]
}

func (idp *authTestIdP) config(secret string, style oauth2.AuthStyle) clientcredentials.Config {
	return clientcredentials.Config{
		ClientID:     authTestClientID,
		ClientSecret: secret,
		TokenURL:     idp.srv.URL + "/oauth2/v2.0/token",
		Scopes:       []string{authTestScope},
		AuthStyle:    style,
	}
}

// authTestAPI answers 200 to requests with a valid token, 401 otherwise,
// and records what it saw.
type authTestAPI struct {
	srv      *httptest.Server
	calls    atomic.Int32
	denyAll  atomic.Bool
	mu       sync.Mutex
	auths    []string
	bodies   []string
	rawQuery []string
}

func newAuthTestAPI(t *testing.T, idp *authTestIdP) *authTestAPI {
	api := &authTestAPI{}
	api.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		api.mu.Lock()
		api.auths = append(api.auths, r.Header.Get("Authorization"))
		api.bodies = append(api.bodies, string(body))
		api.rawQuery = append(api.rawQuery, r.URL.RawQuery)
		api.mu.Unlock()
		if api.denyAll.Load() || (idp != nil && !idp.accepts(r.Header.Get("Authorization"))) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(api.srv.Close)
	return api
}

func (api *authTestAPI) seen() (auths, bodies []string) {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]string(nil), api.auths...), append([]string(nil), api.bodies...)
}

// authTestClock is the wall clock moved forward by an offset.
type authTestClock struct{ off atomic.Int64 }

func (c *authTestClock) now() time.Time          { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *authTestClock) advance(d time.Duration) { c.off.Add(int64(d)) }

func newAuthTestClient(idp *authTestIdP, api *authTestAPI, clock *authTestClock, secret string) *http.Client {
	tokenClient := idp.srv.Client()
	tokenClient.Timeout = 5 * time.Second
	opts := []AuthOption{AuthTokenHTTPClient(tokenClient)}
	if clock != nil {
		opts = append(opts, withAuthClock(clock.now))
	}
	mw := OAuth2ClientCredentials(idp.config(secret, oauth2.AuthStyleAutoDetect), opts...)
	return &http.Client{Transport: Chain(api.srv.Client().Transport, mw)}
}

func authTestGet(t *testing.T, c *http.Client, u string) (int, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestOAuth2ClientCredentialsReusesToken(t *testing.T) {
	t.Parallel()
	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleAutoDetect, oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		t.Run(fmt.Sprint("style", int(style)), func(t *testing.T) {
			t.Parallel()
			idp := newAuthTestIdP(t, 3600)
			api := newAuthTestAPI(t, idp)
			mw := OAuth2ClientCredentials(idp.config(authTestSecret, style), AuthTokenHTTPClient(idp.srv.Client()))
			c := &http.Client{Transport: Chain(api.srv.Client().Transport, mw)}
			for range 10 {
				code, err := authTestGet(t, c, api.srv.URL+"/v2.0/companies")
				require.NoError(t, err)
				require.Equal(t, http.StatusOK, code)
			}
			assert.EqualValues(t, 1, idp.requests.Load(), "token requests")
			assert.EqualValues(t, 10, api.calls.Load(), "API calls")
			auths, _ := api.seen()
			for _, a := range auths {
				assert.Equal(t, "Bearer tok-1", a)
			}
		})
	}
}

func TestOAuth2ClientCredentialsRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	api := newAuthTestAPI(t, idp)
	clock := &authTestClock{}
	c := newAuthTestClient(idp, api, clock, authTestSecret)

	_, err := authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	clock.advance(3600*time.Second - 11*time.Second) // outside the early refresh window
	_, err = authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	assert.EqualValues(t, 1, idp.requests.Load(), "token still valid")

	clock.advance(2 * time.Second) // 9s left: within the 10s early refresh
	code, err := authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	assert.EqualValues(t, 2, idp.requests.Load(), "token refreshed before expiry")
	auths, _ := api.seen()
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}, auths)
	assert.EqualValues(t, 3, api.calls.Load(), "no 401 round trips")
}

func TestOAuth2ClientCredentialsShortLivedToken(t *testing.T) {
	t.Parallel()
	// expires_in=10: the early refresh shrinks to half the lifetime (5s), so
	// the token is still used, and replaced after it.
	idp := newAuthTestIdP(t, 10)
	api := newAuthTestAPI(t, idp)
	clock := &authTestClock{}
	c := newAuthTestClient(idp, api, clock, authTestSecret)
	for range 3 {
		_, err := authTestGet(t, c, api.srv.URL)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, idp.requests.Load())
	clock.advance(5100 * time.Millisecond)
	_, err := authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	assert.EqualValues(t, 2, idp.requests.Load())
}

func TestOAuth2ClientCredentialsRevokedTokenRetriesOnce(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	api := newAuthTestAPI(t, idp)
	c := newAuthTestClient(idp, api, nil, authTestSecret)

	_, err := authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	idp.revokeAll()

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.srv.URL+"/salesOrders", strings.NewReader(`{"number":"1001"}`))
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 3, api.calls.Load(), "1 before revocation, then 401 and one retry")
	assert.EqualValues(t, 2, idp.requests.Load(), "one fresh token")
	auths, bodies := api.seen()
	assert.Equal(t, []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}, auths)
	assert.Equal(t, `{"number":"1001"}`, bodies[1])
	assert.Equal(t, `{"number":"1001"}`, bodies[2], "body rewound for the retry")

	_, err = authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	assert.EqualValues(t, 2, idp.requests.Load(), "the fresh token is cached")
}

func TestOAuth2ClientCredentialsPersistent401(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	api := newAuthTestAPI(t, idp)
	api.denyAll.Store(true)
	c := newAuthTestClient(idp, api, nil, authTestSecret)

	code, err := authTestGet(t, c, api.srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.EqualValues(t, 2, api.calls.Load(), "exactly one retry")
	assert.EqualValues(t, 2, idp.requests.Load())
}

func TestOAuth2ClientCredentialsUnrewindableBody(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	api := newAuthTestAPI(t, idp)
	api.denyAll.Store(true)
	c := newAuthTestClient(idp, api, nil, authTestSecret)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.srv.URL, io.NopCloser(strings.NewReader("x")))
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.EqualValues(t, 1, api.calls.Load(), "a body that cannot be rewound is not sent twice")
	assert.EqualValues(t, 1, idp.requests.Load())
}

func TestOAuth2ClientCredentialsConcurrentShareOneFetch(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	api := newAuthTestAPI(t, idp)
	clock := &authTestClock{}
	c := newAuthTestClient(idp, api, clock, authTestSecret)

	run := func() {
		gate := idp.setGate()
		var wg sync.WaitGroup
		errs := make(chan error, 50)
		for range 50 {
			wg.Go(func() {
				code, err := authTestGet(t, c, api.srv.URL)
				if err == nil && code != http.StatusOK {
					err = fmt.Errorf("status %d", code)
				}
				errs <- err
			})
		}
		close(gate)
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
	}
	run()
	assert.EqualValues(t, 1, idp.requests.Load(), "50 cold requests, one token fetch")

	clock.advance(2 * time.Hour)
	run()
	assert.EqualValues(t, 2, idp.requests.Load(), "50 requests with an expired token, one more fetch")
	assert.EqualValues(t, 100, api.calls.Load(), "no request needed a retry")

	idp.revokeAll()
	run()
	assert.EqualValues(t, 3, idp.requests.Load(), "50 requests rejected with a revoked token, one more fetch")
}

func TestOAuth2ClientCredentialsCancelledWaiter(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	gate := idp.setGate()
	api := newAuthTestAPI(t, idp)
	c := newAuthTestClient(idp, api, nil, authTestSecret)

	ctx, cancel := context.WithCancel(t.Context())
	cancelled := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.srv.URL, nil)
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		cancelled <- err
	}()
	require.Eventually(t, func() bool { return idp.requests.Load() == 1 }, 5*time.Second, time.Millisecond)
	other := make(chan error, 1)
	go func() {
		_, err := authTestGet(t, c, api.srv.URL)
		other <- err
	}()
	cancel()
	select {
	case err := <-cancelled:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the cancelled caller kept waiting for the token")
	}
	close(gate)
	require.NoError(t, <-other)
	assert.EqualValues(t, 1, idp.requests.Load(), "the fetch was not cancelled with its first caller")
	assert.EqualValues(t, 1, api.calls.Load())
}

func TestOAuth2ClientCredentialsKeepsCallerRequest(t *testing.T) {
	t.Parallel()
	idp := newAuthTestIdP(t, 3600)
	api := newAuthTestAPI(t, idp)
	c := newAuthTestClient(idp, api, nil, authTestSecret)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, api.srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, http.Header{"Accept": {"application/json"}}, req.Header)
	auths, _ := api.seen()
	assert.Equal(t, []string{"Bearer tok-1"}, auths)
}

func TestOAuth2ClientCredentialsTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	t.Run("5xx is retryable", func(t *testing.T) {
		t.Parallel()
		idp := newAuthTestIdP(t, 3600)
		idp.status.Store(http.StatusServiceUnavailable)
		api := newAuthTestAPI(t, idp)
		_, err := authTestGet(t, newAuthTestClient(idp, api, nil, authTestSecret), api.srv.URL)
		require.Error(t, err)
		assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
		var ae *kontor.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, http.StatusServiceUnavailable, ae.StatusCode)
		assert.Zero(t, api.calls.Load(), "nothing sent without a token")
	})
	t.Run("unreachable is retryable", func(t *testing.T) {
		t.Parallel()
		idp := newAuthTestIdP(t, 3600)
		api := newAuthTestAPI(t, idp)
		c := newAuthTestClient(idp, api, nil, authTestSecret)
		idp.srv.Close()
		_, err := authTestGet(t, c, api.srv.URL)
		require.Error(t, err)
		assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
		assert.True(t, kontor.IsRetryable(err))
		var ke *kontor.Error
		assert.ErrorAs(t, err, &ke)
		assert.Zero(t, api.calls.Load())
	})
	t.Run("timeout is retryable", func(t *testing.T) {
		t.Parallel()
		idp := newAuthTestIdP(t, 3600)
		defer close(idp.setGate())
		api := newAuthTestAPI(t, idp)
		tokenClient := idp.srv.Client()
		tokenClient.Timeout = 50 * time.Millisecond
		mw := OAuth2ClientCredentials(idp.config(authTestSecret, oauth2.AuthStyleInHeader), AuthTokenHTTPClient(tokenClient))
		_, err := authTestGet(t, &http.Client{Transport: Chain(api.srv.Client().Transport, mw)}, api.srv.URL)
		require.Error(t, err)
		assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
	})
	t.Run("wrong secret is unauthorized", func(t *testing.T) {
		t.Parallel()
		idp := newAuthTestIdP(t, 3600)
		api := newAuthTestAPI(t, idp)
		_, err := authTestGet(t, newAuthTestClient(idp, api, nil, "wrong"), api.srv.URL)
		require.Error(t, err)
		assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(err))
		assert.ErrorIs(t, err, kontor.ErrUnauthorized)
		assert.False(t, kontor.IsRetryable(err))
		var ae *kontor.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "invalid_client", ae.Code)
		assert.Equal(t, http.StatusUnauthorized, ae.StatusCode)
		assert.NotContains(t, err.Error(), "wrong", "the secret is not in the error")
		assert.Zero(t, api.calls.Load())
	})
}

func TestTokenErrorKinds(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]kontor.Kind{
		400: kontor.KindUnauthorized, // invalid_client, invalid_scope
		401: kontor.KindUnauthorized,
		403: kontor.KindUnauthorized,
		404: kontor.KindUnauthorized, // a wrong token URL, not a missing object
		429: kontor.KindRateLimited,
		500: kontor.KindRetryable,
		503: kontor.KindRetryable,
	} {
		err := tokenError(&oauth2.RetrieveError{Response: &http.Response{StatusCode: status, Header: http.Header{}}})
		assert.Equal(t, want, kontor.KindOf(err), "status %d", status)
	}
	err := tokenError(&oauth2.RetrieveError{Response: &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"7"}}}})
	d, ok := kontor.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 7*time.Second, d)
	assert.Equal(t, kontor.KindUnknown, kontor.KindOf(tokenError(errors.New("oauth2: cannot parse json"))))
}

func TestAPIKeyQuery(t *testing.T) {
	t.Parallel()
	api := newAuthTestAPI(t, nil)
	mw := APIKeyQuery(url.Values{"consumer_key": {"ck_1"}, "consumer_secret": {"cs_2"}})
	c := &http.Client{Transport: Chain(api.srv.Client().Transport, mw)}

	u := api.srv.URL + "/wp-json/wc/v3/products?per_page=100&search=a%20b"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Same(t, req, resp.Request, "the response points at the caller's request")
	assert.NotContains(t, resp.Request.URL.String(), "cs_2", "so logging it shows no secret")
	_, err = authTestGet(t, c, api.srv.URL+"/wp-json/wc/v3/products?consumer_key=old&page=2")
	require.NoError(t, err)

	api.mu.Lock()
	got := append([]string(nil), api.rawQuery...)
	api.mu.Unlock()
	require.Len(t, got, 2)
	assert.Equal(t, "per_page=100&search=a%20b&consumer_key=ck_1&consumer_secret=cs_2", got[0], "existing query kept byte for byte")
	q, err := url.ParseQuery(got[1])
	require.NoError(t, err)
	assert.Equal(t, url.Values{"consumer_key": {"ck_1"}, "consumer_secret": {"cs_2"}, "page": {"2"}}, q, "a key of the same name is replaced")
}

func TestAPIKeyQueryRefusesPlainHTTP(t *testing.T) {
	t.Parallel()
	var called atomic.Bool
	base := RoundTripperFunc(func(*http.Request) (*http.Response, error) {
		called.Store(true)
		return nil, errors.New("unreachable")
	})
	rt := Chain(base, APIKeyQuery(url.Values{"consumer_secret": {"cs_2"}}))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://shop.example/wp-json/wc/v3/products", nil)
	require.NoError(t, err)
	_, err = rt.RoundTrip(req)
	require.Error(t, err)
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(err))
	assert.False(t, called.Load(), "the key never left")
	assert.Empty(t, req.URL.RawQuery, "the caller's URL is untouched")
}

func TestStaticAuthHeaders(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		mw     Middleware
		header string
		want   string
	}{
		"basic":  {Basic("user", "pass"), "Authorization", "Basic dXNlcjpwYXNz"},
		"bearer": {BearerToken("abc"), "Authorization", "Bearer abc"},
		"header": {APIKeyHeader("X-Shopify-Access-Token", "shpat_1"), "X-Shopify-Access-Token", "shpat_1"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			seen := make(chan http.Header, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen <- r.Header.Clone()
			}))
			defer srv.Close()
			c := &http.Client{Transport: Chain(srv.Client().Transport, tc.mw)}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
			require.NoError(t, err)
			req.Header.Set("Accept", "application/json")
			resp, err := c.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			got := <-seen
			assert.Equal(t, tc.want, got.Get(tc.header))
			assert.Equal(t, "application/json", got.Get("Accept"))
			assert.Equal(t, http.Header{"Accept": {"application/json"}}, req.Header, "caller's request untouched")
		})
	}
	u, p, ok := (&http.Request{Header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}}).BasicAuth()
	assert.True(t, ok)
	assert.Equal(t, "user:pass", u+":"+p)
}

func BenchmarkOAuth2ClientCredentialsCachedToken(b *testing.B) {
	idp := &authTestIdP{t: b, expiresIn: 3600, valid: map[string]bool{}}
	idp.srv = httptest.NewServer(http.HandlerFunc(idp.serveToken))
	defer idp.srv.Close()
	ok := RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
		if req.Header.Get("Authorization") != "Bearer tok-1" {
			return nil, errors.New("no token")
		}
		return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Request: req}, nil
	})
	rt := Chain(ok, OAuth2ClientCredentials(idp.config(authTestSecret, oauth2.AuthStyleInHeader), AuthTokenHTTPClient(idp.srv.Client())))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "https://erp.example/items", nil)
		for pb.Next() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
		}
	})
	if n := idp.requests.Load(); n != 1 {
		b.Fatalf("%d token requests", n)
	}
}
