package transport

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/internal/fixture"
)

// Real order payloads, as the shops send them in webhooks, pass the
// receiver byte for byte, and the redactor leaves no personal data of them
// in a log.
func TestRealOrderPayloads(t *testing.T) {
	cases := []struct {
		fixture  string
		scheme   WebhookScheme
		idHeader string
		personal []string // values that must not survive redaction
		kept     []string // values that must
	}{
		{"shop/shopify/rest_order.go-shopify.json", ShopifyWebhooks, "X-Shopify-Webhook-Id",
			[]string{"jon@doe.ca"}, []string{"#9999", "Soda"}},
		{"shop/woocommerce/order_retrieve.wc-docs.json", WooCommerceWebhooks, "X-WC-Webhook-Delivery-ID",
			[]string{"john.doe@example.com", "(555) 555-5555", "969 Market"}, []string{"Woo Single #1", "San Francisco", "Bar3"}},
	}
	for _, tc := range cases {
		t.Run(tc.scheme.Name, func(t *testing.T) {
			body := fixture.Read(t, tc.fixture)
			secret := []byte("whsec-" + tc.scheme.Name)
			var got []byte
			rcv, err := NewWebhookReceiver(tc.scheme, StaticWebhookSecrets(secret), func(_ context.Context, ev WebhookEvent) error {
				got = ev.Body
				return nil
			})
			require.NoError(t, err)
			mac := hmac.New(sha256.New, secret)
			mac.Write(body)
			req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(body))
			req.Header.Set(tc.scheme.SignatureHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
			req.Header.Set(tc.idHeader, "delivery-1")
			rec := httptest.NewRecorder()
			rcv.ServeHTTP(rec, req)
			require.Equal(t, http.StatusOK, rec.Code)
			require.Equal(t, body, got, "the callback gets the verified raw body")

			dec := json.NewDecoder(bytes.NewReader(got))
			dec.UseNumber()
			var v map[string]any
			require.NoError(t, dec.Decode(&v), "the payload is JSON")

			red := string(DefaultRedactor.Body("application/json", body))
			for _, p := range tc.personal {
				assert.NotContains(t, red, p)
			}
			for _, k := range tc.kept {
				assert.Contains(t, red, k)
			}
		})
	}
}
