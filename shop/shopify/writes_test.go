package shopify_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/transport"
)

func TestWriteStatusCancelAndPaid(t *testing.T) {
	srv, c, _ := newSimShop(t)
	o1, o2 := kontortest.SampleOrder(1), kontortest.SampleOrder(2)
	placeOrders(t, srv, []kontor.Order{o1})
	in := fakeOrder(o2)
	in.FinancialStatus = "PENDING"
	addSamples(t, srv, 2, 1)
	_, err := srv.PlaceOrder(bg, in)
	require.NoError(t, err)

	now := time.Now()
	updates := []kontor.StatusUpdate{
		{OrderNumber: o1.Number, OrderStatus: kontor.OrderCancelled, Source: kontor.SideERP, At: now, Reason: "out of stock"},
		{OrderNumber: o2.Number, PaymentStatus: kontor.PaymentPaid, Source: kontor.SideERP, At: now},
		{OrderNumber: "#999999", OrderStatus: kontor.OrderCancelled, Source: kontor.SideERP, At: now},
		{OrderNumber: o1.Number, ReturnNumber: "R1", ReturnStatus: kontor.ReturnApproved, Source: kontor.SideERP, At: now},
	}
	rs, err := c.WriteStatusUpdates(bg, updates)
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome, "%v", rs[0].Err)
	assert.Equal(t, kontor.Updated, rs[1].Outcome, "%v", rs[1].Err)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[2].Err))
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(rs[3].Err))
	fo1, _ := srv.Order(o1.Number)
	assert.False(t, fo1.CancelledAt.IsZero())
	fo2, _ := srv.Order(o2.Number)
	assert.Equal(t, "PAID", fo2.FinancialStatus)

	rs, err = c.WriteStatusUpdates(bg, updates[:2])
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome, "already cancelled")
	assert.Equal(t, kontor.Unchanged, rs[1].Outcome, "already paid")

	// A cancelled order is not shipped.
	rs, err = c.WriteStatusUpdates(bg, []kontor.StatusUpdate{{OrderNumber: o1.Number, OrderStatus: kontor.OrderShipped, Source: kontor.SideERP, At: now}})
	require.NoError(t, err)
	assert.Equal(t, kontor.KindConflict, kontor.KindOf(rs[0].Err))
}

func TestWriteShipmentPartial(t *testing.T) {
	srv, c, _ := newSimShop(t)
	o := kontortest.SampleOrder(4)
	placeOrders(t, srv, []kontor.Order{o})
	first := kontor.Shipment{Number: "SHP-A", OrderNumber: o.Number, Carrier: "DHL",
		Lines:    []kontor.ShipmentLine{{SKU: o.Lines[0].SKU, Quantity: decimal.NewFromInt(1)}},
		Tracking: []kontor.Tracking{{Number: "TRACK-A", URL: "https://track.example.com/A"}}, NotifyCustomer: true}
	tooMany := first
	tooMany.Number, tooMany.Tracking = "SHP-B", []kontor.Tracking{{Number: "TRACK-B"}}
	tooMany.Lines = []kontor.ShipmentLine{{SKU: o.Lines[1].SKU, Quantity: decimal.NewFromInt(5)}}
	rs, err := c.WriteShipments(bg, []kontor.Shipment{first, tooMany})
	require.NoError(t, err)
	assert.Equal(t, kontor.Created, rs[0].Outcome, "%v", rs[0].Err)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[1].Err), "more than is open")
	fs := srv.Fulfillments(o.Number)
	require.Len(t, fs, 1)
	assert.Equal(t, []shopifytest.Tracking{{Company: "DHL", Number: "TRACK-A", URL: "https://track.example.com/A"}}, fs[0].Tracking)
	assert.True(t, fs[0].NotifyCustomer)
	assert.Equal(t, []shopifytest.LineQuantity{{SKU: o.Lines[0].SKU, Quantity: 1}}, fs[0].Lines)
	fo, _ := srv.Order(o.Number)
	assert.Equal(t, "PARTIALLY_FULFILLED", fo.FulfillmentStatus)
}

func TestWriteB2BPrices(t *testing.T) {
	srv, _, _ := newSimShop(t)
	addSamples(t, srv, 0, 2)
	_, list, err := srv.AddCatalog("Wholesale DE", nil, "EUR", 0)
	require.NoError(t, err)
	c2, err := shopify.New(srv.ShopDomain(), srv.Token(), shopify.WithEndpoint(srv.URL()), shopify.WithPriceLists(map[string]string{"wholesale": list}))
	require.NoError(t, err)
	eur := func(s string) kontor.Money { return kontor.MustMoney(s, "EUR") }
	sale := eur("17.50")
	prices := []kontor.Price{
		{SKU: kontortest.SampleProduct(0).Variants[0].SKU, CustomerGroup: "wholesale", List: eur("18.00"), Sale: &sale,
			Tiers: []kontor.PriceTier{{MinQuantity: decimal.NewFromInt(10), Amount: eur("16.00")}, {MinQuantity: decimal.NewFromInt(50), Amount: eur("15.00")}}},
		{SKU: kontortest.SampleProduct(1).Variants[0].SKU, List: eur("24.90")},
		{SKU: kontortest.SampleProduct(1).Variants[1].SKU, CustomerGroup: "retail-club", List: eur("20.00")},
		{SKU: kontortest.SampleProduct(1).Variants[1].SKU, List: kontor.MustMoney("20.00", "USD")},
	}
	rs, err := c2.WritePrices(bg, prices)
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome, "%v", rs[0].Err)
	assert.Equal(t, kontor.Updated, rs[1].Outcome, "%v", rs[1].Err)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[2].Err), "a group without a price list")
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[3].Err), "not the shop's currency")

	pl, ok := srv.PriceList(list)
	require.True(t, ok)
	sku := prices[0].SKU
	assert.Equal(t, "17.5", pl.Prices[sku].String())
	assert.Equal(t, "18", pl.CompareAtPrices[sku].String())
	require.Len(t, pl.Breaks[sku], 2)
	assert.Equal(t, 10, pl.Breaks[sku][0].MinimumQuantity)
	v, _ := srv.Variant(prices[1].SKU)
	assert.Equal(t, "24.9", v.Price.String())
	assert.Nil(t, v.CompareAtPrice)

	// Written again with one tier, the old breaks go.
	prices[0].Tiers = prices[0].Tiers[:1]
	_, err = c2.WritePrices(bg, prices[:1])
	require.NoError(t, err)
	pl, _ = srv.PriceList(list)
	assert.Len(t, pl.Breaks[sku], 1)
}

// redactions records what the compliance webhooks asked to erase.
type redactions struct {
	mu   sync.Mutex
	list [][]string
}

func (r *redactions) Redact(_ context.Context, entity kontor.Entity, keys []string, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, append([]string{string(entity), reason}, keys...))
	return nil
}

func (r *redactions) RedactAll(_ context.Context, entity kontor.Entity, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, []string{string(entity), reason, "(all)"})
	return nil
}

func TestComplianceWebhooksFromTheShop(t *testing.T) {
	srv, c := newShop(t, nil)
	evs := &events{}
	red := &redactions{}
	h, err := c.WebhookHandler(transport.StaticWebhookSecrets([]byte(srv.WebhookSecret())), evs.handle, shopify.WithRedactor(red))
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	defer hs.Close()
	srv.SetComplianceURL(hs.URL)

	o := kontortest.SampleOrder(5)
	placeOrders(t, srv, []kontor.Order{o})
	fo, _ := srv.Order(o.Number)
	require.NoError(t, srv.RedactCustomer(bg, fo.CustomerID))
	require.NoError(t, srv.RedactShop(bg))
	for _, d := range srv.Deliveries() {
		assert.True(t, d.Delivered, "%s answered %d", d.Topic, d.Status)
	}
	custNum := fo.CustomerID[len("gid://shopify/Customer/"):]
	assert.Equal(t, [][]string{
		{"customer", "customers/redact", custNum},
		{"order", "customers/redact", o.Number},
		{"customer", "shop/redact", "(all)"},
		{"order", "shop/redact", "(all)"},
		{"return", "shop/redact", "(all)"},
	}, red.list)
}

func TestWriteProductPolicy(t *testing.T) {
	srv, c, _ := newSimShop(t)
	srv.AddCollection("Shirts")
	p := withoutWeight(kontortest.SampleProduct(1))
	p.ERPKey = "ITEM-4711" // the identity differs from the SKU
	mustSucceed(t)(c.WriteProducts(bg, []kontor.Product{p}))
	fp, ok := srv.Product(p.Variants[0].SKU)
	require.True(t, ok)
	assert.Equal(t, "ACTIVE", fp.Status)
	assert.Equal(t, []string{"Shirts"}, fp.Collections, "the category joins the shop's collection")
	assert.Contains(t, fp.Metafields, shopifytest.Metafield{Namespace: "kontor", Key: "erp_key", Type: "single_line_text_field", Value: "ITEM-4711"})
	assert.Contains(t, fp.Metafields, shopifytest.Metafield{Namespace: "kontor", Key: "material", Type: "single_line_text_field", Value: "Cotton"})

	// Discontinued: archived, the same product (upserted by the ERP key).
	p.Status = kontor.ProductDiscontinued
	p.Title = "Sample shirt 1 (sold out)"
	rs := mustSucceed(t)(c.WriteProducts(bg, []kontor.Product{p}))
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Len(t, srv.Products(), 1)
	fp, _ = srv.Product(p.Variants[0].SKU)
	assert.Equal(t, "ARCHIVED", fp.Status)
	assert.Equal(t, "Sample shirt 1 (sold out)", fp.Title)

	// Read back: the SKU and the ERP key both survive.
	var got []kontor.Product
	for rp, err := range c.ReadProducts(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, rp)
	}
	require.Len(t, got, 1)
	assert.Equal(t, p.SKU, got[0].SKU)
	assert.Equal(t, "ITEM-4711", got[0].ERPKey)
	assert.Equal(t, kontor.ProductDiscontinued, got[0].Status)
	assert.Len(t, got[0].Variants, 2)

	// A draft policy instead of archiving.
	srv2, c2, _ := newSimShop(t, shopify.WithDiscontinuedStatus("DRAFT"))
	mustSucceed(t)(c2.WriteProducts(bg, []kontor.Product{p}))
	fp, _ = srv2.Product(p.Variants[0].SKU)
	assert.Equal(t, "DRAFT", fp.Status)
}

func TestVersionFallbackFromTheShop(t *testing.T) {
	srv, c := newShop(t, []shopifytest.Option{shopifytest.WithAPIVersions("2026-07", "2026-10")})
	_, err := c.WriteStock(bg, []kontor.StockLevel{{SKU: "NONE", Location: "Main", Available: decimal.NewFromInt(1)}})
	require.NoError(t, err)
	assert.Equal(t, "2026-04", c.APIVersion())
	assert.Equal(t, "2026-07", c.ServedVersion(), "Shopify served its oldest supported version")

	strict, err := shopify.New(srv.ShopDomain(), srv.Token(), shopify.WithEndpoint(srv.URL()), shopify.WithStrictVersion())
	require.NoError(t, err)
	_, err = strict.WriteStock(bg, []kontor.StockLevel{{SKU: "NONE", Location: "Main", Available: decimal.NewFromInt(1)}})
	var ve *shopify.VersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(err))
}
