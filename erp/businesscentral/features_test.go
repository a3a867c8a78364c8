package businesscentral_test

import (
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		require.NoError(t, err)
		out = append(out, v)
	}
	return out
}

func TestReadProductsWithVariantsAndPictures(t *testing.T) {
	srv := newFake(t)
	putItem(t, srv, 0)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x03\x08\x02\x00\x00\x00")
	_, err := srv.PutItem(bctest.Item{Number: "OLD-1", DisplayName: "Old desk", Blocked: true,
		Picture: &bctest.Picture{ContentType: "image/png", Content: png}})
	require.NoError(t, err)
	c := connect(t, srv, bc.WithPictures(func(item, pic string) string { return "https://cdn.example.com/" + item + ".png" }))
	ps := collect(t, c.ReadProducts(t.Context(), kontor.Cursor{}))
	require.Len(t, ps, 2)
	slices.SortFunc(ps, func(a, b kontor.Product) int { return map[bool]int{true: -1, false: 1}[a.SKU < b.SKU] })
	old, shirt := ps[0], ps[1]
	assert.Equal(t, kontor.ProductDiscontinued, old.Status)
	require.Len(t, old.Images, 1)
	assert.Equal(t, "https://cdn.example.com/OLD-1.png", old.Images[0].URL)
	assert.Equal(t, kontor.ProductActive, shirt.Status)
	assert.Equal(t, kontortest.SampleProduct(0).GTIN, shirt.GTIN)
	assert.Equal(t, "STANDARD", shirt.TaxClass)
	assert.Equal(t, []string{"SHIRTS"}, shirt.Categories)
	require.Len(t, shirt.Variants, 2)
	var vskus []string
	for _, v := range shirt.Variants {
		vskus = append(vskus, v.SKU)
		assert.Equal(t, []kontor.OptionValue{{Name: "Variant", Value: v.Title[len(v.Title)-1:]}}, v.Options)
	}
	assert.ElementsMatch(t, []string{"SKU-000000-S", "SKU-000000-M"}, vskus)
	for _, p := range ps {
		require.NoError(t, p.Validate())
	}
	content, ct, err := c.Picture(t.Context(), old.ERPKey)
	require.NoError(t, err)
	assert.Equal(t, png, content)
	assert.Equal(t, "image/png", ct)
	_, _, err = c.Picture(t.Context(), shirt.ERPKey)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(err))
}

func TestReadStockFromItemsAndLedger(t *testing.T) {
	srv := newFake(t)
	for i := range 3 {
		putItem(t, srv, i)
		require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: kontortest.SampleProduct(i).SKU, Quantity: decimal.NewFromInt(int64(10 + i))}))
	}
	_, err := srv.PutItem(bctest.Item{Number: "SERVICE", DisplayName: "Assembly", Type: "Service"})
	require.NoError(t, err)
	c := connect(t, srv)
	all := collect(t, c.ReadStock(t.Context(), kontor.Cursor{}))
	require.Len(t, all, 3, "services have no stock")
	for i, s := range all {
		assert.True(t, s.Available.Equal(decimal.NewFromInt(int64(10+i))), s.Available.String())
		require.NoError(t, s.Validate())
	}

	// Stock moves by ledger entries, which do not change the item: the delta
	// read finds them anyway. (The cursor is after the last change so far:
	// the service item, put last.)
	var cursor time.Time
	for _, p := range collect(t, c.ReadProducts(t.Context(), kontor.Cursor{})) {
		if p.UpdatedAt.After(cursor) {
			cursor = p.UpdatedAt
		}
	}
	cursor = cursor.Add(time.Millisecond)
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000001", Quantity: decimal.NewFromInt(4)}))
	changed := collect(t, c.ReadStock(t.Context(), kontor.Cursor{Since: cursor}))
	require.Len(t, changed, 1)
	assert.Equal(t, "SKU-000001", changed[0].SKU)
	assert.True(t, changed[0].OnHand.Equal(decimal.NewFromInt(4)))
	assert.False(t, changed[0].UpdatedAt.Before(cursor), "its time is the entry's")

	// Negative inventory (sold before received) is offered as none.
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SKU-000002", Quantity: decimal.NewFromInt(-3)}))
	for _, s := range collect(t, c.ReadStock(t.Context(), kontor.Cursor{})) {
		if s.SKU == "SKU-000002" {
			assert.True(t, s.Available.IsZero())
		}
	}
}

func TestReadStockPerLocationFromACustomPage(t *testing.T) {
	srv := newFake(t, bctest.WithExtensionAPI())
	putItem(t, srv, 0)
	for _, st := range []bctest.Stock{
		{ItemNumber: "SKU-000000", VariantCode: "S", LocationCode: "MAIN", Quantity: decimal.NewFromInt(5)},
		{ItemNumber: "SKU-000000", VariantCode: "M", LocationCode: "MAIN", Quantity: decimal.NewFromInt(7)},
		{ItemNumber: "SKU-000000", VariantCode: "S", LocationCode: "EAST", Quantity: decimal.NewFromInt(2)},
	} {
		require.NoError(t, srv.SetInventory(st))
	}
	page := bc.StockPage{Route: "kontor/shop/v1.0", EntitySet: "stockLevels", VariantCodeField: "variantCode"}
	c := connect(t, srv, bc.WithStockPage(page))
	keys := func(ls []kontor.StockLevel) map[string]string {
		m := map[string]string{}
		for _, l := range ls {
			m[l.Key()] = l.Available.String()
		}
		return m
	}
	assert.Equal(t, map[string]string{"SKU-000000-S@MAIN": "5", "SKU-000000-M@MAIN": "7", "SKU-000000-S@EAST": "2"},
		keys(collect(t, c.ReadStock(t.Context(), kontor.Cursor{}))))

	c = connect(t, srv, bc.WithStockPage(page), bc.WithStockLocations("EAST"))
	assert.Equal(t, map[string]string{"SKU-000000-S@EAST": "2"}, keys(collect(t, c.ReadStock(t.Context(), kontor.Cursor{}))))

	// Per location needs the page.
	c = connect(t, srv, bc.WithStockLocations("EAST"))
	for _, err := range c.ReadStock(t.Context(), kontor.Cursor{}) {
		assert.Equal(t, kontor.KindPermanent, kontor.KindOf(err))
	}
}

func TestReadShipmentsWithTrackingAndStatus(t *testing.T) {
	srv := newFake(t, bctest.WithExtensionAPI())
	putOrderItems(t, srv, 2)
	c := connect(t, srv, bc.WithTrackingPage(bc.TrackingPage{Route: "kontor/shop/v1.0", EntitySet: "shipmentTrackings"}))
	o0, o1 := kontortest.SampleOrder(0), kontortest.SampleOrder(1)
	rs, err := c.WriteOrders(t.Context(), []kontor.Order{o0, o1})
	require.NoError(t, err)
	require.NoError(t, kontor.BatchErr(rs))

	status := func() map[string]kontor.OrderStatus {
		m := map[string]kontor.OrderStatus{}
		for _, s := range collect(t, c.ReadStatusUpdates(t.Context(), kontor.Cursor{})) {
			require.NoError(t, s.Validate())
			m[s.OrderNumber] = s.OrderStatus
		}
		return m
	}
	assert.Equal(t, map[string]kontor.OrderStatus{"#500000": kontor.OrderProcessing, "#500001": kontor.OrderProcessing}, status())

	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: o0.Number, PackageTrackingNumber: "00340434000000000001",
		ShippingAgentCode: "DHL", ShippingAgentServiceCode: "PAKET"})
	require.NoError(t, err)
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: o1.Number, Lines: map[int]decimal.Decimal{10000: decimal.NewFromInt(1)}})
	require.NoError(t, err)
	assert.Equal(t, map[string]kontor.OrderStatus{"#500000": kontor.OrderShipped, "#500001": kontor.OrderPartiallyShipped}, status())

	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 2)
	s := ships[0]
	require.NoError(t, s.Validate())
	assert.Equal(t, "#500000", s.OrderNumber, "the shop's number")
	assert.Equal(t, "DHL", s.Carrier)
	assert.Equal(t, "PAKET", s.Service)
	assert.Equal(t, []kontor.Tracking{{Number: "00340434000000000001"}}, s.Tracking)
	assert.NotEmpty(t, s.Lines)
	assert.Empty(t, ships[1].Tracking)
	require.Len(t, ships[1].Lines, 1)
	assert.True(t, ships[1].Lines[0].Quantity.Equal(decimal.NewFromInt(1)))
}

func TestWriteOrderDetails(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 2)
	_, err := srv.PutCode("shipmentMethods", "DHL-STD", "DHL Standard")
	require.NoError(t, err)
	termsID, err := srv.PutCode("paymentTerms", "PREPAID", "Paid in advance")
	require.NoError(t, err)
	_, err = srv.PutCustomer(bctest.Customer{Number: "WEBGUEST", DisplayName: "Web shop guests", Type: "Person"})
	require.NoError(t, err)
	c := connect(t, srv,
		bc.WithShipmentMethods(map[string]string{"standard": "DHL-STD"}),
		bc.WithPaymentTerms(map[string]string{"paypal": "PREPAID"}),
		bc.WithGuestCustomer("WEBGUEST"))

	o := kontortest.SampleOrder(0)
	o.Shipping = kontor.Address{FirstName: "Erika", LastName: "Muster", Company: "Muster AG", Street: "Hauptstr. 1", PostalCode: "80331", City: "München", Country: "DE"}
	guest := kontortest.SampleOrder(1)
	guest.Customer = kontor.Customer{Type: kontor.B2C, Email: "guest@example.com", FirstName: "Gast", LastName: "Kunde"}
	unknown := kontortest.SampleOrder(1)
	unknown.Number = "#UNKNOWN"
	unknown.Lines[1].SKU = "NO-SUCH-SKU"
	rs, err := c.WriteOrders(t.Context(), []kontor.Order{o, guest, unknown})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)
	require.Equal(t, kontor.Created, rs[1].Outcome, rs[1].Err)
	require.Equal(t, kontor.Failed, rs[2].Outcome)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[2].Err, &ve)
	assert.Equal(t, "lines[1].sku", ve.Field)
	assert.Empty(t, srv.SalesOrdersByExternalDocumentNumber("#UNKNOWN"))

	so, ok := srv.SalesOrderByExternalDocumentNumber(o.Number)
	require.True(t, ok)
	assert.Equal(t, "C000000", so.CustomerNumber, "the order's customer, created")
	assert.Equal(t, "Muster AG", so.ShipToName)
	assert.Equal(t, "Erika Muster", so.ShipToContact)
	assert.Equal(t, "München", so.ShipTo.City)
	assert.Equal(t, "DE", so.ShipTo.CountryCode)
	assert.Equal(t, "Musterweg 1", so.SellTo.Line1)
	assert.Equal(t, termsID, so.PaymentTermsID)
	assert.NotEmpty(t, so.ShipmentMethodID)
	require.Len(t, so.Lines, 3, "two items and the shipping charge")
	assert.Equal(t, "SKU-000000", so.Lines[0].LineObjectNumber)
	assert.Equal(t, "S", so.Lines[0].VariantCode, "the variant SKU became item + variant")
	assert.Equal(t, "M", so.Lines[1].VariantCode)
	assert.True(t, so.Lines[0].UnitPrice.Equal(o.Lines[0].UnitPrice.Amount))
	assert.Equal(t, "FREIGHT", so.Lines[2].LineObjectNumber)
	assert.True(t, so.Lines[2].UnitPrice.Equal(decimal.RequireFromString("4.90")), "the net shipping charge: prices exclude tax")

	g, ok := srv.SalesOrderByExternalDocumentNumber(guest.Number)
	require.True(t, ok)
	assert.Equal(t, "WEBGUEST", g.CustomerNumber)

	// Without a shipping charge line configured, an order with shipping fails
	// rather than losing the charge.
	srv2 := newFake(t)
	c2, err := bc.New(bc.Config{BaseURL: baseURL(srv2), TenantID: srv2.TenantID(), ClientID: srv2.ClientID(),
		ClientSecret: srv2.ClientSecret(), TokenURL: srv2.TokenURL(), Currency: "EUR"})
	require.NoError(t, err)
	rs, err = c2.WriteOrders(t.Context(), []kontor.Order{kontortest.SampleOrder(3)})
	require.NoError(t, err)
	require.ErrorAs(t, rs[0].Err, &ve)
	assert.Equal(t, "shipping_lines[0]", ve.Field)
}

func TestWriteCustomersB2BAndB2C(t *testing.T) {
	srv := newFake(t)
	c := connect(t, srv)
	b2b, b2c := kontortest.SampleCustomer(1), kontortest.SampleCustomer(2)
	noNumber := kontor.Customer{Type: kontor.B2C, Email: "no.number@example.com", FirstName: "Nora", LastName: "Nummerlos",
		Addresses: []kontor.Address{{Kind: "billing", Street: "Weg 2", PostalCode: "10115", City: "Berlin", Country: "DE"}}}
	rs, err := c.WriteCustomers(t.Context(), []kontor.Customer{b2b, b2c, noNumber})
	require.NoError(t, err)
	for _, r := range rs {
		require.Equal(t, kontor.Created, r.Outcome, r.Err)
	}
	got, _ := srv.Customer("C000001")
	assert.Equal(t, "Company", got.Type)
	assert.Equal(t, "Sample Trading 1 GmbH", got.DisplayName)
	assert.Equal(t, "DE136695976", got.TaxRegistrationNumber)
	got, _ = srv.Customer("C000002")
	assert.Equal(t, "Person", got.Type)
	assert.Equal(t, "Sample Buyer 2", got.DisplayName)

	// Again: found by number, and by e-mail address the one without.
	rs, err = c.WriteCustomers(t.Context(), []kontor.Customer{b2b, b2c, noNumber})
	require.NoError(t, err)
	for _, r := range rs {
		assert.Equal(t, kontor.Unchanged, r.Outcome, r.Err)
	}
	assert.Len(t, srv.Customers(), 3)

	// Read back, they are valid kontor customers.
	for _, cu := range collect(t, c.ReadCustomers(t.Context(), kontor.Cursor{})) {
		require.NoError(t, cu.Validate())
		if cu.Number == "C000001" {
			assert.Equal(t, kontor.B2B, cu.Type)
			assert.Equal(t, "DE136695976", cu.VATID)
		}
	}
}

func TestWriteReturnsAsCreditMemos(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 2)
	c := connect(t, srv)
	o := kontortest.SampleOrder(0)
	placeOrders(t, srv, []kontor.Order{o})
	r := kontortest.SampleReturn(o.Number, 0)
	orphan := kontortest.SampleReturn("#NOT-THERE", 1)
	rs, err := c.WriteReturns(t.Context(), []kontor.Return{r, orphan})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[1].Err), "its order has not arrived: retried later")
	memos := srv.CreditMemos()
	require.Len(t, memos, 1)
	assert.Equal(t, "RMA-000000", memos[0].ExternalDocumentNumber)
	assert.Equal(t, "C000000", memos[0].CustomerNumber)
	require.Len(t, memos[0].Lines, 1)
	assert.Equal(t, "S", memos[0].Lines[0].VariantCode)
	assert.True(t, memos[0].Lines[0].UnitPrice.Equal(r.Lines[0].Refund.Amount), "one piece: the refund is the unit price")

	rs, err = c.WriteReturns(t.Context(), []kontor.Return{r})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Len(t, srv.CreditMemos(), 1, "nothing credited twice")
}

func TestCompanyDiscovery(t *testing.T) {
	srv := newFake(t, bctest.WithCompanies("CRONUS DE", "CRONUS US"))
	mk := func(name string) *bc.Connector {
		c, err := bc.New(bc.Config{BaseURL: baseURL(srv), TenantID: srv.TenantID(), ClientID: srv.ClientID(),
			ClientSecret: srv.ClientSecret(), TokenURL: srv.TokenURL(), CompanyName: name, Currency: "EUR"},
			bc.WithRetryPolicy(fastRetry))
		require.NoError(t, err)
		return c
	}
	cos, err := mk("").Companies(t.Context())
	require.NoError(t, err)
	require.Len(t, cos, 2)
	id, err := mk("CRONUS US").CompanyID(t.Context())
	require.NoError(t, err)
	assert.Equal(t, cos[1].ID, id)
	_, err = mk("").CompanyID(t.Context())
	assert.ErrorContains(t, err, "2 companies")
	_, err = mk("Fabrikam").CompanyID(t.Context())
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(err))

	one := newFake(t)
	id, err = connect(t, one).CompanyID(t.Context())
	require.NoError(t, err)
	assert.Equal(t, one.CompanyID(), id, "the only company")
}
