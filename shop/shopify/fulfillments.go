package shopify

import (
	"context"
	"fmt"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"

	"github.com/kontor-dev/kontor"
)

// Shipments become fulfillments of the order's open fulfillment orders
// (fulfillmentCreate), with the carrier, tracking numbers and URLs and
// the notify flag. Status updates cancel an order (orderCancel), mark it
// paid (orderMarkAsPaid), or fulfil what is still open.

// orderByNameQuery finds an order by its number with its fulfillment
// orders and fulfillments.
type orderByNameQuery struct {
	Orders struct {
		Nodes []orderFulfillmentNode
	} `graphql:"orders(first: 1, query: $query)"`
}

type orderFulfillmentNode struct {
	ID                     string
	Name                   string
	CancelledAt            *time.Time
	DisplayFinancialStatus *string
	CanMarkAsPaid          bool
	FulfillmentOrders      struct {
		Nodes []struct {
			ID        string
			Status    string
			LineItems struct {
				Nodes    []foLineNode
				PageInfo pageInfo
			} `graphql:"lineItems(first: 50)"`
		}
	} `graphql:"fulfillmentOrders(first: 5)"`
	Fulfillments []struct {
		ID           string
		Name         string
		TrackingInfo []struct {
			Number *string
		}
	} `graphql:"fulfillments(first: 20)"`
}

// foLineNode is a line of a fulfillment order.
type foLineNode struct {
	ID                string
	SKU               *string `graphql:"sku"`
	RemainingQuantity int
	LineItem          struct{ ID string }
}

// foLinesPage is the page size of the follow-up reads of a fulfillment
// order's lines: requested cost 1 + 2 + 250·2 = 503 points, under the
// 1,000-point cap of a single query.
const foLinesPage = maxPageSize

// foLinesCost is the requested cost of a fulfillmentOrderLinesQuery.
const foLinesCost = 3 + 2*foLinesPage

// fulfillmentOrderLinesQuery pages the lines of a fulfillment order with
// more than the 50 that orderByNameQuery reads.
type fulfillmentOrderLinesQuery struct {
	FulfillmentOrder *struct {
		LineItems struct {
			Nodes    []foLineNode
			PageInfo pageInfo
		} `graphql:"lineItems(first: $first, after: $after)"`
	} `graphql:"fulfillmentOrder(id: $id)"`
}

type fulfillmentCreate struct {
	FulfillmentCreate struct {
		Fulfillment *struct {
			ID        string
			Name      string
			CreatedAt time.Time
		}
		UserErrors []userError
	} `graphql:"fulfillmentCreate(fulfillment: $fulfillment, message: $message)"`
}

// fulfillmentInput is FulfillmentInput.
type fulfillmentInput struct {
	LineItemsByFulfillmentOrder []fulfillmentOrderLineItemsInput `json:"lineItemsByFulfillmentOrder"`
	NotifyCustomer              bool                             `json:"notifyCustomer"`
	TrackingInfo                *fulfillmentTrackingInput        `json:"trackingInfo,omitempty"`
}

func (fulfillmentInput) GetGraphQLType() string { return "FulfillmentInput" }

type fulfillmentOrderLineItemsInput struct {
	FulfillmentOrderID        string                          `json:"fulfillmentOrderId"`
	FulfillmentOrderLineItems []fulfillmentOrderLineItemInput `json:"fulfillmentOrderLineItems,omitempty"`
}

type fulfillmentOrderLineItemInput struct {
	ID       string `json:"id"`
	Quantity int    `json:"quantity"`
}

type fulfillmentTrackingInput struct {
	Company string   `json:"company,omitempty"`
	Numbers []string `json:"numbers,omitempty"`
	URLs    []string `json:"urls,omitempty"`
}

// findOrder reads an order by its number ("#1001").
func (c *Client) findOrder(ctx context.Context, number string) (*orderFulfillmentNode, error) {
	var q orderByNameQuery
	name := strings.TrimPrefix(number, "#")
	if err := c.query(ctx, "OrderByName", &q, map[string]any{"query": "name:" + searchValue(name)}); err != nil {
		return nil, err
	}
	for i := range q.Orders.Nodes {
		if n := &q.Orders.Nodes[i]; n.Name == number || strings.TrimPrefix(n.Name, "#") == name {
			if err := c.foLines(ctx, n); err != nil {
				return nil, err
			}
			return n, nil
		}
	}
	return nil, nil
}

// foLines reads the remaining lines of the order's open fulfillment
// orders that have more than the first page, one query of up to 250
// lines per further page. Closed fulfillment orders are left as read:
// nothing of them is fulfilled.
func (c *Client) foLines(ctx context.Context, o *orderFulfillmentNode) error {
	for i := range o.FulfillmentOrders.Nodes {
		fo := &o.FulfillmentOrders.Nodes[i]
		if !openStatus(fo.Status) {
			continue
		}
		pi := fo.LineItems.PageInfo
		for pi.HasNextPage && pi.EndCursor != nil {
			var q fulfillmentOrderLinesQuery
			vars := map[string]any{"id": graphql.ID(fo.ID), "first": foLinesPage, "after": pi.EndCursor}
			if err := c.query(withCost(ctx, foLinesCost), "FulfillmentOrderLines", &q, vars); err != nil {
				return fmt.Errorf("shopify: reading the lines of fulfillment order %s: %w", fo.ID, err)
			}
			if q.FulfillmentOrder == nil {
				break
			}
			fo.LineItems.Nodes = append(fo.LineItems.Nodes, q.FulfillmentOrder.LineItems.Nodes...)
			pi = q.FulfillmentOrder.LineItems.PageInfo
		}
		fo.LineItems.PageInfo = pageInfo{}
	}
	return nil
}

// openStatus tells whether a fulfillment order can be fulfilled.
func openStatus(status string) bool { return status == "OPEN" || status == "IN_PROGRESS" }

func orderNotFound(entity kontor.Entity, number string) error {
	return &kontor.APIError{System: "shopify", Op: string(entity) + " write", Kind: kontor.KindNotFound,
		Message: fmt.Sprintf("no order %q", number)}
}

// WriteShipments fulfils each shipment's lines (all open lines when it
// lists none) on its order's open fulfillment orders, with the tracking
// company, numbers and URLs and the notify flag. A shipment whose first
// tracking number is already on a fulfillment of the order is Unchanged:
// it was written before (a lost answer, a replayed batch).
func (c *Client) WriteShipments(ctx context.Context, shipments []kontor.Shipment) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]kontor.Result, len(shipments))
	for i := range shipments {
		s := &shipments[i]
		out[i].Key = s.Key()
		if err := s.Validate(); err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		o, err := c.findOrder(ctx, s.OrderNumber)
		if err != nil {
			return nil, err
		}
		if o == nil {
			out[i].Outcome, out[i].Err = kontor.Failed, orderNotFound(kontor.EntityShipment, s.OrderNumber)
			continue
		}
		if f, ok := shippedBefore(o, s); ok {
			out[i].Outcome, out[i].Target = kontor.Unchanged, kontor.Meta{ShopKey: f}
			continue
		}
		in, err := shipmentInput(o, s)
		if err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		f, err := c.fulfill(ctx, s.Key(), in)
		if err != nil {
			return nil, err
		}
		if f.err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, f.err
			continue
		}
		out[i].Outcome, out[i].Target = kontor.Created, kontor.Meta{ShopKey: f.id, UpdatedAt: f.at}
	}
	return out, nil
}

// shippedBefore finds a fulfillment of the order that carries the
// shipment's first tracking number.
func shippedBefore(o *orderFulfillmentNode, s *kontor.Shipment) (string, bool) {
	if len(s.Tracking) == 0 {
		return "", false
	}
	for _, f := range o.Fulfillments {
		for _, t := range f.TrackingInfo {
			if deref(t.Number) == s.Tracking[0].Number {
				return f.ID, true
			}
		}
	}
	return "", false
}

// shipmentInput picks the fulfillment order lines a shipment covers.
func shipmentInput(o *orderFulfillmentNode, s *kontor.Shipment) (fulfillmentInput, error) {
	in := fulfillmentInput{NotifyCustomer: s.NotifyCustomer}
	if len(s.Tracking) > 0 || s.Carrier != "" {
		t := &fulfillmentTrackingInput{Company: s.Carrier}
		for _, tr := range s.Tracking {
			t.Numbers = append(t.Numbers, tr.Number)
			if tr.URL != "" {
				t.URLs = append(t.URLs, tr.URL)
			}
		}
		in.TrackingInfo = t
	}
	want := make(map[string]int) // SKU or line key → quantity still to place
	for li, l := range s.Lines {
		n, err := number(l.Quantity)
		if err != nil {
			return in, &kontor.ValidationError{Entity: kontor.EntityShipment, Key: s.Key(), Field: fmt.Sprintf("lines[%d].quantity", li), Reason: err.Error()}
		}
		k := l.SKU
		if l.OrderLine != "" {
			k = l.OrderLine
		}
		want[k] += n
	}
	for _, fo := range o.FulfillmentOrders.Nodes {
		if !openStatus(fo.Status) {
			continue
		}
		group := fulfillmentOrderLineItemsInput{FulfillmentOrderID: fo.ID}
		for _, li := range fo.LineItems.Nodes {
			if li.RemainingQuantity <= 0 {
				continue
			}
			if len(s.Lines) == 0 {
				group.FulfillmentOrderLineItems = append(group.FulfillmentOrderLineItems, fulfillmentOrderLineItemInput{ID: li.ID, Quantity: li.RemainingQuantity})
				continue
			}
			k := li.LineItem.ID
			if _, ok := want[k]; !ok {
				k = deref(li.SKU)
			}
			if n := min(want[k], li.RemainingQuantity); n > 0 {
				want[k] -= n
				group.FulfillmentOrderLineItems = append(group.FulfillmentOrderLineItems, fulfillmentOrderLineItemInput{ID: li.ID, Quantity: n})
			}
		}
		if n := len(group.FulfillmentOrderLineItems); n > maxPageSize {
			// Shopify refuses an input list longer than 250 for the whole
			// request; refused here, it fails this item alone.
			return in, &kontor.ValidationError{Entity: kontor.EntityShipment, Key: s.Key(), Field: "lines",
				Reason: fmt.Sprintf("covers %d lines of fulfillment order %s; Shopify accepts %d per fulfillment", n, fo.ID, maxPageSize)}
		}
		if len(group.FulfillmentOrderLineItems) > 0 {
			in.LineItemsByFulfillmentOrder = append(in.LineItemsByFulfillmentOrder, group)
		}
	}
	for k, n := range want {
		if n > 0 {
			return in, &kontor.ValidationError{Entity: kontor.EntityShipment, Key: s.Key(), Field: "lines",
				Reason: fmt.Sprintf("%d of %q not open for fulfillment on order %s", n, k, s.OrderNumber)}
		}
	}
	if len(in.LineItemsByFulfillmentOrder) == 0 {
		return in, &kontor.APIError{System: "shopify", Op: "shipment write", Kind: kontor.KindConflict,
			Message: fmt.Sprintf("order %s has nothing open to fulfil", s.OrderNumber)}
	}
	return in, nil
}

type fulfilled struct {
	id  string
	at  time.Time
	err error // the item's error (user errors)
}

// fulfill creates a fulfillment. It is not resent after a lost answer
// (a second one would ship twice); the engine's retry finds the first by
// its tracking number.
func (c *Client) fulfill(ctx context.Context, key string, in fulfillmentInput) (fulfilled, error) {
	var m fulfillmentCreate
	if err := c.mutate(ctx, "FulfillmentCreate", &m, map[string]any{"fulfillment": in, "message": (*string)(nil)}, false); err != nil {
		return fulfilled{}, err
	}
	if err := plainUserErr(kontor.EntityShipment, key, m.FulfillmentCreate.UserErrors); err != nil {
		return fulfilled{err: err}, nil
	}
	f := m.FulfillmentCreate.Fulfillment
	if f == nil {
		return fulfilled{err: fmt.Errorf("shopify fulfillmentCreate: no fulfillment in the answer")}, nil
	}
	return fulfilled{id: f.ID, at: f.CreatedAt}, nil
}

type orderCancel struct {
	OrderCancel struct {
		Job                   *struct{ ID string }
		OrderCancelUserErrors []codedUserError
	} `graphql:"orderCancel(orderId: $orderId, reason: $reason, restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote)"`
}

// orderCancelReason is the OrderCancelReason enum.
type orderCancelReason string

func (orderCancelReason) GetGraphQLType() string { return "OrderCancelReason" }

type orderMarkAsPaid struct {
	OrderMarkAsPaid struct {
		Order *struct {
			ID        string
			UpdatedAt time.Time
		}
		UserErrors []userError
	} `graphql:"orderMarkAsPaid(input: $input)"`
}

type orderMarkAsPaidInput struct {
	ID string `json:"id"`
}

func (orderMarkAsPaidInput) GetGraphQLType() string { return "OrderMarkAsPaidInput" }

// WriteStatusUpdates applies status changes to orders:
//
//   - cancelled cancels the order (restocking its items, without notifying
//     the customer; the reason goes to the staff note);
//   - shipped, delivered and completed fulfil whatever is still open (a
//     delivery is the carrier's to confirm in Shopify);
//   - payment status paid marks the order as paid;
//   - the other order and payment statuses are Shopify's own to derive and
//     are Unchanged; return statuses are not written (KindPermanent).
//
// An order already in the state asked for is Unchanged.
func (c *Client) WriteStatusUpdates(ctx context.Context, updates []kontor.StatusUpdate) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]kontor.Result, len(updates))
	for i := range updates {
		u := &updates[i]
		out[i].Key = u.Key()
		if err := u.Validate(); err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		if u.ReturnStatus != "" {
			out[i].Outcome, out[i].Err = kontor.Failed, kontor.NewError(kontor.KindPermanent, "shopify status write",
				fmt.Errorf("return statuses are managed in Shopify, not written"))
			continue
		}
		o, err := c.findOrder(ctx, u.OrderNumber)
		if err != nil {
			return nil, err
		}
		if o == nil {
			out[i].Outcome, out[i].Err = kontor.Failed, orderNotFound(kontor.EntityStatus, u.OrderNumber)
			continue
		}
		out[i].Target = kontor.Meta{ShopKey: o.ID}
		changed, itemErr, err := c.applyStatus(ctx, o, u)
		if err != nil {
			return nil, err
		}
		if itemErr != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, itemErr
			continue
		}
		out[i].Outcome = kontor.Unchanged
		if changed {
			out[i].Outcome = kontor.Updated
		}
	}
	return out, nil
}

// applyStatus makes the change and reports whether anything changed, or
// the item's own failure, or the failure of the call.
func (c *Client) applyStatus(ctx context.Context, o *orderFulfillmentNode, u *kontor.StatusUpdate) (changed bool, itemErr, err error) {
	switch u.OrderStatus {
	case kontor.OrderCancelled:
		if o.CancelledAt == nil {
			note := u.Reason
			var m orderCancel
			err := c.mutate(ctx, "OrderCancel", &m, map[string]any{"orderId": graphql.ID(o.ID), "reason": orderCancelReason("OTHER"),
				"restock": true, "notifyCustomer": false, "staffNote": &note}, true)
			if err != nil {
				return false, nil, err
			}
			if err := userErr(kontor.EntityStatus, u.Key(), m.OrderCancel.OrderCancelUserErrors); err != nil {
				return false, err, nil
			}
			changed = true
		}
	case kontor.OrderShipped, kontor.OrderDelivered, kontor.OrderCompleted:
		if o.CancelledAt != nil {
			return false, &kontor.APIError{System: "shopify", Op: "status write", Kind: kontor.KindConflict,
				Message: fmt.Sprintf("order %s is cancelled", u.OrderNumber)}, nil
		}
		in, ierr := shipmentInput(o, &kontor.Shipment{Number: u.Key(), OrderNumber: u.OrderNumber})
		if ierr == nil {
			f, err := c.fulfill(ctx, u.Key(), in)
			if err != nil || f.err != nil {
				return false, f.err, err
			}
			changed = true
		} else if kontor.KindOf(ierr) != kontor.KindConflict { // conflict: nothing open, already fulfilled
			return false, ierr, nil
		}
	}
	if u.PaymentStatus == kontor.PaymentPaid && deref(o.DisplayFinancialStatus) != "PAID" && o.CanMarkAsPaid {
		var m orderMarkAsPaid
		if err := c.mutate(ctx, "OrderMarkAsPaid", &m, map[string]any{"input": orderMarkAsPaidInput{ID: o.ID}}, true); err != nil {
			return false, nil, err
		}
		if err := plainUserErr(kontor.EntityStatus, u.Key(), m.OrderMarkAsPaid.UserErrors); err != nil {
			return false, err, nil
		}
		changed = true
	}
	return changed, nil, nil
}
