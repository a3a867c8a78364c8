package woocommercetest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

// Example seeds a product, reads it over HTTPS with Basic auth as any
// WooCommerce client would, and places an order that reduces its stock.
func Example() {
	shop := woocommercetest.New(woocommercetest.WithTLS())
	defer shop.Close()

	qty := int64(5)
	if _, err := shop.SeedProduct(woocommercetest.Product{Name: "Mug", SKU: "MUG-1", RegularPrice: "9.90",
		ManageStock: true, StockQuantity: &qty}); err != nil {
		panic(err)
	}

	req, _ := http.NewRequest(http.MethodGet, shop.APIURL()+"/products?sku=MUG-1", nil)
	req.SetBasicAuth(shop.ConsumerKey(), shop.ConsumerSecret())
	resp, err := shop.Client().Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var products []woocommercetest.Product
	_ = json.NewDecoder(resp.Body).Decode(&products)
	fmt.Println(resp.StatusCode, resp.Header.Get("X-WP-Total"), products[0].Name, products[0].Price, products[0].StockStatus)

	order, err := shop.PlaceOrder(context.Background(), woocommercetest.Order{
		LineItems: []woocommercetest.LineItem{{SKU: "MUG-1", Quantity: 2}},
	})
	if err != nil {
		panic(err)
	}
	p, _ := shop.ProductBySKU("MUG-1")
	fmt.Println(order.Status, order.Total, *p.StockQuantity)
	// Output:
	// 200 1 Mug 9.90 instock
	// processing 19.80 3
}
