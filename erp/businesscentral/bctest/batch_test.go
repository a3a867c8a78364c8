package bctest_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/internal/fixture"
)

type batchOut struct {
	Responses []struct {
		ID      *string           `json:"id"`
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	} `json:"responses"`
}

func (a *api) batch(body any, headers ...string) (int, batchOut) {
	a.t.Helper()
	r := a.do("POST", a.srv.APIURL()+"/$batch", body, headers...)
	var out batchOut
	if r.status == 200 {
		require.NoError(a.t, json.Unmarshal(r.raw, &out), string(r.raw))
	}
	return r.status, out
}

func statuses(b batchOut) []int {
	var out []int
	for _, r := range b.Responses {
		out = append(out, r.Status)
	}
	return out
}

func TestBatchFixtureWithSnapshotRollsBack(t *testing.T) {
	t.Parallel()
	raw := fixture.Read(t, "erp/business-central/batch_request_isolation_snapshot.json")
	srv := bctest.New()
	defer srv.Close()
	_, err := srv.PutItem(bctest.Item{ID: "7ce0af2e-0963-460f-9b1f-0014aea3e117", Number: "1000", DisplayName: "Touring Bicycle"})
	require.NoError(t, err)
	a := newAPI(t, srv)

	status, out := a.batch(raw, "Isolation", "snapshot")
	require.Equal(t, 200, status)
	assert.Equal(t, []int{200, 204, 400}, statuses(out), "each operation's own status, as in the documentation")
	assert.Nil(t, out.Responses[0].ID)
	assert.Contains(t, string(out.Responses[2].Body), `'Invalid Type' is not an option. The existing options are: Inventory,Service,Non-Inventory`)
	it, _ := srv.Item("1000")
	assert.Equal(t, "Touring Bicycle", it.DisplayName, "the snapshot batch was rolled back")
	assert.Nil(t, it.Picture)

	// Without the header, the operations before the failure stay.
	status, out = a.batch(raw)
	require.Equal(t, 200, status)
	assert.Equal(t, []int{200, 204, 400}, statuses(out))
	it, _ = srv.Item("1000")
	assert.Equal(t, "Touring Bicycle v2", it.DisplayName)
	assert.Equal(t, 2, srv.Batches())
	assert.Equal(t, 6, srv.BatchOperations())
	assert.Equal(t, 4, srv.BatchOperationsFor("PATCH", "items"))
	assert.Equal(t, 2, srv.Requests(), "a batch is one request")
}

func orderOps(customer string, n int, prefix string) []map[string]any {
	var ops []map[string]any
	for i := range n {
		ops = append(ops, map[string]any{
			"id": fmt.Sprint(i), "method": "POST", "url": "companies(" + "%s" + ")/salesOrders",
			"headers": map[string]string{"Content-Type": "application/json"},
			"body":    orderBody(customer, fmt.Sprintf("%s-%d", prefix, i), itemLine("ITEM-0001", "1")),
		})
	}
	return ops
}

func withCompany(ops []map[string]any, id string) []map[string]any {
	for _, o := range ops {
		o["url"] = fmt.Sprintf(o["url"].(string), id)
	}
	return ops
}

func TestBatchStopsAtTheFirstFailureUnlessContinueOnError(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)

	ops := withCompany(orderOps(cust.Number, 4, "A"), srv.CompanyID())
	ops[1]["body"] = orderBody(cust.Number, "A-1", itemLine("NO-SUCH-ITEM", "1")) // a malformed order
	_, out := a.batch(map[string]any{"requests": ops})
	assert.Equal(t, []int{201, 400}, statuses(out), "stops after the failure")
	assert.Len(t, srv.SalesOrders(), 1)
	assert.Equal(t, "1", *out.Responses[1].ID)

	ops = withCompany(orderOps(cust.Number, 4, "B"), srv.CompanyID())
	ops[1]["body"] = orderBody(cust.Number, "B-1", itemLine("NO-SUCH-ITEM", "1"))
	r := a.do("POST", srv.APIURL()+"/$batch", map[string]any{"requests": ops}, "Prefer", "odata.continue-on-error")
	require.Equal(t, 200, r.status)
	assert.Equal(t, "odata.continue-on-error", r.header.Get("Preference-Applied"))
	var cont batchOut
	require.NoError(t, json.Unmarshal(r.raw, &cont))
	assert.Equal(t, []int{201, 400, 201, 201}, statuses(cont), "the rest of the batch goes on")
	assert.Len(t, srv.SalesOrders(), 4)

	// dependsOn a failed operation: 424.
	ops = withCompany(orderOps(cust.Number, 2, "C"), srv.CompanyID())
	ops[0]["body"] = map[string]any{"externalDocumentNumber": "no customer"}
	ops[1]["dependsOn"] = []string{"0"}
	r = a.do("POST", srv.APIURL()+"/$batch", map[string]any{"requests": ops}, "Prefer", "odata.continue-on-error")
	require.NoError(t, json.Unmarshal(r.raw, &cont))
	assert.Equal(t, []int{400, 424}, statuses(cont))
}

func TestBatchSnapshotWithAFailingOperation(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 1)
	cust := seedCustomer(t, srv)
	a := newAPI(t, srv)
	hook := newHook(t)
	subscribe(t, a, hook.URL, "/api/v2.0/companies("+srv.CompanyID()+")/salesOrders", "s")

	srv.FailBatchOperation(2, bctest.Fault{Status: 500})
	ops := withCompany(orderOps(cust.Number, 3, "S"), srv.CompanyID())
	_, out := a.batch(map[string]any{"requests": ops}, "Isolation", "snapshot")
	assert.Equal(t, []int{201, 201, 500}, statuses(out))
	assert.Empty(t, srv.SalesOrders(), "all or nothing")
	srv.FlushNotifications(t.Context())
	assert.Empty(t, hook.entries(), "a rolled-back batch notifies nobody")

	_, out = a.batch(map[string]any{"requests": withCompany(orderOps(cust.Number, 3, "S"), srv.CompanyID())}, "Isolation", "snapshot")
	assert.Equal(t, []int{201, 201, 201}, statuses(out), "the fault applied to one batch only")
	assert.Len(t, srv.SalesOrders(), 3)
	srv.FlushNotifications(t.Context())
	assert.Len(t, hook.entries(), 3)
}

func TestBatchLimitsAndRelativeURLs(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	seedItems(t, srv, 3)
	a := newAPI(t, srv)
	var ops []map[string]any
	for i := range 101 {
		ops = append(ops, map[string]any{"id": fmt.Sprint(i), "method": "GET", "url": "companies(" + srv.CompanyID() + ")/items"})
	}
	r := a.do("POST", srv.APIURL()+"/$batch", map[string]any{"requests": ops})
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "A maximum number of '100' query operations")

	status, out := a.batch(map[string]any{"requests": []map[string]any{
		{"method": "GET", "url": srv.CompanyURL() + "/items?$top=1"},
		{"method": "GET", "url": "items?$filter=number eq 'ITEM-0002'", "headers": map[string]string{"Company": srv.CompanyName()}},
		{"method": "GET", "url": "companies(" + srv.CompanyID() + ")/items", "headers": map[string]string{"Prefer": "odata.maxpagesize=2"}, "id": "paged"},
	}})
	require.Equal(t, 200, status)
	assert.Equal(t, []int{200, 200, 200}, statuses(out))
	var page struct {
		Value    []map[string]any `json:"value"`
		NextLink string           `json:"@odata.nextLink"`
	}
	require.NoError(t, json.Unmarshal(out.Responses[1].Body, &page))
	require.Len(t, page.Value, 1)
	assert.Equal(t, "ITEM-0002", page.Value[0]["number"])
	require.NoError(t, json.Unmarshal(out.Responses[2].Body, &page))
	assert.Len(t, page.Value, 2)
	assert.NotEmpty(t, page.NextLink)
	assert.Equal(t, 400, a.do("POST", srv.APIURL()+"/$batch", "{not json").status)
}
