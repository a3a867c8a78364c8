// Package mapping turns an item as one system has it into the item as
// another system needs it. The engine (package syncer) applies a mapping
// to every item of a flow between reading it from the source and writing
// it to the sink. Source and target items are both kontor domain types
// (kontor.Product → kontor.Product, kontor.Order → kontor.Order): the
// mapping adapts their values to the target, such as its status codes, tax
// classes, units, carriers, countries and field lengths.
//
// # Mappers and rules
//
// The engine sees a [Mapper]: Map(ctx, item) returns the mapped item, and
// Version names the mapping that produced it, which the engine stores with
// dead letters and the audit trail. [Func] adapts a function and [Chain]
// joins mappers (and their versions, with "+").
//
// Most mappings are [Rules]: a version and a list of [Rule] functions,
// func(ctx, *T) error, applied in order by [New]. Rules are plain Go, so
// anything a program can compute is a rule; the constructors of this
// package cover the common ones.
//
// Map hands the rules a shallow copy of its input. A rule may assign any
// field of the item, but slices, maps and pointers inside it are shared
// with the source item, which the engine still holds (to hash it, to
// dead-letter it with its original payload). A rule therefore never writes
// through them: it builds a new slice or map, copy on write, as every rule
// of this package does and as the helpers [EachVariant], [EachLine],
// [WithExtra] and [WithAttribute] make easy. Deep-copying every item
// instead would cost more than the whole mapping: three typical rules on
// a product with two variants take about 100 ns and no allocation.
//
// # Values, fields and transforms
//
// A [ValueMap] is a named table of codes: the shop's order status to the
// ERP's, a tax class, a unit, a carrier, a payment method, a country.
// [OrderStatusTable], [PaymentStatusTable] and [CountryTable] check their
// keys; [CountryAlpha3] and [UnitsRec20] are built in. Rules such as
// [MapOrderStatus], [MapCarrier] and [MapCountry] apply a table to the
// fields that hold such codes, and [MapField] to any field. A value a table
// lacks fails the item with a [*MissingError], which the engine
// dead-letters with the class "mapping" and replays when the table grows.
//
// Both sides of a mapping are the same Go type, so a field rename moves a
// value between fields, or in and out of a product's Extra and Attributes:
// [Move], [MoveAttribute], [SetDefault], [Set]. Rules name fields by path
// ("title", "shipping_info.carrier", "customer.customer_group",
// "billing.country", "extra.<key>", "attributes.<name>"); [Field] resolves
// a path to a getter and a setter through explicit tables, once, so
// mapping an item reflects on nothing.
//
// Transforms adapt values: [RoundPrices] to the currency's minor unit,
// [ConvertWeight] and [ConvertDimensions] with exact factors, [Limit] to a
// target's field length without cutting a character apart, [HTMLToText]
// for targets that show plain text. [Require] and [Validate] check the
// output and fail with a *kontor.ValidationError. Enrichment, looking data
// up elsewhere (the ERP's debtor number for a customer), is any rule that
// does I/O with its context; [Enrich] names the intent.
//
// # Mapping files
//
// The common rules can come from a YAML or JSON file, so an agency changes
// a mapping without recompiling: [LoadFile] and [Load]. A file for orders:
//
//	version: 3          # required; changes with every edit
//	entity: order       # required; must match the item type loaded for
//	values:             # named value tables
//	  order_status:
//	    map: {pending: OPEN, processing: RELEASED}
//	    default: OPEN     # optional: for values the map lacks
//	    ignore_case: true # optional
//	  country:
//	    builtin: country_alpha3 # or country_from_alpha3, units_rec20
//	    map: {XK: XKX}          # entries override the built-in ones
//	rules:
//	  - map: {field: status, table: order_status}
//	  - map: {field: billing.country, table: country}
//	  - default: {field: shipping_info.carrier, value: DHL}
//	  - set: {field: channel, value: SHOP-DE}
//	  - rename: {from: extra.erp_brand, to: brand}
//	  - limit: {field: billing.street, max: 35, ellipsis: "…", bytes: false}
//	  - html_to_text: {field: note}
//	  - require: {field: customer.customer_group}
//	  - validate: {}
//
// Prices also take round_prices: {}, products convert_weight: {unit: kg}
// and convert_dimensions: {unit: cm}. Each kind calls the constructor a Go
// program would, so a file behaves exactly like the same rules in code.
// The mapping's version is "<file base name>@<version>#<hash>", the hash
// being the first 8 hex digits of the content's SHA-256: any edit, even a
// comment, yields a new version, so dead letters and audit entries tell
// which content mapped them.
//
// A file is checked whole before it is used. Every problem is collected,
// not just the first: unknown keys and rule kinds, a parameter of the wrong
// type, a field path the entity does not have, a table no rule can find,
// duplicate keys, a missing version, a wrong entity. Load returns them as
// [FileErrors], each a [*FileError] with the file, line, column and key
// path:
//
//	orders.yaml:12: rules[3].limit.max: want an integer, got "ten"
//
// An integration that keeps all its mappings in one file writes one YAML
// document per entity, separated by "---": LoadBundle loads each for the
// entity its "entity" key names, reports problems at their line in the whole
// file, and BundleMapper returns an entity's mapping by its item type.
//
// # Money and tax
//
// Normalising an order's money and tax (per-line net, tax and gross,
// shipping tax, rounding per line or per document) lives in tax.go, with
// [NormalizeOrder] as its entry point.
package mapping
