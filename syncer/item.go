package syncer

import (
	"context"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Item is one entity on its way through a flow: read, mapped, compared
// with what was written before, and handed to the sink.
type Item struct {
	Key            string      // the key people use: SKU, order number
	Meta           kontor.Meta // the source's keys and version
	Value          any         // the mapped entity: a *kontor.Product, *kontor.Order, ...
	Fingerprint    uint64      // of the mapped entity
	Before         uint64      // the fingerprint written last time; 0 if never
	Op             store.Op    // create or update, from what was written before
	MappingVersion string      // the mapping that produced Value
	IdempotencyKey string      // assigned once per logical write, for flows that need one
	Attempts       int         // how often the sink has seen this item in this run

	source   any    // the source entity before mapping, kept for dead letters and replay
	sourceFP uint64 // its fingerprint, for flows that check for echoes
	mapErr   error  // the mapping's failure, if it failed
}

func (it *Item) sourceFingerprint() uint64 { return it.sourceFP }

// Batch is what a Handler writes: items of one flow, no more than the
// sink's maximum batch size.
type Batch struct {
	Flow   string
	Entity kontor.Entity
	Target kontor.Side // the side written to
	Items  []*Item
}

// sub returns a batch of the same flow with the given items.
func (b *Batch) sub(items []*Item) *Batch {
	return &Batch{Flow: b.Flow, Entity: b.Entity, Target: b.Target, Items: items}
}

// Handler writes a batch and returns one result per item, aligned with
// b.Items. The error is for a failure of the whole batch.
type Handler func(ctx context.Context, b *Batch) ([]kontor.Result, error)

// Middleware wraps a Handler with one concern. The first given is the
// outermost. Every flow runs the built-in chain, in this order:
//
//	observe → dead letter → isolate → recover → retry → (yours) → validate → audit → sink
//
// Observe logs and counts each batch. Dead letter stores every item that
// finally failed, classified, and lets the batch go on. Isolate splits a
// batch that failed as a whole until the poison item stands alone. Recover
// turns a panic into a failure of the batch. Retry retries what is
// retryable with backoff, honouring Retry-After. Your middleware runs
// inside retry, so each attempt passes through it. Validate fails invalid
// items before they cost a request, and audit records every write the sink
// made. Dead letter sits outside retry so an item is dead-lettered only
// after its retries, not on its first failure.
type Middleware func(Handler) Handler
