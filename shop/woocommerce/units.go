package woocommerce

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// WooCommerce keeps a product's weight and dimensions as bare numbers in
// the shop's units (Settings → Products: kg, g, lbs, oz; m, cm, mm, in,
// yd). Measures are converted exactly, via grams and millimetres.

var (
	weightFactors = map[string]decimal.Decimal{
		"g": decimal.NewFromInt(1), "kg": decimal.NewFromInt(1000),
		"lbs": decimal.RequireFromString("453.59237"), "lb": decimal.RequireFromString("453.59237"),
		"oz": decimal.RequireFromString("28.349523125"),
	}
	lengthFactors = map[string]decimal.Decimal{
		"mm": decimal.NewFromInt(1), "cm": decimal.NewFromInt(10), "m": decimal.NewFromInt(1000),
		"in": decimal.RequireFromString("25.4"), "yd": decimal.RequireFromString("914.4"),
	}
)

func validUnit(u string, factors map[string]decimal.Decimal) bool {
	_, ok := factors[strings.ToLower(u)]
	return ok
}

// convert converts v from one unit to another; amounts are kept to six
// decimals, and trailing zeros dropped.
func convert(v decimal.Decimal, from, to string, factors map[string]decimal.Decimal) (decimal.Decimal, error) {
	f, ok1 := factors[strings.ToLower(from)]
	t, ok2 := factors[strings.ToLower(to)]
	if !ok1 || !ok2 {
		return decimal.Decimal{}, fmt.Errorf("cannot convert %s to %s", from, to)
	}
	if strings.EqualFold(from, to) {
		return v, nil
	}
	return v.Mul(f).DivRound(t, 6), nil
}

// kontorWeightUnit is the kontor name of a WooCommerce weight unit.
func kontorWeightUnit(u string) string {
	if u == "lbs" {
		return "lb"
	}
	return u
}

// numberString writes a decimal without trailing zeros, "" for nil.
func numberString(d decimal.Decimal) string { return d.String() }

// weightOut converts a product's weight to the shop's unit.
func (c *Client) weightOut(m *kontor.Measure) (string, error) {
	if m == nil {
		return "", nil
	}
	v, err := convert(m.Value, m.Unit, c.cfg.weightUnit, weightFactors)
	if err != nil {
		return "", err
	}
	return numberString(v), nil
}

// weightIn reads a weight in the shop's unit.
func (c *Client) weightIn(s *string) *kontor.Measure {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	v, err := decimal.NewFromString(strings.TrimSpace(*s))
	if err != nil {
		return nil
	}
	return &kontor.Measure{Value: v, Unit: kontorWeightUnit(c.cfg.weightUnit)}
}

// dimensionsOut converts package dimensions to the shop's unit.
func (c *Client) dimensionsOut(d *kontor.Dimensions) (*Dimensions, error) {
	if d == nil {
		return nil, nil
	}
	var out [3]string
	for i, v := range []decimal.Decimal{d.Length, d.Width, d.Height} {
		x, err := convert(v, d.Unit, c.cfg.dimensionUnit, lengthFactors)
		if err != nil {
			return nil, err
		}
		out[i] = numberString(x)
	}
	return &Dimensions{Length: out[0], Width: out[1], Height: out[2]}, nil
}

// dimensionsIn reads dimensions in the shop's unit; yards become metres,
// which kontor knows.
func (c *Client) dimensionsIn(d *Dimensions) *kontor.Dimensions {
	if d == nil || (d.Length == "" && d.Width == "" && d.Height == "") {
		return nil
	}
	var v [3]decimal.Decimal
	for i, s := range []string{d.Length, d.Width, d.Height} {
		if strings.TrimSpace(s) == "" {
			continue
		}
		x, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil {
			return nil
		}
		v[i] = x
	}
	unit := c.cfg.dimensionUnit
	if unit == "yd" {
		for i := range v {
			v[i], _ = convert(v[i], "yd", "m", lengthFactors)
		}
		unit = "m"
	}
	return &kontor.Dimensions{Length: v[0], Width: v[1], Height: v[2], Unit: unit}
}
