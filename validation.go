package kontor

import (
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// ValidationError says which entity, which item and which field is invalid,
// and why. It matches ErrValidation and ErrPermanent with errors.Is: sending
// the same item again cannot succeed.
type ValidationError struct {
	Entity Entity // the entity type, e.g. EntityOrder
	Key    string // the key people use: the SKU, the order number
	Field  string // the field path, e.g. "lines[2].tax"
	Reason string // what is wrong
}

// Error returns "order 10042: lines[2].tax: reason".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Entity))
	if e.Key != "" {
		b.WriteString(" ")
		b.WriteString(e.Key)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// ErrorKind returns KindValidation.
func (e *ValidationError) ErrorKind() Kind { return KindValidation }

// Is matches ErrValidation and ErrPermanent.
func (e *ValidationError) Is(target error) bool { return sentinelMatches(KindValidation, target) }

// ValidationErrors are all the problems Validate found in one entity. Its
// Unwrap lets errors.As find the first *ValidationError.
type ValidationErrors []*ValidationError

// Error lists the problems, one per line.
func (es ValidationErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the single errors.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ErrorKind returns KindValidation.
func (es ValidationErrors) ErrorKind() Kind { return KindValidation }

// Is matches ErrValidation and ErrPermanent.
func (es ValidationErrors) Is(target error) bool { return sentinelMatches(KindValidation, target) }

// checker collects the problems of one entity.
type checker struct {
	entity Entity
	key    string
	errs   ValidationErrors
}

func (c *checker) fail(field, format string, args ...any) {
	c.errs = append(c.errs, &ValidationError{Entity: c.entity, Key: c.key, Field: field, Reason: fmt.Sprintf(format, args...)})
}

// check records err, if any, as the reason field is invalid.
func (c *checker) check(field string, err error) {
	if err != nil {
		c.fail(field, "%v", err)
	}
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(field, "is required")
	}
}

func (c *checker) nonNegative(field string, d decimal.Decimal) {
	if d.IsNegative() {
		c.fail(field, "is %s, must not be negative", d)
	}
}

// money checks m's currency, that it is want when want is set, and its sign.
func (c *checker) money(field string, m Money, want Currency, allowNegative bool) {
	if m.IsZero() {
		return
	}
	if err := m.Currency.Validate(); err != nil {
		c.fail(field+".currency", "%v", err)
	} else if want != "" && m.Currency != want {
		c.fail(field+".currency", "is %s, want %s", m.Currency, want)
	}
	if !allowNegative && m.IsNegative() {
		c.fail(field+".amount", "is %s, must not be negative", m.Amount)
	}
}

func (c *checker) window(fromField string, from, to time.Time) {
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		c.fail(fromField, "validity ends %s before it starts %s", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
}

func (c *checker) oneOf(field string, v string, allowed ...string) {
	if v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(field, "is %q, want one of %s", v, strings.Join(allowed, ", "))
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}
