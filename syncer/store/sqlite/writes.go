package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// BeginWrite implements store.Store. The record is created unless it is
// there and then read, in one transaction, so of concurrent calls the first
// key wins and every call gets it.
func (s *Store) BeginWrite(ctx context.Context, flow, key string, fingerprint uint64, idempotencyKey string) (store.WriteRecord, error) {
	if err := ctx.Err(); err != nil {
		return store.WriteRecord{}, err
	}
	switch {
	case flow == "":
		return store.WriteRecord{}, invalid("BeginWrite", "flow: empty")
	case key == "":
		return store.WriteRecord{}, invalid("BeginWrite", "key: empty")
	case idempotencyKey == "":
		return store.WriteRecord{}, invalid("BeginWrite", "idempotencyKey: empty")
	}
	now := nanos(s.stamp())
	r := store.WriteRecord{Flow: flow, Key: key, Fingerprint: fingerprint}
	err := s.run(ctx, "BeginWrite", writeAll, func(q dbtx) error {
		if _, err := q.ExecContext(ctx, `INSERT INTO kontor_write_records
			(flow, key, fingerprint, idempotency_key, state, target_erp_key, target_shop_key, target_version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, '', '', 0, ?, ?) ON CONFLICT DO NOTHING`,
			flow, key, u64Arg(fingerprint), idempotencyKey, string(store.WritePending), now, now); err != nil {
			return err
		}
		var (
			state            string
			targetUpdated    sql.NullInt64
			created, updated sql.NullInt64
		)
		if err := q.QueryRowContext(ctx, `SELECT idempotency_key, state, target_erp_key, target_shop_key, target_version,
			target_updated_at, created_at, updated_at FROM kontor_write_records WHERE flow = ? AND key = ? AND fingerprint = ?`,
			flow, key, u64Arg(fingerprint)).Scan(&r.IdempotencyKey, &state, &r.Target.ERPKey, &r.Target.ShopKey,
			&r.Target.Version, &targetUpdated, &created, &updated); err != nil {
			return err
		}
		r.State = store.WriteState(state)
		r.Target.UpdatedAt, r.CreatedAt, r.UpdatedAt = timeOf(targetUpdated), timeOf(created), timeOf(updated)
		return nil
	})
	if err != nil {
		return store.WriteRecord{}, err
	}
	return r, nil
}

// FinishWrite implements store.Store. It returns store.ErrNotFound when
// BeginWrite never created the record, and stamps UpdatedAt.
func (s *Store) FinishWrite(ctx context.Context, flow, key string, fingerprint uint64, state store.WriteState, target kontor.Meta) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	switch state {
	case store.WritePending, store.WriteDone, store.WriteFailed:
	default:
		return invalid("FinishWrite", "state: unknown %q", state)
	}
	targetUpdated, ok := timeArg(target.UpdatedAt)
	if !ok {
		return badTime("FinishWrite", "target.UpdatedAt", target.UpdatedAt)
	}
	now := nanos(s.stamp())
	return s.run(ctx, "FinishWrite", writeOne, func(q dbtx) error {
		res, err := q.ExecContext(ctx, `UPDATE kontor_write_records SET state = ?, target_erp_key = ?, target_shop_key = ?,
			target_version = ?, target_updated_at = ?, updated_at = ? WHERE flow = ? AND key = ? AND fingerprint = ?`,
			string(state), target.ERPKey, target.ShopKey, target.Version, targetUpdated, now,
			flow, key, u64Arg(fingerprint))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("FinishWrite", fmt.Sprintf("write record of flow %s, fingerprint %016x", flow, fingerprint))
		}
		return nil
	})
}
