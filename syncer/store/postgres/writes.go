package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	writeColumns = `flow, key, fingerprint, idempotency_key, state, target_erp_key, target_shop_key, target_version, target_updated_at, created_at, updated_at`

	sqlInsertWrite = `
INSERT INTO {s}.kontor_writes (` + writeColumns + `)
VALUES ($1, $2, $3, $4, 'pending', '', '', 0, NULL, $5, $5)
ON CONFLICT DO NOTHING
RETURNING ` + writeColumns

	sqlSelectWrite = `SELECT ` + writeColumns + ` FROM {s}.kontor_writes WHERE flow = $1 AND key = $2 AND fingerprint = $3`

	sqlFinishWrite = `
UPDATE {s}.kontor_writes
SET state = $4, target_erp_key = $5, target_shop_key = $6, target_version = $7, target_updated_at = $8, updated_at = $9
WHERE flow = $1 AND key = $2 AND fingerprint = $3`
)

// beginWriteTries bounds BeginWrite's insert-or-read loop. The second try
// always finds the row another caller inserted; more are for a record
// deleted in between, which the store never does.
const beginWriteTries = 3

// BeginWrite implements store.Store: it inserts the record or, when
// another caller, in any process, inserted it first, returns theirs.
func (s *Store) BeginWrite(ctx context.Context, flow, key string, fingerprint uint64, idempotencyKey string) (store.WriteRecord, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return store.WriteRecord{}, err
	}
	defer release()
	switch {
	case flow == "":
		return store.WriteRecord{}, invalid("BeginWrite", "flow: empty")
	case key == "":
		return store.WriteRecord{}, invalid("BeginWrite", "key: empty")
	case idempotencyKey == "":
		return store.WriteRecord{}, invalid("BeginWrite", "idempotencyKey: empty")
	}
	for _, f := range []struct{ name, v string }{{"flow", flow}, {"key", key}, {"idempotencyKey", idempotencyKey}} {
		if err := checkText("BeginWrite", f.name, f.v); err != nil {
			return store.WriteRecord{}, err
		}
	}
	fp := int64(fingerprint)
	for range beginWriteTries {
		r, err := scanWrite(q.QueryRow(ctx, s.sql.insertWrite, flow, key, fp, idempotencyKey, s.stamp()))
		if !errors.Is(err, pgx.ErrNoRows) {
			return r, s.writeError(ctx, err)
		}
		// Another caller holds the record: its insert committed before
		// ours gave up, so a new statement sees it.
		r, err = scanWrite(q.QueryRow(ctx, s.sql.selectWrite, flow, key, fp))
		if !errors.Is(err, pgx.ErrNoRows) {
			return r, s.writeError(ctx, err)
		}
	}
	return store.WriteRecord{}, fmt.Errorf("postgres store BeginWrite: the record of flow %s, fingerprint %016x neither inserts nor reads", flow, fingerprint)
}

func (s *Store) writeError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	return dbError(ctx, "BeginWrite", err)
}

func scanWrite(row pgx.Row) (store.WriteRecord, error) {
	var (
		r                    store.WriteRecord
		fp                   int64
		state                string
		target, created, upd pgtype.Timestamptz
	)
	err := row.Scan(&r.Flow, &r.Key, &fp, &r.IdempotencyKey, &state, &r.Target.ERPKey, &r.Target.ShopKey, &r.Target.Version, &target, &created, &upd)
	if err != nil {
		return store.WriteRecord{}, err
	}
	r.Fingerprint, r.State = uint64(fp), store.WriteState(state)
	r.Target.UpdatedAt, r.CreatedAt, r.UpdatedAt = fromTS(target), fromTS(created), fromTS(upd)
	return r, nil
}

// FinishWrite implements store.Store. It returns store.ErrNotFound when
// BeginWrite never created the record, and stamps UpdatedAt.
func (s *Store) FinishWrite(ctx context.Context, flow, key string, fingerprint uint64, state store.WriteState, target kontor.Meta) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	switch state {
	case store.WritePending, store.WriteDone, store.WriteFailed:
	default:
		return invalid("FinishWrite", "state: unknown %q", state)
	}
	if err := checkText("FinishWrite", "target.ERPKey", target.ERPKey); err != nil {
		return err
	}
	if err := checkText("FinishWrite", "target.ShopKey", target.ShopKey); err != nil {
		return err
	}
	missing := notFound("FinishWrite", fmt.Sprintf("write record of flow %s, fingerprint %016x", flow, fingerprint))
	if !storable(flow) || !storable(key) {
		return missing
	}
	tag, err := q.Exec(ctx, s.sql.finishWrite, flow, key, int64(fingerprint), string(state),
		target.ERPKey, target.ShopKey, target.Version, ts(target.UpdatedAt), s.stamp())
	if err != nil {
		return dbError(ctx, "FinishWrite", err)
	}
	if tag.RowsAffected() == 0 {
		return missing
	}
	return nil
}
