package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrations are the schema's steps: migrations[v] takes a file from
// version v to v+1. A step is only ever appended, never changed once
// released: files in the field are at any of the versions.
var migrations = []string{
	// 0 → 1: the store's tables.
	`
CREATE TABLE kontor_cursors (
	flow  TEXT PRIMARY KEY,
	since INTEGER,
	token TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE kontor_item_states (
	flow        TEXT NOT NULL,
	key         TEXT NOT NULL,
	fingerprint INTEGER NOT NULL,
	version     INTEGER NOT NULL,
	updated_at  INTEGER,
	PRIMARY KEY (flow, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE kontor_links (
	entity     TEXT NOT NULL,
	key        TEXT NOT NULL,
	erp_key    TEXT NOT NULL,
	shop_key   TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (entity, key)
) STRICT, WITHOUT ROWID;
CREATE UNIQUE INDEX kontor_links_erp_key ON kontor_links (entity, erp_key) WHERE erp_key <> '';
CREATE UNIQUE INDEX kontor_links_shop_key ON kontor_links (entity, shop_key) WHERE shop_key <> '';

CREATE TABLE kontor_inbox (
	seq          INTEGER PRIMARY KEY,
	source       TEXT NOT NULL,
	id           TEXT NOT NULL,
	payload_hash INTEGER NOT NULL,
	topic        TEXT NOT NULL,
	entity       TEXT NOT NULL,
	key          TEXT NOT NULL,
	payload      BLOB,
	received_at  INTEGER NOT NULL,
	done         INTEGER NOT NULL,
	UNIQUE (source, id)
) STRICT;
CREATE UNIQUE INDEX kontor_inbox_payload_hash ON kontor_inbox (source, payload_hash) WHERE payload_hash <> 0;
CREATE INDEX kontor_inbox_pending ON kontor_inbox (received_at, seq) WHERE done = 0;

CREATE TABLE kontor_write_records (
	flow              TEXT NOT NULL,
	key               TEXT NOT NULL,
	fingerprint       INTEGER NOT NULL,
	idempotency_key   TEXT NOT NULL,
	state             TEXT NOT NULL,
	target_erp_key    TEXT NOT NULL,
	target_shop_key   TEXT NOT NULL,
	target_version    INTEGER NOT NULL,
	target_updated_at INTEGER,
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	PRIMARY KEY (flow, key, fingerprint)
) STRICT, WITHOUT ROWID;

CREATE TABLE kontor_dead_letters (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	flow            TEXT NOT NULL,
	entity          TEXT NOT NULL,
	key             TEXT NOT NULL,
	class           TEXT NOT NULL,
	kind            INTEGER NOT NULL,
	error           TEXT NOT NULL,
	payload         BLOB,
	attempts        INTEGER NOT NULL,
	mapping_version TEXT NOT NULL,
	first_failed    INTEGER NOT NULL,
	last_failed     INTEGER NOT NULL,
	UNIQUE (flow, key)
) STRICT;
CREATE INDEX kontor_dead_letters_first_failed ON kontor_dead_letters (first_failed, id);

CREATE TABLE kontor_audit (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	flow      TEXT NOT NULL,
	entity    TEXT NOT NULL,
	key       TEXT NOT NULL,
	target    TEXT NOT NULL,
	op        TEXT NOT NULL,
	fp_before INTEGER NOT NULL,
	fp_after  INTEGER NOT NULL,
	outcome   TEXT NOT NULL,
	error     TEXT NOT NULL,
	at        INTEGER NOT NULL
) STRICT;
CREATE INDEX kontor_audit_flow ON kontor_audit (flow, seq);
CREATE INDEX kontor_audit_key ON kontor_audit (key, seq);
`,
	// 1 → 2: what Redact looks up by entity and key. Events without a key
	// are never looked up so.
	`
CREATE INDEX kontor_inbox_entity_key ON kontor_inbox (entity, key) WHERE key <> '';
CREATE INDEX kontor_dead_letters_entity_key ON kontor_dead_letters (entity, key);
`,
}

// schemaTable holds the file's schema version in its one row.
const schemaTable = `CREATE TABLE IF NOT EXISTS kontor_schema (version INTEGER NOT NULL) STRICT`

// querier is what reading the version needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// version returns the file's schema version: 0 for a file without the
// store's tables.
func version(ctx context.Context, q querier) (int, error) {
	var tables int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'kontor_schema'`).Scan(&tables)
	if err != nil || tables == 0 {
		return 0, err
	}
	var v int
	err = q.QueryRowContext(ctx, `SELECT version FROM kontor_schema`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}

func tooNew(v, known int) error {
	return fmt.Errorf("%w: the file has schema version %d, this code knows versions up to %d", ErrSchemaTooNew, v, known)
}

// checkVersion fails unless the file is at schema version known.
func checkVersion(ctx context.Context, db *sql.DB, known int) error {
	v, err := version(ctx, db)
	switch {
	case err != nil:
		return fmt.Errorf("read schema version: %w", classify(err))
	case v > known:
		return tooNew(v, known)
	case v < known:
		return fmt.Errorf("%w: the file has schema version %d, this code needs %d; open it read-write once", ErrSchemaTooOld, v, known)
	}
	return nil
}

// migrate brings the file to the newest schema version, one transaction per
// step with its version bump, so a step that fails leaves the file at the
// version before it. A file already at the newest version is only read.
// Another process migrating the same file at the same time waits for the
// write lock and then finds its steps done.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	known := len(steps)
	v, err := version(ctx, db)
	if err != nil {
		return fmt.Errorf("read schema version: %w", classify(err))
	}
	if v > known {
		return tooNew(v, known)
	}
	for v < known {
		if v, err = migrateStep(ctx, db, steps); err != nil {
			return err
		}
	}
	return nil
}

// migrateStep applies the step after the file's current version, and
// returns the version the file is at after it.
func migrateStep(ctx context.Context, db *sql.DB, steps []string) (int, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin schema migration: %w", classify(err))
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if _, err := tx.ExecContext(ctx, schemaTable); err != nil {
		return 0, fmt.Errorf("create the schema version table: %w", classify(err))
	}
	v, err := version(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", classify(err))
	}
	switch {
	case v > len(steps):
		return 0, tooNew(v, len(steps))
	case v == len(steps): // another process got here first
		return v, nil
	}
	if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
		return 0, fmt.Errorf("schema migration %d to %d: %w", v, v+1, classify(err))
	}
	res, err := tx.ExecContext(ctx, `UPDATE kontor_schema SET version = ?`, v+1)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO kontor_schema (version) VALUES (?)`, v+1)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("schema migration %d to %d: record the version: %w", v, v+1, classify(err))
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("schema migration %d to %d: commit: %w", v, v+1, classify(err))
	}
	return v + 1, nil
}
