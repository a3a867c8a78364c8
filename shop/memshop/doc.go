// Package memshop is an in-memory webshop: the reference connector for the
// shop side, the mirror of erp/memerp, that engine tests, examples and the
// quickstart run against.
//
// # What it reads and writes
//
// It takes what an ERP sends a shop: products, prices, stock per location,
// shipments (fulfilments with tracking) and status changes. It hands out
// what a shop owns: orders, the customers who placed them, returns, and its
// own status changes; and it reads back products and stock, so an engine
// can reconcile. The test programme plays the customer with
// [Shop.PlaceOrder], [Shop.RequestReturn] and [Shop.CancelOrder], and looks
// at what arrived with [Shop.Product], [Shop.Stock], [Shop.Price],
// [Shop.Shipments] and the other accessors.
//
// # Keys
//
// The shop assigns GraphQL-style global IDs: "gid://memshop/Product/1",
// "gid://memshop/ProductVariant/1" (stable per variant SKU),
// "gid://memshop/Order/1", "gid://memshop/LineItem/1",
// "gid://memshop/Customer/1", "gid://memshop/Return/1",
// "gid://memshop/Fulfillment/1", "gid://memshop/InventoryLevel/1" and
// "gid://memshop/Price/1". An order placed without a number gets the next
// free one of "#1001", "#1002", ... Every change stamps the record with the
// next version of one counter for the whole shop and the time of the
// injectable clock ([WithClock]).
//
// # Writes
//
// A write is one request taking a batch of at most MaxBatch items
// ([WithMaxBatch]; 250 products, prices and stock levels, as Shopify's bulk
// limits; one shipment and one status change per call, as fulfilments and
// order updates go one at a time) and returns one result per item. Each
// item is validated first; an invalid one fails alone. Then:
//
//   - products upsert by SKU, prices by SKU and customer group, stock levels
//     by SKU and location: Created when new, Unchanged when the content is
//     identical (decimals compared by value, the keys and versions in Meta
//     ignored), else Updated. Stock and prices are kept for a SKU the
//     catalog does not have (yet).
//   - a discontinued product is archived, the way Shopify's ARCHIVED status
//     works: it keeps its data, IDs and history, is hidden from sale
//     ([Shop.Archived] reports it), and reads give it back as discontinued.
//     It is never deleted, so orders that name it still resolve; written as
//     active again, it is unarchived.
//   - a shipment attaches to an existing order (an unknown order fails the
//     item with [kontor.KindNotFound]; a shipment number already used by
//     another order with KindConflict) and moves the order to shipped, or
//     to partially shipped while its lines' quantities are not all covered.
//   - a status change applies to its order (and that order's return) or
//     fails with KindNotFound; Unchanged when the shop already had it. Like
//     the engine's other writes, it is not reported back by
//     ReadStatusUpdates, which reports the shop's own changes
//     (cancellations).
//
// Idempotency keys in the context ([kontor.WithIdempotencyKeys]) are
// honoured as by memerp: a repeated key gets the first result back.
//
// # Events
//
// [Shop.OnEvent] registers a handler for the shop's webhooks:
//
//	orders/create     PlaceOrder of a new order
//	orders/updated    PlaceOrder of a known number; a shipment or a status
//	                  change written to an order
//	orders/cancelled  CancelOrder
//	products/update   every product write that creates or changes a
//	                  product: the echo of the engine's own write, which it
//	                  must recognise and ignore
//	returns/request   RequestReturn of a new return
//	returns/update    RequestReturn of a known number; a return status
//	                  written
//
// Each event carries its topic, entity, the entity's key, a unique ID and
// the entity as JSON. Handlers run synchronously, in registration order, on
// the goroutine that made the change, after the change is stored and the
// shop's lock released (so a handler may call the shop), before that call
// returns. A write that fails midway still announces what it stored.
//
// # Test hooks
//
// [Shop.FailNext], [Shop.FailNextRead], [Shop.FailKey], [Shop.FailAfter],
// [Shop.Delay], [Shop.Calls] and [Shop.Requests] work as in memerp. The
// shop is safe for concurrent use.
package memshop
