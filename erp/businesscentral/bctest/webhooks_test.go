package bctest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/internal/fixture"
)

type notificationEntry struct {
	SubscriptionID       string `json:"subscriptionId"`
	ClientState          string `json:"clientState"`
	ExpirationDateTime   string `json:"expirationDateTime"`
	Resource             string `json:"resource"`
	ChangeType           string `json:"changeType"`
	LastModifiedDateTime string `json:"lastModifiedDateTime"`
}

// hook is a subscriber: it answers the handshake and records
// notifications.
type hook struct {
	*httptest.Server
	mu          sync.Mutex
	got         []notificationEntry
	posts       int
	handshakes  int
	status      int  // answer to notifications
	wrongToken  bool // answer the handshake with another token
	handshakeCh chan struct{}
	block       chan struct{} // when set, the handshake waits for it
}

func newHook(t *testing.T) *hook {
	h := &hook{status: http.StatusAccepted}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("validationToken"); tok != "" {
			h.mu.Lock()
			h.handshakes++
			wrong, block := h.wrongToken, h.block
			h.mu.Unlock()
			if block != nil {
				<-block
			}
			w.Header().Set("Content-Type", "text/plain")
			if wrong {
				tok = "something else"
			}
			_, _ = io.WriteString(w, tok)
			return
		}
		var body struct {
			Value []notificationEntry `json:"value"`
		}
		raw, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Errorf("notification body %q: %v", raw, err)
		}
		h.mu.Lock()
		h.posts++
		h.got = append(h.got, body.Value...)
		status := h.status
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) entries() []notificationEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]notificationEntry(nil), h.got...)
}

func (h *hook) set(fn func(h *hook)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	fn(h)
}

func subscribe(t *testing.T, a *api, url, resource, state string) resp {
	t.Helper()
	r := a.do("POST", a.srv.APIURL()+"/subscriptions", map[string]any{"notificationUrl": url, "resource": resource, "clientState": state})
	require.Equal(t, 201, r.status, string(r.raw))
	return r
}

func TestNotificationShapeMatchesTheFixture(t *testing.T) {
	t.Parallel()
	var want struct {
		Value []map[string]any `json:"value"`
	}
	require.NoError(t, json.Unmarshal(fixture.Read(t, "erp/business-central/webhook_notification.json"), &want))
	got, _ := json.Marshal(notificationEntry{})
	var keys map[string]any
	require.NoError(t, json.Unmarshal(got, &keys))
	for _, v := range want.Value {
		for k := range v {
			assert.Contains(t, keys, k)
		}
		assert.Len(t, keys, len(v))
	}
}

func TestSubscriptionHandshakeAndNotifications(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now), bctest.WithNotificationDelay(time.Hour))
	defer srv.Close()
	seedItems(t, srv, 2)
	a := newAPI(t, srv)
	h := newHook(t)
	res := "/api/v2.0/companies(" + srv.CompanyID() + ")/items"
	r := subscribe(t, a, h.URL+"/bc?tenant=1", res, "s3cret")
	assert.Equal(t, 1, h.handshakes)
	assert.Len(t, r.str("subscriptionId"), 32)
	assert.Equal(t, res, r.str("resource"))
	exp, err := time.Parse(time.RFC3339, r.str("expirationDateTime"))
	require.NoError(t, err)
	assert.Equal(t, clk.Now().Add(72*time.Hour), exp, "three days ahead")

	// A user changes an item, an API client creates one, one is deleted.
	_, err = srv.ChangeItem("ITEM-0001", func(it *bctest.Item) { it.UnitPrice = d("99") })
	require.NoError(t, err)
	_, err = srv.ChangeItem("ITEM-0001", func(it *bctest.Item) { it.UnitPrice = d("98") })
	require.NoError(t, err)
	created := a.do("POST", "items", map[string]any{"number": "NEW-1", "displayName": "New"})
	require.Equal(t, 201, created.status, string(created.raw))
	it2, _ := srv.Item("ITEM-0002")
	require.Equal(t, 204, a.do("DELETE", "items("+it2.ID+")", nil, "If-Match", it2.ETag).status)
	srv.FlushNotifications(t.Context())
	got := h.entries()
	require.Len(t, got, 3)
	it1, _ := srv.Item("ITEM-0001")
	kinds := map[string]string{}
	for _, n := range got {
		assert.Equal(t, r.str("subscriptionId"), n.SubscriptionID)
		assert.Equal(t, "s3cret", n.ClientState)
		assert.Equal(t, r.str("expirationDateTime"), n.ExpirationDateTime)
		kinds[n.Resource] = n.ChangeType
	}
	prefix := "api/v2.0/companies(" + srv.CompanyID() + ")/items("
	assert.Equal(t, map[string]string{
		prefix + it1.ID + ")":            "updated",
		prefix + created.str("id") + ")": "created",
		prefix + it2.ID + ")":            "deleted",
	}, kinds, "two changes of one item make one notification")
	assert.Equal(t, 3, srv.NotificationsSent())

	// A stock change notifies no items subscriber (as in Business Central).
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "ITEM-0001", Quantity: d("7")}))
	srv.FlushNotifications(t.Context())
	assert.Len(t, h.entries(), 3)

	// Expiry: after three days the subscription is gone and silent.
	clk.Advance(72 * time.Hour)
	_, err = srv.ChangeItem("ITEM-0001", func(it *bctest.Item) { it.UnitPrice = d("1") })
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	assert.Len(t, h.entries(), 3, "an expired subscription gets nothing")
	assert.Empty(t, srv.Subscriptions())
	a = newAPI(t, srv) // the first token expired meanwhile
	list := a.do("GET", srv.APIURL()+"/subscriptions", nil)
	require.Equal(t, 200, list.status, string(list.raw))
	assert.Empty(t, list.values())
}

func TestHandshakeFailures(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithWebhookTimeout(100 * time.Millisecond))
	defer srv.Close()
	a := newAPI(t, srv)
	h := newHook(t)
	res := "/api/v2.0/companies(" + srv.CompanyID() + ")/customers"
	post := func(url, resource string) resp {
		return a.do("POST", srv.APIURL()+"/subscriptions", map[string]any{"notificationUrl": url, "resource": resource, "clientState": "x"})
	}

	h.set(func(h *hook) { h.wrongToken = true })
	r := post(h.URL, res)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "validationToken")
	h.set(func(h *hook) { h.wrongToken = false })

	srv.FailHandshakes(1)
	assert.Equal(t, 400, post(h.URL, res).status)
	assert.Equal(t, 1, h.handshakes, "an injected failure does not call the subscriber")

	block := make(chan struct{})
	h.set(func(h *hook) { h.block = block })
	r = post(h.URL, res)
	close(block)
	h.set(func(h *hook) { h.block = nil })
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "timed out")

	assert.Equal(t, 400, post("http://127.0.0.1:1/closed", res).status, "unreachable")
	assert.Equal(t, 400, post(h.URL, "/api/v2.0/companies("+srv.CompanyID()+")/locations").status, "not webhook-enabled")
	assert.Equal(t, 400, post(h.URL, "/api/v2.0/companies("+srv.CompanyID()+")/salesShipments").status, "not webhook-enabled")
	assert.Equal(t, 400, post("not a url", res).status)
	assert.Empty(t, srv.Subscriptions())
	assert.Equal(t, 201, post(h.URL, strings.TrimPrefix(res, "/")).status, "a relative resource without the slash")
}

func TestRenewAndDeleteSubscription(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now))
	defer srv.Close()
	a := newAPI(t, srv)
	h := newHook(t)
	r := subscribe(t, a, h.URL, "/api/v2.0/companies("+srv.CompanyID()+")/customers", "one")
	id, tag := r.str("subscriptionId"), r.str("@odata.etag")
	url := srv.APIURL() + "/subscriptions('" + id + "')"
	list := a.do("GET", srv.APIURL()+"/subscriptions", nil)
	require.Len(t, list.values(), 1)
	assert.Equal(t, id, list.values()[0]["subscriptionId"])
	assert.Equal(t, "one", list.values()[0]["clientState"])
	assert.Equal(t, h.URL, list.values()[0]["notificationUrl"])

	clk.Advance(48 * time.Hour)
	a = newAPI(t, srv) // the first token expired meanwhile
	assert.Equal(t, 400, a.do("PATCH", url, map[string]any{"clientState": "two"}).status, "If-Match is required")
	r = a.do("PATCH", url, map[string]any{"clientState": "two"}, "If-Match", tag)
	require.Equal(t, 200, r.status, string(r.raw))
	assert.Equal(t, 2, h.handshakes, "a renewal runs the handshake again")
	assert.Equal(t, "two", r.str("clientState"))
	exp, _ := time.Parse(time.RFC3339, r.str("expirationDateTime"))
	assert.Equal(t, clk.Now().Add(72*time.Hour), exp)
	assert.Equal(t, 409, a.do("PATCH", url, map[string]any{"clientState": "3"}, "If-Match", tag).status, "stale ETag")

	srv.FailHandshakes(1)
	assert.Equal(t, 400, a.do("PATCH", url, map[string]any{}, "If-Match", r.str("@odata.etag")).status)
	assert.Equal(t, "two", srv.Subscriptions()[0].ClientState, "a failed renewal changes nothing")

	assert.Equal(t, 204, a.do("DELETE", url, nil, "If-Match", r.str("@odata.etag")).status)
	assert.Empty(t, srv.Subscriptions())
	assert.Equal(t, 404, a.do("GET", url, nil).status)
}

func TestCollectionNotificationAndSubscriberAnswers(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithCollectionThreshold(3), bctest.WithNotificationDelay(time.Hour), bctest.WithNotificationRetries(1, time.Millisecond))
	defer srv.Close()
	a := newAPI(t, srv)
	h := newHook(t)
	subscribe(t, a, h.URL, "/api/v2.0/companies("+srv.CompanyID()+")/customers", "c")
	for range 4 {
		_, err := srv.PutCustomer(bctest.Customer{DisplayName: "x"})
		require.NoError(t, err)
	}
	srv.FlushNotifications(t.Context())
	got := h.entries()
	require.Len(t, got, 1)
	assert.Equal(t, "collection", got[0].ChangeType)
	assert.True(t, strings.HasPrefix(got[0].Resource, "/api/v2.0/companies("+srv.CompanyID()+")/customers?$filter=lastModifiedDateTime%20gt%20"), got[0].Resource)

	// 503: retried; then 410: the subscription is deleted.
	h.set(func(h *hook) { h.status = http.StatusServiceUnavailable })
	_, err := srv.PutCustomer(bctest.Customer{DisplayName: "y"})
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	require.Eventually(t, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.posts == 3 }, 5*time.Second, time.Millisecond, "sent once and retried once")
	assert.Len(t, srv.Subscriptions(), 1)
	h.set(func(h *hook) { h.status = http.StatusGone })
	_, err = srv.PutCustomer(bctest.Customer{DisplayName: "z"})
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	assert.Empty(t, srv.Subscriptions(), "any other answer deletes the subscription")
}

func TestExtensionStockNotifications(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithExtensionAPI())
	defer srv.Close()
	seedItems(t, srv, 1)
	a := newAPI(t, srv)
	h := newHook(t)
	r := a.do("POST", srv.ExtensionAPIURL()+"/subscriptions", map[string]any{
		"notificationUrl": h.URL, "resource": "/api/kontor/shop/v1.0/companies(" + srv.CompanyID() + ")/stockLevels"})
	require.Equal(t, 201, r.status, string(r.raw))
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "ITEM-0001", LocationCode: "MAIN", Quantity: d("5")}))
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "ITEM-0001", LocationCode: "EAST", Quantity: d("2")}))
	srv.FlushNotifications(t.Context())
	got := h.entries()
	require.Len(t, got, 2)
	assert.Equal(t, "created", got[0].ChangeType)
	assert.True(t, strings.HasPrefix(got[0].Resource, "api/kontor/shop/v1.0/companies("+srv.CompanyID()+")/stockLevels("))
	assert.Equal(t, 400, a.do("POST", srv.APIURL()+"/subscriptions", map[string]any{
		"notificationUrl": h.URL, "resource": "/api/kontor/shop/v1.0/companies(" + srv.CompanyID() + ")/stockLevels"}).status,
		"a custom API's resource needs its own subscriptions endpoint")
}

func TestNotificationsGoOutAfterTheDelay(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithNotificationDelay(10 * time.Millisecond))
	defer srv.Close()
	h := newHook(t)
	subscribe(t, newAPI(t, srv), h.URL, "/api/v2.0/companies("+srv.CompanyID()+")/items", "x")
	seedItems(t, srv, 1)
	require.Eventually(t, func() bool { return len(h.entries()) == 1 }, 5*time.Second, 2*time.Millisecond, "no flush needed")
	assert.Equal(t, "created", h.entries()[0].ChangeType)
}

func TestShipmentNotifiesTheOrdersSubscribers(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithNotificationDelay(time.Hour))
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	h := newHook(t)
	subscribe(t, a, h.URL, "/api/v2.0/companies("+srv.CompanyID()+")/salesOrders", "o")
	r := a.do("POST", "salesOrders", orderBody(cust.Number, "N-1", itemLine("ITEM-0001", "1")))
	require.Equal(t, 201, r.status)
	srv.FlushNotifications(t.Context())
	_, err := srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: "N-1", PackageTrackingNumber: "TRACK"})
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	got := h.entries()
	require.Len(t, got, 2)
	assert.Equal(t, "created", got[0].ChangeType)
	assert.Equal(t, "updated", got[1].ChangeType, "posting a shipment changes the order")
	assert.Equal(t, "api/v2.0/companies("+srv.CompanyID()+")/salesOrders("+r.str("id")+")", got[1].Resource)
	assert.Equal(t, 2, srv.NotificationsSent())
}
