package main

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDemo(t *testing.T) {
	var out, logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sum, err := demo(context.Background(), &out, logger)
	require.NoError(t, err, out.String())

	created := map[string]int{}
	for _, r := range sum.Reports {
		created[r.Flow] += r.Created
		assert.Zero(t, r.DeadLettered, "%s dead-lettered", r.Flow)
	}
	assert.Equal(t, map[string]int{"products": 3, "prices": 6, "stock": 5, "customers": 1, "orders": 1, "shipments": 1}, created)
	assert.Equal(t, 3, sum.ShopProducts)
	assert.Equal(t, "SO-00001", sum.SalesOrder)
	assert.Equal(t, 1, sum.SalesOrders, "the lost answer booked the order twice")
	assert.Equal(t, 1, sum.Replays, "the retry did not reuse the Idempotency-Key")
	assert.Equal(t, "00340434161094042557", sum.Tracking)
	assert.Zero(t, sum.SecondPass)
	// 3 catalog reads; customer look-up and POST; order look-up, POST and
	// its retry; 1 shipment read; 4 reads in the second pass.
	assert.Equal(t, 3+2+3+1+4, sum.Requests)

	for _, want := range []string{"minierp sales order SO-00001 for shop order #1001", "tracking 00340434161094042557",
		"4. A second pass finds nothing to write."} {
		assert.Contains(t, out.String(), want)
	}
	// The demo's requests were logged with the key redacted, and the
	// customer's e-mail address is nowhere.
	assert.Contains(t, logs.String(), `"X-Api-Key":"[REDACTED]"`)
	assert.NotContains(t, logs.String(), `"X-Api-Key":"mk_`)
	assert.NotContains(t, logs.String()+out.String(), "erika.mustermann@example.com")
}
