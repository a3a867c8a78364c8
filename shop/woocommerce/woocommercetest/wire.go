package woocommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds what every endpoint shares: JSON as PHP writes it, the
// WordPress error body, the REST parameter checks of WordPress core and the
// way PHP reads a query string.

// phpJSON encodes v as WordPress' wp_json_encode does: slashes escaped as
// "\/", everything outside ASCII as \uXXXX (surrogate pairs above the BMP),
// and no HTML escaping of <, > and &. Receivers that verify a webhook
// signature must therefore hash the raw bytes, not a re-encoding.
func phpJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("woocommercetest: encoding %T: %v", v, err)) // only our own types are encoded
	}
	raw := bytes.TrimRight(buf.Bytes(), "\n")
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '/': // only ever inside strings in JSON
			out = append(out, '\\', '/')
			i++
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(raw[i:])
			i += n
			if r > 0xFFFF {
				r -= 0x10000
				out = fmt.Appendf(out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
		}
	}
	return out
}

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// object is a JSON object whose members keep their order, as PHP's
// associative arrays do.
type object []kv

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		b.Write(k)
		b.WriteByte(':')
		var vb bytes.Buffer
		enc := json.NewEncoder(&vb)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(m.v); err != nil {
			return nil, err
		}
		b.Write(bytes.TrimRight(vb.Bytes(), "\n"))
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// wpError is a WP_Error as the REST server sends it:
// {"code":…,"message":…,"data":{"status":…, …}}.
type wpError struct {
	Code    string
	Message string
	Status  int
	Extra   object // further members of data, after status
}

// Error describes the error with its code and status.
func (e *wpError) Error() string { return fmt.Sprintf("%s (%d): %s", e.Code, e.Status, e.Message) }

// body is the error as a JSON value (also used inside batch responses).
func (e *wpError) body() object {
	data := object{{"status", e.Status}}
	data = append(data, e.Extra...)
	return object{{"code", e.Code}, {"message", e.Message}, {"data", data}}
}

func newError(status int, code, message string, extra ...kv) *wpError {
	return &wpError{Code: code, Message: message, Status: status, Extra: extra}
}

// errNoRoute is WordPress' answer to a URL or method no route matches.
func errNoRoute() *wpError {
	return newError(http.StatusNotFound, "rest_no_route", "No route was found matching the URL and request method.")
}

// errInvalidJSON is WordPress' answer to a body that does not parse.
func errInvalidJSON() *wpError {
	return newError(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.",
		kv{"json_error_code", 4}, kv{"json_error_message", "Syntax error"})
}

// paramError is one failed check of a request parameter, as WordPress'
// rest_validate_value_from_schema returns it.
type paramError struct {
	param   string
	code    string // rest_invalid_type, rest_out_of_bounds, rest_not_in_enum, rest_invalid_date ...
	message string
	data    any // nil → null
}

// errInvalidParams aggregates failed checks into WordPress'
// rest_invalid_param error: params maps each name to its messages, details
// to the underlying error.
func errInvalidParams(errs []paramError) *wpError {
	names := make([]string, 0, len(errs))
	params := object{}
	details := object{}
	for _, e := range errs {
		names = append(names, e.param)
		params = append(params, kv{e.param, e.message})
		details = append(details, kv{e.param, object{{"code", e.code}, {"message", e.message}, {"data", e.data}}})
	}
	return newError(http.StatusBadRequest, "rest_invalid_param", "Invalid parameter(s): "+strings.Join(names, ", "),
		kv{"params", params}, kv{"details", details})
}

// errMissingParams is WordPress' rest_missing_callback_param.
func errMissingParams(names ...string) *wpError {
	return newError(http.StatusBadRequest, "rest_missing_callback_param",
		"Missing parameter(s): "+strings.Join(names, ", "), kv{"params", names})
}

// writeJSON sends v with WordPress' content type.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body := phpJSON(v)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ---- time ----

// wooTime is the format of every date in the API: ISO 8601 without zone,
// in the site's timezone (date_x) or in UTC (date_x_gmt).
const wooTime = "2006-01-02T15:04:05"

func localString(t time.Time, loc *time.Location) string { return t.In(loc).Format(wooTime) }
func gmtString(t time.Time) string                       { return t.UTC().Format(wooTime) }

// optTime renders an optional time as the pair (site, gmt) of nullable
// strings.
func optTime(t *time.Time, loc *time.Location) (*string, *string) {
	if t == nil {
		return nil, nil
	}
	l, g := localString(*t, loc), gmtString(*t)
	return &l, &g
}

// restDate is WordPress' rest_parse_date pattern for date-time parameters.
var restDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}(:?\d{2})?)?$`)

// parseRESTDate parses a date-time parameter. A value without zone is read
// in loc; hasZone says whether it named one.
func parseRESTDate(v string, loc *time.Location) (t time.Time, hasZone bool, ok bool) {
	m := restDate.FindStringSubmatch(v)
	if m == nil {
		return time.Time{}, false, false
	}
	base := strings.Replace(strings.Replace(v[:19], "t", "T", 1), " ", "T", 1)
	naive, err := time.ParseInLocation(wooTime, base, loc)
	if err != nil {
		return time.Time{}, false, false
	}
	if m[1] != "" {
		if f, err := strconv.ParseFloat("0"+m[1], 64); err == nil {
			naive = naive.Add(time.Duration(f * float64(time.Second)))
		}
	}
	zone := m[2]
	switch {
	case zone == "":
		return naive, false, true
	case zone == "Z" || zone == "z":
		return time.Date(naive.Year(), naive.Month(), naive.Day(), naive.Hour(), naive.Minute(), naive.Second(), naive.Nanosecond(), time.UTC), true, true
	default:
		sign := 1
		if zone[0] == '-' {
			sign = -1
		}
		digits := strings.ReplaceAll(zone[1:], ":", "")
		h, _ := strconv.Atoi(digits[:2])
		mi := 0
		if len(digits) >= 4 {
			mi, _ = strconv.Atoi(digits[2:4])
		}
		fixed := time.FixedZone("", sign*(h*3600+mi*60))
		return time.Date(naive.Year(), naive.Month(), naive.Day(), naive.Hour(), naive.Minute(), naive.Second(), naive.Nanosecond(), fixed), true, true
	}
}

// ---- parameter checks as rest_validate_value_from_schema does them ----

// restInteger reports whether v is an integer in WordPress' sense: a JSON
// number or a numeric string without fraction.
func restInteger(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		return numberInt(string(x))
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return int64(x), true
		}
	case string:
		return numberInt(strings.TrimSpace(x))
	case int:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

func numberInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return int64(f), true
}

// restBoolean is WordPress' rest_is_boolean plus its sanitising.
func restBoolean(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(x) {
		case "true", "1":
			return true, true
		case "false", "0", "":
			return false, true
		}
	case json.Number:
		switch string(x) {
		case "1":
			return true, true
		case "0":
			return false, true
		}
	}
	return false, false
}

// phpIntval is PHP's intval of a string: the leading integer, 0 if none.
func phpIntval(v any) int64 {
	switch x := v.(type) {
	case json.Number:
		if n, ok := numberInt(string(x)); ok {
			return n
		}
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return int64(f)
		}
	case string:
		s := strings.TrimSpace(x)
		end := 0
		for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && (s[end] == '-' || s[end] == '+')) {
			end++
		}
		n, _ := strconv.ParseInt(s[:end], 10, 64)
		return n
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func typeError(param, typ string) paramError {
	msg := fmt.Sprintf("%s is not of type %s.", param, typ)
	return paramError{param: param, code: "rest_invalid_type", message: msg, data: object{{"param", param}}}
}

// typeErrorAt is a type error of an element of the list parameter param.
func typeErrorAt(param string, index int, typ string) paramError {
	e := typeError(fmt.Sprintf("%s[%d]", param, index), typ)
	e.param = param
	return e
}

func enumError(param string, enum []string) paramError {
	return paramError{param: param, code: "rest_not_in_enum",
		message: fmt.Sprintf("%s is not one of %s.", param, strings.Join(enum, ", "))}
}

// queryChecker validates query parameters one by one and collects the
// failures, as WP_REST_Request::has_valid_params does.
type queryChecker struct {
	q    url.Values
	loc  *time.Location
	errs []paramError
}

func (c *queryChecker) has(name string) bool { return c.q.Has(name) }
func (c *queryChecker) get(name string) string {
	if v := c.q[name]; len(v) > 0 {
		return v[len(v)-1] // PHP keeps the last of repeated keys
	}
	return ""
}

// integer returns the parameter or def; min/max bound it when given.
func (c *queryChecker) integer(name string, def int64, min, max *int64) int64 {
	if !c.has(name) {
		return def
	}
	n, ok := restInteger(c.get(name))
	if !ok {
		c.errs = append(c.errs, typeError(name, "integer"))
		return def
	}
	switch {
	case min != nil && max != nil && (n < *min || n > *max):
		c.errs = append(c.errs, paramError{param: name, code: "rest_out_of_bounds",
			message: fmt.Sprintf("%s must be between %d (inclusive) and %d (inclusive)", name, *min, *max)})
		return def
	case min != nil && n < *min:
		c.errs = append(c.errs, paramError{param: name, code: "rest_out_of_bounds",
			message: fmt.Sprintf("%s must be greater than or equal to %d", name, *min)})
		return def
	}
	return n
}

func (c *queryChecker) boolean(name string) bool {
	if !c.has(name) {
		return false
	}
	b, ok := restBoolean(c.get(name))
	if !ok {
		c.errs = append(c.errs, typeError(name, "boolean"))
	}
	return b
}

func (c *queryChecker) enum(name, def string, enum []string) string {
	if !c.has(name) {
		return def
	}
	v := c.get(name)
	if !slices.Contains(enum, v) {
		c.errs = append(c.errs, enumError(name, enum))
		return def
	}
	return v
}

// enumList is an array parameter of enum strings, given as a
// comma-separated list or as name[]=a&name[]=b.
func (c *queryChecker) enumList(name string, def []string, enum []string) []string {
	vals := c.list(name)
	if vals == nil {
		return def
	}
	for i, v := range vals {
		if !slices.Contains(enum, v) {
			e := enumError(fmt.Sprintf("%s[%d]", name, i), enum)
			e.param = name
			c.errs = append(c.errs, e)
			return def
		}
	}
	return vals
}

// list reads a list parameter: comma-separated or repeated with [].
func (c *queryChecker) list(name string) []string {
	var raw []string
	if v, ok := c.q[name]; ok && len(v) > 0 {
		raw = strings.Split(v[len(v)-1], ",")
	} else if v, ok := c.q[name+"[]"]; ok {
		raw = v
	} else {
		return nil
	}
	out := make([]string, 0, len(raw))
	for _, s := range raw {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ids is an array of integer ids (include, exclude, parent, category ...).
func (c *queryChecker) ids(name string) []int64 {
	vals := c.list(name)
	if vals == nil {
		return nil
	}
	out := make([]int64, 0, len(vals))
	for i, v := range vals {
		n, ok := restInteger(v)
		if !ok {
			c.errs = append(c.errs, typeErrorAt(name, i, "integer"))
			return nil
		}
		out = append(out, n)
	}
	return out
}

// date reads a date-time parameter.
func (c *queryChecker) date(name string) *dateParam {
	if !c.has(name) {
		return nil
	}
	t, zone, ok := parseRESTDate(c.get(name), c.loc)
	if !ok {
		c.errs = append(c.errs, paramError{param: name, code: "rest_invalid_date", message: "Invalid date."})
		return nil
	}
	return &dateParam{t: t, zone: zone}
}

func (c *queryChecker) err() *wpError {
	if len(c.errs) == 0 {
		return nil
	}
	return errInvalidParams(c.errs)
}

// dateParam is a parsed date-time filter.
type dateParam struct {
	t    time.Time
	zone bool
}

// column returns the value WP_Date_Query compares with a DATETIME column:
// a value with zone is converted into the site's timezone, one without is
// taken as written, and the result is compared with the column's naive
// text, the site-time column or the _gmt one. (So a value with zone
// compared with a _gmt column is off by the site's offset, as in
// WordPress.)
func (d *dateParam) column(loc *time.Location) string {
	if d.zone {
		return d.t.In(loc).Format("2006-01-02 15:04:05")
	}
	return d.t.Format("2006-01-02 15:04:05")
}

// dateFilter holds the date filters of a collection.
type dateFilter struct {
	after, before, modAfter, modBefore *dateParam
	gmt                                bool
}

func (c *queryChecker) dates() dateFilter {
	return dateFilter{
		after: c.date("after"), before: c.date("before"),
		modAfter: c.date("modified_after"), modBefore: c.date("modified_before"),
		gmt: c.boolean("dates_are_gmt"),
	}
}

// match applies the filters to an item created and modified at the given
// times: "after" and "before" are exclusive, as WP_Date_Query's default.
func (f dateFilter) match(created, modified time.Time, loc *time.Location) bool {
	if f.after == nil && f.before == nil && f.modAfter == nil && f.modBefore == nil {
		return true
	}
	col := func(t time.Time) string {
		if f.gmt {
			return t.UTC().Format("2006-01-02 15:04:05")
		}
		return t.In(loc).Format("2006-01-02 15:04:05")
	}
	c, m := col(created), col(modified)
	if f.after != nil && !(c > f.after.column(loc)) {
		return false
	}
	if f.before != nil && !(c < f.before.column(loc)) {
		return false
	}
	if f.modAfter != nil && !(m > f.modAfter.column(loc)) {
		return false
	}
	if f.modBefore != nil && !(m < f.modBefore.column(loc)) {
		return false
	}
	return true
}

// ---- PHP's reading of query strings ----

// phpParam is one top-level entry of $_GET: a plain value or, for names
// with brackets, an ordered list of sub-entries.
type phpParam struct {
	key   string
	value string
	sub   []phpParam // non-nil for arrays
}

// phpParseQuery reads a raw query string the way PHP fills $_GET: each
// pair split at the first '=', decoded with '+' as space, '.' and ' ' in
// the base name turned into '_', "a[b]" and "a[]" building arrays ("a[]"
// numbered from 0), and a repeated plain name keeping its last value in
// its first position.
func phpParseQuery(raw string) []phpParam {
	var out []phpParam
	index := map[string]int{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil || key == "" {
			continue
		}
		base, rest, isArray := strings.Cut(key, "[")
		base = strings.NewReplacer(".", "_", " ", "_").Replace(base)
		if base == "" {
			continue
		}
		if !isArray || !strings.Contains(rest, "]") {
			if i, ok := index[base]; ok {
				out[i] = phpParam{key: base, value: val}
				continue
			}
			index[base] = len(out)
			out = append(out, phpParam{key: base, value: val})
			continue
		}
		sub := rest[:strings.Index(rest, "]")]
		i, ok := index[base]
		if !ok || out[i].sub == nil {
			if !ok {
				i = len(out)
				index[base] = i
				out = append(out, phpParam{key: base})
			}
			out[i] = phpParam{key: base, sub: []phpParam{}}
		}
		if sub == "" {
			next := 0
			for _, s := range out[i].sub {
				if n, err := strconv.Atoi(s.key); err == nil && n >= next {
					next = n + 1
				}
			}
			sub = strconv.Itoa(next)
		}
		replaced := false
		for j := range out[i].sub {
			if out[i].sub[j].key == sub {
				out[i].sub[j].value = val
				replaced = true
			}
		}
		if !replaced {
			out[i].sub = append(out[i].sub, phpParam{key: sub, value: val})
		}
	}
	return out
}

// rfc3986 percent-encodes everything but the unreserved characters, as
// PHP's rawurlencode.
func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// phpURLEncode is PHP's urlencode: like rawurlencode, but space is '+' and
// '~' is encoded.
func phpURLEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
