package businesscentral

import (
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// query is an OData query string. Its options keep their order, so the
// URLs are the same from run to run (golden tests, caches, logs).
type query struct {
	opts [][2]string
}

// set adds or replaces an option such as "$filter".
func (q *query) set(name, value string) *query {
	for i := range q.opts {
		if q.opts[i][0] == name {
			q.opts[i][1] = value
			return q
		}
	}
	q.opts = append(q.opts, [2]string{name, value})
	return q
}

// String returns "?$filter=…&$expand=…", values percent-encoded (a space
// as %20, which every OData server reads as a space, where + is ambiguous)
// and the option names as they are.
func (q *query) String() string {
	if q == nil || len(q.opts) == 0 {
		return ""
	}
	var b strings.Builder
	for i, o := range q.opts {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(o[0])
		b.WriteByte('=')
		b.WriteString(escapeQueryValue(o[1]))
	}
	return b.String()
}

// escapeQueryValue percent-encodes an OData query value, keeping the
// characters OData expressions use and that need no escaping in a query.
func escapeQueryValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9',
			strings.IndexByte("-._~'(),:$*/", ch) >= 0:
			b.WriteByte(ch)
		default:
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// quote returns s as an OData string literal: in single quotes, a quote
// doubled.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// eq is the filter "field eq 'value'".
func eq(field, value string) string { return field + " eq " + quote(value) }

// odataTime formats t as an OData DateTimeOffset literal in UTC with
// milliseconds, the precision Business Central stores, rounded down so a
// filter "ge" it never misses a record of the same millisecond.
func odataTime(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")
}

// changedSince is the delta filter: records changed at or after since
// (the engine's cursor, already moved back by its overlap), or "" for all.
// It is "ge", not "gt": a cursor means "at or after", and a record
// changed in the cursor's very millisecond must not be missed; the overlap
// makes the repeats harmless.
func changedSince(field string, since time.Time) string {
	if since.IsZero() {
		return ""
	}
	return field + " ge " + odataTime(since)
}

// and joins filter terms, skipping empty ones.
func and(terms ...string) string {
	var out []string
	for _, t := range terms {
		if t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, " and ")
}

// filtered returns a query with $filter set when filter is not empty.
func filtered(filter string) *query {
	q := &query{}
	if filter != "" {
		q.set("$filter", filter)
	}
	return q
}

// edmDate is an Edm.Date ("2023-09-01"); Business Central's empty date is
// "0001-01-01".
type edmDate struct{ time.Time }

// UnmarshalJSON reads "YYYY-MM-DD", null or "".
func (d *edmDate) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil || *s == "" || *s == "0001-01-01" {
		d.Time = time.Time{}
		return nil
	}
	t, err := time.Parse("2006-01-02", *s)
	if err != nil {
		return fmt.Errorf("date %q is not YYYY-MM-DD", *s)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes "YYYY-MM-DD", or BC's empty date for the zero time.
func (d edmDate) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte(`"0001-01-01"`), nil
	}
	return []byte(`"` + d.Format("2006-01-02") + `"`), nil
}

// num decodes an Edm.Decimal exactly: a JSON number (or a numeric
// string) into a decimal, never through a float.
type num struct {
	decimal.Decimal
	set bool
}

// UnmarshalJSON reads a JSON number, a numeric string or null.
func (n *num) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*n = num{}
		return nil
	}
	s = strings.Trim(s, `"`)
	d, err := decimal.NewFromString(s)
	if err != nil {
		return &json.UnmarshalTypeError{Value: "non-number", Type: decimalType}
	}
	*n = num{Decimal: d, set: true}
	return nil
}

var decimalType = reflect.TypeOf(decimal.Decimal{})

// dec formats an amount or quantity for a request body: a JSON number
// with the decimal's exact digits.
func dec(d decimal.Decimal) json.Number { return json.Number(d.String()) }

// lastKey returns the key inside "companies(…)/items(key)"-style paths:
// the text between the last "(" and the ")" after it, quotes removed.
func lastKey(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	open := strings.LastIndexByte(path, '(')
	if open < 0 {
		return ""
	}
	end := strings.IndexByte(path[open:], ')')
	if end < 0 {
		return ""
	}
	return strings.Trim(path[open+1:open+end], "'")
}

// entitySetOf returns the entity set a resource path names: "items" for
// "api/v2.0/companies(x)/items(y)" or ".../items?$filter=…".
func entitySetOf(resource string) string {
	if i := strings.IndexByte(resource, '?'); i >= 0 {
		resource = resource[:i]
	}
	resource = strings.TrimRight(resource, "/")
	seg := resource[strings.LastIndexByte(resource, '/')+1:]
	if i := strings.IndexByte(seg, '('); i >= 0 {
		seg = seg[:i]
	}
	if u, err := url.PathUnescape(seg); err == nil {
		seg = u
	}
	return seg
}
