package woocommerce

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/fixture"
	"github.com/kontor-dev/kontor/transport"
)

const hookSecret = "whsec-test-secret"

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// delivery is a request as WooCommerce's WC_Webhook::deliver sends it.
func delivery(body []byte, topic, id, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/hooks/woo", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "WooCommerce/9.8.0 Hookshot (WordPress/6.8)")
	r.Header.Set("X-WC-Webhook-Source", "https://shop.example.com/")
	r.Header.Set("X-WC-Webhook-Topic", topic)
	resource, event, _ := strings.Cut(topic, ".")
	r.Header.Set("X-WC-Webhook-Resource", resource)
	r.Header.Set("X-WC-Webhook-Event", event)
	r.Header.Set("X-WC-Webhook-ID", "12")
	r.Header.Set("X-WC-Webhook-Delivery-ID", id)
	if sig != "" {
		r.Header.Set("X-WC-Webhook-Signature", sig)
	}
	return r
}

type eventSink struct {
	mu     sync.Mutex
	events []kontor.Event
	fail   error
}

func (s *eventSink) handle(_ context.Context, ev kontor.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, ev)
	return nil
}

func newHookHandler(t *testing.T, sink *eventSink) http.Handler {
	t.Helper()
	c, err := New("https://shop.example.com", "ck", "cs")
	require.NoError(t, err)
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets([]byte(hookSecret)), sink.handle)
	require.NoError(t, err)
	return h
}

func serve(h http.Handler, r *http.Request) int {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func TestWebhookOrderDelivery(t *testing.T) {
	body := fixture.Read(t, "shop/woocommerce/order_retrieve.wc-docs.json")
	sink := &eventSink{}
	h := newHookHandler(t, sink)

	require.Equal(t, http.StatusOK, serve(h, delivery(body, "order.updated", "d41d8cd98f00b204", sign(body, hookSecret))))
	require.Len(t, sink.events, 1)
	ev := sink.events[0]
	assert.True(t, strings.HasPrefix(ev.ID, "d41d8cd98f00b204/"), "the delivery id and a hash of the body: %s", ev.ID)
	assert.Equal(t, "order.updated", ev.Topic)
	assert.Equal(t, kontor.EntityOrder, ev.Entity)
	assert.Equal(t, "727", ev.Key)
	assert.Equal(t, "2017-03-22T19:28:08Z", ev.At.Format("2006-01-02T15:04:05Z07:00"))
	var o kontor.Order
	require.NoError(t, json.Unmarshal(ev.Payload, &o))
	assert.Equal(t, "727", o.Number)
	assert.Equal(t, kontor.OrderProcessing, o.Status)
	assert.Len(t, o.Lines, 2)

	// The same delivery again: acknowledged, not handed on twice.
	require.Equal(t, http.StatusOK, serve(h, delivery(body, "order.updated", "d41d8cd98f00b204", sign(body, hookSecret))))
	assert.Len(t, sink.events, 1)
}

func TestWebhookPing(t *testing.T) {
	sink := &eventSink{}
	h := newHookHandler(t, sink)
	// WC_Webhook::deliver_ping: a form-encoded body, no signature, no
	// X-WC-Webhook headers.
	r := httptest.NewRequest(http.MethodPost, "/hooks/woo", strings.NewReader("webhook_id=12"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	assert.Equal(t, http.StatusOK, serve(h, r))
	assert.Empty(t, sink.events, "the ping is not an event")

	// A JSON body without signature is no ping.
	r = httptest.NewRequest(http.MethodPost, "/hooks/woo", strings.NewReader(`{"webhook_id":12}`))
	r.Header.Set("Content-Type", "application/json")
	assert.Equal(t, http.StatusUnauthorized, serve(h, r))
}

func TestWebhookForged(t *testing.T) {
	sink := &eventSink{}
	h := newHookHandler(t, sink)
	body := []byte(`{"id":5,"number":"5","status":"completed","currency":"EUR","date_modified_gmt":"2026-03-01T10:00:00","total":"0.00","total_tax":"0.00"}`)
	assert.Equal(t, http.StatusUnauthorized, serve(h, delivery(body, "order.updated", "x1", sign(body, "another secret"))))
	tampered := []byte(strings.Replace(string(body), "completed", "cancelled", 1))
	assert.Equal(t, http.StatusUnauthorized, serve(h, delivery(tampered, "order.updated", "x2", sign(body, hookSecret))))
	assert.Equal(t, http.StatusUnauthorized, serve(h, delivery(body, "order.updated", "x3", "")))
	assert.Empty(t, sink.events)

	// The forged delivery did not mark its id as seen: the real one with
	// the same id passes.
	assert.Equal(t, http.StatusOK, serve(h, delivery(body, "order.updated", "x1", sign(body, hookSecret))))
	assert.Len(t, sink.events, 1)
}

func TestWebhookHandlerFailureIsRetriedByTheSweep(t *testing.T) {
	sink := &eventSink{fail: errors.New("inbox down")}
	h := newHookHandler(t, sink)
	body := []byte(`{"id":9}`)
	assert.Equal(t, http.StatusInternalServerError, serve(h, delivery(body, "order.deleted", "d9", sign(body, hookSecret))))
	sink.fail = nil
	// WooCommerce never sends it again; should it (a manual redelivery),
	// the id is not remembered as handled.
	assert.Equal(t, http.StatusOK, serve(h, delivery(body, "order.deleted", "d9", sign(body, hookSecret))))
	require.Len(t, sink.events, 1)
	got := sink.events[0]
	assert.True(t, strings.HasPrefix(got.ID, "d9/"), got.ID)
	got.ID = ""
	assert.Equal(t, kontor.Event{Topic: "order.deleted", Entity: kontor.EntityOrder}, got,
		"a deletion carries only the id: no key, no payload")
}

func TestWebhookProductAndCustomerEvents(t *testing.T) {
	c, err := New("https://shop.example.com", "ck", "cs")
	require.NoError(t, err)
	raw := fixture.Read(t, "shop/woocommerce/product_retrieve.wc-docs.json")
	ev, err := c.Event(transport.WebhookEvent{DeliveryID: "p1", Topic: "product.updated", Body: raw,
		Headers: http.Header{"X-Wc-Webhook-Resource": {"product"}}})
	require.NoError(t, err)
	assert.Equal(t, kontor.EntityProduct, ev.Entity)
	var p kontor.Product
	require.NoError(t, json.Unmarshal(ev.Payload, &p))
	assert.Equal(t, "Premium Quality", p.Title)
	assert.Equal(t, []string{"Clothing", "T-shirts"}, p.Categories, "by name: no request from a webhook")

	variation := fixture.Read(t, "shop/woocommerce/variation_retrieve.wc-docs.json")
	var v map[string]any
	require.NoError(t, json.Unmarshal(variation, &v))
	v["type"] = "variation"
	vb, _ := json.Marshal(v)
	ev, err = c.Event(transport.WebhookEvent{DeliveryID: "p2", Topic: "product.updated", Body: vb})
	require.NoError(t, err)
	assert.Equal(t, kontor.EntityProduct, ev.Entity)
	assert.Empty(t, ev.Payload, "a variation's product is not in the delivery")

	cust := []byte(`{"id":25,"email":"jane@example.com","first_name":"Jane","last_name":"Roe","role":"customer",
		"date_modified_gmt":"2026-03-01T09:00:00","billing":{"company":"Roe GmbH","country":"DE","city":"Berlin"},
		"shipping":{},"meta_data":[{"id":1,"key":"_kontor_customer_number","value":"D-100"}]}`)
	ev, err = c.Event(transport.WebhookEvent{DeliveryID: "c1", Topic: "customer.updated", Body: cust})
	require.NoError(t, err)
	assert.Equal(t, kontor.EntityCustomer, ev.Entity)
	assert.Equal(t, "D-100", ev.Key)
	var cu kontor.Customer
	require.NoError(t, json.Unmarshal(ev.Payload, &cu))
	assert.Equal(t, kontor.B2B, cu.Type)
	assert.Equal(t, "25", cu.ShopKey)

	ev, err = c.Event(transport.WebhookEvent{DeliveryID: "a1", Topic: "action.woocommerce_add_to_cart", Body: []byte(`{"action":"x","arg":1}`)})
	require.NoError(t, err)
	assert.Empty(t, ev.Entity, "action topics are for no entity")
}

// Two deliveries that share WooCommerce's delivery id (it is derived from
// the webhook and the second) become two events with distinct ids, so the
// engine's inbox keeps both; a true repeat is dropped.
func TestWebhookSharedDeliveryIDMakesDistinctEvents(t *testing.T) {
	sink := &eventSink{}
	h := newHookHandler(t, sink)
	a, b := []byte(`{"id":9,"status":"processing"}`), []byte(`{"id":10,"status":"processing"}`)
	require.Equal(t, http.StatusOK, serve(h, delivery(a, "order.updated", "same-second", sign(a, hookSecret))))
	require.Equal(t, http.StatusOK, serve(h, delivery(b, "order.updated", "same-second", sign(b, hookSecret))))
	require.Len(t, sink.events, 2)
	assert.NotEqual(t, sink.events[0].ID, sink.events[1].ID)
	require.Equal(t, http.StatusOK, serve(h, delivery(a, "order.updated", "same-second", sign(a, hookSecret))))
	assert.Len(t, sink.events, 2, "a true repeat (same id, same body) is dropped")
}
