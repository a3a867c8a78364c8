package kontortest_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
)

// TestSamplesValidate proves every sample passes its Validate, for enough
// i to cover every variation (i mod 2, 3, 7, 10, 100), and that keys differ
// between samples.
func TestSamplesValidate(t *testing.T) {
	keys := make(map[string]int)
	unique := func(kind, key string, i int) {
		t.Helper()
		if j, dup := keys[kind+" "+key]; dup {
			t.Errorf("%s key %q of sample %d is also sample %d's", kind, key, i, j)
		}
		keys[kind+" "+key] = i
	}
	for i := -3; i < 420; i++ {
		p, pr, st, cu, o := kontortest.SampleProduct(i), kontortest.SamplePrice(i), kontortest.SampleStock(i),
			kontortest.SampleCustomer(i), kontortest.SampleOrder(i)
		sh, rt, su := kontortest.SampleShipment(o.Number, i), kontortest.SampleReturn(o.Number, i), kontortest.SampleStatusUpdate(o.Number, i)
		for _, v := range []interface{ Validate() error }{&p, &pr, &st, &cu, &o, &sh, &rt, &su} {
			require.NoError(t, v.Validate(), "sample %d: %T", i, v)
		}
		unique("product", p.Key(), i)
		unique("price", pr.Key(), i)
		unique("stock", st.Key(), i)
		unique("customer", cu.Key(), i)
		unique("order", o.Key(), i)
		unique("shipment", sh.Key(), i)
		unique("return", rt.Key(), i)
		unique("gtin", p.GTIN, i)
		unique("gtin", p.Variants[0].GTIN, i)
		unique("gtin", p.Variants[1].GTIN, i)
		assert.Equal(t, p.Variants[0].SKU, pr.SKU)
		assert.Equal(t, p.Variants[0].SKU, st.SKU)
		assert.Equal(t, cu.Number, o.Customer.Number)
	}
}

func TestSampleGTIN(t *testing.T) {
	assert.Equal(t, "4000000000006", kontortest.SampleGTIN(0))
	assert.Equal(t, "4000000000013", kontortest.SampleGTIN(1))
	for _, n := range []int{0, 1, 9, 10, 123456789, 999999999, 1000000000, -1} {
		assert.NoError(t, kontor.CheckGTIN(kontortest.SampleGTIN(n)), "n=%d", n)
	}
}

// TestSampleOrderAmounts checks the order's arithmetic by hand: it must
// add up exactly, not merely within Validate's tolerance.
func TestSampleOrderAmounts(t *testing.T) {
	o := kontortest.SampleOrder(1) // line 1: 2 × 11.00 at 19 %; line 2: 1 × 24.50 at 7 %; shipping 4.90 at 19 %
	want := []struct{ net, tax, gross string }{{"22.00", "4.18", "26.18"}, {"24.50", "1.72", "26.22"}}
	for i, w := range want {
		l := o.Lines[i]
		assert.True(t, l.Net.Amount.Equal(decimal.RequireFromString(w.net)), "line %d net %s", i, l.Net.Amount)
		assert.True(t, l.Tax.Amount.Equal(decimal.RequireFromString(w.tax)), "line %d tax %s", i, l.Tax.Amount)
		assert.True(t, l.Gross.Amount.Equal(decimal.RequireFromString(w.gross)), "line %d gross %s", i, l.Gross.Amount)
	}
	assert.Equal(t, "0.93", o.ShippingLines[0].Tax.Amount.StringFixed(2))
	assert.Equal(t, "51.40 EUR", o.TotalNet.String())
	assert.Equal(t, "6.83 EUR", o.TotalTax.String())
	assert.Equal(t, "58.23 EUR", o.TotalGross.String())
	assert.True(t, o.Payment.Amount.Equal(o.TotalGross))
	assert.Equal(t, "#500001", o.Number)
}
