package bctest_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/internal/fixture"
)

func TestItemHasTheFieldsOfTheRealResponse(t *testing.T) {
	t.Parallel()
	var want map[string]any
	require.NoError(t, json.Unmarshal(fixture.Read(t, "erp/business-central/item_get_response.json"), &want))
	srv := bctest.New()
	defer srv.Close()
	it, err := srv.PutItem(bctest.Item{Number: "1896-s", DisplayName: "ATHENS Desk", ItemCategoryCode: "TABLE",
		UnitPrice: d("1000.8"), UnitCost: d("780.7"), TaxGroupCode: "FURNITURE", BaseUnitOfMeasureCode: "PCS"})
	require.NoError(t, err)
	require.NoError(t, srv.SetInventory(bctest.Stock{ItemNumber: "1896-S", Quantity: d("4")}))
	a := newAPI(t, srv)
	r := a.do("GET", "items("+it.ID+")", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	for k := range want {
		assert.Contains(t, r.body, k, "the real item has %s", k)
	}
	assert.Equal(t, "1896-S", r.body["number"], "a Code field is stored upper case")
	assert.Equal(t, json.Number("1000.8"), r.body["unitPrice"])
	assert.Equal(t, json.Number("4"), r.body["inventory"])
	assert.Equal(t, "TABLE", r.body["itemCategoryCode"])
	assert.NotEqual(t, "00000000-0000-0000-0000-000000000000", r.body["itemCategoryId"], "the category id is looked up")
	assert.Regexp(t, `^W/"Jz[A-Za-z0-9+/=]+"$`, r.body["@odata.etag"])
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`, r.body["lastModifiedDateTime"])
	assert.True(t, strings.HasSuffix(r.str("@odata.context"), "/$metadata#companies("+srv.CompanyID()+")/items/$entity"), r.str("@odata.context"))
}

func TestServerDrivenPaging(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithPageSize(4))
	defer srv.Close()
	seedItems(t, srv, 10)
	a := newAPI(t, srv)

	// Default page size, then Prefer: odata.maxpagesize.
	r := a.do("GET", "items", nil)
	require.Len(t, r.values(), 4)
	assert.Empty(t, r.header.Get("Preference-Applied"))
	assert.NotEmpty(t, r.str("@odata.nextLink"))

	var numbers []string
	next := srv.CompanyURL() + "/items?$select=number"
	pages := 0
	for next != "" {
		r := a.do("GET", next, nil, "Prefer", "odata.maxpagesize=3")
		require.Equal(t, 200, r.status, string(r.raw))
		assert.Equal(t, "odata.maxpagesize=3", r.header.Get("Preference-Applied"))
		pages++
		for _, v := range r.values() {
			numbers = append(numbers, v["number"].(string))
			assert.NotContains(t, v, "displayName", "$select is kept in the next link")
		}
		next = r.str("@odata.nextLink")
		if next != "" {
			u, err := url.Parse(next)
			require.NoError(t, err)
			assert.NotEmpty(t, u.Query().Get("$skiptoken"))
			assert.Empty(t, u.Query().Get("$skip"))
		}
	}
	assert.Equal(t, 4, pages)
	require.Len(t, numbers, 10)
	assert.True(t, slices.IsSorted(numbers), "items come in number order")

	// $top caps the whole read, across pages.
	r = a.do("GET", "items?$top=5", nil, "Prefer", "odata.maxpagesize=3")
	require.Len(t, r.values(), 3)
	r = a.do("GET", r.str("@odata.nextLink"), nil, "Prefer", "odata.maxpagesize=3")
	require.Len(t, r.values(), 2)
	assert.Empty(t, r.str("@odata.nextLink"))
	// $skip is accepted.
	r = a.do("GET", "items?$skip=8&$count=true", nil)
	require.Len(t, r.values(), 2)
	assert.Equal(t, json.Number("10"), r.body["@odata.count"])
	assert.Equal(t, "ITEM-0009", r.values()[0]["number"])

	r = a.do("GET", "items?$skiptoken=garbage", nil)
	assert.Equal(t, 400, r.status)
	assert.Equal(t, "BadRequest", r.errCode())
}

func TestPagingIsStableWhileRowsChange(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now))
	defer srv.Close()
	seedItems(t, srv, 6)
	a := newAPI(t, srv)
	since := time.Time{}
	url := "items?$orderby=lastModifiedDateTime&$filter=lastModifiedDateTime gt " + since.Format(time.RFC3339)
	r := a.do("GET", url, nil, "Prefer", "odata.maxpagesize=4")
	require.Len(t, r.values(), 4)
	// An item seen on page one changes, and a new one is created.
	_, err := srv.ChangeItem("ITEM-0001", func(it *bctest.Item) { it.DisplayName = "renamed" })
	require.NoError(t, err)
	_, err = srv.PutItem(bctest.Item{Number: "ITEM-0100"})
	require.NoError(t, err)
	r = a.do("GET", r.str("@odata.nextLink"), nil, "Prefer", "odata.maxpagesize=4")
	var got []string
	for _, v := range r.values() {
		got = append(got, v["number"].(string))
	}
	// The rest of the first read, then what changed after it started: the
	// changed row comes again with its new stamp, nothing is skipped.
	assert.Equal(t, []string{"ITEM-0005", "ITEM-0006", "ITEM-0001", "ITEM-0100"}, got)
	assert.Empty(t, r.str("@odata.nextLink"))
}

func TestFilters(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := bctest.New(bctest.WithClock(clk.Now))
	defer srv.Close()
	seedItems(t, srv, 5)
	clk.Advance(time.Minute)
	cut := clk.Now()
	_, err := srv.ChangeItem("ITEM-0002", func(it *bctest.Item) { it.Blocked = true })
	require.NoError(t, err)
	_, err = srv.ChangeItem("ITEM-0004", func(it *bctest.Item) { it.GTIN = "4006381333931" })
	require.NoError(t, err)
	a := newAPI(t, srv)

	numbers := func(filter string) []string {
		t.Helper()
		r := a.do("GET", "items?$filter="+url.QueryEscape(filter), nil)
		require.Equal(t, 200, r.status, "%s: %s", filter, r.raw)
		var out []string
		for _, v := range r.values() {
			out = append(out, v["number"].(string))
		}
		return out
	}
	ts := cut.Format("2006-01-02T15:04:05.000Z")
	assert.Equal(t, []string{"ITEM-0004"}, numbers("lastModifiedDateTime gt "+ts), "ITEM-0002 changed at the cut itself")
	assert.Equal(t, []string{"ITEM-0002", "ITEM-0004"}, numbers("lastModifiedDateTime ge "+ts))
	assert.Len(t, numbers("lastModifiedDateTime lt "+ts), 3)
	assert.Equal(t, []string{"ITEM-0003"}, numbers("number eq 'item-0003'"), "string comparison ignores case")
	assert.Equal(t, []string{"ITEM-0002"}, numbers("blocked eq true"))
	assert.Equal(t, []string{"ITEM-0003", "ITEM-0004"}, numbers("unitPrice ge 30 and unitPrice lt 50"))
	assert.Equal(t, []string{"ITEM-0001", "ITEM-0005"}, numbers("number eq 'ITEM-0001' or (number eq 'ITEM-0005' and not blocked eq true)"))
	assert.Equal(t, []string{"ITEM-0004"}, numbers("startswith(gtin,'4006')"))
	assert.Len(t, numbers("number ne 'ITEM-0001'"), 4)

	for filter, msg := range map[string]string{
		"lastModifiedDateTime gt '" + ts + "'": "A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and 'Edm.String'",
		"number eq 5":                          "incompatible types",
		"locationFilter eq 'MAIN'":             "Could not find a property named 'locationFilter' on type 'Microsoft.NAV.item'.",
		"number eq":                            "Syntax error",
		"number in ('A','B')":                  "not supported by bctest",
		"tolower(number) eq 'a'":               "not supported by bctest",
		"lastModifiedDateTime gt datetime'2024-01-01T00:00:00'": "Syntax error",
		"number eq 'unterminated":                               "unterminated string",
	} {
		r := a.do("GET", "items?$filter="+url.QueryEscape(filter), nil)
		assert.Equal(t, 400, r.status, filter)
		assert.Equal(t, "BadRequest", r.errCode(), filter)
		assert.Contains(t, r.errMessage(), msg, filter)
	}
	r := a.do("GET", "items?$select=number,bogus", nil)
	assert.Equal(t, 400, r.status)
	assert.Contains(t, r.errMessage(), "Could not find a property named 'bogus'")
	r = a.do("GET", "items?$orderby=unitPrice desc&$top=2&$select=number,unitPrice", nil)
	require.Len(t, r.values(), 2)
	assert.Equal(t, "ITEM-0005", r.values()[0]["number"])
	assert.Len(t, r.values()[0], 3, "@odata.etag and the two selected")
	assert.Equal(t, 400, a.do("GET", "items?$apply=groupby((type))", nil).status)
}
