package shopify_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
)

// opRecorder is the client's base transport in these tests: it records
// each GraphQL operation by name with the cost Shopify asked for it, and
// answers the operation named by deny with ACCESS_DENIED (a failure that
// is not retried) while deny is set.
type opRecorder struct {
	mu    sync.Mutex
	ops   []string
	costs map[string]float64 // highest requestedQueryCost by operation
	deny  string
}

func newOpRecorder() *opRecorder { return &opRecorder{costs: make(map[string]float64)} }

func (r *opRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	var in struct{ OperationName string }
	_ = json.Unmarshal(body, &in)
	r.mu.Lock()
	r.ops = append(r.ops, in.OperationName)
	deny := r.deny != "" && r.deny == in.OperationName
	r.mu.Unlock()
	if deny {
		return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(strings.NewReader(`{"data":null,"errors":[{"message":"Access denied.","extensions":{"code":"ACCESS_DENIED"}}]}`))}, nil
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	var cost struct {
		Extensions struct {
			Cost struct{ RequestedQueryCost float64 }
		}
	}
	if json.Unmarshal(out, &cost) == nil {
		r.mu.Lock()
		r.costs[in.OperationName] = max(r.costs[in.OperationName], cost.Extensions.Cost.RequestedQueryCost)
		r.mu.Unlock()
	}
	return resp, nil
}

// take returns the operations sent since the last take.
func (r *opRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

func (r *opRecorder) setDeny(op string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deny = op
}

func (r *opRecorder) cost(op string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.costs[op]
}

// bigProduct is a product with n variants of one option, SKUs BIG-0001...
func bigProduct(n int) shopifytest.Product {
	p := shopifytest.Product{Title: "Schraube", Options: []string{"Länge"},
		Metafields: []shopifytest.Metafield{{Namespace: "kontor", Key: "erp_key", Value: "BIG"}}}
	for i := 1; i <= n; i++ {
		p.Variants = append(p.Variants, shopifytest.Variant{SKU: fmt.Sprintf("BIG-%04d", i), Barcode: ean13(i),
			Price: decimal.RequireFromString("0.10"), OptionValues: []string{fmt.Sprintf("%d mm", i)}, Stock: map[string]int{"Main": 10}})
	}
	return p
}

// ean13 is a valid EAN-13 made from i.
func ean13(i int) string {
	body := fmt.Sprintf("4000000%05d", i)
	sum := 0
	for k, d := range body {
		w := 1
		if k%2 == 1 {
			w = 3
		}
		sum += int(d-'0') * w
	}
	return fmt.Sprintf("%s%d", body, (10-sum%10)%10)
}

// TestWriteShipmentPagesFulfillmentOrderLines fulfils an order of 120
// lines, more than the 50 the order lookup reads: the rest come in one
// follow-up query, a shipment of a line beyond the first page is found,
// and shipping everything else leaves the order fulfilled.
func TestWriteShipmentPagesFulfillmentOrderLines(t *testing.T) {
	rec := newOpRecorder()
	srv, c := newShop(t, nil, shopify.WithTransport(rec))
	_, err := srv.AddProduct(bigProduct(120))
	require.NoError(t, err)
	in := shopifytest.OrderInput{Name: "#BIG-1", Customer: &shopifytest.Customer{FirstName: "Erika", LastName: "Muster", Email: "erika@example.com"},
		BillingAddress: &shopifytest.Address{Address1: "Musterweg 1", City: "Berlin", Zip: "10115", CountryCode: "DE"}}
	for i := 1; i <= 120; i++ {
		in.Lines = append(in.Lines, shopifytest.LineInput{SKU: fmt.Sprintf("BIG-%04d", i), Quantity: 2})
	}
	_, err = srv.PlaceOrder(bg, in)
	require.NoError(t, err)

	// The last line is on the follow-up page.
	last := kontor.Shipment{Number: "SHP-LAST", OrderNumber: "#BIG-1", Carrier: "DHL",
		Lines:    []kontor.ShipmentLine{{SKU: "BIG-0120", Quantity: decimal.NewFromInt(2)}},
		Tracking: []kontor.Tracking{{Number: "TRACK-LAST"}}}
	rs := mustSucceed(t)(c.WriteShipments(bg, []kontor.Shipment{last}))
	assert.Equal(t, kontor.Created, rs[0].Outcome)
	assert.Equal(t, []string{"OrderByName", "FulfillmentOrderLines", "FulfillmentCreate"}, rec.take())

	// Everything still open: 119 lines across both pages.
	rest := kontor.Shipment{Number: "SHP-REST", OrderNumber: "#BIG-1", Carrier: "DHL", Tracking: []kontor.Tracking{{Number: "TRACK-REST"}}}
	rs = mustSucceed(t)(c.WriteShipments(bg, []kontor.Shipment{rest}))
	assert.Equal(t, kontor.Created, rs[0].Outcome)
	assert.Equal(t, []string{"OrderByName", "FulfillmentOrderLines", "FulfillmentCreate"}, rec.take())

	fs := srv.Fulfillments("#BIG-1")
	require.Len(t, fs, 2)
	assert.Equal(t, []shopifytest.LineQuantity{{SKU: "BIG-0120", Quantity: 2}}, fs[0].Lines)
	require.Equal(t, 119, len(fs[1].Lines))
	for i, l := range fs[1].Lines {
		assert.Equal(t, shopifytest.LineQuantity{SKU: fmt.Sprintf("BIG-%04d", i+1), Quantity: 2}, l)
	}
	o, _ := srv.Order("#BIG-1")
	assert.Equal(t, "FULFILLED", o.FulfillmentStatus)

	// Sent again: found by its tracking number; the closed fulfillment
	// order's lines are not paged.
	rs = mustSucceed(t)(c.WriteShipments(bg, []kontor.Shipment{rest}))
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Equal(t, []string{"OrderByName"}, rec.take())
	assert.Len(t, srv.Fulfillments("#BIG-1"), 2)

	for _, op := range []string{"OrderByName", "FulfillmentOrderLines"} {
		assert.Less(t, rec.cost(op), 1000.0, "%s stays under the single-query cap", op)
		t.Logf("%s: requested cost %v", op, rec.cost(op))
	}
	assert.Zero(t, c.Stats().Throttled)
}

// TestWriteStatusShippedFulfilsAllLines fulfils the whole 120-line order
// for a status update "shipped", and a follow-up read failing midway
// ships nothing.
func TestWriteStatusShippedFulfilsAllLines(t *testing.T) {
	rec := newOpRecorder()
	srv, c := newShop(t, nil, shopify.WithTransport(rec))
	_, err := srv.AddProduct(bigProduct(120))
	require.NoError(t, err)
	in := shopifytest.OrderInput{Name: "#BIG-2"}
	for i := 1; i <= 120; i++ {
		in.Lines = append(in.Lines, shopifytest.LineInput{SKU: fmt.Sprintf("BIG-%04d", i), Quantity: 1})
	}
	_, err = srv.PlaceOrder(bg, in)
	require.NoError(t, err)
	u := kontor.StatusUpdate{OrderNumber: "#BIG-2", OrderStatus: kontor.OrderShipped, Source: kontor.SideERP, At: srv.Orders()[0].CreatedAt}

	rec.setDeny("FulfillmentOrderLines")
	_, err = c.WriteStatusUpdates(bg, []kontor.StatusUpdate{u})
	require.Error(t, err, "half an order's lines are not fulfilled")
	assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(err))
	assert.Empty(t, srv.Fulfillments("#BIG-2"), "nothing shipped")
	assert.Equal(t, []string{"OrderByName", "FulfillmentOrderLines"}, rec.take())

	rec.setDeny("")
	rs := mustSucceed(t)(c.WriteStatusUpdates(bg, []kontor.StatusUpdate{u}))
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
	assert.Equal(t, []string{"OrderByName", "FulfillmentOrderLines", "FulfillmentCreate"}, rec.take())
	fs := srv.Fulfillments("#BIG-2")
	require.Len(t, fs, 1)
	assert.Len(t, fs[0].Lines, 120)
	o, _ := srv.Order("#BIG-2")
	assert.Equal(t, "FULFILLED", o.FulfillmentStatus)
}

// TestReadProductPagesVariants reads a product of 250 variants, more than
// the 100 its query reads: the rest come in one follow-up query, in
// order, and a follow-up failing midway yields an error, never a
// truncated product.
func TestReadProductPagesVariants(t *testing.T) {
	rec := newOpRecorder()
	srv, c := newShop(t, nil, shopify.WithTransport(rec))
	_, err := srv.AddProduct(bigProduct(250))
	require.NoError(t, err)

	var got []kontor.Product
	for p, err := range c.ReadProducts(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, p)
	}
	require.Len(t, got, 1)
	p := got[0]
	assert.Equal(t, "BIG", p.SKU)
	assert.Equal(t, []string{"Länge"}, p.Options)
	require.Equal(t, 250, len(p.Variants))
	for i, v := range p.Variants {
		assert.Equal(t, fmt.Sprintf("BIG-%04d", i+1), v.SKU)
		assert.Equal(t, ean13(i+1), v.GTIN)
		assert.Equal(t, []kontor.OptionValue{{Name: "Länge", Value: fmt.Sprintf("%d mm", i+1)}}, v.Options)
	}
	require.NoError(t, p.Validate())
	assert.Equal(t, []string{"ProductIDs", "Product", "ProductVariants"}, rec.take())
	for _, op := range []string{"Product", "ProductVariants"} {
		assert.Less(t, rec.cost(op), 1000.0, "%s stays under the single-query cap", op)
		t.Logf("%s: requested cost %v", op, rec.cost(op))
	}

	rec.setDeny("ProductVariants")
	var errs []error
	n := 0
	for _, err := range c.ReadProducts(bg, kontor.Cursor{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	require.Len(t, errs, 1)
	assert.Equal(t, kontor.KindUnauthorized, kontor.KindOf(errs[0]))
	assert.ErrorContains(t, errs[0], "variants")
	assert.Zero(t, n, "no product with part of its variants")
}

// TestReadProductsSmallNeedNoFollowUp checks that products within the
// first page of variants cost one query each, as before.
func TestReadProductsSmallNeedNoFollowUp(t *testing.T) {
	rec := newOpRecorder()
	srv, c := newShop(t, nil, shopify.WithTransport(rec))
	_, err := srv.AddProduct(bigProduct(100))
	require.NoError(t, err)
	n := 0
	for p, err := range c.ReadProducts(bg, kontor.Cursor{}) {
		require.NoError(t, err)
		assert.Len(t, p.Variants, 100)
		n++
	}
	assert.Equal(t, 1, n)
	assert.Equal(t, []string{"ProductIDs", "Product"}, rec.take())
}

// TestWriteShipmentOverFulfillmentLimit: a shipment of more than 250
// lines of one fulfillment order, which Shopify refuses for the whole
// request, fails as this item's validation error before it is sent, and
// the next shipment of the batch goes on.
func TestWriteShipmentOverFulfillmentLimit(t *testing.T) {
	rec := newOpRecorder()
	srv, c := newShop(t, nil, shopify.WithTransport(rec))
	_, err := srv.AddProduct(bigProduct(260))
	require.NoError(t, err)
	in := shopifytest.OrderInput{Name: "#BIG-3"}
	for i := 1; i <= 260; i++ {
		in.Lines = append(in.Lines, shopifytest.LineInput{SKU: fmt.Sprintf("BIG-%04d", i), Quantity: 1})
	}
	_, err = srv.PlaceOrder(bg, in)
	require.NoError(t, err)

	all := kontor.Shipment{Number: "SHP-ALL", OrderNumber: "#BIG-3", Tracking: []kontor.Tracking{{Number: "T-ALL"}}}
	one := kontor.Shipment{Number: "SHP-ONE", OrderNumber: "#BIG-3", Tracking: []kontor.Tracking{{Number: "T-ONE"}},
		Lines: []kontor.ShipmentLine{{SKU: "BIG-0260", Quantity: decimal.NewFromInt(1)}}}
	rs, err := c.WriteShipments(bg, []kontor.Shipment{all, one})
	require.NoError(t, err)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[0].Err, &ve)
	assert.Equal(t, "SHP-ALL", ve.Key)
	assert.Equal(t, "lines", ve.Field)
	assert.Contains(t, ve.Reason, "260 lines")
	assert.Equal(t, kontor.Created, rs[1].Outcome, "%v", rs[1].Err)
	assert.Equal(t, []string{"OrderByName", "FulfillmentOrderLines", "OrderByName", "FulfillmentOrderLines", "FulfillmentCreate"}, rec.take(),
		"260 lines: 50 with the order, 210 in one follow-up")
	fs := srv.Fulfillments("#BIG-3")
	require.Len(t, fs, 1)
	assert.Equal(t, []shopifytest.LineQuantity{{SKU: "BIG-0260", Quantity: 1}}, fs[0].Lines)
}
