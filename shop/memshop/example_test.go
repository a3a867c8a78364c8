package memshop_test

import (
	"context"
	"fmt"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
)

// The shop announces the engine's own product write back to it: the echo
// an engine must recognise (here by the version its write returned) and
// ignore.
func Example() {
	ctx := context.Background()
	shop := memshop.New()
	var events []memshop.Event
	shop.OnEvent(func(_ context.Context, ev memshop.Event) { events = append(events, ev) })

	order := shop.PlaceOrder(kontortest.SampleOrder(1))
	rs, err := shop.WriteProducts(ctx, []kontor.Product{kontortest.SampleProduct(1)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(order.Number, order.ShopKey)
	fmt.Println(rs[0].Key, rs[0].Outcome, rs[0].Target.ShopKey, rs[0].Target.Version)
	for _, ev := range events {
		fmt.Println(ev.ID, ev.Topic, ev.Key)
	}
	// Output:
	// #500001 gid://memshop/Order/1
	// SKU-000001 created gid://memshop/Product/1 3
	// memshop-event-1 orders/create #500001
	// memshop-event-2 products/update SKU-000001
}
