package woocommercetest_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
	"github.com/kontor-dev/kontor/transport"
)

// hit is one request a receiver got.
type hit struct {
	header http.Header
	body   []byte
}

// receiver records what reaches it and answers with status(hit).
type receiver struct {
	mu     sync.Mutex
	hits   []hit
	status func(h hit) int
	srv    *httptest.Server
}

func newReceiver(t *testing.T, status func(h hit) int) *receiver {
	r := &receiver{status: status}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		h := hit{header: req.Header.Clone(), body: b}
		r.mu.Lock()
		r.hits = append(r.hits, h)
		r.mu.Unlock()
		st := http.StatusOK
		if r.status != nil {
			st = r.status(h)
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

func isPing(h hit) bool { return h.header.Get("X-WC-Webhook-Topic") == "" }

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestWebhookPingAndSignedDelivery(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	rcv := newReceiver(t, nil)
	var wh woocommercetest.Webhook
	c.sendJSON(http.MethodPost, "/webhooks", map[string]any{"name": "Orders", "topic": "order.created",
		"delivery_url": rcv.srv.URL + "/hook", "secret": "s3cret"}, http.StatusCreated, &wh)
	assert.Equal(t, "active", wh.Status)
	assert.Equal(t, "order", wh.Resource)
	assert.Equal(t, []string{"woocommerce_new_order"}, wh.Hooks)

	hits := rcv.got()
	require.Len(t, hits, 1, "the activation ping")
	assert.Equal(t, "webhook_id="+itoa(wh.ID), string(hits[0].body))
	assert.Equal(t, "application/x-www-form-urlencoded", hits[0].header.Get("Content-Type"))
	assert.Empty(t, hits[0].header.Get("X-WC-Webhook-Signature"))
	got, _ := s.Webhook(wh.ID)
	assert.False(t, got.PendingDelivery)
	assert.Equal(t, "s3cret", got.Secret)

	o, err := s.PlaceOrder(t.Context(), woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "MUG"}}})
	require.NoError(t, err)
	hits = rcv.got()
	require.Len(t, hits, 2, "PlaceOrder returns after the delivery")
	d := hits[1]
	assert.Equal(t, s.URL()+"/", d.header.Get("X-WC-Webhook-Source"))
	assert.Equal(t, "order.created", d.header.Get("X-WC-Webhook-Topic"))
	assert.Equal(t, "order", d.header.Get("X-WC-Webhook-Resource"))
	assert.Equal(t, "created", d.header.Get("X-WC-Webhook-Event"))
	assert.Equal(t, itoa(wh.ID), d.header.Get("X-WC-Webhook-ID"))
	assert.Len(t, d.header.Get("X-WC-Webhook-Delivery-ID"), 32)
	assert.Equal(t, "application/json", d.header.Get("Content-Type"))
	assert.Contains(t, d.header.Get("User-Agent"), "Hookshot")
	assert.Equal(t, sign(d.body, "s3cret"), d.header.Get("X-WC-Webhook-Signature"))

	// The body is the order as GET returns it, byte for byte.
	_, body := c.do(http.MethodGet, "/orders/"+itoa(o.ID), nil, nil)
	assert.Equal(t, string(body), string(d.body))

	dels := s.Deliveries()
	require.Len(t, dels, 2)
	assert.True(t, dels[0].Ping)
	assert.Equal(t, o.ID, dels[1].ResourceID)
	assert.Equal(t, http.StatusOK, dels[1].Status)
}

// TestDeliveriesPassKontorsReceiver runs the fake's webhooks through the
// transport package's WooCommerce receiver: the ping is answered and not
// handed on, a delivery is, a replay is dropped as a duplicate, and a
// forgery is refused.
func TestDeliveriesPassKontorsReceiver(t *testing.T) {
	s, _, _ := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	var mu sync.Mutex
	var topics []string
	wr, err := transport.NewWebhookReceiver(transport.WooCommerceWebhooks, transport.StaticWebhookSecrets([]byte("k3y")),
		func(_ context.Context, ev transport.WebhookEvent) error {
			mu.Lock()
			defer mu.Unlock()
			topics = append(topics, ev.Topic)
			return nil
		})
	require.NoError(t, err)
	srv := httptest.NewServer(wr)
	t.Cleanup(srv.Close)

	wh, err := s.AddWebhook(t.Context(), "product.updated", srv.URL, "k3y")
	require.NoError(t, err, "the ping is answered with 200")
	require.NoError(t, s.SetStock(t.Context(), "MUG", 3))
	dels := s.Deliveries()
	require.Len(t, dels, 2)
	assert.Equal(t, http.StatusOK, dels[1].Status)

	status, err := s.Replay(t.Context(), dels[1])
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "a duplicate is acknowledged")
	status, err = s.SendForged(t.Context(), wh.ID, "product.updated", dels[1].Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, status)
	status, err = s.SendSigned(t.Context(), wh.ID, "product.updated", []byte(`{"id":`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, status, "signed garbage passes the signature check")

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"product.updated", "product.updated"}, topics)
}

func TestWebhookDisabledAfterRepeatedFailures(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	var mu sync.Mutex
	failing := true
	rcv := newReceiver(t, func(h hit) int {
		mu.Lock()
		defer mu.Unlock()
		if isPing(h) || !failing {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	})
	wh, err := s.AddWebhook(t.Context(), "product.updated", rcv.srv.URL, "")
	require.NoError(t, err)
	mug, _ := s.ProductBySKU("MUG")
	update := func(i int) {
		_, err := s.UpdateProduct(t.Context(), mug.ID, map[string]any{"regular_price": strconv.Itoa(10 + i)})
		require.NoError(t, err)
	}
	for i := range 6 {
		update(i)
	}
	w, _ := s.Webhook(wh.ID)
	assert.Equal(t, "active", w.Status)
	assert.Equal(t, 6, w.FailureCount)
	update(6) // the 7th failure in a row
	w, _ = s.Webhook(wh.ID)
	assert.Equal(t, "disabled", w.Status)
	update(7)
	assert.Len(t, rcv.got(), 1+7, "a disabled webhook delivers nothing; nothing was retried")

	// Re-enabled through the API, the count stays: one more failure disables it again.
	c.sendJSON(http.MethodPut, "/webhooks/"+itoa(wh.ID), map[string]any{"status": "active"}, http.StatusOK, &w)
	assert.Equal(t, "active", w.Status)
	update(8)
	w, _ = s.Webhook(wh.ID)
	assert.Equal(t, "disabled", w.Status)

	// Fixed receiver: one success clears the count.
	mu.Lock()
	failing = false
	mu.Unlock()
	require.NoError(t, s.SetWebhookStatus(t.Context(), wh.ID, "active"))
	update(9)
	w, _ = s.Webhook(wh.ID)
	assert.Equal(t, "active", w.Status)
	assert.Zero(t, w.FailureCount)
	var listed []woocommercetest.Webhook
	c.getJSON("/webhooks", nil, http.StatusOK, &listed)
	require.Len(t, listed, 1)
	assert.Equal(t, "active", listed[0].Status)
}

func TestPendingPingRetriedOnNextSave(t *testing.T) {
	s, _, _ := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	var mu sync.Mutex
	down := true
	rcv := newReceiver(t, func(hit) int {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	wh, err := s.AddWebhook(t.Context(), "product.updated", rcv.srv.URL, "x")
	require.EqualError(t, err, "Error: Delivery URL returned response code: 503")
	assert.True(t, wh.PendingDelivery)
	mu.Lock()
	down = false
	mu.Unlock()
	require.NoError(t, s.SetStock(t.Context(), "MUG", 1))
	hits := rcv.got()
	require.Len(t, hits, 3, "ping, delivery, and the ping again after the delivery saved the webhook")
	assert.True(t, isPing(hits[2]))
	w, _ := s.Webhook(wh.ID)
	assert.False(t, w.PendingDelivery)
}

func TestDeliveryIDsWithinOneSecond(t *testing.T) {
	s, _, clk := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	rcv := newReceiver(t, nil)
	_, err := s.AddWebhook(t.Context(), "product.updated", rcv.srv.URL, "x")
	require.NoError(t, err)
	require.NoError(t, s.SetStock(t.Context(), "MUG", 1))
	require.NoError(t, s.SetStock(t.Context(), "MUG", 2))
	clk.Add(time.Second)
	require.NoError(t, s.SetStock(t.Context(), "MUG", 3))
	dels := s.Deliveries()[1:]
	require.Len(t, dels, 3)
	assert.Equal(t, dels[0].DeliveryID, dels[1].DeliveryID, "wp_hash(id . time()) repeats within a second")
	assert.NotEqual(t, dels[1].DeliveryID, dels[2].DeliveryID)
	assert.NotEqual(t, dels[0].Body, dels[1].Body)
}

func TestRESTWritesDeliverInBackgroundAndCoalesce(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	mug, tee := seedCatalog(t, s)
	first := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	rcv := newReceiver(t, func(h hit) int {
		if !isPing(h) {
			once.Do(func() { close(first); <-release })
		}
		return http.StatusOK
	})
	_, err := s.AddWebhook(t.Context(), "product.updated", rcv.srv.URL, "x")
	require.NoError(t, err)

	c.sendJSON(http.MethodPut, "/products/"+itoa(mug.ID), map[string]any{"regular_price": "8.00"}, http.StatusOK, nil)
	<-first // the first delivery hangs in the receiver
	c.sendJSON(http.MethodPut, "/products/"+itoa(tee.ParentID)+"/variations/"+itoa(tee.ID), map[string]any{"regular_price": "21.00"}, http.StatusOK, nil)
	c.sendJSON(http.MethodPut, "/products/"+itoa(tee.ParentID)+"/variations/"+itoa(tee.ID), map[string]any{"regular_price": "22.00"}, http.StatusOK, nil)
	close(release)
	require.NoError(t, s.WaitDeliveries(t.Context()))

	var bodies []map[string]any
	for _, h := range rcv.got()[1:] {
		var m map[string]any
		require.NoError(t, json.Unmarshal(h.body, &m))
		bodies = append(bodies, m)
	}
	// mug, then the variation and its parent once each: the second
	// variation update coalesced with the first, carrying the latest price.
	require.Len(t, bodies, 3)
	assert.Equal(t, float64(mug.ID), bodies[0]["id"])
	assert.Equal(t, float64(tee.ID), bodies[1]["id"])
	assert.Equal(t, "variation", bodies[1]["type"])
	assert.Equal(t, "22.00", bodies[1]["regular_price"])
	assert.Equal(t, float64(tee.ParentID), bodies[2]["id"])
}

func TestWebhookRESTErrors(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	resp, body := c.do(http.MethodPost, "/webhooks", nil, map[string]any{"name": "x"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Missing parameter(s): topic, delivery_url", decodeErr(t, body).Message)
	resp, body = c.do(http.MethodPost, "/webhooks", nil, map[string]any{"topic": "order.shipped", "delivery_url": "http://127.0.0.1:1/"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_shop_webhook_invalid_topic", decodeErr(t, body).Code)
	resp, body = c.do(http.MethodPost, "/webhooks", nil, map[string]any{"topic": "order.updated", "delivery_url": "ftp://x"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_shop_webhook_invalid_delivery_url", decodeErr(t, body).Code)
	assert.Empty(t, s.Webhooks())

	rcv := newReceiver(t, nil)
	var wh woocommercetest.Webhook
	c.sendJSON(http.MethodPost, "/webhooks", map[string]any{"topic": "order.updated", "delivery_url": rcv.srv.URL, "status": "paused"}, http.StatusCreated, &wh)
	assert.Equal(t, "paused", wh.Status)
	resp, body = c.do(http.MethodDelete, "/webhooks/"+itoa(wh.ID), nil, nil)
	assert.Equal(t, http.StatusNotImplemented, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_trash_not_supported", decodeErr(t, body).Code)
}
