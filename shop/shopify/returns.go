package shopify

import (
	"context"
	"iter"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// Returns are read as Shopify's refunds: the money given back and the
// lines it was given back for, with whether they went back into stock.
// Shopify has no query over all refunds; a refund changes its order, so
// the orders changed since the cursor are read with their refunds.

type refundNode struct {
	ID               string
	CreatedAt        *time.Time
	UpdatedAt        time.Time
	Note             *string
	TotalRefundedSet moneyBag
	RefundLineItems  struct {
		Nodes []struct {
			Quantity    int64
			RestockType string
			LineItem    struct {
				SKU *string `graphql:"sku"`
			}
			SubtotalSet moneyBag
			TotalTaxSet moneyBag
		}
	} `graphql:"refundLineItems(first: 20)"`
}

type orderRefundsQuery struct {
	Order *struct {
		ID           string
		Name         string
		CurrencyCode string
		Refunds      []refundNode `graphql:"refunds(first: 5)"`
	} `graphql:"order(id: $id)"`
}

// refundNumber is a return's number: "R" and the refund's numeric ID.
func refundNumber(refundGID string) string { return "R" + legacyID(refundGID) }

// ReadReturns reads the refunds made at or after since, of the orders
// changed since then. A refund of money only (no lines, such as a
// shipping refund) is not a return of goods and is skipped.
func (c *Client) ReadReturns(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Return, error] {
	return func(yield func(kontor.Return, error) bool) {
		for id, err := range c.pageIDs(ctx, "returns", since, c.orderIDs(ctx)) {
			if err != nil {
				yield(kontor.Return{}, err)
				return
			}
			var q orderRefundsQuery
			if err := c.query(ctx, "OrderRefunds", &q, map[string]any{"id": graphql.ID(id)}); err != nil {
				yield(kontor.Return{}, err)
				return
			}
			if q.Order == nil {
				continue
			}
			for _, rf := range q.Order.Refunds {
				if rf.UpdatedAt.Before(since.Since) || len(rf.RefundLineItems.Nodes) == 0 {
					continue
				}
				r := returnFromRefund(&rf, q.Order.ID, q.Order.Name, kontor.Currency(q.Order.CurrencyCode))
				if err := ctx.Err(); err != nil {
					yield(kontor.Return{}, err)
					return
				}
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

func returnFromRefund(rf *refundNode, orderID, orderName string, cur kontor.Currency) kontor.Return {
	r := kontor.Return{
		Meta:        kontor.Meta{ShopKey: rf.ID, UpdatedAt: rf.UpdatedAt},
		Number:      refundNumber(rf.ID),
		OrderNumber: orderName,
		OrderKeys:   kontor.Meta{ShopKey: orderID},
		Reason:      deref(rf.Note),
		Refund:      money(rf.TotalRefundedSet.ShopMoney.Amount, cur),
		Status:      kontor.ReturnRefunded,
	}
	if rf.CreatedAt != nil {
		r.CreatedAt = *rf.CreatedAt
	}
	var sum decimal.Decimal
	for _, l := range rf.RefundLineItems.Nodes {
		gross := l.SubtotalSet.ShopMoney.Amount.Add(l.TotalTaxSet.ShopMoney.Amount)
		sum = sum.Add(gross)
		r.Lines = append(r.Lines, kontor.ReturnLine{
			SKU:      deref(l.LineItem.SKU),
			Quantity: decimal.NewFromInt(l.Quantity),
			Restock:  l.RestockType == "RETURN" || l.RestockType == "LEGACY_RESTOCK",
			Refund:   money(gross, cur),
		})
	}
	// The total also holds refunded shipping and adjustments; line refunds
	// that do not add up to it are left out rather than contradict it.
	if sum.Sub(r.Refund.Amount).Abs().GreaterThan(kontor.OrderTolerance(cur, len(r.Lines))) {
		for i := range r.Lines {
			r.Lines[i].Refund = kontor.Money{}
		}
	}
	return r
}
