package shopifytest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

const productSetWeight = `mutation($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id variants(first: 10) { nodes { id sku inventoryItem { id measurement { id weight { value unit } } } } } }
    userErrors { field message code }
  }
}`

// okHook is a webhook endpoint that takes everything.
func okHook(t *testing.T) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	t.Cleanup(hs.Close)
	return hs.URL
}

// bodies are the delivered bodies of a topic, decoded.
func bodies(t *testing.T, s *shopifytest.Server, topic string) []map[string]any {
	t.Helper()
	require.NoError(t, s.WaitForWebhooks(t.Context()))
	var out []map[string]any
	for _, d := range s.Deliveries() {
		if d.Topic == topic {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(d.Body))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&m))
			out = append(out, m)
		}
	}
	return out
}

func TestProductSetStoresAndServesTheWeight(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	hook := okHook(t)
	for _, topic := range []string{"products/create", "products/update"} {
		_, err := s.Subscribe(topic, hook)
		require.NoError(t, err)
	}
	in, ident := shirt("W-1", "S", "M")
	vs := in["variants"].([]any)
	vs[0].(map[string]any)["inventoryItem"] = map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": 0.25, "unit": "KILOGRAMS"}}}
	vs[1].(map[string]any)["inventoryItem"] = map[string]any{"sku": "W-1-M", "measurement": map[string]any{"weight": map[string]any{"value": 12.5, "unit": "OUNCES"}}}
	r := gql(t, s, productSetWeight, map[string]any{"input": in, "identifier": ident})
	require.Empty(t, at(r.Data, "productSet", "userErrors"), string(r.Raw))
	nodes := at(r.Data, "productSet", "product", "variants", "nodes")
	assert.Equal(t, json.Number("0.25"), at(nodes, 0, "inventoryItem", "measurement", "weight", "value"))
	assert.Equal(t, "KILOGRAMS", at(nodes, 0, "inventoryItem", "measurement", "weight", "unit"))
	assert.Equal(t, json.Number("12.5"), at(nodes, 1, "inventoryItem", "measurement", "weight", "value"))
	assert.Equal(t, "OUNCES", at(nodes, 1, "inventoryItem", "measurement", "weight", "unit"))
	assert.NotEmpty(t, at(nodes, 0, "inventoryItem", "measurement", "id"))

	v, ok := s.Variant("W-1-S")
	require.True(t, ok)
	assert.Equal(t, &shopifytest.Weight{Value: 0.25, Unit: "KILOGRAMS"}, v.Weight)

	// The product payload's variants carry it as grams, weight, weight_unit.
	created := bodies(t, s, "products/create")
	require.Len(t, created, 1)
	v0 := at(created[0], "variants", 0).(map[string]any)
	assert.Equal(t, json.Number("250"), v0["grams"])
	assert.Equal(t, json.Number("0.25"), v0["weight"])
	assert.Equal(t, "kg", v0["weight_unit"])
	v1 := at(created[0], "variants", 1).(map[string]any)
	assert.Equal(t, json.Number("354"), v1["grams"], "12.5 oz is 354.37 g")
	assert.Equal(t, "oz", v1["weight_unit"])

	// Another weight updates the variant and the product.
	before, _ := s.Variant("W-1-S")
	untouched, _ := s.Variant("W-1-M")
	vs[0].(map[string]any)["inventoryItem"] = map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": 300, "unit": "GRAMS"}}}
	r = gql(t, s, productSetWeight, map[string]any{"input": in, "identifier": ident})
	assert.Equal(t, "GRAMS", at(r.Data, "productSet", "product", "variants", "nodes", 0, "inventoryItem", "measurement", "weight", "unit"))
	updated := bodies(t, s, "products/update")
	require.Len(t, updated, 1)
	assert.Equal(t, json.Number("300"), at(updated[0], "variants", 0, "grams"))
	assert.Equal(t, "g", at(updated[0], "variants", 0, "weight_unit"))
	after, _ := s.Variant("W-1-S")
	assert.True(t, after.UpdatedAt.After(before.UpdatedAt), "a new weight changes the variant")
	m, _ := s.Variant("W-1-M")
	assert.Equal(t, untouched.UpdatedAt, m.UpdatedAt, "the same weight does not")

	// Without a measurement the weight stays.
	delete(vs[0].(map[string]any), "inventoryItem")
	gql(t, s, productSetWeight, map[string]any{"input": in, "identifier": ident})
	v, _ = s.Variant("W-1-S")
	assert.Equal(t, &shopifytest.Weight{Value: 300, Unit: "GRAMS"}, v.Weight)
}

func TestWeightIsValidated(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	in, ident := shirt("W-2", "S")
	vs := in["variants"].([]any)
	vs[0].(map[string]any)["inventoryItem"] = map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": -1, "unit": "GRAMS"}}}
	r := gql(t, s, productSetWeight, map[string]any{"input": in, "identifier": ident})
	errs := at(r.Data, "productSet", "userErrors").([]any)
	require.Len(t, errs, 1, string(r.Raw))
	assert.Equal(t, "Weight must be greater than or equal to 0", at(errs, 0, "message"))
	assert.Equal(t, "INVALID_VARIANT", at(errs, 0, "code"))
	assert.Equal(t, []any{"input", "variants", "0", "inventoryItem", "measurement", "weight", "value"}, at(errs, 0, "field"))
	assert.Empty(t, s.Products(), "nothing stored")

	// The unit is a WeightUnit, the value required: the schema refuses.
	vs[0].(map[string]any)["inventoryItem"] = map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": 1, "unit": "STONES"}}}
	r = post(t, s, "", s.Token(), productSetWeight, map[string]any{"input": in, "identifier": ident})
	assert.NotEmpty(t, r.Errors, string(r.Raw))
	vs[0].(map[string]any)["inventoryItem"] = map[string]any{"measurement": map[string]any{"weight": map[string]any{"unit": "GRAMS"}}}
	r = post(t, s, "", s.Token(), productSetWeight, map[string]any{"input": in, "identifier": ident})
	assert.NotEmpty(t, r.Errors, string(r.Raw))
	assert.Empty(t, s.Products())

	_, err := s.AddProduct(shopifytest.Product{Title: "Bad", Variants: []shopifytest.Variant{{SKU: "B", Weight: &shopifytest.Weight{Value: 1, Unit: "STONES"}}}})
	assert.Error(t, err)
	_, err = s.AddProduct(shopifytest.Product{Title: "Bad", Variants: []shopifytest.Variant{{SKU: "B", Weight: &shopifytest.Weight{Value: -1, Unit: "GRAMS"}}}})
	assert.Error(t, err)
}

func TestWeightThroughVariantsBulkUpdateAndInventoryItemUpdate(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	hook := okHook(t)
	for _, topic := range []string{"products/update", "inventory_items/update"} {
		_, err := s.Subscribe(topic, hook)
		require.NoError(t, err)
	}
	v, _ := s.Variant("SKU-000-S")
	assert.Nil(t, v.Weight)
	r := gql(t, s, `query($id: ID!) { inventoryItem(id: $id) { measurement { weight { value unit } } } }`, map[string]any{"id": v.InventoryItemID})
	assert.Equal(t, map[string]any{"value": json.Number("0"), "unit": "KILOGRAMS"}, at(r.Data, "inventoryItem", "measurement", "weight"),
		"no weight reads as 0 kg")

	p, _ := s.Product("SKU-000-S")
	r = gql(t, s, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
	  productVariants { inventoryItem { measurement { weight { value unit } } } } userErrors { field message code } } }`,
		map[string]any{"p": p.ID, "v": []any{
			map[string]any{"id": v.ID, "inventoryItem": map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": 2, "unit": "POUNDS"}}}},
		}})
	require.Empty(t, at(r.Data, "productVariantsBulkUpdate", "userErrors"), string(r.Raw))
	assert.Equal(t, "POUNDS", at(r.Data, "productVariantsBulkUpdate", "productVariants", 0, "inventoryItem", "measurement", "weight", "unit"))
	ups := bodies(t, s, "products/update")
	require.Len(t, ups, 1)
	assert.Equal(t, json.Number("907"), at(ups[0], "variants", 0, "grams"))
	assert.Equal(t, "lb", at(ups[0], "variants", 0, "weight_unit"))

	r = gql(t, s, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) { userErrors { field message code } } }`,
		map[string]any{"p": p.ID, "v": []any{
			map[string]any{"id": v.ID, "inventoryItem": map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": -2, "unit": "POUNDS"}}}},
		}})
	assert.Equal(t, "GREATER_THAN_OR_EQUAL_TO", at(r.Data, "productVariantsBulkUpdate", "userErrors", 0, "code"))

	const itemUpdate = `mutation($id: ID!, $in: InventoryItemInput!) { inventoryItemUpdate(id: $id, input: $in) {
	  inventoryItem { measurement { weight { value unit } } } userErrors { field message } } }`
	weight := func(value float64, unit string) map[string]any {
		return map[string]any{"measurement": map[string]any{"weight": map[string]any{"value": value, "unit": unit}}}
	}
	r = gql(t, s, itemUpdate, map[string]any{"id": v.InventoryItemID, "in": weight(1.5, "KILOGRAMS")})
	require.Empty(t, at(r.Data, "inventoryItemUpdate", "userErrors"), string(r.Raw))
	assert.Equal(t, json.Number("1.5"), at(r.Data, "inventoryItemUpdate", "inventoryItem", "measurement", "weight", "value"))
	ups = bodies(t, s, "products/update")
	require.Len(t, ups, 2, "the weight is in the product payload")
	assert.Equal(t, json.Number("1500"), at(ups[1], "variants", 0, "grams"))
	gql(t, s, itemUpdate, map[string]any{"id": v.InventoryItemID, "in": weight(1.5, "KILOGRAMS")})
	assert.Len(t, bodies(t, s, "products/update"), 2, "the same weight: no product update")
	assert.Len(t, bodies(t, s, "inventory_items/update"), 2)
	r = gql(t, s, itemUpdate, map[string]any{"id": v.InventoryItemID, "in": weight(-1, "KILOGRAMS")})
	assert.Equal(t, "Weight must be greater than or equal to 0", at(r.Data, "inventoryItemUpdate", "userErrors", 0, "message"))
	v, _ = s.Variant("SKU-000-S")
	assert.Equal(t, &shopifytest.Weight{Value: 1.5, Unit: "KILOGRAMS"}, v.Weight, "a refused weight changes nothing")
}

func TestOrderPayloadCarriesTheLinesWeight(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	s.AddLocation(shopifytest.Location{Name: "Berlin"})
	_, err := s.AddProduct(shopifytest.Product{Title: "Mug", Variants: []shopifytest.Variant{
		{SKU: "MUG", Price: decimal.RequireFromString("9.50"), Weight: &shopifytest.Weight{Value: 0.4, Unit: "kilograms"}},
	}})
	require.NoError(t, err)
	v, _ := s.Variant("MUG")
	assert.Equal(t, &shopifytest.Weight{Value: 0.4, Unit: "KILOGRAMS"}, v.Weight)
	_, err = s.Subscribe("orders/create", okHook(t))
	require.NoError(t, err)
	_, err = s.PlaceOrder(t.Context(), shopifytest.OrderInput{Email: "buyer@example.com", Lines: []shopifytest.LineInput{
		{SKU: "MUG", Quantity: 3}, {Title: "Gift wrap", Quantity: 1, Price: ptrDec("2")},
	}})
	require.NoError(t, err)
	orders := bodies(t, s, "orders/create")
	require.Len(t, orders, 1)
	assert.Equal(t, json.Number("400"), at(orders[0], "line_items", 0, "grams"))
	assert.Equal(t, json.Number("0"), at(orders[0], "line_items", 1, "grams"), "a custom line weighs nothing")
	assert.Equal(t, json.Number("1200"), orders[0]["total_weight"])
}

func ptrDec(s string) *decimal.Decimal { d := decimal.RequireFromString(s); return &d }
