package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kontor-dev/kontor/syncer/store"
)

// ErrTxAborted: SQLite rolled back the whole transaction of InTx after
// an error inside it (a full disk or an interrupted write end a SQLite
// transaction, not only the failed statement), so the calls fn made before
// are undone too. The failed call's error matches it besides its cause
// (ErrFull, context.DeadlineExceeded); every later store call with fn's
// context fails with it, and InTx returns it when fn returns nil: the
// transaction can only end, never commit.
var ErrTxAborted = errors.New("transaction rolled back by SQLite")

var _ store.Transactor[*sql.Tx] = (*Store)(nil)

// InTx implements store.Transactor: it runs fn in one IMMEDIATE
// transaction on the writer and commits it when fn returns nil; when fn
// returns an error, panics or exits its goroutine, nothing of it is
// stored. fn's context carries the transaction: every method of s called
// with it (or a context derived from it) runs on tx, sees its uncommitted
// changes and is stored with it. Each such call runs in a savepoint, so a
// call that fails, a batch half way included, leaves the transaction as it
// was before that call, and fn may go on; except after ErrTxAborted. Calls
// with fn's context may come from several goroutines: they run one after
// the other on tx. Another Store ignores the transaction: it is keyed by
// s.
//
// Called with a context that already carries a transaction of s, InTx
// joins it: fn runs in the same transaction, with no savepoint of its own,
// and what it did is committed or rolled back with the outer one; an error
// of the inner fn rolls back nothing unless the outer fn returns it too.
//
// A context of fn used after InTx returned makes every call fail with
// sql.ErrTxDone. While fn runs, a write with a context that does not carry
// the transaction waits for it to end: the writer is one connection.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if fn == nil {
		return invalid("InTx", "fn: nil")
	}
	if t := s.txOf(ctx); t != nil {
		if err := t.lock(ctx); err != nil {
			return err
		}
		done := t.done
		t.unlock()
		if done {
			return fmt.Errorf("sqlite store InTx: joining the context's transaction: %w", sql.ErrTxDone)
		}
		return fn(ctx, t.tx)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(ctx, "InTx", err)
	}
	t := &txn{tx: tx, sem: make(chan struct{}, 1)}
	returned := false
	defer func() {
		if !returned { // fn panicked or exited its goroutine; both go on after this
			t.end(false)
		}
	}()
	ferr := fn(context.WithValue(ctx, txKey{s}, t), tx)
	returned = true
	if ferr != nil {
		t.end(false)
		return ferr
	}
	switch err := t.end(true); {
	case err == nil:
		return nil
	case errors.Is(err, ErrTxAborted):
		return fmt.Errorf("sqlite store InTx: %w", err) // classified already
	default:
		return dbErr(ctx, "InTx", err)
	}
}

// txKey is the context key of a Store's transaction. It holds the store,
// so the transaction of one Store is never taken for another's.
type txKey struct{ s *Store }

// txn is a transaction of InTx, as fn's context carries it.
type txn struct {
	tx  *sql.Tx
	sem chan struct{} // held by one call at a time: tx is one connection

	// Guarded by sem.
	done    bool  // InTx ended the transaction
	aborted error // SQLite rolled the transaction back; matches ErrTxAborted
}

// txOf returns the transaction of s that ctx carries, or nil.
func (s *Store) txOf(ctx context.Context) *txn {
	t, _ := ctx.Value(txKey{s}).(*txn)
	return t
}

func (t *txn) lock(ctx context.Context) error {
	select {
	case t.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *txn) unlock() { <-t.sem }

// end commits or rolls back the transaction, once the calls still running
// on it, from goroutines fn left behind, are done. An aborted transaction
// is rolled back, its abort returned.
func (t *txn) end(commit bool) error {
	t.sem <- struct{}{}
	defer t.unlock()
	t.done = true
	if commit && t.aborted == nil {
		return t.tx.Commit()
	}
	_ = t.tx.Rollback() // fails only when already rolled back: nothing was stored
	return t.aborted
}

// savepoint runs fn on the transaction inside a savepoint, released when
// fn succeeds and rolled back to when it fails, so a failed call takes
// back what it did and only that. aborted reports that SQLite ended the
// whole transaction instead.
func (t *txn) savepoint(ctx context.Context, fn func(q dbtx) error) (aborted bool, err error) {
	if _, err := t.tx.ExecContext(ctx, `SAVEPOINT kontor_op`); err != nil {
		return false, err
	}
	if err = fn(t.tx); err == nil {
		if _, err = t.tx.ExecContext(ctx, `RELEASE kontor_op`); err == nil {
			return false, nil
		}
	}
	// Undo even when ctx is done: the call must not stay half done.
	undo := context.WithoutCancel(ctx)
	if _, rerr := t.tx.ExecContext(undo, `ROLLBACK TO kontor_op`); rerr != nil {
		// The savepoint is gone: SQLite ended the whole transaction.
		// Begin a new one on the connection, rolled back when InTx
		// ends, so fn's raw statements after this point cannot slip into
		// the file one by one, each in a transaction of its own.
		_, _ = t.tx.ExecContext(undo, `BEGIN`)
		return true, err
	}
	if _, rerr := t.tx.ExecContext(undo, `RELEASE kontor_op`); rerr != nil {
		return false, errors.Join(err, rerr)
	}
	return false, err
}

// dbtx runs statements: the writer, the read pool or a transaction.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
}

// access is what a method's statements do, which decides where they run
// outside a transaction of InTx.
type access int

const (
	reads    access = iota // only read: the read pool, which never waits for the writer
	writeOne               // write in one statement, atomic by itself: the writer
	writeAll               // write in several statements: the writer, in one transaction
)

// run runs the statements of operation op, fn, and wraps its error. When
// ctx carries a transaction of s they run on it, in a savepoint; else where
// a says. Every method's statements go through run, so each method has one
// body for both.
func (s *Store) run(ctx context.Context, op string, a access, fn func(q dbtx) error) error {
	if t := s.txOf(ctx); t != nil {
		return t.run(ctx, op, fn)
	}
	switch a {
	case reads:
		return dbErr(ctx, op, fn(s.r))
	case writeOne:
		return dbErr(ctx, op, fn(s.w))
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return dbErr(ctx, op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return dbErr(ctx, op, err)
	}
	return dbErr(ctx, op, tx.Commit())
}

// run is Store.run inside the transaction.
func (t *txn) run(ctx context.Context, op string, fn func(q dbtx) error) error {
	if err := t.lock(ctx); err != nil {
		return err
	}
	defer t.unlock()
	switch {
	case t.done:
		return fmt.Errorf("sqlite store %s: %w", op, sql.ErrTxDone)
	case t.aborted != nil:
		return fmt.Errorf("sqlite store %s: %w", op, t.aborted)
	}
	aborted, err := t.savepoint(ctx, fn)
	err = dbErr(ctx, op, err)
	if aborted {
		t.aborted = fmt.Errorf("%w: %w", ErrTxAborted, err)
		return t.aborted
	}
	return err
}
