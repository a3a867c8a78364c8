package kontor_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kontor-dev/kontor"
)

func TestIdempotencyKeys(t *testing.T) {
	keys := []string{"k0", "", "k2"}
	ctx := kontor.WithIdempotencyKeys(context.Background(), keys)
	keys[0] = "changed" // the context holds its own copy

	assert.Equal(t, "k0", kontor.IdempotencyKey(ctx, 0))
	assert.Equal(t, "", kontor.IdempotencyKey(ctx, 1), "an empty key is no key")
	assert.Equal(t, "k2", kontor.IdempotencyKey(ctx, 2))
	assert.Equal(t, "", kontor.IdempotencyKey(ctx, 3), "beyond the batch")
	assert.Equal(t, "", kontor.IdempotencyKey(ctx, -1), "a negative index")
	assert.Equal(t, "", kontor.IdempotencyKey(context.Background(), 0), "a context without keys")

	// A nested batch (a connector splitting a batch) replaces the keys.
	inner := kontor.WithIdempotencyKeys(ctx, []string{"k2"})
	assert.Equal(t, "k2", kontor.IdempotencyKey(inner, 0))
	assert.Equal(t, "", kontor.IdempotencyKey(inner, 2))
	assert.Equal(t, "k2", kontor.IdempotencyKey(ctx, 2), "the outer context is unchanged")
}
