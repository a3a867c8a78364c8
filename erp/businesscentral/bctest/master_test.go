package bctest_test

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

func TestCustomersThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	a := newAPI(t, srv)
	b2b := a.do("POST", "customers", map[string]any{"displayName": "Contoso GmbH", "type": "Company", "taxRegistrationNumber": "DE811234567", "country": "de"})
	require.Equal(t, 201, b2b.status, string(b2b.raw))
	assert.Equal(t, "C00010", b2b.body["number"], "numbered from the series")
	assert.Equal(t, "DE", b2b.body["country"])
	b2c := a.do("POST", "customers", map[string]any{"displayName": "Jane Doe", "type": "Person", "email": "jane@example.com"})
	require.Equal(t, 201, b2c.status)
	assert.Equal(t, "C00020", b2c.body["number"])
	assert.Equal(t, " ", b2c.body["blocked"])
	r := a.do("POST", "customers", map[string]any{"displayName": "x", "type": "Robot"})
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "The existing options are: Company,Person")
	r = a.do("POST", "customers", map[string]any{"number": "C00010", "displayName": "dup"})
	assert.Equal(t, 409, r.status)
	assert.Equal(t, "Internal_EntityWithSameKeyExists", r.errCode())
	r = a.do("POST", "customers", map[string]any{"displayName": "x", "paymentTermsId": "0e8b5305-593f-ee11-be74-6045bdc8c285"})
	assert.Equal(t, "Internal_InvalidTableRelation", r.errCode())
	r = a.do("POST", "customers", map[string]any{"displayName": "Quiet"}, "Prefer", "return=minimal")
	assert.Equal(t, 204, r.status)
	assert.Len(t, srv.Customers(), 3)
	c, ok := srv.Customer("C00020")
	require.True(t, ok)
	assert.Equal(t, "jane@example.com", c.Email)
}

func TestItemsVariantsAndCodesThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	a := newAPI(t, srv)
	require.Equal(t, 201, a.do("POST", "unitsOfMeasure", map[string]any{"code": "box", "displayName": "Box"}).status)
	assert.Equal(t, 409, a.do("POST", "unitsOfMeasure", map[string]any{"code": "BOX"}).status, "codes are unique, ignoring case")
	r := a.do("POST", "items", map[string]any{"number": "T-1", "displayName": "Tee", "baseUnitOfMeasureCode": "box"})
	require.Equal(t, 201, r.status, string(r.raw))
	id := r.str("id")
	assert.Equal(t, "BOX", r.body["baseUnitOfMeasureCode"])
	assert.Equal(t, 400, a.do("POST", "items", map[string]any{"number": "T-2", "baseUnitOfMeasureCode": "CRATE"}).status)
	assert.Equal(t, 400, a.do("POST", "items", map[string]any{"number": "T-3", "inventory": 5}).status, "inventory is read-only")
	require.Equal(t, 201, a.do("POST", "items("+id+")/itemVariants", map[string]any{"code": "s", "description": "Small"}).status)
	require.Equal(t, 201, a.do("POST", "itemVariants", map[string]any{"itemNumber": "T-1", "code": "M"}).status)
	assert.Equal(t, 409, a.do("POST", "itemVariants", map[string]any{"itemId": id, "code": "m"}).status)
	r = a.do("GET", "items?$expand=itemVariants", nil)
	require.Len(t, r.values(), 1)
	vs := r.values()[0]["itemVariants"].([]any)
	require.Len(t, vs, 2)
	assert.Equal(t, "M", vs[0].(map[string]any)["code"])
	assert.Equal(t, 400, a.do("GET", "items?$expand=variants", nil).status)
	assert.Equal(t, 400, a.do("GET", "items?$expand=number", nil).status)
	it, _ := srv.Item("T-1")
	assert.Len(t, it.Variants, 2)
	r = a.do("GET", srv.APIURL(), nil)
	assert.Equal(t, 200, r.status, "the service document")
}

func TestSnapshotRollbackRestoresNumbersAndStock(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv) // C00010
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "ITEM-0001", Quantity: d("5")}))
	a := newAPI(t, srv)
	order := a.do("POST", "salesOrders", orderBody(cust.Number, "K", itemLine("ITEM-0001", "2")))
	require.Equal(t, 201, order.status)
	ops := []map[string]any{
		{"id": "c", "method": "POST", "url": "companies(" + srv.CompanyID() + ")/customers", "body": map[string]any{"displayName": "New"}},
		{"id": "s", "method": "POST", "url": "companies(" + srv.CompanyID() + ")/salesOrders(" + order.str("id") + ")/Microsoft.NAV.shipAndInvoice"},
		{"id": "x", "method": "POST", "url": "companies(" + srv.CompanyID() + ")/customers", "body": map[string]any{"displayName": "Bad", "type": "Robot"}},
	}
	_, out := a.batch(map[string]any{"requests": ops}, "Isolation", "snapshot")
	assert.Equal(t, []int{201, 204, 400}, statuses(out))
	assert.Len(t, srv.Customers(), 1, "the customer is rolled back")
	assert.Len(t, srv.SalesOrders(), 1, "the order posting is rolled back")
	assert.Empty(t, srv.Shipments())
	assert.True(t, srv.Inventory("ITEM-0001", "", "").Equal(d("5")), "the stock is rolled back")
	it, _ := srv.Item("ITEM-0001")
	assert.True(t, it.Inventory.Equal(d("5")))
	r := a.do("POST", "customers", map[string]any{"displayName": "After"})
	assert.Equal(t, "C00020", r.body["number"], "the number series is rolled back too")
	var body map[string]any
	require.NoError(t, json.Unmarshal(out.Responses[0].Body, &body))
	assert.Equal(t, "C00020", body["number"], "the rolled-back response showed the same number")
}

func TestIdentityOptionsAndCompanies(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithTenant("contoso.onmicrosoft.com"), bctest.WithCredentials("app", "pw"),
		bctest.WithCompanies("Main Co", "Second Co"))
	defer srv.Close()
	assert.Equal(t, "contoso.onmicrosoft.com", srv.TenantID())
	assert.Equal(t, "Production", srv.Environment())
	assert.Equal(t, "app", srv.OAuth2Config().ClientID)
	assert.Equal(t, "Main Co", srv.CompanyName())
	seedItems(t, srv, 2)
	a := newAPI(t, srv)
	cos := a.do("GET", srv.APIURL()+"/companies", nil).values()
	require.Len(t, cos, 2)
	var second string
	for _, c := range cos {
		if c["name"] == "Second Co" {
			second = c["id"].(string)
		}
	}
	assert.Len(t, a.do("GET", "items", nil).values(), 2)
	assert.Empty(t, a.do("GET", srv.APIURL()+"/companies("+second+")/items", nil).values(), "companies are separate")
	assert.Equal(t, 404, a.do("GET", srv.APIURL()+"/companies(11111111-2222-3333-4444-555555555555)/items", nil).status)
}

func TestSeedingAndInspecting(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 3)
	require.Len(t, srv.Items(), 3)
	require.NoError(t, srv.DeleteItem("ITEM-0003"))
	assert.Len(t, srv.Items(), 2)
	assert.Error(t, srv.DeleteItem("ITEM-0003"))
	id, err := srv.PutCode("shipmentMethods", "dhl", "DHL Paket")
	require.NoError(t, err)
	_, err = srv.PutCode("items", "x", "x")
	assert.Error(t, err)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	body := orderBody(cust.Number, "DUP", itemLine("ITEM-0001", "2"), itemLine("ITEM-0002", "3"))
	body["shipmentMethodId"] = id
	require.Equal(t, 201, a.do("POST", "salesOrders", body).status)
	require.Equal(t, 201, a.do("POST", "salesOrders", orderBody(cust.Number, "dup")).status)
	assert.Len(t, srv.SalesOrdersByExternalDocumentNumber("Dup"), 2, "Business Central does not stop a duplicate")
	o, ok := srv.SalesOrderByExternalDocumentNumber("DUP")
	require.True(t, ok)
	assert.Error(t, srv.DeleteItem("ITEM-0001"), "an item on an order cannot be deleted")

	// A partial shipment of the second line; the method comes from the order.
	sh, err := srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number, Lines: map[int]decimal.Decimal{20000: d("1")}, PackageTrackingNumber: "T1"})
	require.NoError(t, err)
	assert.Equal(t, "DHL", sh.ShipmentMethodCode)
	require.Len(t, sh.Lines, 1)
	assert.Equal(t, "ITEM-0002", sh.Lines[0].LineObjectNumber)
	o, _ = srv.SalesOrder(o.Number)
	assert.False(t, o.FullyShipped)
	assert.True(t, o.Lines[1].ShipQuantity.Equal(d("2")))
	_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number, Lines: map[int]decimal.Decimal{20000: d("5")}})
	assert.Error(t, err, "more than is left")
	_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number, Lines: map[int]decimal.Decimal{99: d("1")}})
	assert.Error(t, err, "no such line")
	require.Len(t, srv.Shipments(), 1)
	assert.Equal(t, "T1", srv.Shipments()[0].PackageTrackingNumber)

	require.NoError(t, srv.SetSalesOrderStatus(o.Number, "Released"))
	o, _ = srv.SalesOrder(o.Number)
	assert.Equal(t, "Released", o.Status)
	assert.Error(t, srv.SetSalesOrderStatus(o.Number, "Shipped"))

	assert.NotZero(t, srv.Requests())
	srv.ResetCounters()
	assert.Zero(t, srv.Requests())
	assert.Zero(t, srv.RequestsFor("POST", "salesOrders"))
}
