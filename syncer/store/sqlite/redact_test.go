package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

const canary = "canary-redact@example.com"

// seedPerson stores a dead letter, an event, a link and an audit record
// of the customer whose key is the canary.
func seedPerson(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := t.Context()
	c := kontor.EntityCustomer
	_, err := s.AddDeadLetter(ctx, store.DeadLetter{Flow: "customers", Entity: c, Key: canary, Payload: []byte(`{"email":"` + canary + `"}`)})
	require.NoError(t, err)
	_, err = s.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1", PayloadHash: 42, Entity: c, Key: canary, Payload: []byte(canary)})
	require.NoError(t, err)
	require.NoError(t, s.PutLinks(ctx, []store.Link{{Entity: c, Key: canary, ShopKey: "S-1"}}))
	require.NoError(t, s.AppendAudit(ctx, []store.AuditRecord{{Flow: "customers", Entity: c, Key: canary, Op: store.OpCreate, After: 1}}))
}

// fileHolds counts the rows of the tables that still hold the canary,
// read on the writer, committed state only.
func fileHolds(t *testing.T, s *sqlite.Store) int {
	t.Helper()
	var n int
	require.NoError(t, s.DB().QueryRowContext(t.Context(), `SELECT
		(SELECT count(*) FROM kontor_dead_letters WHERE key = ?1 OR instr(payload, ?1) > 0) +
		(SELECT count(*) FROM kontor_inbox WHERE key = ?1 OR instr(payload, ?1) > 0) +
		(SELECT count(*) FROM kontor_links WHERE key = ?1) +
		(SELECT count(*) FROM kontor_audit WHERE key = ?1 OR instr(error, ?1) > 0)`, canary).Scan(&n))
	return n
}

// TestRedactInTx proves Redact joins InTx's transaction: fn sees the
// erasure, a rollback takes it back whole, a commit stores it with the
// transaction's other statements.
func TestRedactInTx(t *testing.T) {
	t.Parallel()
	s := openWithJobs(t)
	seedPerson(t, s)
	require.Equal(t, 4, fileHolds(t, s))

	err := s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		c, err := s.Redact(ctx, kontor.EntityCustomer, []string{canary})
		require.NoError(t, err)
		assert.Equal(t, store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1}, c)
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		require.NoError(t, err)
		assert.Empty(t, dls, "fn sees its own erasure")
		require.NoError(t, enqueue(ctx, tx, "erased"))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, 4, fileHolds(t, s), "a rolled back erasure leaves everything")
	assert.Empty(t, jobs(t, s))

	require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.Redact(ctx, kontor.EntityCustomer, []string{canary}); err != nil {
			return err
		}
		return enqueue(ctx, tx, "erased")
	}))
	assert.Equal(t, 0, fileHolds(t, s))
	assert.Equal(t, []string{"erased"}, jobs(t, s))
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, store.RedactedKey("customers", 1), recs[0].Key)
	assert.Equal(t, uint64(1), recs[0].After)
}

// TestRedactAllInTx proves RedactAll joins InTx's transaction like
// Redact: fn sees the erasure, a rollback takes it back whole, a commit
// stores it with the transaction's other statements. A product's record
// holding the canary in its payload is kept.
func TestRedactAllInTx(t *testing.T) {
	t.Parallel()
	s := openWithJobs(t)
	seedPerson(t, s)
	_, err := s.AddDeadLetter(t.Context(), store.DeadLetter{Flow: "products", Entity: kontor.EntityProduct, Key: "SKU-1", Payload: []byte(canary)})
	require.NoError(t, err)
	require.Equal(t, 5, fileHolds(t, s))

	err = s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		c, err := s.RedactAll(ctx, kontor.EntityCustomer)
		require.NoError(t, err)
		assert.Equal(t, store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1}, c)
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		require.NoError(t, err)
		require.Len(t, dls, 1, "fn sees its own erasure")
		assert.Equal(t, kontor.EntityProduct, dls[0].Entity)
		require.NoError(t, enqueue(ctx, tx, "erased"))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)
	assert.Equal(t, 5, fileHolds(t, s), "a rolled back erasure leaves everything")
	assert.Empty(t, jobs(t, s))

	require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
		if _, err := s.RedactAll(ctx, kontor.EntityCustomer); err != nil {
			return err
		}
		return enqueue(ctx, tx, "erased")
	}))
	assert.Equal(t, 1, fileHolds(t, s), "only the product's dead letter holds the canary")
	assert.Equal(t, []string{"erased"}, jobs(t, s))
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, store.RedactedKey("customers", 1), recs[0].Key)
}

// TestRedactReadOnly proves a read-only store refuses an erasure with
// ErrReadOnly and names no key.
func TestRedactReadOnly(t *testing.T) {
	t.Parallel()
	s, path := open(t)
	seedPerson(t, s)
	ro := openAt(t, path, sqlite.ReadOnly())
	_, err := ro.Redact(t.Context(), kontor.EntityCustomer, []string{canary})
	require.ErrorIs(t, err, sqlite.ErrReadOnly)
	assert.NotContains(t, err.Error(), canary)
	_, err = ro.RedactAll(t.Context(), kontor.EntityCustomer)
	require.ErrorIs(t, err, sqlite.ErrReadOnly)
	assert.Equal(t, 4, fileHolds(t, s))
}

// BenchmarkSQLiteRedact erases one customer's records out of a store of
// 200,000 inbox events, 20,000 dead letters and 200,000 audit records of
// 20,000 customers: with the indexes of schema step 2, and without them,
// where each erasure scans the tables.
func BenchmarkSQLiteRedact(b *testing.B) {
	const customers, perCustomer = 20_000, 10
	for _, indexed := range []bool{true, false} {
		name := "indexed"
		if !indexed {
			name = "scan"
		}
		b.Run(name, func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			// Generated in SQL: half a million calls would dwarf the
			// benchmark.
			for _, stmt := range []string{
				`WITH RECURSIVE n(value) AS (SELECT 0 UNION ALL SELECT value + 1 FROM n WHERE value + 1 < ?1 * ?2)
				INSERT INTO kontor_inbox (source, id, payload_hash, topic, entity, key, payload, received_at, done)
				SELECT 'shopify', 'd-' || value, value + 1, 'customers/update', 'customer', 'C-' || (value % ?1),
					CAST(printf('{"email":"c%d@example.com"}', value % ?1) AS BLOB), value, 1
				FROM n`,
				`WITH RECURSIVE n(value) AS (SELECT 0 UNION ALL SELECT value + 1 FROM n WHERE value + 1 < ?1)
				INSERT INTO kontor_dead_letters (flow, entity, key, class, kind, error, payload, attempts, mapping_version, first_failed, last_failed)
				SELECT 'customers', 'customer', 'C-' || value, 'transient', 0, 'timeout', CAST('{}' AS BLOB), 1, '', value, value
				FROM n`,
				`WITH RECURSIVE n(value) AS (SELECT 0 UNION ALL SELECT value + 1 FROM n WHERE value + 1 < ?1 * ?2)
				INSERT INTO kontor_audit (flow, entity, key, target, op, fp_before, fp_after, outcome, error, at)
				SELECT 'customers', 'customer', 'C-' || (value % ?1), 'erp', 'update', value, value + 1, 'updated', '', value
				FROM n`,
			} {
				_, err := s.DB().ExecContext(ctx, stmt, customers, perCustomer)
				require.NoError(b, err)
			}
			if !indexed {
				_, err := s.DB().ExecContext(ctx, `DROP INDEX kontor_inbox_entity_key; DROP INDEX kontor_dead_letters_entity_key`)
				require.NoError(b, err)
			}
			i := 0
			for b.Loop() {
				c, err := s.Redact(ctx, kontor.EntityCustomer, []string{fmt.Sprintf("C-%d", i%customers)})
				require.NoError(b, err)
				if i < customers && c.Total() != 2*perCustomer+1 {
					b.Fatalf("erasure %d: %+v, want %d events, 1 dead letter and %d audit records", i, c, perCustomer, perCustomer)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "erasures/s")
		})
	}
}
