package transport

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Known-good signatures, computed once outside Go with
//
//	printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64
//	printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -hex
//
// so an HMAC implementation that is wrong in the same way on both sides of a
// test cannot pass.
const (
	shopifySecret   = "shpss_test_secret"
	shopifyBody     = `{"id":820982911946154508,"email":"jon@example.com"}`
	shopifyKnownSig = "LnwdZPLBbdjkBwPD/lDL1/rYEGby/GHPtL1aAH6Dxjc="

	wooSecret   = "ck_woo_secret"
	wooBody     = `{"id":42,"status":"processing"}`
	wooKnownSig = "DDxOkuu2q+nnMH1cKYTVEdWSYbFKHD2tzmvrHH8i09w="

	hexSecret   = "hex-secret"
	hexBody     = `{"event":"item.changed","id":"7"}`
	hexKnownSig = "ab5301616fb2bff2deeacd3f2d0c4e8caf1bdb8527c20c9e59bc9633570c6137"
)

var webhookTestNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func hmacSum(secret, body string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return m.Sum(nil)
}

func signBase64(secret, body string) string {
	return base64.StdEncoding.EncodeToString(hmacSum(secret, body))
}

func signHex(secret, body string) string { return hex.EncodeToString(hmacSum(secret, body)) }

// callbackRecorder is a webhook callback that records what it was given.
type callbackRecorder struct {
	mu     sync.Mutex
	events []WebhookEvent
	fail   func(n int) error // n is the 1-based call number
}

func (c *callbackRecorder) handle(_ context.Context, ev WebhookEvent) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
	if c.fail != nil {
		return c.fail(len(c.events))
	}
	return nil
}

func (c *callbackRecorder) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.events)
}

func (c *callbackRecorder) last() WebhookEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events[len(c.events)-1]
}

func newTestReceiver(t testing.TB, scheme WebhookScheme, secrets []string, handle func(context.Context, WebhookEvent) error, opts ...WebhookOption) *WebhookReceiver {
	t.Helper()
	var bs [][]byte
	for _, s := range secrets {
		bs = append(bs, []byte(s))
	}
	wr, err := NewWebhookReceiver(scheme, StaticWebhookSecrets(bs...), handle, opts...)
	require.NoError(t, err)
	wr.now = func() time.Time { return webhookTestNow }
	return wr
}

func postWebhook(h http.Handler, body string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:4711"
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func shopifyHeaders(sig, id string, at time.Time) map[string]string {
	h := map[string]string{
		"Content-Type":          "application/json",
		"X-Shopify-Topic":       "orders/create",
		"X-Shopify-Shop-Domain": "example.myshopify.com",
		"X-Shopify-Event-Id":    "evt-" + id,
		"X-Shopify-Webhook-Id":  id,
	}
	if sig != "" {
		h["X-Shopify-Hmac-Sha256"] = sig
	}
	if !at.IsZero() {
		h["X-Shopify-Triggered-At"] = at.Format(time.RFC3339Nano)
	}
	return h
}

func wooHeaders(sig, id string) map[string]string {
	h := map[string]string{
		"Content-Type":             "application/json",
		"X-WC-Webhook-Topic":       "order.updated",
		"X-WC-Webhook-Source":      "https://shop.example/",
		"X-WC-Webhook-ID":          "17",
		"X-WC-Webhook-Delivery-ID": id,
	}
	if sig != "" {
		h["X-WC-Webhook-Signature"] = sig
	}
	return h
}

func TestWebhookShopifyKnownSignature(t *testing.T) {
	t.Parallel()
	sig := signBase64(shopifySecret, shopifyBody)
	require.Equal(t, shopifyKnownSig, sig, "HMAC-SHA256 differs from the known-good value")

	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
	at := webhookTestNow.Add(-90 * time.Second).Add(877 * time.Millisecond)
	h := shopifyHeaders(shopifyKnownSig, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", at)
	h["Authorization"] = "Bearer must-not-be-copied"
	rec := postWebhook(wr, shopifyBody, h)

	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, 1, cb.count())
	ev := cb.last()
	assert.Equal(t, "shopify", ev.Scheme)
	assert.Equal(t, "orders/create", ev.Topic)
	assert.Equal(t, "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", ev.DeliveryID)
	assert.Equal(t, "evt-b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", ev.EventID)
	assert.True(t, at.Equal(ev.Timestamp), "timestamp %v, want %v", ev.Timestamp, at)
	assert.Equal(t, []byte(shopifyBody), ev.Body)
	assert.Equal(t, "example.myshopify.com", ev.Headers.Get("X-Shopify-Shop-Domain"))
	assert.Equal(t, "orders/create", ev.Headers.Get("X-Shopify-Topic"))
	assert.Empty(t, ev.Headers.Values("X-Shopify-Hmac-Sha256"), "the signature must not be copied")
	assert.Empty(t, ev.Headers.Values("Authorization"))
	assert.Empty(t, ev.Headers.Values("Content-Type"))
}

func TestWebhookWooCommerceKnownSignature(t *testing.T) {
	t.Parallel()
	sig := signBase64(wooSecret, wooBody)
	require.Equal(t, wooKnownSig, sig, "HMAC-SHA256 differs from the known-good value")

	cb := &callbackRecorder{}
	wr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, cb.handle)
	rec := postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "a3f1c2"))

	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, 1, cb.count())
	ev := cb.last()
	assert.Equal(t, "woocommerce", ev.Scheme)
	assert.Equal(t, "order.updated", ev.Topic)
	assert.Equal(t, "a3f1c2", ev.DeliveryID)
	assert.Empty(t, ev.EventID)
	assert.True(t, ev.Timestamp.IsZero())
	assert.Equal(t, []byte(wooBody), ev.Body)
	assert.Equal(t, "https://shop.example/", ev.Headers.Get("X-WC-Webhook-Source"))
	assert.Equal(t, "17", ev.Headers.Get("X-WC-Webhook-ID"))
	assert.Empty(t, ev.Headers.Values("X-WC-Webhook-Signature"))

	// The two schemes do not mix: a Shopify-headed request fails here.
	rec = postWebhook(wr, wooBody, map[string]string{"X-Shopify-Hmac-Sha256": wooKnownSig})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, 1, cb.count())
}

func TestWebhookHexScheme(t *testing.T) {
	t.Parallel()
	require.Equal(t, hexKnownSig, signHex(hexSecret, hexBody), "HMAC-SHA256 differs from the known-good value")

	scheme := HexHMACWebhooks("acme", "X-Acme-Signature")
	scheme.IDHeader = "X-Acme-Delivery"
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, scheme, []string{hexSecret}, cb.handle)

	for i, sig := range []string{hexKnownSig, strings.ToUpper(hexKnownSig)} {
		rec := postWebhook(wr, hexBody, map[string]string{"X-Acme-Signature": sig, "X-Acme-Delivery": fmt.Sprint("d", i)})
		assert.Equal(t, http.StatusOK, rec.Code, sig)
	}
	assert.Equal(t, 2, cb.count())

	// The base64 spelling of the same digest is not hex.
	b64 := base64.StdEncoding.EncodeToString(hmacSum(hexSecret, hexBody))
	rec := postWebhook(wr, hexBody, map[string]string{"X-Acme-Signature": b64, "X-Acme-Delivery": "d9"})
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, 2, cb.count())

	// With a prefix, it is required and matched without regard to case.
	scheme.Prefix = "sha256="
	pcb := &callbackRecorder{}
	pwr := newTestReceiver(t, scheme, []string{hexSecret}, pcb.handle)
	for sig, want := range map[string]int{
		"sha256=" + hexKnownSig: http.StatusOK,
		"SHA256=" + hexKnownSig: http.StatusOK,
		hexKnownSig:             http.StatusUnauthorized,
		"sha1=" + hexKnownSig:   http.StatusUnauthorized,
	} {
		rec := postWebhook(pwr, hexBody, map[string]string{"X-Acme-Signature": sig})
		assert.Equal(t, want, rec.Code, sig)
	}
	assert.Equal(t, 2, pcb.count())
}

func TestWebhookUnpaddedBase64Accepted(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
	unpadded := strings.TrimRight(shopifyKnownSig, "=")
	require.NotEqual(t, shopifyKnownSig, unpadded)
	rec := postWebhook(wr, shopifyBody, shopifyHeaders(unpadded, "u1", time.Time{}))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, 1, cb.count())
}

func TestWebhookRejectsBadSignatures(t *testing.T) {
	t.Parallel()
	changed := []byte(shopifyBody)
	changed[10]++ // one byte of the body differs from what was signed
	otherDigest := hmacSum(shopifySecret, shopifyBody)
	otherDigest[31] ^= 1

	cases := map[string]string{
		"other secret":         signBase64("not-the-secret", shopifyBody),
		"truncated":            shopifyKnownSig[:len(shopifyKnownSig)-4],
		"one body byte":        signBase64(shopifySecret, string(changed)),
		"one digest bit":       base64.StdEncoding.EncodeToString(otherDigest),
		"not base64":           "this is not base64!",
		"hex spelling":         signHex(shopifySecret, shopifyBody),
		"too long":             base64.StdEncoding.EncodeToString(append(hmacSum(shopifySecret, shopifyBody), 0)),
		"url alphabet":         base64.URLEncoding.EncodeToString(hmacSum(shopifySecret, shopifyBody)),
		"line break inside":    shopifyKnownSig[:20] + "\n" + shopifyKnownSig[20:],
		"non-canonical ending": shopifyKnownSig[:42] + "d=", // same 256 bits, stray bit set
		"missing":              "",
	}
	for name, sig := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if name == "url alphabet" {
				require.NotEqual(t, shopifyKnownSig, sig, "test digest must contain + or /")
			}
			cb := &callbackRecorder{}
			wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
			rec := postWebhook(wr, shopifyBody, shopifyHeaders(sig, "id-1", webhookTestNow))
			assert.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, 0, cb.count())
			assert.Equal(t, "Unauthorized\n", rec.Body.String())
			assert.NotContains(t, rec.Body.String(), shopifyKnownSig)

			// The forged request did not mark the real id as seen.
			rec = postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "id-1", webhookTestNow))
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Equal(t, 1, cb.count())
		})
	}

	t.Run("two signature headers", func(t *testing.T) {
		t.Parallel()
		cb := &callbackRecorder{}
		wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(shopifyBody))
		req.Header.Add("X-Shopify-Hmac-Sha256", shopifyKnownSig)
		req.Header.Add("X-Shopify-Hmac-Sha256", "AAAA")
		rec := httptest.NewRecorder()
		wr.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Equal(t, 0, cb.count())
	})
}

func TestWebhookEmptySecretNeverVerifies(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{""}, cb.handle)
	rec := postWebhook(wr, shopifyBody, shopifyHeaders(signBase64("", shopifyBody), "e1", time.Time{}))
	assert.Equal(t, http.StatusInternalServerError, rec.Code, "a receiver without a usable secret is misconfigured")
	assert.Equal(t, 0, cb.count())
}

func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{"new-secret", "old-secret"}, cb.handle)
	for i, tc := range []struct {
		secret string
		want   int
	}{
		{"old-secret", http.StatusOK},
		{"new-secret", http.StatusOK},
		{"older-secret", http.StatusUnauthorized},
	} {
		rec := postWebhook(wr, shopifyBody, shopifyHeaders(signBase64(tc.secret, shopifyBody), fmt.Sprint("r", i), webhookTestNow))
		assert.Equal(t, tc.want, rec.Code, tc.secret)
	}
	assert.Equal(t, 2, cb.count())

	// A secret source is asked per request, so dropping the old secret
	// takes effect at once.
	var current atomic.Value
	current.Store([][]byte{[]byte("new-secret"), []byte("old-secret")})
	dcb := &callbackRecorder{}
	dwr, err := NewWebhookReceiver(ShopifyWebhooks, func(context.Context) ([][]byte, error) {
		return current.Load().([][]byte), nil
	}, dcb.handle)
	require.NoError(t, err)
	old := signBase64("old-secret", shopifyBody)
	assert.Equal(t, http.StatusOK, postWebhook(dwr, shopifyBody, shopifyHeaders(old, "d1", time.Time{})).Code)
	current.Store([][]byte{[]byte("new-secret")})
	assert.Equal(t, http.StatusUnauthorized, postWebhook(dwr, shopifyBody, shopifyHeaders(old, "d2", time.Time{})).Code)
	assert.Equal(t, 1, dcb.count())

	// A failing secret source is a 500: the sender retries.
	ewr, err := NewWebhookReceiver(ShopifyWebhooks, func(context.Context) ([][]byte, error) {
		return nil, errors.New("vault down")
	}, dcb.handle)
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, postWebhook(ewr, shopifyBody, shopifyHeaders(old, "d3", time.Time{})).Code)
	assert.Equal(t, 1, dcb.count())
}

func TestStaticWebhookSecretsCopies(t *testing.T) {
	t.Parallel()
	secret := []byte(shopifySecret)
	src := StaticWebhookSecrets(secret)
	secret[0] = 'X'
	got, err := src(t.Context())
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte(shopifySecret)}, got)
}

func TestWebhookDuplicateDelivery(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, cb.handle)
	now := webhookTestNow
	wr.now = func() time.Time { return now }

	for range 2 {
		rec := postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "dup-1"))
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Equal(t, 1, cb.count(), "a replayed delivery must be acknowledged but not handed on")

	rec := postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "dup-2"))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, 2, cb.count())

	// Within the 24 h retention it is still a duplicate; after it, not.
	now = webhookTestNow.Add(24*time.Hour - time.Second)
	assert.Equal(t, http.StatusOK, postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "dup-1")).Code)
	assert.Equal(t, 2, cb.count())
	now = webhookTestNow.Add(24 * time.Hour)
	assert.Equal(t, http.StatusOK, postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "dup-1")).Code)
	assert.Equal(t, 3, cb.count())

	// A delivery without id cannot be deduplicated: it is handed on each time.
	noID := wooHeaders(wooKnownSig, "")
	delete(noID, "X-WC-Webhook-Delivery-ID")
	postWebhook(wr, wooBody, noID)
	postWebhook(wr, wooBody, noID)
	assert.Equal(t, 5, cb.count())

	// An over-long id is refused rather than stored.
	rec = postWebhook(wr, wooBody, wooHeaders(wooKnownSig, strings.Repeat("x", 257)))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Equal(t, 5, cb.count())
}

func TestWebhookRetentionOption(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, cb.handle, WebhookRetention(time.Hour))
	now := webhookTestNow
	wr.now = func() time.Time { return now }
	postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "r1"))
	now = now.Add(time.Hour - time.Nanosecond)
	postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "r1"))
	assert.Equal(t, 1, cb.count())
	now = now.Add(time.Nanosecond)
	postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "r1"))
	assert.Equal(t, 2, cb.count())
}

func TestWebhookTimestampWindow(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		header string
		want   int
	}{
		{"fresh", webhookTestNow.Add(-time.Minute).Format(time.RFC3339), http.StatusOK},
		{"at max age", webhookTestNow.Add(-12 * time.Hour).Format(time.RFC3339), http.StatusOK},
		{"stale", webhookTestNow.Add(-12*time.Hour - time.Second).Format(time.RFC3339), http.StatusBadRequest},
		{"at skew", webhookTestNow.Add(5 * time.Minute).Format(time.RFC3339), http.StatusOK},
		{"future", webhookTestNow.Add(5*time.Minute + time.Second).Format(time.RFC3339), http.StatusBadRequest},
		{"nanoseconds", "2025-03-01T11:59:59.877041743Z", http.StatusOK},
		{"offset", "2025-03-01T13:00:00+01:00", http.StatusOK},
		{"malformed", "yesterday", http.StatusBadRequest},
		{"missing", "", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cb := &callbackRecorder{}
			wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
			h := shopifyHeaders(shopifyKnownSig, "t-1", time.Time{})
			if tc.header != "" {
				h["X-Shopify-Triggered-At"] = tc.header
			}
			rec := postWebhook(wr, shopifyBody, h)
			assert.Equal(t, tc.want, rec.Code)
			if tc.want != http.StatusOK {
				assert.Equal(t, 0, cb.count())
				// The rejected delivery did not mark its id as seen.
				h["X-Shopify-Triggered-At"] = webhookTestNow.Format(time.RFC3339)
				assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, h).Code)
			}
			assert.Equal(t, 1, cb.count())
		})
	}

	t.Run("skew option", func(t *testing.T) {
		t.Parallel()
		cb := &callbackRecorder{}
		wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle, WebhookClockSkew(0))
		rec := postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "s-1", webhookTestNow.Add(time.Second)))
		assert.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Equal(t, 0, cb.count())
	})

	t.Run("custom parser", func(t *testing.T) {
		t.Parallel()
		scheme := HexHMACWebhooks("acme", "X-Sig")
		scheme.TimestampHeader = "X-Ts"
		scheme.MaxAge = time.Minute
		scheme.ParseTimestamp = func(s string) (time.Time, error) {
			var sec int64
			_, err := fmt.Sscan(s, &sec)
			return time.Unix(sec, 0), err
		}
		cb := &callbackRecorder{}
		wr := newTestReceiver(t, scheme, []string{hexSecret}, cb.handle)
		for ts, want := range map[int64]int{
			webhookTestNow.Unix() - 60: http.StatusOK,
			webhookTestNow.Unix() - 61: http.StatusBadRequest,
		} {
			rec := postWebhook(wr, hexBody, map[string]string{"X-Sig": hexKnownSig, "X-Ts": fmt.Sprint(ts)})
			assert.Equal(t, want, rec.Code, ts)
		}
		assert.Equal(t, 1, cb.count())
	})
}

func TestWebhookOversizedBody(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, cb.handle, WebhookMaxBodyBytes(64))

	atLimit := strings.Repeat("a", 64)
	over := strings.Repeat("a", 65)
	rec := postWebhook(wr, over, wooHeaders(signBase64(wooSecret, over), "big-1"))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)

	// Without a Content-Length the limit holds while reading.
	req := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(strings.NewReader(over)))
	req.ContentLength = -1
	for k, v := range wooHeaders(signBase64(wooSecret, over), "big-2") {
		req.Header.Set(k, v)
	}
	rec = httptest.NewRecorder()
	wr.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Equal(t, 0, cb.count())

	rec = postWebhook(wr, atLimit, wooHeaders(signBase64(wooSecret, atLimit), "big-3"))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, 1, cb.count())

	// The default limit is 1 MiB.
	dcb := &callbackRecorder{}
	dwr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, dcb.handle)
	mib := strings.Repeat("b", 1<<20)
	assert.Equal(t, http.StatusOK, postWebhook(dwr, mib, wooHeaders(signBase64(wooSecret, mib), "m1")).Code)
	assert.Equal(t, http.StatusRequestEntityTooLarge, postWebhook(dwr, mib+"b", wooHeaders(signBase64(wooSecret, mib+"b"), "m2")).Code)
	assert.Equal(t, 1, dcb.count())
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestWebhookOversizedBodyReadsAtMostLimitPlusOne(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, cb.handle, WebhookMaxBodyBytes(1000))
	cr := &countingReader{r: strings.NewReader(strings.Repeat("z", 100_000))}
	req := httptest.NewRequest(http.MethodPost, "/", cr)
	req.ContentLength = -1
	req.Header.Set("X-WC-Webhook-Signature", wooKnownSig)
	rec := httptest.NewRecorder()
	wr.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.LessOrEqual(t, cr.n.Load(), int64(1001))
	assert.Equal(t, 0, cb.count())
}

func TestWebhookMethodNotAllowed(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead} {
		req := httptest.NewRequest(m, "/", strings.NewReader(shopifyBody))
		for k, v := range shopifyHeaders(shopifyKnownSig, "m-1", webhookTestNow) {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		wr.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, m)
		assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
	}
	assert.Equal(t, 0, cb.count())
}

func TestWebhookIPAllowlist(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle,
		WebhookAllowCIDRs("203.0.113.0/24", " 2001:db8::1 "))
	cases := []struct {
		remote string
		want   int
	}{
		{"203.0.113.7:443", http.StatusOK},
		{"[::ffff:203.0.113.9]:443", http.StatusOK},
		{"[2001:db8::1]:8443", http.StatusOK},
		{"203.0.114.1:443", http.StatusForbidden},
		{"[2001:db8::2]:8443", http.StatusForbidden},
		{"198.51.100.1:1", http.StatusForbidden},
		{"garbage", http.StatusForbidden},
		{"", http.StatusForbidden},
	}
	for i, tc := range cases {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(shopifyBody))
		req.RemoteAddr = tc.remote
		for k, v := range shopifyHeaders(shopifyKnownSig, fmt.Sprint("ip-", i), webhookTestNow) {
			req.Header.Set(k, v)
		}
		req.Header.Set("X-Forwarded-For", "203.0.113.1") // ignored
		rec := httptest.NewRecorder()
		wr.ServeHTTP(rec, req)
		assert.Equal(t, tc.want, rec.Code, tc.remote)
	}
	assert.Equal(t, 3, cb.count())

	_, err := NewWebhookReceiver(ShopifyWebhooks, StaticWebhookSecrets([]byte("s")), cb.handle, WebhookAllowCIDRs("203.0.113.0/33"))
	assert.Error(t, err)
	_, err = NewWebhookReceiver(ShopifyWebhooks, StaticWebhookSecrets([]byte("s")), cb.handle, WebhookAllowCIDRs("shop.example"))
	assert.Error(t, err)
}

func TestWebhookWooCommercePing(t *testing.T) {
	t.Parallel()
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	cases := []struct {
		name    string
		scheme  WebhookScheme
		body    string
		headers map[string]string
		want    int
	}{
		{"ping", WooCommerceWebhooks, "webhook_id=17", form, http.StatusOK},
		{"ping without content type", WooCommerceWebhooks, "webhook_id=17", nil, http.StatusOK},
		{"ping with charset", WooCommerceWebhooks, "webhook_id=17", map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}, http.StatusOK},
		{"json content type", WooCommerceWebhooks, "webhook_id=17", map[string]string{"Content-Type": "application/json"}, http.StatusUnauthorized},
		{"extra field", WooCommerceWebhooks, "webhook_id=17&x=1", form, http.StatusUnauthorized},
		{"two ids", WooCommerceWebhooks, "webhook_id=17&webhook_id=18", form, http.StatusUnauthorized},
		{"not numeric", WooCommerceWebhooks, "webhook_id=abc", form, http.StatusUnauthorized},
		{"empty id", WooCommerceWebhooks, "webhook_id=", form, http.StatusUnauthorized},
		{"unsigned order", WooCommerceWebhooks, wooBody, nil, http.StatusUnauthorized},
		{"other scheme", ShopifyWebhooks, "webhook_id=17", form, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cb := &callbackRecorder{}
			wr := newTestReceiver(t, tc.scheme, []string{wooSecret}, cb.handle)
			rec := postWebhook(wr, tc.body, tc.headers)
			assert.Equal(t, tc.want, rec.Code)
			assert.Equal(t, 0, cb.count(), "an unsigned request never reaches the callback")
		})
	}
}

func TestWebhookCallbackErrorThenRetry(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{fail: func(n int) error {
		if n == 1 {
			return errors.New("inbox unavailable")
		}
		return nil
	}}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
	h := shopifyHeaders(shopifyKnownSig, "retry-1", webhookTestNow)

	rec := postWebhook(wr, shopifyBody, h)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "inbox", "the callback's error is not echoed")
	assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, h).Code, "the retry is accepted")
	assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, h).Code, "a third send is a duplicate")
	assert.Equal(t, 2, cb.count())
}

func TestWebhookCallbackPanic(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, func(context.Context, WebhookEvent) error {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return nil
	})
	h := shopifyHeaders(shopifyKnownSig, "panic-1", webhookTestNow)
	assert.Equal(t, http.StatusInternalServerError, postWebhook(wr, shopifyBody, h).Code)
	assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, h).Code)
	assert.Equal(t, int32(2), calls.Load())
}

func TestWebhookHandlerTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int32
		var ctxErr error
		wr, err := NewWebhookReceiver(ShopifyWebhooks, StaticWebhookSecrets([]byte(shopifySecret)), func(ctx context.Context, _ WebhookEvent) error {
			if calls.Add(1) > 1 {
				return nil
			}
			<-ctx.Done()
			ctxErr = ctx.Err()
			return ctxErr
		})
		require.NoError(t, err)
		h := shopifyHeaders(shopifyKnownSig, "slow-1", time.Now())

		start := time.Now()
		rec := postWebhook(wr, shopifyBody, h)
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, 4*time.Second, time.Since(start), "the default handler timeout is 4 s")
		assert.ErrorIs(t, ctxErr, context.DeadlineExceeded)

		// The id was forgotten although the request's context had ended.
		assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, h).Code)
		assert.Equal(t, int32(2), calls.Load())
	})
}

func TestWebhookHandlerTimeoutOption(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		wr, err := NewWebhookReceiver(WooCommerceWebhooks, StaticWebhookSecrets([]byte(wooSecret)), func(ctx context.Context, _ WebhookEvent) error {
			<-ctx.Done()
			return ctx.Err()
		}, WebhookHandlerTimeout(250*time.Millisecond))
		require.NoError(t, err)
		start := time.Now()
		rec := postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "t1"))
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, 250*time.Millisecond, time.Since(start))
	})
}

// TestWebhookConcurrentDuplicates sends one delivery 20 times at once over a
// real loopback server.
func TestWebhookConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle)
	srv := httptest.NewServer(wr)
	defer srv.Close()

	const n = 20
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, strings.NewReader(shopifyBody))
			if !assert.NoError(t, err) {
				return
			}
			for k, v := range shopifyHeaders(shopifyKnownSig, "same-id", webhookTestNow) {
				req.Header.Set(k, v)
			}
			resp, err := srv.Client().Do(req)
			if !assert.NoError(t, err) {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, 1, cb.count())
	for i, c := range codes {
		assert.Equal(t, http.StatusOK, c, "request %d", i)
	}
}

// TestWebhookConcurrentDuplicatesWaitForFirst holds the first delivery in
// the callback while 19 duplicates arrive: they wait and answer as it does,
// so a failure of the first is never acknowledged by a duplicate.
func TestWebhookConcurrentDuplicatesWaitForFirst(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprint("fail=", fail), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				var calls atomic.Int32
				wr, err := NewWebhookReceiver(ShopifyWebhooks, StaticWebhookSecrets([]byte(shopifySecret)), func(ctx context.Context, _ WebhookEvent) error {
					if calls.Add(1) > 1 {
						return nil
					}
					<-release
					if fail {
						return errors.New("inbox unavailable")
					}
					return nil
				}, WebhookHandlerTimeout(time.Minute))
				require.NoError(t, err)
				h := shopifyHeaders(shopifyKnownSig, "same-id", time.Now())

				const n = 20
				codes := make([]int, n)
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() { codes[i] = postWebhook(wr, shopifyBody, h).Code })
				}
				synctest.Wait() // all 20 are blocked: one in the callback, 19 waiting
				assert.Equal(t, int32(1), calls.Load())
				close(release)
				wg.Wait()

				want := http.StatusOK
				if fail {
					want = http.StatusInternalServerError
				}
				for i, c := range codes {
					assert.Equal(t, want, c, "request %d", i)
				}
				assert.Equal(t, int32(1), calls.Load())

				// After a failure the next retry is handed on; after a
				// success it is a duplicate.
				assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, h).Code)
				wantCalls := int32(1)
				if fail {
					wantCalls = 2
				}
				assert.Equal(t, wantCalls, calls.Load())
			})
		})
	}
}

// storeFunc is a DeliveryStore made of functions.
type storeFunc struct {
	seen   func(ctx context.Context, id string, at time.Time) (bool, error)
	forget func(ctx context.Context, id string) error
}

func (s storeFunc) Seen(ctx context.Context, id string, at time.Time) (bool, error) {
	return s.seen(ctx, id, at)
}
func (s storeFunc) Forget(ctx context.Context, id string) error { return s.forget(ctx, id) }

func TestWebhookDeliveryStore(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen, forgotten []string
	var at time.Time
	storeErr := error(nil)
	store := storeFunc{
		seen: func(_ context.Context, id string, t time.Time) (bool, error) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, id)
			at = t
			return false, storeErr
		},
		forget: func(_ context.Context, id string) error {
			mu.Lock()
			defer mu.Unlock()
			forgotten = append(forgotten, id)
			return nil
		},
	}
	cb := &callbackRecorder{fail: func(n int) error {
		if n == 2 {
			return errors.New("fail")
		}
		return nil
	}}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle, WebhookDeliveryStore(store))

	assert.Equal(t, http.StatusOK, postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "s1", webhookTestNow)).Code)
	assert.Equal(t, http.StatusInternalServerError, postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "s2", webhookTestNow)).Code)
	assert.Equal(t, http.StatusUnauthorized, postWebhook(wr, shopifyBody, shopifyHeaders("AAAA", "s3", webhookTestNow)).Code)
	assert.Equal(t, []string{"shopify:s1", "shopify:s2"}, seen, "forged s3 never reaches the store")
	assert.Equal(t, []string{"shopify:s2"}, forgotten)
	assert.Equal(t, webhookTestNow, at, "the store is given the arrival time")

	storeErr = errors.New("db down")
	assert.Equal(t, http.StatusInternalServerError, postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "s4", webhookTestNow)).Code)
	assert.Equal(t, 2, cb.count(), "without the store's answer nothing is handed on")
}

func TestMemoryDeliveryStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := newMemoryDeliveryStore(time.Hour, 3)
	t0 := webhookTestNow
	for i, id := range []string{"a", "b", "c", "d"} {
		dup, err := s.Seen(ctx, id, t0.Add(time.Duration(i)*time.Minute))
		require.NoError(t, err)
		assert.False(t, dup, id)
	}
	assert.Equal(t, 3, s.len(), "bounded to max entries")
	dup, _ := s.Seen(ctx, "d", t0.Add(5*time.Minute))
	assert.True(t, dup)
	dup, _ = s.Seen(ctx, "a", t0.Add(5*time.Minute))
	assert.False(t, dup, "the oldest was dropped to make room")

	require.NoError(t, s.Forget(ctx, "c"))
	dup, _ = s.Seen(ctx, "c", t0.Add(6*time.Minute))
	assert.False(t, dup, "a forgotten id is new again")

	// After an hour everything older has expired and is removed.
	dup, _ = s.Seen(ctx, "x", t0.Add(6*time.Minute+time.Hour))
	assert.False(t, dup)
	assert.Equal(t, 1, s.len())
}

func TestWebhookLogNeverLeaks(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cb := &callbackRecorder{fail: func(n int) error {
		if n == 2 {
			return errors.New("inbox down")
		}
		return nil
	}}
	wr := newTestReceiver(t, ShopifyWebhooks, []string{shopifySecret}, cb.handle, WebhookLogger(logger))

	forged := signBase64("attacker", shopifyBody)
	postWebhook(wr, shopifyBody, shopifyHeaders(forged, "log-1", webhookTestNow))
	postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "log-2", webhookTestNow))
	postWebhook(wr, shopifyBody, shopifyHeaders(shopifyKnownSig, "log-3", webhookTestNow))
	long := shopifyHeaders(shopifyKnownSig, "log-4", webhookTestNow)
	long["X-Shopify-Topic"] = strings.Repeat("t", 10_000)
	postWebhook(wr, shopifyBody, long)

	out := buf.String()
	assert.Contains(t, out, `"webhook: signature mismatch"`)
	assert.Contains(t, out, `"delivery_id":"log-1"`)
	assert.Contains(t, out, `"topic":"orders/create"`)
	assert.Contains(t, out, `"status":401`)
	assert.Contains(t, out, `"webhook: callback failed"`)
	assert.Contains(t, out, "inbox down")
	for _, secret := range []string{shopifySecret, forged, shopifyKnownSig, strings.TrimRight(shopifyKnownSig, "="), "jon@example.com"} {
		assert.NotContains(t, out, secret)
	}
	assert.NotContains(t, out, strings.Repeat("t", 200), "header values are clipped")
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestNewWebhookReceiverValidation(t *testing.T) {
	t.Parallel()
	secrets := StaticWebhookSecrets([]byte("s"))
	handle := func(context.Context, WebhookEvent) error { return nil }
	bad := ShopifyWebhooks
	bad.SignatureHeader = ""
	badEnc := ShopifyWebhooks
	badEnc.Encoding = 7

	cases := []struct {
		name    string
		scheme  WebhookScheme
		secrets WebhookSecrets
		handle  func(context.Context, WebhookEvent) error
		opt     WebhookOption
	}{
		{"no header", bad, secrets, handle, nil},
		{"bad encoding", badEnc, secrets, handle, nil},
		{"nil secrets", ShopifyWebhooks, nil, handle, nil},
		{"nil handle", ShopifyWebhooks, secrets, nil, nil},
		{"zero body", ShopifyWebhooks, secrets, handle, WebhookMaxBodyBytes(0)},
		{"zero retention", ShopifyWebhooks, secrets, handle, WebhookRetention(0)},
		{"zero timeout", ShopifyWebhooks, secrets, handle, WebhookHandlerTimeout(0)},
		{"negative skew", ShopifyWebhooks, secrets, handle, WebhookClockSkew(-1)},
		{"nil store", ShopifyWebhooks, secrets, handle, WebhookDeliveryStore(nil)},
		{"empty allow entry", ShopifyWebhooks, secrets, handle, WebhookAllowCIDRs("")},
	}
	for _, tc := range cases {
		wr, err := NewWebhookReceiver(tc.scheme, tc.secrets, tc.handle, tc.opt)
		assert.Error(t, err, tc.name)
		assert.Nil(t, wr, tc.name)
	}

	// The receiver keeps its own copy of the scheme's header list.
	scheme := ShopifyWebhooks
	scheme.Headers = []string{"X-Shopify-Shop-Domain"}
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, scheme, []string{shopifySecret}, cb.handle)
	scheme.Headers[0] = "Authorization"
	h := shopifyHeaders(shopifyKnownSig, "c1", webhookTestNow)
	h["Authorization"] = "Bearer x"
	postWebhook(wr, shopifyBody, h)
	require.Equal(t, 1, cb.count())
	assert.Empty(t, cb.last().Headers.Values("Authorization"))
	assert.Equal(t, "example.myshopify.com", cb.last().Headers.Get("X-Shopify-Shop-Domain"))
}

func BenchmarkWebhookReceiver(b *testing.B) {
	body := `{"id":1,"note":"` + strings.Repeat("x", 2000) + `"}`
	sig := signBase64(shopifySecret, body)
	wr := newTestReceiver(b, ShopifyWebhooks, []string{shopifySecret}, func(context.Context, WebhookEvent) error { return nil })
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	for k, v := range shopifyHeaders(sig, "", webhookTestNow) {
		req.Header.Set(k, v)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		r := req.Clone(context.Background())
		r.Body = io.NopCloser(strings.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("X-Shopify-Webhook-Id", fmt.Sprint("bench-", i))
		rec := httptest.NewRecorder()
		wr.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// TestWebhookForgetOutlivesTimeout checks that a delivery store is asked to
// forget with a live context even when the callback ran out of time.
func TestWebhookForgetOutlivesTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var forgetErr error
		forgot := 0
		store := storeFunc{
			seen: func(context.Context, string, time.Time) (bool, error) { return false, nil },
			forget: func(ctx context.Context, _ string) error {
				forgot++
				forgetErr = ctx.Err()
				return forgetErr
			},
		}
		wr, err := NewWebhookReceiver(WooCommerceWebhooks, StaticWebhookSecrets([]byte(wooSecret)), func(ctx context.Context, _ WebhookEvent) error {
			<-ctx.Done()
			return ctx.Err()
		}, WebhookHandlerTimeout(time.Second), WebhookDeliveryStore(store))
		require.NoError(t, err)
		rec := postWebhook(wr, wooBody, wooHeaders(wooKnownSig, "f1"))
		assert.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, 1, forgot)
		assert.NoError(t, forgetErr)
	})
}

// WooCommerce derives the delivery id from the webhook id and the second,
// so two different deliveries can share one: both are handed on, and only
// a true repeat (same id, same body) is a duplicate.
func TestWebhookWooCommerceSharedDeliveryID(t *testing.T) {
	t.Parallel()
	cb := &callbackRecorder{}
	wr := newTestReceiver(t, WooCommerceWebhooks, []string{wooSecret}, cb.handle)
	other := `{"id":43,"status":"processing"}`
	send := func(body string) int {
		return postWebhook(wr, body, map[string]string{
			"X-WC-Webhook-Signature":   signBase64(wooSecret, body),
			"X-WC-Webhook-Delivery-ID": "5f3c0a0e1b2d4c6e8f9a",
			"X-WC-Webhook-Topic":       "order.updated",
		}).Code
	}
	assert.Equal(t, http.StatusOK, send(wooBody))
	assert.Equal(t, http.StatusOK, send(other))
	assert.Equal(t, http.StatusOK, send(wooBody))
	assert.Equal(t, 2, cb.count(), "two deliveries under one id reach the callback, the repeat does not")
}
