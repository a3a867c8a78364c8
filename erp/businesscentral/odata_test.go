package businesscentral

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// fastRetry keeps the tests' waits short.
var fastRetry = RetryPolicy{MaxAttempts: 4, InitialInterval: time.Millisecond, MaxInterval: 5 * time.Millisecond, MaxElapsed: 5 * time.Second}

// handlerConnector returns a connector to an httptest server running h,
// with company "c0" and a static token.
func handlerConnector(t *testing.T, h http.HandlerFunc, opts ...Option) (*Connector, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts = append([]Option{WithAuth(transport.BearerToken("static-token")), WithRetryPolicy(fastRetry)}, opts...)
	c, err := New(Config{BaseURL: srv.URL + "/BC", CompanyID: "c0", Currency: "EUR"}, opts...)
	require.NoError(t, err)
	return c, srv
}

func TestQueryGolden(t *testing.T) {
	since := time.Date(2019, 8, 18, 20, 5, 51, 603_900_000, time.UTC)
	for _, tc := range []struct {
		name string
		q    *query
		want string
	}{
		{"delta", filtered(changedSince("lastModifiedDateTime", since)),
			"?$filter=lastModifiedDateTime%20ge%202019-08-18T20:05:51.603Z"},
		{"all", filtered(changedSince("lastModifiedDateTime", time.Time{})), ""},
		{"by external number", filtered(eq("externalDocumentNumber", "#1001 O'Brien")).set("$select", "id,number"),
			"?$filter=externalDocumentNumber%20eq%20'%231001%20O''Brien'&$select=id,number"},
		{"expand", filtered(and(changedSince("lastModifiedDateTime", since), "", eq("code", "S"))).set("$expand", "itemVariants,picture"),
			"?$filter=lastModifiedDateTime%20ge%202019-08-18T20:05:51.603Z%20and%20code%20eq%20'S'&$expand=itemVariants,picture"},
		{"replace", filtered("a eq 1").set("$filter", "b eq 2"), "?$filter=b%20eq%202"},
		{"ampersand and plus", filtered(eq("number", "A&B+C")), "?$filter=number%20eq%20'A%26B%2BC'"},
	} {
		assert.Equal(t, tc.want, tc.q.String(), tc.name)
	}
	// A time in another zone is written in UTC, truncated to the millisecond.
	berlin := time.FixedZone("CET", 3600)
	assert.Equal(t, "2019-08-18T20:05:51.603Z", odataTime(since.In(berlin)))
}

func TestResourcePaths(t *testing.T) {
	assert.Equal(t, "items", entitySetOf("api/v2.0/companies(b18aed47)/items(26814998)"))
	assert.Equal(t, "salesInvoices", entitySetOf("/api/v2.0/companies(7dbba574)/salesInvoices?$filter=lastDateTimeModified%20gt%202018-10-15T11:00:00Z"))
	assert.Equal(t, "26814998", lastKey("api/v2.0/companies(b18aed47)/items(26814998)"))
	assert.Equal(t, "", lastKey("items"))
	assert.Equal(t, "abc", lastKey("subscriptions('abc')"))
}

// page serves a collection of n records in pages of size, the way the
// service pages: by @odata.nextLink with a skiptoken.
func pagedHandler(t *testing.T, n int, requests *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		q := r.URL.Query()
		assert.Empty(t, q.Get("$top"), "server-driven paging: no $top")
		assert.Empty(t, q.Get("$skip"), "server-driven paging: never $skip")
		var size int
		_, err := fmt.Sscanf(r.Header.Get("Prefer"), "odata.maxpagesize=%d", &size)
		require.NoError(t, err, "every page request asks for a page size")
		start := 0
		if tok := q.Get("$skiptoken"); tok != "" {
			fmt.Sscanf(tok, "%d", &start)
		}
		var vals []map[string]any
		for i := start; i < min(start+size, n); i++ {
			vals = append(vals, map[string]any{"id": fmt.Sprint(i), "number": fmt.Sprintf("N%03d", i), "displayName": "Item",
				"lastModifiedDateTime": time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339)})
		}
		body := map[string]any{"value": vals}
		if start+size < n {
			body["@odata.nextLink"] = fmt.Sprintf("http://%s%s?$skiptoken=%d", r.Host, r.URL.Path, start+size)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	}
}

func TestCollectionPagesByNextLink(t *testing.T) {
	var requests atomic.Int32
	c, _ := handlerConnector(t, pagedHandler(t, 25, &requests), WithPageSize(10))
	var got []string
	for p, err := range c.ReadProducts(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		got = append(got, p.SKU)
	}
	assert.Len(t, got, 25)
	assert.Equal(t, int32(3), requests.Load(), "25 items in pages of 10")

	// A consumer that stops after one item stops the paging.
	requests.Store(0)
	for range c.ReadProducts(t.Context(), kontor.Cursor{}) {
		break
	}
	assert.Equal(t, int32(1), requests.Load())
}

func TestCollectionRefusesForeignNextLink(t *testing.T) {
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[{"id":"1","number":"A"}],"@odata.nextLink":"https://evil.example.com/steal"}`)
	})
	var errs []error
	n := 0
	for _, err := range c.ReadProducts(t.Context(), kontor.Cursor{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	assert.Equal(t, 1, n)
	require.Len(t, errs, 1)
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(errs[0]))
}

func TestReadMalformedRecordNamesItemAndFieldAndGoesOn(t *testing.T) {
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[
			{"id":"1","number":"A","displayName":"a","unitPrice":1.5},
			{"id":"2","number":"B","displayName":"b","unitPrice":"twelve"},
			{"id":"3","number":"C","displayName":"c","unitPrice":3}]}`)
	})
	var skus []string
	var errs []error
	for p, err := range c.ReadPrices(t.Context(), kontor.Cursor{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		skus = append(skus, p.SKU)
	}
	assert.Equal(t, []string{"A", "C"}, skus, "the records around the broken one are read")
	require.Len(t, errs, 1, "one error, after the last record")
	var be *kontor.BatchError
	require.ErrorAs(t, errs[0], &be)
	require.Len(t, be.Failed, 1)
	var ve *kontor.ValidationError
	require.ErrorAs(t, be.Failed[0], &ve)
	assert.Equal(t, "B", ve.Key)
	assert.Equal(t, "unitPrice", ve.Field)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(errs[0]))
}

func TestReadMalformedPageIsAnError(t *testing.T) {
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[{"id":"1"`)
	}, WithRetryPolicy(RetryPolicy{MaxAttempts: 1}))
	for _, err := range c.ReadCustomers(t.Context(), kontor.Cursor{}) {
		require.Error(t, err)
		assert.Contains(t, err.Error(), "malformed response body")
		assert.True(t, kontor.IsRetryable(err))
	}
}

func TestDeltaFilterIsInclusiveAndDropsOlder(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 5, 500_000, time.UTC) // 5.0005 s: finer than the service stores
	var filter string
	c, _ := handlerConnector(t, func(w http.ResponseWriter, r *http.Request) {
		filter = r.URL.Query().Get("$filter")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"value":[
			{"id":"1","number":"A","displayName":"a","lastModifiedDateTime":"2026-01-01T00:00:05Z"},
			{"id":"2","number":"B","displayName":"b","lastModifiedDateTime":"2026-01-01T00:00:05.001Z"}]}`)
	})
	var skus []string
	for cu, err := range c.ReadCustomers(t.Context(), kontor.Cursor{Since: since}) {
		require.NoError(t, err)
		skus = append(skus, cu.Number)
	}
	assert.Equal(t, "lastModifiedDateTime ge 2026-01-01T00:00:05.000Z", filter)
	assert.Equal(t, []string{"B"}, skus, "A changed before the cursor, within the filter's millisecond")
}

func TestOpNameHasNoQuery(t *testing.T) {
	assert.Equal(t, "GET v2.0/companies(c0)/customers",
		opName("GET", "https://h/BC/api/v2.0/companies(c0)/customers?$filter=email%20eq%20'a@b.example'"))
	assert.False(t, strings.Contains(opName("GET", "::"), "@"))
}
