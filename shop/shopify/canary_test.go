package shopify

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

const (
	canaryToken = "shpat_canary_token_0123456789abcdef"
	canaryEmail = "canary.buyer@example.com"
)

// TestCanaryNoSecretsInLogsOrErrors drives the paths where a token or an
// e-mail address could leak: a refused token, a user error that echoes
// the e-mail, a GraphQL error that echoes it, and webhooks that carry it.
// Neither may appear in any log line or error string.
func TestCanaryNoSecretsInLogsOrErrors(t *testing.T) {
	var logs strings.Builder
	logger := newTextLogger(&logs)
	step := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		assert.Equal(t, canaryToken, r.Header.Get("X-Shopify-Access-Token"), "the token is sent")
		w.Header().Set("Content-Type", "application/json")
		step++
		switch {
		case step == 1:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password) %s"}`, canaryToken)
		case strings.Contains(string(body), "customerByIdentifier"):
			fmt.Fprint(w, `{"data":{"customerByIdentifier":null}}`)
		case strings.Contains(string(body), "customerSet"):
			fmt.Fprintf(w, `{"data":{"customerSet":{"customer":null,"userErrors":[{"field":["input","email"],"message":"Email %s has already been taken","code":"TAKEN"}]}}}`, canaryEmail)
		default:
			fmt.Fprintf(w, `{"errors":[{"message":"Variable $input of type CustomerSetInput! was provided invalid value for email (%s)","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`, canaryEmail)
		}
	})
	c, _ := newTestClient(t, h, WithLogger(logger), WithRetry(transport.RetryMaxAttempts(1)))
	ctx := context.Background()
	var errs []error

	_, err := c.shopCurrency(ctx)
	require.Error(t, err)
	assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(err))
	errs = append(errs, err)

	cu := kontor.Customer{Number: "C1", Type: kontor.B2C, Email: canaryEmail, LastName: "Muster"}
	rs, err := c.WriteCustomers(ctx, []kontor.Customer{cu})
	require.NoError(t, err)
	require.Equal(t, kontor.Failed, rs[0].Outcome)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[0].Err))
	errs = append(errs, rs[0].Err)

	_, err = c.orderNamesOrErr(ctx)
	require.Error(t, err)
	errs = append(errs, err)

	rec := &recorder{}
	wh, err := c.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), rec.handle, WithRedactor(rec),
		WithReceiverOptions(transport.WebhookLogger(logger)))
	require.NoError(t, err)
	deliver(t, wh, delivery{topic: "orders/create", webhookID: "w1", body: []byte(orderBody)})
	deliver(t, wh, delivery{topic: "orders/create", webhookID: "w2", body: []byte(orderBody), signature: sign([]byte("x"), []byte(orderBody))})
	deliver(t, wh, delivery{topic: "customers/redact", webhookID: "w3",
		body: []byte(`{"customer":{"id":1,"email":"` + canaryEmail + `"},"orders_to_redact":[]}`)})

	require.NotEmpty(t, logs.String())
	for _, secret := range []string{canaryToken, canaryEmail} {
		assert.NotContains(t, logs.String(), secret)
		for _, e := range errs {
			assert.NotContains(t, e.Error(), secret)
		}
	}
}

// orderNamesOrErr runs the order name lookup and returns its error, which
// orderNames itself swallows.
func (c *Client) orderNamesOrErr(ctx context.Context) (map[string]string, error) {
	var q struct {
		Shop struct{ CurrencyCode string }
	}
	return nil, c.query(ctx, "Echo", &q, nil)
}
