package woocommerce_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// Orders placed in the shop with lines at 19 % and 7 %, shipping and a
// fee read back as kontor.Orders that pass Validate, with the sample's
// amounts.
func TestOrdersReadValidate(t *testing.T) {
	c, srv := newShop(t, nil)
	cn := &conn{Client: c, numbers: map[string]string{}}
	samples := []kontor.Order{kontortest.SampleOrder(1), kontortest.SampleOrder(2), kontortest.SampleOrder(3)}
	cn.placeOrders(t, srv, samples)
	// A fee on one more order: a line of SKU "fee".
	_, err := srv.SeedOrder(woocommercetest.Order{Currency: "EUR",
		LineItems: []woocommercetest.LineItem{{SKU: samples[0].Lines[0].SKU, Quantity: 1, Total: "10.00", Subtotal: "10.00", TotalTax: "1.90", SubtotalTax: "1.90"}},
		FeeLines:  []woocommercetest.FeeLine{{Name: "Cash on delivery", Total: "2.00", TotalTax: "0.38"}},
		Billing:   woocommercetest.Address{Country: "DE", FirstName: "A", LastName: "B"}})
	require.NoError(t, err)

	var got []kontor.Order
	for o, err := range c.ReadOrders(context.Background(), kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, o)
	}
	require.Len(t, got, 4)
	for i, o := range got {
		assert.NoError(t, o.Validate(), "order %s", o.Number)
		if i == 3 {
			require.Len(t, o.Lines, 2)
			assert.Equal(t, "fee", o.Lines[1].SKU)
			assert.True(t, o.TotalGross.Equal(kontor.MustMoney("14.28", "EUR")), "%s", o.TotalGross)
			continue
		}
		s := samples[i]
		assert.True(t, o.TotalGross.Equal(s.TotalGross), "%s: %s, want %s", o.Number, o.TotalGross, s.TotalGross)
		assert.True(t, o.TotalTax.Equal(s.TotalTax), "%s: %s, want %s", o.Number, o.TotalTax, s.TotalTax)
		require.Len(t, o.Lines, 2)
		for k, l := range o.Lines {
			assert.Equal(t, s.Lines[k].SKU, l.SKU)
			assert.True(t, l.TaxRate.Equal(s.Lines[k].TaxRate), "rate %s, want %s", l.TaxRate, s.Lines[k].TaxRate)
			assert.True(t, l.Gross.Equal(s.Lines[k].Gross))
		}
		require.Len(t, o.ShippingLines, 1)
		assert.True(t, o.ShippingLines[0].TaxRate.Equal(s.ShippingLines[0].TaxRate))
		assert.Equal(t, kontor.OrderProcessing, o.Status)
		assert.Equal(t, kontor.PaymentPaid, o.PaymentStatus)
		assert.Equal(t, "DE", o.Billing.Country)
	}
}
