package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
)

var errRollback = errors.New("test: roll back")

// txFixture is a store on a fresh schema with a jobs table beside its
// tables, standing in for a job queue that shares the transaction.
type txFixture struct {
	s    *Store
	conn *pgx.Conn // an admin connection, outside every transaction
	jobs string    // the jobs table, quoted
}

func newTxFixture(t testing.TB) *txFixture {
	t.Helper()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	f := &txFixture{s: openStore(t, dsn, schema), conn: admin(t, dsn), jobs: pgx.Identifier{schema, "test_jobs"}.Sanitize()}
	execSQL(t, f.conn, "CREATE TABLE "+f.jobs+" (name text NOT NULL)")
	t.Cleanup(func() { f.noConnsHeld(t) })
	return f
}

// enqueue inserts a job on tx, as a queue's driver would.
func (f *txFixture) enqueue(ctx context.Context, tx pgx.Tx, name string) error {
	_, err := tx.Exec(ctx, "INSERT INTO "+f.jobs+" (name) VALUES ($1)", name)
	return err
}

// committedJobs returns the jobs committed, in name order.
func (f *txFixture) committedJobs(t *testing.T) []string {
	t.Helper()
	rows, err := f.conn.Query(t.Context(), "SELECT name FROM "+f.jobs+" ORDER BY name")
	must(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	return names
}

// noConnsHeld fails when InTx left a connection checked out of the pool.
func (f *txFixture) noConnsHeld(t testing.TB) {
	t.Helper()
	if n := f.s.Pool().Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still acquired from the pool after InTx returned, want 0", n)
	}
}

// seqs returns the Seqs and keys of the committed audit records.
func seqs(t *testing.T, s *Store) ([]int64, []string) {
	t.Helper()
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	must(t, err)
	var ss []int64
	var keys []string
	for _, r := range recs {
		ss = append(ss, r.Seq)
		keys = append(keys, r.Key)
	}
	return ss, keys
}

// writeAll makes one of each kind of write that InTx must carry.
func (f *txFixture) writeAll(ctx context.Context, tx pgx.Tx, tag string) error {
	s := f.s
	if _, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-"+tag); err != nil {
		return err
	}
	if err := s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 7}, {Key: "SKU-2", Fingerprint: 8}}); err != nil {
		return err
	}
	if err := s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1"}}); err != nil {
		return err
	}
	if err := s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: tag + "-a"}, {Flow: "products", Key: tag + "-b"}, {Flow: "products", Key: tag + "-c"}}); err != nil {
		return err
	}
	if _, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1002", Class: store.ClassTransient}); err != nil {
		return err
	}
	return f.enqueue(ctx, tx, "job-"+tag)
}

// TestInTxCommit: the writes of several calls and a raw insert on tx are
// invisible to others until the commit and all there after it.
func TestInTxCommit(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	err := s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		if err := f.writeAll(ctx, tx, "one"); err != nil {
			return err
		}
		// Outside the transaction nothing shows yet.
		if st, err := s.States(live, "products", []string{"SKU-1"}); err != nil || st[0].Found {
			t.Errorf("state seen outside the transaction before its commit: %+v, %v", st, err)
		}
		if got := f.committedJobs(t); len(got) != 0 {
			t.Errorf("jobs seen before the commit: %v", got)
		}
		return nil
	})
	must(t, err)

	r, err := s.BeginWrite(live, "orders", "1001", 42, "idem-later")
	must(t, err)
	if r.IdempotencyKey != "idem-one" {
		t.Errorf("write record after the commit has key %q, want idem-one", r.IdempotencyKey)
	}
	st, err := s.States(live, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	if !st[0].Found || st[0].Fingerprint != 7 || !st[1].Found || st[1].Fingerprint != 8 {
		t.Errorf("states after the commit = %+v, want SKU-1 at 7 and SKU-2 at 8", st)
	}
	if l, err := s.LinkByRemote(live, kontor.EntityProduct, kontor.SideShop, "S1"); err != nil || l.Key != "SKU-1" || l.ERPKey != "E1" {
		t.Errorf("link after the commit = %+v, %v; want SKU-1 with E1", l, err)
	}
	if ss, keys := seqs(t, s); !slices.Equal(ss, []int64{1, 2, 3}) || !slices.Equal(keys, []string{"one-a", "one-b", "one-c"}) {
		t.Errorf("audit after the commit = Seqs %v keys %v, want 1..3 of one-a..one-c", ss, keys)
	}
	dls, err := s.DeadLetters(live, store.DeadLetterFilter{})
	must(t, err)
	if len(dls) != 1 || dls[0].Key != "1002" || dls[0].Attempts != 1 {
		t.Errorf("dead letters after the commit = %+v, want 1002 with 1 attempt", dls)
	}
	if got := f.committedJobs(t); !slices.Equal(got, []string{"job-one"}) {
		t.Errorf("jobs after the commit = %v, want [job-one]", got)
	}
}

// TestInTxRollback: fn's error comes back as it is and takes back every
// call and the raw insert; the audit Seqs it drew are drawn again.
func TestInTxRollback(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	must(t, s.AppendAudit(live, []store.AuditRecord{{Flow: "products", Key: "before-1"}, {Flow: "products", Key: "before-2"}}))
	before, err := s.AddDeadLetter(live, store.DeadLetter{Flow: "orders", Key: "0999"})
	must(t, err)
	var rolledBackID int64
	err = s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		if err := f.writeAll(ctx, tx, "gone"); err != nil {
			return err
		}
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{Key: "1002"})
		if err != nil || len(dls) != 1 {
			return fmt.Errorf("dead letter in the transaction: %v, %w", dls, err)
		}
		rolledBackID = dls[0].ID
		return errRollback
	})
	if err != errRollback { //nolint:errorlint // InTx must return fn's error as it is
		t.Fatalf("InTx = %v, want fn's error as it is", err)
	}

	if r, err := s.BeginWrite(live, "orders", "1001", 42, "idem-new"); err != nil || r.IdempotencyKey != "idem-new" {
		t.Errorf("BeginWrite after the rollback = %+v, %v; want a new record with idem-new", r, err)
	}
	if st, err := s.States(live, "products", []string{"SKU-1", "SKU-2"}); err != nil || st[0].Found || st[1].Found {
		t.Errorf("states after the rollback = %+v, %v; want none", st, err)
	}
	if ls, err := s.Links(live, kontor.EntityProduct, []string{"SKU-1"}); err != nil || ls[0].Found {
		t.Errorf("links after the rollback = %+v, %v; want none", ls, err)
	}
	if dls, err := s.DeadLetters(live, store.DeadLetterFilter{}); err != nil || len(dls) != 1 || dls[0].ID != before.ID {
		t.Errorf("dead letters after the rollback = %+v, %v; want only %d", dls, err, before.ID)
	}
	if got := f.committedJobs(t); len(got) != 0 {
		t.Errorf("jobs after the rollback = %v, want none", got)
	}
	// The rolled-back append drew Seqs 3..5; the next append draws them
	// again. A dead letter ID is never drawn again.
	must(t, s.AppendAudit(live, []store.AuditRecord{{Flow: "products", Key: "after"}}))
	if ss, keys := seqs(t, s); !slices.Equal(ss, []int64{1, 2, 3}) || !slices.Equal(keys, []string{"before-1", "before-2", "after"}) {
		t.Errorf("audit after the rollback = Seqs %v keys %v, want 1..3 of before-1, before-2, after", ss, keys)
	}
	next, err := s.AddDeadLetter(live, store.DeadLetter{Flow: "orders", Key: "1003"})
	must(t, err)
	if rolledBackID <= before.ID || next.ID <= rolledBackID {
		t.Errorf("dead letter IDs %d, rolled back %d, then %d: want increasing, the rolled-back one not reused", before.ID, rolledBackID, next.ID)
	}
}

// TestInTxPanic: a panic in fn rolls back and goes on to the caller.
func TestInTxPanic(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("recovered %v, want fn's panic boom", p)
			}
		}()
		_ = s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
			must(t, f.writeAll(ctx, tx, "panic"))
			panic("boom")
		})
		t.Error("InTx returned, want fn's panic")
	}()
	if st, err := s.States(live, "products", []string{"SKU-1"}); err != nil || st[0].Found {
		t.Errorf("state after a panic = %+v, %v; want none", st, err)
	}
	if ss, _ := seqs(t, s); len(ss) != 0 {
		t.Errorf("audit Seqs after a panic = %v, want none", ss)
	}
	if got := f.committedJobs(t); len(got) != 0 {
		t.Errorf("jobs after a panic = %v, want none", got)
	}
	// The connection went back to the pool clean: the next transaction
	// starts at Seq 1.
	must(t, s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		return s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "next"}})
	}))
	if ss, _ := seqs(t, s); !slices.Equal(ss, []int64{1}) {
		t.Errorf("audit Seqs after a panic and an append = %v, want [1]", ss)
	}
}

// TestInTxEveryMethodRunsInTx calls every method inside a transaction:
// each read sees the uncommitted writes before it, which the store outside
// does not see, and the rollback takes back every write. A method that
// ran on the pool would fail one of these.
func TestInTxEveryMethodRunsInTx(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	p := kontor.EntityProduct
	err := s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		check := func(what string, ok bool, got any, err error) {
			t.Helper()
			if err != nil || !ok {
				t.Errorf("%s inside the transaction = %+v, %v", what, got, err)
			}
		}
		must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "page-2"}))
		c, err := s.Cursor(ctx, "products")
		check("Cursor", c.Token == "page-2", c, err)

		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 5}}))
		st, err := s.States(ctx, "products", []string{"SKU-1"})
		check("States", err == nil && st[0].Found && st[0].Fingerprint == 5, st, err)

		must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ERPKey: "E1"}}))
		must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-1", ShopKey: "S1"}})) // merges with the uncommitted E1
		ls, err := s.Links(ctx, p, []string{"SKU-1"})
		check("Links", err == nil && ls[0].Found && ls[0].ERPKey == "E1" && ls[0].ShopKey == "S1", ls, err)
		l, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E1")
		check("LinkByRemote", l.Key == "SKU-1", l, err)

		for _, id := range []string{"d-1", "d-2"} {
			added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: id})
			check("AddInbox "+id, added, added, err)
		}
		added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1"})
		check("AddInbox of an uncommitted duplicate", !added, added, err)
		must(t, s.MarkInboxDone(ctx, "shopify", "d-1"))
		evs, err := s.PendingInbox(ctx, 0)
		check("PendingInbox", len(evs) == 1 && evs[0].ID == "d-2", eventIDs(evs), err)

		r, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-1")
		check("BeginWrite", r.IdempotencyKey == "idem-1", r, err)
		r, err = s.BeginWrite(ctx, "orders", "1001", 42, "idem-2")
		check("BeginWrite again", r.IdempotencyKey == "idem-1" && r.State == store.WritePending, r, err)
		must(t, s.FinishWrite(ctx, "orders", "1001", 42, store.WriteDone, kontor.Meta{ShopKey: "gid-1"}))
		r, err = s.BeginWrite(ctx, "orders", "1001", 42, "idem-3")
		check("BeginWrite after FinishWrite", r.State == store.WriteDone && r.Target.ShopKey == "gid-1", r, err)

		first, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
		must(t, err)
		again, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
		check("AddDeadLetter again", again.ID == first.ID && again.Attempts == 2, again, err)
		second, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1002"})
		must(t, err)
		must(t, s.DeleteDeadLetter(ctx, first.ID))
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		check("DeadLetters", len(dls) == 1 && dls[0].ID == second.ID, dls, err)

		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}))
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-2"}}))
		recs, err := s.Audit(ctx, store.AuditFilter{})
		check("Audit", len(recs) == 2 && recs[0].Seq == 1 && recs[1].Seq == 2, recs, err)

		// The store outside the transaction sees none of it.
		f.wantNothing(t, "outside the transaction")
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want %v", err, errRollback)
	}
	f.wantNothing(t, "after the rollback")
}

// wantNothing fails when the store, outside every transaction, holds any
// state.
func (f *txFixture) wantNothing(t *testing.T, when string) {
	t.Helper()
	s, live := f.s, t.Context()
	if c, err := s.Cursor(live, "products"); err != nil || c.Token != "" {
		t.Errorf("cursor %s = %+v, %v; want zero", when, c, err)
	}
	if st, err := s.States(live, "products", []string{"SKU-1"}); err != nil || st[0].Found {
		t.Errorf("state %s = %+v, %v; want none", when, st, err)
	}
	if ls, err := s.Links(live, kontor.EntityProduct, []string{"SKU-1"}); err != nil || ls[0].Found {
		t.Errorf("link %s = %+v, %v; want none", when, ls, err)
	}
	if _, err := s.LinkByRemote(live, kontor.EntityProduct, kontor.SideERP, "E1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LinkByRemote %s: %v, want ErrNotFound", when, err)
	}
	if evs, err := s.PendingInbox(live, 0); err != nil || len(evs) != 0 {
		t.Errorf("pending events %s = %v, %v; want none", when, eventIDs(evs), err)
	}
	if err := s.FinishWrite(live, "orders", "1001", 42, store.WriteDone, kontor.Meta{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FinishWrite %s: %v, want ErrNotFound: no write record", when, err)
	}
	if dls, err := s.DeadLetters(live, store.DeadLetterFilter{}); err != nil || len(dls) != 0 {
		t.Errorf("dead letters %s = %+v, %v; want none", when, dls, err)
	}
	if recs, err := s.Audit(live, store.AuditFilter{}); err != nil || len(recs) != 0 {
		t.Errorf("audit %s = %+v, %v; want none", when, recs, err)
	}
}

func eventIDs(evs []store.InboxEvent) []string {
	ids := make([]string, len(evs))
	for i, ev := range evs {
		ids[i] = ev.Source + "/" + ev.ID
	}
	return ids
}

// TestInTxFailedCallLeavesTxUsable: a call that fails, on validation, as
// not found, or in the database inside PutLinks' or AppendAudit's
// savepoint, takes back only its own work; fn goes on and commits the
// rest. The failed append's Seqs are drawn again.
func TestInTxFailedCallLeavesTxUsable(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	p := kontor.EntityProduct
	must(t, s.PutLinks(live, []store.Link{{Entity: p, Key: "SKU-OLD", ERPKey: "E1", ShopKey: "S1"}}))
	schema := s.SchemaName()
	failOn(t, f.conn, schema, "kontor_links")
	failOn(t, f.conn, schema, "kontor_audit")

	err := s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
		if err := s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-2", Fingerprint: 2}, {Key: ""}}); !errors.Is(err, kontor.ErrValidation) {
			t.Errorf("PutStates with an empty key: %v, want ErrValidation", err)
		}
		if err := s.FinishWrite(ctx, "orders", "never", 1, store.WriteDone, kontor.Meta{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FinishWrite of no record: %v, want ErrNotFound", err)
		}
		// The batch moves E1 to SKU-NEW, then fails on its second row.
		if err := s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-NEW", ERPKey: "E1"}, {Entity: p, Key: "BAD", ShopKey: "S9"}}); err == nil {
			t.Error("PutLinks with a failing row succeeded")
		}
		if l, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E1"); err != nil || l.Key != "SKU-OLD" || l.ShopKey != "S1" {
			t.Errorf("link of E1 after the failed PutLinks = %+v, %v; want SKU-OLD unchanged", l, err)
		}
		if err := s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "k1"}, {Flow: "products", Key: "BAD"}}); err == nil {
			t.Error("AppendAudit with a failing record succeeded")
		}
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "k2"}}))
		must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-2", ShopKey: "S2"}}))
		return f.enqueue(ctx, tx, "job-after-failures")
	})
	must(t, err)

	st, err := s.States(live, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	if !st[0].Found || st[0].Fingerprint != 1 || st[1].Found {
		t.Errorf("states after the commit = %+v, want SKU-1 only", st)
	}
	ls, err := s.Links(live, p, []string{"SKU-OLD", "SKU-NEW", "SKU-2"})
	must(t, err)
	if ls[0].ERPKey != "E1" || ls[1].Found || ls[2].ShopKey != "S2" {
		t.Errorf("links after the commit = %+v, want SKU-OLD with E1, no SKU-NEW, SKU-2 with S2", ls)
	}
	if ss, keys := seqs(t, s); !slices.Equal(ss, []int64{1}) || !slices.Equal(keys, []string{"k2"}) {
		t.Errorf("audit after the commit = Seqs %v keys %v, want k2 alone at Seq 1", ss, keys)
	}
	if got := f.committedJobs(t); !slices.Equal(got, []string{"job-after-failures"}) {
		t.Errorf("jobs after the commit = %v, want [job-after-failures]", got)
	}
}

// TestInTxFailedStatementCommitsNothing: a one-statement call that fails
// in the database aborts the transaction, as PostgreSQL does; when fn
// goes on regardless, InTx reports that nothing committed.
func TestInTxFailedStatementCommitsNothing(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	failOn(t, f.conn, s.SchemaName(), "kontor_states")
	var later error
	err := s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "t"}))
		if err := s.PutStates(ctx, "products", []store.ItemState{{Key: "BAD"}}); err == nil {
			t.Error("PutStates of a failing row succeeded")
		}
		later = s.SetCursor(ctx, "prices", kontor.Cursor{Token: "t"})
		return nil
	})
	if err == nil {
		t.Fatal("InTx committed a transaction a failed statement aborted")
	}
	if later == nil {
		t.Error("a call after the failed statement succeeded in an aborted transaction")
	}
	if c, err := s.Cursor(live, "products"); err != nil || c.Token != "" {
		t.Errorf("cursor after the aborted transaction = %+v, %v; want zero", c, err)
	}
}

// TestInTxNested: an InTx inside fn joins the transaction in a savepoint:
// its work shows to the outer fn but commits only with it, and its error
// or panic takes back its own work only.
func TestInTxNested(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	put := func(ctx context.Context, key string) error {
		return s.PutStates(ctx, "products", []store.ItemState{{Key: key, Fingerprint: 1}})
	}
	found := func(ctx context.Context, keys ...string) []bool {
		t.Helper()
		st, err := s.States(ctx, "products", keys)
		must(t, err)
		out := make([]bool, len(st))
		for i := range st {
			out[i] = st[i].Found
		}
		return out
	}
	var outerTx pgx.Tx
	err := s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
		outerTx = tx
		must(t, put(ctx, "A"))
		must(t, s.InTx(ctx, func(ctx context.Context, inner pgx.Tx) error {
			if inner == outerTx {
				t.Error("nested InTx got the outer transaction, want a savepoint of it")
			}
			if got := found(ctx, "A"); !got[0] {
				t.Error("nested InTx does not see the outer's write")
			}
			must(t, put(ctx, "B"))
			return f.enqueue(ctx, inner, "job-B")
		}))
		if got := found(ctx, "B"); !got[0] {
			t.Error("outer fn does not see the nested InTx's write")
		}
		if got := found(live, "A", "B"); got[0] || got[1] {
			t.Errorf("found outside before the outer commit = %v, want nothing: the nested InTx must not commit on its own", got)
		}
		err := s.InTx(ctx, func(ctx context.Context, inner pgx.Tx) error {
			must(t, put(ctx, "C"))
			must(t, f.enqueue(ctx, inner, "job-C"))
			return errRollback
		})
		if err != errRollback { //nolint:errorlint // fn's error as it is
			t.Errorf("nested InTx = %v, want fn's error as it is", err)
		}
		func() {
			defer func() {
				if p := recover(); p != "inner boom" {
					t.Errorf("recovered %v, want the nested fn's panic", p)
				}
			}()
			_ = s.InTx(ctx, func(ctx context.Context, _ pgx.Tx) error {
				must(t, put(ctx, "D"))
				panic("inner boom")
			})
		}()
		if got := found(ctx, "A", "B", "C", "D"); !slices.Equal(got, []bool{true, true, false, false}) {
			t.Errorf("found in the outer fn after the nested calls = %v, want A and B only", got)
		}
		return nil
	})
	must(t, err)
	if got := found(live, "A", "B", "C", "D"); !slices.Equal(got, []bool{true, true, false, false}) {
		t.Errorf("found after the commit = %v, want A and B only", got)
	}
	if got := f.committedJobs(t); !slices.Equal(got, []string{"job-B"}) {
		t.Errorf("jobs after the commit = %v, want [job-B]", got)
	}

	// The outer rollback takes back a nested InTx that succeeded.
	err = s.InTx(live, func(ctx context.Context, _ pgx.Tx) error {
		must(t, s.InTx(ctx, func(ctx context.Context, _ pgx.Tx) error { return put(ctx, "E") }))
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want %v", err, errRollback)
	}
	if got := found(live, "E"); got[0] {
		t.Error("a nested InTx's write survived the outer rollback")
	}
}

// TestInTxOtherStore: a context carrying one store's transaction is not
// taken for another's: that store writes on its own pool, and its writes
// outlive the first store's rollback.
func TestInTxOtherStore(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	mine, other := openStore(t, dsn, schema), openStore(t, dsn, schema)
	live := t.Context()
	err := mine.InTx(live, func(ctx context.Context, _ pgx.Tx) error {
		must(t, mine.PutStates(ctx, "products", []store.ItemState{{Key: "MINE", Fingerprint: 1}}))
		must(t, other.PutStates(ctx, "products", []store.ItemState{{Key: "OTHER", Fingerprint: 1}}))
		// other's InTx begins a transaction of its own, not a savepoint
		// of mine's.
		must(t, other.InTx(ctx, func(ctx context.Context, _ pgx.Tx) error {
			return other.PutStates(ctx, "products", []store.ItemState{{Key: "OTHER-TX", Fingerprint: 1}})
		}))
		st, err := other.States(ctx, "products", []string{"MINE", "OTHER", "OTHER-TX"})
		must(t, err)
		if st[0].Found || !st[1].Found || !st[2].Found {
			t.Errorf("other store with mine's context sees %+v, want its own committed writes only", st)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want %v", err, errRollback)
	}
	st, err := mine.States(live, "products", []string{"MINE", "OTHER", "OTHER-TX"})
	must(t, err)
	if st[0].Found || !st[1].Found || !st[2].Found {
		t.Errorf("after mine's rollback: %+v, want MINE gone and other's writes kept", st)
	}
}

// TestInTxConcurrentAudit: 10 goroutines append audit records in
// transactions of their own, and every third rolls back; the Seqs of the
// committed records run 1, 2, 3, … without a gap.
func TestInTxConcurrentAudit(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	const goroutines, rounds, batch = 10, 3, 3
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		errs  [goroutines]error
	)
	want := map[string]bool{}
	for g := range goroutines {
		for r := range rounds {
			if (g+r)%3 != 0 {
				for i := range batch {
					want[fmt.Sprintf("g%d-r%d-%d", g, r, i)] = true
				}
			}
		}
		wg.Go(func() {
			<-start
			for r := range rounds {
				err := s.InTx(live, func(ctx context.Context, tx pgx.Tx) error {
					recs := make([]store.AuditRecord, batch)
					for i := range recs {
						recs[i] = store.AuditRecord{Flow: "products", Key: fmt.Sprintf("g%d-r%d-%d", g, r, i)}
					}
					if err := s.AppendAudit(ctx, recs); err != nil {
						return err
					}
					if err := f.enqueue(ctx, tx, fmt.Sprintf("g%d-r%d", g, r)); err != nil {
						return err
					}
					if (g+r)%3 == 0 {
						return errRollback
					}
					return nil
				})
				if err != nil && !errors.Is(err, errRollback) {
					errs[g] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for g, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", g, err)
		}
	}
	ss, keys := seqs(t, s)
	for i, seq := range ss {
		if seq != int64(i+1) {
			t.Fatalf("audit Seqs = %v, want 1..%d without gaps", ss, len(ss))
		}
	}
	got := map[string]bool{}
	for _, k := range keys {
		got[k] = true
	}
	if len(ss) != len(want) || len(got) != len(want) {
		t.Fatalf("audit holds %d records (%d distinct), want the %d committed", len(ss), len(got), len(want))
	}
	for k := range want {
		if !got[k] {
			t.Errorf("committed record %s missing", k)
		}
	}
	if jobs := f.committedJobs(t); len(jobs)*batch != len(want) {
		t.Errorf("%d jobs committed, want %d: one per committed transaction", len(jobs), len(want)/batch)
	}
}

// TestInTxDeadlockIsRetryable: two transactions take the audit counter
// row and a PutLinks lock in opposite orders; PostgreSQL fails one with an
// error matching kontor.ErrRetryable, the other commits, and the Seqs the
// failed one drew are drawn by no one.
func TestInTxDeadlockIsRetryable(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	p := kontor.EntityProduct
	var (
		wg           sync.WaitGroup
		errA, errB   error
		aHas, bHas   = make(chan struct{}), make(chan struct{})
		appendRecord = func(ctx context.Context, key string) error {
			return s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: key}})
		}
	)
	wg.Go(func() {
		errA = s.InTx(live, func(ctx context.Context, _ pgx.Tx) error {
			if err := appendRecord(ctx, "A"); err != nil {
				return err
			}
			close(aHas)
			<-bHas
			return s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-A", ERPKey: "EA"}})
		})
	})
	wg.Go(func() {
		errB = s.InTx(live, func(ctx context.Context, _ pgx.Tx) error {
			if err := s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-B", ERPKey: "EB"}}); err != nil {
				return err
			}
			close(bHas)
			<-aHas
			return appendRecord(ctx, "B")
		})
	})
	wg.Wait()
	failed, winner := errA, "B"
	if errA == nil {
		failed, winner = errB, "A"
	}
	if (errA == nil) == (errB == nil) || !errors.Is(failed, kontor.ErrRetryable) {
		t.Fatalf("crossed transactions: A %v, B %v; want one to commit and the other to fail retryable", errA, errB)
	}
	if ss, keys := seqs(t, s); !slices.Equal(ss, []int64{1}) || !slices.Equal(keys, []string{winner}) {
		t.Errorf("audit = Seqs %v keys %v, want %s alone at Seq 1", ss, keys, winner)
	}
}

// TestInTxConcurrentCallsShareTx: goroutines calling the store with fn's
// context take turns on the transaction's connection, and all of their
// work commits.
func TestInTxConcurrentCallsShareTx(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	const goroutines, calls = 8, 5
	err := s.InTx(live, func(ctx context.Context, _ pgx.Tx) error {
		var (
			wg   sync.WaitGroup
			errs [goroutines]error
		)
		for g := range goroutines {
			wg.Go(func() {
				for c := range calls {
					key := fmt.Sprintf("g%d-c%d", g, c)
					if err := s.PutStates(ctx, "products", []store.ItemState{{Key: key, Fingerprint: uint64(c + 1)}}); err != nil {
						errs[g] = err
						return
					}
					if err := s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: key}}); err != nil {
						errs[g] = err
						return
					}
					st, err := s.States(ctx, "products", []string{key})
					if err == nil && !st[0].Found {
						err = fmt.Errorf("state %s not found right after it was put", key)
					}
					if err != nil {
						errs[g] = err
						return
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs[:]...)
	})
	must(t, err)
	if ss, _ := seqs(t, s); len(ss) != goroutines*calls || ss[len(ss)-1] != goroutines*calls {
		t.Errorf("audit after the commit = %d records ending at %v, want %d ending at Seq %d", len(ss), ss[len(ss)-1:], goroutines*calls, goroutines*calls)
	}
}

// TestInTxRejects: a nil fn is a validation error, and a done context
// ends InTx before fn runs; an ending context before the commit commits
// nothing.
func TestInTxRejects(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s, live := f.s, t.Context()
	if err := s.InTx(live, nil); !errors.Is(err, kontor.ErrValidation) {
		t.Errorf("InTx(nil fn): %v, want ErrValidation", err)
	}
	done, cancel := context.WithCancel(live)
	cancel()
	ran := false
	if err := s.InTx(done, func(context.Context, pgx.Tx) error { ran = true; return nil }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("InTx with a done context: %v, fn ran %v; want context.Canceled and fn not run", err, ran)
	}

	ctx, cancel := context.WithCancel(live)
	err := s.InTx(ctx, func(ctx context.Context, _ pgx.Tx) error {
		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
		cancel()
		if err := s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-2", Fingerprint: 1}}); !errors.Is(err, context.Canceled) {
			t.Errorf("PutStates in the transaction with a done context: %v, want context.Canceled", err)
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("InTx whose context ended before the commit: %v, want context.Canceled", err)
	}
	if st, err := s.States(live, "products", []string{"SKU-1", "SKU-2"}); err != nil || st[0].Found || st[1].Found {
		t.Errorf("states after a transaction whose context ended = %+v, %v; want none", st, err)
	}
}

// TestConformanceInTx runs the conformance suite with every call in a
// transaction of its own, so each method's transaction path keeps the
// contract too.
func TestConformanceInTx(t *testing.T) {
	t.Parallel()
	runParallel(t, func(t *testing.T) store.Store { return txEach{newTestStore(t)} })
}

// txEach is a store.Store that makes every call in an InTx of its own.
type txEach struct{ s *Store }

// inTx runs call in an InTx of s and returns its result.
func inTx[T any](s *Store, ctx context.Context, call func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := s.InTx(ctx, func(ctx context.Context, _ pgx.Tx) error {
		if s.txOf(ctx) == nil {
			return errors.New("test: fn's context carries no transaction")
		}
		var err error
		out, err = call(ctx)
		return err
	})
	return out, err
}

// inTxErr is inTx for a call that returns only an error.
func inTxErr(s *Store, ctx context.Context, call func(ctx context.Context) error) error {
	_, err := inTx(s, ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, call(ctx) })
	return err
}

func (x txEach) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (kontor.Cursor, error) { return x.s.Cursor(ctx, flow) })
}
func (x txEach) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.SetCursor(ctx, flow, c) })
}
func (x txEach) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	return inTx(x.s, ctx, func(ctx context.Context) ([]store.ItemState, error) { return x.s.States(ctx, flow, keys) })
}
func (x txEach) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.PutStates(ctx, flow, states) })
}
func (x txEach) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	return inTx(x.s, ctx, func(ctx context.Context) ([]store.Link, error) { return x.s.Links(ctx, entity, keys) })
}
func (x txEach) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (store.Link, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (store.Link, error) { return x.s.LinkByRemote(ctx, entity, side, remoteKey) })
}
func (x txEach) PutLinks(ctx context.Context, links []store.Link) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.PutLinks(ctx, links) })
}
func (x txEach) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (bool, error) { return x.s.AddInbox(ctx, ev) })
}
func (x txEach) MarkInboxDone(ctx context.Context, source, id string) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.MarkInboxDone(ctx, source, id) })
}
func (x txEach) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	return inTx(x.s, ctx, func(ctx context.Context) ([]store.InboxEvent, error) { return x.s.PendingInbox(ctx, limit) })
}
func (x txEach) BeginWrite(ctx context.Context, flow, key string, fp uint64, idem string) (store.WriteRecord, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (store.WriteRecord, error) { return x.s.BeginWrite(ctx, flow, key, fp, idem) })
}
func (x txEach) FinishWrite(ctx context.Context, flow, key string, fp uint64, st store.WriteState, target kontor.Meta) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.FinishWrite(ctx, flow, key, fp, st, target) })
}
func (x txEach) AddDeadLetter(ctx context.Context, dl store.DeadLetter) (store.DeadLetter, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (store.DeadLetter, error) { return x.s.AddDeadLetter(ctx, dl) })
}
func (x txEach) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	return inTx(x.s, ctx, func(ctx context.Context) ([]store.DeadLetter, error) { return x.s.DeadLetters(ctx, f) })
}
func (x txEach) DeleteDeadLetter(ctx context.Context, id int64) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.DeleteDeadLetter(ctx, id) })
}
func (x txEach) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	return inTxErr(x.s, ctx, func(ctx context.Context) error { return x.s.AppendAudit(ctx, recs) })
}
func (x txEach) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	return inTx(x.s, ctx, func(ctx context.Context) ([]store.AuditRecord, error) { return x.s.Audit(ctx, f) })
}
func (x txEach) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (store.RedactCounts, error) { return x.s.Redact(ctx, entity, keys) })
}
func (x txEach) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	return inTx(x.s, ctx, func(ctx context.Context) (store.RedactCounts, error) { return x.s.RedactAll(ctx, entity) })
}

// BenchmarkPostgresInTx measures the unit InTx exists for: finish a
// write, record its state and audit it, and enqueue the next step. "pool"
// makes the same calls one by one, each committing on its own.
func BenchmarkPostgresInTx(b *testing.B) {
	for _, mode := range []string{"pool", "InTx"} {
		b.Run(mode, func(b *testing.B) {
			f := newTxFixture(b)
			s, ctx := f.s, context.Background()
			const writes = 1000
			for i := range writes {
				if _, err := s.BeginWrite(ctx, "orders", fmt.Sprint(i), 1, "idem"); err != nil {
					b.Fatal(err)
				}
			}
			unit := func(ctx context.Context, q executor, i int) error {
				key := fmt.Sprint(i % writes)
				if err := s.FinishWrite(ctx, "orders", key, 1, store.WriteDone, kontor.Meta{ShopKey: "gid"}); err != nil {
					return err
				}
				if err := s.PutStates(ctx, "orders", []store.ItemState{{Key: key, Fingerprint: uint64(i)}}); err != nil {
					return err
				}
				if err := s.AppendAudit(ctx, []store.AuditRecord{{Flow: "orders", Key: key, Op: store.OpUpdate}}); err != nil {
					return err
				}
				_, err := q.Exec(ctx, "INSERT INTO "+f.jobs+" (name) VALUES ($1)", key)
				return err
			}
			n := 0
			for b.Loop() {
				var err error
				if mode == "pool" {
					err = unit(ctx, s.Pool(), n)
				} else {
					err = s.InTx(ctx, func(ctx context.Context, tx pgx.Tx) error { return unit(ctx, tx, n) })
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/unit")
			b.ReportMetric(0, "ns/op")
		})
	}
}
