package businesscentral_test

import (
	"net/http"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

// shipLines is a shipment's lines as "quantity SKU".
func shipLines(s kontor.Shipment) []string {
	var out []string
	for _, l := range s.Lines {
		out = append(out, l.Quantity.String()+" "+l.SKU)
	}
	return out
}

// byOrder groups shipments by the shop's order number, in order.
func byOrder(ships []kontor.Shipment) map[string][]kontor.Shipment {
	m := map[string][]kontor.Shipment{}
	for _, s := range ships {
		m[s.OrderNumber] = append(m[s.OrderNumber], s)
	}
	return m
}

// shipAndInvoice posts an order as shipped and invoiced through the API,
// which deletes it, as Business Central does.
func shipAndInvoice(t *testing.T, srv *bctest.Server, externalNumber string) {
	t.Helper()
	so, ok := srv.SalesOrderByExternalDocumentNumber(externalNumber)
	require.True(t, ok)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		srv.CompanyURL()+"/salesOrders("+so.ID+")/Microsoft.NAV.shipAndInvoice", http.NoBody)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.IssueToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	_, ok = srv.SalesOrderByExternalDocumentNumber(externalNumber)
	require.False(t, ok, "a fully shipped and invoiced order is deleted")
}

// The shop fulfils by SKU: a shipped variant is the variant SKU (from the
// order line with the shipment line's sequence), not the item number, and
// the shipping charge line that posting ships too is no shipment line.
func TestReadShipmentsVariantSKUsWithoutTheShippingCharge(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 3)
	putItemVariants(t, srv, 3, 0) // SKU-000003, an item without variants
	w := connect(t, srv)
	mixed := kontortest.SampleOrder(0)
	mixed.Lines[1].SKU = "SKU-000003" // a variant line, an item line, the FREIGHT line
	gone, chargeOnly := kontortest.SampleOrder(1), kontortest.SampleOrder(2)
	rs, err := w.WriteOrders(t.Context(), []kontor.Order{mixed, gone, chargeOnly})
	require.NoError(t, err)
	require.NoError(t, kontor.BatchErr(rs))
	so, _ := srv.SalesOrderByExternalDocumentNumber(mixed.Number)
	require.Len(t, so.Lines, 3)
	require.Equal(t, []string{"S", "", ""}, []string{so.Lines[0].VariantCode, so.Lines[1].VariantCode, so.Lines[2].VariantCode})
	require.Equal(t, "FREIGHT", so.Lines[2].LineObjectNumber)

	// mixed: one of the variant first, then the rest with the charge.
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: mixed.Number, Lines: map[int]decimal.Decimal{10000: decimal.NewFromInt(1)}})
	require.NoError(t, err)
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: mixed.Number})
	require.NoError(t, err)
	// chargeOnly: a shipment of nothing but the charge line ships nothing
	// of the shop's order (no lines would mean the whole order).
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: chargeOnly.Number, Lines: map[int]decimal.Decimal{30000: decimal.NewFromInt(1)}})
	require.NoError(t, err)
	// gone: shipped and invoiced at once, which deletes the order.
	shipAndInvoice(t, srv, gone.Number)
	require.Len(t, srv.Shipments(), 4)

	// A connector of its own: nothing of the writes cached.
	c := connect(t, srv)
	_, err = c.CompanyID(t.Context())
	require.NoError(t, err)
	srv.ResetCounters()
	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 3, "the charge-only shipment is not the shop's")
	for _, s := range ships {
		require.NoError(t, s.Validate())
	}
	m := byOrder(ships)
	require.Len(t, m["#500000"], 2)
	assert.Equal(t, []string{"1 SKU-000000-S"}, shipLines(m["#500000"][0]))
	assert.Equal(t, []string{"1 SKU-000000-S", "1 SKU-000003"}, shipLines(m["#500000"][1]),
		"the variant's SKU, the plain item's number, no FREIGHT")
	require.Len(t, m["#500001"], 1)
	assert.Equal(t, []string{"2 SKU-000001", "1 SKU-000001"}, shipLines(m["#500001"][0]),
		"the order is gone: its lines fall back to the item number (2 of S and 1 of M), still without FREIGHT")
	assert.Empty(t, m["#500002"])

	assert.Equal(t, 1, srv.RequestsFor(http.MethodGet, "salesShipments"))
	assert.Equal(t, 2, srv.Batches(), "one $batch of orders, one of the variants not yet known")
	assert.Equal(t, 2, srv.BatchOperationsFor(http.MethodGet, "salesOrders"),
		"each order once, however many shipments; none for the charge-only shipment")
	assert.Equal(t, 1, srv.BatchOperationsFor(http.MethodGet, "itemVariants"), "one per item with variants on existing orders' lines")
	assert.Equal(t, 3, srv.Requests())

	// Read again: the variant is known now.
	srv.ResetCounters()
	again := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	assert.Equal(t, ships, again)
	assert.Equal(t, 1, srv.Batches())
	assert.Zero(t, srv.BatchOperationsFor(http.MethodGet, "itemVariants"))

	// The connector that wrote the orders knows their variants already.
	srv.ResetCounters()
	assert.Equal(t, ships, collect(t, w.ReadShipments(t.Context(), kontor.Cursor{})))
	assert.Zero(t, srv.BatchOperationsFor(http.MethodGet, "itemVariants"))
}

// A charge on a G/L account is no item line and never a shipment line;
// without WithShippingCharge an item line is the shop's whatever its
// number.
func TestReadShipmentsChargeLineTypes(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 1)
	_, err := srv.PutCustomer(bctest.Customer{Number: "C1", DisplayName: "Erika", Type: "Person"})
	require.NoError(t, err)
	_, err = srv.PlaceSalesOrder(map[string]any{"externalDocumentNumber": "#1", "customerNumber": "C1", "salesOrderLines": []any{
		map[string]any{"lineType": "Item", "lineObjectNumber": "SKU-000000", "quantity": 1},
		map[string]any{"lineType": "Item", "lineObjectNumber": "FREIGHT", "quantity": 1},
	}})
	require.NoError(t, err)
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: "#1"})
	require.NoError(t, err)

	c := connect(t, srv, bc.WithShippingCharge(bc.ChargeLine{LineType: "Account", Number: "8400"}))
	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 1)
	assert.Equal(t, []string{"1 SKU-000000", "1 FREIGHT"}, shipLines(ships[0]),
		"the charge is on an account: an item FREIGHT is an item the shop sells")

	c = connect(t, srv, bc.WithShippingCharge(bc.ChargeLine{LineType: "Item", Number: "freight"}))
	ships = collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 1)
	assert.Equal(t, []string{"1 SKU-000000"}, shipLines(ships[0]), "item numbers compare case-insensitively")
}

// When the orders cannot be read, the read fails rather than yielding
// shipments whose variant lines name the item.
func TestReadShipmentsOrderLookupFails(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 1)
	c := connect(t, srv)
	rs, err := c.WriteOrders(t.Context(), []kontor.Order{kontortest.SampleOrder(0)})
	require.NoError(t, err)
	require.NoError(t, kontor.BatchErr(rs))
	_, err = srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: kontortest.SampleOrder(0).Number})
	require.NoError(t, err)

	srv.FailBatchOperation(0, bctest.Fault{Status: http.StatusInternalServerError})
	var got []kontor.Shipment
	var errs []error
	for s, err := range c.ReadShipments(t.Context(), kontor.Cursor{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		got = append(got, s)
	}
	assert.Empty(t, got)
	require.Len(t, errs, 1)
	assert.Equal(t, kontor.KindRetryable, kontor.KindOf(errs[0]))

	// The next read gets it right.
	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, 1)
	assert.Equal(t, []string{"2 SKU-000000-S", "1 SKU-000000-M"}, shipLines(ships[0]))
}

// 100 shipments cost a fixed number of requests: the page, one $batch of
// their orders, one of their items' variants, one of their tracking rows;
// not one request per shipment.
func TestReadShipmentsRequestsPer100(t *testing.T) {
	const n = 100
	srv := newFake(t, bctest.WithExtensionAPI())
	putOrderItems(t, srv, n)
	w := connect(t, srv)
	orders := sampleOrders(0, n)
	rs, err := w.WriteOrders(t.Context(), orders)
	require.NoError(t, err)
	require.NoError(t, kontor.BatchErr(rs))
	for _, o := range orders {
		_, err := srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: o.Number, PackageTrackingNumber: "T" + o.Number[1:]})
		require.NoError(t, err)
	}

	c := connect(t, srv, bc.WithTrackingPage(bc.TrackingPage{Route: "kontor/shop/v1.0", EntitySet: "shipmentTrackings"}))
	_, err = c.CompanyID(t.Context())
	require.NoError(t, err)
	srv.ResetCounters()
	ships := collect(t, c.ReadShipments(t.Context(), kontor.Cursor{}))
	require.Len(t, ships, n)
	for i, s := range ships {
		require.NoError(t, s.Validate())
		p := kontortest.SampleProduct(i)
		assert.Equal(t, []string{"2 " + p.Variants[0].SKU, "1 " + p.Variants[1].SKU}, shipLines(s), s.Number)
		assert.Len(t, s.Tracking, 1)
	}
	assert.Equal(t, 4, srv.Requests(), "the page and three $batch requests")
	assert.Equal(t, n, srv.BatchOperationsFor(http.MethodGet, "salesOrders"))
	assert.Equal(t, n, srv.BatchOperationsFor(http.MethodGet, "itemVariants"), "one per item, for both its variants")

	srv.ResetCounters()
	require.Len(t, collect(t, c.ReadShipments(t.Context(), kontor.Cursor{})), n)
	assert.Equal(t, 3, srv.Requests(), "the variants are known now")
}
