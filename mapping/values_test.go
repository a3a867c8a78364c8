package mapping

import (
	"context"
	"errors"
	"testing"

	"github.com/kontor-dev/kontor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValueMapLookup(t *testing.T) {
	vm, err := NewValueMap("order_status", map[string]string{"pending": "OPEN", "processing": "RELEASED"})
	require.NoError(t, err)
	assert.Equal(t, "order_status", vm.Name())
	assert.Equal(t, 2, vm.Len())
	got, err := vm.Lookup("processing")
	require.NoError(t, err)
	assert.Equal(t, "RELEASED", got)

	_, err = vm.Lookup("Processing")
	var me *MissingError
	require.ErrorAs(t, err, &me, "lookups are case-sensitive by default")
	assert.Equal(t, MissingError{Table: "order_status", Value: "Processing"}, *me)
	assert.ErrorIs(t, err, ErrMissing)

	def, err := NewValueMap("carrier", map[string]string{"dhl": "DHL"}, WithDefault("OTHER"))
	require.NoError(t, err)
	got, err = def.Lookup("hermes")
	require.NoError(t, err)
	assert.Equal(t, "OTHER", got)

	fold, err := NewValueMap("payment_status", map[string]string{"Paid": "BEZAHLT", "paid": "BEZAHLT"}, IgnoreCase())
	require.NoError(t, err, "keys equal but for case may map to the same value")
	for _, in := range []string{"paid", "PAID", "Paid"} {
		got, err = fold.Lookup(in)
		require.NoError(t, err, in)
		assert.Equal(t, "BEZAHLT", got, in)
	}

	_, err = NewValueMap("x", map[string]string{"Paid": "A", "paid": "B"}, IgnoreCase())
	assert.EqualError(t, err, `mapping: table "x": keys that differ only in case map to "A" and "B"`)
	_, err = NewValueMap("", nil)
	assert.Error(t, err)

	var none *ValueMap
	_, err = none.Lookup("x")
	assert.ErrorIs(t, err, ErrMissing, "a nil table has no entries")
	assert.Equal(t, 0, none.Len())
}

func TestValueMapInvert(t *testing.T) {
	vm, err := NewValueMap("status", map[string]string{"pending": "OPEN", "processing": "RELEASED"}, IgnoreCase(), WithDefault("X"))
	require.NoError(t, err)
	inv, err := vm.Invert("status_back")
	require.NoError(t, err)
	assert.Equal(t, "status_back", inv.Name())
	got, err := inv.Lookup("released")
	require.NoError(t, err)
	assert.Equal(t, "processing", got, "IgnoreCase is kept")
	_, err = inv.Lookup("CLOSED")
	assert.ErrorIs(t, err, ErrMissing, "the default is not kept")

	many, err := NewValueMap("status", map[string]string{"pending": "OPEN", "on_hold": "OPEN", "shipped": "DONE"})
	require.NoError(t, err)
	_, err = many.Invert("back")
	assert.EqualError(t, err, `mapping: table "status" cannot be inverted: "on_hold" and "pending" both map to "OPEN"`)
}

func TestTypedTables(t *testing.T) {
	st, err := OrderStatusTable(map[kontor.OrderStatus]string{kontor.OrderPending: "OPEN", kontor.OrderCancelled: "STORNO"})
	require.NoError(t, err)
	assert.Equal(t, TableOrderStatus, st.Name())
	_, err = OrderStatusTable(map[kontor.OrderStatus]string{"canceled": "STORNO"})
	assert.ErrorContains(t, err, `"canceled" is not a kontor status`)

	ps, err := PaymentStatusTable(map[kontor.PaymentStatus]string{kontor.PaymentPaid: "PAID"})
	require.NoError(t, err)
	assert.Equal(t, TablePaymentStatus, ps.Name())
	_, err = PaymentStatusTable(map[kontor.PaymentStatus]string{"payed": "PAID"})
	assert.ErrorContains(t, err, `"payed" is not a kontor status`)

	ct, err := CountryTable(map[string]string{"DE": "Deutschland", "AT": "Österreich"})
	require.NoError(t, err)
	got, err := ct.Lookup("AT")
	require.NoError(t, err)
	assert.Equal(t, "Österreich", got)
	_, err = CountryTable(map[string]string{"UK": "Vereinigtes Königreich"})
	assert.ErrorContains(t, err, `country code "UK" is deprecated, use "GB"`)

	a3 := CountryAlpha3()
	for in, want := range map[string]string{"DE": "DEU", "AT": "AUT", "CH": "CHE", "GB": "GBR", "US": "USA", "XK": "XKK"} {
		got, err := a3.Lookup(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err = a3.Lookup("UK")
	assert.ErrorIs(t, err, ErrMissing)
	assert.Greater(t, a3.Len(), 240)
	assert.Less(t, a3.Len(), 260)
	back, err := a3.Invert("country")
	require.NoError(t, err, "alpha-3 codes are unique")
	got, err = back.Lookup("DEU")
	require.NoError(t, err)
	assert.Equal(t, "DE", got)

	u := UnitsRec20()
	for in, want := range map[string]string{"pcs": "H87", "Stk": "H87", "STÜCK": "H87", "kg": "KGM", "g": "GRM", "l": "LTR", "m²": "MTK", "pair": "PR", "lb": "LBR"} {
		got, err := u.Lookup(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

func testOrder() kontor.Order {
	return kontor.Order{
		Number:       "1042",
		Status:       kontor.OrderProcessing,
		Currency:     "EUR",
		Customer:     kontor.Customer{Type: kontor.B2C, Addresses: []kontor.Address{{Kind: "billing", Country: "AT"}, {Kind: "shipping", Country: "DE"}}},
		Billing:      kontor.Address{Country: "DE"},
		Shipping:     kontor.Address{Country: "AT"},
		Payment:      kontor.Payment{Method: "paypal", Status: kontor.PaymentPaid},
		ShippingInfo: kontor.ShippingInfo{Method: "standard", Carrier: "dhl"},
		ShippingLines: []kontor.ShippingLine{
			{Title: "Standard", Carrier: "dhl"},
			{Title: "Sperrgut", Carrier: "dpd"},
		},
		PaymentStatus: kontor.PaymentPaid,
		Lines:         []kontor.OrderLine{{SKU: "TS-ORG-M"}, {SKU: "BOOK-1"}},
	}
}

func TestOrderValueRules(t *testing.T) {
	ctx := context.Background()
	status, _ := OrderStatusTable(map[kontor.OrderStatus]string{kontor.OrderProcessing: "RELEASED"})
	pay, _ := PaymentStatusTable(map[kontor.PaymentStatus]string{kontor.PaymentPaid: "PAID"})
	method, _ := NewValueMap(TablePaymentMethod, map[string]string{"paypal": "PP"})
	carrier, _ := NewValueMap(TableCarrier, map[string]string{"dhl": "DHL", "dpd": "DPD"}, IgnoreCase())
	a3 := CountryAlpha3()
	m := New("orders@1", MapOrderStatus(status), MapPaymentStatus(pay), MapPaymentMethod(method),
		MapCarrier[kontor.Order](carrier), MapCountry[kontor.Order](a3))
	in := testOrder()
	out, err := m.Map(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, kontor.OrderStatus("RELEASED"), out.Status)
	assert.Equal(t, kontor.PaymentStatus("PAID"), out.PaymentStatus)
	assert.Equal(t, kontor.PaymentStatus("PAID"), out.Payment.Status)
	assert.Equal(t, "PP", out.Payment.Method)
	assert.Equal(t, "DHL", out.ShippingInfo.Carrier)
	assert.Equal(t, "DHL", out.ShippingLines[0].Carrier)
	assert.Equal(t, "DPD", out.ShippingLines[1].Carrier)
	assert.Equal(t, "DEU", out.Billing.Country)
	assert.Equal(t, "AUT", out.Shipping.Country)
	assert.Equal(t, "AUT", out.Customer.Addresses[0].Country)
	assert.Equal(t, "DEU", out.Customer.Addresses[1].Country)
	assert.Equal(t, testOrder(), in, "the source order is unchanged")

	// A value the table lacks names the order, the field and the table.
	in.ShippingLines[1].Carrier = "hermes"
	_, err = m.Map(ctx, in)
	assert.EqualError(t, err, `order 1042: shipping_lines[1].carrier: no mapping for "hermes" in table "carrier"`)
	assert.ErrorIs(t, err, ErrMissing)
	assert.Equal(t, "dhl", in.ShippingLines[0].Carrier, "a failed mapping leaves the source alone")

	in = testOrder()
	in.Customer.Addresses[1].Country = "UK"
	_, err = m.Map(ctx, in)
	assert.EqualError(t, err, `order 1042: customer.addresses[1].country: no mapping for "UK" in table "country"`)

	// Empty values are left empty: a default fills them.
	in = testOrder()
	in.Payment.Method, in.Shipping = "", kontor.Address{}
	out, err = m.Map(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "", out.Payment.Method)
	assert.Equal(t, "", out.Shipping.Country)

	in = testOrder()
	in.Status = "on_hold"
	_, err = New("s@1", MapOrderStatus(status)).Map(ctx, in)
	assert.EqualError(t, err, `order 1042: status: no mapping for "on_hold" in table "order_status"`)
}

func TestShipmentCustomerProductValueRules(t *testing.T) {
	ctx := context.Background()
	carrier, _ := NewValueMap(TableCarrier, map[string]string{"DHL": "dhl-paket"})
	sh, err := New("s@1", MapCarrier[kontor.Shipment](carrier)).Map(ctx, kontor.Shipment{Number: "LS-1", Carrier: "DHL"})
	require.NoError(t, err)
	assert.Equal(t, "dhl-paket", sh.Carrier)
	_, err = New("s@1", MapCarrier[kontor.Shipment](carrier)).Map(ctx, kontor.Shipment{Number: "LS-2", Carrier: "GLS"})
	assert.EqualError(t, err, `shipment LS-2: carrier: no mapping for "GLS" in table "carrier"`)

	countries, _ := CountryTable(map[string]string{"DE": "D", "AT": "A"})
	cu := kontor.Customer{Number: "K-7", Email: "erika@example.de", Addresses: []kontor.Address{{Country: "DE"}, {Country: "AT"}}}
	out, err := New("c@1", MapCountry[kontor.Customer](countries)).Map(ctx, cu)
	require.NoError(t, err)
	assert.Equal(t, "D", out.Addresses[0].Country)
	assert.Equal(t, "A", out.Addresses[1].Country)
	assert.Equal(t, "DE", cu.Addresses[0].Country)
	cu.Addresses[1].Country = "CH"
	cu.Number = ""
	cu.ShopKey = "gid://shopify/Customer/9"
	_, err = New("c@1", MapCountry[kontor.Customer](countries)).Map(ctx, cu)
	assert.EqualError(t, err, `customer gid://shopify/Customer/9: addresses[1].country: no mapping for "CH" in table "country"`,
		"the error names the customer by a key, never by e-mail")

	tax, _ := NewValueMap(TableTaxClass, map[string]string{"standard": "S19", "reduced": "R7"})
	p, err := New("p@1", MapTaxClass(tax), MapUnit(UnitsRec20())).Map(ctx, testProduct())
	require.NoError(t, err)
	assert.Equal(t, "S19", p.TaxClass)
	assert.Equal(t, "H87", p.Unit)
	bad := testProduct()
	bad.Unit = "Rolle"
	_, err = New("p@1", MapUnit(UnitsRec20())).Map(ctx, bad)
	assert.EqualError(t, err, `product TS-ORG: unit: no mapping for "Rolle" in table "unit"`)
}

func TestMapFieldMoveDefaultSet(t *testing.T) {
	ctx := context.Background()
	grp, _ := NewValueMap("customer_group", map[string]string{"wholesale": "HAENDLER"})
	r, err := MapField[kontor.Order]("customer.customer_group", grp)
	require.NoError(t, err)
	in := testOrder()
	in.Customer.CustomerGroup = "wholesale"
	out, err := New("o@1", r).Map(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "HAENDLER", out.Customer.CustomerGroup)
	in.Customer.CustomerGroup = "vip"
	_, err = New("o@1", r).Map(ctx, in)
	assert.EqualError(t, err, `order 1042: customer.customer_group: no mapping for "vip" in table "customer_group"`)

	_, err = MapField[kontor.Order]("stauts", grp)
	assert.EqualError(t, err, `mapping: order has no field "stauts" (did you mean "status"?)`)
	_, err = MapField[kontor.Order]("status", nil)
	assert.Error(t, err)

	// Move: attribute to field, extra to field, field to extra.
	mv := New("p@1",
		mustRule(MoveAttribute("Marke", "brand")),
		mustRule(Move[kontor.Product]("extra.erp.item_category", "categories")),
		mustRule(Move[kontor.Product]("gtin", "extra.ean")),
	)
	p, err := mv.Map(ctx, testProduct())
	require.NoError(t, err)
	assert.Equal(t, "Grünwerk", p.Brand)
	assert.Equal(t, []kontor.Attribute{{Name: "Material", Value: "Baumwolle"}}, p.Attributes)
	assert.Equal(t, []string{"Damen > Shirts", "Oberteile"}, p.Categories)
	assert.Equal(t, "", p.GTIN)
	assert.Equal(t, map[string]string{"erp_brand": "Grünwerk", "ean": "4006381333931"}, p.Extra)

	// An empty source moves nothing and keeps the target.
	src := testProduct()
	src.Attributes = nil
	src.Brand = "Alt"
	p, err = mv.Map(ctx, src)
	require.NoError(t, err)
	assert.Equal(t, "Alt", p.Brand)

	_, err = MapField[kontor.Product]("categories", grp)
	assert.EqualError(t, err, `mapping: map: categories is a list; only set, default, require and a move into it apply`)
	_, err = Move[kontor.Product]("tags", "brand")
	assert.Error(t, err)
	_, err = Limit[kontor.Product]("tags", 5)
	assert.Error(t, err)
	_, err = HTMLToText[kontor.Product]("categories")
	assert.Error(t, err)
	_, err = Move[kontor.Product]("brand", "brand")
	assert.Error(t, err)
	_, err = MoveAttribute("", "brand")
	assert.Error(t, err)
	_, err = Move[kontor.Product]("attributes.", "brand")
	assert.Error(t, err, "an attribute path needs a name")

	def := New("o@1",
		mustRule(SetDefault[kontor.Order]("shipping_info.carrier", "DHL")),
		mustRule(SetDefault[kontor.Order]("channel", "online-store")),
		mustRule(Set[kontor.Order]("customer.language", "de-DE")),
	)
	in = testOrder()
	in.ShippingInfo.Carrier = "  "
	in.Channel = "pos"
	out, err = def.Map(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, "DHL", out.ShippingInfo.Carrier, "blank counts as empty")
	assert.Equal(t, "pos", out.Channel, "a default never overwrites")
	assert.Equal(t, "de-DE", out.Customer.Language)
}

func TestField(t *testing.T) {
	get, set, ok := Field[kontor.Order]("billing.country")
	require.True(t, ok)
	o := testOrder()
	assert.Equal(t, "DE", get(&o))
	set(&o, "AT")
	assert.Equal(t, "AT", o.Billing.Country)

	for _, path := range []string{"status", "payment.method", "shipping_info.carrier", "customer.customer_group", "billing.country", "shipping.postal_code", "payment_status", "erp_key"} {
		_, _, ok := Field[kontor.Order](path)
		assert.True(t, ok, path)
	}
	for _, path := range []string{"title", "brand", "tax_class", "unit", "gtin", "description", "status", "extra.x", "attributes.Farbe", "categories", "tags"} {
		_, _, ok := Field[kontor.Product](path)
		assert.True(t, ok, path)
	}
	for _, tc := range []struct {
		ok   func() bool
		name string
	}{
		{func() bool { _, _, ok := Field[kontor.Shipment]("carrier"); return ok }, "shipment carrier"},
		{func() bool { _, _, ok := Field[kontor.Customer]("customer_group"); return ok }, "customer group"},
		{func() bool { _, _, ok := Field[kontor.Price]("customer_group"); return ok }, "price group"},
		{func() bool { _, _, ok := Field[kontor.StockLevel]("location"); return ok }, "stock location"},
		{func() bool { _, _, ok := Field[kontor.Return]("status"); return ok }, "return status"},
		{func() bool { _, _, ok := Field[kontor.StatusUpdate]("order_status"); return ok }, "status update"},
	} {
		assert.True(t, tc.ok(), tc.name)
	}
	_, _, ok = Field[kontor.Order]("title")
	assert.False(t, ok)
	_, _, ok = Field[kontor.Product]("extra.")
	assert.False(t, ok)
	_, _, ok = Field[struct{ A string }]("a")
	assert.False(t, ok, "only kontor entities have field paths")

	// Typed fields convert.
	gs, ss, _ := Field[kontor.Product]("status")
	p := testProduct()
	assert.Equal(t, "active", gs(&p))
	ss(&p, "draft")
	assert.Equal(t, kontor.ProductDraft, p.Status)

	// Setters never write into shared memory.
	orig := testProduct()
	cp := orig
	_, setAttr, _ := Field[kontor.Product]("attributes.Material")
	setAttr(&cp, "Leinen")
	_, setExtra, _ := Field[kontor.Product]("extra.erp_brand")
	setExtra(&cp, "")
	_, setCat, _ := Field[kontor.Product]("categories")
	setCat(&cp, "Neu")
	assert.Equal(t, testProduct(), orig)
	assert.Equal(t, "Leinen", cp.Attributes[0].Value)
	assert.Equal(t, map[string]string{"erp.item_category": "Oberteile"}, cp.Extra)
	assert.Equal(t, []string{"Damen > Shirts", "Neu"}, cp.Categories)
	setCat(&cp, "")
	assert.Nil(t, cp.Categories)

	assert.Contains(t, Fields[kontor.Order](), "customer.customer_group")
	assert.Contains(t, Fields[kontor.Product](), "extra.")
	assert.Empty(t, Fields[int]())
}

func TestCopyOnWriteHelpers(t *testing.T) {
	m := map[string]string{"a": "1"}
	assert.Equal(t, map[string]string{"a": "1", "b": "2"}, WithExtra(m, "b", "2"))
	assert.Equal(t, map[string]string{"a": "1"}, m)
	assert.Nil(t, WithExtra(m, "a", ""))
	same := WithExtra(m, "a", "1")
	same["probe"] = "x" // same map: nothing changed, so nothing copied
	assert.Equal(t, "x", m["probe"])
	assert.Equal(t, map[string]string{"k": "v"}, WithExtra(nil, "k", "v"))

	attrs := make([]kontor.Attribute, 2, 8)
	attrs[0], attrs[1] = kontor.Attribute{Name: "A", Value: "1"}, kontor.Attribute{Name: "B", Value: "2"}
	added := WithAttribute(attrs, "C", "3")
	assert.Len(t, added, 3)
	assert.Equal(t, kontor.Attribute{}, attrs[:3][2], "appending must not write into the spare capacity of the source")
	replaced := WithAttribute(attrs, "A", "9")
	assert.Equal(t, "9", replaced[0].Value)
	assert.Equal(t, "1", attrs[0].Value)
	removed := WithAttribute(attrs, "A", "")
	assert.Equal(t, []kontor.Attribute{{Name: "B", Value: "2"}}, removed)
	assert.Equal(t, "A", attrs[0].Name)
	assert.Nil(t, WithAttribute([]kontor.Attribute{{Name: "A"}}, "A", ""))

	lines := EachLine(func(_ context.Context, l *kontor.OrderLine) error { l.SKU = "X-" + l.SKU; return nil })
	o := testOrder()
	out, err := New("o@1", lines).Map(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, "X-TS-ORG-M", out.Lines[0].SKU)
	assert.Equal(t, "TS-ORG-M", o.Lines[0].SKU)
	boom := errors.New("boom")
	_, err = New("o@1", EachLine(func(context.Context, *kontor.OrderLine) error { return boom })).Map(context.Background(), o)
	assert.ErrorIs(t, err, boom)
	_, err = New("p@1", EachVariant(func(context.Context, *kontor.Variant) error { return boom })).Map(context.Background(), testProduct())
	assert.ErrorIs(t, err, boom)
}

func TestSuggest(t *testing.T) {
	assert.Equal(t, ` (did you mean "aa"?)`, suggest("ab", []string{"ac", "aa", "zz"}), "ties go to the first in sort order")
	assert.Equal(t, ` (did you mean "status"?)`, suggest("stauts", Fields[kontor.Order]()))
	assert.Equal(t, "", suggest("xyzzy", []string{"status", "title"}))
}
