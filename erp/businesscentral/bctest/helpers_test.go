package bctest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

// clock is a settable clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// api calls the fake with a bearer token.
type api struct {
	t     testing.TB
	srv   *bctest.Server
	token string
}

func newAPI(t testing.TB, srv *bctest.Server) *api {
	return &api{t: t, srv: srv, token: srv.IssueToken()}
}

type resp struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a request; url is absolute or relative to the company URL.
func (a *api) do(method, url string, body any, headers ...string) resp {
	a.t.Helper()
	if !strings.HasPrefix(url, "http") {
		url = a.srv.CompanyURL() + "/" + url
	}
	url = strings.ReplaceAll(url, " ", "%20")
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(a.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(a.t, err)
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(a.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(a.t, err)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		require.NoError(a.t, d.Decode(&r.body), string(raw))
	}
	return r
}

func (r resp) errCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (r resp) errMessage() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["message"].(string)
	return c
}

func (r resp) values() []map[string]any {
	v, _ := r.body["value"].([]any)
	out := make([]map[string]any, len(v))
	for i, x := range v {
		out[i] = x.(map[string]any)
	}
	return out
}

func (r resp) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// seedItems puts n items ITEM-0001… with prices.
func seedItems(t testing.TB, srv *bctest.Server, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		_, err := srv.PutItem(bctest.Item{
			Number: itemNo(i), DisplayName: "Item " + itemNo(i), UnitPrice: decimal.NewFromInt(int64(10 * i)),
			TaxGroupCode: "STANDARD", BaseUnitOfMeasureCode: "PCS",
		})
		require.NoError(t, err)
	}
}

func itemNo(i int) string {
	s := "000" + itoa(i)
	return "ITEM-" + s[len(s)-4:]
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func seedCustomer(t testing.TB, srv *bctest.Server) bctest.Customer {
	t.Helper()
	c, err := srv.PutCustomer(bctest.Customer{
		DisplayName: "Adatum Corporation", Type: "Company", TaxRegistrationNumber: "DE123456789",
		Email: "buyer@adatum.example", Address: bctest.Address{Line1: "Station Road, 21", City: "Berlin", CountryCode: "DE", PostalCode: "10115"},
	})
	require.NoError(t, err)
	return c
}

func orderBody(customer, ext string, lines ...map[string]any) map[string]any {
	b := map[string]any{"customerNumber": customer, "externalDocumentNumber": ext}
	if lines != nil {
		b["salesOrderLines"] = lines
	}
	return b
}

func itemLine(number string, qty string) map[string]any {
	return map[string]any{"lineType": "Item", "lineObjectNumber": number, "quantity": json.Number(qty)}
}
