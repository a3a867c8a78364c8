package woocommerce_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

const (
	canaryKey    = "ck_0123456789abcdef0123456789abcdef01234567"
	canarySecret = "cs_canary0secret0that0must0never0appear00"
	canaryEmail  = "canary.buyer@example.org"
)

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The consumer secret and a customer's e-mail address reach neither the
// log (at debug level) nor any error text: with Basic credentials, the
// query-parameter fallback, OAuth signatures, failing requests and failing
// items.
func TestCanarySecretAndEmail(t *testing.T) {
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	ctx := context.Background()
	customer := kontortest.SampleCustomer(1)
	customer.Email = canaryEmail

	for _, tls := range []bool{true, false} {
		fopts := []woocommercetest.Option{woocommercetest.WithCredentials(canaryKey, canarySecret)}
		if tls {
			fopts = append(fopts, woocommercetest.WithTLS(), woocommercetest.WithoutAuthorizationHeader())
		}
		srv := woocommercetest.New(fopts...)
		opts := []woocommerce.Option{woocommerce.WithLogger(logger), woocommerce.WithRate(100_000), woocommerce.WithRetry(retryFast()...)}
		if tls {
			opts = append(opts, woocommerce.WithTransport(srv.Client().Transport))
		}
		c, err := woocommerce.New(srv.URL(), canaryKey, canarySecret, opts...)
		require.NoError(t, err)

		rs, err := c.WriteCustomers(ctx, []kontor.Customer{customer})
		require.NoError(t, err)
		require.Equal(t, kontor.Created, rs[0].Outcome, "%v", rs[0].Err)
		if tls {
			assert.Equal(t, woocommerce.AuthQuery, c.AuthMode(), "the fallback was taken")
		} else {
			assert.Equal(t, woocommerce.AuthOAuth1, c.AuthMode())
		}

		// The whole batch failing, and reads failing.
		srv.FailNext(5, http.StatusInternalServerError, woocommercetest.OnRoute("", "/customers/batch"))
		customer.FirstName = "Changed"
		_, err = c.WriteCustomers(ctx, []kontor.Customer{customer})
		note(err)
		srv.FailNext(5, http.StatusServiceUnavailable) // more than the retries
		for _, err := range c.ReadCustomers(ctx, kontor.Cursor{}) {
			note(err)
		}
		read := 0
		for _, err := range c.ReadCustomers(ctx, kontor.Cursor{}) {
			require.NoError(t, err)
			read++
		}
		assert.Equal(t, 1, read)

		// Wrong credentials.
		bad, err := woocommerce.New(srv.URL(), canaryKey, canarySecret+"x", opts...)
		require.NoError(t, err)
		_, err = bad.WriteCustomers(ctx, []kontor.Customer{customer})
		note(err)
		require.Error(t, err)
		assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(err))
		srv.Close()
	}

	require.NotEmpty(t, errs, "the canary needs errors to look at")
	require.Contains(t, logs.String(), "http request", "the canary needs a log to look at")
	for _, s := range append(errs, logs.String()) {
		assert.NotContains(t, s, canarySecret)
		assert.NotContains(t, s, strings.TrimPrefix(canarySecret, "cs_"))
		assert.NotContains(t, s, canaryEmail)
		assert.NotContains(t, s, "canary.buyer")
	}
}
