package kontor

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// ProductStatus is a product's lifecycle state.
type ProductStatus string

// Product statuses. A discontinued product is sold off and then hidden; what
// a shop does with it (archive, hide, keep visible while stock lasts) is the
// connector's documented policy.
const (
	ProductActive       ProductStatus = "active"
	ProductDraft        ProductStatus = "draft"
	ProductDiscontinued ProductStatus = "discontinued"
)

// Product is a sellable article with its variants: master data that flows
// from the ERP to the shop.
type Product struct {
	Meta
	SKU              string            `json:"sku"` // the key people use
	Title            string            `json:"title"`
	Description      string            `json:"description,omitempty"` // HTML allowed
	ShortDescription string            `json:"short_description,omitempty"`
	GTIN             string            `json:"gtin,omitempty"` // EAN / UPC / GTIN-14
	MPN              string            `json:"mpn,omitempty"`  // manufacturer part number
	Brand            string            `json:"brand,omitempty"`
	Weight           *Measure          `json:"weight,omitempty"`     // shipping weight
	Dimensions       *Dimensions       `json:"dimensions,omitempty"` // package dimensions
	TaxClass         string            `json:"tax_class,omitempty"`  // e.g. "standard", "reduced"
	Unit             string            `json:"unit,omitempty"`       // base unit of measure, e.g. "PCS"
	Status           ProductStatus     `json:"status"`
	Images           []Image           `json:"images,omitempty"`     // in display order
	Categories       []string          `json:"categories,omitempty"` // paths, "Men > Shirts"
	Attributes       []Attribute       `json:"attributes,omitempty"` // properties shown or filtered on
	Options          []string          `json:"options,omitempty"`    // option names the variants differ in
	Variants         []Variant         `json:"variants,omitempty"`   // none for a simple product
	Tags             []string          `json:"tags,omitempty"`
	Extra            map[string]string `json:"extra,omitempty"` // connector-specific fields
}

// Variant is one buyable form of a product, such as size M in blue. It has
// its own SKU and GTIN.
type Variant struct {
	Meta
	SKU        string        `json:"sku"`             // the key people use
	Title      string        `json:"title,omitempty"` // e.g. "M / Blue"
	GTIN       string        `json:"gtin,omitempty"`
	Options    []OptionValue `json:"options,omitempty"` // one value per product option
	Weight     *Measure      `json:"weight,omitempty"`  // empty: as the product
	Status     ProductStatus `json:"status,omitempty"`  // empty: as the product
	Attributes []Attribute   `json:"attributes,omitempty"`
	ImageURL   string        `json:"image_url,omitempty"` // the variant's picture
}

// OptionValue is a variant's value for one product option: Size = M.
type OptionValue struct {
	Name  string `json:"name"` // one of the product's Options
	Value string `json:"value"`
}

// Attribute is a named property of a product: Material = Cotton.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Image is a product picture.
type Image struct {
	URL      string `json:"url"`                // absolute, publicly reachable
	Alt      string `json:"alt,omitempty"`      // alternative text
	Position int    `json:"position,omitempty"` // 1 is the main picture
}

// Measure is an exact quantity with its unit: 0.25 kg.
type Measure struct {
	Value decimal.Decimal `json:"value"` // non-negative
	Unit  string          `json:"unit"`  // g, kg, lb, oz for weights
}

// Dimensions are a package's length, width and height in one unit.
type Dimensions struct {
	Length decimal.Decimal `json:"length"`
	Width  decimal.Decimal `json:"width"`
	Height decimal.Decimal `json:"height"`
	Unit   string          `json:"unit"` // mm, cm, m, in
}

var (
	weightUnits = []string{"g", "kg", "lb", "oz"}
	lengthUnits = []string{"mm", "cm", "m", "in"}
)

// Key returns the SKU.
func (p *Product) Key() string { return p.SKU }

// Validate checks the product: SKU and title present, GTINs with a valid
// check digit, known status, non-negative weights and dimensions with known
// units, unique variant SKUs whose options name the product's options.
func (p *Product) Validate() error {
	c := &checker{entity: EntityProduct, key: p.SKU}
	c.required("sku", p.SKU)
	c.required("title", p.Title)
	if p.GTIN != "" {
		c.check("gtin", CheckGTIN(p.GTIN))
	}
	c.oneOf("status", string(p.Status), string(ProductActive), string(ProductDraft), string(ProductDiscontinued))
	if p.Status == "" {
		c.fail("status", "is required")
	}
	c.measure("weight", p.Weight, weightUnits)
	if d := p.Dimensions; d != nil {
		c.nonNegative("dimensions.length", d.Length)
		c.nonNegative("dimensions.width", d.Width)
		c.nonNegative("dimensions.height", d.Height)
		c.oneOf("dimensions.unit", d.Unit, lengthUnits...)
		if d.Unit == "" {
			c.fail("dimensions.unit", "is required")
		}
	}
	for i, img := range p.Images {
		c.required(fmt.Sprintf("images[%d].url", i), img.URL)
	}
	options := make(map[string]bool, len(p.Options))
	for _, o := range p.Options {
		options[o] = true
	}
	seen := make(map[string]int, len(p.Variants))
	for i, v := range p.Variants {
		f := fmt.Sprintf("variants[%d]", i)
		c.required(f+".sku", v.SKU)
		if j, dup := seen[v.SKU]; dup && v.SKU != "" {
			c.fail(f+".sku", "%q is also the SKU of variants[%d]", v.SKU, j)
		}
		seen[v.SKU] = i
		if v.GTIN != "" {
			c.check(f+".gtin", CheckGTIN(v.GTIN))
		}
		c.oneOf(f+".status", string(v.Status), string(ProductActive), string(ProductDraft), string(ProductDiscontinued))
		c.measure(f+".weight", v.Weight, weightUnits)
		for k, o := range v.Options {
			if !options[o.Name] {
				c.fail(fmt.Sprintf("%s.options[%d].name", f, k), "%q is not one of the product's options", o.Name)
			}
		}
	}
	return c.err()
}

func (c *checker) measure(field string, m *Measure, units []string) {
	if m == nil {
		return
	}
	c.nonNegative(field+".value", m.Value)
	if m.Unit == "" {
		c.fail(field+".unit", "is required")
	}
	c.oneOf(field+".unit", m.Unit, units...)
}
