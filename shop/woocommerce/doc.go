// Package woocommerce connects Kontor to a WooCommerce shop through its
// REST API v3 (/wp-json/wc/v3): it writes products, variations, prices and
// stock in batches, reads orders, refunds, customers and status changes,
// writes status changes, shipments and customers back, and turns the
// shop's webhooks into kontor.Events.
//
//	c, err := woocommerce.New("https://shop.example.com", "ck_…", "cs_…")
//	rs, err := c.WriteStock(ctx, levels)            // one result per level
//	for o, err := range c.ReadOrders(ctx, cursor) { … }
//
// The package woocommercetest beside it is a fake of the same API for
// tests.
//
// # Authentication
//
// A consumer key and secret with read/write permission authenticate every
// request:
//
//   - over HTTPS, HTTP Basic (AuthBasic). Some servers (Apache running PHP
//     as CGI, certain proxies) drop the Authorization header, and
//     WooCommerce then takes the request as anonymous: it answers 401 with
//     a permission error (woocommerce_rest_cannot_view and its siblings)
//     and no WWW-Authenticate header, where a wrong secret gets
//     woocommerce_rest_authentication_error. On that answer the default
//     mode (AuthAuto) sends the same request again with consumer_key and
//     consumer_secret as query parameters and, when that succeeds, keeps
//     doing so for the client's lifetime (AuthMode reports it). AuthQuery
//     chooses the query parameters from the start.
//   - over plain HTTP, one-legged OAuth 1.0a (AuthOAuth1), which
//     WooCommerce requires there so the secret never travels: the oauth_*
//     parameters go into the query string (which no server drops), signed
//     with HMAC-SHA256 over the base string exactly as WooCommerce's
//     WC_REST_Authentication checks it: the upper-case method, the
//     percent-encoded URL without query, and the sorted, percent-encoded
//     parameters (query and oauth_*, not the JSON body), keyed with the
//     secret and "&". Each attempt gets a fresh nonce and timestamp, since
//     WooCommerce refuses a nonce twice within 15 minutes. Basic and query
//     credentials are refused over plain HTTP except to loopback.
//
// # Requests
//
// Requests go through transport.Chain: Retry (reads and idempotent writes,
// honouring Retry-After), an adaptive rate limiter (WithRate; a 429 halves
// the rate), the authentication above and a redacting log (WithLogger): no
// consumer secret, OAuth signature, e-mail address or name reaches a log or
// an error text. Error bodies, {"code","message","data":{"status"}}, become
// *kontor.APIError through transport.CheckResponse, whose kind comes from
// the status and WooCommerce's code (rest_no_route is permanent, not "not
// found"; *_invalid_id is not found; woocommerce_rest_cannot_* is
// unauthorized).
//
// # Batch writes
//
// Products, prices and stock go through /products/batch and
// /products/<id>/variations/batch, customers through /customers/batch,
// status changes and shipment records through /orders/batch: at most
// WithBatchLimit objects per request (100, WooCommerce's default, which a
// shop can raise with the woocommerce_rest_batch_items_limit filter). A
// batch answers HTTP 200 even when items failed; each failed item's
// {"id","error":{"code","message","data":{"status"}}} becomes that item's
// kontor.Result with Outcome Failed and a *kontor.APIError of the matching
// kind, while the others succeed. Batches of updates only are idempotent
// and retried by transport; batches that create are sent once, and a
// write that failed midway is made safe to repeat by the identity lookup:
// what the first attempt created is found and not created again.
//
// # Products, prices and stock
//
// A product is found by its SKU (GET /products?sku=a,b,…, up to 100 SKUs
// per request, which also finds variations) and checked against the ERP
// key kept in its meta data (WithMetaKey, "_kontor_erp_key"): a SKU that
// belongs to another ERP key, or to a variation of another product, fails
// with kontor.KindConflict. A product not found by SKU but linked by the
// engine (Meta.ShopKey) is updated by id, so an ERP SKU change renames
// it; otherwise it is created. WooCommerce's REST API cannot filter by
// meta data, so the ERP key confirms an identity but does not find one;
// reads give it back, so an engine with an empty link store relinks by
// reading.
//
// A product with variants becomes a variable product whose variation
// attributes are the product's Options, with one variation per variant;
// other attributes are visible, non-variation attributes. Categories are
// category paths ("Apparel > Shirts"), tags tag names; missing ones are
// created. GTINs go to global_unique_id (WooCommerce 9.2+), MPN, brand and
// unit to meta data, weights and dimensions are converted to the shop's
// units (WithStoreSettings). The discontinued policy: an active product is
// published, a draft stays a draft, and a discontinued product becomes
// private (hidden from the shop, kept with its orders; the connector
// deletes nothing) and reads back as discontinued; variations no longer
// listed are made private. Every write records a fingerprint of what it
// wrote (MetaHash): an unchanged item is Unchanged and costs no write, and
// images, which WooCommerce downloads again whenever they are named, are
// sent only when they changed (MetaImages).
//
// Prices set regular_price, sale_price and, for a sale with a window, its
// dates. WooCommerce core has one price per unit: a customer-group price,
// or a window without sale price, fails with kontor.KindPermanent;
// quantity tiers are kept as JSON in MetaPriceTiers for a tier-pricing
// plugin. Stock sets manage_stock and stock_quantity in whole units; the
// shop derives stock_status from it and its own backorders setting.
//
// # Orders and status
//
// Orders are read with modified_after, ordered by modification, by the
// keyset reader (see "Reading a changing list"). An order maps to a
// kontor.Order that passes Validate when WooCommerce's data is consistent:
// line, fee and shipping nets (after coupons) with their taxes and rates
// (tax_lines' rate_percent, or derived from the amounts), coupons as
// allocated discounts, fee lines as kontor.FeeLine, payment method,
// transaction id and date paid,
// the customer (B2B when the billing address names a company; the VAT ID
// from the EU VAT plugins' meta data), billing and shipping addresses.
// Statuses map both ways:
//
//	WooCommerce     kontor order status     payment status
//	pending         pending                 pending (paid if date_paid)
//	processing      processing              paid (pending without date_paid: cash on delivery)
//	on-hold         on_hold                 pending (paid if date_paid)
//	completed       completed               paid
//	cancelled       cancelled               voided (paid if it was paid)
//	refunded        cancelled               refunded
//	failed          pending                 failed
//	trash           cancelled               voided
//
// and back (StatusTable): shipped and delivered orders become completed, a
// partially shipped one stays processing; a payment of paid sets set_paid,
// refunded and failed set those statuses. A partial refund reads as
// partially refunded. Refunds read as returns (ReadReturns; WooCommerce
// has no RMA object), a refund of an amount without items as an
// amount-only return (no lines, its refund); ReadStatusUpdates reports
// each changed order's status as the shop's own change, with the order's
// id in OrderKeys.ShopKey.
//
// Status updates and shipments find their order by OrderKeys.ShopKey (the
// order id) where they carry it, else by number: a number that is an id
// (WooCommerce numbers orders by id unless a numbering plugin is
// installed) through include=, others through search=, matched exactly.
//
// # Fees
//
// WooCommerce's fee_lines are charges for a service or a right (cash on
// delivery, a payment surcharge, gift wrapping); WC_Order_Item_Fee says a
// fee is "not supposed to be negative". A fee line of zero or more becomes
// a kontor.FeeLine (Title the fee's name, net, tax, gross, rate), which
// counts into the order's totals like shipping and which an ERP books on
// a charge item or account of its own. Shops and plugins still add
// negative fees as discounts (WC_Cart::add_fee with a negative amount),
// and WooCommerce splits their tax over the order's tax classes in
// proportion to the items: that is what an order-level discount is, so a
// negative fee becomes an unallocated kontor.Discount of its gross, spread
// over the lines by the ERP or mapping.NormalizeOrder.
//
// # Shipments
//
// WooCommerce core has no shipment object. A shipment becomes an order
// note (a customer note when it asks to notify the customer) naming
// carrier, tracking numbers and links, one entry per parcel in the order
// meta data _wc_shipment_tracking_items in the shape of the WooCommerce
// Shipment Tracking extension, which the Advanced Shipment Tracking (AST)
// plugin reads as well (custom provider, tracking number, link, date
// shipped as Unix seconds, a stable tracking id), the connector's own
// record in _kontor_shipments, and status completed once the shipments
// cover the order (unless WithoutCompleteOnShipment). Repeating a shipment
// finds its record and is Unchanged; an attempt interrupted after the note
// finds the note by the shipment number in it.
//
// # Reading a changing list
//
// WooCommerce pages by number, which skips an item whenever an item before
// the reader's position moves behind it (an order modified while the read
// runs) and repeats one when an item is inserted before it. The keyset
// reader asks each page for what was modified at or after the last item it
// got, excluding by id the items of that second it already has, so
// inserted and modified items come at the end and nothing that existed is
// skipped; it deduplicates by id, and where an item it already yielded
// comes round again changed, it ends the read, so the engine's cursor
// stays before that change and its next sweep reads it. X-WP-TotalPages
// and the Link header tell it where the list ends. Customers have no
// modification filter: they are paged by id and filtered here.
//
// # Webhooks
//
// WebhookHandler is the delivery URL's http.Handler, a
// transport.WebhookReceiver with the WooCommerce scheme: it verifies
// X-WC-Webhook-Signature (base64 HMAC-SHA256 of the raw body), answers the
// unsigned activation ping (webhook_id=<id>, form-encoded) with 200 without
// passing it on, drops a repeated X-WC-Webhook-Delivery-ID, and hands a
// kontor.Event with the kontor entity built from the delivered resource to
// a kontor.EventHandler, normally the engine's inbox. WooCommerce never
// retries a failed delivery and disables a webhook after more than five
// failures in a row, so webhooks are hints: completeness comes from the
// engine's reconciling sweep, which reads every order changed since its
// cursor (less an overlap) whether or not a webhook announced it.
// ReactivateWebhooks sets disabled webhooks active again; EnsureWebhooks
// creates the subscriptions a deployment needs.
package woocommerce
