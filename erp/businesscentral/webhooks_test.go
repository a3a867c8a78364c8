package businesscentral

import (
	"context"
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
)

const testState = "s3cr3t-client-state"

func testWebhooks(t *testing.T, c *Connector) *Webhooks {
	t.Helper()
	w, err := c.Webhooks(WebhookConfig{NotificationURL: "https://shop.example.com/bc/notify", ClientState: testState,
		PreviousClientStates: []string{"old-state"}})
	require.NoError(t, err)
	return w
}

func notificationBody(states ...string) string {
	var vals []string
	for i, s := range states {
		vals = append(vals, fmt.Sprintf(`{"subscriptionId":"sub%d","clientState":%q,"expirationDateTime":"2026-03-04T00:00:00Z",
			"resource":"api/v2.0/companies(c0)/customers(cust-%d)","changeType":"updated","lastModifiedDateTime":"2026-03-01T10:00:0%dZ"}`, i, s, i, i))
	}
	return `{"value":[` + strings.Join(vals, ",") + `]}`
}

func TestWebhookHandshakeEchoesToken(t *testing.T) {
	w := testWebhooks(t, testConnector(t))
	h := w.Handler(func(context.Context, kontor.Event) error { t.Fatal("no event in a handshake"); return nil })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify?validationToken=abc%20123", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "abc 123", rec.Body.String())
	assert.Equal(t, "text/plain; charset=utf-8", rec.Header().Get("Content-Type"))

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify?validationToken=", nil))
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestWebhookNotificationsBecomeEvents(t *testing.T) {
	w := testWebhooks(t, testConnector(t))
	var got []kontor.Event
	h := w.Handler(func(_ context.Context, ev kontor.Event) error { got = append(got, ev); return nil })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader("\xef\xbb\xbf"+notificationBody(testState, "old-state"))))
	assert.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, got, 2, "both client states are accepted, the old one during a rotation")
	assert.Equal(t, kontor.EntityCustomer, got[0].Entity)
	assert.Equal(t, "customers/updated", got[0].Topic)
	assert.Empty(t, got[0].Key, "the customer's GUID is no customer number")
	assert.Empty(t, got[0].Payload)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), got[0].At)
}

func TestWebhookWrongClientState(t *testing.T) {
	w := testWebhooks(t, testConnector(t))
	var got []kontor.Event
	h := w.Handler(func(_ context.Context, ev kontor.Event) error { got = append(got, ev); return nil })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(notificationBody("forged"))))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Empty(t, got)
	assert.NotContains(t, rec.Body.String(), testState)

	// A delivery mixing ours and a stranger's keeps ours only.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(notificationBody("forged", testState))))
	assert.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, got, 1)
	ns, err := ParseNotifications([]byte(notificationBody("forged", testState)))
	require.NoError(t, err)
	assert.Equal(t, ns[1].Events()[0].ID, got[0].ID, "ours, the second notification, is kept")
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 1, 0, time.UTC), got[0].At)
}

func TestWebhookMalformedAndFailingStore(t *testing.T) {
	w := testWebhooks(t, testConnector(t))
	calls := 0
	h := w.Handler(func(context.Context, kontor.Event) error { calls++; return errors.New("inbox down") })
	for _, body := range []string{`{"value":`, `[]`, `{"other":1}`} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(body)))
		assert.Equal(t, http.StatusBadRequest, rec.Code, body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/notify", strings.NewReader(notificationBody(testState))))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "a retryable status: Business Central sends it again")
	assert.Equal(t, 1, calls)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/notify", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// subsServer is a minimal subscriptions endpoint that records calls.
type subsServer struct {
	mu    sync.Mutex
	subs  []Subscription
	calls []string
}

func (s *subsServer) handler(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		path := strings.TrimPrefix(r.URL.Path, "/BC/api/v2.0/")
		s.calls = append(s.calls, r.Method+" "+path)
		switch {
		case r.Method == http.MethodGet && path == "subscriptions":
			json.NewEncoder(w).Encode(map[string]any{"value": s.subs})
		case r.Method == http.MethodPost && path == "subscriptions":
			var b subscriptionBody
			require.NoError(t, json.NewDecoder(r.Body).Decode(&b))
			assert.Equal(t, testState, b.ClientState)
			sub := Subscription{ID: fmt.Sprintf("new%d", len(s.subs)), NotificationURL: b.NotificationURL, Resource: b.Resource,
				ClientState: b.ClientState, ExpiresAt: testNow.Add(72 * time.Hour), ETag: `W/"1"`}
			s.subs = append(s.subs, sub)
			w.WriteHeader(201)
			json.NewEncoder(w).Encode(sub)
		case r.Method == http.MethodPatch:
			assert.NotEmpty(t, r.Header.Get("If-Match"))
			for i, sub := range s.subs {
				if "subscriptions('"+sub.ID+"')" == path {
					s.subs[i].ExpiresAt, s.subs[i].ClientState = testNow.Add(72*time.Hour), testState
					json.NewEncoder(w).Encode(s.subs[i])
					return
				}
			}
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"BadRequest_NotFound","message":"gone"}}`)
		case r.Method == http.MethodDelete:
			for i, sub := range s.subs {
				if "subscriptions('"+sub.ID+"')" == path {
					s.subs = append(s.subs[:i], s.subs[i+1:]...)
					w.WriteHeader(204)
					return
				}
			}
			w.WriteHeader(404)
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(400)
		}
	}
}

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMaintainCreatesRenewsAndDedupes(t *testing.T) {
	ss := &subsServer{}
	c, _ := handlerConnector(t, ss.handler(t), WithClock(func() time.Time { return testNow }))
	w, err := c.Webhooks(WebhookConfig{NotificationURL: "https://shop.example.com/bc/notify", ClientState: testState,
		Resources: []string{"items", "customers", "salesOrders"}})
	require.NoError(t, err)
	res := func(set string) string { return "/api/v2.0/companies(c0)/" + set }
	ss.subs = []Subscription{
		// items: fresh, kept.
		{ID: "a", NotificationURL: "https://shop.example.com/bc/notify", Resource: res("items"), ClientState: testState, ExpiresAt: testNow.Add(60 * time.Hour)},
		// customers: expires in 2 hours, renewed; and an older duplicate, deleted.
		{ID: "b", NotificationURL: "https://shop.example.com/bc/notify", Resource: strings.TrimPrefix(res("customers"), "/"), ClientState: testState, ExpiresAt: testNow.Add(2 * time.Hour)},
		{ID: "b2", NotificationURL: "https://shop.example.com/bc/notify", Resource: res("customers"), ClientState: testState, ExpiresAt: testNow.Add(time.Hour)},
		// salesOrders: expired (deleted by the service any moment): created anew.
		{ID: "c", NotificationURL: "https://shop.example.com/bc/notify", Resource: res("salesOrders"), ClientState: testState, ExpiresAt: testNow.Add(-time.Minute)},
		// another app's subscription is left alone.
		{ID: "z", NotificationURL: "https://other.example.com/hook", Resource: res("items"), ExpiresAt: testNow.Add(time.Hour)},
	}
	rep, err := w.Maintain(t.Context())
	require.NoError(t, err)
	ids := func(ss []Subscription) (out []string) {
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	assert.Equal(t, []string{"a"}, ids(rep.Kept))
	assert.Equal(t, []string{"b"}, ids(rep.Renewed))
	assert.Equal(t, []string{"b2", "c"}, ids(rep.Deleted), "a duplicate and an expired one are cleared away")
	require.Len(t, rep.Created, 1)
	assert.Equal(t, res("salesOrders"), rep.Created[0].Resource)
	assert.NotContains(t, ss.calls, "DELETE subscriptions('z')")

	// Run again: everything is fresh now.
	ss.calls = nil
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Kept, 3)
	assert.Equal(t, []string{"GET subscriptions"}, ss.calls)
}

func TestMaintainRecreatesSubscriptionDeletedMeanwhile(t *testing.T) {
	ss := &subsServer{}
	c, srv := handlerConnector(t, nil, WithClock(func() time.Time { return testNow }))
	srv.Config.Handler = ss.handler(t)
	w, err := c.Webhooks(WebhookConfig{NotificationURL: "https://shop.example.com/bc/notify", ClientState: testState, Resources: []string{"items"}})
	require.NoError(t, err)
	// Listed, but gone by the time it is renewed: the PATCH finds nothing.
	ss.subs = []Subscription{{ID: "gone", NotificationURL: "https://shop.example.com/bc/notify", Resource: "/api/v2.0/companies(c0)/items",
		ClientState: testState, ExpiresAt: testNow.Add(time.Hour)}}
	orig := ss.handler(t)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			ss.mu.Lock()
			ss.subs = nil
			ss.mu.Unlock()
		}
		orig(w, r)
	})
	rep, err := w.Maintain(t.Context())
	require.NoError(t, err)
	require.Len(t, rep.Created, 1)
	assert.Empty(t, rep.Renewed)
}

func TestWebhookConfigChecks(t *testing.T) {
	c := testConnector(t)
	_, err := c.Webhooks(WebhookConfig{NotificationURL: "/relative", ClientState: "x"})
	assert.Error(t, err)
	_, err = c.Webhooks(WebhookConfig{NotificationURL: "https://a.example/x", ClientState: strings.Repeat("x", 251)})
	assert.Error(t, err)
}
