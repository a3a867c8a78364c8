package woocommerce

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

func TestStatusTablesBothWays(t *testing.T) {
	in := map[string]kontor.OrderStatus{
		"pending": kontor.OrderPending, "processing": kontor.OrderProcessing, "on-hold": kontor.OrderOnHold,
		"completed": kontor.OrderCompleted, "cancelled": kontor.OrderCancelled, "refunded": kontor.OrderCancelled,
		"failed": kontor.OrderPending, "trash": kontor.OrderCancelled, "wc-processing": kontor.OrderProcessing,
		"shipped": kontor.OrderShipped, "my-custom": "my-custom",
	}
	for woo, want := range in {
		assert.Equal(t, want, OrderStatusIn(woo), woo)
	}
	out := map[kontor.OrderStatus]string{
		kontor.OrderPending: "pending", kontor.OrderProcessing: "processing", kontor.OrderOnHold: "on-hold",
		kontor.OrderPartiallyShipped: "processing", kontor.OrderShipped: "completed", kontor.OrderDelivered: "completed",
		kontor.OrderCompleted: "completed", kontor.OrderCancelled: "cancelled",
	}
	table := StatusTable()
	for k, want := range out {
		got, err := table.Lookup(string(k))
		require.NoError(t, err)
		assert.Equal(t, want, got, k)
	}
	// Payment status from status and date paid.
	paid := Date{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		status string
		paid   bool
		refund bool
		want   kontor.PaymentStatus
	}{
		{"processing", true, false, kontor.PaymentPaid}, {"processing", false, false, kontor.PaymentPending},
		{"on-hold", false, false, kontor.PaymentPending}, {"refunded", true, true, kontor.PaymentRefunded},
		{"completed", true, true, kontor.PaymentPartiallyRefunded}, {"failed", false, false, kontor.PaymentFailed},
		{"cancelled", false, false, kontor.PaymentVoided}, {"cancelled", true, false, kontor.PaymentPaid},
	} {
		o := &Order{Status: tc.status}
		if tc.paid {
			o.DatePaidGMT = paid
		}
		if tc.refund {
			o.Refunds = []RefundRef{{ID: 1}}
		}
		assert.Equal(t, tc.want, paymentStatusIn(o), "%+v", tc)
	}
}

// Status updates are written through /orders/batch: mapped, combined per
// order, unchanged where the order has the status, failed alone where the
// order is unknown or the update names a return.
func TestWriteStatusUpdates(t *testing.T) {
	var mu sync.Mutex
	var batches []map[string][]map[string]any
	orders := []map[string]any{
		{"id": 101, "number": "101", "status": "processing", "date_paid_gmt": "2026-03-01T10:00:00", "date_modified_gmt": "2026-03-01T10:00:00"},
		{"id": 102, "number": "102", "status": "completed", "date_paid_gmt": "2026-03-01T10:00:00", "date_modified_gmt": "2026-03-01T10:00:00"},
		{"id": 103, "number": "103", "status": "pending", "date_paid_gmt": nil, "date_modified_gmt": "2026-03-01T10:00:00"},
	}
	c, _ := testMux(t, map[string]http.HandlerFunc{
		"GET /wp-json/wc/v3/orders": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			assert.Equal(t, "any", q.Get("status"))
			if q.Get("include") != "" {
				assert.Equal(t, "101,102,103,999", q.Get("include"))
				writeJSON(w, orders)
				return
			}
			assert.Equal(t, "999", q.Get("search"))
			writeJSON(w, []any{})
		},
		"POST /wp-json/wc/v3/orders/batch": func(w http.ResponseWriter, r *http.Request) {
			var b map[string][]map[string]any
			body, _ := io.ReadAll(r.Body)
			require.NoError(t, json.Unmarshal(body, &b))
			mu.Lock()
			batches = append(batches, b)
			mu.Unlock()
			var out []map[string]any
			for _, u := range b["update"] {
				out = append(out, map[string]any{"id": u["id"], "date_modified_gmt": "2026-03-02T08:00:00"})
			}
			writeJSON(w, map[string]any{"update": out})
		},
	})
	at := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	updates := []kontor.StatusUpdate{
		{OrderNumber: "#101", OrderStatus: kontor.OrderShipped, Source: kontor.SideERP, At: at},
		{OrderNumber: "102", OrderStatus: kontor.OrderDelivered, Source: kontor.SideERP, At: at},
		{OrderNumber: "103", PaymentStatus: kontor.PaymentPaid, Source: kontor.SideERP, At: at},
		{OrderNumber: "103", OrderStatus: kontor.OrderOnHold, Source: kontor.SideERP, At: at},
		{OrderNumber: "999", OrderStatus: kontor.OrderCancelled, Source: kontor.SideERP, At: at},
		{OrderNumber: "101", ReturnNumber: "R1", ReturnStatus: kontor.ReturnApproved, Source: kontor.SideERP, At: at},
		{OrderNumber: "101", Source: kontor.SideERP, At: at},
	}
	rs, err := c.WriteStatusUpdates(t.Context(), updates)
	require.NoError(t, err)
	outcomes := make([]kontor.Outcome, len(rs))
	for i, r := range rs {
		outcomes[i] = r.Outcome
		assert.Equal(t, updates[i].Key(), r.Key)
	}
	assert.Equal(t, []kontor.Outcome{kontor.Updated, kontor.Unchanged, kontor.Updated, kontor.Updated,
		kontor.Failed, kontor.Failed, kontor.Failed}, outcomes)
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[4].Err))
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(rs[5].Err))
	var ve *kontor.ValidationError
	assert.True(t, errors.As(rs[6].Err, &ve), "no status at all is invalid")
	assert.Equal(t, "102", rs[1].Target.ShopKey)

	require.Len(t, batches, 1)
	assert.Equal(t, []map[string]any{
		{"id": float64(101), "status": "completed"},
		{"id": float64(103), "set_paid": true, "status": "on-hold"},
	}, batches[0]["update"], "one update per order, the two of order 103 combined")
}
