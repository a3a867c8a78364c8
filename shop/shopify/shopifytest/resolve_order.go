package shopifytest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/shopspring/decimal"
)

// Resolvers of orders, their lines, transactions, fulfillment orders,
// fulfillments, refunds and returns, and of money.

type moneyV2R struct {
	Amount       decimalScalar
	CurrencyCode string
}

func money(d decimal.Decimal, currency string) *moneyV2R {
	return &moneyV2R{Amount: decimalScalar{d}, CurrencyCode: currency}
}

type moneyBagR struct {
	ShopMoney        *moneyV2R
	PresentmentMoney *moneyV2R
}

// bag is a MoneyBag in one currency: the fake does not convert between shop
// and presentment currencies.
func bag(d decimal.Decimal, currency string) *moneyBagR {
	return &moneyBagR{ShopMoney: money(d, currency), PresentmentMoney: money(d, currency)}
}

type attributeR struct {
	Key   string
	Value *string
}

func intStr(n int) string     { return strconv.Itoa(n) }
func intStr64(n int64) string { return strconv.FormatInt(n, 10) }

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// ---------------------------------------------------------------- order totals

func (o *order) lineSubtotal() decimal.Decimal {
	s := decimal.Zero
	for _, l := range o.lines {
		s = s.Add(l.price.Mul(decimal.NewFromInt(int64(l.quantity)))).Sub(l.discount)
	}
	return s
}

func (o *order) shippingTotal() decimal.Decimal {
	s := decimal.Zero
	for _, sl := range o.shipLines {
		s = s.Add(sl.price).Sub(sl.discount)
	}
	return s
}

func (o *order) taxTotal() decimal.Decimal {
	s := decimal.Zero
	for _, l := range o.lines {
		for _, t := range l.taxLines {
			s = s.Add(t.price)
		}
	}
	for _, sl := range o.shipLines {
		for _, t := range sl.taxLines {
			s = s.Add(t.price)
		}
	}
	return s
}

func (o *order) discountTotal() decimal.Decimal {
	s := decimal.Zero
	for _, l := range o.lines {
		s = s.Add(l.discount)
	}
	for _, sl := range o.shipLines {
		s = s.Add(sl.discount)
	}
	return s
}

func (o *order) total() decimal.Decimal {
	t := o.lineSubtotal().Add(o.shippingTotal())
	if !o.taxesIncluded {
		t = t.Add(o.taxTotal())
	}
	return t
}

func (o *order) refunded() decimal.Decimal {
	s := decimal.Zero
	for _, r := range o.refunds {
		for _, t := range r.txs {
			if t.status == "SUCCESS" {
				s = s.Add(t.amount)
			}
		}
	}
	return s
}

// received is what was captured, less what was refunded.
func (o *order) received() decimal.Decimal {
	s := decimal.Zero
	for _, t := range o.transactions {
		if t.status != "SUCCESS" {
			continue
		}
		switch t.kind {
		case "SALE", "CAPTURE":
			s = s.Add(t.amount)
		case "REFUND":
			s = s.Sub(t.amount)
		}
	}
	return s
}

func (o *order) outstanding() decimal.Decimal {
	out := o.total().Sub(o.refunded()).Sub(o.received())
	if out.IsNegative() {
		return decimal.Zero
	}
	return out
}

func (o *order) fulfillmentStatus() string {
	open, done := 0, 0
	for _, l := range o.lines {
		cur := l.quantity - l.refunded
		done += min(l.fulfilled, cur)
		if cur > l.fulfilled {
			open += cur - l.fulfilled
		}
	}
	switch {
	case done > 0 && open == 0:
		return "FULFILLED"
	case done > 0:
		return "PARTIALLY_FULFILLED"
	}
	return "UNFULFILLED"
}

func (o *order) returnStatus() string {
	status := "NO_RETURN"
	for _, r := range o.returns {
		switch r.status {
		case "REQUESTED":
			status = "RETURN_REQUESTED"
		case "OPEN":
			status = "IN_PROGRESS"
		case "CLOSED":
			status = "RETURNED"
		}
	}
	return status
}

// ---------------------------------------------------------------- orders

type orderR struct {
	ID                      graphql.ID
	LegacyResourceId        uint64Scalar
	Name                    string
	Email                   *string
	Phone                   *string
	Note                    *string
	Tags                    []string
	Test                    bool
	Confirmed               bool
	Closed                  bool
	ClosedAt                *dateTime
	CreatedAt               dateTime
	UpdatedAt               dateTime
	ProcessedAt             dateTime
	CancelledAt             *dateTime
	CancelReason            *string
	CurrencyCode            string
	PresentmentCurrencyCode string
	TaxesIncluded           bool
	TaxExempt               bool
	SourceName              *string
	PoNumber                *string
	CustomerLocale          *string
	DisplayFinancialStatus  *string
	PaymentGatewayNames     []string
	DiscountCode            *string
	DiscountCodes           []string
	CustomAttributes        []*attributeR
	rec                     *order
}

func newOrderR(o *order) *orderR {
	if o == nil {
		return nil
	}
	fin := o.financial
	r := &orderR{
		ID:                      graphql.ID(o.id),
		LegacyResourceId:        uint64Scalar(o.num),
		Name:                    o.name,
		Email:                   sp(o.email),
		Phone:                   sp(o.phone),
		Note:                    sp(o.note),
		Tags:                    append([]string{}, o.tags...),
		Test:                    o.test,
		Confirmed:               true,
		Closed:                  !o.closedAt.IsZero(),
		ClosedAt:                dtp(o.closedAt),
		CreatedAt:               dt(o.createdAt),
		UpdatedAt:               dt(o.updatedAt),
		ProcessedAt:             dt(o.processedAt),
		CancelledAt:             dtp(o.cancelledAt),
		CancelReason:            sp(o.cancelReason),
		CurrencyCode:            o.currency,
		PresentmentCurrencyCode: o.currency,
		TaxesIncluded:           o.taxesIncluded,
		SourceName:              sp(o.sourceName),
		PoNumber:                sp(o.poNumber),
		DisplayFinancialStatus:  &fin,
		PaymentGatewayNames:     []string{},
		DiscountCodes:           []string{},
		CustomAttributes:        []*attributeR{},
		rec:                     o,
	}
	if o.customer != nil {
		r.TaxExempt = o.customer.taxExempt
		r.CustomerLocale = sp(o.customer.locale)
	}
	for _, t := range o.transactions {
		if t.gateway != "" && !slices.Contains(r.PaymentGatewayNames, t.gateway) {
			r.PaymentGatewayNames = append(r.PaymentGatewayNames, t.gateway)
		}
	}
	for _, d := range o.discounts {
		if d.kind == "code" {
			r.DiscountCodes = append(r.DiscountCodes, d.code)
		}
	}
	if len(r.DiscountCodes) > 0 {
		r.DiscountCode = &r.DiscountCodes[0]
	}
	for _, a := range o.attributes {
		v := a[1]
		r.CustomAttributes = append(r.CustomAttributes, &attributeR{Key: a[0], Value: &v})
	}
	return r
}

func (r *orderR) DisplayFulfillmentStatus() string { return r.rec.fulfillmentStatus() }
func (r *orderR) ReturnStatus() string             { return r.rec.returnStatus() }
func (r *orderR) FullyPaid() bool                  { return r.rec.outstanding().IsZero() }
func (r *orderR) CanMarkAsPaid() bool {
	return r.rec.cancelledAt.IsZero() && !r.rec.outstanding().IsZero()
}

func (r *orderR) SubtotalPriceSet() *moneyBagR { return bag(r.rec.lineSubtotal(), r.rec.currency) }
func (r *orderR) TotalPriceSet() *moneyBagR    { return bag(r.rec.total(), r.rec.currency) }
func (r *orderR) CurrentTotalPriceSet() *moneyBagR {
	return bag(r.rec.total().Sub(r.rec.refunded()), r.rec.currency)
}
func (r *orderR) TotalTaxSet() *moneyBagR       { return bag(r.rec.taxTotal(), r.rec.currency) }
func (r *orderR) TotalDiscountsSet() *moneyBagR { return bag(r.rec.discountTotal(), r.rec.currency) }
func (r *orderR) TotalShippingPriceSet() *moneyBagR {
	return bag(r.rec.shippingTotal(), r.rec.currency)
}
func (r *orderR) TotalRefundedSet() *moneyBagR    { return bag(r.rec.refunded(), r.rec.currency) }
func (r *orderR) TotalOutstandingSet() *moneyBagR { return bag(r.rec.outstanding(), r.rec.currency) }
func (r *orderR) TotalReceivedSet() *moneyBagR    { return bag(r.rec.received(), r.rec.currency) }

// TaxLines sums the lines' and shipping lines' taxes by title and rate.
func (r *orderR) TaxLines() []*taxLineR {
	var sums []taxLine
	add := func(t taxLine) {
		for i := range sums {
			if sums[i].title == t.title && sums[i].rate.Equal(t.rate) {
				sums[i].price = sums[i].price.Add(t.price)
				return
			}
		}
		sums = append(sums, t)
	}
	for _, l := range r.rec.lines {
		for _, t := range l.taxLines {
			add(t)
		}
	}
	for _, sl := range r.rec.shipLines {
		for _, t := range sl.taxLines {
			add(t)
		}
	}
	return taxLineViews(sums, r.rec.currency)
}

type taxLineR struct {
	Title          *string
	Rate           *float64
	RatePercentage *float64
	PriceSet       *moneyBagR
	ChannelLiable  *bool
}

func taxLineViews(ts []taxLine, currency string) []*taxLineR {
	out := make([]*taxLineR, 0, len(ts))
	for _, t := range ts {
		rate, _ := t.rate.Float64()
		pct, _ := t.rate.Mul(decimal.NewFromInt(100)).Float64()
		f := false
		out = append(out, &taxLineR{Title: sp(t.title), Rate: &rate, RatePercentage: &pct, PriceSet: bag(t.price, currency), ChannelLiable: &f})
	}
	return out
}

func (r *orderR) Customer() *customerR { return newCustomerR(r.rec.customer) }

func (r *orderR) PurchasingEntity() *purchasingEntityR {
	o := r.rec
	if o.compLoc != nil {
		return &purchasingEntityR{company: &purchasingCompanyR{loc: o.compLoc, contact: o.contact}}
	}
	if o.customer != nil {
		return &purchasingEntityR{customer: newCustomerR(o.customer)}
	}
	return nil
}

type purchasingEntityR struct {
	customer *customerR
	company  *purchasingCompanyR
}

func (p *purchasingEntityR) ToCustomer() (*customerR, bool) { return p.customer, p.customer != nil }
func (p *purchasingEntityR) ToPurchasingCompany() (*purchasingCompanyR, bool) {
	return p.company, p.company != nil
}

type purchasingCompanyR struct {
	loc     *companyLocation
	contact *companyContact
}

func (p *purchasingCompanyR) Company() *companyR          { return newCompanyR(p.loc.company) }
func (p *purchasingCompanyR) Location() *companyLocationR { return newCompanyLocationR(p.loc) }
func (p *purchasingCompanyR) Contact() *companyContactR   { return newContactR(p.contact) }

func (r *orderR) BillingAddress() *mailingAddressR  { return newAddressR(r.rec.billing) }
func (r *orderR) ShippingAddress() *mailingAddressR { return newAddressR(r.rec.shipping) }
func (r *orderR) BillingAddressMatchesShippingAddress() bool {
	b, s := r.rec.billing, r.rec.shipping
	if b == nil || s == nil {
		return b == s
	}
	bb, ss := *b, *s
	bb.id, ss.id = "", ""
	return bb == ss
}

func (r *orderR) LineItems(ctx context.Context, a connArgs) (*connection[*lineItemR], error) {
	return pageViews(ctx, r.rec.lines, func(l *lineItem) sortKey { return keyOf(idKey(l.num), l.num) }, newLineItemR, a)
}

func (r *orderR) ShippingLine() *shippingLineR {
	if len(r.rec.shipLines) == 0 {
		return nil
	}
	return newShippingLineR(r.rec.shipLines[0], r.rec.currency)
}

func (r *orderR) ShippingLines(ctx context.Context, a struct {
	connArgs
	IncludeRemovals bool
}) (*connection[*shippingLineR], error) {
	cur := r.rec.currency
	return pageViews(ctx, r.rec.shipLines, func(s *shippingLine) sortKey { return keyOf(idKey(s.num), s.num) },
		func(s *shippingLine) *shippingLineR { return newShippingLineR(s, cur) }, a.connArgs)
}

func (r *orderR) DiscountApplications(ctx context.Context, a connArgs) (*connection[*discountAppR], error) {
	cur := r.rec.currency
	return pageViews(ctx, r.rec.discounts, func(d *discountApp) sortKey { return keyOf(intKey(d.index), int64(d.index+1)) },
		func(d *discountApp) *discountAppR { return newDiscountAppR(d, cur) }, a)
}

func (r *orderR) Transactions(a struct {
	First              *int32
	Capturable         *bool
	ManuallyResolvable *bool
}) []*transactionR {
	var out []*transactionR
	for _, t := range r.rec.transactions {
		if a.Capturable != nil && *a.Capturable != (t.kind == "AUTHORIZATION" && t.status == "SUCCESS" && !captured(r.rec, t)) {
			continue
		}
		out = append(out, newTransactionR(t))
	}
	if out == nil {
		out = []*transactionR{}
	}
	return firstN(out, a.First)
}

func captured(o *order, auth *transaction) bool {
	for _, t := range o.transactions {
		if t.parent == auth && t.kind == "CAPTURE" && t.status == "SUCCESS" {
			return true
		}
	}
	return false
}

func (r *orderR) FulfillmentOrders(ctx context.Context, a struct {
	connArgs
	Query       *string
	Displayable bool
}) (*connection[*fulfillmentOrderR], error) {
	fos := r.rec.fos
	if a.Displayable {
		fos = slices.DeleteFunc(slices.Clone(fos), func(f *fulfillmentOrder) bool { return f.status == "CANCELLED" })
	}
	fos = filter(fos, parseSearch(a.Query), func(f *fulfillmentOrder) searchFields {
		return func(field string) ([]string, bool) {
			switch field {
			case "status":
				return one(strings.ToLower(f.status)), true
			case "assigned_location_id":
				return idField(f.location.num), true
			}
			return nil, false
		}
	})
	return pageViews(ctx, fos, func(f *fulfillmentOrder) sortKey { return keyOf(idKey(f.num), f.num) }, newFulfillmentOrderR, a.connArgs)
}

func (r *orderR) Fulfillments(a struct{ First *int32 }) []*fulfillmentR {
	out := []*fulfillmentR{}
	for _, f := range firstN(r.rec.fulfillments, a.First) {
		out = append(out, newFulfillmentR(f))
	}
	return out
}

func (r *orderR) Refunds(a struct{ First *int32 }) []*refundR {
	out := []*refundR{}
	for _, f := range firstN(r.rec.refunds, a.First) {
		out = append(out, newRefundR(f))
	}
	return out
}

func (r *orderR) Returns(ctx context.Context, a struct {
	connArgs
	Query *string
}) (*connection[*returnR], error) {
	return pageViews(ctx, r.rec.returns, func(x *orderReturn) sortKey { return keyOf(idKey(x.num), x.num) }, newReturnR, a.connArgs)
}

func (r *orderR) Metafield(a metafieldArgs) *metafieldR { return nil }

func (r *orderR) Metafields(ctx context.Context, a metafieldsArgs) (*connection[*metafieldR], error) {
	return pageMetafields(ctx, nil, a)
}

func orderKey(sortBy string) func(*order) sortKey {
	return func(o *order) sortKey {
		switch sortBy {
		case "UPDATED_AT":
			return keyOf(timeKey(o.updatedAt), o.num)
		case "CREATED_AT":
			return keyOf(timeKey(o.createdAt), o.num)
		case "PROCESSED_AT":
			return keyOf(timeKey(o.processedAt), o.num)
		case "ORDER_NUMBER":
			return keyOf(intKey(o.number), o.num)
		case "TOTAL_PRICE":
			return keyOf(o.total().StringFixed(2), o.num)
		case "CUSTOMER_NAME":
			n := ""
			if o.customer != nil {
				n = o.customer.displayName()
			}
			return keyOf(textKey(n), o.num)
		case "FINANCIAL_STATUS":
			return keyOf(o.financial, o.num)
		case "FULFILLMENT_STATUS":
			return keyOf(o.fulfillmentStatus(), o.num)
		}
		return keyOf(idKey(o.num), o.num)
	}
}

func orderFields(o *order) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "":
			vals := []string{o.name, o.email}
			for _, l := range o.lines {
				vals = append(vals, l.sku, l.title)
			}
			return vals, true
		case "name":
			return []string{o.name, strings.TrimPrefix(o.name, "#")}, true
		case "id":
			return idField(o.num), true
		case "email":
			return one(o.email), true
		case "updated_at":
			return one(fmtTime(o.updatedAt)), true
		case "created_at":
			return one(fmtTime(o.createdAt)), true
		case "processed_at":
			return one(fmtTime(o.processedAt)), true
		case "financial_status":
			return one(strings.ToLower(o.financial)), true
		case "fulfillment_status":
			switch o.fulfillmentStatus() {
			case "FULFILLED":
				return []string{"shipped", "fulfilled"}, true
			case "PARTIALLY_FULFILLED":
				return []string{"partial", "partially_fulfilled"}, true
			}
			return []string{"unshipped", "unfulfilled"}, true
		case "status":
			switch {
			case !o.cancelledAt.IsZero():
				return one("cancelled"), true
			case !o.closedAt.IsZero():
				return one("closed"), true
			}
			return one("open"), true
		case "tag":
			return o.tags, true
		case "sku":
			var out []string
			for _, l := range o.lines {
				out = append(out, l.sku)
			}
			return out, true
		case "customer_id":
			if o.customer == nil {
				return nil, true
			}
			return idField(o.customer.num), true
		case "company_id":
			if o.compLoc == nil {
				return nil, true
			}
			return idField(o.compLoc.company.num), true
		case "test":
			return one(boolStr(o.test)), true
		}
		return nil, false
	}
}

// ---------------------------------------------------------------- lines

type lineItemR struct {
	ID               graphql.ID
	Name             string
	Title            string
	Sku              *string
	Vendor           *string
	VariantTitle     *string
	Quantity         int32
	RequiresShipping bool
	Taxable          bool
	IsGiftCard       bool
	CustomAttributes []*attributeR
	rec              *lineItem
}

func newLineItemR(l *lineItem) *lineItemR {
	if l == nil {
		return nil
	}
	name := l.title
	if l.varTitle != "" {
		name += " - " + l.varTitle
	}
	return &lineItemR{
		ID: graphql.ID(l.id), Name: name, Title: l.title, Sku: sp(l.sku), Vendor: sp(l.vendor),
		VariantTitle: sp(l.varTitle), Quantity: int32(l.quantity), RequiresShipping: l.requires,
		Taxable: l.taxable, CustomAttributes: []*attributeR{}, rec: l,
	}
}

func (r *lineItemR) CurrentQuantity() int32 { return int32(r.rec.quantity - r.rec.refunded) }
func (r *lineItemR) UnfulfilledQuantity() int32 {
	return int32(max(0, r.rec.quantity-r.rec.refunded-r.rec.fulfilled))
}
func (r *lineItemR) RefundableQuantity() int32 { return int32(r.rec.quantity - r.rec.refunded) }
func (r *lineItemR) Variant() *variantR        { return newVariantR(r.rec.variant) }
func (r *lineItemR) Product() *productR {
	if r.rec.variant == nil {
		return nil
	}
	return newProductR(r.rec.variant.product)
}

func (l *lineItem) unitDiscount() decimal.Decimal {
	if l.quantity == 0 {
		return decimal.Zero
	}
	return l.discount.Div(decimal.NewFromInt(int64(l.quantity))).Round(2)
}

func (r *lineItemR) OriginalUnitPriceSet() *moneyBagR { return bag(r.rec.price, r.rec.order.currency) }
func (r *lineItemR) DiscountedUnitPriceSet() *moneyBagR {
	return bag(r.rec.price.Sub(r.rec.unitDiscount()), r.rec.order.currency)
}
func (r *lineItemR) DiscountedUnitPriceAfterAllDiscountsSet() *moneyBagR {
	return r.DiscountedUnitPriceSet()
}
func (r *lineItemR) OriginalTotalSet() *moneyBagR {
	return bag(r.rec.price.Mul(decimal.NewFromInt(int64(r.rec.quantity))), r.rec.order.currency)
}
func (r *lineItemR) DiscountedTotalSet() *moneyBagR {
	return bag(r.rec.price.Mul(decimal.NewFromInt(int64(r.rec.quantity))).Sub(r.rec.discount), r.rec.order.currency)
}
func (r *lineItemR) TotalDiscountSet() *moneyBagR { return bag(r.rec.discount, r.rec.order.currency) }
func (r *lineItemR) TaxLines(a struct{ First *int32 }) []*taxLineR {
	return taxLineViews(firstN(r.rec.taxLines, a.First), r.rec.order.currency)
}
func (r *lineItemR) DiscountAllocations() []*discountAllocationR {
	out := []*discountAllocationR{}
	if r.rec.discApp != nil && !r.rec.discount.IsZero() {
		out = append(out, &discountAllocationR{
			AllocatedAmountSet:  bag(r.rec.discount, r.rec.order.currency),
			DiscountApplication: newDiscountAppR(r.rec.discApp, r.rec.order.currency),
		})
	}
	return out
}

type discountAllocationR struct {
	AllocatedAmountSet  *moneyBagR
	DiscountApplication *discountAppR
}

type shippingLineR struct {
	ID                 *graphql.ID
	Title              string
	Code               *string
	Source             *string
	CarrierIdentifier  *string
	IsRemoved          bool
	OriginalPriceSet   *moneyBagR
	DiscountedPriceSet *moneyBagR
	TaxLines           []*taxLineR
}

func newShippingLineR(s *shippingLine, cur string) *shippingLineR {
	id := graphql.ID(s.id)
	return &shippingLineR{
		ID: &id, Title: s.title, Code: sp(s.code), Source: sp(s.source), CarrierIdentifier: sp(s.carrier),
		OriginalPriceSet: bag(s.price, cur), DiscountedPriceSet: bag(s.price.Sub(s.discount), cur),
		TaxLines: taxLineViews(s.taxLines, cur),
	}
}

// discountAppR resolves the DiscountApplication interface and each of its
// implementations.
type discountAppR struct {
	AllocationMethod string
	Index            int32
	TargetSelection  string
	TargetType       string
	Code             string
	Title            string
	Description      *string
	rec              *discountApp
	currency         string
}

func newDiscountAppR(d *discountApp, cur string) *discountAppR {
	t := d.title
	if t == "" {
		t = d.code
	}
	return &discountAppR{
		AllocationMethod: d.allocation, Index: int32(d.index), TargetSelection: d.selection,
		TargetType: d.target, Code: d.code, Title: t, rec: d, currency: cur,
	}
}

func (d *discountAppR) Value() *pricingValueR {
	if d.rec.percentage != nil {
		f, _ := d.rec.percentage.Float64()
		return &pricingValueR{pct: &pricingPercentageR{Percentage: f}}
	}
	amt := decimal.Zero
	if d.rec.amount != nil {
		amt = *d.rec.amount
	}
	return &pricingValueR{money: money(amt, d.currency)}
}

func (d *discountAppR) ToDiscountCodeApplication() (*discountAppR, bool) {
	return d, d.rec.kind == "code"
}
func (d *discountAppR) ToManualDiscountApplication() (*discountAppR, bool) {
	return d, d.rec.kind == "manual"
}
func (d *discountAppR) ToAutomaticDiscountApplication() (*discountAppR, bool) {
	return d, d.rec.kind == "automatic"
}

type pricingValueR struct {
	money *moneyV2R
	pct   *pricingPercentageR
}

func (p *pricingValueR) ToMoneyV2() (*moneyV2R, bool) { return p.money, p.money != nil }
func (p *pricingValueR) ToPricingPercentageValue() (*pricingPercentageR, bool) {
	return p.pct, p.pct != nil
}

type pricingPercentageR struct{ Percentage float64 }

// ---------------------------------------------------------------- transactions

type transactionR struct {
	ID                graphql.ID
	Kind              string
	Status            string
	Gateway           *string
	FormattedGateway  *string
	AuthorizationCode *string
	PaymentId         *string
	ErrorCode         *string
	Test              bool
	AmountSet         *moneyBagR
	CreatedAt         dateTime
	ProcessedAt       *dateTime
	rec               *transaction
}

func newTransactionR(t *transaction) *transactionR {
	if t == nil {
		return nil
	}
	fg := strings.ToUpper(t.gateway[:min(1, len(t.gateway))]) + t.gateway[min(1, len(t.gateway)):]
	pay := "r" + intStr64(t.num)
	return &transactionR{
		ID: graphql.ID(t.id), Kind: t.kind, Status: t.status, Gateway: sp(t.gateway), FormattedGateway: sp(fg),
		AuthorizationCode: sp(t.authCode), PaymentId: &pay, Test: t.test, AmountSet: bag(t.amount, t.order.currency),
		CreatedAt: dt(t.createdAt), ProcessedAt: dtp(t.createdAt), rec: t,
	}
}

func (r *transactionR) ParentTransaction() *transactionR { return newTransactionR(r.rec.parent) }
func (r *transactionR) Order() *orderR                   { return newOrderR(r.rec.order) }

// ---------------------------------------------------------------- fulfillment orders

type fulfillmentOrderR struct {
	ID            graphql.ID
	Status        string
	RequestStatus string
	OrderId       graphql.ID
	OrderName     string
	CreatedAt     dateTime
	UpdatedAt     dateTime
	rec           *fulfillmentOrder
}

func newFulfillmentOrderR(f *fulfillmentOrder) *fulfillmentOrderR {
	if f == nil {
		return nil
	}
	return &fulfillmentOrderR{
		ID: graphql.ID(f.id), Status: f.status, RequestStatus: "UNSUBMITTED", OrderId: graphql.ID(f.order.id),
		OrderName: f.order.name, CreatedAt: dt(f.createdAt), UpdatedAt: dt(f.updatedAt), rec: f,
	}
}

func (r *fulfillmentOrderR) Order() *orderR { return newOrderR(r.rec.order) }

func (r *fulfillmentOrderR) AssignedLocation() *assignedLocationR {
	l := r.rec.location
	cc := l.address.countryCode
	if cc == "" {
		cc = "DE"
	}
	return &assignedLocationR{Name: l.name, Address1: sp(l.address.address1), City: sp(l.address.city), CountryCode: cc, Zip: sp(l.address.zip), loc: l}
}

type assignedLocationR struct {
	Name        string
	Address1    *string
	City        *string
	CountryCode string
	Zip         *string
	loc         *location
}

func (a *assignedLocationR) Location() *locationR { return newLocationR(a.loc) }

func (r *fulfillmentOrderR) SupportedActions() []*supportedActionR {
	out := []*supportedActionR{}
	if r.rec.status == "OPEN" || r.rec.status == "IN_PROGRESS" {
		for _, a := range []string{"CREATE_FULFILLMENT", "REQUEST_FULFILLMENT", "HOLD", "MOVE"} {
			out = append(out, &supportedActionR{Action: a})
		}
	}
	return out
}

type supportedActionR struct{ Action string }

func (r *fulfillmentOrderR) LineItems(ctx context.Context, a connArgs) (*connection[*foLineR], error) {
	return pageViews(ctx, r.rec.lines, func(l *foLine) sortKey { return keyOf(idKey(l.num), l.num) }, newFOLineR, a)
}

func (r *fulfillmentOrderR) Fulfillments(ctx context.Context, a connArgs) (*connection[*fulfillmentR], error) {
	var fs []*fulfillment
	for _, f := range r.rec.order.fulfillments {
		if slices.Contains(f.fos, r.rec) {
			fs = append(fs, f)
		}
	}
	return pageViews(ctx, fs, func(f *fulfillment) sortKey { return keyOf(idKey(f.num), f.num) }, newFulfillmentR, a)
}

type foLineR struct {
	ID                graphql.ID
	TotalQuantity     int32
	RemainingQuantity int32
	Sku               *string
	ProductTitle      string
	VariantTitle      *string
	InventoryItemId   *graphql.ID
	rec               *foLine
}

func newFOLineR(l *foLine) *foLineR {
	r := &foLineR{
		ID: graphql.ID(l.id), TotalQuantity: int32(l.total), RemainingQuantity: int32(l.remaining),
		Sku: sp(l.line.sku), ProductTitle: l.line.title, VariantTitle: sp(l.line.varTitle), rec: l,
	}
	if v := l.line.variant; v != nil {
		id := graphql.ID(v.item.id)
		r.InventoryItemId = &id
	}
	return r
}

func (r *foLineR) Variant() *variantR   { return newVariantR(r.rec.line.variant) }
func (r *foLineR) LineItem() *lineItemR { return newLineItemR(r.rec.line) }

// ---------------------------------------------------------------- fulfillments

type fulfillmentR struct {
	ID                  graphql.ID
	LegacyResourceId    uint64Scalar
	Name                string
	Status              string
	DisplayStatus       *string
	CreatedAt           dateTime
	UpdatedAt           dateTime
	DeliveredAt         *dateTime
	InTransitAt         *dateTime
	EstimatedDeliveryAt *dateTime
	RequiresShipping    bool
	rec                 *fulfillment
}

func newFulfillmentR(f *fulfillment) *fulfillmentR {
	if f == nil {
		return nil
	}
	ds := "FULFILLED"
	if f.status == "CANCELLED" {
		ds = "CANCELED"
	}
	return &fulfillmentR{
		ID: graphql.ID(f.id), LegacyResourceId: uint64Scalar(f.num), Name: f.name, Status: f.status,
		DisplayStatus: &ds, CreatedAt: dt(f.createdAt), UpdatedAt: dt(f.updatedAt), RequiresShipping: true, rec: f,
	}
}

func (r *fulfillmentR) TotalQuantity() int32 {
	n := 0
	for _, l := range r.rec.lines {
		n += l.quantity
	}
	return int32(n)
}

func (r *fulfillmentR) TrackingInfo(a struct{ First *int32 }) []*trackingR {
	out := []*trackingR{}
	for _, t := range firstN(r.rec.tracking, a.First) {
		out = append(out, &trackingR{Company: sp(t.company), Number: sp(t.number), Url: urlp(t.url)})
	}
	return out
}

type trackingR struct {
	Company *string
	Number  *string
	Url     *urlScalar
}

func (r *fulfillmentR) Location() *locationR { return newLocationR(r.rec.location) }
func (r *fulfillmentR) Order() *orderR       { return newOrderR(r.rec.order) }

func (r *fulfillmentR) FulfillmentLineItems(ctx context.Context, a connArgs) (*connection[*fulfillmentLineR], error) {
	cur := r.rec.order.currency
	return pageViews(ctx, r.rec.lines, func(l *fulfillmentLine) sortKey { return keyOf(idKey(l.num), l.num) },
		func(l *fulfillmentLine) *fulfillmentLineR { return newFulfillmentLineR(l, cur) }, a)
}

func (r *fulfillmentR) FulfillmentOrders(ctx context.Context, a connArgs) (*connection[*fulfillmentOrderR], error) {
	return pageViews(ctx, r.rec.fos, func(f *fulfillmentOrder) sortKey { return keyOf(idKey(f.num), f.num) }, newFulfillmentOrderR, a)
}

type fulfillmentLineR struct {
	ID                 graphql.ID
	Quantity           *int32
	OriginalTotalSet   *moneyBagR
	DiscountedTotalSet *moneyBagR
	rec                *fulfillmentLine
}

func newFulfillmentLineR(l *fulfillmentLine, cur string) *fulfillmentLineR {
	q := int32(l.quantity)
	qd := decimal.NewFromInt(int64(l.quantity))
	return &fulfillmentLineR{
		ID: graphql.ID(l.id), Quantity: &q,
		OriginalTotalSet:   bag(l.line.price.Mul(qd), cur),
		DiscountedTotalSet: bag(l.line.price.Sub(l.line.unitDiscount()).Mul(qd), cur),
		rec:                l,
	}
}

func (r *fulfillmentLineR) LineItem() *lineItemR { return newLineItemR(r.rec.line) }

// ---------------------------------------------------------------- refunds

type refundR struct {
	ID               graphql.ID
	LegacyResourceId uint64Scalar
	Note             *string
	CreatedAt        *dateTime
	UpdatedAt        dateTime
	rec              *refund
}

func newRefundR(r *refund) *refundR {
	if r == nil {
		return nil
	}
	return &refundR{ID: graphql.ID(r.id), LegacyResourceId: uint64Scalar(r.num), Note: sp(r.note), CreatedAt: dtp(r.createdAt), UpdatedAt: dt(r.updatedAt), rec: r}
}

func (r *refundR) Order() *orderR   { return newOrderR(r.rec.order) }
func (r *refundR) Return() *returnR { return newReturnR(r.rec.ret) }

func (r *refundR) TotalRefundedSet() *moneyBagR {
	s := decimal.Zero
	for _, t := range r.rec.txs {
		if t.status == "SUCCESS" {
			s = s.Add(t.amount)
		}
	}
	return bag(s, r.rec.order.currency)
}

func (r *refundR) RefundLineItems(ctx context.Context, a connArgs) (*connection[*refundLineR], error) {
	cur := r.rec.order.currency
	return pageViews(ctx, r.rec.lines, func(l *refundLine) sortKey { return keyOf(idKey(l.num), l.num) },
		func(l *refundLine) *refundLineR { return newRefundLineR(l, cur) }, a)
}

func (r *refundR) Transactions(ctx context.Context, a connArgs) (*connection[*transactionR], error) {
	return pageViews(ctx, r.rec.txs, func(t *transaction) sortKey { return keyOf(idKey(t.num), t.num) }, newTransactionR, a)
}

type refundLineR struct {
	ID          *graphql.ID
	Quantity    int32
	RestockType string
	Restocked   bool
	PriceSet    *moneyBagR
	SubtotalSet *moneyBagR
	TotalTaxSet *moneyBagR
	rec         *refundLine
}

func newRefundLineR(l *refundLine, cur string) *refundLineR {
	id := graphql.ID(l.id)
	unit := l.line.price.Sub(l.line.unitDiscount())
	tax := decimal.Zero
	for _, t := range l.line.taxLines {
		tax = tax.Add(t.price)
	}
	if l.line.quantity > 0 {
		tax = tax.Mul(decimal.NewFromInt(int64(l.quantity))).Div(decimal.NewFromInt(int64(l.line.quantity))).Round(2)
	}
	return &refundLineR{
		ID: &id, Quantity: int32(l.quantity), RestockType: l.restock, Restocked: l.restock == "RETURN" || l.restock == "CANCEL",
		PriceSet: bag(unit, cur), SubtotalSet: bag(unit.Mul(decimal.NewFromInt(int64(l.quantity))), cur),
		TotalTaxSet: bag(tax, cur), rec: l,
	}
}

func (r *refundLineR) LineItem() *lineItemR { return newLineItemR(r.rec.line) }
func (r *refundLineR) Location() *locationR { return newLocationR(r.rec.location) }

// ---------------------------------------------------------------- returns

type returnR struct {
	ID                graphql.ID
	Name              string
	Status            string
	CreatedAt         dateTime
	ClosedAt          *dateTime
	RequestApprovedAt *dateTime
	rec               *orderReturn
}

func newReturnR(r *orderReturn) *returnR {
	if r == nil {
		return nil
	}
	out := &returnR{ID: graphql.ID(r.id), Name: r.name, Status: r.status, CreatedAt: dt(r.createdAt), ClosedAt: dtp(r.closedAt), rec: r}
	if r.status != "REQUESTED" {
		out.RequestApprovedAt = dtp(r.createdAt)
	}
	return out
}

func (r *returnR) Order() *orderR { return newOrderR(r.rec.order) }

func (r *returnR) TotalQuantity() int32 {
	n := 0
	for _, l := range r.rec.lines {
		n += l.quantity
	}
	return int32(n)
}

func (r *returnR) ReturnLineItems(ctx context.Context, a connArgs) (*connection[*returnLineR], error) {
	cur := r.rec.order.currency
	return pageViews(ctx, r.rec.lines, func(l *returnLine) sortKey { return keyOf(idKey(l.num), l.num) },
		func(l *returnLine) *returnLineR { return newReturnLineR(l, cur) }, a)
}

func (r *returnR) Refunds(ctx context.Context, a connArgs) (*connection[*refundR], error) {
	return pageViews(ctx, r.rec.refunds, func(x *refund) sortKey { return keyOf(idKey(x.num), x.num) }, newRefundR, a)
}

// returnLineR resolves the ReturnLineItemType interface and ReturnLineItem.
type returnLineR struct {
	ID                 graphql.ID
	Quantity           int32
	ReturnReason       string
	ReturnReasonNote   string
	CustomerNote       *string
	RefundableQuantity int32
	RefundedQuantity   int32
	rec                *returnLine
	currency           string
}

func newReturnLineR(l *returnLine, cur string) *returnLineR {
	return &returnLineR{
		ID: graphql.ID(l.id), Quantity: int32(l.quantity), ReturnReason: l.reason, ReturnReasonNote: l.note,
		CustomerNote: sp(l.customer), RefundableQuantity: int32(l.quantity - l.refunded), RefundedQuantity: int32(l.refunded),
		rec: l, currency: cur,
	}
}

func (r *returnLineR) FulfillmentLineItem() *fulfillmentLineR {
	return newFulfillmentLineR(r.rec.fline, r.currency)
}

func (r *returnLineR) ToReturnLineItem() (*returnLineR, bool) { return r, true }
