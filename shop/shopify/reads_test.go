package shopify_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// TestReadOrdersValidate places the sample orders (net prices, two tax
// rates, shipping) and an order with a discount in a tax-inclusive shop,
// and reads them back as orders that pass Validate with the totals placed.
func TestReadOrdersValidate(t *testing.T) {
	srv, c, _ := newSimShop(t)
	var want []kontor.Order
	for i := range 3 {
		want = append(want, kontortest.SampleOrder(i))
	}
	placeOrders(t, srv, want)

	incl := true
	ten := decimal.NewFromInt(10)
	sku := kontortest.SampleProduct(0).Variants[0].SKU
	_, err := srv.PlaceOrder(bg, shopifytest.OrderInput{Name: "#GROSS-1", TaxesIncluded: &incl,
		Customer:       &shopifytest.Customer{FirstName: "Erika", LastName: "Muster", Email: "erika@example.com"},
		BillingAddress: &shopifytest.Address{Address1: "Musterweg 1", City: "Berlin", Zip: "10115", CountryCode: "DE"},
		Lines:          []shopifytest.LineInput{{SKU: sku, Quantity: 3, TaxLines: []shopifytest.TaxLineInput{{Title: "MwSt", Rate: decimal.RequireFromString("0.19")}}}},
		ShippingLines: []shopifytest.ShippingLineInput{{Title: "DHL", Price: decimal.RequireFromString("4.90"),
			TaxLines: []shopifytest.TaxLineInput{{Title: "MwSt", Rate: decimal.RequireFromString("0.19")}}}},
		Discounts: []shopifytest.DiscountInput{{Code: "TEN", Percentage: &ten}},
	})
	require.NoError(t, err)

	var got []kontor.Order
	for o, err := range c.ReadOrders(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, o)
	}
	require.Len(t, got, 4)
	for i, o := range got {
		require.NoError(t, o.Validate(), "order %s", o.Number)
		assert.NotEmpty(t, o.ShopKey)
		if i < 3 {
			w := want[i]
			assert.Equal(t, w.Number, o.Number)
			assert.True(t, w.TotalGross.Amount.Equal(o.TotalGross.Amount), "%s: %s vs %s", o.Number, o.TotalGross, w.TotalGross)
			assert.True(t, w.TotalTax.Amount.Equal(o.TotalTax.Amount), "%s tax", o.Number)
			require.Len(t, o.Lines, 2)
			assert.Equal(t, w.Lines[1].SKU, o.Lines[1].SKU)
			assert.True(t, w.Lines[1].TaxRate.Equal(o.Lines[1].TaxRate), "7 %%")
			assert.Equal(t, kontor.PaymentPaid, o.PaymentStatus)
			assert.Equal(t, kontor.OrderProcessing, o.Status)
			assert.Equal(t, w.Payment.TransactionID, o.Payment.TransactionID)
			assert.Equal(t, "DE", o.Billing.Country)
		}
	}
	g := got[3]
	assert.True(t, g.PricesIncludeTax)
	require.Len(t, g.Discounts, 1)
	assert.Equal(t, "TEN", g.Discounts[0].Code)
	assert.True(t, g.Lines[0].Discount.Amount.IsPositive(), "the discount is allocated onto the line")
}
