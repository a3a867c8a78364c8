package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
	"github.com/kontor-dev/kontor/syncer/store/storetest"
)

var errBoom = errors.New("boom")

// openWithJobs opens a store whose file also holds a table of the
// application's own, as a job queue's would be.
func openWithJobs(t testing.TB) *sqlite.Store {
	t.Helper()
	s, _ := open(t)
	_, err := s.DB().ExecContext(t.Context(), `CREATE TABLE app_jobs (id INTEGER PRIMARY KEY, kind TEXT NOT NULL)`)
	must(t, err)
	return s
}

// jobs returns the kinds in app_jobs, committed ones only.
func jobs(t testing.TB, s *sqlite.Store) []string {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), `SELECT kind FROM app_jobs ORDER BY id`)
	must(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		must(t, rows.Scan(&k))
		out = append(out, k)
	}
	must(t, rows.Err())
	return out
}

func enqueue(ctx context.Context, tx *sql.Tx, kind string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO app_jobs (kind) VALUES (?)`, kind)
	return err
}

// writeAllKinds makes one call of each writing method the brief names,
// plus the rest, and a raw insert on tx.
func writeAllKinds(ctx context.Context, s *sqlite.Store, tx *sql.Tx) error {
	if _, err := s.BeginWrite(ctx, "orders", "1001", 7, "idem-1"); err != nil {
		return err
	}
	if err := s.FinishWrite(ctx, "orders", "1001", 7, store.WriteDone, kontor.Meta{ERPKey: "SO-1"}); err != nil {
		return err
	}
	if err := s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 11}, {Key: "SKU-2", Fingerprint: 12}}); err != nil {
		return err
	}
	if err := s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1"}}); err != nil {
		return err
	}
	if err := s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}, {Flow: "products", Key: "SKU-2"}}); err != nil {
		return err
	}
	if _, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1002", Class: store.ClassMapping}); err != nil {
		return err
	}
	if err := s.SetCursor(ctx, "products", kontor.Cursor{Token: "page-2"}); err != nil {
		return err
	}
	if _, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "ev-1"}); err != nil {
		return err
	}
	return enqueue(ctx, tx, "transfer-1001")
}

// visible is what of writeAllKinds a plain read (no transaction) finds.
type visible struct {
	states, links, audit, deadLetters, inbox, jobs int
	idem, cursor                                   string
	writeState                                     store.WriteState
}

func seen(t testing.TB, s *sqlite.Store) visible {
	t.Helper()
	ctx := t.Context()
	var v visible
	st, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	for _, x := range st {
		if x.Found {
			v.states++
		}
	}
	ls, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1"})
	must(t, err)
	if ls[0].Found {
		v.links++
	}
	recs, err := s.Audit(ctx, store.AuditFilter{Flow: "products"})
	must(t, err)
	v.audit = len(recs)
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{Flow: "orders"})
	must(t, err)
	v.deadLetters = len(dls)
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	v.inbox = len(evs)
	v.jobs = len(jobs(t, s))
	c, err := s.Cursor(ctx, "products")
	must(t, err)
	v.cursor = c.Token
	// A BeginWrite with a new key shows which key the record has: the
	// new one when there was none. Probe a copy of the file's state by
	// rolling the probe back.
	errProbe := errors.New("probe")
	err = s.InTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		r, err := s.BeginWrite(ctx, "orders", "1001", 7, "idem-probe")
		if err != nil {
			return err
		}
		v.idem, v.writeState = r.IdempotencyKey, r.State
		return errProbe
	})
	if !errors.Is(err, errProbe) {
		t.Fatalf("probe: %v", err)
	}
	return v
}

// TestInTxCommit proves every call made with fn's context and the raw
// insert on tx are stored together when fn returns nil, and none of them
// is visible outside before the commit.
func TestInTxCommit(t *testing.T) {
	s := openWithJobs(t)
	var during visible
	err := s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		if err := writeAllKinds(ctx, s, tx); err != nil {
			return err
		}
		during = seenPlain(t, s)
		return nil
	})
	must(t, err)
	if (during != visible{}) {
		t.Errorf("before the commit, plain reads saw %+v, want nothing", during)
	}
	want := visible{states: 2, links: 1, audit: 2, deadLetters: 1, inbox: 1, jobs: 1,
		idem: "idem-1", cursor: "page-2", writeState: store.WriteDone}
	if got := seen(t, s); got != want {
		t.Errorf("after the commit: %+v, want %+v", got, want)
	}
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	must(t, err)
	if len(recs) != 2 || recs[0].Seq != 1 || recs[1].Seq != 2 || recs[1].Key != "SKU-2" {
		t.Errorf("Audit = %+v, want Seqs 1, 2", recs)
	}
}

// seenPlain is seen without the BeginWrite probe, which would wait for
// the writer while a transaction holds it.
func seenPlain(t testing.TB, s *sqlite.Store) visible {
	t.Helper()
	ctx := t.Context()
	var v visible
	st, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	for _, x := range st {
		if x.Found {
			v.states++
		}
	}
	ls, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1"})
	must(t, err)
	if ls[0].Found {
		v.links++
	}
	recs, err := s.Audit(ctx, store.AuditFilter{Flow: "products"})
	must(t, err)
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{Flow: "orders"})
	must(t, err)
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	c, err := s.Cursor(ctx, "products")
	must(t, err)
	v.audit, v.deadLetters, v.inbox, v.cursor = len(recs), len(dls), len(evs), c.Token
	return v
}

// TestInTxRollback proves nothing of fn is stored when it returns an
// error, and that the audit Seqs and dead letter IDs it took are given
// back: the trail stays gapless.
func TestInTxRollback(t *testing.T) {
	ctx := t.Context()
	s := openWithJobs(t)
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "seed", Key: "a"}, {Flow: "seed", Key: "b"}}))
	dl, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "seed", Key: "x"})
	must(t, err)
	if dl.ID != 1 {
		t.Fatalf("seed dead letter ID = %d, want 1", dl.ID)
	}

	err = s.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := writeAllKinds(ctx, s, tx); err != nil {
			return err
		}
		recs, err := s.Audit(ctx, store.AuditFilter{Flow: "products"})
		if err != nil {
			return err
		}
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{Flow: "orders"})
		if err != nil {
			return err
		}
		if len(recs) != 2 || recs[0].Seq != 3 || recs[1].Seq != 4 || len(dls) != 1 || dls[0].ID != 2 {
			t.Errorf("inside: audit %+v, dead letters %+v; want Seqs 3, 4 and ID 2", recs, dls)
		}
		return fmt.Errorf("transfer refused: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	want := visible{idem: "idem-probe", writeState: store.WritePending} // the probe found no record
	if got := seen(t, s); got != want {
		t.Errorf("after the rollback: %+v, want nothing of fn", got)
	}

	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "after", Key: "c"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if len(recs) != 3 || recs[2].Seq != 3 || recs[2].Key != "c" {
		t.Errorf("Audit after the rollback = %+v, want Seqs 1, 2, 3: the rolled back appends left a gap", recs)
	}
	dl, err = s.AddDeadLetter(ctx, store.DeadLetter{Flow: "after", Key: "y"})
	must(t, err)
	if dl.ID != 2 {
		t.Errorf("dead letter ID after the rollback = %d, want 2 (ID 2 was never committed)", dl.ID)
	}
}

// TestInTxPanic proves a panic in fn rolls the transaction back, reaches
// the caller unchanged, and leaves the writer free for the next call.
func TestInTxPanic(t *testing.T) {
	s := openWithJobs(t)
	got := func() (p any) {
		defer func() { p = recover() }()
		_ = s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			must(t, writeAllKinds(ctx, s, tx))
			panic(errBoom)
		})
		return nil
	}()
	if got != errBoom {
		t.Fatalf("recovered %v, want fn's panic value", got)
	}
	if v := seenPlain(t, s); (v != visible{}) || len(jobs(t, s)) != 0 {
		t.Errorf("after the panic: %+v and jobs %q, want nothing stored", v, jobs(t, s))
	}
	must(t, s.SetCursor(t.Context(), "products", kontor.Cursor{Token: "after"}))
}

// TestInTxGoexit proves fn ending its goroutine (t.FailNow does) rolls
// back and frees the writer, though InTx never returns.
func TestInTxGoexit(t *testing.T) {
	s := openWithJobs(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			if err := writeAllKinds(ctx, s, tx); err != nil {
				return err
			}
			runtime.Goexit()
			return nil
		})
	}()
	<-done
	if v := seenPlain(t, s); (v != visible{}) || len(jobs(t, s)) != 0 {
		t.Errorf("after Goexit: %+v and jobs %q, want nothing stored", v, jobs(t, s))
	}
	must(t, s.SetCursor(t.Context(), "products", kontor.Cursor{Token: "after"}))
}

// TestInTxReadsOwnWrites proves the reads with fn's context run on the
// transaction and see its uncommitted writes, which the read pool does
// not.
func TestInTxReadsOwnWrites(t *testing.T) {
	s := openWithJobs(t)
	outside := t.Context()
	must(t, s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 11, Version: 3}}))
		st, err := s.States(ctx, "products", []string{"SKU-0", "SKU-1"})
		must(t, err)
		if st[0].Found || !st[1].Found || st[1].Fingerprint != 11 || st[1].Version != 3 {
			t.Errorf("States inside = %+v, want SKU-1 found with fingerprint 11", st)
		}
		st, err = s.States(outside, "products", []string{"SKU-1"})
		must(t, err)
		if st[0].Found {
			t.Error("States outside the transaction found its uncommitted write")
		}

		must(t, s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1"}}))
		ls, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1"})
		must(t, err)
		if !ls[0].Found || ls[0].ERPKey != "E1" || ls[0].ShopKey != "S1" {
			t.Errorf("Links inside = %+v, want E1/S1", ls[0])
		}
		l, err := s.LinkByRemote(ctx, kontor.EntityProduct, kontor.SideShop, "S1")
		must(t, err)
		if l.Key != "SKU-1" {
			t.Errorf("LinkByRemote inside = %+v, want SKU-1", l)
		}

		first, err := s.BeginWrite(ctx, "orders", "1001", 7, "idem-first")
		must(t, err)
		second, err := s.BeginWrite(ctx, "orders", "1001", 7, "idem-second")
		must(t, err)
		if first.IdempotencyKey != "idem-first" || second.IdempotencyKey != "idem-first" {
			t.Errorf("BeginWrite twice = %q, %q; want the first key both times", first.IdempotencyKey, second.IdempotencyKey)
		}
		must(t, s.FinishWrite(ctx, "orders", "1001", 7, store.WriteDone, kontor.Meta{ERPKey: "SO-1"}))
		third, err := s.BeginWrite(ctx, "orders", "1001", 7, "idem-third")
		must(t, err)
		if third.State != store.WriteDone || third.Target.ERPKey != "SO-1" {
			t.Errorf("BeginWrite after FinishWrite = %+v, want done with SO-1", third)
		}

		must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "p2"}))
		c, err := s.Cursor(ctx, "products")
		must(t, err)
		if c.Token != "p2" {
			t.Errorf("Cursor inside = %q, want p2", c.Token)
		}
		added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "ev-1"})
		must(t, err)
		again, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "ev-1"})
		must(t, err)
		if !added || again {
			t.Errorf("AddInbox twice = %v, %v; want true, false", added, again)
		}
		evs, err := s.PendingInbox(ctx, 0)
		must(t, err)
		must(t, s.MarkInboxDone(ctx, "shopify", "ev-1"))
		done, err := s.PendingInbox(ctx, 0)
		must(t, err)
		if len(evs) != 1 || len(done) != 0 {
			t.Errorf("PendingInbox inside = %d, then %d after MarkInboxDone; want 1, 0", len(evs), len(done))
		}
		dl, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1002"})
		must(t, err)
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		must(t, err)
		must(t, s.DeleteDeadLetter(ctx, dl.ID))
		gone, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		must(t, err)
		if len(dls) != 1 || dls[0].ID != dl.ID || len(gone) != 0 {
			t.Errorf("DeadLetters inside = %+v, then %d after the delete; want the one added, then 0", dls, len(gone))
		}
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}))
		recs, err := s.Audit(ctx, store.AuditFilter{})
		must(t, err)
		if len(recs) != 1 || recs[0].Seq != 1 {
			t.Errorf("Audit inside = %+v, want Seq 1", recs)
		}

		// The raw transaction sees the store's writes, and the store
		// sees the raw ones: one transaction.
		var n int
		must(t, tx.QueryRowContext(ctx, `SELECT count(*) FROM kontor_item_states`).Scan(&n))
		if n != 1 {
			t.Errorf("tx sees %d item states, want 1", n)
		}
		return nil
	}))
}

// refuse makes SQLite refuse inserts into table of rows whose key is
// "bad", as a constraint would: the failing statement alone is undone,
// not the transaction, so the statements of the same call before it stay
// unless the call undoes them.
func refuse(t testing.TB, s *sqlite.Store, table string) {
	t.Helper()
	_, err := s.DB().ExecContext(t.Context(), `CREATE TRIGGER refuse_`+table+` BEFORE INSERT ON `+table+`
		WHEN NEW.key = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END`)
	must(t, err)
}

// TestInTxFailedCallTakesBackItself proves a call that fails inside the
// transaction, half way through its batch included, takes back what it
// did and only that: fn goes on and commits the rest, and the audit Seqs
// stay gapless.
func TestInTxFailedCallTakesBackItself(t *testing.T) {
	ctx := t.Context()
	s := openWithJobs(t)
	refuse(t, s, "kontor_item_states")
	refuse(t, s, "kontor_audit")
	must(t, s.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}))

		err := s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-2", Fingerprint: 2}, {Key: ""}})
		if !errors.Is(err, kontor.ErrValidation) {
			t.Errorf("PutStates with an empty key: %v, want a validation error", err)
		}
		err = s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-3", Fingerprint: 3}, {Key: "bad"}})
		if err == nil || !strings.Contains(err.Error(), "refused") || !strings.Contains(err.Error(), "PutStates") {
			t.Errorf("PutStates refused half way: %v, want the refusal, naming PutStates", err)
		}
		err = s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-3"}, {Flow: "products", Key: "bad"}})
		if err == nil {
			t.Error("AppendAudit refused half way: no error")
		}
		err = s.FinishWrite(ctx, "orders", "never-begun", 1, store.WriteDone, kontor.Meta{})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("FinishWrite of no record: %v, want ErrNotFound", err)
		}

		st, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2", "SKU-3"})
		must(t, err)
		if !st[0].Found || st[1].Found || st[2].Found {
			t.Errorf("States inside after the failed calls = %+v, want SKU-1 only: a failed call left part of its batch", st)
		}
		must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-4", Fingerprint: 4}}))
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-4"}}))
		return enqueue(ctx, tx, "after-failures")
	}))

	st, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2", "SKU-3", "SKU-4"})
	must(t, err)
	if !st[0].Found || st[1].Found || st[2].Found || !st[3].Found {
		t.Errorf("States after the commit = %+v, want SKU-1 and SKU-4", st)
	}
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if len(recs) != 2 || recs[0].Seq != 1 || recs[0].Key != "SKU-1" || recs[1].Seq != 2 || recs[1].Key != "SKU-4" {
		t.Errorf("Audit after the commit = %+v, want SKU-1 at 1 and SKU-4 at 2", recs)
	}
	if j := jobs(t, s); len(j) != 1 || j[0] != "after-failures" {
		t.Errorf("jobs = %q, want the one enqueued", j)
	}
}

// TestInTxDiskFull proves what SQLite does on a full disk inside a
// transaction, and that the store does not hide it: SQLite rolls back
// the whole transaction, so the call fails with ErrFull and ErrTxAborted,
// every later call with ErrTxAborted, and InTx refuses to commit, storing
// nothing of fn, not even raw statements made after the failure.
func TestInTxDiskFull(t *testing.T) {
	ctx := t.Context()
	s := openWithJobs(t)
	limitPages(t, s, 4)
	pad := strings.Repeat("x", 200)
	states := make([]store.ItemState, 1000)
	for i := range states {
		states[i] = store.ItemState{Key: fmt.Sprintf("SKU-%04d-%s", i, pad), Fingerprint: 1}
	}
	err := s.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "before"}))
		must(t, enqueue(ctx, tx, "before"))
		err := s.PutStates(ctx, "products", states)
		if !errors.Is(err, sqlite.ErrFull) || !errors.Is(err, sqlite.ErrTxAborted) {
			t.Errorf("PutStates on a full disk: %v, want ErrFull and ErrTxAborted", err)
		}
		if _, err := s.Cursor(ctx, "products"); !errors.Is(err, sqlite.ErrTxAborted) {
			t.Errorf("Cursor after the abort: %v, want ErrTxAborted", err)
		}
		if err := s.SetCursor(ctx, "products", kontor.Cursor{Token: "after"}); !errors.Is(err, sqlite.ErrTxAborted) {
			t.Errorf("SetCursor after the abort: %v, want ErrTxAborted", err)
		}
		must(t, enqueue(ctx, tx, "after")) // lands in a transaction bound for rollback
		return nil                         // fn ignores the failure; InTx must not
	})
	if !errors.Is(err, sqlite.ErrTxAborted) || !errors.Is(err, sqlite.ErrFull) {
		t.Fatalf("InTx = %v, want ErrTxAborted matching ErrFull", err)
	}
	limitPages(t, s, 1<<20)
	if v := seenPlain(t, s); (v != visible{}) {
		t.Errorf("after the aborted transaction: %+v, want nothing stored", v)
	}
	if j := jobs(t, s); len(j) != 0 {
		t.Errorf("jobs = %q after the aborted transaction, want none", j)
	}
	must(t, s.InTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := s.PutStates(ctx, "products", states); err != nil {
			return err
		}
		return enqueue(ctx, tx, "retry")
	}))
	if j := jobs(t, s); len(j) != 1 || j[0] != "retry" {
		t.Errorf("jobs after the retry = %q, want [retry]", j)
	}
}

// TestInTxCancelledMidBatch proves a call whose context ends half way
// inside the transaction leaves no part of its batch: either it took back
// itself and fn commits the rest, or SQLite ended the transaction and
// nothing is stored.
func TestInTxCancelledMidBatch(t *testing.T) {
	s := openWithJobs(t)
	states := make([]store.ItemState, 20_000)
	keys := make([]string, len(states))
	for i := range states {
		keys[i] = fmt.Sprintf("SKU-%05d", i)
		states[i] = store.ItemState{Key: keys[i], Fingerprint: 1}
	}
	var putErr error
	err := s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "before"}))
		short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		putErr = s.PutStates(short, "products", states)
		return nil
	})
	t.Logf("PutStates of %d states with a 5 ms deadline: %v; InTx: %v", len(states), putErr, err)
	got, gerr := s.States(t.Context(), "products", keys)
	must(t, gerr)
	found := 0
	for _, st := range got {
		if st.Found {
			found++
		}
	}
	c, cerr := s.Cursor(t.Context(), "products")
	must(t, cerr)
	switch {
	case putErr == nil:
		if err != nil || found != len(states) || c.Token != "before" {
			t.Errorf("PutStates succeeded; InTx %v, %d states stored, cursor %q; want all committed", err, found, c.Token)
		}
	case !errors.Is(putErr, context.DeadlineExceeded):
		t.Errorf("PutStates cut by its deadline: %v, want context.DeadlineExceeded", putErr)
	case errors.Is(putErr, sqlite.ErrTxAborted):
		if !errors.Is(err, sqlite.ErrTxAborted) || found != 0 || c.Token != "" {
			t.Errorf("transaction aborted; InTx %v, %d states, cursor %q stored; want an error and nothing", err, found, c.Token)
		}
	default:
		if err != nil || found != 0 || c.Token != "before" {
			t.Errorf("PutStates took back itself; InTx %v, %d states, cursor %q; want the cursor alone committed", err, found, c.Token)
		}
	}
}

// TestInTxNested proves an InTx with fn's context joins the transaction:
// same tx, and its writes commit or roll back with the outer ones.
func TestInTxNested(t *testing.T) {
	ctx := t.Context()
	s := openWithJobs(t)
	err := s.InTx(ctx, func(ctx context.Context, outer *sql.Tx) error {
		must(t, s.SetCursor(ctx, "outer", kontor.Cursor{Token: "o"}))
		must(t, s.InTx(ctx, func(ctx context.Context, inner *sql.Tx) error {
			if inner != outer {
				t.Error("nested InTx got another transaction")
			}
			c, err := s.Cursor(ctx, "outer")
			must(t, err)
			if c.Token != "o" {
				t.Errorf("nested InTx reads %q, want the outer's uncommitted write", c.Token)
			}
			return s.SetCursor(ctx, "inner", kontor.Cursor{Token: "i"})
		}))
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want errBoom", err)
	}
	for _, flow := range []string{"outer", "inner"} {
		c, err := s.Cursor(ctx, flow)
		must(t, err)
		if c.Token != "" {
			t.Errorf("cursor %s = %q after the outer rollback, want none", flow, c.Token)
		}
	}

	// The inner fn's error is the outer fn's to handle: it rolls back
	// nothing by itself.
	var leaked context.Context
	must(t, s.InTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		leaked = ctx
		err := s.InTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
			must(t, s.SetCursor(ctx, "inner", kontor.Cursor{Token: "kept"}))
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("nested InTx = %v, want its fn's error", err)
		}
		return nil
	}))
	c, err := s.Cursor(ctx, "inner")
	must(t, err)
	if c.Token != "kept" {
		t.Errorf("cursor = %q, want the inner write committed with the outer", c.Token)
	}

	// fn's context outlives its transaction only to fail.
	if err := s.SetCursor(leaked, "late", kontor.Cursor{Token: "x"}); !errors.Is(err, sql.ErrTxDone) {
		t.Errorf("SetCursor with the context of an ended transaction: %v, want sql.ErrTxDone", err)
	}
	if err := s.InTx(leaked, func(context.Context, *sql.Tx) error { return nil }); !errors.Is(err, sql.ErrTxDone) {
		t.Errorf("InTx with the context of an ended transaction: %v, want sql.ErrTxDone", err)
	}
}

// TestInTxOtherStore proves a store ignores another store's transaction
// in the context: its calls, and its own InTx, are its own.
func TestInTxOtherStore(t *testing.T) {
	ctx := t.Context()
	a := openWithJobs(t)
	b := openWithJobs(t)
	err := a.InTx(ctx, func(ctx context.Context, atx *sql.Tx) error {
		must(t, a.SetCursor(ctx, "f", kontor.Cursor{Token: "a"}))
		must(t, b.SetCursor(ctx, "f", kontor.Cursor{Token: "b"}))
		c, err := b.Cursor(t.Context(), "f")
		must(t, err)
		if c.Token != "b" {
			t.Errorf("b's write inside a's transaction: plain read %q, want it committed at once", c.Token)
		}
		must(t, b.InTx(ctx, func(ctx context.Context, btx *sql.Tx) error {
			if btx == atx {
				t.Error("b.InTx joined a's transaction")
			}
			return b.SetCursor(ctx, "g", kontor.Cursor{Token: "b"})
		}))
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v, want errBoom", err)
	}
	for _, tc := range []struct {
		s    *sqlite.Store
		flow string
		want string
	}{{a, "f", ""}, {b, "f", "b"}, {b, "g", "b"}} {
		c, err := tc.s.Cursor(ctx, tc.flow)
		must(t, err)
		if c.Token != tc.want {
			t.Errorf("cursor %s = %q, want %q", tc.flow, c.Token, tc.want)
		}
	}
}

// TestInTxConcurrentCalls proves calls with fn's context from several
// goroutines run one after the other on the transaction: audit Seqs stay
// gapless, each call's records adjacent, and a failing call among them
// takes back only itself.
func TestInTxConcurrentCalls(t *testing.T) {
	s := openWithJobs(t)
	refuse(t, s, "kontor_audit")
	const goroutines, calls = 4, 10
	must(t, s.InTx(t.Context(), func(ctx context.Context, _ *sql.Tx) error {
		var wg sync.WaitGroup
		errs := make([]error, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				for c := range calls {
					k := fmt.Sprintf("g%d-c%d", g, c)
					recs := []store.AuditRecord{{Flow: "f", Key: k}, {Flow: "f", Key: k}}
					if g == 0 && c == 5 {
						recs[1].Key = "bad"
						if err := s.AppendAudit(ctx, recs); err == nil {
							errs[g] = errors.New("refused append: no error")
							return
						}
						continue
					}
					if err := s.AppendAudit(ctx, recs); err != nil {
						errs[g] = err
						return
					}
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}))
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	must(t, err)
	const n = 2 * (goroutines*calls - 1)
	if len(recs) != n {
		t.Fatalf("Audit = %d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("Audit[%d].Seq = %d, want %d", i, r.Seq, i+1)
		}
		if i%2 == 1 && r.Key != recs[i-1].Key {
			t.Errorf("the records of one call got Seqs %d and %d, apart", recs[i-1].Seq, r.Seq)
		}
	}
}

// TestInTxReadOnly proves a read-only store's InTx reads, and its writes
// fail with ErrReadOnly and leave the transaction usable.
func TestInTxReadOnly(t *testing.T) {
	w, path := open(t)
	must(t, w.SetCursor(t.Context(), "products", kontor.Cursor{Token: "p1"}))
	r := openAt(t, path, sqlite.ReadOnly())
	must(t, r.InTx(t.Context(), func(ctx context.Context, _ *sql.Tx) error {
		if err := r.SetCursor(ctx, "products", kontor.Cursor{Token: "p2"}); !errors.Is(err, sqlite.ErrReadOnly) {
			t.Errorf("SetCursor on a read-only store: %v, want ErrReadOnly", err)
		}
		c, err := r.Cursor(ctx, "products")
		if err != nil || c.Token != "p1" {
			t.Errorf("Cursor after the refused write = %q, %v; want p1", c.Token, err)
		}
		return nil
	}))
}

func TestInTxNilFn(t *testing.T) {
	s, _ := open(t)
	if err := s.InTx(t.Context(), nil); !errors.Is(err, kontor.ErrValidation) {
		t.Errorf("InTx(nil) = %v, want a validation error", err)
	}
}

// eachInTx runs every call of the store in a transaction of its own, so
// the conformance suite takes the transaction path of every method.
type eachInTx struct{ s *sqlite.Store }

func inTx[T any](ctx context.Context, s *sqlite.Store, call func(ctx context.Context) (T, error)) (T, error) {
	var v T
	err := s.InTx(ctx, func(ctx context.Context, _ *sql.Tx) error {
		var err error
		v, err = call(ctx)
		return err
	})
	return v, err
}

func inTx0(ctx context.Context, s *sqlite.Store, call func(ctx context.Context) error) error {
	return s.InTx(ctx, func(ctx context.Context, _ *sql.Tx) error { return call(ctx) })
}

func (e eachInTx) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (kontor.Cursor, error) { return e.s.Cursor(ctx, flow) })
}

func (e eachInTx) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.SetCursor(ctx, flow, c) })
}

func (e eachInTx) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	return inTx(ctx, e.s, func(ctx context.Context) ([]store.ItemState, error) { return e.s.States(ctx, flow, keys) })
}

func (e eachInTx) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.PutStates(ctx, flow, states) })
}

func (e eachInTx) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	return inTx(ctx, e.s, func(ctx context.Context) ([]store.Link, error) { return e.s.Links(ctx, entity, keys) })
}

func (e eachInTx) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (store.Link, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (store.Link, error) {
		return e.s.LinkByRemote(ctx, entity, side, remoteKey)
	})
}

func (e eachInTx) PutLinks(ctx context.Context, links []store.Link) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.PutLinks(ctx, links) })
}

func (e eachInTx) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (bool, error) { return e.s.AddInbox(ctx, ev) })
}

func (e eachInTx) MarkInboxDone(ctx context.Context, source, id string) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.MarkInboxDone(ctx, source, id) })
}

func (e eachInTx) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	return inTx(ctx, e.s, func(ctx context.Context) ([]store.InboxEvent, error) { return e.s.PendingInbox(ctx, limit) })
}

func (e eachInTx) BeginWrite(ctx context.Context, flow, key string, fp uint64, idem string) (store.WriteRecord, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (store.WriteRecord, error) {
		return e.s.BeginWrite(ctx, flow, key, fp, idem)
	})
}

func (e eachInTx) FinishWrite(ctx context.Context, flow, key string, fp uint64, state store.WriteState, target kontor.Meta) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.FinishWrite(ctx, flow, key, fp, state, target) })
}

func (e eachInTx) AddDeadLetter(ctx context.Context, dl store.DeadLetter) (store.DeadLetter, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (store.DeadLetter, error) { return e.s.AddDeadLetter(ctx, dl) })
}

func (e eachInTx) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	return inTx(ctx, e.s, func(ctx context.Context) ([]store.DeadLetter, error) { return e.s.DeadLetters(ctx, f) })
}

func (e eachInTx) DeleteDeadLetter(ctx context.Context, id int64) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.DeleteDeadLetter(ctx, id) })
}

func (e eachInTx) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	return inTx0(ctx, e.s, func(ctx context.Context) error { return e.s.AppendAudit(ctx, recs) })
}

func (e eachInTx) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	return inTx(ctx, e.s, func(ctx context.Context) ([]store.AuditRecord, error) { return e.s.Audit(ctx, f) })
}

func (e eachInTx) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (store.RedactCounts, error) { return e.s.Redact(ctx, entity, keys) })
}

func (e eachInTx) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	return inTx(ctx, e.s, func(ctx context.Context) (store.RedactCounts, error) { return e.s.RedactAll(ctx, entity) })
}

// TestConformanceEachCallInTx runs the conformance suite with every call
// in a transaction of its own: the transaction path of every method.
func TestConformanceEachCallInTx(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { s, _ := open(t); return eachInTx{s} })
}

// withTx is a call's context (its deadline, its cancel) that carries the
// transaction of another: the suite's calls made inside one transaction.
type withTx struct {
	context.Context
	tx context.Context
}

func (c withTx) Value(key any) any {
	if v := c.tx.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}

// oneTx runs every call of the store in one transaction, its concurrent
// calls included.
type oneTx struct {
	*sqlite.Store
	tx context.Context
}

func (o oneTx) ctx(ctx context.Context) context.Context { return withTx{ctx, o.tx} }

func (o oneTx) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	return o.Store.Cursor(o.ctx(ctx), flow)
}
func (o oneTx) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	return o.Store.SetCursor(o.ctx(ctx), flow, c)
}
func (o oneTx) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	return o.Store.States(o.ctx(ctx), flow, keys)
}
func (o oneTx) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	return o.Store.PutStates(o.ctx(ctx), flow, states)
}
func (o oneTx) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	return o.Store.Links(o.ctx(ctx), entity, keys)
}
func (o oneTx) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (store.Link, error) {
	return o.Store.LinkByRemote(o.ctx(ctx), entity, side, remoteKey)
}
func (o oneTx) PutLinks(ctx context.Context, links []store.Link) error {
	return o.Store.PutLinks(o.ctx(ctx), links)
}
func (o oneTx) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	return o.Store.AddInbox(o.ctx(ctx), ev)
}
func (o oneTx) MarkInboxDone(ctx context.Context, source, id string) error {
	return o.Store.MarkInboxDone(o.ctx(ctx), source, id)
}
func (o oneTx) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	return o.Store.PendingInbox(o.ctx(ctx), limit)
}
func (o oneTx) BeginWrite(ctx context.Context, flow, key string, fp uint64, idem string) (store.WriteRecord, error) {
	return o.Store.BeginWrite(o.ctx(ctx), flow, key, fp, idem)
}
func (o oneTx) FinishWrite(ctx context.Context, flow, key string, fp uint64, state store.WriteState, target kontor.Meta) error {
	return o.Store.FinishWrite(o.ctx(ctx), flow, key, fp, state, target)
}
func (o oneTx) AddDeadLetter(ctx context.Context, dl store.DeadLetter) (store.DeadLetter, error) {
	return o.Store.AddDeadLetter(o.ctx(ctx), dl)
}
func (o oneTx) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	return o.Store.DeadLetters(o.ctx(ctx), f)
}
func (o oneTx) DeleteDeadLetter(ctx context.Context, id int64) error {
	return o.Store.DeleteDeadLetter(o.ctx(ctx), id)
}
func (o oneTx) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	return o.Store.AppendAudit(o.ctx(ctx), recs)
}
func (o oneTx) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	return o.Store.Audit(o.ctx(ctx), f)
}
func (o oneTx) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	return o.Store.Redact(o.ctx(ctx), entity, keys)
}

func (o oneTx) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	return o.Store.RedactAll(o.ctx(ctx), entity)
}

// TestConformanceOneTx runs each check of the suite inside one
// transaction, which every call (the concurrent ones too) joins: the store
// keeps its contract on uncommitted state.
func TestConformanceOneTx(t *testing.T) {
	t.Parallel()
	for _, c := range storetest.Checks() {
		t.Run(c.Name, func(t *testing.T) {
			s, _ := open(t)
			must(t, s.InTx(t.Context(), func(ctx context.Context, _ *sql.Tx) error {
				c.Fn(t, oneTx{s, ctx})
				return nil
			}))
		})
	}
}

// BenchmarkSQLiteInTx measures what a transaction of InTx adds to a call,
// and a call inside one (its savepoint) costs.
func BenchmarkSQLiteInTx(b *testing.B) {
	s := openBench(b)
	c := kontor.Cursor{Token: "t"}
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			must(b, s.SetCursor(b.Context(), "f", c))
		}
	})
	b.Run("own-tx", func(b *testing.B) {
		for b.Loop() {
			must(b, s.InTx(b.Context(), func(ctx context.Context, _ *sql.Tx) error { return s.SetCursor(ctx, "f", c) }))
		}
	})
	b.Run("in-shared-tx", func(b *testing.B) {
		must(b, s.InTx(b.Context(), func(ctx context.Context, _ *sql.Tx) error {
			for b.Loop() {
				must(b, s.SetCursor(ctx, "f", c))
			}
			return nil
		}))
	})
}
