package main

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"slices"

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
func (m *mappings) option(e kontor.Entity) syncer.FlowOption { return m.options[e] }

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

// loadMappings loads the mapping file's documents, one per entity, with
// package mapping (a problem is reported at its line in the whole file:
// "mapping.yaml:71: rules[2].map.table: …"), and reads from the order
// document the payment terms and shipment method codes its rules produce.
func loadMappings(name string, data []byte) (*mappings, error) {
	b, err := mapping.LoadBundle(name, data)
	if err != nil {
		return nil, err
	}
	m := &mappings{options: map[kontor.Entity]syncer.FlowOption{}, versions: b.Versions()}
	option[kontor.Product](m, b, kontor.EntityProduct)
	option[kontor.Price](m, b, kontor.EntityPrice)
	option[kontor.StockLevel](m, b, kontor.EntityStock)
	option[kontor.Order](m, b, kontor.EntityOrder)
	option[kontor.Customer](m, b, kontor.EntityCustomer)
	option[kontor.Shipment](m, b, kontor.EntityShipment)
	option[kontor.Return](m, b, kontor.EntityReturn)
	option[kontor.StatusUpdate](m, b, kontor.EntityStatus)
	if doc := b.Document(kontor.EntityOrder); doc != nil {
		var h head
		if err := yaml.Unmarshal(doc, &h); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		m.paymentTerms = h.codes("payment.method")
		m.shipmentMethods = h.codes("shipping_info.method")
	}
	return m, nil
}

// option records the Map option of entity e when the file maps it.
func option[T any](m *mappings, b *mapping.Bundle, e kontor.Entity) {
	if mp, ok := mapping.BundleMapper[T](b); ok {
		m.options[e] = syncer.Map(mp)
	}
}

// head is what the app reads of the order document itself: the tables
// and rules that decide payment terms and shipment method codes.
type head struct {
	Values map[string]struct {
		Map     map[string]string `yaml:"map"`
		Default *string           `yaml:"default"`
	} `yaml:"values"`
	Rules []map[string]map[string]string `yaml:"rules"`
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
