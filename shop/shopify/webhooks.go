package shopify

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// Redactor erases the personal data the integration stored about given
// customers and orders and records that it did, as Shopify's mandatory
// compliance webhook customers/redact requires. The engine
// (*syncer.Syncer) implements it, and ShopRedactor for shop/redact.
//
// entity is EntityCustomer or EntityOrder; keys, never empty, are the
// keys the connector gives those entities: customer numbers (the numeric
// Shopify customer ID) and order numbers ("#1001"), or, for an order whose
// number could not be looked up, its shop key ("gid://shopify/Order/…").
// reason is the webhook topic.
type Redactor interface {
	Redact(ctx context.Context, entity kontor.Entity, keys []string, reason string) error
}

// ShopRedactor erases everything the integration stored of an entity. A
// Redactor that implements it can honour shop/redact, which Shopify sends
// 48 hours after a shop uninstalled the app, asking to erase everything
// stored about the shop's customers: the handler finds it by type
// assertion on the Redactor given to WithRedactor and calls RedactAll for
// EntityCustomer, EntityOrder and EntityReturn, in this order, with reason
// "shop/redact". *syncer.Syncer implements it.
//
// A Redactor without it cannot honour shop/redact: such a delivery is
// answered with 500, so Shopify retries, and the handler logs why.
type ShopRedactor interface {
	RedactAll(ctx context.Context, entity kontor.Entity, reason string) error
}

// shopRedactEntities are the entities shop/redact erases, in this order:
// those whose records name the shop's customers.
var shopRedactEntities = []kontor.Entity{kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityReturn}

// WebhookOption configures a WebhookHandler.
type WebhookOption func(*webhookConfig) error

type webhookConfig struct {
	redactor   Redactor
	receiver   []transport.WebhookOption
	eventIDs   int
	lookupTime time.Duration
}

// WithRedactor handles the compliance topics customers/redact and
// shop/redact by erasing through r; shop/redact needs r to be a
// ShopRedactor too. Without it, or without RedactAll for shop/redact,
// those deliveries are answered with 500, so Shopify retries until the
// integration can erase.
func WithRedactor(r Redactor) WebhookOption {
	return func(c *webhookConfig) error {
		if r == nil {
			return errors.New("shopify: nil redactor")
		}
		c.redactor = r
		return nil
	}
}

// WithReceiverOptions passes options to the transport.WebhookReceiver that
// verifies the deliveries (body limit, durable delivery store, logger,
// handler timeout, ...).
func WithReceiverOptions(opts ...transport.WebhookOption) WebhookOption {
	return func(c *webhookConfig) error { c.receiver = append(c.receiver, opts...); return nil }
}

// Topics are the webhook topics the handler routes to the engine, as
// WebhookSubscriptionTopic enum values for Subscribe.
var Topics = []string{
	"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "PRODUCTS_UPDATE", "INVENTORY_LEVELS_UPDATE",
	"REFUNDS_CREATE", "FULFILLMENTS_CREATE", "APP_UNINSTALLED", "BULK_OPERATIONS_FINISH",
}

// WebhookHandler is the http.Handler Shopify's webhooks are sent to. It
// verifies X-Shopify-Hmac-Sha256 over the raw body (a forged delivery gets
// 401), drops repeats by X-Shopify-Webhook-Id and X-Shopify-Event-Id and
// stale deliveries by X-Shopify-Triggered-At, and turns each delivery into
// a kontor.Event for the engine; the compliance topics go to a Redactor.
type WebhookHandler struct {
	c        *Client
	handle   kontor.EventHandler
	cfg      webhookConfig
	receiver *transport.WebhookReceiver
	events   *eventIDs
}

// WebhookHandler returns the handler for the app's webhooks. secrets are
// the app's client secrets (the old one too while a rotation is under
// way); handle receives the events, normally the engine's Notify.
func (c *Client) WebhookHandler(secrets transport.WebhookSecrets, handle kontor.EventHandler, opts ...WebhookOption) (*WebhookHandler, error) {
	if handle == nil {
		return nil, errors.New("shopify: nil event handler")
	}
	cfg := webhookConfig{eventIDs: 100_000, lookupTime: 2 * time.Second}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	h := &WebhookHandler{c: c, handle: handle, cfg: cfg, events: newEventIDs(cfg.eventIDs, 24*time.Hour)}
	if _, ok := cfg.redactor.(ShopRedactor); cfg.redactor != nil && !ok {
		c.log.LogAttrs(context.Background(), slog.LevelWarn, "shopify: the redactor has no RedactAll, shop/redact will be answered with 500 until it has",
			slog.String("redactor", fmt.Sprintf("%T", cfg.redactor)))
	}
	r, err := transport.NewWebhookReceiver(transport.ShopifyWebhooks, secrets, h.deliver, cfg.receiver...)
	if err != nil {
		return nil, err
	}
	h.receiver = r
	return h, nil
}

// ServeHTTP verifies and routes one delivery.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.receiver.ServeHTTP(w, r)
}

// deliver handles a verified, new delivery. An event ID already handed on
// (the same event sent to a second subscription) is acknowledged without
// handing it on again; a failure forgets it so Shopify's retry is taken.
func (h *WebhookHandler) deliver(ctx context.Context, we transport.WebhookEvent) error {
	id := we.EventID
	if id == "" {
		id = we.DeliveryID
	}
	if id != "" && !h.events.add(id, time.Now()) {
		return nil
	}
	err := h.route(ctx, we, id)
	if err != nil && id != "" {
		h.events.forget(id)
	}
	return err
}

// decode decodes a delivery's REST payload. A payload that does not decode
// is logged and handed on as a bare hint (entity, no key, no payload), so
// the engine reads the source again: refusing it would make Shopify retry
// it in vain and, after eight failures, delete the subscription.
func (h *WebhookHandler) decode(ctx context.Context, we transport.WebhookEvent, wrapper string, v any) bool {
	if err := decodeREST(we.Body, wrapper, v); err != nil {
		h.c.log.LogAttrs(ctx, slog.LevelWarn, "shopify: webhook payload not understood",
			slog.String("topic", we.Topic), slog.String("webhook_id", we.DeliveryID), slog.String("error", err.Error()))
		return false
	}
	return true
}

func (h *WebhookHandler) route(ctx context.Context, we transport.WebhookEvent, id string) error {
	ev := kontor.Event{ID: "shopify:" + id, Topic: we.Topic, At: we.Timestamp}
	switch we.Topic {
	case "orders/create", "orders/updated", "orders/cancelled":
		var o restOrder
		if !h.decode(ctx, we, "order", &o) {
			ev.Entity = kontor.EntityOrder
			break
		}
		order := o.order()
		ev.Entity, ev.Key = kontor.EntityOrder, order.Number
		ev.At = laterOf(ev.At, o.UpdatedAt)
		if order.Validate() == nil {
			ev.Payload, _ = json.Marshal(order)
		}
	case "products/update":
		var p restProduct
		if !h.decode(ctx, we, "product", &p) {
			ev.Entity = kontor.EntityProduct
			break
		}
		product := h.c.productFromREST(&p)
		ev.Entity, ev.Key = kontor.EntityProduct, product.SKU
		ev.At = laterOf(ev.At, p.UpdatedAt)
		if product.Validate() == nil {
			ev.Payload, _ = json.Marshal(product)
		}
	case "inventory_levels/update":
		var l restInventoryLevel
		if !h.decode(ctx, we, "inventory_level", &l) {
			ev.Entity = kontor.EntityStock
			break
		}
		ev.Entity = kontor.EntityStock
		ev.At = laterOf(ev.At, l.UpdatedAt)
		// The payload names the inventory item, not the SKU: the key is
		// known only for items this client has resolved before. No API
		// call is made here, the answer has to reach Shopify in 5 s.
		if sku, ok := h.c.skuOfItem(gid("InventoryItem", l.InventoryItemID)); ok {
			ev.Key = sku + "@" + h.c.warehouseOf(gid("Location", l.LocationID))
		}
	case "refunds/create":
		var rf restRefund
		if !h.decode(ctx, we, "refund", &rf) {
			ev.Entity = kontor.EntityReturn
			break
		}
		ev.Entity, ev.Key = kontor.EntityReturn, refundNumber(gid("Refund", rf.ID))
		ev.At = laterOf(ev.At, rf.CreatedAt)
	case "fulfillments/create":
		var f restFulfillment
		if !h.decode(ctx, we, "fulfillment", &f) {
			ev.Entity = kontor.EntityShipment
			break
		}
		ev.Entity, ev.Key = kontor.EntityShipment, f.Name
		ev.At = laterOf(ev.At, f.UpdatedAt)
	case "bulk_operations/finish":
		var b struct {
			ID     string `json:"admin_graphql_api_id"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(we.Body, &b); err == nil {
			ev.Key = b.ID
			h.c.bulkFinished(b.ID)
		}
	case "app/uninstalled":
		ev.Key = we.Headers.Get("X-Shopify-Shop-Domain")
	case "customers/data_request":
		// The merchant asks what is stored about a customer: the engine
		// answers from its store. The event carries the keys, no personal
		// data.
		var p compliancePayload
		if err := json.Unmarshal(we.Body, &p); err != nil {
			return fmt.Errorf("shopify webhook %s: %w", we.Topic, err)
		}
		ev.Entity, ev.Key = kontor.EntityCustomer, p.Customer.key()
	case "customers/redact":
		return h.redactCustomer(ctx, we)
	case "shop/redact":
		return h.redactShop(ctx, we)
	}
	return h.handle(ctx, ev)
}

// compliancePayload is the body of the compliance topics.
type compliancePayload struct {
	ShopDomain      string  `json:"shop_domain"`
	Customer        restRef `json:"customer"`
	OrdersToRedact  []int64 `json:"orders_to_redact"`
	OrdersRequested []int64 `json:"orders_requested"`
}

// restRef is a REST object named by its ID only; the compliance payloads
// carry the customer's e-mail and phone too, which are never decoded.
type restRef struct {
	ID int64 `json:"id"`
}

func (r restRef) key() string { return strconv.FormatInt(r.ID, 10) }

// redactCustomer erases a customer and the orders Shopify names. Order
// numbers are looked up briefly (the app may already have lost access);
// an order not found by number is named by its shop key.
func (h *WebhookHandler) redactCustomer(ctx context.Context, we transport.WebhookEvent) error {
	if h.cfg.redactor == nil {
		return errors.New("shopify webhook customers/redact: no redactor configured")
	}
	var p compliancePayload
	if err := json.Unmarshal(we.Body, &p); err != nil {
		return fmt.Errorf("shopify webhook %s: %w", we.Topic, err)
	}
	if p.Customer.ID != 0 {
		if err := h.cfg.redactor.Redact(ctx, kontor.EntityCustomer, []string{p.Customer.key()}, we.Topic); err != nil {
			return err
		}
	}
	if len(p.OrdersToRedact) == 0 {
		return nil
	}
	gids := make([]string, len(p.OrdersToRedact))
	for i, id := range p.OrdersToRedact {
		gids[i] = gid("Order", id)
	}
	lctx, cancel := context.WithTimeout(ctx, h.cfg.lookupTime)
	names := h.c.orderNames(lctx, gids)
	cancel()
	keys := make([]string, len(gids))
	for i, g := range gids {
		keys[i] = g
		if n, ok := names[g]; ok {
			keys[i] = n
		}
	}
	return h.cfg.redactor.Redact(ctx, kontor.EntityOrder, keys, we.Topic)
}

// redactShop erases everything stored about the shop's customers: all of
// each of shopRedactEntities. It stops at the first failure, so Shopify
// retries the whole delivery; RedactAll is idempotent.
func (h *WebhookHandler) redactShop(ctx context.Context, we transport.WebhookEvent) error {
	if h.cfg.redactor == nil {
		return errors.New("shopify webhook shop/redact: no redactor configured")
	}
	sr, ok := h.cfg.redactor.(ShopRedactor)
	if !ok {
		err := fmt.Errorf("shopify webhook shop/redact: the redactor (%T) has no RedactAll; it must implement shopify.ShopRedactor to erase all of the shop's customers", h.cfg.redactor)
		h.c.log.LogAttrs(ctx, slog.LevelError, "shopify: shop/redact not honoured, Shopify will retry",
			slog.String("webhook_id", we.DeliveryID), slog.String("error", err.Error()))
		return err
	}
	for _, e := range shopRedactEntities {
		if err := sr.RedactAll(ctx, e, we.Topic); err != nil {
			return fmt.Errorf("shopify webhook shop/redact: %s: %w", e, err)
		}
	}
	return nil
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// eventIDs remembers the X-Shopify-Event-Id values handed on, bounded in
// number and age, so one event sent to two subscriptions reaches the
// engine once.
type eventIDs struct {
	max int
	ttl time.Duration

	mu    sync.Mutex
	order *list.List
	byID  map[string]*list.Element
}

type eventID struct {
	id string
	at time.Time
}

func newEventIDs(max int, ttl time.Duration) *eventIDs {
	return &eventIDs{max: max, ttl: ttl, order: list.New(), byID: make(map[string]*list.Element)}
}

// add records id and reports whether it is new.
func (s *eventIDs) add(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.order.Front(); e != nil && now.Sub(e.Value.(eventID).at) > s.ttl; e = s.order.Front() {
		s.remove(e)
	}
	if _, ok := s.byID[id]; ok {
		return false
	}
	for s.order.Len() >= s.max {
		s.remove(s.order.Front())
	}
	s.byID[id] = s.order.PushBack(eventID{id, now})
	return true
}

func (s *eventIDs) forget(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		s.remove(e)
	}
}

func (s *eventIDs) remove(e *list.Element) {
	delete(s.byID, e.Value.(eventID).id)
	s.order.Remove(e)
}

// subscriptionCreate is the webhookSubscriptionCreate mutation.
type subscriptionCreate struct {
	WebhookSubscriptionCreate struct {
		WebhookSubscription struct {
			ID string
		}
		UserErrors []userError
	} `graphql:"webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription)"`
}

// webhookTopic is the WebhookSubscriptionTopic enum, e.g. ORDERS_CREATE.
type webhookTopic string

func (webhookTopic) GetGraphQLType() string { return "WebhookSubscriptionTopic" }

// webhookSubscriptionInput is where and how a subscription delivers.
type webhookSubscriptionInput struct {
	URI    string `json:"uri"`
	Format string `json:"format,omitempty"`
	// MetafieldNamespaces adds the product metafields of these namespaces
	// to products/update payloads.
	MetafieldNamespaces []string `json:"metafieldNamespaces,omitempty"`
}

func (webhookSubscriptionInput) GetGraphQLType() string { return "WebhookSubscriptionInput" }

// Subscribe creates a webhook subscription for each topic (enum values of
// WebhookSubscriptionTopic such as "ORDERS_CREATE"; Topics lists those the handler routes)
// delivering to uri, an https URL. It returns the subscriptions' IDs.
// Compliance topics are not subscribed through the API but configured
// with the app.
func (c *Client) Subscribe(ctx context.Context, uri string, topics ...string) ([]string, error) {
	ids := make([]string, 0, len(topics))
	for _, t := range topics {
		var m subscriptionCreate
		in := webhookSubscriptionInput{URI: uri, Format: "JSON"}
		if t == "PRODUCTS_UPDATE" {
			in.MetafieldNamespaces = []string{c.cfg.namespace}
		}
		vars := map[string]any{"topic": webhookTopic(t), "webhookSubscription": in}
		if err := c.mutate(ctx, "WebhookSubscriptionCreate", &m, vars, false); err != nil {
			return ids, err
		}
		if err := plainUserErr("webhook", t, m.WebhookSubscriptionCreate.UserErrors); err != nil {
			return ids, err
		}
		ids = append(ids, m.WebhookSubscriptionCreate.WebhookSubscription.ID)
	}
	return ids, nil
}
