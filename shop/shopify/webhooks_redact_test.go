package shopify

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/transport"
)

// shopRedactBody is a shop/redact payload as Shopify sends it.
var shopRedactBody = []byte(`{"shop_id":954889,"shop_domain":"test-shop.myshopify.com"}`)

// keysOnly is a Redactor without RedactAll: it can erase given keys only.
type keysOnly struct {
	mu    sync.Mutex
	calls int
}

func (k *keysOnly) Redact(context.Context, kontor.Entity, []string, string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.calls++
	return nil
}

// TestWebhookShopRedactWithoutRedactAll: a Redactor that cannot erase all
// of an entity gets no shop/redact call at all (no keys meaning
// "everything"); the delivery is answered with 500 each time Shopify
// sends it, and the handler says why, when it is built and per delivery.
func TestWebhookShopRedactWithoutRedactAll(t *testing.T) {
	var logs strings.Builder
	c, _ := newTestClient(t, http.NotFoundHandler(), WithLogger(newTextLogger(&logs)))
	red := &keysOnly{}
	rec := &recorder{}
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), rec.handle, WithRedactor(red))
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "the redactor has no RedactAll")
	assert.Contains(t, logs.String(), "*shopify.keysOnly")

	for range 2 { // the retry of the same delivery is not taken for a duplicate
		assert.Equal(t, http.StatusInternalServerError, deliver(t, h, delivery{topic: "shop/redact", webhookID: "sr-1", eventID: "se-1", body: shopRedactBody}))
	}
	assert.Zero(t, red.calls, "Redact is never called for shop/redact")
	assert.Equal(t, 2, strings.Count(logs.String(), "shop/redact not honoured"))
	assert.Contains(t, logs.String(), "shopify.ShopRedactor")
	assert.Empty(t, rec.got())

	// customers/redact still works through Redact.
	assert.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "customers/redact", webhookID: "cr-1",
		body: []byte(`{"customer":{"id":207119551},"orders_to_redact":[]}`)}))
	assert.Equal(t, 1, red.calls)
}

// flakyShopRedactor fails RedactAll of one entity a number of times.
type flakyShopRedactor struct {
	recorder
	failEntity kontor.Entity
	failures   int
}

func (f *flakyShopRedactor) RedactAll(ctx context.Context, entity kontor.Entity, reason string) error {
	f.mu.Lock()
	if entity == f.failEntity && f.failures > 0 {
		f.failures--
		f.mu.Unlock()
		return kontor.NewError(kontor.KindRetryable, "store", errors.New("connection reset"))
	}
	f.mu.Unlock()
	return f.recorder.RedactAll(ctx, entity, reason)
}

// TestWebhookShopRedactFailsMidway: the erasure of the orders fails after
// the customers' was done; Shopify hears 500, and its retry of the same
// delivery erases all three entities (the customers again: RedactAll is
// idempotent).
func TestWebhookShopRedactFailsMidway(t *testing.T) {
	red := &flakyShopRedactor{failEntity: kontor.EntityOrder, failures: 1}
	c, _ := newTestClient(t, http.NotFoundHandler())
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), red.handle, WithRedactor(red))
	require.NoError(t, err)

	d := delivery{topic: "shop/redact", webhookID: "sr-1", eventID: "se-1", body: shopRedactBody}
	require.Equal(t, http.StatusInternalServerError, deliver(t, h, d))
	assert.Equal(t, []redaction{{entity: kontor.EntityCustomer, reason: "shop/redact", all: true}}, red.redactions(),
		"it stops at the failure")

	require.Equal(t, http.StatusOK, deliver(t, h, d))
	assert.Equal(t, []redaction{
		{entity: kontor.EntityCustomer, reason: "shop/redact", all: true},
		{entity: kontor.EntityCustomer, reason: "shop/redact", all: true},
		{entity: kontor.EntityOrder, reason: "shop/redact", all: true},
		{entity: kontor.EntityReturn, reason: "shop/redact", all: true},
	}, red.redactions())

	// Done: a repeat of the delivery is a duplicate.
	require.Equal(t, http.StatusOK, deliver(t, h, d))
	assert.Len(t, red.redactions(), 4)
	assert.Empty(t, red.got(), "erasures are not events")
}

// TestWebhookShopRedactErasesEngineStore: with the engine as Redactor, a
// shop/redact delivery erases the customers', orders' and returns' dead
// letters (each holding a canary e-mail address) and keeps a product's;
// the audit trail records three erasures, naming no key.
func TestWebhookShopRedactErasesEngineStore(t *testing.T) {
	const canary = "canary.buyer@example.com"
	ctx := context.Background()
	st := store.NewMemory()
	var engineLogs strings.Builder
	eng := syncer.New(st, syncer.WithLogger(newTextLogger(&engineLogs)))
	personal := []byte(`{"email":"` + canary + `"}`)
	for _, dl := range []store.DeadLetter{
		{Flow: "customers", Entity: kontor.EntityCustomer, Key: "207119551", Class: store.ClassValidation, Payload: personal},
		{Flow: "orders", Entity: kontor.EntityOrder, Key: "#1001", Class: store.ClassMapping, Payload: personal},
		{Flow: "returns", Entity: kontor.EntityReturn, Key: "#1001-R1", Class: store.ClassTransient, Payload: personal},
		{Flow: "products", Entity: kontor.EntityProduct, Key: "SKU-1", Class: store.ClassPermanent, Payload: []byte(`{"sku":"SKU-1"}`)},
	} {
		_, err := st.AddDeadLetter(ctx, dl)
		require.NoError(t, err)
	}
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityCustomer, Key: "207119551", ShopKey: "gid://shopify/Customer/207119551"}}))

	c, _ := newTestClient(t, http.NotFoundHandler())
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets(webhookSecret), eng.Events(c), WithRedactor(eng))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, deliver(t, h, delivery{topic: "shop/redact", webhookID: "sr-1", body: shopRedactBody}))

	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, kontor.EntityProduct, dls[0].Entity)
	for _, dl := range dls {
		assert.NotContains(t, string(dl.Payload), canary)
	}
	l, err := st.Links(ctx, kontor.EntityCustomer, []string{"207119551"})
	require.NoError(t, err)
	assert.False(t, l[0].Found)

	recs, err := st.Audit(ctx, store.AuditFilter{Flow: "redact"})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	for i, e := range []kontor.Entity{kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityReturn} {
		assert.Equal(t, e, recs[i].Entity)
		assert.Equal(t, store.OpRedact, recs[i].Op)
		assert.True(t, strings.HasPrefix(recs[i].Error, "shop/redact: erased all: 1 dead letters"), recs[i].Error)
	}
	assert.Equal(t, "shop/redact: erased all: 1 dead letters, 0 inbox payloads, 1 links, 0 audit keys", recs[0].Error)
	assert.NotContains(t, engineLogs.String(), canary)
	assert.NotContains(t, engineLogs.String(), "207119551")
}
