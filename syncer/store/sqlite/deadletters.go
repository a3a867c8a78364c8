package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// AddDeadLetter implements store.Store with one upsert. A new dead letter
// gets the next ID (AUTOINCREMENT: never one used before, not even after a
// delete) and Attempts of at least 1; a repeat for the same flow and key
// keeps ID and FirstFailed, adds one attempt and takes every other field
// from dl. A zero LastFailed is stamped, and a new dead letter's zero
// FirstFailed is its LastFailed.
func (s *Store) AddDeadLetter(ctx context.Context, dl store.DeadLetter) (store.DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return store.DeadLetter{}, err
	}
	switch {
	case dl.Flow == "":
		return store.DeadLetter{}, invalid("AddDeadLetter", "Flow: empty")
	case dl.Key == "":
		return store.DeadLetter{}, invalid("AddDeadLetter", "Key: empty")
	}
	if _, ok := timeArg(dl.FirstFailed); !ok {
		return store.DeadLetter{}, badTime("AddDeadLetter", "FirstFailed", dl.FirstFailed)
	}
	if _, ok := timeArg(dl.LastFailed); !ok {
		return store.DeadLetter{}, badTime("AddDeadLetter", "LastFailed", dl.LastFailed)
	}
	if dl.LastFailed.IsZero() {
		dl.LastFailed = s.stamp()
	}
	first := dl.FirstFailed
	if first.IsZero() {
		first = dl.LastFailed
	}
	var firstFailed int64
	err := s.run(ctx, "AddDeadLetter", writeOne, func(q dbtx) error {
		return q.QueryRowContext(ctx, `INSERT INTO kontor_dead_letters
			(flow, entity, key, class, kind, error, payload, attempts, mapping_version, first_failed, last_failed)
			VALUES (?, ?, ?, ?, ?, ?, ?, max(1, ?), ?, ?, ?)
			ON CONFLICT (flow, key) DO UPDATE SET entity = excluded.entity, class = excluded.class, kind = excluded.kind,
				error = excluded.error, payload = excluded.payload, attempts = attempts + 1,
				mapping_version = excluded.mapping_version, last_failed = excluded.last_failed
			RETURNING id, attempts, first_failed`,
			dl.Flow, string(dl.Entity), dl.Key, string(dl.Class), int64(dl.Kind), dl.Error, dl.Payload, dl.Attempts,
			dl.MappingVersion, nanos(first), nanos(dl.LastFailed)).Scan(&dl.ID, &dl.Attempts, &firstFailed)
	})
	if err != nil {
		return store.DeadLetter{}, err
	}
	dl.FirstFailed = timeOf(sql.NullInt64{Int64: firstFailed, Valid: true})
	dl.LastFailed = dl.LastFailed.UTC()
	dl.Payload = bytes.Clone(dl.Payload)
	return dl, nil
}

// DeadLetters implements store.Store: oldest FirstFailed first, ties by
// ID. A Limit of 0 or less returns all matches.
func (s *Store) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if len(f.IDs) > 0 {
		ids, err := json.Marshal(f.IDs)
		if err != nil {
			return nil, dbErr(ctx, "DeadLetters", err)
		}
		where, args = append(where, `id IN (SELECT value FROM json_each(?))`), append(args, string(ids))
	}
	if f.Flow != "" {
		where, args = append(where, `flow = ?`), append(args, f.Flow)
	}
	if f.Class != "" {
		where, args = append(where, `class = ?`), append(args, string(f.Class))
	}
	if f.Key != "" {
		where, args = append(where, `key = ?`), append(args, f.Key)
	}
	if f.Keys != nil {
		keys, err := json.Marshal(f.Keys)
		if err != nil {
			return nil, dbErr(ctx, "DeadLetters", err)
		}
		where, args = append(where, `key IN (SELECT value FROM json_each(?))`), append(args, string(keys))
	}
	if !f.Since.IsZero() {
		where, args = append(where, `last_failed >= ?`), append(args, clampNanos(f.Since))
	}
	q := `SELECT id, flow, entity, key, class, kind, error, payload, attempts, mapping_version, first_failed, last_failed
		FROM kontor_dead_letters`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	q += ` ORDER BY first_failed, id LIMIT ?`
	out := make([]store.DeadLetter, 0)
	err := s.run(ctx, "DeadLetters", reads, func(db dbtx) error {
		rows, err := db.QueryContext(ctx, q, append(args, limit)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				dl                      store.DeadLetter
				entity, class           string
				kind                    int64
				firstFailed, lastFailed sql.NullInt64
			)
			if err := rows.Scan(&dl.ID, &dl.Flow, &entity, &dl.Key, &class, &kind, &dl.Error, &dl.Payload, &dl.Attempts,
				&dl.MappingVersion, &firstFailed, &lastFailed); err != nil {
				return err
			}
			dl.Entity, dl.Class, dl.Kind = kontor.Entity(entity), store.Class(class), kontor.Kind(kind)
			dl.FirstFailed, dl.LastFailed = timeOf(firstFailed), timeOf(lastFailed)
			out = append(out, dl)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteDeadLetter implements store.Store. Deleting an unknown ID is not
// an error.
func (s *Store) DeleteDeadLetter(ctx context.Context, id int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.run(ctx, "DeleteDeadLetter", writeOne, func(q dbtx) error {
		_, err := q.ExecContext(ctx, `DELETE FROM kontor_dead_letters WHERE id = ?`, id)
		return err
	})
}
