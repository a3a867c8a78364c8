// Package postgres keeps the engine's state (store.Store) in PostgreSQL, so
// that several processes on several machines run flows against one shared
// state. It passes the storetest conformance suite, like the memory store
// whose semantics it keeps.
//
//	st, err := postgres.Open(ctx, "postgres://kontor@db:5432/shop?sslmode=verify-full",
//		postgres.Schema("kontor"))
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//	s := syncer.New(st)
//
// # Schema and migrations
//
// All tables live in one schema: the one Schema names (created if missing)
// or else the connection's current schema, resolved once at open. Their
// names start with kontor_, so they can sit beside a job queue's tables and
// the application's own. Every statement names the schema, so New works on
// a pool whose search_path the caller set for other purposes.
//
// Open and New bring the schema to the version this code knows. Each
// migration step runs in one transaction together with its row in
// kontor_schema_version, so a failing step leaves the previous version and
// nothing of itself. Concurrent openers, in one process or many, serialize
// on a transaction-scoped advisory lock per schema: one migrates, the
// others find the work done. A database at a version newer than the code
// is refused with ErrSchemaTooNew, since older code writing a newer schema
// could corrupt it. An up-to-date schema costs one query at open.
//
// # How the rules are kept across processes
//
//   - Batches are one statement: States joins the keys passed as an array,
//     PutStates upserts them from arrays (the last state of a key repeated in
//     a batch wins), AppendAudit inserts all records. A statement is atomic,
//     so a batch that fails stores none of its items.
//   - AddInbox is one INSERT ... ON CONFLICT DO NOTHING against two unique
//     indexes, (source, id) and (source, payload_hash) where the hash is not
//     0: of two concurrent adds of one event exactly one inserts.
//   - BeginWrite inserts the record or, when another caller got there
//     first, reads theirs: every caller gets the first idempotency key.
//   - Audit Seqs come from a counter row that each append updates in its
//     own statement. The row stays locked until the append commits (inside
//     InTx, until its transaction does), so
//     Seqs run 1, 2, 3, … without gaps and commit in order: a reader
//     following AfterSeq never skips a record that commits later.
//   - Dead letter IDs come from an identity sequence: increasing, never
//     reused. A repeat of a dead letter draws a number it does not keep, so
//     IDs have gaps.
//   - PutLinks holds a transaction-scoped advisory lock per entity while it
//     reads the links it touches, applies the batch in order as the memory
//     store does (a remote key moves to the link that takes it) and writes
//     the result. Partial unique indexes on (entity, erp_key) and (entity,
//     shop_key) where the key is not empty guard that a remote key belongs
//     to one link.
//   - Redact erases a person's records, and RedactAll those of every key
//     of an entity, in one transaction that takes the same advisory lock of
//     the entity, so it falls wholly before or after a concurrent PutLinks.
//
// # Transactions
//
// Store is a store.Transactor[pgx.Tx]: InTx runs a function in one read
// committed transaction, and every method called with the function's
// context runs in it, so "record the write and enqueue the next step"
// commits as one; the function gets the pgx.Tx for the queue's inserts.
//
//	err := st.InTx(ctx, func(ctx context.Context, tx pgx.Tx) error {
//		if err := st.FinishWrite(ctx, flow, key, fp, store.WriteDone, target); err != nil {
//			return err
//		}
//		_, err := tx.Exec(ctx, "INSERT INTO jobs ...")
//		return err
//	})
//
// PutLinks, Redact and RedactAll, which run several statements, and AppendAudit run
// in a savepoint of the transaction: when one fails it takes back its own work
// and the transaction goes on. The other methods are one statement each;
// one that fails in the database aborts the transaction, as in any
// PostgreSQL transaction. A nested InTx joins the transaction in a
// savepoint of its own. Calls with the function's context take turns on
// the transaction's connection, so they may come from several goroutines.
//
// The locks that keep the rules across processes are held until the
// transaction ends: PutLinks' advisory locks, the audit counter row and
// the rows a write touched. Other callers wait for them meanwhile, so keep
// transactions short. A rollback takes back the audit Seqs the
// transaction drew, so Seqs stay gapless; dead letter IDs it drew are not
// given back.
//
// # Times
//
// Times are stored as timestamptz, which keeps microseconds; they come back
// in UTC. Item state UpdatedAt and cursor Since also keep the nanoseconds
// below the microsecond in a column of their own: the engine compares them
// with the source's times on every sweep, and a truncated time would look
// older than the same time read again. A zero time is stored as NULL where
// a caller may leave it zero, and is stamped where the store stamps it.
// Stamps come from the store's clock (Clock), i.e. each process's own
// clock: keep the machines' clocks in sync, since PendingInbox orders by
// ReceivedAt.
//
// # Text
//
// PostgreSQL text holds valid UTF-8 without NUL bytes. A key, flow,
// source, ID or other identifying string that is not such text is an error
// matching kontor.ErrValidation that names the field; a lookup by such a
// string finds nothing, since it cannot have been stored. Error texts
// (dead letter and audit Error) are descriptions, not identities: their
// invalid bytes are replaced by U+FFFD rather than losing the record.
// Keys compare byte by byte (COLLATE "C"), as in the memory store.
//
// # Errors
//
// A call whose context ends while its statement runs returns the context's
// error, and the statement is cancelled on the server, so its batch stores
// nothing. As with any remote database, an error after the statement was
// sent cannot prove it did not commit just before. SetCursor, PutStates,
// PutLinks, BeginWrite, FinishWrite, MarkInboxDone, DeleteDeadLetter and
// Redact and RedactAll may be retried as they are; a retried AddInbox may report its own event as a
// duplicate (it is then pending all the same), a retried AddDeadLetter may
// count one attempt more and a retried AppendAudit may append twice.
//
// A failure of the database is wrapped with the operation; one that may
// pass when tried again (a lost connection, a serialization failure or
// deadlock, a server shutting down) matches kontor.ErrRetryable. A
// cancelled context's error is kept: errors.Is(err, context.Canceled)
// holds. Error texts name no item key: a customer's key may be its e-mail
// address.
package postgres
