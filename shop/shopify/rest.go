package shopify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// This file holds the REST-shaped JSON that webhooks deliver (the Admin
// API's legacy REST objects) and its mapping onto the domain model. IDs
// exceed 2^53 and are decoded as int64; amounts are decimal strings.

// restOrder is the REST Order, the body of orders/create, orders/updated
// and orders/cancelled.
type restOrder struct {
	ID                  int64            `json:"id"`
	AdminGraphQLAPIID   string           `json:"admin_graphql_api_id"`
	Name                string           `json:"name"`
	Email               string           `json:"email"`
	Phone               string           `json:"phone"`
	CreatedAt           time.Time        `json:"created_at"`
	UpdatedAt           time.Time        `json:"updated_at"`
	ProcessedAt         *time.Time       `json:"processed_at"`
	CancelledAt         *time.Time       `json:"cancelled_at"`
	ClosedAt            *time.Time       `json:"closed_at"`
	CancelReason        string           `json:"cancel_reason"`
	Currency            string           `json:"currency"`
	TaxesIncluded       bool             `json:"taxes_included"`
	FinancialStatus     string           `json:"financial_status"`
	FulfillmentStatus   string           `json:"fulfillment_status"`
	TotalPrice          decimal.Decimal  `json:"total_price"`
	TotalTax            *decimal.Decimal `json:"total_tax"`
	Note                string           `json:"note"`
	Tags                string           `json:"tags"`
	SourceName          string           `json:"source_name"`
	PaymentGatewayNames []string         `json:"payment_gateway_names"`
	DiscountCodes       []struct {
		Code   string          `json:"code"`
		Amount decimal.Decimal `json:"amount"`
	} `json:"discount_codes"`
	LineItems       []restLineItem     `json:"line_items"`
	ShippingLines   []restShippingLine `json:"shipping_lines"`
	BillingAddress  *restAddress       `json:"billing_address"`
	ShippingAddress *restAddress       `json:"shipping_address"`
	Customer        *restCustomer      `json:"customer"`
	Company         *struct {
		ID         int64 `json:"id"`
		LocationID int64 `json:"location_id"`
	} `json:"company"`
}

type restLineItem struct {
	ID                  int64            `json:"id"`
	VariantID           *int64           `json:"variant_id"`
	SKU                 string           `json:"sku"`
	Title               string           `json:"title"`
	Name                string           `json:"name"`
	Quantity            int64            `json:"quantity"`
	Price               decimal.Decimal  `json:"price"`
	TotalDiscount       decimal.Decimal  `json:"total_discount"`
	DiscountAllocations []restAllocation `json:"discount_allocations"`
	TaxLines            []restTaxLine    `json:"tax_lines"`
}

type restShippingLine struct {
	Title               string           `json:"title"`
	Code                string           `json:"code"`
	Source              string           `json:"source"`
	CarrierIdentifier   string           `json:"carrier_identifier"`
	Price               decimal.Decimal  `json:"price"`
	DiscountedPrice     *decimal.Decimal `json:"discounted_price"`
	DiscountAllocations []restAllocation `json:"discount_allocations"`
	TaxLines            []restTaxLine    `json:"tax_lines"`
}

type restAllocation struct {
	Amount decimal.Decimal `json:"amount"`
}

type restTaxLine struct {
	Title string          `json:"title"`
	Price decimal.Decimal `json:"price"`
	Rate  decimal.Decimal `json:"rate"` // a fraction: 0.19
}

type restAddress struct {
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Zip          string `json:"zip"`
	ProvinceCode string `json:"province_code"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
}

type restCustomer struct {
	ID        *int64 `json:"id"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	TaxExempt bool   `json:"tax_exempt"`
}

// restProduct is the REST Product, the body of products/update.
type restProduct struct {
	ID                int64     `json:"id"`
	AdminGraphQLAPIID string    `json:"admin_graphql_api_id"`
	Title             string    `json:"title"`
	BodyHTML          string    `json:"body_html"`
	Vendor            string    `json:"vendor"`
	Handle            string    `json:"handle"`
	Status            string    `json:"status"`
	Tags              string    `json:"tags"`
	UpdatedAt         time.Time `json:"updated_at"`
	Variants          []struct {
		ID                int64   `json:"id"`
		AdminGraphQLAPIID string  `json:"admin_graphql_api_id"`
		SKU               string  `json:"sku"`
		Title             string  `json:"title"`
		Barcode           *string `json:"barcode"`
		Option1           *string `json:"option1"`
		Option2           *string `json:"option2"`
		Option3           *string `json:"option3"`
	} `json:"variants"`
	Options []struct {
		Name string `json:"name"`
	} `json:"options"`
	Images []struct {
		Src      string `json:"src"`
		Alt      string `json:"alt"`
		Position int    `json:"position"`
	} `json:"images"`
	Metafields []struct {
		Namespace string `json:"namespace"`
		Key       string `json:"key"`
		Value     string `json:"value"`
	} `json:"metafields"`
}

// restInventoryLevel is the body of inventory_levels/update.
type restInventoryLevel struct {
	InventoryItemID int64     `json:"inventory_item_id"`
	LocationID      int64     `json:"location_id"`
	Available       *int64    `json:"available"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// restRefund is the body of refunds/create.
type restRefund struct {
	ID              int64     `json:"id"`
	OrderID         int64     `json:"order_id"`
	CreatedAt       time.Time `json:"created_at"`
	Note            string    `json:"note"`
	RefundLineItems []struct {
		Quantity    int64           `json:"quantity"`
		RestockType string          `json:"restock_type"`
		Subtotal    decimal.Decimal `json:"subtotal"`
		TotalTax    decimal.Decimal `json:"total_tax"`
		LineItem    struct {
			SKU string `json:"sku"`
		} `json:"line_item"`
	} `json:"refund_line_items"`
}

// restFulfillment is the body of fulfillments/create.
type restFulfillment struct {
	ID              int64     `json:"id"`
	OrderID         int64     `json:"order_id"`
	Name            string    `json:"name"` // "#1001.1"
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	TrackingCompany string    `json:"tracking_company"`
	TrackingNumbers []string  `json:"tracking_numbers"`
	TrackingURLs    []string  `json:"tracking_urls"`
	LineItems       []struct {
		SKU      string `json:"sku"`
		Quantity int64  `json:"quantity"`
	} `json:"line_items"`
}

// order maps a REST order onto the domain model, with the same rules as
// the GraphQL read (see orderFromNode).
func (o *restOrder) order() kontor.Order {
	cur := kontor.Currency(o.Currency)
	out := kontor.Order{
		Meta:             kontor.Meta{ShopKey: gidOr(o.AdminGraphQLAPIID, "Order", o.ID), UpdatedAt: o.UpdatedAt},
		Number:           o.Name,
		Channel:          o.SourceName,
		PlacedAt:         o.CreatedAt,
		Currency:         cur,
		PricesIncludeTax: o.TaxesIncluded,
		Note:             o.Note,
		Tags:             splitTags(o.Tags),
		Status:           restOrderStatus(o),
		PaymentStatus:    paymentStatus(strings.ToUpper(o.FinancialStatus)),
	}
	if o.ProcessedAt != nil {
		out.PlacedAt = *o.ProcessedAt
	}
	if len(o.PaymentGatewayNames) > 0 {
		out.Payment = kontor.Payment{Method: o.PaymentGatewayNames[0], Gateway: o.PaymentGatewayNames[0], Status: out.PaymentStatus}
	}
	out.Customer = kontor.Customer{Type: kontor.B2C, Email: o.Email, Phone: o.Phone}
	if c := o.Customer; c != nil {
		if c.ID != nil {
			out.Customer.Number = strconv.FormatInt(*c.ID, 10)
			out.Customer.ShopKey = gid("Customer", *c.ID)
		}
		if out.Customer.Email == "" {
			out.Customer.Email = c.Email
		}
		out.Customer.FirstName, out.Customer.LastName, out.Customer.TaxExempt = c.FirstName, c.LastName, c.TaxExempt
	}
	if o.BillingAddress != nil {
		out.Billing = o.BillingAddress.address("billing")
	}
	if o.ShippingAddress != nil {
		out.Shipping = o.ShippingAddress.address("shipping")
	}
	if o.Company != nil && o.Company.ID != 0 {
		out.Customer.Type = kontor.B2B
		out.Customer.Company = out.Billing.Company
	}
	var tax decimal.Decimal
	for _, l := range o.LineItems {
		discount := l.TotalDiscount
		if len(l.DiscountAllocations) > 0 {
			discount = sumAllocations(l.DiscountAllocations)
		}
		lt, rate := restTaxes(l.TaxLines)
		line := kontor.OrderLine{
			Meta:      kontor.Meta{ShopKey: gid("LineItem", l.ID)},
			SKU:       l.SKU,
			Title:     l.Name,
			Quantity:  decimal.NewFromInt(l.Quantity),
			UnitPrice: money(l.Price, cur),
			Discount:  money(discount, cur),
			TaxRate:   rate,
		}
		line.Net, line.Tax, line.Gross = split(l.Price.Mul(line.Quantity).Sub(discount), lt, o.TaxesIncluded, cur)
		tax = tax.Add(lt)
		out.Lines = append(out.Lines, line)
	}
	for _, s := range o.ShippingLines {
		price := s.Price
		if s.DiscountedPrice != nil {
			price = *s.DiscountedPrice
		} else if len(s.DiscountAllocations) > 0 {
			price = price.Sub(sumAllocations(s.DiscountAllocations))
		}
		st, rate := restTaxes(s.TaxLines)
		sl := kontor.ShippingLine{Title: s.Title, Code: s.Code, Carrier: s.CarrierIdentifier, TaxRate: rate}
		sl.Net, sl.Tax, sl.Gross = split(price, st, o.TaxesIncluded, cur)
		tax = tax.Add(st)
		out.ShippingLines = append(out.ShippingLines, sl)
	}
	for _, d := range o.DiscountCodes {
		out.Discounts = append(out.Discounts, kontor.Discount{Code: d.Code, Amount: money(d.Amount, cur), Allocated: true})
	}
	if o.TotalTax != nil {
		tax = *o.TotalTax
	}
	out.TotalGross = money(o.TotalPrice, cur)
	out.TotalTax = money(tax, cur)
	out.TotalNet = money(o.TotalPrice.Sub(tax), cur)
	return out
}

func restOrderStatus(o *restOrder) kontor.OrderStatus {
	if o.CancelledAt != nil {
		return kontor.OrderCancelled
	}
	switch o.FulfillmentStatus {
	case "fulfilled":
		if o.ClosedAt != nil {
			return kontor.OrderCompleted
		}
		return kontor.OrderShipped
	case "partial":
		return kontor.OrderPartiallyShipped
	case "restocked":
		return kontor.OrderCancelled
	}
	return kontor.OrderProcessing
}

func (a *restAddress) address(kind string) kontor.Address {
	return kontor.Address{Kind: kind, FirstName: a.FirstName, LastName: a.LastName, Company: a.Company,
		Street: a.Address1, Street2: a.Address2, PostalCode: a.Zip, City: a.City, Region: a.ProvinceCode,
		Country: strings.ToUpper(a.CountryCode), Phone: a.Phone}
}

func restTaxes(lines []restTaxLine) (amount, ratePercent decimal.Decimal) {
	for _, t := range lines {
		amount = amount.Add(t.Price)
		ratePercent = ratePercent.Add(t.Rate.Shift(2))
	}
	return amount, ratePercent
}

func sumAllocations(as []restAllocation) decimal.Decimal {
	var s decimal.Decimal
	for _, a := range as {
		s = s.Add(a.Amount)
	}
	return s
}

// split returns net, tax and gross of an amount after discounts in the
// shop's convention: gross when prices include tax, else net.
func split(amount, tax decimal.Decimal, inclusive bool, cur kontor.Currency) (net, t, gross kontor.Money) {
	if inclusive {
		return money(amount.Sub(tax), cur), money(tax, cur), money(amount, cur)
	}
	return money(amount, cur), money(tax, cur), money(amount.Add(tax), cur)
}

func money(d decimal.Decimal, cur kontor.Currency) kontor.Money {
	return kontor.Money{Amount: d, Currency: cur}
}

func splitTags(s string) []string {
	var out []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// gid returns Shopify's global ID of a REST object.
func gid(typ string, id int64) string { return fmt.Sprintf("gid://shopify/%s/%d", typ, id) }

func gidOr(g, typ string, id int64) string {
	if g != "" {
		return g
	}
	return gid(typ, id)
}

// legacyID returns the numeric ID at the end of a GID, "" when it has none.
func legacyID(g string) string {
	i := strings.LastIndexByte(g, '/')
	if i < 0 {
		return ""
	}
	id := g[i+1:]
	if q := strings.IndexByte(id, '?'); q >= 0 {
		id = id[:q]
	}
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return ""
	}
	return id
}

// decodeREST decodes a webhook body, unwrapping the single-key envelope
// ({"order": {...}}) that REST responses and some samples carry.
func decodeREST(body []byte, wrapper string, v any) error {
	var env map[string]json.RawMessage
	if json.Unmarshal(body, &env) == nil && len(env) == 1 {
		if inner, ok := env[wrapper]; ok {
			body = inner
		}
	}
	return json.Unmarshal(body, v)
}
