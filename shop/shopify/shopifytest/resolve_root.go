package shopifytest

import (
	"context"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
)

// root resolves QueryRoot and Mutation; the mutation methods are in the
// mutate_*.go files.
type root struct{}

type shopR struct {
	ID                           graphql.ID
	Name                         string
	Email                        string
	ContactEmail                 string
	MyshopifyDomain              string
	CurrencyCode                 string
	EnabledPresentmentCurrencies []string
	IanaTimezone                 string
	TimezoneAbbreviation         string
	TaxesIncluded                bool
	WeightUnit                   string
	Plan                         *shopPlanR
}

type shopPlanR struct {
	PartnerDevelopment bool
	ShopifyPlus        bool
	PublicDisplayName  string
}

func (root) Shop(ctx context.Context) *shopR {
	sh := rc(ctx).st.shop
	return &shopR{
		ID: graphql.ID(sh.id), Name: sh.name, Email: sh.email, ContactEmail: sh.email, MyshopifyDomain: sh.domain,
		CurrencyCode: sh.currency, EnabledPresentmentCurrencies: []string{sh.currency}, IanaTimezone: sh.timezone,
		TimezoneAbbreviation: timezoneAbbreviation(sh.timezone, rc(ctx).now), TaxesIncluded: sh.taxesIncluded,
		WeightUnit: "KILOGRAMS", Plan: &shopPlanR{PartnerDevelopment: true, PublicDisplayName: "Development"},
	}
}

type apiVersionR struct {
	Handle      string
	DisplayName string
	Supported   bool
}

func (root) PublicApiVersions(ctx context.Context) []*apiVersionR {
	var out []*apiVersionR
	for _, v := range rc(ctx).srv.versions {
		out = append(out, &apiVersionR{Handle: v, DisplayName: v, Supported: v != "unstable"})
	}
	return out
}

func (root) Node(ctx context.Context, a struct{ ID graphql.ID }) *nodeR {
	return nodeOf(rc(ctx).st, string(a.ID))
}

func (root) Nodes(ctx context.Context, a struct{ Ids []graphql.ID }) ([]*nodeR, error) {
	if len(a.Ids) > maxPageSize {
		return nil, &gqlError{msg: "The input array size of " + intStr(len(a.Ids)) + " is greater than the maximum allowed of 250.", ext: map[string]any{"code": "MAX_INPUT_SIZE_EXCEEDED"}}
	}
	out := make([]*nodeR, len(a.Ids))
	for i, id := range a.Ids {
		out[i] = nodeOf(rc(ctx).st, string(id))
	}
	return out, nil
}

// ---------------------------------------------------------------- catalog roots

func (root) Location(ctx context.Context, a struct{ ID *graphql.ID }) *locationR {
	st := rc(ctx).st
	if a.ID == nil {
		for _, l := range st.locations {
			if l.active {
				return newLocationR(l)
			}
		}
		return nil
	}
	l, _ := lookup[*location](st, string(*a.ID))
	return newLocationR(l)
}

func (root) Locations(ctx context.Context, a struct {
	connArgs
	SortKey         string
	Query           *string
	IncludeInactive bool
	IncludeLegacy   bool
}) (*connection[*locationR], error) {
	var ls []*location
	for _, l := range rc(ctx).st.locations {
		if l.active || a.IncludeInactive {
			ls = append(ls, l)
		}
	}
	ls = filter(ls, parseSearch(a.Query), locationFields)
	return pageViews(ctx, ls, locationKey(a.SortKey), newLocationR, a.connArgs)
}

func (root) Product(ctx context.Context, a struct{ ID graphql.ID }) *productR {
	p, _ := lookup[*product](rc(ctx).st, string(a.ID))
	return newProductR(p)
}

func (root) ProductByIdentifier(ctx context.Context, a struct{ Identifier in[identifierIn] }) *productR {
	st := rc(ctx).st
	id := a.Identifier.V
	switch {
	case id.ID != nil:
		p, _ := lookup[*product](st, *id.ID)
		return newProductR(p)
	case id.Handle != nil:
		return newProductR(st.productByHandle(*id.Handle))
	case id.CustomID != nil:
		return newProductR(st.productByMetafield(str(id.CustomID.Namespace), id.CustomID.Key, id.CustomID.Value))
	}
	return nil
}

type productsArgs struct {
	connArgs
	SortKey       string
	Query         *string
	SavedSearchId *graphql.ID
}

func (root) Products(ctx context.Context, a productsArgs) (*connection[*productR], error) {
	ps := filter(rc(ctx).st.products, parseSearch(a.Query), productFields)
	return pageViews(ctx, ps, productKey(a.SortKey), newProductR, a.connArgs)
}

type countArgs struct {
	Query *string
	Limit int32
}

func limitCount(n int, limit int32) *countR {
	if n > int(limit) {
		return &countR{Count: limit, Precision: "AT_LEAST"}
	}
	return count(n)
}

func (root) ProductsCount(ctx context.Context, a countArgs) *countR {
	return limitCount(len(filter(rc(ctx).st.products, parseSearch(a.Query), productFields)), a.Limit)
}

func (root) ProductVariant(ctx context.Context, a struct{ ID graphql.ID }) *variantR {
	v, _ := lookup[*variant](rc(ctx).st, string(a.ID))
	return newVariantR(v)
}

func allVariants(st *state) []*variant {
	var vs []*variant
	for _, p := range st.products {
		vs = append(vs, p.variants...)
	}
	return vs
}

func (root) ProductVariants(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*variantR], error) {
	vs := filter(allVariants(rc(ctx).st), parseSearch(a.Query), variantFields)
	return pageViews(ctx, vs, variantKey(a.SortKey), newVariantR, a.connArgs)
}

func (root) ProductVariantsCount(ctx context.Context, a countArgs) *countR {
	return limitCount(len(filter(allVariants(rc(ctx).st), parseSearch(a.Query), variantFields)), a.Limit)
}

func (root) Collection(ctx context.Context, a struct{ ID graphql.ID }) *collectionR {
	c, ok := lookup[*collection](rc(ctx).st, string(a.ID))
	if !ok {
		return nil
	}
	return newCollectionR(c)
}

func (root) Collections(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*collectionR], error) {
	cs := filter(rc(ctx).st.collections, parseSearch(a.Query), collectionFields)
	return pageViews(ctx, cs, collectionKey(a.SortKey), newCollectionR, a.connArgs)
}

// ---------------------------------------------------------------- inventory roots

func (root) InventoryItem(ctx context.Context, a struct{ ID graphql.ID }) *inventoryItemR {
	it, _ := lookup[*inventoryItem](rc(ctx).st, string(a.ID))
	return newItemR(it)
}

func (root) InventoryItems(ctx context.Context, a struct {
	connArgs
	Query *string
}) (*connection[*inventoryItemR], error) {
	var items []*inventoryItem
	for _, v := range allVariants(rc(ctx).st) {
		items = append(items, v.item)
	}
	items = filter(items, parseSearch(a.Query), itemFields)
	return pageViews(ctx, items, itemKey, newItemR, a.connArgs)
}

func (root) InventoryLevel(ctx context.Context, a struct{ ID graphql.ID }) *inventoryLevelR {
	l, _ := lookup[*inventoryLevel](rc(ctx).st, string(a.ID))
	return newLevelR(l)
}

// ---------------------------------------------------------------- order roots

func (root) Order(ctx context.Context, a struct{ ID graphql.ID }) *orderR {
	o, _ := lookup[*order](rc(ctx).st, string(a.ID))
	return newOrderR(o)
}

func (root) Orders(ctx context.Context, a productsArgs) (*connection[*orderR], error) {
	os := filter(rc(ctx).st.orders, parseSearch(a.Query), orderFields)
	return pageViews(ctx, os, orderKey(a.SortKey), newOrderR, a.connArgs)
}

func (root) OrdersCount(ctx context.Context, a countArgs) *countR {
	return limitCount(len(filter(rc(ctx).st.orders, parseSearch(a.Query), orderFields)), a.Limit)
}

func (root) Fulfillment(ctx context.Context, a struct{ ID graphql.ID }) *fulfillmentR {
	f, _ := lookup[*fulfillment](rc(ctx).st, string(a.ID))
	return newFulfillmentR(f)
}

func (root) FulfillmentOrder(ctx context.Context, a struct{ ID graphql.ID }) *fulfillmentOrderR {
	f, _ := lookup[*fulfillmentOrder](rc(ctx).st, string(a.ID))
	return newFulfillmentOrderR(f)
}

func (root) Refund(ctx context.Context, a struct{ ID graphql.ID }) *refundR {
	r, _ := lookup[*refund](rc(ctx).st, string(a.ID))
	return newRefundR(r)
}

func (root) Return(ctx context.Context, a struct{ ID graphql.ID }) *returnR {
	r, _ := lookup[*orderReturn](rc(ctx).st, string(a.ID))
	return newReturnR(r)
}

// ---------------------------------------------------------------- customer roots

func (root) Customer(ctx context.Context, a struct{ ID graphql.ID }) *customerR {
	c, _ := lookup[*customer](rc(ctx).st, string(a.ID))
	return newCustomerR(c)
}

func (root) CustomerByIdentifier(ctx context.Context, a struct{ Identifier in[identifierIn] }) *customerR {
	return newCustomerR(findCustomer(rc(ctx).st, a.Identifier.V))
}

func findCustomer(st *state, id identifierIn) *customer {
	for _, c := range st.customers {
		switch {
		case id.ID != nil && c.id == *id.ID,
			id.EmailAdr != nil && c.email != "" && strings.EqualFold(c.email, *id.EmailAdr),
			id.Email != nil && c.email != "" && strings.EqualFold(c.email, *id.Email),
			id.PhoneNum != nil && c.phone != "" && c.phone == *id.PhoneNum,
			id.Phone != nil && c.phone != "" && c.phone == *id.Phone:
			return c
		case id.CustomID != nil:
			ns := str(id.CustomID.Namespace)
			if ns == "" {
				ns = "custom"
			}
			for _, m := range c.metafields {
				if m.namespace == ns && m.key == id.CustomID.Key && m.value == id.CustomID.Value {
					return c
				}
			}
		}
	}
	return nil
}

func (root) Customers(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*customerR], error) {
	cs := filter(rc(ctx).st.customers, parseSearch(a.Query), customerFields)
	return pageViews(ctx, cs, customerKey(a.SortKey), newCustomerR, a.connArgs)
}

func (root) Company(ctx context.Context, a struct{ ID graphql.ID }) *companyR {
	c, _ := lookup[*company](rc(ctx).st, string(a.ID))
	return newCompanyR(c)
}

func (root) Companies(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*companyR], error) {
	cs := filter(rc(ctx).st.companies, parseSearch(a.Query), companyFields)
	return pageViews(ctx, cs, companyKey(a.SortKey), newCompanyR, a.connArgs)
}

func (root) CompanyLocation(ctx context.Context, a struct{ ID graphql.ID }) *companyLocationR {
	l, _ := lookup[*companyLocation](rc(ctx).st, string(a.ID))
	return newCompanyLocationR(l)
}

func (root) Catalog(ctx context.Context, a struct{ ID graphql.ID }) *catalogR {
	c, _ := lookup[*catalog](rc(ctx).st, string(a.ID))
	return newCatalogR(c)
}

func (root) Catalogs(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
	Type    *string
}) (*connection[*catalogR], error) {
	cs := rc(ctx).st.catalogs
	if a.Type != nil && *a.Type != "COMPANY_LOCATION" {
		cs = nil
	}
	cs = filter(cs, parseSearch(a.Query), func(c *catalog) searchFields {
		return func(f string) ([]string, bool) {
			switch f {
			case "", "title":
				return one(c.title), true
			case "status":
				return one(strings.ToLower(c.status)), true
			}
			return nil, false
		}
	})
	return pageViews(ctx, cs, catalogKey(a.SortKey), newCatalogR, a.connArgs)
}

func (root) PriceList(ctx context.Context, a struct{ ID graphql.ID }) *priceListR {
	p, _ := lookup[*priceList](rc(ctx).st, string(a.ID))
	return newPriceListR(p)
}

func (root) PriceLists(ctx context.Context, a struct {
	connArgs
	SortKey string
}) (*connection[*priceListR], error) {
	return pageViews(ctx, rc(ctx).st.priceLists, func(p *priceList) sortKey {
		n := gidNumber(p.id)
		if a.SortKey == "NAME" {
			return keyOf(textKey(p.name), n)
		}
		return keyOf(idKey(n), n)
	}, newPriceListR, a.connArgs)
}

// ---------------------------------------------------------------- bulk operations

type bulkOpR struct {
	ID              graphql.ID
	Status          string
	Type            string
	ErrorCode       *string
	CreatedAt       dateTime
	CompletedAt     *dateTime
	ObjectCount     uint64Scalar
	RootObjectCount uint64Scalar
	FileSize        *uint64Scalar
	Url             *urlScalar
	PartialDataUrl  *urlScalar
	Query           string
}

func newBulkOpR(srv *Server, b *bulkOp) *bulkOpR {
	if b == nil {
		return nil
	}
	r := &bulkOpR{
		ID: graphql.ID(b.id), Status: b.status, Type: b.typ, ErrorCode: sp(b.errorCode), CreatedAt: dt(b.createdAt),
		CompletedAt: dtp(b.completedAt), ObjectCount: uint64Scalar(b.objectCount), RootObjectCount: uint64Scalar(b.rootCount),
		Query: b.query,
	}
	if b.status == "COMPLETED" && len(b.result) > 0 {
		r.Url = urlp(srv.bulkResultURL(b))
		r.FileSize = u64p(int64(len(b.result)))
	}
	if b.status == "FAILED" && b.partial && len(b.result) > 0 {
		r.PartialDataUrl = urlp(srv.bulkResultURL(b))
	}
	return r
}

func (root) BulkOperation(ctx context.Context, a struct{ ID graphql.ID }) *bulkOpR {
	b, _ := lookup[*bulkOp](rc(ctx).st, string(a.ID))
	return newBulkOpR(rc(ctx).srv, b)
}

func (root) BulkOperations(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*bulkOpR], error) {
	srv := rc(ctx).srv
	ops := filter(rc(ctx).st.bulkOps, parseSearch(a.Query), func(b *bulkOp) searchFields {
		return func(f string) ([]string, bool) {
			switch f {
			case "status":
				return one(strings.ToLower(b.status)), true
			case "operation_type", "type":
				return one(strings.ToLower(b.typ)), true
			case "created_at":
				return one(fmtTime(b.createdAt)), true
			}
			return nil, false
		}
	})
	return pageViews(ctx, ops, func(b *bulkOp) sortKey {
		if a.SortKey == "COMPLETED_AT" {
			return keyOf(timeKey(b.completedAt), b.num)
		}
		return keyOf(idKey(b.num), b.num)
	}, func(b *bulkOp) *bulkOpR { return newBulkOpR(srv, b) }, a.connArgs)
}

func (root) CurrentBulkOperation(ctx context.Context, a struct{ Type string }) *bulkOpR {
	ops := rc(ctx).st.bulkOps
	for i := len(ops) - 1; i >= 0; i-- {
		if ops[i].typ == a.Type {
			return newBulkOpR(rc(ctx).srv, ops[i])
		}
	}
	return nil
}

// ---------------------------------------------------------------- webhooks

type webhookSubR struct {
	ID                  graphql.ID
	Topic               string
	Uri                 string
	CallbackUrl         urlScalar
	Format              string
	IncludeFields       []string
	MetafieldNamespaces []string
	Filter              *string
	CreatedAt           dateTime
	UpdatedAt           dateTime
	rec                 *webhookSub
}

func newWebhookSubR(w *webhookSub) *webhookSubR {
	if w == nil {
		return nil
	}
	return &webhookSubR{
		ID: graphql.ID(w.id), Topic: w.topic, Uri: w.uri, CallbackUrl: urlScalar(w.uri), Format: w.format,
		IncludeFields: append([]string{}, w.includeFields...), MetafieldNamespaces: append([]string{}, w.metafieldSpaces...),
		Filter: sp(w.filter), CreatedAt: dt(w.createdAt), UpdatedAt: dt(w.updatedAt), rec: w,
	}
}

func (r *webhookSubR) ApiVersion() *apiVersionR {
	return &apiVersionR{Handle: r.rec.version, DisplayName: r.rec.version, Supported: true}
}

func (r *webhookSubR) Endpoint() *webhookEndpointR {
	return &webhookEndpointR{http: &webhookHTTPEndpointR{CallbackUrl: urlScalar(r.rec.uri)}}
}

type webhookEndpointR struct{ http *webhookHTTPEndpointR }

func (e *webhookEndpointR) ToWebhookHttpEndpoint() (*webhookHTTPEndpointR, bool) { return e.http, true }

type webhookHTTPEndpointR struct{ CallbackUrl urlScalar }

func (root) WebhookSubscription(ctx context.Context, a struct{ ID graphql.ID }) *webhookSubR {
	w, _ := lookup[*webhookSub](rc(ctx).st, string(a.ID))
	return newWebhookSubR(w)
}

type webhookSubsArgs struct {
	connArgs
	SortKey string
	Topics  *[]string
	Format  *string
	Uri     *string
	Query   *string
}

func (root) WebhookSubscriptions(ctx context.Context, a webhookSubsArgs) (*connection[*webhookSubR], error) {
	var ws []*webhookSub
	for _, w := range rc(ctx).st.webhooks {
		if a.Topics != nil && !slices.Contains(*a.Topics, w.topic) {
			continue
		}
		if a.Uri != nil && w.uri != *a.Uri {
			continue
		}
		if a.Format != nil && w.format != *a.Format {
			continue
		}
		ws = append(ws, w)
	}
	ws = filter(ws, parseSearch(a.Query), webhookFields)
	return pageViews(ctx, ws, func(w *webhookSub) sortKey {
		if a.SortKey == "CREATED_AT" {
			return keyOf(timeKey(w.createdAt), w.num)
		}
		return keyOf(idKey(w.num), w.num)
	}, newWebhookSubR, a.connArgs)
}

func webhookFields(w *webhookSub) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "topic":
			return []string{w.topic, restTopic(w.topic)}, true
		case "uri", "callback_url", "endpoint":
			return one(w.uri), true
		case "id":
			return idField(w.num), true
		}
		return nil, false
	}
}

func (root) WebhookSubscriptionsCount(ctx context.Context, a countArgs) *countR {
	return limitCount(len(filter(rc(ctx).st.webhooks, parseSearch(a.Query), webhookFields)), a.Limit)
}

// ---------------------------------------------------------------- Node

// nodeR resolves the Node interface: it holds one of the views and offers a
// conversion to each type that implements Node.
type nodeR struct {
	id graphql.ID
	v  any
}

func nodeOf(st *state, id string) *nodeR {
	rec, ok := st.nodes[id]
	if !ok {
		return nil
	}
	var v any
	switch x := rec.(type) {
	case *location:
		v = newLocationR(x)
	case *product:
		v = newProductR(x)
	case *variant:
		v = newVariantR(x)
	case *media:
		v = newMediaR(x)
	case *metafield:
		v = newMetafieldR(x)
	case *collection:
		v = newCollectionR(x)
	case *inventoryItem:
		v = newItemR(x)
	case *inventoryLevel:
		v = newLevelR(x)
	case *adjustmentGroup:
		v = newGroupR(x)
	case *order:
		v = newOrderR(x)
	case *lineItem:
		v = newLineItemR(x)
	case *transaction:
		v = newTransactionR(x)
	case *fulfillmentOrder:
		v = newFulfillmentOrderR(x)
	case *foLine:
		v = newFOLineR(x)
	case *fulfillment:
		v = newFulfillmentR(x)
	case *refund:
		v = newRefundR(x)
	case *orderReturn:
		v = newReturnR(x)
	case *customer:
		v = newCustomerR(x)
	case *address:
		v = newAddressR(x)
	case *company:
		v = newCompanyR(x)
	case *companyContact:
		v = newContactR(x)
	case *companyLocation:
		v = newCompanyLocationR(x)
	case *catalog:
		v = newCatalogR(x)
	case *priceList:
		v = newPriceListR(x)
	case *priceBreak:
		v = newPriceBreakR(x)
	case *bulkOp:
		v = newBulkOpR(nil, x)
	case *webhookSub:
		v = newWebhookSubR(x)
	default:
		return nil
	}
	return &nodeR{id: graphql.ID(id), v: v}
}

func as[T any](v any) (T, bool) {
	t, ok := v.(T)
	return t, ok
}

func (n *nodeR) ID() graphql.ID { return n.id }

func (n *nodeR) ToShop() (*shopR, bool)                      { return as[*shopR](n.v) }
func (n *nodeR) ToLocation() (*locationR, bool)              { return as[*locationR](n.v) }
func (n *nodeR) ToProduct() (*productR, bool)                { return as[*productR](n.v) }
func (n *nodeR) ToProductOption() (*optionR, bool)           { return as[*optionR](n.v) }
func (n *nodeR) ToProductOptionValue() (*optionValueR, bool) { return as[*optionValueR](n.v) }
func (n *nodeR) ToProductVariant() (*variantR, bool)         { return as[*variantR](n.v) }
func (n *nodeR) ToMediaImage() (*mediaR, bool)               { return as[*mediaR](n.v) }
func (n *nodeR) ToMetafield() (*metafieldR, bool)            { return as[*metafieldR](n.v) }
func (n *nodeR) ToCollection() (*collectionR, bool)          { return as[*collectionR](n.v) }
func (n *nodeR) ToInventoryItem() (*inventoryItemR, bool)    { return as[*inventoryItemR](n.v) }
func (n *nodeR) ToInventoryLevel() (*inventoryLevelR, bool)  { return as[*inventoryLevelR](n.v) }
func (n *nodeR) ToInventoryQuantity() (*inventoryQuantityR, bool) {
	return as[*inventoryQuantityR](n.v)
}
func (n *nodeR) ToInventoryAdjustmentGroup() (*adjustmentGroupR, bool) {
	return as[*adjustmentGroupR](n.v)
}
func (n *nodeR) ToOrder() (*orderR, bool)                         { return as[*orderR](n.v) }
func (n *nodeR) ToLineItem() (*lineItemR, bool)                   { return as[*lineItemR](n.v) }
func (n *nodeR) ToOrderTransaction() (*transactionR, bool)        { return as[*transactionR](n.v) }
func (n *nodeR) ToMailingAddress() (*mailingAddressR, bool)       { return as[*mailingAddressR](n.v) }
func (n *nodeR) ToFulfillmentOrder() (*fulfillmentOrderR, bool)   { return as[*fulfillmentOrderR](n.v) }
func (n *nodeR) ToFulfillmentOrderLineItem() (*foLineR, bool)     { return as[*foLineR](n.v) }
func (n *nodeR) ToFulfillment() (*fulfillmentR, bool)             { return as[*fulfillmentR](n.v) }
func (n *nodeR) ToFulfillmentLineItem() (*fulfillmentLineR, bool) { return as[*fulfillmentLineR](n.v) }
func (n *nodeR) ToRefund() (*refundR, bool)                       { return as[*refundR](n.v) }
func (n *nodeR) ToReturn() (*returnR, bool)                       { return as[*returnR](n.v) }
func (n *nodeR) ToReturnLineItem() (*returnLineR, bool)           { return as[*returnLineR](n.v) }
func (n *nodeR) ToCustomer() (*customerR, bool)                   { return as[*customerR](n.v) }
func (n *nodeR) ToCompany() (*companyR, bool)                     { return as[*companyR](n.v) }
func (n *nodeR) ToCompanyContact() (*companyContactR, bool)       { return as[*companyContactR](n.v) }
func (n *nodeR) ToCompanyLocation() (*companyLocationR, bool)     { return as[*companyLocationR](n.v) }
func (n *nodeR) ToCompanyAddress() (*companyAddressR, bool)       { return as[*companyAddressR](n.v) }
func (n *nodeR) ToCompanyLocationCatalog() (*catalogR, bool)      { return as[*catalogR](n.v) }
func (n *nodeR) ToPriceList() (*priceListR, bool)                 { return as[*priceListR](n.v) }
func (n *nodeR) ToQuantityPriceBreak() (*priceBreakR, bool)       { return as[*priceBreakR](n.v) }
func (n *nodeR) ToBulkOperation() (*bulkOpR, bool)                { return as[*bulkOpR](n.v) }
func (n *nodeR) ToWebhookSubscription() (*webhookSubR, bool)      { return as[*webhookSubR](n.v) }
func (n *nodeR) ToProductSetOperation() (*productSetOperationR, bool) {
	return as[*productSetOperationR](n.v)
}
