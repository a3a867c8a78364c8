// Package store defines the engine's durable state and holds its in-memory
// implementation. The state of a flow is what makes a sync correct across
// runs, restarts and duplicate deliveries:
//
//   - cursors: where each flow's incremental read resumes;
//   - item states: the content fingerprint and version last written per
//     item, so an unchanged item costs no write and an older version never
//     overwrites a newer one;
//   - links: an entity's keys in both worlds (ERP key ↔ shop key);
//   - the inbox: events already received, so a duplicate is dropped;
//   - write records: the idempotency key assigned to each logical write
//     before the call, reused by every retry;
//   - dead letters: items that failed, classified, with payload and
//     attempts, for replay;
//   - the audit trail: an append-only record of every write.
//
// Redact erases what of this names a person, when the person asks for it
// (GDPR) or a shop does for them (Shopify's customers/redact); RedactAll
// erases it of every key of an entity (Shopify's shop/redact).
//
// Memory keeps it all in process (tests, tiny embeds); the sqlite and
// postgres packages keep it durably. Every implementation must pass the
// conformance suite in package storetest.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/kontor-dev/kontor"
)

// Store is the engine's durable state. All methods are safe for concurrent
// use. Batch methods take and return slices aligned by index, so the engine
// makes one call per batch, not per item.
//
// Rules every implementation keeps (the storetest suite checks them): an
// empty flow, key, entity, source, event id or idempotency key is an error
// matching kontor.ErrValidation and rejects the whole call; a limit of 0 or
// less means no limit; zero times in records are stamped with the store's
// clock; audit Seqs run 1, 2, 3, … without gaps even under concurrent
// appends; dead letter IDs increase and are never reused; what a method
// returns is a copy the caller may change.
type Store interface {
	// Cursor returns where flow's incremental read resumes; the zero
	// Cursor when the flow never ran.
	Cursor(ctx context.Context, flow string) (kontor.Cursor, error)
	// SetCursor records where flow's next incremental read resumes.
	SetCursor(ctx context.Context, flow string, c kontor.Cursor) error

	// States returns the last written state of each key of flow, aligned
	// with keys; a key never written has Found false.
	States(ctx context.Context, flow string, keys []string) ([]ItemState, error)
	// PutStates records the states written, replacing earlier ones.
	PutStates(ctx context.Context, flow string, states []ItemState) error

	// Links returns the links of the given entity keys (the SKU, the order
	// number), aligned with keys; an unknown key has Found false.
	Links(ctx context.Context, entity kontor.Entity, keys []string) ([]Link, error)
	// LinkByRemote finds the link whose key on side is remoteKey, or
	// returns ErrNotFound.
	LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remoteKey string) (Link, error)
	// PutLinks creates or replaces links. An empty ERPKey or ShopKey keeps
	// the one already stored; a remote key another link holds moves to this
	// one, so LinkByRemote always has one answer.
	PutLinks(ctx context.Context, links []Link) error

	// AddInbox records an event unless one with the same source and ID,
	// or the same source and payload hash, is already there; added is false
	// for such a duplicate. A PayloadHash of 0 means none: only the ID
	// counts. It is atomic: of two concurrent adds of one
	// event, exactly one reports added.
	AddInbox(ctx context.Context, ev InboxEvent) (added bool, err error)
	// MarkInboxDone records that an event has been handled; an event never
	// added is ErrNotFound. A handled event still catches duplicates.
	MarkInboxDone(ctx context.Context, source, id string) error
	// PendingInbox returns up to limit events not yet handled, oldest first.
	PendingInbox(ctx context.Context, limit int) ([]InboxEvent, error)

	// BeginWrite returns the write record of (flow, key, fingerprint),
	// creating it with idempotencyKey and state WritePending when there is
	// none. A retried or replayed write thus finds the key its first
	// attempt used.
	BeginWrite(ctx context.Context, flow, key string, fingerprint uint64, idempotencyKey string) (WriteRecord, error)
	// FinishWrite records the outcome of the write of (flow, key,
	// fingerprint) and the keys the target gave the item.
	FinishWrite(ctx context.Context, flow, key string, fingerprint uint64, state WriteState, target kontor.Meta) error

	// AddDeadLetter records a failed item. A dead letter for the same flow
	// and key is replaced and its Attempts incremented, keeping its ID and
	// FirstFailed.
	AddDeadLetter(ctx context.Context, dl DeadLetter) (DeadLetter, error)
	// DeadLetters returns the dead letters that match f, oldest first.
	DeadLetters(ctx context.Context, f DeadLetterFilter) ([]DeadLetter, error)
	// DeleteDeadLetter removes a dead letter, after its successful replay.
	// Deleting an unknown ID is not an error.
	DeleteDeadLetter(ctx context.Context, id int64) error

	// AppendAudit appends records to the audit trail, assigning each a Seq.
	AppendAudit(ctx context.Context, recs []AuditRecord) error
	// Audit returns the audit records that match f, in Seq order, or
	// newest first when f.Newest.
	Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, error)

	// Redact erases the personal data the store holds of the given keys of
	// entity, in one transaction (see RedactCounts for what it does to
	// which record). Keys that match nothing are no error: it returns zero
	// counts, so a repeated erasure does nothing more.
	Redact(ctx context.Context, entity kontor.Entity, keys []string) (RedactCounts, error)
	// RedactAll erases, like Redact, the personal data the store holds of
	// every key of entity, in one transaction: for Shopify's shop/redact,
	// which asks to erase all of a shop's customers. It also erases the
	// payload of the entity's inbox events that came without a key. It
	// leaves audit records already erased (keyed by a placeholder) and the
	// records of erasures (OpRedact) as they are, so a repeated call
	// returns zero counts.
	RedactAll(ctx context.Context, entity kontor.Entity) (RedactCounts, error)
}

// ErrNotFound is returned when a looked-up record does not exist. It
// matches kontor.ErrNotFound.
var ErrNotFound = kontor.NewError(kontor.KindNotFound, "store", nil)

// ItemState is what the engine last wrote of one item in one flow.
type ItemState struct {
	Key         string
	Found       bool      // set by States: false for a key never written
	Fingerprint uint64    // the content fingerprint of what was written
	Version     int64     // the source version written, 0 if unknown
	UpdatedAt   time.Time // the source update time written
}

// Meta returns the state's version as a kontor.Meta, for ordering with
// kontor.Meta.Newer.
func (s ItemState) Meta() kontor.Meta { return kontor.Meta{Version: s.Version, UpdatedAt: s.UpdatedAt} }

// Link is an entity's identity in both worlds.
type Link struct {
	Entity    kontor.Entity
	Key       string // the key people use: SKU, order number
	ERPKey    string
	ShopKey   string
	Found     bool // set by Links: false for an unknown key
	UpdatedAt time.Time
}

// InboxEvent is a real-time event as received: a webhook delivery or an
// ERP change notification.
type InboxEvent struct {
	Source      string        // the sender, e.g. "shopify"
	ID          string        // the sender's delivery or event id
	PayloadHash uint64        // of the raw payload, 0 for none; catches redeliveries with new ids
	Topic       string        // e.g. "orders/create"
	Entity      kontor.Entity // what the event is about
	Key         string        // the entity key it names, when known
	Payload     []byte        // the raw payload
	ReceivedAt  time.Time
	Done        bool // handled
}

// WriteState is where a logical write stands.
type WriteState string

// Write states.
const (
	WritePending WriteState = "pending" // the key is assigned; the call may or may not have reached the target
	WriteDone    WriteState = "done"    // the target confirmed it
	WriteFailed  WriteState = "failed"  // it failed permanently and went to the dead letters
)

// WriteRecord is one logical write: assigned its idempotency key before the
// first call and kept until it is done.
type WriteRecord struct {
	Flow           string
	Key            string
	Fingerprint    uint64
	IdempotencyKey string
	State          WriteState
	Target         kontor.Meta // the item's keys in the target, once known
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Class is why an item is in the dead letters; it decides how it is
// replayed.
type Class string

// Dead letter classes.
const (
	// ClassTransient: the remote was down, throttled or timed out beyond
	// the retries; replay as is.
	ClassTransient Class = "transient"
	// ClassMapping: a missing link or mapping (an unknown SKU, a payment
	// method without a mapping); replayed when links or the mapping change.
	ClassMapping Class = "mapping"
	// ClassValidation: the item is invalid; replay after it is fixed at
	// its source.
	ClassValidation Class = "validation"
	// ClassPermanent: the target refused it for good.
	ClassPermanent Class = "permanent"
)

// DeadLetter is an item that failed, kept with what is needed to replay it.
type DeadLetter struct {
	ID             int64
	Flow           string
	Entity         kontor.Entity
	Key            string
	Class          Class
	Kind           kontor.Kind // the error's kind
	Error          string      // the error text, with no personal data
	Payload        []byte      // the item as JSON, for replay
	Attempts       int
	MappingVersion string // the mapping that failed it
	FirstFailed    time.Time
	LastFailed     time.Time
}

// DeadLetterFilter selects dead letters; zero fields match all.
type DeadLetterFilter struct {
	IDs   []int64
	Flow  string
	Class Class
	Key   string
	Keys  []string  // any of these keys; non-nil and empty matches none
	Since time.Time // LastFailed at or after
	Limit int       // 0: no limit
}

// Op is what a write did to the target.
type Op string

// Write operations in the audit trail and in plans.
const (
	OpCreate  Op = "create"
	OpUpdate  Op = "update"
	OpArchive Op = "archive"
	// OpRedact records an erasure of personal data (Syncer.Redact), not a
	// write. Its Key is a placeholder, never an erased key; its Error holds
	// the erasure's reason and counts, not a failure, and its Outcome is
	// kontor.Updated, or kontor.Unchanged when nothing matched.
	OpRedact Op = "redact"
)

// AuditRecord is one write to either side. It holds keys and fingerprints,
// never payloads, so it carries no personal data.
type AuditRecord struct {
	Seq     int64 // assigned by AppendAudit, increasing
	Flow    string
	Entity  kontor.Entity
	Key     string
	Target  kontor.Side // the side written to
	Op      Op
	Before  uint64         // fingerprint before; 0 for a create
	After   uint64         // fingerprint written
	Outcome kontor.Outcome // created, updated, unchanged, failed
	Error   string         // for a failed write
	At      time.Time
}

// AuditFilter selects audit records; zero fields match all.
type AuditFilter struct {
	Flow     string
	Key      string
	Since    time.Time
	AfterSeq int64
	Limit    int
	// Newest returns the matching records newest first, so a Limit keeps
	// the latest ones: what a status page shows.
	Newest bool
}

// RedactCounts is what Redact or RedactAll erased. For the entity and each
// key (RedactAll: every key) it:
//
//   - deletes the dead letters, whose payloads hold the item;
//   - erases the payload and the key of the inbox events, keeping the rows
//     (their source, id and payload hash), so a redelivery of an erased
//     event is still dropped as a duplicate. A pending event whose payload
//     was erased is handled like one that came without a payload: the
//     flow sweeps;
//   - deletes the links, so neither remote key leads back to the key;
//   - replaces the key of the audit records with RedactedKey(flow, seq),
//     also where the record's Error quotes it. The trail keeps its Seqs,
//     fingerprints, outcomes and times, and no longer names the person.
//
// Dead letters, events and audit records match by their Entity and Key.
// Redact does not touch events that named no key; RedactAll erases their
// payload too, and counts every event of the entity that still held a key
// or a payload. Neither touches item states and write records (which are
// per flow, not per entity).
type RedactCounts struct {
	DeadLetters  int // dead letters deleted
	InboxEvents  int // inbox events whose payload and key were erased
	Links        int // links deleted
	AuditRecords int // audit records whose key was replaced
}

// Total returns the number of records Redact changed or deleted.
func (c RedactCounts) Total() int { return c.DeadLetters + c.InboxEvents + c.Links + c.AuditRecords }

// redactedPrefix starts every placeholder of an erased key.
const redactedPrefix = "redacted:"

// RedactedKey returns the placeholder that replaces an erased key in the
// audit record of flow with seq: "redacted:" and 12 hex digits of a SHA-256
// of flow and seq. It is derived from the record, never from the key, so
// nothing leads back to the person, and it differs per record, so an
// auditor still tells the records apart but cannot tie them to each other.
func RedactedKey(flow string, seq int64) string {
	h := sha256.New()
	h.Write([]byte(flow))
	h.Write([]byte{0})
	h.Write(strconv.AppendInt(nil, seq, 10))
	return redactedPrefix + hex.EncodeToString(h.Sum(nil)[:6])
}

// Transactor is a Store whose calls can share one transaction of its
// database with a job queue on the same database, so "record the write and
// enqueue the next step" commits as one. InTx begins a transaction and runs
// fn with a context that carries it: every Store method called with that
// context (or one derived from it) runs inside the transaction and sees its
// uncommitted changes; tx is the raw transaction, for the queue's inserts.
// When fn returns an error, or panics, nothing of it is committed.
//
// Calling the store with a context that does not carry the transaction
// while fn runs may wait for the transaction to end (SQLite has a single
// writer): inside fn, use fn's context.
type Transactor[TTx any] interface {
	Store
	InTx(ctx context.Context, fn func(ctx context.Context, tx TTx) error) error
}
