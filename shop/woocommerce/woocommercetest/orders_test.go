package woocommercetest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
)

func seedCatalog(t *testing.T, s *woocommercetest.Server) (simple woocommercetest.Product, variation woocommercetest.Variation) {
	t.Helper()
	simple, err := s.SeedProduct(woocommercetest.Product{Name: "Mug", SKU: "MUG", RegularPrice: "7.50", ManageStock: true, StockQuantity: ptr(int64(10))})
	require.NoError(t, err)
	tee, err := s.SeedProduct(woocommercetest.Product{Name: "Tee", SKU: "TEE", Type: "variable"})
	require.NoError(t, err)
	variation, err = s.SeedVariation(tee.ID, woocommercetest.Variation{SKU: "TEE-M", RegularPrice: "20.00", ManageStock: true,
		StockQuantity: ptr(int64(2)), Attributes: []woocommercetest.VariationAttribute{{Name: "Size", Option: "M"}}})
	require.NoError(t, err)
	return simple, variation
}

func TestPlaceOrder(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	mug, tee := seedCatalog(t, s)
	cust, err := s.SeedCustomer(woocommercetest.Customer{Email: "jane@example.com", FirstName: "Jane"})
	require.NoError(t, err)
	o, err := s.PlaceOrder(t.Context(), woocommercetest.Order{
		CustomerID: cust.ID,
		Billing:    woocommercetest.Address{FirstName: "Jane", Email: "jane@example.com", Country: "DE"},
		LineItems: []woocommercetest.LineItem{
			{SKU: "MUG", Quantity: 3},
			{SKU: "TEE-M", Quantity: 1, TotalTax: "3.80", SubtotalTax: "3.80"},
		},
		ShippingLines: []woocommercetest.ShippingLine{{MethodID: "flat_rate", MethodTitle: "Flat rate", Total: "4.90"}},
		TransactionID: "tx-1",
	})
	require.NoError(t, err)
	assert.Equal(t, "processing", o.Status)
	assert.Equal(t, itoa(o.ID), o.Number)
	assert.Equal(t, "22.50", o.LineItems[0].Subtotal)
	assert.Equal(t, mug.ID, o.LineItems[0].ProductID)
	assert.Equal(t, tee.ID, o.LineItems[1].VariationID)
	assert.Equal(t, "Tee &ndash; M", o.LineItems[1].Name)
	assert.Equal(t, "3.80", o.CartTax)
	assert.Equal(t, "51.20", o.Total) // 22.50 + 20.00 + 4.90 + 3.80
	assert.Equal(t, "EUR", o.Currency)
	require.NotNil(t, o.DatePaidGMT)
	assert.Equal(t, "2024-05-06T10:00:00", *o.DatePaidGMT)

	// Paid: managed stock went down.
	p, _ := s.ProductBySKU("MUG")
	assert.Equal(t, ptr(int64(7)), p.StockQuantity)
	v, _ := s.VariationBySKU("TEE-M")
	assert.Equal(t, ptr(int64(1)), v.StockQuantity)

	var got woocommercetest.Order
	c.getJSON("/orders/"+itoa(o.ID), nil, http.StatusOK, &got)
	assert.Equal(t, o.Total, got.Total)
	assert.Equal(t, "tx-1", got.TransactionID)

	_, err = s.PlaceOrder(t.Context(), woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "NOPE"}}})
	assert.ErrorContains(t, err, "woocommerce_rest_invalid_product_id")
}

func TestOrderStatusNotesMetaOverREST(t *testing.T) {
	s, c, clk := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	o, err := s.PlaceOrder(t.Context(), woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "MUG", Quantity: 2}}})
	require.NoError(t, err)
	clk.Add(time.Hour)

	var got woocommercetest.Order
	c.sendJSON(http.MethodPut, "/orders/"+itoa(o.ID), map[string]any{
		"status":    "completed",
		"meta_data": []any{map[string]any{"key": "_tracking_number", "value": "00340434"}, map[string]any{"key": "_tracking_provider", "value": "dhl"}},
	}, http.StatusOK, &got)
	assert.Equal(t, "completed", got.Status)
	require.NotNil(t, got.DateCompletedGMT)
	assert.Equal(t, "2024-05-06T11:00:00", *got.DateCompletedGMT)
	assert.Equal(t, "2024-05-06T11:00:00", got.DateModifiedGMT)
	v, found := s.OrderMeta(o.ID, "_tracking_number")
	require.True(t, found)
	assert.Equal(t, "00340434", v)
	c.sendJSON(http.MethodPut, "/orders/"+itoa(o.ID), map[string]any{"meta_data": []any{map[string]any{"key": "_wc_shipment_tracking_items",
		"value": []any{map[string]any{"tracking_provider": "", "custom_tracking_provider": "DHL", "tracking_number": "00340434", "date_shipped": 1714989600}}}}},
		http.StatusOK, nil)
	assert.Equal(t, []woocommercetest.TrackingItem{{CustomTrackingProvider: "DHL", TrackingNumber: "00340434", DateShipped: "1714989600"}}, s.TrackingItems(o.ID))

	var note woocommercetest.OrderNote
	c.sendJSON(http.MethodPost, "/orders/"+itoa(o.ID)+"/notes", map[string]any{"note": "Shipped with DHL 00340434", "customer_note": true}, http.StatusCreated, &note)
	assert.True(t, note.CustomerNote)
	assert.Equal(t, "system", note.Author)
	var notes []woocommercetest.OrderNote
	c.getJSON("/orders/"+itoa(o.ID)+"/notes", nil, http.StatusOK, &notes)
	require.Len(t, notes, 2)
	assert.Equal(t, "Shipped with DHL 00340434", notes[0].Note, "newest first")
	assert.Equal(t, "Order status changed from Processing to Completed.", notes[1].Note)
	c.getJSON("/orders/"+itoa(o.ID)+"/notes", url.Values{"type": {"customer"}}, http.StatusOK, &notes)
	assert.Len(t, notes, 1)
	resp, body := c.do(http.MethodPost, "/orders/"+itoa(o.ID)+"/notes", nil, map[string]any{"customer_note": true})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "rest_missing_callback_param", decodeErr(t, body).Code)

	resp, body = c.do(http.MethodPut, "/orders/"+itoa(o.ID), nil, map[string]any{"status": "shipped"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, decodeErr(t, body).Data["params"].(map[string]any)["status"], "status is not one of pending, processing")
	resp, body = c.do(http.MethodPut, "/orders/9999", nil, map[string]any{"status": "completed"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_shop_order_invalid_id", decodeErr(t, body).Code)

	// Cancelling puts the stock back.
	_, err = s.SetOrderStatus(t.Context(), o.ID, "cancelled")
	require.NoError(t, err)
	p, _ := s.ProductBySKU("MUG")
	assert.Equal(t, ptr(int64(10)), p.StockQuantity)
}

func TestListOrders(t *testing.T) {
	s, c, clk := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	var ids []int64
	for _, status := range []string{"pending", "processing", "on-hold", "completed"} {
		o, err := s.PlaceOrder(t.Context(), woocommercetest.Order{Status: status, LineItems: []woocommercetest.LineItem{{SKU: "MUG"}}})
		require.NoError(t, err)
		ids = append(ids, o.ID)
		clk.Add(time.Minute)
	}
	var trashed woocommercetest.Order
	c.sendJSON(http.MethodDelete, "/orders/"+itoa(ids[0]), nil, http.StatusOK, &trashed)
	assert.Equal(t, "trash", trashed.Status)
	var list []woocommercetest.Order
	resp := c.getJSON("/orders", nil, http.StatusOK, &list)
	assert.Equal(t, "3", resp.Header.Get("X-WP-Total"), "trash is not in any")
	c.getJSON("/orders", url.Values{"status": {"processing,completed"}}, http.StatusOK, &list)
	assert.Equal(t, []int64{ids[3], ids[1]}, []int64{list[0].ID, list[1].ID})
	c.getJSON("/orders", url.Values{"status": {"trash"}}, http.StatusOK, &list)
	assert.Len(t, list, 1)
	c.getJSON("/orders", url.Values{"modified_after": {"2024-05-06T10:01:30"}, "orderby": {"modified"}, "order": {"asc"}}, http.StatusOK, &list)
	require.Len(t, list, 2, "the trashed order, modified last, is not in any")
	assert.Equal(t, []int64{ids[2], ids[3]}, []int64{list[0].ID, list[1].ID})
	resp, body := c.do(http.MethodGet, "/orders", url.Values{"status": {"sent"}}, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "Invalid parameter(s): status", decodeErr(t, body).Message)
}

func TestOrdersOverRESTAndBatch(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	mug, _ := seedCatalog(t, s)
	var o woocommercetest.Order
	c.sendJSON(http.MethodPost, "/orders", map[string]any{"set_paid": true, "payment_method": "stripe",
		"billing":    map[string]any{"first_name": "Ann", "email": "ann@example.com"},
		"line_items": []any{map[string]any{"product_id": mug.ID, "quantity": 2}}}, http.StatusCreated, &o)
	assert.Equal(t, "processing", o.Status)
	assert.Equal(t, "rest-api", o.CreatedVia)
	assert.Equal(t, "15.00", o.Total)

	var got batchResp
	c.sendJSON(http.MethodPost, "/orders/batch", map[string]any{
		"update": []any{map[string]any{"id": o.ID, "status": "completed"}, map[string]any{"id": 31337, "status": "completed"}},
	}, http.StatusOK, &got)
	require.Len(t, got.Update, 2)
	assert.Nil(t, got.Update[0].Error)
	require.NotNil(t, got.Update[1].Error)
	assert.Equal(t, "woocommerce_rest_shop_order_invalid_id", got.Update[1].Error.Code)
	done, _ := s.Order(o.ID)
	assert.Equal(t, "completed", done.Status)
}

func TestRefunds(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	seedCatalog(t, s)
	o, err := s.PlaceOrder(t.Context(), woocommercetest.Order{LineItems: []woocommercetest.LineItem{{SKU: "MUG", Quantity: 2}}})
	require.NoError(t, err)

	// bacs cannot refund through the gateway: api_refund (default true) fails.
	resp, body := c.do(http.MethodPost, "/orders/"+itoa(o.ID)+"/refunds", nil, map[string]any{"amount": "5.00"})
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "woocommerce_rest_cannot_create_order_refund", decodeErr(t, body).Code)

	var r woocommercetest.Refund
	c.sendJSON(http.MethodPost, "/orders/"+itoa(o.ID)+"/refunds", map[string]any{"amount": "5.00", "reason": "scratch", "api_refund": false}, http.StatusCreated, &r)
	assert.Equal(t, "5.00", r.Amount)
	resp, body = c.do(http.MethodPost, "/orders/"+itoa(o.ID)+"/refunds", nil, map[string]any{"amount": "10.01", "api_refund": false})
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "Invalid refund amount.", decodeErr(t, body).Message)

	// The rest, by line, with restock: the order is refunded.
	_, err = s.RefundOrder(t.Context(), o.ID, woocommercetest.RefundSpec{
		Lines: []woocommercetest.RefundLine{{ItemID: o.LineItems[0].ID, Quantity: 1, Total: "10.00"}}, APIRestock: true})
	require.NoError(t, err)
	got, _ := s.Order(o.ID)
	assert.Equal(t, "refunded", got.Status)
	require.Len(t, got.Refunds, 2)
	assert.Equal(t, "-10.00", got.Refunds[0].Total, "newest first")
	var list []woocommercetest.Refund
	resp = c.getJSON("/orders/"+itoa(o.ID)+"/refunds", nil, http.StatusOK, &list)
	assert.Equal(t, "2", resp.Header.Get("X-WP-Total"))
	p, _ := s.ProductBySKU("MUG")
	assert.Equal(t, ptr(int64(9)), p.StockQuantity, "8 after the sale, one restocked")
}

func TestCustomers(t *testing.T) {
	s, c, _ := newShop(t, oauthSHA256)
	var cu woocommercetest.Customer
	c.sendJSON(http.MethodPost, "/customers", map[string]any{"email": "max@example.com", "first_name": "Max",
		"billing": map[string]any{"company": "ACME GmbH", "email": "billing@example.com", "country": "DE"}}, http.StatusCreated, &cu)
	assert.Equal(t, "max", cu.Username)
	assert.Equal(t, "ACME GmbH", cu.Billing.Company)
	resp, body := c.do(http.MethodPost, "/customers", nil, map[string]any{"email": "MAX@example.com"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, wpErr{Code: "registration-error-email-exists", Message: "An account is already registered with your email address. Please log in.",
		Data: map[string]any{"status": float64(400)}}, decodeErr(t, body))
	resp, body = c.do(http.MethodPost, "/customers", nil, map[string]any{"first_name": "x"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "rest_missing_callback_param", decodeErr(t, body).Code)

	var got batchResp
	c.sendJSON(http.MethodPost, "/customers/batch", map[string]any{
		"create": []any{map[string]any{"email": "a@example.com"}, map[string]any{"email": "not-an-email"}},
		"update": []any{map[string]any{"id": cu.ID, "last_name": "Muster"}},
	}, http.StatusOK, &got)
	require.Len(t, got.Create, 2)
	assert.Nil(t, got.Create[0].Error)
	assert.Equal(t, "registration-error-invalid-email", got.Create[1].Error.Code)
	var list []woocommercetest.Customer
	resp = c.getJSON("/customers", url.Values{"email": {"max@example.com"}}, http.StatusOK, &list)
	require.Len(t, list, 1)
	assert.Equal(t, "Muster", list[0].LastName)
	c.getJSON("/customers", nil, http.StatusOK, &list)
	assert.Equal(t, []string{"a", "max"}, []string{list[0].Username, list[1].Username}, "by name, ascending")
	_, found := s.CustomerByEmail("A@example.com")
	assert.True(t, found)
}
