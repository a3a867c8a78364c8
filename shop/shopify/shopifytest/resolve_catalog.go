package shopifytest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/shopspring/decimal"
)

// Resolvers of locations, products, variants, media, metafields,
// collections and inventory. A resolver is a view: its exported fields are
// the GraphQL fields without arguments (graphql-go's field resolvers), its
// methods the rest. Unexported fields never share a name with a GraphQL
// field, since graphql-go would match them.

type countR struct {
	Count     int32
	Precision string
}

func count(n int) *countR { return &countR{Count: int32(n), Precision: "EXACT"} }

// ---------------------------------------------------------------- locations

type locationR struct {
	ID                   graphql.ID
	LegacyResourceId     uint64Scalar
	Name                 string
	IsActive             bool
	Activatable          bool
	DeactivatedAt        *string
	FulfillsOnlineOrders bool
	ShipsInventory       bool
	HasActiveInventory   bool
	Address              *locationAddressR
	CreatedAt            dateTime
	UpdatedAt            dateTime
	rec                  *location
}

type locationAddressR struct {
	Address1     *string
	Address2     *string
	City         *string
	Country      *string
	CountryCode  *string
	Province     *string
	ProvinceCode *string
	Zip          *string
	Phone        *string
	Formatted    []string
}

func sp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func newLocationR(l *location) *locationR {
	if l == nil {
		return nil
	}
	a := l.address
	return &locationR{
		ID:                   graphql.ID(l.id),
		LegacyResourceId:     uint64Scalar(l.num),
		Name:                 l.name,
		IsActive:             l.active,
		Activatable:          true,
		FulfillsOnlineOrders: l.active,
		ShipsInventory:       true,
		HasActiveInventory:   true,
		Address: &locationAddressR{
			Address1: sp(a.address1), Address2: sp(a.address2), City: sp(a.city),
			Country: sp(a.country), CountryCode: sp(a.countryCode), Province: sp(a.province),
			ProvinceCode: sp(a.provinceCode), Zip: sp(a.zip), Phone: sp(a.phone),
			Formatted: formatAddress(&a, false, true),
		},
		CreatedAt: dt(l.createdAt),
		UpdatedAt: dt(l.updatedAt),
		rec:       l,
	}
}

func formatAddress(a *address, withName, withCompany bool) []string {
	var out []string
	if withName {
		if n := strings.TrimSpace(a.firstName + " " + a.lastName); n != "" {
			out = append(out, n)
		}
	}
	if withCompany && a.company != "" {
		out = append(out, a.company)
	}
	for _, s := range []string{a.address1, a.address2, strings.TrimSpace(a.zip + " " + a.city), a.country} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (r *locationR) InventoryLevel(ctx context.Context, a struct{ InventoryItemId graphql.ID }) *inventoryLevelR {
	it, ok := lookup[*inventoryItem](rc(ctx).st, string(a.InventoryItemId))
	if !ok {
		return nil
	}
	return newLevelR(it.level(r.rec.id))
}

func (r *locationR) InventoryLevels(ctx context.Context, a struct {
	connArgs
	Query *string
}) (*connection[*inventoryLevelR], error) {
	st := rc(ctx).st
	var levels []*inventoryLevel
	for _, p := range st.products {
		for _, v := range p.variants {
			if l := v.item.level(r.rec.id); l != nil {
				levels = append(levels, l)
			}
		}
	}
	levels = filter(levels, parseSearch(a.Query), levelFields)
	return pageViews(ctx, levels, levelKey, newLevelR, a.connArgs)
}

// pageViews pages records and wraps the window in views.
func pageViews[R any, V any](ctx context.Context, recs []R, key func(R) sortKey, view func(R) V, a connArgs) (*connection[V], error) {
	c, err := page(ctx, recs, key, a)
	if err != nil {
		return nil, err
	}
	out := &connection[V]{PageInfo: c.PageInfo, Edges: make([]edge[V], len(c.Edges)), Nodes: make([]V, len(c.Nodes))}
	for i, e := range c.Edges {
		v := view(e.Node)
		out.Edges[i] = edge[V]{Cursor: e.Cursor, Node: v}
		out.Nodes[i] = v
	}
	return out, nil
}

func locationKey(sortBy string) func(*location) sortKey {
	return func(l *location) sortKey {
		if sortBy == "NAME" {
			return keyOf(textKey(l.name), l.num)
		}
		return keyOf(idKey(l.num), l.num)
	}
}

func locationFields(l *location) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "", "name":
			return one(l.name), true
		case "id":
			return idField(l.num), true
		case "active":
			return one(boolStr(l.active)), true
		}
		return nil, false
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// ---------------------------------------------------------------- products

type productR struct {
	ID               graphql.ID
	LegacyResourceId uint64Scalar
	Title            string
	Handle           string
	DescriptionHtml  htmlScalar
	Vendor           string
	ProductType      string
	Status           string
	Tags             []string
	TemplateSuffix   *string
	CreatedAt        dateTime
	UpdatedAt        dateTime
	PublishedAt      *dateTime
	IsGiftCard       bool
	OnlineStoreUrl   *urlScalar
	Seo              *seoR
	rec              *product
}

type seoR struct {
	Title       *string
	Description *string
}

func newProductR(p *product) *productR {
	if p == nil {
		return nil
	}
	tags := append([]string{}, p.tags...)
	slices.Sort(tags)
	r := &productR{
		ID:               graphql.ID(p.id),
		LegacyResourceId: uint64Scalar(p.num),
		Title:            p.title,
		Handle:           p.handle,
		DescriptionHtml:  htmlScalar(p.descHTML),
		Vendor:           p.vendor,
		ProductType:      p.productType,
		Status:           p.status,
		Tags:             tags,
		TemplateSuffix:   sp(p.template),
		CreatedAt:        dt(p.createdAt),
		UpdatedAt:        dt(p.updatedAt),
		PublishedAt:      dtp(p.publishedAt),
		IsGiftCard:       p.giftCard,
		Seo:              &seoR{Title: sp(p.seoTitle), Description: sp(p.seoDesc)},
		rec:              p,
	}
	return r
}

func (r *productR) Description(a struct{ TruncateAt *int32 }) string {
	s := stripTags(r.rec.descHTML)
	if a.TruncateAt != nil && int(*a.TruncateAt) < len([]rune(s)) {
		s = string([]rune(s)[:*a.TruncateAt])
	}
	return s
}

func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, c := range h {
		switch {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (r *productR) HasOnlyDefaultVariant() bool {
	return len(r.rec.variants) == 1 && len(r.rec.variants[0].options) == 0
}

func (r *productR) HasOutOfStockVariants() bool {
	for _, v := range r.rec.variants {
		if v.item.tracked && variantAvailable(v) <= 0 {
			return true
		}
	}
	return false
}

func (r *productR) TracksInventory() bool {
	for _, v := range r.rec.variants {
		if v.item.tracked {
			return true
		}
	}
	return false
}

func (r *productR) TotalInventory() int32 {
	n := 0
	for _, v := range r.rec.variants {
		n += variantAvailable(v)
	}
	return int32(n)
}

func variantAvailable(v *variant) int {
	n := 0
	for _, l := range v.item.levels {
		n += l.qty["available"]
	}
	return n
}

func (r *productR) Options(a struct{ First *int32 }) []*optionR {
	var out []*optionR
	for i, o := range firstN(r.rec.options, a.First) {
		or := &optionR{ID: graphql.ID(o.id), Name: o.name, Position: int32(i + 1)}
		for _, v := range o.values {
			or.Values = append(or.Values, v.name)
			used := false
			for _, vr := range r.rec.variants {
				if len(vr.options) > i && vr.options[i] == v.name {
					used = true
				}
			}
			or.OptionValues = append(or.OptionValues, &optionValueR{ID: graphql.ID(v.id), Name: v.name, HasVariants: used})
		}
		if or.Values == nil {
			or.Values = []string{}
			or.OptionValues = []*optionValueR{}
		}
		out = append(out, or)
	}
	if len(out) == 0 && len(r.rec.variants) > 0 {
		// A product without options shows Shopify's implicit Title option.
		return []*optionR{{
			ID: graphql.ID(gid("ProductOption", r.rec.num)), Name: "Title", Position: 1,
			Values:       []string{"Default Title"},
			OptionValues: []*optionValueR{{ID: graphql.ID(gid("ProductOptionValue", r.rec.num)), Name: "Default Title", HasVariants: true}},
		}}
	}
	if out == nil {
		out = []*optionR{}
	}
	return out
}

type optionR struct {
	ID           graphql.ID
	Name         string
	Position     int32
	Values       []string
	OptionValues []*optionValueR
}

type optionValueR struct {
	ID          graphql.ID
	Name        string
	HasVariants bool
}

func (r *productR) Variants(ctx context.Context, a struct {
	connArgs
	SortKey string
}) (*connection[*variantR], error) {
	return pageViews(ctx, r.rec.variants, variantKey(a.SortKey), newVariantR, a.connArgs)
}

func (r *productR) VariantsCount() *countR { return count(len(r.rec.variants)) }

func (r *productR) Media(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*mediaR], error) {
	return pageViews(ctx, r.rec.media, mediaKey(r.rec.media), newMediaR, a.connArgs)
}

func (r *productR) MediaCount() *countR { return count(len(r.rec.media)) }

func (r *productR) FeaturedMedia() *mediaR {
	if len(r.rec.media) == 0 {
		return nil
	}
	return newMediaR(r.rec.media[0])
}

func (r *productR) Images(ctx context.Context, a struct {
	connArgs
	SortKey string
}) (*connection[*imageR], error) {
	return pageViews(ctx, r.rec.media, mediaKey(r.rec.media), newImageR, a.connArgs)
}

func (r *productR) FeaturedImage() *imageR {
	if len(r.rec.media) == 0 {
		return nil
	}
	return newImageR(r.rec.media[0])
}

type metafieldArgs struct {
	Namespace *string
	Key       string
}

type metafieldsArgs struct {
	connArgs
	Namespace *string
	Keys      *[]string
}

func (r *productR) Metafield(a metafieldArgs) *metafieldR { return findMetafield(r.rec.metafields, a) }

func (r *productR) Metafields(ctx context.Context, a metafieldsArgs) (*connection[*metafieldR], error) {
	return pageMetafields(ctx, r.rec.metafields, a)
}

func (r *productR) Collections(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*collectionR], error) {
	st := rc(ctx).st
	var cs []*collection
	for _, id := range r.rec.collections {
		if c, ok := lookup[*collection](st, id); ok {
			cs = append(cs, c)
		}
	}
	cs = filter(cs, parseSearch(a.Query), collectionFields)
	return pageViews(ctx, cs, collectionKey(a.SortKey), newCollectionR, a.connArgs)
}

func (r *productR) PriceRangeV2(ctx context.Context) *priceRangeR {
	cur := rc(ctx).st.currency()
	lo, hi := decimal.Zero, decimal.Zero
	for i, v := range r.rec.variants {
		if i == 0 || v.price.LessThan(lo) {
			lo = v.price
		}
		if i == 0 || v.price.GreaterThan(hi) {
			hi = v.price
		}
	}
	return &priceRangeR{MinVariantPrice: money(lo, cur), MaxVariantPrice: money(hi, cur)}
}

type priceRangeR struct {
	MinVariantPrice *moneyV2R
	MaxVariantPrice *moneyV2R
}

func productKey(sortBy string) func(*product) sortKey {
	return func(p *product) sortKey {
		switch sortBy {
		case "TITLE":
			return keyOf(textKey(p.title), p.num)
		case "UPDATED_AT":
			return keyOf(timeKey(p.updatedAt), p.num)
		case "CREATED_AT":
			return keyOf(timeKey(p.createdAt), p.num)
		case "PUBLISHED_AT":
			return keyOf(timeKey(p.publishedAt), p.num)
		case "VENDOR":
			return keyOf(textKey(p.vendor), p.num)
		case "PRODUCT_TYPE":
			return keyOf(textKey(p.productType), p.num)
		case "INVENTORY_TOTAL":
			n := 0
			for _, v := range p.variants {
				n += variantAvailable(v)
			}
			return keyOf(intKey(n), p.num)
		}
		return keyOf(idKey(p.num), p.num)
	}
}

func productFields(p *product) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "":
			vals := []string{p.title, p.vendor, p.productType, p.handle}
			for _, v := range p.variants {
				vals = append(vals, v.sku)
			}
			return append(vals, p.tags...), true
		case "title":
			return one(p.title), true
		case "handle":
			return one(p.handle), true
		case "id":
			return idField(p.num), true
		case "status":
			return one(strings.ToLower(p.status)), true
		case "vendor":
			return one(p.vendor), true
		case "product_type":
			return one(p.productType), true
		case "tag":
			return p.tags, true
		case "tag_not":
			return p.tags, true
		case "sku":
			var out []string
			for _, v := range p.variants {
				out = append(out, v.sku)
			}
			return out, true
		case "barcode":
			var out []string
			for _, v := range p.variants {
				out = append(out, v.barcode)
			}
			return out, true
		case "updated_at":
			return one(fmtTime(p.updatedAt)), true
		case "created_at":
			return one(fmtTime(p.createdAt)), true
		case "published_at":
			return one(fmtTime(p.publishedAt)), true
		case "gift_card":
			return one(boolStr(p.giftCard)), true
		}
		return nil, false
	}
}

// ---------------------------------------------------------------- variants

type variantR struct {
	ID               graphql.ID
	LegacyResourceId uint64Scalar
	Title            string
	DisplayName      string
	Sku              *string
	Barcode          *string
	Price            moneyScalar
	CompareAtPrice   *moneyScalar
	InventoryPolicy  string
	Taxable          bool
	TaxCode          *string
	CreatedAt        dateTime
	UpdatedAt        dateTime
	rec              *variant
}

func newVariantR(v *variant) *variantR {
	if v == nil {
		return nil
	}
	sku := v.sku
	return &variantR{
		ID:               graphql.ID(v.id),
		LegacyResourceId: uint64Scalar(v.num),
		Title:            v.title(),
		DisplayName:      v.product.title + " - " + v.title(),
		Sku:              &sku,
		Barcode:          sp(v.barcode),
		Price:            moneyScalar{v.price},
		CompareAtPrice:   moneyp(v.compareAt),
		InventoryPolicy:  v.policy,
		Taxable:          v.taxable,
		TaxCode:          sp(v.taxCode),
		CreatedAt:        dt(v.createdAt),
		UpdatedAt:        dt(v.updatedAt),
		rec:              v,
	}
}

func (r *variantR) Position() int32 { return int32(r.rec.position()) }

func (r *variantR) AvailableForSale() bool {
	v := r.rec
	return v.product.status == "ACTIVE" && (!v.item.tracked || v.policy == "CONTINUE" || variantAvailable(v) > 0)
}

func (r *variantR) InventoryQuantity() *int32 {
	n := int32(variantAvailable(r.rec))
	return &n
}

func (r *variantR) InventoryItem() *inventoryItemR { return newItemR(r.rec.item) }

func (r *variantR) Product() *productR { return newProductR(r.rec.product) }

func (r *variantR) SelectedOptions() []*selectedOptionR {
	out := []*selectedOptionR{}
	if len(r.rec.options) == 0 {
		return append(out, &selectedOptionR{Name: "Title", Value: "Default Title"})
	}
	for i, val := range r.rec.options {
		name := ""
		if i < len(r.rec.product.options) {
			name = r.rec.product.options[i].name
		}
		out = append(out, &selectedOptionR{Name: name, Value: val})
	}
	return out
}

type selectedOptionR struct {
	Name  string
	Value string
}

func (r *variantR) Image(ctx context.Context) *imageR {
	if r.rec.mediaID == "" {
		return nil
	}
	m, ok := lookup[*media](rc(ctx).st, r.rec.mediaID)
	if !ok {
		return nil
	}
	return newImageR(m)
}

func (r *variantR) Metafield(a metafieldArgs) *metafieldR { return findMetafield(r.rec.metafields, a) }

func (r *variantR) Metafields(ctx context.Context, a metafieldsArgs) (*connection[*metafieldR], error) {
	return pageMetafields(ctx, r.rec.metafields, a)
}

func variantKey(sortBy string) func(*variant) sortKey {
	return func(v *variant) sortKey {
		switch sortBy {
		case "POSITION":
			return keyOf(intKey(v.position()), v.num)
		case "SKU":
			return keyOf(v.sku, v.num)
		case "TITLE", "NAME":
			return keyOf(textKey(v.title()), v.num)
		case "FULL_TITLE":
			return keyOf(textKey(v.product.title+" "+v.title()), v.num)
		case "INVENTORY_QUANTITY", "INVENTORY_LEVELS_AVAILABLE":
			return keyOf(intKey(variantAvailable(v)), v.num)
		}
		return keyOf(idKey(v.num), v.num)
	}
}

func variantFields(v *variant) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "":
			return []string{v.sku, v.title(), v.product.title, v.barcode}, true
		case "sku":
			return one(v.sku), true
		case "barcode":
			return one(v.barcode), true
		case "id":
			return idField(v.num), true
		case "product_id":
			return idField(v.product.num), true
		case "title":
			return one(v.title()), true
		case "updated_at":
			return one(fmtTime(v.updatedAt)), true
		case "created_at":
			return one(fmtTime(v.createdAt)), true
		case "product_status":
			return one(strings.ToLower(v.product.status)), true
		case "inventory_quantity":
			return one(intStr(variantAvailable(v))), true
		case "location_id":
			var out []string
			for _, l := range v.item.levels {
				out = append(out, intStr64(l.location.num))
			}
			return out, true
		case "tag":
			return v.product.tags, true
		case "vendor":
			return one(v.product.vendor), true
		}
		return nil, false
	}
}

// ---------------------------------------------------------------- contextual pricing

func (r *variantR) ContextualPricing(ctx context.Context, a struct{ Context in[contextIn] }) *contextualPricingR {
	st := rc(ctx).st
	v := r.rec
	cp := &contextualPricingR{
		Price:        money(v.price, st.currency()),
		quantityRule: &quantityRuleR{Minimum: 1, Increment: 1, IsDefault: true, OriginType: "FIXED", rec: v},
		variant:      v,
	}
	if v.compareAt != nil {
		cp.CompareAtPrice = money(*v.compareAt, st.currency())
	}
	if id := a.Context.V.CompanyLocationID; id != nil {
		cl, ok := lookup[*companyLocation](st, *id)
		if !ok {
			return cp
		}
		for _, c := range cl.catalogs {
			pl := c.priceList
			if c.status != "ACTIVE" || pl == nil {
				continue
			}
			cp.list = pl
			price := applyAdjustment(v.price, pl)
			cp.Price = money(price, pl.currency)
			cp.CompareAtPrice = nil
			for _, fp := range pl.fixed {
				if fp.variant == v {
					cp.Price = money(fp.price, pl.currency)
					if fp.compareAt != nil {
						cp.CompareAtPrice = money(*fp.compareAt, pl.currency)
					}
				}
			}
			for _, qr := range pl.rules {
				if qr.variant == v {
					cp.quantityRule = newQuantityRuleR(qr)
				}
			}
			break
		}
	}
	return cp
}

// applyAdjustment applies a price list's percentage to a base price.
func applyAdjustment(p decimal.Decimal, pl *priceList) decimal.Decimal {
	pct := decimal.NewFromFloat(pl.adjustPct).Div(decimal.NewFromInt(100))
	switch pl.adjustType {
	case "PERCENTAGE_DECREASE":
		return p.Mul(decimal.NewFromInt(1).Sub(pct)).Round(2)
	case "PERCENTAGE_INCREASE":
		return p.Mul(decimal.NewFromInt(1).Add(pct)).Round(2)
	}
	return p
}

type contextualPricingR struct {
	Price          *moneyV2R
	CompareAtPrice *moneyV2R
	quantityRule   *quantityRuleR
	variant        *variant
	list           *priceList
}

func (r *contextualPricingR) QuantityRule() *quantityRuleR { return r.quantityRule }

func (r *contextualPricingR) QuantityPriceBreaks(ctx context.Context, a struct {
	connArgs
	SortKey string
}) (*connection[*priceBreakR], error) {
	var bs []*priceBreak
	if r.list != nil {
		for _, b := range r.list.breaks {
			if b.variant == r.variant {
				bs = append(bs, b)
			}
		}
	}
	return pageViews(ctx, bs, priceBreakKey(a.SortKey), newPriceBreakR, a.connArgs)
}

// ---------------------------------------------------------------- media and images

type mediaR struct {
	ID               graphql.ID
	Alt              *string
	MediaContentType string
	Status           string
	CreatedAt        dateTime
	UpdatedAt        dateTime
	rec              *media
}

func newMediaR(m *media) *mediaR {
	return &mediaR{
		ID: graphql.ID(m.id), Alt: sp(m.alt), MediaContentType: "IMAGE", Status: "READY",
		CreatedAt: dt(m.createdAt), UpdatedAt: dt(m.createdAt), rec: m,
	}
}

func (r *mediaR) Preview() *mediaPreviewR {
	return &mediaPreviewR{Image: newImageR(r.rec), Status: "READY"}
}

func (r *mediaR) Image() *imageR { return newImageR(r.rec) }

// ToMediaImage makes mediaR the resolver of the Media interface as well.
func (r *mediaR) ToMediaImage() (*mediaR, bool) { return r, true }

type mediaPreviewR struct {
	Image  *imageR
	Status string
}

type imageR struct {
	ID      *graphql.ID
	AltText *string
	Width   *int32
	Height  *int32
	rec     *media
}

func newImageR(m *media) *imageR {
	id := graphql.ID(gid("ProductImage", gidNumber(m.id)))
	w, h := int32(1024), int32(1024)
	return &imageR{ID: &id, AltText: sp(m.alt), Width: &w, Height: &h, rec: m}
}

func (r *imageR) Url(a struct{ Transform in[map[string]any] }) urlScalar { return urlScalar(r.rec.url) }

func mediaKey(all []*media) func(*media) sortKey {
	return func(m *media) sortKey {
		return keyOf(intKey(slices.Index(all, m)), gidNumber(m.id))
	}
}

// ---------------------------------------------------------------- metafields

type metafieldR struct {
	ID            graphql.ID
	Namespace     string
	Key           string
	Value         string
	Type          string
	CompareDigest string
	OwnerType     string
	CreatedAt     dateTime
	UpdatedAt     dateTime
}

func newMetafieldR(m *metafield) *metafieldR {
	return &metafieldR{
		ID: graphql.ID(m.id), Namespace: m.namespace, Key: m.key, Value: m.value, Type: m.typ,
		CompareDigest: digest(m.value), OwnerType: m.owner,
		CreatedAt: dt(m.createdAt), UpdatedAt: dt(m.updatedAt),
	}
}

// JsonValue is the value parsed as JSON where the type is a JSON type, else
// the string.
func (r *metafieldR) JsonValue() jsonScalar {
	var v any
	if err := json.Unmarshal([]byte(r.Value), &v); err == nil && (strings.HasPrefix(r.Type, "json") || strings.HasPrefix(r.Type, "list.") || r.Type == "number_integer" || r.Type == "number_decimal" || r.Type == "boolean") {
		return jsonScalar{v}
	}
	return jsonScalar{r.Value}
}

func findMetafield(ms []*metafield, a metafieldArgs) *metafieldR {
	ns := "custom"
	if a.Namespace != nil {
		ns = *a.Namespace
	}
	for _, m := range ms {
		if m.namespace == ns && m.key == a.Key {
			return newMetafieldR(m)
		}
	}
	return nil
}

func pageMetafields(ctx context.Context, ms []*metafield, a metafieldsArgs) (*connection[*metafieldR], error) {
	var sel []*metafield
	for _, m := range ms {
		if a.Namespace != nil && m.namespace != *a.Namespace {
			continue
		}
		if a.Keys != nil && !slices.Contains(*a.Keys, m.namespace+"."+m.key) {
			continue
		}
		sel = append(sel, m)
	}
	return pageViews(ctx, sel, func(m *metafield) sortKey { return keyOf(idKey(gidNumber(m.id)), gidNumber(m.id)) }, newMetafieldR, a.connArgs)
}

// ---------------------------------------------------------------- collections

type collectionR struct {
	ID              graphql.ID
	Title           string
	Handle          string
	DescriptionHtml htmlScalar
	UpdatedAt       dateTime
	rec             *collection
}

func newCollectionR(c *collection) *collectionR {
	return &collectionR{ID: graphql.ID(c.id), Title: c.title, Handle: c.handle, UpdatedAt: dt(c.updatedAt), rec: c}
}

func (r *collectionR) productsIn(st *state) []*product {
	var ps []*product
	for _, p := range st.products {
		if slices.Contains(p.collections, r.rec.id) {
			ps = append(ps, p)
		}
	}
	return ps
}

func (r *collectionR) Products(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*productR], error) {
	ps := filter(r.productsIn(rc(ctx).st), parseSearch(a.Query), productFields)
	return pageViews(ctx, ps, productKey(a.SortKey), newProductR, a.connArgs)
}

func (r *collectionR) ProductsCount(ctx context.Context) *countR {
	return count(len(r.productsIn(rc(ctx).st)))
}

func collectionKey(sortBy string) func(*collection) sortKey {
	return func(c *collection) sortKey {
		n := gidNumber(c.id)
		switch sortBy {
		case "TITLE":
			return keyOf(textKey(c.title), n)
		case "UPDATED_AT":
			return keyOf(timeKey(c.updatedAt), n)
		}
		return keyOf(idKey(n), n)
	}
}

func collectionFields(c *collection) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "", "title":
			return one(c.title), true
		case "handle":
			return one(c.handle), true
		case "id":
			return idField(gidNumber(c.id)), true
		case "updated_at":
			return one(fmtTime(c.updatedAt)), true
		}
		return nil, false
	}
}

// ---------------------------------------------------------------- inventory

type inventoryItemR struct {
	ID                   graphql.ID
	LegacyResourceId     uint64Scalar
	Sku                  *string
	Tracked              bool
	RequiresShipping     bool
	UnitCost             *moneyV2R
	CountryCodeOfOrigin  *string
	HarmonizedSystemCode *string
	CreatedAt            dateTime
	UpdatedAt            dateTime
	rec                  *inventoryItem
}

func newItemR(it *inventoryItem) *inventoryItemR {
	if it == nil {
		return nil
	}
	sku := it.variant.sku
	r := &inventoryItemR{
		ID:                   graphql.ID(it.id),
		LegacyResourceId:     uint64Scalar(it.num),
		Sku:                  &sku,
		Tracked:              it.tracked,
		RequiresShipping:     it.variant.requiresShip,
		HarmonizedSystemCode: sp(it.variant.harmonizedCode),
		CreatedAt:            dt(it.createdAt),
		UpdatedAt:            dt(it.updatedAt),
		rec:                  it,
	}
	return r
}

func (r *inventoryItemR) Variant() *variantR { return newVariantR(r.rec.variant) }

func (r *inventoryItemR) Measurement() *measurementR {
	w := r.rec.weightOrDefault()
	return &measurementR{ID: graphql.ID(gid("InventoryItemMeasurement", r.rec.num)), Weight: &weightR{Unit: w.unit, Value: w.value}}
}

type measurementR struct {
	ID     graphql.ID
	Weight *weightR
}

type weightR struct {
	Unit  string
	Value float64
}

func (r *inventoryItemR) LocationsCount() *countR { return count(len(r.rec.levels)) }

func (r *inventoryItemR) InventoryLevel(a struct{ LocationId graphql.ID }) *inventoryLevelR {
	return newLevelR(r.rec.level(string(a.LocationId)))
}

func (r *inventoryItemR) InventoryLevels(ctx context.Context, a struct {
	connArgs
	Query *string
}) (*connection[*inventoryLevelR], error) {
	levels := filter(r.rec.levels, parseSearch(a.Query), levelFields)
	return pageViews(ctx, levels, levelKey, newLevelR, a.connArgs)
}

func itemFields(it *inventoryItem) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "", "sku":
			return one(it.variant.sku), true
		case "id":
			return idField(it.num), true
		case "updated_at":
			return one(fmtTime(it.updatedAt)), true
		case "created_at":
			return one(fmtTime(it.createdAt)), true
		case "tracked":
			return one(boolStr(it.tracked)), true
		}
		return nil, false
	}
}

func itemKey(it *inventoryItem) sortKey { return keyOf(idKey(it.num), it.num) }

type inventoryLevelR struct {
	ID            graphql.ID
	CanDeactivate bool
	CreatedAt     dateTime
	UpdatedAt     dateTime
	rec           *inventoryLevel
}

func levelID(l *inventoryLevel) string {
	return gid("InventoryLevel", l.location.num) + "?inventory_item_id=" + intStr64(l.item.num)
}

func newLevelR(l *inventoryLevel) *inventoryLevelR {
	if l == nil {
		return nil
	}
	return &inventoryLevelR{ID: graphql.ID(l.id), CanDeactivate: true, CreatedAt: dt(l.createdAt), UpdatedAt: dt(l.updatedAt), rec: l}
}

func (r *inventoryLevelR) Item() *inventoryItemR { return newItemR(r.rec.item) }

func (r *inventoryLevelR) Location() *locationR { return newLocationR(r.rec.location) }

// Quantities answers the names asked for, in the order asked; Shopify
// rejects an unknown name, and so does the fake.
func (r *inventoryLevelR) Quantities(a struct{ Names []string }) ([]*inventoryQuantityR, error) {
	out := make([]*inventoryQuantityR, 0, len(a.Names))
	for _, n := range a.Names {
		if n != "on_hand" && !slices.Contains(quantityNames, n) {
			return nil, &gqlError{msg: "The quantity name '" + n + "' is not valid.", ext: map[string]any{"code": "BAD_REQUEST"}}
		}
		u := dt(r.rec.updatedAt)
		out = append(out, &inventoryQuantityR{
			ID:        graphql.ID(gid("InventoryQuantity", r.rec.location.num) + "?inventory_item_id=" + intStr64(r.rec.item.num) + "&name=" + n),
			Name:      n,
			Quantity:  int32(r.rec.quantity(n)),
			UpdatedAt: &u,
		})
	}
	return out, nil
}

type inventoryQuantityR struct {
	ID        graphql.ID
	Name      string
	Quantity  int32
	UpdatedAt *dateTime
}

func levelKey(l *inventoryLevel) sortKey {
	return keyOf(idKey(l.location.num)+idKey(l.item.num), l.item.num)
}

func levelFields(l *inventoryLevel) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "location_id":
			return idField(l.location.num), true
		case "inventory_item_id":
			return idField(l.item.num), true
		case "updated_at":
			return one(fmtTime(l.updatedAt)), true
		case "sku", "":
			return one(l.item.variant.sku), true
		}
		return nil, false
	}
}

type adjustmentGroupR struct {
	ID                   graphql.ID
	CreatedAt            dateTime
	Reason               string
	ReferenceDocumentUri *string
	rec                  *adjustmentGroup
}

func newGroupR(g *adjustmentGroup) *adjustmentGroupR {
	if g == nil {
		return nil
	}
	return &adjustmentGroupR{ID: graphql.ID(g.id), CreatedAt: dt(g.createdAt), Reason: g.reason, ReferenceDocumentUri: sp(g.reference), rec: g}
}

func (r *adjustmentGroupR) Changes(a struct {
	InventoryItemIds *[]graphql.ID
	LocationIds      *[]graphql.ID
	QuantityNames    *[]string
}) []*inventoryChangeR {
	out := []*inventoryChangeR{}
	for _, c := range r.rec.changes {
		if a.InventoryItemIds != nil && !slices.Contains(*a.InventoryItemIds, graphql.ID(c.level.item.id)) {
			continue
		}
		if a.LocationIds != nil && !slices.Contains(*a.LocationIds, graphql.ID(c.level.location.id)) {
			continue
		}
		if a.QuantityNames != nil && !slices.Contains(*a.QuantityNames, c.name) {
			continue
		}
		after := int32(c.after)
		out = append(out, &inventoryChangeR{
			Name: c.name, Delta: int32(c.delta), QuantityAfterChange: &after,
			LedgerDocumentUri: sp(c.ledger), level: c.level,
		})
	}
	return out
}

type inventoryChangeR struct {
	Name                string
	Delta               int32
	QuantityAfterChange *int32
	LedgerDocumentUri   *string
	level               *inventoryLevel
}

func (r *inventoryChangeR) Item() *inventoryItemR { return newItemR(r.level.item) }
func (r *inventoryChangeR) Location() *locationR  { return newLocationR(r.level.location) }
