package businesscentral_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/transport"
)

// newFake starts a fake Business Central for the test.
func newFake(t testing.TB, opts ...bctest.Option) *bctest.Server {
	t.Helper()
	srv := bctest.New(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// baseURL is the fake's URL before /api/v2.0, as Config.BaseURL takes it.
func baseURL(srv *bctest.Server) string {
	return strings.TrimSuffix(srv.APIURL(), "/api/v2.0")
}

// fastRetry keeps the tests' waits short.
var fastRetry = bc.RetryPolicy{MaxAttempts: 4, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsed: 10 * time.Second}

// connect returns a connector to the fake, signing in with its client
// credentials at its token endpoint, paced for tests.
func connect(t testing.TB, srv *bctest.Server, opts ...bc.Option) *bc.Connector {
	t.Helper()
	opts = append([]bc.Option{
		bc.WithRetryPolicy(fastRetry),
		bc.WithLimiter(transport.NewLimiter(transport.LimiterRate(100000), transport.LimiterBurst(10000))),
		bc.WithShippingCharge(bc.ChargeLine{LineType: "Item", Number: "FREIGHT"}),
	}, opts...)
	c, err := bc.New(bc.Config{
		TenantID: srv.TenantID(), Environment: srv.Environment(), BaseURL: baseURL(srv),
		ClientID: srv.ClientID(), ClientSecret: srv.ClientSecret(), TokenURL: srv.TokenURL(),
		Currency: "EUR", // the fake has no companyInformation
	}, opts...)
	require.NoError(t, err)
	return c
}

// putItem puts SampleProduct(i) into the fake as an item with its two
// variants, with the price of SamplePrice(i).
func putItem(t testing.TB, srv *bctest.Server, i int) {
	t.Helper()
	putItemVariants(t, srv, i, len(kontortest.SampleProduct(i).Variants))
}

// putItemVariants puts SampleProduct(i) as an item with its first n
// variants (none for n = 0). ReadPrices yields one price per variant
// SKU, or one for the item number when it has none.
func putItemVariants(t testing.TB, srv *bctest.Server, i, n int) {
	t.Helper()
	p := kontortest.SampleProduct(i)
	var vs []bctest.ItemVariant
	for _, v := range p.Variants[:n] {
		vs = append(vs, bctest.ItemVariant{Code: v.Title, Description: p.Title + " " + v.Title})
	}
	_, err := srv.PutItem(bctest.Item{Number: p.SKU, DisplayName: p.Title, GTIN: p.GTIN, TaxGroupCode: "STANDARD",
		UnitPrice: kontortest.SamplePrice(i).List.Amount, PriceIncludesTax: true, ItemCategoryCode: "SHIRTS", Variants: vs})
	require.NoError(t, err)
}

// putOrderItems puts what orders 0..n-1 need: their items with variants
// and the FREIGHT service item for shipping charges.
func putOrderItems(t testing.TB, srv *bctest.Server, n int) {
	t.Helper()
	for i := range n {
		putItem(t, srv, i)
	}
	_, err := srv.PutItem(bctest.Item{Number: "FREIGHT", DisplayName: "Shipping", Type: "Service"})
	require.NoError(t, err)
}

// putCustomer puts SampleCustomer(i) into the fake.
func putCustomer(t testing.TB, srv *bctest.Server, i int) {
	t.Helper()
	cu := kontortest.SampleCustomer(i)
	a := cu.Addresses[0]
	typ, name := "Person", cu.FirstName+" "+cu.LastName
	if cu.Type == kontor.B2B {
		typ, name = "Company", cu.Company
	}
	_, err := srv.PutCustomer(bctest.Customer{Number: cu.Number, DisplayName: name, Type: typ, Email: cu.Email,
		TaxRegistrationNumber: cu.VATID, Address: bctest.Address{Line1: a.Street, City: a.City, PostalCode: a.PostalCode, CountryCode: a.Country}})
	require.NoError(t, err)
}

// placeOrders makes the orders exist in the fake as the ERP's own sales
// orders (not through the connector), with their customers.
func placeOrders(t testing.TB, srv *bctest.Server, orders []kontor.Order) {
	t.Helper()
	for _, o := range orders {
		if _, ok := srv.Customer(o.Customer.Number); !ok {
			var i int
			_, err := fmt.Sscanf(o.Customer.Number, "C%06d", &i)
			require.NoError(t, err)
			putCustomer(t, srv, i)
		}
		var lines []map[string]any
		for _, l := range o.Lines {
			item, _, _ := strings.Cut(l.SKU[len("SKU-"):], "-")
			lines = append(lines, map[string]any{"lineType": "Item", "lineObjectNumber": "SKU-" + item,
				"quantity": json.Number(l.Quantity.String()), "unitPrice": json.Number(l.UnitPrice.Amount.String())})
		}
		_, err := srv.PlaceSalesOrder(map[string]any{"externalDocumentNumber": o.Number, "customerNumber": o.Customer.Number,
			"orderDate": o.PlacedAt.Format("2006-01-02"), "salesOrderLines": lines})
		require.NoError(t, err)
	}
}

// seed puts n of every entity the connector reads: items (products,
// prices, stock), customers, and n shipped sales orders (shipments and
// status). Each item has one variant: ReadPrices yields a price per
// variant SKU, so n items give n prices (SKU-…-S), and the variant path
// is what the suite reads. The orders' lines name the item numbers.
func seed(t testing.TB, srv *bctest.Server, n int) {
	t.Helper()
	orders := make([]kontor.Order, n)
	for i := range n {
		putItemVariants(t, srv, i, 1)
		require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: kontortest.SampleProduct(i).SKU,
			Quantity: kontortest.SampleStock(i).OnHand}))
		putCustomer(t, srv, i)
		orders[i] = kontortest.SampleOrder(i)
	}
	placeOrders(t, srv, orders)
	for i, o := range orders {
		_, err := srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: o.Number,
			PackageTrackingNumber: fmt.Sprintf("00340434%010d", i), ShippingAgentCode: "DHL"})
		require.NoError(t, err)
	}
}

// hookTransport lets a test act on each request on its way to the fake:
// inject a fault just before it, change or drop its response.
type hookTransport struct {
	next http.RoundTripper
	hook func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error)
}

func (h *hookTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
	}
	send := func() (*http.Response, error) {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		return h.next.RoundTrip(r)
	}
	if h.hook == nil {
		return send()
	}
	return h.hook(req, body, send)
}

// withHook routes the connector's requests through a hookTransport; set
// its hook later.
func withHook() (*hookTransport, bc.Option) {
	h := &hookTransport{next: http.DefaultTransport}
	return h, bc.WithTransport(h)
}

// isCreateBatch reports whether a request is a $batch that creates
// (POSTs) something.
func isCreateBatch(req *http.Request, body []byte) bool {
	return strings.HasSuffix(req.URL.Path, "/$batch") && bytes.Contains(body, []byte(`"method":"POST"`))
}

// sampleOrders returns SampleOrder(from) … SampleOrder(from+n-1).
func sampleOrders(from, n int) []kontor.Order {
	out := make([]kontor.Order, n)
	for i := range out {
		out[i] = kontortest.SampleOrder(from + i)
	}
	return out
}
