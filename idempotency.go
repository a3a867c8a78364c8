package kontor

import "context"

// idempotencyKeys is the context key of the batch's idempotency keys.
type idempotencyKeys struct{}

// WithIdempotencyKeys returns ctx carrying one idempotency key per item of
// the batch about to be written, aligned with the batch; the engine assigns
// each key once per logical write, stores it before the call, and reuses it
// on every retry. A connector whose system deduplicates by key (an
// Idempotency-Key header, a request id) sends it, so a retry after a lost
// response finds the first attempt's result instead of writing twice.
//
// The keys are copied: changing the slice afterwards does not change them.
// An empty string means the item has no key.
func WithIdempotencyKeys(ctx context.Context, keys []string) context.Context {
	return context.WithValue(ctx, idempotencyKeys{}, append([]string(nil), keys...))
}

// IdempotencyKey returns the key of item i of the batch being written, or ""
// when ctx carries no keys or none for item i. Connectors call it per item,
// so a batch split into requests keeps each item's key.
func IdempotencyKey(ctx context.Context, i int) string {
	keys, _ := ctx.Value(idempotencyKeys{}).([]string)
	if i < 0 || i >= len(keys) {
		return ""
	}
	return keys[i]
}
