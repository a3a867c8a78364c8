package woocommerce

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// listShop serves GET /orders the way WooCommerce's CRUD controller does:
// orderby modified (then id), modified_after exclusive on whole seconds
// with dates_are_gmt, exclude, offset or page, per_page, X-WP-Total,
// X-WP-TotalPages and a Link rel="next". before runs before each list
// request is answered, to change the list while it is read.
type listShop struct {
	mu       sync.Mutex
	orders   map[int64]time.Time // id → modified
	nextID   int64
	requests []url.Values
	before   func(n int) // n: the request's number, from 1
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func newListShop(n int, at func(i int) time.Time) *listShop {
	s := &listShop{orders: map[int64]time.Time{}}
	for i := range n {
		s.add(at(i))
	}
	return s
}

func (s *listShop) add(at time.Time) int64 {
	s.nextID++
	s.orders[s.nextID] = at
	return s.nextID
}

func (s *listShop) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.requests = append(s.requests, q)
	n := len(s.requests)
	before := s.before
	s.mu.Unlock()
	if before != nil {
		before(n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type row struct {
		id  int64
		mod time.Time
	}
	var rows []row
	var after time.Time
	if v := q.Get("modified_after"); v != "" {
		after, _ = time.Parse("2006-01-02T15:04:05", v)
	}
	excl := map[int64]bool{}
	for _, s := range strings.Split(q.Get("exclude"), ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			excl[id] = true
		}
	}
	for id, mod := range s.orders {
		if (!after.IsZero() && !mod.After(after)) || excl[id] {
			continue
		}
		rows = append(rows, row{id, mod})
	}
	slices.SortFunc(rows, func(a, b row) int {
		if c := a.mod.Compare(b.mod); c != 0 {
			return c
		}
		return int(a.id - b.id)
	})
	per, _ := strconv.Atoi(q.Get("per_page"))
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	start := (page - 1) * per
	if v := q.Get("offset"); v != "" {
		start, _ = strconv.Atoi(v)
	}
	start = min(start, len(rows))
	end := min(start+per, len(rows))
	pages := (len(rows) + per - 1) / per
	w.Header().Set("X-WP-Total", strconv.Itoa(len(rows)))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	if q.Get("offset") == "" && page < pages {
		next := r.URL.Query()
		next.Set("page", strconv.Itoa(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<https://%s%s?%s>; rel="next"`, r.Host, r.URL.Path, next.Encode()))
	}
	out := make([]map[string]any, 0, end-start)
	for _, rw := range rows[start:end] {
		out = append(out, map[string]any{"id": rw.id, "number": strconv.FormatInt(rw.id, 10), "status": "processing",
			"currency": "EUR", "date_created_gmt": formatDate(rw.mod), "date_modified_gmt": formatDate(rw.mod),
			"total": "0.00", "total_tax": "0.00"})
	}
	writeJSON(w, out)
}

func readNumbers(t *testing.T, c *Client, since time.Time) []string {
	t.Helper()
	var got []string
	for o, err := range c.ReadOrders(t.Context(), kontor.Cursor{Since: since}) {
		require.NoError(t, err)
		got = append(got, o.Number)
	}
	return got
}

func seq(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}

// While page 2 is read, order 3 (already read) is changed and three
// orders are placed. Paging by number then skips order 11; the keyset
// reader reads every order that existed exactly once and ends where the
// changed order comes round again, so the next sweep reads it.
func TestReadWhileTheListChanges(t *testing.T) {
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second) }
	mutate := func(s *listShop) func(int) {
		return func(n int) {
			if n != 2 {
				return
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.orders[3] = t0.Add(100 * time.Second)
			for k := range 3 {
				s.add(t0.Add(time.Duration(101+k) * time.Second))
			}
		}
	}

	// Paging by number, as the Link header offers it, misses order 11.
	naive := newListShop(25, at)
	naive.before = mutate(naive)
	cn, _ := testMux(t, map[string]http.HandlerFunc{"GET /wp-json/wc/v3/orders": naive.serve}, WithPageSize(10))
	var paged []string
	err := pagedRead(t.Context(), cn, "/orders", url.Values{"orderby": {"modified"}, "order": {"asc"}}, func(o *Order) bool {
		paged = append(paged, o.Number)
		return true
	})
	require.NoError(t, err)
	assert.NotContains(t, paged, "11", "the order that slid onto the page already read")

	s := newListShop(25, at)
	s.before = mutate(s)
	c, _ := testMux(t, map[string]http.HandlerFunc{"GET /wp-json/wc/v3/orders": s.serve}, WithPageSize(10))
	got := readNumbers(t, c, time.Time{})
	assert.Equal(t, seq(1, 25), got, "every order once, in order of change; the read ends at order 3's change")
	require.Len(t, s.requests, 3)
	assert.Equal(t, "10", s.requests[1].Get("exclude"), "the last second's orders are excluded, not skipped by offset")
	assert.Equal(t, formatDate(at(9).Add(-time.Second)), s.requests[1].Get("modified_after"),
		"at or after the last order's second: one second before it, the bound being exclusive")

	// The next sweep, from the latest change it saw less the engine's
	// overlap, gets order 3's change and the new orders.
	next := readNumbers(t, c, at(24).Add(-time.Minute))
	assert.Subset(t, next, []string{"3", "26", "27", "28"})
}

// A bulk import: 250 orders modified in the same second are read by
// exclude list, then by offset within the second, each once, in three
// requests.
func TestReadOneSecondBulk(t *testing.T) {
	s := newListShop(250, func(int) time.Time { return t0 })
	c, _ := testMux(t, map[string]http.HandlerFunc{"GET /wp-json/wc/v3/orders": s.serve})
	got := readNumbers(t, c, time.Time{})
	assert.Equal(t, seq(1, 250), got)
	assert.Len(t, s.requests, 3)
	assert.Equal(t, "200", s.requests[2].Get("offset"))
}

// Reading since a time asks for it one second earlier (WooCommerce's bound
// is exclusive) and yields what changed at or after it; a read of 35
// orders in pages of 10 takes 4 requests, the last page having no Link.
func TestReadSinceAndPages(t *testing.T) {
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	s := newListShop(35, at)
	c, _ := testMux(t, map[string]http.HandlerFunc{"GET /wp-json/wc/v3/orders": s.serve}, WithPageSize(10))
	assert.Equal(t, seq(1, 35), readNumbers(t, c, time.Time{}))
	assert.Len(t, s.requests, 4)
	s.requests = nil
	assert.Equal(t, seq(21, 35), readNumbers(t, c, at(20)))
	assert.Equal(t, formatDate(at(20).Add(-time.Second)), s.requests[0].Get("modified_after"))
	assert.Equal(t, "true", s.requests[0].Get("dates_are_gmt"))
	assert.Equal(t, "modified", s.requests[0].Get("orderby"))
	assert.Equal(t, "asc", s.requests[0].Get("order"))
	assert.Equal(t, "any", s.requests[0].Get("status"))
}

func TestReadStopsAndCancels(t *testing.T) {
	s := newListShop(35, func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) })
	c, _ := testMux(t, map[string]http.HandlerFunc{"GET /wp-json/wc/v3/orders": s.serve}, WithPageSize(10))
	for range c.ReadOrders(t.Context(), kontor.Cursor{}) {
		break
	}
	assert.Len(t, s.requests, 1, "a consumer that stops stops the paging")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var errs []error
	for _, err := range c.ReadOrders(ctx, kontor.Cursor{}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
}

func TestLinkNext(t *testing.T) {
	v := []string{`<https://s.example/wp-json/wc/v3/orders?page=1&a=b,c>; rel="prev", <https://s.example/wp-json/wc/v3/orders?page=3>; rel="next"`}
	assert.Equal(t, "https://s.example/wp-json/wc/v3/orders?page=3", linkNext(v))
	assert.Empty(t, linkNext([]string{`<https://s.example/x?page=1>; rel="prev"`}))
}
