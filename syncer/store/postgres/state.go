package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	sqlGetCursor = `SELECT since, since_ns, token FROM {s}.kontor_cursors WHERE flow = $1`
	sqlSetCursor = `
INSERT INTO {s}.kontor_cursors (flow, since, since_ns, token) VALUES ($1, $2, $3, $4)
ON CONFLICT (flow) DO UPDATE SET since = excluded.since, since_ns = excluded.since_ns, token = excluded.token`

	// sqlStates joins the keys, numbered, with the states: each row names
	// the position it answers, so duplicate keys cost nothing and no key
	// travels back.
	sqlStates = `
SELECT k.n, s.fingerprint, s.version, s.updated_at, s.updated_ns
FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n)
JOIN {s}.kontor_states s ON s.flow = $1 AND s.key = k.key`

	// sqlPutStates upserts a batch in one statement. DISTINCT ON keeps the
	// last state of a key the batch repeats (an upsert may touch a row only
	// once), and the rows go in key order, so concurrent batches lock
	// shared keys in the same order and cannot deadlock.
	sqlPutStates = `
INSERT INTO {s}.kontor_states AS t (flow, key, fingerprint, version, updated_at, updated_ns)
SELECT DISTINCT ON (u.key COLLATE "C") $1, u.key, u.fp, u.v, u.at, u.ns
FROM unnest($2::text[], $3::int8[], $4::int8[], $5::timestamptz[], $6::int2[]) WITH ORDINALITY AS u(key, fp, v, at, ns, n)
ORDER BY u.key COLLATE "C", u.n DESC
ON CONFLICT (flow, key) DO UPDATE
SET fingerprint = excluded.fingerprint, version = excluded.version, updated_at = excluded.updated_at, updated_ns = excluded.updated_ns`
)

// Cursor implements store.Store.
func (s *Store) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return kontor.Cursor{}, err
	}
	defer release()
	if !storable(flow) {
		return kontor.Cursor{}, nil
	}
	var (
		since pgtype.Timestamptz
		ns    int16
		c     kontor.Cursor
	)
	err = q.QueryRow(ctx, s.sql.getCursor, flow).Scan(&since, &ns, &c.Token)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return kontor.Cursor{}, nil
	case err != nil:
		return kontor.Cursor{}, dbError(ctx, "Cursor", err)
	}
	c.Since = exactTS(since, ns)
	return c, nil
}

// SetCursor implements store.Store.
func (s *Store) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	switch {
	case flow == "":
		return invalid("SetCursor", "flow: empty")
	case !storable(flow):
		return checkText("SetCursor", "flow", flow)
	case !storable(c.Token):
		return checkText("SetCursor", "Token", c.Token)
	}
	if _, err := q.Exec(ctx, s.sql.setCursor, flow, ts(c.Since), subMicro(c.Since), c.Token); err != nil {
		return dbError(ctx, "SetCursor", err)
	}
	return nil
}

// States implements store.Store in one query. UpdatedAt comes back in UTC,
// to the nanosecond.
func (s *Store) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([]store.ItemState, len(keys))
	for i, k := range keys {
		out[i].Key = k
	}
	if len(keys) == 0 || !storable(flow) {
		return out, nil
	}
	// A key PostgreSQL cannot hold was never written: ask for the others.
	query, pos := keys, []int(nil)
	if !allStorable(keys) {
		query, pos = storableKeys(keys)
	}
	rows, err := q.Query(ctx, s.sql.states, flow, query)
	if err != nil {
		return nil, dbError(ctx, "States", err)
	}
	defer rows.Close()
	var (
		n     int64
		fp    int64
		at    pgtype.Timestamptz
		ns    int16
		state store.ItemState
	)
	for rows.Next() {
		if err := rows.Scan(&n, &fp, &state.Version, &at, &ns); err != nil {
			return nil, dbError(ctx, "States", err)
		}
		i := int(n - 1)
		if pos != nil {
			i = pos[i]
		}
		if i < 0 || i >= len(out) {
			return nil, errors.New("postgres store States: the database answered a position out of range")
		}
		o := &out[i]
		o.Found = true
		o.Fingerprint = uint64(fp)
		o.Version = state.Version
		o.UpdatedAt = exactTS(at, ns)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(ctx, "States", err)
	}
	return out, nil
}

func allStorable(keys []string) bool {
	for _, k := range keys {
		if !storable(k) {
			return false
		}
	}
	return true
}

// storableKeys returns the keys PostgreSQL can hold and, for each, its
// position in keys.
func storableKeys(keys []string) ([]string, []int) {
	query := make([]string, 0, len(keys))
	pos := make([]int, 0, len(keys))
	for i, k := range keys {
		if storable(k) {
			query = append(query, k)
			pos = append(pos, i)
		}
	}
	return query, pos
}

// PutStates implements store.Store in one statement: all of the batch is
// stored or, when the statement fails, none of it. A bad item rejects the
// batch before anything is sent.
func (s *Store) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	if flow == "" {
		return invalid("PutStates", "flow: empty")
	}
	if err := checkText("PutStates", "flow", flow); err != nil {
		return err
	}
	for i := range states {
		k := states[i].Key
		if k == "" {
			return invalid("PutStates", "states[%d].Key: empty", i)
		}
		if !storable(k) {
			return invalid("PutStates", "states[%d].Key: not valid UTF-8 or holds a NUL byte", i)
		}
	}
	if len(states) == 0 {
		return nil
	}
	var (
		keys     = make([]string, len(states))
		fps      = make([]int64, len(states))
		versions = make([]int64, len(states))
		ats      = make([]pgtype.Timestamptz, len(states))
		nss      = make([]int16, len(states))
	)
	for i := range states {
		st := &states[i]
		keys[i] = st.Key
		fps[i] = int64(st.Fingerprint)
		versions[i] = st.Version
		ats[i] = ts(st.UpdatedAt)
		nss[i] = subMicro(st.UpdatedAt)
	}
	if _, err := q.Exec(ctx, s.sql.putStates, flow, keys, fps, versions, ats, nss); err != nil {
		return dbError(ctx, "PutStates", err)
	}
	return nil
}
