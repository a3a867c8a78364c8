package shopifytest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Seeding puts data into the shop without firing webhooks: the state a
// test starts from. Each method returns what it stored, with the IDs the
// server gave.

// change runs f under the write lock with a request context of its own and
// returns the events f fired.
func (s *Server) change(f func(r *reqCtx) error) ([]event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &reqCtx{srv: s, st: s.st, now: s.cfg.now(), version: s.versions[len(s.versions)-1], idem: map[string][]string{}}
	err := f(r)
	return r.events, err
}

// AddLocation adds a location; the first active location fulfills orders
// by default.
func (s *Server) AddLocation(l Location) Location {
	var out Location
	_, _ = s.change(func(r *reqCtx) error {
		id, n := r.st.newID("Location")
		name := l.Name
		if name == "" {
			name = fmt.Sprintf("Location %d", len(r.st.locations)+1)
		}
		a := l.Address
		loc := &location{
			id: id, num: n, name: name, active: !l.Inactive, createdAt: r.now, updatedAt: r.now,
			address: address{address1: a.Address1, address2: a.Address2, city: a.City, province: a.Province,
				provinceCode: a.ProvinceCode, zip: a.Zip, countryCode: a.CountryCode, country: countryName(a.CountryCode), phone: a.Phone},
		}
		r.st.locations = append(r.st.locations, loc)
		r.st.nodes[id] = loc
		out = locationOf(loc)
		return nil
	})
	return out
}

func locationOf(l *location) Location {
	a := l.address
	return Location{ID: l.id, Name: l.name, Inactive: !l.active, Address: Address{
		Address1: a.address1, Address2: a.address2, City: a.city, Province: a.province, ProvinceCode: a.provinceCode,
		Zip: a.zip, CountryCode: a.countryCode, Phone: a.phone,
	}}
}

// Locations returns the locations in the order they were added.
func (s *Server) Locations() []Location {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Location
	for _, l := range s.st.locations {
		out = append(out, locationOf(l))
	}
	return out
}

// AddCollection adds a collection and returns its ID.
func (s *Server) AddCollection(title string) string {
	var id string
	_, _ = s.change(func(r *reqCtx) error {
		id = s.collectionID(r, title)
		return nil
	})
	return id
}

// collectionID finds or creates the collection titled title.
func (s *Server) collectionID(r *reqCtx, title string) string {
	for _, c := range r.st.collections {
		if c.title == title {
			return c.id
		}
	}
	c := &collection{title: title, handle: handleize(title), updatedAt: r.now}
	c.id, _ = r.st.newID("Collection")
	r.st.collections = append(r.st.collections, c)
	r.st.nodes[c.id] = c
	return c.id
}

// AddProduct adds a product with its variants, stock, metafields, images
// and collections. It fails on a product the real API would refuse: no
// title, more variants than the limit, option values that do not match the
// options, an unknown location.
func (s *Server) AddProduct(p Product) (Product, error) {
	var out Product
	_, err := s.change(func(r *reqCtx) error {
		rec, err := s.storeProduct(r, nil, p)
		if err != nil {
			return err
		}
		out = s.productOf(rec)
		return nil
	})
	return out, err
}

// storeProduct creates a product from p, or replaces the content of rec
// with it. Variants are matched by ID, then by SKU.
func (s *Server) storeProduct(r *reqCtx, rec *product, p Product) (*product, error) {
	st := r.st
	if strings.TrimSpace(p.Title) == "" {
		return nil, fmt.Errorf("shopifytest: a product needs a title")
	}
	if len(p.Options) > 3 {
		return nil, fmt.Errorf("shopifytest: product %q has %d options; at most 3", p.Title, len(p.Options))
	}
	if len(p.Variants) > s.cfg.variantLimit {
		return nil, fmt.Errorf("shopifytest: product %q has %d variants; at most %d", p.Title, len(p.Variants), s.cfg.variantLimit)
	}
	for i, v := range p.Variants {
		if len(v.OptionValues) != len(p.Options) {
			return nil, fmt.Errorf("shopifytest: product %q variant %d has %d option values for %d options", p.Title, i, len(v.OptionValues), len(p.Options))
		}
		for loc := range v.Stock {
			if st.locationByIDOrName(loc) == nil {
				return nil, fmt.Errorf("shopifytest: product %q variant %d: no location %q", p.Title, i, loc)
			}
		}
		if w := v.Weight; w != nil && (w.Value < 0 || gramsPer[strings.ToUpper(w.Unit)] == 0) {
			return nil, fmt.Errorf("shopifytest: product %q variant %d: weight %v %q: a value of 0 or more in GRAMS, KILOGRAMS, OUNCES or POUNDS", p.Title, i, w.Value, w.Unit)
		}
	}
	now := r.now
	created := rec == nil
	if created {
		id, n := st.newID("Product")
		rec = &product{id: id, num: n, createdAt: now, publishedAt: now}
	}
	rec.title, rec.descHTML, rec.vendor, rec.productType = p.Title, p.DescriptionHTML, p.Vendor, p.ProductType
	rec.status = orDefault(strings.ToUpper(p.Status), "ACTIVE")
	rec.tags = normalizeTags(p.Tags)
	rec.handle = st.uniqueHandle(orDefault(p.Handle, handleize(p.Title)), rec)
	rec.updatedAt = now
	// Options and their values keep their IDs by name.
	oldOptions := rec.options
	rec.options = nil
	for oi, name := range p.Options {
		var o *option
		for _, old := range oldOptions {
			if old.name == name {
				o = &option{id: old.id, name: name}
				for _, v := range p.Variants {
					if !slices.ContainsFunc(o.values, func(x *optionValue) bool { return x.name == v.OptionValues[oi] }) {
						for _, ov := range old.values {
							if ov.name == v.OptionValues[oi] {
								o.values = append(o.values, ov)
							}
						}
					}
				}
			}
		}
		if o == nil {
			o = &option{name: name}
			o.id, _ = st.newID("ProductOption")
		}
		for _, v := range p.Variants {
			if !slices.ContainsFunc(o.values, func(x *optionValue) bool { return x.name == v.OptionValues[oi] }) {
				ov := &optionValue{name: v.OptionValues[oi]}
				ov.id, _ = st.newID("ProductOptionValue")
				o.values = append(o.values, ov)
			}
		}
		rec.options = append(rec.options, o)
	}
	keep := map[string]bool{}
	for _, m := range p.Metafields {
		keep[upsertMetafield(st, &rec.metafields, "PRODUCT", metafieldIn{Namespace: sp(m.Namespace), Key: &m.Key, Value: &m.Value, Type: ptr(orDefault(m.Type, "single_line_text_field"))}, now).id] = true
	}
	rec.metafields = slices.DeleteFunc(rec.metafields, func(m *metafield) bool { return !keep[m.id] })
	var images []*media
	for _, src := range p.Images {
		var m *media
		for _, old := range rec.media {
			if old.url == src {
				m = old
			}
		}
		if m == nil {
			m = &media{url: src, createdAt: now}
			m.id, _ = st.newID("MediaImage")
			st.nodes[m.id] = m
		}
		images = append(images, m)
	}
	rec.media = images
	rec.collections = nil
	for _, c := range p.Collections {
		rec.collections = append(rec.collections, s.collectionID(r, c))
	}
	var kept []*variant
	for _, vin := range p.Variants {
		var v *variant
		for _, old := range rec.variants {
			if (vin.ID != "" && old.id == vin.ID) || (vin.ID == "" && vin.SKU != "" && old.sku == vin.SKU) {
				v = old
			}
		}
		if v == nil {
			v = newVariant(st, rec, now)
		}
		v.sku, v.barcode, v.price, v.compareAt = vin.SKU, vin.Barcode, vin.Price, vin.CompareAtPrice
		v.options = slices.Clone(vin.OptionValues)
		v.policy = orDefault(strings.ToUpper(vin.InventoryPolicy), "DENY")
		v.item.tracked = !vin.Untracked
		v.item.weight = nil
		if w := vin.Weight; w != nil {
			v.item.weight = &itemWeight{value: w.Value, unit: strings.ToUpper(w.Unit)}
		}
		v.updatedAt = now
		for _, m := range vin.Metafields {
			upsertMetafield(st, &v.metafields, "PRODUCTVARIANT", metafieldIn{Namespace: sp(m.Namespace), Key: &m.Key, Value: &m.Value, Type: ptr(orDefault(m.Type, "single_line_text_field"))}, now)
		}
		for name, q := range vin.Stock {
			l := ensureLevel(st, v.item, st.locationByIDOrName(name), now)
			l.qty["available"] = q
			touch(l, now)
		}
		kept = append(kept, v)
	}
	for _, old := range rec.variants {
		if !slices.Contains(kept, old) {
			deleteVariant(st, old)
		}
	}
	rec.variants = kept
	if len(rec.variants) == 0 {
		rec.variants = []*variant{newVariant(st, rec, now)}
	}
	if created {
		st.products = append(st.products, rec)
		st.nodes[rec.id] = rec
	}
	return rec, nil
}

func (s *Server) productOf(p *product) Product {
	out := Product{
		ID: p.id, Handle: p.handle, Title: p.title, DescriptionHTML: p.descHTML, Vendor: p.vendor,
		ProductType: p.productType, Status: p.status, Tags: slices.Clone(p.tags), CreatedAt: p.createdAt, UpdatedAt: p.updatedAt,
	}
	for _, o := range p.options {
		if !(len(p.options) == 1 && o.name == "Title" && len(o.values) == 1 && o.values[0].name == "Default Title") {
			out.Options = append(out.Options, o.name)
		}
	}
	for _, m := range p.metafields {
		out.Metafields = append(out.Metafields, Metafield{Namespace: m.namespace, Key: m.key, Type: m.typ, Value: m.value})
	}
	for _, m := range p.media {
		out.Images = append(out.Images, m.url)
	}
	for _, cid := range p.collections {
		if c, ok := lookup[*collection](s.st, cid); ok {
			out.Collections = append(out.Collections, c.title)
		}
	}
	for _, v := range p.variants {
		vv := Variant{
			ID: v.id, InventoryItemID: v.item.id, SKU: v.sku, Barcode: v.barcode, Price: v.price,
			CompareAtPrice: v.compareAt, OptionValues: slices.Clone(v.options), Untracked: !v.item.tracked,
			InventoryPolicy: v.policy, UpdatedAt: v.updatedAt, Stock: map[string]int{},
		}
		if w := v.item.weight; w != nil {
			vv.Weight = &Weight{Value: w.value, Unit: w.unit}
		}
		for _, l := range v.item.levels {
			vv.Stock[l.location.id] = l.qty["available"]
		}
		for _, m := range v.metafields {
			vv.Metafields = append(vv.Metafields, Metafield{Namespace: m.namespace, Key: m.key, Type: m.typ, Value: m.value})
		}
		out.Variants = append(out.Variants, vv)
	}
	return out
}

// Product returns the product with the ID, handle or a variant's SKU.
func (s *Server) Product(idHandleOrSKU string) (Product, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.findProduct(idHandleOrSKU); p != nil {
		return s.productOf(p), true
	}
	return Product{}, false
}

func (s *Server) findProduct(key string) *product {
	if p, ok := lookup[*product](s.st, key); ok {
		return p
	}
	if p := s.st.productByHandle(key); p != nil {
		return p
	}
	if v := s.st.variantBySKU(key); v != nil && key != "" {
		return v.product
	}
	return nil
}

// Products returns every product, oldest first.
func (s *Server) Products() []Product {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Product, 0, len(s.st.products))
	for _, p := range s.st.products {
		out = append(out, s.productOf(p))
	}
	return out
}

// Variant returns the variant with sku.
func (s *Server) Variant(sku string) (Variant, bool) {
	p, ok := s.Product(sku)
	if !ok {
		return Variant{}, false
	}
	for _, v := range p.Variants {
		if v.SKU == sku {
			return v, true
		}
	}
	return Variant{}, false
}

// Quantities returns the inventory quantities of sku at a location (ID or
// name): available, committed, reserved, damaged, safety_stock,
// quality_control, incoming and on_hand. ok is false when the variant is
// not stocked there.
func (s *Server) Quantities(sku, location string) (q map[string]int, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.st.variantBySKU(sku)
	loc := s.st.locationByIDOrName(location)
	if v == nil || loc == nil {
		return nil, false
	}
	l := v.item.level(loc.id)
	if l == nil {
		return nil, false
	}
	q = map[string]int{"on_hand": l.quantity("on_hand")}
	for _, n := range quantityNames {
		q[n] = l.qty[n]
	}
	return q, true
}

// Available returns the available quantity of sku at a location (ID or
// name); 0 when it is not stocked there.
func (s *Server) Available(sku, location string) int {
	q, _ := s.Quantities(sku, location)
	return q["available"]
}

// AddCustomer adds a customer.
func (s *Server) AddCustomer(c Customer) Customer {
	var out Customer
	_, _ = s.change(func(r *reqCtx) error {
		out = customerOf(s.addCustomer(r, c))
		return nil
	})
	return out
}

func customerOf(c *customer) Customer {
	out := Customer{
		ID: c.id, FirstName: c.firstName, LastName: c.lastName, Email: c.email, Phone: c.phone, Note: c.note,
		Locale: c.locale, Tags: slices.Clone(c.tags), TaxExempt: c.taxExempt, UpdatedAt: c.updatedAt,
	}
	for _, a := range c.addresses {
		out.Addresses = append(out.Addresses, addressOf(a))
	}
	for _, m := range c.metafields {
		out.Metafields = append(out.Metafields, Metafield{Namespace: m.namespace, Key: m.key, Type: m.typ, Value: m.value})
	}
	return out
}

func addressOf(a *address) Address {
	return Address{
		FirstName: a.firstName, LastName: a.lastName, Company: a.company, Address1: a.address1, Address2: a.address2,
		City: a.city, Province: a.province, ProvinceCode: a.provinceCode, Zip: a.zip, CountryCode: a.countryCode, Phone: a.phone,
	}
}

// Customer returns the customer with the ID or e-mail address.
func (s *Server) Customer(idOrEmail string) (Customer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := findCustomer(s.st, identifierIn{ID: &idOrEmail, Email: &idOrEmail}); c != nil {
		return customerOf(c), true
	}
	return Customer{}, false
}

// Customers returns every customer, oldest first.
func (s *Server) Customers() []Customer {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Customer
	for _, c := range s.st.customers {
		out = append(out, customerOf(c))
	}
	return out
}

// AddCompany adds a B2B company with its locations; ContactIDs must name
// existing customers.
func (s *Server) AddCompany(c Company) (Company, error) {
	var out Company
	_, err := s.change(func(r *reqCtx) error {
		co, err := s.addCompany(r, c)
		if err != nil {
			return err
		}
		if len(co.locations) == 0 {
			s.addCompanyLocation(r, co, CompanyLocation{})
		}
		out = companyOf(co)
		return nil
	})
	return out, err
}

func companyOf(c *company) Company {
	out := Company{ID: c.id, Name: c.name, ExternalID: c.externalID, Note: c.note, UpdatedAt: c.updatedAt}
	if c.mainContact != nil {
		out.ContactIDs = append(out.ContactIDs, c.mainContact.customer.id)
	}
	for _, ct := range c.contacts {
		if ct != c.mainContact {
			out.ContactIDs = append(out.ContactIDs, ct.customer.id)
		}
	}
	for _, l := range c.locations {
		cl := CompanyLocation{ID: l.id, Name: l.name, ExternalID: l.externalID, Currency: l.currency, TaxRegistrationID: l.taxID, TaxExempt: l.taxExempt}
		if l.billing != nil {
			a := addressOf(l.billing)
			cl.BillingAddress = &a
		}
		if l.shipping != nil {
			a := addressOf(l.shipping)
			cl.ShippingAddress = &a
		}
		for _, cat := range l.catalogs {
			cl.CatalogIDs = append(cl.CatalogIDs, cat.id)
		}
		out.Locations = append(out.Locations, cl)
	}
	return out
}

// Company returns the company with the ID, external ID or name.
func (s *Server) Company(key string) (Company, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.st.companies {
		if c.id == key || (c.externalID != "" && c.externalID == key) || c.name == key {
			return companyOf(c), true
		}
	}
	return Company{}, false
}

// AddCatalog adds a B2B catalog for company locations with a price list in
// currency (default the shop's) that takes percentOff off the list prices,
// and returns the catalog and price list IDs.
func (s *Server) AddCatalog(title string, companyLocationIDs []string, currency string, percentOff float64) (catalogID, priceListID string, err error) {
	_, err = s.change(func(r *reqCtx) error {
		var locs []*companyLocation
		for _, id := range companyLocationIDs {
			l, ok := lookup[*companyLocation](r.st, id)
			if !ok {
				return fmt.Errorf("shopifytest: no company location %q", id)
			}
			locs = append(locs, l)
		}
		cat := s.addCatalog(r, title, "ACTIVE", locs, nil)
		pl := s.addPriceList(r, title, orDefault(currency, r.st.shop.currency), "PERCENTAGE_DECREASE", percentOff, cat)
		catalogID, priceListID = cat.id, pl.id
		return nil
	})
	return catalogID, priceListID, err
}

// PriceList returns a price list's fixed prices, quantity rules and price
// breaks by SKU.
func (s *Server) PriceList(id string) (PriceList, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	pl, ok := lookup[*priceList](s.st, id)
	if !ok {
		return PriceList{}, false
	}
	out := PriceList{
		ID: pl.id, Name: pl.name, Currency: pl.currency, Prices: map[string]decimal.Decimal{},
		CompareAtPrices: map[string]decimal.Decimal{}, Rules: map[string]QuantityRule{}, Breaks: map[string][]PriceBreak{},
	}
	if pl.catalog != nil {
		out.CatalogID = pl.catalog.id
	}
	for _, fp := range pl.fixed {
		out.Prices[fp.variant.sku] = fp.price
		if fp.compareAt != nil {
			out.CompareAtPrices[fp.variant.sku] = *fp.compareAt
		}
	}
	for _, q := range pl.rules {
		qr := QuantityRule{Minimum: q.minimum, Increment: q.increment}
		if q.maximum != nil {
			qr.Maximum = *q.maximum
		}
		out.Rules[q.variant.sku] = qr
	}
	for _, b := range pl.breaks {
		out.Breaks[b.variant.sku] = append(out.Breaks[b.variant.sku], PriceBreak{MinimumQuantity: b.minimum, Price: b.price})
	}
	for sku := range out.Breaks {
		slices.SortFunc(out.Breaks[sku], func(a, b PriceBreak) int { return a.MinimumQuantity - b.MinimumQuantity })
	}
	return out, true
}

// ---------------------------------------------------------------- orders

func (s *Server) orderOf(o *order) Order {
	out := Order{
		ID: o.id, Name: o.name, Number: o.number, Email: o.email, Currency: o.currency, TaxesIncluded: o.taxesIncluded,
		FinancialStatus: o.financial, FulfillmentStatus: o.fulfillmentStatus(), CancelledAt: o.cancelledAt,
		CancelReason: o.cancelReason, ClosedAt: o.closedAt, CreatedAt: o.createdAt, UpdatedAt: o.updatedAt,
		Subtotal: o.lineSubtotal(), TotalShipping: o.shippingTotal(), TotalTax: o.taxTotal(),
		TotalDiscounts: o.discountTotal(), Total: o.total(), TotalRefunded: o.refunded(), Note: o.note, Tags: slices.Clone(o.tags),
	}
	if o.customer != nil {
		out.CustomerID = o.customer.id
	}
	if o.compLoc != nil {
		out.CompanyID, out.CompanyLocationID = o.compLoc.company.id, o.compLoc.id
	}
	for _, l := range o.lines {
		ol := OrderLine{ID: l.id, SKU: l.sku, Title: l.title, Quantity: l.quantity, FulfilledQuantity: l.fulfilled,
			RefundedQuantity: l.refunded, Price: l.price, Discount: l.discount}
		for _, t := range l.taxLines {
			ol.TaxLines = append(ol.TaxLines, TaxLine{Title: t.title, Rate: t.rate, Amount: t.price})
		}
		out.Lines = append(out.Lines, ol)
	}
	for _, f := range o.fulfillments {
		out.Fulfillments = append(out.Fulfillments, fulfillmentOf(f))
	}
	for _, r := range o.refunds {
		out.Refunds = append(out.Refunds, refundOf(r))
	}
	for _, r := range o.returns {
		ret := Return{ID: r.id, Name: r.name, Status: r.status}
		for _, l := range r.lines {
			ret.Lines = append(ret.Lines, ReturnLine{SKU: l.fline.line.sku, Quantity: l.quantity, Reason: l.reason, Note: l.note})
		}
		out.Returns = append(out.Returns, ret)
	}
	for _, t := range o.transactions {
		out.Transactions = append(out.Transactions, Transaction{ID: t.id, Kind: t.kind, Status: t.status, Gateway: t.gateway, AuthorizationCode: t.authCode, Amount: t.amount})
	}
	return out
}

func fulfillmentOf(f *fulfillment) Fulfillment {
	out := Fulfillment{ID: f.id, Name: f.name, Status: f.status, NotifyCustomer: f.notify, CreatedAt: f.createdAt, UpdatedAt: f.updatedAt}
	if f.location != nil {
		out.LocationID = f.location.id
	}
	for _, t := range f.tracking {
		out.Tracking = append(out.Tracking, Tracking{Company: t.company, Number: t.number, URL: t.url})
	}
	for _, l := range f.lines {
		out.Lines = append(out.Lines, LineQuantity{SKU: l.line.sku, Quantity: l.quantity})
	}
	return out
}

func refundOf(r *refund) Refund {
	out := Refund{ID: r.id, Note: r.note, CreatedAt: r.createdAt}
	for _, t := range r.txs {
		out.Amount = out.Amount.Add(t.amount)
	}
	for _, l := range r.lines {
		out.Lines = append(out.Lines, RefundLine{SKU: l.line.sku, Quantity: l.quantity, Restock: l.restock != "NO_RESTOCK"})
	}
	if r.ret != nil {
		out.ReturnID = r.ret.id
	}
	return out
}

// Order returns the order with the ID, name ("#1001") or number.
func (s *Server) Order(key string) (Order, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o := s.st.orderByNameOrID(key); o != nil {
		return s.orderOf(o), true
	}
	return Order{}, false
}

// Orders returns every order, oldest first.
func (s *Server) Orders() []Order {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Order
	for _, o := range s.st.orders {
		out = append(out, s.orderOf(o))
	}
	return out
}

// Fulfillments returns the fulfillments of the order with the ID or name,
// with their tracking.
func (s *Server) Fulfillments(order string) []Fulfillment {
	o, _ := s.Order(order)
	return o.Fulfillments
}

// WebhookSubscription is a registered webhook.
type WebhookSubscription struct {
	ID    string
	Topic string // e.g. ORDERS_CREATE
	URI   string
}

// WebhookSubscriptions returns the registered webhooks.
func (s *Server) WebhookSubscriptions() []WebhookSubscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []WebhookSubscription
	for _, w := range s.st.webhooks {
		out = append(out, WebhookSubscription{ID: w.id, Topic: w.topic, URI: w.uri})
	}
	return out
}

// BulkOperation is a bulk operation's state.
type BulkOperation struct {
	ID          string
	Type        string // QUERY or MUTATION
	Status      string
	ErrorCode   string
	ObjectCount int64
	Result      []byte // the JSONL result
	CompletedAt time.Time
}

// BulkOperations returns every bulk operation, oldest first.
func (s *Server) BulkOperations() []BulkOperation {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []BulkOperation
	for _, b := range s.st.bulkOps {
		out = append(out, BulkOperation{ID: b.id, Type: b.typ, Status: b.status, ErrorCode: b.errorCode,
			ObjectCount: b.objectCount, Result: slices.Clone(b.result), CompletedAt: b.completedAt})
	}
	return out
}
