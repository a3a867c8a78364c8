// Package shopifytest is a fake Shopify shop: an httptest server that speaks
// the Admin GraphQL API, for testing any Shopify integration (Kontor's
// shop/shopify connector or your own, with any GraphQL client) without a
// network or credentials.
//
// It serves a real GraphQL schema, the part of the Admin API that
// integrations with an ERP use, under Shopify's own type, field, argument,
// enum and input names, through github.com/graph-gophers/graphql-go. A
// document the real API would refuse (an unknown field, a wrong argument
// or variable type, a missing required input field, an unknown enum value)
// is refused here too; the schema is embedded in schema.graphql. It
// enforces the access token, the versioned path, the cost bucket, paging
// limits, user errors on invalid input, the compare-and-swap and
// idempotency rules of inventory, and it sends signed webhooks.
//
// # Quick start
//
//	srv := shopifytest.New()
//	defer srv.Close()
//	srv.AddLocation(shopifytest.Location{Name: "Berlin"})
//	srv.AddProduct(shopifytest.Product{Title: "Shirt", Variants: []shopifytest.Variant{
//		{SKU: "SHIRT-1", Price: decimal.RequireFromString("19.90"), Stock: map[string]int{"Berlin": 5}},
//	}})
//	srv.Subscribe("orders/create", receiverURL)
//	srv.PlaceOrder(ctx, shopifytest.OrderInput{Lines: []shopifytest.LineInput{{SKU: "SHIRT-1", Quantity: 2}}})
//	// point the client at srv.GraphQLURL("2026-04") with srv.Token();
//	// verify webhooks with srv.WebhookSecret()
//
// # Endpoint, token and versions
//
// POST /admin/api/{version}/graphql.json with X-Shopify-Access-Token and a
// JSON body {query, variables, operationName} (or application/graphql). A
// missing or wrong token gets 401 with Shopify's body
// {"errors":"[API] Invalid API key or access token (unrecognized login or
// wrong password)"}; a malformed version 404; a well-formed version the
// server does not support (WithAPIVersions, default DefaultVersions) is
// served by the oldest supported one, as Shopify falls forward. Every
// answer names the version served in X-Shopify-API-Version. Versions
// before 2026-04 get the 2026-01 schema (compareQuantity,
// ignoreCompareQuantity, no mandatory @idempotent); later ones the current.
// GraphQL errors come with HTTP 200, as on Shopify.
//
// # Query cost and throttling
//
// Every answer carries extensions.cost {requestedQueryCost,
// actualQueryCost, throttleStatus {maximumAvailable, currentlyAvailable,
// restoreRate}}. The cost is computed as Shopify documents it: a scalar or
// enum 0, an object 1 plus its selection, a connection 2 plus, per node, 1
// plus the node's selection, counting first (or last) nodes for the
// requested cost and the returned nodes for the actual cost; a mutation
// field 10, its payload's plain objects free. The requested cost is taken
// from a leaky bucket (WithBucket; default a standard plan, 2000 points
// refilled at 100 a second) before the query runs, the difference to the
// actual cost given back after. When the bucket lacks the points the answer
// is HTTP 200 with errors[].extensions.code THROTTLED, no data and
// actualQueryCost null; a query requesting more than 1000 points
// (WithMaxQueryCost) gets MAX_COST_EXCEEDED with Shopify's message. The
// clock (WithClock) drives the refill, so tests move time instead of
// sleeping. Shopify's real costs are lower than the documented rule for
// some nested connections; the fake applies the rule, so a query it accepts
// is not too expensive for Shopify.
//
// # Paging and search
//
// Connections take first or last (one of them is required, at most 250),
// after and before with opaque cursors, reverse and sortKey, and return
// edges {cursor node}, nodes and pageInfo {hasNextPage hasPreviousPage
// startCursor endCursor}. Input lists hold at most 250 items
// (MAX_INPUT_SIZE_EXCEEDED). The query argument understands Shopify's
// search syntax: field:value, field:>value (>=, <, <=), quoted values,
// prefixes with *, -field and NOT, AND and OR, and bare words. The fields
// include updated_at, created_at, id, sku, barcode, title, handle, status,
// tag, vendor, product_type, product_id, name, email, financial_status,
// fulfillment_status, external_id and location_id; an unknown field is
// ignored.
//
// # What is served
//
// Queries: shop; publicApiVersions; node, nodes; location, locations (with
// inventoryLevels); product, productByIdentifier (id, handle or the customId
// metafield), products, productsCount with variants, options, media,
// images, metafield(s), collections, priceRangeV2, seo; productVariant,
// productVariants, productVariantsCount with sku, barcode, price,
// compareAtPrice, selectedOptions, inventoryItem and contextualPricing
// (company location price lists: price, quantityRule,
// quantityPriceBreaks); collection(s); inventoryItem, inventoryItems,
// inventoryLevel with quantities(names:) of available, on_hand, committed,
// reserved, incoming, damaged, safety_stock and quality_control; order,
// orders, ordersCount with lineItems (taxLines, discountAllocations,
// original and discounted prices), shippingLines, discountApplications,
// transactions, customer, purchasingEntity (Customer or PurchasingCompany),
// addresses, fulfillmentOrders, fulfillments, refunds, returns and the
// order totals; fulfillment, fulfillmentOrder, refund, return; customer,
// customerByIdentifier, customers; company, companies, companyLocation;
// catalog(s) (company location catalogs), priceList(s) with prices and
// quantityRules; bulkOperation, bulkOperations, currentBulkOperation;
// webhookSubscription(s), webhookSubscriptionsCount.
//
// Mutations: productSet (declarative upsert by id, handle or
// customId; variants, options, files, metafields, collections,
// inventoryQuantities; deletes what the input no longer lists),
// productDelete, productVariantsBulkUpdate; priceListCreate,
// priceListFixedPricesAdd, priceListFixedPricesDelete,
// quantityPricingByVariantUpdate, catalogCreate; inventorySetQuantities,
// inventoryAdjustQuantities, inventoryActivate, inventoryItemUpdate;
// fulfillmentCreate, fulfillmentTrackingInfoUpdate, orderCancel,
// orderMarkAsPaid; customerCreate, customerUpdate, customerSet,
// companyCreate, companyUpdate, companyAssignCustomerAsContact;
// bulkOperationRunQuery, bulkOperationRunMutation, bulkOperationCancel,
// stagedUploadsCreate; webhookSubscriptionCreate, webhookSubscriptionUpdate,
// webhookSubscriptionDelete. Invalid input is answered with the payload's
// userErrors {field message code} (UserError has no code, as on Shopify).
//
// # Inventory rules
//
// From 2026-04, inventorySetQuantities and inventoryAdjustQuantities need
// @idempotent(key:) (else a BAD_REQUEST error, "The @idempotent directive is
// required for this mutation but was not provided.") and a
// changeFromQuantity on every entry, null allowed (else
// INVALID_FIELD_ARGUMENTS). A changeFromQuantity that differs from the
// stored quantity fails the whole mutation with CHANGE_FROM_QUANTITY_STALE
// and changes nothing. A key used again with the same input returns the
// first result and changes nothing; with other input it gets
// IDEMPOTENCY_KEY_PARAMETER_MISMATCH. on_hand is the sum of available,
// committed, reserved, damaged, safety_stock and quality_control; an order
// moves units from available to committed, a fulfillment takes them out of
// committed. An inventory item's updatedAt moves with its levels, so
// inventoryItems(query: "updated_at:>=...") finds the items whose stock
// changed.
//
// An inventory item's weight is set through InventoryItemInput.measurement
// {weight {value unit}} (productSet, productVariantsBulkUpdate,
// inventoryItemUpdate; a negative value is a userError "Weight must be
// greater than or equal to 0") and read as InventoryItem.measurement
// {weight {value unit}}, 0 KILOGRAMS when never set; the REST payloads'
// variants carry it as grams, weight and weight_unit (g, kg, oz, lb), an
// order's line items as grams (the weight when ordered) and the order as
// total_weight. A weight change through inventoryItemUpdate also fires
// products/update.
//
// # Bulk operations
//
// bulkOperationRunQuery checks its query (at least one connection, at most
// five, nested at most two deep; one bulk query at a time) and runs it in a
// goroutine without paging limits: CREATED, RUNNING (WithBulkOperationDelay
// paces the steps), then COMPLETED with objectCount, rootObjectCount and a
// url to a JSONL file in which each node is a line and the nodes of nested
// connections follow their parent with "__parentId". The file is served at
// a signed URL on the fake, without the access token, like Shopify's
// storage URLs. FailNextBulkOperation makes the next one FAILED with an
// errorCode and a partialDataUrl. bulkOperationRunMutation runs a mutation
// once per line of a file uploaded through stagedUploadsCreate and a
// multipart POST (or a PUT) to the target it returns; its result has one
// {"data": ..., "__lineNumber": n} line per input line. Each operation
// ends with a bulk_operations/finish webhook.
//
// # Webhooks
//
// webhookSubscriptionCreate (or Subscribe) registers an https URL, or an
// http one on a loopback address. As Shopify does, it refuses a second
// subscription of a topic to the same address (and webhookSubscriptionUpdate
// moving one there) with the user error "Address for this topic has
// already been taken" on the field webhookSubscription.callbackUrl;
// webhookSubscriptions(uri: …) lists what an address has. Every change fires the topics Shopify
// fires: orders/create, orders/paid, orders/updated, orders/cancelled,
// orders/fulfilled, fulfillments/create, fulfillments/update,
// refunds/create, returns/request, products/create, products/update,
// products/delete, inventory_levels/update, inventory_items/update,
// customers/create, customers/update, companies/create, companies/update,
// bulk_operations/finish and app/uninstalled; customers/data_request,
// customers/redact and shop/redact go to SetComplianceURL. The bodies are
// the REST representations the real webhooks carry (the fixtures'
// shapes), numeric IDs beyond 2^53 included. Each delivery is signed with
// X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the raw body with
// WebhookSecret) and carries X-Shopify-Topic, X-Shopify-Shop-Domain,
// X-Shopify-API-Version, X-Shopify-Webhook-Id, X-Shopify-Event-Id (shared
// by the deliveries of one event) and X-Shopify-Triggered-At. Deliveries
// lists them; Redeliver repeats one unchanged, as Shopify's retries do;
// SendForged sends one with a wrong signature; WithWebhookRetries retries
// failed ones.
//
// # Seeding, driving and reading
//
// Seeding (AddLocation, AddProduct, AddCollection, AddCustomer, AddCompany,
// AddCatalog, Subscribe) sets up state without webhooks. Driving plays the
// customer and the merchant and sends the webhooks, returning after their
// delivery: PlaceOrder, UpdateOrder, CancelOrder, MarkOrderPaid,
// FulfillOrder, RefundOrder, RequestReturn, SetStock, AdjustStock,
// EditProduct, Uninstall, RequestCustomerData, RedactCustomer, RedactShop,
// SendWebhook. GraphQL mutations send theirs in the background;
// WaitForWebhooks waits for them. Readers return copies for assertions:
// Product, Products, Variant, Quantities, Available, Customer, Customers,
// Company, PriceList, Order, Orders, Fulfillments, WebhookSubscriptions,
// BulkOperations, Deliveries, Stats (requests, queries, mutations,
// throttled, points requested and spent, webhooks) and Bucket.
//
// # Fault injection
//
// FailNext answers the next requests with an HTTP status (5xx, or 429 with
// Retry-After); FailField nulls a field in the next responses and reports
// it in errors, as partial data; SetBucketAvailable empties the bucket;
// FailNextBulkOperation fails a bulk operation; RevokeToken makes every
// request 401.
//
// # Keys and time
//
// Records get GIDs gid://shopify/<Type>/<n> whose numbers start above 2^53,
// so a client that reads an ID (or a legacyResourceId, or a webhook's id)
// through a float64 fails; legacyResourceId and other UnsignedInt64 values
// are strings. Orders are named #1001, #1002, ...; fulfillments
// #1001-F1, returns #1001-R1. Everything is stamped by the clock.
//
// # Known differences from Shopify
//
// The schema is a subset: a field Shopify has and the fake lacks is
// refused as unknown. Validation messages are graphql-go's, not
// Shopify's. The message of the first > 250 error is the fake's own.
// productSet with synchronous: false reports a COMPLETE operation at once;
// without variant IDs it matches variants by their option values. Only
// JSON webhook subscriptions. Only successful idempotent results are kept,
// so a key whose attempt failed may be used again, and
// IDEMPOTENCY_CONCURRENT_REQUEST never occurs. Money has no separate
// presentment currency. The search syntax ignores parentheses.
// InventoryItemMeasurementInput has no shippingPackageId (the fake has no
// shipping packages).
package shopifytest
