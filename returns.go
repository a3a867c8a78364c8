package kontor

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// ReturnStatus is where a return stands.
type ReturnStatus string

// Return statuses.
const (
	ReturnRequested ReturnStatus = "requested"
	ReturnApproved  ReturnStatus = "approved"
	ReturnRejected  ReturnStatus = "rejected"
	ReturnReceived  ReturnStatus = "received"
	ReturnRefunded  ReturnStatus = "refunded"
	ReturnClosed    ReturnStatus = "closed"
)

var returnStatuses = []string{string(ReturnRequested), string(ReturnApproved), string(ReturnRejected),
	string(ReturnReceived), string(ReturnRefunded), string(ReturnClosed)}

// Return is goods coming back, and the credit note or refund that settles
// them: it flows from the shop to the ERP, and its status flows back.
//
// A return without lines is an amount-only credit: a refund of money
// without goods (a goodwill refund, a price adjustment, a refunded
// shipping charge), which shops such as WooCommerce record as a refund
// without line items. It needs a positive Refund; the ERP books it as one
// credit line of that amount.
type Return struct {
	Meta
	Number      string       `json:"number"`              // the return or RMA number
	OrderNumber string       `json:"order_number"`        // the order it returns goods of
	OrderKeys   Meta         `json:"order_keys,omitzero"` // the order's keys in both worlds, when known
	Lines       []ReturnLine `json:"lines"`               // empty: an amount-only credit of Refund
	Reason      string       `json:"reason,omitempty"`    // the customer's reason
	// Refund is the total refunded to the customer, gross.
	Refund Money        `json:"refund"`
	Status ReturnStatus `json:"status"`
	// CreditNote is the ERP's credit memo number once issued.
	CreditNote string    `json:"credit_note,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
}

// ReturnLine is a quantity of one SKU coming back.
type ReturnLine struct {
	SKU      string          `json:"sku"`
	Quantity decimal.Decimal `json:"quantity"`         // positive
	Reason   string          `json:"reason,omitempty"` // a reason code
	// Restock says the goods go back into sellable stock.
	Restock bool  `json:"restock,omitempty"`
	Refund  Money `json:"refund,omitzero"` // gross
}

// Key returns the return number.
func (r *Return) Key() string { return r.Number }

// Validate checks the return: numbers, a known status, lines with positive
// quantities, a non-negative refund in one currency that line refunds, where
// given, add up to. A return without lines is valid only as an amount-only
// credit, with a positive refund.
func (r *Return) Validate() error {
	c := &checker{entity: EntityReturn, key: r.Number}
	c.required("number", r.Number)
	c.required("order_number", r.OrderNumber)
	c.oneOf("status", string(r.Status), returnStatuses...)
	if r.Status == "" {
		c.fail("status", "is required")
	}
	if r.Refund.Currency == "" {
		c.fail("refund.currency", "is required")
	}
	c.money("refund", r.Refund, "", false)
	if len(r.Lines) == 0 && !r.Refund.Amount.IsPositive() {
		c.fail("lines", "a return needs at least one line, or a positive refund as an amount-only credit")
	}
	var sum decimal.Decimal
	perLine := false
	for i, l := range r.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		c.required(f+".sku", l.SKU)
		if !l.Quantity.IsPositive() {
			c.fail(f+".quantity", "is %s, must be positive", l.Quantity)
		}
		if !l.Refund.IsZero() {
			perLine = true
			c.money(f+".refund", l.Refund, r.Refund.Currency, false)
			sum = sum.Add(l.Refund.Amount)
		}
	}
	if perLine && r.Refund.Currency != "" {
		c.near("refund", r.Refund.Amount, sum, OrderTolerance(r.Refund.Currency, len(r.Lines)), "the line refunds")
	}
	return c.err()
}
