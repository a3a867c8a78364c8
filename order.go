package kontor

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// OrderStatus is where an order stands in fulfilment.
type OrderStatus string

// Order statuses, the common ground of shops and ERPs; mapping translates
// each system's own.
const (
	OrderPending          OrderStatus = "pending"
	OrderProcessing       OrderStatus = "processing"
	OrderOnHold           OrderStatus = "on_hold"
	OrderPartiallyShipped OrderStatus = "partially_shipped"
	OrderShipped          OrderStatus = "shipped"
	OrderDelivered        OrderStatus = "delivered"
	OrderCompleted        OrderStatus = "completed"
	OrderCancelled        OrderStatus = "cancelled"
)

// PaymentStatus is where an order's payment stands.
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending           PaymentStatus = "pending"
	PaymentAuthorized        PaymentStatus = "authorized"
	PaymentPaid              PaymentStatus = "paid"
	PaymentPartiallyPaid     PaymentStatus = "partially_paid"
	PaymentPartiallyRefunded PaymentStatus = "partially_refunded"
	PaymentRefunded          PaymentStatus = "refunded"
	PaymentFailed            PaymentStatus = "failed"
	PaymentVoided            PaymentStatus = "voided"
)

var (
	orderStatuses = []string{string(OrderPending), string(OrderProcessing), string(OrderOnHold),
		string(OrderPartiallyShipped), string(OrderShipped), string(OrderDelivered), string(OrderCompleted), string(OrderCancelled)}
	paymentStatuses = []string{string(PaymentPending), string(PaymentAuthorized), string(PaymentPaid), string(PaymentPartiallyPaid),
		string(PaymentPartiallyRefunded), string(PaymentRefunded), string(PaymentFailed), string(PaymentVoided)}
)

// Order is a purchase in the shop: it flows to the ERP as a sales order.
//
// Amounts follow one convention: every line, shipping line and fee line
// carries its net, tax and gross total after discounts, whether the shop's
// prices include tax (PricesIncludeTax) or not; UnitPrice is in the shop's
// own convention. Totals add up within OrderTolerance: lines + shipping +
// fees − unallocated discounts.
type Order struct {
	Meta
	// Number is the order number people use, e.g. "#1001" or "10042"; the
	// ERP stores it as the external document number.
	Number   string    `json:"number"`
	Channel  string    `json:"channel,omitempty"` // "online-store", "pos", a marketplace
	PlacedAt time.Time `json:"placed_at"`         // when the customer placed it
	Currency Currency  `json:"currency"`          // every amount of the order is in it
	// PricesIncludeTax says the shop's unit prices are gross.
	PricesIncludeTax bool           `json:"prices_include_tax"`
	Customer         Customer       `json:"customer"`                 // the buyer; a guest has no keys
	Billing          Address        `json:"billing"`                  // the invoice address
	Shipping         Address        `json:"shipping,omitzero"`        // the delivery address; zero: as billing
	Lines            []OrderLine    `json:"lines"`                    // at least one
	ShippingLines    []ShippingLine `json:"shipping_lines,omitempty"` // shipping charges, each with its tax
	// Fees are charges that are neither goods nor shipping (a
	// cash-on-delivery or payment surcharge, a handling fee), each with
	// its tax. A negative "fee" is a discount: it goes into Discounts.
	Fees []FeeLine `json:"fees,omitempty"`
	// Discounts are order-level discounts. Those not Allocated onto lines
	// are subtracted from the gross total.
	Discounts     []Discount    `json:"discounts,omitempty"`
	TotalNet      Money         `json:"total_net"` // sum of lines, shipping and fees, net
	TotalTax      Money         `json:"total_tax"`
	TotalGross    Money         `json:"total_gross"` // what the customer pays
	Payment       Payment       `json:"payment,omitzero"`
	ShippingInfo  ShippingInfo  `json:"shipping_info,omitzero"`
	Status        OrderStatus   `json:"status"`                   // fulfilment status
	PaymentStatus PaymentStatus `json:"payment_status,omitempty"` // the order's financial status
	Note          string        `json:"note,omitempty"`           // the customer's note
	Tags          []string      `json:"tags,omitempty"`
}

// OrderLine is one article line of an order.
type OrderLine struct {
	Meta
	SKU       string          `json:"sku"`             // the variant's SKU
	Title     string          `json:"title,omitempty"` // as the shop showed it
	Quantity  decimal.Decimal `json:"quantity"`        // positive; fractional for goods sold by weight
	UnitPrice Money           `json:"unit_price"`      // gross if the order's PricesIncludeTax
	// Discount is the discount on the whole line, in the unit price's
	// convention; Net, Tax and Gross are after it.
	Discount Money `json:"discount,omitzero"`
	Net      Money `json:"net"`   // line total after discount, net
	Tax      Money `json:"tax"`   // line tax
	Gross    Money `json:"gross"` // Net + Tax, exactly
	// TaxRate is in percent: 19 for 19 %.
	TaxRate decimal.Decimal `json:"tax_rate"`
}

// ShippingLine is a shipping charge with its own tax.
type ShippingLine struct {
	Title   string          `json:"title,omitempty"` // as the shop showed it
	Code    string          `json:"code,omitempty"`  // the shop's shipping method code
	Carrier string          `json:"carrier,omitempty"`
	Net     Money           `json:"net"`
	Tax     Money           `json:"tax"`
	Gross   Money           `json:"gross"`    // Net + Tax, exactly
	TaxRate decimal.Decimal `json:"tax_rate"` // in percent
}

// FeeLine is a fee with its own tax: a charge for a service or a right,
// such as a cash-on-delivery or payment surcharge, a handling, packaging
// or small-order fee. Its amounts are not negative; the ERP books it on a
// charge item or account of its own, not as an article line.
type FeeLine struct {
	Title   string          `json:"title,omitempty"` // as the shop showed it
	Code    string          `json:"code,omitempty"`  // the shop's code for the kind of fee, where it has one
	Net     Money           `json:"net"`
	Tax     Money           `json:"tax"`
	Gross   Money           `json:"gross"`    // Net + Tax, exactly
	TaxRate decimal.Decimal `json:"tax_rate"` // in percent
}

// Discount is an order-level discount, such as a coupon.
type Discount struct {
	Code   string `json:"code,omitempty"` // the coupon code
	Title  string `json:"title,omitempty"`
	Amount Money  `json:"amount"` // gross
	// Allocated says the discount is already spread onto the lines' amounts
	// and is listed for information only.
	Allocated bool `json:"allocated,omitempty"`
}

// Payment is how an order was paid.
type Payment struct {
	Method        string        `json:"method,omitempty"`  // "paypal", "invoice", "credit_card"
	Gateway       string        `json:"gateway,omitempty"` // the provider that processed it
	Status        PaymentStatus `json:"status,omitempty"`
	TransactionID string        `json:"transaction_id,omitempty"` // the gateway's id, for reconciliation
	Amount        Money         `json:"amount,omitzero"`          // what was paid
	PaidAt        time.Time     `json:"paid_at,omitzero"`
}

// ShippingInfo is how an order is to be shipped.
type ShippingInfo struct {
	Method  string `json:"method,omitempty"`  // "standard", "express", "pickup"
	Carrier string `json:"carrier,omitempty"` // "DHL", "DPD", "UPS"
}

// OrderTolerance is how far an order's totals may be from the sum of its
// lines: one minor unit of the currency per line, shipping line and fee
// line, plus one. Rounding each line on its own drifts by at most half a
// minor unit per line; anything beyond that is an error in the data, not
// rounding.
func OrderTolerance(cur Currency, lines int) decimal.Decimal {
	return cur.MinorUnit().Mul(decimal.NewFromInt(int64(lines + 1)))
}

// Key returns the order number.
func (o *Order) Key() string { return o.Number }

// Validate checks the order: number, a valid currency used throughout, a
// known status, at least one line, no negative quantities or amounts, per
// line, shipping line and fee net + tax = gross, tax = net × rate, and
// totals (lines + shipping + fees − unallocated discounts) that add up
// within OrderTolerance; also the customer and the addresses.
func (o *Order) Validate() error {
	c := &checker{entity: EntityOrder, key: o.Number}
	c.required("number", o.Number)
	if o.PlacedAt.IsZero() {
		c.fail("placed_at", "is required")
	}
	c.check("currency", o.Currency.Validate())
	cur := o.Currency
	c.oneOf("status", string(o.Status), orderStatuses...)
	if o.Status == "" {
		c.fail("status", "is required")
	}
	c.oneOf("payment_status", string(o.PaymentStatus), paymentStatuses...)
	c.oneOf("payment.status", string(o.Payment.Status), paymentStatuses...)
	c.money("payment.amount", o.Payment.Amount, cur, false)
	o.Customer.validate(c, "customer.")
	o.Billing.validate(c, "billing.")
	if !o.Shipping.IsZero() {
		o.Shipping.validate(c, "shipping.")
	}
	if len(o.Lines) == 0 {
		c.fail("lines", "an order needs at least one line")
	}
	var net, tax, gross decimal.Decimal
	for i, l := range o.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		c.required(f+".sku", l.SKU)
		if !l.Quantity.IsPositive() {
			c.fail(f+".quantity", "is %s, must be positive", l.Quantity)
		}
		c.money(f+".unit_price", l.UnitPrice, cur, false)
		c.money(f+".discount", l.Discount, cur, false)
		c.amounts(f, l.Net, l.Tax, l.Gross, l.TaxRate, cur)
		net, tax, gross = net.Add(l.Net.Amount), tax.Add(l.Tax.Amount), gross.Add(l.Gross.Amount)
	}
	for i, s := range o.ShippingLines {
		f := fmt.Sprintf("shipping_lines[%d]", i)
		c.amounts(f, s.Net, s.Tax, s.Gross, s.TaxRate, cur)
		net, tax, gross = net.Add(s.Net.Amount), tax.Add(s.Tax.Amount), gross.Add(s.Gross.Amount)
	}
	for i, fl := range o.Fees {
		f := fmt.Sprintf("fees[%d]", i)
		c.amounts(f, fl.Net, fl.Tax, fl.Gross, fl.TaxRate, cur)
		net, tax, gross = net.Add(fl.Net.Amount), tax.Add(fl.Tax.Amount), gross.Add(fl.Gross.Amount)
	}
	unallocated := false
	for i, d := range o.Discounts {
		f := fmt.Sprintf("discounts[%d].amount", i)
		c.money(f, d.Amount, cur, false)
		if !d.Allocated {
			gross = gross.Sub(d.Amount.Amount)
			unallocated = true
		}
	}
	tol := OrderTolerance(cur, len(o.Lines)+len(o.ShippingLines)+len(o.Fees))
	c.money("total_gross", o.TotalGross, cur, false)
	c.money("total_net", o.TotalNet, cur, false)
	c.money("total_tax", o.TotalTax, cur, false)
	c.near("total_gross", o.TotalGross.Amount, gross, tol, "the lines, shipping, fees and discounts")
	if !unallocated {
		// Net and tax split an unallocated discount by rate; only the gross
		// total is checkable before the discount is spread onto lines.
		c.near("total_net", o.TotalNet.Amount, net, tol, "the lines, shipping and fees")
		c.near("total_tax", o.TotalTax.Amount, tax, tol, "the lines, shipping and fees")
	}
	c.near("total_gross", o.TotalGross.Amount, o.TotalNet.Amount.Add(o.TotalTax.Amount), cur.MinorUnit(), "total_net + total_tax")
	return c.err()
}

// amounts checks one line's net, tax and gross against each other and the
// rate: net + tax = gross exactly, and tax = net × rate within one minor
// unit (the line was rounded once).
func (c *checker) amounts(f string, net, tax, gross Money, rate decimal.Decimal, cur Currency) {
	c.money(f+".net", net, cur, false)
	c.money(f+".tax", tax, cur, false)
	c.money(f+".gross", gross, cur, false)
	if rate.IsNegative() || rate.GreaterThan(decimal.NewFromInt(100)) {
		c.fail(f+".tax_rate", "is %s, want a percentage from 0 to 100", rate)
	}
	if sum := net.Amount.Add(tax.Amount); !sum.Equal(gross.Amount) {
		c.fail(f+".gross", "is %s, but net %s + tax %s = %s", gross.Amount, net.Amount, tax.Amount, sum)
	}
	want := net.Amount.Mul(rate).Shift(-2) // exact: no division
	if diff := want.Sub(tax.Amount).Abs(); diff.GreaterThan(cur.MinorUnit()) {
		c.fail(f+".tax", "is %s, but %s %% of net %s is %s", tax.Amount, rate, net.Amount, want.Round(cur.Scale()))
	}
}

// near checks that got is within tol of want.
func (c *checker) near(field string, got, want, tol decimal.Decimal, what string) {
	if got.Sub(want).Abs().GreaterThan(tol) {
		c.fail(field, "is %s, but %s add up to %s (tolerance %s)", got, what, want, tol)
	}
}
