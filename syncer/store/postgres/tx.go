package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontor-dev/kontor/syncer/store"
)

var _ store.Transactor[pgx.Tx] = (*Store)(nil)

// executor is what a call runs its statements on: the pool or, inside
// InTx, the transaction. Every method goes through it, so one body serves
// both.
type executor interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	// Begin starts a transaction on the pool and a savepoint on a
	// transaction.
	Begin(ctx context.Context) (pgx.Tx, error)
}

var (
	_ executor = (*pgxpool.Pool)(nil)
	_ executor = pgx.Tx(nil)
)

// cleanupTimeout bounds taking back a savepoint or a transaction: that
// must run even when the caller's context is done, or the transaction
// would keep half of a failed call.
const cleanupTimeout = 5 * time.Second

// txKey is the context key of InTx's transaction. It holds the Store, so
// a context carrying another store's transaction (another database or
// schema) is not taken for this store's.
type txKey struct{ s *Store }

// txConn is InTx's transaction as the context passed to fn carries it.
type txConn struct {
	tx        pgx.Tx // the transaction or, in a nested InTx, a savepoint of it
	outermost bool   // tx is the transaction itself
	shared    *txShared
}

// txShared is what a transaction and the savepoints of nested InTx calls
// share: one connection.
type txShared struct {
	// turn holds a token while a call uses the connection: it runs one
	// statement at a time, and calls with fn's context may come from
	// several goroutines.
	turn chan struct{}
}

// acquire waits for the connection's turn, or for ctx to end.
func (sh *txShared) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case sh.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (sh *txShared) release() { <-sh.turn }

// txOf returns the transaction of this store that ctx carries, or nil.
func (s *Store) txOf(ctx context.Context) *txConn {
	c, _ := ctx.Value(txKey{s}).(*txConn)
	return c
}

// InTx implements store.Transactor: it runs fn in one read committed
// transaction and commits it when fn returns nil. When fn returns an
// error or panics, InTx rolls the transaction back and returns fn's error
// as it is, or lets the panic go on.
//
// Every Store method called with fn's context (or one derived from it)
// runs on the transaction and sees its uncommitted changes; tx is the raw
// transaction, for the statements of a job queue or of the application.
// A failing call leaves the transaction as it was before the call when
// the database reported no error (an error matching kontor.ErrValidation
// or store.ErrNotFound) and when it is PutLinks, AppendAudit or Redact,
// which run in a savepoint. Any other call that fails in the database aborts the
// transaction, as any failed SQL statement does, and InTx then reports
// that nothing committed: return the error from fn.
//
// Calls with fn's context may come from several goroutines: they take
// turns on the transaction's connection. tx is not safe to use at the same
// time as such calls. Once fn returns, InTx waits for the calls still
// running before it ends the transaction; later ones fail. A call with
// another context runs on the pool, outside the transaction: it does not
// see the transaction's changes, and a write waits for the rows the
// transaction locked.
//
// A ctx that already carries this store's transaction joins it: fn runs
// inside that transaction, in a savepoint, with the savepoint as tx. Its
// work commits when the outermost InTx commits, and an error or panic of
// fn takes back fn's work only.
//
// Audit Seqs stay gapless: AppendAudit takes its Seqs from a counter row
// the transaction updates, so a rollback takes them back, and other
// appends, in any process, wait for the transaction to end. Keep
// transactions that append to the audit trail short, and append last:
// one that holds the counter row and then waits for another's lock, such
// as PutLinks' per entity, may deadlock; PostgreSQL then fails one of
// them with an error matching kontor.ErrRetryable.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error) error {
	if fn == nil {
		return invalid("InTx", "fn: nil")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c, err := s.beginTx(ctx)
	if err != nil {
		return dbError(ctx, "InTx", err)
	}
	ended := false
	defer func() {
		if ended {
			return
		}
		p := recover()
		c.rollback(ctx)
		if p != nil {
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{s}, c), c.tx); err != nil {
		return err
	}
	ended = true
	return c.commit(ctx)
}

// beginTx begins InTx's transaction or, when ctx carries one, a savepoint
// of it.
func (s *Store) beginTx(ctx context.Context) (*txConn, error) {
	outer := s.txOf(ctx)
	if outer == nil {
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
		if err != nil {
			return nil, err
		}
		return &txConn{tx: tx, outermost: true, shared: &txShared{turn: make(chan struct{}, 1)}}, nil
	}
	if err := outer.shared.acquire(ctx); err != nil {
		return nil, err
	}
	defer outer.shared.release()
	sp, err := outer.tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &txConn{tx: sp, shared: outer.shared}, nil
}

// commit commits c's transaction, or releases its savepoint, after fn
// succeeded.
func (c *txConn) commit(ctx context.Context) error {
	if err := c.shared.acquire(ctx); err != nil {
		c.rollback(ctx)
		return err
	}
	defer c.shared.release()
	if c.outermost {
		if err := c.tx.Commit(ctx); err != nil {
			return dbError(ctx, "InTx: commit", err)
		}
		return nil
	}
	if err := endSavepoint(ctx, c.tx, nil); err != nil {
		return dbError(ctx, "InTx: release savepoint", err)
	}
	return nil
}

// rollback rolls c's transaction back, or back to its savepoint, once the
// calls that still use it are done. It runs even when ctx is done. A
// rollback that fails leaves the transaction aborted or its connection
// closed, so nothing of it commits.
func (c *txConn) rollback(ctx context.Context) {
	c.shared.turn <- struct{}{}
	defer c.shared.release()
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	_ = c.tx.Rollback(cctx)
}

// exec returns what a call with ctx runs its statements on, and release,
// to call when the call is done with it: inside InTx the transaction,
// whose turn the call then holds, otherwise the pool. It fails when ctx is
// done.
func (s *Store) exec(ctx context.Context) (q executor, release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	c := s.txOf(ctx)
	if c == nil {
		return s.pool, func() {}, nil
	}
	if err := c.shared.acquire(ctx); err != nil {
		return nil, nil, err
	}
	return c.tx, c.shared.release, nil
}

// atomic runs fn, the statements of one call, on q from exec, so that they
// apply whole or not at all. Inside InTx they run in a savepoint of its
// transaction: a failed call takes back its own statements only and
// leaves the transaction usable. Outside they run in a transaction of
// their own or, when oneStatement, directly: a statement is atomic by
// itself, and BEGIN and COMMIT would cost two round trips.
func (s *Store) atomic(ctx context.Context, q executor, oneStatement bool, fn func(q executor) error) error {
	c := s.txOf(ctx)
	if c == nil && oneStatement {
		return fn(q)
	}
	tx, err := q.Begin(ctx)
	if err != nil {
		return err
	}
	err = fn(tx)
	if c != nil {
		return endSavepoint(ctx, tx, err)
	}
	if err != nil {
		cctx, cancel := cleanupContext(ctx)
		defer cancel()
		_ = tx.Rollback(cctx) // a failure closes the connection, which rolls back
		return err
	}
	// A commit that fails closes the transaction, or its connection, which
	// rolls it back.
	return tx.Commit(ctx)
}

// endSavepoint ends sp after its work: it releases it when err is nil and
// rolls back to it otherwise, returning err. Both run even when ctx is
// done: work that ran must not be reported as failed while the
// transaction keeps it, nor failed work be kept. Should either fail, the
// transaction is aborted or its connection closed, so it cannot commit.
func endSavepoint(ctx context.Context, sp pgx.Tx, err error) error {
	cctx, cancel := cleanupContext(ctx)
	defer cancel()
	if err != nil {
		_ = sp.Rollback(cctx)
		return err
	}
	return sp.Commit(cctx)
}

// cleanupContext returns a context for taking back or releasing work,
// which ctx ending does not cancel.
func cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}
