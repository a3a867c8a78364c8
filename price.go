package kontor

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Price is what one SKU costs for one customer group in a validity window:
// master data that flows from the ERP to the shop.
type Price struct {
	Meta
	SKU string `json:"sku"` // the variant's SKU
	// CustomerGroup is empty for the price everyone pays, else the group
	// (a B2B price list, "wholesale") this price is for.
	CustomerGroup string `json:"customer_group,omitempty"`
	// List is the regular price.
	List Money `json:"list"`
	// Sale is a reduced price, when one applies; shops show List struck
	// through beside it (Shopify's compare-at price).
	Sale *Money `json:"sale,omitempty"`
	// IncludesTax says List, Sale and the tiers are gross prices.
	IncludesTax bool `json:"includes_tax"`
	// Tiers are quantity breaks: from MinQuantity on, the unit price is Amount.
	Tiers []PriceTier `json:"tiers,omitempty"`
	// ValidFrom and ValidTo bound when the price applies; zero is open.
	ValidFrom time.Time `json:"valid_from,omitzero"`
	ValidTo   time.Time `json:"valid_to,omitzero"`
}

// PriceTier is a quantity break.
type PriceTier struct {
	MinQuantity decimal.Decimal `json:"min_quantity"` // from this quantity on
	Amount      Money           `json:"amount"`       // the unit price
}

// Key returns "SKU" or "SKU@group".
func (p *Price) Key() string {
	if p.CustomerGroup == "" {
		return p.SKU
	}
	return p.SKU + "@" + p.CustomerGroup
}

// Validate checks the price: SKU present, one valid currency throughout, no
// negative amounts, a sale price not above the list price, tiers with
// ascending positive minimum quantities, a window that ends after it starts.
func (p *Price) Validate() error {
	c := &checker{entity: EntityPrice, key: p.Key()}
	c.required("sku", p.SKU)
	if p.List.Currency == "" {
		c.fail("list.currency", "is required")
	}
	c.money("list", p.List, "", false)
	if p.Sale != nil {
		c.money("sale", *p.Sale, p.List.Currency, false)
		if p.Sale.Currency == p.List.Currency && p.Sale.Amount.GreaterThan(p.List.Amount) {
			c.fail("sale.amount", "%s is above the list price %s", p.Sale.Amount, p.List.Amount)
		}
	}
	prev := decimal.Zero
	for i, t := range p.Tiers {
		f := fmt.Sprintf("tiers[%d]", i)
		if !t.MinQuantity.GreaterThan(prev) {
			c.fail(f+".min_quantity", "is %s, must be above %s", t.MinQuantity, prev)
		}
		prev = t.MinQuantity
		c.money(f+".amount", t.Amount, p.List.Currency, false)
	}
	c.window("valid_to", p.ValidFrom, p.ValidTo)
	return c.err()
}
