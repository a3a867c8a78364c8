package businesscentral_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

// ExampleNew reads the item master of a (fake) Business Central and writes
// an order into it, twice: the second time the order is found by its
// external document number instead of being created again.
func ExampleNew() {
	ctx := context.Background()
	srv := bctest.New() // online: Config{TenantID: …, Environment: "production", ClientID: …, ClientSecret: …}
	defer srv.Close()
	for _, it := range []bctest.Item{
		{Number: "SKU-000000", DisplayName: "Sample shirt", UnitPrice: decimal.RequireFromString("19.90"),
			Variants: []bctest.ItemVariant{{Code: "S"}, {Code: "M"}}},
		{Number: "FREIGHT", DisplayName: "Shipping", Type: "Service"},
	} {
		if _, err := srv.PutItem(it); err != nil {
			panic(err)
		}
	}

	c, err := bc.New(bc.Config{
		BaseURL:  strings.TrimSuffix(srv.APIURL(), "/api/v2.0"),
		TenantID: srv.TenantID(), ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(),
		TokenURL: srv.TokenURL(), // online: the Entra ID endpoint of TenantID, the default
		Currency: "EUR",
	}, bc.WithShippingCharge(bc.ChargeLine{LineType: "Item", Number: "FREIGHT"}))
	if err != nil {
		panic(err)
	}

	for p, err := range c.ReadProducts(ctx, kontor.Cursor{}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(p.SKU, p.Title, p.Status, len(p.Variants), "variants")
	}

	order := kontortest.SampleOrder(0)
	for range 2 {
		rs, err := c.WriteOrders(ctx, []kontor.Order{order})
		if err != nil {
			panic(err)
		}
		fmt.Println(rs[0].Key, rs[0].Outcome)
	}
	// Output:
	// FREIGHT Shipping active 0 variants
	// SKU-000000 Sample shirt active 2 variants
	// #500000 created
	// #500000 unchanged
}
