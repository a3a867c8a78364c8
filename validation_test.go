package kontor_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// fields returns the field paths of err's validation errors.
func fields(t *testing.T, err error) []string {
	t.Helper()
	var ves kontor.ValidationErrors
	require.True(t, errors.As(err, &ves), "want ValidationErrors, got %v", err)
	out := make([]string, len(ves))
	for i, e := range ves {
		out[i] = e.Field
	}
	return out
}

func TestValidateNamesEntityKeyAndField(t *testing.T) {
	cases := []struct {
		name   string
		value  func() validator
		entity kontor.Entity
		key    string
		field  string
	}{
		{"gtin check digit", func() validator { p := sampleProduct(); p.GTIN = "4006381333932"; return &p }, kontor.EntityProduct, "TS-ORG", "gtin"},
		{"variant gtin", func() validator { p := sampleProduct(); p.Variants[0].GTIN = "5901234123450"; return &p }, kontor.EntityProduct, "TS-ORG", "variants[0].gtin"},
		{"duplicate variant sku", func() validator { p := sampleProduct(); p.Variants[1].SKU = p.Variants[0].SKU; return &p }, kontor.EntityProduct, "TS-ORG", "variants[1].sku"},
		{"unknown option", func() validator { p := sampleProduct(); p.Variants[0].Options[0].Name = "Size"; return &p }, kontor.EntityProduct, "TS-ORG", "variants[0].options[0].name"},
		{"negative weight", func() validator { p := sampleProduct(); p.Weight.Value = dec("-1"); return &p }, kontor.EntityProduct, "TS-ORG", "weight.value"},
		{"weight unit", func() validator { p := sampleProduct(); p.Weight.Unit = "stone"; return &p }, kontor.EntityProduct, "TS-ORG", "weight.unit"},
		{"product status", func() validator { p := sampleProduct(); p.Status = "gone"; return &p }, kontor.EntityProduct, "TS-ORG", "status"},
		{"price currency", func() validator { p := samplePrice(); p.List.Currency = "EURO"; return &p }, kontor.EntityPrice, "TS-ORG-M-BL@wholesale", "list.currency"},
		{"sale above list", func() validator { p := samplePrice(); s := eur("29.99"); p.Sale = &s; return &p }, kontor.EntityPrice, "TS-ORG-M-BL@wholesale", "sale.amount"},
		{"sale other currency", func() validator { p := samplePrice(); s := kontor.MustMoney("1", "CHF"); p.Sale = &s; return &p }, kontor.EntityPrice, "TS-ORG-M-BL@wholesale", "sale.currency"},
		{"tiers not ascending", func() validator { p := samplePrice(); p.Tiers[1].MinQuantity = dec("5"); return &p }, kontor.EntityPrice, "TS-ORG-M-BL@wholesale", "tiers[1].min_quantity"},
		{"window", func() validator { p := samplePrice(); p.ValidTo = p.ValidFrom.Add(-time.Hour); return &p }, kontor.EntityPrice, "TS-ORG-M-BL@wholesale", "valid_to"},
		{"negative stock", func() validator { s := sampleStock(); s.OnHand = dec("-0.5"); return &s }, kontor.EntityStock, "TS-ORG-M-BL@MAIN", "on_hand"},
		{"negative reserved", func() validator { s := sampleStock(); s.Reserved = dec("-1"); return &s }, kontor.EntityStock, "TS-ORG-M-BL@MAIN", "reserved"},
		{"vat id shape", func() validator { c := sampleCustomer(); c.VATID = "DE12345678"; return &c }, kontor.EntityCustomer, "D10001", "vat_id"},
		{"b2b without company", func() validator { c := sampleCustomer(); c.Company = ""; return &c }, kontor.EntityCustomer, "D10001", "company"},
		{"bad email", func() validator { c := sampleCustomer(); c.Email = "einkauf at example"; return &c }, kontor.EntityCustomer, "D10001", "email"},
		{"country", func() validator { c := sampleCustomer(); c.Addresses[0].Country = "Germany"; return &c }, kontor.EntityCustomer, "D10001", "addresses[0].country"},
		{"order currency", func() validator { o := sampleOrder(); o.Currency = "XYZ"; return &o }, kontor.EntityOrder, "#1042", "currency"},
		{"line currency", func() validator { o := sampleOrder(); o.Lines[1].Tax.Currency = "USD"; return &o }, kontor.EntityOrder, "#1042", "lines[1].tax.currency"},
		{"line net+tax != gross", func() validator { o := sampleOrder(); o.Lines[0].Gross = eur("39.99"); return &o }, kontor.EntityOrder, "#1042", "lines[0].gross"},
		{"tax not rate of net", func() validator {
			o := sampleOrder()
			o.Lines[1].TaxRate = dec("19")
			return &o
		}, kontor.EntityOrder, "#1042", "lines[1].tax"},
		{"zero quantity", func() validator { o := sampleOrder(); o.Lines[0].Quantity = dec("0"); return &o }, kontor.EntityOrder, "#1042", "lines[0].quantity"},
		{"total gross off", func() validator { o := sampleOrder(); o.TotalGross = eur("56.98"); return &o }, kontor.EntityOrder, "#1042", "total_gross"},
		{"total tax off", func() validator { o := sampleOrder(); o.TotalTax = eur("8.17"); o.TotalNet = eur("50.71"); return &o }, kontor.EntityOrder, "#1042", "total_tax"},
		{"fee net+tax != gross", func() validator { o := sampleOrder(); o.Fees[0].Gross = eur("2.10"); return &o }, kontor.EntityOrder, "#1042", "fees[0].gross"},
		{"fee tax not rate of net", func() validator { o := sampleOrder(); o.Fees[0].TaxRate = dec("7"); return &o }, kontor.EntityOrder, "#1042", "fees[0].tax"},
		{"negative fee", func() validator {
			o := sampleOrder()
			o.Fees[0].Net, o.Fees[0].Tax, o.Fees[0].Gross = eur("-1.68"), eur("-0.32"), eur("-2.00")
			return &o
		}, kontor.EntityOrder, "#1042", "fees[0].gross.amount"},
		{"fee currency", func() validator { o := sampleOrder(); o.Fees[0].Net.Currency = "USD"; return &o }, kontor.EntityOrder, "#1042", "fees[0].net.currency"},
		{"totals without the fee", func() validator { o := sampleOrder(); o.Fees = nil; return &o }, kontor.EntityOrder, "#1042", "total_gross"},
		{"no lines", func() validator { o := sampleOrder(); o.Lines = nil; return &o }, kontor.EntityOrder, "#1042", "lines"},
		{"billing country", func() validator { o := sampleOrder(); o.Billing.Country = ""; return &o }, kontor.EntityOrder, "#1042", "billing.country"},
		{"order status", func() validator { o := sampleOrder(); o.Status = "done"; return &o }, kontor.EntityOrder, "#1042", "status"},
		{"tracking url", func() validator { s := sampleShipment(); s.Tracking[0].URL = "javascript:alert(1)"; return &s }, kontor.EntityShipment, "LS-2026-0042", "tracking[0].url"},
		{"shipment quantity", func() validator { s := sampleShipment(); s.Lines[0].Quantity = dec("-2"); return &s }, kontor.EntityShipment, "LS-2026-0042", "lines[0].quantity"},
		{"return refund sum", func() validator { r := sampleReturn(); r.Refund = eur("29.99"); return &r }, kontor.EntityReturn, "R-1042-1", "refund"},
		{"return status", func() validator { r := sampleReturn(); r.Status = ""; return &r }, kontor.EntityReturn, "R-1042-1", "status"},
		{"return without lines or refund", func() validator {
			r := sampleReturn()
			r.Lines, r.Refund = nil, eur("0")
			return &r
		}, kontor.EntityReturn, "R-1042-1", "lines"},
		{"status none", func() validator {
			s := sampleStatus()
			s.OrderStatus, s.PaymentStatus = "", ""
			return &s
		}, kontor.EntityStatus, "#1042", "order_status"},
		{"return status without number", func() validator { s := sampleStatus(); s.ReturnStatus = kontor.ReturnReceived; return &s }, kontor.EntityStatus, "#1042", "return_number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.value().Validate()
			require.Error(t, err)
			assert.True(t, errors.Is(err, kontor.ErrValidation))
			assert.True(t, errors.Is(err, kontor.ErrPermanent))
			assert.False(t, errors.Is(err, kontor.ErrRetryable))
			assert.Equal(t, kontor.KindValidation, kontor.KindOf(err))
			var ve *kontor.ValidationError
			require.True(t, errors.As(err, &ve))
			assert.Equal(t, tc.entity, ve.Entity)
			assert.Equal(t, tc.key, ve.Key)
			assert.Contains(t, fields(t, err), tc.field, err.Error())
		})
	}
}

// The totals tolerance is one minor unit per line plus one: a cent of
// rounding drift passes, a real mismatch does not.
func TestOrderTotalsTolerance(t *testing.T) {
	o := sampleOrder() // 2 lines + 1 shipping line + 1 fee: tolerance 0.05 EUR
	assert.Equal(t, "0.04", kontor.OrderTolerance("EUR", 3).String())
	assert.Equal(t, "4", kontor.OrderTolerance("JPY", 3).String())

	o.TotalNet, o.TotalGross = eur("50.62"), eur("58.89") // one cent of drift
	require.NoError(t, o.Validate())

	o.TotalNet, o.TotalGross = eur("50.67"), eur("58.94") // six cents: not rounding
	assert.ElementsMatch(t, []string{"total_net", "total_gross"}, fields(t, o.Validate()))
}

// Fees count into the totals like shipping: lines + shipping + fees −
// unallocated discounts. An order whose totals leave the fee out, or
// count it twice, fails on its totals.
func TestOrderFeesInTotals(t *testing.T) {
	o := sampleOrder()
	require.NoError(t, o.Validate())

	o.Fees = append(o.Fees, kontor.FeeLine{Title: "Verpackung", Net: eur("0.84"), Tax: eur("0.16"), Gross: eur("1.00"), TaxRate: dec("19")})
	assert.ElementsMatch(t, []string{"total_net", "total_tax", "total_gross"}, fields(t, o.Validate()), "a fee the totals do not have")
	o.TotalNet, o.TotalTax, o.TotalGross = eur("51.45"), eur("8.43"), eur("59.88")
	require.NoError(t, o.Validate())

	// A fee without tax (0 %) is a fee too.
	o.Fees[1] = kontor.FeeLine{Title: "Mindermengenzuschlag", Net: eur("1.00"), Tax: eur("0"), Gross: eur("1.00")}
	o.TotalNet, o.TotalTax = eur("51.61"), eur("8.27")
	require.NoError(t, o.Validate())
}

// A return without lines is an amount-only credit, valid only with a
// positive refund; its refund need not add up to lines it does not have.
func TestReturnAmountOnly(t *testing.T) {
	r := sampleReturn()
	r.Lines = nil
	r.Refund = eur("5.00")
	require.NoError(t, r.Validate())

	r.Refund = eur("0")
	assert.Equal(t, []string{"lines"}, fields(t, r.Validate()))
	r.Refund = eur("-5.00")
	assert.ElementsMatch(t, []string{"lines", "refund.amount"}, fields(t, r.Validate()))
}

// An unallocated order-level discount comes off the gross total; net and
// tax cannot be checked until it is spread onto the lines.
func TestOrderUnallocatedDiscount(t *testing.T) {
	o := sampleOrder()
	o.Discounts = []kontor.Discount{{Code: "TEN", Amount: eur("5.00")}}
	o.TotalGross = eur("53.88")
	o.TotalNet = eur("46.41")
	o.TotalTax = eur("7.47")
	require.NoError(t, o.Validate())
	o.TotalGross = eur("58.88")
	o.TotalNet = eur("50.61")
	o.TotalTax = eur("8.27")
	assert.Equal(t, []string{"total_gross"}, fields(t, o.Validate()))
}

func TestValidateReportsEveryProblem(t *testing.T) {
	o := sampleOrder()
	o.Number = ""
	o.Lines[0].Quantity = dec("-1")
	o.Lines[1].SKU = ""
	err := o.Validate()
	assert.Subset(t, fields(t, err), []string{"number", "lines[0].quantity", "lines[1].sku"})
}

// Validation errors reach logs: they must not carry the customer's e-mail.
func TestValidationErrorHasNoPersonalData(t *testing.T) {
	c := sampleCustomer()
	c.Number, c.ERPKey = "", ""
	c.Email = "canary.person@example.org x"
	err := c.Validate()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "canary")
	var ve *kontor.ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Equal(t, "7281928391029381", ve.Key)
}

// Malformed JSON from a remote system is an error, never a panic or a float.
func TestDecodeRejectsMalformedMoney(t *testing.T) {
	var m kontor.Money
	require.Error(t, json.Unmarshal([]byte(`{"amount":"12,50","currency":"EUR"}`), &m))
	require.NoError(t, json.Unmarshal([]byte(`{"amount":12.5,"currency":"EUR"}`), &m))
	assert.True(t, m.Amount.Equal(dec("12.50")))
}

func FuzzOrderValidate(f *testing.F) {
	o := sampleOrder()
	b, _ := json.Marshal(o)
	f.Add(b)
	f.Add([]byte(`{"number":"1","currency":"EUR","lines":[{"sku":"A","quantity":"1e400","net":{"amount":"1","currency":"EUR"}}]}`))
	f.Add([]byte(`{"number":"1","currency":"JPY","lines":[{"sku":"A","quantity":"-0","tax_rate":"NaN"}],"total_gross":{"amount":"-1","currency":"JPY"}}`))
	f.Add([]byte(`{"customer":{"type":"b2b","vat_id":"EL123","addresses":[{"country":"GR"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o kontor.Order
		if json.Unmarshal(data, &o) != nil {
			return
		}
		err := o.Validate()
		if err == nil {
			return
		}
		var ves kontor.ValidationErrors
		if !errors.As(err, &ves) || len(ves) == 0 {
			t.Fatalf("Validate returned %T, want ValidationErrors", err)
		}
		for _, ve := range ves {
			if ve.Entity != kontor.EntityOrder || ve.Field == "" || ve.Reason == "" || ve.Key != o.Number {
				t.Fatalf("incomplete validation error %+v", ve)
			}
		}
	})
}

func FuzzProductValidate(f *testing.F) {
	p := sampleProduct()
	b, _ := json.Marshal(p)
	f.Add(b)
	f.Add([]byte(`{"sku":"A","title":"T","status":"active","gtin":"12345670","variants":[{"sku":"A"},{"sku":"A","options":[{"name":"x"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p kontor.Product
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if err := p.Validate(); err != nil && kontor.KindOf(err) != kontor.KindValidation {
			t.Fatalf("kind %v", kontor.KindOf(err))
		}
	})
}

// A VAT ID is checked by the rules of the country its prefix names.
func TestCustomerVATIDCountries(t *testing.T) {
	for id, ok := range map[string]bool{
		"DE136695976": true, "fr 40 303 265 045": true, "ATU13585627": true, "CHE-123.456.789 MWST": true,
		"GB123456789": true, "DE136695975": false, "EL12345678": false, "123456789": false, "GR123456789": false,
	} {
		c := sampleCustomer()
		c.VATID = id
		err := c.Validate()
		if ok {
			assert.NoError(t, err, id)
		} else {
			assert.Equal(t, []string{"vat_id"}, fields(t, err), id)
		}
	}
}
