package woocommerce_test

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// A stock level written to a shop (here the fake, over plain HTTP, so the
// client signs with OAuth 1.0a), and the same level again, which costs no
// write.
func Example() {
	ctx := context.Background()
	shop := woocommercetest.New()
	defer shop.Close()
	if _, err := shop.SeedProduct(woocommercetest.Product{Name: "Shirt", SKU: "SHIRT-1", RegularPrice: "19.90"}); err != nil {
		fmt.Println(err)
		return
	}

	c, err := woocommerce.New(shop.URL(), shop.ConsumerKey(), shop.ConsumerSecret())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("auth:", c.AuthMode())
	level := []kontor.StockLevel{{SKU: "SHIRT-1", Available: decimal.NewFromInt(7)}}
	for range 2 {
		rs, err := c.WriteStock(ctx, level)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rs[0].Key, rs[0].Outcome)
	}
	p, _ := shop.ProductBySKU("SHIRT-1")
	fmt.Println(*p.StockQuantity, p.StockStatus)
	// Output:
	// auth: oauth1
	// SHIRT-1 updated
	// SHIRT-1 unchanged
	// 7 instock
}
