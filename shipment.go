package kontor

import (
	"fmt"
	"net/url"
	"time"

	"github.com/shopspring/decimal"
)

// Shipment is a parcel (or several) sent for an order, with its tracking:
// it flows from the ERP or the warehouse to the shop, which tells the
// customer.
type Shipment struct {
	Meta
	// Number is the shipment or delivery note number.
	Number      string         `json:"number"`
	OrderNumber string         `json:"order_number"`        // the order it ships
	OrderKeys   Meta           `json:"order_keys,omitzero"` // the order's keys in both worlds, when known
	Lines       []ShipmentLine `json:"lines,omitempty"`     // empty: the whole order
	Carrier     string         `json:"carrier,omitempty"`   // "DHL", "DPD", "UPS"
	Service     string         `json:"service,omitempty"`   // "Paket", "Express"
	Tracking    []Tracking     `json:"tracking,omitempty"`  // one per parcel
	ShippedAt   time.Time      `json:"shipped_at,omitzero"`
	// NotifyCustomer asks the shop to send its shipping e-mail.
	NotifyCustomer bool `json:"notify_customer,omitempty"`
}

// ShipmentLine is a quantity of one order line in a shipment.
type ShipmentLine struct {
	SKU      string          `json:"sku"`
	Quantity decimal.Decimal `json:"quantity"` // positive
	// OrderLine is the order line's key where the SKU is ambiguous.
	OrderLine string `json:"order_line,omitempty"`
}

// Tracking is one parcel's tracking number and link.
type Tracking struct {
	Number string `json:"number"`        // the carrier's tracking number
	URL    string `json:"url,omitempty"` // where the customer follows the parcel
}

// Key returns the shipment number.
func (s *Shipment) Key() string { return s.Number }

// Validate checks the shipment: its number and order number, positive line
// quantities, and tracking numbers with absolute http(s) URLs.
func (s *Shipment) Validate() error {
	c := &checker{entity: EntityShipment, key: s.Number}
	c.required("number", s.Number)
	c.required("order_number", s.OrderNumber)
	for i, l := range s.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.SKU == "" && l.OrderLine == "" {
			c.fail(f+".sku", "a SKU or an order line key is required")
		}
		if !l.Quantity.IsPositive() {
			c.fail(f+".quantity", "is %s, must be positive", l.Quantity)
		}
	}
	for i, t := range s.Tracking {
		f := fmt.Sprintf("tracking[%d]", i)
		c.required(f+".number", t.Number)
		if t.URL != "" {
			c.check(f+".url", checkHTTPURL(t.URL))
		}
	}
	return c.err()
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("is not an absolute http(s) URL")
	}
	return nil
}
