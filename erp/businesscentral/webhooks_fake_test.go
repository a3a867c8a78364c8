package businesscentral_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

// clock is a test clock the fake and the connector share.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// inbox collects the events the webhook endpoint hands on.
type inbox struct {
	mu     sync.Mutex
	events []kontor.Event
}

func (in *inbox) handle(_ context.Context, ev kontor.Event) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.events = append(in.events, ev)
	return nil
}

func (in *inbox) take() []kontor.Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := in.events
	in.events = nil
	return out
}

// swappable serves whatever handler is set, so a test can break and
// mend the endpoint.
type swappable struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *swappable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

func (s *swappable) set(h http.Handler) { s.mu.Lock(); s.h = h; s.mu.Unlock() }

func TestWebhooksAgainstTheFake(t *testing.T) {
	clk := &clock{t: time.Now().UTC()}
	srv := newFake(t, bctest.WithClock(clk.now), bctest.WithCollectionThreshold(3))
	c := connect(t, srv, bc.WithClock(clk.now))
	in := &inbox{}
	endpoint := &swappable{}
	hs := httptest.NewServer(endpoint)
	defer hs.Close()
	w, err := c.Webhooks(bc.WebhookConfig{NotificationURL: hs.URL + "/bc", ClientState: "canary-client-state-1"})
	require.NoError(t, err)
	endpoint.set(w.Handler(in.handle))

	// A failed handshake: that subscription is missing, the others are made.
	srv.FailHandshakes(1)
	rep, err := w.Maintain(t.Context())
	require.Error(t, err)
	assert.ErrorContains(t, err, "subscribing to items")
	assert.Len(t, rep.Created, 4)
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, 1, "the next run makes up for it")
	assert.Len(t, rep.Kept, 4)
	require.Len(t, srv.Subscriptions(), 5)
	for _, s := range srv.Subscriptions() {
		assert.Equal(t, "canary-client-state-1", s.ClientState)
	}

	// A change reaches the engine as events, verified by the client state.
	putItem(t, srv, 0)
	srv.FlushNotifications(t.Context())
	evs := in.take()
	require.Len(t, evs, 2)
	assert.Equal(t, kontor.EntityProduct, evs[0].Entity)
	assert.Equal(t, kontor.EntityPrice, evs[1].Entity)
	assert.Equal(t, "items/created", evs[0].Topic)
	// A bare hint: the notification names the item by its GUID, not its
	// SKU, so the event has no Key and no payload; the engine reads.
	assert.Equal(t, kontor.Event{ID: evs[0].ID, Topic: "items/created", Entity: kontor.EntityProduct, At: evs[0].At}, evs[0])
	assert.Empty(t, evs[1].Key)
	assert.False(t, evs[0].At.IsZero())
	assert.NotEqual(t, evs[0].ID, evs[1].ID, "one event per entity, each with its own id")

	// Many changes at once come as one collection notification: a hint
	// like the others, which makes the engine read the changes.
	for i := 1; i <= 4; i++ {
		putItem(t, srv, i)
	}
	srv.FlushNotifications(t.Context())
	evs = in.take()
	require.NotEmpty(t, evs)
	assert.Equal(t, "items/collection", evs[0].Topic)
	assert.Empty(t, evs[0].Key)

	// Near the three-day expiry, Maintain renews (with a new handshake).
	clk.add(60 * time.Hour)
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Renewed, 5)
	for _, s := range srv.Subscriptions() {
		assert.True(t, s.ExpirationDateTime.After(clk.now().Add(71*time.Hour)), "renewed for three days")
	}

	// The endpoint answers a delivery with a status Business Central does
	// not retry: it deletes the subscription, and Maintain makes a new one.
	endpoint.set(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
	_, err = srv.PutCustomer(bctest.Customer{Number: "C9", DisplayName: "Someone", Type: "Person"})
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	require.Len(t, srv.Subscriptions(), 4, "customers was deleted")
	endpoint.set(w.Handler(in.handle))
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	require.Len(t, rep.Created, 1)
	assert.Contains(t, rep.Created[0].Resource, "/customers")

	// Expired ones (Maintain not run for days) are made anew.
	clk.add(100 * time.Hour)
	rep, err = w.Maintain(t.Context())
	require.NoError(t, err)
	assert.Len(t, rep.Created, 5)
	assert.Len(t, srv.Subscriptions(), 5)
}
