package businesscentral_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

// The extension's pages, as the fake serves them.
var (
	stockPage    = bc.StockPage{Route: "kontor/shop/v1.0", EntitySet: "stockLevels", VariantCodeField: "variantCode"}
	trackingPage = bc.TrackingPage{Route: "kontor/shop/v1.0", EntitySet: "shipmentTrackings"}
)

// resources returns the subscribed resources of the fake, without the
// company: "v2.0/items", "kontor/shop/v1.0/stockLevels".
func resources(srv *bctest.Server) []string {
	var out []string
	for _, s := range srv.Subscriptions() {
		r := strings.TrimPrefix(s.Resource, "/api/")
		before, _, _ := strings.Cut(r, "/companies(")
		out = append(out, before+"/"+r[strings.LastIndexByte(r, '/')+1:])
	}
	return out
}

// only keeps the events of one entity.
func only(evs []kontor.Event, e kontor.Entity) []kontor.Event {
	var out []kontor.Event
	for _, ev := range evs {
		if ev.Entity == e {
			out = append(out, ev)
		}
	}
	return out
}

func TestWebhooksCustomPagesAgainstTheFake(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	srv := newFake(t, bctest.WithExtensionAPI(), bctest.WithClock(clk.now), bctest.WithCollectionThreshold(3))
	c := connect(t, srv, bc.WithClock(clk.now), bc.WithStockPage(stockPage), bc.WithTrackingPage(trackingPage))
	assert.True(t, c.Capabilities().HasEvents(kontor.EntityStock), "the stock page announces stock")
	putOrderItems(t, srv, 1)
	in := &inbox{}
	endpoint := &swappable{}
	hs := httptest.NewServer(endpoint)
	defer hs.Close()
	w, err := c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL + "/bc", ClientState: "canary-client-state-2",
		Resources: []string{"items", "salesOrders", "kontor/shop/v1.0/stockLevels", "kontor/shop/v1.0/shipmentTrackings"}})
	require.NoError(t, err)
	endpoint.set(w.Handler(in.handle))

	// The standard sets and the pages, each at its API's endpoint.
	rep, err := w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, 4)
	assert.ElementsMatch(t, []string{"v2.0/items", "v2.0/salesOrders",
		"kontor/shop/v1.0/stockLevels", "kontor/shop/v1.0/shipmentTrackings"}, resources(srv))
	subs, err := w.Subscriptions(t.Context())
	require.NoError(t, err)
	assert.Len(t, subs, 4, "listed from both subscriptions endpoints")
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Empty(t, rep.Created, "found again at the extension's endpoint, not made twice")
	assert.Len(t, rep.Kept, 4)
	in.take()

	// A stock change reaches the engine as a stock event: a bare hint,
	// since the notification names the stock level by its GUID, not by a
	// SKU; a second change of the same level is another event.
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000000", VariantCode: "S", LocationCode: "MAIN",
		Quantity: decimal.NewFromInt(5)}))
	srv.FlushNotifications(t.Context())
	evs := in.take()
	require.Len(t, evs, 1, "the items subscriber hears nothing of stock")
	assert.Equal(t, kontor.EntityStock, evs[0].Entity)
	assert.Equal(t, kontor.Event{ID: evs[0].ID, Topic: "stockLevels/created", Entity: kontor.EntityStock, At: evs[0].At}, evs[0])
	assert.False(t, evs[0].At.IsZero())
	first := evs[0].ID
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000000", VariantCode: "S", LocationCode: "MAIN",
		Quantity: decimal.NewFromInt(3)}))
	srv.FlushNotifications(t.Context())
	evs = in.take()
	require.Len(t, evs, 1)
	assert.Equal(t, kontor.Event{ID: evs[0].ID, Topic: "stockLevels/updated", Entity: kontor.EntityStock, At: evs[0].At}, evs[0])
	assert.NotEqual(t, first, evs[0].ID, "a new change, not a repeat the engine would drop")

	// Many stock changes at once: one collection notification, the same
	// kind of hint.
	for _, loc := range []string{"EAST", "WEST", "NORTH", "SOUTH"} {
		require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000000", LocationCode: loc, Quantity: decimal.NewFromInt(1)}))
	}
	srv.FlushNotifications(t.Context())
	evs = in.take()
	require.Len(t, evs, 1)
	assert.Equal(t, kontor.Event{ID: evs[0].ID, Topic: "stockLevels/collection", Entity: kontor.EntityStock, At: evs[0].At}, evs[0])

	// A posted shipment: a shipment event from the tracking page (besides
	// the order's events and the stock it takes out), a bare hint like
	// the others; the read it makes carries the tracking row's carrier.
	placeOrders(t, srv, []kontor.Order{kontortest.SampleOrder(0)})
	srv.FlushNotifications(t.Context())
	in.take()
	ship, err := srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: kontortest.SampleOrder(0).Number,
		PackageTrackingNumber: "00340434000000000001", ShippingAgentCode: "DHL"})
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	evs = in.take()
	var tracking []kontor.Event
	for _, ev := range only(evs, kontor.EntityShipment) {
		if strings.HasPrefix(ev.Topic, "shipmentTrackings/") {
			tracking = append(tracking, ev)
		}
	}
	require.Len(t, tracking, 1)
	assert.Equal(t, kontor.Event{ID: tracking[0].ID, Topic: "shipmentTrackings/created", Entity: kontor.EntityShipment,
		At: tracking[0].At}, tracking[0])
	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 1)
	assert.Equal(t, ship.Number, ships[0].Number)
	assert.Equal(t, "DHL", ships[0].Carrier, "the shipping agent code of the tracking page")
	assert.Equal(t, []kontor.Tracking{{Number: "00340434000000000001"}}, ships[0].Tracking)
	assert.NotEmpty(t, only(evs, kontor.EntityStock), "the shipment took the items out of stock")
	assert.NotEmpty(t, only(evs, kontor.EntityOrder), "and changed the order")

	// Near the expiry, the custom pages are renewed with the others.
	clk.add(60 * time.Hour)
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Renewed, 4)
	for _, s := range srv.Subscriptions() {
		assert.True(t, s.ExpirationDateTime.After(clk.now().Add(71*time.Hour)), "%s renewed for three days", s.Resource)
	}

	// A failed delivery of a stock notification makes Business Central
	// delete that subscription; Maintain makes it anew at the extension.
	endpoint.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000000", LocationCode: "MAIN", Quantity: decimal.NewFromInt(9)}))
	srv.FlushNotifications(t.Context())
	assert.NotContains(t, resources(srv), "kontor/shop/v1.0/stockLevels")
	assert.Len(t, srv.Subscriptions(), 3)
	endpoint.set(w.Handler(in.handle))
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	require.Len(t, rep.Created, 1)
	assert.Contains(t, rep.Created[0].Resource, "/api/kontor/shop/v1.0/companies(")
	assert.True(t, strings.HasSuffix(rep.Created[0].Resource, "/stockLevels"))
	assert.Len(t, rep.Kept, 3)

	// A duplicate (another instance subscribed too) is deleted at the
	// extension's endpoint; the one that lives longest is kept.
	clk.add(time.Hour)
	dup, err := w.Subscribe(t.Context(), "kontor/shop/v1.0/shipmentTrackings")
	require.NoError(t, err)
	require.Len(t, srv.Subscriptions(), 5)
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	require.Len(t, rep.Deleted, 1)
	assert.NotEqual(t, dup.ID, rep.Deleted[0].ID)
	assert.True(t, strings.HasSuffix(rep.Deleted[0].Resource, "/shipmentTrackings"))
	assert.Len(t, srv.Subscriptions(), 4)

	// Expired ones (Maintain not run for days) are made anew, pages too.
	clk.add(100 * time.Hour)
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, 4)
	assert.Contains(t, resources(srv), "kontor/shop/v1.0/shipmentTrackings")
	assert.Len(t, srv.Subscriptions(), 4)
}

// The defaults and the configured pages are all subscribed.
func TestWebhooksDefaultResourcesIncludeThePages(t *testing.T) {
	srv := newFake(t, bctest.WithExtensionAPI())
	c := connect(t, srv, bc.WithStockPage(stockPage), bc.WithTrackingPage(trackingPage))
	endpoint := &swappable{}
	hs := httptest.NewServer(endpoint)
	defer hs.Close()
	w, err := c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL, ClientState: "state"})
	require.NoError(t, err)
	endpoint.set(w.Handler((&inbox{}).handle))
	rep, err := w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, 7)
	assert.ElementsMatch(t, []string{"v2.0/items", "v2.0/customers", "v2.0/salesOrders", "v2.0/salesInvoices", "v2.0/salesCreditMemos",
		"kontor/shop/v1.0/stockLevels", "kontor/shop/v1.0/shipmentTrackings"}, resources(srv))
}

func TestWebhooksWithoutPagesLeaveStockPolled(t *testing.T) {
	srv := newFake(t, bctest.WithExtensionAPI())
	c := connect(t, srv)
	assert.False(t, c.Capabilities().HasEvents(kontor.EntityStock))
	putItem(t, srv, 0)
	in := &inbox{}
	endpoint := &swappable{}
	hs := httptest.NewServer(endpoint)
	defer hs.Close()
	w, err := c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL, ClientState: "state"})
	require.NoError(t, err)
	endpoint.set(w.Handler(in.handle))
	rep, err := w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, len(bc.DefaultWebhookResources))
	assert.ElementsMatch(t, []string{"v2.0/items", "v2.0/customers", "v2.0/salesOrders", "v2.0/salesInvoices", "v2.0/salesCreditMemos"}, resources(srv))
	in.take()
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000000", Quantity: decimal.NewFromInt(4)}))
	srv.FlushNotifications(t.Context())
	assert.Empty(t, in.take())
	assert.Zero(t, srv.NotificationsSent(), "no items notification for a stock change either")

	// A custom page that is not configured is refused: its notifications
	// would concern nothing.
	_, err = c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL, ClientState: "state",
		Resources: []string{"items", "kontor/shop/v1.0/stockLevels"}})
	require.Error(t, err)
	assert.ErrorContains(t, err, "kontor/shop/v1.0/stockLevels")
	_, err = w.Subscribe(t.Context(), "kontor/shop/v1.0/stockLevels")
	require.Error(t, err)
	assert.Len(t, srv.Subscriptions(), 5)
}

func TestWebhooksListedResourcesWithAPage(t *testing.T) {
	srv := newFake(t, bctest.WithExtensionAPI())
	c := connect(t, srv, bc.WithStockPage(stockPage), bc.WithTrackingPage(trackingPage))
	endpoint := &swappable{}
	hs := httptest.NewServer(endpoint)
	defer hs.Close()
	w, err := c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL, ClientState: "state",
		Resources: []string{"items", "/kontor/shop/v1.0/stockLevels/"}})
	require.NoError(t, err)
	endpoint.set(w.Handler((&inbox{}).handle))
	rep, err := w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, 2)
	assert.ElementsMatch(t, []string{"v2.0/items", "kontor/shop/v1.0/stockLevels"}, resources(srv), "as listed: no tracking page")

	// The subscriptions are deleted at their own endpoints.
	subs, err := w.Subscriptions(t.Context())
	require.NoError(t, err)
	require.Len(t, subs, 2)
	for _, s := range subs {
		require.NoError(t, w.Unsubscribe(t.Context(), s))
	}
	assert.Empty(t, srv.Subscriptions())
}

func TestWebhooksPagesWithoutTheExtension(t *testing.T) {
	srv := newFake(t) // the tenant has no such extension: its API is 404
	c := connect(t, srv, bc.WithStockPage(stockPage))
	endpoint := &swappable{}
	hs := httptest.NewServer(endpoint)
	defer hs.Close()
	w, err := c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL, ClientState: "state",
		Resources: []string{"items", "customers", "kontor/shop/v1.0/stockLevels"}})
	require.NoError(t, err)
	endpoint.set(w.Handler((&inbox{}).handle))
	rep, err := w.Maintain(t.Context())
	require.Error(t, err)
	assert.ErrorContains(t, err, "listing the subscriptions of api/kontor/shop/v1.0")
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(err))
	assert.Len(t, rep.Created, 2, "the standard sets are subscribed all the same")
	assert.ElementsMatch(t, []string{"v2.0/items", "v2.0/customers"}, resources(srv))
}
