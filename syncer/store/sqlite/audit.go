package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// AppendAudit implements store.Store, in one transaction. Seqs come from an
// AUTOINCREMENT column on the one writer connection: the records of one
// call get consecutive Seqs, and a failed call leaves no gap, since its
// rollback returns the counter too. Any Seq given is ignored, and a zero
// At is stamped.
func (s *Store) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range recs {
		switch {
		case recs[i].Flow == "":
			return invalid("AppendAudit", "recs[%d].Flow: empty", i)
		case recs[i].Key == "":
			return invalid("AppendAudit", "recs[%d].Key: empty", i)
		}
		if _, ok := timeArg(recs[i].At); !ok {
			return badTime("AppendAudit", fmt.Sprintf("recs[%d].At", i), recs[i].At)
		}
	}
	if len(recs) == 0 {
		return nil
	}
	now := nanos(s.stamp())
	return s.run(ctx, "AppendAudit", writeAll, func(q dbtx) error {
		stmt, err := q.PrepareContext(ctx, `INSERT INTO kontor_audit
			(flow, entity, key, target, op, fp_before, fp_after, outcome, error, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range recs {
			at := now
			if !r.At.IsZero() {
				at = nanos(r.At)
			}
			if _, err := stmt.ExecContext(ctx, r.Flow, string(r.Entity), r.Key, string(r.Target), string(r.Op),
				u64Arg(r.Before), u64Arg(r.After), string(r.Outcome), r.Error, at); err != nil {
				return err
			}
		}
		return nil
	})
}

// Audit implements store.Store: records in Seq order. A Limit of 0 or less
// returns all matches.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	where := []string{`seq > ?`}
	args := []any{max(f.AfterSeq, 0)}
	if f.Flow != "" {
		where, args = append(where, `flow = ?`), append(args, f.Flow)
	}
	if f.Key != "" {
		where, args = append(where, `key = ?`), append(args, f.Key)
	}
	if !f.Since.IsZero() {
		where, args = append(where, `at >= ?`), append(args, clampNanos(f.Since))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	var out []store.AuditRecord
	err := s.run(ctx, "Audit", reads, func(q dbtx) error {
		rows, err := q.QueryContext(ctx, `SELECT seq, flow, entity, key, target, op, fp_before, fp_after, outcome, error, at
			FROM kontor_audit WHERE `+strings.Join(where, ` AND `)+` ORDER BY seq`+order(f.Newest)+` LIMIT ?`, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r                           store.AuditRecord
				entity, target, op, outcome string
				before, after               int64
				at                          sql.NullInt64
			)
			if err := rows.Scan(&r.Seq, &r.Flow, &entity, &r.Key, &target, &op, &before, &after, &outcome, &r.Error, &at); err != nil {
				return err
			}
			r.Entity, r.Target, r.Op, r.Outcome = kontor.Entity(entity), kontor.Side(target), store.Op(op), kontor.Outcome(outcome)
			r.Before, r.After, r.At = u64Of(before), u64Of(after), timeOf(at)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// order is the ORDER BY direction for a filter's Newest.
func order(newest bool) string {
	if newest {
		return " DESC"
	}
	return ""
}
