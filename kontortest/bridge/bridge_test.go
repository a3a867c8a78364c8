package bridge_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/kontortest/bridge"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serve(t *testing.T, conn kontor.Connector) *bridge.Conn {
	t.Helper()
	srv := httptest.NewServer(bridge.Handler(conn))
	t.Cleanup(srv.Close)
	c, err := bridge.Dial(context.Background(), srv.URL, srv.Client())
	require.NoError(t, err)
	return c
}

// A connector behind the bridge keeps every contract it keeps in process.
func TestBridgedERPPassesConformance(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		erp := memerp.New(memerp.WithPageSize(10))
		return serve(t, erp), kontortest.Features{
			PageSize:           10,
			ChecksBeforeCreate: true,
			ReadsAreOrdered:    true,
			Seed: func(t testing.TB, n int) {
				for i := range n {
					_, err := erp.PutProduct(kontortest.SampleProduct(i))
					require.NoError(t, err)
					_, err = erp.PutPrice(kontortest.SamplePrice(i))
					require.NoError(t, err)
					_, err = erp.PutStock(kontortest.SampleStock(i))
					require.NoError(t, err)
					erp.PutCustomer(kontortest.SampleCustomer(i))
					o := kontortest.SampleOrder(i)
					rs, err := erp.WriteOrders(context.Background(), []kontor.Order{o})
					require.NoError(t, err)
					require.NoError(t, kontor.BatchErr(rs))
					_, err = erp.Ship(o.Number, kontor.Tracking{Number: "TRK"}, "DHL")
					require.NoError(t, err)
				}
			},
		}
	})
}

// Idempotency keys, field masks and error kinds cross the bridge.
func TestBridgeCarriesTheWriteContext(t *testing.T) {
	ctx := context.Background()
	erp := memerp.New()
	c := serve(t, erp)
	assert.Equal(t, erp.Capabilities(), c.Capabilities())
	require.NoError(t, kontor.Require(c, kontor.EntityOrder, kontor.Write))
	assert.Error(t, kontor.Require(c, kontor.EntityProduct, kontor.Write), "the ERP takes no products, so neither does its bridge")

	o := kontortest.SampleOrder(1)
	kctx := kontor.WithIdempotencyKeys(ctx, []string{"key-1"})
	first, err := c.WriteOrders(kctx, []kontor.Order{o})
	require.NoError(t, err)
	assert.Equal(t, kontor.Created, first[0].Outcome)
	assert.NotEmpty(t, first[0].Target.ERPKey)
	// The same key answers with the first result, not a second order.
	again, err := c.WriteOrders(kctx, []kontor.Order{o})
	require.NoError(t, err)
	assert.Equal(t, first[0].Target.ERPKey, again[0].Target.ERPKey)
	assert.Len(t, erp.Orders(), 1)

	bad := kontortest.SampleOrder(2)
	bad.Currency = "EURO"
	res, err := c.WriteOrders(ctx, []kontor.Order{bad})
	require.NoError(t, err)
	assert.Equal(t, kontor.Failed, res[0].Outcome)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(res[0].Err))

	erp.FailNext(1, kontor.NewError(kontor.KindRateLimited, "erp", assert.AnError))
	_, err = c.WriteOrders(ctx, []kontor.Order{kontortest.SampleOrder(3)})
	assert.True(t, kontor.IsRetryable(err), "%v", err)
}
