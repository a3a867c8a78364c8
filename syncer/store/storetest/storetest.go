// Package storetest is the conformance suite of store.Store. Every store
// (memory, SQLite, PostgreSQL) runs it from its tests, so the engine can rely
// on one contract whichever store holds its state:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newTestStore(t) })
//	}
//
// Besides what the store.Store doc comments say, the suite holds every store
// to these rules, so the engine never depends on which store it has:
//
//   - A flow, an item key, a link's entity, an event's source and ID, an
//     idempotency key and an audit record's flow and key are required; a
//     missing one is an error matching kontor.ErrValidation, and a batch
//     holding one is rejected whole. FinishWrite takes only the WriteStates.
//   - An event's PayloadHash of 0 means "not hashed": it deduplicates by ID
//     only. A handled event still catches its duplicates. MarkInboxDone of
//     an event never added is ErrNotFound. PendingInbox breaks ReceivedAt
//     ties in the order added; a limit of 0 returns all.
//   - A remote key belongs to one link of an entity: a link that takes it
//     takes it from the link that held it.
//   - Dead letter IDs increase and are never reused, not even the newest
//     after its delete. A new dead letter has max(1, Attempts) attempts; each
//     repeat adds one.
//   - Audit Seqs run 1, 2, 3, ... without gaps, under concurrent appends too;
//     a Seq given is ignored.
//   - Redact matches dead letters, inbox events, links and audit records by
//     entity and key exactly. After it, no dead letter, pending event or
//     audit record holds the erased data (the suite plants a canary e-mail
//     address), an erased event still catches its redeliveries, by id and
//     by payload hash, the erased links' remote keys are free, and the audit
//     trail keeps every Seq, fingerprint, outcome and time. Keys that match
//     nothing, and a repeated erasure, give zero counts.
//   - RedactAll erases the same of every key of one entity, and the
//     payloads of its events that came without a key; another entity's
//     records, the canary in their payloads included, are untouched. It
//     leaves audit records already erased and the records of erasures
//     (OpRedact) as they are, so a repeated RedactAll gives zero counts.
//   - Zero times are stamped: link UpdatedAt, event ReceivedAt, dead letter
//     LastFailed (and a new one's FirstFailed), audit At.
//   - A method given a done context returns its error and writes nothing.
//   - Error texts never hold an item's key: a customer's key may be its
//     e-mail address.
//
// Times in the suite are truncated to microseconds and compared with
// time.Time.Equal: a store may drop the monotonic reading and the location,
// and a SQL store may keep only microseconds. Times a store stamps itself are
// checked against the wall clock with a tolerance of a minute, so a database
// clock may stamp them.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Check is one contract of store.Store, run against a fresh, empty store.
// Checks are exported so a test can run a single one, or run them against a
// store expected to fail.
type Check struct {
	Name string // "Area/Contract", e.g. "Write/BeginReturnsFirstKey"
	Fn   func(t testing.TB, s store.Store)
}

// Checks returns the whole suite, in the order Run runs it.
func Checks() []Check {
	return []Check{
		{"Cursor/UnknownFlowIsZero", cursorUnknownFlowIsZero},
		{"Cursor/RoundTrip", cursorRoundTrip},
		{"Cursor/PerFlow", cursorPerFlow},

		{"States/UnknownKeys", statesUnknownKeys},
		{"States/AlignedWithKeys", statesAlignedWithKeys},
		{"States/Replace", statesReplace},
		{"States/PerFlow", statesPerFlow},
		{"States/LargeBatch", statesLargeBatch},

		{"Links/UnknownKeys", linksUnknownKeys},
		{"Links/Merge", linksMerge},
		{"Links/ByRemote", linksByRemote},
		{"Links/RemoteKeyChange", linksRemoteKeyChange},
		{"Links/RemoteKeyMoves", linksRemoteKeyMoves},
		{"Links/PerEntity", linksPerEntity},
		{"Links/StampsUpdatedAt", linksStampsUpdatedAt},

		{"Inbox/RoundTrip", inboxRoundTrip},
		{"Inbox/DedupeByID", inboxDedupeByID},
		{"Inbox/DedupeByPayloadHash", inboxDedupeByPayloadHash},
		{"Inbox/ConcurrentAddOnce", inboxConcurrentAddOnce},
		{"Inbox/MarkDone", inboxMarkDone},
		{"Inbox/PendingOrderAndLimit", inboxPendingOrderAndLimit},
		{"Inbox/StampsReceivedAt", inboxStampsReceivedAt},

		{"Write/BeginCreatesPending", writeBeginCreatesPending},
		{"Write/BeginReturnsFirstKey", writeBeginReturnsFirstKey},
		{"Write/RecordIdentity", writeRecordIdentity},
		{"Write/ConcurrentBegin", writeConcurrentBegin},
		{"Write/Finish", writeFinish},

		{"DeadLetters/Add", deadLettersAdd},
		{"DeadLetters/Upsert", deadLettersUpsert},
		{"DeadLetters/Filters", deadLettersFilters},
		{"DeadLetters/OrderAndLimit", deadLettersOrderAndLimit},
		{"DeadLetters/Delete", deadLettersDelete},

		{"Audit/Append", auditAppend},
		{"Audit/ConcurrentSeq", auditConcurrentSeq},
		{"Audit/Filters", auditFilters},

		{"Redact/Erases", redactErases},
		{"Redact/UnknownKeys", redactUnknownKeys},
		{"Redact/Rejected", redactRejected},
		{"RedactAll/Erases", redactAllErases},
		{"RedactAll/Nothing", redactAllNothing},
		{"RedactAll/Rejected", redactAllRejected},

		{"Context/Cancelled", contextCancelled},
		{"Copies/Payloads", copiesPayloads},
		{"Copies/Inputs", copiesInputs},
		{"Validation/Rejected", validationRejected},
		{"Errors/NoPersonalData", errorsNoPersonalData},
	}
}

// Run runs the conformance suite against stores made by newStore; each
// subtest gets a fresh, empty store.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	for _, c := range Checks() {
		t.Run(c.Name, func(t *testing.T) { c.Fn(t, newStore(t)) })
	}
}

// base is the suite's reference time: microseconds only, not in UTC, so a
// store must keep the instant but may drop the location.
var base = time.Date(2025, 3, 1, 9, 30, 0, 123456000, time.FixedZone("CET", 3600))

func at(d time.Duration) time.Time { return base.Add(d) }

// stampTolerance is how far a time a store stamps may be from the wall
// clock around the call.
const stampTolerance = time.Minute

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantNotFound(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) || !errors.Is(err, kontor.ErrNotFound) {
		t.Errorf("%s: error %v, want one matching store.ErrNotFound and kontor.ErrNotFound", what, err)
	}
}

func wantValidation(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, kontor.ErrValidation) {
		t.Errorf("%s: error %v, want one matching kontor.ErrValidation", what, err)
	}
}

func sameTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// stamped checks that a store stamped a time while the clock ran from
// before to after.
func stamped(t testing.TB, what string, got, before, after time.Time) {
	t.Helper()
	if got.IsZero() || got.Before(before.Add(-stampTolerance)) || got.After(after.Add(stampTolerance)) {
		t.Errorf("%s = %v, want a stamp between %v and %v", what, got, before, after)
	}
}

// --- cursors ---

func cursorUnknownFlowIsZero(t testing.TB, s store.Store) {
	c, err := s.Cursor(t.Context(), "products")
	must(t, err)
	if c.Token != "" || !c.Since.IsZero() {
		t.Errorf("Cursor of a flow that never ran = %+v, want the zero Cursor", c)
	}
}

func cursorRoundTrip(t testing.TB, s store.Store) {
	ctx := t.Context()
	for i, want := range []kontor.Cursor{
		{Since: at(0), Token: "page-7"},
		{Token: "seq-8"},
		{Since: at(time.Hour)},
	} {
		must(t, s.SetCursor(ctx, "products", want))
		got, err := s.Cursor(ctx, "products")
		must(t, err)
		if got.Token != want.Token {
			t.Errorf("cursor %d: Token = %q, want %q", i, got.Token, want.Token)
		}
		sameTime(t, fmt.Sprintf("cursor %d: Since", i), got.Since, want.Since)
	}
}

func cursorPerFlow(t testing.TB, s store.Store) {
	ctx := t.Context()
	must(t, s.SetCursor(ctx, "products", kontor.Cursor{Since: at(0), Token: "p"}))
	must(t, s.SetCursor(ctx, "stock", kontor.Cursor{Since: at(time.Minute), Token: "s"}))
	for _, tc := range []struct {
		flow  string
		token string
		since time.Time
	}{{"products", "p", at(0)}, {"stock", "s", at(time.Minute)}, {"orders", "", time.Time{}}} {
		got, err := s.Cursor(ctx, tc.flow)
		must(t, err)
		if got.Token != tc.token {
			t.Errorf("Cursor(%s).Token = %q, want %q", tc.flow, got.Token, tc.token)
		}
		sameTime(t, "Cursor("+tc.flow+").Since", got.Since, tc.since)
	}
}

// --- item states ---

// wantStates compares States' result with want, field by field.
func wantStates(t testing.TB, what string, got, want []store.ItemState) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d states, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key != w.Key || g.Found != w.Found || g.Fingerprint != w.Fingerprint || g.Version != w.Version || !g.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("%s[%d] = %+v, want %+v", what, i, g, w)
		}
	}
}

func statesUnknownKeys(t testing.TB, s store.Store) {
	ctx := t.Context()
	got, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	wantStates(t, "States of unknown keys", got, []store.ItemState{{Key: "SKU-1"}, {Key: "SKU-2"}})
	got, err = s.States(ctx, "products", nil)
	must(t, err)
	if len(got) != 0 {
		t.Errorf("States of no keys = %d states, want 0", len(got))
	}
	must(t, s.PutStates(ctx, "products", nil))
}

func statesAlignedWithKeys(t testing.TB, s store.Store) {
	ctx := t.Context()
	s1 := store.ItemState{Key: "SKU-1", Found: true, Fingerprint: 0xA1, Version: 11, UpdatedAt: at(1 * time.Second)}
	s2 := store.ItemState{Key: "SKU-2", Found: true, Fingerprint: 0xA2, Version: 12, UpdatedAt: at(2 * time.Second)}
	s3 := store.ItemState{Key: "SKU-3", Found: true, Fingerprint: 0xFFFFFFFFFFFFFFFF, Version: 13, UpdatedAt: at(3 * time.Second)}
	// Keys of every length, and keys that differ only at the end.
	k23 := store.ItemState{Key: "SKU-23-bytes-long-00001", Found: true, Fingerprint: 23}
	k24 := store.ItemState{Key: "SKU-24-bytes-long-000001", Found: true, Fingerprint: 24}
	long := store.ItemState{Key: strings.Repeat("long-key-", 20) + "1", Found: true, Fingerprint: 180, Version: 1}
	utf8 := store.ItemState{Key: "Größe-XL-Ärmel-ß", Found: true, Fingerprint: 8}
	must(t, s.PutStates(ctx, "products", []store.ItemState{s2, s3, s1, k23, k24, long, utf8}))
	got, err := s.States(ctx, "products", []string{
		"SKU-3", "SKU-9", "SKU-1", "SKU-3", "SKU-2", "SKU-1",
		long.Key, long.Key[:len(long.Key)-1] + "2", k24.Key, k23.Key, k23.Key[:22] + "2", k24.Key[:23] + "2", utf8.Key, "SKU", "SKU-10",
	})
	must(t, err)
	wantStates(t, "States", got, []store.ItemState{
		s3, {Key: "SKU-9"}, s1, s3, s2, s1,
		long, {Key: long.Key[:len(long.Key)-1] + "2"}, k24, k23, {Key: k23.Key[:22] + "2"}, {Key: k24.Key[:23] + "2"}, utf8, {Key: "SKU"}, {Key: "SKU-10"},
	})
}

func statesReplace(t testing.TB, s store.Store) {
	ctx := t.Context()
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1, Version: 5, UpdatedAt: at(0)}}))
	newer := store.ItemState{Key: "SKU-1", Found: true, Fingerprint: 2, Version: 6, UpdatedAt: at(time.Minute)}
	must(t, s.PutStates(ctx, "products", []store.ItemState{newer}))
	got, err := s.States(ctx, "products", []string{"SKU-1"})
	must(t, err)
	wantStates(t, "States after a replace", got, []store.ItemState{newer})

	// Within a batch, the later state of a key wins.
	must(t, s.PutStates(ctx, "products", []store.ItemState{
		{Key: "SKU-2", Fingerprint: 20}, {Key: "SKU-1", Fingerprint: 10}, {Key: "SKU-2", Fingerprint: 21}, {Key: "SKU-1", Fingerprint: 11},
	}))
	got, err = s.States(ctx, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	wantStates(t, "States after a batch that holds each key twice", got, []store.ItemState{
		{Key: "SKU-1", Found: true, Fingerprint: 11}, {Key: "SKU-2", Found: true, Fingerprint: 21},
	})

	// A state with no version and no time is still a state.
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 3}}))
	got, err = s.States(ctx, "products", []string{"SKU-1"})
	must(t, err)
	wantStates(t, "States after a replace with zero version and time", got, []store.ItemState{{Key: "SKU-1", Found: true, Fingerprint: 3}})
}

func statesPerFlow(t testing.TB, s store.Store) {
	ctx := t.Context()
	a := store.ItemState{Key: "SKU-1", Found: true, Fingerprint: 1, Version: 1, UpdatedAt: at(0)}
	b := store.ItemState{Key: "SKU-1", Found: true, Fingerprint: 2, Version: 2, UpdatedAt: at(time.Hour)}
	must(t, s.PutStates(ctx, "products", []store.ItemState{a}))
	must(t, s.PutStates(ctx, "prices", []store.ItemState{b}))
	for _, tc := range []struct {
		flow string
		want store.ItemState
	}{{"products", a}, {"prices", b}, {"stock", store.ItemState{Key: "SKU-1"}}} {
		got, err := s.States(ctx, tc.flow, []string{"SKU-1"})
		must(t, err)
		wantStates(t, "States("+tc.flow+")", got, []store.ItemState{tc.want})
	}
}

func statesLargeBatch(t testing.TB, s store.Store) {
	ctx := t.Context()
	const n = 10000
	put := make([]store.ItemState, n)
	keys := make([]string, n+1)
	for i := range put {
		put[i] = store.ItemState{Key: fmt.Sprintf("SKU-%05d", i), Found: true, Fingerprint: uint64(i) * 7919, Version: int64(i), UpdatedAt: at(time.Duration(i) * time.Second)}
		keys[n-1-i] = put[i].Key
	}
	keys[n] = "SKU-unknown"
	must(t, s.PutStates(ctx, "products", put))
	got, err := s.States(ctx, "products", keys)
	must(t, err)
	want := make([]store.ItemState, 0, n+1)
	for i := n - 1; i >= 0; i-- {
		want = append(want, put[i])
	}
	want = append(want, store.ItemState{Key: "SKU-unknown"})
	wantStates(t, "States of 10,000 keys", got, want)
}

// --- links ---

func wantLink(t testing.TB, what string, got, want store.Link) {
	t.Helper()
	if got.Entity != want.Entity || got.Key != want.Key || got.ERPKey != want.ERPKey || got.ShopKey != want.ShopKey || got.Found != want.Found {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	if !want.UpdatedAt.IsZero() {
		sameTime(t, what+".UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	}
}

func linkOf(t testing.TB, s store.Store, entity kontor.Entity, key string) store.Link {
	t.Helper()
	ls, err := s.Links(t.Context(), entity, []string{key})
	must(t, err)
	if len(ls) != 1 {
		t.Fatalf("Links of 1 key = %d links", len(ls))
	}
	return ls[0]
}

func linksUnknownKeys(t testing.TB, s store.Store) {
	ctx := t.Context()
	got, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1", "SKU-2"})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("Links of 2 unknown keys = %d links, want 2", len(got))
	}
	wantLink(t, "Links[0]", got[0], store.Link{Entity: kontor.EntityProduct, Key: "SKU-1"})
	wantLink(t, "Links[1]", got[1], store.Link{Entity: kontor.EntityProduct, Key: "SKU-2"})
	must(t, s.PutLinks(ctx, nil))
	for _, side := range []kontor.Side{kontor.SideERP, kontor.SideShop} {
		_, err := s.LinkByRemote(ctx, kontor.EntityProduct, side, "X-1")
		wantNotFound(t, "LinkByRemote of an unknown "+string(side)+" key", err)
	}
}

func linksMerge(t testing.TB, s store.Store) {
	ctx := t.Context()
	p := kontor.EntityProduct
	steps := []struct {
		put  store.Link
		want store.Link
	}{
		{store.Link{Entity: p, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1", UpdatedAt: at(0)},
			store.Link{Entity: p, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1", Found: true, UpdatedAt: at(0)}},
		{store.Link{Entity: p, Key: "SKU-1", ERPKey: "E2", UpdatedAt: at(1 * time.Minute)},
			store.Link{Entity: p, Key: "SKU-1", ERPKey: "E2", ShopKey: "S1", Found: true, UpdatedAt: at(1 * time.Minute)}},
		{store.Link{Entity: p, Key: "SKU-1", ShopKey: "S2", UpdatedAt: at(2 * time.Minute)},
			store.Link{Entity: p, Key: "SKU-1", ERPKey: "E2", ShopKey: "S2", Found: true, UpdatedAt: at(2 * time.Minute)}},
		{store.Link{Entity: p, Key: "SKU-1", UpdatedAt: at(3 * time.Minute)},
			store.Link{Entity: p, Key: "SKU-1", ERPKey: "E2", ShopKey: "S2", Found: true, UpdatedAt: at(3 * time.Minute)}},
		{store.Link{Entity: p, Key: "SKU-2", ShopKey: "S9", UpdatedAt: at(4 * time.Minute)},
			store.Link{Entity: p, Key: "SKU-2", ShopKey: "S9", Found: true, UpdatedAt: at(4 * time.Minute)}},
		{store.Link{Entity: p, Key: "SKU-2", ERPKey: "E9", UpdatedAt: at(5 * time.Minute)},
			store.Link{Entity: p, Key: "SKU-2", ERPKey: "E9", ShopKey: "S9", Found: true, UpdatedAt: at(5 * time.Minute)}},
	}
	for i, st := range steps {
		must(t, s.PutLinks(ctx, []store.Link{st.put}))
		wantLink(t, fmt.Sprintf("step %d: link", i), linkOf(t, s, p, st.put.Key), st.want)
	}
	// Aligned with keys, duplicates included.
	got, err := s.Links(ctx, p, []string{"SKU-2", "SKU-0", "SKU-1", "SKU-2"})
	must(t, err)
	if len(got) != 4 {
		t.Fatalf("Links of 4 keys = %d links", len(got))
	}
	wantLink(t, "Links[0]", got[0], steps[5].want)
	wantLink(t, "Links[1]", got[1], store.Link{Entity: p, Key: "SKU-0"})
	wantLink(t, "Links[2]", got[2], steps[3].want)
	wantLink(t, "Links[3]", got[3], steps[5].want)
}

func linksByRemote(t testing.TB, s store.Store) {
	ctx := t.Context()
	p := kontor.EntityProduct
	l1 := store.Link{Entity: p, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1", Found: true, UpdatedAt: at(0)}
	l2 := store.Link{Entity: p, Key: "SKU-2", ERPKey: "E2", ShopKey: "S2", Found: true, UpdatedAt: at(time.Second)}
	must(t, s.PutLinks(ctx, []store.Link{l1, l2}))
	for _, tc := range []struct {
		side   kontor.Side
		remote string
		want   store.Link
	}{{kontor.SideERP, "E1", l1}, {kontor.SideShop, "S1", l1}, {kontor.SideERP, "E2", l2}, {kontor.SideShop, "S2", l2}} {
		got, err := s.LinkByRemote(ctx, p, tc.side, tc.remote)
		must(t, err)
		wantLink(t, fmt.Sprintf("LinkByRemote(%s, %s)", tc.side, tc.remote), got, tc.want)
	}
	for _, tc := range []struct {
		entity kontor.Entity
		side   kontor.Side
		remote string
	}{{p, kontor.SideERP, "S1"}, {p, kontor.SideShop, "E1"}, {kontor.EntityOrder, kontor.SideERP, "E1"}, {p, kontor.SideERP, ""}, {p, kontor.SideShop, ""}} {
		_, err := s.LinkByRemote(ctx, tc.entity, tc.side, tc.remote)
		wantNotFound(t, fmt.Sprintf("LinkByRemote(%s, %s, %q)", tc.entity, tc.side, tc.remote), err)
	}
}

func linksRemoteKeyChange(t testing.TB, s store.Store) {
	ctx := t.Context()
	p := kontor.EntityProduct
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1", UpdatedAt: at(0)}}))
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E2", UpdatedAt: at(time.Minute)}}))
	_, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E1")
	wantNotFound(t, "LinkByRemote of the replaced ERP key", err)
	want := store.Link{Entity: p, Key: "SKU-1", ERPKey: "E2", ShopKey: "S1", Found: true}
	got, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E2")
	must(t, err)
	wantLink(t, "LinkByRemote of the new ERP key", got, want)
	got, err = s.LinkByRemote(ctx, p, kontor.SideShop, "S1")
	must(t, err)
	wantLink(t, "LinkByRemote of the kept shop key", got, want)

	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ShopKey: "S2", UpdatedAt: at(2 * time.Minute)}}))
	_, err = s.LinkByRemote(ctx, p, kontor.SideShop, "S1")
	wantNotFound(t, "LinkByRemote of the replaced shop key", err)
	want.ShopKey = "S2"
	got, err = s.LinkByRemote(ctx, p, kontor.SideShop, "S2")
	must(t, err)
	wantLink(t, "LinkByRemote of the new shop key", got, want)
}

func linksRemoteKeyMoves(t testing.TB, s store.Store) {
	ctx := t.Context()
	p := kontor.EntityProduct
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-OLD", ERPKey: "E1", ShopKey: "S1", UpdatedAt: at(0)}}))
	// The shop product is now sold under a new SKU: the shop key moves.
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-NEW", ShopKey: "S1", UpdatedAt: at(time.Minute)}}))
	got, err := s.LinkByRemote(ctx, p, kontor.SideShop, "S1")
	must(t, err)
	wantLink(t, "LinkByRemote of the moved shop key", got, store.Link{Entity: p, Key: "SKU-NEW", ShopKey: "S1", Found: true})
	wantLink(t, "the link that lost its shop key", linkOf(t, s, p, "SKU-OLD"), store.Link{Entity: p, Key: "SKU-OLD", ERPKey: "E1", Found: true})
	got, err = s.LinkByRemote(ctx, p, kontor.SideERP, "E1")
	must(t, err)
	wantLink(t, "LinkByRemote of the kept ERP key", got, store.Link{Entity: p, Key: "SKU-OLD", ERPKey: "E1", Found: true})
	// The old holder taking a new shop key leaves the moved one alone.
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-OLD", ShopKey: "S3", UpdatedAt: at(2 * time.Minute)}}))
	got, err = s.LinkByRemote(ctx, p, kontor.SideShop, "S1")
	must(t, err)
	wantLink(t, "LinkByRemote of the moved shop key after the old holder changed", got, store.Link{Entity: p, Key: "SKU-NEW", ShopKey: "S1", Found: true})
	// An ERP key moves the same way, within one batch too.
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-A", ERPKey: "E7"}, {Entity: p, Key: "SKU-B", ERPKey: "E7"}}))
	got, err = s.LinkByRemote(ctx, p, kontor.SideERP, "E7")
	must(t, err)
	wantLink(t, "LinkByRemote of the moved ERP key", got, store.Link{Entity: p, Key: "SKU-B", ERPKey: "E7", Found: true})
	wantLink(t, "the link that lost its ERP key", linkOf(t, s, p, "SKU-A"), store.Link{Entity: p, Key: "SKU-A", Found: true})
}

func linksPerEntity(t testing.TB, s store.Store) {
	ctx := t.Context()
	prod := store.Link{Entity: kontor.EntityProduct, Key: "K1", ERPKey: "E1", ShopKey: "S1", Found: true, UpdatedAt: at(0)}
	ord := store.Link{Entity: kontor.EntityOrder, Key: "K1", ERPKey: "E2", ShopKey: "S2", Found: true, UpdatedAt: at(time.Second)}
	must(t, s.PutLinks(ctx, []store.Link{prod, ord}))
	wantLink(t, "product link", linkOf(t, s, kontor.EntityProduct, "K1"), prod)
	wantLink(t, "order link", linkOf(t, s, kontor.EntityOrder, "K1"), ord)
	wantLink(t, "customer link", linkOf(t, s, kontor.EntityCustomer, "K1"), store.Link{Entity: kontor.EntityCustomer, Key: "K1"})
	_, err := s.LinkByRemote(ctx, kontor.EntityOrder, kontor.SideShop, "S1")
	wantNotFound(t, "LinkByRemote of a product's shop key as an order", err)
}

func linksStampsUpdatedAt(t testing.TB, s store.Store) {
	before := time.Now()
	must(t, s.PutLinks(t.Context(), []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1"}}))
	after := time.Now()
	stamped(t, "UpdatedAt of a link put without one", linkOf(t, s, kontor.EntityProduct, "SKU-1").UpdatedAt, before, after)
}

// --- inbox ---

func wantEvents(t testing.TB, what string, got, want []store.InboxEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events %v, want %d", what, len(got), eventIDs(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Source != w.Source || g.ID != w.ID || g.PayloadHash != w.PayloadHash || g.Topic != w.Topic ||
			g.Entity != w.Entity || g.Key != w.Key || !bytes.Equal(g.Payload, w.Payload) || g.Done != w.Done {
			t.Errorf("%s[%d] = %+v, want %+v", what, i, g, w)
		}
		if !w.ReceivedAt.IsZero() {
			sameTime(t, fmt.Sprintf("%s[%d].ReceivedAt", what, i), g.ReceivedAt, w.ReceivedAt)
		}
	}
}

func eventIDs(evs []store.InboxEvent) []string {
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.Source + "/" + e.ID
	}
	return ids
}

func addInbox(t testing.TB, s store.Store, ev store.InboxEvent, wantAdded bool) {
	t.Helper()
	added, err := s.AddInbox(t.Context(), ev)
	must(t, err)
	if added != wantAdded {
		t.Errorf("AddInbox(%s/%s, hash %d) added = %v, want %v", ev.Source, ev.ID, ev.PayloadHash, added, wantAdded)
	}
}

func pending(t testing.TB, s store.Store, limit int) []store.InboxEvent {
	t.Helper()
	evs, err := s.PendingInbox(t.Context(), limit)
	must(t, err)
	return evs
}

func inboxRoundTrip(t testing.TB, s store.Store) {
	ev := store.InboxEvent{
		Source: "shopify", ID: "d-1", PayloadHash: 0xDEADBEEF, Topic: "orders/create",
		Entity: kontor.EntityOrder, Key: "1001", Payload: []byte(`{"id":1}`), ReceivedAt: at(0),
	}
	addInbox(t, s, ev, true)
	wantEvents(t, "PendingInbox", pending(t, s, 0), []store.InboxEvent{ev})
}

func inboxDedupeByID(t testing.TB, s store.Store) {
	first := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 1, Payload: []byte("a"), ReceivedAt: at(0)}
	addInbox(t, s, first, true)
	// A redelivery under the same id, with a payload that changed.
	addInbox(t, s, store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 2, Payload: []byte("b"), ReceivedAt: at(time.Second)}, false)
	other := store.InboxEvent{Source: "woocommerce", ID: "d-1", PayloadHash: 3, Payload: []byte("c"), ReceivedAt: at(2 * time.Second)}
	addInbox(t, s, other, true)
	wantEvents(t, "PendingInbox", pending(t, s, 0), []store.InboxEvent{first, other})
}

func inboxDedupeByPayloadHash(t testing.TB, s store.Store) {
	first := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 7, ReceivedAt: at(0)}
	addInbox(t, s, first, true)
	// The same payload redelivered under a new id.
	addInbox(t, s, store.InboxEvent{Source: "shopify", ID: "d-2", PayloadHash: 7, ReceivedAt: at(time.Second)}, false)
	other := store.InboxEvent{Source: "woocommerce", ID: "d-3", PayloadHash: 7, ReceivedAt: at(2 * time.Second)}
	addInbox(t, s, other, true)
	// A hash of 0 means "not hashed" and deduplicates nothing.
	n1 := store.InboxEvent{Source: "shopify", ID: "d-4", ReceivedAt: at(3 * time.Second)}
	n2 := store.InboxEvent{Source: "shopify", ID: "d-5", ReceivedAt: at(4 * time.Second)}
	addInbox(t, s, n1, true)
	addInbox(t, s, n2, true)
	wantEvents(t, "PendingInbox", pending(t, s, 0), []store.InboxEvent{first, other, n1, n2})
}

func inboxConcurrentAddOnce(t testing.TB, s store.Store) {
	ctx := t.Context()
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		added [n]bool
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() {
			// Half deliver the event under its id, half redeliver it
			// under a new id: both are the same event.
			ev := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 42, ReceivedAt: at(0)}
			if i%2 == 1 {
				ev.ID = fmt.Sprintf("d-1-redelivery-%d", i)
			}
			<-start
			added[i], errs[i] = s.AddInbox(ctx, ev)
		})
	}
	close(start)
	wg.Wait()
	count := 0
	for i := range n {
		must(t, errs[i])
		if added[i] {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d concurrent adds of one event: %d added, want exactly 1", n, count)
	}
	if evs := pending(t, s, 0); len(evs) != 1 {
		t.Errorf("PendingInbox after concurrent adds = %v, want 1 event", eventIDs(evs))
	}
}

func inboxMarkDone(t testing.TB, s store.Store) {
	ctx := t.Context()
	e1 := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 1, ReceivedAt: at(0)}
	e2 := store.InboxEvent{Source: "shopify", ID: "d-2", PayloadHash: 2, ReceivedAt: at(time.Second)}
	addInbox(t, s, e1, true)
	addInbox(t, s, e2, true)
	must(t, s.MarkInboxDone(ctx, "shopify", "d-1"))
	wantEvents(t, "PendingInbox after one is done", pending(t, s, 0), []store.InboxEvent{e2})
	// A handled event still catches its duplicates.
	addInbox(t, s, e1, false)
	addInbox(t, s, store.InboxEvent{Source: "shopify", ID: "d-1-again", PayloadHash: 1}, false)
	must(t, s.MarkInboxDone(ctx, "shopify", "d-1"))
	wantNotFound(t, "MarkInboxDone of an unknown event", s.MarkInboxDone(ctx, "shopify", "d-9"))
	wantNotFound(t, "MarkInboxDone of a known id from another source", s.MarkInboxDone(ctx, "woocommerce", "d-2"))
	must(t, s.MarkInboxDone(ctx, "shopify", "d-2"))
	wantEvents(t, "PendingInbox after all are done", pending(t, s, 0), nil)
}

func inboxPendingOrderAndLimit(t testing.TB, s store.Store) {
	late := store.InboxEvent{Source: "shopify", ID: "late", PayloadHash: 1, ReceivedAt: at(3 * time.Second)}
	early := store.InboxEvent{Source: "shopify", ID: "early", PayloadHash: 2, ReceivedAt: at(1 * time.Second)}
	tieA := store.InboxEvent{Source: "woocommerce", ID: "tie-b", PayloadHash: 3, ReceivedAt: at(2 * time.Second)}
	tieB := store.InboxEvent{Source: "shopify", ID: "tie-a", PayloadHash: 4, ReceivedAt: at(2 * time.Second)}
	for _, ev := range []store.InboxEvent{late, early, tieA, tieB} {
		addInbox(t, s, ev, true)
	}
	wantEvents(t, "PendingInbox(0)", pending(t, s, 0), []store.InboxEvent{early, tieA, tieB, late})
	wantEvents(t, "PendingInbox(2)", pending(t, s, 2), []store.InboxEvent{early, tieA})
	wantEvents(t, "PendingInbox(10)", pending(t, s, 10), []store.InboxEvent{early, tieA, tieB, late})
	must(t, s.MarkInboxDone(t.Context(), "shopify", "early"))
	wantEvents(t, "PendingInbox(2) after the oldest is done", pending(t, s, 2), []store.InboxEvent{tieA, tieB})
}

func inboxStampsReceivedAt(t testing.TB, s store.Store) {
	before := time.Now()
	addInbox(t, s, store.InboxEvent{Source: "shopify", ID: "d-1"}, true)
	after := time.Now()
	evs := pending(t, s, 0)
	if len(evs) != 1 {
		t.Fatalf("PendingInbox = %v, want 1 event", eventIDs(evs))
	}
	stamped(t, "ReceivedAt of an event added without one", evs[0].ReceivedAt, before, after)
}

// --- write records ---

func writeBeginCreatesPending(t testing.TB, s store.Store) {
	before := time.Now()
	r, err := s.BeginWrite(t.Context(), "orders", "1001", 42, "idem-1")
	after := time.Now()
	must(t, err)
	if r.Flow != "orders" || r.Key != "1001" || r.Fingerprint != 42 || r.IdempotencyKey != "idem-1" || r.State != store.WritePending || r.Target != (kontor.Meta{}) {
		t.Errorf("BeginWrite = %+v, want a pending record of orders/1001/42 with idem-1 and no target", r)
	}
	stamped(t, "CreatedAt", r.CreatedAt, before, after)
	stamped(t, "UpdatedAt", r.UpdatedAt, before, after)
}

func writeBeginReturnsFirstKey(t testing.TB, s store.Store) {
	ctx := t.Context()
	first, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-1")
	must(t, err)
	// The retry after a crash proposes a new key; it must get the first.
	again, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-2")
	must(t, err)
	if again.IdempotencyKey != "idem-1" || again.State != store.WritePending {
		t.Errorf("second BeginWrite = key %q state %q, want the first key idem-1, pending", again.IdempotencyKey, again.State)
	}
	sameTime(t, "second BeginWrite CreatedAt", again.CreatedAt, first.CreatedAt)
}

func writeRecordIdentity(t testing.TB, s store.Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		flow, key string
		fp        uint64
		propose   string
		want      string
	}{
		{"orders", "1001", 42, "idem-1", "idem-1"},
		{"orders", "1001", 43, "idem-2", "idem-2"}, // the order changed: a new write
		{"orders", "1002", 42, "idem-3", "idem-3"},
		{"returns", "1001", 42, "idem-4", "idem-4"},
		{"orders", "1001", 0xFFFFFFFFFFFFFFFF, "idem-5", "idem-5"},
		{"orders", "1001", 42, "idem-6", "idem-1"},
		{"orders", "1001", 43, "idem-7", "idem-2"},
		{"orders", "1001", 0xFFFFFFFFFFFFFFFF, "idem-8", "idem-5"},
	} {
		r, err := s.BeginWrite(ctx, tc.flow, tc.key, tc.fp, tc.propose)
		must(t, err)
		if r.IdempotencyKey != tc.want || r.Flow != tc.flow || r.Key != tc.key || r.Fingerprint != tc.fp {
			t.Errorf("BeginWrite(%s, %s, %x, %s) = %+v, want key %s", tc.flow, tc.key, tc.fp, tc.propose, r, tc.want)
		}
	}
}

func writeConcurrentBegin(t testing.TB, s store.Store) {
	ctx := t.Context()
	const n = 20
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		keys  [n]string
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			var r store.WriteRecord
			r, errs[i] = s.BeginWrite(ctx, "orders", "1001", 42, fmt.Sprintf("idem-%d", i))
			keys[i] = r.IdempotencyKey
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		must(t, errs[i])
	}
	if !strings.HasPrefix(keys[0], "idem-") {
		t.Fatalf("BeginWrite returned key %q, none proposed", keys[0])
	}
	for i := range n {
		if keys[i] != keys[0] {
			t.Errorf("%d concurrent BeginWrite: goroutine %d got key %q, goroutine 0 got %q; want one key for all", n, i, keys[i], keys[0])
		}
	}
}

func writeFinish(t testing.TB, s store.Store) {
	ctx := t.Context()
	first, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-1")
	must(t, err)
	target := kontor.Meta{ERPKey: "SO-1", ShopKey: "gid://shopify/Order/1", Version: 3, UpdatedAt: at(5 * time.Second)}
	must(t, s.FinishWrite(ctx, "orders", "1001", 42, store.WriteDone, target))
	r, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-2")
	must(t, err)
	if r.IdempotencyKey != "idem-1" || r.State != store.WriteDone {
		t.Errorf("BeginWrite after FinishWrite = key %q state %q, want idem-1, done", r.IdempotencyKey, r.State)
	}
	if r.Target.ERPKey != target.ERPKey || r.Target.ShopKey != target.ShopKey || r.Target.Version != target.Version {
		t.Errorf("Target = %+v, want %+v", r.Target, target)
	}
	sameTime(t, "Target.UpdatedAt", r.Target.UpdatedAt, target.UpdatedAt)
	sameTime(t, "CreatedAt after FinishWrite", r.CreatedAt, first.CreatedAt)
	if r.UpdatedAt.Before(r.CreatedAt) {
		t.Errorf("UpdatedAt %v before CreatedAt %v", r.UpdatedAt, r.CreatedAt)
	}

	must(t, s.FinishWrite(ctx, "orders", "1001", 42, store.WriteFailed, kontor.Meta{}))
	r, err = s.BeginWrite(ctx, "orders", "1001", 42, "idem-3")
	must(t, err)
	if r.State != store.WriteFailed || r.Target != (kontor.Meta{}) {
		t.Errorf("after FinishWrite(failed): state %q target %+v, want failed and no target", r.State, r.Target)
	}

	wantNotFound(t, "FinishWrite of another fingerprint", s.FinishWrite(ctx, "orders", "1001", 43, store.WriteDone, target))
	wantNotFound(t, "FinishWrite of another key", s.FinishWrite(ctx, "orders", "1002", 42, store.WriteDone, target))
	wantNotFound(t, "FinishWrite of another flow", s.FinishWrite(ctx, "returns", "1001", 42, store.WriteDone, target))
	r, err = s.BeginWrite(ctx, "orders", "1001", 43, "idem-4")
	must(t, err)
	if r.IdempotencyKey != "idem-4" || r.State != store.WritePending {
		t.Errorf("BeginWrite after a FinishWrite of an unknown record = key %q state %q, want a new pending record with idem-4", r.IdempotencyKey, r.State)
	}
}

// --- dead letters ---

func wantDeadLetter(t testing.TB, what string, got, want store.DeadLetter) {
	t.Helper()
	if got.ID != want.ID || got.Flow != want.Flow || got.Entity != want.Entity || got.Key != want.Key ||
		got.Class != want.Class || got.Kind != want.Kind || got.Error != want.Error || !bytes.Equal(got.Payload, want.Payload) ||
		got.Attempts != want.Attempts || got.MappingVersion != want.MappingVersion {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	sameTime(t, what+".FirstFailed", got.FirstFailed, want.FirstFailed)
	sameTime(t, what+".LastFailed", got.LastFailed, want.LastFailed)
}

func deadLetters(t testing.TB, s store.Store, f store.DeadLetterFilter) []store.DeadLetter {
	t.Helper()
	dls, err := s.DeadLetters(t.Context(), f)
	must(t, err)
	return dls
}

func addDeadLetter(t testing.TB, s store.Store, dl store.DeadLetter) store.DeadLetter {
	t.Helper()
	got, err := s.AddDeadLetter(t.Context(), dl)
	must(t, err)
	return got
}

func wantIDs(t testing.TB, what string, dls []store.DeadLetter, want ...int64) {
	t.Helper()
	got := make([]int64, len(dls))
	for i, dl := range dls {
		got[i] = dl.ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: IDs %v, want %v", what, got, want)
	}
}

func deadLettersAdd(t testing.TB, s store.Store) {
	a := store.DeadLetter{
		Flow: "orders", Entity: kontor.EntityOrder, Key: "1001", Class: store.ClassMapping, Kind: kontor.KindValidation,
		Error: "unknown SKU", Payload: []byte(`{"number":"1001"}`), MappingVersion: "v1", FirstFailed: at(0), LastFailed: at(0),
	}
	b := store.DeadLetter{
		Flow: "orders", Entity: kontor.EntityOrder, Key: "1002", Class: store.ClassTransient, Kind: kontor.KindRetryable,
		Error: "timeout", Payload: []byte(`{"number":"1002"}`), Attempts: 3, FirstFailed: at(time.Second), LastFailed: at(2 * time.Second),
	}
	ga := addDeadLetter(t, s, a)
	gb := addDeadLetter(t, s, b)
	if ga.ID <= 0 || gb.ID <= ga.ID {
		t.Fatalf("IDs %d then %d, want positive and increasing", ga.ID, gb.ID)
	}
	a.ID, a.Attempts = ga.ID, 1 // a new dead letter has at least one attempt
	b.ID = gb.ID                // and keeps the attempts it came with
	wantDeadLetter(t, "AddDeadLetter a", ga, a)
	wantDeadLetter(t, "AddDeadLetter b", gb, b)
	dls := deadLetters(t, s, store.DeadLetterFilter{})
	wantIDs(t, "DeadLetters", dls, a.ID, b.ID)
	if len(dls) == 2 {
		wantDeadLetter(t, "DeadLetters[0]", dls[0], a)
		wantDeadLetter(t, "DeadLetters[1]", dls[1], b)
	}

	before := time.Now()
	c := addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: "1003"})
	after := time.Now()
	stamped(t, "LastFailed of a dead letter added without one", c.LastFailed, before, after)
	sameTime(t, "FirstFailed of a new dead letter added without one", c.FirstFailed, c.LastFailed)
}

func deadLettersUpsert(t testing.TB, s store.Store) {
	first := addDeadLetter(t, s, store.DeadLetter{
		Flow: "orders", Entity: kontor.EntityOrder, Key: "1001", Class: store.ClassMapping, Kind: kontor.KindValidation,
		Error: "unknown SKU", Payload: []byte("v1"), MappingVersion: "v1", FirstFailed: at(0), LastFailed: at(0),
	})
	again := store.DeadLetter{
		Flow: "orders", Entity: kontor.EntityOrder, Key: "1001", Class: store.ClassTransient, Kind: kontor.KindRetryable,
		Error: "timeout", Payload: []byte("v2"), Attempts: 5, MappingVersion: "v2", FirstFailed: at(10 * time.Minute), LastFailed: at(10 * time.Minute),
	}
	want := again
	want.ID, want.Attempts, want.FirstFailed = first.ID, 2, at(0)
	wantDeadLetter(t, "second AddDeadLetter", addDeadLetter(t, s, again), want)
	again.LastFailed = at(20 * time.Minute)
	want.Attempts, want.LastFailed = 3, at(20*time.Minute)
	wantDeadLetter(t, "third AddDeadLetter", addDeadLetter(t, s, again), want)

	other := addDeadLetter(t, s, store.DeadLetter{Flow: "returns", Key: "1001", Class: store.ClassPermanent, FirstFailed: at(time.Minute), LastFailed: at(time.Minute)})
	if other.ID == first.ID || other.Attempts != 1 {
		t.Errorf("dead letter of the same key in another flow = ID %d attempts %d, want a new ID and 1 attempt", other.ID, other.Attempts)
	}
	dls := deadLetters(t, s, store.DeadLetterFilter{})
	wantIDs(t, "DeadLetters", dls, first.ID, other.ID)
	if len(dls) == 2 {
		wantDeadLetter(t, "DeadLetters[0]", dls[0], want)
	}
}

func deadLettersFilters(t testing.TB, s store.Store) {
	add := func(flow, key string, class store.Class, first, last time.Duration) int64 {
		return addDeadLetter(t, s, store.DeadLetter{Flow: flow, Key: key, Class: class, FirstFailed: at(first), LastFailed: at(last)}).ID
	}
	m := time.Minute
	id1 := add("orders", "k1", store.ClassMapping, 0, 0)
	id2 := add("orders", "k2", store.ClassTransient, 1*m, 1*m)
	id3 := add("returns", "k1", store.ClassMapping, 2*m, 2*m)
	id4 := add("returns", "k3", store.ClassPermanent, 3*m, 3*m)
	if again := add("orders", "k1", store.ClassMapping, 4*m, 4*m); again != id1 {
		t.Fatalf("re-failed dead letter got ID %d, want %d", again, id1)
	}
	for _, tc := range []struct {
		name string
		f    store.DeadLetterFilter
		want []int64
	}{
		{"all", store.DeadLetterFilter{}, []int64{id1, id2, id3, id4}},
		{"IDs", store.DeadLetterFilter{IDs: []int64{id3, id1}}, []int64{id1, id3}},
		{"unknown ID", store.DeadLetterFilter{IDs: []int64{id4 + 1000}}, nil},
		{"Flow", store.DeadLetterFilter{Flow: "orders"}, []int64{id1, id2}},
		{"Class", store.DeadLetterFilter{Class: store.ClassMapping}, []int64{id1, id3}},
		{"Key", store.DeadLetterFilter{Key: "k1"}, []int64{id1, id3}},
		{"Keys", store.DeadLetterFilter{Keys: []string{"k3", "k2", "nope"}}, []int64{id2, id4}},
		{"Flow and Keys", store.DeadLetterFilter{Flow: "orders", Keys: []string{"k1", "k3"}}, []int64{id1}},
		{"empty Keys", store.DeadLetterFilter{Keys: []string{}}, nil},
		{"Since", store.DeadLetterFilter{Since: at(2 * m)}, []int64{id1, id3, id4}},
		{"Since equal to LastFailed", store.DeadLetterFilter{Since: at(3 * m)}, []int64{id1, id4}},
		{"Since after all", store.DeadLetterFilter{Since: at(5 * m)}, nil},
		{"Flow and Class", store.DeadLetterFilter{Flow: "returns", Class: store.ClassMapping}, []int64{id3}},
		{"Flow and Since", store.DeadLetterFilter{Flow: "orders", Since: at(2 * m)}, []int64{id1}},
		{"IDs, Class and Key", store.DeadLetterFilter{IDs: []int64{id1, id2, id3}, Class: store.ClassMapping, Key: "k1"}, []int64{id1, id3}},
		{"IDs and Flow", store.DeadLetterFilter{IDs: []int64{id2, id3}, Flow: "orders"}, []int64{id2}},
		{"Limit", store.DeadLetterFilter{Limit: 2}, []int64{id1, id2}},
		{"Class and Limit", store.DeadLetterFilter{Class: store.ClassMapping, Limit: 1}, []int64{id1}},
	} {
		wantIDs(t, "filter "+tc.name, deadLetters(t, s, tc.f), tc.want...)
	}
}

func deadLettersOrderAndLimit(t testing.TB, s store.Store) {
	add := func(key string, first time.Duration) int64 {
		return addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: key, Class: store.ClassTransient, FirstFailed: at(first), LastFailed: at(first)}).ID
	}
	late := add("late", 5*time.Minute)
	early := add("early", 1*time.Minute)
	tieX := add("tie-x", 3*time.Minute)
	tieY := add("tie-y", 3*time.Minute)
	wantIDs(t, "DeadLetters", deadLetters(t, s, store.DeadLetterFilter{}), early, tieX, tieY, late)
	wantIDs(t, "DeadLetters(Limit 3)", deadLetters(t, s, store.DeadLetterFilter{Limit: 3}), early, tieX, tieY)
	wantIDs(t, "DeadLetters(Limit 10)", deadLetters(t, s, store.DeadLetterFilter{Limit: 10}), early, tieX, tieY, late)
}

func deadLettersDelete(t testing.TB, s store.Store) {
	ctx := t.Context()
	a := addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: "1001", Attempts: 4, FirstFailed: at(0), LastFailed: at(0)})
	b := addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: "1002", FirstFailed: at(time.Second), LastFailed: at(time.Second)})
	must(t, s.DeleteDeadLetter(ctx, b.ID))
	wantIDs(t, "DeadLetters after a delete", deadLetters(t, s, store.DeadLetterFilter{}), a.ID)
	wantIDs(t, "DeadLetters by the deleted ID", deadLetters(t, s, store.DeadLetterFilter{IDs: []int64{b.ID}}))
	must(t, s.DeleteDeadLetter(ctx, b.ID))
	must(t, s.DeleteDeadLetter(ctx, b.ID+1000))
	// The item fails again after its replay: a new dead letter, never a
	// reused ID.
	c := addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: "1002", FirstFailed: at(time.Hour), LastFailed: at(time.Hour)})
	if c.ID <= b.ID || c.Attempts != 1 {
		t.Errorf("dead letter after delete = ID %d attempts %d, want an ID above %d and 1 attempt", c.ID, c.Attempts, b.ID)
	}
	sameTime(t, "FirstFailed after delete", c.FirstFailed, at(time.Hour))
	must(t, s.DeleteDeadLetter(ctx, a.ID))
	again := addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: "1001", FirstFailed: at(2 * time.Hour), LastFailed: at(2 * time.Hour)})
	if again.ID <= c.ID || again.Attempts != 1 {
		t.Errorf("dead letter of a deleted key = ID %d attempts %d, want an ID above %d and 1 attempt", again.ID, again.Attempts, c.ID)
	}
	wantIDs(t, "DeadLetters at the end", deadLetters(t, s, store.DeadLetterFilter{}), c.ID, again.ID)
}

// --- audit ---

func audit(t testing.TB, s store.Store, f store.AuditFilter) []store.AuditRecord {
	t.Helper()
	recs, err := s.Audit(t.Context(), f)
	must(t, err)
	return recs
}

func wantSeqs(t testing.TB, what string, recs []store.AuditRecord, want ...int64) {
	t.Helper()
	got := make([]int64, len(recs))
	for i, r := range recs {
		got[i] = r.Seq
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: Seqs %v, want %v", what, got, want)
	}
}

func auditAppend(t testing.TB, s store.Store) {
	ctx := t.Context()
	recs := []store.AuditRecord{
		{Seq: 99, Flow: "products", Entity: kontor.EntityProduct, Key: "SKU-1", Target: kontor.SideShop, Op: store.OpCreate, After: 0xA1, Outcome: kontor.Created, At: at(0)},
		{Flow: "products", Entity: kontor.EntityProduct, Key: "SKU-2", Target: kontor.SideShop, Op: store.OpUpdate, Before: 0xB1, After: 0xB2, Outcome: kontor.Updated, At: at(time.Second)},
		{Flow: "orders", Entity: kontor.EntityOrder, Key: "1001", Target: kontor.SideERP, Op: store.OpCreate, After: 0xC1, Outcome: kontor.Failed, Error: "validation: lines[0].sku", At: at(2 * time.Second)},
	}
	must(t, s.AppendAudit(ctx, recs))
	must(t, s.AppendAudit(ctx, nil))
	before := time.Now()
	must(t, s.AppendAudit(ctx, []store.AuditRecord{
		{Flow: "stock", Entity: kontor.EntityStock, Key: "SKU-1", Target: kontor.SideShop, Op: store.OpArchive, Outcome: kontor.Unchanged},
		{Flow: "stock", Entity: kontor.EntityStock, Key: "SKU-2", Target: kontor.SideShop, Op: store.OpUpdate, Outcome: kontor.Updated, At: at(time.Hour)},
	}))
	after := time.Now()
	got := audit(t, s, store.AuditFilter{})
	wantSeqs(t, "Audit", got, 1, 2, 3, 4, 5)
	if len(got) != 5 {
		return
	}
	for i, w := range recs {
		g := got[i]
		w.Seq = int64(i + 1)
		sameTime(t, fmt.Sprintf("Audit[%d].At", i), g.At, w.At)
		g.At, w.At = time.Time{}, time.Time{}
		if g != w {
			t.Errorf("Audit[%d] = %+v, want %+v", i, g, w)
		}
	}
	stamped(t, "At of a record appended without one", got[3].At, before, after)
	sameTime(t, "Audit[4].At", got[4].At, at(time.Hour))
}

func auditConcurrentSeq(t testing.TB, s store.Store) {
	ctx := t.Context()
	const goroutines, calls, batch = 10, 5, 4
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  [goroutines]error
	)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for c := range calls {
				recs := make([]store.AuditRecord, batch)
				for i := range recs {
					recs[i] = store.AuditRecord{Flow: "products", Key: fmt.Sprintf("g%d-c%d-r%d", g, c, i), Op: store.OpUpdate, At: at(0)}
				}
				if err := s.AppendAudit(ctx, recs); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	const n = goroutines * calls * batch
	got := audit(t, s, store.AuditFilter{})
	seen := make(map[string]bool, n)
	for i, r := range got {
		if r.Seq != int64(i+1) {
			t.Fatalf("Audit[%d].Seq = %d after %d concurrent appends, want %d: Seqs must increase with no gaps or duplicates", i, r.Seq, goroutines, i+1)
		}
		if seen[r.Key] {
			t.Errorf("record %s appears twice", r.Key)
		}
		seen[r.Key] = true
	}
	if len(got) != n {
		t.Errorf("Audit = %d records, want %d", len(got), n)
	}
}

func auditFilters(t testing.TB, s store.Store) {
	m := time.Minute
	must(t, s.AppendAudit(t.Context(), []store.AuditRecord{
		{Flow: "products", Key: "k1", At: at(0)},
		{Flow: "products", Key: "k2", At: at(1 * m)},
		{Flow: "prices", Key: "k1", At: at(2 * m)},
		{Flow: "products", Key: "k1", At: at(3 * m)},
		{Flow: "prices", Key: "k2", At: at(4 * m)},
	}))
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"all", store.AuditFilter{}, []int64{1, 2, 3, 4, 5}},
		{"Flow", store.AuditFilter{Flow: "products"}, []int64{1, 2, 4}},
		{"Key", store.AuditFilter{Key: "k1"}, []int64{1, 3, 4}},
		{"Since", store.AuditFilter{Since: at(2 * m)}, []int64{3, 4, 5}},
		{"AfterSeq", store.AuditFilter{AfterSeq: 3}, []int64{4, 5}},
		{"AfterSeq at the end", store.AuditFilter{AfterSeq: 5}, nil},
		{"AfterSeq past the end", store.AuditFilter{AfterSeq: 100}, nil},
		{"Limit", store.AuditFilter{Limit: 2}, []int64{1, 2}},
		{"Flow, Key and Since", store.AuditFilter{Flow: "products", Key: "k1", Since: at(1 * m)}, []int64{4}},
		{"Flow, AfterSeq and Limit", store.AuditFilter{Flow: "products", AfterSeq: 1, Limit: 2}, []int64{2, 4}},
		{"Key and Limit", store.AuditFilter{Key: "k2", Limit: 1}, []int64{2}},
		{"Newest", store.AuditFilter{Newest: true}, []int64{5, 4, 3, 2, 1}},
		{"Newest and Limit", store.AuditFilter{Newest: true, Limit: 2}, []int64{5, 4}},
		{"Newest, Flow and Limit", store.AuditFilter{Newest: true, Flow: "products", Limit: 2}, []int64{4, 2}},
		{"Newest and AfterSeq", store.AuditFilter{Newest: true, AfterSeq: 3}, []int64{5, 4}},
	} {
		wantSeqs(t, "filter "+tc.name, audit(t, s, tc.f), tc.want...)
	}
}

// --- cross-cutting contracts ---

func contextCancelled(t testing.TB, s store.Store) {
	live := t.Context()
	ctx, cancel := context.WithCancel(live)
	cancel()
	p := kontor.EntityProduct
	// Something to find, so a store that skips the check on a hit is caught.
	must(t, s.PutLinks(live, []store.Link{{Entity: p, Key: "SKU-0", ERPKey: "E0"}}))
	added, err := s.AddInbox(live, store.InboxEvent{Source: "shopify", ID: "d-0"})
	must(t, err)
	if !added {
		t.Fatalf("AddInbox of a new event added = false")
	}
	_, err = s.BeginWrite(live, "orders", "1000", 1, "idem-0")
	must(t, err)

	calls := []struct {
		name string
		call func() error
	}{
		{"Cursor", func() error { _, err := s.Cursor(ctx, "products"); return err }},
		{"SetCursor", func() error { return s.SetCursor(ctx, "products", kontor.Cursor{Token: "t"}) }},
		{"States", func() error { _, err := s.States(ctx, "products", []string{"SKU-1"}); return err }},
		{"PutStates", func() error {
			return s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}})
		}},
		{"Links", func() error { _, err := s.Links(ctx, p, []string{"SKU-0"}); return err }},
		{"LinkByRemote", func() error { _, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E0"); return err }},
		{"PutLinks", func() error { return s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E1"}}) }},
		{"AddInbox", func() error {
			_, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1"})
			return err
		}},
		{"MarkInboxDone", func() error { return s.MarkInboxDone(ctx, "shopify", "d-0") }},
		{"PendingInbox", func() error { _, err := s.PendingInbox(ctx, 10); return err }},
		{"BeginWrite", func() error { _, err := s.BeginWrite(ctx, "orders", "1001", 1, "idem-1"); return err }},
		{"FinishWrite", func() error {
			return s.FinishWrite(ctx, "orders", "1000", 1, store.WriteDone, kontor.Meta{})
		}},
		{"AddDeadLetter", func() error {
			_, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
			return err
		}},
		{"DeadLetters", func() error { _, err := s.DeadLetters(ctx, store.DeadLetterFilter{}); return err }},
		{"DeleteDeadLetter", func() error { return s.DeleteDeadLetter(ctx, 1) }},
		{"AppendAudit", func() error { return s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}) }},
		{"Audit", func() error { _, err := s.Audit(ctx, store.AuditFilter{}); return err }},
		{"Redact", func() error { _, err := s.Redact(ctx, p, []string{"SKU-0"}); return err }},
		{"RedactAll", func() error { _, err := s.RedactAll(ctx, p); return err }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context: error %v, want context.Canceled", c.name, err)
		}
	}

	// Nothing a cancelled call was given was written.
	if c, err := s.Cursor(live, "products"); err != nil || c.Token != "" {
		t.Errorf("cursor after a cancelled SetCursor = %+v, %v; want the zero cursor", c, err)
	}
	if st, err := s.States(live, "products", []string{"SKU-1"}); err != nil || len(st) != 1 || st[0].Found {
		t.Errorf("state after a cancelled PutStates = %+v, %v; want not found", st, err)
	}
	if l := linkOf(t, s, p, "SKU-1"); l.Found {
		t.Errorf("link after a cancelled PutLinks = %+v; want not found", l)
	}
	if l := linkOf(t, s, p, "SKU-0"); !l.Found {
		t.Errorf("link after a cancelled Redact and RedactAll = %+v; want it kept", l)
	}
	wantEvents(t, "PendingInbox after a cancelled AddInbox and MarkInboxDone", pending(t, s, 0), []store.InboxEvent{{Source: "shopify", ID: "d-0"}})
	if r, err := s.BeginWrite(live, "orders", "1001", 1, "idem-live"); err != nil || r.IdempotencyKey != "idem-live" {
		t.Errorf("BeginWrite after a cancelled one = %+v, %v; want the new key idem-live", r, err)
	}
	if r, err := s.BeginWrite(live, "orders", "1000", 1, "idem-x"); err != nil || r.State != store.WritePending {
		t.Errorf("write record after a cancelled FinishWrite = %+v, %v; want it still pending", r, err)
	}
	if dls := deadLetters(t, s, store.DeadLetterFilter{}); len(dls) != 0 {
		t.Errorf("dead letters after a cancelled AddDeadLetter = %d, want 0", len(dls))
	}
	if recs := audit(t, s, store.AuditFilter{}); len(recs) != 0 {
		t.Errorf("audit after a cancelled AppendAudit = %d records, want 0", len(recs))
	}
}

func copiesPayloads(t testing.TB, s store.Store) {
	payload := []byte("abc")
	addInbox(t, s, store.InboxEvent{Source: "shopify", ID: "d-1", Payload: payload}, true)
	payload[0] = 'X'
	evs := pending(t, s, 0)
	if len(evs) != 1 || string(evs[0].Payload) != "abc" {
		t.Fatalf("inbox payload after the caller changed its slice = %q, want abc", eventPayloads(evs))
	}
	evs[0].Payload[0] = 'Y'
	if evs = pending(t, s, 0); string(evs[0].Payload) != "abc" {
		t.Errorf("inbox payload after a reader changed the returned one = %q, want abc", evs[0].Payload)
	}

	payload = []byte("def")
	dl := addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Key: "1001", Payload: payload})
	payload[0] = 'X'
	dl.Payload[1] = 'X'
	dls := deadLetters(t, s, store.DeadLetterFilter{})
	if len(dls) != 1 || string(dls[0].Payload) != "def" {
		t.Fatalf("dead letter payload after the caller changed its slices = %v, want def", dls)
	}
	dls[0].Payload[2] = 'Y'
	if dls = deadLetters(t, s, store.DeadLetterFilter{}); string(dls[0].Payload) != "def" {
		t.Errorf("dead letter payload after a reader changed the returned one = %q, want def", dls[0].Payload)
	}
}

func eventPayloads(evs []store.InboxEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = string(e.Payload)
	}
	return out
}

func copiesInputs(t testing.TB, s store.Store) {
	ctx := t.Context()
	states := []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}
	must(t, s.PutStates(ctx, "products", states))
	states[0].Fingerprint = 2
	if st, err := s.States(ctx, "products", []string{"SKU-1"}); err != nil || st[0].Fingerprint != 1 {
		t.Errorf("state after the caller changed its slice = %+v, %v; want fingerprint 1", st, err)
	}
	links := []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1"}}
	must(t, s.PutLinks(ctx, links))
	links[0].ERPKey = "E2"
	if l := linkOf(t, s, kontor.EntityProduct, "SKU-1"); l.ERPKey != "E1" {
		t.Errorf("link after the caller changed its slice = %+v; want ERPKey E1", l)
	}
	recs := []store.AuditRecord{{Flow: "products", Key: "SKU-1", After: 1}}
	must(t, s.AppendAudit(ctx, recs))
	recs[0].After = 2
	got := audit(t, s, store.AuditFilter{})
	if len(got) != 1 || got[0].After != 1 {
		t.Errorf("audit after the caller changed its slice = %+v; want After 1", got)
	}
	got[0].After = 3
	if got = audit(t, s, store.AuditFilter{}); got[0].After != 1 {
		t.Errorf("audit after a reader changed the returned one = %+v; want After 1", got)
	}
}

func validationRejected(t testing.TB, s store.Store) {
	ctx := t.Context()
	p := kontor.EntityProduct
	wantValidation(t, "SetCursor of an empty flow", s.SetCursor(ctx, "", kontor.Cursor{Token: "t"}))
	wantValidation(t, "PutStates of an empty flow", s.PutStates(ctx, "", []store.ItemState{{Key: "SKU-1"}}))
	wantValidation(t, "PutStates with an empty key", s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}, {Fingerprint: 2}}))
	if st, err := s.States(ctx, "products", []string{"SKU-1"}); err != nil || st[0].Found {
		t.Errorf("a rejected PutStates wrote part of its batch: %+v, %v", st, err)
	}
	wantValidation(t, "PutLinks with an empty key", s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E1"}, {Entity: p, ERPKey: "E2"}}))
	wantValidation(t, "PutLinks with an empty entity", s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E1"}, {Key: "SKU-2", ERPKey: "E2"}}))
	if l := linkOf(t, s, p, "SKU-1"); l.Found {
		t.Errorf("a rejected PutLinks wrote part of its batch: %+v", l)
	}
	_, err := s.LinkByRemote(ctx, p, kontor.Side("moon"), "E1")
	wantValidation(t, "LinkByRemote of an unknown side", err)
	_, err = s.AddInbox(ctx, store.InboxEvent{ID: "d-1"})
	wantValidation(t, "AddInbox with an empty source", err)
	_, err = s.AddInbox(ctx, store.InboxEvent{Source: "shopify", PayloadHash: 1})
	wantValidation(t, "AddInbox with an empty ID", err)
	wantEvents(t, "PendingInbox after rejected adds", pending(t, s, 0), nil)
	for _, tc := range []struct{ name, flow, key, idem string }{
		{"an empty flow", "", "1001", "idem-1"},
		{"an empty key", "orders", "", "idem-1"},
		{"an empty idempotency key", "orders", "1001", ""},
	} {
		_, err := s.BeginWrite(ctx, tc.flow, tc.key, 1, tc.idem)
		wantValidation(t, "BeginWrite with "+tc.name, err)
	}
	_, err = s.BeginWrite(ctx, "orders", "1001", 1, "idem-1")
	must(t, err)
	wantValidation(t, "FinishWrite with an unknown state", s.FinishWrite(ctx, "orders", "1001", 1, store.WriteState("maybe"), kontor.Meta{}))
	if r, err := s.BeginWrite(ctx, "orders", "1001", 1, "idem-2"); err != nil || r.State != store.WritePending {
		t.Errorf("a rejected FinishWrite changed the record: %+v, %v", r, err)
	}
	_, err = s.AddDeadLetter(ctx, store.DeadLetter{Key: "1001"})
	wantValidation(t, "AddDeadLetter with an empty flow", err)
	_, err = s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders"})
	wantValidation(t, "AddDeadLetter with an empty key", err)
	if dls := deadLetters(t, s, store.DeadLetterFilter{}); len(dls) != 0 {
		t.Errorf("rejected dead letters were stored: %d", len(dls))
	}
	wantValidation(t, "AppendAudit with an empty flow", s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}, {Key: "SKU-2"}}))
	wantValidation(t, "AppendAudit with an empty key", s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}, {Flow: "products"}}))
	if recs := audit(t, s, store.AuditFilter{}); len(recs) != 0 {
		t.Errorf("a rejected AppendAudit wrote part of its batch: %d records", len(recs))
	}
}

func errorsNoPersonalData(t testing.TB, s store.Store) {
	ctx := t.Context()
	// A customer's key may be its e-mail address.
	const email = "jane.doe@example.com"
	c := kontor.EntityCustomer
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"FinishWrite of an unknown record", s.FinishWrite(ctx, "customers", email, 1, store.WriteDone, kontor.Meta{})},
		{"MarkInboxDone of an unknown event", s.MarkInboxDone(ctx, "shopify", email)},
		{"PutLinks with an empty entity", s.PutLinks(ctx, []store.Link{{Entity: c, Key: email}, {Key: email}})},
		{"AppendAudit with an empty flow", s.AppendAudit(ctx, []store.AuditRecord{{Key: email}})},
		{"AddDeadLetter with an empty flow", func() error { _, err := s.AddDeadLetter(ctx, store.DeadLetter{Key: email}); return err }()},
		{"LinkByRemote of an unknown key", func() error { _, err := s.LinkByRemote(ctx, c, kontor.SideShop, email); return err }()},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		} else if strings.Contains(tc.err.Error(), email) {
			t.Errorf("%s: error %q contains the item's key", tc.name, tc.err)
		}
	}
}

// --- erasure ---

// canary is the personal data the erasure checks plant and look for.
const canary = "canary-redact@example.com"

func wantCounts(t testing.TB, what string, got, want store.RedactCounts) {
	t.Helper()
	if got != want {
		t.Errorf("%s: counts %+v, want %+v", what, got, want)
	}
}

func redact(t testing.TB, s store.Store, entity kontor.Entity, keys ...string) store.RedactCounts {
	t.Helper()
	c, err := s.Redact(t.Context(), entity, keys)
	must(t, err)
	return c
}

// noCanary fails when any dead letter, pending event or audit record still
// holds the canary.
func noCanary(t testing.TB, s store.Store, when string) {
	t.Helper()
	for _, dl := range deadLetters(t, s, store.DeadLetterFilter{}) {
		if strings.Contains(dl.Key+dl.Error+string(dl.Payload), canary) {
			t.Errorf("%s: dead letter %d (%s) holds the canary", when, dl.ID, dl.Flow)
		}
	}
	for _, ev := range pending(t, s, 0) {
		if strings.Contains(ev.Key+string(ev.Payload), canary) {
			t.Errorf("%s: inbox event %s/%s holds the canary", when, ev.Source, ev.ID)
		}
	}
	for _, r := range audit(t, s, store.AuditFilter{}) {
		if strings.Contains(r.Key+r.Error, canary) {
			t.Errorf("%s: audit record %d holds the canary", when, r.Seq)
		}
	}
}

func redactErases(t testing.TB, s store.Store) {
	ctx := t.Context()
	cust, order, prod := kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityProduct
	personal := []byte(`{"email":"` + canary + `","name":"Jane Canary"}`)
	const k = canary // the customer's key is her e-mail address: the worst case
	m := time.Minute

	// Dead letters: the customer's and an order's hold her data; another
	// customer's, another order's and a product with the order's key as
	// its SKU stay.
	addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: k, Class: store.ClassValidation,
		Error: "customer: email: invalid", Payload: personal, FirstFailed: at(0), LastFailed: at(0)})
	addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Entity: order, Key: "O1", Class: store.ClassMapping,
		Error: "unknown SKU", Payload: personal, FirstFailed: at(1 * m), LastFailed: at(1 * m)})
	kept := []store.DeadLetter{
		addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: "C-other", Class: store.ClassTransient,
			Error: "timeout", Payload: []byte(`{"email":"other@example.com"}`), FirstFailed: at(2 * m), LastFailed: at(2 * m)}),
		addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Entity: order, Key: "O3", Class: store.ClassMapping,
			Error: "unknown SKU", Payload: []byte(`{"number":"O3"}`), FirstFailed: at(3 * m), LastFailed: at(3 * m)}),
		addDeadLetter(t, s, store.DeadLetter{Flow: "products", Entity: prod, Key: "O1", Class: store.ClassPermanent,
			Error: "refused", Payload: []byte(`{"sku":"O1"}`), FirstFailed: at(4 * m), LastFailed: at(4 * m)}),
	}

	// Inbox: her events, one handled, one without a payload hash.
	evK := store.InboxEvent{Source: "shopify", ID: "d-k", PayloadHash: 0x1001, Topic: "customers/update", Entity: cust, Key: k, Payload: personal, ReceivedAt: at(1 * time.Second)}
	evO1 := store.InboxEvent{Source: "shopify", ID: "d-o1", PayloadHash: 0x1002, Topic: "orders/create", Entity: order, Key: "O1", Payload: personal, ReceivedAt: at(2 * time.Second)}
	evO2 := store.InboxEvent{Source: "shopify", ID: "d-o2", Topic: "orders/updated", Entity: order, Key: "O2", Payload: personal, ReceivedAt: at(3 * time.Second)}
	evO3 := store.InboxEvent{Source: "shopify", ID: "d-o3", PayloadHash: 0x1003, Topic: "orders/create", Entity: order, Key: "O3", Payload: []byte(`{"number":"O3"}`), ReceivedAt: at(4 * time.Second)}
	evP := store.InboxEvent{Source: "erp", ID: "d-p", PayloadHash: 0x1004, Topic: "item", Entity: prod, Key: "O1", Payload: []byte(`{"sku":"O1"}`), ReceivedAt: at(5 * time.Second)}
	for _, ev := range []store.InboxEvent{evK, evO1, evO2, evO3, evP} {
		addInbox(t, s, ev, true)
	}
	must(t, s.MarkInboxDone(ctx, "shopify", "d-o1"))

	must(t, s.PutLinks(ctx, []store.Link{
		{Entity: cust, Key: k, ERPKey: "C-1", ShopKey: "S-1"},
		{Entity: cust, Key: "C-other", ERPKey: "C-2", ShopKey: "S-2"},
		{Entity: order, Key: "O1", ERPKey: "E-O1", ShopKey: "S-O1"},
		{Entity: order, Key: "O2", ERPKey: "E-O2", ShopKey: "S-O2"},
		{Entity: order, Key: "O3", ERPKey: "E-O3", ShopKey: "S-O3"},
		{Entity: prod, Key: "O1", ERPKey: "P-1", ShopKey: "SP-1"},
	}))

	must(t, s.AppendAudit(ctx, []store.AuditRecord{
		{Flow: "customers", Entity: cust, Key: k, Target: kontor.SideShop, Op: store.OpCreate, After: 0xC1, Outcome: kontor.Created, At: at(0)},
		{Flow: "customers", Entity: cust, Key: k, Target: kontor.SideShop, Op: store.OpUpdate, Before: 0xC1, After: 0xC2,
			Outcome: kontor.Failed, Error: "customer " + k + ": email: invalid", At: at(1 * m)},
		{Flow: "orders", Entity: order, Key: "O1", Target: kontor.SideERP, Op: store.OpCreate, After: 0xD1, Outcome: kontor.Created, At: at(2 * m)},
		{Flow: "customers", Entity: cust, Key: "C-other", Target: kontor.SideShop, Op: store.OpCreate, After: 0xC3, Outcome: kontor.Created, At: at(3 * m)},
		{Flow: "orders", Entity: order, Key: "O3", Target: kontor.SideERP, Op: store.OpCreate, After: 0xD3, Outcome: kontor.Created, At: at(4 * m)},
		{Flow: "products", Entity: prod, Key: "O1", Target: kontor.SideShop, Op: store.OpUpdate, Before: 0xE0, After: 0xE1, Outcome: kontor.Updated, At: at(5 * m)},
		{Flow: "orders", Entity: order, Key: "O2", Target: kontor.SideERP, Op: store.OpUpdate, Before: 0xD1, After: 0xD2,
			Outcome: kontor.Failed, Error: "order O2: lines[0].sku: unknown", At: at(6 * m)},
	}))
	before := audit(t, s, store.AuditFilter{})

	wantCounts(t, "Redact of the customer", redact(t, s, cust, k),
		store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 2})
	// A key twice, and one the store never saw.
	wantCounts(t, "Redact of her orders", redact(t, s, order, "O1", "O2", "O-unknown", "O1"),
		store.RedactCounts{DeadLetters: 1, InboxEvents: 2, Links: 2, AuditRecords: 2})

	// Dead letters: hers are gone, the others are as they were.
	dls := deadLetters(t, s, store.DeadLetterFilter{})
	if len(dls) != len(kept) {
		t.Fatalf("DeadLetters after Redact: %d, want %d", len(dls), len(kept))
	}
	for i := range kept {
		wantDeadLetter(t, fmt.Sprintf("DeadLetters[%d] after Redact", i), dls[i], kept[i])
	}
	wantIDs(t, "DeadLetters of the erased key", deadLetters(t, s, store.DeadLetterFilter{Key: k}))

	// Inbox: the rows stay, without payload or key; the others are as
	// they were.
	erased := func(ev store.InboxEvent) store.InboxEvent { ev.Key, ev.Payload = "", nil; return ev }
	wantEvents(t, "PendingInbox after Redact", pending(t, s, 0), []store.InboxEvent{erased(evK), erased(evO2), evO3, evP})
	// Redeliveries of erased events are still duplicates: by id, and by
	// payload hash under a new id.
	addInbox(t, s, evK, false)
	addInbox(t, s, evO1, false)
	addInbox(t, s, evO2, false)
	redelivered := evK
	redelivered.ID = "d-k-again"
	addInbox(t, s, redelivered, false)
	redelivered = evO1
	redelivered.ID = "d-o1-again"
	addInbox(t, s, redelivered, false)
	wantEvents(t, "PendingInbox after redeliveries", pending(t, s, 0), []store.InboxEvent{erased(evK), erased(evO2), evO3, evP})
	must(t, s.MarkInboxDone(ctx, "shopify", "d-k"))
	wantEvents(t, "PendingInbox after handling an erased event", pending(t, s, 0), []store.InboxEvent{erased(evO2), evO3, evP})

	// Links: hers are gone from both sides; the others stay.
	for _, l := range []struct {
		entity kontor.Entity
		key    string
		want   store.Link
	}{
		{cust, k, store.Link{Entity: cust, Key: k}},
		{order, "O1", store.Link{Entity: order, Key: "O1"}},
		{order, "O2", store.Link{Entity: order, Key: "O2"}},
		{cust, "C-other", store.Link{Entity: cust, Key: "C-other", ERPKey: "C-2", ShopKey: "S-2", Found: true}},
		{order, "O3", store.Link{Entity: order, Key: "O3", ERPKey: "E-O3", ShopKey: "S-O3", Found: true}},
		{prod, "O1", store.Link{Entity: prod, Key: "O1", ERPKey: "P-1", ShopKey: "SP-1", Found: true}},
	} {
		wantLink(t, fmt.Sprintf("link %s %s after Redact", l.entity, l.key), linkOf(t, s, l.entity, l.key), l.want)
	}
	for _, r := range []struct {
		entity kontor.Entity
		side   kontor.Side
		remote string
	}{{cust, kontor.SideERP, "C-1"}, {cust, kontor.SideShop, "S-1"}, {order, kontor.SideShop, "S-O1"}, {order, kontor.SideERP, "E-O2"}} {
		_, err := s.LinkByRemote(ctx, r.entity, r.side, r.remote)
		wantNotFound(t, fmt.Sprintf("LinkByRemote(%s, %s, %s) after Redact", r.entity, r.side, r.remote), err)
	}
	// Her remote keys are free for another link.
	must(t, s.PutLinks(ctx, []store.Link{{Entity: cust, Key: "C-new", ERPKey: "C-1", ShopKey: "S-1"}}))
	if l, err := s.LinkByRemote(ctx, cust, kontor.SideShop, "S-1"); err != nil || l.Key != "C-new" {
		t.Errorf("LinkByRemote of a freed remote key = %+v, %v; want the link C-new", l, err)
	}

	// Audit: the same records, Seqs, fingerprints and times; hers keyed by
	// their placeholders, also in their error texts.
	after := audit(t, s, store.AuditFilter{})
	wantSeqs(t, "Audit after Redact", after, 1, 2, 3, 4, 5, 6, 7)
	if len(after) != len(before) {
		return
	}
	seen := map[string]bool{}
	for i, w := range before {
		g := after[i]
		sameTime(t, fmt.Sprintf("Audit[%d].At after Redact", i), g.At, w.At)
		g.At, w.At = time.Time{}, time.Time{}
		switch i {
		case 0, 1, 2, 6: // hers
			placeholder := store.RedactedKey(w.Flow, w.Seq)
			if !strings.HasPrefix(placeholder, "redacted:") || seen[placeholder] {
				t.Errorf("RedactedKey(%s, %d) = %q, want a distinct placeholder starting with redacted:", w.Flow, w.Seq, placeholder)
			}
			seen[placeholder] = true
			w.Error = strings.ReplaceAll(w.Error, w.Key, placeholder)
			w.Key = placeholder
		}
		if g != w {
			t.Errorf("Audit[%d] after Redact = %+v, want %+v", i, g, w)
		}
	}
	if got := after[1].Error; got != "customer "+store.RedactedKey("customers", 2)+": email: invalid" {
		t.Errorf("error text of an erased record = %q, want the key replaced by the placeholder", got)
	}
	wantSeqs(t, "Audit of the erased key", audit(t, s, store.AuditFilter{Key: k}))
	wantSeqs(t, "Audit of O1, a product's SKU too", audit(t, s, store.AuditFilter{Key: "O1"}), 6)
	noCanary(t, s, "after Redact")
}

func redactUnknownKeys(t testing.TB, s store.Store) {
	ctx := t.Context()
	cust := kontor.EntityCustomer
	wantCounts(t, "Redact in an empty store", redact(t, s, cust, canary), store.RedactCounts{})

	dl := addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: canary, Payload: []byte(canary), FirstFailed: at(0), LastFailed: at(0)})
	ev := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 7, Entity: cust, Key: canary, Payload: []byte(canary), ReceivedAt: at(0)}
	addInbox(t, s, ev, true)
	link := store.Link{Entity: cust, Key: canary, ERPKey: "C-1", Found: true}
	must(t, s.PutLinks(ctx, []store.Link{link}))
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "customers", Entity: cust, Key: canary, Op: store.OpCreate, After: 1, Outcome: kontor.Created, At: at(0)}}))

	for _, tc := range []struct {
		name   string
		entity kontor.Entity
		keys   []string
	}{
		{"an unknown key", cust, []string{"nobody@example.com"}},
		{"the key of another entity", kontor.EntityOrder, []string{canary}},
		{"a prefix of the key", cust, []string{canary[:10]}},
		{"no keys", cust, nil},
		{"an empty list", cust, []string{}},
	} {
		wantCounts(t, "Redact of "+tc.name, redact(t, s, tc.entity, tc.keys...), store.RedactCounts{})
	}
	wantIDs(t, "DeadLetters after Redacts that match nothing", deadLetters(t, s, store.DeadLetterFilter{}), dl.ID)
	wantEvents(t, "PendingInbox after Redacts that match nothing", pending(t, s, 0), []store.InboxEvent{ev})
	wantLink(t, "link after Redacts that match nothing", linkOf(t, s, cust, canary), link)
	if recs := audit(t, s, store.AuditFilter{Key: canary}); len(recs) != 1 {
		t.Errorf("Audit of the key after Redacts that match nothing = %d records, want 1", len(recs))
	}

	// The erasure itself, then again: the second finds nothing.
	wantCounts(t, "Redact", redact(t, s, cust, canary), store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1})
	wantCounts(t, "Redact repeated", redact(t, s, cust, canary), store.RedactCounts{})
	noCanary(t, s, "after Redact")
}

func redactRejected(t testing.TB, s store.Store) {
	ctx := t.Context()
	cust := kontor.EntityCustomer
	addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: canary, Payload: []byte(canary), FirstFailed: at(0), LastFailed: at(0)})
	must(t, s.PutLinks(ctx, []store.Link{{Entity: cust, Key: canary, ERPKey: "C-1"}}))
	for _, tc := range []struct {
		name   string
		entity kontor.Entity
		keys   []string
	}{
		{"an empty entity", "", []string{canary}},
		{"an empty key", cust, []string{canary, ""}},
	} {
		c, err := s.Redact(ctx, tc.entity, tc.keys)
		wantValidation(t, "Redact with "+tc.name, err)
		if err != nil && strings.Contains(err.Error(), canary) {
			t.Errorf("Redact with %s: error %q contains a key", tc.name, err)
		}
		wantCounts(t, "Redact with "+tc.name, c, store.RedactCounts{})
	}
	if dls := deadLetters(t, s, store.DeadLetterFilter{Key: canary}); len(dls) != 1 {
		t.Errorf("a rejected Redact erased dead letters: %d left, want 1", len(dls))
	}
	if l := linkOf(t, s, cust, canary); !l.Found {
		t.Error("a rejected Redact erased a link")
	}
}

// holdsCanary returns where the records of entity (dead letters, pending
// events, audit records) still hold the canary, and whether the others do.
func holdsCanary(t testing.TB, s store.Store, entity kontor.Entity) (in []string, elsewhere bool) {
	t.Helper()
	note := func(e kontor.Entity, what string, texts ...string) {
		for _, x := range texts {
			if strings.Contains(x, canary) {
				if e == entity {
					in = append(in, what)
				} else {
					elsewhere = true
				}
				return
			}
		}
	}
	for _, dl := range deadLetters(t, s, store.DeadLetterFilter{}) {
		note(dl.Entity, fmt.Sprintf("dead letter %d", dl.ID), dl.Key, dl.Error, string(dl.Payload))
	}
	for _, ev := range pending(t, s, 0) {
		note(ev.Entity, "inbox event "+ev.Source+"/"+ev.ID, ev.Key, string(ev.Payload))
	}
	for _, r := range audit(t, s, store.AuditFilter{}) {
		note(r.Entity, fmt.Sprintf("audit record %d", r.Seq), r.Key, r.Error)
	}
	return in, elsewhere
}

func redactAll(t testing.TB, s store.Store, entity kontor.Entity) store.RedactCounts {
	t.Helper()
	c, err := s.RedactAll(t.Context(), entity)
	must(t, err)
	return c
}

// redactAllErases: a shop is gone, and with it all its customers. The
// canary is in the payloads of customers and of a product and an order;
// RedactAll of the customers erases every customer record and leaves the
// product's and the order's as they were.
func redactAllErases(t testing.TB, s store.Store) {
	ctx := t.Context()
	cust, order, prod := kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityProduct
	personal := []byte(`{"email":"` + canary + `","name":"Jane Canary"}`)
	m := time.Minute

	// Dead letters: two customers', one keyed by the canary; a product's
	// and an order's that hold the canary too and stay.
	addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: canary, Class: store.ClassValidation,
		Error: "customer: email: invalid", Payload: personal, FirstFailed: at(0), LastFailed: at(0)})
	addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: "C-2", Class: store.ClassTransient,
		Error: "timeout", Payload: personal, FirstFailed: at(1 * m), LastFailed: at(1 * m)})
	kept := []store.DeadLetter{
		addDeadLetter(t, s, store.DeadLetter{Flow: "products", Entity: prod, Key: "SKU-1", Class: store.ClassPermanent,
			Error: "refused", Payload: personal, FirstFailed: at(2 * m), LastFailed: at(2 * m)}),
		addDeadLetter(t, s, store.DeadLetter{Flow: "orders", Entity: order, Key: "O1", Class: store.ClassMapping,
			Error: "unknown SKU", Payload: personal, FirstFailed: at(3 * m), LastFailed: at(3 * m)}),
	}

	// Inbox: customer events with a key (one handled), one without a key
	// but with a payload, one with neither; a product's and an order's.
	evC1 := store.InboxEvent{Source: "shopify", ID: "d-c1", PayloadHash: 0x2001, Topic: "customers/update", Entity: cust, Key: canary, Payload: personal, ReceivedAt: at(1 * time.Second)}
	evC2 := store.InboxEvent{Source: "shopify", ID: "d-c2", PayloadHash: 0x2002, Topic: "customers/create", Entity: cust, Key: "C-2", Payload: personal, ReceivedAt: at(2 * time.Second)}
	evC0 := store.InboxEvent{Source: "shopify", ID: "d-c0", Topic: "customers/update", Entity: cust, Payload: personal, ReceivedAt: at(3 * time.Second)}
	evBare := store.InboxEvent{Source: "shopify", ID: "d-bare", Topic: "customers/update", Entity: cust, ReceivedAt: at(4 * time.Second)}
	evP := store.InboxEvent{Source: "erp", ID: "d-p", PayloadHash: 0x2004, Topic: "item", Entity: prod, Key: "SKU-1", Payload: personal, ReceivedAt: at(5 * time.Second)}
	evO := store.InboxEvent{Source: "shopify", ID: "d-o", PayloadHash: 0x2005, Topic: "orders/create", Entity: order, Key: "O1", Payload: personal, ReceivedAt: at(6 * time.Second)}
	for _, ev := range []store.InboxEvent{evC1, evC2, evC0, evBare, evP, evO} {
		addInbox(t, s, ev, true)
	}
	must(t, s.MarkInboxDone(ctx, "shopify", "d-c2"))

	must(t, s.PutLinks(ctx, []store.Link{
		{Entity: cust, Key: canary, ERPKey: "C-1", ShopKey: "S-1"},
		{Entity: cust, Key: "C-2", ERPKey: "C-2E", ShopKey: "S-2"},
		{Entity: prod, Key: "SKU-1", ERPKey: "P-1", ShopKey: "SP-1"},
		{Entity: order, Key: "O1", ERPKey: "E-O1", ShopKey: "S-O1"},
	}))

	// Audit: a customer erased before and the record of that erasure,
	// which RedactAll leaves as they are.
	must(t, s.AppendAudit(ctx, []store.AuditRecord{
		{Flow: "customers", Entity: cust, Key: "C-old", Target: kontor.SideShop, Op: store.OpCreate, After: 0xB0, Outcome: kontor.Created, At: at(0)},
	}))
	wantCounts(t, "Redact of C-old", redact(t, s, cust, "C-old"), store.RedactCounts{AuditRecords: 1})
	must(t, s.AppendAudit(ctx, []store.AuditRecord{
		{Flow: "redact", Entity: cust, Key: "redacted", Op: store.OpRedact, Outcome: kontor.Updated,
			Error: "gdpr: erased 0 dead letters, 0 inbox payloads, 0 links, 1 audit keys", At: at(1 * m)},
		{Flow: "customers", Entity: cust, Key: canary, Target: kontor.SideShop, Op: store.OpCreate, After: 0xC1, Outcome: kontor.Created, At: at(2 * m)},
		{Flow: "customers", Entity: cust, Key: canary, Target: kontor.SideShop, Op: store.OpUpdate, Before: 0xC1, After: 0xC2,
			Outcome: kontor.Failed, Error: "customer " + canary + ": email: invalid", At: at(3 * m)},
		{Flow: "products", Entity: prod, Key: "SKU-1", Target: kontor.SideShop, Op: store.OpUpdate, Before: 0xE0, After: 0xE1,
			Outcome: kontor.Failed, Error: "product SKU-1: refused", At: at(4 * m)},
		{Flow: "customers", Entity: cust, Key: "C-2", Target: kontor.SideERP, Op: store.OpCreate, After: 0xC3, Outcome: kontor.Created, At: at(5 * m)},
		{Flow: "orders", Entity: order, Key: "O1", Target: kontor.SideERP, Op: store.OpCreate, After: 0xD1, Outcome: kontor.Created, At: at(6 * m)},
	}))
	before := audit(t, s, store.AuditFilter{})
	if in, _ := holdsCanary(t, s, cust); len(in) == 0 {
		t.Fatal("the check planted no canary in the customers' records")
	}

	wantCounts(t, "RedactAll of the customers", redactAll(t, s, cust),
		store.RedactCounts{DeadLetters: 2, InboxEvents: 3, Links: 2, AuditRecords: 3})
	// Again: nothing more to erase.
	wantCounts(t, "RedactAll repeated", redactAll(t, s, cust), store.RedactCounts{})

	// No customer record holds the canary; the product's and the order's
	// still do.
	in, elsewhere := holdsCanary(t, s, cust)
	if len(in) > 0 {
		t.Errorf("after RedactAll of the customers, these still hold the canary: %v", in)
	}
	if !elsewhere {
		t.Error("RedactAll of the customers erased the canary from another entity's records")
	}

	// Dead letters: the customers' are gone, the others are as they were.
	dls := deadLetters(t, s, store.DeadLetterFilter{})
	if len(dls) != len(kept) {
		t.Fatalf("DeadLetters after RedactAll: %d, want %d", len(dls), len(kept))
	}
	for i := range kept {
		wantDeadLetter(t, fmt.Sprintf("DeadLetters[%d] after RedactAll", i), dls[i], kept[i])
	}

	// Inbox: the customers' rows stay, without payload or key; the others
	// are as they were.
	erased := func(ev store.InboxEvent) store.InboxEvent { ev.Key, ev.Payload = "", nil; return ev }
	wantEvents(t, "PendingInbox after RedactAll", pending(t, s, 0), []store.InboxEvent{erased(evC1), erased(evC0), evBare, evP, evO})
	// Redeliveries are still duplicates: by id, and by payload hash under
	// a new id.
	addInbox(t, s, evC1, false)
	addInbox(t, s, evC2, false)
	redelivered := evC2
	redelivered.ID = "d-c2-again"
	addInbox(t, s, redelivered, false)
	wantEvents(t, "PendingInbox after redeliveries", pending(t, s, 0), []store.InboxEvent{erased(evC1), erased(evC0), evBare, evP, evO})

	// Links: the customers' are gone from both sides and their remote
	// keys are free; the others stay.
	for _, l := range []struct {
		entity kontor.Entity
		key    string
		want   store.Link
	}{
		{cust, canary, store.Link{Entity: cust, Key: canary}},
		{cust, "C-2", store.Link{Entity: cust, Key: "C-2"}},
		{prod, "SKU-1", store.Link{Entity: prod, Key: "SKU-1", ERPKey: "P-1", ShopKey: "SP-1", Found: true}},
		{order, "O1", store.Link{Entity: order, Key: "O1", ERPKey: "E-O1", ShopKey: "S-O1", Found: true}},
	} {
		wantLink(t, fmt.Sprintf("link %s %s after RedactAll", l.entity, l.key), linkOf(t, s, l.entity, l.key), l.want)
	}
	for _, r := range []struct {
		side   kontor.Side
		remote string
	}{{kontor.SideERP, "C-1"}, {kontor.SideShop, "S-1"}, {kontor.SideERP, "C-2E"}, {kontor.SideShop, "S-2"}} {
		_, err := s.LinkByRemote(ctx, cust, r.side, r.remote)
		wantNotFound(t, fmt.Sprintf("LinkByRemote(customer, %s, %s) after RedactAll", r.side, r.remote), err)
	}
	must(t, s.PutLinks(ctx, []store.Link{{Entity: cust, Key: "C-new", ERPKey: "C-1", ShopKey: "S-1"}}))
	if l, err := s.LinkByRemote(ctx, cust, kontor.SideERP, "C-1"); err != nil || l.Key != "C-new" {
		t.Errorf("LinkByRemote of a freed remote key = %+v, %v; want the link C-new", l, err)
	}

	// Audit: the same records, Seqs, fingerprints and times; the
	// customers' keyed by their placeholders, also in their error texts;
	// the one erased before and the erasure's record as they were.
	after := audit(t, s, store.AuditFilter{})
	wantSeqs(t, "Audit after RedactAll", after, 1, 2, 3, 4, 5, 6, 7)
	if len(after) != len(before) {
		return
	}
	for i, w := range before {
		g := after[i]
		sameTime(t, fmt.Sprintf("Audit[%d].At after RedactAll", i), g.At, w.At)
		g.At, w.At = time.Time{}, time.Time{}
		switch i {
		case 2, 3, 5: // the customers' not erased before
			placeholder := store.RedactedKey(w.Flow, w.Seq)
			w.Error = strings.ReplaceAll(w.Error, w.Key, placeholder)
			w.Key = placeholder
		}
		if g != w {
			t.Errorf("Audit[%d] after RedactAll = %+v, want %+v", i, g, w)
		}
	}
	if got := after[3].Error; got != "customer "+store.RedactedKey("customers", 4)+": email: invalid" {
		t.Errorf("error text of an erased record = %q, want the key replaced by the placeholder", got)
	}

	// The orders now: the order's records go, the product's stay.
	wantCounts(t, "RedactAll of the orders", redactAll(t, s, order),
		store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1})
	wantIDs(t, "DeadLetters after RedactAll of the orders", deadLetters(t, s, store.DeadLetterFilter{}), kept[0].ID)
	wantEvents(t, "PendingInbox after RedactAll of the orders", pending(t, s, 0), []store.InboxEvent{erased(evC1), erased(evC0), evBare, evP, erased(evO)})
	wantLink(t, "link of the product after RedactAll of the orders", linkOf(t, s, prod, "SKU-1"),
		store.Link{Entity: prod, Key: "SKU-1", ERPKey: "P-1", ShopKey: "SP-1", Found: true})
	if recs := audit(t, s, store.AuditFilter{Key: "SKU-1"}); len(recs) != 1 || recs[0].Error != "product SKU-1: refused" {
		t.Errorf("audit of the product after RedactAll of the orders = %+v, want its record unchanged", recs)
	}
}

// redactAllNothing: RedactAll of an entity the store holds nothing of
// gives zero counts and touches nothing.
func redactAllNothing(t testing.TB, s store.Store) {
	ctx := t.Context()
	cust := kontor.EntityCustomer
	wantCounts(t, "RedactAll in an empty store", redactAll(t, s, cust), store.RedactCounts{})

	dl := addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: canary, Payload: []byte(canary), FirstFailed: at(0), LastFailed: at(0)})
	ev := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 7, Entity: cust, Key: canary, Payload: []byte(canary), ReceivedAt: at(0)}
	addInbox(t, s, ev, true)
	link := store.Link{Entity: cust, Key: canary, ERPKey: "C-1", Found: true}
	must(t, s.PutLinks(ctx, []store.Link{link}))
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "customers", Entity: cust, Key: canary, Op: store.OpCreate, After: 1, Outcome: kontor.Created, At: at(0)}}))

	wantCounts(t, "RedactAll of another entity", redactAll(t, s, kontor.EntityOrder), store.RedactCounts{})
	wantIDs(t, "DeadLetters after RedactAll of another entity", deadLetters(t, s, store.DeadLetterFilter{}), dl.ID)
	wantEvents(t, "PendingInbox after RedactAll of another entity", pending(t, s, 0), []store.InboxEvent{ev})
	wantLink(t, "link after RedactAll of another entity", linkOf(t, s, cust, canary), link)
	if recs := audit(t, s, store.AuditFilter{Key: canary}); len(recs) != 1 {
		t.Errorf("Audit of the key after RedactAll of another entity = %d records, want 1", len(recs))
	}
}

// redactAllRejected: RedactAll without an entity is refused and erases
// nothing.
func redactAllRejected(t testing.TB, s store.Store) {
	ctx := t.Context()
	cust := kontor.EntityCustomer
	addDeadLetter(t, s, store.DeadLetter{Flow: "customers", Entity: cust, Key: canary, Payload: []byte(canary), FirstFailed: at(0), LastFailed: at(0)})
	must(t, s.PutLinks(ctx, []store.Link{{Entity: cust, Key: canary, ERPKey: "C-1"}}))
	c, err := s.RedactAll(ctx, "")
	wantValidation(t, "RedactAll with an empty entity", err)
	wantCounts(t, "RedactAll with an empty entity", c, store.RedactCounts{})
	if dls := deadLetters(t, s, store.DeadLetterFilter{Key: canary}); len(dls) != 1 {
		t.Errorf("a rejected RedactAll erased dead letters: %d left, want 1", len(dls))
	}
	if l := linkOf(t, s, cust, canary); !l.Found {
		t.Error("a rejected RedactAll erased a link")
	}
}
