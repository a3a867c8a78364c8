package shopifytest_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func placeB2BOrder(t *testing.T, s *shopifytest.Server) shopifytest.Order {
	t.Helper()
	buyer := s.AddCustomer(shopifytest.Customer{FirstName: "Bea", LastName: "Buyer", Email: "bea@example.com"})
	co, err := s.AddCompany(shopifytest.Company{Name: "ACME GmbH", ContactIDs: []string{buyer.ID},
		Locations: []shopifytest.CompanyLocation{{Name: "ACME Berlin", TaxRegistrationID: "DE123456789"}}})
	require.NoError(t, err)
	pct := d("10")
	o, err := s.PlaceOrder(t.Context(), shopifytest.OrderInput{
		CustomerID: buyer.ID, CompanyLocationID: co.Locations[0].ID, TaxesIncluded: new(true),
		Lines: []shopifytest.LineInput{
			{SKU: "SKU-000-S", Quantity: 2, TaxLines: []shopifytest.TaxLineInput{{Title: "MwSt", Rate: d("0.19")}}},
			{SKU: "SKU-000-M", Quantity: 1, TaxLines: []shopifytest.TaxLineInput{{Title: "MwSt", Rate: d("0.19")}}},
		},
		ShippingLines:   []shopifytest.ShippingLineInput{{Title: "DHL Paket", Code: "dhl", Price: d("4.90"), TaxLines: []shopifytest.TaxLineInput{{Title: "MwSt", Rate: d("0.19")}}}},
		Discounts:       []shopifytest.DiscountInput{{Code: "SPRING10", Percentage: &pct}},
		BillingAddress:  &shopifytest.Address{FirstName: "Bea", LastName: "Buyer", Company: "ACME GmbH", Address1: "Hauptstr. 1", City: "Berlin", Zip: "10115", CountryCode: "DE"},
		Gateway:         "stripe",
		FinancialStatus: "PAID",
	})
	require.NoError(t, err)
	return o
}

func TestPlaceAndReadOrder(t *testing.T) {
	clk := newClock()
	s := shopifytest.New(shopifytest.WithClock(clk.Now))
	defer s.Close()
	seedCatalog(t, s, 1)
	clk.Advance(time.Hour)
	o := placeB2BOrder(t, s)
	assert.Equal(t, "#1001", o.Name)
	// Lines 2 × 19.90 + 21.90 = 61.70, 10 % off = 6.17, shipping 4.90.
	assert.True(t, o.TotalDiscounts.Equal(d("6.17")), o.TotalDiscounts)
	assert.True(t, o.Total.Equal(d("60.43")), o.Total)
	assert.Equal(t, 8, s.Available("SKU-000-S", "Berlin"))

	q := `query($q: String!) { orders(first: 3, sortKey: UPDATED_AT, query: $q) { nodes {
	  id legacyResourceId name createdAt updatedAt cancelledAt displayFinancialStatus displayFulfillmentStatus currencyCode taxesIncluded
	  totalPriceSet { shopMoney { amount currencyCode } } totalTaxSet { shopMoney { amount } }
	  lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } discountedUnitPriceSet { shopMoney { amount } }
	    taxLines { title rate priceSet { shopMoney { amount } } } } }
	  discountApplications(first: 2) { nodes { allocationMethod targetType value { ... on PricingPercentageValue { percentage } } ... on DiscountCodeApplication { code } } }
	  shippingLines(first: 2) { nodes { title code originalPriceSet { shopMoney { amount } } taxLines { rate } } }
	  transactions(first: 2) { gateway status kind authorizationCode amountSet { shopMoney { amount } } }
	  customer { email }
	  purchasingEntity { __typename ... on PurchasingCompany { company { name } location { name taxSettings { taxRegistrationId } } } }
	  billingAddress { city countryCodeV2 } shippingAddress { zip }
	  fulfillmentOrders(first: 1) { nodes { id status assignedLocation { location { name } } lineItems(first: 5) { nodes { id remainingQuantity sku } } } }
	} } }`
	r := gql(t, s, q, map[string]any{"q": "updated_at:>='" + t0.Add(30*time.Minute).Format(time.RFC3339) + "'"})
	nodes := at(r.Data, "orders", "nodes").([]any)
	require.Len(t, nodes, 1)
	n := nodes[0]
	assert.Equal(t, "#1001", at(n, "name"))
	assert.Equal(t, "PAID", at(n, "displayFinancialStatus"))
	assert.Equal(t, "UNFULFILLED", at(n, "displayFulfillmentStatus"))
	assert.Equal(t, true, at(n, "taxesIncluded"))
	assert.Equal(t, "60.43", at(n, "totalPriceSet", "shopMoney", "amount"))
	assert.Equal(t, "SKU-000-S", at(n, "lineItems", "nodes", 0, "sku"))
	assert.Equal(t, "19.9", at(n, "lineItems", "nodes", 0, "originalUnitPriceSet", "shopMoney", "amount"))
	assert.Equal(t, "17.91", at(n, "lineItems", "nodes", 0, "discountedUnitPriceSet", "shopMoney", "amount"))
	assert.Equal(t, "MwSt", at(n, "lineItems", "nodes", 0, "taxLines", 0, "title"))
	assert.Equal(t, "SPRING10", at(n, "discountApplications", "nodes", 0, "code"))
	assert.Equal(t, "dhl", at(n, "shippingLines", "nodes", 0, "code"))
	assert.Equal(t, "stripe", at(n, "transactions", 0, "gateway"))
	assert.Equal(t, "SALE", at(n, "transactions", 0, "kind"))
	assert.Equal(t, "AUTH-1001", at(n, "transactions", 0, "authorizationCode"))
	assert.Equal(t, "PurchasingCompany", at(n, "purchasingEntity", "__typename"))
	assert.Equal(t, "ACME GmbH", at(n, "purchasingEntity", "company", "name"))
	assert.Equal(t, "DE123456789", at(n, "purchasingEntity", "location", "taxSettings", "taxRegistrationId"))
	assert.Equal(t, "DE", at(n, "billingAddress", "countryCodeV2"))
	assert.Equal(t, "10115", at(n, "shippingAddress", "zip"))
	assert.Equal(t, "Berlin", at(n, "fulfillmentOrders", "nodes", 0, "assignedLocation", "location", "name"))
	// IDs beyond 2^53, as strings.
	assert.Greater(t, len(at(n, "legacyResourceId").(string)), 15)

	// The filter excludes orders updated before the watermark.
	r = gql(t, s, q, map[string]any{"q": "updated_at:>='" + t0.Add(2*time.Hour).Format(time.RFC3339) + "'"})
	assert.Empty(t, at(r.Data, "orders", "nodes"))
}

func TestFulfillCancelAndMarkPaid(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	o := placeB2BOrder(t, s)
	r := gql(t, s, `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes { id lineItems(first: 10) { nodes { id sku remainingQuantity } } } } } }`, map[string]any{"id": o.ID})
	fo := at(r.Data, "order", "fulfillmentOrders", "nodes", 0)
	foID := at(fo, "id")
	firstLine := at(fo, "lineItems", "nodes", 0, "id")

	create := `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) {
	  fulfillment { id name status trackingInfo { company number url } fulfillmentLineItems(first: 5) { nodes { quantity lineItem { sku } } } }
	  userErrors { field message } } }`
	// Too many units.
	r = gql(t, s, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{
		"fulfillmentOrderId": foID, "fulfillmentOrderLineItems": []any{map[string]any{"id": firstLine, "quantity": 3}}}}}})
	assert.NotEmpty(t, at(r.Data, "fulfillmentCreate", "userErrors"))
	// One unit, two parcels.
	r = gql(t, s, create, map[string]any{"f": map[string]any{
		"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": foID, "fulfillmentOrderLineItems": []any{map[string]any{"id": firstLine, "quantity": 1}}}},
		"trackingInfo":                map[string]any{"company": "DHL", "numbers": []any{"00340434", "00340435"}, "urls": []any{"https://dhl.de/t/00340434", "https://dhl.de/t/00340435"}},
		"notifyCustomer":              true,
	}})
	f := at(r.Data, "fulfillmentCreate", "fulfillment")
	require.NotNil(t, f, string(r.Raw))
	assert.Equal(t, "#1001-F1", at(f, "name"))
	assert.Equal(t, "00340435", at(f, "trackingInfo", 1, "number"))
	fs := s.Fulfillments("#1001")
	require.Len(t, fs, 1)
	assert.True(t, fs[0].NotifyCustomer)
	assert.Equal(t, []shopifytest.Tracking{{Company: "DHL", Number: "00340434", URL: "https://dhl.de/t/00340434"}, {Company: "DHL", Number: "00340435", URL: "https://dhl.de/t/00340435"}}, fs[0].Tracking)
	assert.Equal(t, []shopifytest.LineQuantity{{SKU: "SKU-000-S", Quantity: 1}}, fs[0].Lines)
	got, _ := s.Order(o.ID)
	assert.Equal(t, "PARTIALLY_FULFILLED", got.FulfillmentStatus)

	// An order with a fulfillment cannot be cancelled.
	cancel := `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { job { id done } orderCancelUserErrors { code message } } }`
	r = gql(t, s, cancel, map[string]any{"id": o.ID})
	assert.Equal(t, "INVALID", at(r.Data, "orderCancel", "orderCancelUserErrors", 0, "code"))

	// The rest ships without line items given: everything remaining.
	r = gql(t, s, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": foID}}}})
	assert.Len(t, at(r.Data, "fulfillmentCreate", "fulfillment", "fulfillmentLineItems", "nodes"), 2)
	got, _ = s.Order(o.ID)
	assert.Equal(t, "FULFILLED", got.FulfillmentStatus)
	r = gql(t, s, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": foID}}}})
	assert.Contains(t, at(r.Data, "fulfillmentCreate", "userErrors", 0, "message"), "unfulfillable status")
	q, _ := s.Quantities("SKU-000-S", "Berlin")
	assert.Equal(t, 0, q["committed"])
	assert.Equal(t, 8, q["on_hand"])

	// A pending order: mark as paid, another cancelled with restock.
	p1, err := s.PlaceOrder(t.Context(), shopifytest.OrderInput{FinancialStatus: "PENDING", Lines: []shopifytest.LineInput{{SKU: "SKU-000-M", Quantity: 1}}})
	require.NoError(t, err)
	r = gql(t, s, `mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { order { displayFinancialStatus fullyPaid } userErrors { message } } }`, map[string]any{"id": p1.ID})
	assert.Equal(t, "PAID", at(r.Data, "orderMarkAsPaid", "order", "displayFinancialStatus"))
	assert.Equal(t, true, at(r.Data, "orderMarkAsPaid", "order", "fullyPaid"))
	p2, err := s.PlaceOrder(t.Context(), shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SKU-000-M", Quantity: 2}}})
	require.NoError(t, err)
	assert.Equal(t, 16, s.Available("SKU-000-M", "Berlin"))
	r = gql(t, s, cancel, map[string]any{"id": p2.ID})
	assert.Equal(t, true, at(r.Data, "orderCancel", "job", "done"))
	got, _ = s.Order(p2.Name)
	assert.Equal(t, "REFUNDED", got.FinancialStatus)
	assert.Equal(t, "CUSTOMER", got.CancelReason)
	assert.False(t, got.CancelledAt.IsZero())
	assert.Equal(t, 18, s.Available("SKU-000-M", "Berlin"), "restocked")
}

func TestRefundsAndReturnsRead(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	ctx := t.Context()
	o, err := s.PlaceOrder(ctx, shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SKU-000-S", Quantity: 2}}})
	require.NoError(t, err)
	_, err = s.FulfillOrder(ctx, o.Name, shopifytest.FulfillInput{Tracking: []shopifytest.Tracking{{Company: "UPS", Number: "1Z"}}})
	require.NoError(t, err)
	ret, err := s.RequestReturn(ctx, o.Name, []shopifytest.ReturnLine{{SKU: "SKU-000-S", Quantity: 1, Reason: "SIZE_TOO_SMALL"}})
	require.NoError(t, err)
	rf, err := s.RefundOrder(ctx, o.Name, shopifytest.RefundInput{Lines: []shopifytest.RefundLine{{SKU: "SKU-000-S", Quantity: 1, Restock: true}}, ReturnID: ret.ID})
	require.NoError(t, err)
	assert.True(t, rf.Amount.Equal(d("19.90")))
	r := gql(t, s, `query($id: ID!) { order(id: $id) { displayFinancialStatus totalRefundedSet { shopMoney { amount } }
	  refunds { totalRefundedSet { shopMoney { amount } } refundLineItems(first: 5) { nodes { quantity restockType lineItem { sku } } } return { name } }
	  returns(first: 5) { nodes { name status returnLineItems(first: 5) { nodes { quantity returnReason ... on ReturnLineItem { fulfillmentLineItem { lineItem { sku } } } } } } } } }`,
		map[string]any{"id": o.ID})
	ord := at(r.Data, "order")
	assert.Equal(t, "PARTIALLY_REFUNDED", at(ord, "displayFinancialStatus"))
	assert.Equal(t, "19.9", at(ord, "totalRefundedSet", "shopMoney", "amount"))
	assert.Equal(t, "RETURN", at(ord, "refunds", 0, "refundLineItems", "nodes", 0, "restockType"))
	assert.Equal(t, "#1001-R1", at(ord, "refunds", 0, "return", "name"))
	assert.Equal(t, "SIZE_TOO_SMALL", at(ord, "returns", "nodes", 0, "returnLineItems", "nodes", 0, "returnReason"))
	assert.Equal(t, "SKU-000-S", at(ord, "returns", "nodes", 0, "returnLineItems", "nodes", 0, "fulfillmentLineItem", "lineItem", "sku"))
	assert.Equal(t, 9, s.Available("SKU-000-S", "Berlin"), "one restocked")
}

func TestCustomersAndCompanies(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	create := `mutation($in: CustomerInput!) { customerCreate(input: $in) { customer { id email displayName } userErrors { field message } } }`
	r := gql(t, s, create, map[string]any{"in": map[string]any{"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com",
		"addresses": []any{map[string]any{"address1": "Ring 2", "city": "Köln", "zip": "50667", "countryCode": "DE"}}}})
	id := at(r.Data, "customerCreate", "customer", "id")
	assert.Equal(t, "Ann Lee", at(r.Data, "customerCreate", "customer", "displayName"))
	r = gql(t, s, create, map[string]any{"in": map[string]any{"email": "ann@example.com"}})
	assert.Equal(t, "Email has already been taken", at(r.Data, "customerCreate", "userErrors", 0, "message"))
	r = gql(t, s, create, map[string]any{"in": map[string]any{"email": "not-an-email"}})
	assert.Equal(t, []any{"email"}, at(r.Data, "customerCreate", "userErrors", 0, "field"))
	r = gql(t, s, `mutation($in: CustomerSetInput!, $id: CustomerSetIdentifiers) { customerSet(input: $in, identifier: $id) { customer { id note } userErrors { code } } }`,
		map[string]any{"in": map[string]any{"note": "VIP"}, "id": map[string]any{"email": "ann@example.com"}})
	assert.Equal(t, id, at(r.Data, "customerSet", "customer", "id"))
	c, _ := s.Customer("ann@example.com")
	assert.Equal(t, "VIP", c.Note)

	r = gql(t, s, `mutation($in: CompanyCreateInput!) { companyCreate(input: $in) { company { id name externalId mainContact { customer { email } }
	  locations(first: 5) { nodes { name billingAddress { city countryCode } taxSettings { taxRegistrationId } } } } userErrors { field code } } }`,
		map[string]any{"in": map[string]any{
			"company":         map[string]any{"name": "Beta AG", "externalId": "D-200"},
			"companyContact":  map[string]any{"firstName": "Ben", "email": "ben@beta.example"},
			"companyLocation": map[string]any{"name": "Beta Wien", "taxRegistrationId": "ATU12345678", "billingSameAsShipping": true, "shippingAddress": map[string]any{"address1": "Gasse 1", "city": "Wien", "countryCode": "AT"}},
		}})
	co := at(r.Data, "companyCreate", "company")
	require.NotNil(t, co, string(r.Raw))
	assert.Equal(t, "ben@beta.example", at(co, "mainContact", "customer", "email"))
	assert.Equal(t, "AT", at(co, "locations", "nodes", 0, "billingAddress", "countryCode"))
	assert.Equal(t, "ATU12345678", at(co, "locations", "nodes", 0, "taxSettings", "taxRegistrationId"))
	r = gql(t, s, `mutation { companyCreate(input: {company: {name: "Gamma", externalId: "D-200"}}) { userErrors { code } } }`, nil)
	assert.Equal(t, "TAKEN", at(r.Data, "companyCreate", "userErrors", 0, "code"))
	r = gql(t, s, `{ companies(first: 5, query: "external_id:D-200") { nodes { name } } customers(first: 5, query: "email:ben@beta.example") { nodes { companyContactProfiles { company { name } } } } }`, nil)
	assert.Equal(t, "Beta AG", at(r.Data, "companies", "nodes", 0, "name"))
	assert.Equal(t, "Beta AG", at(r.Data, "customers", "nodes", 0, "companyContactProfiles", 0, "company", "name"))
}
