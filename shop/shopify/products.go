package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"regexp"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"

	"github.com/kontor-dev/kontor"
)

// Products are upserted with productSet, identified by a unique metafield
// that holds the ERP key (the identifier's customId): writing the same
// product twice updates it, whatever its Shopify ID. productSet is
// declarative: the variants, options, images and metafields given replace
// those the product had.

// MaxVariants is the number of variants Shopify allows per product.
const MaxVariants = 2048

// maxOptions is the number of options a product may have.
const maxOptions = 3

// productSetInput is ProductSetInput.
type productSetInput struct {
	Title           string                   `json:"title"`
	DescriptionHTML string                   `json:"descriptionHtml,omitempty"`
	Vendor          string                   `json:"vendor,omitempty"`
	ProductType     string                   `json:"productType,omitempty"`
	Status          string                   `json:"status"`
	Tags            []string                 `json:"tags"`
	ProductOptions  []optionSetInput         `json:"productOptions"`
	Variants        []productVariantSetInput `json:"variants"`
	Files           []fileSetInput           `json:"files"`
	Metafields      []metafieldInput         `json:"metafields"`
	Collections     []string                 `json:"collections,omitempty"`
}

func (productSetInput) GetGraphQLType() string { return "ProductSetInput" }

type optionSetInput struct {
	Name   string                `json:"name"`
	Values []optionValueSetInput `json:"values"`
}

type optionValueSetInput struct {
	Name string `json:"name"`
}

type productVariantSetInput struct {
	SKU           string                    `json:"sku"`
	Barcode       string                    `json:"barcode,omitempty"`
	OptionValues  []variantOptionValueInput `json:"optionValues"`
	InventoryItem *inventoryItemInput       `json:"inventoryItem,omitempty"`
}

type variantOptionValueInput struct {
	OptionName string `json:"optionName"`
	Name       string `json:"name"`
}

type inventoryItemInput struct {
	SKU         string                   `json:"sku,omitempty"`
	Tracked     bool                     `json:"tracked"`
	Measurement *inventoryItemMeasurment `json:"measurement,omitempty"`
}

type inventoryItemMeasurment struct {
	Weight weightInput `json:"weight"`
}

type weightInput struct {
	Value json.Number `json:"value"`
	Unit  string      `json:"unit"`
}

type fileSetInput struct {
	OriginalSource string `json:"originalSource"`
	Alt            string `json:"alt,omitempty"`
	ContentType    string `json:"contentType"`
}

type metafieldInput struct {
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	Type      string `json:"type"`
	Value     string `json:"value"`
}

// productSetIdentifiers is ProductSetIdentifiers.
type productSetIdentifiers struct {
	CustomID uniqueMetafieldValueInput `json:"customId"`
}

func (productSetIdentifiers) GetGraphQLType() string { return "ProductSetIdentifiers" }

type uniqueMetafieldValueInput struct {
	Namespace string `json:"namespace"`
	Key       string `json:"key"`
	Value     string `json:"value"`
}

// productSet is the upsert.
type productSet struct {
	ProductSet struct {
		Product *struct {
			ID        string
			UpdatedAt time.Time
		}
		UserErrors []codedUserError
	} `graphql:"productSet(input: $input, identifier: $identifier, synchronous: true)"`
}

// productVariantsBySKU finds the variants of a set of SKUs.
type productVariantsBySKU struct {
	ProductVariants struct {
		Nodes []struct {
			ID            string
			SKU           *string `graphql:"sku"`
			Product       struct{ ID string }
			InventoryItem struct{ ID string }
		}
	} `graphql:"productVariants(first: $first, query: $query)"`
}

// WriteProducts upserts each product with productSet, keyed by its ERP
// key (Product.ERPKey, else its SKU) in the identity metafield. A
// discontinued product becomes ARCHIVED (or DRAFT, see
// WithDiscontinuedStatus), an active one ACTIVE, a draft DRAFT. A simple
// product becomes a product with one variant of its SKU. Categories are
// the titles of collections the product joins (the last segment of each
// path); attributes and the MPN are metafields in the identity namespace.
// Prices and stock are written by WritePrices and WriteStock.
//
// Before the upserts, one query per 250 variant SKUs tells which products
// exist, so the result says Created or Updated.
func (c *Client) WriteProducts(ctx context.Context, products []kontor.Product) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]kontor.Result, len(products))
	inputs := make([]*productSetInput, len(products))
	var skus []string
	for i := range products {
		p := &products[i]
		out[i].Key = p.Key()
		in, err := c.productInput(p)
		if err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		inputs[i] = in
		for _, v := range in.Variants {
			skus = append(skus, v.SKU)
		}
	}
	existing, err := c.existingVariants(ctx, skus)
	if err != nil {
		return nil, err
	}
	for i := range products {
		in := inputs[i]
		if in == nil {
			continue
		}
		if err := c.resolveCollections(ctx, &products[i], in); err != nil {
			return nil, err
		}
		var m productSet
		vars := map[string]any{"input": *in, "identifier": c.identifier(&products[i])}
		if err := c.mutate(ctx, "ProductSet", &m, vars, true); err != nil {
			return nil, err
		}
		if err := userErr(kontor.EntityProduct, out[i].Key, m.ProductSet.UserErrors); err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		p := m.ProductSet.Product
		if p == nil {
			out[i].Outcome, out[i].Err = kontor.Failed, fmt.Errorf("shopify productSet: no product in the answer")
			continue
		}
		out[i].Outcome = kontor.Created
		for _, v := range in.Variants {
			if _, ok := existing[v.SKU]; ok {
				out[i].Outcome = kontor.Updated
			}
		}
		out[i].Target = kontor.Meta{ShopKey: p.ID, UpdatedAt: p.UpdatedAt}
	}
	return out, nil
}

// identityValue is the ERP key a product is upserted by.
func identityValue(p *kontor.Product) string {
	if p.ERPKey != "" {
		return p.ERPKey
	}
	return p.SKU
}

func (c *Client) identifier(p *kontor.Product) productSetIdentifiers {
	return productSetIdentifiers{CustomID: uniqueMetafieldValueInput{Namespace: c.cfg.namespace, Key: c.cfg.key, Value: identityValue(p)}}
}

// productInput builds the productSet input, or a validation error.
func (c *Client) productInput(p *kontor.Product) (*productSetInput, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	key := p.Key()
	if n := len(p.Variants); n > MaxVariants {
		return nil, &kontor.ValidationError{Entity: kontor.EntityProduct, Key: key, Field: "variants",
			Reason: fmt.Sprintf("has %d variants, Shopify allows %d per product", n, MaxVariants)}
	}
	if n := len(p.Options); n > maxOptions {
		return nil, &kontor.ValidationError{Entity: kontor.EntityProduct, Key: key, Field: "options",
			Reason: fmt.Sprintf("has %d options, Shopify allows %d per product", n, maxOptions)}
	}
	in := &productSetInput{
		Title:           p.Title,
		DescriptionHTML: p.Description,
		Vendor:          p.Brand,
		Status:          c.productStatus(p.Status),
		Tags:            append([]string{}, p.Tags...),
		Files:           []fileSetInput{},
	}
	if len(p.Categories) > 0 {
		in.ProductType = lastSegment(p.Categories[0])
	}
	for _, img := range p.Images {
		in.Files = append(in.Files, fileSetInput{OriginalSource: img.URL, Alt: img.Alt, ContentType: "IMAGE"})
	}
	in.Metafields = []metafieldInput{{Namespace: c.cfg.namespace, Key: c.cfg.key, Type: "single_line_text_field", Value: identityValue(p)}}
	if identityValue(p) != p.SKU {
		in.Metafields = append(in.Metafields, metafieldInput{Namespace: c.cfg.namespace, Key: "sku", Type: "single_line_text_field", Value: p.SKU})
	}
	if p.MPN != "" {
		in.Metafields = append(in.Metafields, metafieldInput{Namespace: c.cfg.namespace, Key: "mpn", Type: "single_line_text_field", Value: p.MPN})
	}
	for _, a := range p.Attributes {
		if k := metafieldKey(a.Name); k != "" && a.Value != "" {
			in.Metafields = append(in.Metafields, metafieldInput{Namespace: c.cfg.namespace, Key: k, Type: "single_line_text_field", Value: a.Value})
		}
	}
	if len(p.Variants) == 0 {
		in.ProductOptions = []optionSetInput{{Name: "Title", Values: []optionValueSetInput{{Name: "Default Title"}}}}
		in.Variants = []productVariantSetInput{{
			SKU: p.SKU, Barcode: p.GTIN,
			OptionValues:  []variantOptionValueInput{{OptionName: "Title", Name: "Default Title"}},
			InventoryItem: inventoryItem(p.SKU, p.Weight),
		}}
		return in, nil
	}
	values := make(map[string][]string)
	for i, v := range p.Variants {
		vi := productVariantSetInput{SKU: v.SKU, Barcode: v.GTIN, InventoryItem: inventoryItem(v.SKU, cmpWeight(v.Weight, p.Weight))}
		for _, name := range p.Options {
			val := optionValue(v.Options, name)
			if val == "" {
				return nil, &kontor.ValidationError{Entity: kontor.EntityProduct, Key: key, Field: fmt.Sprintf("variants[%d].options", i),
					Reason: fmt.Sprintf("has no value for option %q", name)}
			}
			if !contains(values[name], val) {
				values[name] = append(values[name], val)
			}
			vi.OptionValues = append(vi.OptionValues, variantOptionValueInput{OptionName: name, Name: val})
		}
		if len(p.Options) == 0 {
			// Variants without options differ by title.
			title := v.Title
			if title == "" {
				title = v.SKU
			}
			if !contains(values["Title"], title) {
				values["Title"] = append(values["Title"], title)
			}
			vi.OptionValues = []variantOptionValueInput{{OptionName: "Title", Name: title}}
		}
		in.Variants = append(in.Variants, vi)
	}
	names := p.Options
	if len(names) == 0 {
		names = []string{"Title"}
	}
	for _, name := range names {
		o := optionSetInput{Name: name}
		for _, v := range values[name] {
			o.Values = append(o.Values, optionValueSetInput{Name: v})
		}
		in.ProductOptions = append(in.ProductOptions, o)
	}
	return in, nil
}

func (c *Client) productStatus(s kontor.ProductStatus) string {
	switch s {
	case kontor.ProductDraft:
		return "DRAFT"
	case kontor.ProductDiscontinued:
		return c.cfg.discontinued
	}
	return "ACTIVE"
}

func inventoryItem(sku string, w *kontor.Measure) *inventoryItemInput {
	in := &inventoryItemInput{SKU: sku, Tracked: true}
	if w != nil {
		unit := map[string]string{"g": "GRAMS", "kg": "KILOGRAMS", "lb": "POUNDS", "oz": "OUNCES"}[w.Unit]
		if unit != "" {
			in.Measurement = &inventoryItemMeasurment{Weight: weightInput{Value: json.Number(w.Value.String()), Unit: unit}}
		}
	}
	return in
}

func cmpWeight(v, p *kontor.Measure) *kontor.Measure {
	if v != nil {
		return v
	}
	return p
}

func optionValue(vs []kontor.OptionValue, name string) string {
	for _, v := range vs {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func lastSegment(path string) string {
	parts := strings.Split(path, ">")
	return strings.TrimSpace(parts[len(parts)-1])
}

var metafieldKeyRE = regexp.MustCompile(`[^a-z0-9_]+`)

// metafieldKey turns an attribute name into a metafield key: lower case,
// letters, digits and underscores, 2 to 64 characters.
func metafieldKey(name string) string {
	k := strings.Trim(metafieldKeyRE.ReplaceAllString(strings.ToLower(name), "_"), "_")
	if len(k) > 64 {
		k = k[:64]
	}
	if len(k) < 2 {
		return ""
	}
	return k
}

// existingVariants finds which of the SKUs the shop has, in queries of 250.
func (c *Client) existingVariants(ctx context.Context, skus []string) (map[string]itemRef, error) {
	out := make(map[string]itemRef)
	for chunk := range chunks(skus, maxPageSize) {
		var q productVariantsBySKU
		if err := c.query(withCost(ctx, 2+3*len(chunk)), "ProductVariantsBySKU", &q, map[string]any{"first": len(chunk), "query": skuQuery(chunk)}); err != nil {
			return nil, fmt.Errorf("shopify: looking up variants: %w", err)
		}
		for _, n := range q.ProductVariants.Nodes {
			sku := deref(n.SKU)
			if sku == "" || !contains(chunk, sku) {
				continue
			}
			ref := itemRef{variant: n.ID, product: n.Product.ID, inventoryItem: n.InventoryItem.ID}
			out[sku] = ref
			c.remember(sku, ref)
		}
	}
	return out, nil
}

// collectionsByTitle finds a collection by its title.
type collectionsByTitle struct {
	Collections struct {
		Nodes []struct {
			ID    string
			Title string
		}
	} `graphql:"collections(first: 5, query: $query)"`
}

// resolveCollections sets the collections of a product's categories: the
// shop's collections titled like the last segment of each category path.
// A category without a collection is left out: collections are the
// merchant's to create (and to make smart or manual).
func (c *Client) resolveCollections(ctx context.Context, p *kontor.Product, in *productSetInput) error {
	for _, cat := range p.Categories {
		title := lastSegment(cat)
		if title == "" {
			continue
		}
		id, err := c.collection(ctx, title)
		if err != nil {
			return err
		}
		if id != "" && !contains(in.Collections, id) {
			in.Collections = append(in.Collections, id)
		}
	}
	return nil
}

func (c *Client) collection(ctx context.Context, title string) (string, error) {
	c.mu.Lock()
	id, ok := c.colls[title]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	var q collectionsByTitle
	if err := c.query(ctx, "CollectionsByTitle", &q, map[string]any{"query": "title:" + searchValue(title)}); err != nil {
		return "", fmt.Errorf("shopify: looking up collection %q: %w", title, err)
	}
	for _, n := range q.Collections.Nodes {
		if n.Title == title {
			id = n.ID
		}
	}
	c.mu.Lock()
	c.colls[title] = id
	c.mu.Unlock()
	return id, nil
}

// productNode is a product as read.
type productNode struct {
	ID              string
	Title           string
	DescriptionHTML string `graphql:"descriptionHtml"`
	Vendor          string
	ProductType     string
	Handle          string
	Status          string
	Tags            []string
	UpdatedAt       time.Time
	Identity        *struct{ Value string } `graphql:"identity: metafield(namespace: $namespace, key: $key)"`
	SKUField        *struct{ Value string } `graphql:"skuField: metafield(namespace: $namespace, key: \"sku\")"`
	Options         []struct {
		Name string
	}
	Variants struct {
		Nodes    []variantNode
		PageInfo pageInfo
	} `graphql:"variants(first: 100)"`
}

// variantNode is a variant as read.
type variantNode struct {
	ID              string
	SKU             *string `graphql:"sku"`
	Title           string
	Barcode         *string
	SelectedOptions []selectedOption
}

type selectedOption struct {
	Name  string
	Value string
}

// variantsPage is the page size of the follow-up reads of a product's
// variants: requested cost 1 + 2 + 250·2 = 503 points, under the
// 1,000-point cap of a single query.
const variantsPage = maxPageSize

// variantsCost is the requested cost of a productVariantsQuery.
const variantsCost = 3 + 2*variantsPage

// productVariantsQuery pages the variants of a product with more than
// the 100 that productQuery reads.
type productVariantsQuery struct {
	Product *struct {
		Variants struct {
			Nodes    []variantNode
			PageInfo pageInfo
		} `graphql:"variants(first: $first, after: $after)"`
	} `graphql:"product(id: $id)"`
}

// productIDsQuery pages product IDs by change time.
type productIDsQuery struct {
	Products struct {
		Nodes []struct {
			ID        string
			UpdatedAt time.Time
		}
		PageInfo pageInfo
	} `graphql:"products(first: $first, after: $after, sortKey: UPDATED_AT, query: $query)"`
}

type productQuery struct {
	Product *productNode `graphql:"product(id: $id)"`
}

// ReadProducts reads the products changed at or after since, oldest
// change first, each with all its variants: the first 100 come with the
// product, the rest in one further query per 250. SKU is the ERP key the
// product was written with, else its first variant's SKU, else its
// handle; status ARCHIVED reads as discontinued.
func (c *Client) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		for id, err := range c.pageIDs(ctx, "products", since, func(vars map[string]any) ([]idAt, pageInfo, error) {
			var q productIDsQuery
			err := c.query(ctx, "ProductIDs", &q, vars)
			ids := make([]idAt, len(q.Products.Nodes))
			for i, n := range q.Products.Nodes {
				ids[i] = idAt{n.ID, n.UpdatedAt}
			}
			return ids, q.Products.PageInfo, err
		}) {
			if err != nil {
				yield(kontor.Product{}, err)
				return
			}
			var q productQuery
			vars := map[string]any{"id": graphql.ID(id), "namespace": c.cfg.namespace, "key": c.cfg.key}
			if err := c.query(ctx, "Product", &q, vars); err != nil {
				yield(kontor.Product{}, fmt.Errorf("shopify: reading product %s: %w", id, err))
				return
			}
			if q.Product == nil {
				continue
			}
			if err := c.moreVariants(ctx, q.Product); err != nil {
				yield(kontor.Product{}, err)
				return
			}
			if !yield(c.productFromNode(q.Product), nil) {
				return
			}
		}
	}
}

// moreVariants reads the variants of a product beyond its first page.
// A product deleted meanwhile keeps what was read; the next read drops it.
func (c *Client) moreVariants(ctx context.Context, n *productNode) error {
	pi := n.Variants.PageInfo
	for pi.HasNextPage && pi.EndCursor != nil {
		var q productVariantsQuery
		vars := map[string]any{"id": graphql.ID(n.ID), "first": variantsPage, "after": pi.EndCursor}
		if err := c.query(withCost(ctx, variantsCost), "ProductVariants", &q, vars); err != nil {
			return fmt.Errorf("shopify: reading the variants of product %s: %w", n.ID, err)
		}
		if q.Product == nil {
			break
		}
		n.Variants.Nodes = append(n.Variants.Nodes, q.Product.Variants.Nodes...)
		pi = q.Product.Variants.PageInfo
	}
	n.Variants.PageInfo = pageInfo{}
	return nil
}

func (c *Client) productFromNode(n *productNode) kontor.Product {
	p := kontor.Product{
		Meta:        kontor.Meta{ShopKey: n.ID, UpdatedAt: n.UpdatedAt},
		Title:       n.Title,
		Description: n.DescriptionHTML,
		Brand:       n.Vendor,
		Status:      readStatus(n.Status),
		Tags:        n.Tags,
	}
	if n.ProductType != "" {
		p.Categories = []string{n.ProductType}
	}
	for _, o := range n.Options {
		if o.Name != "Title" {
			p.Options = append(p.Options, o.Name)
		}
	}
	for _, v := range n.Variants.Nodes {
		sku := deref(v.SKU)
		c.remember(sku, itemRef{variant: v.ID, product: n.ID})
		kv := kontor.Variant{Meta: kontor.Meta{ShopKey: v.ID}, SKU: sku, Title: v.Title, GTIN: deref(v.Barcode)}
		for _, so := range v.SelectedOptions {
			if so.Name != "Title" {
				kv.Options = append(kv.Options, kontor.OptionValue{Name: so.Name, Value: so.Value})
			}
		}
		p.Variants = append(p.Variants, kv)
	}
	identity := ""
	if n.Identity != nil {
		identity = n.Identity.Value
	}
	switch {
	case n.SKUField != nil && n.SKUField.Value != "":
		p.SKU, p.ERPKey = n.SKUField.Value, identity
	case identity != "":
		p.SKU, p.ERPKey = identity, identity
	case len(p.Variants) > 0 && p.Variants[0].SKU != "":
		p.SKU = p.Variants[0].SKU
	default:
		p.SKU = n.Handle
	}
	// A product written as simple comes back with its one default variant,
	// whose SKU is the product's.
	if len(p.Options) == 0 && len(p.Variants) == 1 && p.Variants[0].SKU == p.SKU {
		p.GTIN = p.Variants[0].GTIN
		p.Variants = nil
	}
	return p
}

func readStatus(s string) kontor.ProductStatus {
	switch s {
	case "DRAFT":
		return kontor.ProductDraft
	case "ARCHIVED":
		return kontor.ProductDiscontinued
	}
	return kontor.ProductActive
}

// productFromREST maps a products/update payload.
func (c *Client) productFromREST(r *restProduct) kontor.Product {
	n := productNode{ID: gidOr(r.AdminGraphQLAPIID, "Product", r.ID), Title: r.Title, DescriptionHTML: r.BodyHTML,
		Vendor: r.Vendor, Handle: r.Handle, Status: strings.ToUpper(r.Status), Tags: splitTags(r.Tags), UpdatedAt: r.UpdatedAt}
	for _, m := range r.Metafields {
		if m.Namespace != c.cfg.namespace {
			continue
		}
		switch m.Key {
		case c.cfg.key:
			n.Identity = &struct{ Value string }{m.Value}
		case "sku":
			n.SKUField = &struct{ Value string }{m.Value}
		}
	}
	for _, o := range r.Options {
		n.Options = append(n.Options, struct{ Name string }{o.Name})
	}
	for _, v := range r.Variants {
		vn := variantNode{ID: gidOr(v.AdminGraphQLAPIID, "ProductVariant", v.ID), SKU: &v.SKU, Title: v.Title, Barcode: v.Barcode}
		for i, val := range []*string{v.Option1, v.Option2, v.Option3} {
			if val != nil && i < len(r.Options) {
				vn.SelectedOptions = append(vn.SelectedOptions, selectedOption{r.Options[i].Name, *val})
			}
		}
		n.Variants.Nodes = append(n.Variants.Nodes, vn)
	}
	p := c.productFromNode(&n)
	for _, img := range r.Images {
		p.Images = append(p.Images, kontor.Image{URL: img.Src, Alt: img.Alt, Position: img.Position})
	}
	return p
}
