package shopifytest

import (
	"context"

	graphql "github.com/graph-gophers/graphql-go"
)

// fulfillmentCreate, fulfillmentTrackingInfoUpdate, orderCancel and
// orderMarkAsPaid.

type fulfillmentPayloadR struct {
	Fulfillment *fulfillmentR
	UserErrors  []*userError
}

func (root) FulfillmentCreate(ctx context.Context, a struct {
	Fulfillment in[fulfillmentIn]
	Message     *string
}) *fulfillmentPayloadR {
	r := rc(ctx)
	in := a.Fulfillment.V
	var reqs []foRequest
	for i, g := range in.LineItemsByFulfillmentOrder {
		fo, ok := lookup[*fulfillmentOrder](r.st, g.FulfillmentOrderID)
		if !ok {
			return &fulfillmentPayloadR{UserErrors: []*userError{uerr("", "Fulfillment order does not exist.", "fulfillment", "lineItemsByFulfillmentOrder", intStr(i), "fulfillmentOrderId")}}
		}
		rq := foRequest{fo: fo, lines: map[*foLine]int{}}
		if g.FulfillmentOrderLineItems != nil {
			for j, li := range *g.FulfillmentOrderLineItems {
				var fl *foLine
				for _, x := range fo.lines {
					if x.id == li.ID {
						fl = x
					}
				}
				if fl == nil {
					return &fulfillmentPayloadR{UserErrors: []*userError{uerr("", "Fulfillment order line item does not exist.", "fulfillment", "lineItemsByFulfillmentOrder", intStr(i), "fulfillmentOrderLineItems", intStr(j), "id")}}
				}
				rq.lines[fl] += li.Quantity
			}
		}
		reqs = append(reqs, rq)
	}
	var tracks []tracking
	if t := in.TrackingInfo; t != nil {
		var nums, urls []string
		if t.Numbers != nil {
			nums = *t.Numbers
		}
		if t.URLs != nil {
			urls = *t.URLs
		}
		tracks = trackingsFrom(str(t.Company), str(t.Number), str(t.URL), nums, urls)
	}
	notify := in.NotifyCustomer != nil && *in.NotifyCustomer
	f, errs := r.srv.fulfill(r, reqs, tracks, notify)
	if errs != nil {
		return &fulfillmentPayloadR{UserErrors: errs}
	}
	return &fulfillmentPayloadR{Fulfillment: newFulfillmentR(f), UserErrors: []*userError{}}
}

func (root) FulfillmentTrackingInfoUpdate(ctx context.Context, a struct {
	FulfillmentId     graphql.ID
	TrackingInfoInput in[trackingIn]
	NotifyCustomer    *bool
}) *fulfillmentPayloadR {
	r := rc(ctx)
	f, ok := lookup[*fulfillment](r.st, string(a.FulfillmentId))
	if !ok {
		return &fulfillmentPayloadR{UserErrors: []*userError{uerr("", "Fulfillment does not exist.", "fulfillmentId")}}
	}
	t := a.TrackingInfoInput.V
	var nums, urls []string
	if t.Numbers != nil {
		nums = *t.Numbers
	}
	if t.URLs != nil {
		urls = *t.URLs
	}
	f.tracking = trackingsFrom(str(t.Company), str(t.Number), str(t.URL), nums, urls)
	if a.NotifyCustomer != nil {
		f.notify = *a.NotifyCustomer
	}
	f.updatedAt = r.now
	f.order.updatedAt = r.now
	r.fire("fulfillments/update", r.srv.restFulfillment(f))
	r.fire("orders/updated", r.srv.restOrder(f.order))
	return &fulfillmentPayloadR{Fulfillment: newFulfillmentR(f), UserErrors: []*userError{}}
}

type orderCancelPayloadR struct {
	Job                   *jobR
	OrderCancelUserErrors []*userError
	UserErrors            []*userError
}

type jobR struct {
	ID   graphql.ID
	Done bool
}

func (root) OrderCancel(ctx context.Context, a struct {
	OrderId        graphql.ID
	Reason         string
	Refund         *bool
	RefundMethod   in[refundMethodIn]
	Restock        bool
	NotifyCustomer bool
	StaffNote      *string
}) *orderCancelPayloadR {
	r := rc(ctx)
	o, ok := lookup[*order](r.st, string(a.OrderId))
	if !ok {
		e := uerr("NOT_FOUND", "Order does not exist", "orderId")
		return &orderCancelPayloadR{OrderCancelUserErrors: []*userError{e}, UserErrors: []*userError{uerr("", e.Message, "orderId")}}
	}
	doRefund := (a.Refund != nil && *a.Refund) ||
		(a.RefundMethod.Set && a.RefundMethod.V.OriginalPaymentMethodsRefund != nil && *a.RefundMethod.V.OriginalPaymentMethodsRefund)
	if e := r.srv.cancelOrder(r, o, a.Reason, doRefund, a.Restock); e != nil {
		return &orderCancelPayloadR{OrderCancelUserErrors: []*userError{e}, UserErrors: []*userError{uerr("", e.Message, "orderId")}}
	}
	id, _ := r.st.newID("Job")
	return &orderCancelPayloadR{Job: &jobR{ID: graphql.ID(id), Done: true}, OrderCancelUserErrors: []*userError{}, UserErrors: []*userError{}}
}

type orderPayloadR struct {
	Order      *orderR
	UserErrors []*userError
}

func (root) OrderMarkAsPaid(ctx context.Context, a struct{ Input in[orderMarkAsPaidIn] }) *orderPayloadR {
	r := rc(ctx)
	o, ok := lookup[*order](r.st, a.Input.V.ID)
	if !ok {
		return &orderPayloadR{UserErrors: []*userError{uerr("", "Order does not exist", "id")}}
	}
	if e := r.srv.markPaid(r, o); e != nil {
		return &orderPayloadR{Order: newOrderR(o), UserErrors: []*userError{e}}
	}
	return &orderPayloadR{Order: newOrderR(o), UserErrors: []*userError{}}
}
