package pgtest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDecide(t *testing.T) {
	up := func(string) error { return nil }
	down := func(string) error { return errors.New("connection refused") }
	const dsn = "postgres://postgres@127.0.0.1:5432/test"
	for _, tc := range []struct {
		name      string
		dsn, ci   string
		reachable func(string) error
		want      action
		wantDSN   string
		msgHas    string
	}{
		{"no DSN skips", "", "", up, actionSkip, "", EnvDSN + " is not set"},
		{"no DSN under CI fails", "", "true", up, actionFail, "", "CI=true"},
		{"no DSN under CI=1 fails", "", "1", up, actionFail, "", "CI=true"},
		{"CI=false skips", "", "false", up, actionSkip, "", "not set"},
		{"unreachable skips", dsn, "", down, actionSkip, "", "connection refused"},
		{"unreachable under CI fails", dsn, "true", down, actionFail, "", "an unreachable server is a failure"},
		{"reachable runs", dsn, "", up, actionRun, dsn, ""},
		{"reachable under CI runs", dsn, "true", up, actionRun, dsn, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, v := decide(tc.dsn, tc.ci, tc.reachable)
			if v.action != tc.want || got != tc.wantDSN {
				t.Errorf("decide = %q, %+v; want %q, action %d", got, v, tc.wantDSN, tc.want)
			}
			if !strings.Contains(v.msg, tc.msgHas) {
				t.Errorf("message %q does not say %q", v.msg, tc.msgHas)
			}
		})
	}
}

func TestIdentPart(t *testing.T) {
	for in, want := range map[string]string{
		"TestConformance/States/LargeBatch": "testconformance_states_largebatch",
		"Größe":                             "gr__e",
		"abcdefghij":                        "abcdefghij",
	} {
		if got := identPart(in, 40); got != want {
			t.Errorf("identPart(%q) = %q, want %q", in, got, want)
		}
	}
	if got := identPart("abcdefghij", 4); got != "abcd" {
		t.Errorf("identPart cut to 4 = %q, want abcd", got)
	}
}

func TestSchema(t *testing.T) {
	dsn := DSN(t)
	var name string
	t.Run("creates", func(t *testing.T) {
		name = Schema(t, dsn)
		if !strings.HasPrefix(name, "kt_testschema_creates_") || len(name) > 63 {
			t.Errorf("schema name %q, want the test's name as a prefix and at most 63 bytes", name)
		}
		if !schemaExists(t, dsn, name) {
			t.Fatalf("schema %s does not exist after Schema", name)
		}
	})
	if schemaExists(t, dsn, name) {
		t.Errorf("schema %s still exists after its test ended", name)
	}
}

func schemaExists(t *testing.T, dsn, name string) bool {
	t.Helper()
	conn := connect(t, dsn)
	var ok bool
	if err := conn.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
