package woocommercetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the Go API for tests: Seed* methods put data in place
// quietly (as if it had been there before any webhook existed), driving
// methods change the shop the way a customer or shop manager would and
// deliver the webhooks that fires before they return, and accessors read
// what arrived.

// newCall starts a change made through the Go API.
func (s *Server) newCall() *call { return &call{now: s.now()} }

// quietCall starts a seeding change: no webhook, no stock movement.
func (s *Server) quietCall() *call { return &call{now: s.now(), quiet: true} }

// inputOf turns a wire struct into input fields for the create/update
// paths: JSON names, zero values dropped (so they keep WooCommerce's
// defaults), read-only fields ignored by the schema.
func inputOf(v any, schema []field, loc *time.Location) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case string:
			if x == "" {
				delete(m, k)
			}
		case bool:
			if !x {
				delete(m, k)
			}
		case json.Number:
			if x == "0" {
				delete(m, k)
			}
		case []any:
			if len(x) == 0 {
				delete(m, k)
			}
		case map[string]any:
			empty := true
			for _, e := range x {
				if e != "" && e != nil {
					empty = false
				}
			}
			if empty {
				delete(m, k)
			}
		}
	}
	in, werr := checkFields(m, schema, false, loc)
	if werr != nil {
		return nil, werr
	}
	return in, nil
}

// termRefs resolves terms given by name (ID 0) to existing or new ones
// (the caller holds mu).
func (s *Server) termRefs(tx *taxonomy, terms []Term) []Term {
	out := make([]Term, 0, len(terms))
	for _, t := range terms {
		if t.ID == 0 && t.Name != "" {
			var found *categoryRec
			for _, c := range tx.terms {
				if strings.EqualFold(c.c.Name, t.Name) {
					found = c
				}
			}
			if found == nil {
				found, _ = s.newTerm(tx, map[string]any{"name": t.Name})
			}
			if found != nil {
				t.ID = found.c.ID
			}
		}
		out = append(out, t)
	}
	return out
}

// SeedCategory creates a product category (Name required; Parent, Slug,
// Description optional).
func (s *Server) SeedCategory(c Category) (Category, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := map[string]any{"name": c.Name, "slug": c.Slug, "description": c.Description, "parent": c.Parent}
	r, err := s.newCategory(in)
	if err != nil {
		return Category{}, err
	}
	return r.c, nil
}

// SeedProduct adds a product quietly and returns it as the API shows it.
// The writable fields of p are used (name, type, status, sku, prices, sale
// dates, stock, categories, tags, images, attributes, meta data ...); zero
// values keep WooCommerce's defaults (type simple, status publish, stock
// status instock, backorders no). Categories and tags may be given by name
// only: missing ones are created. A SKU already in use fails with the error WooCommerce
// gives (product_invalid_sku).
func (s *Server) SeedProduct(p Product) (Product, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.Categories = s.termRefs(&taxonomy{base: "/products/categories", terms: s.categories}, p.Categories)
	p.Tags = s.termRefs(&taxonomy{base: "/products/tags", terms: s.tags, tag: true}, p.Tags)
	in, err := inputOf(p, productSchema, s.cfg.loc)
	if err != nil {
		return Product{}, err
	}
	c := s.quietCall()
	r, werr := s.newProduct(in, c)
	if werr != nil {
		return Product{}, werr
	}
	return s.renderProduct(r, c.now), nil
}

// SeedVariation adds a variation to a (variable) product quietly.
func (s *Server) SeedVariation(productID int64, v Variation) (Variation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, found := s.products[productID]
	if !found {
		return Variation{}, fmt.Errorf("woocommercetest: no product %d", productID)
	}
	in, err := inputOf(v, variationSchema, s.cfg.loc)
	if err != nil {
		return Variation{}, err
	}
	c := s.quietCall()
	r, werr := s.newVariation(parent, in, c)
	if werr != nil {
		return Variation{}, werr
	}
	return s.renderVariation(r, c.now), nil
}

// SeedCustomer registers a customer quietly (Email required).
func (s *Server) SeedCustomer(cu Customer) (Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := inputOf(cu, customerSchema, s.cfg.loc)
	if err != nil {
		return Customer{}, err
	}
	r, werr := s.newCustomer(map[string]any{}, in, s.quietCall())
	if werr != nil {
		return Customer{}, werr
	}
	return s.renderCustomer(r), nil
}

// SeedOrder stores an order quietly, as if placed before: no webhook, no
// stock change. Lines and totals are completed as PlaceOrder does; the
// status defaults to "processing".
func (s *Server) SeedOrder(o Order) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o.Status = cmpOr(o.Status, "processing")
	o.CreatedVia = cmpOr(o.CreatedVia, "checkout")
	c := s.quietCall() // stock counts as handled at the time; no webhook
	r, werr := s.newOrder(o, c)
	if werr != nil {
		return Order{}, werr
	}
	return s.renderOrder(r), nil
}

// PlaceOrder is a customer checking out: the order is priced from the
// catalog (lines by SKU, or ProductID/VariationID, and Quantity), numbered,
// stamped with the clock and stored with status "processing" unless o says
// otherwise; a paid status (processing, completed, on-hold) reduces managed
// stock. It delivers order.created (and product.updated for each product
// whose stock changed) to the subscribed webhooks before returning.
func (s *Server) PlaceOrder(ctx context.Context, o Order) (Order, error) {
	s.mu.Lock()
	o.Status = cmpOr(o.Status, "processing")
	o.CreatedVia = cmpOr(o.CreatedVia, "checkout")
	o.PaymentMethod = cmpOr(o.PaymentMethod, "bacs")
	o.PaymentMethodTitle = cmpOr(o.PaymentMethodTitle, "Direct bank transfer")
	c := s.newCall()
	r, werr := s.newOrder(o, c)
	var out Order
	if werr == nil {
		out = s.renderOrder(r)
	}
	s.mu.Unlock()
	if werr != nil {
		return Order{}, werr
	}
	return out, s.hub.deliverWait(ctx, c.events)
}

// SetOrderStatus changes an order's status as the shop manager would:
// dates, stock and a system note follow; order.updated is delivered.
func (s *Server) SetOrderStatus(ctx context.Context, id int64, status string) (Order, error) {
	return s.UpdateOrder(ctx, id, map[string]any{"status": status})
}

// SetOrderMeta sets a custom field on an order (nil deletes it) and
// delivers order.updated.
func (s *Server) SetOrderMeta(ctx context.Context, id int64, key string, value any) (Order, error) {
	return s.UpdateOrder(ctx, id, map[string]any{"meta_data": []any{map[string]any{"key": key, "value": value}}})
}

// UpdateOrder applies fields named as in the REST API (status, meta_data,
// billing, transaction_id, set_paid ...) as PUT /orders/<id> does and
// delivers order.updated.
func (s *Server) UpdateOrder(ctx context.Context, id int64, fields map[string]any) (Order, error) {
	in, werr := checkFields(normalize(fields), orderSchema, false, s.cfg.loc)
	if werr != nil {
		return Order{}, werr
	}
	s.mu.Lock()
	r, found := s.orders[id]
	if !found {
		s.mu.Unlock()
		return Order{}, idError("shop_order", 400)
	}
	c := s.newCall()
	werr = s.saveOrder(r, in, c)
	out := s.renderOrder(r)
	s.mu.Unlock()
	if werr != nil {
		return Order{}, werr
	}
	return out, s.hub.deliverWait(ctx, c.events)
}

// AddOrderNote adds a note to an order (customer notes are the ones the
// customer sees). Notes fire no webhook.
func (s *Server) AddOrderNote(orderID int64, note string, customer bool) (OrderNote, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found := s.orders[orderID]; !found {
		return OrderNote{}, errOrderID()
	}
	n := s.addNote(orderID, note, customer, "admin", s.now())
	out := n.n
	out.DateCreated, out.DateCreatedGMT = localString(n.created, s.cfg.loc), gmtString(n.created)
	return out, nil
}

// RefundOrder creates a refund as POST /orders/<id>/refunds does (a full
// refund moves the order to refunded) and delivers order.updated.
func (s *Server) RefundOrder(ctx context.Context, orderID int64, spec RefundSpec) (Refund, error) {
	s.mu.Lock()
	r, found := s.orders[orderID]
	if !found {
		s.mu.Unlock()
		return Refund{}, errOrderID()
	}
	c := s.newCall()
	f, werr := s.refund(r, spec, c)
	var out Refund
	if werr == nil {
		out = f.r
		out.DateCreated, out.DateCreatedGMT = localString(f.created, s.cfg.loc), gmtString(f.created)
	}
	s.mu.Unlock()
	if werr != nil {
		return Refund{}, werr
	}
	return out, s.hub.deliverWait(ctx, c.events)
}

// SetStock sets the stock of the product or variation with sku (turning
// stock management on), as a shop manager's edit, and delivers
// product.updated.
func (s *Server) SetStock(ctx context.Context, sku string, quantity int64) error {
	s.mu.Lock()
	id := s.skuOwner(sku)
	s.mu.Unlock()
	if id == 0 {
		return fmt.Errorf("woocommercetest: no product with SKU %q", sku)
	}
	fields := map[string]any{"manage_stock": true, "stock_quantity": quantity}
	if _, err := s.UpdateProduct(ctx, id, fields); err != nil {
		return err
	}
	return nil
}

// UpdateProduct applies fields named as in the REST API (regular_price,
// stock_quantity, status, meta_data ...) to the product or variation id,
// as PUT /products/<id> (or its variation route) does, and delivers
// product.updated. It returns the product, or for a variation the
// variation read as a product.
func (s *Server) UpdateProduct(ctx context.Context, id int64, fields map[string]any) (Product, error) {
	s.mu.Lock()
	c := s.newCall()
	var out Product
	var werr *wpError
	if r, found := s.products[id]; found {
		var in map[string]any
		if in, werr = checkFields(normalize(fields), productSchema, false, s.cfg.loc); werr == nil {
			if werr = s.saveProduct(r, in, c); werr == nil {
				out = s.renderProduct(r, c.now)
			}
		}
	} else if v, found := s.variations[id]; found {
		var in map[string]any
		if in, werr = checkFields(normalize(fields), variationSchema, false, s.cfg.loc); werr == nil {
			if werr = s.saveVariation(v, in, c); werr == nil {
				out = s.variationAsProduct(v, c.now)
			}
		}
	} else {
		werr = idError("product", 400)
	}
	s.mu.Unlock()
	if werr != nil {
		return Product{}, werr
	}
	return out, s.hub.deliverWait(ctx, c.events)
}

// UpdateCustomer applies fields named as in the REST API to a customer and
// delivers customer.updated.
func (s *Server) UpdateCustomer(ctx context.Context, id int64, fields map[string]any) (Customer, error) {
	in, werr := checkFields(normalize(fields), customerSchema, false, s.cfg.loc)
	if werr != nil {
		return Customer{}, werr
	}
	s.mu.Lock()
	r, found := s.customers[id]
	if !found {
		s.mu.Unlock()
		return Customer{}, errCustomerID(400)
	}
	c := s.newCall()
	werr = s.saveCustomer(r, in, c)
	out := s.renderCustomer(r)
	s.mu.Unlock()
	if werr != nil {
		return Customer{}, werr
	}
	return out, s.hub.deliverWait(ctx, c.events)
}

// RejectSKU makes every save of a product or variation with sku fail
// with WooCommerce's woocommerce_rest_product_not_created (400) and
// message, inside a batch as an error in the item's place. An empty
// message removes the rule.
func (s *Server) RejectSKU(sku, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if message == "" {
		delete(s.rejectSKUs, sku)
		return
	}
	s.rejectSKUs[sku] = message
}

// normalize turns Go values into the JSON values the checks expect.
func normalize(fields map[string]any) map[string]any {
	b, _ := json.Marshal(fields)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	_ = dec.Decode(&m)
	return m
}

// ---- accessors ----

// Product returns the product with id as the API shows it.
func (s *Server) Product(id int64) (Product, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.products[id]
	if !found {
		return Product{}, false
	}
	return s.renderProduct(r, s.now()), true
}

// ProductBySKU returns the product (not variation) with sku.
func (s *Server) ProductBySKU(sku string) (Product, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.products {
		if r.st.sku == sku && sku != "" {
			return s.renderProduct(r, s.now()), true
		}
	}
	return Product{}, false
}

// Products returns all products (trashed ones included) by id.
func (s *Server) Products() []Product {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]Product, 0, len(s.products))
	for _, r := range s.products {
		out = append(out, s.renderProduct(r, now))
	}
	slices.SortFunc(out, func(a, b Product) int { return int(a.ID - b.ID) })
	return out
}

// Variation returns the variation with id.
func (s *Server) Variation(id int64) (Variation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.variations[id]
	if !found {
		return Variation{}, false
	}
	return s.renderVariation(r, s.now()), true
}

// VariationBySKU returns the variation with sku.
func (s *Server) VariationBySKU(sku string) (Variation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.variations {
		if r.st.sku == sku && sku != "" {
			return s.renderVariation(r, s.now()), true
		}
	}
	return Variation{}, false
}

// Variations returns a product's variations in menu order.
func (s *Server) Variations(productID int64) []Variation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Variation
	for _, r := range s.childVariations(productID) {
		out = append(out, s.renderVariation(r, s.now()))
	}
	return out
}

// Tags returns all product tags by id.
func (s *Server) Tags() []Tag {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countCategories()
	var out []Tag
	for _, r := range s.tags {
		out = append(out, Tag{ID: r.c.ID, Name: r.c.Name, Slug: r.c.Slug, Description: r.c.Description, Count: r.c.Count})
	}
	slices.SortFunc(out, func(a, b Tag) int { return int(a.ID - b.ID) })
	return out
}

// Categories returns all product categories by id.
func (s *Server) Categories() []Category {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countCategories()
	var out []Category
	for _, r := range s.categories {
		out = append(out, r.c)
	}
	slices.SortFunc(out, func(a, b Category) int { return int(a.ID - b.ID) })
	return out
}

// Order returns the order with id.
func (s *Server) Order(id int64) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.orders[id]
	if !found {
		return Order{}, false
	}
	return s.renderOrder(r), true
}

// Orders returns all orders by id.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, r := range s.orders {
		out = append(out, s.renderOrder(r))
	}
	slices.SortFunc(out, func(a, b Order) int { return int(a.ID - b.ID) })
	return out
}

// OrderMeta returns the value of an order's custom field key.
func (s *Server) OrderMeta(orderID int64, key string) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.orders[orderID]
	if !found {
		return nil, false
	}
	for _, m := range r.o.MetaData {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// OrderNotes returns an order's notes, oldest first.
func (s *Server) OrderNotes(orderID int64) []OrderNote {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []OrderNote
	for _, n := range s.notes[orderID] {
		note := n.n
		note.DateCreated, note.DateCreatedGMT = localString(n.created, s.cfg.loc), gmtString(n.created)
		out = append(out, note)
	}
	return out
}

// Refunds returns an order's refunds, oldest first.
func (s *Server) Refunds(orderID int64) []Refund {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.orders[orderID]
	if !found {
		return nil
	}
	var out []Refund
	for _, id := range r.refundIDs {
		f := s.refunds[id]
		x := f.r
		x.DateCreated, x.DateCreatedGMT = localString(f.created, s.cfg.loc), gmtString(f.created)
		out = append(out, x)
	}
	return out
}

// Customer returns the customer with id.
func (s *Server) Customer(id int64) (Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.customers[id]
	if !found {
		return Customer{}, false
	}
	return s.renderCustomer(r), true
}

// CustomerByEmail returns the customer with email (case-insensitive).
func (s *Server) CustomerByEmail(email string) (Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.customerByEmail(email)
	if r == nil {
		return Customer{}, false
	}
	return s.renderCustomer(r), true
}

// Customers returns all customers by id.
func (s *Server) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Customer
	for _, r := range s.customers {
		out = append(out, s.renderCustomer(r))
	}
	slices.SortFunc(out, func(a, b Customer) int { return int(a.ID - b.ID) })
	return out
}

// TrackingItem is one parcel in the order meta _wc_shipment_tracking_items,
// the format of the WooCommerce Shipment Tracking extension.
type TrackingItem struct {
	TrackingProvider       string `json:"tracking_provider"`
	CustomTrackingProvider string `json:"custom_tracking_provider"`
	CustomTrackingLink     string `json:"custom_tracking_link"`
	TrackingNumber         string `json:"tracking_number"`
	DateShipped            string `json:"date_shipped"` // unix seconds, as text
	TrackingID             string `json:"tracking_id"`
}

// TrackingItems returns the parcels an order carries in its
// _wc_shipment_tracking_items meta (none when absent or malformed).
func (s *Server) TrackingItems(orderID int64) []TrackingItem {
	v, found := s.OrderMeta(orderID, "_wc_shipment_tracking_items")
	if !found {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var raw []map[string]any
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	out := make([]TrackingItem, 0, len(raw))
	for _, m := range raw {
		str := func(k string) string {
			switch x := m[k].(type) {
			case string:
				return x
			case float64:
				return strconv.FormatFloat(x, 'f', -1, 64)
			}
			return ""
		}
		out = append(out, TrackingItem{TrackingProvider: str("tracking_provider"), CustomTrackingProvider: str("custom_tracking_provider"),
			CustomTrackingLink: str("custom_tracking_link"), TrackingNumber: str("tracking_number"),
			DateShipped: str("date_shipped"), TrackingID: str("tracking_id")})
	}
	return out
}
