package mapping

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/kontor-dev/kontor"
)

// Mapper maps one item of type T for a target system.
type Mapper[T any] interface {
	Map(ctx context.Context, in T) (T, error)
	Version() string // identifies the mapping that produced an output, e.g. "products@3" or a content hash of its file
}

// Func adapts a function to a Mapper with a fixed version. A nil fn maps
// every item to itself.
func Func[T any](version string, fn func(ctx context.Context, in T) (T, error)) Mapper[T] {
	return funcMapper[T]{version: version, fn: fn}
}

type funcMapper[T any] struct {
	version string
	fn      func(ctx context.Context, in T) (T, error)
}

func (f funcMapper[T]) Map(ctx context.Context, in T) (T, error) {
	if f.fn == nil {
		return in, nil
	}
	return f.fn(ctx, in)
}

func (f funcMapper[T]) Version() string { return f.version }

// Chain applies mappers in order; its Version joins theirs with "+", so a
// change of any part changes the whole. The first error stops the chain.
// A chain of no mappers maps every item to itself and has the empty version.
func Chain[T any](ms ...Mapper[T]) Mapper[T] {
	var flat chain[T]
	for _, m := range ms {
		if c, ok := m.(chain[T]); ok {
			flat = append(flat, c...)
		} else if m != nil {
			flat = append(flat, m)
		}
	}
	return flat
}

type chain[T any] []Mapper[T]

func (c chain[T]) Map(ctx context.Context, in T) (T, error) {
	for _, m := range c {
		var err error
		if in, err = m.Map(ctx, in); err != nil {
			var zero T
			return zero, err
		}
	}
	return in, nil
}

// Version is computed on each call, so a part whose version changes (a
// mapping reloaded from its file) changes the chain's.
func (c chain[T]) Version() string {
	parts := make([]string, len(c))
	for i, m := range c {
		parts[i] = m.Version()
	}
	return strings.Join(parts, "+")
}

// VersionOf returns the version of m when it has one (any Mapper does), else
// "". It lets code that holds mappers of different item types as values of
// type any, such as a flow registry, record which mapping produced an output.
func VersionOf(m any) string {
	if v, ok := m.(interface{ Version() string }); ok {
		return v.Version()
	}
	return ""
}

// Rule is one step of a mapping: it reads and changes the item in place.
//
// The item is a shallow copy of the mapper's input: a rule may assign any
// of its fields, but must not write through a slice, map or pointer it did
// not make itself, since those are shared with the source item. Build a new
// slice or map instead; the helpers EachVariant, EachLine, WithExtra and
// WithAttribute do so, and every rule of this package does. A rule must
// not keep item after it returns: the copy is reused for the next item.
type Rule[T any] func(ctx context.Context, item *T) error

// Rules is a Mapper made of rules applied in order. It is immutable and
// safe for concurrent use when its rules are.
type Rules[T any] struct {
	version string
	rules   []Rule[T]
	// items recycles the working copies rules edit: taking the address of
	// a local copy would move it to the heap on every Map.
	items sync.Pool
}

// New returns a mapping that applies rules in order and reports version
// as its Version. Nil rules are skipped.
func New[T any](version string, rules ...Rule[T]) *Rules[T] {
	rs := make([]Rule[T], 0, len(rules))
	for _, r := range rules {
		if r != nil {
			rs = append(rs, r)
		}
	}
	return &Rules[T]{version: version, rules: rs}
}

// Map applies the rules to a copy of in. The first failing rule stops the
// mapping and its error is returned as it is: the rules of this package
// return a *MissingError or a *kontor.ValidationError naming the item and
// the field.
func (r *Rules[T]) Map(ctx context.Context, in T) (T, error) {
	item, _ := r.items.Get().(*T)
	if item == nil {
		item = new(T)
	}
	*item = in
	var err error
	for _, rule := range r.rules {
		if err = rule(ctx, item); err != nil {
			break
		}
	}
	out := *item
	var zero T
	*item = zero // keep no references alive in the pool
	r.items.Put(item)
	if err != nil {
		return zero, err
	}
	return out, nil
}

// Version returns the version given to New, or for a file mapping
// "<file base name>@<version>#<content hash>".
func (r *Rules[T]) Version() string { return r.version }

// Len returns the number of rules.
func (r *Rules[T]) Len() int { return len(r.rules) }

// ErrMissing matches every *MissingError with errors.Is, so the engine can
// tell "the mapping lacks a value" from other permanent failures and replay
// such items once the mapping or the link appears.
var ErrMissing = errors.New("mapping: no mapping")

// MissingError is a value with no mapping, or a reference with no link (an
// unknown SKU). The engine dead-letters such items with class "mapping" and
// replays them when the mapping or the link appears. Value is a code (a
// status, a SKU, a country), never personal data: it is part of the error
// text.
type MissingError struct {
	Entity kontor.Entity // the item's entity, e.g. kontor.EntityOrder
	Key    string        // the item's key: the SKU, the order number
	Field  string        // the field path, e.g. "lines[0].sku"
	Table  string        // the value table or link table consulted
	Value  string        // the value that has no mapping
}

// Error returns `order 1042: lines[0].sku: no mapping for "ABC" in table "skus"`.
func (e *MissingError) Error() string {
	var b strings.Builder
	if e.Entity != "" {
		b.WriteString(string(e.Entity))
		if e.Key != "" {
			b.WriteString(" ")
			b.WriteString(e.Key)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString("no mapping for ")
	b.WriteString(strconv.Quote(e.Value))
	if e.Table != "" {
		b.WriteString(" in table ")
		b.WriteString(strconv.Quote(e.Table))
	}
	return b.String()
}

// ErrorKind returns kontor.KindPermanent: the item cannot pass until the
// mapping changes, so retrying it unchanged is pointless.
func (e *MissingError) ErrorKind() kontor.Kind { return kontor.KindPermanent }

// Is matches ErrMissing and kontor.ErrPermanent.
func (e *MissingError) Is(target error) bool {
	return target == ErrMissing || target == kontor.ErrPermanent
}
