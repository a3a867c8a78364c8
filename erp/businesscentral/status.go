package businesscentral

import (
	"context"
	"encoding/json"
	"iter"
	"log/slog"
	"time"

	"github.com/kontor-dev/kontor"
)

// bcOrder is what the status read takes of a sales order.
type bcOrder struct {
	ID                     string        `json:"id"`
	Number                 string        `json:"number"`
	ExternalDocumentNumber string        `json:"externalDocumentNumber"`
	Status                 string        `json:"status"`
	FullyShipped           bool          `json:"fullyShipped"`
	LastModified           time.Time     `json:"lastModifiedDateTime"`
	Lines                  []bcOrderLine `json:"salesOrderLines"`
}

type bcOrderLine struct {
	Quantity        num `json:"quantity"`
	ShippedQuantity num `json:"shippedQuantity"`
}

// orderStatusOf derives the fulfilment status of a sales order: shipped
// when fully shipped, partially shipped when any line shipped some,
// processing otherwise (the ERP has the order, whatever its document
// status: Draft, In Review, Open or Released).
func orderStatusOf(o bcOrder) kontor.OrderStatus {
	if o.FullyShipped {
		return kontor.OrderShipped
	}
	for _, l := range o.Lines {
		if l.ShippedQuantity.IsPositive() {
			return kontor.OrderPartiallyShipped
		}
	}
	return kontor.OrderProcessing
}

// bcInvoice is what the status read takes of a sales invoice.
type bcInvoice struct {
	ID                      string    `json:"id"`
	Number                  string    `json:"number"`
	ExternalDocumentNumber  string    `json:"externalDocumentNumber"`
	OrderNumber             string    `json:"orderNumber"`
	Status                  string    `json:"status"`
	RemainingAmount         num       `json:"remainingAmount"`
	TotalAmountIncludingTax num       `json:"totalAmountIncludingTax"`
	LastModified            time.Time `json:"lastModifiedDateTime"`
}

// paymentStatusOf derives the payment status of an invoiced order from its
// sales invoice: Paid is paid; Open (posted, not settled) is pending, or
// partially paid when some of it was paid; Canceled is voided; Corrective
// (a corrective credit memo cancelled it) is refunded. Draft and In Review
// invoices are not posted yet and say nothing ("").
func paymentStatusOf(inv bcInvoice) kontor.PaymentStatus {
	switch inv.Status {
	case "Paid":
		return kontor.PaymentPaid
	case "Open":
		if inv.RemainingAmount.set && inv.TotalAmountIncludingTax.IsPositive() &&
			inv.RemainingAmount.LessThan(inv.TotalAmountIncludingTax.Decimal) && inv.RemainingAmount.IsPositive() {
			return kontor.PaymentPartiallyPaid
		}
		return kontor.PaymentPending
	case "Canceled":
		return kontor.PaymentVoided
	case "Corrective":
		return kontor.PaymentRefunded
	}
	return ""
}

// ReadStatusUpdates streams the status of the sales orders changed at or
// after since.Since (fulfilment: processing, partially shipped, shipped),
// then the payment status of the sales invoices changed since. Each names
// the shop's order number (the external document number) where there is
// one, else Business Central's order number; an order's update carries
// the sales order's id in OrderKeys.ERPKey. Orders and invoices are read
// one after the other, so the updates are in change order per document
// type, not overall.
func (c *Connector) ReadStatusUpdates(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error] {
	return func(yield func(kontor.StatusUpdate, error) bool) {
		u, err := c.companyURL(ctx, "salesOrders")
		if err != nil {
			yield(kontor.StatusUpdate{}, err)
			return
		}
		q := filtered(changedSince("lastModifiedDateTime", since.Since)).set("$expand", "salesOrderLines")
		decodeOrder := func(raw json.RawMessage) ([]decoded[kontor.StatusUpdate], error) {
			var o bcOrder
			if err := json.Unmarshal(raw, &o); err != nil {
				return nil, malformed(kontor.EntityStatus, firstNonEmpty(o.ExternalDocumentNumber, o.Number), err)
			}
			su := kontor.StatusUpdate{
				Meta:        kontor.Meta{ERPKey: o.ID, UpdatedAt: o.LastModified},
				OrderNumber: firstNonEmpty(o.ExternalDocumentNumber, o.Number),
				OrderKeys:   kontor.Meta{ERPKey: o.ID},
				OrderStatus: orderStatusOf(o),
				Source:      kontor.SideERP,
				At:          o.LastModified,
			}
			return []decoded[kontor.StatusUpdate]{{v: su, key: su.OrderNumber, updated: o.LastModified}}, nil
		}
		for su, err := range readEntities(ctx, c.collection(ctx, u, q), since.Since, decodeOrder) {
			if !yield(su, err) || err != nil {
				return
			}
		}
		u, err = c.companyURL(ctx, "salesInvoices")
		if err != nil {
			yield(kontor.StatusUpdate{}, err)
			return
		}
		q = filtered(changedSince("lastModifiedDateTime", since.Since)).
			set("$select", "id,number,externalDocumentNumber,orderNumber,status,remainingAmount,totalAmountIncludingTax,lastModifiedDateTime")
		decodeInvoice := func(raw json.RawMessage) ([]decoded[kontor.StatusUpdate], error) {
			var inv bcInvoice
			if err := json.Unmarshal(raw, &inv); err != nil {
				return nil, malformed(kontor.EntityStatus, firstNonEmpty(inv.ExternalDocumentNumber, inv.OrderNumber, inv.Number), err)
			}
			ps := paymentStatusOf(inv)
			order := firstNonEmpty(inv.ExternalDocumentNumber, inv.OrderNumber)
			if ps == "" || order == "" {
				return nil, nil // a draft, or an invoice of no order
			}
			su := kontor.StatusUpdate{
				Meta:          kontor.Meta{ERPKey: inv.ID, UpdatedAt: inv.LastModified},
				OrderNumber:   order,
				PaymentStatus: ps,
				Source:        kontor.SideERP,
				At:            inv.LastModified,
			}
			return []decoded[kontor.StatusUpdate]{{v: su, key: order, updated: inv.LastModified}}, nil
		}
		if c.noInvoices.Load() {
			return
		}
		for su, err := range readEntities(ctx, c.collection(ctx, u, q), since.Since, decodeInvoice) {
			if err != nil && unsupported(err) {
				// A server without salesInvoices: no payment status.
				c.noInvoices.Store(true)
				c.logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: the API has no salesInvoices; payment status is not read")
				return
			}
			if !yield(su, err) || err != nil {
				return
			}
		}
	}
}
