// Package businesscentral connects Kontor to Microsoft Dynamics 365
// Business Central through its standard API v2.0 (OData v4): item master,
// prices, stock, customers, shipments and order status flow to the shop;
// customers, orders and returns flow from it.
//
// # Setup and auth
//
// [New] takes a [Config]. Online, the API lives at
//
//	https://api.businesscentral.dynamics.com/v2.0/{tenant}/{environment}/api/v2.0/companies({id})/…
//
// and TenantID and Environment are enough; on-premises (and against the
// fake) BaseURL is the server's root before /api/v2.0, e.g.
// https://bc.example.com:7048/BC. The company is Config.CompanyID, or
// found by CompanyName, or the environment's only company ([Connector.Companies],
// [Connector.CompanyID]); New does no I/O.
//
// Sign-in is the OAuth 2.0 client credentials flow of a Microsoft Entra
// application (golang.org/x/oauth2/clientcredentials through
// transport.OAuth2ClientCredentials): token endpoint
// https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token (TokenURL
// replaces it), scope https://api.businesscentral.dynamics.com/.default.
// The application needs the API permission "Dynamics 365 Business Central
// → API.ReadWrite.All" (application) and must be registered on the page
// "Microsoft Entra applications" with permission sets. The token is
// fetched once on a background context, shared, replaced before it
// expires and fetched anew on a 401. [WithAuth] replaces the flow (Basic
// with a web service access key on premises).
//
// Every request goes through one chain: retry (honouring Retry-After) →
// pacing per user → at most 5 in flight → auth → a redacting slog log
// ([WithLogger]). No token, client secret, client state, e-mail or postal
// address reaches a log or an error text.
//
// # What is read and written
//
// Reads (to the shop), each a [kontor.Cursor] delta read:
//
//   - [Connector.ReadProducts]: items; number → SKU, displayName → title,
//     gtin, taxGroupCode → tax class, baseUnitOfMeasureCode → unit,
//     blocked → discontinued, itemCategoryCode → category; item variants
//     as variants whose SKU is the item number, "-" and the variant code
//     ([WithVariantSeparator]); the item's unitPrice, priceIncludesTax and
//     type in Extra; pictures with [WithPictures] (see [Connector.Picture]);
//     [Connector.UnitsOfMeasure] for unit mappings.
//   - [Connector.ReadPrices]: each item's unitPrice in the company's
//     currency, gross where priceIncludesTax: one price per variant SKU
//     for an item with variants (the SKUs a shop sells; a WooCommerce
//     variable product has no price of its own), each at the item's
//     unitPrice since API v2.0 has no variant prices; one price for the
//     item number for an item without.
//   - [Connector.ReadStock]: the items' read-only inventory, or per
//     location and variant from a custom API page ([WithStockPage],
//     [WithStockLocations]).
//   - [Connector.ReadCustomers]: Company customers are B2B with their
//     taxRegistrationNumber as VAT ID, Person customers B2C.
//   - [Connector.ReadShipments]: salesShipments with their item lines,
//     carrier and tracking from a custom page ([WithTrackingPage]). A
//     shipment line names no variant, so its SKU comes from its sales
//     order: the order line with the line's sequence (posting keeps the
//     line number) gives the item variant, and the line the variant SKU
//     (item number, separator, code) the shop sold. The lines of
//     [WithShippingCharge] and [WithFeeCharge], which posting ships too,
//     are left out; a shipment of nothing else is not read. Per up to 100
//     shipments this costs one $batch for their orders, one for variants
//     not yet known (per item) and one for tracking.
//   - [Connector.ReadStatusUpdates]: order status from salesOrders
//     (processing, partially shipped, shipped) and payment status from
//     salesInvoices (pending, partially paid, paid, voided, refunded);
//     an order's update carries the sales order's id in OrderKeys.ERPKey.
//
// Writes (from the shop), one [kontor.Result] per item, in order:
//
//   - [Connector.WriteCustomers]: found by ERP key, number or e-mail
//     address; created, or updated in the fields that differ.
//   - [Connector.WriteOrders]: salesOrders with their salesOrderLines in
//     one deep insert; externalDocumentNumber is the shop's order number
//     and is looked up before anything is created
//     ($filter=externalDocumentNumber eq '…'), so a retried or duplicated
//     order is found (Unchanged) instead of created twice. The customer is
//     made to exist first (or [WithGuestCustomer]); billing and shipping
//     addresses go to the sell-to and ship-to fields, shipping charges to
//     a line of [WithShippingCharge], fees (cash on delivery, payment
//     surcharges) to a line each of [WithFeeCharge], the shipping method
//     and payment method to shipment method and payment terms
//     ([WithShipmentMethods], [WithPaymentTerms]), anything else to fields
//     of [WithOrderFields].
//   - [Connector.WriteReturns]: salesCreditMemos for the order's customer,
//     found the same way by the return number. An amount-only return (a
//     refund without goods, no lines) is one line of [WithAmountOnlyCredit]
//     priced at the refund; without that option it fails validation.
//
// Reads map onto the kontor types so that what Business Central holds
// validates; a record that does not decode is reported, with its key and
// field, after the others were read (a *kontor.BatchError of
// *kontor.ValidationError).
//
// # Delta and paging
//
// A read filters on $filter=lastModifiedDateTime ge {cursor} (the
// engine's cursor, already moved back by its overlap; "ge" because the
// cursor means "at or after"), pages by following @odata.nextLink with
// Prefer: odata.maxpagesize ([WithPageSize]; never $top and $skip) and
// expands lines with $expand. A next link that leaves the service is
// refused. It stops requesting as soon as the consumer stops.
//
// Some changes do not touch lastModifiedDateTime: a variant's change
// leaves its item as it was, and stock moves by item ledger entries. So a
// delta read of products also reads the itemVariants changed since, and
// one of stock the itemLedgerEntries posted since, and reads their items
// again.
//
// # Concurrency
//
// Each record's @odata.etag is kept and sent as If-Match on PATCH and
// DELETE. A stale one is answered 412 (or, as Business Central does, 409
// Request_EntityChanged); both are [kontor.KindConflict]. A customer
// update that conflicts is read again and, if it still differs, sent once
// more with the new ETag, which keeps the other writer's changes to other
// fields; a second conflict fails the item as a conflict.
//
// # Batching
//
// Writes and lookups go as JSON $batch requests of up to 100 operations
// (POST …/api/v2.0/$batch, {"requests":[…]}), with Prefer:
// odata.continue-on-error so one failing operation does not stop the
// rest. Each operation's result is mapped back to its item by id.
// [WithAtomicBatches] sends an entity's writes with Isolation: snapshot:
// then a request succeeds or fails whole, and the items of a failed one
// fail too, as retryable (they were rolled back); it is off by default,
// since independent orders should not fail together. A batch of 100
// orders costs about 4 requests: look up the orders and SKUs, look up
// the customers, create the missing customers, create the orders.
// [WithoutBatching] sends one request per operation.
//
// A create is never sent twice blindly: after a 429 or a 503 (turned away
// before it ran) it is sent again, after anything else the call fails and
// the engine's retry finds what was created by its external document
// number.
//
// # Webhooks
//
// [Connector.Webhooks] manages subscriptions (POST …/api/v2.0/subscriptions
// with notificationUrl, resource and clientState) and receives their
// notifications. [Webhooks.Handler] answers the validationToken handshake
// (200, the token as text/plain), verifies each notification's clientState
// in constant time (a delivery with none of ours is answered 401: Business
// Central does not retry that and drops such a subscription), and hands
// each notification to a [kontor.EventHandler] as [kontor.Event]s: an
// item is a product and a price event, a sales order an order event (its
// status) and a shipment event, an invoice an order event (its payment
// status), a credit memo a return event, a customer a customer event;
// [Connector.Capabilities] lists these entities as Events. The events are
// bare hints, with ID, Topic, Entity and At but no Key and no payload: a
// notification names the record by its GUID, not by the entity's key
// (SKU, order number) that kontor.Event.Key means, so each makes the
// engine read the changes since its cursor. ID is the same for a
// repeated delivery, so the engine drops repeats. A "collection"
// notification (over 1,000 changes) is such an event too. When storing
// an event fails the handler answers 503, which Business Central retries
// for 36 hours. Notifications are hints: the sweeps reconcile what they
// miss.
//
// The standard API announces no stock change and no shipment of its own.
// The custom API pages of [WithStockPage] and [WithTrackingPage] can. A
// custom API's subscriptions live at its own endpoint, POST
// …/api/{publisher}/{group}/{version}/subscriptions, with a resource on
// the same route,
// /api/{publisher}/{group}/{version}/companies({id})/{entitySet}. When the
// pages are configured, the default [WebhookConfig.Resources] adds them
// as "{Route}/{EntitySet}" to [DefaultWebhookResources] (Resources that
// are set are subscribed as listed: name the pages there too); Maintain,
// Subscribe, Renew and Unsubscribe use each subscription's own endpoint,
// and the Handler turns a stock page's notifications into events with
// Entity stock, a tracking page's into events with Entity shipment, bare
// hints like the others. Business Central
// notifies changes of a page's source records, so a stock page over a
// table of stock levels that every stock movement updates is announced,
// while one over the Item table with location FlowFilters is not (a
// posted movement leaves the item record as it is) and stays polled.
//
// Subscriptions expire after three days. [Webhooks.Maintain], called at
// start-up and then periodically (hourly), renews those expiring within
// a day, recreates those deleted (after a failed delivery) or expired,
// and removes duplicates, for the standard sets and the custom pages
// alike; a custom API that cannot be reached (its extension not
// installed) fails its pages only.
//
// # Limits
//
// Business Central online allows 6,000 requests per user in a sliding
// five-minute window and 5 at once (the rest queue, then get 503). The
// connector paces at 19 requests per second with a burst of 5 (at most
// 5,705 in any five minutes), lets 5 requests run at once, halves its pace
// on a 429 and waits for Retry-After, which the service sends with 503
// and sometimes with 429; without one it backs off exponentially with
// jitter ([WithRetryPolicy]). Connectors that sign in as the same user
// should share one limiter ([WithLimiter]). A 429 or 503 that outlasts
// the retries is [kontor.KindRateLimited] or [kontor.KindRetryable].
//
// # Standard API gaps
//
// The standard API v2.0 cannot give:
//
//   - stock per location or variant: items carry one inventory over all
//     locations, itemLedgerEntries carry no location. A custom API page
//     over the Item table with its location (and variant) FlowFilters, or
//     over a stock table, plugs in with [WithStockPage]: its route, entity
//     set and field names; [WithStockLocations] filters it per location.
//     No reservations or incoming stock either: available is on hand.
//   - tracking: salesShipments have no package tracking number and no
//     shipping agent. A custom page over Sales Shipment Header plugs in
//     with [WithTrackingPage].
//   - variants of shipped lines: salesShipmentLines have no variant
//     field; the variant is taken from the sales order's line. Once the
//     order is gone (fully shipped and invoiced, which deletes it, also
//     at once with "Ship and Invoice") its shipments' lines fall back to
//     the item number, which a shop selling the item's variants does not
//     know as a SKU. Read shipments before invoicing, or have an
//     extension's API page over Sales Shipment Line carry the Variant
//     Code (the connector has no option for such a page yet).
//   - prices beyond the unit price: no price lists, customer group prices
//     or quantity tiers, no variant prices (each variant SKU gets its
//     item's unit price).
//   - payment data on a sales order: no payment method, transaction id or
//     payment status field; [WithPaymentTerms] maps the method to payment
//     terms, [WithOrderFields] writes fields an extension adds. Payment
//     status comes back from posted sales invoices.
//   - tax amounts: Business Central computes tax from its posting setup;
//     the shop's totals are compared with the created order's and a
//     difference is logged. Unit prices are sent as the shop has them, so
//     the customer's "Prices Including VAT" must match the order's.
//   - a sales order that was fully shipped and invoiced is deleted by
//     Business Central, so the lookup by external document number no
//     longer finds it; the engine's idempotency records cover that case.
//     Returns then find their customer through the sales invoice.
//   - no webhooks for salesShipments and itemLedgerEntries: shipments show
//     as a change of their order, stock is polled, unless the custom
//     pages of WithStockPage and WithTrackingPage are configured, whose
//     changes the webhooks announce.
//
// Code fields are upper case in Business Central: external document
// numbers and item numbers are sent upper case.
//
// # Testing
//
// The subpackage bctest is a fake Business Central to test against: its
// own token endpoint, the entity sets above, $batch, ETags, webhooks with
// the real handshake, rate limits and fault injection.
package businesscentral
