package shopify

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
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
	case "customers/redact", "shop/redact":
		if d := h.otherShop(we); d != "" {
			// The app's compliance URL is shared by every shop it is
			// installed in: this shop's engine holds nothing of another
			// shop's customers, and must not erase its own for them.
			h.c.log.LogAttrs(ctx, slog.LevelWarn, "shopify: compliance webhook for another shop, nothing erased",
				slog.String("topic", we.Topic), slog.String("webhook_id", we.DeliveryID), slog.String("shop_domain", d))
			return nil
		}
		if we.Topic == "shop/redact" {
			return h.redactShop(ctx, we)
		}
		return h.redactCustomer(ctx, we)
	}
	return h.handle(ctx, ev)
}

// otherShop returns the shop domain a delivery names when it is not this
// client's shop, else "". The domain is the X-Shopify-Shop-Domain header,
// or the payload's shop_domain.
func (h *WebhookHandler) otherShop(we transport.WebhookEvent) string {
	d := we.Headers.Get("X-Shopify-Shop-Domain")
	if d == "" {
		var p compliancePayload
		if json.Unmarshal(we.Body, &p) == nil {
			d = p.ShopDomain
		}
	}
	d = strings.ToLower(strings.TrimSpace(d))
	if d == "" || d == h.c.shop {
		return ""
	}
	return d
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

// Subscription is one of the app's webhook subscriptions in the shop, as
// the webhookSubscriptions query gives it.
type Subscription struct {
	// ID is the subscription's GID, gid://shopify/WebhookSubscription/….
	ID string
	// Topic is the WebhookSubscriptionTopic enum value, e.g. ORDERS_CREATE.
	Topic string
	// URI is where it delivers: an https URL (or a Pub/Sub or EventBridge
	// address, for subscriptions made elsewhere).
	URI string
	// Format is JSON or XML.
	Format string
	// Filter is the subscription's search-syntax filter, empty for none.
	Filter string
	// MetafieldNamespaces are the namespaces whose metafields the payloads
	// carry.
	MetafieldNamespaces []string
	// CreatedAt and UpdatedAt are when it was created and last changed.
	CreatedAt, UpdatedAt time.Time
}

// subscriptionsQuery is one page of webhookSubscriptions, filtered by
// delivery address with the uri argument (the older callbackUrl argument
// is deprecated).
type subscriptionsQuery struct {
	WebhookSubscriptions struct {
		Nodes []struct {
			ID                  string
			Topic               string
			URI                 string `graphql:"uri"`
			Format              string
			Filter              *string
			MetafieldNamespaces []string
			CreatedAt           time.Time
			UpdatedAt           time.Time
		}
		PageInfo pageInfo
	} `graphql:"webhookSubscriptions(first: $first, after: $after, uri: $uri)"`
}

// Subscriptions lists the app's webhook subscriptions that deliver to uri,
// all of them when uri is empty, oldest first, reading every page. Only
// subscriptions made through the API are listed: those declared in the
// app's TOML are not, nor the compliance topics.
func (c *Client) Subscriptions(ctx context.Context, uri string) ([]Subscription, error) {
	var filter *string
	if uri != "" {
		filter = &uri
	}
	var after *string
	var out []Subscription
	for {
		var q subscriptionsQuery
		vars := map[string]any{"first": c.cfg.pageSize, "after": after, "uri": filter}
		if err := c.query(ctx, "WebhookSubscriptions", &q, vars); err != nil {
			return nil, fmt.Errorf("shopify: listing webhook subscriptions: %w", err)
		}
		for _, n := range q.WebhookSubscriptions.Nodes {
			out = append(out, Subscription{ID: n.ID, Topic: n.Topic, URI: n.URI, Format: n.Format, Filter: deref(n.Filter),
				MetafieldNamespaces: n.MetafieldNamespaces, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt})
		}
		pi := q.WebhookSubscriptions.PageInfo
		if !pi.HasNextPage || pi.EndCursor == nil {
			return out, nil
		}
		after = pi.EndCursor
	}
}

// topicEnum turns a webhook topic as REST and the X-Shopify-Topic header
// name it ("orders/create", "inventory_levels/update") into the
// WebhookSubscriptionTopic enum value ("ORDERS_CREATE",
// "INVENTORY_LEVELS_UPDATE"); an enum value is returned as it is. It
// reports false for a string that is neither.
func topicEnum(topic string) (string, bool) {
	t := strings.ToUpper(strings.TrimSpace(topic))
	t = strings.NewReplacer("/", "_", ".", "_").Replace(t)
	if t == "" || t[0] == '_' || t[len(t)-1] == '_' {
		return "", false
	}
	for _, r := range t {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return "", false
		}
	}
	return t, true
}

// Subscribe makes sure the shop delivers each topic to uri, an https URL,
// and returns the subscriptions' IDs, one per distinct topic in the order
// given. Topics are WebhookSubscriptionTopic enum values ("ORDERS_CREATE";
// Topics lists those the handler routes) or REST topic names
// ("orders/create"), which it converts.
//
// It is idempotent: it lists the subscriptions to uri first (see
// Subscriptions) and creates only the topics missing there, since Shopify
// refuses a second subscription of a topic to one address ("Address for
// this topic has already been taken"); a subscription that exists is kept
// as it is, whatever its format or metafield namespaces. A created
// PRODUCTS_UPDATE subscription carries the identity metafield's namespace.
// When a creation fails, or its answer is lost, Subscribe looks once more
// whether the topic is subscribed now (by the lost request, or by another
// instance at the same time) and takes that subscription; otherwise it
// returns the error with the IDs of the topics before. Calling it again
// then creates the rest. Compliance topics are not subscribed through the
// API but configured with the app.
func (c *Client) Subscribe(ctx context.Context, uri string, topics ...string) ([]string, error) {
	if uri == "" {
		return nil, &kontor.ValidationError{Entity: "webhook", Field: "uri", Reason: "no address to deliver to"}
	}
	want := make([]string, 0, len(topics))
	for _, t := range topics {
		e, ok := topicEnum(t)
		if !ok {
			return nil, &kontor.ValidationError{Entity: "webhook", Key: t, Field: "topic", Reason: "not a webhook topic"}
		}
		if !slices.Contains(want, e) {
			want = append(want, e)
		}
	}
	if len(want) == 0 {
		return []string{}, nil
	}
	have, err := c.Subscriptions(ctx, uri)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(want))
	for _, t := range want {
		if id := subscriptionOf(have, t); id != "" {
			ids = append(ids, id)
			continue
		}
		id, err := c.createSubscription(ctx, uri, t)
		if err != nil {
			now, lerr := c.Subscriptions(ctx, uri)
			if id = subscriptionOf(now, t); lerr != nil || id == "" {
				return ids, err
			}
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// subscriptionOf returns the ID of the first subscription of topic in
// subs, "" when there is none.
func subscriptionOf(subs []Subscription, topic string) string {
	for _, s := range subs {
		if s.Topic == topic {
			return s.ID
		}
	}
	return ""
}

// createSubscription subscribes uri to one topic, in JSON.
func (c *Client) createSubscription(ctx context.Context, uri, topic string) (string, error) {
	var m subscriptionCreate
	in := webhookSubscriptionInput{URI: uri, Format: "JSON"}
	if topic == "PRODUCTS_UPDATE" {
		in.MetafieldNamespaces = []string{c.cfg.namespace}
	}
	vars := map[string]any{"topic": webhookTopic(topic), "webhookSubscription": in}
	if err := c.mutate(ctx, "WebhookSubscriptionCreate", &m, vars, false); err != nil {
		return "", err
	}
	if err := plainUserErr("webhook", topic, m.WebhookSubscriptionCreate.UserErrors); err != nil {
		return "", err
	}
	return m.WebhookSubscriptionCreate.WebhookSubscription.ID, nil
}
