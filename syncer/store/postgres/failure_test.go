package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
)

// closedPort returns a local TCP address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// These tests are not parallel: they check that no goroutine outlives a
// failed Open, which only holds while no other test starts any.

func TestOpenUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dsn := fmt.Sprintf("postgres://kontor@%s/test?sslmode=disable&connect_timeout=2", closedPort(t))
	start := time.Now()
	s, err := Open(t.Context(), dsn, Schema("kontor"))
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("Open of an unreachable server succeeded")
	}
	if elapsed > 3*time.Second {
		t.Errorf("Open of an unreachable server took %v, want at most the 2 s connect timeout", elapsed)
	}
	if !errors.Is(err, kontor.ErrRetryable) {
		t.Errorf("error %v does not match kontor.ErrRetryable: a server that is down may come back", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "postgres store") || !strings.Contains(msg, "connect") {
		t.Errorf("error %q does not say the store failed to connect", msg)
	}
}

// TestOpenHungServer: a server that accepts the connection and then says
// nothing, so only the caller's deadline ends Open.
func TestOpenHungServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	defer func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	}()

	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	dsn := fmt.Sprintf("postgres://kontor@%s/test?sslmode=disable&connect_timeout=30", l.Addr())
	start := time.Now()
	s, err := Open(ctx, dsn, Schema("kontor"))
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("Open of a server that never answers succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not match context.DeadlineExceeded", err)
	}
	if elapsed > 3*time.Second {
		t.Errorf("Open took %v with a 1 s deadline", elapsed)
	}
}

func TestOpenBadDSN(t *testing.T) {
	s, err := Open(t.Context(), "postgres://kontor:secret@127.0.0.1:5432/test?sslmode=nonsense")
	if err == nil {
		s.Close()
		t.Fatal("Open of a malformed DSN succeeded")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestOptionsRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  Option
	}{
		{"empty schema", Schema("")},
		{"long schema", Schema(strings.Repeat("s", 64))},
		{"NUL in schema", Schema("a\x00b")},
		{"nil clock", Clock(nil)},
	} {
		s, err := Open(t.Context(), "postgres://kontor@127.0.0.1:1/test", tc.opt)
		if err == nil {
			s.Close()
		}
		if !errors.Is(err, kontor.ErrValidation) {
			t.Errorf("%s: error %v, want one matching kontor.ErrValidation before any connection", tc.name, err)
		}
	}
	if _, err := New(t.Context(), nil); !errors.Is(err, kontor.ErrValidation) {
		t.Errorf("New(nil pool): error %v, want kontor.ErrValidation", err)
	}
}

// failOn adds a CHECK constraint to table that fails rows whose key is
// "BAD", the way a full disk or a broken row fails one row of a batch.
func failOn(t *testing.T, conn *pgx.Conn, schema, table string) {
	t.Helper()
	execSQL(t, conn, "ALTER TABLE "+pgx.Identifier{schema, table}.Sanitize()+" ADD CONSTRAINT kontor_test_bad CHECK (key <> 'BAD')")
}

func TestWriteFailingMidBatchStoresNothing(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	s := openStore(t, dsn, schema)
	conn := admin(t, dsn)
	ctx := t.Context()
	p := kontor.EntityProduct

	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-1", Fingerprint: 1}}))
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-OLD", ERPKey: "E1", ShopKey: "S1"}}))
	for _, table := range []string{"kontor_states", "kontor_links", "kontor_audit"} {
		failOn(t, conn, schema, table)
	}

	err := s.PutStates(ctx, "products", []store.ItemState{
		{Key: "SKU-1", Fingerprint: 2}, {Key: "SKU-2", Fingerprint: 2}, {Key: "BAD", Fingerprint: 2}, {Key: "SKU-3", Fingerprint: 2},
	})
	if err == nil {
		t.Fatal("PutStates of a batch with a failing row succeeded")
	}
	if strings.Contains(err.Error(), "SKU-") {
		t.Errorf("error %q holds a key", err)
	}
	st, err := s.States(ctx, "products", []string{"SKU-1", "SKU-2", "BAD", "SKU-3"})
	must(t, err)
	if !st[0].Found || st[0].Fingerprint != 1 || st[1].Found || st[2].Found || st[3].Found {
		t.Errorf("states after a failed batch = %+v, want SKU-1 unchanged at fingerprint 1 and nothing else", st)
	}

	// A link batch that moves E1 and then fails leaves E1 where it was.
	if err := s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-NEW", ERPKey: "E1"}, {Entity: p, Key: "BAD", ShopKey: "S9"}}); err == nil {
		t.Fatal("PutLinks of a batch with a failing row succeeded")
	}
	l, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E1")
	must(t, err)
	if l.Key != "SKU-OLD" || l.ShopKey != "S1" {
		t.Errorf("link of E1 after a failed batch = %+v, want SKU-OLD still holding E1 and S1", l)
	}
	ls, err := s.Links(ctx, p, []string{"SKU-NEW", "BAD"})
	must(t, err)
	if ls[0].Found || ls[1].Found {
		t.Errorf("links after a failed batch = %+v, want none", ls)
	}

	// A failed append takes no Seqs: the next one starts at 1.
	if err := s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-1"}, {Flow: "products", Key: "BAD"}}); err == nil {
		t.Fatal("AppendAudit of a batch with a failing record succeeded")
	}
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "SKU-2"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if len(recs) != 1 || recs[0].Seq != 1 || recs[0].Key != "SKU-2" {
		t.Errorf("audit after a failed and a good append = %+v, want SKU-2 alone at Seq 1", recs)
	}

	// The store goes on working.
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-2", Fingerprint: 3}}))
	must(t, s.PutLinks(ctx, []store.Link{{Entity: p, Key: "SKU-NEW", ERPKey: "E1"}}))
	if l, err := s.LinkByRemote(ctx, p, kontor.SideERP, "E1"); err != nil || l.Key != "SKU-NEW" {
		t.Errorf("LinkByRemote(E1) after a good batch = %+v, %v; want SKU-NEW", l, err)
	}
}

func TestCancelMidCallStoresNothing(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	s := openStore(t, dsn, schema)
	conn := admin(t, dsn)
	q := pgx.Identifier{schema}.Sanitize()
	// A row that takes ten seconds to insert: the call's deadline ends it
	// in the middle of its batch.
	execSQL(t, conn, "CREATE FUNCTION "+q+`.kontor_test_slow() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.key = 'SLOW' THEN PERFORM pg_sleep(10); END IF;
			RETURN NEW;
		END $$`)
	for _, table := range []string{"kontor_states", "kontor_audit"} {
		execSQL(t, conn, "CREATE TRIGGER kontor_test_slow BEFORE INSERT ON "+q+"."+table+" FOR EACH ROW EXECUTE FUNCTION "+q+".kontor_test_slow()")
	}

	for _, tc := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"PutStates", func(ctx context.Context) error {
			return s.PutStates(ctx, "products", []store.ItemState{{Key: "A", Fingerprint: 1}, {Key: "SLOW", Fingerprint: 1}, {Key: "Z", Fingerprint: 1}})
		}},
		{"AppendAudit", func(ctx context.Context) error {
			return s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "A"}, {Flow: "products", Key: "SLOW"}})
		}},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		start := time.Now()
		err := tc.call(ctx)
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s past its deadline: error %v, want context.DeadlineExceeded", tc.name, err)
		}
		if elapsed > 3*time.Second {
			t.Errorf("%s returned %v after a 300 ms deadline", tc.name, elapsed)
		}
	}

	// The server cancelled the statements rather than running them on to
	// commit when they woke.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var running int
		if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()", schema).Scan(&running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statements still run on the server 5 s after their callers gave up", running)
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx := t.Context()
	st, err := s.States(ctx, "products", []string{"A", "SLOW", "Z"})
	must(t, err)
	for _, x := range st {
		if x.Found {
			t.Errorf("state %s stored by a cancelled PutStates", x.Key)
		}
	}
	// The store goes on working, and the cancelled append took no Seqs.
	must(t, s.PutStates(ctx, "products", []store.ItemState{{Key: "A", Fingerprint: 2}}))
	must(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "products", Key: "A"}}))
	recs, err := s.Audit(ctx, store.AuditFilter{})
	must(t, err)
	if len(recs) != 1 || recs[0].Seq != 1 {
		t.Errorf("audit after a cancelled and a good append = %+v, want one record at Seq 1", recs)
	}
}

func TestDBErrorClassifies(t *testing.T) {
	live := t.Context()
	done, cancel := context.WithCancel(live)
	cancel()
	for _, tc := range []struct {
		name      string
		ctx       context.Context
		err       error
		retryable bool
		canceled  bool
	}{
		{"serialization failure", live, &pgconn.PgError{Code: "40001"}, true, false},
		{"deadlock", live, &pgconn.PgError{Code: "40P01"}, true, false},
		{"admin shutdown", live, &pgconn.PgError{Code: "57P01"}, true, false},
		{"too many connections", live, &pgconn.PgError{Code: "53300"}, true, false},
		{"unique violation", live, &pgconn.PgError{Code: "23505"}, false, false},
		{"check violation", live, &pgconn.PgError{Code: "23514"}, false, false},
		{"network", live, &net.OpError{Op: "read", Err: errors.New("connection reset")}, true, false},
		{"cancelled mid-statement", done, &pgconn.PgError{Code: "57014"}, false, true},
		{"cancelled", live, fmt.Errorf("acquire: %w", context.Canceled), false, true},
	} {
		err := dbError(tc.ctx, "PutStates", tc.err)
		if got := errors.Is(err, kontor.ErrRetryable); got != tc.retryable {
			t.Errorf("%s: %v matches ErrRetryable = %v, want %v", tc.name, err, got, tc.retryable)
		}
		if got := errors.Is(err, context.Canceled); got != tc.canceled {
			t.Errorf("%s: %v matches context.Canceled = %v, want %v", tc.name, err, got, tc.canceled)
		}
		if !errors.Is(err, tc.err) || !strings.HasPrefix(err.Error(), "postgres store PutStates") {
			t.Errorf("%s: %v does not wrap %v under the operation's name", tc.name, err, tc.err)
		}
	}
}
