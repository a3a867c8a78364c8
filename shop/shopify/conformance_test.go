package shopify_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// fakeProduct is a kontor product as the fake's seeding API takes it,
// stocked with 100 at "Main", with the identity metafield the client
// writes.
func fakeProduct(p kontor.Product) shopifytest.Product {
	out := shopifytest.Product{Title: p.Title, DescriptionHTML: p.Description, Vendor: p.Brand, Options: p.Options, Tags: p.Tags,
		Metafields: []shopifytest.Metafield{{Namespace: "kontor", Key: "erp_key", Value: p.SKU}}}
	price := decimal.RequireFromString("19.90")
	for _, v := range p.Variants {
		fv := shopifytest.Variant{SKU: v.SKU, Barcode: v.GTIN, Price: price, Stock: map[string]int{"Main": 100}}
		for _, o := range v.Options {
			fv.OptionValues = append(fv.OptionValues, o.Value)
		}
		out.Variants = append(out.Variants, fv)
	}
	if len(p.Variants) == 0 {
		out.Variants = []shopifytest.Variant{{SKU: p.SKU, Barcode: p.GTIN, Price: price, Stock: map[string]int{"Main": 100}}}
	}
	return out
}

func fakeAddress(a kontor.Address) *shopifytest.Address {
	return &shopifytest.Address{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Street,
		Address2: a.Street2, City: a.City, Zip: a.PostalCode, ProvinceCode: a.Region, CountryCode: a.Country, Phone: a.Phone}
}

// fakeOrder is a kontor order as a customer places it in the fake, with
// its lines' taxes as given.
func fakeOrder(o kontor.Order) shopifytest.OrderInput {
	incl := o.PricesIncludeTax
	in := shopifytest.OrderInput{
		Name: o.Number, TaxesIncluded: &incl, Currency: string(o.Currency), BillingAddress: fakeAddress(o.Billing),
		Customer: &shopifytest.Customer{FirstName: o.Customer.FirstName, LastName: o.Customer.LastName, Email: o.Customer.Email},
		Gateway:  o.Payment.Gateway, AuthorizationCode: o.Payment.TransactionID, Note: o.Note,
	}
	for _, l := range o.Lines {
		unit, tax := l.UnitPrice.Amount, l.Tax.Amount
		in.Lines = append(in.Lines, shopifytest.LineInput{SKU: l.SKU, Quantity: int(l.Quantity.IntPart()), Price: &unit, Discount: l.Discount.Amount,
			TaxLines: []shopifytest.TaxLineInput{{Title: "VAT", Rate: l.TaxRate.Shift(-2), Amount: &tax}}})
	}
	for _, s := range o.ShippingLines {
		tax := s.Tax.Amount
		in.ShippingLines = append(in.ShippingLines, shopifytest.ShippingLineInput{Title: s.Title, Code: s.Code, Carrier: s.Carrier,
			Price: s.Net.Amount, TaxLines: []shopifytest.TaxLineInput{{Title: "VAT", Rate: s.TaxRate.Shift(-2), Amount: &tax}}})
	}
	return in
}

// placeOrders makes orders exist in the fake, with their products.
func placeOrders(t testing.TB, srv *shopifytest.Server, orders []kontor.Order) {
	t.Helper()
	for _, o := range orders {
		for _, l := range o.Lines {
			if _, ok := srv.Variant(l.SKU); ok {
				continue
			}
			sku := strings.TrimSuffix(strings.TrimSuffix(l.SKU, "-S"), "-M")
			var i int
			_, err := fmt.Sscanf(sku, "SKU-%d", &i)
			require.NoError(t, err, l.SKU)
			_, err = srv.AddProduct(fakeProduct(kontortest.SampleProduct(i)))
			require.NoError(t, err)
		}
		_, err := srv.PlaceOrder(context.Background(), fakeOrder(o))
		require.NoError(t, err)
	}
}

// seed puts n of every entity the client reads into the fake: n simple
// products (so n variant prices and n stock levels at "Main"), each
// bought once by a customer of its own (n customers, n orders), and one
// piece of each refunded (n returns).
func seed(t testing.TB, srv *shopifytest.Server, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		p := kontortest.SampleProduct(i)
		sku := p.Variants[0].SKU
		_, err := srv.AddProduct(shopifytest.Product{Title: p.Title, Vendor: p.Brand,
			Metafields: []shopifytest.Metafield{{Namespace: "kontor", Key: "erp_key", Value: p.SKU}},
			Variants:   []shopifytest.Variant{{SKU: sku, Price: decimal.RequireFromString("19.90"), Stock: map[string]int{"Main": 10}}}})
		require.NoError(t, err)
	}
	for i := range n {
		c := kontortest.SampleCustomer(2 * i) // consumers
		sku := kontortest.SampleProduct(i).Variants[0].SKU
		o, err := srv.PlaceOrder(ctx, shopifytest.OrderInput{
			Customer:       &shopifytest.Customer{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email},
			BillingAddress: fakeAddress(c.Addresses[0]),
			Lines:          []shopifytest.LineInput{{SKU: sku, Quantity: 2, TaxLines: []shopifytest.TaxLineInput{{Title: "MwSt", Rate: decimal.RequireFromString("0.19")}}}},
		})
		require.NoError(t, err)
		_, err = srv.RefundOrder(ctx, o.Name, shopifytest.RefundInput{Lines: []shopifytest.RefundLine{{SKU: sku, Quantity: 1, Restock: true}}, Note: "too small"})
		require.NoError(t, err)
	}
}

func TestConformance(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		// A Plus plan's bucket: the suite checks contracts, not pacing (the
		// fault tests and the benchmark run on a standard plan's).
		srv, c := newShop(t, []shopifytest.Option{shopifytest.WithBucket(20000, 1000)}, shopify.WithPageSize(10))
		// Stock and prices are written for variants the shop has.
		if name := t.Name(); strings.Contains(name, "write/stock") || strings.Contains(name, "write/price") {
			for i := range 260 {
				_, err := srv.AddProduct(fakeProduct(kontortest.SampleProduct(i)))
				require.NoError(t, err)
			}
		}
		return c, kontortest.Features{
			Seed:            func(t testing.TB, n int) { seed(t, srv, n) },
			PlaceOrders:     func(t testing.TB, orders []kontor.Order) { placeOrders(t, srv, orders) },
			PageSize:        10,
			ReadsAreOrdered: true,
		}
	})
}
