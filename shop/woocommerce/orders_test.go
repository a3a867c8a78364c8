package woocommerce_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
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
	samples := []kontor.Order{kontortest.SampleOrder(1), kontortest.SampleOrder(2), kontortest.SampleOrder(3)}
	placeOrders(t, srv, samples)
	// A fee on one more order: a kontor.FeeLine, counted into the totals.
	_, err := srv.SeedOrder(woocommercetest.Order{Currency: "EUR",
		LineItems: []woocommercetest.LineItem{{SKU: samples[0].Lines[0].SKU, Quantity: 1, Total: "10.00", Subtotal: "10.00", TotalTax: "1.90", SubtotalTax: "1.90"}},
		FeeLines:  []woocommercetest.FeeLine{{Name: "Cash on delivery &amp; handling", Total: "2.00", TotalTax: "0.38"}},
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
			require.Len(t, o.Lines, 1, "a fee is no article line")
			require.Len(t, o.Fees, 1)
			f := o.Fees[0]
			assert.Equal(t, "Cash on delivery & handling", f.Title)
			assert.True(t, f.Net.Equal(kontor.MustMoney("2.00", "EUR")), "%s", f.Net)
			assert.True(t, f.Tax.Equal(kontor.MustMoney("0.38", "EUR")), "%s", f.Tax)
			assert.True(t, f.Gross.Equal(kontor.MustMoney("2.38", "EUR")), "%s", f.Gross)
			assert.True(t, f.TaxRate.Equal(decimal.NewFromInt(19)), "%s", f.TaxRate)
			assert.Empty(t, o.Discounts)
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

// A negative fee is WooCommerce's way of a discount: it reads as an
// unallocated discount of its gross, not as a fee, and the order still
// validates; the positive fee beside it stays a fee.
func TestOrderNegativeFeeIsDiscount(t *testing.T) {
	c, srv := newShop(t, nil)
	sku := kontortest.SampleOrder(1).Lines[0].SKU
	ensureProduct(t, srv, sku, decimal.NewFromInt(10))
	_, err := srv.SeedOrder(woocommercetest.Order{Currency: "EUR",
		LineItems: []woocommercetest.LineItem{{SKU: sku, Quantity: 2, Total: "20.00", Subtotal: "20.00", TotalTax: "3.80", SubtotalTax: "3.80"}},
		FeeLines: []woocommercetest.FeeLine{{Name: "Loyalty discount", Total: "-5.00", TotalTax: "-0.95"},
			{Name: "Gift wrap", Total: "1.00", TotalTax: "0.19"}},
		Billing: woocommercetest.Address{Country: "DE", FirstName: "A", LastName: "B"}})
	require.NoError(t, err)

	var got []kontor.Order
	for o, err := range c.ReadOrders(context.Background(), kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, o)
	}
	require.Len(t, got, 1)
	o := got[0]
	require.NoError(t, o.Validate())
	require.Len(t, o.Fees, 1)
	assert.Equal(t, "Gift wrap", o.Fees[0].Title)
	require.Len(t, o.Discounts, 1)
	d := o.Discounts[0]
	assert.Equal(t, "Loyalty discount", d.Title)
	assert.False(t, d.Allocated)
	assert.True(t, d.Amount.Equal(kontor.MustMoney("5.95", "EUR")), "%s", d.Amount)
	assert.True(t, o.TotalGross.Equal(kontor.MustMoney("19.04", "EUR")), "23.80 + 1.19 − 5.95: %s", o.TotalGross)
}

// A status update carrying the order's id in OrderKeys.ShopKey finds the
// order by id, whatever number it names (the ERP's copy of the number may
// differ from the shop's, a sequential-numbering plugin may be gone);
// without keys a number the shop does not have fails as not found. The
// read gives the id back in OrderKeys.
func TestStatusUpdateByOrderKeys(t *testing.T) {
	c, srv := newShop(t, nil)
	placeOrders(t, srv, []kontor.Order{kontortest.SampleOrder(1)})
	placed := srv.Orders()
	require.Len(t, placed, 1)
	id := placed[0].ID
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

	rs, err := c.WriteStatusUpdates(t.Context(), []kontor.StatusUpdate{
		{OrderNumber: "#500001", OrderStatus: kontor.OrderCancelled, Source: kontor.SideERP, At: at},
	})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, kontor.Failed, rs[0].Outcome, "no order has the number")
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[0].Err))

	srv.ResetRequests()
	rs, err = c.WriteStatusUpdates(t.Context(), []kontor.StatusUpdate{
		{OrderNumber: "#500001", OrderKeys: kontor.Meta{ShopKey: strconv.FormatInt(id, 10)}, OrderStatus: kontor.OrderShipped,
			Source: kontor.SideERP, At: at},
	})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, kontor.Updated, rs[0].Outcome, "%v", rs[0].Err)
	assert.Equal(t, "#500001", rs[0].Key, "the key stays the number")
	assert.Equal(t, strconv.FormatInt(id, 10), rs[0].Target.ShopKey)
	o, _ := srv.Order(id)
	assert.Equal(t, "completed", o.Status, "shipped is completed in WooCommerce core")
	assert.Equal(t, 1, srv.Count(http.MethodGet, "/orders"), "one read by id (include=), no search by number")
	assert.Equal(t, 1, srv.Count(http.MethodPost, "/orders/batch"))

	var got []kontor.StatusUpdate
	for u, err := range c.ReadStatusUpdates(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, u)
	}
	require.Len(t, got, 1)
	assert.Equal(t, kontor.Meta{ShopKey: strconv.FormatInt(id, 10)}, got[0].OrderKeys)
	require.NoError(t, got[0].Validate())
}

// A refund of an amount without items reads as an amount-only return: no
// lines, the refund, valid; a refund with items has its lines.
func TestAmountOnlyRefundReadsAsReturn(t *testing.T) {
	c, srv := newShop(t, nil)
	placeOrders(t, srv, []kontor.Order{kontortest.SampleOrder(1)})
	o := srv.Orders()[0]
	_, err := srv.RefundOrder(t.Context(), o.ID, woocommercetest.RefundSpec{Amount: "7.50", Reason: "goodwill"})
	require.NoError(t, err)
	_, err = srv.RefundOrder(t.Context(), o.ID, woocommercetest.RefundSpec{Reason: "too small",
		Lines: []woocommercetest.RefundLine{{ItemID: o.LineItems[0].ID, Quantity: 1, Total: "5.00"}}})
	require.NoError(t, err)

	var got []kontor.Return
	for r, err := range c.ReadReturns(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, r)
	}
	require.Len(t, got, 2)
	byReason := map[string]kontor.Return{}
	for _, r := range got {
		require.NoError(t, r.Validate(), r.Number)
		byReason[r.Reason] = r
	}
	goodwill := byReason["goodwill"]
	assert.Empty(t, goodwill.Lines)
	assert.True(t, goodwill.Refund.Equal(kontor.MustMoney("7.50", "EUR")), "%s", goodwill.Refund)
	assert.Equal(t, strconv.FormatInt(o.ID, 10), goodwill.OrderKeys.ShopKey)
	assert.Len(t, byReason["too small"].Lines, 1)
}
