package shopifytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/transport"
)

// A shop with one product: a customer orders, the webhook arrives signed,
// and a GraphQL client reads the stock and the query cost.
func Example() {
	ctx := context.Background()
	srv := shopifytest.New()
	defer srv.Close()
	srv.AddLocation(shopifytest.Location{Name: "Berlin"})
	_, _ = srv.AddProduct(shopifytest.Product{Title: "Shirt", Variants: []shopifytest.Variant{
		{SKU: "SHIRT-1", Price: decimal.RequireFromString("19.90"), Stock: map[string]int{"Berlin": 5}},
	}})

	// Our webhook endpoint verifies Shopify's signature.
	recv, _ := transport.NewWebhookReceiver(transport.ShopifyWebhooks,
		transport.StaticWebhookSecrets([]byte(srv.WebhookSecret())),
		func(_ context.Context, ev transport.WebhookEvent) error {
			fmt.Println("webhook:", ev.Topic)
			return nil
		})
	hooks := httptest.NewServer(recv)
	defer hooks.Close()
	_, _ = srv.Subscribe("orders/create", hooks.URL)

	order, _ := srv.PlaceOrder(ctx, shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SHIRT-1", Quantity: 2}}})
	fmt.Println("order:", order.Name, order.Total)

	body, _ := json.Marshal(map[string]any{"query": `{ productVariants(first: 10, query: "sku:SHIRT-1") {
		nodes { sku inventoryQuantity } } }`})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.GraphQLURL("2026-04"), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			ProductVariants struct {
				Nodes []struct {
					SKU               string `json:"sku"`
					InventoryQuantity int    `json:"inventoryQuantity"`
				} `json:"nodes"`
			} `json:"productVariants"`
		} `json:"data"`
		Extensions struct {
			Cost struct {
				Requested int `json:"requestedQueryCost"`
				Actual    int `json:"actualQueryCost"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	v := out.Data.ProductVariants.Nodes[0]
	fmt.Println("version:", resp.Header.Get("X-Shopify-API-Version"))
	fmt.Println("available:", v.SKU, v.InventoryQuantity)
	fmt.Println("cost:", out.Extensions.Cost.Requested, out.Extensions.Cost.Actual)
	// Output:
	// webhook: orders/create
	// order: #1001 39.8
	// version: 2026-04
	// available: SHIRT-1 3
	// cost: 12 3
}
