package shopify_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/transport"
)

// newShop starts a fake shop with the locations "Main" and "Berlin" and
// a client for it. The client retries quickly and maps the samples'
// warehouse "MAIN" to the location "Main".
func newShop(t testing.TB, fakeOpts []shopifytest.Option, opts ...shopify.Option) (*shopifytest.Server, *shopify.Client) {
	t.Helper()
	srv := shopifytest.New(fakeOpts...)
	t.Cleanup(srv.Close)
	srv.AddLocation(shopifytest.Location{Name: "Main", Address: shopifytest.Address{City: "Hamburg", CountryCode: "DE"}})
	srv.AddLocation(shopifytest.Location{Name: "Berlin", Address: shopifytest.Address{City: "Berlin", CountryCode: "DE"}})
	c, err := shopify.New(srv.ShopDomain(), srv.Token(), append([]shopify.Option{
		shopify.WithEndpoint(srv.URL()),
		shopify.WithLocations(map[string]string{"MAIN": "Main"}),
		shopify.WithRetry(transport.RetryInitialInterval(time.Millisecond), transport.RetryMaxInterval(5*time.Millisecond)),
		shopify.WithPollInterval(5 * time.Millisecond),
	}, opts...)...)
	require.NoError(t, err)
	return srv, c
}

// mustSucceed fails the test on a failed call or item:
// mustSucceed(t)(c.WriteStock(ctx, levels)).
func mustSucceed(t testing.TB) func([]kontor.Result, error) []kontor.Result {
	return func(rs []kontor.Result, err error) []kontor.Result {
		t.Helper()
		require.NoError(t, err)
		require.NoError(t, kontor.BatchErr(rs))
		return rs
	}
}

var bg = context.Background()

// withoutWeight drops the product's and its variants' weights. The fake
// lacks InventoryItemInput.measurement, which the real API has (see the
// package's report); the tests that write products through the fake strip
// weights until it has it.
func withoutWeight(p kontor.Product) kontor.Product {
	p.Weight = nil
	vs := make([]kontor.Variant, len(p.Variants))
	for i, v := range p.Variants {
		v.Weight = nil
		vs[i] = v
	}
	p.Variants = vs
	return p
}
