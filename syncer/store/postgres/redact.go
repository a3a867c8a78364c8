package postgres

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	sqlRedactDeadLetters = `DELETE FROM {s}.kontor_dead_letters WHERE entity = $1 AND key = ANY($2::text[])`

	// key <> '' lets the planner use the partial index.
	sqlRedactInbox = `UPDATE {s}.kontor_inbox SET payload = NULL, key = '' WHERE entity = $1 AND key <> '' AND key = ANY($2::text[])`

	sqlRedactLinks = `DELETE FROM {s}.kontor_links WHERE entity = $1 AND key = ANY($2::text[])`

	// sqlRedactAuditRows locks the records it returns until sqlRedactAudit
	// replaced their keys.
	sqlRedactAuditRows = `SELECT seq, flow, key, error FROM {s}.kontor_audit WHERE key = ANY($2::text[]) AND entity = $1 FOR UPDATE`

	sqlRedactAudit = `
UPDATE {s}.kontor_audit a SET key = u.key, error = u.error
FROM unnest($1::int8[], $2::text[], $3::text[]) AS u(seq, key, error)
WHERE a.seq = u.seq`
)

// RedactAll's statements; $1 is the entity. Events erased before, or that
// came with neither key nor payload, and audit records erased before (their
// key a placeholder, see store.RedactedKey) or of an erasure, are left
// alone.
const (
	sqlRedactAllDeadLetters = `DELETE FROM {s}.kontor_dead_letters WHERE entity = $1`

	sqlRedactAllInbox = `UPDATE {s}.kontor_inbox SET payload = NULL, key = '' WHERE entity = $1 AND (key <> '' OR payload IS NOT NULL)`

	sqlRedactAllLinks = `DELETE FROM {s}.kontor_links WHERE entity = $1`

	sqlRedactAllAuditRows = `SELECT seq, flow, key, error FROM {s}.kontor_audit
WHERE entity = $1 AND op <> '` + string(store.OpRedact) + `' AND left(key, 9) <> 'redacted:' FOR UPDATE`
)

// Redact implements store.Store in one transaction (inside InTx, a
// savepoint of it) of two round trips: it deletes the dead letters and
// links of the keys of entity, erases the payload and key of their inbox
// events and replaces the key of their audit records with
// store.RedactedKey. It holds PutLinks' advisory lock of the entity, so a
// concurrent PutLinks applies wholly before or after it. An empty entity
// or key is an error matching kontor.ErrValidation, and nothing is erased;
// a key that is not storable text cannot have been stored and matches
// nothing. Redact may be retried as it is.
//
// PostgreSQL keeps the erased row versions until VACUUM reclaims them
// (autovacuum does, in time); run VACUUM on the tables when they must go
// at once.
func (s *Store) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return store.RedactCounts{}, err
	}
	defer release()
	if entity == "" {
		return store.RedactCounts{}, invalid("Redact", "entity: empty")
	}
	for i, k := range keys {
		if k == "" {
			return store.RedactCounts{}, invalid("Redact", "keys[%d]: empty", i)
		}
	}
	if !allStorable(keys) {
		keys, _ = storableKeys(keys)
	}
	if len(keys) == 0 || !storable(string(entity)) {
		return store.RedactCounts{}, nil
	}
	stmts := redactStmts{s.sql.redactDeadLetters, s.sql.redactInbox, s.sql.redactLinks, s.sql.redactAuditRows}
	return s.redact(ctx, q, "Redact", stmts, string(entity), keys)
}

// RedactAll implements store.Store like Redact, for every key of entity,
// in one transaction of two round trips under the same lock. It reads
// the entity's audit records from the whole trail (no index leads to
// them); what Redact says of erased row versions holds here too. An empty
// entity is an error matching kontor.ErrValidation.
func (s *Store) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return store.RedactCounts{}, err
	}
	defer release()
	if entity == "" {
		return store.RedactCounts{}, invalid("RedactAll", "entity: empty")
	}
	if !storable(string(entity)) {
		return store.RedactCounts{}, nil
	}
	stmts := redactStmts{s.sql.redactAllDeadLetters, s.sql.redactAllInbox, s.sql.redactAllLinks, s.sql.redactAllAuditRows}
	return s.redact(ctx, q, "RedactAll", stmts, string(entity))
}

// redactStmts are the statements of one kind of erasure.
type redactStmts struct {
	deadLetters, inbox, links, auditRows string
}

// redact runs the statements of an erasure of entity, with the entity and
// more as their arguments, in one transaction and counts what they erased.
func (s *Store) redact(ctx context.Context, q executor, op string, stmts redactStmts, entity string, more ...any) (store.RedactCounts, error) {
	var c store.RedactCounts
	args := append([]any{entity}, more...)
	err := s.atomic(ctx, q, false, func(tx executor) error {
		c = store.RedactCounts{}
		var recs []auditKey
		b := &pgx.Batch{}
		b.Queue(s.sql.lockLinks, linkLockClass, s.schema+"."+entity)
		for _, step := range []struct {
			sql string
			n   *int
		}{
			{stmts.deadLetters, &c.DeadLetters},
			{stmts.inbox, &c.InboxEvents},
			{stmts.links, &c.Links},
		} {
			b.Queue(step.sql, args...).Exec(func(tag pgconn.CommandTag) error {
				*step.n = int(tag.RowsAffected())
				return nil
			})
		}
		b.Queue(stmts.auditRows, args...).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var r auditKey
				if err := rows.Scan(&r.seq, &r.flow, &r.key, &r.error); err != nil {
					return err
				}
				recs = append(recs, r)
			}
			return rows.Err()
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		c.AuditRecords = len(recs)
		if len(recs) == 0 {
			return nil
		}
		seqs, placeholders, errs := make([]int64, len(recs)), make([]string, len(recs)), make([]string, len(recs))
		for i, r := range recs {
			seqs[i], placeholders[i] = r.seq, store.RedactedKey(r.flow, r.seq)
			errs[i] = strings.ReplaceAll(r.error, r.key, placeholders[i])
		}
		_, err := tx.Exec(ctx, s.sql.redactAudit, seqs, placeholders, errs)
		return err
	})
	if err != nil {
		return store.RedactCounts{}, dbError(ctx, op, err)
	}
	return c, nil
}

// auditKey is what Redact reads of an audit record it redacts.
type auditKey struct {
	seq              int64
	flow, key, error string
}
