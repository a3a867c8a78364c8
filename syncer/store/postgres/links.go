package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

const (
	sqlLinks = `
SELECT k.n, l.erp_key, l.shop_key, l.updated_at
FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n)
JOIN {s}.kontor_links l ON l.entity = $1 AND l.key = k.key`

	// The partial indexes answer only a query that repeats their
	// predicate.
	sqlLinkByERP  = `SELECT key, erp_key, shop_key, updated_at FROM {s}.kontor_links WHERE entity = $1 AND erp_key = $2 AND erp_key <> ''`
	sqlLinkByShop = `SELECT key, erp_key, shop_key, updated_at FROM {s}.kontor_links WHERE entity = $1 AND shop_key = $2 AND shop_key <> ''`

	// sqlLockLinks serializes PutLinks per schema and entity, across
	// processes, until the transaction ends.
	sqlLockLinks = `SELECT pg_advisory_xact_lock($1::int4, hashtext($2))`

	// sqlLoadLinks reads every link a batch can touch: those of its keys
	// and those that hold a remote key it assigns.
	sqlLoadLinks = `
SELECT l.entity, l.key, l.erp_key, l.shop_key, l.updated_at
FROM {s}.kontor_links l JOIN unnest($1::text[], $2::text[]) AS u(entity, key) ON l.entity = u.entity AND l.key = u.key
UNION
SELECT l.entity, l.key, l.erp_key, l.shop_key, l.updated_at
FROM {s}.kontor_links l JOIN unnest($3::text[], $4::text[]) AS u(entity, erp_key) ON l.entity = u.entity AND l.erp_key = u.erp_key AND l.erp_key <> ''
UNION
SELECT l.entity, l.key, l.erp_key, l.shop_key, l.updated_at
FROM {s}.kontor_links l JOIN unnest($5::text[], $6::text[]) AS u(entity, shop_key) ON l.entity = u.entity AND l.shop_key = u.shop_key AND l.shop_key <> ''`

	// sqlClearLinks empties the remote keys that links give up before
	// sqlUpsertLinks hands them on: a unique index is checked row by row,
	// so the new holder must not meet the old one.
	sqlClearLinks = `
UPDATE {s}.kontor_links l
SET erp_key = CASE WHEN u.clear_erp THEN '' ELSE l.erp_key END,
    shop_key = CASE WHEN u.clear_shop THEN '' ELSE l.shop_key END
FROM unnest($1::text[], $2::text[], $3::bool[], $4::bool[]) AS u(entity, key, clear_erp, clear_shop)
WHERE l.entity = u.entity AND l.key = u.key`

	sqlUpsertLinks = `
INSERT INTO {s}.kontor_links (entity, key, erp_key, shop_key, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
ON CONFLICT (entity, key) DO UPDATE
SET erp_key = excluded.erp_key, shop_key = excluded.shop_key, updated_at = excluded.updated_at`
)

// linkLockClass is the first key of PutLinks' advisory lock.
const linkLockClass = 0x4B4C4E4B // "KLNK"

// Links implements store.Store in one query.
func (s *Store) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	out := make([]store.Link, len(keys))
	for i, k := range keys {
		out[i] = store.Link{Entity: entity, Key: k}
	}
	if len(keys) == 0 || !storable(string(entity)) {
		return out, nil
	}
	query, pos := keys, []int(nil)
	if !allStorable(keys) {
		query, pos = storableKeys(keys)
	}
	rows, err := q.Query(ctx, s.sql.links, string(entity), query)
	if err != nil {
		return nil, dbError(ctx, "Links", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			n        int64
			erp, shp string
			at       pgtype.Timestamptz
		)
		if err := rows.Scan(&n, &erp, &shp, &at); err != nil {
			return nil, dbError(ctx, "Links", err)
		}
		i := int(n - 1)
		if pos != nil {
			i = pos[i]
		}
		if i < 0 || i >= len(out) {
			return nil, errors.New("postgres store Links: the database answered a position out of range")
		}
		o := &out[i]
		o.ERPKey, o.ShopKey, o.Found, o.UpdatedAt = erp, shp, true, fromTS(at)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(ctx, "Links", err)
	}
	return out, nil
}

// LinkByRemote implements store.Store. An empty remoteKey is never found.
func (s *Store) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (store.Link, error) {
	q, release, err := s.exec(ctx)
	if err != nil {
		return store.Link{}, err
	}
	defer release()
	query := s.sql.linkByERP
	switch side {
	case kontor.SideERP:
	case kontor.SideShop:
		query = s.sql.linkByShop
	default:
		return store.Link{}, invalid("LinkByRemote", "side: %q is neither %q nor %q", side, kontor.SideERP, kontor.SideShop)
	}
	missing := notFound("LinkByRemote", fmt.Sprintf("%s link by %s key", entity, side))
	if remoteKey == "" || !storable(remoteKey) || !storable(string(entity)) {
		return store.Link{}, missing
	}
	l := store.Link{Entity: entity, Found: true}
	var at pgtype.Timestamptz
	err = q.QueryRow(ctx, query, string(entity), remoteKey).Scan(&l.Key, &l.ERPKey, &l.ShopKey, &at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Link{}, missing
	case err != nil:
		return store.Link{}, dbError(ctx, "LinkByRemote", err)
	}
	l.UpdatedAt = fromTS(at)
	return l, nil
}

// linkID names a link; remoteID a remote key of an entity on one side.
type (
	linkID   struct{ entity, key string }
	remoteID struct{ entity, remote string }
)

// linkRow is a link as the batch leaves it, beside what was stored.
type linkRow struct {
	erp, shop             string
	at                    time.Time
	stored                bool
	storedERP, storedShop string
	dirty                 bool
}

// linkView is the part of an entity's links a batch can touch, with the
// reverse indexes PutLinks needs to move remote keys.
type linkView struct {
	rows   map[linkID]*linkRow
	byERP  map[remoteID]string // → key
	byShop map[remoteID]string
}

// PutLinks implements store.Store. Links apply in order, as in the memory
// store: an empty ERPKey or ShopKey keeps the stored one, and a remote key
// another link of the entity holds moves to this one, which stamps the
// other. It runs in one transaction that holds an advisory lock per entity
// of the batch, so concurrent PutLinks, in any process, apply one after
// the other. Inside InTx it runs in a savepoint of InTx's transaction,
// which holds the locks until it ends. UpdatedAt is stamped when zero.
func (s *Store) PutLinks(ctx context.Context, links []store.Link) error {
	q, release, err := s.exec(ctx)
	if err != nil {
		return err
	}
	defer release()
	if err := checkLinks(links); err != nil {
		return err
	}
	if len(links) == 0 {
		return nil
	}
	now := s.stamp()
	err = s.atomic(ctx, q, false, func(tx executor) error {
		view, err := s.loadLinks(ctx, tx, links)
		if err != nil {
			return err
		}
		for _, l := range links {
			view.apply(l, now)
		}
		return s.writeLinks(ctx, tx, view)
	})
	if err != nil {
		return dbError(ctx, "PutLinks", err)
	}
	return nil
}

func checkLinks(links []store.Link) error {
	for i := range links {
		l := &links[i]
		switch {
		case l.Entity == "":
			return invalid("PutLinks", "links[%d].Entity: empty", i)
		case l.Key == "":
			return invalid("PutLinks", "links[%d].Key: empty", i)
		}
		for _, f := range []struct{ name, v string }{
			{"Entity", string(l.Entity)}, {"Key", l.Key}, {"ERPKey", l.ERPKey}, {"ShopKey", l.ShopKey},
		} {
			if !storable(f.v) {
				return invalid("PutLinks", "links[%d].%s: not valid UTF-8 or holds a NUL byte", i, f.name)
			}
		}
	}
	return nil
}

// loadLinks locks the batch's entities, in order, and reads the links the
// batch can touch.
func (s *Store) loadLinks(ctx context.Context, tx executor, links []store.Link) (*linkView, error) {
	var entities []string
	var keyE, keys, erpE, erps, shopE, shops []string
	for _, l := range links {
		e := string(l.Entity)
		entities = append(entities, e)
		keyE, keys = append(keyE, e), append(keys, l.Key)
		if l.ERPKey != "" {
			erpE, erps = append(erpE, e), append(erps, l.ERPKey)
		}
		if l.ShopKey != "" {
			shopE, shops = append(shopE, e), append(shops, l.ShopKey)
		}
	}
	slices.Sort(entities)
	entities = slices.Compact(entities)
	b := &pgx.Batch{}
	for _, e := range entities {
		b.Queue(s.sql.lockLinks, linkLockClass, s.schema+"."+e)
	}
	view := &linkView{rows: make(map[linkID]*linkRow), byERP: make(map[remoteID]string), byShop: make(map[remoteID]string)}
	b.Queue(s.sql.loadLinks, keyE, keys, erpE, erps, shopE, shops).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var (
				id linkID
				r  = &linkRow{stored: true}
				at pgtype.Timestamptz
			)
			if err := rows.Scan(&id.entity, &id.key, &r.erp, &r.shop, &at); err != nil {
				return err
			}
			r.at, r.storedERP, r.storedShop = fromTS(at), r.erp, r.shop
			view.rows[id] = r
			if r.erp != "" {
				view.byERP[remoteID{id.entity, r.erp}] = id.key
			}
			if r.shop != "" {
				view.byShop[remoteID{id.entity, r.shop}] = id.key
			}
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	return view, nil
}

// apply puts one link into the view, as the memory store does.
func (v *linkView) apply(l store.Link, now time.Time) {
	e := string(l.Entity)
	id := linkID{e, l.Key}
	r := v.rows[id]
	if r == nil {
		r = &linkRow{}
		v.rows[id] = r
	}
	oldERP, oldShop := r.erp, r.shop
	if l.ERPKey != "" {
		r.erp = l.ERPKey
	}
	if l.ShopKey != "" {
		r.shop = l.ShopKey
	}
	r.at = l.UpdatedAt
	if r.at.IsZero() {
		r.at = now
	}
	r.dirty = true
	v.move(v.byERP, id, oldERP, r.erp, r.at, func(o *linkRow) { o.erp = "" })
	v.move(v.byShop, id, oldShop, r.shop, r.at, func(o *linkRow) { o.shop = "" })
}

// move points a reverse index's entry at link id, taking the new remote
// key from the link that held it, which is stamped with at.
func (v *linkView) move(index map[remoteID]string, id linkID, oldRemote, newRemote string, at time.Time, clear func(*linkRow)) {
	if oldRemote == newRemote {
		return
	}
	if oldRemote != "" && index[remoteID{id.entity, oldRemote}] == id.key {
		delete(index, remoteID{id.entity, oldRemote})
	}
	if newRemote == "" {
		return
	}
	rid := remoteID{id.entity, newRemote}
	if holder, ok := index[rid]; ok && holder != id.key {
		o := v.rows[linkID{id.entity, holder}]
		clear(o)
		o.at = at
		o.dirty = true
	}
	index[rid] = id.key
}

// writeLinks stores the view's changed links: first it empties the remote
// keys stored links give up, then it upserts the links, in one round trip.
func (s *Store) writeLinks(ctx context.Context, tx executor, v *linkView) error {
	ids := make([]linkID, 0, len(v.rows))
	for id, r := range v.rows {
		if r.dirty {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b linkID) int {
		return cmp.Or(cmp.Compare(a.entity, b.entity), cmp.Compare(a.key, b.key))
	})
	var cE, cK []string
	var cERP, cShop []bool
	n := len(ids)
	es, ks, erps, shops, ats := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]pgtype.Timestamptz, n)
	for i, id := range ids {
		r := v.rows[id]
		es[i], ks[i], erps[i], shops[i], ats[i] = id.entity, id.key, r.erp, r.shop, ts(r.at)
		clearERP := r.stored && r.storedERP != "" && r.erp != r.storedERP
		clearShop := r.stored && r.storedShop != "" && r.shop != r.storedShop
		if clearERP || clearShop {
			cE, cK, cERP, cShop = append(cE, id.entity), append(cK, id.key), append(cERP, clearERP), append(cShop, clearShop)
		}
	}
	b := &pgx.Batch{}
	if len(cE) > 0 {
		b.Queue(s.sql.clearLinks, cE, cK, cERP, cShop)
	}
	b.Queue(s.sql.upsertLinks, es, ks, erps, shops, ats)
	return tx.SendBatch(ctx, b).Close()
}
