package mapping

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/kontor-dev/kontor"
	"golang.org/x/text/language"
)

// Conventional table names. The rule constructors of this file report them
// in a *MissingError, so the engine can tell which table lacks an entry.
const (
	TableOrderStatus   = "order_status"
	TablePaymentStatus = "payment_status"
	TableTaxClass      = "tax_class"
	TableUnit          = "unit"
	TableCarrier       = "carrier"
	TablePaymentMethod = "payment_method"
	TableCountry       = "country"
)

// ValueMap is a named table that translates codes of one system into the
// codes of another: order statuses, tax classes, carriers. It is immutable,
// so one table serves concurrent mappings. A nil *ValueMap has no entries.
type ValueMap struct {
	name       string
	entries    map[string]string
	def        string
	hasDefault bool
	ignoreCase bool
}

// ValueOption configures a ValueMap.
type ValueOption func(*valueConfig)

type valueConfig struct {
	def        string
	hasDefault bool
	ignoreCase bool
}

// WithDefault makes Lookup return def for a value the table does not list,
// instead of a *MissingError. Use it only where a fallback is correct (a
// carrier "other"); an order status with a default hides new statuses.
func WithDefault(def string) ValueOption {
	return func(c *valueConfig) { c.def, c.hasDefault = def, true }
}

// IgnoreCase makes Lookup compare values lower-cased, for systems that
// write "Paid", "PAID" and "paid" alike.
func IgnoreCase() ValueOption {
	return func(c *valueConfig) { c.ignoreCase = true }
}

// NewValueMap returns the table name with entries from → to. It fails when
// the name is empty or, with IgnoreCase, two keys differ only in case but
// map to different values.
func NewValueMap(name string, entries map[string]string, opts ...ValueOption) (*ValueMap, error) {
	if name == "" {
		return nil, fmt.Errorf("mapping: a value table needs a name")
	}
	var c valueConfig
	for _, o := range opts {
		o(&c)
	}
	vm := &ValueMap{name: name, def: c.def, hasDefault: c.hasDefault, ignoreCase: c.ignoreCase}
	vm.entries = make(map[string]string, len(entries))
	if !vm.ignoreCase {
		maps.Copy(vm.entries, entries)
		return vm, nil
	}
	for _, k := range slices.Sorted(maps.Keys(entries)) {
		fk := strings.ToLower(k)
		if prev, dup := vm.entries[fk]; dup && prev != entries[k] {
			return nil, fmt.Errorf("mapping: table %q: keys that differ only in case map to %q and %q", name, prev, entries[k])
		}
		vm.entries[fk] = entries[k]
	}
	return vm, nil
}

// Name returns the table's name.
func (vm *ValueMap) Name() string {
	if vm == nil {
		return ""
	}
	return vm.name
}

// Len returns the number of entries.
func (vm *ValueMap) Len() int {
	if vm == nil {
		return 0
	}
	return len(vm.entries)
}

// Lookup returns the value v maps to, the default when the table has one
// and v is not listed, else a *MissingError naming the table and v.
func (vm *ValueMap) Lookup(v string) (string, error) {
	if out, ok := vm.lookup(v); ok {
		return out, nil
	}
	return "", &MissingError{Table: vm.Name(), Value: v}
}

func (vm *ValueMap) lookup(v string) (string, bool) {
	if vm == nil {
		return "", false
	}
	if vm.ignoreCase {
		v = strings.ToLower(v)
	}
	if out, ok := vm.entries[v]; ok {
		return out, true
	}
	if vm.hasDefault {
		return vm.def, true
	}
	return "", false
}

// Invert returns the table that maps back, named name, for the other
// direction of a flow (the ERP's status back to the shop's). It keeps
// IgnoreCase but not the default, and fails when two keys map to the same
// value, since the way back would be ambiguous.
func (vm *ValueMap) Invert(name string) (*ValueMap, error) {
	if vm == nil {
		return nil, fmt.Errorf("mapping: cannot invert a nil table")
	}
	inv := make(map[string]string, len(vm.entries))
	var clashes []string
	for _, k := range slices.Sorted(maps.Keys(vm.entries)) {
		to := vm.entries[k]
		if vm.ignoreCase {
			to = strings.ToLower(to)
		}
		if prev, dup := inv[to]; dup {
			clashes = append(clashes, fmt.Sprintf("%q and %q both map to %q", prev, k, vm.entries[k]))
			continue
		}
		inv[to] = k
	}
	if len(clashes) > 0 {
		return nil, fmt.Errorf("mapping: table %q cannot be inverted: %s", vm.name, strings.Join(clashes, "; "))
	}
	var opts []ValueOption
	if vm.ignoreCase {
		opts = append(opts, IgnoreCase())
	}
	return NewValueMap(name, inv, opts...)
}

// OrderStatusTable returns the table "order_status" from kontor's order
// statuses to the target's codes. Its keys are checked, so a typo such as
// "canceled" fails at setup instead of leaving orders unmapped.
func OrderStatusTable(m map[kontor.OrderStatus]string, opts ...ValueOption) (*ValueMap, error) {
	known := []kontor.OrderStatus{kontor.OrderPending, kontor.OrderProcessing, kontor.OrderOnHold,
		kontor.OrderPartiallyShipped, kontor.OrderShipped, kontor.OrderDelivered, kontor.OrderCompleted, kontor.OrderCancelled}
	return typedTable(TableOrderStatus, m, known, opts)
}

// PaymentStatusTable returns the table "payment_status" from kontor's
// payment statuses to the target's codes, with its keys checked.
func PaymentStatusTable(m map[kontor.PaymentStatus]string, opts ...ValueOption) (*ValueMap, error) {
	known := []kontor.PaymentStatus{kontor.PaymentPending, kontor.PaymentAuthorized, kontor.PaymentPaid,
		kontor.PaymentPartiallyPaid, kontor.PaymentPartiallyRefunded, kontor.PaymentRefunded, kontor.PaymentFailed, kontor.PaymentVoided}
	return typedTable(TablePaymentStatus, m, known, opts)
}

func typedTable[K ~string](name string, m map[K]string, known []K, opts []ValueOption) (*ValueMap, error) {
	entries := make(map[string]string, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("mapping: table %q: %q is not a kontor status; want one of %s", name, k, joinQuoted(known))
		}
		entries[string(k)] = m[k]
	}
	return NewValueMap(name, entries, opts...)
}

func joinQuoted[K ~string](ks []K) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = strconv.Quote(string(k))
	}
	return strings.Join(parts, ", ")
}

// CountryTable returns the table "country" from ISO 3166-1 alpha-2 codes
// (what kontor's addresses hold) to the target's country codes or names.
// Its keys are checked with kontor.CheckCountry.
func CountryTable(m map[string]string, opts ...ValueOption) (*ValueMap, error) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := kontor.CheckCountry(k); err != nil {
			return nil, fmt.Errorf("mapping: table %q: %w", TableCountry, err)
		}
	}
	return NewValueMap(TableCountry, m, opts...)
}

// CountryAlpha3 returns the table "country" from every ISO 3166-1 alpha-2
// code to its alpha-3 code ("DE" → "DEU"; Kosovo "XK" → "XKK"), for
// targets such as EDI partners that use alpha-3. Invert it for the way
// back. It is built once and shared.
func CountryAlpha3() *ValueMap { return countryAlpha3() }

var countryAlpha3 = sync.OnceValue(func() *ValueMap {
	m := make(map[string]string, 250)
	code := []byte{'A', 'A'}
	for a := byte('A'); a <= 'Z'; a++ {
		for b := byte('A'); b <= 'Z'; b++ {
			code[0], code[1] = a, b
			c := string(code)
			if kontor.CheckCountry(c) != nil {
				continue
			}
			r, err := language.ParseRegion(c)
			if err != nil {
				continue
			}
			m[c] = r.ISO3()
		}
	}
	return &ValueMap{name: TableCountry, entries: m}
})

// UnitsRec20 returns the table "unit" from common unit names and
// abbreviations (case ignored: "pcs", "Stk", "kg", "m²", "pair") to UN/ECE
// Recommendation 20 codes ("H87", "KGM", "MTK", "PR"), which EDI messages and
// e-invoices require.
func UnitsRec20() *ValueMap { return unitsRec20 }

var unitsRec20 = func() *ValueMap {
	groups := map[string][]string{
		"H87": {"pcs", "pc", "piece", "pieces", "stk", "stück", "st", "ea", "each", "h87"},
		"C62": {"c62", "one", "unit"},
		"KGM": {"kg", "kgm", "kilogram"},
		"GRM": {"g", "grm", "gram"},
		"MGM": {"mg", "mgm"},
		"TNE": {"t", "tne", "tonne"},
		"LBR": {"lb", "lbs", "lbr", "pound"},
		"ONZ": {"oz", "onz", "ounce"},
		"LTR": {"l", "ltr", "liter", "litre"},
		"MLT": {"ml", "mlt"},
		"MTR": {"m", "mtr", "meter", "metre"},
		"CMT": {"cm", "cmt"},
		"MMT": {"mm", "mmt"},
		"KMT": {"km", "kmt"},
		"INH": {"in", "inh", "inch"},
		"FOT": {"ft", "fot", "foot"},
		"MTK": {"m2", "m²", "qm", "mtk"},
		"MTQ": {"m3", "m³", "cbm", "mtq"},
		"PR":  {"pr", "pair", "paar"},
		"SET": {"set"},
		"DZN": {"dz", "dzn", "dozen"},
		"MIN": {"min", "minute"},
		"HUR": {"h", "hr", "hur", "hour", "std"},
		"DAY": {"d", "day", "tag"},
		"KWH": {"kwh"},
	}
	m := make(map[string]string, 100)
	for code, names := range groups {
		for _, n := range names {
			m[n] = code
		}
	}
	return &ValueMap{name: TableUnit, entries: m, ignoreCase: true}
}()

// MapField returns a rule that replaces the value of the field at path
// (see Field) by its entry in vm. An empty value is left empty: filling it
// is SetDefault's job. A value the table lacks fails the item with a
// *MissingError.
func MapField[T any](path string, vm *ValueMap) (Rule[T], error) {
	acc, err := valueField[T](path, "map")
	if err != nil {
		return nil, err
	}
	if vm == nil {
		return nil, fmt.Errorf("mapping: map %s: no table", path)
	}
	return func(_ context.Context, item *T) error {
		v := acc.get(item)
		if v == "" {
			return nil
		}
		out, ok := vm.lookup(v)
		if !ok {
			return missing(item, path, vm.name, v)
		}
		if out != v {
			acc.set(item, out)
		}
		return nil
	}, nil
}

// mapString maps *p through vm, reporting a miss on field.
func mapString[T any, S ~string](item *T, p *S, field string, vm *ValueMap) error {
	if *p == "" {
		return nil
	}
	out, ok := vm.lookup(string(*p))
	if !ok {
		return missing(item, field, vm.Name(), string(*p))
	}
	*p = S(out)
	return nil
}

func missing[T any](item *T, field, table, value string) *MissingError {
	e, key := itemInfo(item)
	return &MissingError{Entity: e, Key: key, Field: field, Table: table, Value: value}
}

// MapOrderStatus returns a rule that maps the order's status through vm.
func MapOrderStatus(vm *ValueMap) Rule[kontor.Order] {
	return func(_ context.Context, o *kontor.Order) error {
		return mapString(o, &o.Status, "status", vm)
	}
}

// MapPaymentStatus returns a rule that maps the order's payment status and
// its payment's status through vm.
func MapPaymentStatus(vm *ValueMap) Rule[kontor.Order] {
	return func(_ context.Context, o *kontor.Order) error {
		if err := mapString(o, &o.PaymentStatus, "payment_status", vm); err != nil {
			return err
		}
		return mapString(o, &o.Payment.Status, "payment.status", vm)
	}
}

// MapPaymentMethod returns a rule that maps the order's payment method
// through vm.
func MapPaymentMethod(vm *ValueMap) Rule[kontor.Order] {
	return func(_ context.Context, o *kontor.Order) error {
		return mapString(o, &o.Payment.Method, "payment.method", vm)
	}
}

// MapTaxClass returns a rule that maps the product's tax class through vm.
func MapTaxClass(vm *ValueMap) Rule[kontor.Product] {
	return func(_ context.Context, p *kontor.Product) error {
		return mapString(p, &p.TaxClass, "tax_class", vm)
	}
}

// MapUnit returns a rule that maps the product's base unit of measure
// through vm.
func MapUnit(vm *ValueMap) Rule[kontor.Product] {
	return func(_ context.Context, p *kontor.Product) error {
		return mapString(p, &p.Unit, "unit", vm)
	}
}

// CarrierItem are the entities that name a carrier.
type CarrierItem interface {
	kontor.Order | kontor.Shipment
}

// MapCarrier returns a rule that maps carriers through vm: a shipment's
// carrier, or an order's shipping_info.carrier and the carriers of its
// shipping lines. Call it as MapCarrier[kontor.Order](vm).
func MapCarrier[T CarrierItem](vm *ValueMap) Rule[T] {
	var r any
	switch any((*T)(nil)).(type) {
	case *kontor.Shipment:
		r = Rule[kontor.Shipment](func(_ context.Context, s *kontor.Shipment) error {
			return mapString(s, &s.Carrier, "carrier", vm)
		})
	case *kontor.Order:
		r = Rule[kontor.Order](func(_ context.Context, o *kontor.Order) error {
			if err := mapString(o, &o.ShippingInfo.Carrier, "shipping_info.carrier", vm); err != nil {
				return err
			}
			lines, err := editEach(o.ShippingLines, func(i int, l *kontor.ShippingLine) (bool, error) {
				before := l.Carrier
				err := mapString(o, &l.Carrier, fmt.Sprintf("shipping_lines[%d].carrier", i), vm)
				return l.Carrier != before, err
			})
			o.ShippingLines = lines
			return err
		})
	}
	return r.(Rule[T])
}

// AddressItem are the entities that hold addresses.
type AddressItem interface {
	kontor.Order | kontor.Customer
}

// MapCountry returns a rule that maps the country of every address through
// vm: an order's billing and shipping address and its customer's
// addresses, or a customer's addresses. Call it as
// MapCountry[kontor.Order](vm).
func MapCountry[T AddressItem](vm *ValueMap) Rule[T] {
	var r any
	switch any((*T)(nil)).(type) {
	case *kontor.Order:
		r = Rule[kontor.Order](func(_ context.Context, o *kontor.Order) error {
			if err := mapString(o, &o.Billing.Country, "billing.country", vm); err != nil {
				return err
			}
			if err := mapString(o, &o.Shipping.Country, "shipping.country", vm); err != nil {
				return err
			}
			return mapAddresses(o, &o.Customer.Addresses, "customer.addresses", vm)
		})
	case *kontor.Customer:
		r = Rule[kontor.Customer](func(_ context.Context, c *kontor.Customer) error {
			return mapAddresses(c, &c.Addresses, "addresses", vm)
		})
	}
	return r.(Rule[T])
}

func mapAddresses[T any](item *T, addrs *[]kontor.Address, field string, vm *ValueMap) error {
	out, err := editEach(*addrs, func(i int, a *kontor.Address) (bool, error) {
		before := a.Country
		err := mapString(item, &a.Country, fmt.Sprintf("%s[%d].country", field, i), vm)
		return a.Country != before, err
	})
	*addrs = out
	return err
}

// editEach applies fn to a copy of each element of s and returns s, or a
// copy of s holding the elements fn changed: the source's backing array is
// never written. On an error it returns s unchanged.
func editEach[E any](s []E, fn func(i int, e *E) (changed bool, err error)) ([]E, error) {
	out, copied := s, false
	for i := range s {
		e := s[i]
		changed, err := fn(i, &e)
		if err != nil {
			return s, err
		}
		if changed {
			if !copied {
				out, copied = slices.Clone(s), true
			}
			out[i] = e
		}
	}
	return out, nil
}

// EachVariant returns a rule that applies fn to every variant of a
// product. The variants are copied first, so fn may assign a variant's
// fields; a variant's own slices (Options, Attributes) are still shared and
// must be replaced, not written to.
func EachVariant(fn func(ctx context.Context, v *kontor.Variant) error) Rule[kontor.Product] {
	return func(ctx context.Context, p *kontor.Product) error {
		if len(p.Variants) == 0 {
			return nil
		}
		vs := slices.Clone(p.Variants)
		for i := range vs {
			if err := fn(ctx, &vs[i]); err != nil {
				return err
			}
		}
		p.Variants = vs
		return nil
	}
}

// EachLine returns a rule that applies fn to every line of an order, on a
// copy of the lines as EachVariant does.
func EachLine(fn func(ctx context.Context, l *kontor.OrderLine) error) Rule[kontor.Order] {
	return func(ctx context.Context, o *kontor.Order) error {
		if len(o.Lines) == 0 {
			return nil
		}
		ls := slices.Clone(o.Lines)
		for i := range ls {
			if err := fn(ctx, &ls[i]); err != nil {
				return err
			}
		}
		o.Lines = ls
		return nil
	}
}

// WithExtra returns m with key set to value, or removed for an empty value,
// as a new map; m itself is never written, since it is shared with the
// source item. It returns m when nothing changes.
func WithExtra(m map[string]string, key, value string) map[string]string {
	old, has := m[key]
	switch {
	case value == "" && !has, value != "" && has && old == value:
		return m
	case value == "" && len(m) == 1:
		return nil
	}
	out := make(map[string]string, len(m)+1)
	maps.Copy(out, m)
	if value == "" {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

// WithAttribute returns attrs with the attribute name set to value (the
// first of that name replaced, or one appended), or every attribute of
// that name removed for an empty value, as a new slice; attrs itself is
// never written. It returns attrs when nothing changes.
func WithAttribute(attrs []kontor.Attribute, name, value string) []kontor.Attribute {
	i := slices.IndexFunc(attrs, func(a kontor.Attribute) bool { return a.Name == name })
	switch {
	case value == "" && i < 0, value != "" && i >= 0 && attrs[i].Value == value:
		return attrs
	case value == "":
		out := slices.DeleteFunc(slices.Clone(attrs), func(a kontor.Attribute) bool { return a.Name == name })
		if len(out) == 0 {
			return nil
		}
		return out
	case i >= 0:
		out := slices.Clone(attrs)
		out[i].Value = value
		return out
	}
	return append(slices.Clip(attrs), kontor.Attribute{Name: name, Value: value})
}

// withListEntry returns list with v added unless present, or nil for an
// empty v, without writing list.
func withListEntry(list []string, v string) []string {
	if v == "" {
		return nil
	}
	if slices.Contains(list, v) {
		return list
	}
	return append(slices.Clip(list), v)
}

// Move returns a rule that moves the value of the field at from to the
// field at to, overwriting it, and clears from: a field rename between two
// systems that keep a value in different places (the ERP's
// extra.erp_brand is the shop's brand). An empty from changes nothing.
func Move[T any](from, to string) (Rule[T], error) {
	src, err := valueField[T](from, "move")
	if err != nil {
		return nil, err
	}
	dst, err := fieldAccess[T](to)
	if err != nil {
		return nil, err
	}
	if from == to {
		return nil, fmt.Errorf("mapping: move %s to itself", from)
	}
	return func(_ context.Context, item *T) error {
		v := src.get(item)
		if v == "" {
			return nil
		}
		dst.set(item, v)
		src.set(item, "")
		return nil
	}, nil
}

// MoveAttribute returns a rule that moves the product attribute name into
// the field at to: attribute "Marke" becomes the brand.
func MoveAttribute(name, to string) (Rule[kontor.Product], error) {
	if name == "" {
		return nil, fmt.Errorf("mapping: move attribute: no attribute name")
	}
	return Move[kontor.Product]("attributes."+name, to)
}

// SetDefault returns a rule that sets the field at path to value where it
// is empty or blank: the carrier every order ships with when the shop says
// none.
func SetDefault[T any](path, value string) (Rule[T], error) {
	acc, err := fieldAccess[T](path)
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, item *T) error {
		if strings.TrimSpace(acc.get(item)) == "" {
			acc.set(item, value)
		}
		return nil
	}, nil
}

// Set returns a rule that sets the field at path to value on every item:
// the channel a target files every order under.
func Set[T any](path, value string) (Rule[T], error) {
	acc, err := fieldAccess[T](path)
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, item *T) error {
		acc.set(item, value)
		return nil
	}, nil
}

// Field returns the getter and setter of the string field at path of T, a
// kontor entity type, so that rules from a file address fields by name.
// Paths are the JSON names of the fields, dotted into nested structs
// ("shipping_info.carrier", "customer.customer_group", "billing.country");
// a product also has "extra.<key>" and "attributes.<name>", and list fields
// (a product's "categories", "tags") read as their first entry and take a
// write as an added entry. Setting "" clears a field, removes the extra key
// or attribute, or empties the list. Setters never write into memory the
// item shares with its source. ok is false for a path T does not have.
func Field[T any](path string) (get func(*T) string, set func(*T, string), ok bool) {
	acc, ok := lookupField[T](path)
	if !ok {
		return nil, nil, false
	}
	return acc.get, acc.set, true
}

// Fields returns the fixed field paths of T, sorted; the dynamic ones
// ("extra.<key>", "attributes.<name>") are listed with their prefix only.
func Fields[T any]() []string {
	var names []string
	switch any((*T)(nil)).(type) {
	case *kontor.Product:
		names = slices.AppendSeq(names, maps.Keys(productFields))
		names = append(names, "extra.", "attributes.")
	case *kontor.Price:
		names = slices.AppendSeq(names, maps.Keys(priceFields))
	case *kontor.StockLevel:
		names = slices.AppendSeq(names, maps.Keys(stockFields))
	case *kontor.Order:
		names = slices.AppendSeq(names, maps.Keys(orderFields))
	case *kontor.Customer:
		names = slices.AppendSeq(names, maps.Keys(customerFields))
	case *kontor.Shipment:
		names = slices.AppendSeq(names, maps.Keys(shipmentFields))
	case *kontor.Return:
		names = slices.AppendSeq(names, maps.Keys(returnFields))
	case *kontor.StatusUpdate:
		names = slices.AppendSeq(names, maps.Keys(statusFields))
	}
	slices.Sort(names)
	return names
}

// access reads and writes one string field.
type access[T any] struct {
	get  func(*T) string
	set  func(*T, string)
	list bool // a list field: reads its first entry, a write adds one
}

// fieldAccess is lookupField with an error that names the entity and
// suggests a near field.
func fieldAccess[T any](path string) (access[T], error) {
	acc, ok := lookupField[T](path)
	if !ok {
		return access[T]{}, fmt.Errorf("mapping: %s", unknownField[T](path))
	}
	return acc, nil
}

// valueField is fieldAccess for rules that rewrite a field's value, which
// a list field, read as its first entry and written by adding one, would
// duplicate instead.
func valueField[T any](path, rule string) (access[T], error) {
	acc, err := fieldAccess[T](path)
	if err == nil && acc.list {
		err = fmt.Errorf("mapping: %s: %s", rule, listMessage(path))
	}
	return acc, err
}

func listMessage(path string) string {
	return path + " is a list; only set, default, require and a move into it apply"
}

// unknownField says that T has no field path.
func unknownField[T any](path string) string {
	e := entityOf[T]()
	if e == "" {
		return fmt.Sprintf("%T is not a kontor entity; it has no field %q", *new(T), path)
	}
	return fmt.Sprintf("%s has no field %q%s", e, path, suggest(path, Fields[T]()))
}

func lookupField[T any](path string) (access[T], bool) {
	var a any
	var ok bool
	switch any((*T)(nil)).(type) {
	case *kontor.Product:
		a, ok = productField(path)
	case *kontor.Price:
		a, ok = priceFields[path]
	case *kontor.StockLevel:
		a, ok = stockFields[path]
	case *kontor.Order:
		a, ok = orderFields[path]
	case *kontor.Customer:
		a, ok = customerFields[path]
	case *kontor.Shipment:
		a, ok = shipmentFields[path]
	case *kontor.Return:
		a, ok = returnFields[path]
	case *kontor.StatusUpdate:
		a, ok = statusFields[path]
	}
	if !ok {
		return access[T]{}, false
	}
	return a.(access[T]), true
}

func productField(path string) (access[kontor.Product], bool) {
	if a, ok := productFields[path]; ok {
		return a, true
	}
	if key, ok := strings.CutPrefix(path, "extra."); ok && key != "" {
		return access[kontor.Product]{
			get: func(p *kontor.Product) string { return p.Extra[key] },
			set: func(p *kontor.Product, v string) { p.Extra = WithExtra(p.Extra, key, v) },
		}, true
	}
	if name, ok := strings.CutPrefix(path, "attributes."); ok && name != "" {
		return access[kontor.Product]{
			get: func(p *kontor.Product) string {
				if i := slices.IndexFunc(p.Attributes, func(a kontor.Attribute) bool { return a.Name == name }); i >= 0 {
					return p.Attributes[i].Value
				}
				return ""
			},
			set: func(p *kontor.Product, v string) { p.Attributes = WithAttribute(p.Attributes, name, v) },
		}, true
	}
	return access[kontor.Product]{}, false
}

// str is the access to the string-like field that sel points to.
func str[T any, S ~string](sel func(*T) *S) access[T] {
	return access[T]{
		get: func(t *T) string { return string(*sel(t)) },
		set: func(t *T, v string) { *sel(t) = S(v) },
	}
}

// list is the access to a list field: its first entry, and adding one.
func list[T any](sel func(*T) *[]string) access[T] {
	return access[T]{
		get: func(t *T) string {
			if l := *sel(t); len(l) > 0 {
				return l[0]
			}
			return ""
		},
		set:  func(t *T, v string) { *sel(t) = withListEntry(*sel(t), v) },
		list: true,
	}
}

func addMeta[T any](m map[string]access[T], prefix string, sel func(*T) *kontor.Meta) {
	m[prefix+"erp_key"] = str(func(t *T) *string { return &sel(t).ERPKey })
	m[prefix+"shop_key"] = str(func(t *T) *string { return &sel(t).ShopKey })
}

func addAddress[T any](m map[string]access[T], prefix string, sel func(*T) *kontor.Address) {
	m[prefix+"kind"] = str(func(t *T) *string { return &sel(t).Kind })
	m[prefix+"first_name"] = str(func(t *T) *string { return &sel(t).FirstName })
	m[prefix+"last_name"] = str(func(t *T) *string { return &sel(t).LastName })
	m[prefix+"company"] = str(func(t *T) *string { return &sel(t).Company })
	m[prefix+"street"] = str(func(t *T) *string { return &sel(t).Street })
	m[prefix+"street2"] = str(func(t *T) *string { return &sel(t).Street2 })
	m[prefix+"postal_code"] = str(func(t *T) *string { return &sel(t).PostalCode })
	m[prefix+"city"] = str(func(t *T) *string { return &sel(t).City })
	m[prefix+"region"] = str(func(t *T) *string { return &sel(t).Region })
	m[prefix+"country"] = str(func(t *T) *string { return &sel(t).Country })
	m[prefix+"phone"] = str(func(t *T) *string { return &sel(t).Phone })
	m[prefix+"email"] = str(func(t *T) *string { return &sel(t).Email })
	m[prefix+"vat_id"] = str(func(t *T) *string { return &sel(t).VATID })
	m[prefix+"description"] = str(func(t *T) *string { return &sel(t).Description })
}

func addCustomer[T any](m map[string]access[T], prefix string, sel func(*T) *kontor.Customer) {
	addMeta(m, prefix, func(t *T) *kontor.Meta { return &sel(t).Meta })
	m[prefix+"number"] = str(func(t *T) *string { return &sel(t).Number })
	m[prefix+"type"] = str(func(t *T) *kontor.CustomerType { return &sel(t).Type })
	m[prefix+"email"] = str(func(t *T) *string { return &sel(t).Email })
	m[prefix+"phone"] = str(func(t *T) *string { return &sel(t).Phone })
	m[prefix+"first_name"] = str(func(t *T) *string { return &sel(t).FirstName })
	m[prefix+"last_name"] = str(func(t *T) *string { return &sel(t).LastName })
	m[prefix+"company"] = str(func(t *T) *string { return &sel(t).Company })
	m[prefix+"vat_id"] = str(func(t *T) *string { return &sel(t).VATID })
	m[prefix+"customer_group"] = str(func(t *T) *string { return &sel(t).CustomerGroup })
	m[prefix+"language"] = str(func(t *T) *string { return &sel(t).Language })
}

// The field tables: explicit accessors, so mapping an item reflects on
// nothing.
var (
	productFields = func() map[string]access[kontor.Product] {
		type P = kontor.Product
		m := map[string]access[P]{
			"sku":               str(func(p *P) *string { return &p.SKU }),
			"title":             str(func(p *P) *string { return &p.Title }),
			"description":       str(func(p *P) *string { return &p.Description }),
			"short_description": str(func(p *P) *string { return &p.ShortDescription }),
			"gtin":              str(func(p *P) *string { return &p.GTIN }),
			"mpn":               str(func(p *P) *string { return &p.MPN }),
			"brand":             str(func(p *P) *string { return &p.Brand }),
			"tax_class":         str(func(p *P) *string { return &p.TaxClass }),
			"unit":              str(func(p *P) *string { return &p.Unit }),
			"status":            str(func(p *P) *kontor.ProductStatus { return &p.Status }),
			"categories":        list(func(p *P) *[]string { return &p.Categories }),
			"tags":              list(func(p *P) *[]string { return &p.Tags }),
		}
		addMeta(m, "", func(p *P) *kontor.Meta { return &p.Meta })
		return m
	}()
	priceFields = func() map[string]access[kontor.Price] {
		type P = kontor.Price
		m := map[string]access[P]{
			"sku":            str(func(p *P) *string { return &p.SKU }),
			"customer_group": str(func(p *P) *string { return &p.CustomerGroup }),
		}
		addMeta(m, "", func(p *P) *kontor.Meta { return &p.Meta })
		return m
	}()
	stockFields = func() map[string]access[kontor.StockLevel] {
		type S = kontor.StockLevel
		m := map[string]access[S]{
			"sku":      str(func(s *S) *string { return &s.SKU }),
			"location": str(func(s *S) *string { return &s.Location }),
		}
		addMeta(m, "", func(s *S) *kontor.Meta { return &s.Meta })
		return m
	}()
	orderFields = func() map[string]access[kontor.Order] {
		type O = kontor.Order
		m := map[string]access[O]{
			"number":                 str(func(o *O) *string { return &o.Number }),
			"channel":                str(func(o *O) *string { return &o.Channel }),
			"status":                 str(func(o *O) *kontor.OrderStatus { return &o.Status }),
			"payment_status":         str(func(o *O) *kontor.PaymentStatus { return &o.PaymentStatus }),
			"note":                   str(func(o *O) *string { return &o.Note }),
			"tags":                   list(func(o *O) *[]string { return &o.Tags }),
			"payment.method":         str(func(o *O) *string { return &o.Payment.Method }),
			"payment.gateway":        str(func(o *O) *string { return &o.Payment.Gateway }),
			"payment.status":         str(func(o *O) *kontor.PaymentStatus { return &o.Payment.Status }),
			"payment.transaction_id": str(func(o *O) *string { return &o.Payment.TransactionID }),
			"shipping_info.method":   str(func(o *O) *string { return &o.ShippingInfo.Method }),
			"shipping_info.carrier":  str(func(o *O) *string { return &o.ShippingInfo.Carrier }),
		}
		addMeta(m, "", func(o *O) *kontor.Meta { return &o.Meta })
		addCustomer(m, "customer.", func(o *O) *kontor.Customer { return &o.Customer })
		addAddress(m, "billing.", func(o *O) *kontor.Address { return &o.Billing })
		addAddress(m, "shipping.", func(o *O) *kontor.Address { return &o.Shipping })
		return m
	}()
	customerFields = func() map[string]access[kontor.Customer] {
		m := map[string]access[kontor.Customer]{}
		addCustomer(m, "", func(c *kontor.Customer) *kontor.Customer { return c })
		return m
	}()
	shipmentFields = func() map[string]access[kontor.Shipment] {
		type S = kontor.Shipment
		m := map[string]access[S]{
			"number":       str(func(s *S) *string { return &s.Number }),
			"order_number": str(func(s *S) *string { return &s.OrderNumber }),
			"carrier":      str(func(s *S) *string { return &s.Carrier }),
			"service":      str(func(s *S) *string { return &s.Service }),
		}
		addMeta(m, "", func(s *S) *kontor.Meta { return &s.Meta })
		return m
	}()
	returnFields = func() map[string]access[kontor.Return] {
		type R = kontor.Return
		m := map[string]access[R]{
			"number":       str(func(r *R) *string { return &r.Number }),
			"order_number": str(func(r *R) *string { return &r.OrderNumber }),
			"reason":       str(func(r *R) *string { return &r.Reason }),
			"status":       str(func(r *R) *kontor.ReturnStatus { return &r.Status }),
			"credit_note":  str(func(r *R) *string { return &r.CreditNote }),
		}
		addMeta(m, "", func(r *R) *kontor.Meta { return &r.Meta })
		return m
	}()
	statusFields = func() map[string]access[kontor.StatusUpdate] {
		type S = kontor.StatusUpdate
		m := map[string]access[S]{
			"order_number":   str(func(s *S) *string { return &s.OrderNumber }),
			"order_status":   str(func(s *S) *kontor.OrderStatus { return &s.OrderStatus }),
			"payment_status": str(func(s *S) *kontor.PaymentStatus { return &s.PaymentStatus }),
			"return_number":  str(func(s *S) *string { return &s.ReturnNumber }),
			"return_status":  str(func(s *S) *kontor.ReturnStatus { return &s.ReturnStatus }),
			"source":         str(func(s *S) *kontor.Side { return &s.Source }),
			"reason":         str(func(s *S) *string { return &s.Reason }),
		}
		addMeta(m, "", func(s *S) *kontor.Meta { return &s.Meta })
		return m
	}()
)

// entityOf returns the kontor entity T is, or "" for another type.
func entityOf[T any]() kontor.Entity {
	switch any((*T)(nil)).(type) {
	case *kontor.Product:
		return kontor.EntityProduct
	case *kontor.Price:
		return kontor.EntityPrice
	case *kontor.StockLevel:
		return kontor.EntityStock
	case *kontor.Order:
		return kontor.EntityOrder
	case *kontor.Customer:
		return kontor.EntityCustomer
	case *kontor.Shipment:
		return kontor.EntityShipment
	case *kontor.Return:
		return kontor.EntityReturn
	case *kontor.StatusUpdate:
		return kontor.EntityStatus
	}
	return ""
}

// itemInfo returns the item's entity and the key people use, never
// personal data: errors carry it into logs.
func itemInfo[T any](item *T) (kontor.Entity, string) {
	switch v := any(item).(type) {
	case *kontor.Product:
		return kontor.EntityProduct, v.SKU
	case *kontor.Price:
		return kontor.EntityPrice, v.Key()
	case *kontor.StockLevel:
		return kontor.EntityStock, v.Key()
	case *kontor.Order:
		return kontor.EntityOrder, v.Number
	case *kontor.Customer:
		switch {
		case v.Number != "":
			return kontor.EntityCustomer, v.Number
		case v.ShopKey != "":
			return kontor.EntityCustomer, v.ShopKey
		}
		return kontor.EntityCustomer, v.ERPKey
	case *kontor.Shipment:
		return kontor.EntityShipment, v.Number
	case *kontor.Return:
		return kontor.EntityReturn, v.Number
	case *kontor.StatusUpdate:
		return kontor.EntityStatus, v.Key()
	}
	return "", ""
}

// suggest returns ` (did you mean "x"?)` for the candidate nearest to s
// within two edits (the first in sort order among equals), else "".
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(s, c, 3)
		if d < bestD || (d == bestD && d < 3 && c < best) {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance of a and b in bytes, or limit
// when it is at least limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
