// Package minierp is a Kontor connector for minierp, a small REST ERP that
// Kontor does not ship: the worked example of how an agency writes a
// connector for its client's ERP. It is built from the parts every
// connector uses (kontor's capability interfaces and error kinds, the
// transport middleware) and passes the connector conformance suite
// (kontortest) against minierptest, the stand-in server beside it.
//
//	conn, err := minierp.New("https://erp.example.com", apiKey, minierp.WithLogger(logger))
//	s := syncer.New(st)
//	err = s.Add(syncer.Products(conn, shop), syncer.Orders(shop, conn))
//
// # What it reads and writes
//
// It reads what the ERP owns: products (articles with variants), prices
// (price list entries; a named list is a customer group), stock per
// warehouse, and shipments with tracking. It writes what a shop sends:
// orders (sales orders) and customers. minierp has no webhooks; the engine
// polls it. [Connector.Capabilities] declares exactly this, and the
// compile-time assertions in connector.go keep the declaration and the
// methods in step.
//
// # Transport
//
// Every request goes through one *http.Client built by transport.NewClient
// with this middleware, outermost first:
//
//   - transport.Retry resends what failed in a way that may pass (a
//     dropped connection, 408, 425, 429, 500, 502, 503, 504), waiting the
//     longer of its backoff and the server's Retry-After. It resends a
//     POST only because each carries an Idempotency-Key.
//   - a transport.Limiter paces requests (default 50 a second, see
//     [WithRate]) and halves its rate when minierp answers 429.
//   - transport.APIKeyHeader sets X-Api-Key on every attempt.
//   - transport.Log writes one record per attempt, headers included and
//     redacted: the key never reaches a log.
//
// # Reads
//
// Reads stream page by page (limit, changed_since, then minierp's
// next_cursor) and ask for the next page only when the consumer has taken
// the last item; a consumer that stops ranging stops the paging. A page
// that fails, a cancelled context, or an item that does not map (a
// decimal that is not one: a *kontor.ValidationError naming the item and
// the field) ends the read with that error, so nothing is skipped
// silently. The engine's cursor Token is not used: minierp's cursors are
// positions within one read.
//
// # Writes
//
// A write takes up to 20 items and returns one result per item. Each item
// is validated first (kontor's Validate, then the rules of minierp the
// connector knows); an invalid one fails alone with a typed error. Then one
// look-up request finds the batch's items minierp already has: an order it
// has is Unchanged with its key (check before create, by external number),
// a customer whose data it holds is Unchanged. The rest are POSTed one by
// one under the engine's idempotency key (kontor.IdempotencyKey), or a new
// one per call when the engine gave none, so a retry after a lost answer
// gets the first answer instead of a second order. An order that minierp
// reports as a duplicate (409 duplicate_external_number) is looked up and
// reported Unchanged.
//
// Errors are classified by kind. An answer about the item (422
// validation, 409 conflict, 404, another 4xx) fails that item; the rest of
// the batch goes on. An answer about the call (401, 429 or 5xx after the
// retries, a network failure) fails the whole batch with that error, for
// the engine to retry; the look-up makes the retry create nothing twice.
package minierp
