// Package shopify connects Kontor to a Shopify store through the Admin
// GraphQL API. A [Client] is a kontor connector: it reads products,
// prices, stock, customers, orders and returns, and writes products,
// prices, stock, customers, shipments and status changes; a
// [WebhookHandler] turns Shopify's webhooks into kontor events; bulk
// operations move whole catalogs.
//
//	c, err := shopify.New("my-shop", token,
//		shopify.WithLocations(map[string]string{"WH1": "Lager Berlin"}))
//	s.Add(syncer.Stock(erp, c), syncer.Orders(c, erp))
//
// The shopifytest package beside it is a fake of the same API for tests.
//
// # Auth and versions
//
// Requests go to https://{shop}.myshopify.com/admin/api/{version}/graphql.json
// with the app's access token in X-Shopify-Access-Token, through
// github.com/hasura/go-graphql-client over a transport.Chain: Retry (5xx
// and dropped connections, for reads and idempotent writes only), the cost
// pacing below, the version check, the token, and redacting logs. The
// library's own retry stays off.
//
// The API version is pinned ([DefaultAPIVersion], "2026-04"; see
// [WithAPIVersion]); older versions are refused because the inventory
// rules below need 2026-04. Shopify answers a request for a retired
// version with the oldest supported one and says which in
// X-Shopify-API-Version. The client reads that header on every response:
// a fallback is logged once per served version at Warn and shown by
// [Client.ServedVersion]; with [WithStrictVersion] it is an error of kind
// permanent ([VersionError]) instead, for deployments that would rather
// stop than run on an untested version.
//
// # Pacing
//
// Shopify limits GraphQL calls by points, not requests: every query has a
// requested cost charged up front (objects 1, connections 2 plus their
// page size times their nodes), the unused part refunded, from a leaky
// bucket whose size and restore rate depend on the plan (2,000 and 100/s
// on a standard plan today, 1,000 and 50/s a few years ago). The client
// never assumes them. It reads extensions.cost on every response into a
// local model of the bucket (maximumAvailable, currentlyAvailable,
// restoreRate, less the points of requests in flight), remembers each
// query shape's requested cost (a shape not seen yet is estimated by the
// connector's own formula where the query is costly, else as the costliest
// seen), and before sending waits until the bucket holds it: the refill
// time (cost − available) / restoreRate. So a
// sync keeps the bucket near empty and uses points as fast as they come
// back, without being throttled. A THROTTLED answer (HTTP 200 with
// errors[].extensions.code) or a 429 is sent again after the computed
// refill time, up to six times; a throttled request did not run, so this
// is safe for any mutation. [Client.Stats] counts requests, throttles and
// points.
//
// # Identity
//
// Products are upserted with productSet and the identifier customId: a
// unique product metafield (default kontor.erp_key, see
// [WithIdentityMetafield]) holds the ERP key (Product.ERPKey, else the
// SKU). The shop needs a metafield definition for it with the unique
// values capability. Writing a product again updates it whatever its
// Shopify ID; productSet replaces the variants, options, images and
// metafields (attributes and the MPN, in the same namespace) given, and
// joins the shop's collections titled like the categories' last segments
// (collections are the merchant's; a category without one is left out). A
// discontinued product becomes ARCHIVED (or DRAFT, see
// [WithDiscontinuedStatus]) and keeps its history. A product with more
// than [MaxVariants] variants or more than three options fails as a
// validation error before anything is sent. [Client.ReadProducts] reads
// each product with its first 100 variants and, when it has more, pages
// the rest with product(id:) { variants(first: 250, after:) } (503
// points a query), so a product comes back whole: 250 variants take one
// further query, the full 2,048 eight. Consumers are upserted with
// customerSet by the metafield kontor.customer_number; business customers
// are companies found by their external ID. Orders are keyed by their
// name ("#1001"), returns by "R" and the refund's ID; every entity carries
// its GID as shop key. IDs beyond 2^53 stay exact: GIDs are strings and
// the numeric IDs of webhooks are decoded as int64.
//
// # Inventory CAS
//
// From 2026-04 Shopify requires every inventorySetQuantities entry to say
// which quantity it changes from (changeFromQuantity) and the mutation to
// carry an @idempotent key. [Client.WriteStock] therefore reads the
// current available quantities of its SKUs first, skips levels that
// already match (Unchanged), and sets the rest in requests of up to 250.
// When someone sold a piece in between, Shopify refuses the write with
// CHANGE_FROM_QUANTITY_STALE; the client reads again and retries within
// the call, and a level still stale after that fails with kind conflict
// for the engine to resolve by re-reading. The idempotency key is derived
// from the engine's keys of the items (kontor.IdempotencyKey, or one
// random value per call without them) and the request's content: a resend
// of the same write reuses it, a write with new compare values gets a new
// one. Warehouses map to locations by [WithLocations] (GID or name), by
// equal name, and the empty warehouse to the first active location; the
// locations are read once and again when a warehouse maps to none yet; an
// item not yet stocked at a location is activated there. [Client.ReadStock]
// returns per location the available, on-hand, incoming and committed
// (as Reserved) quantities, so the engine's available-to-promise can count
// what open orders hold.
//
// # Bulk
//
// For catalogs too large to page through, [Client.BulkReadStock] runs a
// bulkOperationRunQuery and streams its JSONL result with
// [ParseBulkJSONL]: line by line through a bufio.Reader, each root object
// handed on with its children (the __parentId lines that follow it), so
// memory holds one product at a time. [Client.WriteProductsBulk] writes
// 10,000 products and more with one bulkOperationRunMutation of
// productSet: it stages the JSONL variables with stagedUploadsCreate, sends
// them as a multipart POST to the staged target (without the access
// token), starts the job and maps the result lines back to products.
// [Client.WaitBulk] polls (see [WithPollInterval]) and wakes early when a
// [WebhookHandler] of the same client receives bulk_operations/finish; a
// job that ends FAILED, CANCELED or EXPIRED is a [BulkError] whose kind
// follows its error code.
//
// # Webhooks and compliance
//
// [Client.WebhookHandler] builds on transport.NewWebhookReceiver with
// transport.ShopifyWebhooks: it verifies X-Shopify-Hmac-Sha256 over the
// raw body against the app's client secrets (a forged delivery gets 401
// and reaches nothing), drops a repeated X-Shopify-Webhook-Id and a
// repeated X-Shopify-Event-Id (one event sent to two subscriptions), and
// drops deliveries whose X-Shopify-Triggered-At is older than 12 hours.
// Each delivery becomes a kontor.Event with the entity's key and, where
// the REST-shaped payload holds the whole entity (an order from
// orders/create, a product from products/update), the entity as Kontor
// JSON, only when it validates; an event without payload makes the engine
// read the source again. A payload that does not decode is logged and
// handed on as such a bare hint and answered 200: refusing it would only
// make Shopify retry in vain and, after eight failures, delete the
// subscription. Topics: orders/create, orders/updated,
// orders/cancelled, products/update, inventory_levels/update (keyed when
// the client has resolved the inventory item before; no API call is made
// while Shopify waits for the answer), refunds/create, fulfillments/create,
// app/uninstalled and bulk_operations/finish. [Client.Subscribe] makes
// sure a URL receives topics (enum values such as ORDERS_CREATE or REST
// names such as orders/create): it lists what is subscribed there with
// [Client.Subscriptions] and creates only the missing topics with
// webhookSubscriptionCreate, since Shopify refuses a topic twice for one
// address, so it is safe to call on every start.
//
// The mandatory compliance topics are configured with the app, not
// subscribed. customers/data_request becomes an event keyed by the
// customer's ID, without personal data. customers/redact calls the
// [Redactor] (the engine) with the customer's key and the numbers of the
// orders to redact, looked up briefly (their shop keys where the lookup
// fails). shop/redact, sent 48 hours after the shop uninstalled the app,
// erases everything stored about the shop's customers: when the Redactor
// is a [ShopRedactor] (the engine is), the handler calls its RedactAll for
// the customers, the orders and the returns. The handler answers 200 once
// the erasure is done and 500 when it failed, no Redactor is set
// ([WithRedactor]) or, for shop/redact, the Redactor has no RedactAll
// (logged), so Shopify asks again. An app's compliance URL serves every
// shop it is installed in: a delivery whose X-Shopify-Shop-Domain (or
// shop_domain) names another shop than the client's erases nothing and is
// answered 200, with a warning logged.
//
// Access tokens never reach logs or errors: the transport logs redact
// X-Shopify-Access-Token, the client removes its token from any error
// text, and messages from Shopify pass the transport's redactor, which
// masks e-mail addresses and tokens.
//
// # Status and shipments
//
// [Client.WriteShipments] fulfils a shipment's lines on the order's open
// fulfillment orders (all open lines when it lists none) with the
// carrier, tracking numbers and URLs and the notify flag; a shipment whose
// tracking number the order already carries is Unchanged, so a retry after
// a lost answer ships nothing twice. The order is looked up with up to
// five fulfillment orders and 50 lines each (522 points); an open
// fulfillment order with more lines is paged with fulfillmentOrder(id:)
// { lineItems(first: 250, after:) } (503 points a query), so an order of
// 120 lines is fulfilled completely in three requests. Shopify takes at
// most 250 lines of one fulfillment order per fulfillment: a shipment
// covering more fails as a validation error before anything is sent.
// [Client.WriteStatusUpdates] cancels
// (orderCancel, restocking), marks paid (orderMarkAsPaid), and for shipped,
// delivered or completed fulfils what is still open; the other statuses
// are Shopify's to derive and come back Unchanged.
package shopify
