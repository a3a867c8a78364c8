package bctest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

// A fake tenant with one item, read with a client credentials token from
// the fake's token endpoint.
func Example() {
	srv := bctest.New()
	defer srv.Close()
	if _, err := srv.PutItem(bctest.Item{Number: "1896-S", DisplayName: "ATHENS Desk", UnitPrice: decimal.RequireFromString("1000.8")}); err != nil {
		panic(err)
	}
	if err := srv.SetInventory(bctest.Stock{ItemNumber: "1896-S", LocationCode: "MAIN", Quantity: decimal.NewFromInt(4)}); err != nil {
		panic(err)
	}

	cfg := srv.OAuth2Config()
	hc := cfg.Client(context.Background())
	q := url.Values{"$filter": {"number eq '1896-S'"}, "$select": {"number,displayName,unitPrice,inventory"}}
	res, err := hc.Get(srv.CompanyURL() + "/items?" + q.Encode())
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var page struct {
		Value []struct {
			Number      string      `json:"number"`
			DisplayName string      `json:"displayName"`
			UnitPrice   json.Number `json:"unitPrice"`
			Inventory   json.Number `json:"inventory"`
		} `json:"value"`
	}
	if err := json.NewDecoder(res.Body).Decode(&page); err != nil {
		panic(err)
	}
	it := page.Value[0]
	fmt.Println(res.StatusCode, it.Number, it.DisplayName, it.UnitPrice, it.Inventory)
	fmt.Println("token requests:", srv.TokenRequests(), "API requests:", srv.Requests())
	// Output:
	// 200 1896-S ATHENS Desk 1000.8 4
	// token requests: 1 API requests: 1
}
