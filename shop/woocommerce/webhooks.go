package woocommerce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// WebhookHandler returns the http.Handler to register as the delivery URL
// of the shop's webhooks. It is a transport.WebhookReceiver with the
// transport.WooCommerceWebhooks scheme: it checks X-WC-Webhook-Signature
// (base64 HMAC-SHA256 of the raw body, keyed with the webhook's secret)
// against secrets, answers WooCommerce's unsigned activation ping
// (form-encoded webhook_id=<id>) with 200 without handing it on, refuses
// a missing or forged signature with 401, and hands each verified
// delivery once (by X-WC-Webhook-Delivery-ID) to handle as a kontor.Event:
//
//	ID       the delivery id
//	Topic    X-WC-Webhook-Topic, e.g. "order.updated"
//	Entity   order, product or customer by X-WC-Webhook-Resource (empty for
//	         coupons and action.* topics, which the engine need not act on)
//	Key      the order number, the product's SKU, the customer's number
//	Payload  the kontor.Order, kontor.Product (a simple product; a variable
//	         one or a variation has no payload, since its variations are
//	         not in the delivery) or kontor.Customer as JSON; empty for
//	         *.deleted topics, whose body is only {"id":…}
//	At       the resource's date_modified_gmt
//
// handle's error answers 500. WooCommerce does not retry a failed
// delivery (it counts the failure and disables the webhook after more than
// five in a row), so a lost or refused delivery is found by the engine's
// reconciling sweep, which reads what changed since its cursor whatever
// webhooks said; ReactivateWebhooks turns disabled webhooks on again.
func (c *Client) WebhookHandler(secrets transport.WebhookSecrets, handle kontor.EventHandler, opts ...transport.WebhookOption) (http.Handler, error) {
	if handle == nil {
		return nil, errors.New("woocommerce: nil event handler")
	}
	return transport.NewWebhookReceiver(transport.WooCommerceWebhooks, secrets, func(ctx context.Context, we transport.WebhookEvent) error {
		ev, err := c.Event(we)
		if err != nil {
			return err
		}
		return handle(ctx, ev)
	}, opts...)
}

// Event turns a verified delivery into a kontor.Event (see
// WebhookHandler). A body that does not decode still makes an event,
// without key and payload, so that the flow reads the source again.
func (c *Client) Event(we transport.WebhookEvent) (kontor.Event, error) {
	resource := we.Headers.Get("X-WC-Webhook-Resource")
	topic := we.Topic
	if resource == "" {
		resource, _, _ = strings.Cut(topic, ".")
	}
	// WooCommerce derives the delivery id from the webhook's id and the
	// current second, so two deliveries can share it: the event id adds a
	// hash of the body, or the engine's inbox would drop the second one.
	sum := sha256.Sum256(append([]byte(we.Headers.Get("X-WC-Webhook-ID")+"\x00"+topic+"\x00"), we.Body...))
	ev := kontor.Event{ID: "body-" + hex.EncodeToString(sum[:16]), Topic: topic}
	if we.DeliveryID != "" {
		ev.ID = we.DeliveryID + "/" + hex.EncodeToString(sum[:8])
	}
	deleted := strings.HasSuffix(topic, ".deleted")
	var err error
	switch resource {
	case "order":
		ev.Entity = kontor.EntityOrder
		var o Order
		if deleted || json.Unmarshal(we.Body, &o) != nil || o.ID == 0 {
			return ev, nil
		}
		ko := c.orderIn(&o)
		ev.Key, ev.At = ko.Number, o.DateModifiedGMT.Time
		ev.Payload, err = json.Marshal(ko)
	case "product":
		ev.Entity = kontor.EntityProduct
		var p Product
		if deleted || json.Unmarshal(we.Body, &p) != nil || p.ID == 0 {
			return ev, nil
		}
		ev.Key, ev.At = p.SKU, p.DateModifiedGMT.Time
		if p.Type == "variation" {
			ev.Key = "" // a variation's product is another SKU
			return ev, nil
		}
		if p.Type == "variable" {
			return ev, nil
		}
		kp := c.productFromDelivery(&p)
		ev.Payload, err = json.Marshal(kp)
	case "customer":
		ev.Entity = kontor.EntityCustomer
		var wc Customer
		if deleted || json.Unmarshal(we.Body, &wc) != nil || wc.ID == 0 {
			return ev, nil
		}
		cu := c.customerIn(&wc)
		ev.Key, ev.At = cu.Number, cu.UpdatedAt
		ev.Payload, err = json.Marshal(cu)
	}
	if err != nil {
		return kontor.Event{}, fmt.Errorf("woocommerce: encoding the event's payload: %w", err)
	}
	return ev, nil
}

// productFromDelivery builds a simple product from a delivery without
// asking the shop: categories by their names.
func (c *Client) productFromDelivery(wp *Product) kontor.Product {
	cats := wp.Categories
	wp.Categories = nil
	p, _ := c.productIn(context.Background(), wp) // no request: not variable, no categories
	for _, t := range cats {
		p.Categories = append(p.Categories, unescapeHTML(t.Name))
	}
	return p
}

// ListWebhooks returns the shop's webhooks (every status).
func (c *Client) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	var all []Webhook
	err := pagedRead(ctx, c, "/webhooks", url.Values{"status": {"all"}, "orderby": {"id"}, "order": {"asc"}},
		func(w *webhookItem) bool { all = append(all, Webhook(*w)); return true })
	return all, err
}

type webhookItem Webhook

func (w *webhookItem) key() int64          { return w.ID }
func (w *webhookItem) modified() time.Time { return time.Time{} }

// ReactivateWebhooks sets every disabled webhook whose delivery URL starts
// with deliveryURL (every disabled webhook for "") active again and
// returns them. WooCommerce disables a webhook after repeated failed
// deliveries and never retries them; what changed meanwhile the sweep
// reads. Paused webhooks are the shop owner's choice and stay paused.
func (c *Client) ReactivateWebhooks(ctx context.Context, deliveryURL string) ([]Webhook, error) {
	hooks, err := c.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	var out []Webhook
	for _, h := range hooks {
		if h.Status != "disabled" || !strings.HasPrefix(h.DeliveryURL, deliveryURL) {
			continue
		}
		var got Webhook
		if _, err := c.do(transport.WithIdempotent(ctx), http.MethodPut, "/webhooks/"+idString(h.ID), nil,
			map[string]any{"status": "active"}, &got); err != nil {
			return out, err
		}
		out = append(out, got)
	}
	return out, nil
}

// EnsureWebhooks subscribes deliveryURL to the topics (e.g.
// "order.created", "order.updated", "product.updated") with secret: it
// creates the webhooks that are missing and reactivates disabled ones,
// and returns the webhooks for deliveryURL.
func (c *Client) EnsureWebhooks(ctx context.Context, deliveryURL, secret string, topics ...string) ([]Webhook, error) {
	hooks, err := c.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	var out []Webhook
	have := map[string]bool{}
	for _, h := range hooks {
		if h.DeliveryURL != deliveryURL || !slices.Contains(topics, h.Topic) {
			continue
		}
		have[h.Topic] = true
		if h.Status == "disabled" {
			if _, err := c.do(transport.WithIdempotent(ctx), http.MethodPut, "/webhooks/"+idString(h.ID), nil,
				map[string]any{"status": "active"}, &h); err != nil {
				return nil, err
			}
		}
		out = append(out, h)
	}
	for _, t := range topics {
		if have[t] {
			continue
		}
		body := Webhook{Name: "kontor " + t, Status: "active", Topic: t, DeliveryURL: deliveryURL, Secret: secret}
		var got Webhook
		if _, err := c.do(ctx, http.MethodPost, "/webhooks", nil, body, &got); err != nil {
			return nil, err
		}
		have[t] = true
		out = append(out, got)
	}
	return out, nil
}
