package businesscentral

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/fixture"
)

func testConnector(t *testing.T, opts ...Option) *Connector {
	t.Helper()
	c, err := New(Config{BaseURL: "https://bc.example.com/BC", CompanyID: "c0", Currency: "EUR",
		ClientID: "id", ClientSecret: "secret", TokenURL: "https://login.example.com/token"}, opts...)
	require.NoError(t, err)
	return c
}

func TestFixtureItemDecodes(t *testing.T) {
	raw := fixture.Read(t, "erp/business-central/item_get_response.json")
	it, err := decodeItem(kontor.EntityProduct, raw)
	require.NoError(t, err)
	c := testConnector(t)
	p := c.productOf(it)
	assert.Equal(t, "1896-S", p.SKU)
	assert.Equal(t, "ATHENS Desk", p.Title)
	assert.Equal(t, "fca5738a-44e3-ea11-bb43-000d3a2feca1", p.ERPKey)
	assert.Equal(t, "FURNITURE", p.TaxClass)
	assert.Equal(t, "PCS", p.Unit)
	assert.Equal(t, kontor.ProductActive, p.Status)
	assert.Equal(t, []string{"TABLE"}, p.Categories)
	assert.Empty(t, p.GTIN)
	assert.True(t, p.UpdatedAt.Equal(time.Date(2020, 8, 21, 0, 24, 19, 347e6, time.UTC)), p.UpdatedAt)
	require.NoError(t, p.Validate())
	// Amounts stay exact: 1000.8, not a float's 1000.79999….
	assert.True(t, it.UnitPrice.Equal(decimal.RequireFromString("1000.8")), it.UnitPrice.String())
	assert.Equal(t, "1000.8", p.Extra["unit_price"])
	assert.True(t, it.Inventory.Equal(decimal.NewFromInt(4)))

	it.Blocked = true
	assert.Equal(t, kontor.ProductDiscontinued, c.productOf(it).Status)
}

func TestFixtureSalesOrderDecodes(t *testing.T) {
	raw := fixture.Read(t, "erp/business-central/salesOrder_create_response.json")
	var o bcOrder
	require.NoError(t, json.Unmarshal(raw, &o))
	assert.Equal(t, "b6f4017a-b749-ee11-ad0b-a1422c0f7f1f", o.ID)
	assert.Equal(t, "101005", o.Number)
	assert.Equal(t, "Draft", o.Status)
	assert.Equal(t, kontor.OrderProcessing, orderStatusOf(o))
	var ref docRef
	require.NoError(t, json.Unmarshal(raw, &ref))
	assert.Equal(t, "c04c550b-593f-ee11-be74-6045bdc8c285", ref.CustomerID)
	assert.Equal(t, "10000", ref.CustomerNumber)

	// What a create reads of the response: an id, so it is Created.
	var res kontor.Result
	c := testConnector(t)
	c.orderCreated(t.Context(), &orderPlan{o: kontor.Order{Number: "#1", Currency: "GBP"}},
		opResult{status: http.StatusCreated, body: raw}, &res)
	assert.Equal(t, kontor.Created, res.Outcome)
	assert.Equal(t, "b6f4017a-b749-ee11-ad0b-a1422c0f7f1f", res.Target.ERPKey)

	// The documented requestedDeliveryDate "0001-01-01" is Business Central's empty date.
	var dates struct {
		Requested edmDate `json:"requestedDeliveryDate"`
		Order     edmDate `json:"orderDate"`
	}
	require.NoError(t, json.Unmarshal(raw, &dates))
	assert.True(t, dates.Requested.IsZero())
	assert.Equal(t, "2023-09-01", dates.Order.Format("2006-01-02"))
}

func TestFixtureWebhookNotificationDecodes(t *testing.T) {
	raw := fixture.Read(t, "erp/business-central/webhook_notification.json")
	ns, err := ParseNotifications(raw)
	require.NoError(t, err)
	require.Len(t, ns, 4)
	assert.Equal(t, "someClientState", ns[0].ClientState)

	var events []kontor.Event
	for _, n := range ns {
		events = append(events, n.Events()...)
	}
	type ev struct {
		Topic  string
		Entity kontor.Entity
	}
	var got []ev
	for _, e := range events {
		got = append(got, ev{e.Topic, e.Entity})
		assert.NotEmpty(t, e.ID)
		// The resource names the record by its GUID, not by the entity's
		// key (SKU, order number): the events are bare hints.
		assert.Empty(t, e.Key, "a notification names no entity key")
		assert.Empty(t, e.Payload, "notifications are hints: the engine reads the changes")
		assert.False(t, e.At.IsZero())
	}
	assert.Equal(t, []ev{
		{"items/updated", kontor.EntityProduct},
		{"items/updated", kontor.EntityPrice},
		{"customers/created", kontor.EntityCustomer},
		{"customers/deleted", kontor.EntityCustomer},
		// A collection notification is a hint too: the engine's delta read covers it.
		{"salesInvoices/collection", kontor.EntityOrder},
	}, got)
	// The same delivery again gives the same ids, so the engine drops the repeat.
	again := ns[1].Events()
	assert.Equal(t, events[2].ID, again[0].ID)
	assert.NotEqual(t, events[2].ID, events[3].ID)
}

func TestFixtureBatchRequestShape(t *testing.T) {
	want := fixture.Read(t, "erp/business-central/batch_request_isolation_snapshot.json")
	const item = "items(7ce0af2e-0963-460f-9b1f-0014aea3e117)"
	company := func(op batchOp) batchOp {
		op.Headers["Company"] = "CRONUS International Ltd."
		return op
	}
	req := batchRequest{Requests: []batchOp{
		company(patchOp(item, "", map[string]any{"displayName": "Touring Bicycle v2"})),
		company(patchOp(item+"/picture(7ce0af2e-0963-460f-9b1f-0014aea3e117)/contentValue", "", map[string]any{"value": "Picture Blob"})),
		company(patchOp(item, "", map[string]any{"type": "Invalid Type"})),
	}}
	got, err := json.Marshal(req)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}
