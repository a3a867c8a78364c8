package minierptest

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// page is the body of a list answer.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// position is where an item stands in a list: its change time, then its
// key.
type position struct {
	at  int64 // UnixNano
	key string
}

func (p position) compare(o position) int {
	return cmp.Or(cmp.Compare(p.at, o.at), strings.Compare(p.key, o.key))
}

// encode makes an opaque cursor of the position.
func (p position) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.at, 10) + "|" + p.key))
}

func decodeCursor(s string) (position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, false
	}
	at, key, ok := strings.Cut(string(b), "|")
	if !ok {
		return position{}, false
	}
	n, err := strconv.ParseInt(at, 10, 64)
	return position{n, key}, err == nil
}

// listPage answers one page of items changed at or after changed_since,
// after the cursor, in (updated_at, key) order. The map's keys are the
// items' keys. The caller holds the lock.
func listPage[T any](q url.Values, maxPage int, items map[string]T, updated func(T) time.Time) reply {
	var since time.Time
	if v := q.Get("changed_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return errorTarget(http.StatusBadRequest, "invalid_parameter", "changed_since is not an RFC 3339 time", "changed_since")
		}
		since = t
	}
	limit := maxPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errorTarget(http.StatusBadRequest, "invalid_parameter", "limit must be a positive whole number", "limit")
		}
		limit = min(n, maxPage)
	}
	var after *position
	if v := q.Get("cursor"); v != "" {
		p, ok := decodeCursor(v)
		if !ok {
			return errorTarget(http.StatusBadRequest, "invalid_cursor", "the cursor is not one minierp gave out", "cursor")
		}
		after = &p
	}

	type entry struct {
		pos  position
		item T
	}
	var match []entry
	for k, v := range items {
		t := updated(v)
		if t.Before(since) {
			continue
		}
		p := position{t.UnixNano(), k}
		if after != nil && p.compare(*after) <= 0 {
			continue
		}
		match = append(match, entry{p, v})
	}
	slices.SortFunc(match, func(a, b entry) int { return a.pos.compare(b.pos) })

	out := page[T]{Items: make([]T, 0, min(limit, len(match)))}
	for _, e := range match[:min(limit, len(match))] {
		out.Items = append(out.Items, e.item)
	}
	if len(match) > limit {
		out.NextCursor = match[limit-1].pos.encode()
	}
	return jsonReply(http.StatusOK, out)
}

// lookup answers the items with the given keys, in the order asked, in one
// page. The caller holds the lock.
func lookup[T any](keys []string, items map[string]T) reply {
	if len(keys) > maxLookup {
		return errorReply(http.StatusBadRequest, "too_many_values", "at most 50 values per lookup")
	}
	out := page[T]{Items: []T{}}
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		if v, ok := items[k]; ok && !seen[k] {
			seen[k] = true
			out.Items = append(out.Items, v)
		}
	}
	return jsonReply(http.StatusOK, out)
}
