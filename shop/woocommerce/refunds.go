package woocommerce

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// ReadReturns reads WooCommerce refunds as returns: WooCommerce has no
// return (RMA) object, and a refund is what settles one. A refund changes
// its order, so the orders changed since the cursor are read (keyset
// reader), and for those that list refunds, GET /orders/<id>/refunds; the
// refunds created at or after the cursor are yielded, one return each:
//
//	Number       "R" + the refund id
//	OrderNumber  the order's number; OrderKeys.ShopKey its id
//	Lines        the refunded line items (positive quantities, SKU)
//	Refund       the refunded amount, gross, in the order's currency
//	Status       refunded; Reason the refund's reason
//
// A refund of an amount without line items (a goodwill refund, a refunded
// shipping charge) yields a return without lines: kontor's amount-only
// credit of Refund, which the ERP books as one credit line. A line's own
// refund is given only when the lines add up to the refund
// (a refund that also returns shipping does not).
func (c *Client) ReadReturns(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Return, error] {
	return func(yield func(kontor.Return, error) bool) {
		stopped := false
		var ierr error
		err := keysetRead(ctx, c, "/orders", url.Values{"status": {"any"}}, since.Since, func(o *Order) bool {
			if len(o.Refunds) == 0 {
				return true
			}
			var refunds []Refund
			if _, err := c.do(ctx, http.MethodGet, "/orders/"+idString(o.ID)+"/refunds", url.Values{"per_page": {"100"}}, nil, &refunds); err != nil {
				ierr = err
				return false
			}
			for i := range refunds {
				if err := ctx.Err(); err != nil {
					ierr = err
					return false
				}
				rf := &refunds[i]
				if !since.Since.IsZero() && rf.DateCreatedGMT.Before(since.Since) {
					continue
				}
				if !yield(returnIn(o, rf), nil) {
					stopped = true
					return false
				}
			}
			return true
		})
		if stopped {
			return
		}
		if err == nil {
			err = ierr
		}
		if err != nil {
			yield(kontor.Return{}, err)
		}
	}
}

// returnIn turns a refund of order o into a kontor.Return.
func returnIn(o *Order, rf *Refund) kontor.Return {
	cur := kontor.Currency(strings.ToUpper(o.Currency))
	num := o.Number
	if num == "" {
		num = idString(o.ID)
	}
	r := kontor.Return{
		Meta:        kontor.Meta{ShopKey: idString(rf.ID), UpdatedAt: rf.DateCreatedGMT.Time},
		Number:      "R" + idString(rf.ID),
		OrderNumber: num,
		OrderKeys:   kontor.Meta{ShopKey: idString(o.ID)},
		Reason:      rf.Reason,
		Refund:      kontor.Money{Amount: rf.Amount.Abs(), Currency: cur},
		Status:      kontor.ReturnRefunded,
		CreatedAt:   rf.DateCreatedGMT.Time,
	}
	sum := decimal.Zero
	for _, li := range rf.LineItems {
		q, err := decimal.NewFromString(li.Quantity.String())
		if err != nil || q.IsZero() {
			continue
		}
		gross := li.Total.Add(li.TotalTax.Decimal).Abs()
		sum = sum.Add(gross)
		r.Lines = append(r.Lines, kontor.ReturnLine{SKU: li.SKU, Quantity: q.Abs(),
			Refund: kontor.Money{Amount: gross, Currency: cur}})
	}
	if sum.Sub(r.Refund.Amount).Abs().GreaterThan(kontor.OrderTolerance(cur, len(r.Lines))) {
		for i := range r.Lines {
			r.Lines[i].Refund = kontor.Money{}
		}
	}
	return r
}
