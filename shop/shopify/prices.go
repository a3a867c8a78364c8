package shopify

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"
	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// Prices go two ways. The price everyone pays (no customer group) is the
// variant's price, with the list price as compare-at price when a sale
// price applies. A customer group's price goes to the group's B2B price
// list (a catalog's fixed prices) with its quantity breaks.

// variantsBulkUpdate sets variant prices of one product.
type variantsBulkUpdate struct {
	ProductVariantsBulkUpdate struct {
		ProductVariants []struct{ ID string }
		UserErrors      []codedUserError
	} `graphql:"productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: true)"`
}

// productVariantsBulkInput is ProductVariantsBulkInput, for prices.
type productVariantsBulkInput struct {
	ID             string  `json:"id"`
	Price          string  `json:"price"`
	CompareAtPrice *string `json:"compareAtPrice"` // null clears it
}

func (productVariantsBulkInput) GetGraphQLType() string { return "ProductVariantsBulkInput" }

// quantityPricingUpdate writes a price list's fixed prices and breaks.
type quantityPricingUpdate struct {
	QuantityPricingByVariantUpdate struct {
		ProductVariants []struct{ ID string }
		UserErrors      []codedUserError
	} `graphql:"quantityPricingByVariantUpdate(priceListId: $priceListId, input: $input)"`
}

// quantityPricingByVariantUpdateInput is QuantityPricingByVariantUpdateInput;
// every list is required.
type quantityPricingByVariantUpdateInput struct {
	PricesToAdd                            []priceListPriceInput     `json:"pricesToAdd"`
	PricesToDeleteByVariantID              []string                  `json:"pricesToDeleteByVariantId"`
	QuantityPriceBreaksToAdd               []quantityPriceBreakInput `json:"quantityPriceBreaksToAdd"`
	QuantityPriceBreaksToDelete            []string                  `json:"quantityPriceBreaksToDelete"`
	QuantityPriceBreaksToDeleteByVariantID []string                  `json:"quantityPriceBreaksToDeleteByVariantId"`
	QuantityRulesToAdd                     []struct{}                `json:"quantityRulesToAdd"`
	QuantityRulesToDeleteByVariantID       []string                  `json:"quantityRulesToDeleteByVariantId"`
}

// newQuantityPricingInput returns an input with every list present and
// empty, as the schema requires.
func newQuantityPricingInput() quantityPricingByVariantUpdateInput {
	return quantityPricingByVariantUpdateInput{
		PricesToAdd: []priceListPriceInput{}, PricesToDeleteByVariantID: []string{},
		QuantityPriceBreaksToAdd: []quantityPriceBreakInput{}, QuantityPriceBreaksToDelete: []string{},
		QuantityPriceBreaksToDeleteByVariantID: []string{}, QuantityRulesToAdd: []struct{}{}, QuantityRulesToDeleteByVariantID: []string{},
	}
}

func (quantityPricingByVariantUpdateInput) GetGraphQLType() string {
	return "QuantityPricingByVariantUpdateInput"
}

type priceListPriceInput struct {
	VariantID      string      `json:"variantId"`
	Price          moneyInput  `json:"price"`
	CompareAtPrice *moneyInput `json:"compareAtPrice,omitempty"`
}

type quantityPriceBreakInput struct {
	VariantID       string     `json:"variantId"`
	MinimumQuantity int        `json:"minimumQuantity"`
	Price           moneyInput `json:"price"`
}

type moneyInput struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// priceListRef is a B2B price list.
type priceListRef struct {
	id, currency string
}

type priceListsQuery struct {
	PriceLists struct {
		Nodes []struct {
			ID       string
			Name     string
			Currency string
		}
	} `graphql:"priceLists(first: 250)"`
}

type shopQuery struct {
	Shop struct {
		CurrencyCode string
	}
}

// WritePrices sets prices. A price without customer group is the
// variant's price: the sale price when there is one, with the list price
// as compare-at price, else the list price with no compare-at price; it
// must be in the shop's currency, and in the shop's tax convention
// (Shopify prices are gross or net as the shop is set up). Quantity tiers
// exist in Shopify only on B2B price lists and are not written for the
// default price. A customer group's price goes to the price list of that
// group (see WithPriceLists) as a fixed price, and its tiers replace the
// variant's quantity breaks on that list.
func (c *Client) WritePrices(ctx context.Context, prices []kontor.Price) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]kontor.Result, len(prices))
	var skus []string
	for i := range prices {
		out[i].Key = prices[i].Key()
		if err := prices[i].Validate(); err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		skus = append(skus, prices[i].SKU)
	}
	variants, err := c.existingVariants(ctx, skus)
	if err != nil {
		return nil, err
	}
	shopCurrency, err := c.shopCurrency(ctx)
	if err != nil {
		return nil, err
	}
	byProduct := make(map[string][]int)
	var products []string
	byList := make(map[string][]int)
	var lists []string
	for i := range prices {
		p := &prices[i]
		if out[i].Outcome == kontor.Failed {
			continue
		}
		ref, ok := variants[p.SKU]
		if !ok {
			out[i].Outcome, out[i].Err = kontor.Failed, &kontor.APIError{System: "shopify", Op: "price write",
				Kind: kontor.KindNotFound, Message: fmt.Sprintf("no variant with SKU %q", p.SKU)}
			continue
		}
		out[i].Target = kontor.Meta{ShopKey: ref.variant}
		if p.CustomerGroup == "" {
			if string(p.List.Currency) != shopCurrency {
				out[i].Outcome, out[i].Err = kontor.Failed, &kontor.ValidationError{Entity: kontor.EntityPrice, Key: p.Key(),
					Field: "list.currency", Reason: fmt.Sprintf("is %s, the shop sells in %s", p.List.Currency, shopCurrency)}
				continue
			}
			if _, ok := byProduct[ref.product]; !ok {
				products = append(products, ref.product)
			}
			byProduct[ref.product] = append(byProduct[ref.product], i)
			continue
		}
		list, err := c.priceList(ctx, p.CustomerGroup)
		if err != nil {
			return nil, err
		}
		if list.id == "" {
			out[i].Outcome, out[i].Err = kontor.Failed, &kontor.ValidationError{Entity: kontor.EntityPrice, Key: p.Key(),
				Field: "customer_group", Reason: fmt.Sprintf("%q maps to no B2B price list", p.CustomerGroup)}
			continue
		}
		if list.currency != "" && string(p.List.Currency) != list.currency {
			out[i].Outcome, out[i].Err = kontor.Failed, &kontor.ValidationError{Entity: kontor.EntityPrice, Key: p.Key(),
				Field: "list.currency", Reason: fmt.Sprintf("is %s, the price list is in %s", p.List.Currency, list.currency)}
			continue
		}
		if _, ok := byList[list.id]; !ok {
			lists = append(lists, list.id)
		}
		byList[list.id] = append(byList[list.id], i)
	}
	for _, product := range products {
		if err := c.writeVariantPrices(ctx, product, byProduct[product], prices, variants, out); err != nil {
			return nil, err
		}
	}
	for _, list := range lists {
		for chunk := range chunks(byList[list], maxPageSize) {
			if err := c.writeListPrices(ctx, list, chunk, prices, variants, out); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (c *Client) writeVariantPrices(ctx context.Context, product string, idx []int, prices []kontor.Price, variants map[string]itemRef, out []kontor.Result) error {
	in := make([]productVariantsBulkInput, len(idx))
	for k, i := range idx {
		p := &prices[i]
		in[k] = productVariantsBulkInput{ID: variants[p.SKU].variant, Price: p.List.Amount.StringFixed(p.List.Currency.Scale())}
		if p.Sale != nil {
			list := in[k].Price
			in[k].Price = p.Sale.Amount.StringFixed(p.List.Currency.Scale())
			in[k].CompareAtPrice = &list
		}
	}
	var m variantsBulkUpdate
	if err := c.mutate(ctx, "ProductVariantsBulkUpdate", &m, map[string]any{"productId": graphql.ID(product), "variants": in}, true); err != nil {
		return err
	}
	c.applyUserErrors(kontor.EntityPrice, "variants", idx, prices, m.ProductVariantsBulkUpdate.UserErrors, out)
	return nil
}

func (c *Client) writeListPrices(ctx context.Context, list string, idx []int, prices []kontor.Price, variants map[string]itemRef, out []kontor.Result) error {
	in := newQuantityPricingInput()
	for _, i := range idx {
		p := &prices[i]
		v := variants[p.SKU].variant
		cur := string(p.List.Currency)
		pi := priceListPriceInput{VariantID: v, Price: moneyInput{Amount: p.List.Amount.String(), CurrencyCode: cur}}
		if p.Sale != nil {
			pi.Price.Amount = p.Sale.Amount.String()
			pi.CompareAtPrice = &moneyInput{Amount: p.List.Amount.String(), CurrencyCode: cur}
		}
		in.PricesToAdd = append(in.PricesToAdd, pi)
		in.QuantityPriceBreaksToDeleteByVariantID = append(in.QuantityPriceBreaksToDeleteByVariantID, v)
		for _, t := range p.Tiers {
			n, err := number(t.MinQuantity)
			if err != nil || n < 2 {
				out[i].Outcome, out[i].Err = kontor.Failed, &kontor.ValidationError{Entity: kontor.EntityPrice, Key: p.Key(),
					Field: "tiers.min_quantity", Reason: fmt.Sprintf("%s: Shopify takes whole minimum quantities from 2", t.MinQuantity)}
				break
			}
			in.QuantityPriceBreaksToAdd = append(in.QuantityPriceBreaksToAdd, quantityPriceBreakInput{VariantID: v, MinimumQuantity: n,
				Price: moneyInput{Amount: t.Amount.Amount.String(), CurrencyCode: cur}})
		}
	}
	var m quantityPricingUpdate
	if err := c.mutate(ctx, "QuantityPricingByVariantUpdate", &m, map[string]any{"priceListId": graphql.ID(list), "input": in}, true); err != nil {
		return err
	}
	c.applyUserErrors(kontor.EntityPrice, "pricesToAdd", idx, prices, m.QuantityPricingByVariantUpdate.UserErrors, out)
	return nil
}

// applyUserErrors fails the items a user error names by its index in the
// list field, or all when it names none, and marks the rest updated.
func (c *Client) applyUserErrors(entity kontor.Entity, list string, idx []int, prices []kontor.Price, ues []codedUserError, out []kontor.Result) {
	failed := make(map[int]error)
	for _, ue := range ues {
		k, ok := fieldIndex(ue.Field, list)
		if !ok || k >= len(idx) {
			for _, i := range idx {
				failed[i] = userErr(entity, prices[i].Key(), []codedUserError{ue})
			}
			continue
		}
		i := idx[k]
		failed[i] = userErr(entity, prices[i].Key(), []codedUserError{ue})
	}
	for _, i := range idx {
		if out[i].Outcome == kontor.Failed {
			continue
		}
		if err, ok := failed[i]; ok {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		out[i].Outcome = kontor.Updated
		out[i].Target.UpdatedAt = time.Now()
	}
}

// fieldIndex finds the list index a user error field path names.
func fieldIndex(field []string, list string) (int, bool) {
	for i := 0; i+1 < len(field); i++ {
		if field[i] == list {
			var n int
			if _, err := fmt.Sscanf(field[i+1], "%d", &n); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// shopCurrency reads the shop's currency once.
func (c *Client) shopCurrency(ctx context.Context) (string, error) {
	c.mu.Lock()
	cur := c.currency
	c.mu.Unlock()
	if cur != "" {
		return cur, nil
	}
	var q shopQuery
	if err := c.query(ctx, "Shop", &q, nil); err != nil {
		return "", fmt.Errorf("shopify: reading the shop's currency: %w", err)
	}
	c.mu.Lock()
	c.currency = q.Shop.CurrencyCode
	c.mu.Unlock()
	return q.Shop.CurrencyCode, nil
}

// priceList resolves a customer group to its price list.
func (c *Client) priceList(ctx context.Context, group string) (priceListRef, error) {
	c.mu.Lock()
	ref, ok := c.lists[group]
	c.mu.Unlock()
	if ok {
		return ref, nil
	}
	target := group
	if t, ok := c.cfg.priceLists[group]; ok {
		target = t
	}
	var q priceListsQuery
	if err := c.query(ctx, "PriceLists", &q, nil); err != nil {
		return priceListRef{}, fmt.Errorf("shopify: reading price lists: %w", err)
	}
	for _, n := range q.PriceLists.Nodes {
		if n.ID == target || strings.EqualFold(n.Name, target) {
			ref = priceListRef{id: n.ID, currency: n.Currency}
		}
	}
	c.mu.Lock()
	c.lists[group] = ref
	c.mu.Unlock()
	return ref, nil
}

// variantPricesQuery reads variant prices changed since a time.
type variantPricesQuery struct {
	ProductVariants struct {
		Nodes []struct {
			ID             string
			SKU            *string `graphql:"sku"`
			Price          decimal.Decimal
			CompareAtPrice *decimal.Decimal
			UpdatedAt      time.Time
		}
		PageInfo pageInfo
	} `graphql:"productVariants(first: $first, after: $after, query: $query)"`
}

// ReadPrices reads the default prices (each variant's price and
// compare-at price, in the shop's currency) of the variants changed at or
// after since. Price-list prices are not read back.
func (c *Client) ReadPrices(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Price, error] {
	return func(yield func(kontor.Price, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(kontor.Price{}, err)
			return
		}
		cur, err := c.shopCurrency(ctx)
		if err != nil {
			yield(kontor.Price{}, err)
			return
		}
		var after *string
		if since.Token != "" {
			after = &since.Token
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(kontor.Price{}, err)
				return
			}
			var q variantPricesQuery
			if err := c.query(ctx, "VariantPrices", &q, map[string]any{"first": c.cfg.pageSize, "after": after, "query": sinceQuery(since.Since)}); err != nil {
				yield(kontor.Price{}, fmt.Errorf("shopify: reading prices: %w", err))
				return
			}
			for _, n := range q.ProductVariants.Nodes {
				sku := deref(n.SKU)
				if sku == "" || n.UpdatedAt.Before(since.Since) {
					continue
				}
				p := kontor.Price{Meta: kontor.Meta{ShopKey: n.ID, UpdatedAt: n.UpdatedAt}, SKU: sku,
					List: money(n.Price, kontor.Currency(cur))}
				if n.CompareAtPrice != nil && n.CompareAtPrice.GreaterThan(n.Price) {
					sale := p.List
					p.List = money(*n.CompareAtPrice, kontor.Currency(cur))
					p.Sale = &sale
				}
				if err := ctx.Err(); err != nil {
					yield(kontor.Price{}, err)
					return
				}
				if !yield(p, nil) {
					return
				}
			}
			pi := q.ProductVariants.PageInfo
			if !pi.HasNextPage || pi.EndCursor == nil {
				return
			}
			after = pi.EndCursor
		}
	}
}
