package bctest

import (
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Sales invoices: drafts (POST, with a deep insert of salesInvoiceLines,
// like the other sales documents) and posted invoices, from posting a
// draft, from invoicing an order (shipAndInvoice, InvoiceOrder), with
// their payment (PayInvoice), cancellation and corrective credit memos.
//
// A posted invoice keeps the id of its draft, as the API shows it, gets a
// number of the posted series (PS-INV103001, …) and the status Open;
// remainingAmount is what is left to pay. Paying it all makes it Paid,
// cancelling it Canceled (remainingAmount 0). A posted invoice can no
// longer be changed through the API.

// invoiceSkip lists the header properties an invoice or credit memo does
// not take over from the document it is made from: the posting sets them
// (ids, numbers, dates, status, totals).
var invoiceSkip = map[string]bool{
	"id": true, "number": true, "lastModifiedDateTime": true, "status": true, "discountAmount": true,
	"totalAmountExcludingTax": true, "totalTaxAmount": true, "totalAmountIncludingTax": true, "remainingAmount": true,
	"orderId": true, "orderNumber": true, "invoiceId": true, "invoiceNumber": true, "invoiceDate": true,
	"creditMemoDate": true, "orderDate": true, "postingDate": true, "dueDate": true, "fullyShipped": true,
}

// copyHeader copies the properties to's type shares with from.
func copyHeader(toET *entityType, to, from *record) {
	for _, p := range toET.props {
		if invoiceSkip[p.name] {
			continue
		}
		if v, ok := from.vals[p.name]; ok {
			to.vals[p.name] = v
		}
	}
}

// lineQty is an order line and the quantity an invoice takes of it.
type lineQty struct {
	l *record
	q decimal.Decimal
}

// copyLine makes a line of lineSet for document hdr from src (a line of
// another sales document) with quantity q; the discount follows the
// quantity. It computes the line's amounts, but stores nothing.
func (s *Server) copyLine(lineSet string, hdr, src *record, q decimal.Decimal) *record {
	et := s.types[lineSet]
	id := s.st.newID()
	l := &record{id: id, vals: map[string]any{"id": id, "documentId": hdr.id, "quantity": q}}
	for _, name := range []string{"sequence", "itemId", "accountId", "lineType", "lineObjectNumber", "description",
		"unitOfMeasureId", "unitOfMeasureCode", "unitPrice", "taxCode", "shipmentDate", "itemVariantId", "locationId"} {
		if v, ok := src.vals[name]; ok && et.prop(name) != nil {
			l.vals[name] = v
		}
	}
	if qty := getDec(src, "quantity"); q.Equal(qty) {
		l.vals["discountAmount"], l.vals["discountPercent"] = getDec(src, "discountAmount"), decimal.Zero
	} else {
		l.vals["discountPercent"] = getDec(src, "discountPercent")
	}
	s.lineAmounts(hdr, l)
	return l
}

// dueDate adds a payment term's due date calculation to a date. It takes
// the simple formulas (14D, 2W, 1M, 1Y, combined with +); anything else
// is due on the date itself.
func (s *Server) dueDate(c *wctx, paymentTermsID, date string) string {
	pt := c.table(setPaymentTerms).rows[paymentTermsID]
	d, err := time.Parse("2006-01-02", date)
	if pt == nil || err != nil {
		return date
	}
	formula := getStr(pt, "dueDateCalculation")
	for _, m := range dateFormula.FindAllStringSubmatch(formula, -1) {
		n, _ := strconv.Atoi(m[1])
		switch m[2] {
		case "D", "d":
			d = d.AddDate(0, 0, n)
		case "W", "w":
			d = d.AddDate(0, 0, 7*n)
		case "M", "m":
			d = d.AddDate(0, n, 0)
		case "Y", "y":
			d = d.AddDate(n, 0, 0)
		}
	}
	return d.Format("2006-01-02")
}

var dateFormula = regexp.MustCompile(`(\d+)\s*([DWMYdwmy])`)

// checkInvoiceBlocked refuses to invoice a customer blocked for invoicing.
func (s *Server) checkInvoiceBlocked(c *wctx, doc *record) *apiError {
	if cust := c.table(setCustomers).rows[getStr(doc, "customerId")]; cust != nil {
		if b := getStr(cust, "blocked"); b == "Invoice" || b == "All" {
			return errorf(http.StatusBadRequest, codeDialog, "You cannot invoice Customer %s because the customer is blocked with type %s.", getStr(cust, "number"), b)
		}
	}
	return nil
}

// toInvoice returns what an order has shipped and not yet invoiced.
func (s *Server) toInvoice(c *wctx, ord *record) []lineQty {
	var out []lineQty
	for _, l := range s.children(c.co, s.types[setOrders].nav(setOrderLines), ord) {
		q := getDec(l, "shippedQuantity").Sub(getDec(l, "invoicedQuantity"))
		if getStr(l, "lineType") != "Comment" && q.IsPositive() {
			out = append(out, lineQty{l, q})
		}
	}
	return out
}

// invoiceOrder posts a sales invoice for what an order has shipped and not
// invoiced, as posting the order with the Invoice option does: the posted
// invoice carries the order's customer, addresses and external document
// number, its id and number (orderId, orderNumber), the lines with the
// quantities invoiced and the share of the invoice discount; the order
// lines' invoicedQuantity goes up. It does not delete the order.
func (s *Server) invoiceOrder(c *wctx, ord *record) (*record, *apiError) {
	lines := s.toInvoice(c, ord)
	if len(lines) == 0 {
		return nil, errorf(http.StatusBadRequest, codeDialog, "There is nothing to post.")
	}
	if err := s.checkInvoiceBlocked(c, ord); err != nil {
		return nil, err
	}
	invET, ordET := s.types[setInvoices], s.types[setOrders]
	id := s.st.newID()
	inv := &record{id: id, vals: map[string]any{"id": id, "number": c.co.nextNumber("postedSalesInvoice")}}
	copyHeader(invET, inv, ord)
	today := s.today()
	inv.vals["orderId"], inv.vals["orderNumber"] = ord.id, getStr(ord, "number")
	inv.vals["invoiceDate"], inv.vals["postingDate"] = today, today
	inv.vals["dueDate"] = s.dueDate(c, getStr(ord, "paymentTermsId"), today)
	disc := decimal.Zero
	for _, x := range lines {
		if qty := getDec(x.l, "quantity"); qty.IsPositive() {
			disc = disc.Add(round2(getDec(x.l, "invoiceDiscountAllocation").Mul(x.q).Div(qty)))
		}
	}
	inv.vals["discountAmount"] = disc
	for _, x := range lines {
		c.save(s.types[setInvoiceLines], s.copyLine(setInvoiceLines, inv, x.l, x.q), "created")
		l := x.l.clone()
		l.vals["invoicedQuantity"] = getDec(l, "invoicedQuantity").Add(x.q)
		l.vals["invoiceQuantity"] = pendingInvoice(l)
		c.save(s.types[setOrderLines], l, "updated")
	}
	s.finishPosting(c, inv)
	o := ord.clone()
	s.recomputeTotals(c, ordET, o)
	c.save(ordET, o, "updated")
	return inv, nil
}

// pendingInvoice is an order line's quantity to invoice: what it ships
// next and what it shipped and did not invoice yet.
func pendingInvoice(l *record) decimal.Decimal {
	return getDec(l, "shipQuantity").Add(getDec(l, "shippedQuantity")).Sub(getDec(l, "invoicedQuantity"))
}

// finishPosting totals a posted invoice whose lines are stored, sets it
// Open with everything to pay (Paid when that is nothing), and stores it.
func (s *Server) finishPosting(c *wctx, inv *record) {
	kind := "updated"
	if c.table(setInvoices).rows[inv.id] == nil {
		kind = "created"
	}
	invET := s.types[setInvoices]
	s.recomputeTotals(c, invET, inv)
	inv.vals["_posted"] = true
	inv.vals["status"] = "Open"
	inv.vals["remainingAmount"] = getDec(inv, "totalAmountIncludingTax")
	if getDec(inv, "totalAmountIncludingTax").IsZero() {
		inv.vals["status"] = "Paid" // nothing to pay: closed at once
	}
	c.save(invET, inv, kind)
}

// deleteIfDone deletes an order that is completely shipped and invoiced,
// as posting does.
func (s *Server) deleteIfDone(c *wctx, orderID string) {
	ord := c.table(setOrders).rows[orderID]
	if ord == nil {
		return
	}
	et := s.types[setOrders]
	lines := s.children(c.co, et.nav(setOrderLines), ord)
	if len(lines) == 0 {
		return
	}
	for _, l := range lines {
		qty := getDec(l, "quantity")
		if getStr(l, "lineType") != "Comment" && (getDec(l, "shippedQuantity").LessThan(qty) || getDec(l, "invoicedQuantity").LessThan(qty)) {
			return
		}
	}
	for _, l := range lines {
		c.del(setOrderLines, l.id)
	}
	c.drop(et, ord)
}

// invoiceAction runs a bound action of salesInvoices.
func (s *Server) invoiceAction(c *wctx, t *target) *apiError {
	inv := t.rec
	switch t.action {
	case "post", "postAndSend":
		if posted(inv) {
			return errorf(http.StatusBadRequest, codeDialog, "The action can be applied to a draft invoice only.")
		}
		return s.postDraftInvoice(c, inv)
	case "send":
		if !posted(inv) && len(s.children(c.co, t.et.nav(setInvoiceLines), inv)) == 0 {
			return errorf(http.StatusBadRequest, codeDialog, "There is nothing to send.")
		}
		return nil
	case "cancel", "cancelAndSend":
		if !posted(inv) {
			return errorf(http.StatusBadRequest, codeDialog, "The action can be applied to a posted invoice only.")
		}
		return s.cancelInvoice(c, inv)
	case "makeCorrectiveCreditMemo":
		if !posted(inv) {
			return errorf(http.StatusBadRequest, codeDialog, "The action can be applied to a posted invoice only.")
		}
		if !getDec(inv, "remainingAmount").Equal(getDec(inv, "totalAmountIncludingTax")) {
			if getDec(inv, "remainingAmount").IsZero() {
				return errorf(http.StatusBadRequest, codeDialog, "The invoice is closed. The corrective credit memo will not be applied to the invoice.")
			}
			return errorf(http.StatusBadRequest, codeDialog, "The invoice is partially paid or credited. The corrective credit memo may not be fully closed by the invoice.")
		}
		s.creditMemoFrom(c, inv, false)
		return nil
	}
	return notFoundSegment("Microsoft.NAV." + t.action)
}

// postDraftInvoice posts a draft invoice: it keeps its id and lines, gets
// a posted number, and takes its items out of stock.
func (s *Server) postDraftInvoice(c *wctx, draft *record) *apiError {
	lines := s.children(c.co, s.types[setInvoices].nav(setInvoiceLines), draft)
	some := false
	for _, l := range lines {
		if getStr(l, "lineType") != "Comment" && !getDec(l, "quantity").IsZero() {
			some = true
		}
	}
	if !some {
		return errorf(http.StatusBadRequest, codeDialog, "There is nothing to post.")
	}
	if err := s.checkInvoiceBlocked(c, draft); err != nil {
		return err
	}
	if err := s.checkBlocked(c, draft); err != nil {
		return err
	}
	inv := draft.clone()
	inv.vals["number"] = c.co.nextNumber("postedSalesInvoice")
	if getStr(inv, "dueDate") == "" {
		inv.vals["dueDate"] = s.dueDate(c, getStr(inv, "paymentTermsId"), getStr(inv, "postingDate"))
	}
	for _, l := range lines {
		s.moveStock(c, l, getDec(l, "quantity").Neg(), "Sales Invoice", getStr(inv, "number"), getStr(inv, "customerNumber"))
	}
	s.finishPosting(c, inv)
	return nil
}

// moveStock posts an item ledger entry for an Item line of an inventory
// item.
func (s *Server) moveStock(c *wctx, l *record, qty decimal.Decimal, docType, docNo, customer string) {
	item := c.table(setItems).rows[getStr(l, "itemId")]
	if item == nil || getStr(l, "lineType") != "Item" || getStr(item, "type") != "Inventory" {
		return
	}
	variant, loc := "", ""
	if v := c.table(setItemVariants).rows[getStr(l, "itemVariantId")]; v != nil {
		variant = getStr(v, "code")
	}
	if lr := c.table(setLocations).rows[getStr(l, "locationId")]; lr != nil {
		loc = getStr(lr, "code")
	}
	s.postLedger(c, item, variant, loc, qty, "Sale", docType, docNo, customer)
}

// cancelInvoice cancels a posted, unpaid invoice as Business Central does:
// a corrective credit memo is posted against it (its items return to
// stock) and the invoice is Canceled with nothing left to pay.
func (s *Server) cancelInvoice(c *wctx, inv *record) *apiError {
	switch {
	case getStr(inv, "status") == "Canceled":
		return errorf(http.StatusBadRequest, codeDialog, "The invoice cannot be canceled because it has already been canceled.")
	case getStr(inv, "status") == "Corrective":
		return errorf(http.StatusBadRequest, codeDialog, "You cannot cancel this posted sales invoice because it is a corrective document.")
	case !getDec(inv, "remainingAmount").Equal(getDec(inv, "totalAmountIncludingTax")):
		return errorf(http.StatusBadRequest, codeDialog, "You cannot cancel this posted sales invoice because it is fully or partially paid.")
	}
	s.creditMemoFrom(c, inv, true)
	r := inv.clone()
	r.vals["status"] = "Canceled"
	r.vals["remainingAmount"] = decimal.Zero
	c.save(s.types[setInvoices], r, "updated")
	return nil
}

// creditMemoFrom makes a credit memo of a posted invoice's lines, applied
// to the invoice: a draft, or (corrective) posted with the status
// Corrective and its items back in stock.
func (s *Server) creditMemoFrom(c *wctx, inv *record, corrective bool) *record {
	cmET := s.types[setCreditMemos]
	id := s.st.newID()
	cm := &record{id: id, vals: map[string]any{"id": id, "number": c.co.nextNumber("salesCreditMemo")}}
	copyHeader(cmET, cm, inv)
	today := s.today()
	cm.vals["creditMemoDate"], cm.vals["postingDate"], cm.vals["dueDate"] = today, today, today
	cm.vals["invoiceId"], cm.vals["invoiceNumber"] = inv.id, getStr(inv, "number")
	cm.vals["discountAmount"] = getDec(inv, "discountAmount")
	for _, l := range s.children(c.co, s.types[setInvoices].nav(setInvoiceLines), inv) {
		nl := s.copyLine(setCreditMemoLines, cm, l, getDec(l, "quantity"))
		c.save(s.types[setCreditMemoLines], nl, "created")
		if corrective {
			s.moveStock(c, nl, getDec(nl, "quantity"), "Sales Credit Memo", getStr(cm, "number"), getStr(cm, "customerNumber"))
		}
	}
	s.recomputeTotals(c, cmET, cm)
	cm.vals["status"] = "Draft"
	if corrective {
		cm.vals["status"] = "Corrective"
	}
	c.save(cmET, cm, "created")
	return cm
}

// payInvoice applies a payment to a posted invoice; paying what is left
// makes it Paid.
func (s *Server) payInvoice(c *wctx, inv *record, amount decimal.Decimal) *apiError {
	if !posted(inv) {
		return errorf(http.StatusBadRequest, codeDialog, "Invoice %s is a draft: only a posted invoice can be paid.", getStr(inv, "number"))
	}
	switch st := getStr(inv, "status"); st {
	case "Canceled", "Corrective":
		return errorf(http.StatusBadRequest, codeDialog, "Invoice %s is %s and cannot be paid.", getStr(inv, "number"), st)
	}
	left := getDec(inv, "remainingAmount")
	if !amount.IsPositive() || amount.GreaterThan(left) {
		return errorf(http.StatusBadRequest, codeDialog, "A payment of invoice %s must be more than 0 and at most the remaining amount %s.", getStr(inv, "number"), left)
	}
	r := inv.clone()
	left = left.Sub(amount)
	r.vals["remainingAmount"] = left
	if left.IsZero() {
		r.vals["status"] = "Paid"
	}
	c.save(s.types[setInvoices], r, "updated")
	return nil
}
