package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	// sqlAddInbox names no conflict target, so it yields to a row that
	// holds the event's (source, id) or its (source, payload hash) alike.
	sqlAddInbox = `
INSERT INTO {s}.kontor_inbox (source, id, payload_hash, topic, entity, key, payload, received_at, done)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT DO NOTHING`

	sqlMarkInboxDone = `UPDATE {s}.kontor_inbox SET done = true WHERE source = $1 AND id = $2`

	// A NULL limit is none.
	sqlPendingInbox = `
SELECT source, id, payload_hash, topic, entity, key, payload, received_at
FROM {s}.kontor_inbox WHERE NOT done
ORDER BY received_at, seq
LIMIT $1`
)

// AddInbox implements store.Store in one statement: of concurrent adds of
// one event, in any process, exactly one inserts it. ReceivedAt is stamped
// when zero.
func (s *Store) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	switch {
	case ev.Source == "":
		return false, invalid("AddInbox", "Source: empty")
	case ev.ID == "":
		return false, invalid("AddInbox", "ID: empty")
	}
	for _, f := range []struct{ name, v string }{
		{"Source", ev.Source}, {"ID", ev.ID}, {"Topic", ev.Topic}, {"Entity", string(ev.Entity)}, {"Key", ev.Key},
	} {
		if err := checkText("AddInbox", f.name, f.v); err != nil {
			return false, err
		}
	}
	if ev.ReceivedAt.IsZero() {
		ev.ReceivedAt = s.stamp()
	}
	tag, err := q.Exec(ctx, s.sql.addInbox, ev.Source, ev.ID, int64(ev.PayloadHash), ev.Topic,
		string(ev.Entity), ev.Key, ev.Payload, ev.ReceivedAt, ev.Done)
	if err != nil {
		return false, dbError(ctx, "AddInbox", err)
	}
	return tag.RowsAffected() == 1, nil
}

// MarkInboxDone implements store.Store. Marking an event twice is not an
// error; an event never added is store.ErrNotFound.
func (s *Store) MarkInboxDone(ctx context.Context, source, id string) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	missing := notFound("MarkInboxDone", "inbox event of "+source)
	if !storable(source) || !storable(id) {
		return missing
	}
	tag, err := q.Exec(ctx, s.sql.markInboxDone, source, id)
	if err != nil {
		return dbError(ctx, "MarkInboxDone", err)
	}
	if tag.RowsAffected() == 0 {
		return missing
	}
	return nil
}

// PendingInbox implements store.Store: oldest ReceivedAt first, ties in
// the order added. A limit of 0 or less returns all pending events.
func (s *Store) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, err := q.Query(ctx, s.sql.pendingInbox, lim)
	if err != nil {
		return nil, dbError(ctx, "PendingInbox", err)
	}
	defer rows.Close()
	var out []store.InboxEvent
	for rows.Next() {
		var (
			ev     store.InboxEvent
			hash   int64
			entity string
			at     pgtype.Timestamptz
		)
		if err := rows.Scan(&ev.Source, &ev.ID, &hash, &ev.Topic, &entity, &ev.Key, &ev.Payload, &at); err != nil {
			return nil, dbError(ctx, "PendingInbox", err)
		}
		ev.PayloadHash, ev.Entity, ev.ReceivedAt = uint64(hash), kontor.Entity(entity), fromTS(at)
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(ctx, "PendingInbox", err)
	}
	return out, nil
}
