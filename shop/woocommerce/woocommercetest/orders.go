package woocommercetest

import (
	"cmp"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Order is an order as GET /orders/<id> returns it.
type Order struct {
	ID                 int64          `json:"id"`
	ParentID           int64          `json:"parent_id"`
	Number             string         `json:"number"`
	OrderKey           string         `json:"order_key"`
	CreatedVia         string         `json:"created_via"`
	Version            string         `json:"version"`
	Status             string         `json:"status"` // pending, processing, on-hold, completed, cancelled, refunded, failed, trash, checkout-draft
	Currency           string         `json:"currency"`
	DateCreated        string         `json:"date_created"`
	DateCreatedGMT     string         `json:"date_created_gmt"`
	DateModified       string         `json:"date_modified"`
	DateModifiedGMT    string         `json:"date_modified_gmt"`
	DiscountTotal      string         `json:"discount_total"`
	DiscountTax        string         `json:"discount_tax"`
	ShippingTotal      string         `json:"shipping_total"`
	ShippingTax        string         `json:"shipping_tax"`
	CartTax            string         `json:"cart_tax"`
	Total              string         `json:"total"`
	TotalTax           string         `json:"total_tax"`
	PricesIncludeTax   bool           `json:"prices_include_tax"`
	CustomerID         int64          `json:"customer_id"`
	CustomerIPAddress  string         `json:"customer_ip_address"`
	CustomerUserAgent  string         `json:"customer_user_agent"`
	CustomerNote       string         `json:"customer_note"`
	Billing            Address        `json:"billing"`
	Shipping           Address        `json:"shipping"`
	PaymentMethod      string         `json:"payment_method"`
	PaymentMethodTitle string         `json:"payment_method_title"`
	TransactionID      string         `json:"transaction_id"`
	DatePaid           *string        `json:"date_paid"`
	DatePaidGMT        *string        `json:"date_paid_gmt"`
	DateCompleted      *string        `json:"date_completed"`
	DateCompletedGMT   *string        `json:"date_completed_gmt"`
	CartHash           string         `json:"cart_hash"`
	MetaData           []MetaData     `json:"meta_data"`
	LineItems          []LineItem     `json:"line_items"`
	TaxLines           []TaxLine      `json:"tax_lines"`
	ShippingLines      []ShippingLine `json:"shipping_lines"`
	FeeLines           []FeeLine      `json:"fee_lines"`
	CouponLines        []CouponLine   `json:"coupon_lines"`
	Refunds            []RefundRef    `json:"refunds"`
}

// LineItem is an order line. For PlaceOrder, give SKU (or ProductID and
// VariationID) and Quantity; Price, Subtotal and Total default to the
// catalog price, SubtotalTax and TotalTax to zero.
type LineItem struct {
	ID          int64       `json:"id"`
	Name        string      `json:"name"`
	ProductID   int64       `json:"product_id"`
	VariationID int64       `json:"variation_id"`
	Quantity    int64       `json:"quantity"`
	TaxClass    string      `json:"tax_class"`
	Subtotal    string      `json:"subtotal"`
	SubtotalTax string      `json:"subtotal_tax"`
	Total       string      `json:"total"`
	TotalTax    string      `json:"total_tax"`
	Taxes       []LineTax   `json:"taxes"`
	MetaData    []MetaData  `json:"meta_data"`
	SKU         string      `json:"sku"`
	Price       json.Number `json:"price"` // a JSON number, as WooCommerce sends it
}

// LineTax is one tax rate's share of a line.
type LineTax struct {
	ID       int64  `json:"id"`
	Total    string `json:"total"`
	Subtotal string `json:"subtotal"`
}

// TaxLine is an order's total for one tax rate.
type TaxLine struct {
	ID               int64      `json:"id"`
	RateCode         string     `json:"rate_code"`
	RateID           int64      `json:"rate_id"`
	Label            string     `json:"label"`
	Compound         bool       `json:"compound"`
	TaxTotal         string     `json:"tax_total"`
	ShippingTaxTotal string     `json:"shipping_tax_total"`
	MetaData         []MetaData `json:"meta_data"`
}

// ShippingLine is a shipping method charged on an order.
type ShippingLine struct {
	ID          int64      `json:"id"`
	MethodTitle string     `json:"method_title"`
	MethodID    string     `json:"method_id"`
	Total       string     `json:"total"`
	TotalTax    string     `json:"total_tax"`
	Taxes       []LineTax  `json:"taxes"`
	MetaData    []MetaData `json:"meta_data"`
}

// FeeLine is a fee charged on an order.
type FeeLine struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	TaxClass  string     `json:"tax_class"`
	TaxStatus string     `json:"tax_status"`
	Total     string     `json:"total"`
	TotalTax  string     `json:"total_tax"`
	Taxes     []LineTax  `json:"taxes"`
	MetaData  []MetaData `json:"meta_data"`
}

// CouponLine is a coupon applied to an order.
type CouponLine struct {
	ID          int64      `json:"id"`
	Code        string     `json:"code"`
	Discount    string     `json:"discount"`
	DiscountTax string     `json:"discount_tax"`
	MetaData    []MetaData `json:"meta_data"`
}

// RefundRef is a refund as its order lists it; Total is negative.
type RefundRef struct {
	ID     int64  `json:"id"`
	Reason string `json:"reason"`
	Total  string `json:"total"`
}

// OrderNote is a note on an order (/orders/<id>/notes).
type OrderNote struct {
	ID             int64  `json:"id"`
	Author         string `json:"author"` // "system" for notes the shop adds
	DateCreated    string `json:"date_created"`
	DateCreatedGMT string `json:"date_created_gmt"`
	Note           string `json:"note"`
	CustomerNote   bool   `json:"customer_note"`
}

// Refund is a refund as GET /orders/<id>/refunds/<id> returns it.
type Refund struct {
	ID              int64          `json:"id"`
	DateCreated     string         `json:"date_created"`
	DateCreatedGMT  string         `json:"date_created_gmt"`
	Amount          string         `json:"amount"`
	Reason          string         `json:"reason"`
	RefundedBy      int64          `json:"refunded_by"`
	RefundedPayment bool           `json:"refunded_payment"`
	MetaData        []MetaData     `json:"meta_data"`
	LineItems       []LineItem     `json:"line_items"`
	ShippingLines   []ShippingLine `json:"shipping_lines"`
	TaxLines        []TaxLine      `json:"tax_lines"`
	FeeLines        []FeeLine      `json:"fee_lines"`
}

type orderRec struct {
	o                 Order
	created, modified time.Time
	paid, completed   *time.Time
	stockReduced      bool
	refundIDs         []int64
}

type noteRec struct {
	n       OrderNote
	created time.Time
}

type refundRec struct {
	r       Refund
	orderID int64
	created time.Time
}

var orderStatuses = []string{"pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "checkout-draft"}

var statusLabels = map[string]string{
	"pending": "Pending payment", "processing": "Processing", "on-hold": "On hold", "completed": "Completed",
	"cancelled": "Cancelled", "refunded": "Refunded", "failed": "Failed", "checkout-draft": "Draft", "trash": "Trash",
}

// wcVersion is the WooCommerce version the fake claims (orders' version,
// the webhook User-Agent).
const wcVersion = "9.8.5"

var orderSchema = []field{
	{name: "status", typ: tEnum, enum: orderStatuses},
	{name: "currency", typ: tString},
	{name: "customer_id", typ: tInt},
	{name: "customer_note", typ: tString},
	{name: "billing", typ: tObject},
	{name: "shipping", typ: tObject},
	{name: "payment_method", typ: tString},
	{name: "payment_method_title", typ: tString},
	{name: "transaction_id", typ: tString},
	{name: "meta_data", typ: tArray},
	{name: "line_items", typ: tArray},
	{name: "shipping_lines", typ: tArray},
	{name: "fee_lines", typ: tArray},
	{name: "coupon_lines", typ: tArray},
	{name: "set_paid", typ: tBool},
	{name: "parent_id", typ: tInt},
}

func (s *Server) renderOrder(r *orderRec) Order {
	o := r.o
	loc := s.cfg.loc
	o.DateCreated, o.DateCreatedGMT = localString(r.created, loc), gmtString(r.created)
	o.DateModified, o.DateModifiedGMT = localString(r.modified, loc), gmtString(r.modified)
	o.DatePaid, o.DatePaidGMT = optTime(r.paid, loc)
	o.DateCompleted, o.DateCompletedGMT = optTime(r.completed, loc)
	o.MetaData = cloneMeta(o.MetaData)
	o.LineItems, o.TaxLines, o.ShippingLines = nonNil(o.LineItems), nonNil(o.TaxLines), nonNil(o.ShippingLines)
	o.FeeLines, o.CouponLines = nonNil(o.FeeLines), nonNil(o.CouponLines)
	o.Refunds = []RefundRef{}
	for i := len(r.refundIDs) - 1; i >= 0; i-- {
		if f, ok := s.refunds[r.refundIDs[i]]; ok {
			o.Refunds = append(o.Refunds, RefundRef{ID: f.r.ID, Reason: f.r.Reason, Total: "-" + f.r.Amount})
		}
	}
	for i := range o.LineItems {
		o.LineItems[i].Taxes = nonNil(o.LineItems[i].Taxes)
		o.LineItems[i].MetaData = nonNil(o.LineItems[i].MetaData)
	}
	return o
}

// addressMembers replaces billing and shipping with the members
// WooCommerce sends for each (billing has email, shipping has none).
func addressMembers(o object, billing, shipping Address) object {
	for i := range o {
		switch o[i].k {
		case "billing":
			o[i].v = billingObject(billing)
		case "shipping":
			o[i].v = shippingObject(shipping)
		}
	}
	return o
}

func (s *Server) orderJSON(r *orderRec) object {
	o := s.renderOrder(r)
	obj := objectWithLinks(o, links("self", s.APIURL()+"/orders/"+itoa(o.ID), "collection", s.APIURL()+"/orders"))
	return addressMembers(obj, o.Billing, o.Shipping)
}

// ---- creating orders ----

func orderKey(id int64) string {
	sum := sha1.Sum([]byte("order" + itoa(id)))
	return "wc_order_" + hex.EncodeToString(sum[:])[:13]
}

// resolveLine fills a line from the catalog: product, variation, name,
// SKU and price.
func (s *Server) resolveLine(l *LineItem, now time.Time) *wpError {
	if l.SKU != "" && l.ProductID == 0 && l.VariationID == 0 {
		id := s.skuOwner(l.SKU)
		if v, ok := s.variations[id]; ok {
			l.ProductID, l.VariationID = v.v.ParentID, v.v.ID
		} else {
			l.ProductID = id
		}
	}
	if l.VariationID != 0 {
		v, ok := s.variations[l.VariationID]
		if !ok {
			return newError(http.StatusBadRequest, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
		}
		rv := s.renderVariation(v, now)
		l.ProductID, l.SKU = v.v.ParentID, rv.SKU
		l.Name = cmp.Or(l.Name, strings.ReplaceAll(rv.Name, " - ", " &ndash; "))
		if l.Price == "" {
			l.Price = json.Number(dec(rv.Price).String())
		}
		return nil
	}
	p, ok := s.products[l.ProductID]
	if !ok || l.ProductID == 0 {
		return newError(http.StatusBadRequest, "woocommerce_rest_invalid_product_id", "Product ID provided is invalid.")
	}
	rp := s.renderProduct(p, now)
	l.SKU, l.Name = rp.SKU, cmp.Or(l.Name, rp.Name)
	if l.Price == "" {
		l.Price = json.Number(dec(rp.Price).String())
	}
	return nil
}

// priceOrder numbers the lines and computes the totals.
func (s *Server) priceOrder(o *Order, now time.Time) *wpError {
	var cartTax, shipping, shippingTax, discount, fees, feeTax, lines decimal.Decimal
	for i := range o.LineItems {
		l := &o.LineItems[i]
		if l.Quantity == 0 {
			l.Quantity = 1
		}
		if err := s.resolveLine(l, now); err != nil {
			return err
		}
		l.ID = s.nextItem
		s.nextItem++
		price := dec(string(l.Price))
		if l.Subtotal == "" {
			l.Subtotal = money(price.Mul(decimal.NewFromInt(l.Quantity)))
		}
		if l.Total == "" {
			l.Total = l.Subtotal
		}
		l.SubtotalTax, l.TotalTax = cmp.Or(l.SubtotalTax, "0.00"), cmp.Or(l.TotalTax, "0.00")
		discount = discount.Add(dec(l.Subtotal).Sub(dec(l.Total)))
		cartTax = cartTax.Add(dec(l.TotalTax))
		lines = lines.Add(dec(l.Total))
	}
	for i := range o.ShippingLines {
		l := &o.ShippingLines[i]
		l.ID = s.nextItem
		s.nextItem++
		l.Total, l.TotalTax = money(dec(l.Total)), money(dec(l.TotalTax))
		shipping, shippingTax = shipping.Add(dec(l.Total)), shippingTax.Add(dec(l.TotalTax))
	}
	for i := range o.FeeLines {
		l := &o.FeeLines[i]
		l.ID = s.nextItem
		s.nextItem++
		l.Total, l.TotalTax = money(dec(l.Total)), money(dec(l.TotalTax))
		l.TaxStatus = cmp.Or(l.TaxStatus, "taxable")
		fees, feeTax = fees.Add(dec(l.Total)), feeTax.Add(dec(l.TotalTax))
	}
	for i := range o.CouponLines {
		l := &o.CouponLines[i]
		l.ID = s.nextItem
		s.nextItem++
		l.Discount, l.DiscountTax = money(dec(l.Discount)), money(dec(l.DiscountTax))
	}
	for i := range o.TaxLines {
		o.TaxLines[i].ID = s.nextItem
		s.nextItem++
	}
	o.DiscountTotal, o.DiscountTax = money(discount), cmp.Or(o.DiscountTax, "0.00")
	o.ShippingTotal, o.ShippingTax = money(shipping), money(shippingTax)
	o.CartTax = money(cartTax.Add(feeTax))
	o.TotalTax = money(cartTax.Add(shippingTax).Add(feeTax))
	o.Total = money(lines.Add(shipping).Add(fees).Add(cartTax).Add(shippingTax).Add(feeTax))
	return nil
}

// newOrder stores an order (the caller holds mu): it prices the lines,
// numbers the order, reduces stock when the status says it is paid, and
// announces order.created.
func (s *Server) newOrder(o Order, c *call) (*orderRec, *wpError) {
	if o.CustomerID != 0 {
		if _, ok := s.customers[o.CustomerID]; !ok {
			return nil, newError(http.StatusBadRequest, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
		}
	}
	o.Status = cmp.Or(o.Status, "pending")
	o.Currency = cmp.Or(o.Currency, s.cfg.currency)
	o.CreatedVia = cmp.Or(o.CreatedVia, "rest-api")
	o.Version = wcVersion
	if err := s.priceOrder(&o, c.now); err != nil {
		return nil, err
	}
	o.ID = s.nextPost
	s.nextPost++
	o.Number, o.OrderKey = itoa(o.ID), orderKey(o.ID)
	for i := range o.MetaData {
		o.MetaData[i].ID = s.nextMeta
		s.nextMeta++
	}
	r := &orderRec{o: o, created: c.now, modified: c.now}
	s.orders[o.ID] = r
	s.enterStatus(r, "", c)
	c.emit("order", "created", o.ID)
	return r, nil
}

// enterStatus does what WooCommerce does on reaching r's status: date paid
// and completed, stock reduced for paid states and restored for cancelled
// and pending ones.
func (s *Server) enterStatus(r *orderRec, from string, c *call) {
	to := r.o.Status
	if (to == "processing" || to == "completed") && r.paid == nil {
		t := c.now
		r.paid = &t
	}
	if to == "completed" {
		t := c.now
		r.completed = &t
	}
	switch to {
	case "processing", "completed", "on-hold":
		if !r.stockReduced {
			s.adjustStock(r, -1, c)
			r.stockReduced = true
		}
	case "cancelled", "pending":
		if r.stockReduced {
			s.adjustStock(r, +1, c)
			r.stockReduced = false
		}
	}
	if from != "" && from != to {
		s.addNote(r.o.ID, "Order status changed from "+statusLabels[from]+" to "+statusLabels[to]+".", false, "system", c.now)
	}
}

// adjustStock changes the managed stock of an order's lines by sign ×
// quantity; each product saved announces product.updated.
func (s *Server) adjustStock(r *orderRec, sign int64, c *call) {
	if c.quiet {
		return
	}
	for _, l := range r.o.LineItems {
		var st *stockFields
		if v, ok := s.variations[l.VariationID]; ok && l.VariationID != 0 && v.st.manage {
			st = &v.st
			v.modified = c.now
			c.emit("product", "updated", v.v.ID)
			if parent := s.products[v.v.ParentID]; parent != nil {
				s.syncParent(parent, c)
			}
		} else if p, ok := s.products[l.ProductID]; ok && p.st.manage {
			st = &p.st
			p.modified = c.now
			c.emit("product", "updated", p.p.ID)
		}
		if st == nil {
			continue
		}
		q := *st.qty + sign*l.Quantity
		st.qty = &q
		st.deriveStatus()
	}
}

func (s *Server) addNote(orderID int64, note string, customer bool, author string, now time.Time) *noteRec {
	n := &noteRec{n: OrderNote{ID: s.nextComment, Author: author, Note: note, CustomerNote: customer}, created: now}
	s.nextComment++
	s.notes[orderID] = append(s.notes[orderID], n)
	return n
}

// ---- REST handlers: orders ----

var orderOrderby = []string{"date", "id", "include", "title", "slug", "modified"}

func (s *Server) listOrders(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, orderOrderby, "date", "desc")
	df := qc.dates()
	statuses := qc.enumList("status", []string{"any"}, append([]string{"any", "trash"}, orderStatuses...))
	include, exclude, parents := qc.ids("include"), qc.ids("exclude"), qc.ids("parent")
	var customer, product *int64
	if qc.has("customer") {
		n := qc.integer("customer", 0, nil, nil)
		customer = &n
	}
	if qc.has("product") {
		n := qc.integer("product", 0, nil, nil)
		product = &n
	}
	search := qc.get("search")
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listed
	for _, r := range s.orders {
		o := r.o
		statusOK := slices.Contains(statuses, o.Status) || (slices.Contains(statuses, "any") && o.Status != "trash")
		switch {
		case !statusOK,
			include != nil && !slices.Contains(include, o.ID), slices.Contains(exclude, o.ID),
			parents != nil && !slices.Contains(parents, o.ParentID),
			customer != nil && o.CustomerID != *customer,
			product != nil && !slices.ContainsFunc(o.LineItems, func(l LineItem) bool { return l.ProductID == *product || l.VariationID == *product }),
			search != "" && !strings.Contains(strings.ToLower(o.Billing.FirstName+" "+o.Billing.LastName+" "+o.Billing.Email+" "+o.Number), strings.ToLower(search)),
			!df.match(r.created, r.modified, s.cfg.loc):
			continue
		}
		items = append(items, listed{id: o.ID, created: r.created, modified: r.modified, title: o.Number, slug: o.Number, body: func() any { return s.orderJSON(r) }})
	}
	sortListed(items, p, include)
	return s.pageReply(c, items, p), nil
}

func (s *Server) getOrder(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.orders[c.ids[0]]
	if !found {
		return nil, idError("shop_order", http.StatusNotFound)
	}
	return ok(s.orderJSON(r)), nil
}

type lineInput struct {
	ProductID   flexInt    `json:"product_id"`
	VariationID flexInt    `json:"variation_id"`
	Quantity    flexInt    `json:"quantity"`
	Name        flexString `json:"name"`
	Subtotal    flexString `json:"subtotal"`
	Total       flexString `json:"total"`
	Price       flexString `json:"price"`
	SKU         flexString `json:"sku"`
}

type chargeInput struct {
	MethodID    flexString `json:"method_id"`
	MethodTitle flexString `json:"method_title"`
	Name        flexString `json:"name"`
	Code        flexString `json:"code"`
	Total       flexString `json:"total"`
	Discount    flexString `json:"discount"`
}

func (s *Server) createOrder(c *call) (*reply, *wpError) {
	raw, in, err := s.checkInput(c, orderSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createOrderLocked(c, raw, in)
}

func (s *Server) createOrderLocked(c *call, raw, in map[string]any) (*reply, *wpError) {
	if id, _ := restInteger(raw["id"]); id != 0 {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_shop_order_exists", "Cannot create existing shop_order.")
	}
	o := Order{}
	s.orderFields(&o, in)
	if v, ok := in["line_items"]; ok {
		var lines []lineInput
		remarshal(v, &lines)
		for _, l := range lines {
			o.LineItems = append(o.LineItems, LineItem{ProductID: int64(l.ProductID), VariationID: int64(l.VariationID),
				Quantity: int64(l.Quantity), Name: string(l.Name), Subtotal: string(l.Subtotal), Total: string(l.Total),
				Price: json.Number(string(l.Price)), SKU: string(l.SKU)})
		}
	}
	if v, ok := in["shipping_lines"]; ok {
		var lines []chargeInput
		remarshal(v, &lines)
		for _, l := range lines {
			o.ShippingLines = append(o.ShippingLines, ShippingLine{MethodID: string(l.MethodID), MethodTitle: string(l.MethodTitle), Total: string(l.Total)})
		}
	}
	if v, ok := in["fee_lines"]; ok {
		var lines []chargeInput
		remarshal(v, &lines)
		for _, l := range lines {
			o.FeeLines = append(o.FeeLines, FeeLine{Name: string(l.Name), Total: string(l.Total)})
		}
	}
	if v, ok := in["coupon_lines"]; ok {
		var lines []chargeInput
		remarshal(v, &lines)
		for _, l := range lines {
			o.CouponLines = append(o.CouponLines, CouponLine{Code: string(l.Code), Discount: string(l.Discount)})
		}
	}
	if paid, _ := in["set_paid"].(bool); paid {
		o.Status = "processing"
	}
	var meta []MetaData
	if v, ok := in["meta_data"]; ok {
		meta = s.applyMeta(nil, v)
	}
	o.MetaData = meta
	r, err := s.newOrder(o, c)
	if err != nil {
		return nil, err
	}
	return created(s.orderJSON(r), s.APIURL()+"/orders/"+itoa(r.o.ID)), nil
}

// orderFields applies the plain order fields of checked input.
func (s *Server) orderFields(o *Order, in map[string]any) {
	str := func(k string, dst *string) {
		if v, ok := in[k].(string); ok {
			*dst = v
		}
	}
	str("status", &o.Status)
	str("currency", &o.Currency)
	str("customer_note", &o.CustomerNote)
	str("payment_method", &o.PaymentMethod)
	str("payment_method_title", &o.PaymentMethodTitle)
	str("transaction_id", &o.TransactionID)
	if v, ok := in["customer_id"].(int64); ok {
		o.CustomerID = v
	}
	if v, ok := in["parent_id"].(int64); ok {
		o.ParentID = v
	}
	if v, ok := in["billing"]; ok {
		applyAddress(&o.Billing, v)
	}
	if v, ok := in["shipping"]; ok {
		applyAddress(&o.Shipping, v)
		o.Shipping.Email = ""
	}
}

func (s *Server) updateOrder(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, orderSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateOrderLocked(c, c.ids[0], in)
}

func (s *Server) batchOrders(c *call) (*reply, *wpError) {
	return s.batch(c, batchOps{
		schema: orderSchema,
		create: s.createOrderLocked,
		update: s.updateOrderLocked,
		delete: func(c *call, id int64) (*reply, *wpError) { return s.deleteOrderLocked(c, id, true) },
	})
}

func (s *Server) updateOrderLocked(c *call, id int64, in map[string]any) (*reply, *wpError) {
	r, found := s.orders[id]
	if !found {
		return nil, idError("shop_order", http.StatusBadRequest)
	}
	if err := s.saveOrder(r, in, c); err != nil {
		return nil, err
	}
	return ok(s.orderJSON(r)), nil
}

// saveOrder applies an update: plain fields, meta data, set_paid and the
// status with its side effects; every save stamps date_modified and
// announces order.updated.
func (s *Server) saveOrder(r *orderRec, in map[string]any, c *call) *wpError {
	if v, ok := in["customer_id"].(int64); ok && v != 0 {
		if _, exists := s.customers[v]; !exists {
			return newError(http.StatusBadRequest, "woocommerce_rest_invalid_customer_id", "Customer ID is invalid.")
		}
	}
	from := r.o.Status
	s.orderFields(&r.o, in)
	if paid, _ := in["set_paid"].(bool); paid {
		t := c.now
		r.paid = &t
		if slices.Contains([]string{"pending", "on-hold", "failed", "cancelled"}, r.o.Status) {
			r.o.Status = "processing"
		}
	}
	if v, ok := in["meta_data"]; ok {
		r.o.MetaData = s.applyMeta(r.o.MetaData, v)
	}
	r.modified = c.now
	s.enterStatus(r, from, c)
	c.emit("order", "updated", r.o.ID)
	return nil
}

func (s *Server) deleteOrder(c *call) (*reply, *wpError) {
	force, _ := restBoolean(c.q.Get("force"))
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteOrderLocked(c, c.ids[0], force)
}

func (s *Server) deleteOrderLocked(c *call, id int64, force bool) (*reply, *wpError) {
	r, found := s.orders[id]
	if !found {
		return nil, idError("shop_order", http.StatusNotFound)
	}
	body := s.orderJSON(r)
	if force {
		delete(s.orders, r.o.ID)
		delete(s.notes, r.o.ID)
		return ok(body), nil
	}
	if r.o.Status == "trash" {
		return nil, newError(http.StatusGone, "woocommerce_rest_already_trashed", "The shop_order has already been deleted.")
	}
	r.o.Status = "trash"
	r.modified = c.now
	c.emit("order", "deleted", r.o.ID)
	return ok(s.orderJSON(r)), nil
}

// ---- notes ----

func errOrderID() *wpError {
	return newError(http.StatusNotFound, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
}

func (s *Server) noteJSON(orderID int64, n *noteRec) json.RawMessage {
	note := n.n
	note.DateCreated, note.DateCreatedGMT = localString(n.created, s.cfg.loc), gmtString(n.created)
	base := s.APIURL() + "/orders/" + itoa(orderID) + "/notes"
	return withLinks(note, links("self", base+"/"+itoa(note.ID), "collection", base, "up", s.APIURL()+"/orders/"+itoa(orderID)))
}

func (s *Server) listNotes(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	typ := qc.enum("type", "any", []string{"any", "customer", "internal"})
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found := s.orders[c.ids[0]]; !found {
		return nil, errOrderID()
	}
	notes := slices.Clone(s.notes[c.ids[0]])
	slices.SortStableFunc(notes, func(a, b *noteRec) int {
		if d := b.created.Compare(a.created); d != 0 {
			return d
		}
		return int(b.n.ID - a.n.ID)
	})
	out := []any{}
	for _, n := range notes {
		if typ == "customer" && !n.n.CustomerNote || typ == "internal" && n.n.CustomerNote {
			continue
		}
		out = append(out, s.noteJSON(c.ids[0], n))
	}
	return ok(out), nil
}

func (s *Server) getNote(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found := s.orders[c.ids[0]]; !found {
		return nil, errOrderID()
	}
	for _, n := range s.notes[c.ids[0]] {
		if n.n.ID == c.ids[1] {
			return ok(s.noteJSON(c.ids[0], n)), nil
		}
	}
	return nil, newError(http.StatusNotFound, "woocommerce_rest_invalid_id", "Invalid resource ID.")
}

var noteSchema = []field{{name: "note", typ: tString}, {name: "customer_note", typ: tBool}, {name: "added_by_user", typ: tBool}}

func (s *Server) createNote(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, noteSchema)
	if err != nil {
		return nil, err
	}
	note, _ := in["note"].(string)
	if _, given := in["note"]; !given {
		return nil, errMissingParams("note")
	}
	if strings.TrimSpace(note) == "" {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_invalid_order_note", "Cannot create order note, please try again.")
	}
	customer, _ := in["customer_note"].(bool)
	author := "system"
	if byUser, _ := in["added_by_user"].(bool); byUser {
		author = "admin"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found := s.orders[c.ids[0]]; !found {
		return nil, errOrderID()
	}
	n := s.addNote(c.ids[0], note, customer, author, c.now)
	return created(s.noteJSON(c.ids[0], n), s.APIURL()+"/orders/"+itoa(c.ids[0])+"/notes/"+itoa(n.n.ID)), nil
}

// ---- refunds ----

// refundGateways are the payment methods whose gateway can refund through
// the API; for the others api_refund=true fails, as in WooCommerce.
var refundGateways = []string{"stripe", "paypal", "ppcp-gateway", "woocommerce_payments", "kontor_test"}

func (s *Server) refundJSON(f *refundRec) json.RawMessage {
	r := f.r
	r.DateCreated, r.DateCreatedGMT = localString(f.created, s.cfg.loc), gmtString(f.created)
	r.MetaData, r.LineItems = cloneMeta(r.MetaData), nonNil(r.LineItems)
	r.ShippingLines, r.TaxLines, r.FeeLines = nonNil(r.ShippingLines), nonNil(r.TaxLines), nonNil(r.FeeLines)
	base := s.APIURL() + "/orders/" + itoa(f.orderID) + "/refunds"
	return withLinks(r, links("self", base+"/"+itoa(r.ID), "collection", base, "up", s.APIURL()+"/orders/"+itoa(f.orderID)))
}

func (s *Server) listRefunds(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, orderOrderby, "date", "desc")
	df := qc.dates()
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.orders[c.ids[0]]
	if !found {
		return nil, errOrderID()
	}
	var items []listed
	for _, id := range r.refundIDs {
		f := s.refunds[id]
		if !df.match(f.created, f.created, s.cfg.loc) {
			continue
		}
		items = append(items, listed{id: id, created: f.created, modified: f.created, body: func() any { return s.refundJSON(f) }})
	}
	sortListed(items, p, nil)
	return s.pageReply(c, items, p), nil
}

func (s *Server) getRefund(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found := s.orders[c.ids[0]]; !found {
		return nil, errOrderID()
	}
	f, found := s.refunds[c.ids[1]]
	if !found || f.orderID != c.ids[0] {
		return nil, idError("shop_order_refund", http.StatusNotFound)
	}
	return ok(s.refundJSON(f)), nil
}

var refundSchema = []field{
	{name: "amount", typ: tDecimal},
	{name: "reason", typ: tString},
	{name: "refunded_by", typ: tInt},
	{name: "meta_data", typ: tArray},
	{name: "line_items", typ: tArray},
	{name: "api_refund", typ: tBool},
	{name: "api_restock", typ: tBool},
}

type refundLineInput struct {
	ID          flexInt    `json:"id"`
	Quantity    flexInt    `json:"quantity"`
	RefundTotal flexString `json:"refund_total"`
}

func (s *Server) createRefund(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, refundSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.orders[c.ids[0]]
	if !found {
		return nil, errOrderID()
	}
	spec := RefundSpec{APIRefund: true, APIRestock: true}
	spec.Amount, _ = in["amount"].(string)
	spec.Reason, _ = in["reason"].(string)
	if v, ok := in["api_refund"].(bool); ok {
		spec.APIRefund = v
	}
	if v, ok := in["api_restock"].(bool); ok {
		spec.APIRestock = v
	}
	if v, ok := in["line_items"]; ok {
		var lines []refundLineInput
		remarshal(v, &lines)
		for _, l := range lines {
			spec.Lines = append(spec.Lines, RefundLine{ItemID: int64(l.ID), Quantity: int64(l.Quantity), Total: string(l.RefundTotal)})
		}
	}
	f, err := s.refund(r, spec, c)
	if err != nil {
		return nil, err
	}
	if v, ok := in["meta_data"]; ok {
		f.r.MetaData = s.applyMeta(nil, v)
	}
	if by, ok := in["refunded_by"].(int64); ok {
		f.r.RefundedBy = by
	}
	return created(s.refundJSON(f), s.APIURL()+"/orders/"+itoa(r.o.ID)+"/refunds/"+itoa(f.r.ID)), nil
}

// RefundSpec describes a refund for RefundOrder (and what POST
// /orders/<id>/refunds carries).
type RefundSpec struct {
	Amount     string       // the amount; defaults to the sum of the lines' totals
	Reason     string       // why
	Lines      []RefundLine // refunded lines; their quantities go back to stock when APIRestock
	APIRefund  bool         // refund through the payment gateway (only some gateways can)
	APIRestock bool         // put refunded quantities back into stock
}

// RefundLine is one refunded order line.
type RefundLine struct {
	ItemID   int64  // the line item's id
	Quantity int64  // items refunded
	Total    string // amount refunded for the line
}

// refund creates a refund (the caller holds mu).
func (s *Server) refund(r *orderRec, spec RefundSpec, c *call) (*refundRec, *wpError) {
	amount := dec(spec.Amount)
	if strings.TrimSpace(spec.Amount) == "" {
		for _, l := range spec.Lines {
			amount = amount.Add(dec(l.Total))
		}
	}
	if !amount.IsPositive() {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_invalid_order_refund", "Refund amount must be greater than zero.")
	}
	refunded := decimal.Zero
	for _, id := range r.refundIDs {
		refunded = refunded.Add(dec(s.refunds[id].r.Amount))
	}
	remaining := dec(r.o.Total).Sub(refunded)
	if amount.GreaterThan(remaining) {
		return nil, newError(http.StatusInternalServerError, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
	}
	if spec.APIRefund && !slices.Contains(refundGateways, r.o.PaymentMethod) {
		return nil, newError(http.StatusInternalServerError, "woocommerce_rest_cannot_create_order_refund",
			"The payment gateway for this order does not support automatic refunds.")
	}
	f := &refundRec{orderID: r.o.ID, created: c.now, r: Refund{ID: s.nextPost, Amount: money(amount), Reason: spec.Reason,
		RefundedBy: 1, RefundedPayment: spec.APIRefund}}
	s.nextPost++
	for _, l := range spec.Lines {
		for _, item := range r.o.LineItems {
			if item.ID != l.ItemID {
				continue
			}
			f.r.LineItems = append(f.r.LineItems, LineItem{ID: s.nextItem, Name: item.Name, ProductID: item.ProductID,
				VariationID: item.VariationID, Quantity: -l.Quantity, Subtotal: "-" + money(dec(l.Total)), SubtotalTax: "0.00",
				Total: "-" + money(dec(l.Total)), TotalTax: "0.00", SKU: item.SKU, Price: item.Price,
				MetaData: []MetaData{{ID: s.nextMeta, Key: "_refunded_item_id", Value: itoa(item.ID)}}})
			s.nextItem++
			s.nextMeta++
			if spec.APIRestock && l.Quantity > 0 {
				back := orderRec{o: Order{LineItems: []LineItem{{ProductID: item.ProductID, VariationID: item.VariationID, Quantity: l.Quantity}}}}
				s.adjustStock(&back, +1, c)
			}
		}
	}
	s.refunds[f.r.ID] = f
	r.refundIDs = append(r.refundIDs, f.r.ID)
	r.modified = c.now
	if amount.Equal(remaining) {
		from := r.o.Status
		r.o.Status = "refunded"
		s.enterStatus(r, from, c)
	}
	note := "Refunded " + money(amount) + " " + r.o.Currency
	if spec.Reason != "" {
		note += " – " + spec.Reason
	}
	s.addNote(r.o.ID, note, false, "system", c.now)
	c.emit("order", "updated", r.o.ID)
	return f, nil
}
