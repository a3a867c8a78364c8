package kontortest

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// The sample generators return valid items, different for every i and the
// same for the same i, so engine tests, examples and this suite build data
// without writing it out. Items of one i belong together: SampleOrder(i)
// orders the variants of SampleProduct(i), SamplePrice(i) and SampleStock(i)
// price and stock its first variant, and SampleOrder(i) is placed by
// SampleCustomer(i). Each passes its Validate; the package tests prove it
// for many i.

// sampleTime is when sample 0 happened (2026-02-02 09:00 UTC); sample i
// happens i minutes later.
var sampleTime = time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)

func sampleAt(i int) time.Time { return sampleTime.Add(time.Duration(i) * time.Minute) }

// SampleProduct returns a product "SKU-<i>" with two variants (sizes S and
// M), GTINs with valid check digits, a weight, an image and a category.
func SampleProduct(i int) kontor.Product {
	sku := fmt.Sprintf("SKU-%06d", i)
	return kontor.Product{
		SKU:              sku,
		Title:            fmt.Sprintf("Sample shirt %d", i),
		Description:      "<p>A soft shirt of organic cotton.</p>",
		ShortDescription: "Organic cotton shirt",
		GTIN:             SampleGTIN(3 * i),
		MPN:              fmt.Sprintf("MPN-%d", i),
		Brand:            "Kontor Samples",
		Weight:           &kontor.Measure{Value: decimal.RequireFromString("0.2"), Unit: "kg"},
		Dimensions: &kontor.Dimensions{Length: decimal.NewFromInt(30), Width: decimal.NewFromInt(25),
			Height: decimal.RequireFromString("2.5"), Unit: "cm"},
		TaxClass:   "standard",
		Unit:       "PCS",
		Status:     kontor.ProductActive,
		Images:     []kontor.Image{{URL: "https://images.example.com/" + sku + ".jpg", Alt: "Front", Position: 1}},
		Categories: []string{"Apparel > Shirts"},
		Attributes: []kontor.Attribute{{Name: "Material", Value: "Cotton"}},
		Options:    []string{"Size"},
		Variants: []kontor.Variant{
			{SKU: sku + "-S", Title: "S", GTIN: SampleGTIN(3*i + 1), Options: []kontor.OptionValue{{Name: "Size", Value: "S"}}},
			{SKU: sku + "-M", Title: "M", GTIN: SampleGTIN(3*i + 2), Options: []kontor.OptionValue{{Name: "Size", Value: "M"}}},
		},
		Tags: []string{"sample"},
	}
}

// SampleGTIN returns the n-th GTIN-13 of a sample range ("400" and nine
// digits of n), with its GS1 check digit.
func SampleGTIN(n int) string {
	body := fmt.Sprintf("400%09d", ((n%1_000_000_000)+1_000_000_000)%1_000_000_000)
	sum := 0
	for k := range len(body) {
		d := int(body[len(body)-1-k] - '0')
		if k%2 == 0 {
			d *= 3 // weights 3 and 1 alternate from the right, starting with 3
		}
		sum += d
	}
	return fmt.Sprintf("%s%d", body, (10-sum%10)%10)
}

// SamplePrice returns the gross list price of SampleProduct(i)'s first
// variant, with a sale price for every third i and a quantity tier for
// every even i.
func SamplePrice(i int) kontor.Price {
	list := eur(decimal.NewFromInt(1990 + int64(abs(i)%10)*100).Shift(-2))
	p := kontor.Price{SKU: SampleProduct(i).Variants[0].SKU, List: list, IncludesTax: true}
	if i%3 == 0 {
		sale := eur(list.Amount.Sub(decimal.NewFromInt(2)))
		p.Sale = &sale
	}
	if i%2 == 0 {
		p.Tiers = []kontor.PriceTier{{MinQuantity: decimal.NewFromInt(10), Amount: eur(list.Amount.Sub(decimal.NewFromInt(1)))}}
	}
	return p
}

// SampleStock returns the stock of SampleProduct(i)'s first variant in
// location "MAIN": on hand 5 to 104, of which 2 reserved.
func SampleStock(i int) kontor.StockLevel {
	onHand := decimal.NewFromInt(int64(abs(i)%100 + 5))
	two := decimal.NewFromInt(2)
	return kontor.StockLevel{
		SKU:          SampleProduct(i).Variants[0].SKU,
		Location:     "MAIN",
		Available:    onHand.Sub(two),
		OnHand:       onHand,
		Reserved:     two,
		LeadTimeDays: 3,
	}
}

// SampleCustomer returns customer "C<i>": a consumer for even i, a
// business with a VAT ID for odd i, with a billing address in Germany.
func SampleCustomer(i int) kontor.Customer {
	c := kontor.Customer{
		Number:    fmt.Sprintf("C%06d", i),
		Type:      kontor.B2C,
		Email:     fmt.Sprintf("buyer%d@example.com", i),
		FirstName: "Sample",
		LastName:  fmt.Sprintf("Buyer %d", i),
		Language:  "de-DE",
		Addresses: []kontor.Address{{Kind: "billing", FirstName: "Sample", LastName: fmt.Sprintf("Buyer %d", i),
			Street: fmt.Sprintf("Musterweg %d", abs(i)%200+1), PostalCode: "10115", City: "Berlin", Country: "DE", IsDefault: true}},
	}
	if i%2 != 0 {
		c.Type = kontor.B2B
		c.Company = fmt.Sprintf("Sample Trading %d GmbH", i)
		c.VATID = "DE136695976"
		c.CustomerGroup = "wholesale"
		c.Addresses[0].Company = c.Company
	}
	return c
}

// SampleOrder returns order "#<500000+i>" of SampleCustomer(i): two of
// SampleProduct(i)'s size S at 19 % VAT, one of its size M at 7 %, and
// shipping at 19 %, net prices, paid. Every line's tax is its net times
// its rate rounded to the cent, and the totals are the sums, so it
// validates.
func SampleOrder(i int) kontor.Order {
	p := SampleProduct(i)
	c := SampleCustomer(i)
	lines := []kontor.OrderLine{
		orderLine(p.Variants[0].SKU, p.Title+" S", 2, decimal.NewFromInt(1000+int64(abs(i)%7)*100).Shift(-2), 19),
		orderLine(p.Variants[1].SKU, p.Title+" M", 1, decimal.RequireFromString("24.50"), 7),
	}
	ship := kontor.ShippingLine{Title: "Standard", Code: "standard", Carrier: "DHL", TaxRate: decimal.NewFromInt(19)}
	ship.Net = eur(decimal.RequireFromString("4.90"))
	ship.Tax = eur(tax(ship.Net.Amount, ship.TaxRate))
	ship.Gross = eur(ship.Net.Amount.Add(ship.Tax.Amount))
	net, vat := ship.Net.Amount, ship.Tax.Amount
	for _, l := range lines {
		net, vat = net.Add(l.Net.Amount), vat.Add(l.Tax.Amount)
	}
	gross := net.Add(vat)
	at := sampleAt(i)
	return kontor.Order{
		Number:        fmt.Sprintf("#%d", 500000+i),
		Channel:       "online-store",
		PlacedAt:      at,
		Currency:      "EUR",
		Customer:      c,
		Billing:       c.Addresses[0],
		Lines:         lines,
		ShippingLines: []kontor.ShippingLine{ship},
		TotalNet:      eur(net),
		TotalTax:      eur(vat),
		TotalGross:    eur(gross),
		Payment: kontor.Payment{Method: "paypal", Gateway: "paypal", Status: kontor.PaymentPaid,
			TransactionID: fmt.Sprintf("PAY-%06d", i), Amount: eur(gross), PaidAt: at},
		ShippingInfo:  kontor.ShippingInfo{Method: "standard", Carrier: "DHL"},
		Status:        kontor.OrderProcessing,
		PaymentStatus: kontor.PaymentPaid,
	}
}

func orderLine(sku, title string, qty int64, unit decimal.Decimal, rate int64) kontor.OrderLine {
	q, r := decimal.NewFromInt(qty), decimal.NewFromInt(rate)
	net := unit.Mul(q)
	t := tax(net, r)
	return kontor.OrderLine{SKU: sku, Title: title, Quantity: q, UnitPrice: eur(unit),
		Net: eur(net), Tax: eur(t), Gross: eur(net.Add(t)), TaxRate: r}
}

// tax is net × rate %, rounded half away from zero to the cent.
func tax(net, rate decimal.Decimal) decimal.Decimal { return net.Mul(rate).Shift(-2).Round(2) }

// SampleShipment returns shipment "SHP-<i>" of the whole order with
// orderNumber, sent with DHL with one tracked parcel.
func SampleShipment(orderNumber string, i int) kontor.Shipment {
	tracking := fmt.Sprintf("00340434%010d", abs(i))
	return kontor.Shipment{
		Number:         fmt.Sprintf("SHP-%06d", i),
		OrderNumber:    orderNumber,
		Carrier:        "DHL",
		Service:        "Paket",
		Tracking:       []kontor.Tracking{{Number: tracking, URL: "https://tracking.example.com/" + tracking}},
		ShippedAt:      sampleAt(i).Add(24 * time.Hour),
		NotifyCustomer: true,
	}
}

// SampleReturn returns return "RMA-<i>" of one piece of SampleProduct(i)'s
// size S from the order with orderNumber, requested, with its refund.
func SampleReturn(orderNumber string, i int) kontor.Return {
	refund := SampleOrder(i).Lines[0].Gross.Amount.Mul(decimal.New(5, -1)).Round(2) // one of two pieces
	return kontor.Return{
		Number:      fmt.Sprintf("RMA-%06d", i),
		OrderNumber: orderNumber,
		Lines: []kontor.ReturnLine{{SKU: SampleProduct(i).Variants[0].SKU, Quantity: decimal.NewFromInt(1),
			Reason: "size", Restock: true, Refund: eur(refund)}},
		Reason:    "too small",
		Refund:    eur(refund),
		Status:    kontor.ReturnRequested,
		CreatedAt: sampleAt(i).Add(72 * time.Hour),
	}
}

// SampleStatusUpdate returns the news, from the ERP, that the order with
// orderNumber was delivered. A SampleOrder is processing, so applying it
// changes the order.
func SampleStatusUpdate(orderNumber string, i int) kontor.StatusUpdate {
	return kontor.StatusUpdate{
		OrderNumber: orderNumber,
		OrderStatus: kontor.OrderDelivered,
		Source:      kontor.SideERP,
		At:          sampleAt(i).Add(48 * time.Hour),
	}
}

func eur(d decimal.Decimal) kontor.Money { return kontor.Money{Amount: d, Currency: "EUR"} }

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
