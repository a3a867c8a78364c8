package woocommercetest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Product is a product as GET /products/<id> returns it (fields in
// WooCommerce's order). Seeding methods read the writable fields; the
// shop fills id, dates, price, on_sale, variations and the other derived
// fields.
type Product struct {
	ID                int64                `json:"id"`
	Name              string               `json:"name"`
	Slug              string               `json:"slug"`
	Permalink         string               `json:"permalink"`
	DateCreated       string               `json:"date_created"`
	DateCreatedGMT    string               `json:"date_created_gmt"`
	DateModified      string               `json:"date_modified"`
	DateModifiedGMT   string               `json:"date_modified_gmt"`
	Type              string               `json:"type"`   // simple (default), grouped, external, variable; "variation" when a variation is read as a product
	Status            string               `json:"status"` // publish (default), draft, pending, private, future; trash when deleted without force
	Featured          bool                 `json:"featured"`
	CatalogVisibility string               `json:"catalog_visibility"`
	Description       string               `json:"description"`
	ShortDescription  string               `json:"short_description"`
	SKU               string               `json:"sku"`
	Price             string               `json:"price"`
	RegularPrice      string               `json:"regular_price"`
	SalePrice         string               `json:"sale_price"`
	DateOnSaleFrom    *string              `json:"date_on_sale_from"`
	DateOnSaleFromGMT *string              `json:"date_on_sale_from_gmt"`
	DateOnSaleTo      *string              `json:"date_on_sale_to"`
	DateOnSaleToGMT   *string              `json:"date_on_sale_to_gmt"`
	PriceHTML         string               `json:"price_html"`
	OnSale            bool                 `json:"on_sale"`
	Purchasable       bool                 `json:"purchasable"`
	TotalSales        int64                `json:"total_sales"`
	Virtual           bool                 `json:"virtual"`
	Downloadable      bool                 `json:"downloadable"`
	Downloads         []any                `json:"downloads"`
	DownloadLimit     int64                `json:"download_limit"`
	DownloadExpiry    int64                `json:"download_expiry"`
	ExternalURL       string               `json:"external_url"`
	ButtonText        string               `json:"button_text"`
	TaxStatus         string               `json:"tax_status"`
	TaxClass          string               `json:"tax_class"`
	ManageStock       bool                 `json:"manage_stock"`
	StockQuantity     *int64               `json:"stock_quantity"`
	StockStatus       string               `json:"stock_status"` // instock, outofstock, onbackorder; derived from the quantity when ManageStock
	Backorders        string               `json:"backorders"`   // no, notify, yes
	BackordersAllowed bool                 `json:"backorders_allowed"`
	Backordered       bool                 `json:"backordered"`
	SoldIndividually  bool                 `json:"sold_individually"`
	Weight            string               `json:"weight"`
	Dimensions        Dimensions           `json:"dimensions"`
	ShippingRequired  bool                 `json:"shipping_required"`
	ShippingTaxable   bool                 `json:"shipping_taxable"`
	ShippingClass     string               `json:"shipping_class"`
	ShippingClassID   int64                `json:"shipping_class_id"`
	ReviewsAllowed    bool                 `json:"reviews_allowed"`
	AverageRating     string               `json:"average_rating"`
	RatingCount       int64                `json:"rating_count"`
	RelatedIDs        []int64              `json:"related_ids"`
	UpsellIDs         []int64              `json:"upsell_ids"`
	CrossSellIDs      []int64              `json:"cross_sell_ids"`
	ParentID          int64                `json:"parent_id"`
	PurchaseNote      string               `json:"purchase_note"`
	Categories        []Term               `json:"categories"`
	Tags              []Term               `json:"tags"`
	Images            []Image              `json:"images"`
	Attributes        []Attribute          `json:"attributes"`
	DefaultAttributes []VariationAttribute `json:"default_attributes"`
	Variations        []int64              `json:"variations"`
	GroupedProducts   []int64              `json:"grouped_products"`
	MenuOrder         int64                `json:"menu_order"`
	MetaData          []MetaData           `json:"meta_data"`
}

// Variation is a variation as GET /products/<id>/variations/<id> returns
// it.
type Variation struct {
	ID                int64                `json:"id"`
	Type              string               `json:"type"` // always "variation"
	DateCreated       string               `json:"date_created"`
	DateCreatedGMT    string               `json:"date_created_gmt"`
	DateModified      string               `json:"date_modified"`
	DateModifiedGMT   string               `json:"date_modified_gmt"`
	Description       string               `json:"description"`
	Permalink         string               `json:"permalink"`
	SKU               string               `json:"sku"`
	Price             string               `json:"price"`
	RegularPrice      string               `json:"regular_price"`
	SalePrice         string               `json:"sale_price"`
	DateOnSaleFrom    *string              `json:"date_on_sale_from"`
	DateOnSaleFromGMT *string              `json:"date_on_sale_from_gmt"`
	DateOnSaleTo      *string              `json:"date_on_sale_to"`
	DateOnSaleToGMT   *string              `json:"date_on_sale_to_gmt"`
	OnSale            bool                 `json:"on_sale"`
	Status            string               `json:"status"`
	Purchasable       bool                 `json:"purchasable"`
	Virtual           bool                 `json:"virtual"`
	Downloadable      bool                 `json:"downloadable"`
	Downloads         []any                `json:"downloads"`
	DownloadLimit     int64                `json:"download_limit"`
	DownloadExpiry    int64                `json:"download_expiry"`
	TaxStatus         string               `json:"tax_status"`
	TaxClass          string               `json:"tax_class"`
	ManageStock       bool                 `json:"manage_stock"`
	StockQuantity     *int64               `json:"stock_quantity"`
	StockStatus       string               `json:"stock_status"`
	Backorders        string               `json:"backorders"`
	BackordersAllowed bool                 `json:"backorders_allowed"`
	Backordered       bool                 `json:"backordered"`
	Weight            string               `json:"weight"`
	Dimensions        Dimensions           `json:"dimensions"`
	ShippingClass     string               `json:"shipping_class"`
	ShippingClassID   int64                `json:"shipping_class_id"`
	Image             *Image               `json:"image"`
	Attributes        []VariationAttribute `json:"attributes"`
	MenuOrder         int64                `json:"menu_order"`
	MetaData          []MetaData           `json:"meta_data"`
	Name              string               `json:"name"`
	ParentID          int64                `json:"parent_id"`
}

// Dimensions are a product's length, width and height, as strings.
type Dimensions struct {
	Length string `json:"length"`
	Width  string `json:"width"`
	Height string `json:"height"`
}

// Term is a category or tag as a product lists it.
type Term struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
}

// Image is a product image. Writing one with only Src "uploads" it: the
// shop gives it an id.
type Image struct {
	ID              int64  `json:"id"`
	DateCreated     string `json:"date_created"`
	DateCreatedGMT  string `json:"date_created_gmt"`
	DateModified    string `json:"date_modified"`
	DateModifiedGMT string `json:"date_modified_gmt"`
	Src             string `json:"src"`
	Name            string `json:"name"`
	Alt             string `json:"alt"`
}

// Attribute is a product attribute; Variation marks those variations are
// made of.
type Attribute struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	Position  int64    `json:"position"`
	Visible   bool     `json:"visible"`
	Variation bool     `json:"variation"`
	Options   []string `json:"options"`
}

// VariationAttribute is the option a variation (or a default) has for one
// attribute.
type VariationAttribute struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Option string `json:"option"`
}

var (
	productTypes      = []string{"simple", "grouped", "external", "variable"}
	postStatuses      = []string{"draft", "pending", "private", "publish", "future"}
	stockStatuses     = []string{"instock", "outofstock", "onbackorder"}
	backorderValues   = []string{"no", "notify", "yes"}
	taxStatuses       = []string{"taxable", "shipping", "none"}
	catalogVisibility = []string{"visible", "catalog", "search", "hidden"}
)

// commonSchema are the fields products and variations share.
var commonSchema = []field{
	{name: "description", typ: tString},
	{name: "sku", typ: tString},
	{name: "regular_price", typ: tDecimal},
	{name: "sale_price", typ: tDecimal},
	{name: "date_on_sale_from", typ: tDate},
	{name: "date_on_sale_from_gmt", typ: tDate},
	{name: "date_on_sale_to", typ: tDate},
	{name: "date_on_sale_to_gmt", typ: tDate},
	{name: "status", typ: tEnum, enum: postStatuses},
	{name: "virtual", typ: tBool},
	{name: "downloadable", typ: tBool},
	{name: "tax_status", typ: tEnum, enum: taxStatuses},
	{name: "tax_class", typ: tString},
	{name: "manage_stock", typ: tBool},
	{name: "stock_quantity", typ: tInt},
	{name: "stock_status", typ: tEnum, enum: stockStatuses},
	{name: "backorders", typ: tEnum, enum: backorderValues},
	{name: "weight", typ: tString},
	{name: "dimensions", typ: tObject},
	{name: "shipping_class", typ: tString},
	{name: "menu_order", typ: tInt},
	{name: "meta_data", typ: tArray},
}

var productSchema = append(slices.Clone(commonSchema),
	field{name: "name", typ: tString},
	field{name: "slug", typ: tString},
	field{name: "type", typ: tEnum, enum: productTypes},
	field{name: "featured", typ: tBool},
	field{name: "catalog_visibility", typ: tEnum, enum: catalogVisibility},
	field{name: "short_description", typ: tString},
	field{name: "external_url", typ: tString},
	field{name: "button_text", typ: tString},
	field{name: "sold_individually", typ: tBool},
	field{name: "reviews_allowed", typ: tBool},
	field{name: "parent_id", typ: tInt},
	field{name: "purchase_note", typ: tString},
	field{name: "categories", typ: tArray},
	field{name: "tags", typ: tArray},
	field{name: "images", typ: tArray},
	field{name: "attributes", typ: tArray},
	field{name: "default_attributes", typ: tArray},
	field{name: "upsell_ids", typ: tArray},
	field{name: "cross_sell_ids", typ: tArray},
)

var variationSchema = append(slices.Clone(commonSchema),
	field{name: "image", typ: tObject},
	field{name: "attributes", typ: tArray},
)

// stockFields is what products and variations keep of price and stock.
type stockFields struct {
	sku, regular, sale string
	saleFrom, saleTo   *time.Time
	manage             bool
	qty                *int64
	status, backorders string
}

type productRec struct {
	p                 Product // writable fields; derived ones are filled on render
	st                stockFields
	created, modified time.Time
}

type variationRec struct {
	v                 Variation
	st                stockFields
	created, modified time.Time
}

// ---- derived values ----

// activePrice is the sale price while the sale runs, else the regular one.
func (st *stockFields) activePrice(now time.Time) (string, bool) {
	onSale := st.sale != "" && (st.saleFrom == nil || !now.Before(*st.saleFrom)) && (st.saleTo == nil || !now.After(*st.saleTo))
	if onSale && st.regular != "" && dec(st.sale).GreaterThanOrEqual(dec(st.regular)) {
		onSale = false
	}
	if onSale {
		return st.sale, true
	}
	return st.regular, false
}

// deriveStatus sets the stock status from the quantity when stock is
// managed, as WC_Product::validate_props does.
func (st *stockFields) deriveStatus() {
	if !st.manage {
		return
	}
	if st.qty == nil {
		zero := int64(0)
		st.qty = &zero
	}
	switch {
	case *st.qty > 0:
		st.status = "instock"
	case st.backorders == "no":
		st.status = "outofstock"
	default:
		st.status = "onbackorder"
	}
}

func defaultStock() stockFields {
	return stockFields{status: "instock", backorders: "no"}
}

var slugInvalid = regexp.MustCompile(`[^a-z0-9]+`)

func slugify(s string) string {
	return strings.Trim(slugInvalid.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// renderProduct fills the derived fields of a product.
func (s *Server) renderProduct(r *productRec, now time.Time) Product {
	p := r.p
	loc := s.cfg.loc
	p.DateCreated, p.DateCreatedGMT = localString(r.created, loc), gmtString(r.created)
	p.DateModified, p.DateModifiedGMT = localString(r.modified, loc), gmtString(r.modified)
	p.SKU, p.RegularPrice, p.SalePrice = r.st.sku, r.st.regular, r.st.sale
	p.DateOnSaleFrom, p.DateOnSaleFromGMT = optTime(r.st.saleFrom, loc)
	p.DateOnSaleTo, p.DateOnSaleToGMT = optTime(r.st.saleTo, loc)
	p.ManageStock, p.StockQuantity, p.StockStatus, p.Backorders = r.st.manage, r.st.qty, r.st.status, r.st.backorders
	p.Price, p.OnSale = r.st.activePrice(now)
	p.Permalink = s.ts.URL + "/product/" + p.Slug + "/"
	p.Variations = []int64{}
	if p.Type == "variable" {
		var min *decimal.Decimal
		statuses := map[string]bool{}
		for _, v := range s.childVariations(p.ID) {
			p.Variations = append(p.Variations, v.v.ID)
			statuses[v.st.status] = true
			if price, _ := v.st.activePrice(now); price != "" && v.v.Status == "publish" {
				d := dec(price)
				if min == nil || d.LessThan(*min) {
					min = &d
				}
			}
		}
		p.Price = ""
		if min != nil {
			p.Price = min.String()
		}
		if !r.st.manage && len(p.Variations) > 0 {
			switch {
			case statuses["instock"]:
				p.StockStatus = "instock"
			case statuses["onbackorder"]:
				p.StockStatus = "onbackorder"
			default:
				p.StockStatus = "outofstock"
			}
		}
	}
	p.PriceHTML = priceHTML(p.Price)
	p.Purchasable = p.Price != "" && (p.Status == "publish" || p.Status == "private")
	p.BackordersAllowed = p.Backorders != "no"
	p.Backordered = p.ManageStock && p.StockQuantity != nil && *p.StockQuantity < 0 && p.BackordersAllowed
	p.ShippingRequired = !p.Virtual
	p.ShippingTaxable = p.TaxStatus == "taxable" || p.TaxStatus == "shipping"
	p.Categories, p.Tags, p.Images = nonNil(p.Categories), nonNil(p.Tags), nonNil(p.Images)
	p.Attributes, p.DefaultAttributes = nonNil(p.Attributes), nonNil(p.DefaultAttributes)
	p.Downloads, p.RelatedIDs, p.UpsellIDs, p.CrossSellIDs = nonNil(p.Downloads), nonNil(p.RelatedIDs), nonNil(p.UpsellIDs), nonNil(p.CrossSellIDs)
	p.GroupedProducts, p.MetaData = nonNil(p.GroupedProducts), cloneMeta(p.MetaData)
	return p
}

func priceHTML(price string) string {
	if price == "" {
		return ""
	}
	return `<span class="woocommerce-Price-amount amount"><bdi><span class="woocommerce-Price-currencySymbol">&euro;</span>` + dec(price).StringFixed(2) + `</bdi></span>`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clone(s)
}

func cloneMeta(m []MetaData) []MetaData { return nonNil(m) }

func (s *Server) renderVariation(r *variationRec, now time.Time) Variation {
	v := r.v
	loc := s.cfg.loc
	v.Type = "variation"
	v.DateCreated, v.DateCreatedGMT = localString(r.created, loc), gmtString(r.created)
	v.DateModified, v.DateModifiedGMT = localString(r.modified, loc), gmtString(r.modified)
	v.SKU, v.RegularPrice, v.SalePrice = r.st.sku, r.st.regular, r.st.sale
	v.DateOnSaleFrom, v.DateOnSaleFromGMT = optTime(r.st.saleFrom, loc)
	v.DateOnSaleTo, v.DateOnSaleToGMT = optTime(r.st.saleTo, loc)
	v.ManageStock, v.StockQuantity, v.StockStatus, v.Backorders = r.st.manage, r.st.qty, r.st.status, r.st.backorders
	v.Price, v.OnSale = r.st.activePrice(now)
	v.Purchasable = v.Price != "" && v.Status == "publish"
	v.BackordersAllowed = v.Backorders != "no"
	v.Backordered = v.ManageStock && v.StockQuantity != nil && *v.StockQuantity < 0 && v.BackordersAllowed
	v.Downloads, v.Attributes, v.MetaData = nonNil(v.Downloads), nonNil(v.Attributes), cloneMeta(v.MetaData)
	parent := s.products[v.ParentID]
	var opts []string
	for _, a := range v.Attributes {
		opts = append(opts, a.Option)
	}
	if parent != nil {
		v.Name = parent.p.Name
		if len(opts) > 0 {
			v.Name += " - " + strings.Join(opts, ", ")
		}
		v.Permalink = s.ts.URL + "/product/" + parent.p.Slug + "/"
		if len(v.Attributes) > 0 {
			var q []string
			for _, a := range v.Attributes {
				q = append(q, "attribute_"+slugify(a.Name)+"="+a.Option)
			}
			v.Permalink += "?" + strings.Join(q, "&")
		}
	}
	return v
}

// variationAsProduct is a variation read through /products/<id>, as a
// product.updated webhook for a variation carries it.
func (s *Server) variationAsProduct(r *variationRec, now time.Time) Product {
	v := s.renderVariation(r, now)
	p := Product{
		ID: v.ID, Name: v.Name, Slug: slugify(v.Name), Permalink: v.Permalink,
		DateCreated: v.DateCreated, DateCreatedGMT: v.DateCreatedGMT, DateModified: v.DateModified, DateModifiedGMT: v.DateModifiedGMT,
		Type: "variation", Status: v.Status, CatalogVisibility: "visible", Description: v.Description,
		SKU: v.SKU, Price: v.Price, RegularPrice: v.RegularPrice, SalePrice: v.SalePrice,
		DateOnSaleFrom: v.DateOnSaleFrom, DateOnSaleFromGMT: v.DateOnSaleFromGMT, DateOnSaleTo: v.DateOnSaleTo, DateOnSaleToGMT: v.DateOnSaleToGMT,
		PriceHTML: priceHTML(v.Price), OnSale: v.OnSale, Purchasable: v.Purchasable, Virtual: v.Virtual, Downloadable: v.Downloadable,
		Downloads: v.Downloads, DownloadLimit: v.DownloadLimit, DownloadExpiry: v.DownloadExpiry,
		TaxStatus: v.TaxStatus, TaxClass: v.TaxClass, ManageStock: v.ManageStock, StockQuantity: v.StockQuantity,
		StockStatus: v.StockStatus, Backorders: v.Backorders, BackordersAllowed: v.BackordersAllowed, Backordered: v.Backordered,
		Weight: v.Weight, Dimensions: v.Dimensions, ShippingRequired: !v.Virtual, ShippingTaxable: v.TaxStatus != "none",
		ShippingClass: v.ShippingClass, ShippingClassID: v.ShippingClassID, ReviewsAllowed: true, AverageRating: "0.00",
		RelatedIDs: []int64{}, UpsellIDs: []int64{}, CrossSellIDs: []int64{}, ParentID: v.ParentID,
		Categories: []Term{}, Tags: []Term{}, Images: []Image{}, Attributes: []Attribute{}, DefaultAttributes: []VariationAttribute{},
		Variations: []int64{}, GroupedProducts: []int64{}, MenuOrder: v.MenuOrder, MetaData: v.MetaData,
	}
	if v.Image != nil {
		p.Images = []Image{*v.Image}
	}
	return p
}

func (s *Server) productJSON(r *productRec, now time.Time) json.RawMessage {
	return withLinks(s.renderProduct(r, now), links("self", s.APIURL()+"/products/"+itoa(r.p.ID), "collection", s.APIURL()+"/products"))
}

func (s *Server) variationJSON(r *variationRec, now time.Time) json.RawMessage {
	pid := itoa(r.v.ParentID)
	return withLinks(s.renderVariation(r, now), links(
		"self", s.APIURL()+"/products/"+pid+"/variations/"+itoa(r.v.ID),
		"collection", s.APIURL()+"/products/"+pid+"/variations",
		"up", s.APIURL()+"/products/"+pid))
}

// childVariations returns a product's variations by menu order, then id.
func (s *Server) childVariations(parent int64) []*variationRec {
	var out []*variationRec
	for _, v := range s.variations {
		if v.v.ParentID == parent {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *variationRec) int {
		return cmp.Or(cmp.Compare(a.v.MenuOrder, b.v.MenuOrder), cmp.Compare(a.v.ID, b.v.ID))
	})
	return out
}

// skuOwner returns the id of the product or variation with sku, 0 if
// none; trashed products give their SKU up, as in WooCommerce.
func (s *Server) skuOwner(sku string) int64 {
	if sku == "" {
		return 0
	}
	return s.skus[sku]
}

// indexSKU moves id's entry in the SKU index from old to new.
func (s *Server) indexSKU(old, new string, id int64) {
	if old != "" && s.skus[old] == id {
		delete(s.skus, old)
	}
	if new != "" {
		s.skus[new] = id
	}
}

// skuError is WC_Product::set_sku's exception for a SKU another product
// or variation already has.
func (s *Server) skuError(sku string, owner int64) *wpError {
	unique := sku
	for i := 1; s.skuOwner(unique) != 0; i++ {
		unique = fmt.Sprintf("%s-%d", sku, i)
	}
	return newError(http.StatusBadRequest, "product_invalid_sku", "Invalid or duplicated SKU.",
		kv{"resource_id", owner}, kv{"unique_sku", unique})
}

// applyStock applies the fields products and variations share; self is
// the id being written (0 when creating).
func (s *Server) applyStock(st *stockFields, in map[string]any, self int64) *wpError {
	if v, ok := in["sku"]; ok {
		sku := strings.TrimSpace(v.(string))
		if owner := s.skuOwner(sku); owner != 0 && owner != self {
			return s.skuError(sku, owner)
		}
		st.sku = sku
	}
	if v, ok := in["regular_price"]; ok {
		st.regular = v.(string)
	}
	if v, ok := in["sale_price"]; ok {
		st.sale = v.(string)
	}
	setDate := func(local, gmt string, dst **time.Time) {
		if v, ok := in[gmt]; ok {
			*dst = asTimeUTC(v)
		} else if v, ok := in[local]; ok {
			*dst = asTime(v)
		}
	}
	setDate("date_on_sale_from", "date_on_sale_from_gmt", &st.saleFrom)
	setDate("date_on_sale_to", "date_on_sale_to_gmt", &st.saleTo)
	if v, ok := in["manage_stock"]; ok {
		st.manage = v.(bool)
	}
	if v, ok := in["backorders"]; ok {
		st.backorders = v.(string)
	}
	if v, ok := in["stock_status"]; ok {
		st.status = v.(string)
	}
	if v, ok := in["stock_quantity"]; ok && st.manage {
		if v == nil {
			st.qty = nil
		} else {
			n := v.(int64)
			st.qty = &n
		}
	}
	if !st.manage {
		st.qty = nil
	}
	st.deriveStatus()
	return nil
}

func asTime(v any) *time.Time {
	if t, ok := v.(time.Time); ok {
		return &t
	}
	return nil
}

// asTimeUTC reads a _gmt date: one without zone is UTC.
func asTimeUTC(v any) *time.Time {
	t, ok := v.(time.Time)
	if !ok {
		return nil
	}
	if t.Location() != time.UTC && t.Location().String() != "" {
		u := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
		return &u
	}
	return &t
}

type termInput struct {
	ID   flexInt    `json:"id"`
	Name flexString `json:"name"`
}

type imageInput struct {
	ID   flexInt    `json:"id"`
	Src  flexString `json:"src"`
	Name flexString `json:"name"`
	Alt  flexString `json:"alt"`
}

type attributeInput struct {
	ID        flexInt      `json:"id"`
	Name      flexString   `json:"name"`
	Option    flexString   `json:"option"`
	Position  flexInt      `json:"position"`
	Visible   bool         `json:"visible"`
	Variation bool         `json:"variation"`
	Options   []flexString `json:"options"`
}

func (s *Server) image(in imageInput, now time.Time) Image {
	id := int64(in.ID)
	if id == 0 {
		id = s.nextPost
		s.nextPost++
	}
	name := string(in.Name)
	if name == "" && in.Src != "" {
		name = string(in.Src)[strings.LastIndex(string(in.Src), "/")+1:]
		name = strings.TrimSuffix(name, name[strings.LastIndex(name, "."):])
	}
	return Image{ID: id, DateCreated: localString(now, s.cfg.loc), DateCreatedGMT: gmtString(now),
		DateModified: localString(now, s.cfg.loc), DateModifiedGMT: gmtString(now),
		Src: string(in.Src), Name: name, Alt: string(in.Alt)}
}

// applyProduct writes checked input fields onto a product.
func (s *Server) applyProduct(r *productRec, in map[string]any, now time.Time) *wpError {
	if err := s.applyStock(&r.st, in, r.p.ID); err != nil {
		return err
	}
	p := &r.p
	str := func(k string, dst *string) {
		if v, ok := in[k]; ok {
			*dst = v.(string)
		}
	}
	boolean := func(k string, dst *bool) {
		if v, ok := in[k]; ok {
			*dst = v.(bool)
		}
	}
	str("name", &p.Name)
	str("type", &p.Type)
	str("status", &p.Status)
	str("catalog_visibility", &p.CatalogVisibility)
	str("description", &p.Description)
	str("short_description", &p.ShortDescription)
	str("tax_status", &p.TaxStatus)
	str("tax_class", &p.TaxClass)
	str("weight", &p.Weight)
	str("shipping_class", &p.ShippingClass)
	str("external_url", &p.ExternalURL)
	str("button_text", &p.ButtonText)
	str("purchase_note", &p.PurchaseNote)
	boolean("featured", &p.Featured)
	boolean("virtual", &p.Virtual)
	boolean("downloadable", &p.Downloadable)
	boolean("sold_individually", &p.SoldIndividually)
	boolean("reviews_allowed", &p.ReviewsAllowed)
	if v, ok := in["slug"]; ok && v.(string) != "" {
		p.Slug = slugify(v.(string))
	}
	if p.Slug == "" {
		p.Slug = slugify(p.Name)
	}
	if v, ok := in["menu_order"]; ok && v != nil {
		p.MenuOrder = v.(int64)
	}
	if v, ok := in["parent_id"]; ok && v != nil {
		p.ParentID = v.(int64)
	}
	if v, ok := in["dimensions"]; ok {
		applyDimensions(&p.Dimensions, v)
	}
	if v, ok := in["categories"]; ok {
		var terms []termInput
		remarshal(v, &terms)
		p.Categories = []Term{}
		for _, t := range terms {
			if c, ok := s.categories[int64(t.ID)]; ok {
				p.Categories = append(p.Categories, Term{ID: c.c.ID, Name: c.c.Name, Slug: c.c.Slug})
			}
		}
	}
	if v, ok := in["tags"]; ok {
		var terms []termInput
		remarshal(v, &terms)
		p.Tags = []Term{}
		for _, t := range terms {
			if tag, ok := s.tags[int64(t.ID)]; ok {
				p.Tags = append(p.Tags, Term{ID: tag.c.ID, Name: tag.c.Name, Slug: tag.c.Slug})
			}
		}
	}
	if v, ok := in["images"]; ok {
		var imgs []imageInput
		remarshal(v, &imgs)
		p.Images = []Image{}
		for _, im := range imgs {
			p.Images = append(p.Images, s.image(im, now))
		}
	}
	if v, ok := in["attributes"]; ok {
		var attrs []attributeInput
		remarshal(v, &attrs)
		p.Attributes = []Attribute{}
		for i, a := range attrs {
			opts := []string{}
			for _, o := range a.Options {
				opts = append(opts, string(o))
			}
			p.Attributes = append(p.Attributes, Attribute{ID: int64(a.ID), Name: string(a.Name), Slug: slugify(string(a.Name)),
				Position: cmp.Or(int64(a.Position), int64(i)), Visible: a.Visible, Variation: a.Variation, Options: opts})
		}
	}
	if v, ok := in["default_attributes"]; ok {
		var attrs []attributeInput
		remarshal(v, &attrs)
		p.DefaultAttributes = []VariationAttribute{}
		for _, a := range attrs {
			p.DefaultAttributes = append(p.DefaultAttributes, VariationAttribute{ID: int64(a.ID), Name: string(a.Name), Option: string(a.Option)})
		}
	}
	if v, ok := in["upsell_ids"]; ok {
		p.UpsellIDs = idList(v)
	}
	if v, ok := in["cross_sell_ids"]; ok {
		p.CrossSellIDs = idList(v)
	}
	if v, ok := in["meta_data"]; ok {
		p.MetaData = s.applyMeta(p.MetaData, v)
	}
	if p.Type == "variable" {
		r.st.regular, r.st.sale = "", ""
	}
	return nil
}

func idList(v any) []int64 {
	var ids []flexInt
	remarshal(v, &ids)
	out := []int64{}
	for _, id := range ids {
		out = append(out, int64(id))
	}
	return out
}

func applyDimensions(d *Dimensions, v any) {
	m, _ := v.(map[string]any)
	for k, dst := range map[string]*string{"length": &d.Length, "width": &d.Width, "height": &d.Height} {
		if x, ok := m[k]; ok {
			var f flexString
			remarshal(x, &f)
			*dst = string(f)
		}
	}
}

func (s *Server) applyVariation(r *variationRec, in map[string]any, now time.Time) *wpError {
	if err := s.applyStock(&r.st, in, r.v.ID); err != nil {
		return err
	}
	v := &r.v
	str := func(k string, dst *string) {
		if x, ok := in[k]; ok {
			*dst = x.(string)
		}
	}
	str("description", &v.Description)
	str("status", &v.Status)
	str("tax_status", &v.TaxStatus)
	str("tax_class", &v.TaxClass)
	str("weight", &v.Weight)
	str("shipping_class", &v.ShippingClass)
	if x, ok := in["virtual"]; ok {
		v.Virtual = x.(bool)
	}
	if x, ok := in["downloadable"]; ok {
		v.Downloadable = x.(bool)
	}
	if x, ok := in["menu_order"]; ok && x != nil {
		v.MenuOrder = x.(int64)
	}
	if x, ok := in["dimensions"]; ok {
		applyDimensions(&v.Dimensions, x)
	}
	if x, ok := in["image"]; ok {
		var im imageInput
		remarshal(x, &im)
		if im.ID == 0 && im.Src == "" {
			v.Image = nil
		} else {
			img := s.image(im, now)
			v.Image = &img
		}
	}
	if x, ok := in["attributes"]; ok {
		var attrs []attributeInput
		remarshal(x, &attrs)
		v.Attributes = []VariationAttribute{}
		for _, a := range attrs {
			v.Attributes = append(v.Attributes, VariationAttribute{ID: int64(a.ID), Name: string(a.Name), Option: string(a.Option)})
		}
	}
	if x, ok := in["meta_data"]; ok {
		v.MetaData = s.applyMeta(v.MetaData, x)
	}
	return nil
}

// ---- writes shared by REST, batch and the Go API ----

// rejected is the save failure RejectSKU arranges: WooCommerce's
// woocommerce_rest_<type>_not_created, status 400, for a product whose
// save throws.
func (s *Server) rejected(postType, sku string) *wpError {
	msg, found := s.rejectSKUs[sku]
	if !found || sku == "" {
		return nil
	}
	return newError(http.StatusBadRequest, "woocommerce_rest_"+postType+"_not_created", msg)
}

// newProduct creates a product from checked input (the caller holds mu).
func (s *Server) newProduct(in map[string]any, c *call) (*productRec, *wpError) {
	r := &productRec{
		p: Product{Type: "simple", Status: "publish", CatalogVisibility: "visible", TaxStatus: "taxable",
			DownloadLimit: -1, DownloadExpiry: -1, ReviewsAllowed: true, AverageRating: "0.00"},
		st:      defaultStock(),
		created: c.now, modified: c.now,
	}
	if err := s.applyProduct(r, in, c.now); err != nil {
		return nil, err
	}
	if err := s.rejected("product", r.st.sku); err != nil {
		return nil, err
	}
	r.p.ID = s.nextPost
	s.nextPost++
	if r.p.Slug == "" {
		r.p.Slug = "product-" + itoa(r.p.ID)
	}
	s.products[r.p.ID] = r
	s.indexSKU("", r.st.sku, r.p.ID)
	c.emit("product", "created", r.p.ID)
	return r, nil
}

// saveProduct updates a product: every save stamps date_modified, even
// without a change, as WooCommerce's data store does.
func (s *Server) saveProduct(r *productRec, in map[string]any, c *call) *wpError {
	next := *r
	next.p.MetaData = slices.Clone(r.p.MetaData)
	if err := s.applyProduct(&next, in, c.now); err != nil {
		return err
	}
	if err := s.rejected("product", next.st.sku); err != nil {
		return err
	}
	next.modified = c.now
	s.indexSKU(r.st.sku, next.st.sku, r.p.ID)
	*r = next
	c.emit("product", "updated", r.p.ID)
	return nil
}

func (s *Server) newVariation(parent *productRec, in map[string]any, c *call) (*variationRec, *wpError) {
	r := &variationRec{
		v:       Variation{Status: "publish", TaxStatus: "taxable", TaxClass: "", DownloadLimit: -1, DownloadExpiry: -1, ParentID: parent.p.ID},
		st:      defaultStock(),
		created: c.now, modified: c.now,
	}
	if err := s.applyVariation(r, in, c.now); err != nil {
		return nil, err
	}
	if err := s.rejected("product_variation", r.st.sku); err != nil {
		return nil, err
	}
	r.v.ID = s.nextPost
	s.nextPost++
	s.variations[r.v.ID] = r
	s.indexSKU("", r.st.sku, r.v.ID)
	c.emit("product", "created", r.v.ID)
	s.syncParent(parent, c)
	return r, nil
}

func (s *Server) saveVariation(r *variationRec, in map[string]any, c *call) *wpError {
	next := *r
	next.v.MetaData = slices.Clone(r.v.MetaData)
	if err := s.applyVariation(&next, in, c.now); err != nil {
		return err
	}
	if err := s.rejected("product_variation", next.st.sku); err != nil {
		return err
	}
	next.modified = c.now
	s.indexSKU(r.st.sku, next.st.sku, r.v.ID)
	*r = next
	c.emit("product", "updated", r.v.ID)
	if parent := s.products[r.v.ParentID]; parent != nil {
		s.syncParent(parent, c)
	}
	return nil
}

// syncParent is WooCommerce's deferred sync of a variable product after a
// variation changed: the parent is saved (date_modified, product.updated).
func (s *Server) syncParent(parent *productRec, c *call) {
	parent.modified = c.now
	c.emit("product", "updated", parent.p.ID)
}

// countCategories recounts the products (not trashed) of each category
// and tag; term reads call it, so writes need not.
func (s *Server) countCategories() {
	counts := map[int64]int64{}
	for _, p := range s.products {
		if p.p.Status == "trash" {
			continue
		}
		for _, t := range p.p.Categories {
			counts[t.ID]++
		}
		for _, t := range p.p.Tags {
			counts[t.ID]++
		}
	}
	for id, c := range s.categories {
		c.c.Count = counts[id]
	}
	for id, c := range s.tags {
		c.c.Count = counts[id]
	}
}

// ---- REST handlers: products ----

var productOrderby = []string{"date", "modified", "id", "include", "title", "slug", "price", "popularity", "rating", "menu_order"}

// listed is one item of a collection with what it sorts by.
type listed struct {
	id                int64
	created, modified time.Time
	title, slug       string
	price             decimal.Decimal
	menuOrder         int64
	body              func() any
}

// sortListed orders items as WP_Query does for orderby; date and modified
// add the id as second key, in the same direction. It sorts indices and
// permutes once, which is cheaper than swapping the items.
func sortListed(items []listed, p paging, include []int64) {
	dir := 1
	if p.order == "desc" {
		dir = -1
	}
	idx := make([]int32, len(items))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(i, j int32) int {
		a, b := &items[i], &items[j]
		var c int
		switch p.orderby {
		case "date", "registered_date":
			c = cmp.Or(a.created.Compare(b.created), cmp.Compare(a.id, b.id))
		case "modified":
			c = cmp.Or(a.modified.Compare(b.modified), cmp.Compare(a.id, b.id))
		case "title", "name":
			c = cmp.Or(strings.Compare(strings.ToLower(a.title), strings.ToLower(b.title)), cmp.Compare(a.id, b.id))
		case "slug":
			c = cmp.Or(strings.Compare(a.slug, b.slug), cmp.Compare(a.id, b.id))
		case "price":
			c = cmp.Or(a.price.Cmp(b.price), cmp.Compare(a.id, b.id))
		case "menu_order":
			c = cmp.Or(cmp.Compare(a.menuOrder, b.menuOrder), strings.Compare(a.title, b.title), cmp.Compare(a.id, b.id))
		case "include":
			return cmp.Or(cmp.Compare(slices.Index(include, a.id), slices.Index(include, b.id)), cmp.Compare(a.id, b.id))
		default: // id, popularity, rating (no sales or reviews here)
			c = cmp.Compare(a.id, b.id)
		}
		return dir * c
	})
	sorted := make([]listed, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
}

func bodies(items []listed) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = it.body()
	}
	return out
}

func (s *Server) listProducts(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, productOrderby, "date", "desc")
	df := qc.dates()
	status := qc.enum("status", "any", append([]string{"any", "trash"}, postStatuses...))
	typ := qc.enum("type", "", productTypes)
	stock := qc.enum("stock_status", "", stockStatuses)
	include, exclude, parents := qc.ids("include"), qc.ids("exclude"), qc.ids("parent")
	categories, tags := qc.ids("category"), qc.ids("tag")
	skus := qc.list("sku")
	if len(skus) > 1 {
		skus = append(skus, qc.get("sku")) // WooCommerce also tries the whole string
	}
	search := qc.get("search")
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)

	s.mu.Lock()
	defer s.mu.Unlock()
	// Filters read the stored fields; only what a page shows is rendered.
	var items []listed
	for _, r := range s.products {
		pr := &r.p
		switch {
		case status == "any" && pr.Status == "trash", status != "any" && pr.Status != status,
			typ != "" && pr.Type != typ,
			include != nil && !slices.Contains(include, pr.ID),
			slices.Contains(exclude, pr.ID),
			parents != nil && !slices.Contains(parents, pr.ParentID),
			skus != nil && !slices.Contains(skus, r.st.sku),
			search != "" && !strings.Contains(strings.ToLower(pr.Name+" "+pr.Description+" "+pr.ShortDescription), strings.ToLower(search)),
			categories != nil && !slices.ContainsFunc(pr.Categories, func(t Term) bool { return slices.Contains(categories, t.ID) }),
			tags != nil && !slices.ContainsFunc(pr.Tags, func(t Term) bool { return slices.Contains(tags, t.ID) }),
			!df.match(r.created, r.modified, s.cfg.loc),
			stock != "" && s.renderProduct(r, c.now).StockStatus != stock:
			continue
		}
		it := listed{id: pr.ID, created: r.created, modified: r.modified, title: pr.Name, slug: pr.Slug, menuOrder: pr.MenuOrder,
			body: func() any { return s.productJSON(r, c.now) }}
		if p.orderby == "price" {
			it.price = dec(s.renderProduct(r, c.now).Price)
		}
		items = append(items, it)
	}
	// With sku, WooCommerce queries product and product_variation posts:
	// variations come back as products of type "variation".
	if skus != nil && typ == "" && categories == nil && tags == nil && parents == nil {
		for _, r := range s.variations {
			if !slices.Contains(skus, r.st.sku) {
				continue
			}
			vp := s.variationAsProduct(r, c.now)
			switch {
			case status != "any" && vp.Status != status,
				stock != "" && vp.StockStatus != stock,
				include != nil && !slices.Contains(include, vp.ID), slices.Contains(exclude, vp.ID),
				!df.match(r.created, r.modified, s.cfg.loc):
				continue
			}
			obj := withLinks(vp, links("self", s.APIURL()+"/products/"+itoa(vp.ID), "collection", s.APIURL()+"/products"))
			items = append(items, listed{id: vp.ID, created: r.created, modified: r.modified, title: vp.Name, slug: vp.Slug,
				price: dec(vp.Price), menuOrder: vp.MenuOrder, body: func() any { return obj }})
		}
	}
	sortListed(items, p, include)
	return s.pageReply(c, items, p), nil
}

func (s *Server) getProduct(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.products[c.ids[0]]; ok {
		return ok200(s.productJSON(r, c.now)), nil
	}
	if v, ok := s.variations[c.ids[0]]; ok {
		return ok200(withLinks(s.variationAsProduct(v, c.now), links("self", s.APIURL()+"/products/"+itoa(v.v.ID), "collection", s.APIURL()+"/products"))), nil
	}
	return nil, idError("product", http.StatusNotFound)
}

func ok200(body any) *reply { return ok(body) }

// checkInput decodes and checks a single request's body.
func (s *Server) checkInput(c *call, schema []field) (map[string]any, map[string]any, *wpError) {
	raw, err := decodeBody(c.body)
	if err != nil {
		return nil, nil, err
	}
	in, err := checkFields(raw, schema, true, s.cfg.loc)
	return raw, in, err
}

func (s *Server) createProduct(c *call) (*reply, *wpError) {
	raw, in, err := s.checkInput(c, productSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createProductLocked(c, raw, in)
}

func (s *Server) createProductLocked(c *call, raw, in map[string]any) (*reply, *wpError) {
	if id, _ := restInteger(raw["id"]); id != 0 {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_product_exists", "Cannot create existing product.")
	}
	r, err := s.newProduct(in, c)
	if err != nil {
		return nil, err
	}
	return created(s.productJSON(r, c.now), s.APIURL()+"/products/"+itoa(r.p.ID)), nil
}

func (s *Server) updateProduct(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, productSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateProductLocked(c, c.ids[0], in)
}

func (s *Server) updateProductLocked(c *call, id int64, in map[string]any) (*reply, *wpError) {
	r, ok := s.products[id]
	if !ok {
		return nil, idError("product", http.StatusBadRequest)
	}
	if err := s.saveProduct(r, in, c); err != nil {
		return nil, err
	}
	return ok200(s.productJSON(r, c.now)), nil
}

func (s *Server) deleteProduct(c *call) (*reply, *wpError) {
	force, _ := restBoolean(c.q.Get("force"))
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteProductLocked(c, c.ids[0], force)
}

func (s *Server) deleteProductLocked(c *call, id int64, force bool) (*reply, *wpError) {
	r, ok := s.products[id]
	if !ok {
		return nil, idError("product", http.StatusNotFound)
	}
	body := s.productJSON(r, c.now)
	if force {
		for _, v := range s.childVariations(id) {
			s.indexSKU(v.st.sku, "", v.v.ID)
			delete(s.variations, v.v.ID)
		}
		s.indexSKU(r.st.sku, "", id)
		delete(s.products, id)
		return ok200(body), nil
	}
	if r.p.Status == "trash" {
		return nil, newError(http.StatusGone, "woocommerce_rest_already_trashed", "The product has already been deleted.")
	}
	r.p.Status = "trash"
	r.modified = c.now
	s.indexSKU(r.st.sku, "", id)
	c.emit("product", "deleted", id)
	return ok200(s.productJSON(r, c.now)), nil
}

// ---- REST handlers: variations ----

func (s *Server) parentOf(c *call, status int) (*productRec, *wpError) {
	parent, ok := s.products[c.ids[0]]
	if !ok {
		return nil, newError(status, "woocommerce_rest_product_variation_invalid_parent", "Invalid parent product.")
	}
	return parent, nil
}

func (s *Server) listVariations(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, productOrderby, "date", "desc")
	df := qc.dates()
	status := qc.enum("status", "any", append([]string{"any", "trash"}, postStatuses...))
	stock := qc.enum("stock_status", "", stockStatuses)
	include, exclude := qc.ids("include"), qc.ids("exclude")
	skus := qc.list("sku")
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.parentOf(c, http.StatusNotFound); err != nil {
		return nil, err
	}
	var items []listed
	for _, r := range s.childVariations(c.ids[0]) {
		rv := s.renderVariation(r, c.now)
		switch {
		case status != "any" && rv.Status != status,
			stock != "" && rv.StockStatus != stock,
			include != nil && !slices.Contains(include, rv.ID),
			slices.Contains(exclude, rv.ID),
			skus != nil && !slices.Contains(skus, rv.SKU),
			!df.match(r.created, r.modified, s.cfg.loc):
			continue
		}
		items = append(items, listed{id: rv.ID, created: r.created, modified: r.modified, title: rv.Name, slug: rv.SKU,
			price: dec(rv.Price), menuOrder: rv.MenuOrder, body: func() any { return s.variationJSON(r, c.now) }})
	}
	sortListed(items, p, include)
	return s.pageReply(c, items, p), nil
}

func (s *Server) variation(c *call, status int) (*productRec, *variationRec, *wpError) {
	parent, err := s.parentOf(c, http.StatusNotFound)
	if err != nil {
		return nil, nil, err
	}
	v, ok := s.variations[c.ids[1]]
	if !ok || v.v.ParentID != parent.p.ID {
		return nil, nil, idError("product_variation", status)
	}
	return parent, v, nil
}

func (s *Server) getVariation(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, v, err := s.variation(c, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	return ok200(s.variationJSON(v, c.now)), nil
}

func (s *Server) createVariation(c *call) (*reply, *wpError) {
	raw, in, err := s.checkInput(c, variationSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createVariationLocked(c, raw, in)
}

func (s *Server) createVariationLocked(c *call, raw, in map[string]any) (*reply, *wpError) {
	if id, _ := restInteger(raw["id"]); id != 0 {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_product_variation_exists", "Cannot create existing product_variation.")
	}
	parent, err := s.parentOf(c, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	v, err := s.newVariation(parent, in, c)
	if err != nil {
		return nil, err
	}
	return created(s.variationJSON(v, c.now), s.APIURL()+"/products/"+itoa(parent.p.ID)+"/variations/"+itoa(v.v.ID)), nil
}

func (s *Server) updateVariation(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, variationSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateVariationLocked(c, c.ids[1], in)
}

func (s *Server) updateVariationLocked(c *call, id int64, in map[string]any) (*reply, *wpError) {
	parent, err := s.parentOf(c, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	v, ok := s.variations[id]
	if !ok || v.v.ParentID != parent.p.ID {
		return nil, idError("product_variation", http.StatusBadRequest)
	}
	if err := s.saveVariation(v, in, c); err != nil {
		return nil, err
	}
	return ok200(s.variationJSON(v, c.now)), nil
}

func (s *Server) deleteVariation(c *call) (*reply, *wpError) {
	force, _ := restBoolean(c.q.Get("force"))
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteVariationLocked(c, c.ids[1], force)
}

func (s *Server) deleteVariationLocked(c *call, id int64, force bool) (*reply, *wpError) {
	parent, err := s.parentOf(c, http.StatusNotFound)
	if err != nil {
		return nil, err
	}
	v, ok := s.variations[id]
	if !ok || v.v.ParentID != parent.p.ID {
		return nil, idError("product_variation", http.StatusNotFound)
	}
	if !force {
		return nil, newError(http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Variations do not support trashing.")
	}
	body := s.variationJSON(v, c.now)
	s.indexSKU(v.st.sku, "", id)
	delete(s.variations, id)
	s.syncParent(parent, c)
	return ok200(body), nil
}
