// Package pgtest gives tests a PostgreSQL server to run against, or a clear
// reason why there is none.
//
// The server's address comes from the environment variable
// KONTOR_TEST_POSTGRES_DSN, e.g.
//
//	KONTOR_TEST_POSTGRES_DSN='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
//
// Without it, or with a server that does not answer, a test that asks for
// one is skipped, so `go test ./...` works on any machine. Under CI=true the
// same test fails instead: a pipeline that forgot its database must not
// pass by skipping what it was meant to prove.
//
// Each test works in a schema of its own (see Schema), so tests run in
// parallel and several stores, standing in for several processes, can share
// one schema.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN names the environment variable that holds the test server's DSN.
const EnvDSN = "KONTOR_TEST_POSTGRES_DSN"

// probeTimeout bounds the reachability check, so a server that is down
// costs a test run seconds, not minutes.
const probeTimeout = 5 * time.Second

// probes caches, per DSN, whether the server answered: every test asks,
// one connection per process answers.
var probes sync.Map // dsn → *probe

type probe struct {
	once sync.Once
	err  error
}

// DSN returns the test server's DSN. It skips the test when
// KONTOR_TEST_POSTGRES_DSN is unset or the server does not answer, and
// fails it instead when CI is true.
func DSN(t testing.TB) string {
	t.Helper()
	dsn, verdict := decide(os.Getenv(EnvDSN), os.Getenv("CI"), reach)
	switch verdict.action {
	case actionFail:
		t.Fatal(verdict.msg)
	case actionSkip:
		t.Skip(verdict.msg)
	}
	return dsn
}

type action int

const (
	actionRun action = iota
	actionSkip
	actionFail
)

type verdict struct {
	action action
	msg    string
}

// decide is DSN without the testing.TB, so its rules can be tested.
func decide(dsn, ci string, reachable func(dsn string) error) (string, verdict) {
	inCI, _ := strconv.ParseBool(ci)
	if dsn == "" {
		msg := EnvDSN + " is not set: no PostgreSQL server to test against"
		if inCI {
			return "", verdict{actionFail, msg + " (CI=true: a missing server is a failure)"}
		}
		return "", verdict{actionSkip, msg}
	}
	if err := reachable(dsn); err != nil {
		msg := fmt.Sprintf("PostgreSQL at %s does not answer: %v", EnvDSN, err)
		if inCI {
			return "", verdict{actionFail, msg + " (CI=true: an unreachable server is a failure)"}
		}
		return "", verdict{actionSkip, msg}
	}
	return dsn, verdict{action: actionRun}
}

// reach connects once per DSN and process and reports whether it worked.
func reach(dsn string) error {
	v, _ := probes.LoadOrStore(dsn, &probe{})
	p := v.(*probe)
	p.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			p.err = err
			return
		}
		defer conn.Close(context.Background())
		p.err = conn.Ping(ctx)
	})
	return p.err
}

// Schema creates an empty schema with a name no other test uses and drops
// it, with all it holds, when the test ends. Stores opened on it must be
// closed before: register their Close after calling Schema, so it runs
// first.
func Schema(t testing.TB, dsn string) string {
	t.Helper()
	name := SchemaName(t)
	exec(t, dsn, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize())
	return name
}

// SchemaName returns a schema name no other test uses, without creating
// the schema, and drops the schema (if it then exists) when the test ends:
// for tests of code that creates its schema itself.
func SchemaName(t testing.TB) string {
	t.Helper()
	dsn := DSN(t)
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		t.Fatalf("pgtest: random schema suffix: %v", err)
	}
	// At most 44 bytes: River, which shares the schema, takes at most 46.
	name := "kt_" + identPart(t.Name(), 28) + "_" + hex.EncodeToString(suffix[:])
	t.Cleanup(func() {
		exec(t, dsn, "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE")
	})
	return name
}

// identPart reduces a test name to lower-case letters, digits and
// underscores, at most n bytes, so the schema name reads plainly in the
// server's logs and needs no quoting.
func identPart(s string, n int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if b.Len() == n {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// exec runs one statement on a connection of its own. It does not use the
// test's context: cleanups run after that is cancelled.
func exec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}
