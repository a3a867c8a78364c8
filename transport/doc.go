// Package transport is the HTTP layer every Kontor connector composes:
// http.RoundTripper middleware for retry, adaptive rate limiting, read
// caching, redacting logs and authentication; a client constructor with
// TLS 1.3 as the floor; CheckResponse, which turns a failed response into a
// classified *kontor.APIError; and a webhook receiver that verifies HMAC
// signatures and drops replays.
//
// # Composing a client
//
// A [Middleware] wraps a RoundTripper with one concern; [Chain] stacks them,
// the first given outermost. The order matters:
//
//	Cache → Retry → RateLimit → auth → Log → the network
//
// A cached read costs no request and no rate budget. Retry sits outside the
// limiter so every attempt is paced, and outside auth so every attempt
// carries a fresh token. Log sits innermost so each attempt is logged as it
// went on the wire, with its attempt number and with secrets and personal
// data redacted.
//
// # Writes and retries
//
// Retry resends GET, HEAD, PUT and DELETE, and a POST or PATCH only when it
// carries an idempotency key header ([IdempotencyKeyHeaders]) or its
// context is marked with [WithIdempotent]: a lost response to a create is
// never answered by creating twice. Assign the idempotency key once per
// logical write, before any retry, and persist it so a restart reuses it.
//
// # Rate limits
//
// The [Limiter] keeps one token bucket per remote system or tenant. A 429
// or a connector's own throttle signal halves the rate and honours
// Retry-After; sustained success probes back up, slowly near the rate that
// last failed, so a client settles just under what the server allows.
// Its delay computation does not sleep, so it is tested without a clock.
//
// # Webhooks
//
// [WebhookReceiver] verifies HMAC-SHA256 signatures over the raw body in
// constant time, limits the body size, rejects stale and replayed
// deliveries and hands each verified event to a callback exactly once. The
// callback should persist the event (the engine's inbox) and return; the
// sender gets its answer within its timeout.
package transport
