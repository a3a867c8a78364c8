package woocommercetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// This file decodes request bodies and checks their fields as the item
// schema of a WooCommerce controller does for a single request (strict),
// or casts them as WooCommerce's setters do for an item inside a batch
// (lenient: "5" is 5, 9.5 is "9.5", "abc" as an integer is 0).

// decodeBody parses a JSON request body into an ordered map. An empty
// body is an empty object.
func decodeBody(body []byte) (map[string]any, *wpError) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errInvalidJSON()
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		return map[string]any{}, nil // a JSON list or scalar carries no named parameters
	}
	return m, nil
}

type fieldType int

const (
	tString fieldType = iota
	tInt
	tBool
	tEnum
	tDate    // date-time string or null
	tDecimal // a money amount written as a string
	tArray
	tObject
)

type field struct {
	name string
	typ  fieldType
	enum []string
}

// checkFields validates and normalises the known fields of an input
// object. Unknown and read-only fields are dropped. Strict mode gives
// WordPress' rest_invalid_param errors; lenient mode casts where
// WooCommerce's setters cast, and still rejects what cannot be stored
// (an unknown enum value, a malformed date or amount).
func checkFields(in map[string]any, schema []field, strict bool, loc *time.Location) (map[string]any, *wpError) {
	out := map[string]any{}
	var errs []paramError
	for _, f := range schema {
		raw, present := in[f.name]
		if !present {
			continue
		}
		v, perr := coerce(f, raw, strict, loc)
		if perr != nil {
			errs = append(errs, *perr)
			continue
		}
		out[f.name] = v
	}
	if len(errs) > 0 {
		return nil, errInvalidParams(errs)
	}
	return out, nil
}

func coerce(f field, raw any, strict bool, loc *time.Location) (any, *paramError) {
	switch f.typ {
	case tString, tDecimal:
		var s string
		switch x := raw.(type) {
		case string:
			s = x
		case json.Number:
			if strict {
				e := typeError(f.name, "string")
				return nil, &e
			}
			s = string(x)
		case bool:
			if strict {
				e := typeError(f.name, "string")
				return nil, &e
			}
			if x {
				s = "1"
			}
		case nil:
			if strict {
				e := typeError(f.name, "string")
				return nil, &e
			}
		default:
			e := typeError(f.name, "string")
			return nil, &e
		}
		if f.typ == tDecimal {
			s = strings.TrimSpace(s)
			if s != "" { // kept as written, as wc_format_decimal keeps "9.90"
				if _, err := decimal.NewFromString(s); err != nil || strings.ContainsAny(s, "eE") {
					return nil, &paramError{param: f.name, code: "rest_invalid_param", message: fmt.Sprintf("%s is not a valid amount.", f.name)}
				}
			}
		}
		return s, nil
	case tInt:
		if n, ok := restInteger(raw); ok {
			return n, nil
		}
		if raw == nil {
			return nil, nil
		}
		if strict {
			e := typeError(f.name, "integer")
			return nil, &e
		}
		return phpIntval(raw), nil
	case tBool:
		if b, ok := restBoolean(raw); ok {
			return b, nil
		}
		if strict {
			e := typeError(f.name, "boolean")
			return nil, &e
		}
		return raw != nil && raw != "" && raw != false, nil
	case tEnum:
		s, isStr := raw.(string)
		if !isStr {
			if strict {
				e := typeError(f.name, "string")
				return nil, &e
			}
			s = fmt.Sprint(raw)
		}
		if !slices.Contains(f.enum, s) {
			e := enumError(f.name, f.enum)
			return nil, &e
		}
		return s, nil
	case tDate:
		if raw == nil {
			return nil, nil
		}
		s, isStr := raw.(string)
		if !isStr {
			e := typeError(f.name, "string")
			return nil, &e
		}
		if s == "" {
			return nil, nil
		}
		t, _, ok := parseRESTDate(s, loc)
		if !ok {
			return nil, &paramError{param: f.name, code: "rest_invalid_date", message: "Invalid date."}
		}
		return t, nil
	case tArray:
		if a, isArr := raw.([]any); isArr {
			return a, nil
		}
		if m, isObj := raw.(map[string]any); isObj && !strict { // PHP arrays with keys come as objects
			return sortedValues(m), nil
		}
		e := typeError(f.name, "array")
		return nil, &e
	case tObject:
		if m, isObj := raw.(map[string]any); isObj {
			return m, nil
		}
		if a, isArr := raw.([]any); isArr && len(a) == 0 {
			return map[string]any{}, nil
		}
		e := typeError(f.name, "object")
		return nil, &e
	}
	return raw, nil
}

func sortedValues(m map[string]any) []any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// remarshal decodes a checked value (a nested object or array) into a Go
// type.
func remarshal(v any, into any) {
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, into)
}

// flexInt decodes a JSON number or numeric string as PHP's absint/intval
// would; anything else is 0.
type flexInt int64

// UnmarshalJSON reads any JSON value, as PHP casts it.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	*f = flexInt(phpIntval(v))
	return nil
}

// flexString decodes a JSON string, number or boolean as PHP's string cast.
type flexString string

// UnmarshalJSON reads any JSON scalar, as PHP casts it.
func (f *flexString) UnmarshalJSON(b []byte) error {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		*f = flexString(x)
	case json.Number:
		*f = flexString(x)
	case bool:
		if x {
			*f = "1"
		}
	}
	return nil
}

// ---- shared wire types ----

// MetaData is one custom field of a resource (meta_data). Value is any
// JSON value. Writing a value of null deletes the field.
type MetaData struct {
	ID    int64  `json:"id"`
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type metaInput struct {
	ID    flexInt         `json:"id"`
	Key   flexString      `json:"key"`
	Value json.RawMessage `json:"value"`
}

// applyMeta updates meta as WC_Data::update_meta_data does for each
// entry: by id when given, else the first entry with the key, else a new
// entry; a null value deletes.
func (s *Server) applyMeta(meta []MetaData, raw any) []MetaData {
	var in []metaInput
	remarshal(raw, &in)
	for _, m := range in {
		if m.Key == "" {
			continue
		}
		var val any
		if len(m.Value) > 0 {
			dec := json.NewDecoder(bytes.NewReader(m.Value))
			dec.UseNumber()
			_ = dec.Decode(&val)
		}
		idx := -1
		for i := range meta {
			if (m.ID != 0 && meta[i].ID == int64(m.ID)) || (m.ID == 0 && meta[i].Key == string(m.Key)) {
				idx = i
				break
			}
		}
		switch {
		case val == nil && idx >= 0:
			meta = slices.Delete(meta, idx, idx+1)
		case val == nil:
		case idx >= 0:
			meta[idx].Key, meta[idx].Value = string(m.Key), val
		default:
			meta = append(meta, MetaData{ID: s.nextMeta, Key: string(m.Key), Value: val})
			s.nextMeta++
		}
	}
	return meta
}

// Address is a billing or shipping address. Email appears in billing
// addresses only, Phone in billing and (since WooCommerce 5.6) shipping.
type Address struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone"`
}

// billingObject and shippingObject render an address with the members
// WooCommerce sends for each kind.
func billingObject(a Address) object {
	return object{{"first_name", a.FirstName}, {"last_name", a.LastName}, {"company", a.Company},
		{"address_1", a.Address1}, {"address_2", a.Address2}, {"city", a.City}, {"state", a.State},
		{"postcode", a.Postcode}, {"country", a.Country}, {"email", a.Email}, {"phone", a.Phone}}
}

func shippingObject(a Address) object {
	return object{{"first_name", a.FirstName}, {"last_name", a.LastName}, {"company", a.Company},
		{"address_1", a.Address1}, {"address_2", a.Address2}, {"city", a.City}, {"state", a.State},
		{"postcode", a.Postcode}, {"country", a.Country}, {"phone", a.Phone}}
}

// applyAddress sets the members present in raw.
func applyAddress(a *Address, raw any) {
	m, _ := raw.(map[string]any)
	str := func(k string, dst *string) {
		if v, ok := m[k]; ok {
			var f flexString
			remarshal(v, &f)
			*dst = string(f)
		}
	}
	str("first_name", &a.FirstName)
	str("last_name", &a.LastName)
	str("company", &a.Company)
	str("address_1", &a.Address1)
	str("address_2", &a.Address2)
	str("city", &a.City)
	str("state", &a.State)
	str("postcode", &a.Postcode)
	str("country", &a.Country)
	str("email", &a.Email)
	str("phone", &a.Phone)
}

// toObject turns a value into ordered JSON members (struct field order),
// so that responses can be filtered and extended.
func toObject(v any) any {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	out, _ := readValue(dec)
	return out
}

func readValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, isDelim := tok.(json.Delim)
	if !isDelim {
		return tok, nil
	}
	if d == '{' {
		o := object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := readValue(dec)
			if err != nil {
				return nil, err
			}
			o = append(o, kv{kt.(string), v})
		}
		_, err = dec.Token()
		return o, err
	}
	arr := []any{}
	for dec.More() {
		v, err := readValue(dec)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
	}
	_, err = dec.Token()
	return arr, err
}

// links builds a _links member.
func links(rels ...string) kv {
	o := object{}
	for i := 0; i+1 < len(rels); i += 2 {
		o = append(o, kv{rels[i], []any{object{{"href", rels[i+1]}}}})
	}
	return kv{"_links", o}
}

// withLinks renders v (a struct) followed by its _links as raw JSON,
// without going through an ordered object: the fast path for lists.
func withLinks(v any, l kv) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b := bytes.TrimRight(buf.Bytes(), "\n")
	b = b[:len(b)-1] // the closing brace
	lb, _ := l.v.(object).MarshalJSON()
	b = append(b, `,"_links":`...)
	b = append(b, lb...)
	return append(b, '}')
}

// objectWithLinks is withLinks as ordered members, for bodies that are
// changed further.
func objectWithLinks(v any, l kv) object {
	o, _ := toObject(v).(object)
	return append(o, l)
}

// money formats an amount with two decimals, as WooCommerce sends totals.
func money(d decimal.Decimal) string { return d.StringFixed(2) }

func dec(s string) decimal.Decimal {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return decimal.Zero
	}
	return d
}

// idError is "woocommerce_rest_<type>_invalid_id": 404 on reads and
// deletes, 400 on updates.
func idError(postType string, status int) *wpError {
	return newError(status, "woocommerce_rest_"+postType+"_invalid_id", "Invalid ID.")
}

func created(body any, location string) *reply {
	return &reply{status: http.StatusCreated, header: http.Header{"Location": {location}}, body: body}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
