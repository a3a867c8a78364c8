package businesscentral

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// StockPage describes a custom API page that reports stock per location
// (and variant), which the standard API cannot: its items carry one
// read-only inventory, the sum over every location. Such a page is an API
// page of an extension, over the Item table with its location (and
// variant) FlowFilters, or over a table of stock levels; it lives at
// …/api/{Route}/companies({id})/{EntitySet}.
type StockPage struct {
	// Route is the page's "{publisher}/{group}/{version}", e.g.
	// "contoso/shop/v1.0".
	Route string
	// EntitySet is its entity set, e.g. "stockLevels".
	EntitySet string
	// ItemNumberField holds the item number (default "itemNumber").
	ItemNumberField string
	// VariantCodeField holds the variant code, if the page has one; a
	// row with a code is the stock of the variant's SKU.
	VariantCodeField string
	// LocationField holds the location code, or is the location
	// FlowFilter the reads filter on (default "locationCode").
	LocationField string
	// QuantityField holds the quantity (default "inventory").
	QuantityField string
	// ModifiedField holds the row's change time, for delta reads
	// (default "lastModifiedDateTime"); "-" when the page has none, which
	// makes every read a full read.
	ModifiedField string
}

func (p StockPage) withDefaults() StockPage {
	if p.ItemNumberField == "" {
		p.ItemNumberField = "itemNumber"
	}
	if p.LocationField == "" {
		p.LocationField = "locationCode"
	}
	if p.QuantityField == "" {
		p.QuantityField = "inventory"
	}
	if p.ModifiedField == "" {
		p.ModifiedField = "lastModifiedDateTime"
	}
	return p
}

// WithStockPage reads stock from a custom API page instead of the items'
// inventory.
func WithStockPage(p StockPage) Option {
	return func(o *options) error {
		if p.Route == "" || p.EntitySet == "" || strings.Trim(p.Route, "/") != p.Route {
			return errors.New("businesscentral: a StockPage needs a Route like \"publisher/group/v1.0\" and an EntitySet")
		}
		p = p.withDefaults()
		o.stock = &p
		return nil
	}
}

// WithStockLocations reads the stock of these locations only, one read
// filtered on the page's LocationField per location; the levels carry the
// location code. It needs WithStockPage.
func WithStockLocations(codes ...string) Option {
	return func(o *options) error {
		o.stockLocations = append(o.stockLocations, codes...)
		return nil
	}
}

// stockRow is one level as read, before the delta logic.
type stockRow struct {
	level   kontor.StockLevel
	item    string // item number, to match ledger entries
	updated time.Time
}

// nonNegative clamps a quantity at zero: Business Central allows negative
// inventory (sold before received), a shop cannot offer it.
func nonNegative(d decimal.Decimal) decimal.Decimal {
	if d.IsNegative() {
		return decimal.Zero
	}
	return d
}

// ReadStock streams the stock levels changed at or after since.Since.
//
// Without a StockPage they are the items' inventory (type Inventory
// only), one level per item number at the empty location. With one they
// are the page's rows, per location (and variant). Stock moves by posting
// item ledger entries, which change no item's lastModifiedDateTime, so a
// delta read also reads the ledger entries posted since and reads the
// levels of their items again; a level's update time is then the later of
// its row's and its newest entry's. Available and on hand are both the
// inventory, at least zero; the standard API gives no reservations.
func (c *Connector) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return func(yield func(kontor.StockLevel, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(kontor.StockLevel{}, err)
			return
		}
		if c.opt.stock == nil && len(c.opt.stockLocations) > 0 {
			yield(kontor.StockLevel{}, kontor.NewError(kontor.KindPermanent, System+" stock",
				errors.New("WithStockLocations needs WithStockPage: the standard API has no stock per location")))
			return
		}
		delta := !since.Since.IsZero()
		seen := map[string]bool{} // item numbers read, for the ledger sweep
		emit := func(r stockRow) bool {
			if delta {
				seen[r.item] = true
			}
			if delta && r.updated.Before(since.Since) {
				return true
			}
			return yield(r.level, nil)
		}
		for r, err := range c.stockRows(ctx, since.Since, "") {
			if err != nil {
				yield(kontor.StockLevel{}, err)
				return
			}
			if !emit(r) {
				return
			}
		}
		if !delta {
			return
		}
		moved, order, err := c.ledgerItems(ctx, since.Since, seen)
		if err != nil {
			yield(kontor.StockLevel{}, err)
			return
		}
		for _, item := range order {
			for r, err := range c.stockRows(ctx, time.Time{}, item) {
				if err != nil {
					yield(kontor.StockLevel{}, err)
					return
				}
				if t := moved[item]; t.After(r.level.UpdatedAt) {
					r.level.UpdatedAt = t
					r.updated = t
				}
				if !emit(r) {
					return
				}
			}
		}
	}
}

// ledgerItems returns the item numbers, not in seen, with item ledger
// entries changed at or after since, each with its newest entry's time.
func (c *Connector) ledgerItems(ctx context.Context, since time.Time, seen map[string]bool) (map[string]time.Time, []string, error) {
	u, err := c.companyURL(ctx, "itemLedgerEntries")
	if err != nil {
		return nil, nil, err
	}
	moved := map[string]time.Time{}
	var order []string
	q := filtered(changedSince("lastModifiedDateTime", since)).set("$select", "entryNumber,itemNumber,lastModifiedDateTime")
	for raw, err := range c.collection(ctx, u, q) {
		if err != nil {
			return nil, nil, err
		}
		var e struct {
			ItemNumber   string    `json:"itemNumber"`
			LastModified time.Time `json:"lastModifiedDateTime"`
		}
		if json.Unmarshal(raw, &e) != nil || e.ItemNumber == "" || seen[e.ItemNumber] {
			continue
		}
		t, ok := moved[e.ItemNumber]
		if !ok {
			order = append(order, e.ItemNumber)
		}
		if !ok || e.LastModified.After(t) {
			moved[e.ItemNumber] = e.LastModified
		}
	}
	return moved, order, nil
}

// stockRows reads levels changed at or after since (zero: all), of one
// item number only when item is set.
func (c *Connector) stockRows(ctx context.Context, since time.Time, item string) iter.Seq2[stockRow, error] {
	if c.opt.stock == nil {
		return c.itemStockRows(ctx, since, item)
	}
	return c.pageStockRows(ctx, since, item)
}

// itemStockRows reads the items' inventory.
func (c *Connector) itemStockRows(ctx context.Context, since time.Time, item string) iter.Seq2[stockRow, error] {
	return func(yield func(stockRow, error) bool) {
		u, err := c.companyURL(ctx, "items")
		if err != nil {
			yield(stockRow{}, err)
			return
		}
		filter := changedSince("lastModifiedDateTime", since)
		if item != "" {
			filter = eq("number", item)
		}
		q := filtered(filter).set("$select", "id,number,type,inventory,lastModifiedDateTime")
		decode := func(raw json.RawMessage) ([]decoded[stockRow], error) {
			it, err := decodeItem(kontor.EntityStock, raw)
			if err != nil {
				return nil, err
			}
			if it.Type != "" && it.Type != "Inventory" {
				return nil, nil // services and non-inventory items have no stock
			}
			qty := nonNegative(it.Inventory.Decimal)
			r := stockRow{item: it.Number, updated: it.LastModified, level: kontor.StockLevel{
				Meta: kontor.Meta{ERPKey: it.ID, UpdatedAt: it.LastModified},
				SKU:  it.Number, Available: qty, OnHand: qty,
			}}
			return []decoded[stockRow]{{v: r, key: it.Number, updated: it.LastModified}}, nil
		}
		for r, err := range readEntities(ctx, c.collection(ctx, u, q), time.Time{}, decode) {
			if !yield(r, err) || err != nil {
				return
			}
		}
	}
}

// pageStockRows reads the custom stock page, per configured location.
func (c *Connector) pageStockRows(ctx context.Context, since time.Time, item string) iter.Seq2[stockRow, error] {
	p := *c.opt.stock
	return func(yield func(stockRow, error) bool) {
		id, err := c.CompanyID(ctx)
		if err != nil {
			yield(stockRow{}, err)
			return
		}
		u := c.base.String() + "/api/" + p.Route + "/" + companyPath(id, p.EntitySet)
		locations := c.opt.stockLocations
		if len(locations) == 0 {
			locations = []string{""}
		}
		for _, loc := range locations {
			var terms []string
			if item != "" {
				terms = append(terms, eq(p.ItemNumberField, item))
			} else if p.ModifiedField != "-" {
				terms = append(terms, changedSince(p.ModifiedField, since))
			}
			if loc != "" {
				terms = append(terms, eq(p.LocationField, loc))
			}
			decode := func(raw json.RawMessage) ([]decoded[stockRow], error) {
				r, err := c.pageRow(p, raw, loc)
				if err != nil {
					return nil, err
				}
				return []decoded[stockRow]{{v: r, key: r.level.Key(), updated: r.updated}}, nil
			}
			for r, err := range readEntities(ctx, c.collection(ctx, u, filtered(and(terms...))), time.Time{}, decode) {
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
	}
}

// pageRow decodes a row of the custom stock page by its configured field
// names.
func (c *Connector) pageRow(p StockPage, raw json.RawMessage, loc string) (stockRow, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return stockRow{}, malformed(kontor.EntityStock, "", err)
	}
	text := func(name string) (string, error) {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	item, err := text(p.ItemNumberField)
	if err != nil || item == "" {
		return stockRow{}, &kontor.ValidationError{Entity: kontor.EntityStock, Field: p.ItemNumberField,
			Reason: "the stock page row has no item number"}
	}
	sku := item
	if p.VariantCodeField != "" {
		code, err := text(p.VariantCodeField)
		if err != nil {
			return stockRow{}, &kontor.ValidationError{Entity: kontor.EntityStock, Key: item, Field: p.VariantCodeField, Reason: "is not a string"}
		}
		if code != "" {
			sku = c.variantSKU(item, code)
		}
	}
	location := loc
	if location == "" {
		if location, err = text(p.LocationField); err != nil {
			return stockRow{}, &kontor.ValidationError{Entity: kontor.EntityStock, Key: sku, Field: p.LocationField, Reason: "is not a string"}
		}
	}
	var qty num
	if v, ok := fields[p.QuantityField]; ok {
		if err := json.Unmarshal(v, &qty); err != nil {
			return stockRow{}, &kontor.ValidationError{Entity: kontor.EntityStock, Key: sku, Field: p.QuantityField,
				Reason: "malformed in the Business Central response: not a number"}
		}
	} else {
		return stockRow{}, &kontor.ValidationError{Entity: kontor.EntityStock, Key: sku, Field: p.QuantityField,
			Reason: "missing from the stock page row"}
	}
	var updated time.Time
	if v, ok := fields[p.ModifiedField]; ok && p.ModifiedField != "-" {
		if err := json.Unmarshal(v, &updated); err != nil {
			return stockRow{}, &kontor.ValidationError{Entity: kontor.EntityStock, Key: sku, Field: p.ModifiedField,
				Reason: "malformed in the Business Central response: not a date-time"}
		}
	}
	erpKey, _ := text("id")
	q := nonNegative(qty.Decimal)
	return stockRow{item: item, updated: updated, level: kontor.StockLevel{
		Meta: kontor.Meta{ERPKey: erpKey, UpdatedAt: updated},
		SKU:  sku, Location: location, Available: q, OnHand: q,
	}}, nil
}
