package businesscentral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// ChargeLine is the document line a charge becomes (a shipping charge, a
// fee, an amount-only credit): an item (a service item such as "FREIGHT")
// or a G/L account.
type ChargeLine struct {
	// LineType is "Item" or "Account".
	LineType string
	// Number is the item number or the G/L account number.
	Number string
}

// chargeOption checks line and stores it in *dst.
func chargeOption(what string, line ChargeLine, dst func(*options) **ChargeLine) Option {
	return func(o *options) error {
		if (line.LineType != "Item" && line.LineType != "Account") || line.Number == "" {
			return fmt.Errorf(`businesscentral: a %s line needs LineType "Item" or "Account" and a Number`, what)
		}
		*dst(o) = &line
		return nil
	}
}

// WithShippingCharge writes an order's shipping charges as lines of line.
// Without it, an order with a shipping charge above zero fails: the
// charge would otherwise be lost from the sales order. ReadShipments
// leaves the charge line out of shipments: the shop has no such line.
func WithShippingCharge(line ChargeLine) Option {
	return chargeOption("shipping charge", line, func(o *options) **ChargeLine { return &o.shippingCharge })
}

// WithFeeCharge writes an order's fees (kontor.Order.Fees: cash on
// delivery, a payment surcharge, a handling fee) as lines of line, one
// per fee, titled with the fee's title. Without it, an order with a fee
// above zero fails validation naming the fee: the charge would otherwise
// be lost from the sales order. Like the shipping charge, ReadShipments
// leaves the fee line out of shipments.
func WithFeeCharge(line ChargeLine) Option {
	return chargeOption("fee charge", line, func(o *options) **ChargeLine { return &o.feeCharge })
}

// WithGuestCustomer sells orders whose customer has neither an ERP key nor
// a customer number to the Business Central customer with this number (a
// "web shop" customer), with the order's addresses on the document, instead
// of creating a customer for every guest.
func WithGuestCustomer(number string) Option {
	return func(o *options) error { o.guestCustomer = number; return nil }
}

// WithShipmentMethods maps the shop's shipping methods (Order.ShippingInfo.Method)
// to shipment method codes of Business Central, which the order then
// carries. Unmapped methods leave the customer's default.
func WithShipmentMethods(codes map[string]string) Option {
	return func(o *options) error { o.shipmentMethods = maps.Clone(codes); return nil }
}

// WithPaymentTerms maps the shop's payment methods (Order.Payment.Method) to
// payment terms codes of Business Central ("PREPAID" for a paid card
// payment, "14 DAYS" for invoice), which the order then carries. The
// standard salesOrder has no payment method, transaction id or payment
// status field; see WithOrderFields.
func WithPaymentTerms(codes map[string]string) Option {
	return func(o *options) error { o.paymentTerms = maps.Clone(codes); return nil }
}

// WithOrderFields adds fields to every sales order the connector creates,
// computed from the shop's order: fields an API extension adds (the
// standard page has none for a payment's transaction id or gateway), or
// standard ones the connector does not set (salesperson, shortcut
// dimensions). They win over the connector's own.
func WithOrderFields(fn func(kontor.Order) map[string]any) Option {
	return func(o *options) error { o.orderFields = fn; return nil }
}

// lineTarget is what an order line's SKU is in Business Central.
type lineTarget struct {
	itemNumber string
	variantID  string // empty for the item itself
}

// cache is a bounded map safe for concurrent use: resolved SKUs (items
// rarely change their number) and variant codes by id. When full it starts
// over.
type cache[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

const cacheMax = 100_000

func (s *cache[V]) get(k string) (V, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok
}

func (s *cache[V]) put(k string, v V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil || len(s.m) >= cacheMax {
		s.m = make(map[string]V)
	}
	s.m[k] = v
}

// codeCache holds the ids of shipment methods and payment terms by code.
type codeCache struct {
	mu    sync.Mutex
	byset map[string]map[string]string // entity set → upper-case code → id
}

// codeID returns the id of the record with code in the entity set set,
// reading the (small) set once.
func (c *Connector) codeID(ctx context.Context, set, code string) (string, error) {
	cc := &c.codes
	cc.mu.Lock()
	ids, ok := cc.byset[set]
	cc.mu.Unlock()
	if !ok {
		u, err := c.companyURL(ctx, set)
		if err != nil {
			return "", err
		}
		ids = map[string]string{}
		for raw, err := range c.collection(ctx, u, (&query{}).set("$select", "id,code")) {
			if err != nil {
				return "", err
			}
			var r struct{ ID, Code string }
			if json.Unmarshal(raw, &r) == nil && r.Code != "" {
				ids[strings.ToUpper(r.Code)] = r.ID
			}
		}
		cc.mu.Lock()
		if cc.byset == nil {
			cc.byset = map[string]map[string]string{}
		}
		cc.byset[set] = ids
		cc.mu.Unlock()
	}
	id, ok := ids[strings.ToUpper(code)]
	if !ok {
		return "", fmt.Errorf("Business Central has no %s with the code %q", set, code)
	}
	return id, nil
}

// Document field lengths of the Sales Header and Sales Line tables.
const (
	maxExternalDocNo = 35
	maxItemNo        = 20
	maxDescription   = 100
)

var addressLimits = []struct {
	suffix, field string
	max           int
}{
	{"AddressLine1", "street", 100}, {"AddressLine2", "street2", 50}, {"City", "city", 30},
	{"Country", "country", 10}, {"State", "region", 30}, {"PostCode", "postal_code", 20},
}

// addressFields sets the document address fields prefix… (sellTo, billTo,
// shipTo) from a, checking their lengths.
func addressFields(body map[string]any, prefix string, a kontor.Address, key, field string) error {
	vals := map[string]string{"AddressLine1": a.Street, "AddressLine2": a.Street2, "City": a.City,
		"Country": strings.ToUpper(a.Country), "State": a.Region, "PostCode": a.PostalCode}
	for _, l := range addressLimits {
		v := vals[l.suffix]
		if n := utf8.RuneCountInString(v); n > l.max {
			return &kontor.ValidationError{Entity: kontor.EntityOrder, Key: key, Field: field + "." + l.field,
				Reason: fmt.Sprintf("is %d characters, Business Central's %s%s holds %d", n, prefix, l.suffix, l.max)}
		}
		body[prefix+l.suffix] = v
	}
	return nil
}

// addressName is who an address is for: the person, else the company.
func addressName(a kontor.Address) string {
	if n := personName(a.FirstName, a.LastName); n != "" {
		return n
	}
	return a.Company
}

// cut shortens s to n characters; for descriptions, which are for people.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// orderPlan is one order on its way.
type orderPlan struct {
	i       int // index in the batch
	o       kontor.Order
	extNo   string
	targets []lineTarget // per line
	cust    kontor.Customer
	custBy  string // "id", "number", "guest" or "ensure"
	custRef string // the customer id or number the document names
}

// WriteOrders creates sales orders, each with its lines in one request
// (deep insert), many orders per $batch request.
//
// The shop's order number becomes the externalDocumentNumber (upper case:
// it is a Code field). Before creating, the connector reads the sales
// orders with the numbers of the batch ($filter=externalDocumentNumber eq
// '…'), and an order found is Unchanged with its existing key: a retried,
// repeated or duplicated order is never created twice, also after a batch
// that failed midway. An order that was fully shipped and invoiced is no
// longer a sales order in Business Central; the engine's idempotency
// records keep it from coming again.
//
// Lines are items: a SKU is an item number, else an item number, the
// variant separator and a variant code. The customer is the order's
// customer, found by ERP key, created if missing by number (or e-mail
// address), or the guest customer of WithGuestCustomer. The order's
// billing address is the sell-to address and its shipping address the
// ship-to address. Shipping charges and fees are lines of the charge
// items or accounts of WithShippingCharge and WithFeeCharge. Unit prices and line discounts are sent in the order's
// own convention: the Business Central customer's "Prices Including VAT"
// must match Order.PricesIncludeTax; Business Central computes the tax
// itself from its posting setup, and a total that differs from the shop's
// is logged.
func (c *Connector) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	company, err := c.CompanyID(ctx)
	if err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(orders))
	fail := func(i int, err error) { results[i].Outcome, results[i].Err = kontor.Failed, err }
	var plans []*orderPlan
	first := map[string]int{} // external number → index of its first order
	dups := map[int]int{}     // index → index of the same order earlier in the batch
	for i, o := range orders {
		results[i].Key = o.Key()
		if err := o.Validate(); err != nil {
			fail(i, err)
			continue
		}
		if err := c.checkOrder(o); err != nil {
			fail(i, err)
			continue
		}
		ext := strings.ToUpper(o.Number)
		if j, ok := first[ext]; ok {
			dups[i] = j
			continue
		}
		first[ext] = i
		plans = append(plans, &orderPlan{i: i, o: o, extNo: ext, targets: make([]lineTarget, len(o.Lines))})
	}

	// Round 1: which orders exist, and which SKUs are items.
	var ops []batchOp
	for _, p := range plans {
		ops = append(ops, getOp(companyPath(company, "salesOrders"), filtered(eq("externalDocumentNumber", p.extNo)).
			set("$select", "id,number,externalDocumentNumber,lastModifiedDateTime")))
	}
	skus := c.unresolvedSKUs(plans)
	for _, sku := range skus {
		ops = append(ops, getOp(companyPath(company, "items"), filtered(eq("number", strings.ToUpper(sku))).set("$select", "id,number")))
	}
	rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
	if err != nil {
		return nil, err
	}
	var todo []*orderPlan
	for k, p := range plans {
		existing, err := foundDocument(rs[k], kontor.EntityOrder, p.o.Number)
		switch {
		case err != nil:
			fail(p.i, err)
		case existing != nil:
			results[p.i].Outcome = kontor.Unchanged
			results[p.i].Target = kontor.Meta{ERPKey: existing.ID, UpdatedAt: existing.LastModified}
		default:
			todo = append(todo, p)
		}
	}
	variants, err := c.resolveItems(ctx, company, skus, rs[len(plans):])
	if err != nil {
		return nil, err
	}
	if err := c.resolveVariants(ctx, company, variants); err != nil {
		return nil, err
	}
	todo = c.planLines(todo, fail)

	// Round 2: the customers must exist.
	todo, err = c.planCustomers(ctx, todo, fail)
	if err != nil {
		return nil, err
	}

	// Round 3: create.
	ops = ops[:0]
	var created []*orderPlan
	var cur kontor.Currency
	if len(todo) > 0 {
		if cur, err = c.companyCurrency(ctx); err != nil {
			return nil, err
		}
	}
	for _, p := range todo {
		body, err := c.orderBody(ctx, p, cur)
		if err != nil {
			fail(p.i, err)
			continue
		}
		created = append(created, p)
		ops = append(ops, postOp(companyPath(company, "salesOrders"), body))
	}
	if len(ops) > 0 {
		rs, err = c.runOps(ctx, ops, batchMode{atomic: c.opt.atomic[kontor.EntityOrder]})
		if err != nil {
			return nil, err
		}
		for k, p := range created {
			c.orderCreated(ctx, p, rs[k], &results[p.i])
		}
	}
	for i, j := range dups {
		results[i].Outcome, results[i].Target, results[i].Err = results[j].Outcome, results[j].Target, results[j].Err
		if results[i].Err == nil {
			results[i].Outcome = kontor.Unchanged // the same order, once
		}
	}
	return results, nil
}

// checkOrder checks what Business Central needs beyond Validate.
func (c *Connector) checkOrder(o kontor.Order) error {
	field := func(f, reason string, args ...any) error {
		return &kontor.ValidationError{Entity: kontor.EntityOrder, Key: o.Number, Field: f, Reason: fmt.Sprintf(reason, args...)}
	}
	if n := utf8.RuneCountInString(o.Number); n > maxExternalDocNo {
		return field("number", "is %d characters, Business Central's externalDocumentNumber holds %d", n, maxExternalDocNo)
	}
	for i, l := range o.Lines {
		if n := utf8.RuneCountInString(l.SKU); n > maxItemNo+11 {
			return field(fmt.Sprintf("lines[%d].sku", i), "is %d characters, too long for an item number and variant code", n)
		}
	}
	for i, s := range o.ShippingLines {
		if !s.Gross.Amount.IsZero() && c.opt.shippingCharge == nil {
			return field(fmt.Sprintf("shipping_lines[%d]", i),
				"a shipping charge needs a charge line in Business Central: configure WithShippingCharge")
		}
	}
	for i, f := range o.Fees {
		if !f.Gross.Amount.IsZero() && c.opt.feeCharge == nil {
			return field(fmt.Sprintf("fees[%d]", i), "a fee needs a charge line in Business Central: configure WithFeeCharge")
		}
	}
	cu := o.Customer
	if cu.ERPKey == "" && cu.Number == "" && c.opt.guestCustomer == "" && cu.Email == "" {
		return field("customer.number", "the order's customer needs an ERP key, a number or an e-mail address, or configure WithGuestCustomer")
	}
	return nil
}

// docRef is a document found by its external number.
type docRef struct {
	ID             string    `json:"id"`
	Number         string    `json:"number"`
	CustomerID     string    `json:"customerId"`
	CustomerNumber string    `json:"customerNumber"`
	LastModified   time.Time `json:"lastModifiedDateTime"`
}

// foundDocument reads a lookup by external document number: the document,
// or nil when there is none.
func foundDocument(r opResult, e kontor.Entity, key string) (*docRef, error) {
	vals, err := collectionValues(r)
	if err != nil {
		var cl kontor.Classified
		if errors.As(err, &cl) {
			return nil, err
		}
		return nil, kontor.NewError(kontor.KindRetryable, System+" "+string(e)+" lookup", err)
	}
	if len(vals) == 0 {
		return nil, nil
	}
	var d docRef
	if err := json.Unmarshal(vals[0], &d); err != nil || d.ID == "" {
		if err == nil {
			err = errors.New("no id")
		}
		return nil, malformed(e, key, err)
	}
	return &d, nil
}

// unresolvedSKUs returns the distinct line SKUs of the plans that are not
// in the cache.
func (c *Connector) unresolvedSKUs(plans []*orderPlan) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range plans {
		for _, l := range p.o.Lines {
			if _, ok := c.skus.get(l.SKU); ok || seen[l.SKU] {
				continue
			}
			seen[l.SKU] = true
			out = append(out, l.SKU)
		}
	}
	return out
}

// resolveItems reads the item lookups of skus and returns the SKUs that
// are no item, to be tried as variants.
func (c *Connector) resolveItems(_ context.Context, _ string, skus []string, rs []opResult) ([]string, error) {
	var rest []string
	for k, sku := range skus {
		vals, err := collectionValues(rs[k])
		if err != nil {
			var cl kontor.Classified
			if errors.As(err, &cl) && !cl.ErrorKind().Retryable() && cl.ErrorKind() != kontor.KindUnknown {
				rest = append(rest, sku) // e.g. a number too long: not an item
				continue
			}
			return nil, err
		}
		if len(vals) == 0 {
			rest = append(rest, sku)
			continue
		}
		var it struct{ Number string }
		if json.Unmarshal(vals[0], &it) != nil || it.Number == "" {
			return nil, kontor.NewError(kontor.KindRetryable, System+" item lookup", errors.New("malformed item"))
		}
		c.skus.put(sku, lineTarget{itemNumber: it.Number})
	}
	return rest, nil
}

// resolveVariants looks the SKUs up as item number + separator + variant
// code, splitting at the last separator.
func (c *Connector) resolveVariants(ctx context.Context, company string, skus []string) error {
	var ops []batchOp
	var asked []string
	for _, sku := range skus {
		i := strings.LastIndex(sku, c.opt.variantSep)
		if i <= 0 || i+len(c.opt.variantSep) >= len(sku) {
			continue
		}
		item, code := sku[:i], sku[i+len(c.opt.variantSep):]
		asked = append(asked, sku)
		ops = append(ops, getOp(companyPath(company, "itemVariants"),
			filtered(and(eq("itemNumber", strings.ToUpper(item)), eq("code", strings.ToUpper(code)))).set("$select", "id,itemId,itemNumber,code")))
	}
	if len(ops) == 0 {
		return nil
	}
	rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
	if err != nil {
		return err
	}
	for k, sku := range asked {
		vals, err := collectionValues(rs[k])
		if err != nil || len(vals) == 0 {
			continue // no such variant: the order fails naming the line
		}
		var v bcVariant
		if json.Unmarshal(vals[0], &v) != nil || v.ID == "" || v.ItemNumber == "" {
			continue
		}
		c.skus.put(sku, lineTarget{itemNumber: v.ItemNumber, variantID: v.ID})
		c.variants.put(strings.ToLower(v.ID), variantRef{itemNumber: v.ItemNumber, code: v.Code})
	}
	return nil
}

// planLines fills the line targets, failing orders with an unknown SKU.
func (c *Connector) planLines(plans []*orderPlan, fail func(int, error)) []*orderPlan {
	var out []*orderPlan
next:
	for _, p := range plans {
		for j, l := range p.o.Lines {
			t, ok := c.skus.get(l.SKU)
			if !ok {
				fail(p.i, &kontor.ValidationError{Entity: kontor.EntityOrder, Key: p.o.Number, Field: fmt.Sprintf("lines[%d].sku", j),
					Reason: "Business Central has no item with this number, nor an item variant by item number and code"})
				continue next
			}
			p.targets[j] = t
		}
		out = append(out, p)
	}
	return out
}

// planCustomers decides each order's customer and makes those that must
// exist exist.
func (c *Connector) planCustomers(ctx context.Context, plans []*orderPlan, fail func(int, error)) ([]*orderPlan, error) {
	var ensure []kontor.Customer
	var who []*orderPlan
	for _, p := range plans {
		cu := p.o.Customer
		switch {
		case cu.ERPKey != "":
			p.custBy, p.custRef = "id", cu.ERPKey
		case cu.Number == "" && c.opt.guestCustomer != "":
			p.custBy, p.custRef = "guest", c.opt.guestCustomer
		default:
			if len(cu.Addresses) == 0 {
				b := p.o.Billing
				b.Kind, b.IsDefault = "billing", true
				cu.Addresses = []kontor.Address{b}
			}
			if cu.Phone == "" {
				cu.Phone = p.o.Billing.Phone
			}
			p.custBy, p.cust = "ensure", cu
			ensure = append(ensure, cu)
			who = append(who, p)
		}
	}
	if len(ensure) == 0 {
		return plans, nil
	}
	rs, err := c.upsertCustomers(ctx, ensure, true)
	if err != nil {
		return nil, err
	}
	failed := map[*orderPlan]bool{}
	for k, p := range who {
		if rs[k].err != nil {
			fail(p.i, fmt.Errorf("the order's customer: %w", rs[k].err))
			failed[p] = true
			continue
		}
		p.custRef = rs[k].cust.ID
	}
	var out []*orderPlan
	for _, p := range plans {
		if !failed[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

// orderBody builds the deep-insert body of a sales order.
func (c *Connector) orderBody(ctx context.Context, p *orderPlan, lcy kontor.Currency) (map[string]any, error) {
	o := p.o
	b := map[string]any{
		"externalDocumentNumber": p.extNo,
		"orderDate":              edmDate{time.Date(o.PlacedAt.Year(), o.PlacedAt.Month(), o.PlacedAt.Day(), 0, 0, 0, 0, time.UTC)},
	}
	switch p.custBy {
	case "guest":
		b["customerNumber"] = p.custRef
		if n := addressName(o.Billing); n != "" {
			b["customerName"] = cut(n, 100)
		}
	default:
		b["customerId"] = p.custRef
	}
	if o.Currency != lcy {
		b["currencyCode"] = string(o.Currency)
	}
	if e := o.Customer.Email; e != "" && utf8.RuneCountInString(e) <= 80 {
		b["email"] = e
	}
	if ph := firstNonEmpty(o.Customer.Phone, o.Billing.Phone); ph != "" && utf8.RuneCountInString(ph) <= 30 {
		b["phoneNumber"] = ph
	}
	if err := addressFields(b, "sellTo", o.Billing, o.Number, "billing"); err != nil {
		return nil, err
	}
	ship := o.Shipping
	if ship.IsZero() {
		ship = o.Billing
	}
	if err := addressFields(b, "shipTo", ship, o.Number, "shipping"); err != nil {
		return nil, err
	}
	if n := addressName(ship); n != "" {
		b["shipToName"] = cut(n, 100)
		if ship.Company != "" && personName(ship.FirstName, ship.LastName) != "" {
			b["shipToName"] = cut(ship.Company, 100)
			b["shipToContact"] = cut(personName(ship.FirstName, ship.LastName), 100)
		}
	}
	if code, ok := c.opt.shipmentMethods[o.ShippingInfo.Method]; ok && o.ShippingInfo.Method != "" {
		id, err := c.codeID(ctx, "shipmentMethods", code)
		if err != nil {
			return nil, &kontor.ValidationError{Entity: kontor.EntityOrder, Key: o.Number, Field: "shipping_info.method", Reason: err.Error()}
		}
		b["shipmentMethodId"] = id
	}
	if code, ok := c.opt.paymentTerms[o.Payment.Method]; ok && o.Payment.Method != "" {
		id, err := c.codeID(ctx, "paymentTerms", code)
		if err != nil {
			return nil, &kontor.ValidationError{Entity: kontor.EntityOrder, Key: o.Number, Field: "payment.method", Reason: err.Error()}
		}
		b["paymentTermsId"] = id
	}
	var discount decimal.Decimal
	for _, d := range o.Discounts {
		if !d.Allocated {
			discount = discount.Add(d.Amount.Amount)
		}
	}
	if !discount.IsZero() {
		b["discountAmount"] = dec(discount)
	}
	lines := make([]map[string]any, 0, len(o.Lines)+len(o.ShippingLines)+len(o.Fees))
	for j, l := range o.Lines {
		t := p.targets[j]
		line := map[string]any{
			"lineType":         "Item",
			"lineObjectNumber": t.itemNumber,
			"quantity":         dec(l.Quantity),
			"unitPrice":        dec(l.UnitPrice.Amount),
		}
		if t.variantID != "" {
			line["itemVariantId"] = t.variantID
		}
		if l.Title != "" {
			line["description"] = cut(l.Title, maxDescription)
		}
		if !l.Discount.Amount.IsZero() {
			line["discountAmount"] = dec(l.Discount.Amount)
		}
		lines = append(lines, line)
	}
	// A charge is one line of quantity 1 priced in the order's convention.
	charge := func(line *ChargeLine, title string, net, gross kontor.Money) {
		if gross.Amount.IsZero() {
			return
		}
		amount := net.Amount
		if o.PricesIncludeTax {
			amount = gross.Amount
		}
		lines = append(lines, map[string]any{
			"lineType":         line.LineType,
			"lineObjectNumber": line.Number,
			"description":      cut(title, maxDescription),
			"quantity":         1,
			"unitPrice":        dec(amount),
		})
	}
	for _, s := range o.ShippingLines {
		charge(c.opt.shippingCharge, firstNonEmpty(s.Title, s.Code, "Shipping"), s.Net, s.Gross)
	}
	for _, f := range o.Fees {
		charge(c.opt.feeCharge, firstNonEmpty(f.Title, f.Code, "Fee"), f.Net, f.Gross)
	}
	b["salesOrderLines"] = lines
	if c.opt.orderFields != nil {
		maps.Copy(b, c.opt.orderFields(o))
	}
	return b, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// orderCreated reads a create's result into the order's result.
func (c *Connector) orderCreated(ctx context.Context, p *orderPlan, r opResult, res *kontor.Result) {
	if r.err != nil {
		res.Outcome, res.Err = kontor.Failed, r.err
		return
	}
	var so struct {
		ID                      string    `json:"id"`
		Number                  string    `json:"number"`
		TotalAmountIncludingTax num       `json:"totalAmountIncludingTax"`
		LastModified            time.Time `json:"lastModifiedDateTime"`
	}
	if err := json.Unmarshal(r.body, &so); err != nil || so.ID == "" {
		// Created, but the response does not say as what: a repeat finds it.
		res.Outcome = kontor.Failed
		res.Err = &kontor.APIError{System: System, Op: "POST salesOrders", Kind: kontor.KindRetryable, StatusCode: r.status,
			Message: "the response to a created sales order has no id"}
		return
	}
	res.Outcome = kontor.Created
	res.Target = kontor.Meta{ERPKey: so.ID, UpdatedAt: so.LastModified}
	if t := so.TotalAmountIncludingTax; t.set && !t.IsZero() {
		want := p.o.TotalGross.Amount
		if tol := kontor.OrderTolerance(p.o.Currency, len(p.o.Lines)+len(p.o.ShippingLines)+len(p.o.Fees)); t.Sub(want).Abs().GreaterThan(tol) {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: the sales order's total differs from the shop's",
				slog.String("order", p.o.Number), slog.String("sales_order", so.Number),
				slog.String("total_bc", t.String()), slog.String("total_shop", want.String()))
		}
	}
}
