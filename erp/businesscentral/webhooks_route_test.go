package businesscentral

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

func TestRouteOfResource(t *testing.T) {
	for res, want := range map[string]string{
		"api/v2.0/companies(c0)/items(i1)":                                                                     "",
		"/api/v2.0/companies(c0)/items?$filter=lastModifiedDateTime%20gt%202026":                               "",
		"/api/v1.0/companies(c0)/customers":                                                                    "v1.0",
		"api/contoso/shop/v1.0/companies(c0)/stockLevels(s1)":                                                  "contoso/shop/v1.0",
		"/api/contoso/shop/v1.0/companies(c0)/stockLevels?$filter=x":                                           "contoso/shop/v1.0",
		"https://api.businesscentral.dynamics.com/v2.0/t/production/api/v2.0/companies(c0)/items":              "",
		"https://api.businesscentral.dynamics.com/v2.0/t/production/api/contoso/shop/v1.0/companies(c0)/stock": "contoso/shop/v1.0",
		"": "",
	} {
		assert.Equal(t, want, routeOf(res), res)
	}
}

// pageNotification is a notification of a custom page's row.
func pageNotification(route, set, id, change string) string {
	return fmt.Sprintf(`{"value":[{"subscriptionId":"s-%s","clientState":%q,"expirationDateTime":"2026-03-04T00:00:00Z",
		"resource":"api/%s/companies(c0)/%s(%s)","changeType":%q,"lastModifiedDateTime":"2026-03-01T10:00:00Z"}]}`,
		set, testState, route, set, id, change)
}

func TestWebhookPageNotificationsBecomeEvents(t *testing.T) {
	// A stock page that happens to be called like a standard set: its
	// notifications are stock, not products.
	c := testConnector(t, WithStockPage(StockPage{Route: "contoso/shop/v1.0", EntitySet: "items"}),
		WithTrackingPage(TrackingPage{Route: "/contoso/shop/v1.0/", EntitySet: "shipmentTrackings"}))
	w, err := c.Webhooks(WebhookConfig{NotificationURL: "https://shop.example.com/bc", ClientState: testState})
	require.NoError(t, err)
	assert.Equal(t, append(DefaultWebhookResources[:len(DefaultWebhookResources):len(DefaultWebhookResources)],
		"contoso/shop/v1.0/items", "contoso/shop/v1.0/shipmentTrackings"), w.cfg.Resources)
	var got []kontor.Event
	h := w.Handler(func(_ context.Context, ev kontor.Event) error { got = append(got, ev); return nil })
	post := func(body string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/bc", strings.NewReader(body)))
		return rec.Code
	}

	assert.Equal(t, http.StatusOK, post(pageNotification("contoso/shop/v1.0", "items", "row-1", "updated")))
	require.Len(t, got, 1)
	assert.Equal(t, kontor.EntityStock, got[0].Entity)
	assert.Equal(t, "items/updated", got[0].Topic)
	assert.Empty(t, got[0].Key, "the row's GUID is no entity key")
	assert.Empty(t, got[0].Payload)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), got[0].At)

	got = nil
	assert.Equal(t, http.StatusOK, post(pageNotification("Contoso/Shop/v1.0", "shipmentTrackings", "ship-1", "created")))
	require.Len(t, got, 1, "routes compare without case, as Business Central's do")
	assert.Equal(t, kontor.EntityShipment, got[0].Entity)
	assert.Equal(t, "shipmentTrackings/created", got[0].Topic)
	assert.Empty(t, got[0].Key, "the row's GUID is no shipment number")

	// A page of another API, or one not configured, concerns nothing:
	// acknowledged (it is ours) without an event.
	got = nil
	assert.Equal(t, http.StatusOK, post(pageNotification("other/shop/v1.0", "items", "x", "updated")))
	assert.Equal(t, http.StatusOK, post(pageNotification("contoso/shop/v1.0", "stockLevels", "x", "updated")))
	assert.Empty(t, got)

	// The standard API's items are still products and prices.
	assert.Equal(t, http.StatusOK, post(pageNotification("v2.0", "items", "i1", "updated")))
	require.Len(t, got, 2)
	assert.Equal(t, kontor.EntityProduct, got[0].Entity)

	// Without the Webhooks, a custom page's notification names no entity.
	ns, err := ParseNotifications([]byte(pageNotification("contoso/shop/v1.0", "items", "row-1", "updated")))
	require.NoError(t, err)
	assert.Empty(t, ns[0].Events())
}

func TestWebhookResourcesResolve(t *testing.T) {
	c := testConnector(t, WithStockPage(StockPage{Route: "contoso/shop/v1.0", EntitySet: "stockLevels"}))
	for _, ok := range [][]string{{"items"}, {"v2.0/items"}, {"contoso/shop/v1.0/stockLevels"}, {"/api/contoso/shop/v1.0/stockLevels"}} {
		_, err := c.Webhooks(WebhookConfig{NotificationURL: "https://a.example/x", ClientState: "x", Resources: ok})
		assert.NoError(t, err, ok)
	}
	for _, bad := range [][]string{{"contoso/shop/v1.0/shipmentTrackings"}, {"other/shop/v1.0/stockLevels"}, {"/"}} {
		_, err := c.Webhooks(WebhookConfig{NotificationURL: "https://a.example/x", ClientState: "x", Resources: bad})
		assert.Error(t, err, bad)
	}
}

// TestCapabilitiesEventsAreWhatTheHandlerEmits: Capabilities().Events
// lists exactly the entities of the events the Handler makes of a
// notification of each subscribed resource, with and without the pages.
func TestCapabilitiesEventsAreWhatTheHandlerEmits(t *testing.T) {
	stock := WithStockPage(StockPage{Route: "contoso/shop/v1.0", EntitySet: "stockLevels"})
	tracking := WithTrackingPage(TrackingPage{Route: "contoso/shop/v1.0", EntitySet: "shipmentTrackings"})
	for name, opts := range map[string][]Option{"standard": nil, "stock": {stock}, "tracking": {tracking}, "both": {stock, tracking}} {
		t.Run(name, func(t *testing.T) {
			c := testConnector(t, opts...)
			w, err := c.Webhooks(WebhookConfig{NotificationURL: "https://shop.example.com/bc", ClientState: testState})
			require.NoError(t, err)
			seen := map[kontor.Entity]bool{}
			h := w.Handler(func(_ context.Context, ev kontor.Event) error { seen[ev.Entity] = true; return nil })
			for _, res := range w.cfg.Resources {
				route, set := "v2.0", res
				if i := strings.LastIndexByte(res, '/'); i >= 0 {
					route, set = res[:i], res[i+1:]
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/bc", strings.NewReader(pageNotification(route, set, "r1", "updated"))))
				require.Equal(t, http.StatusOK, rec.Code, res)
			}
			var emitted []kontor.Entity
			for e := range seen {
				emitted = append(emitted, e)
			}
			caps := c.Capabilities()
			assert.ElementsMatch(t, emitted, caps.Events)
			assert.True(t, caps.HasEvents(kontor.EntityOrder), "salesOrders notifications are order events")
			assert.False(t, caps.HasEvents(kontor.EntityStatus), "no event has Entity status; order events wake the status flow")
		})
	}
}
