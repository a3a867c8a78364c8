package shopifytest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
)

// priceListCreate, priceListFixedPricesAdd, priceListFixedPricesDelete,
// quantityPricingByVariantUpdate and catalogCreate: B2B prices, quantity
// rules and quantity price breaks.

func errNoCustomer(id string) error { return fmt.Errorf("shopifytest: no customer %q", id) }

type priceListPayloadR struct {
	PriceList  *priceListR
	UserErrors []*userError
}

func (s *Server) addPriceList(r *reqCtx, name, currency, adjustType string, pct float64, cat *catalog) *priceList {
	pl := &priceList{name: name, currency: currency, adjustType: adjustType, adjustPct: pct, catalog: cat}
	pl.id, _ = r.st.newID("PriceList")
	r.st.nodes[pl.id] = pl
	r.st.priceLists = append(r.st.priceLists, pl)
	if cat != nil {
		cat.priceList = pl
	}
	return pl
}

func (root) PriceListCreate(ctx context.Context, a struct{ Input in[priceListCreateIn] }) *priceListPayloadR {
	r := rc(ctx)
	in := a.Input.V
	if strings.TrimSpace(in.Name) == "" {
		return &priceListPayloadR{UserErrors: []*userError{uerr("BLANK", "Name can't be blank", "input", "name")}}
	}
	for _, pl := range r.st.priceLists {
		if pl.name == in.Name {
			return &priceListPayloadR{UserErrors: []*userError{uerr("TAKEN", "Name has already been taken", "input", "name")}}
		}
	}
	if in.Parent.Adjustment.Value < 0 || in.Parent.Adjustment.Value > 1000 {
		return &priceListPayloadR{UserErrors: []*userError{uerr("INVALID_ADJUSTMENT_VALUE", "Invalid adjustment value.", "input", "parent", "adjustment", "value")}}
	}
	var cat *catalog
	if in.CatalogID != nil {
		c, ok := lookup[*catalog](r.st, *in.CatalogID)
		if !ok {
			return &priceListPayloadR{UserErrors: []*userError{uerr("CATALOG_DOES_NOT_EXIST", "Catalog doesn't exist.", "input", "catalogId")}}
		}
		if c.priceList != nil {
			return &priceListPayloadR{UserErrors: []*userError{uerr("CATALOG_TAKEN", "Catalog has a price list already assigned.", "input", "catalogId")}}
		}
		cat = c
	}
	pl := r.srv.addPriceList(r, in.Name, in.Currency, in.Parent.Adjustment.Type, in.Parent.Adjustment.Value, cat)
	return &priceListPayloadR{PriceList: newPriceListR(pl), UserErrors: []*userError{}}
}

type fixedPricesPayloadR struct {
	Prices     *[]*priceListPriceR
	UserErrors []*userError
}

func (root) PriceListFixedPricesAdd(ctx context.Context, a struct {
	PriceListId graphql.ID
	Prices      []in[priceListPriceIn]
}) *fixedPricesPayloadR {
	r := rc(ctx)
	pl, ok := lookup[*priceList](r.st, string(a.PriceListId))
	if !ok {
		return &fixedPricesPayloadR{UserErrors: []*userError{uerr("PRICE_LIST_NOT_FOUND", "Price list does not exist.", "priceListId")}}
	}
	var prices []priceListPriceIn
	for _, p := range a.Prices {
		prices = append(prices, p.V)
	}
	if errs := checkPrices(r.st, pl, prices, "prices", "VARIANT_NOT_FOUND", "PRICE_LIST_CURRENCY_MISMATCH"); len(errs) > 0 {
		return &fixedPricesPayloadR{UserErrors: errs}
	}
	out := []*priceListPriceR{}
	for _, p := range prices {
		fp := setFixedPrice(r.st, pl, p)
		out = append(out, fixedPriceView(pl, fp))
	}
	return &fixedPricesPayloadR{Prices: &out, UserErrors: []*userError{}}
}

func checkPrices(st *state, pl *priceList, prices []priceListPriceIn, field, notFound, mismatch string) []*userError {
	var errs []*userError
	for i, p := range prices {
		if _, ok := lookup[*variant](st, p.VariantID); !ok {
			errs = append(errs, uerr(notFound, "Variant not found.", field, intStr(i), "variantId"))
		}
		if p.Price.CurrencyCode != pl.currency || (p.CompareAtPrice != nil && p.CompareAtPrice.CurrencyCode != pl.currency) {
			errs = append(errs, uerr(mismatch, "The specified currency doesn't match the price list's currency.", field, intStr(i), "price", "currencyCode"))
		}
		if p.Price.Amount.IsNegative() {
			errs = append(errs, uerr("BLANK", "Price must be greater than or equal to 0.", field, intStr(i), "price", "amount"))
		}
	}
	return errs
}

func setFixedPrice(st *state, pl *priceList, p priceListPriceIn) *fixedPrice {
	v, _ := lookup[*variant](st, p.VariantID)
	var fp *fixedPrice
	for _, x := range pl.fixed {
		if x.variant == v {
			fp = x
		}
	}
	if fp == nil {
		fp = &fixedPrice{variant: v}
		pl.fixed = append(pl.fixed, fp)
	}
	fp.price = p.Price.Amount.Decimal
	fp.compareAt = nil
	if p.CompareAtPrice != nil {
		c := p.CompareAtPrice.Amount.Decimal
		fp.compareAt = &c
	}
	return fp
}

func fixedPriceView(pl *priceList, fp *fixedPrice) *priceListPriceR {
	v := &priceListPriceR{Price: money(fp.price, pl.currency), OriginType: "FIXED", v: fp.variant, list: pl}
	if fp.compareAt != nil {
		v.CompareAtPrice = money(*fp.compareAt, pl.currency)
	}
	return v
}

type fixedPricesDeletePayloadR struct {
	DeletedFixedPriceVariantIds *[]graphql.ID
	UserErrors                  []*userError
}

func (root) PriceListFixedPricesDelete(ctx context.Context, a struct {
	PriceListId graphql.ID
	VariantIds  []graphql.ID
}) *fixedPricesDeletePayloadR {
	r := rc(ctx)
	pl, ok := lookup[*priceList](r.st, string(a.PriceListId))
	if !ok {
		return &fixedPricesDeletePayloadR{UserErrors: []*userError{uerr("PRICE_LIST_NOT_FOUND", "Price list does not exist.", "priceListId")}}
	}
	var errs []*userError
	for i, id := range a.VariantIds {
		if !slices.ContainsFunc(pl.fixed, func(fp *fixedPrice) bool { return fp.variant.id == string(id) }) {
			errs = append(errs, uerr("PRICE_NOT_FIXED", "Only fixed prices can be deleted.", "variantIds", intStr(i)))
		}
	}
	if len(errs) > 0 {
		return &fixedPricesDeletePayloadR{UserErrors: errs}
	}
	deleted := []graphql.ID{}
	pl.fixed = slices.DeleteFunc(pl.fixed, func(fp *fixedPrice) bool {
		if slices.Contains(a.VariantIds, graphql.ID(fp.variant.id)) {
			deleted = append(deleted, graphql.ID(fp.variant.id))
			return true
		}
		return false
	})
	return &fixedPricesDeletePayloadR{DeletedFixedPriceVariantIds: &deleted, UserErrors: []*userError{}}
}

type quantityPricingPayloadR struct {
	ProductVariants *[]*variantR
	UserErrors      []*userError
}

func (root) QuantityPricingByVariantUpdate(ctx context.Context, a struct {
	PriceListId graphql.ID
	Input       in[quantityPricingIn]
}) *quantityPricingPayloadR {
	r := rc(ctx)
	st := r.st
	pl, ok := lookup[*priceList](st, string(a.PriceListId))
	if !ok {
		return &quantityPricingPayloadR{UserErrors: []*userError{uerr("PRICE_LIST_NOT_FOUND", "Price list does not exist.", "priceListId")}}
	}
	in := a.Input.V
	errs := checkPrices(st, pl, in.PricesToAdd, "pricesToAdd", "PRICE_ADD_VARIANT_NOT_FOUND", "PRICE_ADD_CURRENCY_MISMATCH")
	for _, e := range errs {
		f := append([]string{"input"}, *e.Field...)
		e.Field = &f
	}
	for i, q := range in.QuantityRulesToAdd {
		path := []string{"input", "quantityRulesToAdd", intStr(i)}
		if _, ok := lookup[*variant](st, q.VariantID); !ok {
			errs = append(errs, uerr("QUANTITY_RULE_ADD_VARIANT_NOT_FOUND", "Quantity rule variant not found.", append(path, "variantId")...))
		}
		switch {
		case q.Increment > q.Minimum:
			errs = append(errs, uerr("QUANTITY_RULE_ADD_INCREMENT_IS_GREATER_THAN_MINIMUM", "Increment must be lower than or equal to the minimum.", append(path, "increment")...))
		case q.Increment > 0 && q.Minimum%q.Increment != 0:
			errs = append(errs, uerr("QUANTITY_RULE_ADD_MINIMUM_NOT_A_MULTIPLE_OF_INCREMENT", "Minimum must be a multiple of the increment.", append(path, "minimum")...))
		case q.Maximum != nil && *q.Maximum < q.Minimum:
			errs = append(errs, uerr("QUANTITY_RULE_ADD_MINIMUM_GREATER_THAN_MAXIMUM", "Minimum must be lower than or equal to the maximum.", append(path, "minimum")...))
		case q.Maximum != nil && q.Increment > 0 && *q.Maximum%q.Increment != 0:
			errs = append(errs, uerr("QUANTITY_RULE_ADD_MAXIMUM_NOT_A_MULTIPLE_OF_INCREMENT", "Maximum must be a multiple of the increment.", append(path, "maximum")...))
		}
	}
	for i, b := range in.QuantityPriceBreaksToAdd {
		path := []string{"input", "quantityPriceBreaksToAdd", intStr(i)}
		v, ok := lookup[*variant](st, b.VariantID)
		if !ok {
			errs = append(errs, uerr("QUANTITY_PRICE_BREAK_ADD_VARIANT_NOT_FOUND", "Quantity price break variant not found.", append(path, "variantId")...))
			continue
		}
		if b.Price.CurrencyCode != pl.currency {
			errs = append(errs, uerr("QUANTITY_PRICE_BREAK_ADD_CURRENCY_MISMATCH", "The currency doesn't match the price list's currency.", append(path, "price", "currencyCode")...))
		}
		if b.MinimumQuantity <= 1 || b.Price.Amount.IsNegative() {
			errs = append(errs, uerr("QUANTITY_PRICE_BREAK_ADD_INVALID", "Quantity price break is invalid.", append(path, "minimumQuantity")...))
		}
		minimum := 1
		for _, q := range in.QuantityRulesToAdd {
			if q.VariantID == v.id {
				minimum = q.Minimum
			}
		}
		for _, q := range pl.rules {
			if q.variant == v && !slices.Contains(in.QuantityRulesToDeleteByVariantID, v.id) {
				minimum = max(minimum, q.minimum)
			}
		}
		if b.MinimumQuantity < minimum {
			errs = append(errs, uerr("QUANTITY_PRICE_BREAK_ADD_MIN_LOWER_THAN_QUANTITY_RULES_MIN", "Quantity price break minimum is lower than the quantity rule minimum.", append(path, "minimumQuantity")...))
		}
	}
	if len(errs) > 0 {
		return &quantityPricingPayloadR{UserErrors: errs}
	}
	touched := map[*variant]bool{}
	// Deletions first, then additions.
	pl.fixed = slices.DeleteFunc(pl.fixed, func(fp *fixedPrice) bool {
		del := slices.Contains(in.PricesToDeleteByVariantID, fp.variant.id)
		if del {
			touched[fp.variant] = true
		}
		return del
	})
	pl.rules = slices.DeleteFunc(pl.rules, func(q *quantityRule) bool {
		del := slices.Contains(in.QuantityRulesToDeleteByVariantID, q.variant.id)
		if del {
			touched[q.variant] = true
		}
		return del
	})
	pl.breaks = slices.DeleteFunc(pl.breaks, func(b *priceBreak) bool {
		del := slices.Contains(in.QuantityPriceBreaksToDelete, b.id) || slices.Contains(in.QuantityPriceBreaksToDeleteByVar, b.variant.id)
		if del {
			touched[b.variant] = true
			delete(st.nodes, b.id)
		}
		return del
	})
	for _, p := range in.PricesToAdd {
		fp := setFixedPrice(st, pl, p)
		touched[fp.variant] = true
	}
	for _, q := range in.QuantityRulesToAdd {
		v, _ := lookup[*variant](st, q.VariantID)
		pl.rules = slices.DeleteFunc(pl.rules, func(x *quantityRule) bool { return x.variant == v })
		pl.rules = append(pl.rules, &quantityRule{variant: v, minimum: q.Minimum, maximum: q.Maximum, increment: q.Increment})
		touched[v] = true
	}
	for _, b := range in.QuantityPriceBreaksToAdd {
		v, _ := lookup[*variant](st, b.VariantID)
		pl.breaks = slices.DeleteFunc(pl.breaks, func(x *priceBreak) bool { return x.variant == v && x.minimum == b.MinimumQuantity })
		pb := &priceBreak{variant: v, minimum: b.MinimumQuantity, price: b.Price.Amount.Decimal, currency: pl.currency, list: pl}
		pb.id, _ = st.newID("QuantityPriceBreak")
		st.nodes[pb.id] = pb
		pl.breaks = append(pl.breaks, pb)
		touched[v] = true
	}
	out := []*variantR{}
	for _, v := range allVariants(st) {
		if touched[v] {
			out = append(out, newVariantR(v))
		}
	}
	return &quantityPricingPayloadR{ProductVariants: &out, UserErrors: []*userError{}}
}

type catalogPayloadR struct {
	Catalog    *catalogR
	UserErrors []*userError
}

func (s *Server) addCatalog(r *reqCtx, title, status string, locs []*companyLocation, pl *priceList) *catalog {
	c := &catalog{title: title, status: status, locations: locs, priceList: pl}
	c.id, _ = r.st.newID("CompanyLocationCatalog")
	r.st.nodes[c.id] = c
	r.st.catalogs = append(r.st.catalogs, c)
	for _, l := range locs {
		l.catalogs = append(l.catalogs, c)
	}
	if pl != nil {
		pl.catalog = c
	}
	return c
}

func (root) CatalogCreate(ctx context.Context, a struct{ Input in[catalogCreateIn] }) *catalogPayloadR {
	r := rc(ctx)
	in := a.Input.V
	if strings.TrimSpace(in.Title) == "" {
		return &catalogPayloadR{UserErrors: []*userError{uerr("BLANK", "Title can't be blank", "input", "title")}}
	}
	for _, c := range r.st.catalogs {
		if c.title == in.Title {
			return &catalogPayloadR{UserErrors: []*userError{uerr("TAKEN", "Title has already been taken", "input", "title")}}
		}
	}
	var locs []*companyLocation
	for i, id := range in.Context.CompanyLocationIDs {
		l, ok := lookup[*companyLocation](r.st, id)
		if !ok {
			return &catalogPayloadR{UserErrors: []*userError{uerr("COMPANY_LOCATION_NOT_FOUND", "Company location not found.", "input", "context", "companyLocationIds", intStr(i))}}
		}
		locs = append(locs, l)
	}
	var pl *priceList
	if in.PriceListID != nil {
		p, ok := lookup[*priceList](r.st, *in.PriceListID)
		if !ok {
			return &catalogPayloadR{UserErrors: []*userError{uerr("PRICE_LIST_NOT_FOUND", "Price list not found.", "input", "priceListId")}}
		}
		pl = p
	}
	c := r.srv.addCatalog(r, in.Title, in.Status, locs, pl)
	return &catalogPayloadR{Catalog: newCatalogR(c), UserErrors: []*userError{}}
}
