package kontor

import (
	"time"

	"github.com/shopspring/decimal"
)

// StockLevel is the stock of one SKU at one location: it flows from the ERP to
// the shop, and committed quantities flow back. Quantities are decimals since
// goods sold by length or weight have fractional stock.
type StockLevel struct {
	Meta
	SKU string `json:"sku"` // the variant's SKU
	// Location is the ERP warehouse or the shop location; empty is the
	// default one.
	Location string `json:"location,omitempty"`
	// Available is the free stock the source reports. What a shop is
	// told is computed from it by the engine's stock policy (by default
	// Available − Reserved − SafetyStock, never negative).
	Available decimal.Decimal `json:"available"`
	// OnHand is physically in the warehouse.
	OnHand decimal.Decimal `json:"on_hand"`
	// Reserved is promised to open orders.
	Reserved decimal.Decimal `json:"reserved"`
	// Incoming is on order from suppliers, expected on IncomingDate.
	Incoming     decimal.Decimal `json:"incoming"`
	IncomingDate time.Time       `json:"incoming_date,omitzero"`
	// LeadTimeDays is how long a restock takes when nothing is incoming.
	LeadTimeDays int `json:"lead_time_days,omitempty"`
	// SafetyStock is kept back and never offered to a shop.
	SafetyStock decimal.Decimal `json:"safety_stock"`
}

// Key returns "SKU" or "SKU@location".
func (s *StockLevel) Key() string {
	if s.Location == "" {
		return s.SKU
	}
	return s.SKU + "@" + s.Location
}

// Validate checks the stock level: SKU present, no negative quantity and no
// negative lead time. Available may exceed on hand: some ERPs count incoming
// goods into what they promise.
func (s *StockLevel) Validate() error {
	c := &checker{entity: EntityStock, key: s.Key()}
	c.required("sku", s.SKU)
	c.nonNegative("available", s.Available)
	c.nonNegative("on_hand", s.OnHand)
	c.nonNegative("reserved", s.Reserved)
	c.nonNegative("incoming", s.Incoming)
	c.nonNegative("safety_stock", s.SafetyStock)
	if s.LeadTimeDays < 0 {
		c.fail("lead_time_days", "is %d, must not be negative", s.LeadTimeDays)
	}
	return c.err()
}
