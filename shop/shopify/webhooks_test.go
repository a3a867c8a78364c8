package shopify

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

var webhookSecret = []byte("app-client-secret")

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// recorder collects the events and redactions a handler passes on.
type recorder struct {
	mu        sync.Mutex
	events    []kontor.Event
	redacted  []redaction
	failNext  int
	failRedac error
}

// redaction is one erasure the handler asked for: of keys, or, when all,
// of every key of the entity (RedactAll).
type redaction struct {
	entity kontor.Entity
	keys   []string
	reason string
	all    bool
}

func (r *recorder) handle(_ context.Context, ev kontor.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failNext > 0 {
		r.failNext--
		return errors.New("inbox unavailable")
	}
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) Redact(_ context.Context, entity kontor.Entity, keys []string, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failRedac != nil {
		return r.failRedac
	}
	r.redacted = append(r.redacted, redaction{entity: entity, keys: keys, reason: reason})
	return nil
}

func (r *recorder) RedactAll(_ context.Context, entity kontor.Entity, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failRedac != nil {
		return r.failRedac
	}
	r.redacted = append(r.redacted, redaction{entity: entity, reason: reason, all: true})
	return nil
}

func (r *recorder) redactions() []redaction {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]redaction(nil), r.redacted...)
}

func (r *recorder) got() []kontor.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]kontor.Event(nil), r.events...)
}

type delivery struct {
	topic, webhookID, eventID string
	body                      []byte
	at                        time.Time
	signature                 string // empty: signed with webhookSecret
	shop                      string // empty: test-shop.myshopify.com
}

func deliver(t *testing.T, h http.Handler, d delivery) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", strings.NewReader(string(d.body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", d.topic)
	req.Header.Set("X-Shopify-Shop-Domain", cmp.Or(d.shop, "test-shop.myshopify.com"))
	req.Header.Set("X-Shopify-API-Version", DefaultAPIVersion)
	req.Header.Set("X-Shopify-Webhook-Id", d.webhookID)
	if d.eventID != "" {
		req.Header.Set("X-Shopify-Event-Id", d.eventID)
	}
	at := d.at
	if at.IsZero() {
		at = time.Now().Add(-time.Minute)
	}
	req.Header.Set("X-Shopify-Triggered-At", at.UTC().Format(time.RFC3339Nano))
	sig := d.signature
	if sig == "" {
		sig = sign(webhookSecret, d.body)
	}
	req.Header.Set("X-Shopify-Hmac-Sha256", sig)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

const orderBody = `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","name":"#1001",
"email":"canary.buyer@example.com","created_at":"2026-03-01T10:00:00Z","updated_at":"2026-03-01T10:05:00Z","processed_at":"2026-03-01T10:00:00Z",
"currency":"EUR","taxes_included":true,"financial_status":"paid","fulfillment_status":null,
"total_price":"123.90","total_tax":"19.78","payment_gateway_names":["paypal"],"source_name":"web",
"discount_codes":[{"code":"SPRING","amount":"10.00","type":"fixed_amount"}],
"line_items":[{"id":466157049,"variant_id":39072856,"sku":"SKU-1-S","title":"Shirt","name":"Shirt - S","quantity":2,"price":"59.95",
  "total_discount":"0.00","discount_allocations":[{"amount":"10.00"}],"tax_lines":[{"title":"MwSt","price":"17.55","rate":0.19}]},
 {"id":518995019,"variant_id":49148385,"sku":"SKU-1-M","title":"Socks","name":"Socks","quantity":1,"price":"9.00",
  "total_discount":"0.00","discount_allocations":[],"tax_lines":[{"title":"MwSt","price":"1.44","rate":0.19}]}],
"shipping_lines":[{"title":"Standard","code":"std","price":"5.00","discounted_price":"5.00","tax_lines":[{"title":"MwSt","price":"0.79","rate":0.19}]}],
"billing_address":{"first_name":"Erika","last_name":"Muster","address1":"Musterweg 1","city":"Berlin","zip":"10115","country_code":"DE"},
"customer":{"id":207119551,"email":"canary.buyer@example.com","first_name":"Erika","last_name":"Muster"}}`

func newWebhookClient(t *testing.T, rec *recorder, opts ...WebhookOption) (*Client, *WebhookHandler) {
	t.Helper()
	names := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":{"nodes":[{"id":"gid://shopify/Order/450789469","name":"#1001"},null]}}`)
	})
	c, _ := newTestClient(t, names)
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), rec.handle, append([]WebhookOption{WithRedactor(rec)}, opts...)...)
	require.NoError(t, err)
	return c, h
}

func TestWebhookOrderCreate(t *testing.T) {
	rec := &recorder{}
	_, h := newWebhookClient(t, rec)
	require.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "orders/create", webhookID: "w1", eventID: "e1", body: []byte(orderBody)}))
	evs := rec.got()
	require.Len(t, evs, 1)
	ev := evs[0]
	assert.Equal(t, "shopify:e1", ev.ID)
	assert.Equal(t, "orders/create", ev.Topic)
	assert.Equal(t, kontor.EntityOrder, ev.Entity)
	assert.Equal(t, "#1001", ev.Key)
	assert.False(t, ev.At.Before(time.Date(2026, 3, 1, 10, 5, 0, 0, time.UTC)), "the later of trigger and update time")
	require.NotEmpty(t, ev.Payload)
	var o kontor.Order
	require.NoError(t, json.Unmarshal(ev.Payload, &o))
	require.NoError(t, o.Validate(), "a consistent order validates")
	assert.Equal(t, "gid://shopify/Order/820982911946154508", o.ShopKey)
	assert.True(t, o.PricesIncludeTax)
	assert.Equal(t, "207119551", o.Customer.Number)
	assert.Equal(t, "109.90", o.Lines[0].Gross.Amount.StringFixed(2), "2 × 59.95 less 10.00")
	assert.Equal(t, "92.35", o.Lines[0].Net.Amount.StringFixed(2))
	assert.True(t, o.Discounts[0].Allocated)
}

func TestWebhookForgedIsRefused(t *testing.T) {
	rec := &recorder{}
	_, h := newWebhookClient(t, rec)
	forged := sign([]byte("not-the-secret"), []byte(orderBody))
	assert.Equal(t, http.StatusUnauthorized, deliver(t, h, delivery{topic: "orders/create", webhookID: "w1", body: []byte(orderBody), signature: forged}))
	tampered := []byte(strings.Replace(orderBody, "123.90", "1.00", 1))
	assert.Equal(t, http.StatusUnauthorized, deliver(t, h, delivery{topic: "orders/create", webhookID: "w2", body: tampered,
		signature: sign(webhookSecret, []byte(orderBody))}))
	assert.Empty(t, rec.got())
	// A forged delivery does not burn the real one's id.
	assert.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "orders/create", webhookID: "w1", body: []byte(orderBody)}))
	assert.Len(t, rec.got(), 1)
}

func TestWebhookReplayAndDuplicateEvents(t *testing.T) {
	rec := &recorder{}
	_, h := newWebhookClient(t, rec)
	d := delivery{topic: "orders/updated", webhookID: "w1", eventID: "e1", body: []byte(orderBody)}
	assert.Equal(t, http.StatusOK, deliver(t, h, d))
	assert.Equal(t, http.StatusOK, deliver(t, h, d), "a replay is acknowledged")
	d.webhookID = "w2" // the same event for a second subscription
	assert.Equal(t, http.StatusOK, deliver(t, h, d))
	assert.Len(t, rec.got(), 1, "one event reaches the engine")

	d = delivery{topic: "orders/updated", webhookID: "w3", eventID: "e2", body: []byte(orderBody), at: time.Now().Add(-13 * time.Hour)}
	assert.Equal(t, http.StatusBadRequest, deliver(t, h, d), "a stale delivery is dropped")
	assert.Len(t, rec.got(), 1)
}

func TestWebhookFailureIsRetried(t *testing.T) {
	rec := &recorder{failNext: 1}
	_, h := newWebhookClient(t, rec)
	d := delivery{topic: "orders/create", webhookID: "w1", eventID: "e1", body: []byte(orderBody)}
	assert.Equal(t, http.StatusInternalServerError, deliver(t, h, d), "the inbox failed: Shopify must send it again")
	assert.Equal(t, http.StatusOK, deliver(t, h, d), "the retry is taken")
	assert.Len(t, rec.got(), 1)

	// A payload that does not decode is no reason for Shopify to retry
	// (and, after eight failures, drop the subscription): it is handed on
	// as a bare hint that orders changed.
	bad := delivery{topic: "orders/create", webhookID: "w9", eventID: "e9", body: []byte(`{"id":"not a number"}`)}
	assert.Equal(t, http.StatusOK, deliver(t, h, bad))
	evs := rec.got()
	require.Len(t, evs, 2)
	assert.Equal(t, kontor.EntityOrder, evs[1].Entity)
	assert.Empty(t, evs[1].Key)
	assert.Empty(t, evs[1].Payload)
}

func TestWebhookRouting(t *testing.T) {
	rec := &recorder{}
	c, h := newWebhookClient(t, rec, WithReceiverOptions(transport.WebhookHandlerTimeout(2*time.Second)))
	c.remember("SKU-1-S", itemRef{inventoryItem: "gid://shopify/InventoryItem/808950810"})
	c.locByName = map[string]string{"Lager Berlin": "gid://shopify/Location/905684977"}
	c.cfg.locations = map[string]string{"BER": "Lager Berlin"}

	for i, d := range []delivery{
		{topic: "products/update", body: []byte(`{"id":632910392,"title":"Shirt","status":"active","updated_at":"2026-03-01T10:00:00Z",
			"variants":[{"id":1,"sku":"SKU-1-S","title":"S","option1":"S"}],"options":[{"name":"Size"}],
			"metafields":[{"namespace":"kontor","key":"erp_key","value":"SKU-1"}]}`)},
		{topic: "inventory_levels/update", body: []byte(`{"inventory_item_id":808950810,"location_id":905684977,"available":6,"updated_at":"2026-03-01T10:00:00Z"}`)},
		{topic: "refunds/create", body: []byte(`{"id":509562969,"order_id":450789469,"created_at":"2026-03-01T10:00:00Z","refund_line_items":[]}`)},
		{topic: "fulfillments/create", body: []byte(`{"id":255858046,"order_id":450789469,"name":"#1001.1","tracking_numbers":["1Z001"],"updated_at":"2026-03-01T10:00:00Z"}`)},
		{topic: "app/uninstalled", body: []byte(`{"id":548380009,"name":"Test Shop"}`)},
		{topic: "bulk_operations/finish", body: []byte(`{"admin_graphql_api_id":"gid://shopify/BulkOperation/1","status":"completed","error_code":null}`)},
		{topic: "customers/data_request", body: []byte(`{"shop_id":954889,"shop_domain":"test-shop.myshopify.com","orders_requested":[299938],"customer":{"id":191167,"email":"canary.buyer@example.com","phone":"555-625-1199"},"data_request":{"id":9999}}`)},
	} {
		d.webhookID = fmt.Sprintf("w%d", i)
		require.Equal(t, http.StatusOK, deliver(t, h, d), d.topic)
	}
	evs := rec.got()
	require.Len(t, evs, 7)
	want := []struct {
		entity kontor.Entity
		key    string
	}{
		{kontor.EntityProduct, "SKU-1"},
		{kontor.EntityStock, "SKU-1-S@BER"},
		{kontor.EntityReturn, "R509562969"},
		{kontor.EntityShipment, "#1001.1"},
		{"", "test-shop.myshopify.com"},
		{"", "gid://shopify/BulkOperation/1"},
		{kontor.EntityCustomer, "191167"},
	}
	for i, w := range want {
		assert.Equal(t, w.entity, evs[i].Entity, evs[i].Topic)
		assert.Equal(t, w.key, evs[i].Key, evs[i].Topic)
	}
	var p kontor.Product
	require.NoError(t, json.Unmarshal(evs[0].Payload, &p))
	assert.Equal(t, "SKU-1", p.SKU)
	assert.Equal(t, []string{"Size"}, p.Options)
	assert.NotContains(t, string(evs[6].Payload), "canary", "a data request's event carries no personal data")
}

func TestWebhookCompliance(t *testing.T) {
	rec := &recorder{}
	_, h := newWebhookClient(t, rec)
	body := []byte(`{"shop_id":954889,"shop_domain":"test-shop.myshopify.com","customer":{"id":207119551,"email":"canary.buyer@example.com","phone":"555-625-1199"},"orders_to_redact":[450789469,299938]}`)
	require.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "customers/redact", webhookID: "r1", body: body}))
	require.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "shop/redact", webhookID: "r2", body: []byte(`{"shop_id":954889,"shop_domain":"test-shop.myshopify.com"}`)}))
	assert.Equal(t, []redaction{
		{entity: kontor.EntityCustomer, keys: []string{"207119551"}, reason: "customers/redact"},
		{entity: kontor.EntityOrder, keys: []string{"#1001", "gid://shopify/Order/299938"}, reason: "customers/redact"},
		{entity: kontor.EntityCustomer, reason: "shop/redact", all: true},
		{entity: kontor.EntityOrder, reason: "shop/redact", all: true},
		{entity: kontor.EntityReturn, reason: "shop/redact", all: true},
	}, rec.redactions(), "order numbers where the shop still knows them, else shop keys; shop/redact erases all")
	assert.Empty(t, rec.got(), "redactions are not events")

	forged := delivery{topic: "customers/redact", webhookID: "r3", body: body, signature: sign([]byte("x"), body)}
	assert.Equal(t, http.StatusUnauthorized, deliver(t, h, forged))

	rec.failRedac = errors.New("store down")
	assert.Equal(t, http.StatusInternalServerError, deliver(t, h, delivery{topic: "customers/redact", webhookID: "r4", body: body}),
		"a redaction that failed is asked for again")

	// A compliance delivery for another shop of the same app erases
	// nothing here, and is acknowledged.
	rec.failRedac = nil
	before := len(rec.redactions())
	other := []byte(`{"shop_id":1,"shop_domain":"other-shop.myshopify.com","customer":{"id":207119551},"orders_to_redact":[]}`)
	assert.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "customers/redact", webhookID: "r6", body: other, shop: "other-shop.myshopify.com"}))
	assert.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "shop/redact", webhookID: "r7", body: other, shop: "other-shop.myshopify.com"}))
	assert.Len(t, rec.redactions(), before, "another shop's erasure request erases nothing here")

	// Without a redactor the compliance topics are refused, not dropped.
	c2, _ := newTestClient(t, http.NotFoundHandler())
	h2, err := c2.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), rec.handle)
	require.NoError(t, err)
	assert.Equal(t, http.StatusInternalServerError, deliver(t, h2, delivery{topic: "shop/redact", webhookID: "r5", body: []byte(`{}`)}))
}

// TestWebhookBulkFinishWakesWait checks that bulk_operations/finish ends
// a wait before its next poll.
func TestWebhookBulkFinishWakesWait(t *testing.T) {
	var polls int
	var mu sync.Mutex
	srv := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		polls++
		status := "RUNNING"
		if polls > 1 {
			status = "COMPLETED"
		}
		mu.Unlock()
		fmt.Fprintf(w, `{"data":{"bulkOperation":{"id":"gid://shopify/BulkOperation/7","status":%q,"errorCode":null,"objectCount":"0","url":null,"partialDataUrl":null}}}`, status)
	})
	rec := &recorder{}
	srvC := httptest.NewServer(srv)
	defer srvC.Close()
	c, err := New("test-shop", "token", WithEndpoint(srvC.URL), WithPollInterval(time.Hour))
	require.NoError(t, err)
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), rec.handle)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := c.WaitBulk(context.Background(), "gid://shopify/BulkOperation/7")
		done <- err
	}()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.bulk["gid://shopify/BulkOperation/7"] != nil
	}, 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return polls == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "bulk_operations/finish", webhookID: "b1",
		body: []byte(`{"admin_graphql_api_id":"gid://shopify/BulkOperation/7","status":"completed"}`)}))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the webhook did not end the wait")
	}
}
