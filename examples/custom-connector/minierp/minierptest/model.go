package minierptest

import "time"

// Article is an item of minierp's item master, with its variants. GET
// /api/products lists articles.
type Article struct {
	ID          string    `json:"id"`  // assigned by minierp: "ART-00001"
	SKU         string    `json:"sku"` // the article number, unique
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	EAN         string    `json:"ean,omitempty"`
	Unit        string    `json:"unit,omitempty"`      // "PCS", "M", "KG"
	WeightKg    string    `json:"weight_kg,omitempty"` // a decimal string
	Status      string    `json:"status"`              // active, inactive or discontinued
	Variants    []Variant `json:"variants,omitempty"`
	Version     int64     `json:"version"`    // grows with every change
	UpdatedAt   time.Time `json:"updated_at"` // the last change
}

// Variant is one buyable form of an article, with its own SKU.
type Variant struct {
	SKU     string          `json:"sku"`
	Name    string          `json:"name,omitempty"`
	EAN     string          `json:"ean,omitempty"`
	Options []VariantOption `json:"options,omitempty"` // Size = M
}

// VariantOption is a variant's value of one option, such as Size = M.
type VariantOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Price is an entry of a price list: what one SKU costs. The empty price
// list is the one everybody buys from.
type Price struct {
	ID        string    `json:"id"` // assigned: "PRC-00001"
	SKU       string    `json:"sku"`
	PriceList string    `json:"price_list,omitempty"` // "" or e.g. "wholesale"
	Currency  string    `json:"currency"`
	Amount    string    `json:"amount"`   // a decimal string
	InclVAT   bool      `json:"incl_vat"` // the amount is gross
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Stock is the stock of one SKU in one warehouse.
type Stock struct {
	ID        string    `json:"id"` // assigned: "STK-00001"
	SKU       string    `json:"sku"`
	Warehouse string    `json:"warehouse"`
	Available string    `json:"available"` // decimal strings
	OnHand    string    `json:"on_hand"`
	Reserved  string    `json:"reserved"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Order is a sales order. POST /api/orders takes it without the fields
// minierp assigns (ID, Status, Version, CreatedAt, UpdatedAt).
type Order struct {
	ID             string        `json:"id,omitempty"` // assigned: "SO-00001"
	ExternalNumber string        `json:"external_number"`
	OrderDate      time.Time     `json:"order_date"`
	Currency       string        `json:"currency"`
	PricesInclVAT  bool          `json:"prices_incl_vat"`
	Customer       OrderCustomer `json:"customer"`
	BillTo         Address       `json:"bill_to"`
	ShipTo         *Address      `json:"ship_to,omitempty"`
	Lines          []OrderLine   `json:"lines"`
	Shipping       []Charge      `json:"shipping,omitempty"`
	Discounts      []Discount    `json:"discounts,omitempty"`
	TotalNet       string        `json:"total_net"`
	TotalVAT       string        `json:"total_vat"`
	TotalGross     string        `json:"total_gross"`
	Payment        *OrderPayment `json:"payment,omitempty"`
	Note           string        `json:"note,omitempty"`
	Status         string        `json:"status,omitempty"` // open or shipped
	Version        int64         `json:"version,omitempty"`
	CreatedAt      time.Time     `json:"created_at,omitzero"`
	UpdatedAt      time.Time     `json:"updated_at,omitzero"`
}

// OrderCustomer is the buyer as an order names it.
type OrderCustomer struct {
	Ref       string `json:"ref,omitempty"` // the customer's external_ref, if known
	Type      string `json:"type"`          // person or company
	Company   string `json:"company,omitempty"`
	VATID     string `json:"vat_id,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	FirstName  string `json:"first_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
	Company    string `json:"company,omitempty"`
	Street     string `json:"street,omitempty"`
	Street2    string `json:"street2,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	Country    string `json:"country"`
}

// OrderLine is an article line. Amounts are decimal strings; the quantity
// is a whole number.
type OrderLine struct {
	SKU         string `json:"sku"`
	Description string `json:"description,omitempty"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unit_price"`
	VATRate     string `json:"vat_rate"` // percent: "19"
	Net         string `json:"net"`
	VAT         string `json:"vat"`
	Gross       string `json:"gross"`
}

// Charge is a shipping charge.
type Charge struct {
	Method  string `json:"method,omitempty"`
	Carrier string `json:"carrier,omitempty"`
	VATRate string `json:"vat_rate"`
	Net     string `json:"net"`
	VAT     string `json:"vat"`
	Gross   string `json:"gross"`
}

// Discount is an order-level discount, gross.
type Discount struct {
	Code   string `json:"code,omitempty"`
	Amount string `json:"amount"`
}

// OrderPayment is how an order was paid.
type OrderPayment struct {
	Method        string `json:"method,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	Status        string `json:"status,omitempty"`
}

// Customer is a debtor. POST /api/customers takes it without ID, Version
// and UpdatedAt.
type Customer struct {
	ID          string    `json:"id,omitempty"` // assigned: "CUS-00001"
	ExternalRef string    `json:"external_ref"` // the caller's key, unique
	Type        string    `json:"type"`         // person or company
	Company     string    `json:"company,omitempty"`
	FirstName   string    `json:"first_name,omitempty"`
	LastName    string    `json:"last_name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Phone       string    `json:"phone,omitempty"`
	VATID       string    `json:"vat_id,omitempty"`
	Language    string    `json:"language,omitempty"`
	PriceList   string    `json:"price_list,omitempty"`
	Addresses   []Address `json:"addresses,omitempty"`
	Version     int64     `json:"version,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// Shipment is a posted delivery of an order.
type Shipment struct {
	ID             string     `json:"id"`     // assigned: "SHP-00001"
	Number         string     `json:"number"` // the delivery note number
	OrderID        string     `json:"order_id"`
	ExternalNumber string     `json:"external_number"` // the order's
	Carrier        string     `json:"carrier,omitempty"`
	Service        string     `json:"service,omitempty"`
	Tracking       []Tracking `json:"tracking,omitempty"`
	ShippedAt      time.Time  `json:"shipped_at"`
	Version        int64      `json:"version"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// Tracking is one parcel's tracking number and link.
type Tracking struct {
	Number string `json:"number"`
	URL    string `json:"url,omitempty"`
}
