package shopify_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
)

// TestBulkWriteProducts writes a catalog with one bulk mutation: staged
// upload, bulkOperationRunMutation, polling, and the result mapped back to
// the products; an invalid product fails alone and stays out of the file.
func TestBulkWriteProducts(t *testing.T) {
	const n = 300
	srv, c, _ := newSimShop(t)
	products := make([]kontor.Product, n)
	for i := range products {
		products[i] = withoutWeight(kontortest.SampleProduct(i))
	}
	products[7].Title = ""                              // invalid: fails before the upload
	products[8].Variants = make([]kontor.Variant, 2049) // too many variants
	for i := range products[8].Variants {
		products[8].Variants[i] = kontor.Variant{SKU: fmt.Sprintf("V-%d", i), Options: []kontor.OptionValue{{Name: "Size", Value: fmt.Sprint(i)}}}
	}
	rs, err := c.WriteProductsBulk(bg, products)
	require.NoError(t, err)
	require.Len(t, rs, n)
	for i, r := range rs {
		assert.Equal(t, products[i].SKU, r.Key)
		switch i {
		case 7:
			assert.Equal(t, kontor.KindValidation, kontor.KindOf(r.Err))
		case 8:
			var ve *kontor.ValidationError
			require.ErrorAs(t, r.Err, &ve)
			assert.Equal(t, "variants", ve.Field)
		default:
			require.Equal(t, kontor.Updated, r.Outcome, "%s: %v", r.Key, r.Err)
			assert.NotEmpty(t, r.Target.ShopKey)
		}
	}
	assert.Len(t, srv.Products(), n-2)
	ops := srv.BulkOperations()
	require.Len(t, ops, 1)
	assert.Equal(t, "MUTATION", ops[0].Type)
	assert.Equal(t, "COMPLETED", ops[0].Status)

	// Written again, the same products are updated, not duplicated.
	rs, err = c.WriteProductsBulk(bg, products[:10])
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Len(t, srv.Products(), n-2)
	p, ok := srv.Product(products[0].Variants[0].SKU)
	require.True(t, ok)
	assert.Equal(t, products[0].Title, p.Title)
}
