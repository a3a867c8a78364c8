// Package bctest is a fake Microsoft Dynamics 365 Business Central tenant:
// an httptest server speaking API v2.0 (OData v4) and Microsoft Entra ID's
// client credentials token endpoint as the cloud service does, enforcing
// the same rules, so that a request Business Central rejects is rejected
// here too. Users test their own integrations against it; the
// businesscentral connector and the quickstart run on it.
//
//	srv := bctest.New()
//	defer srv.Close()
//	srv.PutItem(bctest.Item{Number: "1896-S", DisplayName: "ATHENS Desk", UnitPrice: decimal.RequireFromString("1000.8")})
//	cfg := srv.OAuth2Config() // client id, secret, token URL, scope
//	hc := cfg.Client(ctx)     // bearer tokens from the fake's token endpoint
//	q := url.Values{"$filter": {"number eq '1896-S'"}}
//	resp, err := hc.Get(srv.CompanyURL() + "/items?" + q.Encode())
//
// # URLs and identity
//
// URL is the root (http://127.0.0.1:port); it stands in for both
// https://api.businesscentral.dynamics.com and
// https://login.microsoftonline.com. The API has the cloud shape
// URL/v2.0/{tenant}/{environment}/api/v2.0 (APIURL; the tenant segment may
// be left out), its companies at …/companies and the entity sets at
// …/companies({id})/{set} (CompanyURL). A relative path without companies(…)
// takes the company from a Company header or a company query parameter
// (name or id), as in the $batch example of the documentation. TenantID,
// Environment, CompanyID, CompanyName, ClientID and ClientSecret return
// the identity (options WithTenant, WithEnvironment, WithCompanies,
// WithCredentials). Ids are deterministic GUIDs; numbers come from number
// series (customers C00010, C00020, …; orders S-ORD101001, …; shipments
// S-SHPT102001, …; draft invoices S-INV102001, …; posted invoices
// PS-INV103001, …; credit memos S-CR104001, …).
//
// # Authentication
//
// TokenURL is URL/{tenant}/oauth2/v2.0/token: a form POST with
// grant_type=client_credentials, client_id, client_secret (or HTTP Basic
// client authentication) and scope (the constant Scope) returns
// {"token_type":"Bearer","expires_in":…,"ext_expires_in":…,"access_token":…}.
// Errors have Entra ID's body ({error, error_description "AADSTS…",
// error_codes, timestamp, trace_id, correlation_id, error_uri}) and codes:
// a wrong secret is 401 invalid_client (AADSTS7000215), an unknown client
// 400 unauthorized_client (AADSTS700016), a scope without /.default 400
// invalid_scope (AADSTS1002012), a missing parameter 400 invalid_request
// (AADSTS900144). Tokens live one hour (WithTokenLifetime) on the fake's
// clock (WithClock); ExpireTokens expires every token now. An API request
// without a valid, unexpired bearer token gets 401
// Authentication_InvalidCredentials with a WWW-Authenticate Bearer
// challenge (error="invalid_token" for an unknown or expired token).
// IssueToken hands out a token without a token request.
//
// # Entity sets
//
// The fake serves these entity sets, with the property names, types,
// lengths and editability of the API v2.0 pages; Code fields are stored
// upper case (externalDocumentNumber "wc-1001" reads back "WC-1001"), a
// too long value is 400 Application_StringExceededLength, an unknown
// property 400 BadRequest, a read-only one 400 BadRequest_InvalidOperation,
// an invalid option 400 ("'X' is not an option. The existing options are:
// …"), an unknown related code or id 400 Internal_InvalidTableRelation:
//
//   - companies (GET).
//   - items: GET, POST, PATCH, DELETE; number, displayName, type
//     (Inventory, Service, Non-Inventory), itemCategoryId/Code, blocked,
//     gtin, inventory (read-only: the sum of the item ledger), unitPrice,
//     priceIncludesTax, unitCost, taxGroupId/Code,
//     baseUnitOfMeasureId/Code, posting groups, lastModifiedDateTime.
//     Navigation itemVariants and picture ($expand works for both).
//   - itemVariants (also items({id})/itemVariants): id, itemId,
//     itemNumber, code, description.
//   - items({id})/picture: id, parentType, width, height, contentType and
//     the pictureContent media links; GET, PATCH (If-Match) and DELETE of
//     items({id})/picture/pictureContent.
//   - unitsOfMeasure, locations, itemCategories, taxGroups,
//     shipmentMethods, paymentTerms, paymentMethods: the setup tables.
//   - customers: number, displayName, type (Company, Person), address
//     fields, phoneNumber, email, website, taxRegistrationNumber,
//     taxLiable, currencyCode, paymentTermsId, shipmentMethodId,
//     paymentMethodId, blocked (" ", Ship, Invoice, All), ….
//   - salesOrders with salesOrderLines (nested and top-level): a POST takes
//     a deep insert ("salesOrderLines": [...]); customerId or
//     customerNumber is required and the customer's name, addresses,
//     currency, terms, e-mail and phone are copied unless the request sets
//     them; item lines take the item's description, price, unit and tax
//     group; lines get amounts, tax (SetTaxRate), the invoice discount
//     (discountAmount) allocated and the order its totals. A blocked item
//     or customer is rejected as Business Central does.
//     externalDocumentNumber is not unique (as in Business Central), so a
//     connector must look an order up before it creates it. The bound
//     action Microsoft.NAV.shipAndInvoice posts a shipment of what is to
//     ship and a sales invoice of everything shipped and not invoiced,
//     and deletes the order when it is completely shipped and invoiced,
//     as posting does.
//   - salesShipments with salesShipmentLines (GET): posted shipments, from
//     PostShipment or shipAndInvoice; orderNumber and
//     externalDocumentNumber link them to the order.
//   - salesInvoices with salesInvoiceLines: drafts like salesOrders
//     (deep insert, totals; number S-INV102001, …, status Draft) and
//     posted invoices (PS-INV103001, …), which keep the id of their
//     draft, have the status Open, Paid, Canceled or Corrective,
//     remainingAmount (what is left to pay), and, for an order's invoice,
//     orderId, orderNumber and the order's externalDocumentNumber. A
//     posted invoice and its lines cannot be changed or deleted ("The
//     invoice has been posted and can no longer be modified."). Bound
//     actions: post and postAndSend (a draft: a new number, Open, its
//     items out of stock), send, cancel and cancelAndSend (a posted,
//     unpaid invoice: a corrective credit memo with the status Corrective
//     is posted against it, its items return to stock, the invoice is
//     Canceled with remainingAmount 0), makeCorrectiveCreditMemo (a draft
//     credit memo of the invoice's lines). Posted invoices also come from
//     shipAndInvoice and InvoiceOrder; PayInvoice and SetInvoicePaid
//     settle them.
//   - salesCreditMemos with salesCreditMemoLines: like salesOrders (deep
//     insert, totals); invoiceId or invoiceNumber applies one to a posted
//     invoice (the other is looked up); bound actions post, send,
//     postAndSend, cancel, cancelAndSend.
//   - itemLedgerEntries (GET): the stock movements.
//
// GET $metadata returns a CSDL document of these types; GET on the route
// returns the service document.
//
// # OData
//
// $filter takes comparisons (eq, ne, gt, ge, lt, le) of a property with a
// literal of its type, and, or, not, parentheses and startswith, endswith,
// contains; literals are typed as in OData v4 (strings quoted, GUIDs,
// dates and datetimes like 2024-05-01T10:00:00.000Z unquoted), and a
// mismatch ('2024-05-01' against lastModifiedDateTime) is 400 "A binary
// operator with incompatible types was detected", an unknown property 400
// "Could not find a property named …", a syntax error 400 "Syntax error at
// position …"; all with code BadRequest. Operators and functions the fake
// does not implement (in, has, arithmetic, other functions, comparing two
// properties) are rejected with BadRequest and a message saying so. String
// comparisons ignore case, like Business Central's collation. $select
// (an entity then has @odata.etag and the selected properties only),
// $expand (with nested $select and $filter), $orderby, $top, $skip and
// $count=true work; an unknown system query option is 400.
//
// Paging is server-driven: a page holds at most the Prefer:
// odata.maxpagesize=N of the request (capped at 20,000; answered with
// Preference-Applied), else WithPageSize (default 20,000), and ends with
// @odata.nextLink carrying an opaque $skiptoken that encodes the position
// by sort key, so rows added or changed while a client pages are neither
// skipped nor repeated. Without $orderby, rows come in the table's key
// order (items and customers by number, orders by number, …).
// lastModifiedDateTime has millisecond precision and every change gets a
// later one than the change before, so "lastModifiedDateTime gt X" is
// exact.
//
// # ETags and If-Match
//
// Every entity carries @odata.etag, W/"JzE5Oz…Oyc=" in Business Central's
// shape, which changes with every change of the row. PATCH (and DELETE,
// and the picture content) require If-Match: without it the answer is 400
// BadRequest_InvalidToken ("Could not validate the client concurrency
// token…"), "*" matches anything, and a stale ETag is 409
// Request_EntityChanged ("Another user has already changed the record."),
// which is what Business Central sends; WithETagMismatchStatus(412) makes
// it 412 instead. A PATCH changes lastModifiedDateTime; a line change
// changes its document's ETag and lastModifiedDateTime. POST answers 201
// with the entity and a Location header; Prefer: return=minimal gives 204.
//
// # $batch
//
// POST {route}/$batch with Content-Type: application/json and
// {"requests":[{id, method, url, headers, body, dependsOn}]} (url absolute,
// server-relative or relative to the route) answers 200 with
// {"responses":[{id, status, headers, body}]}. More than 100 operations is
// 400. The operations run in order; as Business Central does, the batch
// stops after the first failed operation unless the request has Prefer:
// odata.continue-on-error, and an operation whose dependsOn names a
// failed one gets 424. With Isolation: snapshot the batch is one
// transaction: when an operation fails, every change of the batch is
// rolled back (and no notification goes out) while the responses still
// show each operation's own status, as in the documentation's example.
// FailBatchOperation(i, fault) makes operation i of the next batch fail.
// Batches and BatchOperations count them; a batch counts as one request.
//
// # Webhooks
//
// POST {route}/subscriptions with {notificationUrl, resource, clientState}
// (resource: a company's webhook-enabled entity set, like
// /api/v2.0/companies({id})/customers; the enabled sets are items,
// customers, salesOrders, salesInvoices, salesCreditMemos, unitsOfMeasure,
// itemCategories, shipmentMethods, paymentTerms and paymentMethods, as in
// Business Central's list) runs the validation handshake: the fake POSTs
// to notificationUrl?validationToken=… (an empty body) and creates the
// subscription (201, subscriptionId, expirationDateTime three days ahead on
// the fake's clock, WithSubscriptionLifetime) only when the answer is 200
// with the token as body (text/plain; the content type is not checked)
// within WithWebhookTimeout; otherwise 400 BadRequest.
// FailHandshakes(n) fails the next n handshakes. GET lists the
// subscriptions, PATCH subscriptions('{id}') with If-Match renews (a new
// handshake, a new expiry), DELETE with If-Match removes one. An expired
// subscription gets no notifications and is removed.
//
// Changes (through the API or the seeding methods) are collected for
// WithNotificationDelay (default 20ms; Business Central: 30 seconds),
// de-duplicated per entity, and POSTed to each notification URL as
// {"value":[{subscriptionId, clientState, expirationDateTime, resource,
// changeType, lastModifiedDateTime}]} with changeType created, updated or
// deleted and resource api/v2.0/companies({id})/{set}({id}); more than
// WithCollectionThreshold (default 1,000) changes of one subscription in
// one delay make a single changeType collection notification whose
// resource is /api/v2.0/companies({id})/{set}?$filter=lastModifiedDateTime
// gt {time}. A change to a document line notifies the document. A
// subscriber answering 408, 429 or 5xx is retried (WithNotificationRetries);
// any other non-2xx answer deletes the subscription, as Business Central
// does. FlushNotifications sends the pending ones at once;
// NotificationsSent counts those accepted.
//
// # Limits and faults
//
// Each client may make WithRateLimit requests per sliding window (default
// 6,000 per 5 minutes, Business Central online's per-user limit); above
// it the answer is 429 Application_TooManyRequests, without Retry-After
// (Business Central documents none for 429) unless
// WithRateLimitRetryAfter. At most WithConcurrency requests run at once
// (default 5); more wait in a queue (default 95 places; when full: 429)
// and get 503 after the queue wait (default 8 minutes). FailNext(n, Fault)
// answers the next n requests with a status (429, 503 with or without
// Retry-After, …) and Business Central's error body
// {"error":{"code","message"}}; every message ends with a CorrelationId,
// as the service's do.
//
// # Seeding, driving and inspecting
//
// PutItem (with variants, prices, GTIN, blocked, picture), ChangeItem,
// DeleteItem, PutLocation, PutCustomer, PutCode and SetTaxRate seed the
// first company; SetInventory sets stock per item, variant and location;
// PlaceSalesOrder creates an order as a POST would; PostShipment posts a
// shipment with a tracking number; InvoiceOrder posts the invoice of what
// an order shipped; PayInvoice and SetInvoicePaid record payments;
// SetSalesOrderStatus changes an order's status. Their changes notify
// subscribers like API changes. Item, Items, Inventory, Customer,
// Customers, SalesOrders, SalesOrder, SalesOrderByExternalDocumentNumber,
// SalesOrdersByExternalDocumentNumber, Shipments, Invoices, Invoice,
// CreditMemos and Subscriptions show what the tenant holds;
// Requests, RequestsFor(method, set), Batches, BatchOperations,
// BatchOperationsFor, TokenRequests and ResetCounters count requests.
//
// # What the standard API cannot give
//
// API v2.0 has no stock per location or variant: items carries only the
// total inventory (a FlowField), items has no locationFilter, and
// itemLedgerEntries has no location or variant code. A stock change does
// not change the item's lastModifiedDateTime or ETag and notifies no items
// subscriber, so a delta read of items misses it (SetInventory behaves
// so). API v2.0 also has no tracking number or shipping agent on
// salesShipments (the Sales Shipment Header has them, the page does not),
// no payment method or payment status on salesOrders, no variant prices
// or barcodes, no customer-group prices, and itemVariants has no
// lastModifiedDateTime.
//
// A per-tenant extension fills such gaps with custom API pages; the fake
// has one, WithExtensionAPI, under ExtensionAPIURL
// (…/api/kontor/shop/v1.0/companies({id})/…, with its own $batch and
// subscriptions): stockLevels (itemId, itemNumber, variantCode,
// locationCode, inventory, lastModifiedDateTime; one row per item,
// variant and location, changed with every stock movement) and
// shipmentTrackings (id as the salesShipment's, shipmentNumber,
// orderNumber, externalDocumentNumber, shippingAgentCode,
// shippingAgentServiceCode, packageTrackingNumber, shipmentMethodCode,
// postingDate, lastModifiedDateTime), both read-only, pageable, filterable
// and webhook-enabled. A connector reads them where the tenant has such an
// extension; without WithExtensionAPI the route is 404, as on a tenant
// without it.
//
// # Differences from Business Central
//
// The fake is one environment of one tenant; on-premises URLs
// (https://host:port/instance/api/v2.0) and the runtime API's
// webhookSupportedResources are not served. PUT is taken as PATCH. Only JSON $batch
// is (no multipart), and subscriptions cannot be managed inside a batch.
// DELETE without If-Match is rejected although Business Central 28
// accepts it (the documentation says it is required). Rate limits and
// notification delays run on the real clock, not WithClock. The
// handshake's error message and the 503 body are not taken from the
// service. Posting an invoice computes no customer ledger: the
// customer's balanceDue stays 0, payments are only PayInvoice's, a due
// date takes only simple formulas (14D, 1M, …) of the payment terms, and
// send does not e-mail. Values and rules not listed here (posting groups,
// dimensions, sales prices) are stored as given or not served.
package bctest
