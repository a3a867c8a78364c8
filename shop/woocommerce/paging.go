package woocommerce

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Reading a list that changes while it is read.
//
// WooCommerce pages by number (page, per_page ≤ 100) and says in
// X-WP-Total, X-WP-TotalPages and the Link header whether more follows.
// Paging by number over a list that changes skips or repeats items: an
// order that is modified while page 3 is read moves to the end of a list
// ordered by modification, and every order behind it moves up one place,
// so the first order of page 4 slides onto page 3, already read, and is
// never seen.
//
// The keyset reader does not page by number. It asks for the list ordered
// by date modified (ties by id, as WooCommerce orders them) and, for each
// next page, for what was modified at or after the last item it got
// (modified_after, one second earlier because WooCommerce's bound is
// exclusive and its dates have whole seconds), excluding by id the items of
// that last second it already has. An item inserted or modified while the
// read runs is modified after everything read so far, so a later page
// returns it; nothing that existed unchanged can slide past the reader,
// because no page's position depends on what came before. An item that
// comes round again because it changed during the read is not yielded
// twice (a read yields each key once): the read ends there instead, so
// that the engine's cursor (the latest change it saw) stays before that
// change and the next sweep reads it.
//
// More items sharing one second than fit into an exclude list (a bulk
// import) are paged by offset within that second; only an item of that
// very second modified again during the read can then make the reader
// skip one, and the engine's overlap window reads that second again next
// time.

// keyed is what the keyset reader needs of an item.
type keyed interface {
	key() int64
	modified() time.Time
}

// keysetRead yields the items of path changed at or after since, each
// once, in order of modification. base holds the endpoint's own filters.
// It returns nil when the list is read (or the read ended at a changed
// repeat), ctx's error or the request's error otherwise; yield returning
// false stops it without error.
func keysetRead[T keyed](ctx context.Context, c *Client, path string, base url.Values, since time.Time, yield func(T) bool) error {
	per := c.cfg.pageSize
	seen := make(map[int64]time.Time)
	from := ceilSecond(since) // items modified at or after from
	var tie []int64           // ids seen whose modification is the second `from`
	offset := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set("per_page", strconv.Itoa(per))
		q.Set("orderby", "modified")
		q.Set("order", "asc")
		if !from.IsZero() {
			q.Set("modified_after", formatDate(from.Add(-time.Second)))
			q.Set("dates_are_gmt", "true")
		}
		switch {
		case offset > 0:
			q.Set("offset", strconv.Itoa(offset))
		case len(tie) > 0:
			q.Set("exclude", joinIDs(tie))
		}
		var items []T
		pg, err := c.do(ctx, http.MethodGet, path, q, nil, &items)
		if err != nil {
			return err
		}
		progressed := false
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return err // nothing after a cancellation
			}
			id, mod := it.key(), it.modified()
			if prev, ok := seen[id]; ok {
				if mod.After(prev) {
					return nil // changed during the read: the next sweep reads it
				}
				continue
			}
			if !since.IsZero() && mod.Before(since) {
				continue // a shop whose bound is inclusive, or a clock step
			}
			seen[id] = mod
			progressed = true
			if !yield(it) {
				return nil
			}
			sec := mod.Truncate(time.Second)
			if sec.After(from) || from.IsZero() {
				from, tie, offset = sec, tie[:0], 0
			}
			if sec.Equal(from) {
				tie = append(tie, id)
			}
		}
		last := len(items) < per || (pg.next == "" && pg.totalPages == 1)
		if last {
			return nil
		}
		if len(tie) > maxExcludeIDs {
			offset = len(tie) // a bulk of one second: page within it by offset
		}
		if !progressed {
			// A full page of nothing new: step over it by offset rather
			// than asking the same question again.
			offset += len(items)
		}
	}
}

// pagedRead yields every item of path page by page, following the page
// number while the Link header names a next page (for endpoints without a
// modification filter, such as customers). Items are deduplicated by id.
func pagedRead[T keyed](ctx context.Context, c *Client, path string, base url.Values, yield func(T) bool) error {
	per := c.cfg.pageSize
	seen := make(map[int64]bool)
	for page := 1; ; page++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		q := url.Values{}
		for k, v := range base {
			q[k] = v
		}
		q.Set("per_page", strconv.Itoa(per))
		q.Set("page", strconv.Itoa(page))
		var items []T
		pg, err := c.do(ctx, http.MethodGet, path, q, nil, &items)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			if seen[it.key()] {
				continue
			}
			seen[it.key()] = true
			if !yield(it) {
				return nil
			}
		}
		if len(items) < per || pg.next == "" && (pg.totalPages == 0 || page >= pg.totalPages) {
			return nil
		}
	}
}

func ceilSecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	s := t.Truncate(time.Second)
	if s.Before(t) {
		s = s.Add(time.Second)
	}
	return s.UTC()
}

func joinIDs(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func (p *Product) key() int64          { return p.ID }
func (p *Product) modified() time.Time { return p.DateModifiedGMT.Time }
func (o *Order) key() int64            { return o.ID }
func (o *Order) modified() time.Time   { return o.DateModifiedGMT.Time }
func (c *Customer) key() int64         { return c.ID }
func (c *Customer) modified() time.Time {
	if c.DateModifiedGMT.IsZero() {
		return c.DateCreatedGMT.Time
	}
	return c.DateModifiedGMT.Time
}
