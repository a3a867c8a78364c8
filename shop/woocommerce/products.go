package woocommerce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
)

// Meta data keys the connector keeps on products and variations besides
// the ERP key (WithMetaKey).
const (
	// MetaHash holds a fingerprint of what the connector last wrote, so an
	// unchanged item is not written again.
	MetaHash = "_kontor_hash"
	// MetaImages holds a fingerprint of the image URLs last written:
	// WooCommerce downloads an image again for every write that names it,
	// so images are only sent when they changed.
	MetaImages = "_kontor_images"
	// MetaStatus holds "discontinued" on a product the connector hid for
	// that reason.
	MetaStatus = "_kontor_status"
	// MetaMPN, MetaBrand and MetaUnit hold fields WooCommerce core has no
	// place for.
	MetaMPN   = "_kontor_mpn"
	MetaBrand = "_kontor_brand"
	MetaUnit  = "_kontor_unit"
	// MetaPriceTiers holds quantity breaks (kontor.Price.Tiers) as JSON:
	// WooCommerce core has no tier prices; a tier-pricing plugin or hook
	// can read them from there.
	MetaPriceTiers = "_kontor_price_tiers"
)

// WooCommerce product statuses.
const (
	wooPublish = "publish"
	wooDraft   = "draft"
	wooPrivate = "private"
)

// productStatusOut is the discontinued policy: an active product is
// published, a draft is a draft, and a discontinued one becomes private
// (hidden from the shop, kept with its orders and history; the connector
// never deletes) and is marked so it reads back as discontinued.
func productStatusOut(s kontor.ProductStatus) string {
	switch s {
	case kontor.ProductDraft:
		return wooDraft
	case kontor.ProductDiscontinued:
		return wooPrivate
	}
	return wooPublish
}

func productStatusIn(status string, md []MetaData) kontor.ProductStatus {
	switch {
	case status == wooPublish:
		return kontor.ProductActive
	case metaString(md, MetaStatus) == string(kontor.ProductDiscontinued):
		return kontor.ProductDiscontinued
	}
	return kontor.ProductDraft
}

// variationStatusOut: a variation is either published or private
// (disabled).
func variationStatusOut(s kontor.ProductStatus, parent kontor.ProductStatus) string {
	if s == "" {
		s = parent
	}
	if s == kontor.ProductDraft || s == kontor.ProductDiscontinued {
		return wooPrivate
	}
	return wooPublish
}

func taxClassOut(s string) string {
	if s == "standard" {
		return "" // WooCommerce's standard rate is the empty class
	}
	return s
}

func taxClassIn(s *string) string {
	if s == nil {
		return ""
	}
	if *s == "" {
		return "standard"
	}
	return *s
}

// fingerprint hashes a JSON-encodable value.
func fingerprint(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// productPlan is how one product of a batch is written.
type productPlan struct {
	index    int
	product  *kontor.Product
	existing *Product // found by SKU, nil when new
	id       int64    // the product's id once known
	write    bool     // the parent needs a write
	create   bool
	body     map[string]any
	vars     []variationPlan
	disable  []int64 // variations of the product no longer listed
	err      error
	wrote    bool
	modified time.Time
}

type variationPlan struct {
	index    int
	variant  *kontor.Variant
	existing *Product
	body     map[string]any
	write    bool
}

// WriteProducts creates or updates products, simple or variable with
// their variations, through /products/batch and
// /products/<id>/variations/batch. A product is found by its SKU (and
// checked against the ERP key in its meta data), else created; a
// variation likewise by its SKU. An item whose content equals what the
// connector last wrote (MetaHash) is Unchanged and costs no write.
// Categories and tags are created when missing. Variations the product no
// longer lists are made private, not deleted.
func (c *Client) WriteProducts(ctx context.Context, products []kontor.Product) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(products))
	plans := make([]*productPlan, 0, len(products))
	var skus []string
	for i := range products {
		p := &products[i]
		results[i].Key = p.Key()
		if err := p.Validate(); err != nil {
			results[i] = failed(p.Key(), err)
			continue
		}
		plans = append(plans, &productPlan{index: i, product: p})
		skus = append(skus, p.SKU)
		for _, v := range p.Variants {
			skus = append(skus, v.SKU)
		}
	}
	if len(plans) == 0 {
		return results, nil
	}
	existing, err := c.lookupSKUs(ctx, skus)
	if err != nil {
		return nil, err
	}
	for _, pl := range plans {
		c.planProduct(ctx, pl, existing)
		if k := kontor.KindOf(pl.err); pl.err != nil && (k == kontor.KindUnknown || k.Retryable()) {
			return nil, pl.err // the shop failed a term lookup: the whole batch, to retry
		}
	}

	// Parents first: a new variable product needs its id before its
	// variations can be created.
	var ops []batchOp
	var opPlans []*productPlan
	for _, pl := range plans {
		if pl.err == nil && pl.write {
			ops = append(ops, batchOp{create: pl.create, body: pl.body})
			opPlans = append(opPlans, pl)
		}
	}
	rs, err := c.batch(ctx, "/products/batch", ops)
	if err != nil {
		return nil, err
	}
	for k, r := range rs {
		pl := opPlans[k]
		if r.err != nil {
			pl.err = r.err
			continue
		}
		pl.id, pl.wrote, pl.modified = r.id, true, r.modified.Time
	}

	for _, pl := range plans {
		if pl.err != nil || len(pl.vars)+len(pl.disable) == 0 {
			continue
		}
		if err := c.writeVariations(ctx, pl); err != nil {
			return nil, err
		}
	}

	for _, pl := range plans {
		i := pl.index
		if pl.err != nil {
			results[i] = failed(pl.product.Key(), pl.err)
			continue
		}
		out := kontor.Unchanged
		switch {
		case pl.create:
			out = kontor.Created
		case pl.wrote:
			out = kontor.Updated
		}
		mod := pl.modified
		if mod.IsZero() && pl.existing != nil {
			mod = pl.existing.DateModifiedGMT.Time
		}
		results[i] = kontor.Result{Key: pl.product.Key(), Outcome: out,
			Target: kontor.Meta{ShopKey: idString(pl.id), ERPKey: pl.product.ERPKey, UpdatedAt: mod}}
	}
	return results, nil
}

// planProduct decides whether and how a product and its variations are
// written; an item-level problem is left in pl.err.
func (c *Client) planProduct(ctx context.Context, pl *productPlan, existing map[string]*Product) {
	p := pl.product
	ex := existing[p.SKU]
	op := "write product"
	switch {
	case ex != nil && ex.Type == "variation":
		pl.err = conflict(op, "SKU %q belongs to a variation of product %d", p.SKU, ex.ParentID)
		return
	case ex != nil && p.ShopKey != "" && p.ShopKey != idString(ex.ID):
		pl.err = conflict(op, "SKU %q is product %d in the shop, but the item is linked to %s", p.SKU, ex.ID, p.ShopKey)
		return
	case ex != nil && p.ERPKey != "" && metaString(ex.MetaData, c.cfg.metaKey) != "" && metaString(ex.MetaData, c.cfg.metaKey) != p.ERPKey:
		pl.err = conflict(op, "SKU %q is product %d, which carries another ERP key", p.SKU, ex.ID)
		return
	}
	pl.existing = ex
	body, images, err := c.productBody(p)
	if err != nil {
		pl.err = kontor.NewError(kontor.KindValidation, System+" "+op, err)
		return
	}
	hash := fingerprint(body)
	imgHash := fingerprint(images)
	switch {
	case ex != nil:
		pl.id = ex.ID
	case p.ShopKey != "":
		// Not found by its SKU but linked: the SKU changed in the ERP.
		id, err := strconv.ParseInt(p.ShopKey, 10, 64)
		if err != nil {
			pl.err = permanent(op, "shop key %q is not a product id", p.ShopKey)
			return
		}
		pl.id = id
	default:
		pl.create = true
	}
	if ex == nil || metaString(ex.MetaData, MetaHash) != hash {
		pl.write = true
	}
	if pl.write {
		if err := c.resolveTerms(ctx, body); err != nil {
			pl.err = err
			return
		}
		md := body["meta_data"].([]MetaData)
		md = append(md, meta(MetaHash, hash))
		if ex != nil && metaString(ex.MetaData, MetaImages) == imgHash {
			delete(body, "images")
		} else {
			md = append(md, meta(MetaImages, imgHash))
		}
		body["meta_data"] = md
		if !pl.create {
			body["id"] = pl.id
		}
		pl.body = body
	}

	// Variations: found by SKU, and checked to belong to this product.
	known := make(map[int64]bool)
	for k := range p.Variants {
		v := &p.Variants[k]
		vex := existing[v.SKU]
		if vex != nil && (vex.Type != "variation" || (pl.id != 0 && vex.ParentID != pl.id)) {
			what := fmt.Sprintf("product %d", vex.ID)
			if vex.Type == "variation" {
				what = fmt.Sprintf("a variation of product %d", vex.ParentID)
			}
			pl.err = conflict(op, "variants[%d]: SKU %q is %s", k, v.SKU, what)
			return
		}
		vb, vimg := c.variationBody(p, v)
		vhash := fingerprint(vb)
		vimgHash := fingerprint(vimg)
		vp := variationPlan{index: k, variant: v, existing: vex}
		if vex == nil || metaString(vex.MetaData, MetaHash) != vhash {
			vp.write = true
			md := append(vb["meta_data"].([]MetaData), meta(MetaHash, vhash))
			if vex != nil && metaString(vex.MetaData, MetaImages) == vimgHash {
				delete(vb, "image")
			} else if vimg != nil {
				md = append(md, meta(MetaImages, vimgHash))
			}
			vb["meta_data"] = md
			if vex != nil {
				vb["id"] = vex.ID
				known[vex.ID] = true
			}
			vp.body = vb
		} else {
			known[vex.ID] = true
		}
		pl.vars = append(pl.vars, vp)
	}
	if !pl.write || ex == nil {
		return
	}
	for _, id := range ex.Variations {
		if !known[id] {
			pl.disable = append(pl.disable, id)
		}
	}
}

// writeVariations writes a product's changed variations in batches of
// /products/<id>/variations/batch; a failed variation fails its product.
func (c *Client) writeVariations(ctx context.Context, pl *productPlan) error {
	var ops []batchOp
	var which []int // variant index, -1 for a disabled one
	for _, vp := range pl.vars {
		if !vp.write {
			continue
		}
		_, update := vp.body["id"]
		ops = append(ops, batchOp{create: !update, body: vp.body})
		which = append(which, vp.index)
	}
	for _, id := range pl.disable {
		ops = append(ops, batchOp{body: map[string]any{"id": id, "status": wooPrivate}})
		which = append(which, -1)
	}
	if len(ops) == 0 {
		return nil
	}
	rs, err := c.batch(ctx, "/products/"+idString(pl.id)+"/variations/batch", ops)
	if err != nil {
		return err
	}
	var errs []error
	for k, r := range rs {
		if r.err == nil {
			pl.wrote = true
			if r.modified.After(pl.modified) {
				pl.modified = r.modified.Time
			}
			continue
		}
		if which[k] < 0 {
			errs = append(errs, fmt.Errorf("disabling variation %d: %w", r.id, r.err))
			continue
		}
		v := pl.product.Variants[which[k]]
		errs = append(errs, fmt.Errorf("variants[%d] (%s): %w", which[k], v.SKU, r.err))
	}
	if len(errs) > 0 {
		pl.err = errors.Join(errs...)
	}
	return nil
}

// productBody builds the product's JSON as WooCommerce takes it, with
// categories and tags still as names (resolveTerms turns them into ids),
// and the images apart.
func (c *Client) productBody(p *kontor.Product) (map[string]any, []map[string]any, error) {
	b := map[string]any{
		"name":              p.Title,
		"type":              "simple",
		"status":            productStatusOut(p.Status),
		"description":       p.Description,
		"short_description": p.ShortDescription,
		"sku":               p.SKU,
		"global_unique_id":  p.GTIN,
		"tax_class":         taxClassOut(p.TaxClass),
		"categories":        p.Categories,
		"tags":              p.Tags,
	}
	if len(p.Variants) > 0 {
		b["type"] = "variable"
	}
	w, err := c.weightOut(p.Weight)
	if err != nil {
		return nil, nil, fmt.Errorf("weight: %w", err)
	}
	b["weight"] = w
	dims, err := c.dimensionsOut(p.Dimensions)
	if err != nil {
		return nil, nil, fmt.Errorf("dimensions: %w", err)
	}
	if dims == nil {
		dims = &Dimensions{}
	}
	b["dimensions"] = dims

	attrs := []map[string]any{}
	pos := 0
	var names []string
	values := map[string][]string{}
	for _, a := range p.Attributes {
		if !slices.Contains(names, a.Name) {
			names = append(names, a.Name)
		}
		if !slices.Contains(values[a.Name], a.Value) {
			values[a.Name] = append(values[a.Name], a.Value)
		}
	}
	for _, n := range names {
		attrs = append(attrs, map[string]any{"name": n, "position": pos, "visible": true, "variation": false, "options": values[n]})
		pos++
	}
	for _, opt := range p.Options {
		var opts []string
		for _, v := range p.Variants {
			for _, ov := range v.Options {
				if ov.Name == opt && !slices.Contains(opts, ov.Value) {
					opts = append(opts, ov.Value)
				}
			}
		}
		attrs = append(attrs, map[string]any{"name": opt, "position": pos, "visible": true, "variation": true, "options": opts})
		pos++
	}
	b["attributes"] = attrs

	images := make([]map[string]any, 0, len(p.Images))
	for i, img := range p.Images {
		position := img.Position - 1
		if img.Position == 0 {
			position = i
		}
		images = append(images, map[string]any{"src": img.URL, "alt": img.Alt, "position": position})
	}
	slices.SortStableFunc(images, func(x, y map[string]any) int { return x["position"].(int) - y["position"].(int) })
	b["images"] = images

	md := []MetaData{
		meta(c.cfg.metaKey, p.ERPKey),
		meta(MetaStatus, string(p.Status)),
		meta(MetaMPN, p.MPN),
		meta(MetaBrand, p.Brand),
		meta(MetaUnit, p.Unit),
	}
	for _, k := range sortedKeys(p.Extra) {
		md = append(md, meta(k, p.Extra[k]))
	}
	var skus []string
	for _, v := range p.Variants {
		skus = append(skus, v.SKU)
	}
	b["meta_data"] = md
	// The variant SKUs are part of the parent's fingerprint, so a removed
	// variant makes the parent written (and the variation disabled).
	b["_variants"] = skus
	return b, images, nil
}

// variationBody builds a variation's JSON and its image apart.
func (c *Client) variationBody(p *kontor.Product, v *kontor.Variant) (map[string]any, map[string]any) {
	b := map[string]any{
		"sku":              v.SKU,
		"status":           variationStatusOut(v.Status, p.Status),
		"global_unique_id": v.GTIN,
	}
	attrs := make([]map[string]any, 0, len(v.Options))
	for _, o := range v.Options {
		attrs = append(attrs, map[string]any{"name": o.Name, "option": o.Value})
	}
	b["attributes"] = attrs
	if v.Weight != nil {
		w, err := c.weightOut(v.Weight)
		if err == nil {
			b["weight"] = w
		}
	}
	var img map[string]any
	if v.ImageURL != "" {
		img = map[string]any{"src": v.ImageURL}
		b["image"] = img
	}
	b["meta_data"] = []MetaData{meta(c.cfg.metaKey, v.ERPKey)}
	return b, img
}

// resolveTerms replaces category paths and tag names in a product body
// with term ids, and drops the connector's own fingerprint-only fields.
func (c *Client) resolveTerms(ctx context.Context, b map[string]any) error {
	delete(b, "_variants")
	for _, tax := range []string{"categories", "tags"} {
		names, _ := b[tax].([]string)
		ids, err := c.termIDs(ctx, tax, names)
		if err != nil {
			return err
		}
		refs := make([]map[string]int64, len(ids))
		for i, id := range ids {
			refs[i] = map[string]int64{"id": id}
		}
		b[tax] = refs
	}
	return nil
}

// ReadProducts reads the products changed since the cursor, ordered by
// their modification and read with the keyset reader (see paging.go), with
// the variations of variable products (one more request per variable
// product).
func (c *Client) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		var ierr error
		stopped := false
		err := keysetRead(ctx, c, "/products", nil, since.Since, func(wp *Product) bool {
			p, err := c.productIn(ctx, wp)
			if err != nil {
				ierr = err
				return false
			}
			if !yield(p, nil) {
				stopped = true
				return false
			}
			return true
		})
		if stopped {
			return
		}
		if err == nil {
			err = ierr
		}
		if err != nil {
			yield(kontor.Product{}, err)
		}
	}
}

// productIn turns a WooCommerce product (and, for a variable one, its
// variations) into a kontor.Product.
func (c *Client) productIn(ctx context.Context, wp *Product) (kontor.Product, error) {
	p := kontor.Product{
		Meta: kontor.Meta{ShopKey: idString(wp.ID), ERPKey: metaString(wp.MetaData, c.cfg.metaKey),
			UpdatedAt: wp.DateModifiedGMT.Time},
		SKU:              wp.SKU,
		Title:            unescapeHTML(wp.Name),
		Description:      wp.Description,
		ShortDescription: wp.ShortDescription,
		GTIN:             wp.GlobalUniqueID,
		MPN:              metaString(wp.MetaData, MetaMPN),
		Brand:            metaString(wp.MetaData, MetaBrand),
		Unit:             metaString(wp.MetaData, MetaUnit),
		Weight:           c.weightIn(wp.Weight),
		Dimensions:       c.dimensionsIn(wp.Dimensions),
		TaxClass:         taxClassIn(wp.TaxClass),
		Status:           productStatusIn(wp.Status, wp.MetaData),
	}
	for i, img := range wp.Images {
		p.Images = append(p.Images, kontor.Image{URL: img.Src, Alt: img.Alt, Position: i + 1})
	}
	var err error
	if p.Categories, err = c.termPaths(ctx, "categories", wp.Categories); err != nil {
		return p, err
	}
	for _, t := range wp.Tags {
		p.Tags = append(p.Tags, unescapeHTML(t.Name))
	}
	for _, a := range wp.Attributes {
		if a.Variation != nil && *a.Variation {
			p.Options = append(p.Options, a.Name)
			continue
		}
		for _, o := range a.Options {
			p.Attributes = append(p.Attributes, kontor.Attribute{Name: a.Name, Value: o})
		}
	}
	if wp.Type != "variable" {
		return p, nil
	}
	vars, err := c.variations(ctx, wp.ID)
	if err != nil {
		return p, err
	}
	for _, v := range vars {
		kv := kontor.Variant{
			Meta: kontor.Meta{ShopKey: idString(v.ID), ERPKey: metaString(v.MetaData, c.cfg.metaKey),
				UpdatedAt: v.DateModifiedGMT.Time},
			SKU:    v.SKU,
			GTIN:   v.GlobalUniqueID,
			Weight: c.weightIn(v.Weight),
		}
		if v.Status == wooPrivate && p.Status == kontor.ProductActive {
			kv.Status = kontor.ProductDraft
		}
		var title []string
		for _, a := range v.Attributes {
			kv.Options = append(kv.Options, kontor.OptionValue{Name: a.Name, Value: a.Option})
			title = append(title, a.Option)
		}
		kv.Title = strings.Join(title, " / ")
		if v.Image != nil {
			kv.ImageURL = v.Image.Src
		}
		p.Variants = append(p.Variants, kv)
	}
	return p, nil
}

// variations reads all variations of a product, by page.
func (c *Client) variations(ctx context.Context, id int64) ([]*Product, error) {
	var out []*Product
	err := pagedRead(ctx, c, "/products/"+idString(id)+"/variations", url.Values{"orderby": {"id"}, "order": {"asc"}},
		func(v *Product) bool { out = append(out, v); return true })
	return out, err
}

// sellables returns a product's units that hold stock and prices: the
// product itself when it is not variable, else its variations (fetched
// with one more request), after the product when it manages the stock of
// all of them.
func (c *Client) sellables(ctx context.Context, wp *Product) ([]*Product, error) {
	if wp.Type != "variable" {
		return []*Product{wp}, nil
	}
	vars, err := c.variations(ctx, wp.ID)
	if err != nil {
		return nil, err
	}
	if wp.ManageStock != nil && wp.ManageStock.On {
		vars = append([]*Product{wp}, vars...)
	}
	return vars, nil
}

// readSellables yields every simple product and variation of the products
// changed since since; errors end the sequence.
func (c *Client) readSellables(ctx context.Context, since time.Time, yield func(*Product) bool) error {
	var ierr error
	err := keysetRead(ctx, c, "/products", nil, since, func(wp *Product) bool {
		units, err := c.sellables(ctx, wp)
		if err != nil {
			ierr = err
			return false
		}
		for _, u := range units {
			if err := ctx.Err(); err != nil {
				ierr = err
				return false
			}
			if u.DateModifiedGMT.IsZero() {
				u.DateModifiedGMT = wp.DateModifiedGMT
			}
			if !yield(u) {
				return false
			}
		}
		return true
	})
	if err == nil {
		err = ierr
	}
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
