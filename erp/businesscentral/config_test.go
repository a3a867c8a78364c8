package businesscentral

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/transport"
)

// recorder answers every request without a network and keeps what was
// asked.
type recorder struct {
	mu   sync.Mutex
	reqs []string
	form url.Values
	auth []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.String())
	body := `{"value":[{"id":"c0","name":"CRONUS","displayName":"CRONUS"}]}`
	if strings.HasSuffix(req.URL.Path, "/token") {
		b, _ := io.ReadAll(req.Body)
		r.form, _ = url.ParseQuery(string(b))
		body = `{"token_type":"Bearer","access_token":"tok-1","expires_in":3599}`
	} else {
		r.auth = append(r.auth, req.Header.Get("Authorization"))
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func TestCloudURLsAndSignIn(t *testing.T) {
	rec := &recorder{}
	c, err := New(Config{TenantID: "contoso.onmicrosoft.com", Environment: "production", ClientID: "app", ClientSecret: "pw"},
		WithTransport(rec), WithTokenClient(&http.Client{Transport: rec}))
	require.NoError(t, err)
	id, err := c.CompanyID(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "c0", id, "the only company")
	assert.Equal(t, []string{
		"POST https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
		"GET https://api.businesscentral.dynamics.com/v2.0/contoso.onmicrosoft.com/production/api/v2.0/companies",
	}, rec.reqs)
	assert.Equal(t, "client_credentials", rec.form.Get("grant_type"))
	assert.Equal(t, DefaultScope, rec.form.Get("scope"))
	assert.Equal(t, []string{"Bearer tok-1"}, rec.auth)
	u, err := c.companyURL(t.Context(), "items")
	require.NoError(t, err)
	assert.Equal(t, "https://api.businesscentral.dynamics.com/v2.0/contoso.onmicrosoft.com/production/api/v2.0/companies(c0)/items", u)

	// The token is cached: more requests, no more token requests.
	for range 3 {
		_, err = c.Companies(t.Context())
		require.NoError(t, err)
	}
	assert.Len(t, rec.reqs, 5)
}

func TestOnPremisesBaseURL(t *testing.T) {
	rec := &recorder{}
	c, err := New(Config{BaseURL: "https://bc.example.com:7048/BC/", CompanyName: "CRONUS"},
		WithAuth(transport.Basic("user", "key")), WithTransport(rec))
	require.NoError(t, err)
	_, err = c.CompanyID(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []string{"GET https://bc.example.com:7048/BC/api/v2.0/companies"}, rec.reqs)
	assert.True(t, strings.HasPrefix(rec.auth[0], "Basic "))
	assert.Equal(t, "https://bc.example.com:7048/BC/api/kontor/shop/v1.0/$batch", c.routeURL("kontor/shop/v1.0", "$batch"))
}

func TestConfigErrors(t *testing.T) {
	for i, cfg := range []Config{
		{TenantID: "t", ClientID: "a", ClientSecret: "b"},                             // no environment
		{TenantID: "t", Environment: "production"},                                    // no credentials
		{Environment: "production", ClientID: "a", ClientSecret: "b"},                 // no tenant for the token URL
		{BaseURL: "ftp://x", ClientID: "a", ClientSecret: "b", TokenURL: "https://t"}, // not http
		{BaseURL: "https://u:p@x", ClientID: "a", ClientSecret: "b", TokenURL: "https://t"},
	} {
		_, err := New(cfg)
		assert.Error(t, err, fmt.Sprint(i))
	}
	_, err := New(Config{BaseURL: "https://x", ClientID: "a", ClientSecret: "b", TokenURL: "https://t"}, WithPageSize(MaxPageSize+1))
	assert.Error(t, err)
}
