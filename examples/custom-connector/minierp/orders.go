package minierp

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/kontor-dev/kontor"
)

// orderBody is what POST /api/orders takes.
type orderBody struct {
	ExternalNumber string        `json:"external_number"`
	OrderDate      time.Time     `json:"order_date"`
	Currency       string        `json:"currency"`
	PricesInclVAT  bool          `json:"prices_incl_vat"`
	Customer       orderCustomer `json:"customer"`
	BillTo         address       `json:"bill_to"`
	ShipTo         *address      `json:"ship_to,omitempty"`
	Lines          []orderLine   `json:"lines"`
	Shipping       []charge      `json:"shipping,omitempty"`
	Discounts      []discount    `json:"discounts,omitempty"`
	TotalNet       string        `json:"total_net"`
	TotalVAT       string        `json:"total_vat"`
	TotalGross     string        `json:"total_gross"`
	Payment        *payment      `json:"payment,omitempty"`
	Note           string        `json:"note,omitempty"`
}

type orderCustomer struct {
	Ref       string `json:"ref,omitempty"`
	Type      string `json:"type"`
	Company   string `json:"company,omitempty"`
	VATID     string `json:"vat_id,omitempty"`
	Email     string `json:"email,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

type address struct {
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

type orderLine struct {
	SKU         string `json:"sku"`
	Description string `json:"description,omitempty"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unit_price"`
	VATRate     string `json:"vat_rate"`
	Net         string `json:"net"`
	VAT         string `json:"vat"`
	Gross       string `json:"gross"`
}

type charge struct {
	Method  string `json:"method,omitempty"`
	Carrier string `json:"carrier,omitempty"`
	VATRate string `json:"vat_rate"`
	Net     string `json:"net"`
	VAT     string `json:"vat"`
	Gross   string `json:"gross"`
}

type discount struct {
	Code   string `json:"code,omitempty"`
	Amount string `json:"amount"`
}

type payment struct {
	Method        string `json:"method,omitempty"`
	TransactionID string `json:"transaction_id,omitempty"`
	Status        string `json:"status,omitempty"`
}

// salesOrder is what minierp answers about an order.
type salesOrder struct {
	ID             string    `json:"id"`
	ExternalNumber string    `json:"external_number"`
	Version        int64     `json:"version"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// WriteOrders books orders as minierp sales orders, the shop's order
// number as the external number. It checks before it creates: one look-up
// finds the orders of the batch minierp already has, which are Unchanged
// with their sales order's key; the others are POSTed one by one, each
// under its idempotency key. An order minierp refuses, or that breaks a
// rule of minierp's the connector knows (whole quantities, an external
// number of at most 35 characters), fails alone. A failure of the call
// itself (minierp down, throttling past the retries, a refused key) fails
// the whole batch; writing it again creates nothing twice.
func (c *Connector) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(orders))
	bodies := make([]*orderBody, len(orders))
	var numbers []string
	for i := range orders {
		results[i].Key = orders[i].Key()
		body, err := orderFrom(&orders[i])
		if err != nil {
			results[i].Outcome, results[i].Err = kontor.Failed, err
			continue
		}
		bodies[i] = body
		numbers = append(numbers, body.ExternalNumber)
	}

	existing, err := c.lookupOrders(ctx, numbers)
	if err != nil {
		return nil, err
	}
	for i, body := range bodies {
		if body == nil {
			continue
		}
		if so, ok := existing[body.ExternalNumber]; ok {
			results[i].Outcome, results[i].Target = kontor.Unchanged, meta(so.ID, so.Version, so.UpdatedAt)
			continue
		}
		var so salesOrder
		_, err := c.post(ctx, "/api/orders", idempotencyKey(ctx, i), body, &so)
		switch {
		case err == nil:
			results[i].Outcome, results[i].Target = kontor.Created, meta(so.ID, so.Version, so.UpdatedAt)
		case apiCode(err) == "duplicate_external_number":
			// Booked since the look-up: by another writer, or by an
			// attempt whose answer was lost and that was retried under a
			// new key. Found, not created.
			found, lerr := c.lookupOrders(ctx, []string{body.ExternalNumber})
			if lerr != nil {
				return nil, lerr
			}
			so, ok := found[body.ExternalNumber]
			if !ok {
				return nil, err
			}
			results[i].Outcome, results[i].Target = kontor.Unchanged, meta(so.ID, so.Version, so.UpdatedAt)
		case itemError(err):
			results[i].Outcome, results[i].Err = kontor.Failed, err
		default:
			return nil, err
		}
	}
	return results, nil
}

// lookupOrders returns minierp's orders with the external numbers, by
// number, in one request.
func (c *Connector) lookupOrders(ctx context.Context, numbers []string) (map[string]salesOrder, error) {
	found := make(map[string]salesOrder, len(numbers))
	if len(numbers) == 0 {
		return found, nil
	}
	var p page[salesOrder]
	if err := c.get(ctx, "/api/orders", url.Values{"external_number": numbers}, &p); err != nil {
		return nil, err
	}
	for _, so := range p.Items {
		found[so.ExternalNumber] = so
	}
	return found, nil
}

// orderFrom checks an order and maps it to minierp's.
func orderFrom(o *kontor.Order) (*orderBody, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(o.Number) > maxExternalLen {
		return nil, invalid(kontor.EntityOrder, o.Number, "number", "exceeds the 35 characters minierp keeps of an external number")
	}
	b := &orderBody{
		ExternalNumber: o.Number,
		OrderDate:      o.PlacedAt.UTC(),
		Currency:       string(o.Currency),
		PricesInclVAT:  o.PricesIncludeTax,
		Customer: orderCustomer{Ref: customerRef(&o.Customer), Type: customerType(o.Customer.Type),
			Company: o.Customer.Company, VATID: o.Customer.VATID, Email: o.Customer.Email,
			FirstName: o.Customer.FirstName, LastName: o.Customer.LastName},
		BillTo:     addressFrom(o.Billing),
		TotalNet:   o.TotalNet.Amount.String(),
		TotalVAT:   o.TotalTax.Amount.String(),
		TotalGross: o.TotalGross.Amount.String(),
		Note:       o.Note,
	}
	if !o.Shipping.IsZero() {
		a := addressFrom(o.Shipping)
		b.ShipTo = &a
	}
	for i, l := range o.Lines {
		if !l.Quantity.IsInteger() {
			return nil, invalid(kontor.EntityOrder, o.Number, fmt.Sprintf("lines[%d].quantity", i),
				"is "+l.Quantity.String()+"; minierp takes whole quantities")
		}
		b.Lines = append(b.Lines, orderLine{SKU: l.SKU, Description: l.Title, Quantity: l.Quantity.String(),
			UnitPrice: l.UnitPrice.Amount.String(), VATRate: l.TaxRate.String(),
			Net: l.Net.Amount.String(), VAT: l.Tax.Amount.String(), Gross: l.Gross.Amount.String()})
	}
	for _, s := range o.ShippingLines {
		b.Shipping = append(b.Shipping, charge{Method: s.Code, Carrier: s.Carrier, VATRate: s.TaxRate.String(),
			Net: s.Net.Amount.String(), VAT: s.Tax.Amount.String(), Gross: s.Gross.Amount.String()})
	}
	// minierp has no fee lines: a fee (cash on delivery, a surcharge) is
	// one more charge, so its money is not lost.
	for _, f := range o.Fees {
		b.Shipping = append(b.Shipping, charge{Method: "fee:" + cmp.Or(f.Code, f.Title), VATRate: f.TaxRate.String(),
			Net: f.Net.Amount.String(), VAT: f.Tax.Amount.String(), Gross: f.Gross.Amount.String()})
	}
	for _, d := range o.Discounts {
		if !d.Allocated { // allocated discounts are in the lines already
			b.Discounts = append(b.Discounts, discount{Code: d.Code, Amount: d.Amount.Amount.String()})
		}
	}
	if p := o.Payment; p.Method != "" || p.TransactionID != "" || p.Status != "" {
		b.Payment = &payment{Method: p.Method, TransactionID: p.TransactionID, Status: string(p.Status)}
	}
	return b, nil
}

func addressFrom(a kontor.Address) address {
	return address{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Street: a.Street,
		Street2: a.Street2, PostalCode: a.PostalCode, City: a.City, Region: a.Region, Country: a.Country}
}

func customerType(t kontor.CustomerType) string {
	if t == kontor.B2B {
		return "company"
	}
	return "person"
}
