package woocommerce

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// ReadOrders reads the orders created or changed since the cursor, every
// status (status=any), ordered by modification with the keyset reader
// (see paging.go), so that orders placed or changed while the read runs
// are neither missed nor yielded twice.
func (c *Client) ReadOrders(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Order, error] {
	return func(yield func(kontor.Order, error) bool) {
		stopped := false
		err := keysetRead(ctx, c, "/orders", url.Values{"status": {"any"}}, since.Since, func(o *Order) bool {
			if !yield(c.orderIn(o), nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(kontor.Order{}, err)
		}
	}
}

// orderIn turns a WooCommerce order into a kontor.Order. Every line,
// shipping and fee line carries its net (WooCommerce's total, after
// coupons), its tax and their sum; the tax rate comes from the order's tax
// lines (rate_percent, WooCommerce 5.7+) or, for older shops, from the
// amounts. Coupons are listed as allocated discounts, since WooCommerce
// has already taken them off the lines. A fee line is a kontor.FeeLine
// when it is not negative; a negative one is an unallocated discount of
// its gross (see feesIn).
func (c *Client) orderIn(o *Order) kontor.Order {
	cur := kontor.Currency(strings.ToUpper(o.Currency))
	money := func(d decimal.Decimal) kontor.Money { return kontor.Money{Amount: d, Currency: cur} }
	rates := map[int64]decimal.Decimal{}
	for _, t := range o.TaxLines {
		if r, err := decimal.NewFromString(t.RatePercent.String()); err == nil && t.RatePercent != "" {
			rates[t.RateID] = r
		}
	}
	rateOf := func(net, tax decimal.Decimal, taxes []TaxAmount) decimal.Decimal {
		sum, known := decimal.Zero, len(taxes) > 0
		for _, t := range taxes {
			if t.Total.IsZero() {
				continue
			}
			r, ok := rates[t.ID]
			if !ok {
				known = false
				break
			}
			sum = sum.Add(r)
		}
		if known && !sum.IsZero() {
			return sum
		}
		return deriveRate(net, tax, cur)
	}

	ko := kontor.Order{
		Meta:             kontor.Meta{ShopKey: idString(o.ID), UpdatedAt: o.DateModifiedGMT.Time},
		Number:           o.Number,
		Channel:          o.CreatedVia,
		PlacedAt:         o.DateCreatedGMT.Time,
		Currency:         cur,
		PricesIncludeTax: o.PricesIncludeTax,
		Billing:          addressIn(o.Billing, "billing"),
		Shipping:         addressIn(o.Shipping, "shipping"),
		Note:             o.CustomerNote,
	}
	if ko.Number == "" {
		ko.Number = idString(o.ID)
	}
	if ko.Shipping.Kind == "" || ko.Shipping == (kontor.Address{Kind: "shipping"}) {
		ko.Shipping = kontor.Address{}
	}
	ko.Customer = kontor.Customer{
		Type:      kontor.B2C,
		Email:     o.Billing.Email,
		Phone:     o.Billing.Phone,
		FirstName: o.Billing.FirstName,
		LastName:  o.Billing.LastName,
		Company:   o.Billing.Company,
		VATID:     orderVATID(o.MetaData),
	}
	if o.CustomerID != 0 {
		ko.Customer.ShopKey = idString(o.CustomerID)
	}
	if ko.Customer.Company != "" {
		ko.Customer.Type = kontor.B2B
	}

	for _, li := range o.LineItems {
		qty, err := decimal.NewFromString(li.Quantity.String())
		if err != nil {
			qty = decimal.Zero
		}
		net, tax := li.Total.Decimal, li.TotalTax.Decimal
		l := kontor.OrderLine{
			Meta:     kontor.Meta{ShopKey: idString(li.ID)},
			SKU:      li.SKU,
			Title:    unescapeHTML(li.Name),
			Quantity: qty,
			Net:      money(net),
			Tax:      money(tax),
			Gross:    money(net.Add(tax)),
			TaxRate:  rateOf(net, tax, li.Taxes),
		}
		before, after := li.Subtotal.Decimal, net
		if o.PricesIncludeTax {
			before, after = before.Add(li.SubtotalTax.Decimal), after.Add(tax)
		}
		if qty.IsPositive() {
			l.UnitPrice = money(before.DivRound(qty, cur.Scale()+2))
		} else {
			l.UnitPrice = money(decimal.Zero)
		}
		if d := before.Sub(after); d.IsPositive() {
			l.Discount = money(d)
		}
		ko.Lines = append(ko.Lines, l)
	}
	ko.Fees, ko.Discounts = feesIn(o.FeeLines, money, rateOf)
	for _, s := range o.ShippingLines {
		net, tax := s.Total.Decimal, s.TotalTax.Decimal
		ko.ShippingLines = append(ko.ShippingLines, kontor.ShippingLine{
			Title: unescapeHTML(s.MethodTitle), Code: s.MethodID,
			Net: money(net), Tax: money(tax), Gross: money(net.Add(tax)), TaxRate: rateOf(net, tax, s.Taxes),
		})
	}
	if len(o.ShippingLines) > 0 {
		ko.ShippingInfo = kontor.ShippingInfo{Method: o.ShippingLines[0].MethodID}
	}
	for _, cl := range o.CouponLines {
		ko.Discounts = append(ko.Discounts, kontor.Discount{Code: cl.Code, Title: cl.Code,
			Amount: money(cl.Discount.Add(cl.DiscountTax.Decimal)), Allocated: true})
	}
	ko.TotalGross = money(o.Total.Decimal)
	ko.TotalTax = money(o.TotalTax.Decimal)
	ko.TotalNet = money(o.Total.Sub(o.TotalTax.Decimal))

	ko.Status = OrderStatusIn(o.Status)
	ko.PaymentStatus = paymentStatusIn(o)
	ko.Payment = kontor.Payment{
		Method:        o.PaymentMethod,
		Gateway:       o.PaymentMethod,
		Status:        ko.PaymentStatus,
		TransactionID: o.TransactionID,
		PaidAt:        o.DatePaidGMT.Time,
	}
	if !o.DatePaidGMT.IsZero() {
		ko.Payment.Amount = ko.TotalGross
	}
	return ko
}

// feesIn maps WooCommerce's fee lines. WooCommerce means a fee as a
// charge for a service or a right, "not supposed to be negative"
// (WC_Order_Item_Fee); a positive one (cash on delivery, a payment
// surcharge, gift wrapping) becomes a kontor.FeeLine with its net, tax and
// rate. Shops and plugins nevertheless add negative fees as discounts
// (WC_Cart::add_fee with a negative amount), whose tax WooCommerce splits
// over the order's tax classes in proportion to the items' totals: that is
// an order-level discount, not a fee, and becomes an unallocated
// kontor.Discount of its gross, which the ERP (or mapping.NormalizeOrder)
// spreads over the lines the same way.
func feesIn(lines []FeeLine, money func(decimal.Decimal) kontor.Money,
	rateOf func(net, tax decimal.Decimal, taxes []TaxAmount) decimal.Decimal) ([]kontor.FeeLine, []kontor.Discount) {
	var fees []kontor.FeeLine
	var discounts []kontor.Discount
	for _, f := range lines {
		net, tax := f.Total.Decimal, f.TotalTax.Decimal
		gross := net.Add(tax)
		if gross.IsNegative() {
			discounts = append(discounts, kontor.Discount{Title: unescapeHTML(f.Name), Amount: money(gross.Neg())})
			continue
		}
		fees = append(fees, kontor.FeeLine{Title: unescapeHTML(f.Name),
			Net: money(net), Tax: money(tax), Gross: money(gross), TaxRate: rateOf(net, tax, f.Taxes)})
	}
	return fees, discounts
}

// deriveRate computes a line's tax rate in percent from its amounts, at
// the coarsest precision (whole, one, two or four decimals) that still
// reproduces the tax within one minor unit: 19, not 19.0021.
func deriveRate(net, tax decimal.Decimal, cur kontor.Currency) decimal.Decimal {
	if net.IsZero() || tax.IsZero() {
		return decimal.Zero
	}
	exact := tax.Mul(decimal.NewFromInt(100)).DivRound(net, 8)
	for _, places := range []int32{0, 1, 2, 4} {
		r := exact.Round(places)
		if net.Mul(r).Shift(-2).Sub(tax).Abs().LessThanOrEqual(cur.MinorUnit()) {
			return r
		}
	}
	return exact.Round(4)
}

// addressIn turns a WooCommerce address into a kontor.Address.
func addressIn(a Address, kind string) kontor.Address {
	out := kontor.Address{
		Kind: kind, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
		Street: a.Address1, Street2: a.Address2, PostalCode: a.Postcode, City: a.City,
		Region: a.State, Country: strings.ToUpper(a.Country), Phone: a.Phone, Email: a.Email,
	}
	return out
}

// addressOut turns a kontor.Address into a WooCommerce address.
func addressOut(a kontor.Address) Address {
	return Address{
		FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Street, Address2: a.Street2,
		City: a.City, State: a.Region, Postcode: a.PostalCode, Country: a.Country, Email: a.Email, Phone: a.Phone,
	}
}

// vatMetaKeys are where EU VAT plugins keep an order's VAT ID: the
// WooCommerce EU VAT Number extension (_billing_vat_number, older
// vat_number / _vat_number) and others following it.
var vatMetaKeys = []string{"_billing_vat_number", "vat_number", "_vat_number", "billing_vat_number"}

func orderVATID(md []MetaData) string {
	for _, k := range vatMetaKeys {
		if v := strings.TrimSpace(metaString(md, k)); v != "" {
			return v
		}
	}
	return ""
}

// paymentStatusIn derives the payment status: refunded, partially
// refunded, failed, voided (cancelled before payment); otherwise paid
// when WooCommerce recorded a payment date, pending when not (on-hold bank
// transfers, cash on delivery).
func paymentStatusIn(o *Order) kontor.PaymentStatus {
	paid := !o.DatePaidGMT.IsZero()
	switch {
	case o.Status == "refunded":
		return kontor.PaymentRefunded
	case len(o.Refunds) > 0 && paid:
		return kontor.PaymentPartiallyRefunded
	case o.Status == "failed":
		return kontor.PaymentFailed
	case (o.Status == "cancelled" || o.Status == "trash") && !paid:
		return kontor.PaymentVoided
	case paid:
		return kontor.PaymentPaid
	}
	return kontor.PaymentPending
}

// findOrders finds orders by number. A number that is an order id (as in
// a shop without a numbering plugin, optionally written "#123") is asked
// for with include=; the others, and ids whose order carries another
// number, with search=, matching the number exactly. known maps numbers to
// order ids the caller already has (kontor's OrderKeys.ShopKey).
func (c *Client) findOrders(ctx context.Context, numbers []string, known map[string]string) (map[string]*Order, error) {
	out := make(map[string]*Order, len(numbers))
	var ids []string
	idFor := map[string]string{}
	for _, n := range numbers {
		if _, dup := idFor[n]; dup || n == "" {
			continue
		}
		id := known[n]
		if id == "" {
			id = strings.TrimPrefix(strings.TrimSpace(n), "#")
		}
		if id != "" && strings.Trim(id, "0123456789") == "" {
			idFor[n] = id
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		} else {
			idFor[n] = ""
		}
	}
	byID := map[string]*Order{}
	for chunk := range slices.Chunk(ids, MaxPageSize) {
		q := url.Values{"include": {strings.Join(chunk, ",")}, "per_page": {strconv.Itoa(MaxPageSize)}, "status": {"any"}}
		var got []*Order
		if _, err := c.do(ctx, http.MethodGet, "/orders", q, nil, &got); err != nil {
			return nil, err
		}
		for _, o := range got {
			byID[idString(o.ID)] = o
		}
	}
	for _, n := range numbers {
		if _, done := out[n]; done || n == "" {
			continue
		}
		if o := byID[idFor[n]]; o != nil && (sameNumber(o.Number, n) || known[n] != "") {
			out[n] = o
			continue
		}
		q := url.Values{"search": {strings.TrimPrefix(n, "#")}, "per_page": {"20"}, "status": {"any"}}
		var got []*Order
		if _, err := c.do(ctx, http.MethodGet, "/orders", q, nil, &got); err != nil {
			return nil, err
		}
		for _, o := range got {
			if sameNumber(o.Number, n) {
				out[n] = o
				break
			}
		}
	}
	return out, nil
}

// sameNumber compares order numbers, ignoring a leading "#".
func sameNumber(a, b string) bool {
	return strings.TrimPrefix(strings.TrimSpace(a), "#") == strings.TrimPrefix(strings.TrimSpace(b), "#")
}
