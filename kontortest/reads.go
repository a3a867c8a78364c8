package kontortest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
)

func readChecks(s spec) []Check {
	name := func(what string) string { return fmt.Sprintf("read/%s/%s", s.entity, what) }
	return []Check{
		{Name: name("pages"), Run: func(t testing.TB, conn kontor.Connector, f Features) { checkReadPages(t, conn, f, s) }},
		{Name: name("since"), Run: func(t testing.TB, conn kontor.Connector, f Features) { checkReadSince(t, conn, f, s) }},
		{Name: name("stop-early"), Run: func(t testing.TB, conn kontor.Connector, f Features) { checkReadStop(t, conn, f, s) }},
		{Name: name("cancelled"), Run: func(t testing.TB, conn kontor.Connector, f Features) { checkReadCancel(t, conn, f, s) }},
	}
}

// show returns a key for a failure message: quoted, unless it is a
// customer's e-mail address (Customer.Key's last resort), which a report
// must not carry.
func (s spec) show(key string) string {
	if s.entity == kontor.EntityCustomer && strings.Contains(key, "@") {
		return "(an e-mail address, withheld)"
	}
	return fmt.Sprintf("%q", key)
}

// seed puts 3.5 pages of items behind the connector and returns how many.
func seed(t testing.TB, f Features) int {
	t.Helper()
	if f.Seed == nil {
		t.Skip("Features.Seed is nil: the suite cannot put items behind the connector")
	}
	n := pageSize(f) * 7 / 2
	if f.MaxItems > 0 {
		n = min(n, f.MaxItems)
	}
	n = max(n, 2) // the cancellation check needs an item after the first
	f.Seed(t, n)
	return n
}

func pageSize(f Features) int {
	if f.PageSize > 0 {
		return f.PageSize
	}
	return 100
}

func reader(t testing.TB, conn kontor.Connector, s spec, ctx context.Context, since kontor.Cursor) func(func(item, error) bool) {
	t.Helper()
	seq, ok := s.read(conn, ctx, since)
	if !ok {
		t.Fatalf("declares read %s but has no %s reader", s.entity, s.entity)
	}
	return seq
}

// readAll reads everything since since and fails on an error.
func readAll(t testing.TB, conn kontor.Connector, s spec, since kontor.Cursor) []item {
	t.Helper()
	var items []item
	guard(t, func() {
		for it, err := range reader(t, conn, s, context.Background(), since) {
			if err != nil {
				t.Fatalf("read %s since %v: after %d items: %v", s.entity, since.Since, len(items), err)
			}
			items = append(items, it)
		}
	})
	return items
}

func checkReadPages(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	n := seed(t, f)
	rc, counts := conn.(requestCounter)
	var before int
	if counts {
		before = rc.Requests()
	}
	items := readAll(t, conn, s, kontor.Cursor{})
	if counts && f.PageSize > 0 {
		pages := (n + f.PageSize - 1) / f.PageSize
		if got := rc.Requests() - before; got < pages || got > pages+1 {
			t.Errorf("reading %d items in pages of %d took %d requests, want %d (or one more for an empty last page)", n, f.PageSize, got, pages)
		}
	}
	seen := make(map[string]int, len(items))
	for i, it := range items {
		if it.key == "" {
			t.Errorf("item %d has no key", i)
		}
		if j, dup := seen[it.key]; dup {
			t.Errorf("item %d repeats key %s of item %d within one read", i, s.show(it.key), j)
		}
		seen[it.key] = i
		if it.meta.UpdatedAt.IsZero() {
			t.Errorf("item %d (%s) has no UpdatedAt: an incremental read cannot resume after it", i, s.show(it.key))
		}
		if f.ReadsAreOrdered && i > 0 && it.meta.UpdatedAt.Before(items[i-1].meta.UpdatedAt) {
			t.Errorf("item %d (%s) changed at %s, before item %d at %s: reads are declared ordered",
				i, s.show(it.key), it.meta.UpdatedAt.Format(time.RFC3339Nano), i-1, items[i-1].meta.UpdatedAt.Format(time.RFC3339Nano))
		}
	}
	if len(seen) != n {
		t.Errorf("read %d distinct %s items, seeded %d", len(seen), s.entity, n)
	}
}

func checkReadSince(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	seed(t, f)
	all := readAll(t, conn, s, kontor.Cursor{})
	if len(all) == 0 {
		t.Fatalf("read no %s items after seeding", s.entity)
	}
	times := make([]time.Time, len(all))
	for i, it := range all {
		times[i] = it.meta.UpdatedAt
	}
	slices.SortFunc(times, time.Time.Compare)
	for _, cut := range []time.Time{times[len(times)/2], times[len(times)-1]} {
		want := make(map[string]bool)
		for _, it := range all {
			if !it.meta.UpdatedAt.Before(cut) {
				want[it.key] = true
			}
		}
		got := readAll(t, conn, s, kontor.Cursor{Since: cut})
		for _, it := range got {
			if it.meta.UpdatedAt.Before(cut) {
				t.Errorf("a read since %s yielded %s, changed before it at %s",
					cut.Format(time.RFC3339Nano), s.show(it.key), it.meta.UpdatedAt.Format(time.RFC3339Nano))
			}
			delete(want, it.key)
		}
		for key := range want {
			t.Errorf("a read since %s missed %s, changed at or after it", cut.Format(time.RFC3339Nano), s.show(key))
		}
	}
}

func checkReadStop(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	seed(t, f)
	rc, counts := conn.(requestCounter)
	var before int
	if counts {
		before = rc.Requests()
	}
	got := 0
	guard(t, func() {
		for _, err := range reader(t, conn, s, context.Background(), kontor.Cursor{}) {
			if err != nil {
				t.Fatalf("read %s: %v", s.entity, err)
			}
			got++
			break
		}
	})
	if got != 1 {
		t.Errorf("got %d items before stopping, want 1", got)
	}
	if counts {
		if n := rc.Requests() - before; n != 1 {
			t.Errorf("stopping after the first item took %d requests, want 1: the read went on paging", n)
		}
	}
}

func checkReadCancel(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	seed(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var items, after int
	var errs []error
	guard(t, func() {
		for _, err := range reader(t, conn, s, ctx, kontor.Cursor{}) {
			switch {
			case err != nil:
				errs = append(errs, err)
			case ctx.Err() != nil:
				after++
			default:
				items++
				cancel()
			}
		}
	})
	if items != 1 {
		t.Errorf("got %d items before the cancellation, want 1", items)
	}
	if after > 0 {
		t.Errorf("yielded %d items after the context was cancelled", after)
	}
	switch {
	case len(errs) == 0:
		t.Errorf("a read whose context was cancelled ended without an error: the consumer would take it as complete")
	case !errors.Is(errs[0], context.Canceled):
		t.Errorf("a cancelled read ended with %v, want an error matching context.Canceled", errs[0])
	case len(errs) > 1:
		t.Errorf("yielded %d errors: an error must end the sequence", len(errs))
	}

	// A read whose context is already cancelled yields the error first.
	var first error
	yielded := 0
	guard(t, func() {
		for _, err := range reader(t, conn, s, ctx, kontor.Cursor{}) {
			if err == nil {
				yielded++
				continue
			}
			if first == nil {
				first = err
			}
		}
	})
	if yielded > 0 || !errors.Is(first, context.Canceled) {
		t.Errorf("a read with a cancelled context yielded %d items and the error %v, want none and context.Canceled", yielded, first)
	}
}
