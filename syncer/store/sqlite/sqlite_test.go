package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
	"github.com/kontor-dev/kontor/syncer/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// open opens a store in a fresh file and closes it when the test ends.
func open(t testing.TB, opts ...sqlite.Option) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kontor.db")
	return openAt(t, path, opts...), path
}

// openAt opens the store at path and closes it when the test ends.
func openAt(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(t, s) })
	return s
}

// closeStore closes s; closing it again, as a cleanup may, is harmless.
func closeStore(t testing.TB, s *sqlite.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { s, _ := open(t); return s })
}

// TestPragmas proves the DSN's _pragma parameters took effect on the
// writer: keys another driver's dialect would use are silently ignored.
func TestPragmas(t *testing.T) {
	s, _ := open(t)
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
	} {
		var got string
		must(t, s.DB().QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got))
		if got != tc.want {
			t.Errorf("PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	if n := s.DB().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer MaxOpenConnections = %d, want 1", n)
	}
}

// TestWriterBeginsImmediate proves a transaction on DB() takes the file's
// write lock at BEGIN, so a job queue's transaction and the store's writes
// of another process queue up instead of failing at their first write.
func TestWriterBeginsImmediate(t *testing.T) {
	a, path := open(t)
	b := openAt(t, path)
	tx, err := a.DB().BeginTx(t.Context(), nil)
	must(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = b.SetCursor(ctx, "products", kontor.Cursor{Token: "b"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("SetCursor while another store's transaction is open: error %v, want it to wait for the lock until its deadline", err)
	}
	if waited := time.Since(start); waited < 90*time.Millisecond {
		t.Errorf("SetCursor gave up after %v, want it to wait for the lock", waited)
	}
	must(t, tx.Rollback())
	must(t, b.SetCursor(t.Context(), "products", kontor.Cursor{Token: "b"}))
}

// TestTwoStoresShareAFile proves the busy timeout and IMMEDIATE
// transactions work: two stores on one file (as two processes would be)
// append concurrently without SQLITE_BUSY, and the audit Seqs stay gapless
// across both.
func TestTwoStoresShareAFile(t *testing.T) {
	a, path := open(t)
	b := openAt(t, path)
	const goroutines, calls = 4, 25
	var wg sync.WaitGroup
	errs := make([]error, 2*goroutines)
	for g := range 2 * goroutines {
		s := a
		if g%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for c := range calls {
				rec := store.AuditRecord{Flow: "products", Key: fmt.Sprintf("g%d-c%d", g, c)}
				if err := s.AppendAudit(t.Context(), []store.AuditRecord{rec, rec}); err != nil {
					errs[g] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	recs, err := b.Audit(t.Context(), store.AuditFilter{})
	must(t, err)
	const n = 2 * goroutines * calls * 2
	if len(recs) != n {
		t.Fatalf("Audit = %d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("Audit[%d].Seq = %d, want %d", i, r.Seq, i+1)
		}
		if i%2 == 1 && r.Key != recs[i-1].Key {
			t.Errorf("the two records of one call got Seqs %d and %d, apart", recs[i-1].Seq, r.Seq)
		}
	}
}

var (
	t0     = time.Date(2025, 3, 1, 9, 30, 0, 123456789, time.FixedZone("CET", 3600))
	bigFPs = []uint64{0, 1, math.MaxInt64, 1 << 63, 1<<63 + 12345, math.MaxUint64}
)

// TestUint64RoundTrip proves fingerprints and payload hashes of 2^63 and
// above come back exactly, and are stored as the int64 of the same bits.
func TestUint64RoundTrip(t *testing.T) {
	ctx := t.Context()
	s, _ := open(t)
	var states []store.ItemState
	var keys []string
	for i, fp := range bigFPs {
		k := fmt.Sprintf("SKU-%d", i)
		states = append(states, store.ItemState{Key: k, Found: true, Fingerprint: fp, Version: int64(i)})
		keys = append(keys, k)
		added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: k, PayloadHash: fp + 1})
		must(t, err)
		if !added {
			t.Errorf("AddInbox with hash %d: not added", fp+1)
		}
		r, err := s.BeginWrite(ctx, "orders", "1001", fp, "idem-"+k)
		must(t, err)
		if r.Fingerprint != fp || r.IdempotencyKey != "idem-"+k {
			t.Errorf("BeginWrite(%d) = %+v", fp, r)
		}
		must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: k, Before: fp, After: ^fp}}))
	}
	must(t, s.PutStates(ctx, "products", states))
	got, err := s.States(ctx, "products", keys)
	must(t, err)
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	if len(recs) != len(bigFPs) || len(evs) != len(bigFPs) {
		t.Fatalf("%d audit records, %d events; want %d", len(recs), len(evs), len(bigFPs))
	}
	for i, fp := range bigFPs {
		if got[i] != states[i] {
			t.Errorf("States[%d] = %+v, want %+v", i, got[i], states[i])
		}
		if recs[i].Before != fp || recs[i].After != ^fp {
			t.Errorf("Audit[%d] Before, After = %d, %d, want %d, %d", i, recs[i].Before, recs[i].After, fp, ^fp)
		}
		if evs[i].PayloadHash != fp+1 {
			t.Errorf("event %d PayloadHash = %d, want %d", i, evs[i].PayloadHash, fp+1)
		}
		// A hash that is 0 as a uint64 but wraps around from MaxUint64
		// deduplicates nothing; the others catch their redelivery.
		added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: fmt.Sprintf("again-%d", i), PayloadHash: fp + 1})
		must(t, err)
		if want := fp+1 == 0; added != want {
			t.Errorf("redelivery with hash %d: added = %v, want %v", fp+1, added, want)
		}
	}
	var raw int64
	must(t, s.DB().QueryRowContext(ctx, `SELECT fingerprint FROM kontor_item_states WHERE key = 'SKU-5'`).Scan(&raw))
	if raw != -1 {
		t.Errorf("MaxUint64 stored as %d, want the int64 of the same bits, -1", raw)
	}
}

// TestTimes proves times keep their nanoseconds, come back in UTC, a zero
// time stays zero, and a time the column cannot hold is a validation error
// naming the field, never stored wrong.
func TestTimes(t *testing.T) {
	ctx := t.Context()
	s, _ := open(t)
	must(t, s.SetCursor(ctx, "products", kontor.Cursor{Since: t0, Token: "t"}))
	c, err := s.Cursor(ctx, "products")
	must(t, err)
	if c.Since != t0.UTC() {
		t.Errorf("Cursor.Since = %v, want %v exactly, in UTC", c.Since, t0.UTC())
	}
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "A", UpdatedAt: t0}, {Key: "B"}}))
	got, err := s.States(ctx, "products", []string{"A", "B"})
	must(t, err)
	if got[0].UpdatedAt != t0.UTC() || !got[1].UpdatedAt.IsZero() {
		t.Errorf("UpdatedAt = %v, %v; want %v and the zero time", got[0].UpdatedAt, got[1].UpdatedAt, t0.UTC())
	}

	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	early := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, field string
		err         error
	}{
		{"SetCursor", "Since", s.SetCursor(ctx, "prices", kontor.Cursor{Since: far})},
		{"PutStates", "states[1].UpdatedAt", s.PutStates(ctx, "products", []store.ItemState{{Key: "C"}, {Key: "customer@example.com", UpdatedAt: early}})},
		{"PutLinks", "links[0].UpdatedAt", s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "C", UpdatedAt: far}})},
		{"AddInbox", "ReceivedAt", func() error {
			_, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1", ReceivedAt: far})
			return err
		}()},
		{"FinishWrite", "target.UpdatedAt", s.FinishWrite(ctx, "orders", "1", 1, store.WriteDone, kontor.Meta{UpdatedAt: far})},
		{"AddDeadLetter", "LastFailed", func() error {
			_, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1", LastFailed: far})
			return err
		}()},
		{"AppendAudit", "recs[0].At", s.AppendAudit(ctx, []store.AuditRecord{{Flow: "f", Key: "k", At: early}})},
	} {
		if !errors.Is(tc.err, kontor.ErrValidation) || !strings.Contains(fmt.Sprint(tc.err), tc.field+": ") {
			t.Errorf("%s with a time out of range: error %v, want a validation error naming %s", tc.name, tc.err, tc.field)
		}
		if strings.Contains(fmt.Sprint(tc.err), "customer@example.com") {
			t.Errorf("%s: error %q holds the item's key", tc.name, tc.err)
		}
	}
	if got, err := s.States(ctx, "products", []string{"C"}); err != nil || got[0].Found {
		t.Errorf("a rejected PutStates stored part of its batch: %+v, %v", got, err)
	}

	// Filters bounded by times the columns cannot hold keep their meaning.
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "f", Key: "k", At: t0}}))
	for _, tc := range []struct {
		since time.Time
		want  int
	}{{early, 1}, {far, 0}} {
		recs, err := s.Audit(ctx, store.AuditFilter{Since: tc.since})
		must(t, err)
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{Since: tc.since})
		must(t, err)
		if len(recs) != tc.want || len(dls) != 0 {
			t.Errorf("Audit since %v = %d records, want %d; dead letters %d, want 0", tc.since, len(recs), tc.want, len(dls))
		}
	}
}

// TestClock proves every time the store stamps comes from its clock.
func TestClock(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 8, 0, 0, 987654321, time.UTC)
	s, _ := open(t, sqlite.Clock(func() time.Time { return now }))
	must(t, s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1"}}))
	ls, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1"})
	must(t, err)
	_, err = s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1"})
	must(t, err)
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	w, err := s.BeginWrite(ctx, "orders", "1001", 1, "idem-1")
	must(t, err)
	dl, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
	must(t, err)
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "orders", Key: "1001"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	for name, got := range map[string]time.Time{
		"link UpdatedAt": ls[0].UpdatedAt, "event ReceivedAt": evs[0].ReceivedAt,
		"write CreatedAt": w.CreatedAt, "write UpdatedAt": w.UpdatedAt,
		"dead letter FirstFailed": dl.FirstFailed, "dead letter LastFailed": dl.LastFailed, "audit At": recs[0].At,
	} {
		if got != now {
			t.Errorf("%s = %v, want the clock's %v", name, got, now)
		}
	}
}

// TestKeysWithJSONBytes proves batch lookups, which pass keys as a JSON
// array, find keys with quotes, backslashes, control bytes, NUL and
// invalid UTF-8, and tell them from their look-alikes.
func TestKeysWithJSONBytes(t *testing.T) {
	ctx := t.Context()
	s, _ := open(t)
	keys := []string{`a"b`, `a\b`, `a\"b`, "a\nb", "a\x00b", "a\x1fb", "\xff\xfe", "Größe 🧥", `\u0041`, "[1]", ","}
	var states []store.ItemState
	var links []store.Link
	for i, k := range keys {
		states = append(states, store.ItemState{Key: k, Found: true, Fingerprint: uint64(i + 1)})
		links = append(links, store.Link{Entity: kontor.EntityProduct, Key: k, ERPKey: fmt.Sprintf("E%d", i)})
	}
	must(t, s.PutStates(ctx, "products", states))
	must(t, s.PutLinks(ctx, links))
	lookup := append(append([]string{}, keys...), "ab", "a", "A", "\ufffd\ufffd", "a\x00")
	got, err := s.States(ctx, "products", lookup)
	must(t, err)
	ls, err := s.Links(ctx, kontor.EntityProduct, lookup)
	must(t, err)
	for i, k := range lookup {
		found := i < len(keys)
		if got[i].Key != k || got[i].Found != found || (found && got[i].Fingerprint != uint64(i+1)) {
			t.Errorf("States[%d] (%q) = %+v, want found %v", i, k, got[i], found)
		}
		if ls[i].Key != k || ls[i].Found != found || (found && ls[i].ERPKey != fmt.Sprintf("E%d", i)) {
			t.Errorf("Links[%d] (%q) = %+v, want found %v", i, k, ls[i], found)
		}
	}
}

// TestOpenPathWithURICharacters proves a path is not taken for URI
// syntax: the file is created where the path says.
func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c=d#e%20f")
	must(t, os.Mkdir(dir, 0o755))
	path := filepath.Join(dir, "kontor 1.db")
	s := openAt(t, path)
	must(t, s.SetCursor(t.Context(), "products", kontor.Cursor{Token: "t"}))
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the file is not at the path given: %v", err)
	}
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "kontor 1.db") {
			t.Errorf("unexpected file %q beside the store", e.Name())
		}
	}
}

// TestSurvivesReopen proves what a store holds is in the file: every kind
// of state reads back after a close, and IDs and Seqs continue where they
// were, never reused.
func TestSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kontor.db")
	s := openAt(t, path)
	cursor := kontor.Cursor{Since: t0, Token: "page-7"}
	must(t, s.SetCursor(ctx, "products", cursor))
	states := []store.ItemState{
		{Key: "SKU-1", Found: true, Fingerprint: 1 << 63, Version: 3, UpdatedAt: t0.UTC()},
		{Key: "SKU-2", Found: true, Fingerprint: 2},
	}
	must(t, s.PutStates(ctx, "products", states))
	link := store.Link{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1", ShopKey: "S1", Found: true, UpdatedAt: t0.UTC()}
	must(t, s.PutLinks(ctx, []store.Link{link}))
	ev := store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 7, Topic: "orders/create", Entity: kontor.EntityOrder,
		Key: "1001", Payload: []byte(`{"id":1}`), ReceivedAt: t0.UTC()}
	if _, err := s.AddInbox(ctx, ev); err != nil {
		t.Fatal(err)
	}
	w, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-1")
	must(t, err)
	must(t, s.FinishWrite(ctx, "orders", "1001", 42, store.WriteDone, kontor.Meta{ERPKey: "SO-1", Version: 2, UpdatedAt: t0}))
	dl1, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Entity: kontor.EntityOrder, Key: "1002", Class: store.ClassMapping,
		Kind: kontor.KindValidation, Error: "unknown SKU", Payload: []byte("p"), Attempts: 2, MappingVersion: "v1", FirstFailed: t0, LastFailed: t0})
	must(t, err)
	dl2, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1003", LastFailed: t0})
	must(t, err)
	must(t, s.DeleteDeadLetter(ctx, dl2.ID)) // the newest: its ID must stay used
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Entity: kontor.EntityProduct, Key: "SKU-1", Target: kontor.SideShop,
		Op: store.OpCreate, After: 1 << 63, Outcome: kontor.Created, At: t0}}))
	closeStore(t, s)

	s = openAt(t, path)
	if c, err := s.Cursor(ctx, "products"); err != nil || c.Token != cursor.Token || !c.Since.Equal(cursor.Since) {
		t.Errorf("Cursor after reopen = %+v, %v; want %+v", c, err, cursor)
	}
	got, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2"})
	must(t, err)
	if got[0] != states[0] || got[1] != states[1] {
		t.Errorf("States after reopen = %+v, want %+v", got, states)
	}
	if ls, err := s.Links(ctx, kontor.EntityProduct, []string{"SKU-1"}); err != nil || ls[0] != link {
		t.Errorf("Links after reopen = %+v, %v; want %+v", ls, err, link)
	}
	if l, err := s.LinkByRemote(ctx, kontor.EntityProduct, kontor.SideShop, "S1"); err != nil || l != link {
		t.Errorf("LinkByRemote after reopen = %+v, %v; want %+v", l, err, link)
	}
	evs, err := s.PendingInbox(ctx, 0)
	must(t, err)
	if len(evs) != 1 || evs[0].ID != ev.ID || string(evs[0].Payload) != string(ev.Payload) || evs[0].ReceivedAt != ev.ReceivedAt || evs[0].PayloadHash != 7 {
		t.Errorf("PendingInbox after reopen = %+v, want %+v", evs, ev)
	}
	if added, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-2", PayloadHash: 7}); err != nil || added {
		t.Errorf("a redelivery after reopen: added %v, %v; want a duplicate", added, err)
	}
	r, err := s.BeginWrite(ctx, "orders", "1001", 42, "idem-2")
	must(t, err)
	if r.IdempotencyKey != "idem-1" || r.State != store.WriteDone || r.Target.ERPKey != "SO-1" || r.Target.Version != 2 ||
		!r.Target.UpdatedAt.Equal(t0) || !r.CreatedAt.Equal(w.CreatedAt) {
		t.Errorf("write record after reopen = %+v, want the first key, done, with its target", r)
	}
	dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
	must(t, err)
	if len(dls) != 1 || dls[0].ID != dl1.ID || dls[0].Attempts != 2 || dls[0].Kind != kontor.KindValidation ||
		dls[0].Class != store.ClassMapping || dls[0].MappingVersion != "v1" || string(dls[0].Payload) != "p" || !dls[0].FirstFailed.Equal(t0) {
		t.Errorf("DeadLetters after reopen = %+v, want %+v", dls, dl1)
	}
	dl3, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1003"})
	must(t, err)
	if dl3.ID <= dl2.ID {
		t.Errorf("dead letter after reopen got ID %d, want above the deleted %d", dl3.ID, dl2.ID)
	}
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-2"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if len(recs) != 2 || recs[0].Seq != 1 || recs[1].Seq != 2 || recs[0].After != 1<<63 || !recs[0].At.Equal(t0) || recs[0].Outcome != kontor.Created {
		t.Errorf("Audit after reopen = %+v, want Seqs 1 and 2", recs)
	}
}

// writeEverything calls every writing method once and returns their
// errors by name.
func writeEverything(ctx context.Context, s store.Store) map[string]error {
	errs := map[string]error{
		"SetCursor":        s.SetCursor(ctx, "products", kontor.Cursor{Token: "new"}),
		"PutStates":        s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-9", Fingerprint: 9}}),
		"PutLinks":         s.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-9", ERPKey: "E9"}}),
		"MarkInboxDone":    s.MarkInboxDone(ctx, "shopify", "d-1"),
		"FinishWrite":      s.FinishWrite(ctx, "orders", "1001", 42, store.WriteDone, kontor.Meta{}),
		"DeleteDeadLetter": s.DeleteDeadLetter(ctx, 1),
		"AppendAudit":      s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-9"}}),
	}
	_, errs["AddInbox"] = s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-9"})
	_, errs["BeginWrite"] = s.BeginWrite(ctx, "orders", "1009", 1, "idem-9")
	_, errs["AddDeadLetter"] = s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1009"})
	return errs
}

// seed gives s one record of every kind.
func seed(t testing.TB, s store.Store) {
	t.Helper()
	ctx := t.Context()
	must(t, s.SetCursor(ctx, "products", kontor.Cursor{Token: "old"}))
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
	_, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1"})
	must(t, err)
	_, err = s.BeginWrite(ctx, "orders", "1001", 42, "idem-1")
	must(t, err)
	_, err = s.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
	must(t, err)
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}))
}

// TestReadOnly proves a read-only store reads what a writer wrote, also
// while the writer has it open, and that every write fails with
// ErrReadOnly and changes nothing.
func TestReadOnly(t *testing.T) {
	ctx := t.Context()
	w, path := open(t)
	seed(t, w)
	ro := openAt(t, path, sqlite.ReadOnly())
	for name, err := range writeEverything(ctx, ro) {
		if !errors.Is(err, sqlite.ErrReadOnly) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s on a read-only store: error %v, want one matching ErrReadOnly and naming %s", name, err, name)
		}
	}
	c, err := ro.Cursor(ctx, "products")
	must(t, err)
	recs, err := ro.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if c.Token != "old" || len(recs) != 1 {
		t.Errorf("after refused writes: cursor %+v, %d audit records; want the old cursor and 1 record", c, len(recs))
	}
	// The writer goes on; the reader sees its commits.
	must(t, w.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-2"}}))
	if recs, err = ro.Audit(ctx, store.AuditFilter{}); err != nil || len(recs) != 2 {
		t.Errorf("read-only Audit after the writer appended = %d records, %v; want 2", len(recs), err)
	}

	missing := filepath.Join(t.TempDir(), "missing.db")
	if _, err := sqlite.Open(ctx, missing, sqlite.ReadOnly()); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("read-only Open of a missing file: error %v, want one naming the path", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only Open created the file: %v", err)
	}
}

// TestOpenBadFiles proves a file that is no database, or a damaged one,
// fails Open with ErrCorrupt and an error naming the path, without a
// panic; so does a path under a regular file.
func TestOpenBadFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid.db")
	s := openAt(t, valid)
	states := make([]store.ItemState, 5000)
	for i := range states {
		states[i] = store.ItemState{Key: fmt.Sprintf("SKU-%05d", i), Fingerprint: uint64(i)}
	}
	must(t, s.PutStates(ctx, "products", states))
	closeStore(t, s)
	data, err := os.ReadFile(valid)
	must(t, err)
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(i*131 + 7)
	}
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"garbage", garbage},
		{"zeros", make([]byte, 4096)},
		{"a text file", []byte("SKU;title\nSKU-1;Shirt\n")},
		{"a database cut in half", data[:len(data)/2]},
		{"a database's header alone", data[:100]},
	} {
		path := filepath.Join(dir, tc.name+".db")
		must(t, os.WriteFile(path, tc.data, 0o600))
		s, err := sqlite.Open(ctx, path)
		if err == nil {
			closeStore(t, s)
			t.Errorf("Open of %s: no error", tc.name)
			continue
		}
		if !errors.Is(err, sqlite.ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Errorf("Open of %s: error %v, want one matching ErrCorrupt and naming %s", tc.name, err, path)
		}
	}

	underFile := filepath.Join(dir, "garbage.db", "kontor.db")
	if _, err := sqlite.Open(ctx, underFile); err == nil || !strings.Contains(err.Error(), underFile) {
		t.Errorf("Open under a regular file: error %v, want one naming %s", err, underFile)
	}
	if _, err := sqlite.Open(ctx, ""); err == nil {
		t.Error("Open of an empty path: no error")
	}
}

// limitPages makes the writer's file full at its current size plus extra
// pages, as a full disk would: writes that need more fail with
// SQLITE_FULL.
func limitPages(t testing.TB, s *sqlite.Store, extra int) {
	t.Helper()
	var pages int
	must(t, s.DB().QueryRowContext(t.Context(), "PRAGMA page_count").Scan(&pages))
	var limit int
	must(t, s.DB().QueryRowContext(t.Context(), fmt.Sprintf("PRAGMA max_page_count = %d", pages+extra)).Scan(&limit))
	if limit != pages+extra {
		t.Fatalf("max_page_count = %d, want %d", limit, pages+extra)
	}
}

// TestDiskFull proves a write that fills the disk fails with ErrFull and
// stores nothing of its batch, that audit Seqs stay gapless across it, and
// that the store stays usable: reads at once, writes when there is room.
func TestDiskFull(t *testing.T) {
	ctx := t.Context()
	s, _ := open(t)
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-0"}}))
	limitPages(t, s, 4)

	pad := strings.Repeat("x", 200)
	states := make([]store.ItemState, 1000)
	keys := make([]string, len(states))
	recs := make([]store.AuditRecord, len(states))
	for i := range states {
		keys[i] = fmt.Sprintf("SKU-%04d-%s", i, pad)
		states[i] = store.ItemState{Key: keys[i], Fingerprint: uint64(i) + 1}
		recs[i] = store.AuditRecord{Flow: "products", Key: keys[i], Error: pad}
	}
	err := s.PutStates(ctx, "products", states)
	if !errors.Is(err, sqlite.ErrFull) || !strings.Contains(err.Error(), "PutStates") {
		t.Fatalf("PutStates on a full disk: error %v, want one matching ErrFull and naming PutStates", err)
	}
	if err := s.AppendAudit(ctx, recs); !errors.Is(err, sqlite.ErrFull) {
		t.Fatalf("AppendAudit on a full disk: error %v, want one matching ErrFull", err)
	}
	got, err := s.States(ctx, "products", keys)
	must(t, err)
	for i := range got {
		if got[i].Found {
			t.Fatalf("States[%d] found after a PutStates that failed: a batch must be stored whole or not at all", i)
		}
	}
	// The store is usable: small writes fit, and the audit trail goes on
	// with no gap where the failed batch was.
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}}))
	must(t, s.PutStates(ctx, "products", states[:1]))

	limitPages(t, s, 1<<20) // space freed
	must(t, s.PutStates(ctx, "products", states))
	must(t, s.AppendAudit(ctx, recs[:2]))
	got, err = s.States(ctx, "products", keys)
	must(t, err)
	for i := range got {
		if !got[i].Found || got[i].Fingerprint != uint64(i)+1 {
			t.Fatalf("States[%d] = %+v after the retry, want found", i, got[i])
		}
	}
	all, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if len(all) != 4 {
		t.Fatalf("Audit = %d records, want 4", len(all))
	}
	for i, r := range all {
		if r.Seq != int64(i+1) {
			t.Errorf("Audit[%d].Seq = %d, want %d: the failed batch left a gap", i, r.Seq, i+1)
		}
	}
}

// TestSchemaTooNew proves a file written by a newer version is refused,
// with both versions in the error.
func TestSchemaTooNew(t *testing.T) {
	s, path := open(t)
	_, err := s.DB().ExecContext(t.Context(), `UPDATE kontor_schema SET version = 99`)
	must(t, err)
	closeStore(t, s)
	for _, opts := range [][]sqlite.Option{nil, {sqlite.ReadOnly()}} {
		s, err := sqlite.Open(t.Context(), path, opts...)
		if err == nil {
			closeStore(t, s)
			t.Fatal("Open of a newer schema: no error")
		}
		if !errors.Is(err, sqlite.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 99") ||
			!strings.Contains(err.Error(), "up to 2") || !strings.Contains(err.Error(), path) {
			t.Errorf("Open of a newer schema: error %q, want ErrSchemaTooNew naming the path, version 99 and 2", err)
		}
	}
}

// TestCancelledMidBatch proves a batch whose context ends while it is
// written is not stored in part, and the store goes on.
func TestCancelledMidBatch(t *testing.T) {
	s, _ := open(t)
	states := make([]store.ItemState, 20_000)
	keys := make([]string, len(states))
	for i := range states {
		keys[i] = fmt.Sprintf("SKU-%05d", i)
		states[i] = store.ItemState{Key: keys[i], Fingerprint: 1}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Millisecond)
	defer cancel()
	err := s.PutStates(ctx, "products", states)
	t.Logf("PutStates of %d states with a 5 ms deadline: %v", len(states), err)
	got, gerr := s.States(t.Context(), "products", keys)
	must(t, gerr)
	found := 0
	for _, st := range got {
		if st.Found {
			found++
		}
	}
	switch {
	case err == nil && found != len(states):
		t.Errorf("PutStates succeeded but %d of %d states are stored", found, len(states))
	case err != nil && found != 0:
		t.Errorf("PutStates failed (%v) but %d states are stored", err, found)
	case err != nil && !errors.Is(err, context.DeadlineExceeded):
		t.Errorf("PutStates cut by its deadline: error %v, want one matching context.DeadlineExceeded", err)
	}
	must(t, s.PutStates(t.Context(), "products", states[:10]))
}
