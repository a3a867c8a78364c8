package shopifytest_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// seedCatalog adds n products with two variants each (SKU-<i>-S and
// SKU-<i>-M), stocked 10 and 20 at a location "Berlin".
func seedCatalog(t testing.TB, s *shopifytest.Server, n int) shopifytest.Location {
	t.Helper()
	loc := s.AddLocation(shopifytest.Location{Name: "Berlin", Address: shopifytest.Address{City: "Berlin", CountryCode: "DE"}})
	for i := range n {
		_, err := s.AddProduct(shopifytest.Product{
			Title:   fmt.Sprintf("Shirt %03d", i),
			Vendor:  "Kontor",
			Options: []string{"Size"},
			Variants: []shopifytest.Variant{
				{SKU: fmt.Sprintf("SKU-%03d-S", i), Price: decimal.RequireFromString("19.90"), OptionValues: []string{"S"}, Stock: map[string]int{"Berlin": 10}},
				{SKU: fmt.Sprintf("SKU-%03d-M", i), Price: decimal.RequireFromString("21.90"), OptionValues: []string{"M"}, Stock: map[string]int{"Berlin": 20}},
			},
		})
		require.NoError(t, err)
	}
	return loc
}

func TestSchemaServesBothVersionFamilies(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	for _, v := range []string{"2026-01", "2026-04"} {
		r := post(t, s, v, s.Token(), `{ __type(name: "InventoryQuantityInput") { inputFields { name } } }`, nil)
		require.Empty(t, r.Errors, string(r.Raw))
		var names []string
		for _, f := range at(r.Data, "__type", "inputFields").([]any) {
			names = append(names, f.(map[string]any)["name"].(string))
		}
		assert.Contains(t, names, "changeFromQuantity", v)
		assert.Equal(t, v == "2026-01", strings.Contains(strings.Join(names, ","), "compareQuantity"), v)
	}
}

func TestAccessToken(t *testing.T) {
	s := shopifytest.New(shopifytest.WithToken("shpat_secret_canary"))
	defer s.Close()
	for _, tok := range []string{"", "wrong"} {
		r := post(t, s, "2026-04", tok, `{ shop { name } }`, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status)
		assert.JSONEq(t, `{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}`, string(r.Raw))
		assert.NotContains(t, string(r.Raw), "canary")
	}
	assert.Equal(t, "shpat_secret_canary", s.Token())
	r := post(t, s, "2026-04", "shpat_secret_canary", `{ shop { name currencyCode ianaTimezone } }`, nil)
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "EUR", at(r.Data, "shop", "currencyCode"))
	assert.Equal(t, "Europe/Berlin", at(r.Data, "shop", "ianaTimezone"))
	assert.Equal(t, int64(2), s.Stats().Unauthorized)

	s.RevokeToken()
	assert.Equal(t, http.StatusUnauthorized, post(t, s, "2026-04", "shpat_secret_canary", `{ shop { name } }`, nil).Status)
	s.RestoreToken()
	assert.Equal(t, http.StatusOK, post(t, s, "2026-04", "shpat_secret_canary", `{ shop { name } }`, nil).Status)
}

func TestVersionFallback(t *testing.T) {
	s := shopifytest.New(shopifytest.WithAPIVersions("2026-04", "2026-07"))
	defer s.Close()
	r := post(t, s, "2026-07", s.Token(), `{ shop { name } }`, nil)
	assert.Equal(t, "2026-07", r.Header.Get("X-Shopify-API-Version"))
	// A retired (or not yet released) version is served by the oldest
	// supported one, and the header says so.
	for _, v := range []string{"2025-01", "2030-10"} {
		r = post(t, s, v, s.Token(), `{ shop { name } }`, nil)
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "2026-04", r.Header.Get("X-Shopify-API-Version"), v)
	}
	r = post(t, s, "2026-13", s.Token(), `{ shop { name } }`, nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, []string{"2026-04", "2026-07"}, s.Versions())
	assert.Equal(t, s.URL()+"/admin/api/2026-07/graphql.json", s.GraphQLURL(""))
}

func TestSchemaRejectsWhatShopifyRejects(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	// An unknown field.
	r := post(t, s, "", s.Token(), `{ products(first: 1) { nodes { id colour } } }`, nil)
	require.Len(t, r.Errors, 1)
	assert.Contains(t, r.Errors[0]["message"], `"colour"`)
	assert.Nil(t, r.Data)
	// A variable of the wrong type for the argument.
	r = post(t, s, "", s.Token(), `query($n: String) { products(first: $n) { nodes { id } } }`, map[string]any{"n": "5"})
	require.NotEmpty(t, r.Errors)
	// A variable value that does not fit its type, deep in an input.
	r = post(t, s, "", s.Token(), `mutation($input: ProductSetInput!) { productSet(input: $input) { product { id } userErrors { field message code } } }`,
		map[string]any{"input": map[string]any{"title": "X", "variants": []any{map[string]any{"price": "ten", "optionValues": []any{}}}}})
	require.Len(t, r.Errors, 1, string(r.Raw))
	assert.Equal(t, "INVALID_VARIABLE", at(r.Errors[0], "extensions", "code"))
	assert.Contains(t, r.Errors[0]["message"], "variants.0.price")
	assert.Contains(t, r.Errors[0]["message"], "Money")
	// An input field the type does not have.
	r = post(t, s, "", s.Token(), `mutation($input: ProductSetInput!) { productSet(input: $input) { product { id } } }`,
		map[string]any{"input": map[string]any{"title": "X", "colour": "red"}})
	require.NotEmpty(t, r.Errors)
	// UserError has no code: asking for it is a validation error, as on Shopify.
	r = post(t, s, "", s.Token(), `mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { userErrors { code } } }`, nil)
	require.NotEmpty(t, r.Errors)
	// An unknown directive, and @idempotent without its key.
	r = post(t, s, "", s.Token(), `mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: []}) @idempotent { userErrors { message } } }`, nil)
	require.NotEmpty(t, r.Errors)
	assert.Equal(t, int64(6), s.Stats().Invalid)
	assert.Zero(t, s.Stats().PointsSpent, "nothing ran")
}

func TestPagingLimitsAndCursors(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 260)
	r := post(t, s, "", s.Token(), `{ products(first: 251) { nodes { id } } }`, nil)
	require.Len(t, r.Errors, 1)
	assert.Contains(t, r.Errors[0]["message"], "250")
	assert.Equal(t, []any{"products"}, r.Errors[0]["path"])
	r = post(t, s, "", s.Token(), `{ products { nodes { id } } }`, nil)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "you must provide one of first or last", r.Errors[0]["message"])

	// Cursor paging through 520 variants, 200 at a time.
	q := `query($after: String) { productVariants(first: 200, after: $after, sortKey: SKU) {
		edges { cursor node { sku } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	var skus []string
	var after any
	pages := 0
	for {
		r := gql(t, s, q, map[string]any{"after": after})
		pages++
		for _, e := range at(r.Data, "productVariants", "edges").([]any) {
			skus = append(skus, at(e, "node", "sku").(string))
			assert.NotContains(t, at(e, "cursor"), "SKU", "cursors are opaque")
		}
		if at(r.Data, "productVariants", "pageInfo", "hasNextPage") != true {
			break
		}
		after = at(r.Data, "productVariants", "pageInfo", "endCursor")
	}
	assert.Equal(t, 3, pages)
	require.Len(t, skus, 520)
	assert.Equal(t, "SKU-000-M", skus[0])
	assert.Equal(t, "SKU-259-S", skus[519])

	// last with reverse and a search query.
	r = gql(t, s, `{ products(last: 2, reverse: true, query: "title:'Shirt 00*'") { nodes { title } pageInfo { hasPreviousPage } } }`, nil)
	assert.Equal(t, []any{map[string]any{"title": "Shirt 001"}, map[string]any{"title": "Shirt 000"}}, at(r.Data, "products", "nodes"))
	assert.Equal(t, true, at(r.Data, "products", "pageInfo", "hasPreviousPage"))

	r = post(t, s, "", s.Token(), `{ products(first: 1, after: "not-a-cursor") { nodes { id } } }`, nil)
	require.NotEmpty(t, r.Errors)
}

func TestQueryCost(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 3)
	cases := []struct {
		query             string
		requested, actual int
	}{
		// An object is 1, scalars 0.
		{`{ shop { name currencyCode } }`, 1, 1},
		// A connection is 2 + first × (1 + the node's selection).
		{`{ products(first: 10) { edges { node { title variants(first: 5) { edges { node { price } } } } } } }`, 2 + 10*(1+2+5*1), 2 + 3*(1+2+2*1)},
		{`{ productVariants(first: 250) { nodes { sku inventoryItem { id } } pageInfo { hasNextPage } } }`, 2 + 250*2, 2 + 6*2},
		// A missing object costs 1 and nothing below it.
		{`{ product(id: "gid://shopify/Product/1") { title seo { title } } }`, 2, 1},
		// A mutation is 10; the objects of its payload are free.
		{`mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { deletedWebhookSubscriptionId userErrors { field message } } }`, 10, 10},
	}
	for _, c := range cases {
		r := gql(t, s, c.query, nil)
		assert.Equal(t, c.requested, num(r.cost()["requestedQueryCost"]), c.query)
		assert.Equal(t, c.actual, num(r.cost()["actualQueryCost"]), c.query)
		ts := r.cost()["throttleStatus"].(map[string]any)
		assert.Equal(t, 2000, num(ts["maximumAvailable"]))
		assert.Equal(t, 100, num(ts["restoreRate"]))
	}
	r := post(t, s, "", s.Token(), `{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }`, nil)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "MAX_COST_EXCEEDED", at(r.Errors[0], "extensions", "code"))
	assert.Contains(t, r.Errors[0]["message"], "Query cost is 63252, which exceeds the single query max cost limit (1000).")
	assert.Equal(t, int64(1), s.Stats().MaxCostExceeded)
}

func TestThrottledUntilTheBucketRefills(t *testing.T) {
	clk := newClock()
	s := shopifytest.New(shopifytest.WithClock(clk.Now), shopifytest.WithBucket(100, 10))
	defer s.Close()
	seedCatalog(t, s, 1)
	q := `{ productVariants(first: 80) { nodes { id } } }` // requests 2 + 80
	r := gql(t, s, q, nil)
	assert.Equal(t, 82, num(r.cost()["requestedQueryCost"]))
	// 2 nodes came back: 2 + 2 = 4 spent, 78 refunded.
	assert.Equal(t, 96, num(at(r.cost(), "throttleStatus", "currentlyAvailable")))
	s.SetBucketAvailable(50)
	r = post(t, s, "", s.Token(), q, nil)
	assert.Equal(t, http.StatusOK, r.Status)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "THROTTLED", at(r.Errors[0], "extensions", "code"))
	assert.Equal(t, "Throttled", r.Errors[0]["message"])
	assert.Nil(t, r.Data)
	assert.Nil(t, r.cost()["actualQueryCost"])
	assert.Equal(t, 50, num(at(r.cost(), "throttleStatus", "currentlyAvailable")))
	// (82 - 50) / 10 = 3.2 s later there is room.
	clk.Advance(3 * time.Second)
	r = post(t, s, "", s.Token(), q, nil)
	require.Len(t, r.Errors, 1)
	clk.Advance(300 * time.Millisecond)
	r = gql(t, s, q, nil)
	assert.Equal(t, 4, num(r.cost()["actualQueryCost"]))
	st := s.Stats()
	assert.Equal(t, int64(2), st.Throttled)
	assert.Equal(t, int64(8), st.PointsSpent)
}

func TestFaultsAndPartialData(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 2)
	s.FailNext(2, http.StatusServiceUnavailable)
	assert.Equal(t, http.StatusServiceUnavailable, post(t, s, "", s.Token(), `{ shop { name } }`, nil).Status)
	assert.Equal(t, http.StatusServiceUnavailable, post(t, s, "", s.Token(), `{ shop { name } }`, nil).Status)
	assert.Equal(t, http.StatusOK, post(t, s, "", s.Token(), `{ shop { name } }`, nil).Status)
	s.FailNext(1, http.StatusTooManyRequests)
	r := post(t, s, "", s.Token(), `{ shop { name } }`, nil)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "2.0", r.Header.Get("Retry-After"))
	assert.Equal(t, int64(3), s.Stats().Faults)

	s.FailField("vendor", "Access denied for vendor field.", "ACCESS_DENIED", 1)
	r = post(t, s, "", s.Token(), `{ products(first: 5) { nodes { title vendor } } }`, nil)
	require.Len(t, r.Errors, 2)
	assert.Equal(t, "ACCESS_DENIED", at(r.Errors[0], "extensions", "code"))
	assert.Equal(t, "Shirt 000", at(r.Data, "products", "nodes", 0, "title"))
	assert.Nil(t, at(r.Data, "products", "nodes", 0, "vendor"))
	r = gql(t, s, `{ products(first: 5) { nodes { vendor } } }`, nil)
	assert.Equal(t, "Kontor", at(r.Data, "products", "nodes", 0, "vendor"), "the fault was used up")
}
