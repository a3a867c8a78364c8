package shopify_test

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// A product and its stock written to a shop, here the fake from
// shopifytest: the product upserted by its ERP key, the stock set with a
// compare-and-swap against what the shop had.
func Example() {
	ctx := context.Background()
	shop := shopifytest.New()
	defer shop.Close()
	shop.AddLocation(shopifytest.Location{Name: "Lager Hamburg"})

	c, err := shopify.New(shop.ShopDomain(), shop.Token(),
		shopify.WithEndpoint(shop.URL()), // omit for a real shop
		shopify.WithLocations(map[string]string{"WH1": "Lager Hamburg"}))
	if err != nil {
		fmt.Println(err)
		return
	}
	rs, err := c.WriteProducts(ctx, []kontor.Product{{SKU: "TEE-1", Title: "T-Shirt", Status: kontor.ProductActive}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rs[0].Key, rs[0].Outcome)

	stock := []kontor.StockLevel{{SKU: "TEE-1", Location: "WH1", Available: decimal.NewFromInt(7)}}
	for range 2 {
		rs, err = c.WriteStock(ctx, stock)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rs[0].Key, rs[0].Outcome, shop.Available("TEE-1", "Lager Hamburg"))
	}
	fmt.Println(c.APIVersion(), c.ServedVersion())
	// Output:
	// TEE-1 created
	// TEE-1@WH1 updated 7
	// TEE-1@WH1 unchanged 7
	// 2026-04 2026-04
}
