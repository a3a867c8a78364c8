package businesscentral

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kontor-dev/kontor"
)

// WithAmountOnlyCredit books an amount-only return (kontor.Return
// without lines: a refund of money without goods, such as a goodwill
// refund or a refunded shipping charge) as a credit memo with one line of
// line: quantity 1, the refund as its unit price, the return's reason as
// its description. Without it such a return fails validation naming its
// lines, rather than being credited on an item or account nobody chose.
func WithAmountOnlyCredit(line ChargeLine) Option {
	return chargeOption("amount-only credit", line, func(o *options) **ChargeLine { return &o.amountCredit })
}

// returnPlan is one return on its way.
type returnPlan struct {
	i                 int
	r                 kontor.Return
	extNo             string
	targets           []lineTarget
	customer, invoice string // ids
}

// WriteReturns records returns as sales credit memos, with their lines in
// one request each, many per $batch request.
//
// The return number becomes the credit memo's externalDocumentNumber, and
// a credit memo with it already there makes the return Unchanged: nothing
// is credited twice. The customer is the one of the sales order whose
// externalDocumentNumber is the return's order number, or, once the order
// is invoiced and gone, of its sales invoice, which the credit memo then
// applies to; with neither the return fails as not found (the order has
// not arrived yet) and the engine tries again later. A line's refund
// divided by its quantity is its unit price, in the convention of the
// customer's "Prices Including VAT"; lines without a refund are priced by
// Business Central. An amount-only return (no lines) is one line of
// WithAmountOnlyCredit priced at the refund, in the same convention, and
// fails validation naming its lines when that is not configured.
func (c *Connector) WriteReturns(ctx context.Context, returns []kontor.Return) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	company, err := c.CompanyID(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(returns))
	fail := func(i int, err error) { results[i].Outcome, results[i].Err = kontor.Failed, err }
	var plans []*returnPlan
	first := map[string]int{}
	dups := map[int]int{}
	for i, r := range returns {
		results[i].Key = r.Key()
		if err := r.Validate(); err != nil {
			fail(i, err)
			continue
		}
		if n := utf8.RuneCountInString(r.Number); n > maxExternalDocNo {
			fail(i, &kontor.ValidationError{Entity: kontor.EntityReturn, Key: r.Number, Field: "number",
				Reason: fmt.Sprintf("is %d characters, Business Central's externalDocumentNumber holds %d", n, maxExternalDocNo)})
			continue
		}
		if len(r.Lines) == 0 && c.opt.amountCredit == nil {
			fail(i, &kontor.ValidationError{Entity: kontor.EntityReturn, Key: r.Number, Field: "lines",
				Reason: "an amount-only return (no lines) needs a credit line in Business Central: configure WithAmountOnlyCredit"})
			continue
		}
		ext := strings.ToUpper(r.Number)
		if j, ok := first[ext]; ok {
			dups[i] = j
			continue
		}
		first[ext] = i
		plans = append(plans, &returnPlan{i: i, r: r, extNo: ext, targets: make([]lineTarget, len(r.Lines))})
	}

	// Round 1: existing credit memos, the orders and invoices, the SKUs.
	var ops []batchOp
	sel := "id,number,customerId,customerNumber,lastModifiedDateTime"
	for _, p := range plans {
		order := strings.ToUpper(p.r.OrderNumber)
		ops = append(ops,
			getOp(companyPath(company, "salesCreditMemos"), filtered(eq("externalDocumentNumber", p.extNo)).set("$select", sel)),
			getOp(companyPath(company, "salesOrders"), filtered(eq("externalDocumentNumber", order)).set("$select", sel)),
			getOp(companyPath(company, "salesInvoices"), filtered(eq("externalDocumentNumber", order)).set("$select", sel)),
		)
	}
	var skus []string
	seen := map[string]bool{}
	for _, p := range plans {
		for _, l := range p.r.Lines {
			if _, ok := c.skus.get(l.SKU); !ok && !seen[l.SKU] {
				seen[l.SKU] = true
				skus = append(skus, l.SKU)
			}
		}
	}
	for _, sku := range skus {
		ops = append(ops, getOp(companyPath(company, "items"), filtered(eq("number", strings.ToUpper(sku))).set("$select", "id,number")))
	}
	rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
	if err != nil {
		return nil, err
	}
	var todo []*returnPlan
	for k, p := range plans {
		memo, err := foundDocument(rs[3*k], kontor.EntityReturn, p.r.Number)
		if err != nil {
			fail(p.i, err)
			continue
		}
		if memo != nil {
			results[p.i].Outcome = kontor.Unchanged
			results[p.i].Target = kontor.Meta{ERPKey: memo.ID, UpdatedAt: memo.LastModified}
			continue
		}
		order, err := foundDocument(rs[3*k+1], kontor.EntityReturn, p.r.Number)
		if err != nil {
			fail(p.i, err)
			continue
		}
		inv, err := foundDocument(rs[3*k+2], kontor.EntityReturn, p.r.Number)
		if err != nil && kontor.KindOf(err) != kontor.KindNotFound && kontor.KindOf(err) != kontor.KindPermanent {
			fail(p.i, err)
			continue
		}
		switch {
		case order != nil && order.CustomerID != "":
			p.customer = order.CustomerID
		case inv != nil && inv.CustomerID != "":
			p.customer, p.invoice = inv.CustomerID, inv.ID
		default:
			fail(p.i, kontor.NewError(kontor.KindNotFound, System+" return",
				fmt.Errorf("return %s: Business Central has no sales order or invoice with the external document number of order %s",
					p.r.Number, p.r.OrderNumber)))
			continue
		}
		todo = append(todo, p)
	}
	variants, err := c.resolveItems(ctx, company, skus, rs[3*len(plans):])
	if err != nil {
		return nil, err
	}
	if err := c.resolveVariants(ctx, company, variants); err != nil {
		return nil, err
	}

	// Round 2: create.
	ops = ops[:0]
	var created []*returnPlan
next:
	for _, p := range todo {
		lines := make([]map[string]any, 0, len(p.r.Lines))
		for j, l := range p.r.Lines {
			t, ok := c.skus.get(l.SKU)
			if !ok {
				fail(p.i, &kontor.ValidationError{Entity: kontor.EntityReturn, Key: p.r.Number, Field: fmt.Sprintf("lines[%d].sku", j),
					Reason: "Business Central has no item with this number, nor an item variant by item number and code"})
				continue next
			}
			line := map[string]any{"lineType": "Item", "lineObjectNumber": t.itemNumber, "quantity": dec(l.Quantity)}
			if t.variantID != "" {
				line["itemVariantId"] = t.variantID
			}
			if !l.Refund.IsZero() {
				line["unitPrice"] = dec(l.Refund.Amount.DivRound(l.Quantity, 5))
			}
			if d := firstNonEmpty(l.Reason, p.r.Reason); d != "" {
				line["description"] = cut(d, maxDescription)
			}
			lines = append(lines, line)
		}
		if len(p.r.Lines) == 0 {
			lines = append(lines, map[string]any{
				"lineType":         c.opt.amountCredit.LineType,
				"lineObjectNumber": c.opt.amountCredit.Number,
				"description":      cut(firstNonEmpty(p.r.Reason, "Refund"), maxDescription),
				"quantity":         1,
				"unitPrice":        dec(p.r.Refund.Amount),
			})
		}
		body := map[string]any{
			"externalDocumentNumber": p.extNo,
			"customerId":             p.customer,
			"salesCreditMemoLines":   lines,
		}
		if !p.r.CreatedAt.IsZero() {
			t := p.r.CreatedAt
			body["creditMemoDate"] = edmDate{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
		}
		if p.invoice != "" {
			body["invoiceId"] = p.invoice
		}
		created = append(created, p)
		ops = append(ops, postOp(companyPath(company, "salesCreditMemos"), body))
	}
	if len(ops) > 0 {
		rs, err = c.runOps(ctx, ops, batchMode{atomic: c.opt.atomic[kontor.EntityReturn]})
		if err != nil {
			return nil, err
		}
		for k, p := range created {
			r := rs[k]
			if r.err != nil {
				fail(p.i, r.err)
				continue
			}
			var memo docRef
			if err := json.Unmarshal(r.body, &memo); err != nil || memo.ID == "" {
				fail(p.i, &kontor.APIError{System: System, Op: "POST salesCreditMemos", Kind: kontor.KindRetryable,
					StatusCode: r.status, Message: "the response to a created credit memo has no id"})
				continue
			}
			results[p.i].Outcome = kontor.Created
			results[p.i].Target = kontor.Meta{ERPKey: memo.ID, UpdatedAt: memo.LastModified}
		}
	}
	for i, j := range dups {
		results[i].Outcome, results[i].Target, results[i].Err = results[j].Outcome, results[j].Target, results[j].Err
		if results[i].Err == nil {
			results[i].Outcome = kontor.Unchanged
		}
	}
	return results, nil
}
