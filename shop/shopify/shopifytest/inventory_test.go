package shopifytest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

const setQuantities = `mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}`

func setInput(item, loc string, qty int, changeFrom any) map[string]any {
	return map[string]any{"name": "available", "reason": "correction", "referenceDocumentUri": "kontor://sync/1",
		"quantities": []any{map[string]any{"inventoryItemId": item, "locationId": loc, "quantity": qty, "changeFromQuantity": changeFrom}}}
}

func TestInventorySetCompareAndSwapAndIdempotency(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	loc := seedCatalog(t, s, 1)
	v, ok := s.Variant("SKU-000-S")
	require.True(t, ok)
	item := v.InventoryItemID

	// From 2026-04 the directive is required...
	r := post(t, s, "2026-04", s.Token(), `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { message } } }`,
		map[string]any{"input": setInput(item, loc.ID, 5, 10)})
	require.Len(t, r.Errors, 1, string(r.Raw))
	assert.Equal(t, "The @idempotent directive is required for this mutation but was not provided.", r.Errors[0]["message"])
	assert.Equal(t, "BAD_REQUEST", at(r.Errors[0], "extensions", "code"))
	assert.Equal(t, []any{"inventorySetQuantities"}, r.Errors[0]["path"])
	assert.Nil(t, at(r.Data, "inventorySetQuantities"))
	// ... and so is changeFromQuantity, even as null.
	in := setInput(item, loc.ID, 5, nil)
	delete(in["quantities"].([]any)[0].(map[string]any), "changeFromQuantity")
	r = post(t, s, "2026-04", s.Token(), setQuantities, map[string]any{"input": in, "key": "k-0"})
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "InventoryQuantityInput must include the following argument: changeFromQuantity.", r.Errors[0]["message"])
	assert.Equal(t, 10, s.Available("SKU-000-S", "Berlin"), "nothing changed")

	// A stale compare fails the whole mutation.
	r = gql(t, s, setQuantities, map[string]any{"input": setInput(item, loc.ID, 5, 9), "key": "k-1"})
	assert.Equal(t, "CHANGE_FROM_QUANTITY_STALE", at(r.Data, "inventorySetQuantities", "userErrors", 0, "code"))
	assert.Equal(t, []any{"input", "quantities", "0", "changeFromQuantity"}, at(r.Data, "inventorySetQuantities", "userErrors", 0, "field"))
	assert.Nil(t, at(r.Data, "inventorySetQuantities", "inventoryAdjustmentGroup"))
	assert.Equal(t, 10, s.Available("SKU-000-S", "Berlin"))

	// The right compare value sets it.
	r = gql(t, s, setQuantities, map[string]any{"input": setInput(item, loc.ID, 5, 10), "key": "k-2"})
	assert.Empty(t, at(r.Data, "inventorySetQuantities", "userErrors"))
	assert.Equal(t, []any{
		map[string]any{"name": "available", "delta": jsonNum(-5), "quantityAfterChange": jsonNum(5)},
		map[string]any{"name": "on_hand", "delta": jsonNum(-5), "quantityAfterChange": jsonNum(5)},
	}, at(r.Data, "inventorySetQuantities", "inventoryAdjustmentGroup", "changes"))
	assert.Equal(t, 5, s.Available("SKU-000-S", "Berlin"))

	// A retry with the same key and input is answered from the first
	// result and changes nothing, even though the compare is now stale.
	again := gql(t, s, setQuantities, map[string]any{"input": setInput(item, loc.ID, 5, 10), "key": "k-2"})
	assert.Equal(t, at(r.Data, "inventorySetQuantities"), at(again.Data, "inventorySetQuantities"))
	assert.Equal(t, 5, s.Available("SKU-000-S", "Berlin"))
	// The same key with other parameters is refused.
	r = gql(t, s, setQuantities, map[string]any{"input": setInput(item, loc.ID, 7, 5), "key": "k-2"})
	assert.Equal(t, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", at(r.Data, "inventorySetQuantities", "userErrors", 0, "code"))
	assert.Equal(t, 5, s.Available("SKU-000-S", "Berlin"))
	// null opts out of the check.
	gql(t, s, setQuantities, map[string]any{"input": setInput(item, loc.ID, 8, nil), "key": "k-3"})
	assert.Equal(t, 8, s.Available("SKU-000-S", "Berlin"))

	// Unknown location and unstocked item.
	other := s.AddLocation(shopifytest.Location{Name: "Hamburg"})
	r = gql(t, s, setQuantities, map[string]any{"input": setInput(item, "gid://shopify/Location/1", 1, nil), "key": "k-4"})
	assert.Equal(t, "INVALID_LOCATION", at(r.Data, "inventorySetQuantities", "userErrors", 0, "code"))
	r = gql(t, s, setQuantities, map[string]any{"input": setInput(item, other.ID, 1, nil), "key": "k-5"})
	assert.Equal(t, "ITEM_NOT_STOCKED_AT_LOCATION", at(r.Data, "inventorySetQuantities", "userErrors", 0, "code"))
}

func TestInventorySetBefore202604(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	loc := seedCatalog(t, s, 1)
	v, _ := s.Variant("SKU-000-M")
	q := `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`
	in := map[string]any{"name": "available", "reason": "correction", "quantities": []any{
		map[string]any{"inventoryItemId": v.InventoryItemID, "locationId": loc.ID, "quantity": 3, "compareQuantity": 19}}}
	r := post(t, s, "2026-01", s.Token(), q, map[string]any{"input": in})
	require.Empty(t, r.Errors, string(r.Raw))
	assert.Equal(t, "COMPARE_QUANTITY_STALE", at(r.Data, "inventorySetQuantities", "userErrors", 0, "code"))
	in["quantities"].([]any)[0].(map[string]any)["compareQuantity"] = 20
	r = post(t, s, "2026-01", s.Token(), q, map[string]any{"input": in})
	assert.Empty(t, at(r.Data, "inventorySetQuantities", "userErrors"))
	assert.Equal(t, 3, s.Available("SKU-000-M", loc.ID))
	// compareQuantity is gone from 2026-04.
	r = post(t, s, "2026-04", s.Token(), q, map[string]any{"input": in})
	require.NotEmpty(t, r.Errors)
}

func TestInventoryAdjustAndCommitted(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	loc := seedCatalog(t, s, 1)
	v, _ := s.Variant("SKU-000-S")
	adjust := `mutation($input: InventoryAdjustQuantitiesInput!) {
	  inventoryAdjustQuantities(input: $input) @idempotent(key: "adj-1") { userErrors { field code } inventoryAdjustmentGroup { id } } }`
	in := map[string]any{"name": "available", "reason": "received", "changes": []any{
		map[string]any{"inventoryItemId": v.InventoryItemID, "locationId": loc.ID, "delta": 4, "changeFromQuantity": 10}}}
	gql(t, s, adjust, map[string]any{"input": in})
	gql(t, s, adjust, map[string]any{"input": in}) // a retry
	assert.Equal(t, 14, s.Available("SKU-000-S", "Berlin"), "the retry did not add twice")

	// An order commits stock; the level reports it.
	_, err := s.PlaceOrder(t.Context(), shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SKU-000-S", Quantity: 3}}})
	require.NoError(t, err)
	r := gql(t, s, `query($id: ID!) { inventoryItem(id: $id) { sku inventoryLevels(first: 5) { nodes {
	  location { name } quantities(names: ["available", "committed", "on_hand"]) { name quantity } } } } }`,
		map[string]any{"id": v.InventoryItemID})
	assert.Equal(t, "SKU-000-S", at(r.Data, "inventoryItem", "sku"))
	assert.Equal(t, []any{
		map[string]any{"name": "available", "quantity": jsonNum(11)},
		map[string]any{"name": "committed", "quantity": jsonNum(3)},
		map[string]any{"name": "on_hand", "quantity": jsonNum(14)},
	}, at(r.Data, "inventoryItem", "inventoryLevels", "nodes", 0, "quantities"))
	q, ok := s.Quantities("SKU-000-S", "Berlin")
	require.True(t, ok)
	assert.Equal(t, 3, q["committed"])
	assert.Equal(t, 14, q["on_hand"])
}
