package bctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"
)

// Sales documents: sales orders and sales credit memos with their lines,
// deep insert, amounts and totals, and posted sales shipments.

// linesOf maps each sales document set to the set of its lines.
var linesOf = map[string]string{setOrders: setOrderLines, setCreditMemos: setCreditMemoLines, setInvoices: setInvoiceLines}

func headerSet(lineSet string) string {
	for h, l := range linesOf {
		if l == lineSet {
			return h
		}
	}
	return setOrders
}

func lineSetOf(headerSet string) string {
	if l, ok := linesOf[headerSet]; ok {
		return l
	}
	return setOrderLines
}

// Number series and document date of the sales documents.
var (
	seriesOf   = map[string]string{setOrders: "salesOrder", setCreditMemos: "salesCreditMemo", setInvoices: "salesInvoice"}
	dateOf     = map[string]string{setOrders: "orderDate", setCreditMemos: "creditMemoDate", setInvoices: "invoiceDate"}
	hasDueDate = map[string]bool{setCreditMemos: true, setInvoices: true}
)

var hundred = decimal.NewFromInt(100)

func round2(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// validateDocument checks a sales order or credit memo header, copies the
// customer's data the page copies, and validates the lines of a deep
// insert.
func (s *Server) validateDocument(c *wctx, et *entityType, rec, old *record, nested map[string][]json.RawMessage) ([]kid, *apiError) {
	if old != nil && posted(old) {
		return nil, errPosted()
	}
	if et.set == setCreditMemos {
		if err := s.appliesTo(c, et, rec, old); err != nil {
			return nil, err
		}
	}
	if old == nil || changed(rec, old, "customerId") || changed(rec, old, "customerNumber") {
		var cust *record
		if id := getStr(rec, "customerId"); !isZeroGUID(id) && (old == nil || changed(rec, old, "customerId")) {
			if cust = c.table(setCustomers).rows[id]; cust == nil {
				return nil, relationError("Sell-to Customer No.", et.table, id, "Customer")
			}
		} else if n := getStr(rec, "customerNumber"); n != "" {
			if cust = findBy(c.table(setCustomers), "number", n); cust == nil {
				return nil, relationError("Sell-to Customer No.", et.table, n, "Customer")
			}
		}
		if cust == nil {
			return nil, errorf(http.StatusBadRequest, codeDialog, "A customerNumber or a customerId must be provided.")
		}
		if getStr(cust, "blocked") == "All" {
			return nil, errorf(http.StatusBadRequest, codeDialog, "You cannot create this type of document when Customer %s is blocked with type All", getStr(cust, "number"))
		}
		s.fromCustomer(et, rec, old, cust)
	}
	if old == nil {
		rec.vals["number"] = c.co.nextNumber(seriesOf[et.set])
		today := s.today()
		dateProp := dateOf[et.set]
		if _, ok := rec.vals[dateProp]; !ok {
			rec.vals[dateProp] = today
		}
		if _, ok := rec.vals["postingDate"]; !ok {
			rec.vals["postingDate"] = rec.vals[dateProp]
		}
		if hasDueDate[et.set] {
			if _, ok := rec.vals["dueDate"]; !ok {
				rec.vals["dueDate"] = rec.vals[dateProp]
			}
		}
		rec.vals["status"] = "Draft"
	}
	if getDec(rec, "discountAmount").IsNegative() {
		return nil, errorf(http.StatusBadRequest, codeDialog, "The invoice discount amount must not be negative.")
	}
	lineSet := lineSetOf(et.set)
	var kids []kid
	lineET := s.types[lineSet]
	seq := int64(0)
	for i, raw := range nested[lineSet] {
		vals, sub, err := parseBody(lineET, raw, true)
		if err != nil {
			return nil, lineErr(i, err)
		}
		if len(sub) > 0 {
			return nil, badRequest("A deep insert of %s cannot nest further.", lineSet)
		}
		l := &record{vals: vals}
		id, _ := vals["id"].(string)
		if isZeroGUID(id) {
			id = s.st.newID()
		}
		l.id, l.vals["id"], l.vals["documentId"] = id, id, rec.id
		if getInt(l, "sequence") == 0 {
			seq += 10000
			l.vals["sequence"] = seq
		} else {
			seq = max(seq, getInt(l, "sequence"))
		}
		if err := s.resolveRefs(c, lineET, l, nil); err != nil {
			return nil, lineErr(i, err)
		}
		if err := s.validateLine(c, lineET, rec, l, nil); err != nil {
			return nil, lineErr(i, err)
		}
		kids = append(kids, kid{lineET, l})
	}
	return kids, nil
}

// posted tells a posted sales invoice (a Sales Invoice Header) from a
// draft.
func posted(r *record) bool { return getBool(r, "_posted") }

func errPosted() *apiError {
	return errorf(http.StatusBadRequest, codeDialog, "The invoice has been posted and can no longer be modified.")
}

// appliesTo keeps a credit memo's invoiceId and invoiceNumber consistent:
// either names a posted sales invoice, which the credit memo is applied
// to.
func (s *Server) appliesTo(c *wctx, et *entityType, rec, old *record) *apiError {
	switch {
	case changed(rec, old, "invoiceId"):
		id := getStr(rec, "invoiceId")
		if isZeroGUID(id) {
			rec.vals["invoiceNumber"] = ""
			return nil
		}
		inv := c.table(setInvoices).rows[id]
		if inv == nil || !posted(inv) {
			return relationError("Applies-to Doc. No.", et.table, id, "Sales Invoice Header")
		}
		rec.vals["invoiceNumber"] = getStr(inv, "number")
	case changed(rec, old, "invoiceNumber"):
		n := getStr(rec, "invoiceNumber")
		if n == "" {
			rec.vals["invoiceId"] = zeroGUID
			return nil
		}
		inv := findBy(c.table(setInvoices), "number", n)
		if inv == nil || !posted(inv) {
			return relationError("Applies-to Doc. No.", et.table, n, "Sales Invoice Header")
		}
		rec.vals["invoiceId"] = inv.id
	}
	return nil
}

func lineErr(i int, err *apiError) *apiError {
	e := *err
	e.message = fmt.Sprintf("%s (line %d of the deep insert)", err.message, i+1)
	return &e
}

// fromCustomer copies the customer's name, addresses and terms into a
// document, leaving what the request set itself.
func (s *Server) fromCustomer(et *entityType, rec, old *record, cust *record) {
	set := func(name string, v any) {
		if et.prop(name) == nil {
			return
		}
		if _, given := rec.vals[name]; given && (old == nil || changed(rec, old, name)) {
			return
		}
		rec.vals[name] = v
	}
	rec.vals["customerId"], rec.vals["customerNumber"] = cust.id, getStr(cust, "number")
	rec.vals["customerName"] = getStr(cust, "displayName")
	set("billToCustomerId", cust.id)
	set("billToCustomerNumber", getStr(cust, "number"))
	set("billToName", getStr(cust, "displayName"))
	set("shipToName", getStr(cust, "displayName"))
	for _, pre := range []string{"sellTo", "billTo", "shipTo"} {
		set(pre+"AddressLine1", getStr(cust, "addressLine1"))
		set(pre+"AddressLine2", getStr(cust, "addressLine2"))
		set(pre+"City", getStr(cust, "city"))
		set(pre+"State", getStr(cust, "state"))
		set(pre+"Country", getStr(cust, "country"))
		set(pre+"PostCode", getStr(cust, "postalCode"))
	}
	set("currencyCode", getStr(cust, "currencyCode"))
	set("paymentTermsId", get(cust, s.types[setCustomers].prop("paymentTermsId")))
	set("shipmentMethodId", get(cust, s.types[setCustomers].prop("shipmentMethodId")))
	set("email", getStr(cust, "email"))
	set("phoneNumber", getStr(cust, "phoneNumber"))
	set("salesperson", getStr(cust, "salespersonCode"))
}

// validateLineWrite checks a line posted or patched on its own.
func (s *Server) validateLineWrite(c *wctx, et *entityType, l, old *record) *apiError {
	hdrET := s.types[headerSet(et.set)]
	docID := getStr(l, "documentId")
	if old != nil && docID != getStr(old, "documentId") {
		return errorf(http.StatusBadRequest, codeInvalidOperation, "The documentId of a line cannot be changed.")
	}
	hdr := c.table(hdrET.set).rows[docID]
	if hdr == nil {
		return errorf(http.StatusBadRequest, codeDialog, "The documentId '%s' does not refer to a %s.", docID, hdrET.name)
	}
	if posted(hdr) {
		return errPosted()
	}
	if old == nil && getInt(l, "sequence") == 0 {
		var maxSeq int64
		for _, r := range s.children(c.co, hdrET.nav(et.set), hdr) {
			maxSeq = max(maxSeq, getInt(r, "sequence"))
		}
		l.vals["sequence"] = maxSeq + 10000
	}
	return s.validateLine(c, et, hdr, l, old)
}

// validateLine checks a document line against its item and computes its
// amounts.
func (s *Server) validateLine(c *wctx, et *entityType, hdr, l, old *record) *apiError {
	typ := getStr(l, "lineType")
	if typ == "" {
		if !isZeroGUID(getStr(l, "itemId")) || getStr(l, "lineObjectNumber") != "" {
			typ = "Item"
		} else {
			typ = "Comment"
		}
		l.vals["lineType"] = typ
	}
	switch typ {
	case "Item":
		var item *record
		if changed(l, old, "itemId") && !isZeroGUID(getStr(l, "itemId")) {
			if item = c.table(setItems).rows[getStr(l, "itemId")]; item == nil {
				return relationError("No.", et.table, getStr(l, "itemId"), "Item")
			}
		} else if n := getStr(l, "lineObjectNumber"); n != "" {
			if item = findBy(c.table(setItems), "number", n); item == nil {
				return relationError("No.", et.table, n, "Item")
			}
		}
		if item == nil {
			return errorf(http.StatusBadRequest, codeDialog, "An itemId or a lineObjectNumber must be provided for a line of type Item.")
		}
		if getBool(item, "blocked") && (et.set == setOrderLines || et.set == setInvoiceLines) {
			return errorf(http.StatusBadRequest, codeFieldValidation, "Blocked must be equal to 'No'  in Item: No.=%s. Current value is 'Yes'.", getStr(item, "number"))
		}
		itemChanged := old == nil || getStr(old, "itemId") != item.id
		l.vals["itemId"], l.vals["lineObjectNumber"] = item.id, getStr(item, "number")
		if itemChanged {
			if _, ok := l.vals["description"]; !ok || old != nil && !changed(l, old, "description") {
				l.vals["description"] = getStr(item, "displayName")
			}
			if _, ok := l.vals["unitPrice"]; !ok || old != nil && !changed(l, old, "unitPrice") {
				l.vals["unitPrice"] = getDec(item, "unitPrice")
			}
			if _, ok := l.vals["taxCode"]; !ok || old != nil && !changed(l, old, "taxCode") {
				l.vals["taxCode"] = getStr(item, "taxGroupCode")
			}
			if getStr(l, "unitOfMeasureCode") == "" && isZeroGUID(getStr(l, "unitOfMeasureId")) {
				l.vals["unitOfMeasureCode"] = getStr(item, "baseUnitOfMeasureCode")
			}
		}
		if err := s.lineUnit(c, et, l, old); err != nil {
			return err
		}
		if v := getStr(l, "itemVariantId"); !isZeroGUID(v) {
			r := c.table(setItemVariants).rows[v]
			if r == nil || getStr(r, "itemId") != item.id {
				return relationError("Variant Code", et.table, v, "Item Variant")
			}
		}
	case "Comment":
		if !getDec(l, "quantity").IsZero() || !isZeroGUID(getStr(l, "itemId")) {
			return errorf(http.StatusBadRequest, codeDialog, "A comment line cannot have an item or a quantity.")
		}
	default:
		if getStr(l, "lineObjectNumber") == "" && isZeroGUID(getStr(l, "accountId")) {
			return errorf(http.StatusBadRequest, codeDialog, "A lineObjectNumber must be provided for a line of type %s.", typ)
		}
		if err := s.lineUnit(c, et, l, old); err != nil {
			return err
		}
	}
	qty := getDec(l, "quantity")
	if et.set == setOrderLines {
		shipped := getDec(l, "shippedQuantity")
		if qty.LessThan(shipped) {
			return errorf(http.StatusBadRequest, codeDialog, "You cannot reduce the quantity below the shipped quantity (%s).", shipped)
		}
		remaining := qty.Sub(shipped)
		_, given := l.vals["shipQuantity"]
		if old == nil && !given || old != nil && changed(l, old, "quantity") && !changed(l, old, "shipQuantity") {
			l.vals["shipQuantity"] = remaining
		}
		if getDec(l, "shipQuantity").GreaterThan(remaining) {
			return errorf(http.StatusBadRequest, codeDialog, "You cannot ship more than %s units.", remaining)
		}
		l.vals["invoiceQuantity"] = pendingInvoice(l)
	}
	s.lineAmounts(hdr, l)
	return nil
}

// lineUnit resolves the line's unit of measure (id or code).
func (s *Server) lineUnit(c *wctx, et *entityType, l, old *record) *apiError {
	switch {
	case changed(l, old, "unitOfMeasureId") && !isZeroGUID(getStr(l, "unitOfMeasureId")):
		u := c.table(setUnits).rows[getStr(l, "unitOfMeasureId")]
		if u == nil {
			return relationError("Unit of Measure Code", et.table, getStr(l, "unitOfMeasureId"), "Unit of Measure")
		}
		l.vals["unitOfMeasureCode"] = getStr(u, "code")
	case getStr(l, "unitOfMeasureCode") != "":
		u := findByCode(c.table(setUnits), getStr(l, "unitOfMeasureCode"))
		if u == nil {
			return relationError("Unit of Measure Code", et.table, getStr(l, "unitOfMeasureCode"), "Unit of Measure")
		}
		l.vals["unitOfMeasureId"] = u.id
	}
	return nil
}

// lineAmounts computes a line's discount and amounts (before the
// invoice discount, which recomputeTotals allocates).
func (s *Server) lineAmounts(hdr, l *record) {
	if getStr(l, "lineType") == "Comment" {
		for _, k := range []string{"amountExcludingTax", "totalTaxAmount", "amountIncludingTax", "netAmount", "netTaxAmount", "netAmountIncludingTax", "taxPercent"} {
			l.vals[k] = decimal.Zero
		}
		return
	}
	gross := round2(getDec(l, "quantity").Mul(getDec(l, "unitPrice")))
	pct, disc := getDec(l, "discountPercent"), getDec(l, "discountAmount")
	switch {
	case !pct.IsZero():
		disc = round2(gross.Mul(pct).Div(hundred))
	case !disc.IsZero() && !gross.IsZero():
		pct = disc.Mul(hundred).Div(gross).Round(5)
	}
	l.vals["discountPercent"], l.vals["discountAmount"] = pct, disc
	rate := s.st.taxRates[strings.ToUpper(getStr(l, "taxCode"))]
	l.vals["taxPercent"] = rate
	excl, tax := taxSplit(gross.Sub(disc), rate, getBool(hdr, "pricesIncludeTax"))
	l.vals["amountExcludingTax"], l.vals["totalTaxAmount"], l.vals["amountIncludingTax"] = excl, tax, excl.Add(tax)
}

// taxSplit splits an amount into the amount excluding tax and the tax.
func taxSplit(amount, rate decimal.Decimal, inclTax bool) (excl, tax decimal.Decimal) {
	if inclTax {
		excl = round2(amount.Mul(hundred).Div(hundred.Add(rate)))
		return excl, amount.Sub(excl)
	}
	return amount, round2(amount.Mul(rate).Div(hundred))
}

// recomputeTotals allocates the document's invoice discount over its lines
// and sums the totals. It changes the stored lines in place: their row
// versions stay, as the allocation fields are calculated ones.
func (s *Server) recomputeTotals(c *wctx, et *entityType, hdr *record) {
	lines := s.children(c.co, et.nav(lineSetOf(et.set)), hdr)
	sumExcl := decimal.Zero
	for _, l := range lines {
		sumExcl = sumExcl.Add(getDec(l, "amountExcludingTax"))
	}
	disc := getDec(hdr, "discountAmount")
	if disc.GreaterThan(sumExcl) {
		disc = sumExcl
	}
	left := disc
	var totExcl, totTax decimal.Decimal
	incl := getBool(hdr, "pricesIncludeTax")
	// Tax is rounded per tax rate over the document, the remainder carried
	// from line to line, as Business Central's VAT calculation does.
	exact, rounded := map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
	for i, l := range lines {
		l = l.clone()
		excl := getDec(l, "amountExcludingTax")
		alloc := decimal.Zero
		if !sumExcl.IsZero() && !disc.IsZero() {
			if i == len(lines)-1 {
				alloc = left
			} else {
				alloc = round2(disc.Mul(excl).Div(sumExcl))
			}
			left = left.Sub(alloc)
		}
		net := excl.Sub(alloc)
		rate := getDec(l, "taxPercent")
		k := rate.String()
		exact[k] = exact[k].Add(net.Mul(rate).Div(hundred))
		tax := round2(exact[k]).Sub(rounded[k])
		rounded[k] = rounded[k].Add(tax)
		if incl && alloc.IsZero() {
			tax = getDec(l, "totalTaxAmount")
		}
		l.vals["invoiceDiscountAllocation"] = alloc
		l.vals["netAmount"], l.vals["netTaxAmount"], l.vals["netAmountIncludingTax"] = net, tax, net.Add(tax)
		lines[i] = l
		c.put(lineSetOf(et.set), l)
		totExcl, totTax = totExcl.Add(net), totTax.Add(tax)
	}
	hdr.vals["totalAmountExcludingTax"], hdr.vals["totalTaxAmount"] = totExcl, totTax
	hdr.vals["totalAmountIncludingTax"] = totExcl.Add(totTax)
	if et.set == setInvoices && !posted(hdr) {
		hdr.vals["remainingAmount"] = totExcl.Add(totTax) // a draft: everything
	}
	if et.set == setOrders {
		full := len(lines) > 0
		for _, l := range lines {
			if getStr(l, "lineType") != "Comment" && getDec(l, "shippedQuantity").LessThan(getDec(l, "quantity")) {
				full = false
			}
		}
		hdr.vals["fullyShipped"] = full
	}
}

// --- bound actions ---

func (s *Server) boundAction(c *wctx, t *target, o *op) *apiError {
	switch {
	case t.et.set == setOrders && t.action == "shipAndInvoice":
		// Ship what is to ship, then invoice everything shipped and not
		// invoiced; a completely shipped and invoiced order is deleted.
		toShip := false
		for _, l := range s.children(c.co, t.et.nav(setOrderLines), t.rec) {
			if getStr(l, "lineType") != "Comment" && getDec(l, "shipQuantity").IsPositive() {
				toShip = true
			}
		}
		if !toShip && len(s.toInvoice(c, t.rec)) == 0 {
			return errorf(http.StatusBadRequest, codeDialog, "There is nothing to post.")
		}
		if err := s.checkInvoiceBlocked(c, t.rec); err != nil {
			return err
		}
		if toShip {
			if err := s.checkBlocked(c, t.rec); err != nil {
				return err
			}
			if _, err := s.postShipment(c, t.rec, nil, shipInfo{}); err != nil {
				return err
			}
		}
		if _, err := s.invoiceOrder(c, c.table(setOrders).rows[t.rec.id]); err != nil {
			return err
		}
		s.deleteIfDone(c, t.rec.id)
		return nil
	case t.et.set == setInvoices:
		return s.invoiceAction(c, t)
	case t.et.set == setCreditMemos && t.action == "post":
		if len(s.children(c.co, t.et.nav(setCreditMemoLines), t.rec)) == 0 {
			return errorf(http.StatusBadRequest, codeDialog, "There is nothing to post.")
		}
		r := t.rec.clone()
		r.vals["status"] = "Open"
		c.save(t.et, r, "updated")
		return nil
	case t.et.set == setCreditMemos && (t.action == "send" || t.action == "postAndSend" || t.action == "cancel" || t.action == "cancelAndSend"):
		return nil
	}
	return notFoundSegment("Microsoft.NAV." + t.action)
}

func (s *Server) checkBlocked(c *wctx, ord *record) *apiError {
	if cust := c.table(setCustomers).rows[getStr(ord, "customerId")]; cust != nil {
		if b := getStr(cust, "blocked"); b == "Ship" || b == "All" {
			return errorf(http.StatusBadRequest, codeDialog, "You cannot ship to Customer %s because the customer is blocked with type %s.", getStr(cust, "number"), b)
		}
	}
	return nil
}

// shipInfo is what a posted shipment carries besides its lines: the data
// of the Sales Shipment Header that API v2.0 does not expose.
type shipInfo struct {
	trackingNumber, agentCode, agentServiceCode, methodCode, postingDate string
}

// postShipment posts a sales shipment for an order: qty per line id (nil:
// every line's shipQuantity).
func (s *Server) postShipment(c *wctx, ord *record, qty map[string]decimal.Decimal, info shipInfo) (*record, *apiError) {
	ordET := s.types[setOrders]
	lines := s.children(c.co, ordET.nav(setOrderLines), ord)
	type ship struct {
		l *record
		q decimal.Decimal
	}
	var ships []ship
	for _, l := range lines {
		q := getDec(l, "shipQuantity")
		if qty != nil {
			var ok bool
			if q, ok = qty[l.id]; !ok {
				continue
			}
		}
		if getStr(l, "lineType") == "Comment" || !q.IsPositive() {
			continue
		}
		if rem := getDec(l, "quantity").Sub(getDec(l, "shippedQuantity")); q.GreaterThan(rem) {
			return nil, errorf(http.StatusBadRequest, codeDialog, "You cannot ship more than %s units on line %d.", rem, getInt(l, "sequence"))
		}
		ships = append(ships, ship{l, q})
	}
	if len(ships) == 0 {
		return nil, errorf(http.StatusBadRequest, codeDialog, "There is nothing to post.")
	}
	if info.postingDate == "" {
		info.postingDate = s.today()
	}
	if info.methodCode == "" {
		if m := c.table(setShipmentMethods).rows[getStr(ord, "shipmentMethodId")]; m != nil {
			info.methodCode = getStr(m, "code")
		}
	}
	shET, lnET := s.types[setShipments], s.types[setShipmentLines]
	id := s.st.newID()
	sh := &record{id: id, vals: map[string]any{"id": id, "number": c.co.nextNumber("salesShipment")}}
	for _, p := range shET.props {
		if v, ok := ord.vals[p.name]; ok && p.name != "id" && p.name != "number" && p.name != "lastModifiedDateTime" {
			sh.vals[p.name] = v
		}
	}
	sh.vals["orderNumber"] = getStr(ord, "number")
	sh.vals["postingDate"], sh.vals["invoiceDate"], sh.vals["dueDate"] = info.postingDate, info.postingDate, info.postingDate
	sh.vals["shipmentMethodCode"] = strings.ToUpper(info.methodCode)
	if pt := c.table(setPaymentTerms).rows[getStr(ord, "paymentTermsId")]; pt != nil {
		sh.vals["paymentTermsCode"] = getStr(pt, "code")
	}
	sh.vals["_orderId"] = ord.id
	sh.vals["_packageTrackingNo"] = info.trackingNumber
	sh.vals["_shippingAgentCode"] = strings.ToUpper(info.agentCode)
	sh.vals["_shippingAgentServiceCode"] = strings.ToUpper(info.agentServiceCode)
	c.save(shET, sh, "created")

	for _, x := range ships {
		lid := s.st.newID()
		typ := map[string]string{"Item": "Item", "Account": "G/L Account", "Resource": "Resource", "Fixed Asset": "Fixed Asset", "Charge": "Charge (Item)"}[getStr(x.l, "lineType")]
		sl := &record{id: lid, vals: map[string]any{
			"id": lid, "documentId": id, "documentNo": getStr(sh, "number"), "sequence": getInt(x.l, "sequence"),
			"lineType": typ, "lineObjectNumber": getStr(x.l, "lineObjectNumber"), "description": getStr(x.l, "description"),
			"unitOfMeasureCode": getStr(x.l, "unitOfMeasureCode"), "unitPrice": getDec(x.l, "unitPrice"), "quantity": x.q,
			"discountPercent": getDec(x.l, "discountPercent"), "taxPercent": getDec(x.l, "taxPercent"), "shipmentDate": info.postingDate,
			"_orderLineId": x.l.id, "_itemVariantId": getStr(x.l, "itemVariantId"),
		}}
		c.save(lnET, sl, "created")
		l := x.l.clone()
		l.vals["shippedQuantity"] = getDec(l, "shippedQuantity").Add(x.q)
		rem := getDec(l, "quantity").Sub(getDec(l, "shippedQuantity"))
		l.vals["shipQuantity"] = rem
		l.vals["invoiceQuantity"] = pendingInvoice(l)
		c.save(s.types[setOrderLines], l, "updated")
		if item := c.table(setItems).rows[getStr(l, "itemId")]; item != nil && typ == "Item" && getStr(item, "type") == "Inventory" {
			variant := ""
			if v := c.table(setItemVariants).rows[getStr(l, "itemVariantId")]; v != nil {
				variant = getStr(v, "code")
			}
			loc := ""
			if lr := c.table(setLocations).rows[getStr(l, "locationId")]; lr != nil {
				loc = getStr(lr, "code")
			}
			s.postLedger(c, item, variant, loc, x.q.Neg(), "Sale", "Sales Shipment", getStr(sh, "number"), getStr(ord, "customerNumber"))
		}
	}
	o := ord.clone()
	s.recomputeTotals(c, ordET, o)
	c.save(ordET, o, "updated")

	tr := &record{id: id, vals: map[string]any{
		"id": id, "shipmentNumber": getStr(sh, "number"), "orderNumber": getStr(ord, "number"),
		"externalDocumentNumber": getStr(ord, "externalDocumentNumber"), "shippingAgentCode": strings.ToUpper(info.agentCode),
		"shippingAgentServiceCode": strings.ToUpper(info.agentServiceCode), "packageTrackingNumber": info.trackingNumber,
		"shipmentMethodCode": strings.ToUpper(info.methodCode), "postingDate": info.postingDate,
	}}
	c.save(s.types[setTrackings], tr, "created")
	return sh, nil
}
