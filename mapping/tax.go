package mapping

// This file is the money and tax correctness layer: it turns an order as a
// shop delivers it into the normal form of kontor.Order (per line net, tax
// and gross after discounts, totals that add up to the cent), computed the
// way the target ERP rounds, with every cent of difference made visible.

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/kontor-dev/kontor"
	"github.com/shopspring/decimal"
)

// RoundingStrategy says how the target ERP rounds tax. Orders must arrive
// with the cents the ERP itself computes, or the ERP's document and the
// shop's payment differ and someone books the difference by hand.
type RoundingStrategy int

// The rounding strategies.
const (
	// RoundPerLine rounds each line's tax on its own (most ERPs: Business
	// Central, SAP Business One by default).
	RoundPerLine RoundingStrategy = iota
	// RoundPerDocument sums the amounts of each tax rate over the document
	// and rounds that rate's tax once (DATEV-style bookings, the "round at
	// subtotal" setting of some shops).
	RoundPerDocument
)

// String returns "per line" or "per document".
func (s RoundingStrategy) String() string {
	switch s {
	case RoundPerLine:
		return "per line"
	case RoundPerDocument:
		return "per document"
	}
	return fmt.Sprintf("RoundingStrategy(%d)", int(s))
}

// TaxOptions configure NormalizeOrder for one target ERP. The zero value
// rounds per line with the default tolerance and rounding SKU.
type TaxOptions struct {
	// Strategy is how the target rounds tax.
	Strategy RoundingStrategy
	// MaxRoundingDiff is the largest difference per document between the
	// shop's stated totals and the recomputed ones that is treated as
	// rounding; a larger one is an error in the data. Zero means
	// kontor.OrderTolerance for the order (one minor unit per line and
	// shipping line, plus one); it must not be negative.
	MaxRoundingDiff decimal.Decimal
	// RoundingLineSKU is the SKU of the rounding line (default "ROUNDING");
	// the ERP connector maps it to its rounding account.
	RoundingLineSKU string
}

// taxRoundingSKU is the default TaxOptions.RoundingLineSKU.
const taxRoundingSKU = "ROUNDING"

// taxRoundingTitle is the title of the rounding line and rounding discount.
const taxRoundingTitle = "Rounding difference"

// TaxError says why an order cannot be normalised: which order, which field
// and why. Its texts hold order numbers, field paths, amounts and rates,
// never personal data. It is a validation error: sending the same order
// again cannot succeed, so errors.Is matches kontor.ErrValidation and
// kontor.ErrPermanent, and errors.As also finds a *kontor.ValidationError
// with the same content for code that handles validation errors in general.
type TaxError struct {
	Order  string // the order number
	Field  string // the field path, e.g. "lines[2].tax_rate" or "total_gross"
	Reason string // what is wrong
}

// Error returns "mapping: order #1001: total_gross: reason".
func (e *TaxError) Error() string {
	return "mapping: order " + e.Order + ": " + e.Field + ": " + e.Reason
}

// ErrorKind returns kontor.KindValidation.
func (e *TaxError) ErrorKind() kontor.Kind { return kontor.KindValidation }

// Is matches kontor.ErrValidation and kontor.ErrPermanent.
func (e *TaxError) Is(target error) bool {
	return target == kontor.ErrValidation || target == kontor.ErrPermanent
}

// Unwrap returns the same problem as a *kontor.ValidationError of the order.
func (e *TaxError) Unwrap() error {
	return &kontor.ValidationError{Entity: kontor.EntityOrder, Key: e.Order, Field: e.Field, Reason: e.Reason}
}

// TaxSummary is one row of the per-rate breakdown that ERPs and DATEV
// bookings want: net, tax and gross of one tax rate.
type TaxSummary struct {
	Rate decimal.Decimal // in percent
	Net  kontor.Money
	Tax  kontor.Money
	// Gross is Net + Tax exactly, since every line's is.
	Gross kontor.Money
}

// SummarizeTax returns the order's net, tax and gross per tax rate over its
// lines, shipping lines and fees, sorted by rate. Call it on the result of
// NormalizeOrder: there the rows add up exactly to the order's totals. An
// order-level discount that is not allocated (after NormalizeOrder only a
// negative rounding difference, which carries no tax) is subtracted in the
// 0 % row, so the gross of the rows still adds up to TotalGross.
func SummarizeTax(o kontor.Order) []TaxSummary {
	var rows []TaxSummary
	add := func(rate, net, tax, gross decimal.Decimal) {
		for i := range rows {
			if rows[i].Rate.Equal(rate) {
				r := &rows[i]
				r.Net.Amount = r.Net.Amount.Add(net)
				r.Tax.Amount = r.Tax.Amount.Add(tax)
				r.Gross.Amount = r.Gross.Amount.Add(gross)
				return
			}
		}
		rows = append(rows, TaxSummary{Rate: rate,
			Net:   kontor.Money{Amount: net, Currency: o.Currency},
			Tax:   kontor.Money{Amount: tax, Currency: o.Currency},
			Gross: kontor.Money{Amount: gross, Currency: o.Currency}})
	}
	for _, l := range o.Lines {
		add(l.TaxRate, l.Net.Amount, l.Tax.Amount, l.Gross.Amount)
	}
	for _, s := range o.ShippingLines {
		add(s.TaxRate, s.Net.Amount, s.Tax.Amount, s.Gross.Amount)
	}
	for _, f := range o.Fees {
		add(f.TaxRate, f.Net.Amount, f.Tax.Amount, f.Gross.Amount)
	}
	for _, d := range o.Discounts {
		if !d.Allocated {
			add(decimal.Zero, d.Amount.Amount.Neg(), decimal.Zero, d.Amount.Amount.Neg())
		}
	}
	slices.SortStableFunc(rows, func(a, b TaxSummary) int { return a.Rate.Cmp(b.Rate) })
	return rows
}

// NormalizeOrder returns a copy of o in the normal form of kontor.Order,
// computed the way the target rounds (opts.Strategy), so that it passes
// o.Validate() whenever the rest of the order is valid. It never mutates o:
// the slices of the result are its own.
//
// # What is trusted
//
// Quantities, unit prices, line discounts and tax rates are the truth; the
// incoming per-line Net, Tax and Gross are not, because shops get them wrong
// (Shopify sometimes puts the whole tax of a tax-inclusive order on its
// first line). Each line's amount in the order's convention is
// round(Quantity × UnitPrice − Discount): the gross if o.PricesIncludeTax,
// else the net. A shipping line has no unit price: its Gross is its amount
// in a tax-inclusive order, its Net otherwise, and a shipping line that
// states only the other one is an error, not a guess (treating tax-inclusive
// shipping as net is a classic connector bug). Shipping charged at the
// goods' mixed rates comes as one shipping line per rate. Fees (cash on
// delivery, handling) are read like shipping lines: no unit price, their
// amount in the order's convention, one fee line per rate.
//
// A stated line amount in the order's convention that differs from the
// computed one by more than one minor unit is an error, since one of the two
// is wrong; a zero one counts as not stated. Tax is never inferred from
// amounts: a line, shipping line or fee with tax but a 0 % rate is an error
// naming its tax_rate field, because a rate derived from rounded cents is itself
// off and cannot tell a 0 % line from a missing rate.
//
// # Tax
//
// Amounts round half away from zero to the currency's minor unit (0 digits
// for JPY, 3 for KWD), as commercial documents do. Per line, tax is
// round(net × rate / 100), or for tax-inclusive orders
// round(gross × rate / (100 + rate)) with net = gross − tax: the customer
// pays the gross, so only its split is derived. Per document, each rate's
// tax is rounded once from the sum of its lines', shipping lines' and fees'
// net (or gross) and spread back onto them by largest remainder, so every
// line still has net + tax = gross and the lines of a rate add up to the
// document's tax exactly. Each line's tax is then its exact share rounded down or up.
//
// kontor.Order.Validate allows a line's tax to be one minor unit from
// net × rate. Per line, and per document for tax-exclusive orders, that
// always holds. Per document for a tax-inclusive order, a line whose tax was
// rounded by almost a whole minor unit is off by up to (1 + rate/100) minor
// units from its own net × rate. Largest remainder avoids that whenever some
// spread can; in the rare case none can (at rates up to 20 % it takes four
// or more lines of one rate with unlucky remainders, e.g. five lines of 1.01
// at 19 %), NormalizeOrder returns a *TaxError on that line's tax field
// rather than an order that fails validation: such a target is better
// served per line.
//
// # Discounts
//
// Order-level discounts that are not Allocated are summed and spread onto
// the article lines pro rata by their gross before the discount, by largest
// remainder so the shares add up to the discount exactly, and each is marked
// Allocated in the result. A line's share is added to its Discount in the
// order's convention: as is for tax-inclusive orders, converted to net at
// the line's own rate for tax-exclusive ones, so each rate's tax falls with
// its own discount share. Shipping lines and fees are never discounted here:
// the discount has no marker saying it applies to them, and shops deliver a
// shipping discount already taken off the shipping line's amount, which is
// where it belongs. Discounts larger than the article lines' gross are an
// error. In a tax-exclusive order the net conversion can move a line's gross
// by a cent from its share; the rounding line below makes that visible.
//
// # Totals and rounding
//
// TotalNet, TotalTax and TotalGross are recomputed from the lines. Where the
// shop stated a TotalGross (any value but the zero Money), the result adds
// up to exactly that, since it is what the customer paid: a difference of
// up to opts.MaxRoundingDiff becomes explicit, never silent. A positive one
// is a rounding line (SKU opts.RoundingLineSKU, Title "Rounding
// difference", Quantity 1, TaxRate 0, Net = Gross = the difference, Tax 0).
// A negative one cannot be a line, because Validate rejects negative line
// amounts; it becomes an unallocated order-level discount with Code
// opts.RoundingLineSKU and the same title, which Validate subtracts from the
// gross total and SummarizeTax shows in the 0 % row. A larger difference is
// a *TaxError on total_gross. A stated TotalTax (any value but the zero
// Money) that differs from the recomputed one by more than
// opts.MaxRoundingDiff is a *TaxError on total_tax, checked first since it
// is the cause: a line with a missing rate, or tax on lines the shop did not
// tell us about. A smaller tax difference is the shop rounding another way
// than the target; the result carries the target's tax, because that is
// what the ERP books. TotalNet follows as the totals' difference.
//
// NormalizeOrder is idempotent: it drops a rounding line (its SKU at 0 %)
// and a rounding discount (its code, not allocated) from an earlier run and
// computes them afresh.
func NormalizeOrder(o kontor.Order, opts TaxOptions) (kontor.Order, error) {
	n := taxNormalizer{o: &o, cur: o.Currency, sku: opts.RoundingLineSKU, strategy: opts.Strategy}
	if n.sku == "" {
		n.sku = taxRoundingSKU
	}
	if err := n.check(opts); err != nil {
		return kontor.Order{}, err
	}
	n.scale, n.unit = n.cur.Scale(), n.cur.MinorUnit()
	if err := n.collect(); err != nil {
		return kontor.Order{}, err
	}
	if err := n.spreadDiscounts(); err != nil {
		return kontor.Order{}, err
	}
	if n.strategy == RoundPerDocument {
		n.taxPerDocument()
	} else {
		n.taxPerLine()
	}
	if err := n.checkLineTax(); err != nil {
		return kontor.Order{}, err
	}
	maxDiff := opts.MaxRoundingDiff
	if maxDiff.IsZero() {
		maxDiff = kontor.OrderTolerance(n.cur, len(n.items))
	}
	if err := n.totals(maxDiff); err != nil {
		return kontor.Order{}, err
	}
	return n.out, nil
}

// taxItem is a line, shipping line or fee while it is being normalised.
type taxItem struct {
	path     taxPath         // where it is in the input, for errors
	kind     taxItemKind     // which list it belongs to
	index    int             // into out.Lines, out.ShippingLines or out.Fees
	rate     decimal.Decimal // percent
	amount   decimal.Decimal // the amount in the order's convention: gross if prices include tax, else net
	discount decimal.Decimal // the line discount in the order's convention
	tax      decimal.Decimal
}

// taxItemKind says what a taxItem is: only article lines take discounts.
type taxItemKind int

const (
	kindArticle taxItemKind = iota
	kindShipping
	kindFee
)

// taxNormalizer holds one NormalizeOrder call's state.
type taxNormalizer struct {
	o     *kontor.Order // the input, read only
	out   kontor.Order
	cur   kontor.Currency
	scale int32
	unit  decimal.Decimal
	sku   string
	// strategy is how the target rounds tax.
	strategy RoundingStrategy
	items    []taxItem
	// unallocated is the sum of the order-level discounts to spread.
	unallocated decimal.Decimal
}

var (
	taxHundred = decimal.NewFromInt(100)
	taxTwo     = decimal.NewFromInt(2)
)

// amt formats an amount for an error text with the currency's digits:
// "99.00", not "99".
func (n *taxNormalizer) amt(d decimal.Decimal) string {
	if -d.Exponent() <= n.cur.Scale() {
		return d.StringFixed(n.cur.Scale())
	}
	return d.String()
}

func (n *taxNormalizer) fail(field, format string, args ...any) error {
	return &TaxError{Order: n.o.Number, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// check checks the options and the order's currency.
func (n *taxNormalizer) check(opts TaxOptions) error {
	if opts.Strategy != RoundPerLine && opts.Strategy != RoundPerDocument {
		return n.fail("options.strategy", "is %s, want per line or per document", opts.Strategy)
	}
	if opts.MaxRoundingDiff.IsNegative() {
		return n.fail("options.max_rounding_diff", "is %s, must not be negative", opts.MaxRoundingDiff)
	}
	if err := n.cur.Validate(); err != nil {
		return n.fail("currency", "%v", err)
	}
	return nil
}

// taxPath names an element of the input's lines, shipping lines, fees or
// discounts; the field name is only built for an error.
type taxPath struct {
	list string // "lines", "shipping_lines", "fees", "discounts"
	i    int
}

// at returns the path of a field of the element; the zero taxPath is the
// order itself.
func (p taxPath) at(field string) string {
	if p.list == "" {
		return field
	}
	return fmt.Sprintf("%s[%d].%s", p.list, p.i, field)
}

// money checks that m, the field of the element at p, is in the order's
// currency (or is the zero Money) and not negative.
func (n *taxNormalizer) money(p taxPath, field string, m kontor.Money) error {
	if m.IsZero() {
		return nil
	}
	if m.Currency != n.cur {
		return n.fail(p.at(field)+".currency", "is %q, want the order's %s", m.Currency, n.cur)
	}
	if m.IsNegative() {
		return n.fail(p.at(field), "is %s, must not be negative", n.amt(m.Amount))
	}
	return nil
}

// rate checks a rate: a percentage, and set where the line states tax.
func (n *taxNormalizer) rate(p taxPath, rate decimal.Decimal, tax kontor.Money) error {
	if rate.IsNegative() || rate.GreaterThan(taxHundred) {
		return n.fail(p.at("tax_rate"), "is %s, want a percentage from 0 to 100", rate)
	}
	if rate.IsZero() && !tax.Amount.IsZero() {
		return n.fail(p.at("tax_rate"), "is missing (0) while the line states tax %s; a rate is never inferred from amounts", n.amt(tax.Amount))
	}
	return nil
}

// collect copies the order, checks the inputs the computation relies on and
// computes each line's amount in the order's convention.
func (n *taxNormalizer) collect() error {
	o := n.o
	n.out = *o
	n.out.Lines = make([]kontor.OrderLine, 0, len(o.Lines)+1)
	n.out.ShippingLines = slices.Clone(o.ShippingLines)
	n.out.Fees = slices.Clone(o.Fees)
	n.out.Discounts = make([]kontor.Discount, 0, len(o.Discounts)+1)
	n.out.Tags = slices.Clone(o.Tags)
	n.out.Customer.Addresses = slices.Clone(o.Customer.Addresses)
	n.items = make([]taxItem, 0, len(o.Lines)+len(o.ShippingLines)+len(o.Fees))

	convention, other := "net", "gross"
	if o.PricesIncludeTax {
		convention, other = "gross", "net"
	}
	for i, l := range o.Lines {
		if l.SKU == n.sku && l.TaxRate.IsZero() {
			continue // an earlier run's rounding line; totals() computes it afresh
		}
		p := taxPath{"lines", i}
		if err := cmp.Or(n.money(p, "unit_price", l.UnitPrice), n.money(p, "discount", l.Discount),
			n.money(p, "net", l.Net), n.money(p, "tax", l.Tax), n.money(p, "gross", l.Gross), n.rate(p, l.TaxRate, l.Tax)); err != nil {
			return err
		}
		if !l.Quantity.IsPositive() {
			return n.fail(p.at("quantity"), "is %s, must be positive", l.Quantity)
		}
		total := l.Quantity.Mul(l.UnitPrice.Amount)
		if l.Discount.Amount.GreaterThan(total) {
			return n.fail(p.at("discount"), "is %s, more than quantity %s × unit price %s", n.amt(l.Discount.Amount), l.Quantity, n.amt(l.UnitPrice.Amount))
		}
		amount := total.Sub(l.Discount.Amount).Round(n.scale)
		stated := l.Net.Amount
		if o.PricesIncludeTax {
			stated = l.Gross.Amount
		}
		if !stated.IsZero() && stated.Sub(amount).Abs().GreaterThan(n.unit) {
			return n.fail(p.at(convention), "is %s, but quantity %s × unit price %s − discount %s is %s",
				n.amt(stated), l.Quantity, n.amt(l.UnitPrice.Amount), n.amt(l.Discount.Amount), n.amt(amount))
		}
		n.items = append(n.items, taxItem{path: p, kind: kindArticle, index: len(n.out.Lines), rate: l.TaxRate,
			amount: amount, discount: l.Discount.Amount})
		n.out.Lines = append(n.out.Lines, l)
	}
	// Shipping lines and fees have no unit price: their amount in the
	// order's convention is the truth.
	charge := func(p taxPath, kind taxItemKind, what string, net, tax, gross kontor.Money, rate decimal.Decimal) error {
		if err := cmp.Or(n.money(p, "net", net), n.money(p, "tax", tax), n.money(p, "gross", gross),
			n.rate(p, rate, tax)); err != nil {
			return err
		}
		amount, otherAmount := net.Amount, gross.Amount
		if o.PricesIncludeTax {
			amount, otherAmount = otherAmount, amount
		}
		if amount.IsZero() && !otherAmount.IsZero() {
			return n.fail(p.at(convention), "is 0 while %s is %s; a %s order states %s as %s",
				other, n.amt(otherAmount), taxConventionName(o.PricesIncludeTax), what, convention)
		}
		n.items = append(n.items, taxItem{path: p, kind: kind, index: p.i, rate: rate, amount: amount.Round(n.scale)})
		return nil
	}
	for i, s := range o.ShippingLines {
		if err := charge(taxPath{"shipping_lines", i}, kindShipping, "shipping", s.Net, s.Tax, s.Gross, s.TaxRate); err != nil {
			return err
		}
	}
	for i, f := range o.Fees {
		if err := charge(taxPath{"fees", i}, kindFee, "fees", f.Net, f.Tax, f.Gross, f.TaxRate); err != nil {
			return err
		}
	}
	for i, d := range o.Discounts {
		if !d.Allocated && d.Code == n.sku {
			continue // an earlier run's negative rounding difference
		}
		if err := n.money(taxPath{"discounts", i}, "amount", d.Amount); err != nil {
			return err
		}
		if !d.Allocated {
			n.unallocated = n.unallocated.Add(d.Amount.Amount)
			d.Allocated = true
		}
		n.out.Discounts = append(n.out.Discounts, d)
	}
	return nil
}

func taxConventionName(inclusive bool) string {
	if inclusive {
		return "tax-inclusive"
	}
	return "tax-exclusive"
}

// spreadDiscounts spreads the unallocated order-level discounts onto the
// article lines pro rata by gross.
func (n *taxNormalizer) spreadDiscounts() error {
	if !n.unallocated.IsPositive() {
		return nil
	}
	var idx []int
	var weights []decimal.Decimal
	var total decimal.Decimal
	for i, it := range n.items {
		if it.kind != kindArticle {
			continue
		}
		w := it.amount
		if !n.o.PricesIncludeTax {
			w = w.Add(taxDivRound(w.Mul(it.rate), taxHundred, n.scale))
		}
		idx = append(idx, i)
		weights = append(weights, w)
		total = total.Add(w)
	}
	if n.unallocated.GreaterThan(total) {
		return n.fail("discounts", "the unallocated discounts of %s exceed the article lines' gross of %s; a shipping discount belongs on the shipping line's amount",
			n.amt(n.unallocated), n.amt(total))
	}
	nums := make([]decimal.Decimal, len(weights))
	for i, w := range weights {
		nums[i] = n.unallocated.Mul(w)
	}
	shares, ok := taxAllocate(n.unallocated, nums, total, n.scale)
	if !ok {
		return n.fail("discounts", "cannot spread %s onto the lines", n.amt(n.unallocated))
	}
	for k, i := range idx {
		it := &n.items[i]
		share := shares[k]
		if !n.o.PricesIncludeTax {
			share = taxDivRound(share.Mul(taxHundred), taxHundred.Add(it.rate), n.scale)
		}
		if share.GreaterThan(it.amount) { // cannot happen: a share never exceeds its line's gross
			return n.fail(it.path.at("discount"), "the share %s of the order discount exceeds the line's amount %s", n.amt(share), n.amt(it.amount))
		}
		it.amount = it.amount.Sub(share)
		it.discount = it.discount.Add(share)
	}
	return nil
}

// taxPerLine rounds each item's tax on its own.
func (n *taxNormalizer) taxPerLine() {
	for i := range n.items {
		it := &n.items[i]
		it.tax = taxDivRound(it.amount.Mul(it.rate), n.taxDenominator(it.rate), n.scale)
	}
}

// taxPerDocument rounds each rate's tax once over the document and spreads
// it back onto the items of that rate by largest remainder.
func (n *taxNormalizer) taxPerDocument() {
	done := make([]bool, len(n.items))
	var idx []int
	var nums []decimal.Decimal
	for i := range n.items {
		if done[i] {
			continue
		}
		rate := n.items[i].rate
		idx, nums = idx[:0], nums[:0]
		sum := decimal.Zero
		for j := i; j < len(n.items); j++ {
			if !done[j] && n.items[j].rate.Equal(rate) {
				done[j] = true
				num := n.items[j].amount.Mul(rate)
				idx, nums, sum = append(idx, j), append(nums, num), sum.Add(num)
			}
		}
		den := n.taxDenominator(rate)
		// The allocation cannot fail: the rounded sum is within the floors
		// and ceilings of the shares.
		taxes, _ := taxAllocate(taxDivRound(sum, den, n.scale), nums, den, n.scale)
		for k, j := range idx {
			n.items[j].tax = taxes[k]
		}
	}
}

// taxDenominator is what amount × rate is divided by to get the tax: 100
// for a net amount, 100 + rate for a gross one.
func (n *taxNormalizer) taxDenominator(rate decimal.Decimal) decimal.Decimal {
	if n.o.PricesIncludeTax {
		return taxHundred.Add(rate)
	}
	return taxHundred
}

// net and gross return an item's net and gross from its amount and tax.
func (n *taxNormalizer) net(it *taxItem) decimal.Decimal {
	if n.o.PricesIncludeTax {
		return it.amount.Sub(it.tax)
	}
	return it.amount
}

func (n *taxNormalizer) gross(it *taxItem) decimal.Decimal {
	if n.o.PricesIncludeTax {
		return it.amount
	}
	return it.amount.Add(it.tax)
}

// checkLineTax makes sure every item's tax is within one minor unit of its
// net × rate, which kontor.Order.Validate demands.
func (n *taxNormalizer) checkLineTax() error {
	for i := range n.items {
		it := &n.items[i]
		net := n.net(it)
		want := net.Mul(it.rate).Shift(-2)
		if want.Sub(it.tax).Abs().GreaterThan(n.unit) {
			return n.fail(it.path.at("tax"), "is %s, but %s %% of net %s is %s: the document's tax at %s %% cannot be spread onto its lines within one minor unit each; round this target per line",
				n.amt(it.tax), it.rate, n.amt(net), n.amt(want.Round(n.scale)), it.rate)
		}
	}
	return nil
}

// totals writes the items back, recomputes the totals and makes any
// difference to the shop's stated totals explicit.
func (n *taxNormalizer) totals(maxDiff decimal.Decimal) error {
	m := func(d decimal.Decimal) kontor.Money { return kontor.Money{Amount: d, Currency: n.cur} }
	var net, tax, gross decimal.Decimal
	for i := range n.items {
		it := &n.items[i]
		itNet, itGross := n.net(it), n.gross(it)
		net, tax, gross = net.Add(itNet), tax.Add(it.tax), gross.Add(itGross)
		switch it.kind {
		case kindArticle:
			l := &n.out.Lines[it.index]
			l.UnitPrice.Currency = n.cur
			if !it.discount.IsZero() || !l.Discount.IsZero() {
				l.Discount = m(it.discount)
			}
			l.Net, l.Tax, l.Gross = m(itNet), m(it.tax), m(itGross)
		case kindShipping:
			s := &n.out.ShippingLines[it.index]
			s.Net, s.Tax, s.Gross = m(itNet), m(it.tax), m(itGross)
		case kindFee:
			f := &n.out.Fees[it.index]
			f.Net, f.Tax, f.Gross = m(itNet), m(it.tax), m(itGross)
		}
	}
	o := n.o
	if !o.TotalTax.IsZero() {
		if err := n.money(taxPath{}, "total_tax", o.TotalTax); err != nil {
			return err
		}
		if d := o.TotalTax.Amount.Sub(tax); d.Abs().GreaterThan(maxDiff) {
			return n.fail("total_tax", "is %s, but the lines' tax at their rates adds up to %s (rounding %s); the difference %s is more than the %s allowed for rounding",
				n.amt(o.TotalTax.Amount), n.amt(tax), n.strategy, n.amt(d), n.amt(maxDiff))
		}
	}
	if !o.TotalGross.IsZero() {
		if err := n.money(taxPath{}, "total_gross", o.TotalGross); err != nil {
			return err
		}
		d := o.TotalGross.Amount.Sub(gross)
		if d.Abs().GreaterThan(maxDiff) {
			return n.fail("total_gross", "is %s, but the lines, shipping, fees and discounts add up to %s; the difference %s is more than the %s allowed for rounding",
				n.amt(o.TotalGross.Amount), n.amt(gross), n.amt(d), n.amt(maxDiff))
		}
		switch d.Sign() {
		case 1:
			n.out.Lines = append(n.out.Lines, kontor.OrderLine{SKU: n.sku, Title: taxRoundingTitle, Quantity: decimal.NewFromInt(1),
				UnitPrice: m(d), Net: m(d), Tax: m(decimal.Zero), Gross: m(d), TaxRate: decimal.Zero})
		case -1:
			n.out.Discounts = append(n.out.Discounts, kontor.Discount{Code: n.sku, Title: taxRoundingTitle, Amount: m(d.Neg())})
		}
		net, gross = net.Add(d), gross.Add(d)
	}
	n.out.TotalNet, n.out.TotalTax, n.out.TotalGross = m(net), m(tax), m(gross)
	return nil
}

// taxDivRound returns num / den rounded half away from zero to scale
// digits, exactly: the remainder decides, not a truncated quotient. den must
// be positive.
func taxDivRound(num, den decimal.Decimal, scale int32) decimal.Decimal {
	q, r := num.QuoRem(den, scale)
	// |r| < den × 10^-scale; half a unit is reached when 2|r| ≥ den × 10^-scale.
	if r.Abs().Mul(taxTwo).GreaterThanOrEqual(den.Shift(-scale)) {
		unit := decimal.New(1, -scale)
		if num.IsNegative() {
			return q.Sub(unit)
		}
		return q.Add(unit)
	}
	return q
}

// taxAllocate splits total, a multiple of the minor unit, into shares
// proportional to nums[i] / den (which add up to total within rounding) by
// largest remainder: each share is nums[i] / den rounded down to scale
// digits, and the minor units left over go one each to the largest
// remainders, earlier items first on a tie. nums must not be negative. It
// reports false when total is further than len(nums) minor units from the
// sum of the rounded-down shares.
func taxAllocate(total decimal.Decimal, nums []decimal.Decimal, den decimal.Decimal, scale int32) ([]decimal.Decimal, bool) {
	shares := make([]decimal.Decimal, len(nums))
	rems := make([]decimal.Decimal, len(nums))
	left := total
	for i, num := range nums {
		shares[i], rems[i] = num.QuoRem(den, scale)
		left = left.Sub(shares[i])
	}
	units := left.Shift(scale)
	if !units.IsInteger() || units.IsNegative() || units.GreaterThan(decimal.NewFromInt(int64(len(nums)))) {
		return nil, false
	}
	order := make([]int, len(nums))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(0, rems[a].Cmp(rems[b])) })
	unit := decimal.New(1, -scale)
	for _, i := range order[:units.IntPart()] {
		shares[i] = shares[i].Add(unit)
	}
	return shares, true
}

// NormalizeOrders is NormalizeOrder as a rule, so an orders flow's mapping
// normalises every order for its target:
//
//	mapping.New("orders@1", mapping.NormalizeOrders(mapping.TaxOptions{Strategy: mapping.RoundPerLine}))
//
// An order that cannot be normalised fails with its *TaxError and goes to
// the dead letters as a validation failure.
func NormalizeOrders(opts TaxOptions) Rule[kontor.Order] {
	return func(_ context.Context, o *kontor.Order) error {
		n, err := NormalizeOrder(*o, opts)
		if err != nil {
			return err
		}
		*o = n
		return nil
	}
}
