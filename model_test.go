package kontor_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func eur(s string) kontor.Money { return kontor.MustMoney(s, "EUR") }

var t0 = time.Date(2026, 11, 20, 9, 30, 15, 123456789, time.FixedZone("CET", 3600))

func sampleProduct() kontor.Product {
	return kontor.Product{
		Meta:             kontor.Meta{ERPKey: "1000", ShopKey: "gid://shopify/Product/9876543210123456789", Version: 42, UpdatedAt: t0},
		SKU:              "TS-ORG",
		Title:            "Bio-T-Shirt „Kontor“",
		Description:      "<p>Weiches T-Shirt aus 100 % Bio-Baumwolle.</p>",
		ShortDescription: "Bio-T-Shirt",
		GTIN:             "4006381333931",
		MPN:              "KT-100",
		Brand:            "Kontor Textil",
		Weight:           &kontor.Measure{Value: dec("0.185"), Unit: "kg"},
		Dimensions:       &kontor.Dimensions{Length: dec("30"), Width: dec("25"), Height: dec("2.5"), Unit: "cm"},
		TaxClass:         "standard",
		Unit:             "PCS",
		Status:           kontor.ProductActive,
		Images:           []kontor.Image{{URL: "https://cdn.example.com/ts-org.jpg", Alt: "T-Shirt vorne", Position: 1}},
		Categories:       []string{"Herren > Shirts", "Bio"},
		Attributes:       []kontor.Attribute{{Name: "Material", Value: "Baumwolle"}},
		Options:          []string{"Größe", "Farbe"},
		Variants: []kontor.Variant{
			{Meta: kontor.Meta{ERPKey: "1000-M-BL"}, SKU: "TS-ORG-M-BL", Title: "M / Blau", GTIN: "5901234123457",
				Options: []kontor.OptionValue{{Name: "Größe", Value: "M"}, {Name: "Farbe", Value: "Blau"}},
				Weight:  &kontor.Measure{Value: dec("0.180"), Unit: "kg"}},
			{SKU: "TS-ORG-L-BL", Options: []kontor.OptionValue{{Name: "Größe", Value: "L"}, {Name: "Farbe", Value: "Blau"}},
				Status: kontor.ProductDiscontinued},
		},
		Tags:  []string{"sommer"},
		Extra: map[string]string{"custom.care": "30 °C"},
	}
}

func samplePrice() kontor.Price {
	sale := eur("17.99")
	return kontor.Price{
		Meta:          kontor.Meta{ERPKey: "PL-1", Version: 3, UpdatedAt: t0},
		SKU:           "TS-ORG-M-BL",
		CustomerGroup: "wholesale",
		List:          eur("19.99"),
		Sale:          &sale,
		IncludesTax:   true,
		Tiers:         []kontor.PriceTier{{MinQuantity: dec("10"), Amount: eur("16.50")}, {MinQuantity: dec("100"), Amount: eur("14.00")}},
		ValidFrom:     t0,
		ValidTo:       t0.Add(30 * 24 * time.Hour),
	}
}

func sampleStock() kontor.StockLevel {
	return kontor.StockLevel{
		Meta:         kontor.Meta{ERPKey: "TS-ORG-M-BL@MAIN", Version: 7, UpdatedAt: t0},
		SKU:          "TS-ORG-M-BL",
		Location:     "MAIN",
		Available:    dec("12.5"),
		OnHand:       dec("15"),
		Reserved:     dec("2.5"),
		Incoming:     dec("40"),
		IncomingDate: t0.Add(72 * time.Hour),
		LeadTimeDays: 5,
		SafetyStock:  dec("0"),
	}
}

func sampleCustomer() kontor.Customer {
	return kontor.Customer{
		Meta:          kontor.Meta{ERPKey: "D10001", ShopKey: "7281928391029381", UpdatedAt: t0},
		Number:        "D10001",
		Type:          kontor.B2B,
		Email:         "einkauf@example.de",
		Phone:         "+49 30 1234567",
		FirstName:     "Erika",
		LastName:      "Mustermann",
		Company:       "Muster GmbH",
		VATID:         "DE136695976",
		CustomerGroup: "wholesale",
		Language:      "de-DE",
		Addresses: []kontor.Address{{Kind: "billing", Company: "Muster GmbH", FirstName: "Erika", LastName: "Mustermann",
			Street: "Heidestraße 17", PostalCode: "51147", City: "Köln", Country: "DE", IsDefault: true}},
	}
}

func sampleOrder() kontor.Order {
	billing := kontor.Address{Kind: "billing", FirstName: "Erika", LastName: "Mustermann", Street: "Heidestraße 17",
		PostalCode: "51147", City: "Köln", Country: "DE"}
	shipping := billing
	shipping.Kind = "shipping"
	shipping.Street, shipping.Description = "Packstation 105", "Postnummer 12345678"
	return kontor.Order{
		Meta:             kontor.Meta{ShopKey: "gid://shopify/Order/5566778899001122334", UpdatedAt: t0},
		Number:           "#1042",
		Channel:          "online-store",
		PlacedAt:         t0,
		Currency:         "EUR",
		PricesIncludeTax: true,
		Customer:         kontor.Customer{Type: kontor.B2C, Email: "erika@example.de", FirstName: "Erika", LastName: "Mustermann"},
		Billing:          billing,
		Shipping:         shipping,
		Lines: []kontor.OrderLine{
			{Meta: kontor.Meta{ShopKey: "gid://shopify/LineItem/1"}, SKU: "TS-ORG-M-BL", Title: "Bio-T-Shirt M / Blau", Quantity: dec("2"),
				UnitPrice: eur("19.99"), Net: eur("33.60"), Tax: eur("6.38"), Gross: eur("39.98"), TaxRate: dec("19")},
			{SKU: "BOOK-1", Title: "Buch", Quantity: dec("1"), UnitPrice: eur("13.00"), Discount: eur("1.00"),
				Net: eur("11.21"), Tax: eur("0.79"), Gross: eur("12.00"), TaxRate: dec("7")},
		},
		ShippingLines: []kontor.ShippingLine{{Title: "DHL Paket", Code: "dhl", Carrier: "DHL",
			Net: eur("4.12"), Tax: eur("0.78"), Gross: eur("4.90"), TaxRate: dec("19")}},
		Fees: []kontor.FeeLine{{Title: "Nachnahmegebühr", Code: "cod", Net: eur("1.68"), Tax: eur("0.32"), Gross: eur("2.00"),
			TaxRate: dec("19")}},
		Discounts:     []kontor.Discount{{Code: "BUCH1", Title: "1 € auf Bücher", Amount: eur("1.00"), Allocated: true}},
		TotalNet:      eur("50.61"),
		TotalTax:      eur("8.27"),
		TotalGross:    eur("58.88"),
		Payment:       kontor.Payment{Method: "cod", Gateway: "cod", Status: kontor.PaymentPaid, TransactionID: "8XK12345AB678901C", Amount: eur("58.88"), PaidAt: t0},
		ShippingInfo:  kontor.ShippingInfo{Method: "standard", Carrier: "DHL"},
		Status:        kontor.OrderProcessing,
		PaymentStatus: kontor.PaymentPaid,
		Note:          "Bitte klingeln",
		Tags:          []string{"erstkunde"},
	}
}

func sampleShipment() kontor.Shipment {
	return kontor.Shipment{
		Meta:           kontor.Meta{ERPKey: "LS-2026-0042", UpdatedAt: t0},
		Number:         "LS-2026-0042",
		OrderNumber:    "#1042",
		OrderKeys:      kontor.Meta{ERPKey: "AB-1042", ShopKey: "gid://shopify/Order/5566778899001122334"},
		Lines:          []kontor.ShipmentLine{{SKU: "TS-ORG-M-BL", Quantity: dec("2")}, {SKU: "BOOK-1", Quantity: dec("1"), OrderLine: "20000"}},
		Carrier:        "DHL",
		Service:        "Paket",
		Tracking:       []kontor.Tracking{{Number: "00340434161094042557", URL: "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557"}},
		ShippedAt:      t0,
		NotifyCustomer: true,
	}
}

func sampleReturn() kontor.Return {
	return kontor.Return{
		Meta:        kontor.Meta{ShopKey: "gid://shopify/Return/1", UpdatedAt: t0},
		Number:      "R-1042-1",
		OrderNumber: "#1042",
		Lines:       []kontor.ReturnLine{{SKU: "TS-ORG-M-BL", Quantity: dec("1"), Reason: "size_too_small", Restock: true, Refund: eur("19.99")}},
		Reason:      "Größe passt nicht",
		Refund:      eur("19.99"),
		Status:      kontor.ReturnReceived,
		CreditNote:  "GS-2026-0007",
		CreatedAt:   t0,
	}
}

func sampleStatus() kontor.StatusUpdate {
	return kontor.StatusUpdate{
		Meta:          kontor.Meta{ERPKey: "AB-1042", Version: 9, UpdatedAt: t0},
		OrderNumber:   "#1042",
		OrderStatus:   kontor.OrderShipped,
		PaymentStatus: kontor.PaymentPaid,
		OrderKeys:     kontor.Meta{ERPKey: "AB-1042", ShopKey: "gid://shopify/Order/5566778899001122334"},
		Source:        kontor.SideERP,
		At:            t0,
	}
}

type validator interface{ Validate() error }

// goldenCase pairs a sample value with a pointer to decode its golden file into.
type goldenCase struct {
	name  string
	value validator
	fresh func() validator
}

func goldenCases() []goldenCase {
	p, pr, s, c, o, sh, r, st := sampleProduct(), samplePrice(), sampleStock(), sampleCustomer(), sampleOrder(), sampleShipment(), sampleReturn(), sampleStatus()
	return []goldenCase{
		{"product", &p, func() validator { return new(kontor.Product) }},
		{"price", &pr, func() validator { return new(kontor.Price) }},
		{"stock", &s, func() validator { return new(kontor.StockLevel) }},
		{"customer", &c, func() validator { return new(kontor.Customer) }},
		{"order", &o, func() validator { return new(kontor.Order) }},
		{"shipment", &sh, func() validator { return new(kontor.Shipment) }},
		{"return", &r, func() validator { return new(kontor.Return) }},
		{"status", &st, func() validator { return new(kontor.StatusUpdate) }},
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	return append(b, '\n')
}

// TestJSONGolden checks that every entity's JSON is stable and that decoding
// and encoding it again loses nothing.
func TestJSONGolden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.value.Validate(), "the sample must be valid")
			got := marshal(t, tc.value)
			path := filepath.Join("testdata", "golden", tc.name+".json")
			if *update {
				require.NoError(t, os.WriteFile(path, got, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got), "encoding changed; run go test -update if intended")

			decoded := tc.fresh()
			dec := json.NewDecoder(bytes.NewReader(want))
			dec.DisallowUnknownFields()
			require.NoError(t, dec.Decode(decoded))
			require.Equal(t, string(want), string(marshal(t, decoded)), "round trip lost data")
			require.NoError(t, decoded.Validate())
		})
	}
}

// TestJSONRoundTripKeepsExactValues checks the values a round trip must not
// touch: large IDs, decimals beyond float precision, time zones.
func TestJSONRoundTripKeepsExactValues(t *testing.T) {
	o := sampleOrder()
	o.Lines[0].Quantity = dec("0.1234567890123456789")
	o.Lines[0].Meta.Version = 9007199254740993 // 2^53 + 1
	var back kontor.Order
	require.NoError(t, json.Unmarshal(marshal(t, o), &back))
	require.True(t, back.Lines[0].Quantity.Equal(dec("0.1234567890123456789")), back.Lines[0].Quantity.String())
	require.Equal(t, int64(9007199254740993), back.Lines[0].Meta.Version)
	require.True(t, back.PlacedAt.Equal(t0))
	_, off := back.PlacedAt.Zone()
	require.Equal(t, 3600, off)
	require.True(t, back.TotalGross.Equal(eur("58.88")))
	require.Equal(t, "gid://shopify/Order/5566778899001122334", back.ShopKey)
}
