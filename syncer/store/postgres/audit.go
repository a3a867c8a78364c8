package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	// sqlAppendAudit takes a range of Seqs from the counter row and inserts
	// the records with them, in one statement. The update locks the row
	// until the statement commits, so the next append waits and continues
	// where this one ended; a failing insert rolls the counter back too.
	sqlAppendAudit = `
WITH c AS (
	UPDATE {s}.kontor_audit_counter SET last_seq = last_seq + $1 RETURNING last_seq - $1 AS base
)
INSERT INTO {s}.kontor_audit (seq, flow, entity, key, target, op, fp_before, fp_after, outcome, error, at)
SELECT c.base + u.n, u.flow, u.entity, u.key, u.target, u.op, u.fp_before, u.fp_after, u.outcome, u.error, u.at
FROM c, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::text[], $10::text[], $11::timestamptz[])
	WITH ORDINALITY AS u(flow, entity, key, target, op, fp_before, fp_after, outcome, error, at, n)`

	// sqlAudit is completed with the filter's conditions.
	sqlAudit = `SELECT seq, flow, entity, key, target, op, fp_before, fp_after, outcome, error, at FROM {s}.kontor_audit`
)

// AppendAudit implements store.Store in one statement: the records of one
// call get consecutive Seqs, all are stored or none, any Seq given is
// ignored, and a zero At is stamped. Inside InTx it runs in a savepoint,
// so a failed append leaves the transaction usable, and its Seqs are
// taken if the transaction commits and given back if it rolls back.
func (s *Store) AppendAudit(ctx context.Context, recs []store.AuditRecord) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Flow == "":
			return invalid("AppendAudit", "recs[%d].Flow: empty", i)
		case r.Key == "":
			return invalid("AppendAudit", "recs[%d].Key: empty", i)
		}
		for _, f := range []struct{ name, v string }{
			{"Flow", r.Flow}, {"Entity", string(r.Entity)}, {"Key", r.Key}, {"Target", string(r.Target)}, {"Op", string(r.Op)}, {"Outcome", string(r.Outcome)},
		} {
			if !storable(f.v) {
				return invalid("AppendAudit", "recs[%d].%s: not valid UTF-8 or holds a NUL byte", i, f.name)
			}
		}
	}
	if len(recs) == 0 {
		return nil
	}
	now := s.stamp()
	n := len(recs)
	flows, entities, keys, targets, ops := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	befores, afters := make([]int64, n), make([]int64, n)
	outcomes, errs := make([]string, n), make([]string, n)
	ats := make([]pgtype.Timestamptz, n)
	for i := range recs {
		r := &recs[i]
		flows[i], entities[i], keys[i], targets[i], ops[i] = r.Flow, string(r.Entity), r.Key, string(r.Target), string(r.Op)
		befores[i], afters[i] = int64(r.Before), int64(r.After)
		outcomes[i], errs[i] = string(r.Outcome), description(r.Error)
		at := r.At
		if at.IsZero() {
			at = now
		}
		ats[i] = ts(at)
	}
	err = s.atomic(ctx, q, true, func(q executor) error {
		_, err := q.Exec(ctx, s.sql.appendAudit, int64(n), flows, entities, keys, targets, ops, befores, afters, outcomes, errs, ats)
		return err
	})
	if err != nil {
		return dbError(ctx, "AppendAudit", err)
	}
	return nil
}

// Audit implements store.Store in one query, in Seq order. A Limit of 0 or
// less returns all matches.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if !storable(f.Flow) || !storable(f.Key) {
		return nil, nil // no stored record holds such text
	}
	var w where
	if f.AfterSeq > 0 {
		w.add("seq > %s", f.AfterSeq)
	}
	if f.Flow != "" {
		w.add("flow = %s", f.Flow)
	}
	if f.Key != "" {
		w.add("key = %s", f.Key)
	}
	if !f.Since.IsZero() {
		w.add("at >= %s", f.Since)
	}
	dir := ""
	if f.Newest {
		dir = " DESC"
	}
	query := s.sql.audit + w.String() + " ORDER BY seq" + dir + w.limit(f.Limit)
	rows, err := q.Query(ctx, query, w.args...)
	if err != nil {
		return nil, dbError(ctx, "Audit", err)
	}
	defer rows.Close()
	var out []store.AuditRecord
	for rows.Next() {
		var (
			r                           store.AuditRecord
			entity, target, op, outcome string
			before, after               int64
			at                          pgtype.Timestamptz
		)
		if err := rows.Scan(&r.Seq, &r.Flow, &entity, &r.Key, &target, &op, &before, &after, &outcome, &r.Error, &at); err != nil {
			return nil, dbError(ctx, "Audit", err)
		}
		r.Entity, r.Target, r.Op, r.Outcome = kontor.Entity(entity), kontor.Side(target), store.Op(op), kontor.Outcome(outcome)
		r.Before, r.After, r.At = uint64(before), uint64(after), fromTS(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(ctx, "Audit", err)
	}
	return out, nil
}
