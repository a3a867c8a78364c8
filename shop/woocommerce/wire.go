package woocommerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The JSON shapes of the REST API v3, as far as the connector reads and
// writes them. Unknown fields are ignored, so newer shops' additions
// (global_unique_id, low_stock_amount, ...) decode. Amounts arrive as
// strings ("21.99"); some numbers WooCommerce writes as JSON numbers that
// may carry fractions (a line item's price, quantities with plugins), so
// they are decoded as json.Number, never as float64.

// MetaData is one entry of an object's meta_data list.
type MetaData struct {
	ID    int64           `json:"id,omitempty"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value"`
}

// metaString returns the value of key as a string ("" when absent or not a
// string or number).
func metaString(md []MetaData, key string) string {
	for _, m := range md {
		if m.Key != key {
			continue
		}
		var s string
		if json.Unmarshal(m.Value, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(m.Value, &n) == nil {
			return n.String()
		}
	}
	return ""
}

// metaRaw returns the raw value of key.
func metaRaw(md []MetaData, key string) (json.RawMessage, bool) {
	for _, m := range md {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// meta builds a meta entry with a JSON value.
func meta(key string, v any) MetaData {
	b, _ := json.Marshal(v)
	return MetaData{Key: key, Value: b}
}

// Date is a WooCommerce date: "2017-03-22T19:28:08" (the *_gmt fields are
// UTC without a zone), or null. It also accepts RFC 3339 with a zone.
type Date struct{ time.Time }

// UnmarshalJSON parses the date; null and "" are the zero time.
func (d *Date) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		d.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	t, err := parseDate(s)
	if err != nil {
		return err
	}
	d.Time = t
	return nil
}

// MarshalJSON writes the date as WooCommerce reads it (UTC, no zone), or
// null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(formatDate(d.Time))
}

func parseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not ISO 8601", s)
}

// formatDate writes t in UTC without a zone, as the *_gmt fields take it.
func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// Amount is a decimal amount WooCommerce sends as a string ("29.35"), a
// number, or "" for none.
type Amount struct {
	decimal.Decimal
	Set bool // false for "" and null
}

// UnmarshalJSON parses the amount.
func (a *Amount) UnmarshalJSON(b []byte) error {
	*a = Amount{}
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("amount %q: %w", s, err)
	}
	a.Decimal, a.Set = d, true
	return nil
}

// MarshalJSON writes the amount as a string, "" when unset.
func (a Amount) MarshalJSON() ([]byte, error) {
	if !a.Set {
		return []byte(`""`), nil
	}
	return json.Marshal(a.String())
}

func amount(d decimal.Decimal) Amount { return Amount{Decimal: d, Set: true} }

// Image is a product or variation image.
type Image struct {
	ID       int64  `json:"id,omitempty"`
	Src      string `json:"src,omitempty"`
	Name     string `json:"name,omitempty"`
	Alt      string `json:"alt,omitempty"`
	Position *int   `json:"position,omitempty"`
}

// Term is a category or tag reference.
type Term struct {
	ID   int64  `json:"id"`
	Name string `json:"name,omitempty"`
	Slug string `json:"slug,omitempty"`
}

// Attribute is a product attribute (Options) or a variation's chosen value
// (Option).
type Attribute struct {
	ID        int64    `json:"id,omitempty"`
	Name      string   `json:"name"`
	Position  *int     `json:"position,omitempty"`
	Visible   *bool    `json:"visible,omitempty"`
	Variation *bool    `json:"variation,omitempty"`
	Options   []string `json:"options,omitempty"`
	Option    string   `json:"option,omitempty"`
}

// Dimensions are a product's package dimensions as strings.
type Dimensions struct {
	Length string `json:"length"`
	Width  string `json:"width"`
	Height string `json:"height"`
}

// Product is a product, or a variation as /products returns it when
// filtered by SKU (type "variation", with its parent_id).
type Product struct {
	ID                int64       `json:"id,omitempty"`
	ParentID          int64       `json:"parent_id,omitempty"`
	Name              string      `json:"name,omitempty"`
	Type              string      `json:"type,omitempty"`
	Status            string      `json:"status,omitempty"`
	Description       string      `json:"description,omitempty"`
	ShortDescription  string      `json:"short_description,omitempty"`
	SKU               string      `json:"sku,omitempty"`
	GlobalUniqueID    string      `json:"global_unique_id,omitempty"`
	RegularPrice      *Amount     `json:"regular_price,omitempty"`
	SalePrice         *Amount     `json:"sale_price,omitempty"`
	DateOnSaleFromGMT *Date       `json:"date_on_sale_from_gmt,omitempty"`
	DateOnSaleToGMT   *Date       `json:"date_on_sale_to_gmt,omitempty"`
	TaxClass          *string     `json:"tax_class,omitempty"`
	ManageStock       *StockFlag  `json:"manage_stock,omitempty"`
	StockQuantity     *NullNumber `json:"stock_quantity,omitempty"`
	StockStatus       string      `json:"stock_status,omitempty"`
	Backorders        string      `json:"backorders,omitempty"`
	Weight            *string     `json:"weight,omitempty"`
	Dimensions        *Dimensions `json:"dimensions,omitempty"`
	Categories        []Term      `json:"categories,omitempty"`
	Tags              []Term      `json:"tags,omitempty"`
	Images            []Image     `json:"images,omitempty"`
	Image             *Image      `json:"image,omitempty"` // a variation's
	Attributes        []Attribute `json:"attributes,omitempty"`
	Variations        []int64     `json:"variations,omitempty"`
	MetaData          []MetaData  `json:"meta_data,omitempty"`
	DateModifiedGMT   Date        `json:"date_modified_gmt,omitzero"`
	DateCreatedGMT    Date        `json:"date_created_gmt,omitzero"`
	Permalink         string      `json:"permalink,omitempty"`
	CatalogVisibility string      `json:"catalog_visibility,omitempty"`
	BackordersAllowed bool        `json:"backorders_allowed,omitempty"`
	Error             *BatchError `json:"error,omitempty"` // set in a failed batch item
}

// StockFlag is manage_stock: true, false, or on a variation "parent"
// (the parent product manages the stock).
type StockFlag struct {
	On     bool // stock is managed here
	Parent bool // a variation whose parent manages the stock
}

// UnmarshalJSON reads true, false, null or "parent".
func (f *StockFlag) UnmarshalJSON(b []byte) error {
	*f = StockFlag{}
	switch strings.TrimSpace(string(b)) {
	case "true", `"yes"`:
		f.On = true
	case "false", "null", `"no"`, `""`:
	case `"parent"`:
		f.Parent = true
	default:
		return fmt.Errorf("manage_stock %s is not a boolean or \"parent\"", b)
	}
	return nil
}

// MarshalJSON writes the flag as a boolean.
func (f StockFlag) MarshalJSON() ([]byte, error) { return json.Marshal(f.On) }

// NullNumber is a JSON number or null (stock_quantity).
type NullNumber struct {
	decimal.Decimal
	Null bool
}

// UnmarshalJSON parses the number; null sets Null.
func (n *NullNumber) UnmarshalJSON(b []byte) error {
	var a Amount
	if err := a.UnmarshalJSON(b); err != nil {
		return err
	}
	n.Decimal, n.Null = a.Decimal, !a.Set
	return nil
}

// MarshalJSON writes the number, or null.
func (n NullNumber) MarshalJSON() ([]byte, error) {
	if n.Null {
		return []byte("null"), nil
	}
	return []byte(n.String()), nil
}

// Address is a billing or shipping address.
type Address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
}

// TaxAmount is one tax of a line: its rate id and amounts.
type TaxAmount struct {
	ID       int64  `json:"id"`
	Total    Amount `json:"total"`
	Subtotal Amount `json:"subtotal"`
}

// LineItem is an order's product line.
type LineItem struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	ProductID   int64       `json:"product_id"`
	VariationID int64       `json:"variation_id"`
	Quantity    json.Number `json:"quantity"`
	TaxClass    string      `json:"tax_class"`
	Subtotal    Amount      `json:"subtotal"`
	SubtotalTax Amount      `json:"subtotal_tax"`
	Total       Amount      `json:"total"`
	TotalTax    Amount      `json:"total_tax"`
	Taxes       []TaxAmount `json:"taxes"`
	MetaData    []MetaData  `json:"meta_data"`
	SKU         string      `json:"sku"`
	Price       json.Number `json:"price"`
}

// TaxLine is one tax rate's total over the order.
type TaxLine struct {
	ID               int64       `json:"id"`
	RateCode         string      `json:"rate_code"`
	RateID           int64       `json:"rate_id"`
	Label            string      `json:"label"`
	Compound         bool        `json:"compound"`
	TaxTotal         Amount      `json:"tax_total"`
	ShippingTaxTotal Amount      `json:"shipping_tax_total"`
	RatePercent      json.Number `json:"rate_percent"` // WooCommerce 5.7+
}

// ShippingLine is a shipping charge.
type ShippingLine struct {
	ID          int64       `json:"id"`
	MethodTitle string      `json:"method_title"`
	MethodID    string      `json:"method_id"`
	Total       Amount      `json:"total"`
	TotalTax    Amount      `json:"total_tax"`
	Taxes       []TaxAmount `json:"taxes"`
}

// FeeLine is a fee (positive) or a manual discount (negative).
type FeeLine struct {
	ID       int64       `json:"id"`
	Name     string      `json:"name"`
	Total    Amount      `json:"total"`
	TotalTax Amount      `json:"total_tax"`
	Taxes    []TaxAmount `json:"taxes"`
}

// CouponLine is a coupon applied to the order.
type CouponLine struct {
	ID          int64  `json:"id"`
	Code        string `json:"code"`
	Discount    Amount `json:"discount"`
	DiscountTax Amount `json:"discount_tax"`
}

// RefundRef is the short refund entry an order lists.
type RefundRef struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
	Total  Amount `json:"total"`
}

// Order is an order.
type Order struct {
	ID                 int64          `json:"id"`
	ParentID           int64          `json:"parent_id"`
	Number             string         `json:"number"`
	OrderKey           string         `json:"order_key"`
	CreatedVia         string         `json:"created_via"`
	Status             string         `json:"status"`
	Currency           string         `json:"currency"`
	DateCreatedGMT     Date           `json:"date_created_gmt"`
	DateModifiedGMT    Date           `json:"date_modified_gmt"`
	DiscountTotal      Amount         `json:"discount_total"`
	DiscountTax        Amount         `json:"discount_tax"`
	ShippingTotal      Amount         `json:"shipping_total"`
	ShippingTax        Amount         `json:"shipping_tax"`
	CartTax            Amount         `json:"cart_tax"`
	Total              Amount         `json:"total"`
	TotalTax           Amount         `json:"total_tax"`
	PricesIncludeTax   bool           `json:"prices_include_tax"`
	CustomerID         int64          `json:"customer_id"`
	CustomerNote       string         `json:"customer_note"`
	Billing            Address        `json:"billing"`
	Shipping           Address        `json:"shipping"`
	PaymentMethod      string         `json:"payment_method"`
	PaymentMethodTitle string         `json:"payment_method_title"`
	TransactionID      string         `json:"transaction_id"`
	DatePaidGMT        Date           `json:"date_paid_gmt"`
	DateCompletedGMT   Date           `json:"date_completed_gmt"`
	MetaData           []MetaData     `json:"meta_data"`
	LineItems          []LineItem     `json:"line_items"`
	TaxLines           []TaxLine      `json:"tax_lines"`
	ShippingLines      []ShippingLine `json:"shipping_lines"`
	FeeLines           []FeeLine      `json:"fee_lines"`
	CouponLines        []CouponLine   `json:"coupon_lines"`
	Refunds            []RefundRef    `json:"refunds"`
}

// RefundLine is a refunded line; its quantity and amounts are negative.
type RefundLine struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	ProductID   int64       `json:"product_id"`
	VariationID int64       `json:"variation_id"`
	Quantity    json.Number `json:"quantity"`
	Total       Amount      `json:"total"`
	TotalTax    Amount      `json:"total_tax"`
	SKU         string      `json:"sku"`
}

// Refund is an order refund.
type Refund struct {
	ID             int64        `json:"id"`
	DateCreatedGMT Date         `json:"date_created_gmt"`
	Amount         Amount       `json:"amount"`
	Reason         string       `json:"reason"`
	RefundedBy     int64        `json:"refunded_by"`
	RefundedPaymt  bool         `json:"refunded_payment"`
	MetaData       []MetaData   `json:"meta_data"`
	LineItems      []RefundLine `json:"line_items"`
}

// Customer is a registered customer.
type Customer struct {
	ID              int64       `json:"id,omitempty"`
	DateCreatedGMT  Date        `json:"date_created_gmt,omitzero"`
	DateModifiedGMT Date        `json:"date_modified_gmt,omitzero"`
	Email           string      `json:"email,omitempty"`
	FirstName       string      `json:"first_name"`
	LastName        string      `json:"last_name"`
	Role            string      `json:"role,omitempty"`
	Username        string      `json:"username,omitempty"`
	Billing         Address     `json:"billing"`
	Shipping        Address     `json:"shipping"`
	MetaData        []MetaData  `json:"meta_data,omitempty"`
	Error           *BatchError `json:"error,omitempty"`
}

// Note is an order note.
type Note struct {
	ID           int64  `json:"id,omitempty"`
	Note         string `json:"note"`
	CustomerNote bool   `json:"customer_note"`
}

// Webhook is a webhook subscription.
type Webhook struct {
	ID          int64  `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Status      string `json:"status,omitempty"` // active, paused, disabled
	Topic       string `json:"topic,omitempty"`
	Resource    string `json:"resource,omitempty"`
	Event       string `json:"event,omitempty"`
	DeliveryURL string `json:"delivery_url,omitempty"`
	Secret      string `json:"secret,omitempty"`
}

// BatchError is the error of one failed item of a batch response, which
// as a whole answers 200: {"id":0,"error":{"code","message","data":{"status"}}}.
type BatchError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Status int `json:"status"`
	} `json:"data"`
}

// idString formats an id.
func idString(id int64) string { return strconv.FormatInt(id, 10) }
