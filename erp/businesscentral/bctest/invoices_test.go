package bctest_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

// num reads a JSON number of a response as a decimal.
func num(t *testing.T, v any) decimal.Decimal {
	t.Helper()
	n, ok := v.(json.Number)
	require.True(t, ok, "%v is not a number", v)
	return decimal.RequireFromString(n.String())
}

func TestShipAndInvoicePostsTheInvoice(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 2)
	srv.SetTaxRate("STANDARD", d("19"))
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	body := orderBody(cust.Number, "wc-1001", itemLine("ITEM-0001", "2"), itemLine("ITEM-0002", "1"))
	body["discountAmount"] = 5
	ord := a.do("POST", "salesOrders", body)
	require.Equal(t, 201, ord.status, string(ord.raw))

	r := a.do("POST", "salesOrders("+ord.str("id")+")/Microsoft.NAV.shipAndInvoice", nil)
	require.Equal(t, 204, r.status, string(r.raw))
	assert.Empty(t, srv.SalesOrders(), "a completely shipped and invoiced order is deleted")
	require.Len(t, srv.Shipments(), 1)

	r = a.do("GET", "salesInvoices?$filter=externalDocumentNumber eq 'WC-1001'&$expand=salesInvoiceLines", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	require.Len(t, r.values(), 1)
	inv := r.values()[0]
	assert.Equal(t, "PS-INV103001", inv["number"])
	assert.Equal(t, "Open", inv["status"])
	assert.Equal(t, ord.str("id"), inv["orderId"])
	assert.Equal(t, ord.str("number"), inv["orderNumber"])
	assert.Equal(t, cust.ID, inv["customerId"])
	assert.Equal(t, "Adatum Corporation", inv["customerName"])
	assert.Equal(t, "Station Road, 21", inv["shipToAddressLine1"])
	// The order's totals: 2×10 + 1×20 = 40, less 5 = 35, 19% tax 6.65.
	assert.True(t, num(t, inv["totalAmountExcludingTax"]).Equal(d("35")), "%v", inv["totalAmountExcludingTax"])
	assert.True(t, num(t, inv["totalTaxAmount"]).Equal(d("6.65")))
	assert.True(t, num(t, inv["totalAmountIncludingTax"]).Equal(num(t, ord.body["totalAmountIncludingTax"])))
	assert.True(t, num(t, inv["remainingAmount"]).Equal(d("41.65")), "nothing paid yet")
	assert.True(t, num(t, inv["discountAmount"]).Equal(d("5")))
	lines := inv["salesInvoiceLines"].([]any)
	require.Len(t, lines, 2)
	l1 := lines[0].(map[string]any)
	assert.Equal(t, "ITEM-0001", l1["lineObjectNumber"])
	assert.True(t, num(t, l1["quantity"]).Equal(d("2")))
	assert.Equal(t, inv["id"], l1["documentId"])
	assert.NotEmpty(t, inv["@odata.etag"])

	invs := srv.Invoices()
	require.Len(t, invs, 1)
	assert.Equal(t, "WC-1001", invs[0].ExternalDocumentNumber)
	assert.True(t, invs[0].Posted)
	assert.Equal(t, 404, a.do("POST", "salesOrders("+ord.str("id")+")/Microsoft.NAV.shipAndInvoice", nil).status, "the order is gone")
}

func TestInvoiceOrderInvoicesWhatWasShipped(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 2)
	cust := seedCustomer(t, srv)
	o, err := srv.PlaceSalesOrder(orderBody(cust.Number, "SHOP-9", itemLine("ITEM-0001", "3"), itemLine("ITEM-0002", "2")))
	require.NoError(t, err)

	_, err = srv.InvoiceOrder(o.Number)
	assert.ErrorContains(t, err, "nothing to post", "nothing shipped, nothing to invoice")
	assert.Empty(t, srv.Invoices())

	_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number, Lines: map[int]decimal.Decimal{10000: d("1")}})
	require.NoError(t, err)
	first, err := srv.InvoiceOrder(o.Number)
	require.NoError(t, err)
	assert.Equal(t, "PS-INV103001", first.Number)
	assert.Equal(t, o.Number, first.OrderNumber)
	assert.Equal(t, o.ID, first.OrderID)
	assert.Equal(t, "SHOP-9", first.ExternalDocumentNumber)
	require.Len(t, first.Lines, 1, "only what was shipped")
	assert.True(t, first.Lines[0].Quantity.Equal(d("1")))
	assert.True(t, first.TotalAmountIncludingTax.Equal(d("10")))
	assert.True(t, first.RemainingAmount.Equal(d("10")))
	_, err = srv.InvoiceOrder(o.Number)
	assert.Error(t, err, "the same shipment is not invoiced twice")
	require.Len(t, srv.Invoices(), 1)
	_, still := srv.SalesOrder(o.Number)
	assert.True(t, still, "an order not completely shipped stays")

	_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number})
	require.NoError(t, err)
	_, still = srv.SalesOrder(o.Number)
	assert.True(t, still, "shipped but not invoiced: the order stays")
	second, err := srv.InvoiceOrder(o.Number)
	require.NoError(t, err)
	assert.Equal(t, "PS-INV103002", second.Number)
	require.Len(t, second.Lines, 2)
	assert.True(t, second.Lines[0].Quantity.Equal(d("2")))
	assert.True(t, second.Lines[1].Quantity.Equal(d("2")))
	assert.True(t, first.TotalAmountIncludingTax.Add(second.TotalAmountIncludingTax).Equal(o.TotalAmountIncludingTax),
		"the invoices add up to the order")
	_, still = srv.SalesOrder(o.Number)
	assert.False(t, still, "completely shipped and invoiced: deleted")
	_, err = srv.InvoiceOrder(o.Number)
	assert.Error(t, err)
	_, err = srv.InvoiceOrder("S-ORD999")
	assert.ErrorContains(t, err, "S-ORD999")
}

func TestInvoicePaymentsNotifySubscribers(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithNotificationDelay(time.Hour))
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	h := newHook(t)
	res := "/api/v2.0/companies(" + srv.CompanyID() + ")/salesInvoices"
	subscribe(t, a, h.URL, res, "state")

	o, err := srv.PlaceSalesOrder(orderBody(cust.Number, "PAY-1", itemLine("ITEM-0001", "4")))
	require.NoError(t, err)
	_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number})
	require.NoError(t, err)
	inv, err := srv.InvoiceOrder(o.Number)
	require.NoError(t, err)
	srv.FlushNotifications(t.Context())
	got := h.entries()
	require.Len(t, got, 1)
	assert.Equal(t, "created", got[0].ChangeType)
	assert.Equal(t, "api/v2.0/companies("+srv.CompanyID()+")/salesInvoices("+inv.ID+")", got[0].Resource)

	paid, err := srv.PayInvoice(inv.Number, d("15"))
	require.NoError(t, err)
	assert.Equal(t, "Open", paid.Status, "partly paid stays Open")
	assert.True(t, paid.RemainingAmount.Equal(d("25")))
	_, err = srv.PayInvoice(inv.Number, d("25.01"))
	assert.Error(t, err, "more than what is left")
	_, err = srv.PayInvoice(inv.Number, d("0"))
	assert.Error(t, err)
	require.NoError(t, srv.SetInvoicePaid(inv.Number))
	after, ok := srv.Invoice(inv.Number)
	require.True(t, ok)
	assert.Equal(t, "Paid", after.Status)
	assert.True(t, after.RemainingAmount.IsZero())
	assert.True(t, after.LastModified.After(inv.LastModified))
	assert.NotEqual(t, inv.ETag, after.ETag)
	srv.FlushNotifications(t.Context())
	got = h.entries()
	require.Len(t, got, 2, "the two payments collect into one notification")
	assert.Equal(t, "updated", got[1].ChangeType)

	require.NoError(t, srv.SetInvoicePaid(inv.Number), "paid already: nothing to do")
	_, err = srv.PayInvoice(inv.Number, d("1"))
	assert.Error(t, err)
	srv.FlushNotifications(t.Context())
	assert.Len(t, h.entries(), 2, "no change, no notification")
	assert.ErrorContains(t, srv.SetInvoicePaid("PS-INV999"), "PS-INV999")

	r := a.do("GET", "salesInvoices?$filter=status eq 'Paid' and remainingAmount eq 0&$select=number,status,remainingAmount", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	require.Len(t, r.values(), 1)
	assert.Equal(t, inv.Number, r.values()[0]["number"])
	assert.Len(t, r.values()[0], 4, "@odata.etag and the selected properties")
}

func TestDraftInvoicesThroughTheAPI(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 2)
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "ITEM-0001", Quantity: d("10")}))
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)

	r := a.do("POST", "salesInvoices", map[string]any{"customerNumber": cust.Number, "externalDocumentNumber": "inv-1",
		"salesInvoiceLines": []any{itemLine("ITEM-0001", "3")}})
	require.Equal(t, 201, r.status, string(r.raw))
	id := r.str("id")
	assert.Equal(t, "S-INV102001", r.str("number"))
	assert.Equal(t, "Draft", r.str("status"))
	assert.True(t, num(t, r.body["remainingAmount"]).Equal(d("30")), "a draft: everything")
	assert.Len(t, r.body["salesInvoiceLines"], 1)
	assert.Equal(t, 400, a.do("POST", "salesInvoices", map[string]any{"customerNumber": cust.Number, "customerName": "x"}).status,
		"customerName is read-only on the invoice page")
	assert.Equal(t, 400, a.do("POST", "salesInvoices", map[string]any{"customerNumber": cust.Number, "status": "Open"}).status)

	// A draft can be changed: a line added, the header patched.
	r = a.do("POST", "salesInvoices("+id+")/salesInvoiceLines", itemLine("ITEM-0002", "1"))
	require.Equal(t, 201, r.status, string(r.raw))
	draft := a.do("GET", "salesInvoices("+id+")", nil)
	assert.True(t, num(t, draft.body["totalAmountExcludingTax"]).Equal(d("50")))
	r = a.do("PATCH", "salesInvoices("+id+")", map[string]any{"customerPurchaseOrderReference": "PO-7"}, "If-Match", draft.str("@odata.etag"))
	require.Equal(t, 200, r.status, string(r.raw))

	// Posting keeps the id, gives a posted number and takes the stock.
	r = a.do("POST", "salesInvoices("+id+")/Microsoft.NAV.post", nil)
	require.Equal(t, 204, r.status, string(r.raw))
	got := a.do("GET", "salesInvoices("+id+")", nil)
	require.Equal(t, 200, got.status)
	assert.Equal(t, "PS-INV103001", got.str("number"))
	assert.Equal(t, "Open", got.str("status"))
	assert.Equal(t, "PO-7", got.str("customerPurchaseOrderReference"))
	assert.True(t, srv.Inventory("ITEM-0001", "", "").Equal(d("7")), "posting the invoice took 3 out")
	ledger := a.do("GET", "itemLedgerEntries?$filter=documentType eq 'Sales Invoice'", nil).values()
	assert.Len(t, ledger, 2, "one entry per line of an inventory item")

	// A posted invoice and its lines cannot be changed.
	r = a.do("PATCH", "salesInvoices("+id+")", map[string]any{"customerPurchaseOrderReference": "x"}, "If-Match", "*")
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "The invoice has been posted and can no longer be modified.")
	assert.Equal(t, 400, a.do("DELETE", "salesInvoices("+id+")", nil, "If-Match", "*").status)
	assert.Equal(t, 400, a.do("POST", "salesInvoices("+id+")/salesInvoiceLines", itemLine("ITEM-0002", "1")).status)
	line := a.do("GET", "salesInvoices("+id+")/salesInvoiceLines", nil).values()[0]
	assert.Equal(t, 400, a.do("PATCH", "salesInvoiceLines("+line["id"].(string)+")", map[string]any{"quantity": 1}, "If-Match", "*").status)
	assert.Equal(t, 400, a.do("DELETE", "salesInvoiceLines("+line["id"].(string)+")", nil, "If-Match", "*").status)
	r = a.do("POST", "salesInvoices("+id+")/Microsoft.NAV.post", nil)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "draft invoice only")

	// A draft without lines cannot be posted; one can be deleted.
	empty := a.do("POST", "salesInvoices", map[string]any{"customerId": cust.ID})
	require.Equal(t, 201, empty.status, string(empty.raw))
	assert.Equal(t, 400, a.do("POST", "salesInvoices("+empty.str("id")+")/Microsoft.NAV.post", nil).status)
	assert.Equal(t, 400, a.do("POST", "salesInvoices("+empty.str("id")+")/Microsoft.NAV.cancel", nil).status, "posted invoices only")
	assert.Equal(t, 204, a.do("DELETE", "salesInvoices("+empty.str("id")+")", nil, "If-Match", "*").status)
	assert.Equal(t, 404, a.do("POST", "salesInvoices("+id+")/Microsoft.NAV.explode", nil).status)
	assert.Len(t, srv.Invoices(), 1)
}

func TestCancelAndCorrectiveCreditMemo(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "ITEM-0001", Quantity: d("10")}))
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	invoice := func(ext string) bctest.Invoice {
		o, err := srv.PlaceSalesOrder(orderBody(cust.Number, ext, itemLine("ITEM-0001", "2")))
		require.NoError(t, err)
		_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number})
		require.NoError(t, err)
		inv, err := srv.InvoiceOrder(o.Number)
		require.NoError(t, err)
		return inv
	}

	inv := invoice("C-1")
	assert.True(t, srv.Inventory("ITEM-0001", "", "").Equal(d("8")))
	r := a.do("POST", "salesInvoices("+inv.ID+")/Microsoft.NAV.cancel", nil)
	require.Equal(t, 204, r.status, string(r.raw))
	got, _ := srv.Invoice(inv.Number)
	assert.Equal(t, "Canceled", got.Status)
	assert.True(t, got.RemainingAmount.IsZero())
	memos := srv.CreditMemos()
	require.Len(t, memos, 1)
	assert.Equal(t, "Corrective", memos[0].Status)
	assert.Equal(t, inv.Number, memos[0].InvoiceNumber)
	assert.True(t, memos[0].TotalAmountIncludingTax.Equal(inv.TotalAmountIncludingTax))
	assert.True(t, srv.Inventory("ITEM-0001", "", "").Equal(d("10")), "the items are back")
	r = a.do("POST", "salesInvoices("+inv.ID+")/Microsoft.NAV.cancel", nil)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "already been canceled")
	_, err := srv.PayInvoice(inv.Number, d("1"))
	assert.Error(t, err, "a canceled invoice is not paid")

	// A partly paid invoice is neither canceled nor corrected.
	part := invoice("C-2")
	_, err = srv.PayInvoice(part.Number, d("5"))
	require.NoError(t, err)
	assert.Equal(t, 400, a.do("POST", "salesInvoices("+part.ID+")/Microsoft.NAV.cancel", nil).status)
	r = a.do("POST", "salesInvoices("+part.ID+")/Microsoft.NAV.makeCorrectiveCreditMemo", nil)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "partially paid")

	// An unpaid one gets a draft credit memo applied to it.
	open := invoice("C-3")
	r = a.do("POST", "salesInvoices("+open.ID+")/Microsoft.NAV.makeCorrectiveCreditMemo", nil)
	require.Equal(t, 204, r.status, string(r.raw))
	memos = srv.CreditMemos()
	require.Len(t, memos, 2)
	assert.Equal(t, "Draft", memos[1].Status)
	assert.Equal(t, open.Number, memos[1].InvoiceNumber)
	require.Len(t, memos[1].Lines, 1)
	got, _ = srv.Invoice(open.Number)
	assert.Equal(t, "Open", got.Status, "the invoice stays open until the memo is posted")
}

func TestCreditMemoAppliesToAPostedInvoice(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	ord := a.do("POST", "salesOrders", orderBody(cust.Number, "R-1", itemLine("ITEM-0001", "1")))
	require.Equal(t, 201, ord.status)
	require.Equal(t, 204, a.do("POST", "salesOrders("+ord.str("id")+")/Microsoft.NAV.shipAndInvoice", nil).status)
	inv := srv.Invoices()[0]

	memo := func(extra map[string]any) resp {
		b := map[string]any{"customerId": cust.ID, "salesCreditMemoLines": []any{itemLine("ITEM-0001", "1")}}
		for k, v := range extra {
			b[k] = v
		}
		return a.do("POST", "salesCreditMemos", b)
	}
	r := memo(map[string]any{"invoiceId": inv.ID})
	require.Equal(t, 201, r.status, string(r.raw))
	assert.Equal(t, inv.Number, r.str("invoiceNumber"), "the number is looked up")
	r = memo(map[string]any{"invoiceNumber": inv.Number})
	require.Equal(t, 201, r.status, string(r.raw))
	assert.Equal(t, inv.ID, r.str("invoiceId"))
	r = memo(map[string]any{"invoiceId": "11111111-2222-3333-4444-555555555555"})
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "Internal_InvalidTableRelation", r.errCode())

	draft := a.do("POST", "salesInvoices", map[string]any{"customerId": cust.ID})
	require.Equal(t, 201, draft.status)
	assert.Equal(t, 400, memo(map[string]any{"invoiceId": draft.str("id")}).status, "a draft cannot be applied to")
}

func TestInvoicesPageAndFilterByChange(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	for i := range 5 {
		o, err := srv.PlaceSalesOrder(orderBody(cust.Number, "P-"+itoa(i), itemLine("ITEM-0001", "1")))
		require.NoError(t, err)
		_, err = srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number})
		require.NoError(t, err)
		_, err = srv.InvoiceOrder(o.Number)
		require.NoError(t, err)
	}
	a := newAPI(t, srv)
	var numbers []string
	next := "salesInvoices?$expand=salesInvoiceLines($select=quantity)"
	pages := 0
	for next != "" {
		r := a.do("GET", next, nil, "Prefer", "odata.maxpagesize=2")
		require.Equal(t, 200, r.status, string(r.raw))
		pages++
		for _, v := range r.values() {
			numbers = append(numbers, v["number"].(string))
			assert.Len(t, v["salesInvoiceLines"], 1)
		}
		next = r.str("@odata.nextLink")
	}
	assert.Equal(t, 3, pages)
	assert.Equal(t, []string{"PS-INV103001", "PS-INV103002", "PS-INV103003", "PS-INV103004", "PS-INV103005"}, numbers)

	third, _ := srv.Invoice("PS-INV103003")
	require.NoError(t, srv.SetInvoicePaid("PS-INV103002"))
	since := third.LastModified.UTC().Format("2006-01-02T15:04:05.000Z")
	r := a.do("GET", "salesInvoices?$filter=lastModifiedDateTime gt "+since+"&$orderby=lastModifiedDateTime", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	var changed []string
	for _, v := range r.values() {
		changed = append(changed, v["number"].(string))
	}
	assert.Equal(t, []string{"PS-INV103004", "PS-INV103005", "PS-INV103002"}, changed, "the payment changed 103002 last")

	lines := a.do("GET", "salesInvoiceLines?$filter=documentId eq "+third.ID, nil)
	require.Equal(t, 200, lines.status, string(lines.raw))
	assert.Len(t, lines.values(), 1)
	meta := a.do("GET", srv.APIURL()+"/$metadata", nil)
	assert.Contains(t, string(meta.raw), `<EntitySet Name="salesInvoices" EntityType="Microsoft.NAV.salesInvoice"/>`)
	assert.Contains(t, string(meta.raw), `<Action Name="makeCorrectiveCreditMemo" IsBound="true">`)
}

func TestShipAndInvoiceInASnapshotBatchRollsBack(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	o, err := srv.PlaceSalesOrder(orderBody(cust.Number, "B-1", itemLine("ITEM-0001", "1")))
	require.NoError(t, err)
	a := newAPI(t, srv)
	status, out := a.batch(map[string]any{"requests": []any{
		map[string]any{"id": "1", "method": "POST", "url": "companies(" + srv.CompanyID() + ")/salesOrders(" + o.ID + ")/Microsoft.NAV.shipAndInvoice"},
		map[string]any{"id": "2", "method": "POST", "url": "companies(" + srv.CompanyID() + ")/items", "body": map[string]any{"type": "Bogus"},
			"headers": map[string]any{"Content-Type": "application/json"}},
	}}, "Isolation", "snapshot")
	require.Equal(t, 200, status)
	assert.Equal(t, []int{204, 400}, statuses(out))
	assert.Empty(t, srv.Invoices(), "the invoice was rolled back")
	assert.Empty(t, srv.Shipments())
	_, ok := srv.SalesOrder(o.Number)
	assert.True(t, ok, "the order is back")

	inv, err := srv.PostShipment(bctest.ShipmentPosting{OrderNumber: o.Number})
	require.NoError(t, err)
	assert.Equal(t, "S-SHPT102001", inv.Number, "the number series was rolled back too")
	posted, err := srv.InvoiceOrder(o.Number)
	require.NoError(t, err)
	assert.Equal(t, "PS-INV103001", posted.Number)
}

func TestInvoiceBlockedCustomerAndDueDate(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now))
	defer srv.Close()
	seedItems(t, srv, 1)
	terms, err := srv.PutCode("paymentTerms", "14D", "14 days")
	require.NoError(t, err)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	body := orderBody(cust.Number, "D-1", itemLine("ITEM-0001", "1"))
	body["paymentTermsId"] = terms
	ord := a.do("POST", "salesOrders", body)
	require.Equal(t, 201, ord.status, string(ord.raw))
	et := a.do("GET", "paymentTerms("+terms+")", nil).str("@odata.etag")
	require.Equal(t, 200, a.do("PATCH", "paymentTerms("+terms+")", map[string]any{"dueDateCalculation": "14D"}, "If-Match", et).status)

	_, err = srv.PutCustomer(bctest.Customer{Number: cust.Number, DisplayName: cust.DisplayName, Blocked: "Invoice"})
	require.NoError(t, err)
	r := a.do("POST", "salesOrders("+ord.str("id")+")/Microsoft.NAV.shipAndInvoice", nil)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "blocked")
	assert.Empty(t, srv.Shipments(), "nothing posted when invoicing is refused")

	_, err = srv.PutCustomer(bctest.Customer{Number: cust.Number, DisplayName: cust.DisplayName})
	require.NoError(t, err)
	require.Equal(t, 204, a.do("POST", "salesOrders("+ord.str("id")+")/Microsoft.NAV.shipAndInvoice", nil).status)
	inv := srv.Invoices()[0]
	assert.Equal(t, "2025-03-10", inv.PostingDate)
	assert.Equal(t, "2025-03-10", inv.InvoiceDate)
	assert.Equal(t, "2025-03-24", inv.DueDate, "14 days by the payment terms")
}
