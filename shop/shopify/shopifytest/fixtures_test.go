package shopifytest_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/internal/fixture"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// keysOf returns the keys of a JSON object.
func keysOf(t *testing.T, raw []byte, wrap string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	if wrap != "" {
		inner := map[string]json.RawMessage{}
		require.NoError(t, json.Unmarshal(m[wrap], &inner))
		m = inner
	}
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The webhook bodies have the keys of the real REST payloads in the
// fixtures (a few legacy keys the fake leaves out are listed).
func TestWebhookPayloadsHaveTheFixtureShape(t *testing.T) {
	s := shopifytest.New()
	defer s.Close()
	seedCatalog(t, s, 1)
	for _, topic := range []string{"orders/create", "products/update", "inventory_levels/update"} {
		_, err := s.Subscribe(topic, "http://127.0.0.1:1/unused")
		require.NoError(t, err)
	}
	_, err := s.PlaceOrder(t.Context(), shopifytest.OrderInput{
		Customer: &shopifytest.Customer{FirstName: "Jon", Email: "jon@example.com"},
		Lines:    []shopifytest.LineInput{{SKU: "SKU-000-S", Quantity: 1}},
	})
	require.NoError(t, err)
	_, err = s.EditProduct(t.Context(), "SKU-000-S", func(p *shopifytest.Product) { p.Title = "Renamed" })
	require.NoError(t, err)
	bodies := map[string][]byte{}
	for _, d := range s.Deliveries() {
		bodies[d.Topic] = d.Body
	}
	legacy := []string{"browser_ip", "cart_token", "checkout_id", "checkout_token", "device_id", "landing_site",
		"landing_site_ref", "location_id", "order_status_url", "processing_method", "reference", "referring_site",
		"source_identifier", "source_url", "token", "total_price_usd", "user_id"}
	cases := []struct {
		topic, fixture, wrap string
		skip                 []string
	}{
		{"orders/create", "shop/shopify/rest_order.go-shopify.json", "order", legacy},
		{"products/update", "shop/shopify/rest_product.go-shopify.json", "product", nil},
		{"inventory_levels/update", "shop/shopify/rest_inventory_level.go-shopify.json", "inventory_level", nil},
	}
	for _, c := range cases {
		want := keysOf(t, fixture.Read(t, c.fixture), c.wrap)
		have := keysOf(t, bodies[c.topic], "")
		for _, k := range want {
			if !slices.Contains(c.skip, k) {
				assert.Contains(t, have, k, "%s lacks %q", c.topic, k)
			}
		}
	}
	// The fixture's line items and variants have the same keys too.
	var order struct {
		Order struct {
			LineItems []map[string]any `json:"line_items"`
		} `json:"order"`
	}
	require.NoError(t, json.Unmarshal(fixture.Read(t, "shop/shopify/rest_order.go-shopify.json"), &order))
	var ours struct {
		LineItems []map[string]any `json:"line_items"`
	}
	require.NoError(t, json.Unmarshal(bodies["orders/create"], &ours))
	for k := range order.Order.LineItems[0] {
		if k != "pre_tax_price" && k != "grams" && k != "variant_inventory_management" {
			assert.Contains(t, ours.LineItems[0], k)
		}
	}
}
