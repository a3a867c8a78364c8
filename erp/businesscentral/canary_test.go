package businesscentral_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestNoSecretOrPersonalDataInLogsOrErrors(t *testing.T) {
	const (
		secret = "canary-secret-7f3a9c"
		email  = "canary.person@example.org"
		state  = "canary-client-state-0b1c"
	)
	srv := newFake(t, bctest.WithCredentials("canary-client", secret))
	putOrderItems(t, srv, 3)
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hook, opt := withHook()
	var tokens []string
	var mu sync.Mutex
	hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
		if a := req.Header.Get("Authorization"); a != "" {
			mu.Lock()
			tokens = append(tokens, strings.TrimPrefix(a, "Bearer "))
			mu.Unlock()
		}
		return send()
	}
	c := connect(t, srv, opt, bc.WithLogger(logger), bc.WithOrderFields(func(o kontor.Order) map[string]any {
		if o.Number == "#500002" { // a field too long: the service's error quotes the value
			return map[string]any{"shipToContact": email + strings.Repeat(" and more", 12)}
		}
		return nil
	}))
	var errs []error
	note := func(rs []kontor.Result, err error) {
		if err != nil {
			errs = append(errs, err)
		}
		for _, r := range rs {
			if r.Err != nil {
				errs = append(errs, r.Err)
			}
		}
	}

	// A customer found by e-mail address: the address is in the filter.
	cu := kontor.Customer{Type: kontor.B2C, Email: email, FirstName: "Cana", LastName: "Ry",
		Addresses: []kontor.Address{{Kind: "billing", Street: "Canary Lane 1", PostalCode: "10115", City: "Berlin", Country: "DE"}}}
	note(c.WriteCustomers(t.Context(), []kontor.Customer{cu, cu}))
	// Orders with the e-mail address; one the service rejects, quoting it.
	orders := sampleOrders(0, 3)
	for i := range orders {
		orders[i].Customer.Email = email
	}
	note(c.WriteOrders(t.Context(), orders))
	require.Len(t, errs, 1, "the order with the long field fails")
	// A rejected token: the error must not quote the secret either.
	srv.ExpireTokens()
	srv.FailNext(2, bctest.Fault{Status: 401})
	_, err := c.Companies(t.Context())
	if err != nil {
		errs = append(errs, err)
	}
	bad, err := bc.New(bc.Config{BaseURL: baseURL(srv), TenantID: srv.TenantID(), ClientID: "canary-client",
		ClientSecret: secret + "-wrong", TokenURL: srv.TokenURL()}, bc.WithLogger(logger), bc.WithRetryPolicy(fastRetry))
	require.NoError(t, err)
	_, err = bad.Companies(t.Context())
	require.Error(t, err)
	errs = append(errs, err)
	// Webhooks: the client state is a secret too.
	in := &inbox{}
	var w *bc.Webhooks
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { w.Handler(in.handle).ServeHTTP(rw, r) }))
	defer hs.Close()
	w, err = c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL, ClientState: state, Resources: []string{"customers"}})
	require.NoError(t, err)
	_, err = w.Maintain(t.Context())
	require.NoError(t, err)
	note(c.WriteCustomers(t.Context(), []kontor.Customer{kontortest.SampleCustomer(5)}))
	srv.FlushNotifications(context.Background())
	require.NotEmpty(t, in.take())

	mu.Lock()
	require.NotEmpty(t, tokens)
	canaries := append([]string{secret, email, state}, tokens...)
	mu.Unlock()
	out := logs.String()
	require.Contains(t, out, "http request", "the requests were logged")
	for _, canary := range canaries {
		assert.NotContains(t, out, canary)
		for _, err := range errs {
			assert.NotContains(t, err.Error(), canary)
		}
	}
	assert.NotContains(t, out, strings.SplitN(email, "@", 2)[0], "not even the local part")
}
