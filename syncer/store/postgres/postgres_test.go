package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// openStore opens a store on schema and closes it when the test ends,
// before the schema is dropped.
func openStore(t testing.TB, dsn, schema string, opts ...Option) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, dsn, append([]Option{Schema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// newTestStore opens a store on a fresh schema of its own.
func newTestStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	dsn := pgtest.DSN(t)
	return openStore(t, dsn, pgtest.Schema(t, dsn), opts...)
}

// runParallel runs the conformance suite like storetest.Run, but its checks
// in parallel: each has a schema of its own, and a check mostly waits on
// the server.
func runParallel(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, c := range storetest.Checks() {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			c.Fn(t, newStore(t))
		})
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	runParallel(t, func(t *testing.T) store.Store { return newTestStore(t) })
}

// TestConformanceSharedSchema runs the suite against three stores, each
// with a pool of its own, on one schema, with every call going to the
// next store: what several processes sharing a database do. The
// concurrency checks then race across pools.
func TestConformanceSharedSchema(t *testing.T) {
	t.Parallel()
	runParallel(t, func(t *testing.T) store.Store {
		dsn := pgtest.DSN(t)
		schema := pgtest.Schema(t, dsn)
		rr := &roundRobin{}
		for range 3 {
			rr.stores = append(rr.stores, openStore(t, dsn, schema))
		}
		return rr
	})
}

// roundRobin is a store.Store that sends each call to the next of its
// stores.
type roundRobin struct {
	stores []*Store
	next   atomic.Uint64
}

func (r *roundRobin) pick() *Store { return r.stores[(r.next.Add(1)-1)%uint64(len(r.stores))] }

func (r *roundRobin) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	return r.pick().Cursor(ctx, flow)
}
func (r *roundRobin) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	return r.pick().SetCursor(ctx, flow, c)
}
func (r *roundRobin) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	return r.pick().States(ctx, flow, keys)
}
func (r *roundRobin) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	return r.pick().PutStates(ctx, flow, states)
}
func (r *roundRobin) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	return r.pick().Links(ctx, entity, keys)
}
func (r *roundRobin) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (store.Link, error) {
	return r.pick().LinkByRemote(ctx, entity, side, remoteKey)
}
func (r *roundRobin) PutLinks(ctx context.Context, links []store.Link) error {
	return r.pick().PutLinks(ctx, links)
}
func (r *roundRobin) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	return r.pick().AddInbox(ctx, ev)
}
func (r *roundRobin) MarkInboxDone(ctx context.Context, source, id string) error {
	return r.pick().MarkInboxDone(ctx, source, id)
}
func (r *roundRobin) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	return r.pick().PendingInbox(ctx, limit)
}
func (r *roundRobin) BeginWrite(ctx context.Context, flow, key string, fp uint64, idem string) (store.WriteRecord, error) {
	return r.pick().BeginWrite(ctx, flow, key, fp, idem)
}
func (r *roundRobin) FinishWrite(ctx context.Context, flow, key string, fp uint64, st store.WriteState, target kontor.Meta) error {
	return r.pick().FinishWrite(ctx, flow, key, fp, st, target)
}
func (r *roundRobin) AddDeadLetter(ctx context.Context, dl store.DeadLetter) (store.DeadLetter, error) {
	return r.pick().AddDeadLetter(ctx, dl)
}
func (r *roundRobin) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	return r.pick().DeadLetters(ctx, f)
}
func (r *roundRobin) DeleteDeadLetter(ctx context.Context, id int64) error {
	return r.pick().DeleteDeadLetter(ctx, id)
}
func (r *roundRobin) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	return r.pick().AppendAudit(ctx, recs)
}
func (r *roundRobin) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	return r.pick().Audit(ctx, f)
}
func (r *roundRobin) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	return r.pick().Redact(ctx, entity, keys)
}
func (r *roundRobin) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	return r.pick().RedactAll(ctx, entity)
}

// TestConcurrentLinkMovesAcrossStores: stores on one schema move one ERP
// key between links at once; afterwards exactly one link holds it, the one
// LinkByRemote names.
func TestConcurrentLinkMovesAcrossStores(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	const writers, rounds = 4, 10
	p := kontor.EntityProduct
	var (
		wg   sync.WaitGroup
		errs [writers]error
	)
	stores := make([]*Store, writers)
	for i := range stores {
		stores[i] = openStore(t, dsn, schema)
	}
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				err := stores[w].PutLinks(t.Context(), []store.Link{
					{Entity: p, Key: fmt.Sprintf("SKU-%d", (w+r)%3), ERPKey: "E-SHARED", ShopKey: fmt.Sprintf("S-%d-%d", w, r)},
					{Entity: p, Key: fmt.Sprintf("SKU-%d", (w+r+1)%3), ShopKey: "S-SHARED"},
				})
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", w, err)
		}
	}
	ls, err := stores[0].Links(t.Context(), p, []string{"SKU-0", "SKU-1", "SKU-2"})
	must(t, err)
	for _, remote := range []struct {
		side kontor.Side
		key  string
		get  func(store.Link) string
	}{
		{kontor.SideERP, "E-SHARED", func(l store.Link) string { return l.ERPKey }},
		{kontor.SideShop, "S-SHARED", func(l store.Link) string { return l.ShopKey }},
	} {
		var holders []string
		for _, l := range ls {
			if remote.get(l) == remote.key {
				holders = append(holders, l.Key)
			}
		}
		byRemote, err := stores[1].LinkByRemote(t.Context(), p, remote.side, remote.key)
		must(t, err)
		if len(holders) != 1 || holders[0] != byRemote.Key {
			t.Errorf("%s key %s held by %v, LinkByRemote says %s; want exactly the one it names", remote.side, remote.key, holders, byRemote.Key)
		}
	}
}

// TestDataSurvivesReopen writes one of everything, closes the store, opens
// the schema again and reads it all back; IDs and Seqs go on from where
// they were.
func TestDataSurvivesReopen(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	ctx := t.Context()
	at := time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.UTC)
	p := kontor.EntityProduct

	s := openStore(t, dsn, schema)
	must(t, s.SetCursor(ctx, "products", kontor.Cursor{Since: at, Token: "page-7"}))
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 11, Version: 3, UpdatedAt: at}}))
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1", UpdatedAt: at}}))
	if _, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 5, Payload: []byte("{}"), ReceivedAt: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-1"); err != nil {
		t.Fatal(err)
	}
	dl, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1002", Error: "timeout", FirstFailed: at, LastFailed: at})
	must(t, err)
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}, {Flow: "products", Key: "SKU-2"}}))
	must(t, s.DeleteDeadLetter(ctx, dl.ID))
	s.Close()

	s = openStore(t, dsn, schema)
	if c, err := s.Cursor(ctx, "products"); err != nil || c.Token != "page-7" || !c.Since.Equal(at) {
		t.Errorf("cursor after a reopen = %+v, %v", c, err)
	}
	if st, err := s.States(ctx, "products", []string{"SKU-1"}); err != nil || !st[0].Found || st[0].Fingerprint != 11 || st[0].Version != 3 || !st[0].UpdatedAt.Equal(at) {
		t.Errorf("state after a reopen = %+v, %v", st, err)
	}
	if l, err := s.LinkByRemote(ctx, p, kontor.SideShop, "S1"); err != nil || l.Key != "SKU-1" || l.ERPKey != "E1" {
		t.Errorf("link after a reopen = %+v, %v", l, err)
	}
	if added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-2", PayloadHash: 5}); err != nil || added {
		t.Errorf("redelivery after a reopen: added %v, %v; want a duplicate", added, err)
	}
	if r, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-2"); err != nil || r.IdempotencyKey != "idem-1" {
		t.Errorf("write record after a reopen = %+v, %v; want idem-1", r, err)
	}
	again, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1002"})
	must(t, err)
	if again.ID <= dl.ID || again.Attempts != 1 {
		t.Errorf("dead letter after delete and reopen = ID %d attempts %d, want an ID above %d and 1 attempt", again.ID, again.Attempts, dl.ID)
	}
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-3"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{AfterSeq: 2})
	must(t, err)
	if len(recs) != 1 || recs[0].Seq != 3 {
		t.Errorf("audit after a reopen = %+v, want Seq 3", recs)
	}
}

// TestUint64AboveInt64 stores fingerprints and hashes at and above 2^63,
// which PostgreSQL's bigint holds as their negative bit pattern.
func TestUint64AboveInt64(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	s := openStore(t, dsn, schema)
	ctx := t.Context()
	for i, fp := range []uint64{1 << 63, 1<<63 + 1, 1<<64 - 1, 1<<63 - 1} {
		key := fmt.Sprintf("SKU-%d", i)
		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: key, Fingerprint: fp}}))
		st, err := s.States(ctx, "products", []string{key})
		must(t, err)
		if st[0].Fingerprint != fp {
			t.Errorf("state fingerprint %d came back as %d", fp, st[0].Fingerprint)
		}
		r, err := s.BeginWrite(ctx, "orders", key, fp, "idem-"+key)
		must(t, err)
		if r.Fingerprint != fp {
			t.Errorf("write record fingerprint %d came back as %d", fp, r.Fingerprint)
		}
		must(t, s.FinishWrite(ctx, "orders", key, fp, store.WriteDone, kontor.Meta{}))
		if added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-" + key, PayloadHash: fp}); err != nil || !added {
			t.Fatalf("AddInbox with hash %d: %v, %v", fp, added, err)
		}
		if added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "again-" + key, PayloadHash: fp}); err != nil || added {
			t.Errorf("redelivery with hash %d: added %v, %v; want a duplicate", fp, added, err)
		}
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: key, Before: fp, After: fp - 1}}))
		recs, err := s.Audit(ctx, store.AuditFilter{Key: key})
		must(t, err)
		if len(recs) != 1 || recs[0].Before != fp || recs[0].After != fp-1 {
			t.Errorf("audit of fingerprint %d = %+v", fp, recs)
		}
	}
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	if len(evs) != 4 || evs[0].PayloadHash != 1<<63 || evs[2].PayloadHash != 1<<64-1 {
		t.Errorf("pending events = %+v, want 4 with their hashes", evs)
	}
	// In SQL, 2^63 is the smallest bigint.
	var stored int64
	if err := admin(t, dsn).QueryRow(ctx, "SELECT fingerprint FROM "+pgx.Identifier{schema}.Sanitize()+".kontor_states WHERE key = 'SKU-0'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != -1<<63 {
		t.Errorf("fingerprint 2^63 stored as %d, want %d", stored, int64(-1<<63))
	}
}

// TestTimes: item state and cursor times come back to the nanosecond and
// in UTC; other times to the microsecond; zero times stay zero.
func TestTimes(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := t.Context()
	cet := time.FixedZone("CET", 3600)
	exact := time.Date(2025, 3, 1, 9, 30, 0, 123456789, cet)
	old := time.Date(1600, 1, 1, 0, 0, 0, 1, time.UTC) // before what UnixNano can hold
	must(t, s.PutStates(ctx, "products", []store.ItemState{
		{Key: "exact", Fingerprint: 1, UpdatedAt: exact},
		{Key: "old", Fingerprint: 2, UpdatedAt: old},
		{Key: "zero", Fingerprint: 3},
	}))
	st, err := s.States(ctx, "products", []string{"exact", "old", "zero"})
	must(t, err)
	if !st[0].UpdatedAt.Equal(exact) || st[0].UpdatedAt.Location() != time.UTC {
		t.Errorf("UpdatedAt = %v, want %v in UTC", st[0].UpdatedAt, exact)
	}
	if !st[1].UpdatedAt.Equal(old) {
		t.Errorf("UpdatedAt = %v, want %v", st[1].UpdatedAt, old)
	}
	if !st[2].UpdatedAt.IsZero() {
		t.Errorf("zero UpdatedAt came back as %v", st[2].UpdatedAt)
	}
	// The engine asks whether a source time is newer than the stored one:
	// the same time must not be.
	if (kontor.Meta{UpdatedAt: exact}).Newer(st[0].Meta()) {
		t.Error("a time read back looks older than itself")
	}

	must(t, s.SetCursor(ctx, "products", kontor.Cursor{Since: exact}))
	if c, err := s.Cursor(ctx, "products"); err != nil || !c.Since.Equal(exact) {
		t.Errorf("cursor Since = %v, %v; want %v", c.Since, err, exact)
	}
	must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "t"}))
	if c, err := s.Cursor(ctx, "products"); err != nil || !c.Since.IsZero() {
		t.Errorf("cursor Since after a zero one = %v, %v; want zero", c.Since, err)
	}

	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "exact", At: exact}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if want := exact.Truncate(time.Microsecond); len(recs) != 1 || !recs[0].At.Equal(want) {
		t.Errorf("audit At = %v, want %v (microseconds)", recs, want)
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 987654000, time.UTC)
	s := newTestStore(t, Clock(func() time.Time { return now }))
	ctx := t.Context()
	must(t, s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1"}}))
	ls, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1"})
	must(t, err)
	if !ls[0].UpdatedAt.Equal(now) {
		t.Errorf("link UpdatedAt = %v, want the clock's %v", ls[0].UpdatedAt, now)
	}
	if _, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	if !evs[0].ReceivedAt.Equal(now) {
		t.Errorf("ReceivedAt = %v, want %v", evs[0].ReceivedAt, now)
	}
	r, err := s.BeginWrite(ctx, "orders", "1001", 1, "idem-1")
	must(t, err)
	if !r.CreatedAt.Equal(now) || !r.UpdatedAt.Equal(now) {
		t.Errorf("write record times = %v, %v; want %v", r.CreatedAt, r.UpdatedAt, now)
	}
	dl, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
	must(t, err)
	if !dl.FirstFailed.Equal(now) || !dl.LastFailed.Equal(now) {
		t.Errorf("dead letter times = %v, %v; want %v", dl.FirstFailed, dl.LastFailed, now)
	}
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if !recs[0].At.Equal(now) {
		t.Errorf("audit At = %v, want %v", recs[0].At, now)
	}
}

// TestNewOnCallerPool: New uses a pool the caller owns and leaves it open
// on Close; Pool hands it back for shared work.
func TestNewOnCallerPool(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := New(t.Context(), pool, Schema(schema))
	must(t, err)
	if s.Pool() != pool {
		t.Error("Pool() is not the pool given to New")
	}
	must(t, s.PutStates(t.Context(), "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
	s.Close()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{schema}.Sanitize()+".kontor_states").Scan(&n); err != nil {
		t.Fatalf("the caller's pool after the store's Close: %v", err)
	}
	if n != 1 {
		t.Errorf("%d states, want 1", n)
	}
}

// TestText: PostgreSQL text holds no invalid UTF-8 and no NUL; such keys
// are rejected with the field named, looked-up ones are not found, and
// error texts are repaired rather than lost.
func TestText(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := t.Context()
	bad := "SKU-\xff"
	nul := "SKU-\x00"
	for _, tc := range []struct {
		name, field string
		err         error
	}{
		{"PutStates", "states[1].Key", s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1"}, {Key: bad}})},
		{"PutStates NUL", "states[0].Key", s.PutStates(ctx, "products", []store.ItemState{{Key: nul}})},
		{"SetCursor", "Token", s.SetCursor(ctx, "products", kontor.Cursor{Token: bad})},
		{"PutLinks", "links[0].ShopKey", s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ShopKey: bad}})},
		{"AddInbox", "ID", func() error { _, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: bad}); return err }()},
		{"BeginWrite", "key", func() error { _, err := s.BeginWrite(ctx, "orders", nul, 1, "idem"); return err }()},
		{"AddDeadLetter", "Key", func() error { _, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: bad}); return err }()},
		{"AppendAudit", "recs[0].Key", s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: bad}})},
	} {
		if !errors.Is(tc.err, kontor.ErrValidation) || !strings.Contains(tc.err.Error(), tc.field) {
			t.Errorf("%s: error %v, want a validation error naming %s", tc.name, tc.err, tc.field)
		}
		if tc.err != nil && (strings.Contains(tc.err.Error(), bad) || strings.Contains(tc.err.Error(), nul)) {
			t.Errorf("%s: error %q holds the key", tc.name, tc.err)
		}
	}
	st, err := s.States(ctx, "products", []string{"SKU-1", bad, nul})
	must(t, err)
	if len(st) != 3 || st[0].Found || st[1].Found || st[2].Found || st[1].Key != bad {
		t.Errorf("States of unstorable keys = %+v, want three, none found, keys kept", st)
	}
	ls, err := s.Links(ctx, kontor.EntityProduct, []string{bad})
	must(t, err)
	if len(ls) != 1 || ls[0].Found {
		t.Errorf("Links of an unstorable key = %+v, want one, not found", ls)
	}
	if _, err := s.LinkByRemote(ctx, kontor.EntityProduct, kontor.SideERP, bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LinkByRemote of an unstorable key: %v, want ErrNotFound", err)
	}
	if err := s.MarkInboxDone(ctx, "shopify", bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkInboxDone of an unstorable id: %v, want ErrNotFound", err)
	}

	// Stored keys next to unstorable ones are still found, in place.
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}, {Key: "SKU-2", Fingerprint: 2}}))
	st, err = s.States(ctx, "products", []string{bad, "SKU-2", nul, "SKU-1"})
	must(t, err)
	if st[0].Found || st[1].Fingerprint != 2 || st[2].Found || st[3].Fingerprint != 1 {
		t.Errorf("States around unstorable keys = %+v", st)
	}

	dl, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001", Error: "bad byte \xff and \x00 here"})
	must(t, err)
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
	must(t, err)
	if want := "bad byte \uFFFD and \uFFFD here"; dl.Error != want || len(dls) != 1 || dls[0].Error != want {
		t.Errorf("dead letter Error = %q, stored %v; want %q", dl.Error, dls, want)
	}
}

// TestStatesUsesIndex guards the plan of the hot path: with keys compared
// as "C" text, a lookup walks the primary key, never the table.
func TestStatesUsesIndex(t *testing.T) {
	t.Parallel()
	s := newTestStore(t)
	ctx := t.Context()
	rows, err := s.Pool().Query(ctx, "EXPLAIN "+s.sql.states, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "kontor_states_pkey") || strings.Contains(plan, "Seq Scan on kontor_states") {
		t.Errorf("States plan does not use the primary key:\n%s", plan)
	}
}
