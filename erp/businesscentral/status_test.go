package businesscentral

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

func TestReadStatusUpdatesFromOrdersAndInvoices(t *testing.T) {
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/salesOrders"):
			assert.Equal(t, "salesOrderLines", r.URL.Query().Get("$expand"))
			fmt.Fprint(w, `{"value":[
				{"id":"o1","number":"S-1","externalDocumentNumber":"#1001","status":"Open","fullyShipped":false,"lastModifiedDateTime":"2026-03-01T10:00:00Z",
				 "salesOrderLines":[{"quantity":2,"shippedQuantity":1}]},
				{"id":"o2","number":"S-2","externalDocumentNumber":"","status":"Draft","lastModifiedDateTime":"2026-03-01T10:00:01Z","salesOrderLines":[]}]}`)
		case strings.HasSuffix(r.URL.Path, "/salesInvoices"):
			fmt.Fprint(w, `{"value":[
				{"id":"i1","number":"INV-1","externalDocumentNumber":"#1000","orderNumber":"S-0","status":"Paid","remainingAmount":0,"totalAmountIncludingTax":119,"lastModifiedDateTime":"2026-03-01T09:00:00Z"},
				{"id":"i2","number":"INV-2","externalDocumentNumber":"#0999","status":"Open","remainingAmount":19,"totalAmountIncludingTax":119,"lastModifiedDateTime":"2026-03-01T09:00:00Z"},
				{"id":"i3","number":"INV-3","externalDocumentNumber":"","orderNumber":"S-7","status":"Open","remainingAmount":119,"totalAmountIncludingTax":119,"lastModifiedDateTime":"2026-03-01T09:00:00Z"},
				{"id":"i4","number":"INV-4","externalDocumentNumber":"#0998","status":"Draft","lastModifiedDateTime":"2026-03-01T09:00:00Z"},
				{"id":"i5","number":"INV-5","externalDocumentNumber":"#0997","status":"Corrective","lastModifiedDateTime":"2026-03-01T09:00:00Z"}]}`)
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	})
	type st struct {
		Order   string
		Status  kontor.OrderStatus
		Payment kontor.PaymentStatus
	}
	var got []st
	var keys []kontor.Meta
	for su, err := range c.ReadStatusUpdates(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		require.NoError(t, su.Validate())
		got = append(got, st{su.OrderNumber, su.OrderStatus, su.PaymentStatus})
		keys = append(keys, su.OrderKeys)
	}
	assert.Equal(t, []kontor.Meta{{ERPKey: "o1"}, {ERPKey: "o2"}, {}, {}, {}, {}}, keys,
		"an order's update names the sales order's id; an invoice's names no order key")
	assert.Equal(t, []st{
		{"#1001", kontor.OrderPartiallyShipped, ""},
		{"S-2", kontor.OrderProcessing, ""}, // an order the shop did not send: Business Central's number
		{"#1000", "", kontor.PaymentPaid},
		{"#0999", "", kontor.PaymentPartiallyPaid},
		{"S-7", "", kontor.PaymentPending},
		{"#0997", "", kontor.PaymentRefunded},
	}, got, "the draft invoice says nothing yet")
}

func TestReadStatusWithoutInvoicesEntitySet(t *testing.T) {
	invoices := 0
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/salesInvoices") {
			invoices++
			w.WriteHeader(404)
			fmt.Fprint(w, `{"error":{"code":"BadRequest_NotFound","message":"Resource not found for the segment 'salesInvoices'."}}`)
			return
		}
		fmt.Fprint(w, `{"value":[{"id":"o1","number":"S-1","externalDocumentNumber":"#1","status":"Open","fullyShipped":true,"lastModifiedDateTime":"2026-03-01T10:00:00Z"}]}`)
	})
	for range 2 {
		n := 0
		for su, err := range c.ReadStatusUpdates(t.Context(), kontor.Cursor{}) {
			require.NoError(t, err)
			assert.Equal(t, kontor.OrderShipped, su.OrderStatus)
			n++
		}
		assert.Equal(t, 1, n)
	}
	assert.Equal(t, 1, invoices, "asked once, then known to be missing")
}
