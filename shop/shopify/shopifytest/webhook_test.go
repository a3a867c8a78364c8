package shopifytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/transport"
)

// inbox is a webhook endpoint behind transport's Shopify receiver.
type inbox struct {
	*httptest.Server
	mu     sync.Mutex
	events []transport.WebhookEvent
}

func newInbox(t *testing.T, secret string) *inbox {
	t.Helper()
	in := &inbox{}
	recv, err := transport.NewWebhookReceiver(transport.ShopifyWebhooks, transport.StaticWebhookSecrets([]byte(secret)),
		func(_ context.Context, ev transport.WebhookEvent) error {
			in.mu.Lock()
			defer in.mu.Unlock()
			in.events = append(in.events, ev)
			return nil
		})
	require.NoError(t, err)
	in.Server = httptest.NewServer(recv)
	t.Cleanup(in.Close)
	return in
}

func (in *inbox) topics() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []string
	for _, e := range in.events {
		out = append(out, e.Topic)
	}
	return out
}

func (in *inbox) event(topic string) (transport.WebhookEvent, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, e := range in.events {
		if e.Topic == topic {
			return e, true
		}
	}
	return transport.WebhookEvent{}, false
}

func subscribe(t *testing.T, s *shopifytest.Server, topic, uri string) {
	t.Helper()
	r := gql(t, s, `mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
	  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id topic uri } userErrors { field message } } }`,
		map[string]any{"topic": topic, "sub": map[string]any{"uri": uri, "format": "JSON"}})
	require.Empty(t, at(r.Data, "webhookSubscriptionCreate", "userErrors"), string(r.Raw))
}

func TestWebhooksAreSignedAndVerify(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	in := newInbox(t, s.WebhookSecret())
	for _, topic := range []string{"ORDERS_CREATE", "ORDERS_PAID", "INVENTORY_LEVELS_UPDATE", "FULFILLMENTS_CREATE", "ORDERS_UPDATED"} {
		subscribe(t, s, topic, in.URL)
	}
	r := post(t, s, "", s.Token(), `mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "http://example.com/hooks"}) { userErrors { message } } }`, nil)
	assert.Equal(t, "Address protocol http:// is not supported", at(r.Data, "webhookSubscriptionCreate", "userErrors", 0, "message"))

	o, err := s.PlaceOrder(t.Context(), shopifytest.OrderInput{
		Customer: &shopifytest.Customer{FirstName: "Cy", Email: "cy@example.com"},
		Lines:    []shopifytest.LineInput{{SKU: "SKU-000-S", Quantity: 1}},
	})
	require.NoError(t, err)
	// PlaceOrder returns after its deliveries: orders/create, orders/paid
	// and the inventory level, all verified by the receiver.
	assert.Equal(t, []string{"orders/create", "orders/paid", "inventory_levels/update"}, in.topics())
	ev, _ := in.event("orders/create")
	assert.Equal(t, s.ShopDomain(), ev.Headers.Get("X-Shopify-Shop-Domain"))
	assert.Equal(t, s.Versions()[len(s.Versions())-1], ev.Headers.Get("X-Shopify-API-Version"))
	assert.NotEmpty(t, ev.EventID)
	assert.WithinDuration(t, time.Now(), ev.Timestamp, time.Minute)
	var body struct {
		ID                int64  `json:"id"`
		AdminGraphqlAPIID string `json:"admin_graphql_api_id"`
		Name              string `json:"name"`
		FinancialStatus   string `json:"financial_status"`
		LineItems         []struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
			Price    string `json:"price"`
		} `json:"line_items"`
		Customer struct {
			Email string `json:"email"`
		} `json:"customer"`
	}
	require.NoError(t, json.Unmarshal(ev.Body, &body))
	assert.Equal(t, o.ID, body.AdminGraphqlAPIID)
	assert.Equal(t, o.ID, "gid://shopify/Order/"+strconv.FormatInt(body.ID, 10), "the REST id is the GID's number, above 2^53")
	assert.Greater(t, body.ID, int64(1)<<53)
	assert.Equal(t, "paid", body.FinancialStatus)
	assert.Equal(t, "19.90", body.LineItems[0].Price)
	assert.Equal(t, "cy@example.com", body.Customer.Email)
	lv, _ := in.event("inventory_levels/update")
	var level map[string]any
	d := json.NewDecoder(bytes.NewReader(lv.Body))
	d.UseNumber()
	require.NoError(t, d.Decode(&level))
	assert.Equal(t, json.Number("9"), level["available"])

	// A redelivery reaches the receiver, which recognises the webhook ID.
	deliveries := s.Deliveries()
	require.Len(t, deliveries, 3)
	again, err := s.Redeliver(t.Context(), deliveries[0].ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, again.Status)
	assert.Equal(t, 2, again.Attempts)
	assert.Len(t, in.topics(), 3, "the duplicate was not handed on")

	// A forgery is refused.
	status, err := s.SendForged(t.Context(), in.URL, "orders/create", deliveries[0].Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Len(t, in.topics(), 3)

	// A mutation's webhooks go out in the background.
	r = gql(t, s, `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id } } } }`, map[string]any{"id": o.ID})
	foID := at(r.Data, "order", "fulfillmentOrders", "nodes", 0, "id")
	gql(t, s, `mutation($fo: ID!) { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [{fulfillmentOrderId: $fo}], trackingInfo: {company: "DHL", number: "42"}}) { userErrors { message } } }`,
		map[string]any{"fo": foID})
	require.NoError(t, s.WaitForWebhooks(t.Context()))
	assert.Equal(t, []string{"orders/create", "orders/paid", "inventory_levels/update", "fulfillments/create", "orders/updated"}, in.topics())
	created, _ := in.event("fulfillments/create")
	updated, _ := in.event("orders/updated")
	assert.NotEqual(t, created.EventID, updated.EventID)
	assert.NotEqual(t, created.DeliveryID, updated.DeliveryID)
}

func TestMutationWebhooksAndRetries(t *testing.T) {
	s := shopifytest.New(shopifytest.WithWebhookRetries(2, time.Millisecond))
	defer s.Close()
	loc := seedCatalog(t, s, 1)
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer flaky.Close()
	_, err := s.Subscribe("inventory_levels/update", flaky.URL)
	require.NoError(t, err)
	v, _ := s.Variant("SKU-000-M")
	gql(t, s, setQuantities, map[string]any{"input": setInput(v.InventoryItemID, loc.ID, 3, nil), "key": "w-1"})
	require.NoError(t, s.WaitForWebhooks(t.Context()))
	ds := s.Deliveries()
	require.Len(t, ds, 1)
	assert.True(t, ds[0].Delivered)
	assert.Equal(t, 2, ds[0].Attempts)
	assert.Equal(t, int32(2), calls.Load())
	st := s.Stats()
	assert.Equal(t, int64(1), st.WebhooksSent)
	assert.Equal(t, int64(1), st.WebhooksFailed)
}

func TestDrivingWebhooks(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	in := newInbox(t, s.WebhookSecret())
	for _, topic := range []string{"orders/cancelled", "fulfillments/create", "refunds/create", "returns/request", "products/update", "app/uninstalled", "bulk_operations/finish"} {
		_, err := s.Subscribe(topic, in.URL)
		require.NoError(t, err)
	}
	s.SetComplianceURL(in.URL)
	ctx := t.Context()
	o, err := s.PlaceOrder(ctx, shopifytest.OrderInput{Customer: &shopifytest.Customer{Email: "dee@example.com"}, Lines: []shopifytest.LineInput{{SKU: "SKU-000-S", Quantity: 2}}})
	require.NoError(t, err)
	_, err = s.FulfillOrder(ctx, o.Name, shopifytest.FulfillInput{Tracking: []shopifytest.Tracking{{Company: "DHL", Number: "123", URL: "https://dhl.de/t/123"}}, NotifyCustomer: true})
	require.NoError(t, err)
	_, err = s.RequestReturn(ctx, o.Name, []shopifytest.ReturnLine{{SKU: "SKU-000-S", Quantity: 1}})
	require.NoError(t, err)
	_, err = s.RefundOrder(ctx, o.Name, shopifytest.RefundInput{Lines: []shopifytest.RefundLine{{SKU: "SKU-000-S", Quantity: 1}}})
	require.NoError(t, err)
	o2, err := s.PlaceOrder(ctx, shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SKU-000-M", Quantity: 1}}})
	require.NoError(t, err)
	_, err = s.CancelOrder(ctx, o2.Name, "inventory", true)
	require.NoError(t, err)
	_, err = s.EditProduct(ctx, "SKU-000-S", func(p *shopifytest.Product) { p.Title = "Shirt renamed" })
	require.NoError(t, err)
	_, err = s.EditProduct(ctx, "SKU-000-S", func(p *shopifytest.Product) {}) // no change, no webhook
	require.NoError(t, err)
	c, _ := s.Customer("dee@example.com")
	require.NoError(t, s.RequestCustomerData(ctx, c.ID))
	require.NoError(t, s.RedactCustomer(ctx, c.ID))
	require.NoError(t, s.RedactShop(ctx))
	require.NoError(t, s.Uninstall(ctx))
	assert.Equal(t, []string{"fulfillments/create", "returns/request", "refunds/create", "refunds/create", "orders/cancelled", "products/update",
		"customers/data_request", "customers/redact", "shop/redact", "app/uninstalled"}, in.topics())
	ev, _ := in.event("fulfillments/create")
	var f map[string]any
	require.NoError(t, json.Unmarshal(ev.Body, &f))
	assert.Equal(t, "DHL", f["tracking_company"])
	assert.Equal(t, []any{"https://dhl.de/t/123"}, f["tracking_urls"])
	assert.Equal(t, true, f["notify_customer"])
	red, _ := in.event("customers/redact")
	var rb map[string]any
	require.NoError(t, json.Unmarshal(red.Body, &rb))
	assert.Equal(t, s.ShopDomain(), rb["shop_domain"])
	assert.Equal(t, "dee@example.com", at(rb, "customer", "email"))
	assert.Len(t, rb["orders_to_redact"], 1)
	assert.Equal(t, http.StatusUnauthorized, post(t, s, "", DefaultTokenOf(s), `{ shop { name } }`, nil).Status, "uninstalled")
}

// DefaultTokenOf is the token the server had before Uninstall revoked it.
func DefaultTokenOf(*shopifytest.Server) string { return shopifytest.DefaultToken }

const createSubscription = `mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id topic uri } userErrors { field message } } }`

// Shopify refuses a second subscription of a topic to one address, with
// the user error Shopify gives (field webhookSubscription.callbackUrl,
// whether the address came as uri or as callbackUrl), and keeps the first.
func TestWebhookSubscriptionTwiceIsRefused(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	in := newInbox(t, s.WebhookSecret())
	first := gql(t, s, createSubscription, map[string]any{"topic": "ORDERS_CREATE", "sub": map[string]any{"uri": in.URL, "format": "JSON"}})
	require.Empty(t, at(first.Data, "webhookSubscriptionCreate", "userErrors"), string(first.Raw))
	id := at(first.Data, "webhookSubscriptionCreate", "webhookSubscription", "id")

	for _, sub := range []map[string]any{{"uri": in.URL, "format": "JSON"}, {"callbackUrl": in.URL}} {
		r := gql(t, s, createSubscription, map[string]any{"topic": "ORDERS_CREATE", "sub": sub})
		assert.Nil(t, at(r.Data, "webhookSubscriptionCreate", "webhookSubscription"), string(r.Raw))
		assert.Equal(t, []any{map[string]any{"field": []any{"webhookSubscription", "callbackUrl"},
			"message": "Address for this topic has already been taken"}}, at(r.Data, "webhookSubscriptionCreate", "userErrors"))
	}
	_, err := s.Subscribe("orders/create", in.URL)
	require.EqualError(t, err, "Address for this topic has already been taken", "the seeding call refuses it too")

	// Another topic to the address, and the topic to another address, are
	// new subscriptions.
	other := gql(t, s, createSubscription, map[string]any{"topic": "ORDERS_UPDATED", "sub": map[string]any{"uri": in.URL}})
	require.Empty(t, at(other.Data, "webhookSubscriptionCreate", "userErrors"), string(other.Raw))
	_, err = s.Subscribe("ORDERS_CREATE", "https://other.example.com/hooks")
	require.NoError(t, err)
	require.Len(t, s.WebhookSubscriptions(), 3)

	// Moving the other address's subscription onto the taken one is refused
	// the same way, and leaves it where it was.
	var moved string
	for _, ws := range s.WebhookSubscriptions() {
		if ws.URI == "https://other.example.com/hooks" {
			moved = ws.ID
		}
	}
	r := gql(t, s, `mutation($id: ID!, $sub: WebhookSubscriptionInput!) {
	  webhookSubscriptionUpdate(id: $id, webhookSubscription: $sub) { webhookSubscription { id } userErrors { field message } } }`,
		map[string]any{"id": moved, "sub": map[string]any{"uri": in.URL}})
	assert.Equal(t, "Address for this topic has already been taken", at(r.Data, "webhookSubscriptionUpdate", "userErrors", 0, "message"), string(r.Raw))
	list := gql(t, s, `query($uri: String) { webhookSubscriptions(first: 10, uri: $uri) { nodes { id topic } } }`, map[string]any{"uri": in.URL})
	assert.Equal(t, []any{map[string]any{"id": id, "topic": "ORDERS_CREATE"}, map[string]any{"id": at(other.Data, "webhookSubscriptionCreate", "webhookSubscription", "id"), "topic": "ORDERS_UPDATED"}},
		at(list.Data, "webhookSubscriptions", "nodes"))

	// One subscription, one delivery per order.
	_, err = s.PlaceOrder(t.Context(), shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SKU-000-S", Quantity: 1}}})
	require.NoError(t, err)
	require.NoError(t, s.WaitForWebhooks(t.Context()))
	assert.Equal(t, []string{"orders/create"}, in.topics())
}
