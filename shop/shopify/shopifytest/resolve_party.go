package shopifytest

import (
	"context"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/shopspring/decimal"
)

// Resolvers of customers, addresses, companies, catalogs and price lists.

type mailingAddressR struct {
	ID            graphql.ID
	FirstName     *string
	LastName      *string
	Name          *string
	Company       *string
	Address1      *string
	Address2      *string
	City          *string
	Province      *string
	ProvinceCode  *string
	Country       *string
	CountryCodeV2 *string
	Zip           *string
	Phone         *string
	Latitude      *float64
	Longitude     *float64
	rec           *address
}

func newAddressR(a *address) *mailingAddressR {
	if a == nil {
		return nil
	}
	return &mailingAddressR{
		ID: graphql.ID(a.id), FirstName: sp(a.firstName), LastName: sp(a.lastName),
		Name: sp(strings.TrimSpace(a.firstName + " " + a.lastName)), Company: sp(a.company),
		Address1: sp(a.address1), Address2: sp(a.address2), City: sp(a.city), Province: sp(a.province),
		ProvinceCode: sp(a.provinceCode), Country: sp(a.country), CountryCodeV2: sp(a.countryCode),
		Zip: sp(a.zip), Phone: sp(a.phone), rec: a,
	}
}

func (r *mailingAddressR) Formatted(a struct {
	WithName    bool
	WithCompany bool
}) []string {
	return formatAddress(r.rec, a.WithName, a.WithCompany)
}

// ---------------------------------------------------------------- customers

type customerR struct {
	ID                  graphql.ID
	LegacyResourceId    uint64Scalar
	FirstName           *string
	LastName            *string
	DisplayName         string
	Email               *string
	Phone               *string
	DefaultEmailAddress *emailAddressR
	DefaultPhoneNumber  *phoneNumberR
	Note                *string
	Tags                []string
	TaxExempt           bool
	State               string
	VerifiedEmail       bool
	Locale              string
	CreatedAt           dateTime
	UpdatedAt           dateTime
	rec                 *customer
}

type emailAddressR struct {
	EmailAddress   string
	MarketingState string
}

type phoneNumberR struct{ PhoneNumber string }

func newCustomerR(c *customer) *customerR {
	if c == nil {
		return nil
	}
	loc := c.locale
	if loc == "" {
		loc = "en"
	}
	r := &customerR{
		ID: graphql.ID(c.id), LegacyResourceId: uint64Scalar(c.num), FirstName: sp(c.firstName), LastName: sp(c.lastName),
		DisplayName: c.displayName(), Email: sp(c.email), Phone: sp(c.phone), Note: sp(c.note),
		Tags: append([]string{}, c.tags...), TaxExempt: c.taxExempt, State: c.state, VerifiedEmail: c.email != "",
		Locale: loc, CreatedAt: dt(c.createdAt), UpdatedAt: dt(c.updatedAt), rec: c,
	}
	if c.email != "" {
		r.DefaultEmailAddress = &emailAddressR{EmailAddress: c.email, MarketingState: "NOT_SUBSCRIBED"}
	}
	if c.phone != "" {
		r.DefaultPhoneNumber = &phoneNumberR{PhoneNumber: c.phone}
	}
	return r
}

func (r *customerR) ordersOf(st *state) []*order {
	var out []*order
	for _, o := range st.orders {
		if o.customer == r.rec {
			out = append(out, o)
		}
	}
	return out
}

func (r *customerR) NumberOfOrders(ctx context.Context) uint64Scalar {
	return uint64Scalar(len(r.ordersOf(rc(ctx).st)))
}

func (r *customerR) AmountSpent(ctx context.Context) *moneyV2R {
	st := rc(ctx).st
	s := decimal.Zero
	for _, o := range r.ordersOf(st) {
		s = s.Add(o.received())
	}
	return money(s, st.currency())
}

func (r *customerR) DefaultAddress() *mailingAddressR {
	if len(r.rec.addresses) == 0 {
		return nil
	}
	return newAddressR(r.rec.addresses[0])
}

func (r *customerR) Addresses(a struct{ First *int32 }) []*mailingAddressR {
	out := []*mailingAddressR{}
	for _, ad := range firstN(r.rec.addresses, a.First) {
		out = append(out, newAddressR(ad))
	}
	return out
}

func (r *customerR) AddressesV2(ctx context.Context, a connArgs) (*connection[*mailingAddressR], error) {
	return pageViews(ctx, r.rec.addresses, func(ad *address) sortKey { n := gidNumber(ad.id); return keyOf(idKey(n), n) }, newAddressR, a)
}

func (r *customerR) Orders(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*orderR], error) {
	os := filter(r.ordersOf(rc(ctx).st), parseSearch(a.Query), orderFields)
	return pageViews(ctx, os, orderKey(a.SortKey), newOrderR, a.connArgs)
}

func (r *customerR) CompanyContactProfiles() []*companyContactR {
	out := []*companyContactR{}
	for _, c := range r.rec.contacts {
		out = append(out, newContactR(c))
	}
	return out
}

func (r *customerR) Metafield(a metafieldArgs) *metafieldR { return findMetafield(r.rec.metafields, a) }

func (r *customerR) Metafields(ctx context.Context, a metafieldsArgs) (*connection[*metafieldR], error) {
	return pageMetafields(ctx, r.rec.metafields, a)
}

func customerKey(sortBy string) func(*customer) sortKey {
	return func(c *customer) sortKey {
		switch sortBy {
		case "UPDATED_AT":
			return keyOf(timeKey(c.updatedAt), c.num)
		case "CREATED_AT":
			return keyOf(timeKey(c.createdAt), c.num)
		case "NAME":
			return keyOf(textKey(c.displayName()), c.num)
		}
		return keyOf(idKey(c.num), c.num)
	}
}

func customerFields(c *customer) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "":
			return []string{c.firstName, c.lastName, c.email, c.phone}, true
		case "email":
			return one(c.email), true
		case "phone":
			return one(c.phone), true
		case "first_name":
			return one(c.firstName), true
		case "last_name":
			return one(c.lastName), true
		case "id":
			return idField(c.num), true
		case "updated_at":
			return one(fmtTime(c.updatedAt)), true
		case "created_at":
			return one(fmtTime(c.createdAt)), true
		case "tag":
			return c.tags, true
		case "state":
			return one(strings.ToLower(c.state)), true
		case "company_id":
			var out []string
			for _, ct := range c.contacts {
				out = append(out, intStr64(ct.company.num))
			}
			return out, true
		}
		return nil, false
	}
}

// ---------------------------------------------------------------- companies

type companyR struct {
	ID            graphql.ID
	Name          string
	ExternalId    *string
	Note          *string
	CreatedAt     dateTime
	UpdatedAt     dateTime
	CustomerSince dateTime
	rec           *company
}

func newCompanyR(c *company) *companyR {
	if c == nil {
		return nil
	}
	return &companyR{
		ID: graphql.ID(c.id), Name: c.name, ExternalId: sp(c.externalID), Note: sp(c.note),
		CreatedAt: dt(c.createdAt), UpdatedAt: dt(c.updatedAt), CustomerSince: dt(c.since), rec: c,
	}
}

func (r *companyR) MainContact() *companyContactR { return newContactR(r.rec.mainContact) }
func (r *companyR) ContactsCount() *countR        { return count(len(r.rec.contacts)) }
func (r *companyR) LocationsCount() *countR       { return count(len(r.rec.locations)) }

func (r *companyR) Contacts(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*companyContactR], error) {
	return pageViews(ctx, r.rec.contacts, func(c *companyContact) sortKey { n := gidNumber(c.id); return keyOf(idKey(n), n) }, newContactR, a.connArgs)
}

func (r *companyR) Locations(ctx context.Context, a struct {
	connArgs
	SortKey string
	Query   *string
}) (*connection[*companyLocationR], error) {
	ls := filter(r.rec.locations, parseSearch(a.Query), companyLocationFields)
	return pageViews(ctx, ls, func(l *companyLocation) sortKey { n := gidNumber(l.id); return keyOf(idKey(n), n) }, newCompanyLocationR, a.connArgs)
}

func (r *companyR) Orders(ctx context.Context, a struct {
	connArgs
	SortKey string
}) (*connection[*orderR], error) {
	var os []*order
	for _, o := range rc(ctx).st.orders {
		if o.compLoc != nil && o.compLoc.company == r.rec {
			os = append(os, o)
		}
	}
	return pageViews(ctx, os, orderKey(a.SortKey), newOrderR, a.connArgs)
}

func (r *companyR) Metafield(a metafieldArgs) *metafieldR { return findMetafield(r.rec.metafields, a) }

func (r *companyR) Metafields(ctx context.Context, a metafieldsArgs) (*connection[*metafieldR], error) {
	return pageMetafields(ctx, r.rec.metafields, a)
}

func companyKey(sortBy string) func(*company) sortKey {
	return func(c *company) sortKey {
		switch sortBy {
		case "NAME":
			return keyOf(textKey(c.name), c.num)
		case "UPDATED_AT":
			return keyOf(timeKey(c.updatedAt), c.num)
		case "CREATED_AT":
			return keyOf(timeKey(c.createdAt), c.num)
		case "SINCE_DATE":
			return keyOf(timeKey(c.since), c.num)
		}
		return keyOf(idKey(c.num), c.num)
	}
}

func companyFields(c *company) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "", "name":
			return one(c.name), true
		case "external_id":
			return one(c.externalID), true
		case "id":
			return idField(c.num), true
		case "updated_at":
			return one(fmtTime(c.updatedAt)), true
		case "created_at":
			return one(fmtTime(c.createdAt)), true
		}
		return nil, false
	}
}

type companyContactR struct {
	ID            graphql.ID
	IsMainContact bool
	Title         *string
	Locale        *string
	CreatedAt     dateTime
	UpdatedAt     dateTime
	rec           *companyContact
}

func newContactR(c *companyContact) *companyContactR {
	if c == nil {
		return nil
	}
	return &companyContactR{
		ID: graphql.ID(c.id), IsMainContact: c.company.mainContact == c, Title: sp(c.title), Locale: sp(c.locale),
		CreatedAt: dt(c.createdAt), UpdatedAt: dt(c.updatedAt), rec: c,
	}
}

func (r *companyContactR) Customer() *customerR { return newCustomerR(r.rec.customer) }
func (r *companyContactR) Company() *companyR   { return newCompanyR(r.rec.company) }

type companyLocationR struct {
	ID         graphql.ID
	Name       string
	ExternalId *string
	Note       *string
	Phone      *string
	Locale     *string
	Currency   string
	CreatedAt  dateTime
	UpdatedAt  dateTime
	rec        *companyLocation
}

func newCompanyLocationR(l *companyLocation) *companyLocationR {
	if l == nil {
		return nil
	}
	return &companyLocationR{
		ID: graphql.ID(l.id), Name: l.name, ExternalId: sp(l.externalID), Note: sp(l.note), Phone: sp(l.phone),
		Locale: sp(l.locale), Currency: l.currency, CreatedAt: dt(l.createdAt), UpdatedAt: dt(l.updatedAt), rec: l,
	}
}

func (r *companyLocationR) Company() *companyR { return newCompanyR(r.rec.company) }
func (r *companyLocationR) BillingAddress() *companyAddressR {
	return newCompanyAddressR(r.rec.billing, r.rec.company.name)
}
func (r *companyLocationR) ShippingAddress() *companyAddressR {
	return newCompanyAddressR(r.rec.shipping, r.rec.company.name)
}
func (r *companyLocationR) TaxSettings() *taxSettingsR {
	return &taxSettingsR{TaxRegistrationId: sp(r.rec.taxID), TaxExempt: r.rec.taxExempt}
}
func (r *companyLocationR) CatalogsCount() *countR { return count(len(r.rec.catalogs)) }

func (r *companyLocationR) Catalogs(ctx context.Context, a connArgs) (*connection[*catalogR], error) {
	return pageViews(ctx, r.rec.catalogs, catalogKey(""), newCatalogR, a)
}

type taxSettingsR struct {
	TaxRegistrationId *string
	TaxExempt         bool
}

func companyLocationFields(l *companyLocation) searchFields {
	return func(f string) ([]string, bool) {
		switch f {
		case "", "name":
			return one(l.name), true
		case "external_id":
			return one(l.externalID), true
		case "id":
			return idField(gidNumber(l.id)), true
		}
		return nil, false
	}
}

type companyAddressR struct {
	ID          graphql.ID
	Address1    string
	Address2    *string
	City        *string
	Zip         *string
	Province    *string
	ZoneCode    *string
	Country     string
	CountryCode string
	Recipient   *string
	CompanyName string
	FirstName   *string
	LastName    *string
	Phone       *string
	rec         *address
}

func newCompanyAddressR(a *address, companyName string) *companyAddressR {
	if a == nil {
		return nil
	}
	cc := a.countryCode
	if cc == "" {
		cc = "DE"
	}
	return &companyAddressR{
		ID: graphql.ID(a.id), Address1: a.address1, Address2: sp(a.address2), City: sp(a.city), Zip: sp(a.zip),
		Province: sp(a.province), ZoneCode: sp(a.provinceCode), Country: countryName(cc), CountryCode: cc,
		Recipient: sp(strings.TrimSpace(a.firstName + " " + a.lastName)), CompanyName: companyName,
		FirstName: sp(a.firstName), LastName: sp(a.lastName), Phone: sp(a.phone), rec: a,
	}
}

func (r *companyAddressR) FormattedAddress(a struct {
	WithName        bool
	WithCompanyName bool
}) []string {
	ad := *r.rec
	ad.company = r.CompanyName
	return formatAddress(&ad, a.WithName, a.WithCompanyName)
}

// ---------------------------------------------------------------- catalogs and price lists

// catalogR resolves the Catalog interface and CompanyLocationCatalog.
type catalogR struct {
	ID     graphql.ID
	Title  string
	Status string
	rec    *catalog
}

func newCatalogR(c *catalog) *catalogR {
	if c == nil {
		return nil
	}
	return &catalogR{ID: graphql.ID(c.id), Title: c.title, Status: c.status, rec: c}
}

func (r *catalogR) PriceList() *priceListR { return newPriceListR(r.rec.priceList) }

func (r *catalogR) CompanyLocations(ctx context.Context, a connArgs) (*connection[*companyLocationR], error) {
	return pageViews(ctx, r.rec.locations, func(l *companyLocation) sortKey { n := gidNumber(l.id); return keyOf(idKey(n), n) }, newCompanyLocationR, a)
}

func (r *catalogR) CompanyLocationsCount() *countR { return count(len(r.rec.locations)) }

func (r *catalogR) ToCompanyLocationCatalog() (*catalogR, bool) { return r, true }

func catalogKey(sortBy string) func(*catalog) sortKey {
	return func(c *catalog) sortKey {
		n := gidNumber(c.id)
		if sortBy == "TITLE" {
			return keyOf(textKey(c.title), n)
		}
		return keyOf(idKey(n), n)
	}
}

type priceListR struct {
	ID       graphql.ID
	Name     string
	Currency string
	rec      *priceList
}

func newPriceListR(p *priceList) *priceListR {
	if p == nil {
		return nil
	}
	return &priceListR{ID: graphql.ID(p.id), Name: p.name, Currency: p.currency, rec: p}
}

func (r *priceListR) FixedPricesCount() int32 { return int32(len(r.rec.fixed)) }

func (r *priceListR) Parent() *priceListParentR {
	return &priceListParentR{Adjustment: &priceListAdjustmentR{Type: r.rec.adjustType, Value: r.rec.adjustPct}}
}

type priceListParentR struct{ Adjustment *priceListAdjustmentR }

type priceListAdjustmentR struct {
	Type  string
	Value float64
}

func (r *priceListR) Catalog() *catalogR { return newCatalogR(r.rec.catalog) }

// Prices lists the fixed prices, and with originType RELATIVE (or none)
// the prices every other variant gets from the adjustment.
func (r *priceListR) Prices(ctx context.Context, a struct {
	connArgs
	OriginType *string
	Query      *string
}) (*connection[*priceListPriceR], error) {
	st := rc(ctx).st
	pl := r.rec
	var prices []*priceListPriceR
	fixed := map[*variant]bool{}
	if a.OriginType == nil || *a.OriginType == "FIXED" {
		for _, fp := range pl.fixed {
			fixed[fp.variant] = true
			p := &priceListPriceR{Price: money(fp.price, pl.currency), OriginType: "FIXED", v: fp.variant, list: pl}
			if fp.compareAt != nil {
				p.CompareAtPrice = money(*fp.compareAt, pl.currency)
			}
			prices = append(prices, p)
		}
	} else {
		for _, fp := range pl.fixed {
			fixed[fp.variant] = true
		}
	}
	if a.OriginType == nil || *a.OriginType == "RELATIVE" {
		for _, p := range st.products {
			for _, v := range p.variants {
				if !fixed[v] {
					prices = append(prices, &priceListPriceR{Price: money(applyAdjustment(v.price, pl), pl.currency), OriginType: "RELATIVE", v: v, list: pl})
				}
			}
		}
	}
	q := parseSearch(a.Query)
	prices = filter(prices, q, func(p *priceListPriceR) searchFields { return variantFields(p.v) })
	return page(ctx, prices, func(p *priceListPriceR) sortKey { return keyOf(idKey(p.v.num), p.v.num) }, a.connArgs)
}

type priceListPriceR struct {
	Price          *moneyV2R
	CompareAtPrice *moneyV2R
	OriginType     string
	v              *variant
	list           *priceList
}

func (p *priceListPriceR) Variant() *variantR { return newVariantR(p.v) }

func (p *priceListPriceR) QuantityPriceBreaks(ctx context.Context, a struct {
	connArgs
	SortKey string
}) (*connection[*priceBreakR], error) {
	var bs []*priceBreak
	for _, b := range p.list.breaks {
		if b.variant == p.v {
			bs = append(bs, b)
		}
	}
	return pageViews(ctx, bs, priceBreakKey(a.SortKey), newPriceBreakR, a.connArgs)
}

func (r *priceListR) QuantityRules(ctx context.Context, a struct {
	connArgs
	OriginType *string
}) (*connection[*quantityRuleR], error) {
	return pageViews(ctx, r.rec.rules, func(q *quantityRule) sortKey { return keyOf(idKey(q.variant.num), q.variant.num) }, newQuantityRuleR, a.connArgs)
}

type quantityRuleR struct {
	Minimum    int32
	Maximum    *int32
	Increment  int32
	IsDefault  bool
	OriginType string
	rec        *variant
}

func newQuantityRuleR(q *quantityRule) *quantityRuleR {
	r := &quantityRuleR{Minimum: int32(q.minimum), Increment: int32(q.increment), OriginType: "FIXED", rec: q.variant}
	if q.maximum != nil {
		m := int32(*q.maximum)
		r.Maximum = &m
	}
	return r
}

func (r *quantityRuleR) ProductVariant() *variantR { return newVariantR(r.rec) }

type priceBreakR struct {
	ID              graphql.ID
	MinimumQuantity int32
	Price           *moneyV2R
	rec             *priceBreak
}

func newPriceBreakR(b *priceBreak) *priceBreakR {
	return &priceBreakR{ID: graphql.ID(b.id), MinimumQuantity: int32(b.minimum), Price: money(b.price, b.currency), rec: b}
}

func (r *priceBreakR) Variant() *variantR     { return newVariantR(r.rec.variant) }
func (r *priceBreakR) PriceList() *priceListR { return newPriceListR(r.rec.list) }

func priceBreakKey(sortBy string) func(*priceBreak) sortKey {
	return func(b *priceBreak) sortKey {
		n := gidNumber(b.id)
		if sortBy == "ID" {
			return keyOf(idKey(n), n)
		}
		return keyOf(intKey(b.minimum), n)
	}
}

// countryName is the English name of the country codes the schema knows.
func countryName(code string) string {
	if n, ok := countryNames[code]; ok {
		return n
	}
	return code
}

var countryNames = map[string]string{
	"AT": "Austria", "AU": "Australia", "BE": "Belgium", "BG": "Bulgaria", "CA": "Canada", "CH": "Switzerland",
	"CN": "China", "CY": "Cyprus", "CZ": "Czechia", "DE": "Germany", "DK": "Denmark", "EE": "Estonia",
	"ES": "Spain", "FI": "Finland", "FR": "France", "GB": "United Kingdom", "GR": "Greece", "HR": "Croatia",
	"HU": "Hungary", "IE": "Ireland", "IS": "Iceland", "IT": "Italy", "JP": "Japan", "LI": "Liechtenstein",
	"LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "MC": "Monaco", "MT": "Malta", "NL": "Netherlands",
	"NO": "Norway", "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden",
	"SI": "Slovenia", "SK": "Slovakia", "US": "United States", "ZA": "South Africa",
}
