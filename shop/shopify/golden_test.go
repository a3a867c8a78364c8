package shopify

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	gqlschema "github.com/graph-gophers/graphql-go"
	graphql "github.com/hasura/go-graphql-client"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/kontortest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// operation is one GraphQL operation the client sends, with variables of
// the Go types it sends them as (which decide the declared types) and
// values the schema accepts.
type operation struct {
	name     string
	mutation bool
	v        any
	vars     map[string]any
}

func operations() []operation {
	var after *string
	var query *string
	c, err := New("shop", "token")
	if err != nil {
		panic(err)
	}
	sample := kontortest.SampleProduct(1)
	// shopifytest's InventoryItemInput lacks measurement (the real one has
	// it since 2024-07): the sample is checked without its weight.
	sample.Weight = nil
	product, err := c.productInput(&sample)
	if err != nil {
		panic(err)
	}
	return []operation{
		{"OrderIDs", false, &orderIDsQuery{}, map[string]any{"first": 100, "after": after, "query": query}},
		{"Order", false, &orderQuery{}, map[string]any{"id": graphql.ID("")}},
		{"OrderLines", false, &orderLinesQuery{}, map[string]any{"id": graphql.ID(""), "after": after}},
		{"OrderNames", false, &struct {
			Nodes []struct {
				Order struct {
					ID   string
					Name string
				} `graphql:"... on Order"`
			} `graphql:"nodes(ids: $ids)"`
		}{}, map[string]any{"ids": []graphql.ID{}}},
		{"OrderByName", false, &orderByNameQuery{}, map[string]any{"query": ""}},
		{"FulfillmentOrderLines", false, &fulfillmentOrderLinesQuery{}, map[string]any{"id": graphql.ID(""), "first": foLinesPage, "after": after}},
		{"OrderRefunds", false, &orderRefundsQuery{}, map[string]any{"id": graphql.ID("")}},
		{"Locations", false, &locationsQuery{}, nil},
		{"InventoryItems", false, &inventoryItemsQuery{}, map[string]any{"first": 1, "after": after, "query": query, "levels": 1, "names": quantityNames}},
		{"InventoryItemsBySKU", false, &inventoryItemsQuery{}, map[string]any{"first": 1, "after": after, "query": "", "levels": 1, "names": quantityNames}},
		{"InventorySetQuantities", true, &inventorySetQuantities{}, map[string]any{"input": inventorySetQuantitiesInput{Name: "available", Reason: "correction", Quantities: []inventoryQuantityInput{{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1", Quantity: 5, ChangeFromQuantity: 3}}}, "idempotencyKey": ""}},
		{"InventoryActivate", true, &inventoryActivate{}, map[string]any{"inventoryItemId": graphql.ID(""), "locationId": graphql.ID("")}},
		{"ProductVariantsBySKU", false, &productVariantsBySKU{}, map[string]any{"first": 1, "query": ""}},
		{"ProductSet", true, &productSet{}, map[string]any{"input": *product, "identifier": c.identifier(&sample)}},
		{"CollectionsByTitle", false, &collectionsByTitle{}, map[string]any{"query": ""}},
		{"ProductIDs", false, &productIDsQuery{}, map[string]any{"first": 100, "after": after, "query": query}},
		{"Product", false, &productQuery{}, map[string]any{"id": graphql.ID(""), "namespace": "", "key": ""}},
		{"ProductVariants", false, &productVariantsQuery{}, map[string]any{"id": graphql.ID(""), "first": variantsPage, "after": after}},
		{"ProductVariantsBulkUpdate", true, &variantsBulkUpdate{}, map[string]any{"productId": graphql.ID(""), "variants": []productVariantsBulkInput{}}},
		{"QuantityPricingByVariantUpdate", true, &quantityPricingUpdate{}, map[string]any{"priceListId": graphql.ID(""), "input": newQuantityPricingInput()}},
		{"PriceLists", false, &priceListsQuery{}, nil},
		{"Shop", false, &shopQuery{}, nil},
		{"VariantPrices", false, &variantPricesQuery{}, map[string]any{"first": 100, "after": after, "query": query}},
		{"CustomerSet", true, &customerSet{}, map[string]any{"input": customerSetInput{}, "identifier": customerSetIdentifiers{}}},
		{"CustomerByIdentifier", false, &customerByIdentifier{}, map[string]any{"identifier": customerIdentifierInput{}}},
		{"CompaniesByExternalID", false, &companiesByExternalID{}, map[string]any{"query": ""}},
		{"CompanyCreate", true, &companyCreate{}, map[string]any{"input": companyCreateInput{}}},
		{"CompanyUpdate", true, &companyUpdate{}, map[string]any{"companyId": graphql.ID(""), "input": companyInput{}}},
		{"Customers", false, &customersQuery{}, map[string]any{"first": 100, "after": after, "query": query, "namespace": ""}},
		{"Companies", false, &companiesQuery{}, map[string]any{"first": 100, "after": after, "query": query}},
		{"FulfillmentCreate", true, &fulfillmentCreate{}, map[string]any{"fulfillment": fulfillmentInput{LineItemsByFulfillmentOrder: []fulfillmentOrderLineItemsInput{}}, "message": after}},
		{"OrderCancel", true, &orderCancel{}, map[string]any{"orderId": graphql.ID(""), "reason": orderCancelReason("OTHER"),
			"restock": true, "notifyCustomer": false, "staffNote": after}},
		{"OrderMarkAsPaid", true, &orderMarkAsPaid{}, map[string]any{"input": orderMarkAsPaidInput{}}},
		{"BulkOperationRunQuery", true, &bulkRunQuery{}, map[string]any{"query": ""}},
		{"BulkOperationRunMutation", true, &bulkRunMutation{}, map[string]any{"mutation": "", "stagedUploadPath": ""}},
		{"BulkOperation", false, &bulkOperationQuery{}, map[string]any{"id": graphql.ID("")}},
		{"StagedUploadsCreate", true, &stagedUploadsCreate{}, map[string]any{"input": []stagedUploadInput{}}},
		{"WebhookSubscriptions", false, &subscriptionsQuery{}, map[string]any{"first": 100, "after": after, "uri": query}},
		{"WebhookSubscriptionCreate", true, &subscriptionCreate{}, map[string]any{"topic": webhookTopic("ORDERS_CREATE"), "webhookSubscription": webhookSubscriptionInput{}}},
	}
}

// TestGoldenQueries pins the GraphQL documents the client generates from
// its structs, one file per operation in testdata: a changed field,
// argument or variable type shows in review. Run go test -update to
// rewrite them.
func TestGoldenQueries(t *testing.T) {
	for _, op := range operations() {
		t.Run(op.name, func(t *testing.T) {
			var doc string
			var err error
			if op.mutation {
				doc, err = graphql.ConstructMutation(op.v, op.vars, graphql.OperationName(op.name))
			} else {
				doc, err = graphql.ConstructQuery(op.v, op.vars, graphql.OperationName(op.name))
			}
			require.NoError(t, err)
			got := doc + "\n"
			path := filepath.Join("testdata", op.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create it")
			require.Equal(t, string(want), got, "the generated query changed; run go test -update if intended")
		})
	}
	// The inventory write carries the idempotency key as a directive; the
	// order read pages by update time.
	set, err := os.ReadFile(filepath.Join("testdata", "InventorySetQuantities.golden"))
	require.NoError(t, err)
	require.Contains(t, string(set), "inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey)")
	require.Contains(t, string(set), "$idempotencyKey:String!")
	ids, err := os.ReadFile(filepath.Join("testdata", "OrderIDs.golden"))
	require.NoError(t, err)
	require.Contains(t, string(ids), "orders(first: $first, after: $after, sortKey: UPDATED_AT, query: $query)")
	// The nested connections read with one page at first carry pageInfo,
	// and their follow-up queries page by cursor.
	for name, want := range map[string][]string{
		"OrderByName":           {"lineItems(first: 50){nodes{id,sku,remainingQuantity,lineItem{id}},pageInfo{hasNextPage,endCursor}}"},
		"FulfillmentOrderLines": {"fulfillmentOrder(id: $id){lineItems(first: $first, after: $after)", "pageInfo{hasNextPage,endCursor}"},
		"Product":               {"variants(first: 100){nodes{id,sku,title,barcode,selectedOptions{name,value}},pageInfo{hasNextPage,endCursor}}"},
		"ProductVariants":       {"product(id: $id){variants(first: $first, after: $after)", "pageInfo{hasNextPage,endCursor}"},
	} {
		doc, err := os.ReadFile(filepath.Join("testdata", name+".golden"))
		require.NoError(t, err)
		for _, w := range want {
			require.Contains(t, string(doc), w, name)
		}
	}
	// Subscriptions are filtered by the uri argument, which 2026-04 has
	// (callbackUrl is deprecated), and paged by cursor.
	subs, err := os.ReadFile(filepath.Join("testdata", "WebhookSubscriptions.golden"))
	require.NoError(t, err)
	require.Contains(t, string(subs), "webhookSubscriptions(first: $first, after: $after, uri: $uri)")
	require.Contains(t, string(subs), "$uri:String")
	require.Contains(t, string(subs), "pageInfo{hasNextPage,endCursor}")
}

// TestQueriesValidateAgainstSchema checks every generated document against
// the Admin API schema subset that shopifytest serves (Shopify's own type
// and field names), including the operations no other test sends.
func TestQueriesValidateAgainstSchema(t *testing.T) {
	sdl, err := os.ReadFile(filepath.Join("shopifytest", "schema.graphql"))
	if err != nil {
		t.Skipf("no schema: %v", err)
	}
	schema, err := gqlschema.ParseSchema(string(sdl), nil)
	require.NoError(t, err)
	for _, op := range operations() {
		var doc string
		if op.mutation {
			doc, err = graphql.ConstructMutation(op.v, op.vars, graphql.OperationName(op.name))
		} else {
			doc, err = graphql.ConstructQuery(op.v, op.vars, graphql.OperationName(op.name))
		}
		require.NoError(t, err)
		b, err := json.Marshal(op.vars)
		require.NoError(t, err)
		var vars map[string]any
		require.NoError(t, json.Unmarshal(b, &vars))
		for _, e := range schema.ValidateWithVariables(doc, vars) {
			t.Errorf("%s: %s", op.name, e.Message)
		}
	}
	// The bulk documents are checked as the bulk operation runs them.
	for name, doc := range map[string]string{"stock bulk query": stockBulkQuery} {
		for _, e := range schema.Validate(doc) {
			t.Errorf("%s: %s", name, e.Message)
		}
	}
}
