package shopifytest

import (
	"time"

	"github.com/shopspring/decimal"
)

// The Go types of the seeding, driving and reading API. They are plain
// values: reading returns copies, and changing one changes nothing in the
// server.

// Address is a postal address.
type Address struct {
	FirstName    string
	LastName     string
	Company      string
	Address1     string
	Address2     string
	City         string
	Province     string
	ProvinceCode string
	Zip          string
	CountryCode  string // ISO 3166-1 alpha-2, e.g. "DE"
	Phone        string
}

// Location is a place that stocks inventory and fulfills orders.
type Location struct {
	ID       string // the GID; set by the server
	Name     string
	Address  Address
	Inactive bool
}

// Metafield is a namespaced custom field.
type Metafield struct {
	Namespace string // default "custom"
	Key       string
	Type      string // default "single_line_text_field"
	Value     string
}

// Product is a product with its variants.
type Product struct {
	ID              string // the GID; set by the server
	Handle          string // default: made from the title
	Title           string
	DescriptionHTML string
	Vendor          string
	ProductType     string
	Status          string // ACTIVE (default), DRAFT or ARCHIVED
	Tags            []string
	// Options names the product's options ("Size", "Color"), at most
	// three. A product without options has one variant, Shopify's
	// "Default Title".
	Options     []string
	Variants    []Variant
	Metafields  []Metafield
	Images      []string // image URLs
	Collections []string // collection titles; a new title creates the collection
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Variant is a sellable variant of a product.
type Variant struct {
	ID              string // the GID; set by the server
	InventoryItemID string // the GID of its inventory item; set by the server
	SKU             string
	Barcode         string
	Price           decimal.Decimal
	CompareAtPrice  *decimal.Decimal
	OptionValues    []string // one value per Product.Options, in that order
	// Stock is the available quantity by location ID or name. Seeding
	// stocks the variant at these locations; reading returns every
	// location the variant is stocked at, by location ID.
	Stock           map[string]int
	Untracked       bool   // inventory not tracked
	InventoryPolicy string // DENY (default) or CONTINUE
	// Weight is the inventory item's weight (measurement.weight); nil:
	// none, which Shopify reports as 0 kg.
	Weight     *Weight
	Metafields []Metafield
	UpdatedAt  time.Time
}

// Weight is a weight in a unit: GRAMS, KILOGRAMS, OUNCES or POUNDS.
type Weight struct {
	Value float64
	Unit  string
}

// Customer is a buyer.
type Customer struct {
	ID         string // the GID; set by the server
	FirstName  string
	LastName   string
	Email      string
	Phone      string
	Note       string
	Locale     string
	Tags       []string
	TaxExempt  bool
	Addresses  []Address // the first is the default address
	Metafields []Metafield
	UpdatedAt  time.Time
}

// Company is a B2B customer: a company with locations and contacts.
type Company struct {
	ID         string // the GID; set by the server
	Name       string
	ExternalID string
	Note       string
	// ContactIDs are the customers who buy for the company; the first is
	// the main contact.
	ContactIDs []string
	Locations  []CompanyLocation
	UpdatedAt  time.Time
}

// CompanyLocation is a company's buying location.
type CompanyLocation struct {
	ID                string // the GID; set by the server
	Name              string
	ExternalID        string
	Currency          string // default the shop's
	TaxRegistrationID string // e.g. a VAT ID
	TaxExempt         bool
	BillingAddress    *Address
	ShippingAddress   *Address
	CatalogIDs        []string // set by the server
}

// PriceList is a B2B price list with its fixed prices, quantity rules and
// quantity price breaks, by SKU.
type PriceList struct {
	ID              string
	Name            string
	Currency        string
	CatalogID       string
	Prices          map[string]decimal.Decimal
	CompareAtPrices map[string]decimal.Decimal
	Rules           map[string]QuantityRule
	Breaks          map[string][]PriceBreak
}

// QuantityRule limits the quantity a B2B buyer orders.
type QuantityRule struct {
	Minimum   int
	Maximum   int // 0 for none
	Increment int
}

// PriceBreak is a unit price from a minimum quantity on.
type PriceBreak struct {
	MinimumQuantity int
	Price           decimal.Decimal
}

// OrderInput is an order a customer places with PlaceOrder.
type OrderInput struct {
	Name              string // default "#1001", "#1002", ...
	Email             string // default the customer's
	Phone             string
	CustomerID        string    // an existing customer
	Customer          *Customer // else a customer matched by email, or created
	CompanyLocationID string    // a B2B order: the company location that buys
	Lines             []LineInput
	ShippingLines     []ShippingLineInput
	Discounts         []DiscountInput
	Currency          string // default the shop's
	TaxesIncluded     *bool  // default the shop's setting
	BillingAddress    *Address
	ShippingAddress   *Address // default the billing address
	// FinancialStatus is PAID (default: a captured sale), AUTHORIZED (an
	// authorization to capture) or PENDING (no payment yet).
	FinancialStatus   string
	Gateway           string // default "bogus", Shopify's test gateway
	AuthorizationCode string // default made from the order number
	Location          string // ID or name of the fulfilling location; default the first active
	Note              string
	Tags              []string
	PONumber          string
	Test              bool
	ProcessedAt       time.Time // default now
}

// LineInput is one line of an order.
type LineInput struct {
	SKU      string
	Quantity int
	// Price is the unit price; default the variant's.
	Price *decimal.Decimal
	// Title names a custom line, one with an SKU the catalog lacks.
	Title    string
	Discount decimal.Decimal // the discount on the whole line
	TaxLines []TaxLineInput
}

// TaxLineInput is a tax on a line or a shipping line.
type TaxLineInput struct {
	Title string          // e.g. "MwSt"
	Rate  decimal.Decimal // e.g. 0.19
	// Amount defaults to the rate applied to the discounted line total (or
	// taken out of it when taxes are included).
	Amount *decimal.Decimal
}

// ShippingLineInput is a shipping charge.
type ShippingLineInput struct {
	Title    string
	Code     string
	Carrier  string
	Price    decimal.Decimal
	Discount decimal.Decimal
	TaxLines []TaxLineInput
}

// DiscountInput is a discount application of an order. A percentage or an
// amount on line items is allocated to the lines that carry no discount of
// their own.
type DiscountInput struct {
	Code       string // a discount code; empty for a manual discount
	Title      string
	Percentage *decimal.Decimal // e.g. 10 for 10 %
	Amount     *decimal.Decimal
	Target     string // LINE_ITEM (default) or SHIPPING_LINE
}

// Order is an order as the server keeps it.
type Order struct {
	ID                string
	Name              string
	Number            int
	Email             string
	CustomerID        string
	CompanyID         string
	CompanyLocationID string
	Currency          string
	TaxesIncluded     bool
	FinancialStatus   string // OrderDisplayFinancialStatus
	FulfillmentStatus string // OrderDisplayFulfillmentStatus
	CancelledAt       time.Time
	CancelReason      string
	ClosedAt          time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Subtotal          decimal.Decimal
	TotalShipping     decimal.Decimal
	TotalTax          decimal.Decimal
	TotalDiscounts    decimal.Decimal
	Total             decimal.Decimal
	TotalRefunded     decimal.Decimal
	Lines             []OrderLine
	Fulfillments      []Fulfillment
	Refunds           []Refund
	Returns           []Return
	Transactions      []Transaction
	Note              string
	Tags              []string
}

// OrderLine is one line of an order.
type OrderLine struct {
	ID                string
	SKU               string
	Title             string
	Quantity          int
	FulfilledQuantity int
	RefundedQuantity  int
	Price             decimal.Decimal // unit price before discounts
	Discount          decimal.Decimal // on the whole line
	TaxLines          []TaxLine
}

// TaxLine is a tax charged.
type TaxLine struct {
	Title  string
	Rate   decimal.Decimal
	Amount decimal.Decimal
}

// Fulfillment is a shipment of order lines.
type Fulfillment struct {
	ID             string
	Name           string
	Status         string // SUCCESS or CANCELLED
	LocationID     string
	NotifyCustomer bool
	Tracking       []Tracking
	Lines          []LineQuantity
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Tracking is one parcel's tracking information.
type Tracking struct {
	Company string
	Number  string
	URL     string
}

// LineQuantity is a quantity of an order line, by SKU.
type LineQuantity struct {
	SKU      string
	Quantity int
}

// FulfillInput is a shipment the merchant records with FulfillOrder.
type FulfillInput struct {
	Lines          []LineQuantity // empty: everything still unfulfilled
	Tracking       []Tracking
	NotifyCustomer bool
}

// Refund is money paid back, with the lines it covers.
type Refund struct {
	ID        string
	Note      string
	Amount    decimal.Decimal
	Lines     []RefundLine
	ReturnID  string
	CreatedAt time.Time
}

// RefundLine is a refunded quantity of an order line.
type RefundLine struct {
	SKU      string
	Quantity int
	Restock  bool
}

// RefundInput is a refund the merchant issues with RefundOrder.
type RefundInput struct {
	Lines    []RefundLine
	Shipping bool             // refund the shipping too
	Amount   *decimal.Decimal // default the lines' (and shipping's) value with tax
	Note     string
	ReturnID string // the return the refund settles
}

// Return is a customer's return of fulfilled lines.
type Return struct {
	ID     string
	Name   string
	Status string // REQUESTED, OPEN, CLOSED, DECLINED or CANCELED
	Lines  []ReturnLine
}

// ReturnLine is a returned quantity of an order line.
type ReturnLine struct {
	SKU      string
	Quantity int
	Reason   string // a ReturnReason, default UNKNOWN
	Note     string
}

// Transaction is a payment event of an order.
type Transaction struct {
	ID                string
	Kind              string // SALE, AUTHORIZATION, CAPTURE, REFUND, VOID
	Status            string // SUCCESS, PENDING, FAILURE, ...
	Gateway           string
	AuthorizationCode string
	Amount            decimal.Decimal
}

// OrderUpdate changes an order with UpdateOrder; nil fields stay.
type OrderUpdate struct {
	Note            *string
	Tags            []string
	Email           *string
	ShippingAddress *Address
}
