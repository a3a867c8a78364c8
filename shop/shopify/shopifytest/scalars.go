package shopifytest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// The Go types behind the schema's custom scalars. Output only: inputs
// arrive as raw JSON-like values (see input.go), checked against the schema
// by coerce.go before a resolver sees them.

// dateTime is a DateTime: ISO 8601 in UTC with a Z, as Shopify writes it.
type dateTime struct{ t time.Time }

func (dateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }
func (d *dateTime) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("DateTime: want a string, got %T", in)
	}
	t, err := parseDateTime(s)
	d.t = t
	return err
}
func (d dateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.t.UTC().Format(time.RFC3339))
}

// dt returns the DateTime for t.
func dt(t time.Time) dateTime { return dateTime{t} }

// dtp returns a nullable DateTime: nil for the zero time.
func dtp(t time.Time) *dateTime {
	if t.IsZero() {
		return nil
	}
	return &dateTime{t}
}

// parseDateTime accepts RFC 3339 with or without a zone (then UTC) and a
// plain date.
func parseDateTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date time %q", s)
}

// decimalScalar is a Decimal: a string with at least one fractional digit
// ("10.0", "19.99").
type decimalScalar struct{ d decimal.Decimal }

func (decimalScalar) ImplementsGraphQLType(name string) bool { return name == "Decimal" }
func (d *decimalScalar) UnmarshalGraphQL(in any) error {
	v, err := toDecimal(in)
	d.d = v
	return err
}
func (d decimalScalar) MarshalJSON() ([]byte, error) { return json.Marshal(formatDecimal(d.d)) }

// formatDecimal writes d the way Shopify's Decimal scalar does.
func formatDecimal(d decimal.Decimal) string {
	if d.Exponent() >= 0 || d.Equal(d.Truncate(0)) {
		return d.StringFixed(1)
	}
	return d.String()
}

// moneyScalar is a Money: a string with the currency's two decimals.
type moneyScalar struct{ d decimal.Decimal }

func (moneyScalar) ImplementsGraphQLType(name string) bool { return name == "Money" }
func (m *moneyScalar) UnmarshalGraphQL(in any) error {
	v, err := toDecimal(in)
	m.d = v
	return err
}
func (m moneyScalar) MarshalJSON() ([]byte, error) { return json.Marshal(m.d.StringFixed(2)) }

func moneyp(d *decimal.Decimal) *moneyScalar {
	if d == nil {
		return nil
	}
	return &moneyScalar{*d}
}

// toDecimal reads a Decimal or Money input: a string or a JSON number.
func toDecimal(in any) (decimal.Decimal, error) {
	switch v := in.(type) {
	case string:
		return decimal.NewFromString(v)
	case json.Number:
		return decimal.NewFromString(v.String())
	case float64:
		return decimal.NewFromFloat(v), nil
	case int:
		return decimal.NewFromInt(int64(v)), nil
	case int32:
		return decimal.NewFromInt(int64(v)), nil
	case int64:
		return decimal.NewFromInt(v), nil
	}
	return decimal.Decimal{}, fmt.Errorf("cannot read %T as a decimal", in)
}

// urlScalar is a URL.
type urlScalar string

func (urlScalar) ImplementsGraphQLType(name string) bool { return name == "URL" }
func (u *urlScalar) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("URL: want a string, got %T", in)
	}
	*u = urlScalar(s)
	return nil
}
func (u urlScalar) MarshalJSON() ([]byte, error) { return json.Marshal(string(u)) }

func urlp(s string) *urlScalar {
	if s == "" {
		return nil
	}
	u := urlScalar(s)
	return &u
}

// htmlScalar is an HTML string.
type htmlScalar string

func (htmlScalar) ImplementsGraphQLType(name string) bool { return name == "HTML" }
func (h *htmlScalar) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("HTML: want a string, got %T", in)
	}
	*h = htmlScalar(s)
	return nil
}
func (h htmlScalar) MarshalJSON() ([]byte, error) { return json.Marshal(string(h)) }

// jsonScalar is a JSON value, written as it is.
type jsonScalar struct{ v any }

func (jsonScalar) ImplementsGraphQLType(name string) bool { return name == "JSON" }
func (j *jsonScalar) UnmarshalGraphQL(in any) error       { j.v = in; return nil }
func (j jsonScalar) MarshalJSON() ([]byte, error)         { return json.Marshal(j.v) }

// uint64Scalar is an UnsignedInt64, which Shopify writes as a string so that
// no client reads it through a float64.
type uint64Scalar uint64

func (uint64Scalar) ImplementsGraphQLType(name string) bool { return name == "UnsignedInt64" }
func (u *uint64Scalar) UnmarshalGraphQL(in any) error {
	switch v := in.(type) {
	case string:
		n, err := strconv.ParseUint(v, 10, 64)
		*u = uint64Scalar(n)
		return err
	case json.Number:
		n, err := strconv.ParseUint(v.String(), 10, 64)
		*u = uint64Scalar(n)
		return err
	case float64:
		*u = uint64Scalar(v)
		return nil
	case int32:
		*u = uint64Scalar(v)
		return nil
	}
	return fmt.Errorf("UnsignedInt64: cannot read %T", in)
}
func (u uint64Scalar) MarshalJSON() ([]byte, error) {
	return json.Marshal(strconv.FormatUint(uint64(u), 10))
}

func u64p(n int64) *uint64Scalar {
	v := uint64Scalar(n)
	return &v
}
