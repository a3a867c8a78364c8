package kontor

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
)

// Currency is an ISO 4217 alphabetic currency code such as "EUR".
type Currency string

// Validate reports whether c is an ISO 4217 code of a currency (not a metal,
// a unit of account or a test code). Replaced codes such as DEM are accepted
// so old documents still validate.
func (c Currency) Validate() error { return CheckCurrency(string(c)) }

// Scale returns the number of minor-unit digits of the currency: 2 for EUR,
// 0 for JPY, 3 for KWD.
func (c Currency) Scale() int32 { return int32(CurrencyScale(string(c))) }

// MinorUnit returns the smallest amount of the currency: 0.01 for EUR.
func (c Currency) MinorUnit() decimal.Decimal { return decimal.New(1, -c.Scale()) }

// Money is an exact amount in a currency. The amount is a decimal, never a
// float; compare amounts with Equal or Cmp, never with ==, since 1.5 and 1.50
// are equal values with different representations.
//
// In JSON, Money is {"amount":"12.34","currency":"EUR"}: the amount is a
// string so no decoder turns it into a float on the way.
type Money struct {
	Amount   decimal.Decimal `json:"amount"`   // exact; compare with Equal
	Currency Currency        `json:"currency"` // ISO 4217
}

// NewMoney returns amount in currency, parsed from its decimal string form.
// It fails on a malformed amount; the currency is checked by Validate.
func NewMoney(amount string, currency Currency) (Money, error) {
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return Money{}, fmt.Errorf("kontor: amount %q: %w", amount, err)
	}
	return Money{Amount: d, Currency: currency}, nil
}

// MustMoney is NewMoney that panics on a malformed amount; for literals in
// tests and examples.
func MustMoney(amount string, currency Currency) Money {
	m, err := NewMoney(amount, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// IsZero reports whether m is the zero value: no amount and no currency. An
// amount of 0.00 EUR is not zero in this sense.
func (m Money) IsZero() bool { return m.Currency == "" && m.Amount.IsZero() }

// Equal reports whether m and o have the same currency and the same value.
func (m Money) Equal(o Money) bool { return m.Currency == o.Currency && m.Amount.Equal(o.Amount) }

// Add returns m + o. It fails when the currencies differ; a zero Money takes
// the other's currency.
func (m Money) Add(o Money) (Money, error) {
	cur, err := sameCurrency(m, o)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: cur}, nil
}

// Sub returns m - o. It fails when the currencies differ.
func (m Money) Sub(o Money) (Money, error) {
	cur, err := sameCurrency(m, o)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: cur}, nil
}

// Mul returns m times the factor, unrounded.
func (m Money) Mul(f decimal.Decimal) Money {
	return Money{Amount: m.Amount.Mul(f), Currency: m.Currency}
}

// Round returns m rounded half away from zero to the currency's minor unit,
// the rounding commercial documents use.
func (m Money) Round() Money {
	return Money{Amount: m.Amount.Round(m.Currency.Scale()), Currency: m.Currency}
}

// Neg returns -m.
func (m Money) Neg() Money { return Money{Amount: m.Amount.Neg(), Currency: m.Currency} }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount.IsNegative() }

// String returns "12.34 EUR" with the currency's minor-unit digits.
func (m Money) String() string {
	if m.Currency == "" {
		return m.Amount.String()
	}
	return m.Amount.StringFixed(m.Currency.Scale()) + " " + string(m.Currency)
}

func sameCurrency(a, b Money) (Currency, error) {
	switch {
	case a.Currency == b.Currency:
		return a.Currency, nil
	case a.IsZero():
		return b.Currency, nil
	case b.IsZero():
		return a.Currency, nil
	}
	return "", fmt.Errorf("kontor: currency mismatch: %s and %s", a.Currency, b.Currency)
}

// Sum adds amounts of one currency; it fails on a currency mismatch.
func Sum(ms ...Money) (Money, error) {
	var total Money
	for _, m := range ms {
		var err error
		if total, err = total.Add(m); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// MarshalJSON writes the amount with at least the currency's minor-unit
// digits ("33.60", not "33.6") and never drops digits beyond them.
func (m Money) MarshalJSON() ([]byte, error) {
	amount := m.Amount.String()
	if m.Currency.Validate() == nil && -m.Amount.Exponent() <= m.Currency.Scale() {
		amount = m.Amount.StringFixed(m.Currency.Scale())
	}
	return json.Marshal(struct {
		Amount   string   `json:"amount"`
		Currency Currency `json:"currency"`
	}{amount, m.Currency})
}
