package minierp_test

import (
	"context"
	"fmt"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
	"github.com/kontor-dev/kontor/kontortest"
)

// Read the ERP's catalog and stock, and book an order twice: the second
// write finds the order by its number and books nothing.
func Example() {
	erp := minierptest.New() // in real life: your client's ERP
	defer erp.Close()
	erp.PutArticle(minierptest.Article{SKU: "MUG-BLUE", Name: "Blue mug", Status: "active"})
	erp.PutStock(minierptest.Stock{SKU: "MUG-BLUE", Warehouse: "MAIN", Available: "12", OnHand: "14", Reserved: "2"})

	conn, err := minierp.New(erp.URL(), erp.APIKey())
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for p, err := range conn.ReadProducts(ctx, kontor.Cursor{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(p.SKU, p.Title, p.Status, p.ERPKey)
	}
	for s, err := range conn.ReadStock(ctx, kontor.Cursor{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(s.Key(), s.Available)
	}
	order := kontortest.SampleOrder(0)
	for range 2 {
		rs, err := conn.WriteOrders(ctx, []kontor.Order{order})
		if err != nil {
			panic(err)
		}
		fmt.Println(rs[0].Key, rs[0].Outcome, rs[0].Target.ERPKey)
	}
	fmt.Println(len(erp.Orders()), "order in minierp")
	// Output:
	// MUG-BLUE Blue mug active ART-00001
	// MUG-BLUE@MAIN 12
	// #500000 created SO-00001
	// #500000 unchanged SO-00001
	// 1 order in minierp
}
