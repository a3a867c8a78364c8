package bctest_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/internal/fixture"
)

func TestDeepInsertOfASalesOrder(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 2)
	srv.SetTaxRate("STANDARD", d("19"))
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)

	body := orderBody(cust.Number, "wc-1001", itemLine("ITEM-0001", "2"), itemLine("ITEM-0002", "1"),
		map[string]any{"lineType": "Comment", "description": "gift wrap"})
	body["shipToName"] = "Jane Doe"
	body["discountAmount"] = 5
	r := a.do("POST", "salesOrders", body)
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	assert.NotEmpty(t, r.header.Get("Location"))
	assert.Equal(t, "WC-1001", r.body["externalDocumentNumber"], "a Code field reads back upper case")
	assert.Equal(t, "Draft", r.body["status"])
	assert.Equal(t, cust.ID, r.body["customerId"])
	assert.Equal(t, "Adatum Corporation", r.body["customerName"])
	assert.Equal(t, "Jane Doe", r.body["shipToName"], "what the request sets wins over the customer's")
	assert.Equal(t, "Station Road, 21", r.body["shipToAddressLine1"], "the rest comes from the customer")
	lines := r.body["salesOrderLines"].([]any)
	require.Len(t, lines, 3, "the response of a deep insert has the lines")
	l1 := lines[0].(map[string]any)
	assert.Equal(t, json.Number("10000"), l1["sequence"])
	assert.Equal(t, "Item ITEM-0001", l1["description"])
	assert.Equal(t, json.Number("10"), l1["unitPrice"], "the item's price")
	assert.Equal(t, "PCS", l1["unitOfMeasureCode"])
	assert.Equal(t, json.Number("19"), l1["taxPercent"])
	assert.Equal(t, json.Number("2"), l1["shipQuantity"])
	// 2×10 + 1×20 = 40, less the invoice discount 5 = 35, tax 19% = 6.65.
	assert.Equal(t, json.Number("35"), r.body["totalAmountExcludingTax"])
	assert.Equal(t, json.Number("6.65"), r.body["totalTaxAmount"])
	assert.Equal(t, json.Number("41.65"), r.body["totalAmountIncludingTax"])

	o, ok := srv.SalesOrderByExternalDocumentNumber("wc-1001")
	require.True(t, ok)
	require.Len(t, o.Lines, 3)
	assert.True(t, o.Lines[1].NetAmount.Equal(d("17.5")), "the discount is allocated: %s", o.Lines[1].NetAmount)

	// $filter on externalDocumentNumber, $expand of the lines.
	r = a.do("GET", "salesOrders?$filter=externalDocumentNumber eq 'WC-1001'&$expand=salesOrderLines($select=sequence,quantity)", nil)
	require.Len(t, r.values(), 1, string(r.raw))
	exp := r.values()[0]["salesOrderLines"].([]any)
	require.Len(t, exp, 3)
	assert.Len(t, exp[0], 3, "@odata.etag, sequence, quantity")
	r = a.do("GET", "salesOrders("+o.ID+")/salesOrderLines?$filter=lineType eq 'Item'", nil)
	assert.Len(t, r.values(), 2)
	r = a.do("GET", "salesOrderLines?$filter=documentId eq "+o.ID, nil)
	assert.Len(t, r.values(), 3, "the top-level salesOrderLines")
}

func TestSalesOrderRejections(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	_, err := srv.PutItem(bctest.Item{Number: "BLOCKED", Blocked: true})
	require.NoError(t, err)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)

	for name, tc := range map[string]struct {
		body   map[string]any
		status int
		code   string
	}{
		"no customer":        {map[string]any{"externalDocumentNumber": "1"}, 400, "Application_DialogException"},
		"unknown customer":   {orderBody("C99999", "1"), 400, "Internal_InvalidTableRelation"},
		"unknown item":       {orderBody(cust.Number, "1", itemLine("NOPE", "1")), 400, "Internal_InvalidTableRelation"},
		"blocked item":       {orderBody(cust.Number, "1", itemLine("BLOCKED", "1")), 400, "Application_FieldValidationException"},
		"unknown property":   {map[string]any{"customerNumber": cust.Number, "shopOrderId": "1"}, 400, "BadRequest"},
		"read-only property": {map[string]any{"customerNumber": cust.Number, "totalAmountIncludingTax": 1}, 400, "BadRequest_InvalidOperation"},
		"too long":           {orderBody(cust.Number, "123456789012345678901234567890123456"), 400, "Application_StringExceededLength"},
		"wrong type":         {orderBody(cust.Number, "1", map[string]any{"lineObjectNumber": "ITEM-0001", "quantity": "two"}), 400, "BadRequest"},
		"bad option":         {orderBody(cust.Number, "1", map[string]any{"lineType": "Gift", "lineObjectNumber": "ITEM-0001"}), 400, "Unknown"},
	} {
		r := a.do("POST", "salesOrders", tc.body)
		assert.Equal(t, tc.status, r.status, "%s: %s", name, r.raw)
		assert.Equal(t, tc.code, r.errCode(), name)
	}
	assert.Empty(t, srv.SalesOrders(), "a rejected deep insert leaves nothing behind")

	_, err = srv.PutCustomer(bctest.Customer{Number: cust.Number, DisplayName: cust.DisplayName, Blocked: "All"})
	require.NoError(t, err)
	r := a.do("POST", "salesOrders", orderBody(cust.Number, "1"))
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "blocked")
}

func TestSalesOrderFixtureShape(t *testing.T) {
	t.Parallel()
	var want map[string]any
	require.NoError(t, json.Unmarshal(fixture.Read(t, "erp/business-central/salesOrder_create_response.json"), &want))
	srv := bctest.New()
	defer srv.Close()
	cust := seedCustomer(t, srv)
	r := newAPI(t, srv).do("POST", "salesOrders", orderBody(cust.Number, "X"))
	require.Equal(t, 201, r.status, string(r.raw))
	for k := range want {
		if k == "documentLines" {
			continue // not in the salesOrder schema; the docs example is wrong
		}
		assert.Contains(t, r.body, k)
	}
}

func TestETagsAndIfMatch(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now))
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	r := a.do("POST", "salesOrders", orderBody(cust.Number, "1001", itemLine("ITEM-0001", "1")))
	require.Equal(t, 201, r.status)
	id, tag, modified := r.str("id"), r.str("@odata.etag"), r.str("lastModifiedDateTime")

	r = a.do("PATCH", "salesOrders("+id+")", map[string]any{"shipToName": "x"})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "BadRequest_InvalidToken", r.errCode())
	assert.Contains(t, r.errMessage(), "Could not validate the client concurrency token")

	clk.Advance(time.Second)
	r = a.do("PATCH", "salesOrders("+id+")", map[string]any{"shipToName": "Jane"}, "If-Match", tag)
	require.Equal(t, 200, r.status, string(r.raw))
	assert.Equal(t, "Jane", r.body["shipToName"])
	assert.NotEqual(t, tag, r.str("@odata.etag"))
	assert.Greater(t, r.str("lastModifiedDateTime"), modified)
	tag2 := r.str("@odata.etag")

	r = a.do("PATCH", "salesOrders("+id+")", map[string]any{"shipToName": "Stale"}, "If-Match", tag)
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "Request_EntityChanged", r.errCode())
	o, _ := srv.SalesOrder(r.str("number"))
	got, _ := srv.SalesOrderByExternalDocumentNumber("1001")
	assert.Equal(t, "Jane", got.ShipToName, "a stale write changes nothing")
	_ = o

	r = a.do("PATCH", "salesOrders("+id+")", map[string]any{"shipToName": "Any"}, "If-Match", "*")
	assert.Equal(t, 200, r.status)

	// A line change changes the order's ETag.
	lines := a.do("GET", "salesOrders("+id+")/salesOrderLines", nil).values()
	before := a.do("GET", "salesOrders("+id+")", nil).str("@odata.etag")
	r = a.do("PATCH", "salesOrders("+id+")/salesOrderLines("+lines[0]["id"].(string)+")", map[string]any{"quantity": 3}, "If-Match", lines[0]["@odata.etag"].(string))
	require.Equal(t, 200, r.status, string(r.raw))
	after := a.do("GET", "salesOrders("+id+")", nil)
	assert.NotEqual(t, before, after.str("@odata.etag"))
	assert.Equal(t, json.Number("30"), after.body["totalAmountExcludingTax"])

	// DELETE wants If-Match too; then the order and its lines are gone.
	assert.Equal(t, 400, a.do("DELETE", "salesOrders("+id+")", nil).status)
	assert.Equal(t, 409, a.do("DELETE", "salesOrders("+id+")", nil, "If-Match", tag2).status)
	assert.Equal(t, 204, a.do("DELETE", "salesOrders("+id+")", nil, "If-Match", after.str("@odata.etag")).status)
	assert.Equal(t, 404, a.do("GET", "salesOrders("+id+")", nil).status)
	assert.Empty(t, a.do("GET", "salesOrderLines", nil).values())

	// PATCH of a collection is not allowed.
	r = a.do("PATCH", "items", map[string]any{"displayName": "x"}, "If-Match", "*")
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "BadRequest_MethodNotAllowed", r.errCode())
}

func TestETagMismatchStatus412(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithETagMismatchStatus(http.StatusPreconditionFailed))
	defer srv.Close()
	it, err := srv.PutItem(bctest.Item{Number: "A"})
	require.NoError(t, err)
	a := newAPI(t, srv)
	_, err = srv.ChangeItem("A", func(i *bctest.Item) { i.DisplayName = "changed by a user" })
	require.NoError(t, err)
	r := a.do("PATCH", "items("+it.ID+")", map[string]any{"displayName": "mine"}, "If-Match", it.ETag)
	assert.Equal(t, 412, r.status)
	assert.Equal(t, "Request_EntityChanged", r.errCode())
	cur, _ := srv.Item("A")
	assert.Equal(t, "changed by a user", cur.DisplayName)
}

func TestShipmentsAndStock(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithExtensionAPI())
	defer srv.Close()
	_, err := srv.PutItem(bctest.Item{Number: "SHIRT", UnitPrice: d("20"), Variants: []bctest.ItemVariant{{Code: "RED"}, {Code: "BLUE"}}})
	require.NoError(t, err)
	_, err = srv.PutLocation(bctest.Location{Code: "MAIN", DisplayName: "Main warehouse"})
	require.NoError(t, err)
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SHIRT", VariantCode: "RED", LocationCode: "MAIN", Quantity: d("10")}))
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SHIRT", LocationCode: "EAST", Quantity: d("5")}))
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "SHIRT", VariantCode: "RED", LocationCode: "MAIN", Quantity: d("8")}))
	item, _ := srv.Item("SHIRT")
	assert.True(t, item.Inventory.Equal(d("13")))
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)

	var red, main string
	for _, v := range a.do("GET", "items("+item.ID+")/itemVariants", nil).values() {
		if v["code"] == "RED" {
			red = v["id"].(string)
		}
	}
	main = a.do("GET", "locations?$filter=code eq 'MAIN'", nil).values()[0]["id"].(string)
	line := itemLine("SHIRT", "3")
	line["itemVariantId"], line["locationId"] = red, main
	r := a.do("POST", "salesOrders", orderBody(cust.Number, "SHOP-7", line))
	require.Equal(t, 201, r.status, string(r.raw))

	sh, err := srv.PostShipment(bctest.ShipmentPosting{ExternalDocumentNumber: "shop-7", PackageTrackingNumber: "1Z999AA10123456784", ShippingAgentCode: "ups"})
	require.NoError(t, err)
	assert.Equal(t, "1Z999AA10123456784", sh.PackageTrackingNumber)
	assert.Equal(t, "UPS", sh.ShippingAgentCode)
	require.Len(t, sh.Lines, 1)
	assert.True(t, sh.Lines[0].Quantity.Equal(d("3")))
	assert.True(t, srv.Inventory("SHIRT", "RED", "MAIN").Equal(d("5")), "shipping takes stock out")

	r = a.do("GET", "salesShipments?$filter=externalDocumentNumber eq 'SHOP-7'&$expand=salesShipmentLines", nil)
	require.Len(t, r.values(), 1)
	got := r.values()[0]
	assert.Equal(t, sh.Number, got["number"])
	assert.NotContains(t, got, "packageTrackingNumber", "the standard API has no tracking number")
	assert.Len(t, got["salesShipmentLines"], 1)
	o, _ := srv.SalesOrderByExternalDocumentNumber("SHOP-7")
	assert.True(t, o.FullyShipped)
	assert.True(t, o.Lines[0].ShippedQuantity.Equal(d("3")))
	assert.Equal(t, "RED", o.Lines[0].VariantCode)

	ext := srv.ExtensionAPIURL() + "/companies(" + srv.CompanyID() + ")"
	r = a.do("GET", ext+"/shipmentTrackings?$filter=externalDocumentNumber eq 'SHOP-7'", nil)
	require.Len(t, r.values(), 1, string(r.raw))
	assert.Equal(t, "1Z999AA10123456784", r.values()[0]["packageTrackingNumber"])
	r = a.do("GET", ext+"/stockLevels?$filter=itemNumber eq 'SHIRT'", nil)
	levels := map[string]json.Number{}
	for _, v := range r.values() {
		levels[v["variantCode"].(string)+"@"+v["locationCode"].(string)] = v["inventory"].(json.Number)
	}
	assert.Equal(t, map[string]json.Number{"RED@MAIN": "5", "@EAST": "5"}, levels)
	r = a.do("GET", "itemLedgerEntries?$filter=itemNumber eq 'SHIRT'", nil)
	assert.Len(t, r.values(), 4, "three adjustments and one sale")

	_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number})
	assert.Error(t, err, "nothing left to ship")
	assert.Equal(t, 400, a.do("DELETE", "salesOrders("+o.ID+")", nil, "If-Match", "*").status, "a shipped order cannot be deleted")
}

func TestShipAndInvoiceAndCreditMemo(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	r := a.do("POST", "salesOrders", orderBody(cust.Number, "9", itemLine("ITEM-0001", "1")))
	require.Equal(t, 201, r.status)
	r = a.do("POST", "salesOrders("+r.str("id")+")/Microsoft.NAV.shipAndInvoice", nil)
	assert.Equal(t, 204, r.status, string(r.raw))
	assert.Empty(t, srv.SalesOrders(), "posting a fully shipped and invoiced order deletes it")
	require.Len(t, srv.Shipments(), 1)

	cm := map[string]any{"customerNumber": cust.Number, "externalDocumentNumber": "RMA-1",
		"salesCreditMemoLines": []any{itemLine("ITEM-0001", "1")}}
	r = a.do("POST", "salesCreditMemos", cm)
	require.Equal(t, 201, r.status, string(r.raw))
	assert.Equal(t, json.Number("10"), r.body["totalAmountExcludingTax"])
	memos := srv.CreditMemos()
	require.Len(t, memos, 1)
	assert.Equal(t, "RMA-1", memos[0].ExternalDocumentNumber)
	require.Len(t, memos[0].Lines, 1)
	assert.True(t, memos[0].Lines[0].Quantity.Equal(decimal.NewFromInt(1)))
	assert.Equal(t, 204, a.do("POST", "salesCreditMemos("+memos[0].ID+")/Microsoft.NAV.post", nil).status)
	assert.Equal(t, "Open", srv.CreditMemos()[0].Status)
	assert.Equal(t, 404, a.do("POST", "salesCreditMemos("+memos[0].ID+")/Microsoft.NAV.explode", nil).status)
}

func TestPlaceSalesOrderAndPicture(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	o, err := srv.PlaceSalesOrder(orderBody(cust.Number, "PLACED", itemLine("ITEM-0001", "4")))
	require.NoError(t, err)
	assert.True(t, o.TotalAmountExcludingTax.Equal(d("40")))
	assert.Zero(t, srv.Requests(), "not a request")
	_, err = srv.PlaceSalesOrder(map[string]any{"externalDocumentNumber": "x"})
	assert.Error(t, err)

	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 2, 3))))
	pngData := buf.Bytes()
	it, _ := srv.Item("ITEM-0001")
	a := newAPI(t, srv)
	pic := a.do("GET", "items("+it.ID+")/picture", nil)
	require.Equal(t, 200, pic.status, string(pic.raw))
	assert.Equal(t, json.Number("0"), pic.body["width"])
	assert.Equal(t, 400, a.do("PATCH", "items("+it.ID+")/picture/pictureContent", pngData, "Content-Type", "image/png").status, "If-Match required")
	r := a.do("PATCH", "items("+it.ID+")/picture/pictureContent", pngData, "Content-Type", "image/png", "If-Match", pic.str("@odata.etag"))
	require.Equal(t, 204, r.status, string(r.raw))
	pic = a.do("GET", "items("+it.ID+")?$expand=picture", nil)
	p := pic.body["picture"].(map[string]any)
	assert.Equal(t, json.Number("2"), p["width"])
	assert.Equal(t, json.Number("3"), p["height"])
	assert.Equal(t, "image/png", p["contentType"])
	content := a.do("GET", "items("+it.ID+")/picture/pictureContent", nil)
	assert.Equal(t, pngData, content.raw)
}
