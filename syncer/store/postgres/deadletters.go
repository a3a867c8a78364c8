package postgres

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	// sqlAddDeadLetter inserts or, for a flow and key already there,
	// replaces all but ID and FirstFailed and adds an attempt. The insert
	// draws an ID before it meets the conflict, so a repeat burns one.
	sqlAddDeadLetter = `
INSERT INTO {s}.kontor_dead_letters AS d (flow, key, entity, class, kind, error, payload, attempts, mapping_version, first_failed, last_failed)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (flow, key) DO UPDATE
SET entity = excluded.entity, class = excluded.class, kind = excluded.kind, error = excluded.error,
    payload = excluded.payload, attempts = d.attempts + 1, mapping_version = excluded.mapping_version,
    last_failed = excluded.last_failed
RETURNING id, attempts, first_failed, last_failed`

	// sqlDeadLetters is completed with the filter's conditions.
	sqlDeadLetters = `
SELECT id, flow, key, entity, class, kind, error, payload, attempts, mapping_version, first_failed, last_failed
FROM {s}.kontor_dead_letters`

	sqlDeleteDeadLetter = `DELETE FROM {s}.kontor_dead_letters WHERE id = $1`
)

// AddDeadLetter implements store.Store in one statement. A new dead letter
// gets the next ID and Attempts of at least 1; a repeat keeps ID and
// FirstFailed, adds one attempt and takes every other field from dl. A zero
// LastFailed is stamped, and a new dead letter's zero FirstFailed is its
// LastFailed. The times returned are those stored, to the microsecond.
func (s *Store) AddDeadLetter(ctx context.Context, dl store.DeadLetter) (store.DeadLetter, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return store.DeadLetter{}, err
	}
	defer release()
	switch {
	case dl.Flow == "":
		return store.DeadLetter{}, invalid("AddDeadLetter", "Flow: empty")
	case dl.Key == "":
		return store.DeadLetter{}, invalid("AddDeadLetter", "Key: empty")
	}
	for _, f := range []struct{ name, v string }{
		{"Flow", dl.Flow}, {"Key", dl.Key}, {"Entity", string(dl.Entity)}, {"Class", string(dl.Class)}, {"MappingVersion", dl.MappingVersion},
	} {
		if err := checkText("AddDeadLetter", f.name, f.v); err != nil {
			return store.DeadLetter{}, err
		}
	}
	dl.Error = description(dl.Error)
	dl.Payload = bytes.Clone(dl.Payload)
	if dl.LastFailed.IsZero() {
		dl.LastFailed = s.stamp()
	}
	first := dl.FirstFailed
	if first.IsZero() {
		first = dl.LastFailed
	}
	var (
		attempts        int64
		firstAt, lastAt pgtype.Timestamptz
	)
	err = q.QueryRow(ctx, s.sql.addDeadLetter, dl.Flow, dl.Key, string(dl.Entity), string(dl.Class), int16(dl.Kind),
		dl.Error, dl.Payload, int64(max(1, dl.Attempts)), dl.MappingVersion, first, dl.LastFailed,
	).Scan(&dl.ID, &attempts, &firstAt, &lastAt)
	if err != nil {
		return store.DeadLetter{}, dbError(ctx, "AddDeadLetter", err)
	}
	dl.Attempts, dl.FirstFailed, dl.LastFailed = int(attempts), fromTS(firstAt), fromTS(lastAt)
	return dl, nil
}

// DeadLetters implements store.Store in one query: oldest FirstFailed
// first, ties by ID.
func (s *Store) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if !storable(f.Flow) || !storable(string(f.Class)) || !storable(f.Key) {
		return nil, nil // no stored dead letter holds such text
	}
	var w where
	if len(f.IDs) > 0 {
		w.add("id = ANY(%s)", f.IDs)
	}
	if f.Flow != "" {
		w.add("flow = %s", f.Flow)
	}
	if f.Class != "" {
		w.add("class = %s", string(f.Class))
	}
	if f.Key != "" {
		w.add("key = %s", f.Key)
	}
	if f.Keys != nil {
		keys := make([]string, 0, len(f.Keys))
		for _, k := range f.Keys {
			if storable(k) { // no stored dead letter holds other text
				keys = append(keys, k)
			}
		}
		w.add("key = ANY(%s)", keys)
	}
	if !f.Since.IsZero() {
		w.add("last_failed >= %s", f.Since)
	}
	query := s.sql.deadLetters + w.String() + " ORDER BY first_failed, id" + w.limit(f.Limit)
	rows, err := q.Query(ctx, query, w.args...)
	if err != nil {
		return nil, dbError(ctx, "DeadLetters", err)
	}
	defer rows.Close()
	var out []store.DeadLetter
	for rows.Next() {
		var (
			dl              store.DeadLetter
			entity, class   string
			kind            int16
			attempts        int64
			firstAt, lastAt pgtype.Timestamptz
		)
		if err := rows.Scan(&dl.ID, &dl.Flow, &dl.Key, &entity, &class, &kind, &dl.Error, &dl.Payload, &attempts,
			&dl.MappingVersion, &firstAt, &lastAt); err != nil {
			return nil, dbError(ctx, "DeadLetters", err)
		}
		dl.Entity, dl.Class, dl.Kind, dl.Attempts = kontor.Entity(entity), store.Class(class), kontor.Kind(kind), int(attempts)
		dl.FirstFailed, dl.LastFailed = fromTS(firstAt), fromTS(lastAt)
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(ctx, "DeadLetters", err)
	}
	return out, nil
}

// DeleteDeadLetter implements store.Store. Deleting an unknown ID is not
// an error. The ID is never drawn again.
func (s *Store) DeleteDeadLetter(ctx context.Context, id int64) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, err := q.Exec(ctx, s.sql.deleteDeadLetter, id); err != nil {
		return dbError(ctx, "DeleteDeadLetter", err)
	}
	return nil
}

// where builds a filter's conditions, so an unused field costs nothing and
// each query the indexes can answer stays one the planner sees as such.
type where struct {
	conds []string
	args  []any
}

// add adds a condition whose %s is the next argument's placeholder.
func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, fmt.Sprintf(cond, fmt.Sprintf("$%d", len(w.args))))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit returns the LIMIT clause of n, none for 0 or less.
func (w *where) limit(n int) string {
	if n <= 0 {
		return ""
	}
	w.args = append(w.args, int64(n))
	return fmt.Sprintf(" LIMIT $%d", len(w.args))
}
