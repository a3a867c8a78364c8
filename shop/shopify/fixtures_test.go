package shopify

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/fixture"
)

// graphQLResponse is a whole GraphQL answer as the pacer and the client
// see it.
type graphQLResponse struct {
	Data       json.RawMessage `json:"data"`
	Extensions struct {
		Cost *Cost `json:"cost"`
	} `json:"extensions"`
}

func TestFixtureFulfillmentCreateV2(t *testing.T) {
	b := fixture.Read(t, "shop/shopify/graphql_fulfillmentCreateV2_response.json")
	var r graphQLResponse
	require.NoError(t, json.Unmarshal(b, &r))
	require.NotNil(t, r.Extensions.Cost)
	c := *r.Extensions.Cost
	assert.Equal(t, 10.0, c.RequestedQueryCost)
	require.NotNil(t, c.ActualQueryCost)
	assert.Equal(t, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1990, RestoreRate: 100}, c.ThrottleStatus)

	var b2 bucket
	b2.observe(t0, c.ThrottleStatus)
	assert.Zero(t, b2.wait(t0, 1990))
	assert.Equal(t, 100*time.Millisecond, b2.wait(t0, 2000))

	var data struct {
		FulfillmentCreateV2 struct {
			Fulfillment struct {
				ID     string
				Status string
			}
			UserErrors []userError
		} `graphql:"fulfillmentCreateV2(fulfillment: $fulfillment)"`
	}
	require.NoError(t, graphql.UnmarshalGraphQL(r.Data, &data))
	assert.Equal(t, "gid://shopify/Fulfillment/5936298623038", data.FulfillmentCreateV2.Fulfillment.ID)
	assert.Equal(t, "5936298623038", legacyID(data.FulfillmentCreateV2.Fulfillment.ID), "a GID beyond 2^53 stays exact")
	assert.Empty(t, data.FulfillmentCreateV2.UserErrors)
}

func TestFixtureProductQuery(t *testing.T) {
	b := fixture.Read(t, "shop/shopify/graphql_product_query_response.json")
	var r graphQLResponse
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Equal(t, 11.0, r.Extensions.Cost.RequestedQueryCost)
	assert.Equal(t, 4.0, *r.Extensions.Cost.ActualQueryCost, "the unused 7 points are refunded")

	var q struct {
		Product *productNode
	}
	// The sample selects more fields than the client does.
	require.NoError(t, json.Unmarshal(r.Data, &q))
	c, err := New("shop", "token")
	require.NoError(t, err)
	p := c.productFromNode(q.Product)
	assert.Equal(t, "Anchor Bracelet Mens", p.Title)
	assert.Equal(t, kontor.ProductActive, p.Status)
	assert.Equal(t, "Company 123", p.Brand)
	assert.Equal(t, []string{"Anchor", "Gold", "Leather", "Silver"}, p.Tags)
	assert.Equal(t, []string{"Bracelet"}, p.Categories)
	assert.Equal(t, time.Date(2025, 7, 9, 7, 45, 38, 0, time.UTC), p.UpdatedAt.UTC())
}

func TestFixtureBulkPoll(t *testing.T) {
	b := fixture.Read(t, "shop/shopify/graphql_bulk_operation_poll_completed.json")
	var r graphQLResponse
	require.NoError(t, json.Unmarshal(b, &r))
	assert.Zero(t, r.Extensions.Cost.ThrottleStatus.MaximumAvailable, "this answer has no throttle status")
	var bk bucket
	bk.observe(t0, r.Extensions.Cost.ThrottleStatus)
	assert.False(t, bk.known, "an answer without throttle status leaves the bucket unknown")

	var q struct {
		Node bulkOperationFields
	}
	require.NoError(t, json.Unmarshal(r.Data, &q))
	assert.Equal(t, "COMPLETED", q.Node.Status)
	assert.Nil(t, q.Node.ErrorCode)
	assert.Nil(t, q.Node.PartialDataURL)
}

func TestFixtureRESTOrder(t *testing.T) {
	b := fixture.Read(t, "shop/shopify/rest_order.go-shopify.json")
	var o restOrder
	require.NoError(t, decodeREST(b, "order", &o))
	assert.Equal(t, int64(123456), o.ID)
	order := o.order()
	assert.Equal(t, "#9999", order.Number)
	assert.Equal(t, "gid://shopify/Order/123456", order.ShopKey)
	assert.Equal(t, kontor.Currency("USD"), order.Currency)
	assert.Equal(t, kontor.OrderCancelled, order.Status)
	assert.Equal(t, kontor.PaymentVoided, order.PaymentStatus)
	require.Len(t, order.Lines, 2)
	assert.True(t, order.Lines[1].Discount.Amount.Equal(decimal.NewFromInt(5)))
	assert.True(t, order.Lines[1].Net.Amount.IsZero(), "5.00 less its 5.00 discount")
	require.Len(t, order.ShippingLines, 1)
	assert.True(t, order.ShippingLines[0].Gross.Amount.Equal(decimal.NewFromInt(10)))
	assert.True(t, order.TotalGross.Amount.Equal(decimal.NewFromInt(10)))
	assert.Equal(t, "US", order.Billing.Country)
	assert.Equal(t, "jon@doe.ca", order.Customer.Email)
	assert.Empty(t, order.Customer.Number, "the sample's customer has no ID")

	// The sample's lines have no SKU; everything else adds up.
	err := order.Validate()
	require.Error(t, err)
	for _, ve := range err.(kontor.ValidationErrors) {
		assert.True(t, strings.HasSuffix(ve.Field, ".sku"), "only the SKUs are missing, not %s: %s", ve.Field, ve.Reason)
	}
	order.Lines[0].SKU, order.Lines[1].SKU = "SODA", "BEER"
	assert.NoError(t, order.Validate())
}

func TestFixtureRESTProduct(t *testing.T) {
	b := fixture.Read(t, "shop/shopify/rest_product.go-shopify.json")
	var p restProduct
	require.NoError(t, decodeREST(b, "product", &p))
	assert.Equal(t, int64(1071559748), p.ID)
	c, err := New("shop", "token")
	require.NoError(t, err)
	product := c.productFromREST(&p)
	assert.Equal(t, "gid://shopify/Product/1071559748", product.ShopKey)
	assert.Equal(t, "Burton Custom Freestyle 151", product.Title)
	assert.Equal(t, []string{`"Big Air"`, "Barnes & Noble", "John's Fav"}, product.Tags)
	assert.Equal(t, "burton-custom-freestyle-151", product.SKU, "no SKU anywhere: the handle")
	require.Len(t, product.Variants, 1)
	assert.Equal(t, "gid://shopify/ProductVariant/1070325219", product.Variants[0].ShopKey)
}

func TestFixtureRESTInventoryLevel(t *testing.T) {
	b := fixture.Read(t, "shop/shopify/rest_inventory_level.go-shopify.json")
	var l restInventoryLevel
	require.NoError(t, decodeREST(b, "inventory_level", &l))
	assert.Equal(t, int64(808950810), l.InventoryItemID)
	assert.Equal(t, int64(905684977), l.LocationID)
	require.NotNil(t, l.Available)
	assert.Equal(t, int64(6), *l.Available)
	assert.Equal(t, "905684977", legacyID("gid://shopify/InventoryLevel/905684977?inventory_item_id=808950810"))
}

// TestLargeIDs checks that IDs above 2^53 survive decoding.
func TestLargeIDs(t *testing.T) {
	body := []byte(`{"id":271878346596884015,"name":"#1","line_items":[{"id":271878346596884017,"variant_id":271878346596884019,"quantity":1,"price":"1.00","sku":"A"}],"currency":"EUR","total_price":"1.00","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`)
	var o restOrder
	require.NoError(t, json.NewDecoder(bytes.NewReader(body)).Decode(&o))
	assert.Equal(t, int64(271878346596884015), o.ID)
	order := o.order()
	assert.Equal(t, "gid://shopify/Order/271878346596884015", order.ShopKey)
	assert.Equal(t, "gid://shopify/LineItem/271878346596884017", order.Lines[0].ShopKey)
}
