package businesscentral_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

// withFee returns SampleOrder(i) with a fee of net at 19 %, its totals
// and payment raised by it.
func withFee(i int, title, net string) kontor.Order {
	o := kontortest.SampleOrder(i)
	n := decimal.RequireFromString(net)
	tax := n.Mul(decimal.NewFromInt(19)).Shift(-2).Round(2)
	eur := func(d decimal.Decimal) kontor.Money { return kontor.Money{Amount: d, Currency: "EUR"} }
	o.Fees = append(o.Fees, kontor.FeeLine{Title: title, Net: eur(n), Tax: eur(tax), Gross: eur(n.Add(tax)), TaxRate: decimal.NewFromInt(19)})
	o.TotalNet.Amount = o.TotalNet.Amount.Add(n)
	o.TotalTax.Amount = o.TotalTax.Amount.Add(tax)
	o.TotalGross.Amount = o.TotalGross.Amount.Add(n.Add(tax))
	o.Payment.Amount = o.TotalGross
	return o
}

// An order's fees become lines of the WithFeeCharge item or account, one
// per fee with its title, priced in the order's convention; a fee of zero
// is no line. Without WithFeeCharge an order with a fee fails validation
// naming the fee and nothing is created, while the order beside it goes
// through.
func TestWriteOrderFeesAsChargeLines(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 3)
	c := connect(t, srv, bc.WithFeeCharge(bc.ChargeLine{LineType: "Account", Number: "8410"}))

	o := withFee(0, "Cash on delivery", "2.00")
	o = func() kontor.Order { // a free gift wrap beside it: no line
		o.Fees = append(o.Fees, kontor.FeeLine{Title: "Gift wrap", Net: kontor.MustMoney("0", "EUR"),
			Tax: kontor.MustMoney("0", "EUR"), Gross: kontor.MustMoney("0", "EUR")})
		return o
	}()
	require.NoError(t, o.Validate())
	rs, err := c.WriteOrders(t.Context(), []kontor.Order{o})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)
	so, ok := srv.SalesOrderByExternalDocumentNumber(o.Number)
	require.True(t, ok)
	require.Len(t, so.Lines, 4, "two items, the shipping charge, the fee")
	fee := so.Lines[3]
	assert.Equal(t, "Account", fee.LineType)
	assert.Equal(t, "8410", fee.LineObjectNumber)
	assert.Equal(t, "Cash on delivery", fee.Description)
	assert.True(t, fee.Quantity.Equal(decimal.NewFromInt(1)))
	assert.True(t, fee.UnitPrice.Equal(decimal.RequireFromString("2.00")), "the net fee: prices exclude tax; got %s", fee.UnitPrice)

	// Written again: found, nothing created twice.
	rs, err = c.WriteOrders(t.Context(), []kontor.Order{o})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(o.Number), 1)

	// Tax-inclusive prices: the fee's gross is its price.
	incl := withFee(1, "Nachnahme", "2.00")
	incl.PricesIncludeTax = true
	rs, err = c.WriteOrders(t.Context(), []kontor.Order{incl})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)
	so, _ = srv.SalesOrderByExternalDocumentNumber(incl.Number)
	require.Len(t, so.Lines, 4)
	assert.True(t, so.Lines[3].UnitPrice.Equal(decimal.RequireFromString("2.38")), "got %s", so.Lines[3].UnitPrice)

	// Without a fee charge line: the order with the fee fails alone.
	plain := connect(t, srv)
	feeOrder, other := withFee(2, "Cash on delivery", "2.00"), kontortest.SampleOrder(2)
	feeOrder.Number = "#FEE-2"
	rs, err = plain.WriteOrders(t.Context(), []kontor.Order{feeOrder, other})
	require.NoError(t, err)
	require.Equal(t, kontor.Failed, rs[0].Outcome)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[0].Err, &ve)
	assert.Equal(t, "fees[0]", ve.Field)
	assert.Equal(t, "#FEE-2", ve.Key)
	assert.Contains(t, ve.Reason, "WithFeeCharge")
	assert.Empty(t, srv.SalesOrdersByExternalDocumentNumber("#FEE-2"))
	assert.Equal(t, kontor.Created, rs[1].Outcome, rs[1].Err)

	_, err = bc.New(bc.Config{BaseURL: baseURL(srv), ClientID: "x", ClientSecret: "y", TokenURL: srv.TokenURL()},
		bc.WithFeeCharge(bc.ChargeLine{LineType: "Resource", Number: "R1"}))
	assert.ErrorContains(t, err, "fee charge line")
}

// A fee on a service item, which posting ships too, is no shipment line:
// the shop has it as a fee, not as an article.
func TestReadShipmentsWithoutTheFeeCharge(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 1)
	_, err := srv.PutItem(bctest.Item{Number: "FEE", DisplayName: "Fees", Type: "Service"})
	require.NoError(t, err)
	c := connect(t, srv, bc.WithFeeCharge(bc.ChargeLine{LineType: "Item", Number: "fee"}))
	o := withFee(0, "Cash on delivery", "2.00")
	rs, err := c.WriteOrders(t.Context(), []kontor.Order{o})
	require.NoError(t, err)
	require.NoError(t, kontor.BatchErr(rs))
	so, _ := srv.SalesOrderByExternalDocumentNumber(o.Number)
	require.Len(t, so.Lines, 4)
	require.Equal(t, "FEE", so.Lines[3].LineObjectNumber)
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: o.Number})
	require.NoError(t, err)

	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 1)
	assert.Equal(t, []string{"2 SKU-000000-S", "1 SKU-000000-M"}, shipLines(ships[0]), "neither FREIGHT nor FEE")
}

// An amount-only return (a refund without goods) is a credit memo of one
// line of the WithAmountOnlyCredit account, priced at the refund, with
// the reason as its description; once only. Without the option it fails
// validation naming its lines, and the return with goods beside it is
// credited.
func TestWriteAmountOnlyReturn(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 2)
	o := kontortest.SampleOrder(0)
	placeOrders(t, srv, []kontor.Order{o})
	goodwill := kontor.Return{Number: "R-GW-1", OrderNumber: o.Number, Reason: "late delivery",
		Refund: kontor.MustMoney("7.50", "EUR"), Status: kontor.ReturnRefunded}
	require.NoError(t, goodwill.Validate())
	goods := kontortest.SampleReturn(o.Number, 0)

	plain := connect(t, srv)
	rs, err := plain.WriteReturns(t.Context(), []kontor.Return{goodwill, goods})
	require.NoError(t, err)
	require.Equal(t, kontor.Failed, rs[0].Outcome)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[0].Err, &ve)
	assert.Equal(t, "lines", ve.Field)
	assert.Equal(t, "R-GW-1", ve.Key)
	assert.Contains(t, ve.Reason, "WithAmountOnlyCredit")
	assert.Equal(t, kontor.Created, rs[1].Outcome, rs[1].Err)
	require.Len(t, srv.CreditMemos(), 1, "only the return with goods")

	c := connect(t, srv, bc.WithAmountOnlyCredit(bc.ChargeLine{LineType: "Account", Number: "8790"}))
	rs, err = c.WriteReturns(t.Context(), []kontor.Return{goodwill, goods})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)
	assert.NotEmpty(t, rs[0].Target.ERPKey)
	assert.Equal(t, kontor.Unchanged, rs[1].Outcome)
	var memo bctest.CreditMemo
	for _, m := range srv.CreditMemos() {
		if m.ExternalDocumentNumber == "R-GW-1" {
			memo = m
		}
	}
	require.Len(t, memo.Lines, 1)
	l := memo.Lines[0]
	assert.Equal(t, "Account", l.LineType)
	assert.Equal(t, "8790", l.LineObjectNumber)
	assert.Equal(t, "late delivery", l.Description)
	assert.True(t, l.Quantity.Equal(decimal.NewFromInt(1)))
	assert.True(t, l.UnitPrice.Equal(decimal.RequireFromString("7.50")), "got %s", l.UnitPrice)
	assert.Equal(t, "C000000", memo.CustomerNumber, "the order's customer")

	rs, err = c.WriteReturns(t.Context(), []kontor.Return{goodwill})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Len(t, srv.CreditMemos(), 2, "nothing credited twice")
}
