// Package kontor keeps a webshop and an ERP system in sync: products, prices
// and stock flow to the shop; orders, customers, payments and returns flow
// to the ERP; order, payment, shipping and return status flow both ways.
//
// Kontor is a library, not a service. A Go program imports it and assembles
// its own integration from connectors (one package per shop or ERP), the
// mapping between them, and the engine that runs the flows.
//
// # The flows
//
//	ERP → shop    products, variants, categories, attributes, prices
//	              (customer groups, tiers), stock per location, lead times,
//	              discontinued status
//	shop → ERP    orders with their lines, taxes, discounts, shipping, fees,
//	              customers (B2B with VAT ID, B2C), payments, returns
//	both ways     order, payment and return status, shipments and tracking
//
// # How the pieces compose
//
// This package holds the domain model both sides are mapped to ([Product],
// [Price], [StockLevel], [Order], [Customer], [Shipment], [Return],
// [StatusUpdate]), the capability interfaces a connector implements, and the
// error kinds every layer speaks.
//
// A connector implements only what its system can do, one small interface
// per entity and direction, such as [StockWriter] or [OrderReader], and
// says so in its [Capabilities]. [Require] checks both when a flow is
// configured, so a flow no connector can serve fails at setup, not at night.
// Reads return an [iter.Seq2] that pages through the remote system lazily;
// batch writes return one [Result] per item, since partial failure is the
// normal case ([BatchErr] turns them into a [BatchError]).
//
// The package transport holds the HTTP middleware every connector composes:
// retry, adaptive rate limiting, read caching, redacting logs, auth, and
// webhook receivers. The packages under shop/ and erp/ are the connectors,
// each with a public fake of its system for tests; mapping translates
// between systems; syncer runs the flows and keeps their durable state.
//
// # Money
//
// Amounts are exact: [Money] is a decimal from
// github.com/shopspring/decimal with an ISO 4217 [Currency]. That library
// was chosen because it is arbitrary-precision (a sum over a million order
// lines cannot overflow, quantities of 0.125 kg stay exact), it is the
// decimal most Go database drivers and libraries already interoperate with,
// and it is maintained. It serialises amounts as JSON strings, so no
// decoder turns them into floats. Two rules follow from it: compare amounts
// with Equal or Cmp, never with == (1.5 and 1.50 differ in representation),
// and never divide without rounding explicitly, since its division precision
// is a package-wide setting. No float64 is used for money or for quantities
// that can be fractional.
//
// # Identity and ordering
//
// Every entity embeds [Meta]: its key in the ERP, its key in the shop, and
// a version and update time that order its states, so an older event never
// overwrites a newer one ([Meta.Newer]). The key people use (the SKU, the
// order number) is the entity's own field and what Key returns.
//
// # Validation and errors
//
// Validate on every entity returns [ValidationErrors], each a
// [*ValidationError] naming the entity, its key and the field: GTIN check
// digits, ISO currencies and countries, EU VAT ID shapes, non-negative
// quantities, and order totals that add up within [OrderTolerance].
//
// Errors are classified by [Kind]: retryable, rate limited, permanent,
// validation, conflict, not found, unauthorized. Branch with errors.Is
// against [ErrRetryable], [ErrConflict] and the other sentinels, or with
// [KindOf]. A failed remote call is an [*APIError] carrying the system,
// operation, HTTP status, remote code, request id and a bounded, redacted
// excerpt of the body.
package kontor
