package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrSchemaTooNew is returned by Open and New when the database's schema
// is at a version newer than this code knows: a newer release migrated it,
// and this one must not write to it. Deploy the newer release.
var ErrSchemaTooNew = errors.New("postgres store: database schema is newer than this code")

// migration is one numbered step of the schema. Its statements run in one
// transaction with search_path set to the store's schema, so they name
// tables without it.
type migration struct {
	version int
	sql     string
}

// migrations are the schema's steps, in order; version i+1 at index i.
// Never change a released step: add one.
var migrations = []migration{
	{version: 1, sql: schemaV1},
	{version: 2, sql: schemaV2},
}

// migrateLockClass is the first key of the advisory lock that serializes
// migrations; the second is a hash of the schema name.
const migrateLockClass = 0x4B4F4E54 // "KONT"

const sqlVersion = `SELECT coalesce(max(version), 0) FROM {s}.kontor_schema_version`

// migrate brings the schema to the last of steps. An up-to-date schema
// costs one query; otherwise each step runs in a transaction of its own,
// under the advisory lock, and re-reads the version first, so concurrent
// openers apply each step once.
func (s *Store) migrate(ctx context.Context, steps []migration) error {
	for i, m := range steps {
		if m.version != i+1 {
			return fmt.Errorf("postgres store open: migration at index %d has version %d, want %d", i, m.version, i+1)
		}
	}
	latest := len(steps)
	var have int
	err := s.pool.QueryRow(ctx, s.sql.version).Scan(&have)
	switch {
	case err == nil:
		if have == latest {
			return nil
		}
		if have > latest {
			return tooNew(s.schema, have, latest)
		}
	case !missingRelation(err):
		return dbError(ctx, "open", err)
	}
	for {
		done, err := s.migrateStep(ctx, steps)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next step, if there is one, in one transaction
// with its version row. It reports done when the schema was already at the
// latest version.
func (s *Store) migrateStep(ctx context.Context, steps []migration) (done bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, dbError(ctx, "open", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit; with ctx done it closes the connection, which rolls back too
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, hashtext($2))", migrateLockClass, s.schema); err != nil {
		return false, dbError(ctx, "open: lock the schema for migration", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", s.schema).Scan(&exists); err != nil {
		return false, dbError(ctx, "open", err)
	}
	q := pgx.Identifier{s.schema}.Sanitize()
	if !exists {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+q); err != nil {
			return false, dbError(ctx, "open: create schema", err)
		}
	}
	if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+q+`.kontor_schema_version (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return false, dbError(ctx, "open: create the version table", err)
	}
	var have int
	if err := tx.QueryRow(ctx, s.sql.version).Scan(&have); err != nil {
		return false, dbError(ctx, "open", err)
	}
	latest := len(steps)
	if have > latest {
		return false, tooNew(s.schema, have, latest)
	}
	if have < latest {
		next := steps[have]
		if _, err := tx.Exec(ctx, "SET LOCAL search_path TO "+q); err != nil {
			return false, dbError(ctx, "open", err)
		}
		if _, err := tx.Exec(ctx, next.sql); err != nil {
			return false, dbError(ctx, fmt.Sprintf("open: migrate schema %s to version %d", s.schema, next.version), err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+q+".kontor_schema_version (version) VALUES ($1)", next.version); err != nil {
			return false, dbError(ctx, "open: record the schema version", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, dbError(ctx, "open: commit migration", err)
	}
	return have == latest, nil
}

func tooNew(schema string, have, known int) error {
	return fmt.Errorf("%w: schema %s is at version %d, this code knows versions up to %d; run a release that knows version %d",
		ErrSchemaTooNew, schema, have, known, have)
}

// missingRelation reports whether err says the schema or the version table
// does not exist yet.
func missingRelation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "42P01" || pg.Code == "3F000")
}

// schemaV1 is the first schema: every table the memory store's semantics
// need. Keys are COLLATE "C": compared byte by byte, as in Go, and faster
// to index than a locale's collation.
const schemaV1 = `
CREATE TABLE kontor_cursors (
	flow     text COLLATE "C" PRIMARY KEY,
	since    timestamptz,
	since_ns smallint NOT NULL DEFAULT 0, -- nanoseconds below the microsecond
	token    text NOT NULL
);

CREATE TABLE kontor_states (
	flow        text COLLATE "C" NOT NULL,
	key         text COLLATE "C" NOT NULL,
	fingerprint bigint NOT NULL, -- the uint64's bit pattern
	version     bigint NOT NULL,
	updated_at  timestamptz,
	updated_ns  smallint NOT NULL DEFAULT 0, -- nanoseconds below the microsecond
	PRIMARY KEY (flow, key)
) WITH (fillfactor = 80); -- room on each page, so replacing a state is a HOT update that leaves the index alone

CREATE TABLE kontor_links (
	entity     text COLLATE "C" NOT NULL,
	key        text COLLATE "C" NOT NULL,
	erp_key    text COLLATE "C" NOT NULL,
	shop_key   text COLLATE "C" NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (entity, key)
);
CREATE UNIQUE INDEX kontor_links_erp_key ON kontor_links (entity, erp_key) WHERE erp_key <> '';
CREATE UNIQUE INDEX kontor_links_shop_key ON kontor_links (entity, shop_key) WHERE shop_key <> '';

CREATE TABLE kontor_inbox (
	source       text COLLATE "C" NOT NULL,
	id           text COLLATE "C" NOT NULL,
	payload_hash bigint NOT NULL, -- the uint64's bit pattern; 0 for none
	topic        text NOT NULL,
	entity       text NOT NULL,
	key          text NOT NULL,
	payload      bytea,
	received_at  timestamptz NOT NULL,
	done         boolean NOT NULL,
	seq          bigint GENERATED ALWAYS AS IDENTITY, -- the order added, for ties
	PRIMARY KEY (source, id)
);
CREATE UNIQUE INDEX kontor_inbox_payload_hash ON kontor_inbox (source, payload_hash) WHERE payload_hash <> 0;
CREATE INDEX kontor_inbox_pending ON kontor_inbox (received_at, seq) WHERE NOT done;

CREATE TABLE kontor_writes (
	flow              text COLLATE "C" NOT NULL,
	key               text COLLATE "C" NOT NULL,
	fingerprint       bigint NOT NULL,
	idempotency_key   text NOT NULL,
	state             text NOT NULL,
	target_erp_key    text NOT NULL,
	target_shop_key   text NOT NULL,
	target_version    bigint NOT NULL,
	target_updated_at timestamptz,
	created_at        timestamptz NOT NULL,
	updated_at        timestamptz NOT NULL,
	PRIMARY KEY (flow, key, fingerprint)
);

CREATE TABLE kontor_dead_letters (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	flow            text COLLATE "C" NOT NULL,
	key             text COLLATE "C" NOT NULL,
	entity          text NOT NULL,
	class           text NOT NULL,
	kind            smallint NOT NULL,
	error           text NOT NULL,
	payload         bytea,
	attempts        bigint NOT NULL,
	mapping_version text NOT NULL,
	first_failed    timestamptz NOT NULL,
	last_failed     timestamptz NOT NULL,
	UNIQUE (flow, key)
);
CREATE INDEX kontor_dead_letters_order ON kontor_dead_letters (first_failed, id);

CREATE TABLE kontor_audit_counter (
	one      boolean PRIMARY KEY DEFAULT true CHECK (one),
	last_seq bigint NOT NULL
);
INSERT INTO kontor_audit_counter (last_seq) VALUES (0);

CREATE TABLE kontor_audit (
	seq       bigint PRIMARY KEY,
	flow      text COLLATE "C" NOT NULL,
	entity    text NOT NULL,
	key       text COLLATE "C" NOT NULL,
	target    text NOT NULL,
	op        text NOT NULL,
	fp_before bigint NOT NULL,
	fp_after  bigint NOT NULL,
	outcome   text NOT NULL,
	error     text NOT NULL,
	at        timestamptz NOT NULL
);
CREATE INDEX kontor_audit_flow ON kontor_audit (flow, seq);
CREATE INDEX kontor_audit_key ON kontor_audit (key, seq);
`

// schemaV2 adds what Redact looks up by entity and key. Events without a
// key are never looked up so.
const schemaV2 = `
CREATE INDEX kontor_inbox_entity_key ON kontor_inbox (entity, key) WHERE key <> '';
CREATE INDEX kontor_dead_letters_entity_key ON kontor_dead_letters (entity, key);
`
