// Package minierptest is minierp: a small REST ERP that Kontor does not
// ship a connector for. It plays, in one process and on loopback, the ERP
// an agency's client runs, so the example connector in the parent package
// can be written, tested and demonstrated without one. It is also the
// shape of the fake every connector package keeps beside it: the system's
// wire protocol and rules, seeding methods, fault injection and counters.
//
//	erp := minierptest.New()
//	defer erp.Close()
//	erp.PutArticle(minierptest.Article{SKU: "MUG", Name: "Mug", Status: "active"})
//	// GET erp.URL()+"/api/products" with the header X-Api-Key: erp.APIKey()
//
// # The API
//
// Every endpoint lives under /api, takes and returns JSON, and wants the
// API key in the X-Api-Key header:
//
//	GET  /api/products    articles (the item master) with their variants
//	GET  /api/prices      price list entries, one per SKU and price list
//	GET  /api/stock       stock per SKU and warehouse
//	GET  /api/shipments   posted shipments with tracking
//	GET  /api/orders      sales orders; ?external_number=… looks orders up
//	POST /api/orders      creates a sales order
//	GET  /api/customers   customers; ?external_ref=… looks customers up
//	POST /api/customers   creates a customer, or updates the one with the
//	                      same external_ref
//
// Amounts and quantities are decimal strings ("19.90"), never JSON numbers,
// and times are RFC 3339 in UTC.
//
// # Lists and paging
//
// A list takes changed_since (RFC 3339; items changed at or after it),
// limit (default and maximum 100, see [WithMaxPageSize]) and cursor, and
// answers {"items":[…],"next_cursor":"…"} in (updated_at, key) order.
// next_cursor is empty on the last page; otherwise it is passed back as
// cursor for the next one. A cursor is a position, so an item changed
// while a client pages moves to the end and comes again. A lookup
// (external_number or external_ref, repeated, at most 50) answers the
// matching items in one page without a cursor.
//
// # Writes
//
// POST /api/orders checks the order (an external_number of at most 35
// characters, a currency, at least one line, whole positive quantities,
// decimal amounts) and answers 422 with the offending field as the
// error's target. An external_number minierp already has is answered 409
// with the code duplicate_external_number: an order is never booked twice.
// POST /api/customers upserts by external_ref: 201 when it created the
// customer, 200 when it updated it.
//
// A POST with an Idempotency-Key header is carried out once: a repeat with
// the same key and body gets the first answer again, with the header
// Idempotent-Replayed: true; the same key with another body is answered
// 422 idempotency_key_reused. Only successful answers are kept: a request
// that was refused or failed is carried out when it comes again.
//
// # Errors and limits
//
// Errors are {"error":{"code":"…","message":"…"}}, the common OData shape
// that transport.CheckResponse reads. A missing or wrong API key is 401
// unauthorized; an unknown field in a request body is 400. More than the
// configured requests per window ([WithRateLimit]; default 100 a second)
// are answered 429 rate_limited with Retry-After: the time left in the
// window, in seconds, with a fraction when below a whole one
// (transport.ParseRetryAfter reads both forms).
//
// # Seeding, faults and counters
//
// [Server.PutArticle], [Server.PutPrice], [Server.PutStock],
// [Server.AddOrder] and [Server.Ship] change the ERP as its users do;
// they do not count as requests, pass no fault, and do not validate what
// they store, so tests can plant bad data. [Server.FailNext],
// [Server.FailAfter], [Server.FailKey] and [Server.LoseResponses] inject
// the failures a connector must survive; [Server.Requests],
// [Server.Calls] and [Server.Throttled] count what reached the server.
//
// The server is deterministic for a given clock ([WithClock]) and safe for
// concurrent use: one lock guards its state, and no answer is written
// while it is held. Close stops it and leaves no goroutine behind.
package minierptest
