package bctest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

func tokenRequest(t *testing.T, srv *bctest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	res, err := http.PostForm(srv.TokenURL(), form)
	require.NoError(t, err)
	defer res.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	return res.StatusCode, body
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {srv.ClientID()}, "client_secret": {srv.ClientSecret()}, "scope": {bctest.Scope}}

	status, body := tokenRequest(t, srv, good)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.EqualValues(t, 3599, body["expires_in"])
	assert.NotEmpty(t, body["access_token"])

	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		err    string
		code   float64
	}{
		{"wrong secret", with("client_secret", "nope"), 401, "invalid_client", 7000215},
		{"no secret", with("client_secret", ""), 401, "invalid_client", 7000216},
		{"unknown client", with("client_id", "00000000-1111-2222-3333-444444444444"), 400, "unauthorized_client", 700016},
		{"no grant", with("grant_type", ""), 400, "invalid_request", 900144},
		{"other grant", with("grant_type", "password"), 400, "unsupported_grant_type", 70003},
		{"scope without .default", with("scope", "https://api.businesscentral.dynamics.com/user_impersonation"), 400, "invalid_scope", 1002012},
		{"no scope", with("scope", ""), 400, "invalid_request", 900144},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := tokenRequest(t, srv, tc.form)
			assert.Equal(t, tc.status, status)
			assert.Equal(t, tc.err, body["error"])
			assert.Equal(t, []any{tc.code}, body["error_codes"])
			assert.Contains(t, body["error_description"], "AADSTS")
			assert.NotContains(t, body["error_description"], srv.ClientSecret(), "no secret in an error")
			for _, k := range []string{"timestamp", "trace_id", "correlation_id", "error_uri"} {
				assert.NotEmpty(t, body[k], k)
			}
		})
	}
	assert.Equal(t, 8, srv.TokenRequests())
}

func TestAPIRejectsMissingUnknownAndExpiredTokens(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now), bctest.WithTokenLifetime(10*time.Minute))
	defer srv.Close()
	a := newAPI(t, srv)

	r := a.do("GET", srv.APIURL()+"/companies", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	require.Len(t, r.values(), 1)
	assert.Equal(t, srv.CompanyID(), r.values()[0]["id"])
	assert.Equal(t, bctest.DefaultCompany, r.values()[0]["name"])

	for name, tok := range map[string]string{"missing": "", "unknown": "not-a-token"} {
		b := &api{t: t, srv: srv, token: tok}
		r := b.do("GET", srv.APIURL()+"/companies", nil)
		assert.Equal(t, 401, r.status, name)
		assert.Equal(t, "Authentication_InvalidCredentials", r.errCode(), name)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Bearer authorization_uri=", name)
	}

	clk.Advance(10 * time.Minute)
	r = a.do("GET", srv.APIURL()+"/companies", nil)
	assert.Equal(t, 401, r.status, "a token is dead at its expiry")
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token"`)

	a = newAPI(t, srv)
	require.Equal(t, 200, a.do("GET", "items", nil).status)
	srv.ExpireTokens()
	assert.Equal(t, 401, a.do("GET", "items", nil).status, "ExpireTokens kills issued tokens")
	assert.Equal(t, 200, newAPI(t, srv).do("GET", "items", nil).status, "a new token works")
}

func TestOAuth2ClientRefreshesAfterExpiry(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cfg := srv.OAuth2Config()
	// A fresh token source per call: the client credentials flow fetches a
	// token again once the old one is rejected.
	get := func() int {
		hc := cfg.Client(context.WithValue(context.Background(), oauth2.HTTPClient, http.DefaultClient))
		res, err := hc.Get(srv.CompanyURL() + "/items")
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	assert.Equal(t, 200, get())
	srv.ExpireTokens()
	assert.Equal(t, 200, get())
	assert.Equal(t, 2, srv.TokenRequests())
	assert.Equal(t, 2, srv.Requests())
}

func TestURLShapes(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithEnvironment("Sandbox"))
	defer srv.Close()
	a := newAPI(t, srv)
	assert.True(t, strings.HasSuffix(srv.APIURL(), "/v2.0/"+srv.TenantID()+"/Sandbox/api/v2.0"))
	assert.Equal(t, 200, a.do("GET", srv.URL()+"/v2.0/Sandbox/api/v2.0/companies", nil).status, "the tenant segment may be left out")
	assert.Equal(t, 404, a.do("GET", srv.URL()+"/v2.0/"+srv.TenantID()+"/Production/api/v2.0/companies", nil).status, "unknown environment")
	r := a.do("GET", srv.APIURL()+"/companies("+srv.CompanyID()+")/nonsense", nil)
	assert.Equal(t, 404, r.status)
	assert.Equal(t, "BadRequest_NotFound", r.errCode())
	assert.Contains(t, r.errMessage(), "CorrelationId:")
	r = a.do("GET", srv.APIURL()+"/items", nil)
	assert.Equal(t, 400, r.status, "no company")
	assert.Equal(t, "Internal_CompanyNotFound", r.errCode())
	assert.Equal(t, 200, a.do("GET", srv.APIURL()+"/items?company="+url.QueryEscape(bctest.DefaultCompany), nil).status)
	assert.Equal(t, 200, a.do("GET", srv.APIURL()+"/items", nil, "Company", bctest.DefaultCompany).status)
	assert.Equal(t, 404, a.do("GET", srv.ExtensionAPIURL()+"/companies("+srv.CompanyID()+")/stockLevels", nil).status, "no extension installed")
	r = a.do("GET", srv.APIURL()+"/$metadata", nil)
	assert.Equal(t, 200, r.status)
	assert.Contains(t, string(r.raw), `<EntitySet Name="salesOrders" EntityType="Microsoft.NAV.salesOrder"/>`)
}
