package kontor_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

func TestKindForStatus(t *testing.T) {
	want := map[int]kontor.Kind{
		200: kontor.KindUnknown, 400: kontor.KindValidation, 401: kontor.KindUnauthorized, 403: kontor.KindUnauthorized,
		404: kontor.KindNotFound, 405: kontor.KindPermanent, 408: kontor.KindRetryable, 409: kontor.KindConflict,
		410: kontor.KindNotFound, 412: kontor.KindConflict, 422: kontor.KindValidation, 425: kontor.KindRetryable,
		429: kontor.KindRateLimited, 500: kontor.KindRetryable, 501: kontor.KindPermanent, 502: kontor.KindRetryable,
		503: kontor.KindRetryable, 504: kontor.KindRetryable,
	}
	for status, kind := range want {
		assert.Equal(t, kind, kontor.KindForStatus(status), "status %d", status)
	}
}

func TestAPIErrorMatchesItsKind(t *testing.T) {
	err := fmt.Errorf("write stock: %w", &kontor.APIError{
		System: "shopify", Op: "inventorySetQuantities", Kind: kontor.KindRateLimited, StatusCode: 429,
		Code: "THROTTLED", Message: "Throttled", RequestID: "req-1", RetryAfter: 2 * time.Second, Body: "secret body",
	})
	assert.True(t, errors.Is(err, kontor.ErrRateLimited))
	assert.True(t, errors.Is(err, kontor.ErrRetryable), "rate limited is retryable")
	assert.False(t, errors.Is(err, kontor.ErrPermanent))
	assert.True(t, kontor.IsRetryable(err))
	d, ok := kontor.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second, d)
	var api *kontor.APIError
	require.True(t, errors.As(err, &api))
	assert.Equal(t, "req-1", api.RequestID)
	assert.Equal(t, "write stock: shopify inventorySetQuantities: rate limited: HTTP 429 THROTTLED: Throttled (request id req-1)", err.Error())
	assert.NotContains(t, err.Error(), "secret body", "the body excerpt never enters the message")
}

func TestErrorKinds(t *testing.T) {
	conflict := kontor.NewError(kontor.KindConflict, "businesscentral PATCH item", errors.New("etag mismatch"))
	assert.True(t, errors.Is(conflict, kontor.ErrConflict))
	assert.False(t, errors.Is(conflict, kontor.ErrRetryable))
	assert.Equal(t, "businesscentral PATCH item: conflict: etag mismatch", conflict.Error())
	assert.Equal(t, kontor.KindConflict, kontor.KindOf(fmt.Errorf("wrapped: %w", conflict)))

	assert.Equal(t, kontor.KindUnknown, kontor.KindOf(errors.New("plain")))
	assert.Equal(t, kontor.KindUnknown, kontor.KindOf(context.Canceled))
	assert.Equal(t, kontor.KindRetryable, kontor.KindOf(context.DeadlineExceeded))
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(kontor.ErrNotFound))
	assert.False(t, kontor.IsRetryable(nil))
	_, ok := kontor.RetryAfter(conflict)
	assert.False(t, ok)
	for k := kontor.KindUnknown; k <= kontor.KindUnauthorized; k++ {
		assert.NotContains(t, k.String(), "Kind(")
	}
}

func TestBatchErr(t *testing.T) {
	require.NoError(t, kontor.BatchErr([]kontor.Result{{Key: "A", Outcome: kontor.Created}, {Key: "B", Outcome: kontor.Unchanged}}))
	bad := &kontor.ValidationError{Entity: kontor.EntityStock, Key: "C", Field: "available", Reason: "is -1"}
	err := kontor.BatchErr([]kontor.Result{
		{Key: "A", Outcome: kontor.Updated},
		{Key: "B", Outcome: kontor.Failed, Err: &kontor.APIError{System: "x", Kind: kontor.KindConflict}},
		{Key: "C", Outcome: kontor.Failed, Err: bad},
	})
	var be *kontor.BatchError
	require.True(t, errors.As(err, &be))
	assert.Equal(t, 3, be.Total)
	assert.Equal(t, []int{1, 2}, be.Indexes())
	assert.True(t, errors.Is(err, kontor.ErrValidation))
	assert.True(t, errors.Is(err, kontor.ErrConflict))
	assert.False(t, errors.Is(err, kontor.ErrNotFound))
	assert.Contains(t, err.Error(), "2 of 3 items failed")
}
