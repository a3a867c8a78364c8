package syncer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	redactCanary = "canary-redact@example.com"
	redactReason = "shopify customers/redact"
	custKey      = "CUST-K"
)

// personalKeys are the canary and the keys of the person being erased:
// none may be left in the store's records, the erasure's audit record or
// its logs.
var personalKeys = []string{redactCanary, custKey, "ORD-A1", "ORD-A2"}

// holdsPersonal returns where st still holds any of personalKeys: dead
// letters, pending events and audit records.
func holdsPersonal(t *testing.T, st store.Store) []string {
	t.Helper()
	ctx := context.Background()
	var found []string
	has := func(texts ...string) bool {
		for _, p := range personalKeys {
			for _, s := range texts {
				if strings.Contains(s, p) {
					return true
				}
			}
		}
		return false
	}
	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	for _, dl := range dls {
		if has(dl.Key, dl.Error, string(dl.Payload)) {
			found = append(found, "dead letter "+dl.Flow)
		}
	}
	evs, err := st.PendingInbox(ctx, 0)
	require.NoError(t, err)
	for _, ev := range evs {
		if has(ev.Key, string(ev.Payload)) {
			found = append(found, "event "+ev.ID)
		}
	}
	recs, err := st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	for _, r := range recs {
		if has(r.Key, r.Error) {
			found = append(found, "audit record of "+r.Flow)
		}
	}
	return found
}

// TestRedactErasesCustomerAndOrders: a customer asks to be forgotten. Her
// two orders failed in the ERP (dead letters holding her e-mail address),
// their events are in the inbox, one update still pending, and a customers
// flow left a dead letter, an event, a link and audit records of her. After
// Redact of the customer and of her orders, the store holds none of it,
// redeliveries are still dropped, another customer's records are kept,
// and neither the audit trail nor the log names her.
func TestRedactErasesCustomerAndOrders(t *testing.T) {
	ctx := context.Background()
	var logs syncLog
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	st := store.NewMemory()
	cust := kontor.EntityCustomer
	require.NoError(t, st.PutLinks(ctx, []store.Link{
		{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"},
		{Entity: cust, Key: custKey, ERPKey: "D-7", ShopKey: "gid://shopify/Customer/7"},
		{Entity: cust, Key: "CUST-OTHER", ERPKey: "D-8"},
	}))
	s, _ := newTestSyncer(t, st, WithLogger(newJSONLogger(&logs)))
	require.NoError(t, s.Add(Orders(shop, erp)))

	hers := func(number string) kontor.Order {
		o := order(number, 1, "SKU-1")
		o.Customer.Email = redactCanary
		return o
	}
	blocked := kontor.NewError(kontor.KindValidation, "erp", errors.New("customer blocked"))
	erp.failKeys["ORD-A1"], erp.failKeys["ORD-A2"] = blocked, blocked
	a1 := mustJSON(t, hers("ORD-A1"))
	for _, ev := range []Event{
		{ID: "d-a1", Key: "ORD-A1", Payload: a1},
		{ID: "d-a2", Key: "ORD-A2", Payload: mustJSON(t, hers("ORD-A2"))},
		{ID: "d-b3", Key: "ORD-B3", Payload: mustJSON(t, order("ORD-B3", 1, "SKU-1"))},
	} {
		ev.Topic = "orders/create"
		require.NoError(t, s.Notify(ctx, "orders", ev))
	}
	rep, err := s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	require.Equal(t, 1, rep.Created)
	require.Equal(t, 2, rep.DeadLettered)
	// An update of one of her orders is still pending when she asks.
	update := hers("ORD-A2")
	update.Note = "please ring twice"
	require.NoError(t, s.Notify(ctx, "orders", Event{ID: "d-a2-update", Topic: "orders/updated", Key: "ORD-A2", Payload: mustJSON(t, update)}))
	// A customers flow (of another process) left her records too, and
	// another customer's.
	_, err = st.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: cust, Key: custKey, Class: store.ClassValidation,
		Error: "customer: email: invalid", Payload: []byte(`{"key":"` + custKey + `","email":"` + redactCanary + `"}`)})
	require.NoError(t, err)
	_, err = st.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: cust, Key: "CUST-OTHER", Class: store.ClassTransient,
		Error: "timeout", Payload: []byte(`{"email":"other@example.org"}`)})
	require.NoError(t, err)
	_, err = st.AddInbox(ctx, store.InboxEvent{Source: "customers", ID: "c-1", PayloadHash: 77, Topic: "customers/update",
		Entity: cust, Key: custKey, Payload: []byte(`{"email":"` + redactCanary + `"}`)})
	require.NoError(t, err)
	require.NoError(t, st.AppendAudit(ctx, []store.AuditRecord{{Flow: "customers", Entity: cust, Key: custKey, Target: kontor.SideERP,
		Op: store.OpUpdate, Before: 0xA, After: 0xB, Outcome: kontor.Failed, Error: "customer " + custKey + ": email: invalid"}}))
	before, err := st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.NotEmpty(t, holdsPersonal(t, st), "the test plants personal data")
	logged := len(logs.String())

	require.NoError(t, s.Redact(ctx, cust, []string{custKey}, redactReason))
	require.NoError(t, s.Redact(ctx, kontor.EntityOrder, []string{"ORD-A1", "ORD-A2"}, redactReason))

	assert.Empty(t, holdsPersonal(t, st))
	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, "CUST-OTHER", dls[0].Key)
	assert.JSONEq(t, `{"email":"other@example.org"}`, string(dls[0].Payload))

	// The pending events stay pending, without payload or key.
	pending, err := st.PendingInbox(ctx, 0)
	require.NoError(t, err)
	require.Len(t, pending, 2)
	for _, ev := range pending {
		assert.Empty(t, ev.Payload, ev.ID)
		assert.Empty(t, ev.Key, ev.ID)
	}
	// Redeliveries of her erased events are still dropped: by id, and by
	// payload under a new id.
	require.NoError(t, s.Notify(ctx, "orders", Event{ID: "d-a1", Topic: "orders/create", Key: "ORD-A1", Payload: a1}))
	require.NoError(t, s.Notify(ctx, "orders", Event{ID: "d-a1-again", Topic: "orders/create", Key: "ORD-A1", Payload: a1}))
	again, err := st.PendingInbox(ctx, 0)
	require.NoError(t, err)
	assert.Len(t, again, 2, "a redelivery of an erased event is a duplicate")
	// The erased pending update makes the flow sweep; nothing fails.
	rep, err = s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	assert.Zero(t, rep.DeadLettered)
	assert.Empty(t, holdsPersonal(t, st))

	// Her link is gone from both sides; the others stay.
	ls, err := st.Links(ctx, cust, []string{custKey, "CUST-OTHER"})
	require.NoError(t, err)
	assert.False(t, ls[0].Found)
	assert.True(t, ls[1].Found)
	_, err = st.LinkByRemote(ctx, cust, kontor.SideShop, "gid://shopify/Customer/7")
	assert.ErrorIs(t, err, store.ErrNotFound)
	l, err := st.Links(ctx, kontor.EntityOrder, []string{"ORD-B3"})
	require.NoError(t, err)
	assert.True(t, l[0].Found, "another customer's order keeps its link")

	// The audit trail keeps every record, Seq and fingerprint, and adds
	// one record per erasure, naming no key.
	recs, err := st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, recs, len(before)+2)
	for i, b := range before {
		r := recs[i]
		assert.Equal(t, b.Seq, r.Seq)
		assert.Equal(t, [2]uint64{b.Before, b.After}, [2]uint64{r.Before, r.After})
		assert.Equal(t, b.Outcome, r.Outcome)
		if b.Key == custKey || strings.HasPrefix(b.Key, "ORD-A") {
			assert.Equal(t, store.RedactedKey(b.Flow, b.Seq), r.Key)
		} else {
			assert.Equal(t, b.Key, r.Key)
		}
	}
	erasures := recs[len(before):]
	assert.Equal(t, store.AuditRecord{Seq: erasures[0].Seq, Flow: "redact", Entity: cust, Key: "redacted", Op: store.OpRedact,
		Outcome: kontor.Updated, At: erasures[0].At,
		Error: redactReason + ": erased 1 dead letters, 1 inbox payloads, 1 links, 1 audit keys"}, erasures[0])
	// Her orders: two dead letters, three events (two handled, the
	// pending update), no links (they never reached the ERP), the two
	// failed writes' records.
	assert.Equal(t, kontor.EntityOrder, erasures[1].Entity)
	assert.Equal(t, redactReason+": erased 2 dead letters, 3 inbox payloads, 0 links, 2 audit keys", erasures[1].Error)

	out := logs.String()
	erasureLog := out[logged:]
	assert.Contains(t, erasureLog, `"msg":"syncer: personal data erased"`)
	assert.Contains(t, erasureLog, `"dead_letters":2`)
	assert.Contains(t, erasureLog, `"reason":"shopify customers/redact"`)
	for _, p := range personalKeys {
		assert.NotContains(t, erasureLog, p)
	}
	assert.NotContains(t, out, redactCanary, "no log line ever held her e-mail address")
}

// TestRedactRepeated: a retried erasure finds nothing more and records so.
func TestRedactRepeated(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	_, err := st.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: kontor.EntityCustomer, Key: custKey, Payload: []byte(redactCanary)})
	require.NoError(t, err)
	for range 2 {
		require.NoError(t, s.Redact(ctx, kontor.EntityCustomer, []string{custKey}, redactReason))
	}
	recs, err := st.Audit(ctx, store.AuditFilter{Flow: "redact"})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, kontor.Updated, recs[0].Outcome)
	assert.Equal(t, kontor.Unchanged, recs[1].Outcome)
	assert.Equal(t, redactReason+": erased 0 dead letters, 0 inbox payloads, 0 links, 0 audit keys", recs[1].Error)

	// No keys: nothing to do, nothing recorded.
	require.NoError(t, s.Redact(ctx, kontor.EntityCustomer, nil, redactReason))
	recs, err = st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	assert.Len(t, recs, 2)
}

// TestRedactRefusesBadInput: a reason that is empty or quotes a key, and
// an empty entity or key, are refused before anything is erased, with
// errors that quote no key.
func TestRedactRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	var logs syncLog
	s, _ := newTestSyncer(t, st, WithLogger(newJSONLogger(&logs)))
	_, err := st.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: kontor.EntityCustomer, Key: redactCanary, Payload: []byte(redactCanary)})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		entity kontor.Entity
		keys   []string
		reason string
	}{
		{"an empty reason", kontor.EntityCustomer, []string{redactCanary}, " "},
		{"a reason quoting the key", kontor.EntityCustomer, []string{"CUST-1", redactCanary}, "erasure request of " + redactCanary},
		{"an empty entity", "", []string{redactCanary}, redactReason},
		{"an empty key", kontor.EntityCustomer, []string{redactCanary, ""}, redactReason},
	} {
		err := s.Redact(ctx, tc.entity, tc.keys, tc.reason)
		require.Error(t, err, tc.name)
		assert.ErrorIs(t, err, kontor.ErrValidation, tc.name)
		assert.NotContains(t, err.Error(), redactCanary, tc.name)
	}
	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Len(t, dls, 1, "nothing was erased")
	recs, err := st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, recs, "no erasure was recorded")
	assert.NotContains(t, logs.String(), redactCanary)
}

// failingRedact is a store whose erasure, or whose audit append, fails.
type failingRedact struct {
	store.Store
	redactErr, auditErr error
}

func (f failingRedact) Redact(ctx context.Context, e kontor.Entity, keys []string) (store.RedactCounts, error) {
	if f.redactErr != nil {
		return store.RedactCounts{}, f.redactErr
	}
	return f.Store.Redact(ctx, e, keys)
}

func (f failingRedact) RedactAll(ctx context.Context, e kontor.Entity) (store.RedactCounts, error) {
	if f.redactErr != nil {
		return store.RedactCounts{}, f.redactErr
	}
	return f.Store.RedactAll(ctx, e)
}

func (f failingRedact) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	if f.auditErr != nil {
		return f.auditErr
	}
	return f.Store.AppendAudit(ctx, recs)
}

// TestRedactStoreFailures: a failed erasure is returned and logged, and
// records nothing; an erasure whose audit record fails is done, and the
// caller hears of the lost record. Neither log names a key.
func TestRedactStoreFailures(t *testing.T) {
	ctx := context.Background()
	down := kontor.NewError(kontor.KindRetryable, "store Redact", errors.New("connection reset"))
	mem := store.NewMemory()
	_, err := mem.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: kontor.EntityCustomer, Key: custKey, Payload: []byte(redactCanary)})
	require.NoError(t, err)

	var logs syncLog
	s, _ := newTestSyncer(t, failingRedact{Store: mem, redactErr: down}, WithLogger(newJSONLogger(&logs)))
	err = s.Redact(ctx, kontor.EntityCustomer, []string{custKey}, redactReason)
	require.ErrorIs(t, err, down)
	assert.True(t, kontor.IsRetryable(err))
	recs, err := mem.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, recs)
	assert.Contains(t, logs.String(), `"msg":"syncer: erasure failed"`)

	full := errors.New("disk full")
	s, _ = newTestSyncer(t, failingRedact{Store: mem, auditErr: full}, WithLogger(newJSONLogger(&logs)))
	err = s.Redact(ctx, kontor.EntityCustomer, []string{custKey}, redactReason)
	require.ErrorIs(t, err, full)
	assert.Contains(t, err.Error(), "personal data erased")
	dls, err := mem.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Empty(t, dls, "the erasure stands")
	assert.Contains(t, logs.String(), `"dead_letters":1`)
	for _, p := range personalKeys {
		assert.NotContains(t, logs.String(), p)
	}
}

// TestRedactAllErasesEntity: a shop removed the app, and shop/redact asks
// to erase all its customers. Two customers' dead letters, events, links
// and audit records, and an event that came without a key, hold the
// canary; so do a product's dead letter and event. RedactAll of the
// customers leaves no customer record holding it, keeps the product's,
// records the erasure naming no key, and logs nothing personal. Repeated,
// it erases nothing more and records so.
func TestRedactAllErasesEntity(t *testing.T) {
	ctx := context.Background()
	var logs syncLog
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st, WithLogger(newJSONLogger(&logs)))
	cust, prod := kontor.EntityCustomer, kontor.EntityProduct
	personal := []byte(`{"email":"` + redactCanary + `"}`)
	for _, dl := range []store.DeadLetter{
		{Flow: "customers", Entity: cust, Key: custKey, Class: store.ClassValidation, Error: "customer: email: invalid", Payload: personal},
		{Flow: "customers", Entity: cust, Key: "CUST-OTHER", Class: store.ClassTransient, Error: "timeout", Payload: personal},
		{Flow: "products", Entity: prod, Key: "SKU-1", Class: store.ClassPermanent, Error: "refused", Payload: personal},
	} {
		_, err := st.AddDeadLetter(ctx, dl)
		require.NoError(t, err)
	}
	for _, ev := range []store.InboxEvent{
		{Source: "shopify", ID: "c-1", PayloadHash: 71, Topic: "customers/update", Entity: cust, Key: custKey, Payload: personal},
		{Source: "shopify", ID: "c-2", PayloadHash: 72, Topic: "customers/update", Entity: cust, Payload: personal},
		{Source: "erp", ID: "p-1", PayloadHash: 73, Topic: "item", Entity: prod, Key: "SKU-1", Payload: personal},
	} {
		_, err := st.AddInbox(ctx, ev)
		require.NoError(t, err)
	}
	require.NoError(t, st.PutLinks(ctx, []store.Link{
		{Entity: cust, Key: custKey, ShopKey: "gid://shopify/Customer/7"},
		{Entity: cust, Key: "CUST-OTHER", ShopKey: "gid://shopify/Customer/8"},
		{Entity: prod, Key: "SKU-1", ERPKey: "I-1"},
	}))
	require.NoError(t, st.AppendAudit(ctx, []store.AuditRecord{
		{Flow: "customers", Entity: cust, Key: custKey, Target: kontor.SideERP, Op: store.OpUpdate, Outcome: kontor.Failed,
			Error: "customer " + custKey + ": email: invalid"},
		{Flow: "products", Entity: prod, Key: "SKU-1", Target: kontor.SideShop, Op: store.OpUpdate, Outcome: kontor.Updated},
	}))
	require.Len(t, holdsPersonal(t, st), 7, "the test plants the canary")
	logged := len(logs.String())

	require.NoError(t, s.RedactAll(ctx, cust, "shopify shop/redact"))

	assert.Equal(t, []string{"dead letter products", "event p-1"}, holdsPersonal(t, st),
		"no customer record holds the canary; the product's still do")
	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, prod, dls[0].Entity)
	assert.Equal(t, personal, dls[0].Payload, "another entity's dead letter is kept whole")
	pending, err := st.PendingInbox(ctx, 0)
	require.NoError(t, err)
	require.Len(t, pending, 3)
	for _, ev := range pending {
		if ev.Entity == prod {
			assert.Equal(t, personal, ev.Payload, ev.ID)
			continue
		}
		assert.Empty(t, ev.Payload, ev.ID)
		assert.Empty(t, ev.Key, ev.ID)
	}
	ls, err := st.Links(ctx, cust, []string{custKey, "CUST-OTHER"})
	require.NoError(t, err)
	assert.False(t, ls[0].Found)
	assert.False(t, ls[1].Found)
	l, err := st.Links(ctx, prod, []string{"SKU-1"})
	require.NoError(t, err)
	assert.True(t, l[0].Found)

	recs, err := st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, store.RedactedKey("customers", 1), recs[0].Key)
	assert.Equal(t, "SKU-1", recs[1].Key)
	assert.Equal(t, store.AuditRecord{Seq: 3, Flow: "redact", Entity: cust, Key: "redacted", Op: store.OpRedact,
		Outcome: kontor.Updated, At: recs[2].At,
		Error: "shopify shop/redact: erased all: 2 dead letters, 2 inbox payloads, 2 links, 1 audit keys"}, recs[2])

	erasureLog := logs.String()[logged:]
	assert.Contains(t, erasureLog, `"msg":"syncer: personal data erased"`)
	assert.Contains(t, erasureLog, `"keys":"all"`)
	assert.Contains(t, erasureLog, `"dead_letters":2`)
	for _, p := range personalKeys {
		assert.NotContains(t, erasureLog, p)
	}

	// Again: nothing more, recorded as unchanged.
	require.NoError(t, s.RedactAll(ctx, cust, "shopify shop/redact"))
	recs, err = st.Audit(ctx, store.AuditFilter{Flow: "redact"})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, kontor.Unchanged, recs[1].Outcome)
	assert.Equal(t, "shopify shop/redact: erased all: 0 dead letters, 0 inbox payloads, 0 links, 0 audit keys", recs[1].Error)
}

// TestRedactAllRefusesBadInput: an empty reason or entity is refused
// before anything is erased, and nothing is recorded.
func TestRedactAllRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	_, err := st.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: kontor.EntityCustomer, Key: custKey, Payload: []byte(redactCanary)})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		entity kontor.Entity
		reason string
	}{
		{"an empty reason", kontor.EntityCustomer, " "},
		{"an empty entity", "", redactReason},
	} {
		err := s.RedactAll(ctx, tc.entity, tc.reason)
		require.Error(t, err, tc.name)
		assert.ErrorIs(t, err, kontor.ErrValidation, tc.name)
	}
	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Len(t, dls, 1, "nothing was erased")
	recs, err := st.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, recs, "no erasure was recorded")
}

// TestRedactAllStoreFailure: a failed erasure is returned, retryable as
// the store said, logged, and records nothing.
func TestRedactAllStoreFailure(t *testing.T) {
	ctx := context.Background()
	down := kontor.NewError(kontor.KindRetryable, "store RedactAll", errors.New("connection reset"))
	mem := store.NewMemory()
	_, err := mem.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: kontor.EntityCustomer, Key: custKey, Payload: []byte(redactCanary)})
	require.NoError(t, err)
	var logs syncLog
	s, _ := newTestSyncer(t, failingRedact{Store: mem, redactErr: down}, WithLogger(newJSONLogger(&logs)))
	err = s.RedactAll(ctx, kontor.EntityCustomer, redactReason)
	require.ErrorIs(t, err, down)
	assert.True(t, kontor.IsRetryable(err))
	recs, err := mem.Audit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	assert.Empty(t, recs)
	dls, err := mem.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Len(t, dls, 1)
	assert.Contains(t, logs.String(), `"msg":"syncer: erasure failed"`)
	assert.NotContains(t, logs.String(), redactCanary)
}
