package kontor

import "time"

// Side names a side of the sync.
type Side string

// The two sides.
const (
	SideERP  Side = "erp"
	SideShop Side = "shop"
)

// StatusUpdate is a change of an order's, its payment's or a return's
// status, flowing either way: the ERP cancels an order, the shop marks it
// paid, the warehouse delivers it. A writer finds the order by the key of
// its own side in OrderKeys (ShopKey in the shop, ERPKey in the ERP) where
// it is set, else by OrderNumber; Key stays the number either way.
type StatusUpdate struct {
	Meta
	OrderNumber   string        `json:"order_number"`             // the order concerned
	OrderKeys     Meta          `json:"order_keys,omitzero"`      // the order's keys in both worlds, when known
	OrderStatus   OrderStatus   `json:"order_status,omitempty"`   // empty: unchanged
	PaymentStatus PaymentStatus `json:"payment_status,omitempty"` // empty: unchanged
	ReturnNumber  string        `json:"return_number,omitempty"`  // the return concerned, with ReturnStatus
	ReturnStatus  ReturnStatus  `json:"return_status,omitempty"`  // empty: unchanged
	// Source is the side where the change happened.
	Source Side      `json:"source"`
	At     time.Time `json:"at"`               // when the status changed
	Reason string    `json:"reason,omitempty"` // e.g. a cancellation reason
}

// Key returns the order number, or "order/return" for a return status.
func (s *StatusUpdate) Key() string {
	if s.ReturnNumber != "" {
		return s.OrderNumber + "/" + s.ReturnNumber
	}
	return s.OrderNumber
}

// Validate checks the update: an order number, a side, a time, at least
// one status, known status values, and a return number with a return
// status.
func (s *StatusUpdate) Validate() error {
	c := &checker{entity: EntityStatus, key: s.Key()}
	c.required("order_number", s.OrderNumber)
	c.oneOf("source", string(s.Source), string(SideERP), string(SideShop))
	if s.Source == "" {
		c.fail("source", "is required")
	}
	if s.At.IsZero() {
		c.fail("at", "is required")
	}
	if s.OrderStatus == "" && s.PaymentStatus == "" && s.ReturnStatus == "" {
		c.fail("order_status", "an order, payment or return status is required")
	}
	c.oneOf("order_status", string(s.OrderStatus), orderStatuses...)
	c.oneOf("payment_status", string(s.PaymentStatus), paymentStatuses...)
	c.oneOf("return_status", string(s.ReturnStatus), returnStatuses...)
	if s.ReturnStatus != "" && s.ReturnNumber == "" {
		c.fail("return_number", "is required with a return status")
	}
	return c.err()
}
