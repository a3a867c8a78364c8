package shopifytest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/shopspring/decimal"
)

// productSet, productDelete and productVariantsBulkUpdate.

type productSetPayloadR struct {
	Product             *productR
	ProductSetOperation *productSetOperationR
	UserErrors          []*userError
}

type productSetOperationR struct {
	ID         graphql.ID
	Status     string
	Product    *productR
	UserErrors []*userError
}

func (root) ProductSet(ctx context.Context, a struct {
	Input       in[productSetIn]
	Synchronous bool
	Identifier  in[identifierIn]
}) *productSetPayloadR {
	r := rc(ctx)
	p, errs := r.srv.productSet(r, a.Input.V, a.Identifier)
	out := &productSetPayloadR{UserErrors: errs}
	if out.UserErrors == nil {
		out.UserErrors = []*userError{}
	}
	if a.Synchronous {
		out.Product = newProductR(p)
		return out
	}
	// Asynchronous: the operation is reported complete at once.
	id, _ := r.st.newID("ProductSetOperation")
	op := &productSetOperationR{ID: graphql.ID(id), Status: "COMPLETE", Product: newProductR(p), UserErrors: out.UserErrors}
	out.ProductSetOperation = op
	return out
}

// productSet is the declarative upsert. It validates everything first and
// changes nothing when any user error is found. Callers hold s.mu.
func (s *Server) productSet(r *reqCtx, in productSetIn, ident in[identifierIn]) (*product, []*userError) {
	st := r.st
	var p *product
	var customID *customIDIn
	switch {
	case ident.Set && ident.V.ID != nil:
		found, ok := lookup[*product](st, *ident.V.ID)
		if !ok {
			return nil, []*userError{uerr("PRODUCT_DOES_NOT_EXIST", "Product does not exist", "identifier", "id")}
		}
		p = found
	case ident.Set && ident.V.Handle != nil:
		p = st.productByHandle(*ident.V.Handle)
		if p == nil && in.Handle == nil {
			h := *ident.V.Handle
			in.Handle = &h
		}
	case ident.Set && ident.V.CustomID != nil:
		customID = ident.V.CustomID
		p = st.productByMetafield(str(customID.Namespace), customID.Key, customID.Value)
	case in.ID != nil:
		found, ok := lookup[*product](st, *in.ID)
		if !ok {
			return nil, []*userError{uerr("PRODUCT_DOES_NOT_EXIST", "Product does not exist", "input", "id")}
		}
		p = found
	}
	if errs := s.validateProductSet(st, p, in); len(errs) > 0 {
		return nil, errs
	}
	created := p == nil
	now := r.now
	if created {
		id, n := st.newID("Product")
		p = &product{id: id, num: n, status: "ACTIVE", createdAt: now, updatedAt: now, publishedAt: now}
	}
	before := s.restProductKey(p)
	applyProductFields(st, p, in)
	if created && p.handle == "" {
		p.handle = st.uniqueHandle(handleize(p.title), p)
	}
	if in.Metafields != nil {
		keep := map[string]bool{}
		for _, m := range *in.Metafields {
			mf := upsertMetafield(st, &p.metafields, "PRODUCT", m, now)
			keep[mf.id] = true
		}
		if customID != nil {
			keep[upsertMetafield(st, &p.metafields, "PRODUCT", metafieldIn{Namespace: ptr(nsOrCustom(customID.Namespace)), Key: &customID.Key, Value: &customID.Value, Type: ptr("single_line_text_field")}, now).id] = true
		}
		p.metafields = slices.DeleteFunc(p.metafields, func(m *metafield) bool { return !keep[m.id] })
	} else if customID != nil && created {
		upsertMetafield(st, &p.metafields, "PRODUCT", metafieldIn{Namespace: ptr(nsOrCustom(customID.Namespace)), Key: &customID.Key, Value: &customID.Value, Type: ptr("single_line_text_field")}, now)
	}
	if in.ProductOptions != nil {
		p.options = nil
		for _, o := range *in.ProductOptions {
			opt := &option{name: str(o.Name)}
			opt.id, _ = st.newID("ProductOption")
			if o.Values != nil {
				for _, v := range *o.Values {
					ov := &optionValue{name: str(v.Name)}
					ov.id, _ = st.newID("ProductOptionValue")
					opt.values = append(opt.values, ov)
				}
			}
			p.options = append(p.options, opt)
		}
	}
	var levelEvents []*inventoryLevel
	if in.Variants != nil {
		var kept []*variant
		for _, vin := range *in.Variants {
			v := matchVariant(p, vin)
			if v == nil {
				v = newVariant(st, p, now)
			}
			applyVariantSet(st, p, v, vin, now)
			if vin.InventoryQuantities != nil {
				for _, q := range *vin.InventoryQuantities {
					loc, _ := lookup[*location](st, q.LocationID)
					l := ensureLevel(st, v.item, loc, now)
					cur := l.quantity(q.Name)
					if cur != q.Quantity {
						l.qty["available"] += q.Quantity - cur
						touch(l, now)
						levelEvents = append(levelEvents, l)
					}
				}
			}
			kept = append(kept, v)
		}
		for _, old := range p.variants {
			if !slices.Contains(kept, old) {
				deleteVariant(st, old)
			}
		}
		p.variants = kept
	}
	if len(p.variants) == 0 {
		v := newVariant(st, p, now)
		v.price = decimal.Zero
		p.variants = []*variant{v}
	}
	if created {
		st.products = append(st.products, p)
		st.nodes[p.id] = p
	}
	changed := created || s.restProductKey(p) != before
	if changed {
		p.updatedAt = now
		topic := "products/update"
		if created {
			topic = "products/create"
		}
		r.fire(topic, s.restProduct(p))
	}
	for _, l := range levelEvents {
		r.fire("inventory_levels/update", s.restInventoryLevel(l))
	}
	return p, nil
}

func ptr[T any](v T) *T { return &v }

func nsOrCustom(ns *string) string {
	if ns == nil || *ns == "" {
		return "custom"
	}
	return *ns
}

// restProductKey fingerprints the product's content, to tell whether a
// write changed it.
func (s *Server) restProductKey(p *product) string {
	m := s.restProduct(p)
	delete(m, "updated_at")
	delete(m, "variant_gids")
	for _, v := range m["variants"].([]any) {
		delete(v.(map[string]any), "updated_at")
	}
	var mf []string
	for _, x := range p.metafields {
		mf = append(mf, x.namespace+"."+x.key+"="+x.value)
	}
	return fmt.Sprint(m, mf, p.collections, p.seoTitle, p.seoDesc)
}

func (s *Server) validateProductSet(st *state, p *product, in productSetIn) []*userError {
	var errs []*userError
	if p == nil && strings.TrimSpace(str(in.Title)) == "" {
		errs = append(errs, uerr("INVALID_PRODUCT", "Title can't be blank", "input", "title"))
	}
	if in.Title != nil && len(*in.Title) > 255 {
		errs = append(errs, uerr("INVALID_PRODUCT", "Title is too long (maximum is 255 characters)", "input", "title"))
	}
	if in.Handle != nil && *in.Handle != "" {
		if other := st.productByHandle(*in.Handle); other != nil && other != p {
			errs = append(errs, uerr("HANDLE_NOT_UNIQUE", fmt.Sprintf("Handle '%s' already in use. Please provide a new handle.", *in.Handle), "input", "handle"))
		}
	}
	if in.Collections != nil {
		for i, id := range *in.Collections {
			if _, ok := lookup[*collection](st, id); !ok {
				errs = append(errs, uerr("INVALID_INPUT", "Collection does not exist", "input", "collections", intStr(i)))
			}
		}
	}
	if in.Metafields != nil {
		for i, m := range *in.Metafields {
			if m.Key == nil || *m.Key == "" {
				errs = append(errs, uerr("INVALID_METAFIELD", "Key can't be blank", "input", "metafields", intStr(i), "key"))
			}
			if m.Value == nil {
				errs = append(errs, uerr("INVALID_METAFIELD", "Value can't be blank", "input", "metafields", intStr(i), "value"))
			}
			if m.Type == nil && !hasMetafield(p, m) {
				errs = append(errs, uerr("INVALID_METAFIELD", "Type can't be blank", "input", "metafields", intStr(i), "type"))
			}
		}
	}
	if in.Files != nil {
		for i, f := range *in.Files {
			if f.ID == nil && str(f.OriginalSource) == "" {
				errs = append(errs, uerr("INVALID_INPUT", "Original source can't be blank", "input", "files", intStr(i), "originalSource"))
			}
		}
	}
	var optionNames []string
	if in.ProductOptions != nil {
		if len(*in.ProductOptions) > 3 {
			errs = append(errs, uerr("OPTIONS_OVER_LIMIT", "Can only specify a maximum of 3 options", "input", "productOptions"))
		}
		for i, o := range *in.ProductOptions {
			n := str(o.Name)
			if slices.Contains(optionNames, n) {
				errs = append(errs, uerr("DUPLICATED_OPTION_NAME", "Duplicated option name.", "input", "productOptions", intStr(i), "name"))
			}
			optionNames = append(optionNames, n)
			if o.Values == nil || len(*o.Values) == 0 {
				errs = append(errs, uerr("OPTION_VALUES_MISSING", "Option '"+n+"' must specify at least one option value.", "input", "productOptions", intStr(i), "values"))
			}
		}
	} else if p != nil {
		for _, o := range p.options {
			optionNames = append(optionNames, o.name)
		}
	}
	if in.Variants == nil {
		return errs
	}
	vs := *in.Variants
	if len(vs) > s.cfg.variantLimit {
		errs = append(errs, uerr("VARIANTS_OVER_LIMIT", fmt.Sprintf("Exceeded the maximum number of variants allowed (%d).", s.cfg.variantLimit), "input", "variants"))
		return errs
	}
	if len(vs) > 0 && in.ProductOptions == nil && (p == nil || len(p.options) == 0) {
		errs = append(errs, uerr("PRODUCT_OPTIONS_INPUT_MISSING", "Product options input is required when updating variants.", "input", "productOptions"))
		return errs
	}
	seenIDs := map[string]bool{}
	seenCombos := map[string]bool{}
	for i, v := range vs {
		path := []string{"input", "variants", intStr(i)}
		if v.ID != nil {
			if seenIDs[*v.ID] {
				errs = append(errs, uerr("DUPLICATED_VALUE", "Duplicated variant id.", append(path, "id")...))
			}
			seenIDs[*v.ID] = true
			ev, ok := lookup[*variant](st, *v.ID)
			if !ok || ev.product != p {
				errs = append(errs, uerr("PRODUCT_VARIANT_DOES_NOT_EXIST", "Product variant does not exist", append(path, "id")...))
			}
		}
		if len(v.OptionValues) != len(optionNames) && !(len(optionNames) == 1 && optionNames[0] == "Title" && len(v.OptionValues) <= 1) {
			errs = append(errs, uerr("INVALID_VARIANT", "The variant must have a value for each product option.", append(path, "optionValues")...))
		}
		var combo []string
		for j, ov := range v.OptionValues {
			name := str(ov.OptionName)
			if name != "" && !slices.Contains(optionNames, name) {
				errs = append(errs, uerr("OPTION_DOES_NOT_EXIST", "Option does not exist", append(path, "optionValues", intStr(j), "optionName")...))
			}
			combo = append(combo, name+"="+str(ov.Name))
		}
		key := strings.Join(combo, "|")
		if seenCombos[key] {
			errs = append(errs, uerr("INVALID_VARIANT", "The variant '"+strings.ReplaceAll(key, "|", " / ")+"' already exists.", append(path, "optionValues")...))
		}
		seenCombos[key] = true
		if v.Price != nil && v.Price.IsNegative() {
			errs = append(errs, uerr("INVALID_VARIANT", "Price must be greater than or equal to 0", append(path, "price")...))
		}
		if e := checkWeight(v.InventoryItem, "INVALID_VARIANT", append(path, "inventoryItem")...); e != nil {
			errs = append(errs, e)
		}
		if v.InventoryQuantities != nil {
			for j, q := range *v.InventoryQuantities {
				if _, ok := lookup[*location](st, q.LocationID); !ok {
					errs = append(errs, uerr("INVALID_INPUT", "Location does not exist", append(path, "inventoryQuantities", intStr(j), "locationId")...))
				}
				if q.Name != "available" && q.Name != "on_hand" {
					errs = append(errs, uerr("INVALID_INPUT", "Quantity name must be available or on_hand", append(path, "inventoryQuantities", intStr(j), "name")...))
				}
				if q.Quantity < 0 {
					errs = append(errs, uerr("INVALID_INPUT", "Quantity can't be negative", append(path, "inventoryQuantities", intStr(j), "quantity")...))
				}
			}
		}
	}
	return errs
}

func hasMetafield(p *product, m metafieldIn) bool {
	if p == nil {
		return false
	}
	for _, x := range p.metafields {
		if x.namespace == nsOrCustom(m.Namespace) && x.key == str(m.Key) {
			return true
		}
	}
	return false
}

func applyProductFields(st *state, p *product, in productSetIn) {
	if in.Title != nil {
		p.title = *in.Title
	}
	if in.Handle != nil && *in.Handle != "" {
		p.handle = *in.Handle
	}
	if in.DescriptionHTML != nil {
		p.descHTML = *in.DescriptionHTML
	}
	if in.Vendor != nil {
		p.vendor = *in.Vendor
	}
	if in.ProductType != nil {
		p.productType = *in.ProductType
	}
	if in.Status != nil {
		p.status = *in.Status
	}
	if in.Tags != nil {
		p.tags = normalizeTags(*in.Tags)
	}
	if in.TemplateSuffix != nil {
		p.template = *in.TemplateSuffix
	}
	if in.GiftCard != nil {
		p.giftCard = *in.GiftCard
	}
	if in.SEO != nil {
		if in.SEO.Title != nil {
			p.seoTitle = *in.SEO.Title
		}
		if in.SEO.Description != nil {
			p.seoDesc = *in.SEO.Description
		}
	}
	if in.Collections != nil {
		p.collections = slices.Clone(*in.Collections)
	}
	if in.Files != nil {
		var kept []*media
		for _, f := range *in.Files {
			var m *media
			for _, old := range p.media {
				if (f.ID != nil && old.id == *f.ID) || (f.OriginalSource != nil && old.url == *f.OriginalSource) {
					m = old
				}
			}
			if m == nil {
				m = &media{url: str(f.OriginalSource), createdAt: p.updatedAt}
				m.id, _ = st.newID("MediaImage")
				st.nodes[m.id] = m
			}
			if f.Alt != nil {
				m.alt = *f.Alt
			}
			kept = append(kept, m)
		}
		p.media = kept
	}
}

func normalizeTags(tags []string) []string {
	out := []string{}
	for _, t := range tags {
		for _, part := range strings.Split(t, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

func upsertMetafield(st *state, list *[]*metafield, owner string, in metafieldIn, now time.Time) *metafield {
	ns := nsOrCustom(in.Namespace)
	for _, m := range *list {
		if (in.ID != nil && m.id == *in.ID) || (m.namespace == ns && m.key == str(in.Key)) {
			if in.Value != nil {
				m.value = *in.Value
			}
			if in.Type != nil {
				m.typ = *in.Type
			}
			m.updatedAt = now
			return m
		}
	}
	m := &metafield{owner: owner, namespace: ns, key: str(in.Key), value: str(in.Value), typ: str(in.Type), createdAt: now, updatedAt: now}
	m.id, _ = st.newID("Metafield")
	st.nodes[m.id] = m
	*list = append(*list, m)
	return m
}

// matchVariant finds the existing variant a variant input updates: by ID,
// else by the same option values.
func matchVariant(p *product, vin variantSetIn) *variant {
	if vin.ID != nil {
		for _, v := range p.variants {
			if v.id == *vin.ID {
				return v
			}
		}
		return nil
	}
	vals := variantOptionNames(p, vin.OptionValues)
	for _, v := range p.variants {
		if slices.Equal(v.options, vals) {
			return v
		}
	}
	return nil
}

// variantOptionNames orders a variant's option values by the product's
// options; a product with only the implicit Title option has none.
func variantOptionNames(p *product, ovs []variantOptionIn) []string {
	if len(p.options) == 1 && p.options[0].name == "Title" && len(ovs) <= 1 && (len(ovs) == 0 || str(ovs[0].Name) == "Default Title") {
		return nil
	}
	out := make([]string, len(p.options))
	for i, o := range p.options {
		for j, ov := range ovs {
			if str(ov.OptionName) == o.name || (str(ov.OptionName) == "" && j == i) {
				out[i] = str(ov.Name)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func newVariant(st *state, p *product, now time.Time) *variant {
	id, n := st.newID("ProductVariant")
	v := &variant{id: id, num: n, product: p, policy: "DENY", taxable: true, requiresShip: true, createdAt: now, updatedAt: now}
	iid, in := st.newID("InventoryItem")
	v.item = &inventoryItem{id: iid, num: in, variant: v, tracked: true, createdAt: now, updatedAt: now}
	st.nodes[id] = v
	st.nodes[iid] = v.item
	return v
}

func deleteVariant(st *state, v *variant) {
	delete(st.nodes, v.id)
	delete(st.nodes, v.item.id)
	for _, l := range v.item.levels {
		delete(st.nodes, l.id)
	}
}

func applyVariantSet(st *state, p *product, v *variant, in variantSetIn, now time.Time) {
	before := fmt.Sprint(v.sku, v.barcode, v.price, v.compareAt, v.options, v.policy, v.taxable, v.item.tracked, v.item.weightOrDefault())
	if in.SKU != nil {
		v.sku = *in.SKU
	}
	if in.Barcode != nil {
		v.barcode = *in.Barcode
	}
	if in.Price != nil {
		v.price = in.Price.Decimal
	}
	if in.CompareAtPrice.Set {
		v.compareAt = decPtr(in.CompareAtPrice.Value)
	}
	v.options = variantOptionNames(p, in.OptionValues)
	if in.InventoryPolicy != nil {
		v.policy = *in.InventoryPolicy
	}
	if in.Taxable != nil {
		v.taxable = *in.Taxable
	}
	if in.TaxCode != nil {
		v.taxCode = *in.TaxCode
	}
	applyItemInput(v, in.InventoryItem)
	if in.Metafields != nil {
		for _, m := range *in.Metafields {
			upsertMetafield(st, &v.metafields, "PRODUCTVARIANT", m, now)
		}
	}
	if in.File != nil && in.File.OriginalSource != nil {
		for _, m := range p.media {
			if m.url == *in.File.OriginalSource {
				v.mediaID = m.id
			}
		}
	}
	if fmt.Sprint(v.sku, v.barcode, v.price, v.compareAt, v.options, v.policy, v.taxable, v.item.tracked, v.item.weightOrDefault()) != before {
		v.updatedAt = now
	}
}

func applyItemInput(v *variant, in *inventoryItemIn) {
	if in == nil {
		return
	}
	if in.SKU != nil {
		v.sku = *in.SKU
	}
	if in.Tracked != nil {
		v.item.tracked = *in.Tracked
	}
	if in.RequiresShipping != nil {
		v.requiresShip = *in.RequiresShipping
	}
	if in.Cost != nil {
		c := in.Cost.Decimal
		v.unitCost = &c
	}
	if in.HarmonizedCode != nil {
		v.harmonizedCode = *in.HarmonizedCode
	}
	if w := weightOf(in); w != nil {
		v.item.weight = &itemWeight{value: w.Value, unit: w.Unit}
	}
}

func ensureLevel(st *state, it *inventoryItem, loc *location, now time.Time) *inventoryLevel {
	if l := it.level(loc.id); l != nil {
		return l
	}
	l := &inventoryLevel{item: it, location: loc, qty: map[string]int{}, createdAt: now, updatedAt: now}
	l.id = levelID(l)
	it.levels = append(it.levels, l)
	st.nodes[l.id] = l
	return l
}

// ---------------------------------------------------------------- productDelete

type productDeletePayloadR struct {
	DeletedProductId *graphql.ID
	UserErrors       []*userError
}

func (root) ProductDelete(ctx context.Context, a struct {
	Input       in[productDeleteIn]
	Synchronous bool
}) *productDeletePayloadR {
	r := rc(ctx)
	p, ok := lookup[*product](r.st, a.Input.V.ID)
	if !ok {
		return &productDeletePayloadR{UserErrors: []*userError{uerr("", "Product does not exist", "id")}}
	}
	for _, v := range p.variants {
		deleteVariant(r.st, v)
	}
	delete(r.st.nodes, p.id)
	r.st.products = removeOne(r.st.products, p)
	r.fire("products/delete", map[string]any{"id": p.num})
	id := graphql.ID(p.id)
	return &productDeletePayloadR{DeletedProductId: &id, UserErrors: []*userError{}}
}

// ---------------------------------------------------------------- productVariantsBulkUpdate

type variantsBulkPayloadR struct {
	Product         *productR
	ProductVariants *[]*variantR
	UserErrors      []*userError
}

func (root) ProductVariantsBulkUpdate(ctx context.Context, a struct {
	ProductId           graphql.ID
	Variants            []in[variantsBulkIn]
	AllowPartialUpdates bool
}) *variantsBulkPayloadR {
	r := rc(ctx)
	st := r.st
	p, ok := lookup[*product](st, string(a.ProductId))
	if !ok {
		return &variantsBulkPayloadR{UserErrors: []*userError{uerr("PRODUCT_DOES_NOT_EXIST", "Product does not exist", "productId")}}
	}
	var errs []*userError
	valid := make([]bool, len(a.Variants))
	for i, x := range a.Variants {
		vin := x.V
		path := []string{"variants", intStr(i)}
		n := len(errs)
		switch {
		case vin.ID == nil:
			errs = append(errs, uerr("PRODUCT_VARIANT_ID_MISSING", "Product variant is missing ID attribute", append(path, "id")...))
		default:
			v, ok := lookup[*variant](st, *vin.ID)
			if !ok {
				errs = append(errs, uerr("PRODUCT_VARIANT_DOES_NOT_EXIST", "Product variant does not exist", append(path, "id")...))
			} else if v.product != p {
				errs = append(errs, uerr("MUST_BE_FOR_THIS_PRODUCT", "Product variant does not belong to this product", append(path, "id")...))
			}
		}
		if vin.Price != nil && vin.Price.IsNegative() {
			errs = append(errs, uerr("GREATER_THAN_OR_EQUAL_TO", "Price must be greater than or equal to 0", append(path, "price")...))
		}
		if vin.CompareAtPrice.Value != nil && vin.CompareAtPrice.Value.IsNegative() {
			errs = append(errs, uerr("GREATER_THAN_OR_EQUAL_TO", "Compare at price must be greater than or equal to 0", append(path, "compareAtPrice")...))
		}
		if e := checkWeight(vin.InventoryItem, "GREATER_THAN_OR_EQUAL_TO", append(path, "inventoryItem")...); e != nil {
			errs = append(errs, e)
		}
		valid[i] = len(errs) == n
	}
	if len(errs) > 0 && !a.AllowPartialUpdates {
		return &variantsBulkPayloadR{Product: newProductR(p), UserErrors: errs}
	}
	now := r.now
	before := r.srv.restProductKey(p)
	var out []*variantR
	for i, x := range a.Variants {
		if !valid[i] {
			continue
		}
		vin := x.V
		v, _ := lookup[*variant](st, *vin.ID)
		if vin.Price != nil {
			v.price = vin.Price.Decimal
		}
		if vin.CompareAtPrice.Set {
			v.compareAt = decPtr(vin.CompareAtPrice.Value)
		}
		if vin.Barcode != nil {
			v.barcode = *vin.Barcode
		}
		if vin.InventoryPolicy != nil {
			v.policy = *vin.InventoryPolicy
		}
		if vin.Taxable != nil {
			v.taxable = *vin.Taxable
		}
		if vin.TaxCode != nil {
			v.taxCode = *vin.TaxCode
		}
		if vin.OptionValues != nil {
			v.options = variantOptionNames(p, *vin.OptionValues)
		}
		if vin.MediaID != nil {
			v.mediaID = *vin.MediaID
		}
		applyItemInput(v, vin.InventoryItem)
		if vin.Metafields != nil {
			for _, m := range *vin.Metafields {
				upsertMetafield(st, &v.metafields, "PRODUCTVARIANT", m, now)
			}
		}
		v.updatedAt = now
		out = append(out, newVariantR(v))
	}
	if r.srv.restProductKey(p) != before {
		p.updatedAt = now
		r.fire("products/update", r.srv.restProduct(p))
	}
	if errs == nil {
		errs = []*userError{}
	}
	return &variantsBulkPayloadR{Product: newProductR(p), ProductVariants: &out, UserErrors: errs}
}
