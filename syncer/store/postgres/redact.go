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
	var c store.RedactCounts
	q, release, err := s.exec(ctx)
	if err != nil {
		return c, err
	}
	defer release()
	if entity == "" {
		return c, invalid("Redact", "entity: empty")
	}
	for i, k := range keys {
		if k == "" {
			return c, invalid("Redact", "keys[%d]: empty", i)
		}
	}
	if !allStorable(keys) {
		keys, _ = storableKeys(keys)
	}
	if len(keys) == 0 || !storable(string(entity)) {
		return c, nil
	}
	e := string(entity)
	err = s.atomic(ctx, q, false, func(tx executor) error {
		c = store.RedactCounts{}
		var recs []auditKey
		b := &pgx.Batch{}
		b.Queue(s.sql.lockLinks, linkLockClass, s.schema+"."+e)
		for _, step := range []struct {
			sql string
			n   *int
		}{
			{s.sql.redactDeadLetters, &c.DeadLetters},
			{s.sql.redactInbox, &c.InboxEvents},
			{s.sql.redactLinks, &c.Links},
		} {
			b.Queue(step.sql, e, keys).Exec(func(tag pgconn.CommandTag) error {
				*step.n = int(tag.RowsAffected())
				return nil
			})
		}
		b.Queue(s.sql.redactAuditRows, e, keys).Query(func(rows pgx.Rows) error {
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
		return store.RedactCounts{}, dbError(ctx, "Redact", err)
	}
	return c, nil
}

// auditKey is what Redact reads of an audit record it redacts.
type auditKey struct {
	seq              int64
	flow, key, error string
}
