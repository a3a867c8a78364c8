package sqlite

import (
	"context"
	"strings"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Redact's statements; ?1 is the entity, ?2 the keys as a JSON array.
const (
	sqlRedactDeadLetters = `DELETE FROM kontor_dead_letters WHERE entity = ?1 AND key IN (SELECT value FROM json_each(?2))`
	// key <> '' lets SQLite use the partial index.
	sqlRedactInbox = `UPDATE kontor_inbox SET payload = NULL, key = ''
		WHERE entity = ?1 AND key <> '' AND key IN (SELECT value FROM json_each(?2))`
	sqlRedactLinks     = `DELETE FROM kontor_links WHERE entity = ?1 AND key IN (SELECT value FROM json_each(?2))`
	sqlRedactAuditRows = `SELECT seq, flow, key, error FROM kontor_audit WHERE key IN (SELECT value FROM json_each(?2)) AND entity = ?1`
)

// RedactAll's statements; ?1 is the entity. Events erased before, or that
// came with neither key nor payload, and audit records erased before (their
// key a placeholder) or of an erasure, are left alone.
const (
	sqlRedactAllDeadLetters = `DELETE FROM kontor_dead_letters WHERE entity = ?1`
	sqlRedactAllInbox       = `UPDATE kontor_inbox SET payload = NULL, key = ''
		WHERE entity = ?1 AND (key <> '' OR payload IS NOT NULL)`
	sqlRedactAllLinks     = `DELETE FROM kontor_links WHERE entity = ?1`
	sqlRedactAllAuditRows = `SELECT seq, flow, key, error FROM kontor_audit
		WHERE entity = ?1 AND op <> '` + string(store.OpRedact) + `' AND substr(key, 1, 9) <> 'redacted:'`
)

// redactStmts are the statements of one kind of erasure.
type redactStmts struct {
	deadLetters, inbox, links, auditRows string
}

var (
	redactKeys = redactStmts{sqlRedactDeadLetters, sqlRedactInbox, sqlRedactLinks, sqlRedactAuditRows}
	redactAll  = redactStmts{sqlRedactAllDeadLetters, sqlRedactAllInbox, sqlRedactAllLinks, sqlRedactAllAuditRows}
)

// Redact implements store.Store, in one transaction (inside InTx, a
// savepoint of it): it deletes the dead letters and links of the keys of
// entity, erases the payload and key of their inbox events and replaces
// the key of their audit records with store.RedactedKey. An empty entity
// or key is an error matching kontor.ErrValidation, and nothing is erased.
//
// SQLite leaves the erased bytes in free space of the file until it reuses
// it, and old page images in the write-ahead log until a checkpoint
// overwrites them. Where that matters, run "PRAGMA secure_delete = ON" on
// DB() once after Open (the writer is one connection, kept for the life of
// the store), or VACUUM after an erasure.
func (s *Store) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	if err := ctx.Err(); err != nil {
		return store.RedactCounts{}, err
	}
	if entity == "" {
		return store.RedactCounts{}, invalid("Redact", "entity: empty")
	}
	for i, k := range keys {
		if k == "" {
			return store.RedactCounts{}, invalid("Redact", "keys[%d]: empty", i)
		}
	}
	if len(keys) == 0 {
		return store.RedactCounts{}, nil
	}
	return s.redact(ctx, "Redact", redactKeys, string(entity), jsonStrings(keys))
}

// RedactAll implements store.Store like Redact, for every key of entity.
// It reads the whole audit trail (no index leads to an entity's records);
// what Redact says of erased bytes holds here too. An empty entity is an
// error matching kontor.ErrValidation.
func (s *Store) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	if err := ctx.Err(); err != nil {
		return store.RedactCounts{}, err
	}
	if entity == "" {
		return store.RedactCounts{}, invalid("RedactAll", "entity: empty")
	}
	return s.redact(ctx, "RedactAll", redactAll, string(entity))
}

// redact runs the statements of an erasure with args in one transaction
// and counts what they erased.
func (s *Store) redact(ctx context.Context, op string, stmts redactStmts, args ...any) (store.RedactCounts, error) {
	var c store.RedactCounts
	err := s.run(ctx, op, writeAll, func(q dbtx) error {
		c = store.RedactCounts{} // a retried run counts afresh
		for _, step := range []struct {
			sql string
			n   *int
		}{
			{stmts.deadLetters, &c.DeadLetters},
			{stmts.inbox, &c.InboxEvents},
			{stmts.links, &c.Links},
		} {
			res, err := q.ExecContext(ctx, step.sql, args...)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			*step.n = int(n)
		}
		n, err := redactAudit(ctx, q, stmts.auditRows, args)
		c.AuditRecords = n
		return err
	})
	if err != nil {
		return store.RedactCounts{}, err
	}
	return c, nil
}

// redactAudit replaces the key of the audit records rowsSQL returns, and its
// quotes in their error texts, with each record's placeholder.
func redactAudit(ctx context.Context, q dbtx, rowsSQL string, args []any) (int, error) {
	type rec struct {
		seq              int64
		flow, key, error string
	}
	rows, err := q.QueryContext(ctx, rowsSQL, args...)
	if err != nil {
		return 0, err
	}
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.seq, &r.flow, &r.key, &r.error); err != nil {
			rows.Close()
			return 0, err
		}
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(recs) == 0 {
		return 0, nil
	}
	stmt, err := q.PrepareContext(ctx, `UPDATE kontor_audit SET key = ?, error = ? WHERE seq = ?`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	for _, r := range recs {
		placeholder := store.RedactedKey(r.flow, r.seq)
		if _, err := stmt.ExecContext(ctx, placeholder, strings.ReplaceAll(r.error, r.key, placeholder), r.seq); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}
