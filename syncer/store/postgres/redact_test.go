package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
)

const canary = "canary-redact@example.com"

// seedPerson stores a dead letter, an event, a link and an audit record
// of the customer whose key is the canary.
func seedPerson(t *testing.T, s *Store) {
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

// schemaHolds counts the committed rows of schema that still hold the
// canary, read on conn.
func schemaHolds(t *testing.T, conn *pgx.Conn, schema string) int {
	t.Helper()
	q := pgx.Identifier{schema}.Sanitize()
	var n int
	require.NoError(t, conn.QueryRow(t.Context(), `SELECT
		(SELECT count(*) FROM `+q+`.kontor_dead_letters WHERE key = $1 OR position(convert_to($1, 'UTF8') IN coalesce(payload, '')) > 0) +
		(SELECT count(*) FROM `+q+`.kontor_inbox WHERE key = $1 OR position(convert_to($1, 'UTF8') IN coalesce(payload, '')) > 0) +
		(SELECT count(*) FROM `+q+`.kontor_links WHERE key = $1) +
		(SELECT count(*) FROM `+q+`.kontor_audit WHERE key = $1 OR position($1 IN error) > 0)`, canary).Scan(&n))
	return n
}

// TestMigrateRedactIndexes proves a schema at version 1 gets the indexes
// of version 2, and Redact erases what it held before the upgrade.
func TestMigrateRedactIndexes(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	conn := admin(t, dsn)
	old := openStore(t, dsn, schema, withMigrations(migrations[:1]))
	seedPerson(t, old)
	old.Close()

	s := openStore(t, dsn, schema)
	assert.Equal(t, allVersions(), versions(t, conn, schema))
	rows, err := conn.Query(t.Context(), "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1", schema)
	require.NoError(t, err)
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Subset(t, indexes, []string{"kontor_inbox_entity_key", "kontor_dead_letters_entity_key"})

	require.Equal(t, 4, schemaHolds(t, conn, schema))
	c, err := s.Redact(t.Context(), kontor.EntityCustomer, []string{canary})
	require.NoError(t, err)
	assert.Equal(t, store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1}, c)
	assert.Equal(t, 0, schemaHolds(t, conn, schema))
}

// TestRedactInTx proves Redact joins InTx's transaction: fn sees the
// erasure, a rollback takes it back whole, a commit stores it with the
// transaction's other statements, and a nested InTx's error takes back
// only its own erasure.
func TestRedactInTx(t *testing.T) {
	t.Parallel()
	f := newTxFixture(t)
	s := f.s
	seedPerson(t, s)
	require.Equal(t, 4, schemaHolds(t, f.conn, s.schema))

	err := s.InTx(t.Context(), func(ctx context.Context, tx pgx.Tx) error {
		c, err := s.Redact(ctx, kontor.EntityCustomer, []string{canary})
		require.NoError(t, err)
		assert.Equal(t, store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1}, c)
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		require.NoError(t, err)
		assert.Empty(t, dls, "fn sees its own erasure")
		require.NoError(t, f.enqueue(ctx, tx, "erased"))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.Equal(t, 4, schemaHolds(t, f.conn, s.schema), "a rolled back erasure leaves everything")

	require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx pgx.Tx) error {
		// A nested erasure that fails takes back only itself.
		nested := s.InTx(ctx, func(ctx context.Context, _ pgx.Tx) error {
			if _, err := s.Redact(ctx, kontor.EntityCustomer, []string{canary}); err != nil {
				return err
			}
			return errRollback
		})
		require.ErrorIs(t, nested, errRollback)
		l, err := s.Links(ctx, kontor.EntityCustomer, []string{canary})
		require.NoError(t, err)
		assert.True(t, l[0].Found, "the nested erasure was taken back")
		if _, err := s.Redact(ctx, kontor.EntityCustomer, []string{canary}); err != nil {
			return err
		}
		return f.enqueue(ctx, tx, "erased")
	}))
	assert.Equal(t, 0, schemaHolds(t, f.conn, s.schema))
	assert.Equal(t, []string{"erased"}, f.committedJobs(t))
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
	f := newTxFixture(t)
	s := f.s
	seedPerson(t, s)
	_, err := s.AddDeadLetter(t.Context(), store.DeadLetter{Flow: "products", Entity: kontor.EntityProduct, Key: "SKU-1", Payload: []byte(canary)})
	require.NoError(t, err)
	require.Equal(t, 5, schemaHolds(t, f.conn, s.schema))

	err = s.InTx(t.Context(), func(ctx context.Context, tx pgx.Tx) error {
		c, err := s.RedactAll(ctx, kontor.EntityCustomer)
		require.NoError(t, err)
		assert.Equal(t, store.RedactCounts{DeadLetters: 1, InboxEvents: 1, Links: 1, AuditRecords: 1}, c)
		dls, err := s.DeadLetters(ctx, store.DeadLetterFilter{})
		require.NoError(t, err)
		require.Len(t, dls, 1, "fn sees its own erasure")
		assert.Equal(t, kontor.EntityProduct, dls[0].Entity)
		require.NoError(t, f.enqueue(ctx, tx, "erased"))
		return errRollback
	})
	require.ErrorIs(t, err, errRollback)
	assert.Equal(t, 5, schemaHolds(t, f.conn, s.schema), "a rolled back erasure leaves everything")

	require.NoError(t, s.InTx(t.Context(), func(ctx context.Context, tx pgx.Tx) error {
		if _, err := s.RedactAll(ctx, kontor.EntityCustomer); err != nil {
			return err
		}
		return f.enqueue(ctx, tx, "erased")
	}))
	assert.Equal(t, 1, schemaHolds(t, f.conn, s.schema), "only the product's dead letter holds the canary")
	assert.Equal(t, []string{"erased"}, f.committedJobs(t))
	recs, err := s.Audit(t.Context(), store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Equal(t, store.RedactedKey("customers", 1), recs[0].Key)
}

// TestRedactKeyNotText proves a key PostgreSQL cannot hold matches nothing
// and does not keep the batch's other keys from being erased.
func TestRedactKeyNotText(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	s := openStore(t, dsn, schema)
	seedPerson(t, s)
	c, err := s.Redact(t.Context(), kontor.EntityCustomer, []string{"bad\xff", "nul\x00"})
	require.NoError(t, err)
	assert.Zero(t, c)
	c, err = s.Redact(t.Context(), kontor.EntityCustomer, []string{"bad\xff", canary})
	require.NoError(t, err)
	assert.Equal(t, 4, c.Total())
	assert.Equal(t, 0, schemaHolds(t, admin(t, dsn), schema))
}

// TestRedactConcurrentPutLinks: stores on one schema link and erase the
// same customer at once, as processes would, while her remote key moves
// to another link: no call fails or deadlocks, and the last erasure
// leaves her no link and the other its own.
func TestRedactConcurrentPutLinks(t *testing.T) {
	t.Parallel()
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	a, b := openStore(t, dsn, schema), openStore(t, dsn, schema)
	c := kontor.EntityCustomer
	const rounds = 20
	var (
		wg         sync.WaitGroup
		linkErrs   []error
		redactErrs []error
		mu         sync.Mutex
	)
	wg.Go(func() {
		for r := range rounds {
			err := a.PutLinks(t.Context(), []store.Link{
				{Entity: c, Key: canary, ERPKey: "C-1", ShopKey: fmt.Sprintf("S-%d", r)},
				{Entity: c, Key: "C-other", ShopKey: fmt.Sprintf("S-%d", r-1)},
			})
			mu.Lock()
			linkErrs = append(linkErrs, err)
			mu.Unlock()
		}
	})
	wg.Go(func() {
		for range rounds {
			_, err := b.Redact(t.Context(), c, []string{canary})
			mu.Lock()
			redactErrs = append(redactErrs, err)
			mu.Unlock()
		}
	})
	wg.Wait()
	for _, err := range slices.Concat(linkErrs, redactErrs) {
		require.NoError(t, err)
	}
	_, err := b.Redact(t.Context(), c, []string{canary})
	require.NoError(t, err)
	ls, err := a.Links(t.Context(), c, []string{canary, "C-other"})
	require.NoError(t, err)
	assert.False(t, ls[0].Found)
	assert.True(t, ls[1].Found)
	_, err = a.LinkByRemote(t.Context(), c, kontor.SideERP, "C-1")
	assert.ErrorIs(t, err, store.ErrNotFound)
}
