package shopify_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/transport"
)

const hookURL = "https://sync.example.com/webhooks/shopify"

// topicsOf counts the fake's subscriptions to uri by topic.
func topicsOf(srv *shopifytest.Server, uri string) map[string]int {
	n := map[string]int{}
	for _, ws := range srv.WebhookSubscriptions() {
		if ws.URI == uri {
			n[ws.Topic]++
		}
	}
	return n
}

func TestSubscribeTwiceCreatesNothingTwice(t *testing.T) {
	srv, c := newShop(t, nil)
	ids, err := c.Subscribe(bg, hookURL, "ORDERS_CREATE", "products/update")
	require.NoError(t, err)
	require.Len(t, ids, 2)
	assert.Equal(t, 2, int(srv.Stats().Mutations))

	// Again, with every topic the handler routes, one of them twice and one
	// in its REST spelling: only the missing ones are created, without
	// error, and every topic's ID comes back in the order given.
	srv.ResetStats()
	again, err := c.Subscribe(bg, hookURL, append([]string{"orders/create"}, shopify.Topics...)...)
	require.NoError(t, err)
	require.Len(t, again, len(shopify.Topics))
	assert.Equal(t, ids[0], again[0], "orders/create is ORDERS_CREATE, subscribed before")
	assert.Contains(t, again, ids[1])
	assert.Equal(t, len(shopify.Topics)-2, int(srv.Stats().Mutations), "only the missing topics were created")
	assert.Equal(t, 1, int(srv.Stats().Queries), "one page of subscriptions read")

	// A third time: nothing to create, the same IDs.
	srv.ResetStats()
	third, err := c.Subscribe(bg, hookURL, shopify.Topics...)
	require.NoError(t, err)
	assert.Equal(t, again, third)
	assert.Zero(t, srv.Stats().Mutations)

	byTopic := topicsOf(srv, hookURL)
	assert.Len(t, byTopic, len(shopify.Topics))
	for topic, n := range byTopic {
		assert.Equal(t, 1, n, topic)
	}
}

func TestSubscriptionsListsByAddressAcrossPages(t *testing.T) {
	srv, c := newShop(t, nil, shopify.WithPageSize(2))
	other := "https://other.example.com/hooks"
	_, err := c.Subscribe(bg, other, "APP_UNINSTALLED")
	require.NoError(t, err)
	topics := []string{"ORDERS_CREATE", "ORDERS_UPDATED", "PRODUCTS_UPDATE", "REFUNDS_CREATE", "inventory_levels/update"}
	ids, err := c.Subscribe(bg, hookURL, topics...)
	require.NoError(t, err)

	srv.ResetStats()
	subs, err := c.Subscriptions(bg, hookURL)
	require.NoError(t, err)
	assert.Equal(t, 3, int(srv.Stats().Queries), "five subscriptions in pages of two")
	require.Len(t, subs, len(topics))
	want := []string{"ORDERS_CREATE", "ORDERS_UPDATED", "PRODUCTS_UPDATE", "REFUNDS_CREATE", "INVENTORY_LEVELS_UPDATE"}
	for i, s := range subs {
		assert.Equal(t, ids[i], s.ID, "oldest first")
		assert.True(t, strings.HasPrefix(s.ID, "gid://shopify/WebhookSubscription/"), s.ID)
		assert.Equal(t, want[i], s.Topic)
		assert.Equal(t, hookURL, s.URI)
		assert.Equal(t, "JSON", s.Format)
		assert.Empty(t, s.Filter)
		assert.False(t, s.CreatedAt.IsZero())
		assert.False(t, s.UpdatedAt.Before(s.CreatedAt))
	}
	// products/update payloads carry the identity metafield's namespace.
	assert.Equal(t, []string{"kontor"}, subs[2].MetafieldNamespaces)
	assert.Empty(t, subs[0].MetafieldNamespaces)

	all, err := c.Subscriptions(bg, "")
	require.NoError(t, err)
	assert.Len(t, all, len(topics)+1)
	assert.Equal(t, other, all[0].URI)
	none, err := c.Subscriptions(bg, "https://nobody.example.com/")
	require.NoError(t, err)
	assert.Empty(t, none)
}

func TestSubscribeRefusesWhatIsNoTopic(t *testing.T) {
	srv, c := newShop(t, nil)
	for _, bad := range []string{"", "orders create", "/orders", "ORDERS-CREATE"} {
		ids, err := c.Subscribe(bg, hookURL, "ORDERS_CREATE", bad)
		var ve *kontor.ValidationError
		require.ErrorAs(t, err, &ve, "%q", bad)
		assert.Equal(t, "topic", ve.Field)
		assert.Equal(t, bad, ve.Key)
		assert.Empty(t, ids)
	}
	_, err := c.Subscribe(bg, "", "ORDERS_CREATE")
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "uri", ve.Field)
	assert.Zero(t, srv.Stats().Requests, "nothing was sent")
	ids, err := c.Subscribe(bg, hookURL)
	require.NoError(t, err)
	assert.Empty(t, ids)
	assert.Zero(t, srv.Stats().Requests)
}

func TestSubscribeReportsWhatShopifyRefuses(t *testing.T) {
	srv, c := newShop(t, nil)
	ids, err := c.Subscribe(bg, "ftp://files.example.com/hooks", "ORDERS_CREATE", "ORDERS_UPDATED")
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "ORDERS_CREATE", ve.Key)
	assert.Equal(t, "webhookSubscription.callbackUrl", ve.Field)
	assert.Contains(t, ve.Reason, "Address protocol ftp")
	assert.Empty(t, ids)
	assert.Empty(t, srv.WebhookSubscriptions())
}

// lossy stands between the client and the fake: for the n-th
// webhookSubscriptionCreate it either answers 503 without forwarding (the
// request is lost) or forwards it and answers 502 (the answer is lost).
type lossy struct {
	proxy    *httputil.ReverseProxy
	mu       sync.Mutex
	creates  int
	n        int
	runFirst bool
}

func newLossy(t *testing.T, srv *shopifytest.Server, n int, runFirst bool) (*httptest.Server, *lossy) {
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	l := &lossy{n: n, runFirst: runFirst}
	l.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.Header.Get("X-Lose-Answer") != "" {
				return errors.New("answer lost")
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			http.Error(w, `{"errors":"Bad Gateway"}`, http.StatusBadGateway)
		},
	}
	hs := httptest.NewServer(l)
	t.Cleanup(hs.Close)
	return hs, l
}

func (l *lossy) seen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.creates
}

func (l *lossy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if bytes.Contains(body, []byte("webhookSubscriptionCreate")) {
		l.mu.Lock()
		l.creates++
		hit := l.creates == l.n
		l.mu.Unlock()
		if hit && !l.runFirst {
			http.Error(w, `{"errors":"Service Unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		if hit {
			r.Header.Set("X-Lose-Answer", "1")
		}
	}
	l.proxy.ServeHTTP(w, r)
}

func TestSubscribeAfterALostAnswer(t *testing.T) {
	srv, _ := newShop(t, nil)
	hs, l := newLossy(t, srv, 2, true)
	_, c := newShopClient(t, srv, hs.URL)
	ids, err := c.Subscribe(bg, hookURL, "ORDERS_CREATE", "ORDERS_UPDATED", "REFUNDS_CREATE")
	require.NoError(t, err, "the lost answer's subscription was found")
	assert.Equal(t, 3, l.seen(), "the second answer was lost")
	require.Len(t, ids, 3)
	subs, err := c.Subscriptions(bg, hookURL)
	require.NoError(t, err)
	require.Len(t, subs, 3)
	assert.Equal(t, subs[1].ID, ids[1])
	assert.Equal(t, "ORDERS_UPDATED", subs[1].Topic)
	assert.Equal(t, 3, int(srv.Stats().Mutations), "the mutation was not sent again")
}

func TestSubscribeFailingMidwayThenAgain(t *testing.T) {
	srv, _ := newShop(t, nil)
	hs, _ := newLossy(t, srv, 2, false)
	_, c := newShopClient(t, srv, hs.URL)
	topics := []string{"ORDERS_CREATE", "ORDERS_UPDATED", "REFUNDS_CREATE"}
	ids, err := c.Subscribe(bg, hookURL, topics...)
	require.Error(t, err)
	assert.ErrorIs(t, err, kontor.ErrRetryable)
	require.Len(t, ids, 1, "the topic before the failure")
	assert.Equal(t, map[string]int{"ORDERS_CREATE": 1}, topicsOf(srv, hookURL), "nothing after the failure was created")

	again, err := c.Subscribe(bg, hookURL, topics...)
	require.NoError(t, err)
	require.Len(t, again, 3)
	assert.Equal(t, ids[0], again[0])
	assert.Equal(t, map[string]int{"ORDERS_CREATE": 1, "ORDERS_UPDATED": 1, "REFUNDS_CREATE": 1}, topicsOf(srv, hookURL))
}

// newShopClient is a client for srv that talks to endpoint.
func newShopClient(t *testing.T, srv *shopifytest.Server, endpoint string) (*shopifytest.Server, *shopify.Client) {
	t.Helper()
	c, err := shopify.New(srv.ShopDomain(), srv.Token(), shopify.WithEndpoint(endpoint),
		shopify.WithRetry(transport.RetryInitialInterval(time.Millisecond), transport.RetryMaxInterval(5*time.Millisecond)))
	require.NoError(t, err)
	return srv, c
}
