package minierptest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
)

// answer is a decoded response.
type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (a answer) errorCode() string {
	e, _ := a.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func (a answer) items() []any {
	items, _ := a.body["items"].([]any)
	return items
}

// call sends a request to srv with its API key, unless headers set
// X-Api-Key themselves ("" removes it).
func call(t *testing.T, srv *minierptest.Server, method, path, body string, headers ...string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, r)
	require.NoError(t, err)
	req.Header.Set("X-Api-Key", srv.APIKey())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&a.body))
	return a
}

const order = `{"external_number":"#1001","order_date":"2026-03-01T10:00:00Z","currency":"EUR",
	"customer":{"type":"person","email":"buyer@example.com"},"bill_to":{"country":"DE"},
	"lines":[{"sku":"MUG","quantity":"2","unit_price":"10","vat_rate":"19","net":"20","vat":"3.80","gross":"23.80"}],
	"total_net":"20","total_vat":"3.80","total_gross":"23.80"}`

func TestAPIKey(t *testing.T) {
	srv := minierptest.New(minierptest.WithAPIKey("right"))
	defer srv.Close()
	for _, key := range []string{"", "wrong"} {
		a := call(t, srv, "GET", "/api/products", "", "X-Api-Key", key)
		assert.Equal(t, http.StatusUnauthorized, a.status)
		assert.Equal(t, "unauthorized", a.errorCode())
	}
	assert.Equal(t, http.StatusOK, call(t, srv, "GET", "/api/products", "").status)
	assert.Equal(t, 3, srv.Requests())
}

func TestPaging(t *testing.T) {
	srv := minierptest.New()
	defer srv.Close()
	var times []time.Time
	for i := range 5 {
		times = append(times, srv.PutArticle(minierptest.Article{SKU: fmt.Sprintf("A%d", i), Name: "A", Status: "active"}).UpdatedAt)
	}
	var skus []string
	cursor := ""
	for pages := 1; ; pages++ {
		a := call(t, srv, "GET", "/api/products?limit=2&cursor="+cursor, "")
		require.Equal(t, http.StatusOK, a.status)
		for _, it := range a.items() {
			skus = append(skus, it.(map[string]any)["sku"].(string))
		}
		cursor = a.body["next_cursor"].(string)
		if cursor == "" {
			assert.Equal(t, 3, pages, "5 items in pages of 2, no empty last page")
			break
		}
	}
	assert.Equal(t, []string{"A0", "A1", "A2", "A3", "A4"}, skus)

	a := call(t, srv, "GET", "/api/products?changed_since="+times[3].Format(time.RFC3339Nano), "")
	assert.Len(t, a.items(), 2, "changed at or after the time")

	// A change moves an article to the end.
	srv.PutArticle(minierptest.Article{SKU: "A0", Name: "A, renamed", Status: "active"})
	a = call(t, srv, "GET", "/api/products?changed_since="+times[4].Format(time.RFC3339Nano), "")
	require.Len(t, a.items(), 2)
	assert.Equal(t, "A0", a.items()[1].(map[string]any)["sku"])
	assert.Equal(t, "ART-00001", a.items()[1].(map[string]any)["id"], "the ID stays")

	for _, q := range []string{"cursor=nonsense!", "limit=0", "changed_since=yesterday"} {
		a := call(t, srv, "GET", "/api/products?"+q, "")
		assert.Equal(t, http.StatusBadRequest, a.status, q)
	}
}

func TestRateLimit(t *testing.T) {
	srv := minierptest.New(minierptest.WithRateLimit(2, time.Hour))
	defer srv.Close()
	assert.Equal(t, http.StatusOK, call(t, srv, "GET", "/api/stock", "").status)
	assert.Equal(t, http.StatusOK, call(t, srv, "GET", "/api/stock", "").status)
	a := call(t, srv, "GET", "/api/stock", "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "rate_limited", a.errorCode())
	assert.Equal(t, "3600", a.header.Get("Retry-After"))
	assert.Equal(t, 1, srv.Throttled())

	fast := minierptest.New(minierptest.WithRateLimit(1, 50*time.Millisecond))
	defer fast.Close()
	call(t, fast, "GET", "/api/stock", "")
	a = call(t, fast, "GET", "/api/stock", "")
	require.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Regexp(t, `^0\.0[0-5]\d*$`, a.header.Get("Retry-After"), "the rest of the window, in fractions of a second")
}

func TestCreateOrder(t *testing.T) {
	srv := minierptest.New()
	defer srv.Close()
	a := call(t, srv, "POST", "/api/orders", order)
	require.Equal(t, http.StatusCreated, a.status, a.body)
	assert.Equal(t, "SO-00001", a.body["id"])
	assert.Equal(t, "open", a.body["status"])

	a = call(t, srv, "POST", "/api/orders", order)
	assert.Equal(t, http.StatusConflict, a.status)
	assert.Equal(t, "duplicate_external_number", a.errorCode())

	a = call(t, srv, "GET", "/api/orders?external_number=%231001&external_number=%23404", "")
	require.Len(t, a.items(), 1)
	assert.Equal(t, "SO-00001", a.items()[0].(map[string]any)["id"])

	for _, tc := range []struct{ body, status, target string }{
		{strings.Replace(order, `"quantity":"2"`, `"quantity":"1.5"`, 1), "422", "lines[0].quantity"},
		{strings.Replace(order, `"#1001"`, `""`, 1), "422", "external_number"},
		{strings.Replace(order, `"currency":"EUR"`, `"currency":"euro"`, 1), "422", "currency"},
		{strings.Replace(order, `"net":"20"`, `"net":"twenty"`, 1), "422", "lines[0].net"},
		{strings.Replace(order, `"currency"`, `"curency"`, 1), "400", ""},
		{order + "{}", "400", ""},
	} {
		a := call(t, srv, "POST", "/api/orders", strings.Replace(tc.body, "#1001", "#2002", 1))
		assert.Equal(t, tc.status, fmt.Sprint(a.status), tc.body)
		if tc.target != "" {
			assert.Equal(t, tc.target, a.body["error"].(map[string]any)["target"])
		}
	}
	a = call(t, srv, "POST", "/api/orders", order, "Content-Type", "text/plain")
	assert.Equal(t, http.StatusUnsupportedMediaType, a.status)
	assert.Len(t, srv.Orders(), 1)
}

func TestIdempotencyKey(t *testing.T) {
	srv := minierptest.New()
	defer srv.Close()
	first := call(t, srv, "POST", "/api/orders", order, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusCreated, first.status)
	again := call(t, srv, "POST", "/api/orders", order, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusCreated, again.status, "the first answer, not a 409")
	assert.Equal(t, first.body, again.body)
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, srv.Replays())

	other := strings.Replace(order, "#1001", "#1002", 1)
	a := call(t, srv, "POST", "/api/orders", other, "Idempotency-Key", "k1")
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.Equal(t, "idempotency_key_reused", a.errorCode())

	// A refused request is not kept: sent again under its key, it is
	// carried out.
	srv.FailKey("#1002", http.StatusConflict)
	assert.Equal(t, http.StatusConflict, call(t, srv, "POST", "/api/orders", other, "Idempotency-Key", "k2").status)
	srv.FailKey("#1002", 0)
	assert.Equal(t, http.StatusCreated, call(t, srv, "POST", "/api/orders", other, "Idempotency-Key", "k2").status)

	// A lost answer was kept: the retry gets it.
	third := strings.Replace(order, "#1001", "#1003", 1)
	srv.LoseResponses(1)
	assert.Equal(t, http.StatusBadGateway, call(t, srv, "POST", "/api/orders", third, "Idempotency-Key", "k3").status)
	a = call(t, srv, "POST", "/api/orders", third, "Idempotency-Key", "k3")
	assert.Equal(t, http.StatusCreated, a.status)
	assert.Equal(t, "SO-00003", a.body["id"])
	assert.Len(t, srv.Orders(), 3)
}

func TestCustomerUpsert(t *testing.T) {
	srv := minierptest.New()
	defer srv.Close()
	body := `{"external_ref":"C1","type":"company","company":"Muster GmbH","addresses":[{"country":"DE"}]}`
	a := call(t, srv, "POST", "/api/customers", body)
	require.Equal(t, http.StatusCreated, a.status, a.body)
	id, version := a.body["id"], a.body["version"]

	a = call(t, srv, "POST", "/api/customers", body)
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, id, a.body["id"])
	assert.Equal(t, version, a.body["version"], "nothing changed")

	a = call(t, srv, "POST", "/api/customers", strings.Replace(body, "Muster", "Beispiel", 1))
	assert.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, id, a.body["id"])
	assert.NotEqual(t, version, a.body["version"])

	a = call(t, srv, "POST", "/api/customers", `{"external_ref":"C2","type":"person","email":"not an address"}`)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	assert.NotContains(t, fmt.Sprint(a.body), "not an address", "the reason repeats the e-mail")
	assert.Len(t, srv.Customers(), 1)
}

func TestFaults(t *testing.T) {
	srv := minierptest.New(minierptest.WithRetryAfter(2 * time.Second))
	defer srv.Close()
	srv.FailNext(2, http.StatusServiceUnavailable)
	for range 2 {
		a := call(t, srv, "GET", "/api/shipments", "")
		assert.Equal(t, http.StatusServiceUnavailable, a.status)
		assert.Equal(t, "unavailable", a.errorCode())
		assert.Equal(t, "2", a.header.Get("Retry-After"))
	}
	assert.Equal(t, http.StatusOK, call(t, srv, "GET", "/api/shipments", "").status)

	srv.FailAfter(1, http.StatusInternalServerError)
	assert.Equal(t, http.StatusOK, call(t, srv, "GET", "/api/orders", "").status, "reads pass")
	assert.Equal(t, http.StatusCreated, call(t, srv, "POST", "/api/orders", order).status)
	second := strings.Replace(order, "#1001", "#1002", 1)
	assert.Equal(t, http.StatusInternalServerError, call(t, srv, "POST", "/api/orders", second).status)
	assert.Equal(t, http.StatusCreated, call(t, srv, "POST", "/api/orders", second).status, "once")

	_, err := srv.Ship("#1001", "DHL", minierptest.Tracking{Number: "T1"})
	require.NoError(t, err)
	_, err = srv.Ship("#404", "DHL")
	require.Error(t, err)
	a := call(t, srv, "GET", "/api/shipments", "")
	require.Len(t, a.items(), 1)
	sh := a.items()[0].(map[string]any)
	assert.Equal(t, "DN-00001", sh["number"])
	assert.Equal(t, "SO-00001", sh["order_id"])
	o, _ := srv.Order("#1001")
	assert.Equal(t, "shipped", o.Status)
	assert.Equal(t, 1, srv.Calls("GET /api/orders"))
	assert.Equal(t, 3, srv.Calls("POST /api/orders"))
}

func TestNotFound(t *testing.T) {
	srv := minierptest.New()
	defer srv.Close()
	assert.Equal(t, http.StatusNotFound, call(t, srv, "GET", "/api/invoices", "").status)
	assert.Equal(t, http.StatusMethodNotAllowed, call(t, srv, "DELETE", "/api/orders", "").status)
}
