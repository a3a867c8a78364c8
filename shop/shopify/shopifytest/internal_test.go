package shopifytest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDocument(t *testing.T) {
	doc, err := parseDocument(`
	  # a comment
	  query Q($a: [ID!]! = ["1"], $b: Int) {
	    x: products(first: $b, query: """
	      sku:"A\"B"
	    """) { ...F nodes { ... on Product { id } } }
	  }
	  mutation M { inventorySetQuantities(input: {name: "available", quantities: []}) @idempotent(key: "k") { userErrors { code } } }
	  fragment F on ProductConnection { pageInfo { hasNextPage } }`)
	require.NoError(t, err)
	require.Len(t, doc.ops, 2)
	q, err := doc.op("Q")
	require.NoError(t, err)
	assert.Equal(t, "[ID!]!", q.vars[0].typ.String())
	assert.Equal(t, []any{"1"}, q.vars[0].def)
	f := q.sel[0]
	assert.Equal(t, "x", f.key())
	assert.Equal(t, "products", f.name)
	assert.Equal(t, gqlVariable("b"), f.args["first"])
	assert.Equal(t, `sku:"A\"B"`, f.args["query"])
	assert.Equal(t, selSpread, f.sel[0].kind)
	assert.Equal(t, selInline, f.sel[1].sel[0].kind)
	m, _ := doc.op("M")
	keys := idempotencyKeys(doc, m, nil)
	assert.Equal(t, []string{"k"}, keys["inventorySetQuantities"])
	_, err = doc.op("")
	assert.Error(t, err, "two operations need a name")
	for _, bad := range []string{`{ a(`, `query { a } }`, `{ a: }`, `"unterminated`, `{ a @ }`} {
		_, err := parseDocument(bad)
		assert.Error(t, err, bad)
	}
}

func TestSearchSyntax(t *testing.T) {
	q := parseSearch(ptr(`sku:"A\"B" OR sku:'C D' -tag:old updated_at:>=2026-01-01 title:Shirt*`))
	require.Len(t, q, 2)
	assert.Equal(t, searchTerm{field: "sku", op: ":", value: `A"B`}, q[0][0])
	assert.Equal(t, searchTerm{field: "sku", op: ":", value: "C D"}, q[1][0])
	assert.Equal(t, searchTerm{neg: true, field: "tag", op: ":", value: "old"}, q[1][1])
	assert.Equal(t, searchTerm{field: "updated_at", op: ">=", value: "2026-01-01"}, q[1][2])
	fields := func(sku, updated string) searchFields {
		return func(f string) ([]string, bool) {
			switch f {
			case "sku":
				return one(sku), true
			case "tag":
				return nil, true
			case "updated_at":
				return one(updated), true
			case "title":
				return one("Shirt 1"), true
			}
			return nil, false
		}
	}
	assert.True(t, q.match(fields(`A"B`, "2020-01-01T00:00:00Z")))
	assert.True(t, q.match(fields("C D", "2026-02-01T00:00:00Z")))
	assert.False(t, q.match(fields("C D", "2025-12-31T23:59:59Z")))
	assert.False(t, q.match(fields("E", "2026-02-01T00:00:00Z")))
	assert.True(t, parseSearch(ptr("unknown_field:x")).match(fields("E", "")), "an unknown filter is ignored")
}

func TestRestTopic(t *testing.T) {
	for topic, rest := range map[string]string{
		"ORDERS_CREATE": "orders/create", "INVENTORY_LEVELS_UPDATE": "inventory_levels/update",
		"BULK_OPERATIONS_FINISH": "bulk_operations/finish", "APP_UNINSTALLED": "app/uninstalled",
		"CUSTOMERS_DATA_REQUEST": "customers/data_request",
	} {
		assert.Equal(t, rest, restTopic(topic))
	}
}
