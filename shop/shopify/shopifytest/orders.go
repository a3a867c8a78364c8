package shopifytest

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// The operations on orders that both the GraphQL mutations and the Go
// driving methods use. Callers hold s.mu for writing; the webhooks go to
// r.events.

func newAddress(st *state, a *Address) *address {
	if a == nil {
		return nil
	}
	ad := &address{
		firstName: a.FirstName, lastName: a.LastName, company: a.Company, address1: a.Address1, address2: a.Address2,
		city: a.City, province: a.Province, provinceCode: a.ProvinceCode, zip: a.Zip, countryCode: a.CountryCode,
		country: countryName(a.CountryCode), phone: a.Phone,
	}
	ad.id, _ = st.newID("MailingAddress")
	st.nodes[ad.id] = ad
	return ad
}

var hundred = decimal.NewFromInt(100)

// taxAmount is the tax of rate on base: added on top, or contained in base
// when taxes are included.
func taxAmount(base, rate decimal.Decimal, included bool) decimal.Decimal {
	if included {
		return base.Sub(base.Div(decimal.NewFromInt(1).Add(rate))).Round(2)
	}
	return base.Mul(rate).Round(2)
}

// placeOrder creates an order from in.
func (s *Server) placeOrder(r *reqCtx, in OrderInput) (*order, error) {
	st := r.st
	if len(in.Lines) == 0 {
		return nil, fmt.Errorf("shopifytest: an order needs at least one line")
	}
	loc := s.fulfillingLocation(in.Location)
	if loc == nil {
		return nil, fmt.Errorf("shopifytest: no location %q to fulfill from; add one first", in.Location)
	}
	var cust *customer
	switch {
	case in.CustomerID != "":
		c, ok := lookup[*customer](st, in.CustomerID)
		if !ok {
			return nil, fmt.Errorf("shopifytest: no customer %q", in.CustomerID)
		}
		cust = c
	case in.Customer != nil:
		if in.Customer.Email != "" {
			cust = findCustomer(st, identifierIn{Email: &in.Customer.Email})
		}
		if cust == nil {
			cust = s.addCustomer(r, *in.Customer)
		}
	}
	var cl *companyLocation
	var contact *companyContact
	if in.CompanyLocationID != "" {
		l, ok := lookup[*companyLocation](st, in.CompanyLocationID)
		if !ok {
			return nil, fmt.Errorf("shopifytest: no company location %q", in.CompanyLocationID)
		}
		cl = l
		for _, c := range l.company.contacts {
			if cust == nil || c.customer == cust {
				contact = c
				break
			}
		}
		if cust == nil && contact != nil {
			cust = contact.customer
		}
	}
	taxesIncluded := st.shop.taxesIncluded
	if in.TaxesIncluded != nil {
		taxesIncluded = *in.TaxesIncluded
	}
	cur := in.Currency
	if cur == "" {
		cur = st.shop.currency
	}
	now := r.now
	st.orderNumber++
	id, n := st.newID("Order")
	o := &order{
		id: id, num: n, number: st.orderNumber, name: in.Name, email: in.Email, phone: in.Phone, note: in.Note,
		tags: normalizeTags(in.Tags), test: in.Test, currency: cur, taxesIncluded: taxesIncluded, customer: cust,
		compLoc: cl, contact: contact, sourceName: "web", poNumber: in.PONumber,
		createdAt: now, updatedAt: now, processedAt: now,
	}
	if !in.ProcessedAt.IsZero() {
		o.processedAt, o.createdAt = in.ProcessedAt, in.ProcessedAt
	}
	if o.name == "" {
		o.name = fmt.Sprintf("#%d", o.number)
	}
	if o.email == "" && cust != nil {
		o.email = cust.email
	}
	o.billing = newAddress(st, in.BillingAddress)
	if in.ShippingAddress != nil {
		o.shipping = newAddress(st, in.ShippingAddress)
	} else if in.BillingAddress != nil {
		o.shipping = newAddress(st, in.BillingAddress)
	}
	for i, li := range in.Lines {
		if li.Quantity <= 0 {
			return nil, fmt.Errorf("shopifytest: line %d: quantity %d must be positive", i, li.Quantity)
		}
		l := &lineItem{order: o, sku: li.SKU, quantity: li.Quantity, discount: li.Discount, taxable: true, requires: true}
		l.id, l.num = st.newID("LineItem")
		if v := st.variantBySKU(li.SKU); v != nil && li.SKU != "" {
			l.variant, l.title, l.vendor, l.price = v, v.product.title, v.product.vendor, v.price
			if len(v.options) > 0 {
				l.varTitle = v.title()
			}
			l.taxable, l.requires = v.taxable, v.requiresShip
			l.grams = v.item.weightOrDefault().grams()
		} else if li.Title == "" {
			return nil, fmt.Errorf("shopifytest: line %d: no variant with SKU %q (give a Title for a custom line)", i, li.SKU)
		}
		if li.Title != "" {
			l.title = li.Title
		}
		if li.Price != nil {
			l.price = *li.Price
		}
		o.lines = append(o.lines, l)
		st.nodes[l.id] = l
	}
	for i, d := range in.Discounts {
		app := &discountApp{kind: "manual", code: d.Code, title: d.Title, percentage: d.Percentage, amount: d.Amount,
			target: d.Target, selection: "ALL", allocation: "ACROSS", index: i}
		if d.Code != "" {
			app.kind = "code"
		}
		if app.target == "" {
			app.target = "LINE_ITEM"
		}
		if app.percentage != nil {
			app.allocation = "ACROSS"
		}
		o.discounts = append(o.discounts, app)
		if app.target == "LINE_ITEM" {
			allocateDiscount(o, app)
		}
	}
	for i, li := range in.Lines {
		l := o.lines[i]
		base := l.price.Mul(decimal.NewFromInt(int64(l.quantity))).Sub(l.discount)
		for _, t := range li.TaxLines {
			amt := taxAmount(base, t.Rate, taxesIncluded)
			if t.Amount != nil {
				amt = *t.Amount
			}
			l.taxLines = append(l.taxLines, taxLine{title: t.Title, rate: t.Rate, price: amt})
		}
	}
	for _, si := range in.ShippingLines {
		sl := &shippingLine{title: si.Title, code: si.Code, source: "shopify", carrier: si.Carrier, price: si.Price, discount: si.Discount}
		sl.id, sl.num = st.newID("ShippingLine")
		for _, t := range si.TaxLines {
			amt := taxAmount(sl.price.Sub(sl.discount), t.Rate, taxesIncluded)
			if t.Amount != nil {
				amt = *t.Amount
			}
			sl.taxLines = append(sl.taxLines, taxLine{title: t.Title, rate: t.Rate, price: amt})
		}
		o.shipLines = append(o.shipLines, sl)
	}
	// Payment.
	gateway := in.Gateway
	if gateway == "" {
		gateway = "bogus"
	}
	auth := in.AuthorizationCode
	if auth == "" {
		auth = fmt.Sprintf("AUTH-%d", o.number)
	}
	switch strings.ToUpper(in.FinancialStatus) {
	case "", "PAID":
		o.financial = "PAID"
		s.addTransaction(r, o, "SALE", "SUCCESS", gateway, auth, o.total(), nil)
	case "AUTHORIZED":
		o.financial = "AUTHORIZED"
		s.addTransaction(r, o, "AUTHORIZATION", "SUCCESS", gateway, auth, o.total(), nil)
	case "PENDING":
		o.financial = "PENDING"
	default:
		return nil, fmt.Errorf("shopifytest: financial status %q is not PAID, AUTHORIZED or PENDING", in.FinancialStatus)
	}
	// One fulfillment order at the fulfilling location; stock moves from
	// available to committed.
	fo := &fulfillmentOrder{order: o, status: "OPEN", location: loc, createdAt: now, updatedAt: now}
	fo.id, fo.num = st.newID("FulfillmentOrder")
	st.nodes[fo.id] = fo
	var touched []*inventoryLevel
	for _, l := range o.lines {
		fl := &foLine{fo: fo, line: l, total: l.quantity, remaining: l.quantity}
		fl.id, fl.num = st.newID("FulfillmentOrderLineItem")
		st.nodes[fl.id] = fl
		fo.lines = append(fo.lines, fl)
		if l.variant != nil && l.variant.item.tracked {
			lv := ensureLevel(st, l.variant.item, loc, now)
			lv.qty["available"] -= l.quantity
			lv.qty["committed"] += l.quantity
			touch(lv, now)
			touched = append(touched, lv)
		}
	}
	o.fos = append(o.fos, fo)
	st.orders = append(st.orders, o)
	st.nodes[o.id] = o
	r.fire("orders/create", s.restOrder(o))
	if o.financial == "PAID" {
		r.fire("orders/paid", s.restOrder(o))
	}
	for _, lv := range touched {
		r.fire("inventory_levels/update", s.restInventoryLevel(lv))
	}
	return o, nil
}

// allocateDiscount spreads a line-item discount over the lines without a
// discount of their own, in proportion to their totals.
func allocateDiscount(o *order, d *discountApp) {
	var lines []*lineItem
	total := decimal.Zero
	for _, l := range o.lines {
		if l.discount.IsZero() {
			lines = append(lines, l)
			total = total.Add(l.price.Mul(decimal.NewFromInt(int64(l.quantity))))
		}
	}
	if len(lines) == 0 || total.IsZero() {
		for _, l := range o.lines {
			if !l.discount.IsZero() && l.discApp == nil {
				l.discApp = d
			}
		}
		return
	}
	amount := decimal.Zero
	switch {
	case d.percentage != nil:
		amount = total.Mul(*d.percentage).Div(hundred).Round(2)
	case d.amount != nil:
		amount = *d.amount
	}
	left := amount
	for i, l := range lines {
		share := l.price.Mul(decimal.NewFromInt(int64(l.quantity))).Mul(amount).Div(total).Round(2)
		if i == len(lines)-1 {
			share = left
		}
		l.discount = share
		l.discApp = d
		left = left.Sub(share)
	}
}

func (s *Server) addTransaction(r *reqCtx, o *order, kind, status, gateway, auth string, amt decimal.Decimal, parent *transaction) *transaction {
	t := &transaction{kind: kind, status: status, gateway: gateway, authCode: auth, amount: amt, test: o.test || gateway == "bogus", parent: parent, order: o, createdAt: r.now}
	t.id, t.num = r.st.newID("OrderTransaction")
	r.st.nodes[t.id] = t
	o.transactions = append(o.transactions, t)
	return t
}

func (s *Server) fulfillingLocation(name string) *location {
	if name != "" {
		return s.st.locationByIDOrName(name)
	}
	for _, l := range s.st.locations {
		if l.active {
			return l
		}
	}
	return nil
}

// foRequest asks to fulfill quantities of a fulfillment order's lines; no
// lines means all that remain.
type foRequest struct {
	fo    *fulfillmentOrder
	lines map[*foLine]int
}

// fulfill creates a fulfillment.
func (s *Server) fulfill(r *reqCtx, reqs []foRequest, tracks []tracking, notify bool) (*fulfillment, []*userError) {
	if len(reqs) == 0 {
		return nil, []*userError{uerr("", "Line items by fulfillment order can't be blank", "fulfillment", "lineItemsByFulfillmentOrder")}
	}
	o := reqs[0].fo.order
	loc := reqs[0].fo.location
	for i, rq := range reqs {
		path := []string{"fulfillment", "lineItemsByFulfillmentOrder", intStr(i), "fulfillmentOrderId"}
		if rq.fo.order != o {
			return nil, []*userError{uerr("", "All fulfillment orders must belong to the same order.", path...)}
		}
		if rq.fo.location != loc {
			return nil, []*userError{uerr("", "All fulfillment orders must be assigned to the same location.", path...)}
		}
		if rq.fo.status != "OPEN" && rq.fo.status != "IN_PROGRESS" {
			return nil, []*userError{uerr("", fmt.Sprintf("Fulfillment order %s has an unfulfillable status= %s.", rq.fo.id, strings.ToLower(rq.fo.status)), path...)}
		}
		for fl, q := range rq.lines {
			if q <= 0 || q > fl.remaining {
				return nil, []*userError{uerr("", fmt.Sprintf("Invalid fulfillment order line item quantity requested: %d for %s.", q, fl.id), "fulfillment", "lineItemsByFulfillmentOrder", intStr(i), "fulfillmentOrderLineItems")}
			}
		}
	}
	now := r.now
	f := &fulfillment{order: o, status: "SUCCESS", tracking: tracks, notify: notify, location: loc, createdAt: now, updatedAt: now}
	f.id, f.num = r.st.newID("Fulfillment")
	f.name = fmt.Sprintf("%s-F%d", o.name, len(o.fulfillments)+1)
	for _, rq := range reqs {
		lines := rq.lines
		if len(lines) == 0 {
			lines = map[*foLine]int{}
			for _, fl := range rq.fo.lines {
				if fl.remaining > 0 {
					lines[fl] = fl.remaining
				}
			}
		}
		for _, fl := range rq.fo.lines {
			q, ok := lines[fl]
			if !ok {
				continue
			}
			fl.remaining -= q
			fl.line.fulfilled += q
			ful := &fulfillmentLine{line: fl.line, quantity: q}
			ful.id, ful.num = r.st.newID("FulfillmentLineItem")
			r.st.nodes[ful.id] = ful
			f.lines = append(f.lines, ful)
			// The shipped units leave committed, and so on_hand; available
			// does not change.
			if v := fl.line.variant; v != nil && v.item.tracked {
				lv := ensureLevel(r.st, v.item, loc, now)
				lv.qty["committed"] -= q
				touch(lv, now)
			}
		}
		rq.fo.status = "CLOSED"
		for _, fl := range rq.fo.lines {
			if fl.remaining > 0 {
				rq.fo.status = "IN_PROGRESS"
			}
		}
		rq.fo.updatedAt = now
		f.fos = append(f.fos, rq.fo)
	}
	if len(f.lines) == 0 {
		return nil, []*userError{uerr("", "The fulfillment has no line items to fulfill.", "fulfillment", "lineItemsByFulfillmentOrder")}
	}
	o.fulfillments = append(o.fulfillments, f)
	o.updatedAt = now
	r.st.nodes[f.id] = f
	r.fire("fulfillments/create", s.restFulfillment(f))
	r.fire("orders/updated", s.restOrder(o))
	if o.fulfillmentStatus() == "FULFILLED" {
		r.fire("orders/fulfilled", s.restOrder(o))
	}
	return f, nil
}

func trackingsFrom(company, number, url string, numbers, urls []string) []tracking {
	var out []tracking
	if len(numbers) > 0 {
		for i, n := range numbers {
			t := tracking{company: company, number: n}
			if i < len(urls) {
				t.url = urls[i]
			}
			out = append(out, t)
		}
		return out
	}
	if number != "" || url != "" || company != "" {
		if url == "" && len(urls) > 0 {
			url = urls[0]
		}
		out = append(out, tracking{company: company, number: number, url: url})
	}
	return out
}

// cancelOrder cancels an order, optionally refunding what was paid and
// restocking what was not shipped.
func (s *Server) cancelOrder(r *reqCtx, o *order, reason string, doRefund, restock bool) *userError {
	if !o.cancelledAt.IsZero() {
		return uerr("INVALID", "Cannot cancel an order that has already been canceled.", "orderId")
	}
	for _, l := range o.lines {
		if l.fulfilled > 0 {
			return uerr("INVALID", "Cannot cancel an order that has fulfilled line items.", "orderId")
		}
	}
	now := r.now
	o.cancelledAt, o.closedAt, o.cancelReason, o.updatedAt = now, now, reason, now
	var touched []*inventoryLevel
	for _, fo := range o.fos {
		for _, fl := range fo.lines {
			if v := fl.line.variant; v != nil && v.item.tracked && fl.remaining > 0 {
				lv := ensureLevel(r.st, v.item, fo.location, now)
				lv.qty["committed"] -= fl.remaining
				if restock {
					lv.qty["available"] += fl.remaining
				}
				touch(lv, now)
				touched = append(touched, lv)
			}
			fl.remaining = 0
		}
		fo.status, fo.updatedAt = "CANCELLED", now
	}
	paid := o.received()
	switch {
	case doRefund && paid.IsPositive():
		rf := &refund{order: o, createdAt: now, updatedAt: now}
		rf.id, rf.num = r.st.newID("Refund")
		rf.txs = append(rf.txs, s.addTransaction(r, o, "REFUND", "SUCCESS", firstGateway(o), "", paid, saleOf(o)))
		o.refunds = append(o.refunds, rf)
		r.st.nodes[rf.id] = rf
		o.financial = "REFUNDED"
		r.fire("refunds/create", s.restRefund(rf))
	case o.financial == "AUTHORIZED":
		s.addTransaction(r, o, "VOID", "SUCCESS", firstGateway(o), "", decimal.Zero, saleOf(o))
		o.financial = "VOIDED"
	case o.financial == "PENDING":
		o.financial = "VOIDED"
	}
	r.fire("orders/cancelled", s.restOrder(o))
	r.fire("orders/updated", s.restOrder(o))
	for _, lv := range touched {
		r.fire("inventory_levels/update", s.restInventoryLevel(lv))
	}
	return nil
}

func firstGateway(o *order) string {
	for _, t := range o.transactions {
		if t.gateway != "" {
			return t.gateway
		}
	}
	return "manual"
}

func saleOf(o *order) *transaction {
	for _, t := range o.transactions {
		if (t.kind == "SALE" || t.kind == "CAPTURE" || t.kind == "AUTHORIZATION") && t.status == "SUCCESS" {
			return t
		}
	}
	return nil
}

// markPaid records the outstanding amount as paid.
func (s *Server) markPaid(r *reqCtx, o *order) *userError {
	out := o.outstanding()
	if !o.cancelledAt.IsZero() || out.IsZero() {
		return uerr("", "Order cannot be marked as paid.", "id")
	}
	if auth := saleOf(o); auth != nil && auth.kind == "AUTHORIZATION" && !captured(o, auth) {
		s.addTransaction(r, o, "CAPTURE", "SUCCESS", auth.gateway, auth.authCode, out, auth)
	} else {
		s.addTransaction(r, o, "SALE", "SUCCESS", "manual", "", out, nil)
	}
	o.financial = "PAID"
	o.updatedAt = r.now
	r.fire("orders/paid", s.restOrder(o))
	r.fire("orders/updated", s.restOrder(o))
	return nil
}

// refundOrder refunds order lines (and shipping) and restocks them.
func (s *Server) refundOrder(r *reqCtx, o *order, in RefundInput) (*refund, error) {
	now := r.now
	rf := &refund{order: o, note: in.Note, createdAt: now, updatedAt: now}
	amount := decimal.Zero
	loc := o.fos[0].location
	for _, rl := range in.Lines {
		l := lineBySKU(o, rl.SKU)
		if l == nil {
			return nil, fmt.Errorf("shopifytest: order %s has no line with SKU %q", o.name, rl.SKU)
		}
		if rl.Quantity <= 0 || rl.Quantity > l.quantity-l.refunded {
			return nil, fmt.Errorf("shopifytest: order %s: cannot refund %d of %q (%d refundable)", o.name, rl.Quantity, rl.SKU, l.quantity-l.refunded)
		}
		restock := "NO_RESTOCK"
		if rl.Restock {
			restock = "RETURN"
			if l.fulfilled == 0 {
				restock = "CANCEL"
			}
		}
		line := &refundLine{line: l, quantity: rl.Quantity, restock: restock, location: loc}
		line.id, line.num = r.st.newID("RefundLineItem")
		rf.lines = append(rf.lines, line)
		unit := l.price.Sub(l.unitDiscount())
		value := unit.Mul(decimal.NewFromInt(int64(rl.Quantity)))
		if !o.taxesIncluded {
			for _, t := range l.taxLines {
				value = value.Add(t.price.Mul(decimal.NewFromInt(int64(rl.Quantity))).Div(decimal.NewFromInt(int64(l.quantity))).Round(2))
			}
		}
		amount = amount.Add(value)
	}
	if in.Shipping {
		amount = amount.Add(o.shippingTotal())
		if !o.taxesIncluded {
			for _, sl := range o.shipLines {
				for _, t := range sl.taxLines {
					amount = amount.Add(t.price)
				}
			}
		}
	}
	if in.Amount != nil {
		amount = *in.Amount
	}
	if in.ReturnID != "" {
		ret, ok := lookup[*orderReturn](r.st, in.ReturnID)
		if !ok || ret.order != o {
			return nil, fmt.Errorf("shopifytest: order %s has no return %q", o.name, in.ReturnID)
		}
		rf.ret = ret
		ret.refunds = append(ret.refunds, rf)
	}
	var touched []*inventoryLevel
	for _, line := range rf.lines {
		l := line.line
		l.refunded += line.quantity
		if v := l.variant; v != nil && v.item.tracked && line.restock != "NO_RESTOCK" {
			lv := ensureLevel(r.st, v.item, loc, now)
			lv.qty["available"] += line.quantity
			if line.restock == "CANCEL" {
				lv.qty["committed"] -= line.quantity
				for _, fo := range o.fos {
					for _, fl := range fo.lines {
						if fl.line == l {
							fl.remaining = max(0, fl.remaining-line.quantity)
						}
					}
				}
			}
			touch(lv, now)
			touched = append(touched, lv)
		}
	}
	if amount.IsPositive() {
		rf.txs = append(rf.txs, s.addTransaction(r, o, "REFUND", "SUCCESS", firstGateway(o), "", amount, saleOf(o)))
	}
	rf.id, rf.num = r.st.newID("Refund")
	r.st.nodes[rf.id] = rf
	o.refunds = append(o.refunds, rf)
	if o.refunded().GreaterThanOrEqual(o.total()) {
		o.financial = "REFUNDED"
	} else if o.refunded().IsPositive() {
		o.financial = "PARTIALLY_REFUNDED"
	}
	o.updatedAt = now
	r.fire("refunds/create", s.restRefund(rf))
	r.fire("orders/updated", s.restOrder(o))
	for _, lv := range touched {
		r.fire("inventory_levels/update", s.restInventoryLevel(lv))
	}
	return rf, nil
}

func lineBySKU(o *order, sku string) *lineItem {
	for _, l := range o.lines {
		if l.sku == sku {
			return l
		}
	}
	return nil
}

// requestReturn records a customer's return request of fulfilled lines.
func (s *Server) requestReturn(r *reqCtx, o *order, in []ReturnLine) (*orderReturn, error) {
	now := r.now
	ret := &orderReturn{order: o, status: "REQUESTED", createdAt: now}
	for _, rl := range in {
		var fline *fulfillmentLine
		avail := 0
		for _, f := range o.fulfillments {
			for _, fl := range f.lines {
				if fl.line.sku == rl.SKU {
					if fline == nil {
						fline = fl
					}
					avail += fl.quantity
				}
			}
		}
		if fline == nil {
			return nil, fmt.Errorf("shopifytest: order %s has no fulfilled line with SKU %q to return", o.name, rl.SKU)
		}
		for _, other := range o.returns {
			for _, x := range other.lines {
				if x.fline.line == fline.line && other.status != "CANCELED" && other.status != "DECLINED" {
					avail -= x.quantity
				}
			}
		}
		if rl.Quantity <= 0 || rl.Quantity > avail {
			return nil, fmt.Errorf("shopifytest: order %s: cannot return %d of %q (%d returnable)", o.name, rl.Quantity, rl.SKU, avail)
		}
		reason := strings.ToUpper(rl.Reason)
		if reason == "" {
			reason = "UNKNOWN"
		}
		x := &returnLine{fline: fline, quantity: rl.Quantity, reason: reason, note: rl.Note}
		x.id, x.num = r.st.newID("ReturnLineItem")
		r.st.nodes[x.id] = x
		ret.lines = append(ret.lines, x)
	}
	ret.id, ret.num = r.st.newID("Return")
	ret.name = fmt.Sprintf("%s-R%d", o.name, len(o.returns)+1)
	r.st.nodes[ret.id] = ret
	o.returns = append(o.returns, ret)
	o.updatedAt = now
	r.fire("returns/request", s.restReturn(ret))
	r.fire("orders/updated", s.restOrder(o))
	return ret, nil
}
