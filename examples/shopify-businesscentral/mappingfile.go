package main

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"go.yaml.in/yaml/v3"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/syncer"
)

// exampleMapping is mapping.yaml as shipped, used when no file is named.
//
//go:embed mapping.yaml
var exampleMapping []byte

// mappings are the rules of a mapping file, one set per entity; an entity
// the file has no document for is mapped as it is.
type mappings struct {
	// options holds each entity's syncer.Map option.
	options map[kontor.Entity]syncer.FlowOption
	// versions names each entity's mapping version, for the plan's header.
	versions map[kontor.Entity]string
	// paymentTerms and shipmentMethods are the codes the order rules can
	// write into payment.method and shipping_info.method: Business
	// Central's connector attaches a sales order's payment terms and
	// shipment method by code, so it is told every code the file produces.
	paymentTerms, shipmentMethods []string
}

// option returns the Map option of entity e, or nil (which flows ignore).
// Orders are always mapped, at least by canonicalOrder.
func (m *mappings) option(e kontor.Entity) syncer.FlowOption {
	if o, ok := m.options[e]; ok || e != kontor.EntityOrder {
		return o
	}
	return syncer.Map(canonicalOrder)
}

// loadMappingFile reads the mapping file at path, or the built-in example
// when path is "".
func loadMappingFile(path string) (*mappings, error) {
	if path == "" {
		return loadMappings("mapping.yaml", exampleMapping)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return loadMappings(path, data)
}

// separator is a line that starts a YAML document.
var separator = regexp.MustCompile(`^---(\s.*)?$`)

// loadMappings splits data into its YAML documents and loads each with
// package mapping for the entity it names. Each document is handed over
// with the lines before it blanked, so a problem is reported at its line
// in the whole file: "mapping.yaml:71: rules[2].map.table: …".
func loadMappings(name string, data []byte) (*mappings, error) {
	m := &mappings{options: map[kontor.Entity]syncer.FlowOption{}, versions: map[kontor.Entity]string{}}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var errs []error
	start := 0
	flush := func(end int) {
		doc := lines[start:end]
		if !hasContent(doc) {
			return
		}
		padded := append(bytes.Repeat([]byte("\n"), start), bytes.Join(doc, nil)...)
		if err := m.load(name, start+1, padded); err != nil {
			errs = append(errs, err)
		}
	}
	for i, l := range lines {
		if separator.Match(bytes.TrimRight(l, "\r\n")) {
			flush(i)
			start = i + 1
		}
	}
	flush(len(lines))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// hasContent reports whether a document has more than comments and blank
// lines.
func hasContent(doc [][]byte) bool {
	for _, l := range doc {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// head is what the app reads of a document itself: its entity, and the
// tables and rules that decide payment terms and shipment method codes.
// Everything else package mapping reads and checks.
type head struct {
	Entity string `yaml:"entity"`
	Values map[string]struct {
		Map     map[string]string `yaml:"map"`
		Default *string           `yaml:"default"`
	} `yaml:"values"`
	Rules []map[string]map[string]string `yaml:"rules"`
}

// load loads one document, which starts at line first.
func (m *mappings) load(name string, first int, doc []byte) error {
	var h head
	if err := yaml.Unmarshal(doc, &h); err != nil && h.Entity == "" {
		// Package mapping reports syntax errors best, with their lines.
		_, err := mapping.Load[kontor.Product](name, doc)
		return err
	}
	e := kontor.Entity(h.Entity)
	if _, dup := m.versions[e]; dup {
		return fmt.Errorf("%s:%d: a second document for entity %q; one per entity", name, first, e)
	}
	var (
		opt     syncer.FlowOption
		version string
		err     error
	)
	switch e {
	case kontor.EntityProduct:
		opt, version, err = load[kontor.Product](name, doc)
	case kontor.EntityPrice:
		opt, version, err = load[kontor.Price](name, doc)
	case kontor.EntityStock:
		opt, version, err = load[kontor.StockLevel](name, doc)
	case kontor.EntityOrder:
		var rules *mapping.Rules[kontor.Order]
		if rules, err = mapping.Load[kontor.Order](name, doc); err == nil {
			version = rules.Version()
			opt = syncer.Map(mapping.Chain(rules, canonicalOrder))
		}
		m.paymentTerms = h.codes("payment.method")
		m.shipmentMethods = h.codes("shipping_info.method")
	case kontor.EntityCustomer:
		opt, version, err = load[kontor.Customer](name, doc)
	case kontor.EntityShipment:
		opt, version, err = load[kontor.Shipment](name, doc)
	case kontor.EntityReturn:
		opt, version, err = load[kontor.Return](name, doc)
	case kontor.EntityStatus:
		opt, version, err = load[kontor.StatusUpdate](name, doc)
	default:
		if h.Entity == "" {
			return fmt.Errorf("%s:%d: the document has no entity; want entity: product, price, order, …", name, first)
		}
		names := make([]string, len(kontor.Entities))
		for i, x := range kontor.Entities {
			names[i] = string(x)
		}
		return fmt.Errorf("%s:%d: the document names entity %q; want one of %s", name, first, h.Entity, strings.Join(names, ", "))
	}
	if err != nil {
		return err
	}
	m.options[e], m.versions[e] = opt, version
	return nil
}

// load loads a document's rules for T.
func load[T any](name string, doc []byte) (syncer.FlowOption, string, error) {
	rules, err := mapping.Load[T](name, doc)
	if err != nil {
		return nil, "", err
	}
	return syncer.Map[T](rules), rules.Version(), nil
}

// codes returns every value the document's rules can write into field:
// the entries and default of the tables mapped into it, and the values
// set into it.
func (h head) codes(field string) []string {
	set := map[string]bool{}
	for _, r := range h.Rules {
		for kind, p := range r {
			if p["field"] != field {
				continue
			}
			switch kind {
			case "map":
				t := h.Values[p["table"]]
				for _, v := range t.Map {
					set[v] = true
				}
				if t.Default != nil {
					set[*t.Default] = true
				}
			case "set", "default":
				set[p["value"]] = true
			}
		}
	}
	delete(set, "")
	return slices.Sorted(maps.Keys(set))
}

// identity maps each code to itself: the order rules already wrote the
// code, so the connector looks it up as it is.
func identity(codes []string) map[string]string {
	m := make(map[string]string, len(codes))
	for _, c := range codes {
		m[c] = c
	}
	return m
}

// canonicalOrder writes each amount of an order with the fewest decimals
// that hold it (1000.8, not 1000.8000) and its time in UTC. The engine
// compares orders by a hash of their JSON (orders ignore their status
// fields, which takes that path), in which an amount keeps the decimals
// it was computed with and a time its zone: the same order read from a
// webhook and from a sweep would otherwise differ and be sent again
// (Business Central finds it and changes nothing, but the look-up is a
// wasted request).
var canonicalOrder = mapping.Func("canonical-order/1", func(_ context.Context, o kontor.Order) (kontor.Order, error) {
	o.PlacedAt = o.PlacedAt.UTC()
	o.Lines = slices.Clone(o.Lines)
	for i := range o.Lines {
		l := &o.Lines[i]
		canonical(&l.UnitPrice, &l.Discount, &l.Net, &l.Tax, &l.Gross)
	}
	o.ShippingLines = slices.Clone(o.ShippingLines)
	for i := range o.ShippingLines {
		s := &o.ShippingLines[i]
		canonical(&s.Net, &s.Tax, &s.Gross)
	}
	o.Discounts = slices.Clone(o.Discounts)
	for i := range o.Discounts {
		canonical(&o.Discounts[i].Amount)
	}
	canonical(&o.TotalNet, &o.TotalTax, &o.TotalGross, &o.Payment.Amount)
	return o, nil
})

func canonical(ms ...*kontor.Money) {
	for _, m := range ms {
		m.Amount = decimal.RequireFromString(m.Amount.String())
	}
}
