package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Store is a store.Store in a PostgreSQL schema. It is safe for concurrent
// use, and any number of Stores, in one process or many, may share a
// schema.
type Store struct {
	pool   *pgxpool.Pool
	owned  bool // Close closes the pool
	schema string
	now    func() time.Time
	sql    statements
}

var _ store.Store = (*Store)(nil)

// Option configures Open and New.
type Option func(*config) error

type config struct {
	schema     string
	now        func() time.Time
	migrations []migration // the steps to apply; the package's own unless a test replaces them
}

// maxIdentifier is the longest name PostgreSQL keeps; a longer one would
// be cut silently, and two stores would share a schema by accident.
const maxIdentifier = 63

// Schema puts the store's tables in the named schema, creating it when
// missing, so several stores (tenants, environments) can share a database.
// Without it the store uses the connection's current schema.
func Schema(name string) Option {
	return func(c *config) error {
		switch {
		case name == "":
			return invalid("Open", "Schema: empty")
		case len(name) > maxIdentifier:
			return invalid("Open", "Schema: %d bytes, PostgreSQL keeps at most %d", len(name), maxIdentifier)
		case !storable(name):
			return invalid("Open", "Schema: not valid UTF-8 or holds a NUL byte")
		}
		c.schema = name
		return nil
	}
}

// Clock sets the clock that stamps write records and the times a caller
// left zero (link UpdatedAt, inbox ReceivedAt, dead letter failure times,
// audit At), so tests can assert them. The default is time.Now.
func Clock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return invalid("Open", "Clock: nil")
		}
		c.now = now
		return nil
	}
}

// Open connects to the database at dsn with a pool of its own, brings the
// schema to the version this code knows and returns the store; Close
// releases the pool. Pool settings go in the DSN (pool_max_conns,
// connect_timeout, ...). A server that does not answer fails Open, within
// ctx's deadline or the DSN's connect_timeout.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres store open: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres store open: %w", err)
	}
	s, err := newStore(ctx, pool, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New is Open on a pool the caller owns, for an application that shares
// one pool between the store and its own work; Close leaves the pool open.
func New(ctx context.Context, pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, invalid("New", "pool: nil")
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return newStore(ctx, pool, cfg)
}

func newConfig(opts []Option) (config, error) {
	cfg := config{now: time.Now, migrations: migrations}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

func newStore(ctx context.Context, pool *pgxpool.Pool, cfg config) (*Store, error) {
	schema := cfg.schema
	if schema == "" {
		var cur pgtype.Text
		if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&cur); err != nil {
			return nil, dbError(ctx, "open", err)
		}
		if !cur.Valid {
			return nil, errors.New("postgres store open: the connection's search_path names no existing schema; name one with postgres.Schema")
		}
		schema = cur.String
	}
	s := &Store{pool: pool, schema: schema, now: cfg.now, sql: newStatements(schema)}
	if err := s.migrate(ctx, cfg.migrations); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the pool when Open made it; a pool given to New stays
// open. Calls after Close fail.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// Pool returns the store's connection pool, for work that shares the
// database: a job queue whose driver takes a *pgxpool.Pool, so state and
// jobs live in one database; InTx then records state and enqueues the
// next step in one transaction. Closing the store closes the pool when
// Open made it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// SchemaName returns the schema that holds the store's tables, e.g. to
// put a job queue's tables beside them.
func (s *Store) SchemaName() string { return s.schema }

// stamp returns the clock's time without a monotonic reading.
func (s *Store) stamp() time.Time { return s.now().Round(0) }

// statements are the store's SQL with the schema filled in, built once.
type statements struct {
	getCursor, setCursor                         string
	states, putStates                            string
	links, linkByERP, linkByShop, lockLinks      string
	loadLinks, clearLinks, upsertLinks           string
	addInbox, markInboxDone, pendingInbox        string
	insertWrite, selectWrite, finishWrite        string
	addDeadLetter, deadLetters, deleteDeadLetter string
	appendAudit, audit                           string
	redactDeadLetters, redactInbox, redactLinks  string
	redactAuditRows, redactAudit                 string
	redactAllDeadLetters, redactAllInbox         string
	redactAllLinks, redactAllAuditRows           string
	version                                      string
}

// newStatements fills the schema, quoted, into every {s} of the package's
// SQL.
func newStatements(schema string) statements {
	r := strings.NewReplacer("{s}", pgx.Identifier{schema}.Sanitize())
	return statements{
		getCursor:            r.Replace(sqlGetCursor),
		setCursor:            r.Replace(sqlSetCursor),
		states:               r.Replace(sqlStates),
		putStates:            r.Replace(sqlPutStates),
		links:                r.Replace(sqlLinks),
		linkByERP:            r.Replace(sqlLinkByERP),
		linkByShop:           r.Replace(sqlLinkByShop),
		lockLinks:            r.Replace(sqlLockLinks),
		loadLinks:            r.Replace(sqlLoadLinks),
		clearLinks:           r.Replace(sqlClearLinks),
		upsertLinks:          r.Replace(sqlUpsertLinks),
		addInbox:             r.Replace(sqlAddInbox),
		markInboxDone:        r.Replace(sqlMarkInboxDone),
		pendingInbox:         r.Replace(sqlPendingInbox),
		insertWrite:          r.Replace(sqlInsertWrite),
		selectWrite:          r.Replace(sqlSelectWrite),
		finishWrite:          r.Replace(sqlFinishWrite),
		addDeadLetter:        r.Replace(sqlAddDeadLetter),
		deadLetters:          r.Replace(sqlDeadLetters),
		deleteDeadLetter:     r.Replace(sqlDeleteDeadLetter),
		appendAudit:          r.Replace(sqlAppendAudit),
		audit:                r.Replace(sqlAudit),
		redactDeadLetters:    r.Replace(sqlRedactDeadLetters),
		redactInbox:          r.Replace(sqlRedactInbox),
		redactLinks:          r.Replace(sqlRedactLinks),
		redactAuditRows:      r.Replace(sqlRedactAuditRows),
		redactAudit:          r.Replace(sqlRedactAudit),
		redactAllDeadLetters: r.Replace(sqlRedactAllDeadLetters),
		redactAllInbox:       r.Replace(sqlRedactAllInbox),
		redactAllLinks:       r.Replace(sqlRedactAllLinks),
		redactAllAuditRows:   r.Replace(sqlRedactAllAuditRows),
		version:              r.Replace(sqlVersion),
	}
}

// invalid returns a validation error for operation op naming the item and
// field at fault. Keys are never quoted: a customer key may be an e-mail
// address, and error texts reach logs.
func invalid(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindValidation, "postgres store "+op, fmt.Errorf(format, args...))
}

// notFound wraps store.ErrNotFound with what was looked up.
func notFound(op, what string) error {
	return fmt.Errorf("postgres store %s: %s: %w", op, what, store.ErrNotFound)
}

// storable reports whether PostgreSQL text can hold s: valid UTF-8 without
// NUL bytes.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// checkText returns a validation error naming field when s cannot be
// stored as text.
func checkText(op, field, s string) error {
	if storable(s) {
		return nil
	}
	return invalid(op, "%s: not valid UTF-8 or holds a NUL byte", field)
}

// description makes a free text storable: invalid bytes and NULs become
// U+FFFD, so the record it describes is kept.
func description(s string) string {
	if storable(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// dbError wraps a database failure of operation op. It keeps a done
// context's error visible to errors.Is, and marks failures that may pass
// when tried again as kontor.ErrRetryable.
func dbError(ctx context.Context, op string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("postgres store %s: %w: %w", op, cerr, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("postgres store %s: %w", op, err)
	}
	if retryable(err) {
		return kontor.NewError(kontor.KindRetryable, "postgres store "+op, err)
	}
	return fmt.Errorf("postgres store %s: %w", op, err)
}

// retryable reports whether err may pass when tried again: the connection
// failed or the server resolved a conflict between transactions by failing
// this one.
func retryable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), // connection exception
			strings.HasPrefix(pg.Code, "40"),                           // serialization failure, deadlock
			strings.HasPrefix(pg.Code, "53"),                           // insufficient resources
			pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03": // shutdown, cannot connect now
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}

// ts turns a time into a timestamptz argument; the zero time is NULL.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// fromTS returns a stored time in UTC; NULL is the zero time.
func fromTS(v pgtype.Timestamptz) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.UTC()
}

// subMicro returns the nanoseconds of t that timestamptz drops.
func subMicro(t time.Time) int16 {
	if t.IsZero() {
		return 0
	}
	return int16(t.Nanosecond() % 1000)
}

// exactTS joins a timestamptz and the nanoseconds it dropped.
func exactTS(v pgtype.Timestamptz, ns int16) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return v.Time.Add(time.Duration(ns)).UTC()
}
