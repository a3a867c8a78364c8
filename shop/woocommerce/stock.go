package woocommerce

import (
	"context"
	"iter"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// WriteStock sets the stock of the simple products and variations with the
// levels' SKUs: manage_stock true and stock_quantity the level's
// Available, in whole units (rounded down: WooCommerce counts pieces).
// WooCommerce then derives stock_status (instock, outofstock, or
// onbackorder where the product's backorders setting allows selling below
// zero); backorders stay the shop's policy and are not changed. A level
// that equals the shop's is Unchanged and costs no write. A level for an
// unknown SKU fails with kontor.KindNotFound; one for another location than
// WithStockLocation names fails with kontor.KindPermanent.
func (c *Client) WriteStock(ctx context.Context, levels []kontor.StockLevel) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "write stock"
	results := make([]kontor.Result, len(levels))
	var writes []unitWrite
	for i := range levels {
		l := levels[i]
		results[i].Key = l.Key()
		if err := l.Validate(); err != nil {
			results[i] = failed(l.Key(), err)
			continue
		}
		if c.cfg.location != nil && l.Location != *c.cfg.location {
			results[i] = failed(l.Key(), permanent(op, "WooCommerce has one stock location, %q, not %q", *c.cfg.location, l.Location))
			continue
		}
		qty := l.Available.Floor()
		writes = append(writes, unitWrite{index: i, key: l.Key(), sku: l.SKU, build: func(ex *Product) (map[string]any, bool, error) {
			if ex.Type == "grouped" || ex.Type == "external" {
				return nil, false, permanent(op, "SKU %q is a %s product, which keeps no stock", l.SKU, ex.Type)
			}
			same := ex.ManageStock != nil && ex.ManageStock.On && ex.StockQuantity != nil && !ex.StockQuantity.Null &&
				ex.StockQuantity.Equal(qty)
			return map[string]any{"manage_stock": true, "stock_quantity": qty.IntPart()}, same, nil
		}})
	}
	if err := c.writeUnits(ctx, op, writes, results); err != nil {
		return nil, err
	}
	return results, nil
}

// ReadStock reads the stock of the simple products and variations (and
// variable products that manage stock for all their variations) of the
// products changed since the cursor. Units that do not manage stock have
// no level and are left out. A negative quantity (sold on backorder) reads
// as zero available.
func (c *Client) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return func(yield func(kontor.StockLevel, error) bool) {
		loc := ""
		if c.cfg.location != nil {
			loc = *c.cfg.location
		}
		stopped := false
		err := c.readSellables(ctx, since.Since, func(u *Product) bool {
			if u.ManageStock == nil || !u.ManageStock.On || u.SKU == "" {
				return true
			}
			qty := decimal.Zero
			if u.StockQuantity != nil && !u.StockQuantity.Null {
				qty = u.StockQuantity.Decimal
			}
			qty = decimal.Max(qty, decimal.Zero)
			l := kontor.StockLevel{
				Meta:      kontor.Meta{ShopKey: idString(u.ID), ERPKey: metaString(u.MetaData, c.cfg.metaKey), UpdatedAt: u.DateModifiedGMT.Time},
				SKU:       u.SKU,
				Location:  loc,
				Available: qty,
				OnHand:    qty,
			}
			if !yield(l, nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(kontor.StockLevel{}, err)
		}
	}
}
