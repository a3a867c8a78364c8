// Package sqlite is the engine's embedded default store: all of a
// store.Store's state in one SQLite file, through modernc.org/sqlite (pure
// Go, no cgo), so an integration needs no database server.
//
// # Connections
//
// The file runs in WAL mode with synchronous=NORMAL: a commit is one append
// to the write-ahead log, readers never wait for the writer, and a power
// loss can lose the last commits but never corrupts the file. Writes go
// through one connection, so the store's writes never contend for SQLite's
// write lock among themselves, and transactions begin IMMEDIATE, so a
// second process sharing the file waits (up to the busy timeout of 5 s)
// instead of failing half way. Reads go through a small pool of read-only
// connections of their own, so a status page reading the audit trail does
// not wait for the engine's writes.
//
// # Schema
//
// The schema is versioned. Open applies the migrations the file lacks, each
// in one transaction together with its version bump, so a failed migration
// leaves the file at the previous version; opening a current file changes
// nothing. A file whose schema is newer than this code is refused with
// ErrSchemaTooNew, so an old binary never writes into a schema it does not
// know. Tables are named kontor_*, so the file can hold a job queue's
// tables or the application's own beside them.
//
// # Values
//
// Fingerprints and payload hashes are uint64 stored as the INTEGER with the
// same 64 bits, so they round-trip exactly. Times are INTEGER nanoseconds
// since the Unix epoch in UTC, a zero time is NULL, and times come back in
// UTC; a time outside what that holds (1677-09-21 to 2262-04-11) is
// rejected as a validation error naming the field, never stored wrong.
// An error's kontor.Kind is stored as its number. Dead letter IDs and audit
// Seqs come from AUTOINCREMENT columns: never reused, and gapless for the
// audit trail, whose rows are never deleted. Like store.Memory, the store
// keeps handled inbox events and finished write records, to catch late
// duplicates.
//
// # Failures
//
// Every method is one transaction: a batch is stored whole or not at all,
// also when the disk fills up half way. Storage errors are wrapped with the
// operation and match ErrReadOnly, ErrFull or ErrCorrupt when they are one
// of those, and the underlying *sqlite.Error stays reachable with
// errors.As.
//
// # Transactions
//
// Store is a store.Transactor: InTx runs a function in one transaction on
// the writer, and every method called with its context joins it, each call
// in a savepoint of its own, so a failed call takes back only itself. A job
// queue that keeps its tables in the same file (see DB) inserts through
// the same *sql.Tx, so "record the write and enqueue the next step" commits
// as one. One limit is SQLite's: a full disk, or a write interrupted by its
// context, rolls back the whole transaction, not only the failed statement;
// the call then fails with ErrTxAborted, and so does the rest of the
// transaction.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Errors a caller can branch on with errors.Is.
var (
	// ErrSchemaTooNew: the file was written by a newer version of this
	// package. Open refuses it rather than write into a schema it does not
	// know; run the newer version, or restore a backup.
	ErrSchemaTooNew = errors.New("database schema is newer than this code")
	// ErrSchemaTooOld: a read-only Open found a file that needs migrating,
	// which only a read-write Open does.
	ErrSchemaTooOld = errors.New("database schema needs migrating")
	// ErrReadOnly: the file cannot be written, because the store was
	// opened with ReadOnly or the file system refuses writes.
	ErrReadOnly = errors.New("storage read-only")
	// ErrFull: the disk, or the database's page limit, is full. Nothing of
	// the failed call was stored.
	ErrFull = errors.New("storage full")
	// ErrCorrupt: the file is not a SQLite database, or is damaged.
	ErrCorrupt = errors.New("database file is corrupt or not a database")
)

// busyTimeout is how long a write waits for another process's lock on the
// file before it fails with SQLITE_BUSY.
const busyTimeout = 5 * time.Second

// readConns is the size of the read pool. The engine reads one batch at a
// time per flow; a few connections serve the flows of one process and a
// status page besides.
const readConns = 4

// Store is a store.Store in one SQLite file. It is safe for concurrent use.
// Close it when done.
type Store struct {
	path     string
	w        *sql.DB // the one writer connection
	r        *sql.DB // the read-only pool
	now      func() time.Time
	readOnly bool
}

var _ store.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*config)

type config struct {
	now        func() time.Time
	readOnly   bool
	migrations []string // the schema steps; tests swap them
}

// Clock sets the clock that stamps write records and the times a caller
// left zero (link UpdatedAt, inbox ReceivedAt, dead letter failure times,
// audit At), so tests can assert them exactly. The default is time.Now.
func Clock(now func() time.Time) Option {
	return func(c *config) {
		if now != nil {
			c.now = now
		}
	}
}

// ReadOnly opens the file without write access, for a process that only
// looks (a status page, a report) while the engine runs elsewhere: every
// write fails with ErrReadOnly. The file must exist with the current
// schema; a read-only Open never creates or migrates it.
func ReadOnly() Option { return func(c *config) { c.readOnly = true } }

// Open opens the store in the file at path, creating the file and applying
// the schema migrations it lacks. It fails with an error naming the path
// when the file cannot be opened, is not a database (ErrCorrupt), or has a
// schema newer than this code (ErrSchemaTooNew).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	cfg := config{now: time.Now, migrations: migrations}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" {
		return nil, errors.New("sqlite: open: path: empty")
	}
	if strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open %s: path: want a file path, not a URI or :memory:", path)
	}
	s := &Store{path: path, now: cfg.now, readOnly: cfg.readOnly}
	if err := s.open(ctx, cfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, cfg config) error {
	abs, err := filepath.Abs(s.path)
	if err != nil {
		return err
	}
	writerDSN, readerDSN := dsns(abs, cfg.readOnly)
	if s.w, err = sql.Open("sqlite", writerDSN); err != nil {
		return err
	}
	// One connection, kept for the life of the store: writes queue in
	// the pool instead of contending for the file's lock.
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := connect(ctx, s.w); err != nil {
		return fmt.Errorf("connect: %w", classify(err))
	}
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", classify(err))
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal: the file system may not support it", mode)
	}
	if cfg.readOnly {
		if err := checkVersion(ctx, s.w, len(cfg.migrations)); err != nil {
			return err
		}
	} else if err := migrate(ctx, s.w, cfg.migrations); err != nil {
		return err
	}
	if s.r, err = sql.Open("sqlite", readerDSN); err != nil {
		return err
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("connect reader: %w", classify(err))
	}
	return nil
}

// connect opens db's first connection. It retries while another
// connection holds the lock it needs, for up to the busy timeout: turning a
// new file to WAL takes the file exclusively, and SQLite reports that
// contention at once instead of waiting, lest two connections deadlock.
// Two processes starting on a new file meet it.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		err := db.PingContext(ctx)
		var e *sqlite.Error
		if err == nil || !errors.As(err, &e) || e.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// dsns returns the data source names of the writer and of the readers.
// Pragmas go as _pragma parameters, which the driver runs on every new
// connection; keys of other drivers' dialects would be ignored.
func dsns(path string, readOnly bool) (writer, reader string) {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	if !strings.HasPrefix(u.Path, "/") { // a Windows drive letter
		u.Path = "/" + u.Path
	}
	q := []string{
		"_pragma=" + url.QueryEscape(fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds())),
		"_pragma=" + url.QueryEscape("foreign_keys(1)"),
		"_pragma=" + url.QueryEscape("synchronous(NORMAL)"),
	}
	reader = u.String() + "?" + strings.Join(append(q, "_pragma="+url.QueryEscape("query_only(1)")), "&")
	if readOnly {
		reader = u.String() + "?" + strings.Join(append(q, "mode=ro"), "&")
		return reader, reader
	}
	q = append(q, "_pragma="+url.QueryEscape("journal_mode(WAL)"), "_txlock=immediate")
	return u.String() + "?" + strings.Join(q, "&"), reader
}

// DB returns the store's writer: a *sql.DB of one connection to the file,
// for a job queue that keeps its tables in the same file, so its writes
// queue behind the store's instead of contending for the file's lock.
// Transactions on it begin IMMEDIATE. A ReadOnly store's DB is read-only
// too. Do not close it, and do not call the store while holding a
// transaction or a connection of it: the store waits for that one
// connection, and the call never returns. For a transaction that holds
// both the queue's writes and the store's, use InTx.
func (s *Store) DB() *sql.DB { return s.w }

// Close closes the store's connections, checkpointing the write-ahead log
// into the file.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// stamp returns the clock's time without a monotonic reading, as a
// stored time reads back.
func (s *Store) stamp() time.Time { return s.now().Round(0) }

// classify marks a storage error with the sentinel a caller can branch on,
// keeping the driver's error in the chain.
func classify(err error) error {
	var e *sqlite.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: %w", ErrFull, err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

// dbErr wraps a storage error of operation op. A done context comes back
// as the context's error, so callers can tell a cancel from a failure.
func dbErr(ctx context.Context, op string, err error) error {
	var ke *kontor.Error
	if err == nil || errors.As(err, &ke) { // ours: validation, not found
		return err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		err = fmt.Errorf("%w (%w)", cerr, err)
	}
	return fmt.Errorf("sqlite store %s: %w", op, classify(err))
}
