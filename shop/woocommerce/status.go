package woocommerce

import (
	"context"
	"iter"
	"net/url"
	"strings"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
)

// WooCommerce's order statuses, and the ones the Advanced Shipment
// Tracking plugin adds.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusOnHold     = "on-hold"
	StatusCompleted  = "completed"
	StatusCancelled  = "cancelled"
	StatusRefunded   = "refunded"
	StatusFailed     = "failed"
	StatusTrash      = "trash"
)

// statusesIn maps WooCommerce order statuses to kontor's. refunded and
// trash are cancelled orders (the payment status says refunded); failed is
// a pending order whose payment failed, which the customer may still pay.
// The custom statuses of shipment plugins (AST's partial-shipped, shipped,
// delivered) map to their kontor namesakes.
var statusesIn = map[string]kontor.OrderStatus{
	StatusPending:     kontor.OrderPending,
	"checkout-draft":  kontor.OrderPending,
	StatusProcessing:  kontor.OrderProcessing,
	StatusOnHold:      kontor.OrderOnHold,
	StatusCompleted:   kontor.OrderCompleted,
	StatusCancelled:   kontor.OrderCancelled,
	StatusRefunded:    kontor.OrderCancelled,
	StatusFailed:      kontor.OrderPending,
	StatusTrash:       kontor.OrderCancelled,
	"partial-shipped": kontor.OrderPartiallyShipped,
	"shipped":         kontor.OrderShipped,
	"delivered":       kontor.OrderDelivered,
}

// OrderStatusIn returns the kontor status of a WooCommerce order status
// (with or without the "wc-" prefix). An unknown custom status is returned
// as it is, so that the order fails validation naming it rather than
// being filed under a guess.
func OrderStatusIn(s string) kontor.OrderStatus {
	s = strings.TrimPrefix(s, "wc-")
	if k, ok := statusesIn[s]; ok {
		return k
	}
	return kontor.OrderStatus(s)
}

// StatusTable returns the table from kontor order statuses to
// WooCommerce's that status updates are written with: shipped and
// delivered orders are completed (WooCommerce core has no shipping
// statuses), a partially shipped one stays processing. Pass a changed copy
// to WithStatusTable for a shop with shipping statuses of its own.
func StatusTable() *mapping.ValueMap {
	vm, err := mapping.OrderStatusTable(map[kontor.OrderStatus]string{
		kontor.OrderPending:          StatusPending,
		kontor.OrderProcessing:       StatusProcessing,
		kontor.OrderOnHold:           StatusOnHold,
		kontor.OrderPartiallyShipped: StatusProcessing,
		kontor.OrderShipped:          StatusCompleted,
		kontor.OrderDelivered:        StatusCompleted,
		kontor.OrderCompleted:        StatusCompleted,
		kontor.OrderCancelled:        StatusCancelled,
	})
	if err != nil {
		panic(err) // the table above is fixed
	}
	return vm
}

// WithStatusTable replaces StatusTable for status updates written to the
// shop, e.g. to map kontor.OrderShipped to a plugin's "shipped" status.
func WithStatusTable(vm *mapping.ValueMap) Option {
	return func(c *config) error {
		if vm == nil {
			return errString("woocommerce: nil status table")
		}
		c.statusOut = vm
		return nil
	}
}

// WriteStatusUpdates applies order and payment status changes to the
// updates' orders, through /orders/batch. An order is the one with the id
// in OrderKeys.ShopKey where the update has it, else the one with the
// update's number (findOrders). The order
// status goes through the status table; a payment status of paid sets
// set_paid (WooCommerce records the payment and moves a pending order to
// processing), refunded and failed set those order statuses. Returns have
// no status in WooCommerce: a return status fails with
// kontor.KindPermanent. An order that already has the status is Unchanged;
// an unknown order fails with kontor.KindNotFound.
func (c *Client) WriteStatusUpdates(ctx context.Context, updates []kontor.StatusUpdate) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "write status"
	results := make([]kontor.Result, len(updates))
	var numbers []string
	known := map[string]string{}
	for i := range updates {
		u := &updates[i]
		results[i].Key = u.Key()
		if err := u.Validate(); err != nil {
			results[i] = failed(u.Key(), err)
			continue
		}
		if u.ReturnStatus != "" {
			results[i] = failed(u.Key(), permanent(op, "WooCommerce has no returns whose status could be set"))
			continue
		}
		numbers = append(numbers, u.OrderNumber)
		if u.OrderKeys.ShopKey != "" {
			known[u.OrderNumber] = u.OrderKeys.ShopKey
		}
	}
	if len(numbers) == 0 {
		return results, nil
	}
	orders, err := c.findOrders(ctx, numbers, known)
	if err != nil {
		return nil, err
	}
	table := c.cfg.statusOut
	if table == nil {
		table = StatusTable()
	}
	var ops []batchOp
	pos := map[int64]int{} // order id → op, so two updates of one order make one
	for i := range updates {
		u := &updates[i]
		if results[i].Err != nil || results[i].Outcome == kontor.Failed {
			continue
		}
		o := orders[u.OrderNumber]
		if o == nil {
			results[i] = failed(u.Key(), notFound(op, "no order has number %q", u.OrderNumber))
			continue
		}
		body := map[string]any{"id": o.ID}
		status := ""
		if u.OrderStatus != "" {
			s, err := table.Lookup(string(u.OrderStatus))
			if err != nil {
				results[i] = failed(u.Key(), permanent(op, "%v", err))
				continue
			}
			status = s
		}
		switch u.PaymentStatus {
		case kontor.PaymentRefunded:
			status = StatusRefunded
		case kontor.PaymentFailed:
			status = StatusFailed
		case kontor.PaymentPaid:
			if o.DatePaidGMT.IsZero() {
				body["set_paid"] = true
			}
		}
		if status != "" && status != strings.TrimPrefix(o.Status, "wc-") {
			body["status"] = status
		}
		target := kontor.Meta{ShopKey: idString(o.ID), UpdatedAt: o.DateModifiedGMT.Time}
		if len(body) == 1 {
			results[i] = kontor.Result{Key: u.Key(), Outcome: kontor.Unchanged, Target: target}
			continue
		}
		results[i] = kontor.Result{Key: u.Key(), Outcome: kontor.Updated, Target: target}
		if k, ok := pos[o.ID]; ok {
			prev := ops[k].body.(map[string]any)
			for key, v := range body {
				prev[key] = v
			}
			continue
		}
		pos[o.ID] = len(ops)
		ops = append(ops, batchOp{body: body})
	}
	rs, err := c.batch(ctx, "/orders/batch", ops)
	if err != nil {
		return nil, err
	}
	byOrder := map[int64]batchResult{}
	for k, r := range rs {
		id := ops[k].body.(map[string]any)["id"].(int64)
		byOrder[id] = r
	}
	for i := range updates {
		if results[i].Outcome != kontor.Updated {
			continue
		}
		id := orders[updates[i].OrderNumber].ID
		r := byOrder[id]
		if r.err != nil {
			results[i] = failed(updates[i].Key(), r.err)
			continue
		}
		results[i].Target.UpdatedAt = r.modified.Time
	}
	return results, nil
}

// ReadStatusUpdates reads the order and payment status of the orders
// changed since the cursor, one update per order, as the shop's own
// changes (a cancellation in the shop's back office, a payment).
func (c *Client) ReadStatusUpdates(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error] {
	return func(yield func(kontor.StatusUpdate, error) bool) {
		stopped := false
		err := keysetRead(ctx, c, "/orders", url.Values{"status": {"any"}}, since.Since, func(o *Order) bool {
			num := o.Number
			if num == "" {
				num = idString(o.ID)
			}
			u := kontor.StatusUpdate{
				Meta:          kontor.Meta{ShopKey: idString(o.ID), UpdatedAt: o.DateModifiedGMT.Time},
				OrderNumber:   num,
				OrderKeys:     kontor.Meta{ShopKey: idString(o.ID)},
				OrderStatus:   OrderStatusIn(o.Status),
				PaymentStatus: paymentStatusIn(o),
				Source:        kontor.SideShop,
				At:            o.DateModifiedGMT.Time,
			}
			if !yield(u, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(kontor.StatusUpdate{}, err)
		}
	}
}
