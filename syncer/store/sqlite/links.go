package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Links implements store.Store: one query per batch.
func (s *Store) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]store.Link, len(keys))
	for i, k := range keys {
		out[i] = store.Link{Entity: entity, Key: k}
	}
	if len(keys) == 0 {
		return out, nil
	}
	err := s.run(ctx, "Links", reads, func(q dbtx) error {
		rows, err := q.QueryContext(ctx, `SELECT k.key, l.erp_key, l.shop_key, l.updated_at
			FROM json_each(?1) AS k CROSS JOIN kontor_links AS l ON l.entity = ?2 AND l.key = k.value`,
			jsonStrings(keys), string(entity))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				i       int
				l       store.Link
				updated sql.NullInt64
			)
			if err := rows.Scan(&i, &l.ERPKey, &l.ShopKey, &updated); err != nil {
				return err
			}
			l.Entity, l.Key, l.Found, l.UpdatedAt = entity, keys[i], true, timeOf(updated)
			out[i] = l
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LinkByRemote implements store.Store. An empty remoteKey is never found.
func (s *Store) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (store.Link, error) {
	if err := ctx.Err(); err != nil {
		return store.Link{}, err
	}
	var column string
	switch side {
	case kontor.SideERP:
		column = "erp_key"
	case kontor.SideShop:
		column = "shop_key"
	default:
		return store.Link{}, invalid("LinkByRemote", "side: %q is neither %q nor %q", side, kontor.SideERP, kontor.SideShop)
	}
	missing := notFound("LinkByRemote", fmt.Sprintf("%s link by %s key", entity, side))
	if remoteKey == "" {
		return store.Link{}, missing
	}
	l := store.Link{Entity: entity, Found: true}
	err := s.run(ctx, "LinkByRemote", reads, func(q dbtx) error {
		var updated sql.NullInt64
		err := q.QueryRowContext(ctx, `SELECT key, erp_key, shop_key, updated_at FROM kontor_links
			WHERE entity = ? AND `+column+` = ?`, string(entity), remoteKey).Scan(&l.Key, &l.ERPKey, &l.ShopKey, &updated)
		if errors.Is(err, sql.ErrNoRows) {
			return missing
		}
		l.UpdatedAt = timeOf(updated)
		return err
	})
	if err != nil {
		return store.Link{}, err
	}
	return l, nil
}

// PutLinks implements store.Store, in one transaction. Links are applied in
// order. An empty ERPKey or ShopKey keeps the stored one. A remote key
// belongs to one link: the link that held a remote key another link takes
// loses it, and takes the taker's UpdatedAt. UpdatedAt is stamped when
// zero.
func (s *Store) PutLinks(ctx context.Context, links []store.Link) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range links {
		switch {
		case links[i].Entity == "":
			return invalid("PutLinks", "links[%d].Entity: empty", i)
		case links[i].Key == "":
			return invalid("PutLinks", "links[%d].Key: empty", i)
		}
		if _, ok := timeArg(links[i].UpdatedAt); !ok {
			return badTime("PutLinks", fmt.Sprintf("links[%d].UpdatedAt", i), links[i].UpdatedAt)
		}
	}
	if len(links) == 0 {
		return nil
	}
	now := nanos(s.stamp())
	return s.run(ctx, "PutLinks", writeAll, func(q dbtx) error {
		for _, l := range links {
			updated := now
			if !l.UpdatedAt.IsZero() {
				updated = nanos(l.UpdatedAt)
			}
			// The remote keys move first: the unique indexes allow one
			// holder at any time.
			if l.ERPKey != "" {
				if _, err := q.ExecContext(ctx, `UPDATE kontor_links SET erp_key = '', updated_at = ?
					WHERE entity = ? AND erp_key = ? AND key <> ?`, updated, string(l.Entity), l.ERPKey, l.Key); err != nil {
					return err
				}
			}
			if l.ShopKey != "" {
				if _, err := q.ExecContext(ctx, `UPDATE kontor_links SET shop_key = '', updated_at = ?
					WHERE entity = ? AND shop_key = ? AND key <> ?`, updated, string(l.Entity), l.ShopKey, l.Key); err != nil {
					return err
				}
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO kontor_links (entity, key, erp_key, shop_key, updated_at)
				VALUES (?1, ?2, ?3, ?4, ?5)
				ON CONFLICT (entity, key) DO UPDATE SET
					erp_key = CASE WHEN ?3 = '' THEN erp_key ELSE ?3 END,
					shop_key = CASE WHEN ?4 = '' THEN shop_key ELSE ?4 END,
					updated_at = ?5`,
				string(l.Entity), l.Key, l.ERPKey, l.ShopKey, updated); err != nil {
				return err
			}
		}
		return nil
	})
}
