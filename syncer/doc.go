// Package syncer is Kontor's engine: it runs flows that keep a shop and an
// ERP in sync, and keeps the state that makes them correct across runs,
// restarts and duplicate deliveries.
//
// # Flows
//
// A Flow moves one entity from one connector to another,
// source → mapping → middleware → sink, and is built by the constructor of
// its direction: Products, Prices, Stock, Shipments and StatusToShop write
// to the shop; Orders, Customers, Returns and StatusToERP write to the ERP.
// Syncer.Add checks that the source can read and the sink can write the
// entity (kontor.Require), that the mapping fits, and that the schedule
// parses, so a flow that cannot work fails at setup.
//
//	s := syncer.New(store.NewMemory())
//	err := s.Add(
//		syncer.Products(erp, shop, syncer.Map(productMapping)),
//		syncer.Stock(erp, shop),
//		syncer.Orders(shop, erp),
//		syncer.Shipments(erp, shop),
//	)
//	err = s.Run(ctx)
//
// # Triggers
//
// Every flow sweeps on a schedule (Every, Cron). Real-time flows (RealTime;
// the default for stock, orders, shipments, returns and status) also react
// to events handed to Syncer.Notify by webhook receivers and ERP change
// feeds. Events are hints: they are persisted in the store's inbox, where
// duplicates by id or by payload are dropped, and processed after a short
// debounce so that a burst of changes to one SKU becomes one write. The
// sweep stays the truth; Report.Missed counts what a sweep wrote that no
// event had announced.
//
// # Delta and identity
//
// A sweep reads what changed since the flow's cursor, less an overlap
// window, so records committed while the last run read are not missed. Each
// item's mapped content is fingerprinted (kontor's Fingerprint methods) and
// compared with what was last written: an unchanged item costs no write, an
// older version than the one written is skipped, and a flow's own write
// coming back from the other side (the echo) is recognised and ignored.
// Every write links the item's keys in both worlds. An order naming a SKU
// that no product link knows goes to the dead letters with class mapping
// and is replayed by itself when the product flow creates the link.
//
// # Exactly once
//
// Flows that create documents (orders, customers, shipments, returns,
// status) give each logical write an idempotency key, stored before the
// call and reused by every retry and after a restart; the sink receives the
// keys with kontor.WithIdempotencyKeys and must also find a document it
// already created (check-before-create, e.g. by external document number).
// A write that is recorded as done is not sent again.
//
// # Failures
//
// Every batch runs through the built-in middleware (see Middleware for the
// order): retry with backoff and Retry-After, isolation of a poison item by
// splitting the batch, recovery from panics, validation before the request,
// an audit record of every write, and the dead letters: failed items stored
// with payload, error, class (transient, mapping, validation, permanent),
// attempts and mapping version, and replayed with Syncer.Replay. One bad
// item never holds back the rest of its batch.
//
// # Dry run
//
// Syncer.Plan runs a flow without writing: it returns the creates, updates
// and archives it would make, field by field against the sink's current
// values where the sink can read them, and the requests it would take.
package syncer
