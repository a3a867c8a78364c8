package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/status"
	"github.com/kontor-dev/kontor/syncer/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// canary is a buyer's e-mail address that must appear in no log and no
// output.
const canary = "erika.canary@example.com"

// systems are the fakes the app runs against, seeded: three items for
// sale and the service item shipping charges are booked on, with stock,
// and the payment terms and shipment methods mapping.yaml names.
type systems struct {
	bc   *bctest.Server
	shop *shopifytest.Server
	ids  map[string]string // code → id in Business Central
}

func startSystems(t *testing.T) *systems {
	t.Helper()
	sys := &systems{bc: bctest.New(bctest.WithExtensionAPI()), shop: shopifytest.New(), ids: map[string]string{}}
	sys.shop.AddLocation(shopifytest.Location{Name: "Berlin"})
	t.Cleanup(sys.shop.Close)
	t.Cleanup(sys.bc.Close)
	for _, it := range []bctest.Item{
		{Number: "1896-S", DisplayName: "ATHENS Desk", UnitPrice: decimal.RequireFromString("1000.8"), TaxGroupCode: "TAXABLE"},
		{Number: "1900-S", DisplayName: "PARIS Guest Chair, black", UnitPrice: decimal.RequireFromString("192.8"), TaxGroupCode: "TAXABLE"},
		{Number: "1906-S", DisplayName: "ATHENS Mobile Pedestal", UnitPrice: decimal.RequireFromString("281.4"), TaxGroupCode: "TAXABLE"},
		{Number: "FREIGHT", DisplayName: "Shipping", Type: "Service"},
	} {
		_, err := sys.bc.PutItem(it)
		require.NoError(t, err)
	}
	for sku, qty := range map[string]int64{"1896-S": 10, "1900-S": 25, "1906-S": 4} {
		require.NoError(t, sys.bc.SetInventory(bctest.Stock{ItemNumber: sku, Quantity: decimal.NewFromInt(qty)}))
	}
	for _, c := range []struct{ set, code string }{
		{"paymentTerms", "14 DAYS"}, {"paymentTerms", "COD"}, {"paymentTerms", "PREPAID"},
		{"shipmentMethods", "DHL"}, {"shipmentMethods", "PICKUP"},
	} {
		id, err := sys.bc.PutCode(c.set, c.code, c.code)
		require.NoError(t, err)
		sys.ids[c.code] = id
	}
	return sys
}

// env is the environment a deployment against the fakes would set.
func (sys *systems) env(t *testing.T) map[string]string {
	return map[string]string{
		"KONTOR_BC_TENANT_ID":          sys.bc.TenantID(),
		"KONTOR_BC_BASE_URL":           strings.TrimSuffix(sys.bc.APIURL(), "/api/v2.0"),
		"KONTOR_BC_TOKEN_URL":          sys.bc.TokenURL(),
		"KONTOR_BC_CLIENT_ID":          sys.bc.ClientID(),
		"KONTOR_BC_CLIENT_SECRET":      sys.bc.ClientSecret(),
		"KONTOR_BC_COMPANY":            sys.bc.CompanyName(),
		"KONTOR_BC_CURRENCY":           "EUR",
		"KONTOR_BC_CLIENT_STATE":       "bc-client-state-for-tests",
		"KONTOR_BC_SHIPPING_CHARGE":    "Item:FREIGHT",
		"KONTOR_BC_TRACKING_PAGE":      "kontor/shop/v1.0/shipmentTrackings",
		"KONTOR_SHOPIFY_SHOP":          "kontor-test",
		"KONTOR_SHOPIFY_ENDPOINT":      sys.shop.URL(),
		"KONTOR_SHOPIFY_ACCESS_TOKEN":  sys.shop.Token(),
		"KONTOR_SHOPIFY_CLIENT_SECRET": sys.shop.WebhookSecret(),
		"KONTOR_STORE":                 filepath.Join(t.TempDir(), "state.db"),
		"KONTOR_OPERATOR_TOKEN":        "operator-token-for-tests",
	}
}

func (sys *systems) config(t *testing.T) Config {
	t.Helper()
	env := sys.env(t)
	cfg, err := configFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	return cfg
}

// planRow returns the numbers of a flow's row in the printed plan:
// create, update, archive, unchanged, failing, write requests.
func planRow(t *testing.T, out, flow string) []int {
	t.Helper()
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 10 && f[0] == flow {
			nums := make([]int, 0, 6)
			for _, s := range f[4:] {
				n, err := strconv.Atoi(s)
				require.NoError(t, err, line)
				nums = append(nums, n)
			}
			return nums
		}
	}
	t.Fatalf("no row for %s in the plan:\n%s", flow, out)
	return nil
}

func TestDryRun(t *testing.T) {
	sys := startSystems(t)
	cfg := sys.config(t)
	var out, logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.LogRequests = true
	require.NoError(t, run(t.Context(), cfg, false, &out, log), out.String())
	t.Log("\n" + out.String())

	//                                                create update archive unchanged failing requests
	assert.Equal(t, []int{3, 0, 0, 0, 0, 1}, planRow(t, out.String(), "products"), "FREIGHT is not for sale")
	assert.Equal(t, []int{3, 0, 0, 0, 0, 1}, planRow(t, out.String(), "prices"))
	assert.Equal(t, []int{3, 0, 0, 0, 0, 1}, planRow(t, out.String(), "stock"))
	for _, flow := range []string{"customers", "orders", "returns", "shipments", "status-to-shop"} {
		assert.Equal(t, []int{0, 0, 0, 0, 0, 0}, planRow(t, out.String(), flow))
	}
	assert.Contains(t, out.String(), "(status-to-erp is not set up: shopify cannot read status: not in its capabilities; businesscentral cannot write status")
	assert.Contains(t, out.String(), `create  1896-S  brand="CRONUS", status="active", tax_class="TAXABLE"`)
	assert.Contains(t, out.String(), "order     mapping@1#")

	// Nothing was written: not to the shop, not to Business Central, not
	// the state file.
	assert.Empty(t, sys.shop.Products())
	assert.Zero(t, sys.shop.Stats().Mutations)
	for _, set := range []string{"salesOrders", "customers", "subscriptions", "$batch"} {
		assert.Zero(t, sys.bc.RequestsFor(http.MethodPost, set), set)
	}
	_, err := os.Stat(cfg.StorePath)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.NotContains(t, logs.String(), cfg.BC.ClientSecret)
	assert.NotContains(t, logs.String(), cfg.ShopifyToken)
}

// A plan that cannot reach a system says so and fails.
func TestDryRunRefused(t *testing.T) {
	sys := startSystems(t)
	cfg := sys.config(t)
	cfg.BC.ClientSecret = "wrong-secret"
	var out bytes.Buffer
	err := run(t.Context(), cfg, false, &out, slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(err), "%v", err)
	assert.Contains(t, out.String(), "cannot plan")
	assert.NotContains(t, out.String()+err.Error(), "wrong-secret")
}

// syncBuffer is an io.Writer the app writes to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestApply(t *testing.T) {
	sys := startSystems(t)
	cfg := sys.config(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	cfg.PublicURL = base

	var out, logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Log("logs:\n" + logs.String())
		}
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	a, err := setup(ctx, cfg, true, log)
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- a.serve(ctx, ln, &out) }()
	// The compliance webhooks' URL is set in the app's configuration,
	// not through the API.
	sys.shop.SetComplianceURL(base + pathShopWebhooks)

	// The first pass publishes the catalog: three products with their
	// prices (rounded by the price mapping) and stock.
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "Running until interrupted") },
		8*time.Second, 20*time.Millisecond, out.String())
	t.Log("\n" + out.String())
	v, ok := sys.shop.Variant("1896-S")
	require.True(t, ok)
	assert.True(t, decimal.RequireFromString("1000.80").Equal(v.Price), v.Price.String())
	assert.Equal(t, 10, sys.shop.Available("1896-S", "Berlin"))
	p, ok := sys.shop.Product("1896-S")
	require.True(t, ok)
	assert.Equal(t, "CRONUS", p.Vendor)
	_, ok = sys.shop.Variant("FREIGHT")
	assert.False(t, ok, "the service item reached the shop")
	topics := map[string]int{}
	for _, ws := range sys.shop.WebhookSubscriptions() {
		topics[ws.Topic]++
	}
	assert.Len(t, topics, len(shopTopics))
	// Maintenance subscribes nothing twice (Shopify would refuse it) and
	// does not fail: the connector's Subscribe creates only what is missing.
	var maintained bytes.Buffer
	a.maintainWebhooks(ctx, &maintained, nil)
	assert.Contains(t, maintained.String(), fmt.Sprintf("Shopify webhooks: %d topics for %s%s", len(shopTopics), base, pathShopWebhooks))
	assert.Len(t, sys.shop.WebhookSubscriptions(), len(shopTopics))
	subs, err := a.shop.Subscriptions(ctx, base+pathShopWebhooks)
	require.NoError(t, err)
	got := make([]string, 0, len(subs))
	for _, sub := range subs {
		got = append(got, sub.Topic)
	}
	assert.ElementsMatch(t, shopTopics, got)
	assert.NotEmpty(t, sys.bc.Subscriptions())

	// A price changed in Business Central reaches the shop through the
	// item's notification, well before the hourly sweep.
	_, err = sys.bc.ChangeItem("1906-S", func(it *bctest.Item) { it.UnitPrice = decimal.RequireFromString("299") })
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		v, _ := sys.shop.Variant("1906-S")
		return v.Price.Equal(decimal.NewFromInt(299))
	}, 5*time.Second, 20*time.Millisecond, "the new price did not reach the shop")

	// A customer orders; the orders/create webhook brings the order to
	// Business Central, once, with the payment terms the mapping chose for
	// the gateway, the default shipment method and the shipping charge on
	// the FREIGHT item.
	address := &shopifytest.Address{FirstName: "Erika", LastName: "Mustermann", Address1: "Hauptstr. 1",
		City: "Berlin", Zip: "10115", CountryCode: "DE"}
	buyer := &shopifytest.Customer{FirstName: "Erika", LastName: "Mustermann", Email: canary}
	order, err := sys.shop.PlaceOrder(ctx, shopifytest.OrderInput{
		Customer: buyer, BillingAddress: address, Gateway: "manual",
		Lines:         []shopifytest.LineInput{{SKU: "1896-S", Quantity: 2}, {SKU: "1900-S", Quantity: 1}},
		ShippingLines: []shopifytest.ShippingLineInput{{Title: "Standard", Code: "standard", Price: decimal.RequireFromString("4.90")}},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(sys.bc.SalesOrdersByExternalDocumentNumber(order.Name)) > 0 },
		5*time.Second, 20*time.Millisecond, "the order did not reach Business Central")
	so, _ := sys.bc.SalesOrderByExternalDocumentNumber(order.Name)
	assert.Equal(t, sys.ids["14 DAYS"], so.PaymentTermsID)
	assert.Equal(t, sys.ids["DHL"], so.ShipmentMethodID)
	require.Len(t, so.Lines, 3)
	assert.Equal(t, "FREIGHT", so.Lines[2].LineObjectNumber)

	// The same delivery again (Shopify retries), and a sweep: still one
	// sales order.
	for _, d := range sys.shop.Deliveries() {
		if d.Topic == "orders/create" {
			_, err := sys.shop.Redeliver(ctx, d.ID)
			require.NoError(t, err)
		}
	}
	_, err = a.s.Sync(ctx, "orders")
	require.NoError(t, err)
	assert.Len(t, sys.bc.SalesOrdersByExternalDocumentNumber(order.Name), 1, "the order was created twice")

	// Business Central ships it; its notification brings the tracking
	// number, with the carrier as mapped, to the shop as a fulfillment.
	shipped := time.Now()
	_, err = sys.bc.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: order.Name,
		PackageTrackingNumber: "00340434161094042557", ShippingAgentCode: "DHLPAKET"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(sys.shop.Fulfillments(order.Name)) > 0 },
		5*time.Second, 20*time.Millisecond, "the shipment did not reach the shop")
	fs := sys.shop.Fulfillments(order.Name)
	require.Len(t, fs, 1)
	require.Len(t, fs[0].Tracking, 1)
	assert.Equal(t, "00340434161094042557", fs[0].Tracking[0].Number)
	assert.Equal(t, "DHL eCommerce", fs[0].Tracking[0].Company)

	// The shipment took the goods out of stock, and woke the stock flow.
	require.Eventually(t, func() bool {
		for _, f := range a.s.Status() {
			if f.Name == "stock" {
				return f.LastRun.After(shipped) && !f.Running
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "the stock flow did not run after the shipment")
	assert.Equal(t, 8, sys.shop.Available("1896-S", "Berlin"))

	// The status page and the metrics, on the same port. The shipment's
	// run may still be finishing when the shop has the fulfillment.
	var snap status.Snapshot
	flows := map[string]status.Flow{}
	require.Eventually(t, func() bool {
		snap = getStatus(t, base+"/status/status.json")
		for _, f := range snap.Flows {
			flows[f.Name] = f
		}
		return flows["shipments"].Totals.Writes() > 0
	}, 5*time.Second, 20*time.Millisecond)
	assert.Equal(t, 3, flows["products"].Totals.Created)
	assert.Equal(t, 1, flows["orders"].Totals.Created)
	assert.Equal(t, 1, flows["shipments"].Totals.Writes(), "%+v", flows["shipments"].Totals)
	assert.Zero(t, snap.DeadLettersTotal, "%+v", snap.DeadLetters)

	// The customer sends the chair back; refunds/create brings the refund
	// to Business Central as one credit memo.
	_, err = sys.shop.RefundOrder(ctx, order.Name, shopifytest.RefundInput{Note: "damaged",
		Lines: []shopifytest.RefundLine{{SKU: "1900-S", Quantity: 1}}})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(sys.bc.CreditMemos()) > 0 },
		5*time.Second, 20*time.Millisecond, "the refund did not reach Business Central")
	_, err = a.s.Sync(ctx, "returns")
	require.NoError(t, err)
	memos := sys.bc.CreditMemos()
	require.Len(t, memos, 1)
	require.Len(t, memos[0].Lines, 1)
	assert.Equal(t, "1900-S", memos[0].Lines[0].LineObjectNumber)

	// An order paid through a gateway the mapping does not know waits in
	// the dead letters, with the buyer's address masked; only the operator
	// may replay it.
	klarna, err := sys.shop.PlaceOrder(ctx, shopifytest.OrderInput{
		Customer: buyer, BillingAddress: address, Gateway: "klarna",
		Lines: []shopifytest.LineInput{{SKU: "1906-S", Quantity: 1}},
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return getStatus(t, base+"/status/status.json").DeadLettersTotal == 1 },
		5*time.Second, 20*time.Millisecond)
	raw := get(t, base+"/status/status.json")
	assert.NotContains(t, raw, canary)
	snap = getStatus(t, base+"/status/status.json")
	dl := snap.DeadLetters[0]
	assert.Equal(t, klarna.Name, dl.Key)
	assert.Equal(t, store.ClassMapping, dl.Class)
	assert.Contains(t, dl.Reason, `"klarna"`)
	assert.Contains(t, dl.Reason, "payment_terms")
	assert.Empty(t, sys.bc.SalesOrdersByExternalDocumentNumber(klarna.Name))
	replay := base + "/status/dead-letters/" + strconv.FormatInt(dl.ID, 10) + "/replay"
	assert.Equal(t, http.StatusForbidden, post(t, replay, ""))
	assert.Equal(t, http.StatusOK, post(t, replay, cfg.OperatorToken))

	// Shopify's compliance webhook customers/redact: the engine erases the
	// customer's orders from its dead letters and records the erasure.
	require.NoError(t, sys.shop.RedactCustomer(ctx, order.CustomerID))
	snap = getStatus(t, base+"/status/status.json")
	assert.Zero(t, snap.DeadLettersTotal, "the redacted customer's order is still in the dead letters")
	assert.True(t, slices.ContainsFunc(snap.Audit, func(r status.AuditRecord) bool { return r.Op == store.OpRedact }),
		"no audit record of the erasure")

	metrics := get(t, base+"/metrics")
	assert.Contains(t, metrics, `kontor_flow_`)
	assert.Contains(t, metrics, `flow="orders"`)
	assert.Contains(t, metrics, "go_goroutines")

	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(8 * time.Second):
		t.Fatal("serve did not return after the context ended")
	}
	assert.NotContains(t, logs.String()+out.String(), canary)
	require.NoError(t, a.Close())

	// A dry run on the state -apply left: nothing left to write.
	var again bytes.Buffer
	require.NoError(t, run(t.Context(), cfg, false, &again, log))
	t.Log("\n" + again.String())
	for _, flow := range []string{"products", "prices", "stock", "orders", "returns", "shipments"} {
		row := planRow(t, again.String(), flow)
		assert.Equal(t, []int{0, 0, 0}, row[:3], "%s would write again", flow)
	}
	assert.Equal(t, []int{0, 0, 0, 1, 1, 0}, planRow(t, again.String(), "orders"), "one order sent, one failing")
	assert.Contains(t, again.String(), "fails   "+klarna.Name+": mapping:")
	assert.Equal(t, 3, planRow(t, again.String(), "products")[3], "unchanged products")
	assert.Equal(t, 3, planRow(t, again.String(), "prices")[3], "unchanged prices")
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return string(body)
}

// post sends an empty POST with the bearer token, if any, and returns
// the status.
func post(t *testing.T, url, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func getStatus(t *testing.T, url string) status.Snapshot {
	t.Helper()
	var snap status.Snapshot
	require.NoError(t, json.Unmarshal([]byte(get(t, url)), &snap))
	return snap
}

func TestConfigFromEnv(t *testing.T) {
	_, err := configFromEnv(func(string) string { return "" })
	require.Error(t, err)
	for _, want := range []string{"KONTOR_BC_CLIENT_ID is not set", "KONTOR_BC_CLIENT_SECRET is not set",
		"KONTOR_SHOPIFY_SHOP is not set", "KONTOR_SHOPIFY_ACCESS_TOKEN is not set", "KONTOR_BC_TENANT_ID is not set"} {
		assert.Contains(t, err.Error(), want)
	}

	env := map[string]string{
		"KONTOR_BC_TENANT_ID": "contoso.onmicrosoft.com", "KONTOR_BC_CLIENT_ID": "id", "KONTOR_BC_CLIENT_SECRET": "secret",
		"KONTOR_BC_COMPANY":   "CRONUS DE",
		"KONTOR_SHOPIFY_SHOP": "my-shop", "KONTOR_SHOPIFY_ACCESS_TOKEN": "shpat_x", "KONTOR_SHOPIFY_API_VERSION": "2026-13",
		"KONTOR_SHOPIFY_LOCATIONS": "WH1=Lager Berlin,broken",
		"KONTOR_PUBLIC_URL":        "https://sync.example.com/",
	}
	_, err = configFromEnv(func(k string) string { return env[k] })
	require.Error(t, err)
	for _, want := range []string{"KONTOR_SHOPIFY_API_VERSION: want a version such as " + shopify.DefaultAPIVersion,
		`KONTOR_SHOPIFY_LOCATIONS: want CODE=location,… (a location name or GID), got "broken"`,
		"KONTOR_SHOPIFY_CLIENT_SECRET is not set", "KONTOR_BC_CLIENT_STATE is not set"} {
		assert.Contains(t, err.Error(), want)
	}

	env["KONTOR_SHOPIFY_API_VERSION"] = "2026-07"
	env["KONTOR_SHOPIFY_LOCATIONS"] = "wh1=Lager Berlin, WH2 = gid://shopify/Location/9007199254740993"
	env["KONTOR_SHOPIFY_CLIENT_SECRET"], env["KONTOR_BC_CLIENT_STATE"] = "s1", "s2"
	cfg, err := configFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "CRONUS DE", cfg.BC.CompanyName)
	assert.Equal(t, "2026-07", cfg.ShopifyAPIVersion)
	assert.Equal(t, map[string]string{"WH1": "Lager Berlin", "WH2": "gid://shopify/Location/9007199254740993"}, cfg.ShopifyLocations)
	assert.Equal(t, "https://sync.example.com", cfg.PublicURL)
	assert.Equal(t, "kontor-shopify-bc.db", cfg.StorePath)

	env["KONTOR_SHOPIFY_API_VERSION"] = ""
	cfg, err = configFromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, shopify.DefaultAPIVersion, cfg.ShopifyAPIVersion)
}

func TestMappingFile(t *testing.T) {
	m, err := loadMappingFile("")
	require.NoError(t, err)
	assert.Len(t, m.versions, 5)
	assert.Equal(t, []string{"14 DAYS", "COD", "PREPAID"}, m.paymentTerms)
	assert.Equal(t, []string{"DHL"}, m.shipmentMethods)

	// The shipped file on disk is the one built in.
	disk, err := os.ReadFile("mapping.yaml")
	require.NoError(t, err)
	assert.Equal(t, exampleMapping, disk)

	// A problem is reported at its line in the whole file.
	broken := "version: 1\nentity: product\nrules:\n  - validate: {}\n---\n# orders\nversion: 2\nentity: order\nrules:\n  - map: {field: payment.method, table: nope}\n"
	_, err = loadMappings("broken.yaml", []byte(broken))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `broken.yaml:10: rules[0].map.table: table "nope" is not defined under values`)
	var fe *mapping.FileError
	assert.ErrorAs(t, err, &fe)

	_, err = loadMappings("dup.yaml", []byte("version: 1\nentity: price\n---\nversion: 1\nentity: price\n"))
	assert.ErrorContains(t, err, `dup.yaml:4: a second document for entity "price"`)
	_, err = loadMappings("none.yaml", []byte("version: 1\nrules: []\n"))
	assert.ErrorContains(t, err, "none.yaml:1: the document has no entity")
}
