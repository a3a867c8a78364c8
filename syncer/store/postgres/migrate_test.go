package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
)

// withMigrations replaces the package's migration steps, so a test can add
// a step that counts its runs or one that fails.
func withMigrations(steps []migration) Option {
	return func(c *config) error {
		c.migrations = steps
		return nil
	}
}

// admin connects to dsn for the test's own SQL.
func admin(t testing.TB, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func execSQL(t testing.TB, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(t.Context(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// versions returns the versions recorded in schema, in order.
func versions(t testing.TB, conn *pgx.Conn, schema string) []int {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT version FROM "+pgx.Identifier{schema, "kontor_schema_version"}.Sanitize()+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

// tables returns the tables in schema, sorted.
func tables(t testing.TB, conn *pgx.Conn, schema string) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(), "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// allVersions returns the versions of the package's migrations.
func allVersions() []int {
	vs := make([]int, len(migrations))
	for i, m := range migrations {
		vs[i] = m.version
	}
	return vs
}

var wantTables = []string{
	"kontor_audit", "kontor_audit_counter", "kontor_cursors", "kontor_dead_letters", "kontor_inbox",
	"kontor_links", "kontor_schema_version", "kontor_states", "kontor_writes",
}

func TestMigrateFreshAndReopen(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	conn := admin(t, dsn)
	s := openStore(t, dsn, schema)
	if got := versions(t, conn, schema); !slices.Equal(got, allVersions()) {
		t.Fatalf("versions after the first Open = %v, want %v", got, allVersions())
	}
	if got := tables(t, conn, schema); !slices.Equal(got, wantTables) {
		t.Errorf("tables = %v, want %v", got, wantTables)
	}
	var applied time.Time
	if err := conn.QueryRow(t.Context(), "SELECT max(applied_at) FROM "+pgx.Identifier{schema}.Sanitize()+".kontor_schema_version").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	must(t, s.PutStates(t.Context(), "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
	s.Close()

	// Reopening migrates nothing and keeps the data.
	s2 := openStore(t, dsn, schema)
	if got := versions(t, conn, schema); !slices.Equal(got, allVersions()) {
		t.Errorf("versions after a reopen = %v, want %v", got, allVersions())
	}
	var again time.Time
	if err := conn.QueryRow(t.Context(), "SELECT max(applied_at) FROM "+pgx.Identifier{schema}.Sanitize()+".kontor_schema_version").Scan(&again); err != nil {
		t.Fatal(err)
	}
	if !again.Equal(applied) {
		t.Errorf("last version applied at %v, then again at %v: a reopen migrated", applied, again)
	}
	st, err := s2.States(t.Context(), "products", []string{"SKU-1"})
	must(t, err)
	if !st[0].Found || st[0].Fingerprint != 1 {
		t.Errorf("state after a reopen = %+v, want fingerprint 1", st[0])
	}
}

func TestMigrateCreatesSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.SchemaName(t) // not created
	conn := admin(t, dsn)
	s := openStore(t, dsn, schema)
	if s.SchemaName() != schema {
		t.Errorf("SchemaName = %q, want %q", s.SchemaName(), schema)
	}
	if got := tables(t, conn, schema); !slices.Equal(got, wantTables) {
		t.Errorf("tables of the schema Open created = %v, want %v", got, wantTables)
	}
}

func TestMigrateDefaultSchemaIsCurrent(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Skipf("the DSN is not a URL, so the test cannot add a search_path: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := Open(t.Context(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.SchemaName() != schema {
		t.Errorf("SchemaName without the Schema option = %q, want the connection's current schema %q", s.SchemaName(), schema)
	}
	if got := tables(t, admin(t, dsn), schema); !slices.Equal(got, wantTables) {
		t.Errorf("tables = %v, want %v", got, wantTables)
	}

	// No schema on the search_path: Open says so.
	q.Set("search_path", "kontor_no_such_schema_here")
	u.RawQuery = q.Encode()
	if s, err := Open(t.Context(), u.String()); err == nil || !strings.Contains(err.Error(), "search_path") {
		if s != nil {
			s.Close()
		}
		t.Errorf("Open with no existing schema on the search_path: error %v, want one that names the search_path", err)
	}
}

func TestMigrateConcurrentOpens(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	conn := admin(t, dsn)
	// A second step that records each run and takes its time, so openers
	// that did not wait for each other would overlap in it.
	steps := append(slices.Clone(migrations[:1]), migration{version: 2, sql: `
		CREATE TABLE IF NOT EXISTS kontor_test_runs (n int);
		INSERT INTO kontor_test_runs VALUES (1);
		SELECT pg_sleep(0.1);`})
	const openers = 5
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		stores [openers]*Store
		errs   [openers]error
	)
	for i := range openers {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn, Schema(schema), withMigrations(steps))
		})
	}
	close(start)
	wg.Wait()
	for i := range openers {
		if errs[i] != nil {
			t.Errorf("Open %d of %d concurrent: %v", i, openers, errs[i])
			continue
		}
		stores[i].Close()
	}
	if got := versions(t, conn, schema); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("versions after %d concurrent opens = %v, want [1 2]", openers, got)
	}
	var runs int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM "+pgx.Identifier{schema}.Sanitize()+".kontor_test_runs").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Errorf("step 2 ran %d times under %d concurrent opens, want once", runs, openers)
	}
}

func TestMigrateRefusesNewerSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	conn := admin(t, dsn)
	openStore(t, dsn, schema).Close()
	execSQL(t, conn, "INSERT INTO "+pgx.Identifier{schema}.Sanitize()+".kontor_schema_version (version) VALUES (7)")

	s, err := Open(t.Context(), dsn, Schema(schema))
	if err == nil {
		s.Close()
		t.Fatal("Open of a schema at version 7 succeeded, want ErrSchemaTooNew")
	}
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("error %v does not match ErrSchemaTooNew", err)
	}
	for _, want := range []string{"version 7", fmt.Sprintf("up to %d", len(migrations))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if want := append(allVersions(), 7); !slices.Equal(versions(t, conn, schema), want) {
		t.Errorf("versions after a refused Open = %v, want %v untouched", versions(t, conn, schema), want)
	}
}

func TestMigrateFailingStepLeavesPreviousVersion(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	conn := admin(t, dsn)
	broken := append(slices.Clone(migrations[:1]), migration{version: 2, sql: `
		CREATE TABLE kontor_half (n int);
		INSERT INTO kontor_half VALUES (1);
		SELECT 1/0;`})
	s, err := Open(t.Context(), dsn, Schema(schema), withMigrations(broken))
	if err == nil {
		s.Close()
		t.Fatal("Open with a failing step succeeded")
	}
	if !strings.Contains(err.Error(), "version 2") {
		t.Errorf("error %q does not name the failing version 2", err)
	}
	if got := versions(t, conn, schema); !slices.Equal(got, []int{1}) {
		t.Errorf("versions after step 2 failed = %v, want [1]", got)
	}
	if got := tables(t, conn, schema); slices.Contains(got, "kontor_half") {
		t.Errorf("the failing step left its table: %v", got)
	}
	// The store at version 1 still opens and works.
	s = openStore(t, dsn, schema, withMigrations(migrations[:1]))
	must(t, s.SetCursor(t.Context(), "products", kontor.Cursor{Token: "after"}))
}

func TestMigrateFailingFirstStepLeavesNoSchema(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.SchemaName(t)
	conn := admin(t, dsn)
	_, err := Open(t.Context(), dsn, Schema(schema), withMigrations([]migration{{version: 1, sql: "CREATE TABLE kontor_x (n int); SELECT 1/0"}}))
	if err == nil {
		t.Fatal("Open with a failing first step succeeded")
	}
	var exists bool
	if err := conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("schema %s exists after its first step failed, want nothing created", schema)
	}
}

func TestMigrateStepsNumberedInOrder(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	_, err := Open(t.Context(), dsn, Schema(pgtest.SchemaName(t)), withMigrations([]migration{{version: 2, sql: "SELECT 1"}}))
	if err == nil || !strings.Contains(err.Error(), "has version 2, want 1") {
		t.Errorf("Open with a step numbered 2 first: error %v, want one naming the numbering", err)
	}
}
