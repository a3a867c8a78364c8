package businesscentral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// bcItem is an item of the API (resources/dynamics_item.md).
type bcItem struct {
	ETag                  string      `json:"@odata.etag"`
	ID                    string      `json:"id"`
	Number                string      `json:"number"`
	DisplayName           string      `json:"displayName"`
	DisplayName2          string      `json:"displayName2"`
	Type                  string      `json:"type"`
	ItemCategoryID        string      `json:"itemCategoryId"`
	ItemCategoryCode      string      `json:"itemCategoryCode"`
	Blocked               bool        `json:"blocked"`
	GTIN                  string      `json:"gtin"`
	Inventory             num         `json:"inventory"`
	UnitPrice             num         `json:"unitPrice"`
	PriceIncludesTax      bool        `json:"priceIncludesTax"`
	UnitCost              num         `json:"unitCost"`
	TaxGroupCode          string      `json:"taxGroupCode"`
	BaseUnitOfMeasureCode string      `json:"baseUnitOfMeasureCode"`
	LastModified          time.Time   `json:"lastModifiedDateTime"`
	ItemVariants          []bcVariant `json:"itemVariants"`
	Picture               *bcPicture  `json:"picture"`
}

// bcVariant is an item variant (resources/dynamics_itemvariant.md).
type bcVariant struct {
	ID           string    `json:"id"`
	ItemID       string    `json:"itemId"`
	ItemNumber   string    `json:"itemNumber"`
	Code         string    `json:"code"`
	Description  string    `json:"description"`
	LastModified time.Time `json:"lastModifiedDateTime"`
}

// bcPicture is an item's picture (resources/dynamics_picture.md).
type bcPicture struct {
	ID          string `json:"id"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	ContentType string `json:"contentType"`
}

// WithVariantSeparator sets what joins an item number and a variant code
// into the variant's SKU (default "-": item 1896-S, variant RED is
// "1896-S-RED"). Order lines are resolved back the same way.
func WithVariantSeparator(sep string) Option {
	return func(o *options) error {
		if sep == "" {
			return errors.New("businesscentral: empty variant separator")
		}
		o.variantSep = sep
		return nil
	}
}

// WithPictures reads each item's picture and gives the product an image
// whose URL is url(itemNumber, pictureID): the picture content itself is
// behind the API's sign-in, so a shop needs it published elsewhere (see
// Connector.Picture). Without it products carry no images.
func WithPictures(url func(itemNumber, pictureID string) string) Option {
	return func(o *options) error { o.pictureURL = url; return nil }
}

// variantSKU is the SKU of an item's variant.
func (c *Connector) variantSKU(itemNumber, code string) string {
	return itemNumber + c.opt.variantSep + code
}

// productOf maps an item to a product: number → SKU, displayName → title,
// gtin, taxGroupCode → tax class, baseUnitOfMeasureCode → unit, blocked →
// discontinued, itemCategoryCode → category; each item variant a variant
// whose one option, "Variant", is its code.
func (c *Connector) productOf(it bcItem) kontor.Product {
	p := kontor.Product{
		Meta:     kontor.Meta{ERPKey: it.ID, UpdatedAt: it.LastModified},
		SKU:      it.Number,
		Title:    it.DisplayName,
		GTIN:     it.GTIN,
		TaxClass: it.TaxGroupCode,
		Unit:     it.BaseUnitOfMeasureCode,
		Status:   kontor.ProductActive,
	}
	if it.Blocked {
		p.Status = kontor.ProductDiscontinued
	}
	if it.ItemCategoryCode != "" {
		p.Categories = []string{it.ItemCategoryCode}
	}
	extra := map[string]string{}
	if it.Type != "" {
		extra["type"] = it.Type
	}
	if it.ItemCategoryCode != "" {
		extra["item_category_code"] = it.ItemCategoryCode
	}
	if it.DisplayName2 != "" {
		extra["display_name_2"] = it.DisplayName2
	}
	if it.UnitPrice.set {
		extra["unit_price"] = it.UnitPrice.String()
		extra["price_includes_tax"] = fmt.Sprint(it.PriceIncludesTax)
	}
	if len(extra) > 0 {
		p.Extra = extra
	}
	if pic := it.Picture; pic != nil && pic.ID != "" && c.opt.pictureURL != nil && (pic.Width > 0 || pic.ContentType != "") {
		p.Images = []kontor.Image{{URL: c.opt.pictureURL(it.Number, pic.ID), Alt: it.DisplayName, Position: 1}}
	}
	if len(it.ItemVariants) > 0 {
		p.Options = []string{"Variant"}
		for _, v := range it.ItemVariants {
			title := v.Description
			if title == "" {
				title = v.Code
			}
			if v.ID != "" && v.Code != "" {
				c.variants.put(strings.ToLower(v.ID), variantRef{itemNumber: it.Number, code: v.Code}) // for shipment lines
			}
			p.Variants = append(p.Variants, kontor.Variant{
				Meta:    kontor.Meta{ERPKey: v.ID, UpdatedAt: v.LastModified},
				SKU:     c.variantSKU(it.Number, v.Code),
				Title:   title,
				Options: []kontor.OptionValue{{Name: "Variant", Value: v.Code}},
			})
		}
	}
	return p
}

// decodeItem decodes one item record.
func decodeItem(e kontor.Entity, raw json.RawMessage) (bcItem, error) {
	var it bcItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return it, malformed(e, it.Number, err)
	}
	if it.Number == "" {
		return it, &kontor.ValidationError{Entity: e, Key: it.ID, Field: "number",
			Reason: "the Business Central item has no number"}
	}
	return it, nil
}

// itemExpand is what an item read expands: its variants, and its
// picture when products get images.
func (c *Connector) itemExpand() string {
	if c.opt.pictureURL != nil {
		return "itemVariants,picture"
	}
	return "itemVariants"
}

// itemsQuery is the items read: changed since, with variants (and
// pictures) expanded.
func (c *Connector) itemsQuery(since time.Time) *query {
	return filtered(changedSince("lastModifiedDateTime", since)).set("$expand", c.itemExpand())
}

// ReadProducts streams the items changed at or after since.Since (all
// items for a zero cursor) as products, with their variants. A variant
// changed on its own does not change its item's lastModifiedDateTime, so a
// delta read also reads the variants changed since and yields their items
// once more.
func (c *Connector) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		u, err := c.companyURL(ctx, "items")
		if err != nil {
			yield(kontor.Product{}, err)
			return
		}
		seen := map[string]bool{} // item ids yielded, for the variant sweep
		delta := !since.Since.IsZero()
		decode := func(raw json.RawMessage) ([]decoded[kontor.Product], error) {
			it, err := decodeItem(kontor.EntityProduct, raw)
			if err != nil {
				return nil, err
			}
			if delta {
				seen[it.ID] = true
			}
			return []decoded[kontor.Product]{{v: c.productOf(it), key: it.Number, updated: it.LastModified}}, nil
		}
		for p, err := range readEntities(ctx, c.collection(ctx, u, c.itemsQuery(since.Since)), since.Since, decode) {
			if !yield(p, err) || err != nil {
				return
			}
		}
		if !delta {
			return
		}
		for p, err := range c.variantChangedItems(ctx, since.Since, seen) {
			if !yield(p, err) || err != nil {
				return
			}
		}
	}
}

// variantChangedItems yields the items, not in seen, whose variants
// changed at or after since; a variant's change time is the product's
// update time then.
func (c *Connector) variantChangedItems(ctx context.Context, since time.Time, seen map[string]bool) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		u, err := c.companyURL(ctx, "itemVariants")
		if err != nil {
			yield(kontor.Product{}, err)
			return
		}
		if c.noVariantDelta.Load() {
			return
		}
		changed := map[string]time.Time{}
		var order []string
		q := filtered(changedSince("lastModifiedDateTime", since)).set("$select", "id,itemId,lastModifiedDateTime")
		for raw, err := range c.collection(ctx, u, q) {
			if err != nil {
				if unsupported(err) {
					// A server whose item variants have no lastModifiedDateTime:
					// variant-only changes show when their item changes.
					c.noVariantDelta.Store(true)
					c.logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: itemVariants cannot be filtered on lastModifiedDateTime; variant-only changes are read with their item's next change")
					return
				}
				yield(kontor.Product{}, err)
				return
			}
			var v bcVariant
			if err := json.Unmarshal(raw, &v); err != nil || v.ItemID == "" || seen[v.ItemID] {
				continue // its item is read below or was read above; a broken variant shows in the item read
			}
			if t, ok := changed[v.ItemID]; !ok || v.LastModified.After(t) {
				if !ok {
					order = append(order, v.ItemID)
				}
				changed[v.ItemID] = v.LastModified
			}
		}
		if len(order) == 0 {
			return
		}
		id, err := c.CompanyID(ctx)
		if err != nil {
			yield(kontor.Product{}, err)
			return
		}
		ops := make([]batchOp, len(order))
		expand := (&query{}).set("$expand", c.itemExpand())
		for i, itemID := range order {
			ops[i] = getOp(companyPath(id, "items("+itemID+")"), expand)
		}
		rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
		if err != nil {
			yield(kontor.Product{}, err)
			return
		}
		var bad kontor.BatchError
		for i, r := range rs {
			if r.status == http.StatusNotFound {
				continue // deleted since
			}
			if r.err != nil {
				yield(kontor.Product{}, r.err)
				return
			}
			it, err := decodeItem(kontor.EntityProduct, r.body)
			if err != nil {
				bad.Failed = append(bad.Failed, &kontor.ItemError{Index: i, Key: it.Number, Err: err})
				continue
			}
			p := c.productOf(it)
			if t := changed[order[i]]; t.After(p.UpdatedAt) {
				p.UpdatedAt = t
			}
			if err := ctx.Err(); err != nil {
				yield(kontor.Product{}, err)
				return
			}
			if !yield(p, nil) {
				return
			}
		}
		if len(bad.Failed) > 0 {
			bad.Total = len(rs)
			yield(kontor.Product{}, &bad)
		}
	}
}

// ReadPrices streams the unit prices of the items changed at or after
// since.Since in the company's currency, gross where the item's
// priceIncludesTax says so: one price per variant SKU for an item with
// variants (what a shop sells; a WooCommerce variable product has no
// price of its own), each at the item's unitPrice, and one for the item
// number for an item without. The standard API has no sales price lists:
// customer group prices, quantity tiers and variant prices of their own
// need a custom API page.
func (c *Connector) ReadPrices(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Price, error] {
	return func(yield func(kontor.Price, error) bool) {
		u, err := c.companyURL(ctx, "items")
		if err != nil {
			yield(kontor.Price{}, err)
			return
		}
		cur, err := c.companyCurrency(ctx)
		if err != nil {
			yield(kontor.Price{}, err)
			return
		}
		q := filtered(changedSince("lastModifiedDateTime", since.Since)).
			set("$select", "id,number,unitPrice,priceIncludesTax,lastModifiedDateTime").
			set("$expand", "itemVariants($select=code)")
		decode := func(raw json.RawMessage) ([]decoded[kontor.Price], error) {
			it, err := decodeItem(kontor.EntityPrice, raw)
			if err != nil {
				return nil, err
			}
			p := kontor.Price{
				Meta:        kontor.Meta{ERPKey: it.ID, UpdatedAt: it.LastModified},
				SKU:         it.Number,
				List:        kontor.Money{Amount: it.UnitPrice.Decimal, Currency: cur},
				IncludesTax: it.PriceIncludesTax,
			}
			if len(it.ItemVariants) == 0 {
				return []decoded[kontor.Price]{{v: p, key: it.Number, updated: it.LastModified}}, nil
			}
			// API v2.0 has no variant prices: each variant, the SKU a shop
			// sells, has the item's price.
			out := make([]decoded[kontor.Price], 0, len(it.ItemVariants))
			for _, v := range it.ItemVariants {
				vp := p
				vp.SKU = c.variantSKU(it.Number, v.Code)
				out = append(out, decoded[kontor.Price]{v: vp, key: vp.SKU, updated: it.LastModified})
			}
			return out, nil
		}
		for p, err := range readEntities(ctx, c.collection(ctx, u, q), since.Since, decode) {
			if !yield(p, err) || err != nil {
				return
			}
		}
	}
}

// UnitOfMeasure is a unit of measure of the company.
type UnitOfMeasure struct {
	ID                        string `json:"id"`                        // its GUID
	Code                      string `json:"code"`                      // the code items name, e.g. "PCS"
	DisplayName               string `json:"displayName"`               // e.g. "Piece"
	InternationalStandardCode string `json:"internationalStandardCode"` // UN/ECE Rec 20, e.g. "H87"
	Symbol                    string `json:"symbol"`                    // e.g. "pcs"
}

// UnitsOfMeasure lists the company's units of measure, so a mapping can
// turn an item's base unit code into a standard one.
func (c *Connector) UnitsOfMeasure(ctx context.Context) ([]UnitOfMeasure, error) {
	u, err := c.companyURL(ctx, "unitsOfMeasure")
	if err != nil {
		return nil, err
	}
	var out []UnitOfMeasure
	for raw, err := range c.collection(ctx, u, nil) {
		if err != nil {
			return nil, err
		}
		var uom UnitOfMeasure
		if err := json.Unmarshal(raw, &uom); err != nil {
			return nil, kontor.NewError(kontor.KindUnknown, System+" GET unitsOfMeasure", errors.New(jsonProblem(err)))
		}
		out = append(out, uom)
	}
	return out, nil
}

// maxPicture bounds a picture download.
const maxPicture = 32 << 20

// Picture downloads the picture of the item with id itemID (its GUID): the
// content and its media type. An item without a picture is a
// kontor.ErrNotFound.
func (c *Connector) Picture(ctx context.Context, itemID string) ([]byte, string, error) {
	u, err := c.companyURL(ctx, "items("+itemID+")/picture("+itemID+")/pictureContent")
	if err != nil {
		return nil, "", err
	}
	op := opName(http.MethodGet, u)
	resp, err := c.send(transport.WithIdempotent(ctx), op, request{method: http.MethodGet, url: u}, nil)
	if err != nil {
		return nil, "", err
	}
	if err := transport.CheckResponse(System, op, resp); err != nil {
		return nil, "", err
	}
	defer drain(resp.Body)
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxPicture+1))
	if err != nil {
		return nil, "", kontor.NewError(kontor.KindRetryable, System+" "+op, err)
	}
	if len(b) > maxPicture {
		return nil, "", kontor.NewError(kontor.KindPermanent, System+" "+op, fmt.Errorf("picture larger than %d bytes", maxPicture))
	}
	if len(b) == 0 {
		return nil, "", kontor.NewError(kontor.KindNotFound, System+" "+op, errors.New("the item has no picture"))
	}
	ct := resp.Header.Get("Content-Type")
	if ct == "" || strings.HasPrefix(ct, "application/octet-stream") {
		ct = http.DetectContentType(b)
	}
	return b, ct, nil
}
