package sqlite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// withMigrations replaces the schema steps, to test migrating.
func withMigrations(steps ...string) Option { return func(c *config) { c.migrations = steps } }

// Test steps on top of the real ones.
var (
	stepAddNotes = `CREATE TABLE kontor_test_notes (note TEXT NOT NULL) STRICT;
		INSERT INTO kontor_test_notes (note) VALUES ('added by step 2')`
	stepBroken = `CREATE TABLE kontor_test_half (x INTEGER) STRICT;
		INSERT INTO kontor_test_notes (note) VALUES ('added by step 3');
		INSERT INTO kontor_test_no_such_table VALUES (1)`
)

func openTest(t *testing.T, path string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func schemaVersion(t *testing.T, s *Store) int {
	t.Helper()
	v, err := version(t.Context(), s.w)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func tableExists(t *testing.T, s *Store, name string) bool {
	t.Helper()
	var n int
	if err := s.w.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.w.QueryRowContext(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestMigrateFresh proves a new file gets every step and the newest
// version, and that reopening it writes nothing to the file.
func TestMigrateFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kontor.db")
	s := openTest(t, path)
	if v := schemaVersion(t, s); v != len(migrations) {
		t.Errorf("schema version of a new file = %d, want %d", v, len(migrations))
	}
	for _, table := range []string{"kontor_schema", "kontor_cursors", "kontor_item_states", "kontor_links", "kontor_inbox",
		"kontor_write_records", "kontor_dead_letters", "kontor_audit"} {
		if !tableExists(t, s, table) {
			t.Errorf("table %s missing", table)
		}
	}
	if n := count(t, s, "kontor_schema"); n != 1 {
		t.Errorf("kontor_schema has %d rows, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path)
	if v := schemaVersion(t, s); v != len(migrations) {
		t.Errorf("schema version after reopen = %d, want %d", v, len(migrations))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("reopening a current file changed it: migrations must be a no-op then")
	}
}

// TestMigrateUpgrade proves a file at an older version gets the missing
// steps, once, and keeps its data.
func TestMigrateUpgrade(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kontor.db")
	s := openTest(t, path, withMigrations(migrations[0]))
	if err := s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 7}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second open finds nothing to do
		s = openTest(t, path, withMigrations(migrations[0], stepAddNotes))
		if v := schemaVersion(t, s); v != 2 {
			t.Errorf("schema version after upgrade = %d, want 2", v)
		}
		if n := count(t, s, "kontor_test_notes"); n != 1 {
			t.Errorf("step 2 ran %d times, want once", n)
		}
		got, err := s.States(ctx, "products", []string{"SKU-1"})
		if err != nil || !got[0].Found || got[0].Fingerprint != 7 {
			t.Errorf("state after upgrade = %+v, %v; want fingerprint 7", got, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrateFailedStep proves a step that fails leaves nothing of itself
// and the file at the version before it, usable by code of that version,
// and that Open says which step failed.
func TestMigrateFailedStep(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kontor.db")
	s := openTest(t, path, withMigrations(migrations[0], stepAddNotes))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, path, withMigrations(migrations[0], stepAddNotes, stepBroken))
	if err == nil || !strings.Contains(err.Error(), "schema migration 2 to 3") || !strings.Contains(err.Error(), "kontor_test_no_such_table") ||
		!strings.Contains(err.Error(), path) {
		t.Fatalf("Open with a broken step: error %v, want one naming the path, step 2 to 3 and its cause", err)
	}
	s = openTest(t, path, withMigrations(migrations[0], stepAddNotes))
	defer s.Close()
	if v := schemaVersion(t, s); v != 2 {
		t.Errorf("schema version after a failed step = %d, want 2", v)
	}
	if tableExists(t, s, "kontor_test_half") {
		t.Error("the failed step's table exists: a step must apply whole or not at all")
	}
	if n := count(t, s, "kontor_test_notes"); n != 1 {
		t.Errorf("kontor_test_notes has %d rows, want the 1 of step 2", n)
	}
	if err := s.SetCursor(ctx, "products", kontor.Cursor{Token: "t"}); err != nil {
		t.Errorf("the store at version 2 is not usable: %v", err)
	}
}

// TestMigrateTooNew proves a file newer than the code is refused by a
// read-write and a read-only open, naming both versions, and is left
// untouched; a read-only open of an older file asks for a migration.
func TestMigrateTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kontor.db")
	s := openTest(t, path, withMigrations(migrations[0], stepAddNotes))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, opts := range [][]Option{{withMigrations(migrations[0])}, {withMigrations(migrations[0]), ReadOnly()}} {
		_, err := Open(t.Context(), path, opts...)
		if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), "schema version 2, this code knows versions up to 1") {
			t.Errorf("Open of a newer file: error %v, want ErrSchemaTooNew with versions 2 and 1", err)
		}
	}
	_, err := Open(t.Context(), path, withMigrations(migrations[0], stepAddNotes, stepAddNotes), ReadOnly())
	if !errors.Is(err, ErrSchemaTooOld) || !strings.Contains(err.Error(), "schema version 2, this code needs 3") {
		t.Errorf("read-only Open of an older file: error %v, want ErrSchemaTooOld with versions 2 and 3", err)
	}
	s = openTest(t, path, withMigrations(migrations[0], stepAddNotes))
	defer s.Close()
	if v := schemaVersion(t, s); v != 2 {
		t.Errorf("schema version after refused opens = %d, want 2", v)
	}
}

// TestMigrateConcurrentOpens proves opens of a new file at once, as
// processes starting together, all succeed and apply each step once:
// turning the file to WAL takes it exclusively, which SQLite reports as
// busy at once rather than wait.
func TestMigrateConcurrentOpens(t *testing.T) {
	const rounds, opens = 5, 3
	steps := withMigrations(migrations[0], stepAddNotes)
	for range rounds {
		path := filepath.Join(t.TempDir(), "kontor.db")
		var wg sync.WaitGroup
		stores := make([]*Store, opens)
		errs := make([]error, opens)
		for i := range opens {
			wg.Go(func() { stores[i], errs[i] = Open(context.Background(), path, steps) })
		}
		wg.Wait()
		for i := range opens {
			if errs[i] != nil {
				t.Errorf("open %d of %d at once: %v", i, opens, errs[i])
				continue
			}
			if n := count(t, stores[i], "kontor_test_notes"); n != 1 {
				t.Errorf("step 2 ran %d times, want once", n)
			}
			if err := stores[i].Close(); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestMigrateRedactIndexes proves a file of version 1 gets the indexes of
// step 2, that Redact's statements use them, and that Redact erases what
// the file held before the upgrade.
func TestMigrateRedactIndexes(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kontor.db")
	const email = "canary-redact@example.com"
	s := openTest(t, path, withMigrations(migrations[0]))
	if _, err := s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 9, Entity: kontor.EntityCustomer, Key: email, Payload: []byte(email)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: kontor.EntityCustomer, Key: email, Payload: []byte(email)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, path)
	defer s.Close()
	if v := schemaVersion(t, s); v != len(migrations) {
		t.Errorf("schema version after upgrade = %d, want %d", v, len(migrations))
	}
	args := []any{string(kontor.EntityCustomer), jsonStrings([]string{email})}
	for _, tc := range []struct{ stmt, index string }{
		{sqlRedactInbox, "kontor_inbox_entity_key"},
		{sqlRedactDeadLetters, "kontor_dead_letters_entity_key"},
		{sqlRedactAuditRows, "kontor_audit_key"},
	} {
		rows, err := s.w.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tc.stmt, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, tc.index) {
			t.Errorf("plan of %q = %q, want it to use %s", tc.stmt, p, tc.index)
		}
	}
	c, err := s.Redact(ctx, kontor.EntityCustomer, []string{email})
	if err != nil || c != (store.RedactCounts{DeadLetters: 1, InboxEvents: 1}) {
		t.Errorf("Redact after upgrade = %+v, %v; want 1 dead letter and 1 event", c, err)
	}
}
