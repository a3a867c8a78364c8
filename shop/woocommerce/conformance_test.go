package woocommerce_test

import (
	"context"
	"iter"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
	"github.com/kontor-dev/kontor/transport"
)

// pageSize is small so that the read checks' 3.5 pages stay quick.
const pageSize = 4

// newShop starts a fake shop and a client for it that retries quickly.
func newShop(t testing.TB, fopts []woocommercetest.Option, opts ...woocommerce.Option) (*woocommerce.Client, *woocommercetest.Server) {
	t.Helper()
	srv := woocommercetest.New(append([]woocommercetest.Option{woocommercetest.WithCurrency("EUR")}, fopts...)...)
	t.Cleanup(srv.Close)
	base := []woocommerce.Option{
		woocommerce.WithRate(100_000),
		woocommerce.WithRetry(retryFast()...),
		woocommerce.WithStoreSettings("EUR", nil, "kg", "cm"),
		woocommerce.WithStockLocation("MAIN"),
	}
	c, err := woocommerce.New(srv.URL(), srv.ConsumerKey(), srv.ConsumerSecret(), append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

// placeOrders stores the sample orders in the shop, with simple products
// for their SKUs where the catalog has none, and returns them as the shop
// numbered them: WooCommerce numbers an order with its id, which is also
// its key (kontortest.Features.PlaceNumberedOrders).
func placeOrders(t testing.TB, srv *woocommercetest.Server, orders []kontor.Order) []kontor.Order {
	t.Helper()
	placed := slices.Clone(orders)
	for k, o := range orders {
		wo := woocommercetest.Order{Currency: string(o.Currency), Status: "processing", PaymentMethod: o.Payment.Method,
			TransactionID: o.Payment.TransactionID, Billing: woocommercetest.Address{FirstName: o.Billing.FirstName,
				LastName: o.Billing.LastName, Address1: o.Billing.Street, City: o.Billing.City, Postcode: o.Billing.PostalCode,
				Country: o.Billing.Country, Email: o.Customer.Email}}
		for _, l := range o.Lines {
			ensureProduct(t, srv, l.SKU, l.UnitPrice.Amount)
			wo.LineItems = append(wo.LineItems, woocommercetest.LineItem{SKU: l.SKU, Quantity: l.Quantity.IntPart(),
				Subtotal: l.Net.Amount.StringFixed(2), Total: l.Net.Amount.StringFixed(2),
				SubtotalTax: l.Tax.Amount.StringFixed(2), TotalTax: l.Tax.Amount.StringFixed(2)})
		}
		for _, s := range o.ShippingLines {
			wo.ShippingLines = append(wo.ShippingLines, woocommercetest.ShippingLine{MethodID: s.Code, MethodTitle: s.Title,
				Total: s.Net.Amount.StringFixed(2), TotalTax: s.Tax.Amount.StringFixed(2)})
		}
		for _, f := range o.Fees {
			wo.FeeLines = append(wo.FeeLines, woocommercetest.FeeLine{Name: f.Title,
				Total: f.Net.Amount.StringFixed(2), TotalTax: f.Tax.Amount.StringFixed(2)})
		}
		got, err := srv.SeedOrder(wo)
		if err != nil {
			t.Fatalf("seeding order %s: %v", o.Number, err)
		}
		placed[k].Number, placed[k].Meta = got.Number, kontor.Meta{ShopKey: strconv.FormatInt(got.ID, 10)}
	}
	return placed
}

// prepareCatalog gives the shop simple products for the SKUs it does not
// sell yet: WooCommerce keeps prices and stock only for its products
// (kontortest.Features.PrepareCatalog).
func prepareCatalog(t testing.TB, srv *woocommercetest.Server, skus []string) {
	t.Helper()
	for _, sku := range skus {
		ensureProduct(t, srv, sku, decimal.NewFromInt(10))
	}
}

func ensureProduct(t testing.TB, srv *woocommercetest.Server, sku string, price decimal.Decimal) {
	t.Helper()
	if _, ok := srv.ProductBySKU(sku); ok {
		return
	}
	if _, ok := srv.VariationBySKU(sku); ok {
		return
	}
	if _, err := srv.SeedProduct(woocommercetest.Product{Name: "Item " + sku, SKU: sku, RegularPrice: price.StringFixed(2)}); err != nil {
		t.Fatalf("seeding product %s: %v", sku, err)
	}
}

// seed puts n of every entity the connector reads behind it: products
// with two variations (written through the connector), the first
// variation's price and stock, n customers, n orders and a refund of
// each.
func seed(t testing.TB, c *woocommerce.Client, srv *woocommercetest.Server, n int) {
	t.Helper()
	ctx := context.Background()
	caps := c.Capabilities()
	products := make([]kontor.Product, n)
	prices := make([]kontor.Price, n)
	levels := make([]kontor.StockLevel, n)
	customers := make([]kontor.Customer, n)
	orders := make([]kontor.Order, n)
	for i := range n {
		products[i], prices[i], levels[i] = kontortest.SampleProduct(i), kontortest.SamplePrice(i), kontortest.SampleStock(i)
		customers[i], orders[i] = kontortest.SampleCustomer(i), kontortest.SampleOrder(i)
	}
	mustWrite(t, "products", chunked(caps.BatchSize(kontor.EntityProduct), products, c.WriteProducts))
	mustWrite(t, "prices", chunked(caps.BatchSize(kontor.EntityPrice), prices, c.WritePrices))
	mustWrite(t, "stock", chunked(caps.BatchSize(kontor.EntityStock), levels, c.WriteStock))
	mustWrite(t, "customers", chunked(caps.BatchSize(kontor.EntityCustomer), customers, c.WriteCustomers))
	placeOrders(t, srv, orders)
	for _, o := range srv.Orders() {
		if _, err := srv.RefundOrder(ctx, o.ID, woocommercetest.RefundSpec{Reason: "too small",
			Lines: []woocommercetest.RefundLine{{ItemID: o.LineItems[0].ID, Quantity: 1, Total: "5.00"}}}); err != nil {
			t.Fatalf("refunding order %d: %v", o.ID, err)
		}
	}
}

func chunked[T any](size int, items []T, write func(context.Context, []T) ([]kontor.Result, error)) iter.Seq2[[]kontor.Result, error] {
	return func(yield func([]kontor.Result, error) bool) {
		for chunk := range slices.Chunk(items, size) {
			if !yield(write(context.Background(), chunk)) {
				return
			}
		}
	}
}

func mustWrite(t testing.TB, what string, seq iter.Seq2[[]kontor.Result, error]) {
	t.Helper()
	for rs, err := range seq {
		if err == nil {
			err = kontor.BatchErr(rs)
		}
		if err != nil {
			t.Fatalf("seeding %s: %v", what, err)
		}
	}
}

func TestConformance(t *testing.T) {
	kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
		if t.Name() != "TestConformance" {
			t.Parallel() // every check has its own shop
		}
		client, srv := newShop(t, []woocommercetest.Option{woocommercetest.WithDefaultPerPage(pageSize)},
			woocommerce.WithPageSize(pageSize), woocommerce.WithBatchLimit(25))
		return client, kontortest.Features{
			Seed:                func(t testing.TB, n int) { seed(t, client, srv, n) },
			PrepareCatalog:      func(t testing.TB, skus []string) { prepareCatalog(t, srv, skus) },
			PlaceNumberedOrders: func(t testing.TB, orders []kontor.Order) []kontor.Order { return placeOrders(t, srv, orders) },
			PageSize:            pageSize,
		}
	})
}

// retryFast retries in milliseconds, so fault tests stay quick.
func retryFast() []transport.RetryOption {
	return []transport.RetryOption{transport.RetryInitialInterval(time.Millisecond), transport.RetryMaxInterval(5 * time.Millisecond)}
}
