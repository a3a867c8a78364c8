// Package woocommercetest is a WooCommerce shop for tests: an httptest
// server speaking the WooCommerce REST API v3 under /wp-json/wc/v3 as
// WordPress and WooCommerce do (URLs, authentication, JSON field names,
// paging headers, error bodies, batch semantics and signed webhooks), so
// that any WooCommerce REST client — not only Kontor's connector — can be
// tested against it without network or credentials.
//
//	s := woocommercetest.New()
//	defer s.Close()
//	p, _ := s.SeedProduct(woocommercetest.Product{Name: "Mug", SKU: "MUG-1", RegularPrice: "9.90"})
//	// point a client at s.URL() with s.ConsumerKey() / s.ConsumerSecret()
//
// # What is served
//
//	GET    /products                     list (sku — which finds variations too, status, type,
//	                                     stock_status, category, tag,
//	                                     include, exclude, parent, search, after, before,
//	                                     modified_after, modified_before, dates_are_gmt,
//	                                     orderby, order, page, per_page, offset)
//	POST   /products                     create (simple, variable, grouped, external)
//	GET    /products/<id>                one (a variation id gives the variation as a product)
//	PUT    /products/<id>                update (also POST and PATCH, as WordPress allows)
//	DELETE /products/<id>                trash, or delete with force=true
//	POST   /products/batch               {create, update, delete}
//	GET    /products/<id>/variations     list (sku, status, stock_status, dates …)
//	POST   /products/<id>/variations     create
//	GET|PUT|DELETE /products/<id>/variations/<id>
//	POST   /products/<id>/variations/batch
//	GET|POST /products/categories, GET|PUT|DELETE /products/categories/<id>,
//	POST /products/categories/batch      (and the same for /products/tags)
//	GET    /orders                       list (status incl. any and lists, customer, product,
//	                                     include, exclude, parent, search, dates, orderby …)
//	POST   /orders                       create (line_items by product_id/variation_id, set_paid)
//	GET|PUT /orders/<id>                 one; update (status, meta_data, billing, shipping,
//	                                     payment fields, transaction_id, set_paid)
//	DELETE /orders/<id>                  trash (order.deleted), or delete with force=true
//	POST   /orders/batch                 {create, update, delete}
//	GET|POST /orders/<id>/notes, GET /orders/<id>/notes/<id>
//	GET|POST /orders/<id>/refunds, GET /orders/<id>/refunds/<id>
//	GET|POST /customers, GET|PUT /customers/<id>, POST /customers/batch
//	GET|POST /webhooks, GET|PUT|DELETE /webhooks/<id>
//
// Anything else under /wp-json is 404 rest_no_route (also a known path with
// a method it does not take); outside /wp-json an HTML 404 page. The
// _fields parameter trims responses; X-HTTP-Method-Override and _method
// turn a POST into PUT or DELETE.
//
// # Authentication
//
// The consumer key and secret (ConsumerKey, ConsumerSecret, or
// WithCredentials) are checked as WC_REST_Authentication checks them. Over
// plain HTTP (the default) only OAuth 1.0a one-legged signatures are
// accepted: oauth_consumer_key, oauth_timestamp, oauth_nonce,
// oauth_signature_method (HMAC-SHA1 or HMAC-SHA256) and oauth_signature,
// in the query, a form body or an "Authorization: OAuth" header. The
// signature base string is METHOD&rawurlencode(site URL + path)&params, the
// parameters read the way PHP reads them ("a[]" becomes "a[0]"), sorted by
// byte order, each key and value encoded (RFC 3986) and each "key=value"
// encoded again; the key is the consumer secret followed by "&". A
// timestamp more than 15 minutes off the shop's clock and a nonce seen
// within those 15 minutes are rejected. With WithTLS the shop is served
// over HTTPS and also accepts HTTP Basic (key as user, secret as password)
// and, taking precedence, the consumer_key and consumer_secret query
// parameters. WithoutAuthorizationHeader (or DropAuthorizationHeader)
// imitates a server that loses the Authorization header, so that only the
// query parameters work. WithKeyPermissions restricts the key to read or
// write.
//
// Failures give WooCommerce's bodies, for example
// {"code":"woocommerce_rest_authentication_error","message":"Invalid
// signature - provided signature does not match.","data":{"status":401}},
// "Consumer key is invalid.", "Consumer secret is invalid.", "Invalid
// timestamp.", "Invalid nonce - nonce has already been used.",
// woocommerce_rest_authentication_missing_parameter; and a request without
// credentials reaches the route's permission check:
// woocommerce_rest_cannot_view ("Sorry, you cannot list resources."),
// _cannot_create, _cannot_edit, _cannot_delete, _cannot_batch, all 401.
//
// # Paging and dates
//
// Lists take per_page 1..100 (default 10, WithDefaultPerPage), page from 1
// and offset, and answer with X-WP-Total, X-WP-TotalPages and a Link header
// with rel="prev" and rel="next" only, rebuilt from the request's own query
// as WordPress does (each value decoded and urlencoded again, so a '+' in a
// value turns into a space, and credentials in the query stay in the link).
// A page past the last is an empty list. As in WordPress, every answer
// also carries Link: <site/wp-json/>; rel="https://api.w.org/" unless a
// list replaces it with its own prev/next links, so the last page of a list
// of more than one page has only rel="prev", and a single page has the API
// root link: look for rel="next", not for a Link header. Sorting follows WP_Query: orderby
// date (the default) or modified adds the id as second key. Invalid
// parameters get WordPress' 400 rest_invalid_param with params and details
// ("per_page must be between 1 (inclusive) and 100 (inclusive)").
//
// Dates are written as WooCommerce writes them, without zone:
// date_created etc. in the site's timezone (WithTimezone, default UTC),
// date_created_gmt etc. in UTC, to the second. after, before,
// modified_after and modified_before are exclusive, compare with the
// site-time columns, or the _gmt ones with dates_are_gmt=true; a value
// without zone is taken as written, one with zone is first converted to
// the site's timezone (so with dates_are_gmt a zone is misread on a non-UTC
// site, as in WordPress). Every save stamps date_modified, even one that
// changes nothing, as WooCommerce's data stores do.
//
// # Batches
//
// Batch endpoints take at most the batch limit of objects in create, update
// and delete together (WithBatchLimit, default 100; beyond it 413
// woocommerce_rest_request_entity_too_large). Each object is handled on
// its own; a failed one is answered in its place inside the HTTP 200
// response as {"id":…,"error":{"code","message","data":{"status"…}}} (id 0
// for a failed create): a SKU in use anywhere (products and variations)
// gives product_invalid_sku with resource_id and unique_sku, an unknown id
// woocommerce_rest_product_invalid_id, a save failure arranged with
// RejectSKU woocommerce_rest_product_not_created.
//
// # Webhooks
//
// Webhooks are created through POST /webhooks or AddWebhook with a topic
// (order.created, order.updated, product.created, product.updated,
// product.deleted, customer.created, customer.updated …), a delivery URL and
// a secret. Creating one sends the activation ping: an unsigned,
// form-encoded POST of webhook_id=<id>; only a 200 answer clears its
// pending state, and a webhook whose ping is pending is pinged again on its
// next save. Changes deliver the resource as GET would return it (for
// *.deleted only {"id":…}), encoded as PHP does (slashes escaped as \/),
// with X-WC-Webhook-Source, -Topic, -Resource, -Event, -Signature (base64
// HMAC-SHA256 of the raw body with the secret), -ID and -Delivery-ID, which
// is wp_hash(webhook id . unix time): two deliveries of one webhook within
// a second share it, as in WooCommerce. Deliveries go out one at a time in
// the background; a change not yet delivered coalesces with a later one of
// the same resource. Nothing is retried: a status from 200 to 302 resets
// the failure count, anything else raises it, and the failure after it has
// passed the maximum (WithMaxDeliveryFailures, default 5, so the 7th in a
// row) disables the webhook. Re-enabling through PUT status=active keeps
// the count, so one more failure disables it again; one success clears it.
// Deliveries, Replay, SendSigned, SendForged and Ping serve tests.
//
// # Seeding, driving and looking
//
// Seed* methods put products, variations, categories, customers and
// orders in place without webhooks. PlaceOrder, SetOrderStatus,
// SetOrderMeta, UpdateOrder, RefundOrder, SetStock, UpdateProduct and
// UpdateCustomer change the shop as a customer or shop manager would and
// deliver the webhooks that fires before returning; changes made through
// the REST API deliver theirs in the background (WaitDeliveries waits for
// them). Do not call a driving method from a receiver of the same shop's
// webhooks: it would wait for the delivery its caller is handling. Product,
// ProductBySKU, Variation, Order, OrderNotes, OrderMeta, TrackingItems (the
// Shipment Tracking extension's _wc_shipment_tracking_items), Refunds,
// Customer, Webhook and the like read what arrived; Requests, Count and
// BatchWrites count what was asked.
//
// # Faults
//
// FailNext fails the next requests with a status (429 with WooCommerce's
// rate_limit_exceeded body, 503 with WordPress' maintenance page, 500 with
// its critical error, others with a proxy's page), optionally only for one
// route (OnRoute), after letting some through (AfterSkipping), with
// Retry-After (RetryAfter), or after carrying the request out
// (AfterApplying, a write that happened though the client saw it fail).
// Throttle is FailNext with 429. BeforeList runs a function before a list
// page is read, to change the collection while a client pages through it.
//
// # Differences from WooCommerce
//
// The fake is stricter where WooCommerce would store a value it cannot
// mean: inside batches an unknown enum value, a malformed date or a
// malformed amount fails that object (WooCommerce casts or stores it).
// Every OAuth nonce is remembered for 15 minutes (WooCommerce keeps one
// per timestamp). Variations manage their own stock (manage_stock is never
// "parent").
// Orders take no line item changes on update. Taxes are not computed:
// orders carry the tax amounts they are given. There is no coupon,
// attribute, shipping-zone, settings or report endpoint, and custom
// "action.*" webhook topics never fire. Deliveries go to loopback
// addresses, which WordPress' wp_safe_remote_post would refuse.
package woocommercetest
