// Package memerp is an in-memory ERP: the reference connector that engine
// tests, examples and the quickstart run against, with the semantics of a
// real ERP and none of its set-up.
//
// # What it reads and writes
//
// It reads out what an ERP owns: products (the item master), prices, stock
// per location, customers (debtors), shipments (posted deliveries) and the
// order status it sets. It writes what a shop sends it: orders (sales
// orders), customers, returns (as credit notes) and status changes. The
// test programme seeds the other side with [ERP.PutProduct],
// [ERP.PutPrice], [ERP.PutStock], [ERP.PutCustomer], [ERP.Ship] and
// [ERP.SetOrderStatus], and looks at what arrived with [ERP.Orders],
// [ERP.Order], [ERP.Customers] and [ERP.Returns].
//
// # Keys, versions and reads
//
// Every stored record gets an ERP key that never changes: items
// "ITEM-000001", prices "PRICE-000001", stock "STOCK-000001", customers
// "CUST-000001", sales orders "SO-000001", credit notes "CN-000001",
// shipments "SHIP-000001". Every change stamps the record with the next
// version of one counter for the whole ERP (like a row version) and the
// time of the injectable clock ([WithClock]).
//
// Reads stream what changed at or after the cursor's Since in (UpdatedAt,
// key) order, one request per page ([WithPageSize], default 100), seeking
// by position rather than copying the table, so a catalog of a million
// items streams in constant memory. They stop requesting as soon as the
// consumer stops and end with the context's error when it ends. The
// cursor's Token is not used. A record changed while a read pages comes
// again later in the same read with its new version.
//
// # Writes
//
// A write is one request taking a batch of at most MaxBatch items
// ([WithMaxBatch]; 50 orders, 100 of everything else) and returns one
// result per item. Each item is validated first (an invalid one fails
// alone, with its [kontor.ValidationErrors]); then:
//
//   - an order whose number (the shop's order number, which an ERP keeps as
//     the external document number) is already present is Unchanged with
//     its existing key: a retried or duplicated order is found, never
//     created twice. The existing order is not overwritten; later changes
//     arrive as status updates.
//   - a customer is matched by ERP key, customer number, shop key and
//     e-mail address, in that order; a new one gets its key as its customer
//     number when it has none. An identical one is Unchanged.
//   - a return must name an order the ERP has (else [kontor.KindNotFound],
//     so the engine retries once the order has arrived); a new one is booked
//     as a credit note whose number is its key.
//   - a status update applies to its order (and return) or fails with
//     KindNotFound; Unchanged when the ERP already had that status. It is
//     not reported back by ReadStatusUpdates, which reports the ERP's own
//     changes only.
//
// When the engine puts idempotency keys into the context
// ([kontor.WithIdempotencyKeys]), the ERP records each successful item's
// result under its key, and a later write with the same key gets that first
// result back without writing again.
//
// # Test hooks
//
// [ERP.FailNext], [ERP.FailNextRead], [ERP.FailKey], [ERP.FailAfter] and
// [ERP.Delay] inject the failures the engine must survive, and
// [ERP.Calls] and [ERP.Requests] count requests, so tests can assert that
// an unchanged item costs no write and that a stopped read stops paging.
//
// The ERP is safe for concurrent use: one lock guards its state, and is
// never held while a read's consumer runs.
package memerp
