package shopifytest_test

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

const productSet = `mutation($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id handle title status variants(first: 10) { nodes { id sku price compareAtPrice selectedOptions { name value } } }
      metafield(namespace: "erp", key: "id") { value } }
    userErrors { field message code }
  }
}`

func shirt(erpID string, sizes ...string) (map[string]any, map[string]any) {
	var values, variants []any
	for i, sz := range sizes {
		values = append(values, map[string]any{"name": sz})
		variants = append(variants, map[string]any{
			"sku": erpID + "-" + sz, "price": fmt.Sprintf("%d.90", 19+i),
			"optionValues": []any{map[string]any{"optionName": "Size", "name": sz}},
		})
	}
	in := map[string]any{
		"title": "Shirt " + erpID, "status": "ACTIVE", "vendor": "Kontor",
		"productOptions": []any{map[string]any{"name": "Size", "values": values}},
		"variants":       variants,
	}
	ident := map[string]any{"customId": map[string]any{"namespace": "erp", "key": "id", "value": erpID}}
	return in, ident
}

func TestProductSetUpsertsByCustomID(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	in, ident := shirt("A-1", "S", "M", "L")
	r := gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	p := at(r.Data, "productSet", "product")
	require.NotNil(t, p, string(r.Raw))
	id := at(p, "id")
	assert.Equal(t, "A-1", at(p, "metafield", "value"))
	assert.Equal(t, "shirt-a-1", at(p, "handle"))
	require.Len(t, at(p, "variants", "nodes"), 3)
	mID := at(p, "variants", "nodes", 1, "id")

	// The same ERP key again updates the same product: M keeps its ID, L is
	// removed because the input no longer lists it, XL is new.
	in, ident = shirt("A-1", "S", "M", "XL")
	in["title"] = "Shirt A-1 (new)"
	r = gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	p = at(r.Data, "productSet", "product")
	assert.Equal(t, id, at(p, "id"))
	assert.Equal(t, "Shirt A-1 (new)", at(p, "title"))
	assert.Equal(t, mID, at(p, "variants", "nodes", 1, "id"))
	assert.Equal(t, "A-1-XL", at(p, "variants", "nodes", 2, "sku"))
	assert.Len(t, s.Products(), 1)
	_, ok := s.Variant("A-1-L")
	assert.False(t, ok)

	r = gql(t, s, `{ productByIdentifier(identifier: {customId: {namespace: "erp", key: "id", value: "A-1"}}) { id } }`, nil)
	assert.Equal(t, id, at(r.Data, "productByIdentifier", "id"))

	// Archiving for a discontinued product.
	in, ident = shirt("A-1", "S", "M", "XL")
	in["status"] = "ARCHIVED"
	gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	prod, _ := s.Product("A-1-S")
	assert.Equal(t, "ARCHIVED", prod.Status)
}

func TestProductSetUserErrors(t *testing.T) {
	s := shopifytest.New(shopifytest.WithVariantLimit(100))
	defer s.Close()
	in, ident := shirt("B-1", "S")
	delete(in, "title")
	r := gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	assert.Nil(t, at(r.Data, "productSet", "product"))
	assert.Equal(t, []any{"input", "title"}, at(r.Data, "productSet", "userErrors", 0, "field"))

	sizes := make([]string, 101)
	for i := range sizes {
		sizes[i] = fmt.Sprint(i)
	}
	in, ident = shirt("B-2", sizes...)
	r = gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	assert.Equal(t, "VARIANTS_OVER_LIMIT", at(r.Data, "productSet", "userErrors", 0, "code"))

	in, ident = shirt("B-3", "S")
	delete(in, "productOptions")
	r = gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	assert.Equal(t, "PRODUCT_OPTIONS_INPUT_MISSING", at(r.Data, "productSet", "userErrors", 0, "code"))

	in, ident = shirt("B-4", "S")
	in["variants"].([]any)[0].(map[string]any)["inventoryQuantities"] = []any{map[string]any{"locationId": "gid://shopify/Location/9", "name": "available", "quantity": 1}}
	r = gql(t, s, productSet, map[string]any{"input": in, "identifier": ident})
	assert.Equal(t, []any{"input", "variants", "0", "inventoryQuantities", "0", "locationId"}, at(r.Data, "productSet", "userErrors", 0, "field"))
	assert.Empty(t, s.Products(), "no product was created by a failed productSet")
}

func TestProductVariantsBulkUpdatePrices(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	p, _ := s.Product("SKU-000-S")
	q := `mutation($pid: ID!, $variants: [ProductVariantsBulkInput!]!) {
	  productVariantsBulkUpdate(productId: $pid, variants: $variants) {
	    productVariants { sku price compareAtPrice } userErrors { field code } } }`
	r := gql(t, s, q, map[string]any{"pid": p.ID, "variants": []any{
		map[string]any{"id": p.Variants[0].ID, "price": "17.50", "compareAtPrice": "19.90"},
		map[string]any{"id": p.Variants[1].ID, "price": "-1"},
	}})
	assert.Equal(t, "GREATER_THAN_OR_EQUAL_TO", at(r.Data, "productVariantsBulkUpdate", "userErrors", 0, "code"))
	v, _ := s.Variant("SKU-000-S")
	assert.True(t, v.Price.Equal(decimal.RequireFromString("19.90")), "all or nothing")

	r = gql(t, s, q, map[string]any{"pid": p.ID, "variants": []any{
		map[string]any{"id": p.Variants[0].ID, "price": "17.50", "compareAtPrice": "19.90"},
	}})
	assert.Equal(t, []any{map[string]any{"sku": "SKU-000-S", "price": "17.50", "compareAtPrice": "19.90"}}, at(r.Data, "productVariantsBulkUpdate", "productVariants"))
	v, _ = s.Variant("SKU-000-S")
	assert.True(t, v.Price.Equal(decimal.RequireFromString("17.5")))
	require.NotNil(t, v.CompareAtPrice)

	// More than 250 items in an input list.
	many := make([]any, 251)
	for i := range many {
		many[i] = map[string]any{"id": p.Variants[0].ID}
	}
	r = post(t, s, "", s.Token(), q, map[string]any{"pid": p.ID, "variants": many})
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "MAX_INPUT_SIZE_EXCEEDED", at(r.Errors[0], "extensions", "code"))
}

func TestB2BPricesAndQuantityBreaks(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	buyer := s.AddCustomer(shopifytest.Customer{FirstName: "Bea", LastName: "Buyer", Email: "bea@example.com"})
	co, err := s.AddCompany(shopifytest.Company{Name: "ACME GmbH", ExternalID: "D-100", ContactIDs: []string{buyer.ID},
		Locations: []shopifytest.CompanyLocation{{Name: "ACME Berlin", TaxRegistrationID: "DE123456789"}}})
	require.NoError(t, err)
	_, plID, err := s.AddCatalog("ACME", []string{co.Locations[0].ID}, "", 10)
	require.NoError(t, err)
	v, _ := s.Variant("SKU-000-S")
	r := gql(t, s, `mutation($pl: ID!, $in: QuantityPricingByVariantUpdateInput!) {
	  quantityPricingByVariantUpdate(priceListId: $pl, input: $in) { productVariants { sku } userErrors { field code } } }`,
		map[string]any{"pl": plID, "in": map[string]any{
			"pricesToAdd":                      []any{map[string]any{"variantId": v.ID, "price": map[string]any{"amount": "15.00", "currencyCode": "EUR"}}},
			"pricesToDeleteByVariantId":        []any{},
			"quantityRulesToAdd":               []any{map[string]any{"variantId": v.ID, "minimum": 5, "increment": 5}},
			"quantityRulesToDeleteByVariantId": []any{},
			"quantityPriceBreaksToAdd":         []any{map[string]any{"variantId": v.ID, "minimumQuantity": 50, "price": map[string]any{"amount": "12.00", "currencyCode": "EUR"}}},
			"quantityPriceBreaksToDelete":      []any{},
		}})
	assert.Empty(t, at(r.Data, "quantityPricingByVariantUpdate", "userErrors"))
	pl, ok := s.PriceList(plID)
	require.True(t, ok)
	assert.True(t, pl.Prices["SKU-000-S"].Equal(decimal.RequireFromString("15")))
	assert.Equal(t, shopifytest.QuantityRule{Minimum: 5, Increment: 5}, pl.Rules["SKU-000-S"])
	require.Len(t, pl.Breaks["SKU-000-S"], 1)

	r = gql(t, s, `query($v: ID!, $cl: ID!) { productVariant(id: $v) { contextualPricing(context: {companyLocationId: $cl}) {
	  price { amount currencyCode } quantityRule { minimum increment } quantityPriceBreaks(first: 5) { nodes { minimumQuantity price { amount } } } } } }`,
		map[string]any{"v": v.ID, "cl": co.Locations[0].ID})
	cp := at(r.Data, "productVariant", "contextualPricing")
	assert.Equal(t, "15.0", at(cp, "price", "amount"))
	assert.Equal(t, jsonNum(5), at(cp, "quantityRule", "minimum"))
	assert.Equal(t, "12.0", at(cp, "quantityPriceBreaks", "nodes", 0, "price", "amount"))
	// The other variant gets the list's 10 % off.
	m, _ := s.Variant("SKU-000-M")
	r = gql(t, s, `query($v: ID!, $cl: ID!) { productVariant(id: $v) { contextualPricing(context: {companyLocationId: $cl}) { price { amount } } } }`,
		map[string]any{"v": m.ID, "cl": co.Locations[0].ID})
	assert.Equal(t, "19.71", at(r.Data, "productVariant", "contextualPricing", "price", "amount"))

	// Currency mismatch is a user error.
	r = gql(t, s, `mutation($pl: ID!) { priceListFixedPricesAdd(priceListId: $pl, prices: [{variantId: "`+v.ID+`", price: {amount: "1", currencyCode: USD}}]) { userErrors { code } } }`,
		map[string]any{"pl": plID})
	assert.Equal(t, "PRICE_LIST_CURRENCY_MISMATCH", at(r.Data, "priceListFixedPricesAdd", "userErrors", 0, "code"))
}
