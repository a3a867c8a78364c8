package minierptest_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
)

// Start minierp, seed an article and list it as a client would.
func ExampleNew() {
	erp := minierptest.New(minierptest.WithAPIKey("demo-key"))
	defer erp.Close()
	erp.PutArticle(minierptest.Article{SKU: "MUG", Name: "Mug", Status: "active"})

	req, _ := http.NewRequest("GET", erp.URL()+"/api/products?limit=10", nil)
	req.Header.Set("X-Api-Key", erp.APIKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status)
	fmt.Println(len(body) > 0, erp.Requests())

	resp, err = http.Get(erp.URL() + "/api/products") // no key
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output:
	// 200 OK
	// true 1
	// 401 Unauthorized {"error":{"code":"unauthorized","message":"missing or invalid API key"}}
}
