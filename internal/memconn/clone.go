package memconn

import (
	"reflect"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// Types copied and compared as values: their internals are never changed
// in place, so sharing them is safe, and their meaning is their value.
var (
	decimalType = reflect.TypeFor[decimal.Decimal]()
	timeType    = reflect.TypeFor[time.Time]()
	metaType    = reflect.TypeFor[kontor.Meta]()
)

// Clone returns a deep copy of v: slices, maps and pointers are copied, so
// a caller that changes what it got cannot change what a table stores.
// Decimals and times are copied as the immutable values they are; fields
// that are not exported are shared.
func Clone[T any](v T) T {
	c := v
	rv := reflect.ValueOf(&c).Elem()
	if deepen := copierOf(rv.Type()); deepen != nil {
		deepen(rv)
	}
	return c
}

// A copier replaces, in place, every slice, map and pointer reachable from
// v (a settable shallow copy) with a copy. A type whose shallow copy shares
// nothing has a nil copier.
type copier func(v reflect.Value)

var copiers sync.Map // reflect.Type → copier

// copierOf returns the copier of t, built once per type.
func copierOf(t reflect.Type) copier {
	if c, ok := copiers.Load(t); ok {
		return c.(copier)
	}
	c := buildCopier(t, make(map[reflect.Type]*copier))
	copiers.Store(t, c)
	return c
}

// buildCopier builds t's copier; building holds the copiers of the types
// being built, so a recursive type refers to itself.
func buildCopier(t reflect.Type, building map[reflect.Type]*copier) copier {
	if c, ok := copiers.Load(t); ok {
		return c.(copier)
	}
	if p, ok := building[t]; ok {
		return func(v reflect.Value) {
			if *p != nil {
				(*p)(v)
			}
		}
	}
	var c copier
	building[t] = &c
	defer delete(building, t)
	switch t.Kind() {
	case reflect.Slice:
		elem := buildCopier(t.Elem(), building)
		c = func(v reflect.Value) {
			if v.IsNil() {
				return
			}
			n := reflect.MakeSlice(t, v.Len(), v.Len())
			reflect.Copy(n, v)
			if elem != nil {
				for i := range n.Len() {
					elem(n.Index(i))
				}
			}
			v.Set(n)
		}
	case reflect.Pointer:
		elem := buildCopier(t.Elem(), building)
		c = func(v reflect.Value) {
			if v.IsNil() {
				return
			}
			n := reflect.New(t.Elem())
			n.Elem().Set(v.Elem())
			if elem != nil {
				elem(n.Elem())
			}
			v.Set(n)
		}
	case reflect.Map:
		elem := buildCopier(t.Elem(), building)
		c = func(v reflect.Value) {
			if v.IsNil() {
				return
			}
			n := reflect.MakeMapWithSize(t, v.Len())
			for it := v.MapRange(); it.Next(); {
				e := it.Value()
				if elem != nil {
					ec := reflect.New(t.Elem()).Elem()
					ec.Set(e)
					elem(ec)
					e = ec
				}
				n.SetMapIndex(it.Key(), e)
			}
			v.Set(n)
		}
	case reflect.Array:
		if elem := buildCopier(t.Elem(), building); elem != nil {
			c = func(v reflect.Value) {
				for i := range v.Len() {
					elem(v.Index(i))
				}
			}
		}
	case reflect.Struct:
		if t == decimalType || t == timeType {
			break
		}
		type field struct {
			index int
			copy  copier
		}
		var fields []field
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				if fc := buildCopier(f.Type, building); fc != nil {
					fields = append(fields, field{i, fc})
				}
			}
		}
		if len(fields) > 0 {
			c = func(v reflect.Value) {
				for _, f := range fields {
					f.copy(v.Field(f.index))
				}
			}
		}
	}
	return c
}

// SameContent reports whether a and b hold the same data, as a system
// decides whether a write changes anything: every kontor.Meta (the keys,
// versions and update times the systems assign) is ignored, decimals
// compare by value (1.5 equals 1.50), times by instant, and a nil slice or
// map equals an empty one.
func SameContent(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() {
		return va.IsValid() == vb.IsValid()
	}
	return va.Type() == vb.Type() && sameValue(va, vb)
}

func sameValue(a, b reflect.Value) bool {
	switch t := a.Type(); {
	case t == metaType:
		return true
	case t == decimalType && a.CanInterface():
		return a.Interface().(decimal.Decimal).Equal(b.Interface().(decimal.Decimal))
	case t == timeType && a.CanInterface():
		return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
	}
	switch a.Kind() {
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		for it := a.MapRange(); it.Next(); {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !sameValue(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if a.Kind() == reflect.Interface && a.Elem().Type() != b.Elem().Type() {
			return false
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	}
	// Funcs, channels and unsafe pointers are equal only when both are nil.
	return a.IsNil() && b.IsNil()
}
