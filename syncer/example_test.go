package syncer_test

import (
	"context"
	"fmt"

	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
)

// A product flow from an ERP to a shop: the first sweep creates, the second
// finds nothing to write.
func Example() {
	ctx := context.Background()
	erp, shop := memerp.New(), memshop.New()
	for i := range 120 {
		if _, err := erp.PutProduct(kontortest.SampleProduct(i)); err != nil {
			panic(err)
		}
	}
	s := syncer.New(store.NewMemory())
	if err := s.Add(syncer.Products(erp, shop)); err != nil {
		panic(err)
	}
	for range 2 {
		rep, err := s.Sync(ctx, "products")
		if err != nil {
			panic(err)
		}
		fmt.Println(rep)
	}
	// Output:
	// products: read 120, created 120, updated 0, unchanged 0, dead-lettered 0, requests 1
	// products: read 120, created 0, updated 0, unchanged 120, dead-lettered 0, requests 0
}

// A dry run shows what a flow would write, without writing.
func ExampleSyncer_Plan() {
	ctx := context.Background()
	erp, shop := memerp.New(), memshop.New()
	for i := range 3 {
		if _, err := erp.PutProduct(kontortest.SampleProduct(i)); err != nil {
			panic(err)
		}
	}
	s := syncer.New(store.NewMemory())
	if err := s.Add(syncer.Products(erp, shop)); err != nil {
		panic(err)
	}
	plan, err := s.Plan(ctx, "products")
	if err != nil {
		panic(err)
	}
	fmt.Println(plan)
	fmt.Println(len(shop.Products()), "products in the shop")
	// Output:
	// products: 3 to create, 0 to update, 0 to archive, 0 unchanged, 0 failing, 1 requests
	// 0 products in the shop
}
