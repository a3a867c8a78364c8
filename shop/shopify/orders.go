package shopify

import (
	"context"
	"fmt"
	"iter"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// Orders are read in two steps. A cheap page of IDs comes first
// (orders(first: ≤250, sortKey: UPDATED_AT, query: "updated_at:>=…")),
// then each order in full by its ID. One page of full orders would cost
// its page size times the nested line items in requested points and soon
// pass the 1,000-point cap of a single query; an order on its own stays
// below it, and Shopify refunds what its few lines did not use.

// pageInfo is a connection's paging state.
type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

// moneyBag is a MoneyBag: an amount in the shop's and the buyer's
// currency. The shop's is what the ERP books.
type moneyBag struct {
	ShopMoney moneyV2
}

// moneyV2 is an amount with its currency.
type moneyV2 struct {
	Amount       decimal.Decimal
	CurrencyCode string
}

type mailingAddress struct {
	FirstName     *string
	LastName      *string
	Company       *string
	Address1      *string
	Address2      *string
	Zip           *string
	City          *string
	ProvinceCode  *string
	CountryCodeV2 *string
	Phone         *string
}

type taxLine struct {
	RatePercentage *decimal.Decimal
	PriceSet       moneyBag
}

type discountAllocation struct {
	AllocatedAmountSet moneyBag
}

type lineItemNode struct {
	ID                   string
	SKU                  *string `graphql:"sku"`
	Name                 string
	Quantity             int64
	OriginalUnitPriceSet moneyBag
	DiscountAllocations  []discountAllocation
	TaxLines             []taxLine
}

type shippingLineNode struct {
	Title              string
	Code               *string
	CarrierIdentifier  *string
	DiscountedPriceSet moneyBag // after shipping discounts
	TaxLines           []taxLine
}

type transactionNode struct {
	ID                string
	Kind              string
	Status            string
	Gateway           *string
	AuthorizationCode *string
	ProcessedAt       *time.Time
	AmountSet         moneyBag
}

// orderNode is what the connector reads of an order.
type orderNode struct {
	ID                       string
	Name                     string
	CreatedAt                time.Time
	ProcessedAt              time.Time
	UpdatedAt                time.Time
	CancelledAt              *time.Time
	ClosedAt                 *time.Time
	CurrencyCode             string
	TaxesIncluded            bool
	Note                     *string
	Tags                     []string
	SourceName               *string
	Email                    *string
	Phone                    *string
	DisplayFinancialStatus   *string
	DisplayFulfillmentStatus string
	DiscountCodes            []string
	TotalPriceSet            moneyBag
	TotalTaxSet              moneyBag
	Customer                 *struct {
		ID        string
		FirstName *string
		LastName  *string
		TaxExempt bool
	}
	PurchasingEntity *struct {
		PurchasingCompany struct {
			Company struct {
				ID   string
				Name string
			}
		} `graphql:"... on PurchasingCompany"`
	}
	BillingAddress  *mailingAddress
	ShippingAddress *mailingAddress
	LineItems       struct {
		Nodes    []lineItemNode
		PageInfo pageInfo
	} `graphql:"lineItems(first: 50)"`
	ShippingLines struct {
		Nodes []shippingLineNode
	} `graphql:"shippingLines(first: 5)"`
	Transactions []transactionNode `graphql:"transactions(first: 10)"`
}

// orderIDsQuery is the first step of an order read.
type orderIDsQuery struct {
	Orders struct {
		Nodes []struct {
			ID        string
			UpdatedAt time.Time
		}
		PageInfo pageInfo
	} `graphql:"orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query)"`
}

// orderCost is an upper estimate of an order's requested cost, for the
// pacer's first order read: its 50 lines at up to 10 points each and the
// rest.
const orderCost = 600

// orderQuery is the second step: one order in full.
type orderQuery struct {
	Order *orderNode `graphql:"order(id: $id)"`
}

// orderLinesQuery pages the lines of an order with more than 50.
type orderLinesQuery struct {
	Order *struct {
		LineItems struct {
			Nodes    []lineItemNode
			PageInfo pageInfo
		} `graphql:"lineItems(first: 50, after: $after)"`
	} `graphql:"order(id: $id)"`
}

// sinceQuery is Shopify's search syntax for "changed at or after t".
// The engine has already moved t back by its overlap window.
func sinceQuery(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	q := "updated_at:>='" + t.UTC().Format(time.RFC3339) + "'"
	return &q
}

// ReadOrders reads the orders changed at or after since, oldest change
// first. An order whose data is inconsistent is yielded anyway (the
// engine validates it and sends it to the dead letters with its reasons).
func (c *Client) ReadOrders(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Order, error] {
	return func(yield func(kontor.Order, error) bool) {
		for id, err := range c.pageIDs(ctx, "orders", since, c.orderIDs(ctx)) {
			if err != nil {
				yield(kontor.Order{}, err)
				return
			}
			o, err := c.order(ctx, id)
			if err != nil {
				yield(kontor.Order{}, err)
				return
			}
			if o == nil {
				continue // deleted between the two steps
			}
			if !yield(orderFromNode(o), nil) {
				return
			}
		}
	}
}

// orderIDs is the page function of the orders changed since a time.
func (c *Client) orderIDs(ctx context.Context) func(vars map[string]any) ([]idAt, pageInfo, error) {
	return func(vars map[string]any) ([]idAt, pageInfo, error) {
		var q orderIDsQuery
		err := c.query(ctx, "OrderIDs", &q, vars)
		ids := make([]idAt, len(q.Orders.Nodes))
		for i, n := range q.Orders.Nodes {
			ids[i] = idAt{n.ID, n.UpdatedAt}
		}
		return ids, q.Orders.PageInfo, err
	}
}

// order reads one order in full, with all its lines.
func (c *Client) order(ctx context.Context, id string) (*orderNode, error) {
	var q orderQuery
	if err := c.query(withCost(ctx, orderCost), "Order", &q, map[string]any{"id": graphql.ID(id)}); err != nil {
		return nil, err
	}
	o := q.Order
	if o == nil {
		return nil, nil
	}
	for pi := o.LineItems.PageInfo; pi.HasNextPage && pi.EndCursor != nil; {
		var lq orderLinesQuery
		if err := c.query(ctx, "OrderLines", &lq, map[string]any{"id": graphql.ID(id), "after": pi.EndCursor}); err != nil {
			return nil, err
		}
		if lq.Order == nil {
			break
		}
		o.LineItems.Nodes = append(o.LineItems.Nodes, lq.Order.LineItems.Nodes...)
		pi = lq.Order.LineItems.PageInfo
	}
	return o, nil
}

// idAt is an ID with the time its object changed.
type idAt struct {
	id string
	at time.Time
}

// pageIDs pages through a connection of IDs changed since a cursor: it
// yields every ID of a page before fetching the next, and stops when the
// consumer does. Shopify's search compares whole seconds, so what changed
// earlier within the cursor's second is dropped here.
func (c *Client) pageIDs(ctx context.Context, what string, since kontor.Cursor,
	page func(vars map[string]any) ([]idAt, pageInfo, error)) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		var after *string
		if since.Token != "" {
			after = &since.Token
		}
		for {
			if err := ctx.Err(); err != nil {
				yield("", err)
				return
			}
			ids, pi, err := page(map[string]any{"first": c.cfg.pageSize, "after": after, "query": sinceQuery(since.Since)})
			if err != nil {
				yield("", fmt.Errorf("shopify: reading %s: %w", what, err))
				return
			}
			for _, id := range ids {
				if id.at.Before(since.Since) {
					continue
				}
				if err := ctx.Err(); err != nil {
					yield("", err)
					return
				}
				if !yield(id.id, nil) {
					return
				}
			}
			if !pi.HasNextPage || pi.EndCursor == nil {
				return
			}
			after = pi.EndCursor
		}
	}
}

// orderFromNode maps an order onto the domain model. Lines carry their
// amounts after every discount allocated to them (line and order-level
// discounts alike), so order-level discounts are listed as Allocated;
// the line's tax is the sum of its tax lines and its rate the sum of their
// percentages. Totals are the order's as placed (refunds are returns).
func orderFromNode(o *orderNode) kontor.Order {
	cur := kontor.Currency(o.CurrencyCode)
	out := kontor.Order{
		Meta:             kontor.Meta{ShopKey: o.ID, UpdatedAt: o.UpdatedAt},
		Number:           o.Name,
		Channel:          deref(o.SourceName),
		PlacedAt:         o.ProcessedAt,
		Currency:         cur,
		PricesIncludeTax: o.TaxesIncluded,
		Note:             deref(o.Note),
		Tags:             o.Tags,
		Status:           orderStatus(o.DisplayFulfillmentStatus, o.CancelledAt != nil, o.ClosedAt != nil),
		PaymentStatus:    paymentStatus(deref(o.DisplayFinancialStatus)),
	}
	if out.PlacedAt.IsZero() {
		out.PlacedAt = o.CreatedAt
	}
	out.Customer = kontor.Customer{Type: kontor.B2C, Email: deref(o.Email), Phone: deref(o.Phone)}
	if cu := o.Customer; cu != nil {
		out.Customer.ShopKey = cu.ID
		out.Customer.Number = legacyID(cu.ID)
		out.Customer.FirstName, out.Customer.LastName = deref(cu.FirstName), deref(cu.LastName)
		out.Customer.TaxExempt = cu.TaxExempt
	}
	if pe := o.PurchasingEntity; pe != nil && pe.PurchasingCompany.Company.ID != "" {
		out.Customer.Type = kontor.B2B
		out.Customer.Company = pe.PurchasingCompany.Company.Name
	}
	if a := o.BillingAddress; a != nil {
		out.Billing = a.address("billing")
	}
	if a := o.ShippingAddress; a != nil {
		out.Shipping = a.address("shipping")
	}
	for _, l := range o.LineItems.Nodes {
		qty := decimal.NewFromInt(l.Quantity)
		unit := l.OriginalUnitPriceSet.ShopMoney.Amount
		discount := allocated(l.DiscountAllocations)
		tax, rate := taxes(l.TaxLines)
		line := kontor.OrderLine{
			Meta:      kontor.Meta{ShopKey: l.ID},
			SKU:       deref(l.SKU),
			Title:     l.Name,
			Quantity:  qty,
			UnitPrice: money(unit, cur),
			Discount:  money(discount, cur),
			TaxRate:   rate,
		}
		line.Net, line.Tax, line.Gross = split(unit.Mul(qty).Sub(discount), tax, o.TaxesIncluded, cur)
		out.Lines = append(out.Lines, line)
	}
	for _, s := range o.ShippingLines.Nodes {
		tax, rate := taxes(s.TaxLines)
		price := s.DiscountedPriceSet.ShopMoney.Amount
		sl := kontor.ShippingLine{Title: s.Title, Code: deref(s.Code), Carrier: deref(s.CarrierIdentifier), TaxRate: rate}
		sl.Net, sl.Tax, sl.Gross = split(price, tax, o.TaxesIncluded, cur)
		out.ShippingLines = append(out.ShippingLines, sl)
	}
	for _, code := range o.DiscountCodes {
		out.Discounts = append(out.Discounts, kontor.Discount{Code: code, Allocated: true})
	}
	out.Payment = payment(o.Transactions, cur)
	if out.Payment.Status == "" {
		out.Payment.Status = out.PaymentStatus
	}
	tax := o.TotalTaxSet.ShopMoney.Amount
	total := o.TotalPriceSet.ShopMoney.Amount
	out.TotalGross = money(total, cur)
	out.TotalTax = money(tax, cur)
	out.TotalNet = money(total.Sub(tax), cur)
	return out
}

// payment picks the transaction that settled the order: the last
// successful sale or capture, else the last successful authorization.
func payment(ts []transactionNode, cur kontor.Currency) kontor.Payment {
	var pick *transactionNode
	for i := range ts {
		t := &ts[i]
		if t.Status != "SUCCESS" {
			continue
		}
		switch t.Kind {
		case "SALE", "CAPTURE":
			pick = t
		case "AUTHORIZATION":
			if pick == nil || pick.Kind == "AUTHORIZATION" {
				pick = t
			}
		}
	}
	if pick == nil {
		return kontor.Payment{}
	}
	p := kontor.Payment{
		Gateway:       deref(pick.Gateway),
		Method:        deref(pick.Gateway),
		TransactionID: deref(pick.AuthorizationCode),
		Amount:        money(pick.AmountSet.ShopMoney.Amount, cur),
	}
	if p.TransactionID == "" {
		p.TransactionID = legacyID(pick.ID)
	}
	if pick.Kind == "AUTHORIZATION" {
		p.Status = kontor.PaymentAuthorized
	} else {
		p.Status = kontor.PaymentPaid
	}
	if pick.ProcessedAt != nil {
		p.PaidAt = *pick.ProcessedAt
	}
	return p
}

func allocated(as []discountAllocation) decimal.Decimal {
	var s decimal.Decimal
	for _, a := range as {
		s = s.Add(a.AllocatedAmountSet.ShopMoney.Amount)
	}
	return s
}

func taxes(lines []taxLine) (amount, ratePercent decimal.Decimal) {
	for _, t := range lines {
		amount = amount.Add(t.PriceSet.ShopMoney.Amount)
		if t.RatePercentage != nil {
			ratePercent = ratePercent.Add(*t.RatePercentage)
		}
	}
	return amount, ratePercent
}

func (a *mailingAddress) address(kind string) kontor.Address {
	return kontor.Address{Kind: kind, FirstName: deref(a.FirstName), LastName: deref(a.LastName), Company: deref(a.Company),
		Street: deref(a.Address1), Street2: deref(a.Address2), PostalCode: deref(a.Zip), City: deref(a.City),
		Region: deref(a.ProvinceCode), Country: deref(a.CountryCodeV2), Phone: deref(a.Phone)}
}

// orderStatus maps Shopify's displayFulfillmentStatus.
func orderStatus(fulfillment string, cancelled, closed bool) kontor.OrderStatus {
	if cancelled {
		return kontor.OrderCancelled
	}
	switch fulfillment {
	case "FULFILLED":
		if closed {
			return kontor.OrderCompleted
		}
		return kontor.OrderShipped
	case "PARTIALLY_FULFILLED":
		return kontor.OrderPartiallyShipped
	case "ON_HOLD":
		return kontor.OrderOnHold
	case "RESTOCKED":
		return kontor.OrderCancelled
	}
	return kontor.OrderProcessing
}

// paymentStatus maps Shopify's financial status (the GraphQL enum, or the
// REST value upper-cased).
func paymentStatus(s string) kontor.PaymentStatus {
	switch s {
	case "PENDING":
		return kontor.PaymentPending
	case "AUTHORIZED":
		return kontor.PaymentAuthorized
	case "PAID":
		return kontor.PaymentPaid
	case "PARTIALLY_PAID":
		return kontor.PaymentPartiallyPaid
	case "PARTIALLY_REFUNDED":
		return kontor.PaymentPartiallyRefunded
	case "REFUNDED":
		return kontor.PaymentRefunded
	case "VOIDED":
		return kontor.PaymentVoided
	case "EXPIRED":
		return kontor.PaymentFailed
	}
	return ""
}

// orderNames looks up the numbers of orders by their GIDs, best effort:
// what cannot be read in time is missing from the map.
func (c *Client) orderNames(ctx context.Context, gids []string) map[string]string {
	out := make(map[string]string, len(gids))
	for chunk := range chunks(gids, maxPageSize) {
		var q struct {
			Nodes []struct {
				Order struct {
					ID   string
					Name string
				} `graphql:"... on Order"`
			} `graphql:"nodes(ids: $ids)"`
		}
		ids := make([]graphql.ID, len(chunk))
		for i, g := range chunk {
			ids[i] = graphql.ID(g)
		}
		if err := c.query(ctx, "OrderNames", &q, map[string]any{"ids": ids}); err != nil {
			return out
		}
		for _, n := range q.Nodes {
			if n.Order.ID != "" {
				out[n.Order.ID] = n.Order.Name
			}
		}
	}
	return out
}

// chunks splits s into slices of at most n.
func chunks[T any](s []T, n int) iter.Seq[[]T] {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// number formats a quantity for Shopify's Int fields.
func number(d decimal.Decimal) (int, error) {
	if !d.Equal(d.Truncate(0)) {
		return 0, fmt.Errorf("%s is not a whole number", d)
	}
	if d.Abs().GreaterThan(decimal.NewFromInt(2_000_000_000)) {
		return 0, fmt.Errorf("%s is out of range", d)
	}
	return int(d.IntPart()), nil
}
