package woocommerce

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// unitWrite is a change to one sellable unit (a simple product or a
// variation) found by its SKU: prices and stock are written this way.
type unitWrite struct {
	index int
	key   string
	sku   string
	// build returns the fields to set on the unit ex, or unchanged when
	// ex already holds them, or an item error.
	build func(ex *Product) (body map[string]any, unchanged bool, err error)
}

// writeUnits finds the units by SKU and writes the changed ones: simple
// products through /products/batch, variations through their parent's
// /products/<id>/variations/batch. results is filled at each write's
// index.
func (c *Client) writeUnits(ctx context.Context, op string, writes []unitWrite, results []kontor.Result) error {
	if len(writes) == 0 {
		return nil
	}
	skus := make([]string, len(writes))
	for i, w := range writes {
		skus[i] = w.sku
	}
	found, err := c.lookupSKUs(ctx, skus)
	if err != nil {
		return err
	}
	type pending struct {
		index int
		key   string
		body  map[string]any
	}
	groups := map[int64][]pending{} // parent id (0: /products) → writes
	var parents []int64
	for _, w := range writes {
		ex := found[w.sku]
		if ex == nil {
			results[w.index] = failed(w.key, notFound(op, "no product or variation has SKU %q", w.sku))
			continue
		}
		body, unchanged, err := w.build(ex)
		switch {
		case err != nil:
			results[w.index] = failed(w.key, err)
			continue
		case unchanged:
			results[w.index] = kontor.Result{Key: w.key, Outcome: kontor.Unchanged,
				Target: kontor.Meta{ShopKey: idString(ex.ID), UpdatedAt: ex.DateModifiedGMT.Time}}
			continue
		}
		body["id"] = ex.ID
		parent := int64(0)
		if ex.Type == "variation" {
			parent = ex.ParentID
		}
		if _, ok := groups[parent]; !ok {
			parents = append(parents, parent)
		}
		groups[parent] = append(groups[parent], pending{index: w.index, key: w.key, body: body})
	}
	for _, parent := range parents {
		g := groups[parent]
		ops := make([]batchOp, len(g))
		for k, pw := range g {
			ops[k] = batchOp{body: pw.body}
		}
		path := "/products/batch"
		if parent != 0 {
			path = "/products/" + idString(parent) + "/variations/batch"
		}
		rs, err := c.batch(ctx, path, ops)
		if err != nil {
			return err
		}
		for k, r := range rs {
			pw := g[k]
			if r.err != nil {
				results[pw.index] = failed(pw.key, r.err)
				continue
			}
			results[pw.index] = kontor.Result{Key: pw.key, Outcome: kontor.Updated,
				Target: kontor.Meta{ShopKey: idString(r.id), UpdatedAt: r.modified.Time}}
		}
	}
	return nil
}

// WritePrices sets regular and sale prices, with the sale's window from
// ValidFrom and ValidTo, on the simple products and variations with the
// prices' SKUs. WooCommerce core has one price per unit, so a price for a
// customer group, or a window without a sale price, fails with
// kontor.KindPermanent; quantity tiers are kept in the MetaPriceTiers meta
// data for a plugin to apply. A price for an unknown SKU fails with
// kontor.KindNotFound.
func (c *Client) WritePrices(ctx context.Context, prices []kontor.Price) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(prices))
	var writes []unitWrite
	const op = "write price"
	for i := range prices {
		p := prices[i]
		results[i].Key = p.Key()
		if err := p.Validate(); err != nil {
			results[i] = failed(p.Key(), err)
			continue
		}
		if err := c.checkPrice(&p); err != nil {
			results[i] = failed(p.Key(), err)
			continue
		}
		writes = append(writes, unitWrite{index: i, key: p.Key(), sku: p.SKU, build: func(ex *Product) (map[string]any, bool, error) {
			return priceBody(&p, ex)
		}})
	}
	if err := c.writeUnits(ctx, op, writes, results); err != nil {
		return nil, err
	}
	return results, nil
}

func (c *Client) checkPrice(p *kontor.Price) error {
	const op = "write price"
	switch {
	case p.CustomerGroup != "":
		return permanent(op, "WooCommerce core has no prices per customer group (%q)", p.CustomerGroup)
	case p.Sale == nil && (!p.ValidFrom.IsZero() || !p.ValidTo.IsZero()):
		return permanent(op, "WooCommerce schedules only sale prices: a window needs a sale price")
	case c.cfg.currency != "" && p.List.Currency != c.cfg.currency:
		return kontor.NewError(kontor.KindValidation, System+" "+op,
			errString("the price is in "+string(p.List.Currency)+", the shop sells in "+string(c.cfg.currency)))
	case c.cfg.pricesIncludeTax != nil && p.IncludesTax != *c.cfg.pricesIncludeTax:
		return kontor.NewError(kontor.KindValidation, System+" "+op,
			errString("the price's tax convention differs from the shop's (prices include tax: "+boolWord(*c.cfg.pricesIncludeTax)+")"))
	}
	return nil
}

type errString string

func (e errString) Error() string { return string(e) }

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// priceBody returns the price fields of p and whether ex holds them.
func priceBody(p *kontor.Price, ex *Product) (map[string]any, bool, error) {
	if ex.Type == "variable" || ex.Type == "grouped" {
		return nil, false, permanent("write price", "SKU %q is a %s product, which has no price of its own", p.SKU, ex.Type)
	}
	tiers := "[]"
	if len(p.Tiers) > 0 {
		b, _ := json.Marshal(p.Tiers)
		tiers = string(b)
	}
	// WooCommerce clears a sale with sale_price "" and takes sale dates
	// only when set; a null date leaves the stored one (its isset check),
	// so dates are sent, and compared, only when the price has them.
	b := map[string]any{
		"regular_price": p.List.Amount.String(),
		"sale_price":    "",
		"meta_data":     []MetaData{meta(MetaPriceTiers, tiers)},
	}
	datesSame := true
	if p.Sale != nil {
		b["sale_price"] = p.Sale.Amount.String()
		if !p.ValidFrom.IsZero() {
			b["date_on_sale_from_gmt"] = formatDate(p.ValidFrom)
			datesSame = dateEq(ex.DateOnSaleFromGMT, Date{p.ValidFrom})
		}
		if !p.ValidTo.IsZero() {
			b["date_on_sale_to_gmt"] = formatDate(p.ValidTo)
			datesSame = datesSame && dateEq(ex.DateOnSaleToGMT, Date{p.ValidTo})
		}
	}
	have := metaString(ex.MetaData, MetaPriceTiers)
	if have == "" {
		have = "[]"
	}
	saleSame := (p.Sale == nil && (ex.SalePrice == nil || !ex.SalePrice.Set)) ||
		(p.Sale != nil && amountEq(ex.SalePrice, &p.Sale.Amount))
	same := amountEq(ex.RegularPrice, &p.List.Amount) && saleSame && datesSame && have == tiers
	return b, same, nil
}

func amountEq(a *Amount, d *decimal.Decimal) bool { return a != nil && a.Set && a.Equal(*d) }

func dateEq(a *Date, b Date) bool {
	if a == nil {
		return b.IsZero()
	}
	return a.Truncate(1e9).Equal(b.Truncate(1e9))
}

// ReadPrices reads the prices of the simple products and variations of
// the products changed since the cursor that have a regular price. The
// currency is the one WithStoreSettings names, else the shop's
// (GET /data/currencies/current, asked once).
func (c *Client) ReadPrices(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Price, error] {
	return func(yield func(kontor.Price, error) bool) {
		cur, err := c.currency(ctx)
		if err != nil {
			yield(kontor.Price{}, err)
			return
		}
		stopped := false
		err = c.readSellables(ctx, since.Since, func(u *Product) bool {
			if u.RegularPrice == nil || !u.RegularPrice.Set || u.SKU == "" {
				return true
			}
			p := kontor.Price{
				Meta:        kontor.Meta{ShopKey: idString(u.ID), ERPKey: metaString(u.MetaData, c.cfg.metaKey), UpdatedAt: u.DateModifiedGMT.Time},
				SKU:         u.SKU,
				List:        kontor.Money{Amount: u.RegularPrice.Decimal, Currency: cur},
				IncludesTax: c.cfg.pricesIncludeTax != nil && *c.cfg.pricesIncludeTax,
			}
			if u.SalePrice != nil && u.SalePrice.Set {
				p.Sale = &kontor.Money{Amount: u.SalePrice.Decimal, Currency: cur}
				if u.DateOnSaleFromGMT != nil {
					p.ValidFrom = u.DateOnSaleFromGMT.Time
				}
				if u.DateOnSaleToGMT != nil {
					p.ValidTo = u.DateOnSaleToGMT.Time
				}
			}
			if t := metaString(u.MetaData, MetaPriceTiers); t != "" && t != "[]" {
				_ = json.Unmarshal([]byte(t), &p.Tiers)
			}
			if !yield(p, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(kontor.Price{}, err)
		}
	}
}

// currency returns the configured currency, else asks the shop once.
func (c *Client) currency(ctx context.Context) (kontor.Currency, error) {
	if c.cfg.currency != "" {
		return c.cfg.currency, nil
	}
	c.curMu.Lock()
	defer c.curMu.Unlock()
	if c.shopCurrency != "" {
		return c.shopCurrency, nil
	}
	var cur struct {
		Code string `json:"code"`
	}
	if _, err := c.do(ctx, http.MethodGet, "/data/currencies/current", nil, nil, &cur); err != nil {
		return "", err
	}
	c.shopCurrency = kontor.Currency(cur.Code)
	return c.shopCurrency, nil
}
