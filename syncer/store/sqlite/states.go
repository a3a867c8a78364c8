package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Cursor implements store.Store. Since comes back in UTC.
func (s *Store) Cursor(ctx context.Context, flow string) (kontor.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return kontor.Cursor{}, err
	}
	var c kontor.Cursor
	err := s.run(ctx, "Cursor", reads, func(q dbtx) error {
		var since sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT since, token FROM kontor_cursors WHERE flow = ?`, flow).Scan(&since, &c.Token)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			c = kontor.Cursor{}
			return nil
		case err != nil:
			return err
		}
		c.Since = timeOf(since)
		return nil
	})
	if err != nil {
		return kontor.Cursor{}, err
	}
	return c, nil
}

// SetCursor implements store.Store.
func (s *Store) SetCursor(ctx context.Context, flow string, c kontor.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if flow == "" {
		return invalid("SetCursor", "flow: empty")
	}
	since, ok := timeArg(c.Since)
	if !ok {
		return badTime("SetCursor", "Since", c.Since)
	}
	return s.run(ctx, "SetCursor", writeOne, func(q dbtx) error {
		_, err := q.ExecContext(ctx, `INSERT INTO kontor_cursors (flow, since, token) VALUES (?, ?, ?)
			ON CONFLICT (flow) DO UPDATE SET since = excluded.since, token = excluded.token`, flow, since, c.Token)
		return err
	})
}

// statesQuery looks a batch of keys up in one statement: json_each yields
// the keys in the caller's order with their index, and each is one seek
// in the primary key. Only found keys come back.
const statesQuery = `SELECT k.key, s.fingerprint, s.version, s.updated_at
	FROM json_each(?1) AS k CROSS JOIN kontor_item_states AS s ON s.flow = ?2 AND s.key = k.value`

// States implements store.Store: one query per batch, however large.
// UpdatedAt comes back in UTC.
func (s *Store) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]store.ItemState, len(keys))
	for i, k := range keys {
		out[i].Key = k
	}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.run(ctx, "States", reads, func(q dbtx) error {
		rows, err := q.QueryContext(ctx, statesQuery, jsonStrings(keys), flow)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			i           int
			fp, version int64
			updated     sql.NullInt64
		)
		for rows.Next() {
			if err := rows.Scan(&i, &fp, &version, &updated); err != nil {
				return err
			}
			st := &out[i]
			st.Found = true
			st.Fingerprint = u64Of(fp)
			st.Version = version
			st.UpdatedAt = timeOf(updated)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PutStates implements store.Store: one transaction per batch, one prepared
// upsert per state, so the batch is stored whole or not at all. Within a
// batch, the later state of a key wins.
func (s *Store) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if flow == "" {
		return invalid("PutStates", "flow: empty")
	}
	for i := range states {
		if states[i].Key == "" {
			return invalid("PutStates", "states[%d].Key: empty", i)
		}
		if _, ok := timeArg(states[i].UpdatedAt); !ok {
			return badTime("PutStates", fmt.Sprintf("states[%d].UpdatedAt", i), states[i].UpdatedAt)
		}
	}
	if len(states) == 0 {
		return nil
	}
	return s.run(ctx, "PutStates", writeAll, func(q dbtx) error {
		stmt, err := q.PrepareContext(ctx, `INSERT INTO kontor_item_states (flow, key, fingerprint, version, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (flow, key) DO UPDATE SET fingerprint = excluded.fingerprint,
				version = excluded.version, updated_at = excluded.updated_at`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range states {
			st := &states[i]
			updated, _ := timeArg(st.UpdatedAt)
			if _, err := stmt.ExecContext(ctx, flow, st.Key, u64Arg(st.Fingerprint), st.Version, updated); err != nil {
				return err
			}
		}
		return nil
	})
}
