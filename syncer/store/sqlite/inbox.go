package sqlite

import (
	"context"
	"database/sql"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// AddInbox implements store.Store. One INSERT that does nothing on a
// conflict with either unique index, (source, id) or (source,
// payload_hash) for a hash other than 0, decides atomically whether the
// event is new. ReceivedAt is stamped when zero.
func (s *Store) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	switch {
	case ev.Source == "":
		return false, invalid("AddInbox", "Source: empty")
	case ev.ID == "":
		return false, invalid("AddInbox", "ID: empty")
	}
	received, ok := timeArg(ev.ReceivedAt)
	if !ok {
		return false, badTime("AddInbox", "ReceivedAt", ev.ReceivedAt)
	}
	if received == nil {
		received = nanos(s.stamp())
	}
	var added bool
	err := s.run(ctx, "AddInbox", writeOne, func(q dbtx) error {
		res, err := q.ExecContext(ctx, `INSERT INTO kontor_inbox
			(source, id, payload_hash, topic, entity, key, payload, received_at, done)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			ev.Source, ev.ID, u64Arg(ev.PayloadHash), ev.Topic, string(ev.Entity), ev.Key, ev.Payload, received, ev.Done)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		added = n == 1
		return err
	})
	return added && err == nil, err
}

// MarkInboxDone implements store.Store. Marking an event twice is not an
// error; an event never added is store.ErrNotFound.
func (s *Store) MarkInboxDone(ctx context.Context, source, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.run(ctx, "MarkInboxDone", writeOne, func(q dbtx) error {
		res, err := q.ExecContext(ctx, `UPDATE kontor_inbox SET done = 1 WHERE source = ? AND id = ?`, source, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("MarkInboxDone", "inbox event of "+source)
		}
		return nil
	})
}

// PendingInbox implements store.Store: oldest ReceivedAt first, ties in the
// order added. A limit of 0 or less returns all pending events.
func (s *Store) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	out := make([]store.InboxEvent, 0)
	err := s.run(ctx, "PendingInbox", reads, func(q dbtx) error {
		rows, err := q.QueryContext(ctx, `SELECT source, id, payload_hash, topic, entity, key, payload, received_at
			FROM kontor_inbox WHERE done = 0 ORDER BY received_at, seq LIMIT ?`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				ev       store.InboxEvent
				hash     int64
				entity   string
				received sql.NullInt64
			)
			if err := rows.Scan(&ev.Source, &ev.ID, &hash, &ev.Topic, &entity, &ev.Key, &ev.Payload, &received); err != nil {
				return err
			}
			ev.PayloadHash, ev.Entity, ev.ReceivedAt = u64Of(hash), kontor.Entity(entity), timeOf(received)
			out = append(out, ev)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
