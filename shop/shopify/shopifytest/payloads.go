package shopifytest

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Webhook payloads. Shopify's webhooks carry the REST representation of a
// resource, not the GraphQL one: snake_case keys, numeric IDs (which exceed
// 2^53 here, as they can in reality), amounts as strings and an
// admin_graphql_api_id with the GID. The order follows the fixture
// rest_order.go-shopify.json, the inventory level rest_inventory_level
// (unwrapped, as the webhook sends it), the product rest_product.

func (s *Server) restTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	loc, err := time.LoadLocation(s.cfg.timezone)
	if err != nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.RFC3339)
}

func amount(d decimal.Decimal) string { return d.StringFixed(2) }

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func restAddress(a *address) any {
	if a == nil {
		return nil
	}
	return map[string]any{
		"first_name": nilIfEmpty(a.firstName), "last_name": nilIfEmpty(a.lastName),
		"name": strings.TrimSpace(a.firstName + " " + a.lastName), "company": nilIfEmpty(a.company),
		"address1": nilIfEmpty(a.address1), "address2": nilIfEmpty(a.address2), "city": nilIfEmpty(a.city),
		"province": nilIfEmpty(a.province), "province_code": nilIfEmpty(a.provinceCode), "zip": nilIfEmpty(a.zip),
		"country": nilIfEmpty(countryName(a.countryCode)), "country_code": nilIfEmpty(a.countryCode),
		"phone": nilIfEmpty(a.phone), "latitude": nil, "longitude": nil,
	}
}

func restTaxLines(ts []taxLine) []any {
	out := []any{}
	for _, t := range ts {
		rate, _ := t.rate.Float64()
		out = append(out, map[string]any{"title": t.title, "rate": rate, "price": amount(t.price), "channel_liable": false})
	}
	return out
}

func (s *Server) restCustomer(c *customer) map[string]any {
	if c == nil {
		return nil
	}
	var def any
	if len(c.addresses) > 0 {
		a := restAddress(c.addresses[0]).(map[string]any)
		a["id"] = gidNumber(c.addresses[0].id)
		a["customer_id"] = c.num
		a["default"] = true
		def = a
	}
	return map[string]any{
		"id": c.num, "email": nilIfEmpty(c.email), "phone": nilIfEmpty(c.phone),
		"first_name": nilIfEmpty(c.firstName), "last_name": nilIfEmpty(c.lastName),
		"created_at": s.restTime(c.createdAt), "updated_at": s.restTime(c.updatedAt),
		"state": strings.ToLower(c.state), "note": nilIfEmpty(c.note), "verified_email": c.email != "",
		"tax_exempt": c.taxExempt, "tags": strings.Join(c.tags, ", "), "currency": s.st.shop.currency,
		"default_address": def, "admin_graphql_api_id": c.id,
	}
}

func (s *Server) restLineItem(l *lineItem) map[string]any {
	m := map[string]any{
		"id": l.num, "admin_graphql_api_id": l.id, "title": l.title, "name": l.title, "sku": l.sku,
		"variant_title": nilIfEmpty(l.varTitle), "vendor": nilIfEmpty(l.vendor), "quantity": l.quantity,
		"current_quantity": l.quantity - l.refunded, "fulfillable_quantity": max(0, l.quantity-l.refunded-l.fulfilled),
		"price": amount(l.price), "total_discount": amount(l.discount), "taxable": l.taxable,
		"requires_shipping": l.requires, "gift_card": false, "fulfillment_service": "manual", "grams": l.grams,
		"tax_lines": restTaxLines(l.taxLines), "properties": []any{}, "product_exists": l.variant != nil,
		"variant_id": nil, "product_id": nil, "fulfillment_status": nil,
		"price_set": moneySet(l.price, l.order.currency),
	}
	if l.variant != nil {
		m["variant_id"] = l.variant.num
		m["product_id"] = l.variant.product.num
	}
	switch {
	case l.fulfilled >= l.quantity-l.refunded && l.fulfilled > 0:
		m["fulfillment_status"] = "fulfilled"
	case l.fulfilled > 0:
		m["fulfillment_status"] = "partial"
	}
	return m
}

func moneySet(d decimal.Decimal, cur string) map[string]any {
	m := map[string]any{"amount": amount(d), "currency_code": cur}
	return map[string]any{"shop_money": m, "presentment_money": m}
}

func (s *Server) restOrder(o *order) map[string]any {
	lines := []any{}
	for _, l := range o.lines {
		lines = append(lines, s.restLineItem(l))
	}
	ships := []any{}
	for _, sl := range o.shipLines {
		ships = append(ships, map[string]any{
			"id": sl.num, "title": sl.title, "code": nilIfEmpty(sl.code), "source": nilIfEmpty(sl.source),
			"price": amount(sl.price), "discounted_price": amount(sl.price.Sub(sl.discount)),
			"carrier_identifier": nilIfEmpty(sl.carrier), "tax_lines": restTaxLines(sl.taxLines), "phone": nil,
		})
	}
	codes := []any{}
	apps := []any{}
	for _, d := range o.discounts {
		typ, val := "fixed_amount", decimal.Zero
		if d.percentage != nil {
			typ, val = "percentage", *d.percentage
		} else if d.amount != nil {
			val = *d.amount
		}
		app := map[string]any{
			"type":  map[string]string{"code": "discount_code", "manual": "manual", "automatic": "automatic"}[d.kind],
			"value": val.StringFixed(2), "value_type": typ, "allocation_method": strings.ToLower(d.allocation),
			"target_selection": strings.ToLower(d.selection), "target_type": strings.ToLower(d.target),
		}
		if d.kind == "code" {
			app["code"] = d.code
			amt := decimal.Zero
			for _, l := range o.lines {
				if l.discApp == d {
					amt = amt.Add(l.discount)
				}
			}
			for _, sl := range o.shipLines {
				amt = amt.Add(sl.discount)
			}
			codes = append(codes, map[string]any{"code": d.code, "amount": amount(amt), "type": typ})
		} else {
			app["title"] = d.title
		}
		apps = append(apps, app)
	}
	gateways := []any{}
	seen := map[string]bool{}
	for _, t := range o.transactions {
		if t.gateway != "" && !seen[t.gateway] {
			seen[t.gateway] = true
			gateways = append(gateways, t.gateway)
		}
	}
	fuls := []any{}
	for _, f := range o.fulfillments {
		fuls = append(fuls, s.restFulfillment(f))
	}
	refs := []any{}
	for _, r := range o.refunds {
		refs = append(refs, s.restRefund(r))
	}
	fs := map[string]any{"FULFILLED": "fulfilled", "PARTIALLY_FULFILLED": "partial"}[o.fulfillmentStatus()]
	m := map[string]any{
		"id": o.num, "admin_graphql_api_id": o.id, "name": o.name, "number": o.number - 1000, "order_number": o.number,
		"email": nilIfEmpty(o.email), "contact_email": nilIfEmpty(o.email), "phone": nilIfEmpty(o.phone),
		"created_at": s.restTime(o.createdAt), "updated_at": s.restTime(o.updatedAt), "processed_at": s.restTime(o.processedAt),
		"cancelled_at": s.restTime(o.cancelledAt), "cancel_reason": nilIfEmpty(strings.ToLower(o.cancelReason)),
		"closed_at": s.restTime(o.closedAt), "currency": o.currency, "presentment_currency": o.currency,
		"financial_status": strings.ToLower(o.financial), "fulfillment_status": fs,
		"taxes_included": o.taxesIncluded, "test": o.test, "confirmed": true,
		"total_price": amount(o.total()), "current_total_price": amount(o.total().Sub(o.refunded())),
		"subtotal_price": amount(o.lineSubtotal()), "total_tax": amount(o.taxTotal()),
		"total_discounts": amount(o.discountTotal()), "total_line_items_price": amount(o.lineSubtotal().Add(lineDiscounts(o))),
		"total_shipping_price_set": moneySet(o.shippingTotal(), o.currency), "total_outstanding": amount(o.outstanding()),
		"total_price_set": moneySet(o.total(), o.currency), "total_weight": totalWeight(o), "total_tip_received": "0.00",
		"line_items": lines, "shipping_lines": ships, "tax_lines": restTaxLines(orderTaxLines(o)),
		"discount_codes": codes, "discount_applications": apps, "payment_gateway_names": gateways,
		"billing_address": restAddress(o.billing), "shipping_address": restAddress(o.shipping),
		"customer": s.restCustomer(o.customer), "fulfillments": fuls, "refunds": refs,
		"note": nilIfEmpty(o.note), "tags": strings.Join(o.tags, ", "), "note_attributes": []any{},
		"source_name": o.sourceName, "po_number": nilIfEmpty(o.poNumber), "company": nil,
		"buyer_accepts_marketing": false, "gateway": nil,
	}
	if len(gateways) > 0 {
		m["gateway"] = gateways[0]
	}
	if o.compLoc != nil {
		m["company"] = map[string]any{"id": o.compLoc.company.num, "location_id": gidNumber(o.compLoc.id)}
	}
	return m
}

func lineDiscounts(o *order) decimal.Decimal {
	s := decimal.Zero
	for _, l := range o.lines {
		s = s.Add(l.discount)
	}
	return s
}

func orderTaxLines(o *order) []taxLine {
	var sums []taxLine
	add := func(t taxLine) {
		for i := range sums {
			if sums[i].title == t.title && sums[i].rate.Equal(t.rate) {
				sums[i].price = sums[i].price.Add(t.price)
				return
			}
		}
		sums = append(sums, t)
	}
	for _, l := range o.lines {
		for _, t := range l.taxLines {
			add(t)
		}
	}
	for _, sl := range o.shipLines {
		for _, t := range sl.taxLines {
			add(t)
		}
	}
	return sums
}

func (s *Server) restFulfillment(f *fulfillment) map[string]any {
	lines := []any{}
	for _, fl := range f.lines {
		m := s.restLineItem(fl.line)
		m["quantity"] = fl.quantity
		lines = append(lines, m)
	}
	var nums, urls []any
	for _, t := range f.tracking {
		if t.number != "" {
			nums = append(nums, t.number)
		}
		if t.url != "" {
			urls = append(urls, t.url)
		}
	}
	if nums == nil {
		nums = []any{}
	}
	if urls == nil {
		urls = []any{}
	}
	m := map[string]any{
		"id": f.num, "admin_graphql_api_id": f.id, "order_id": f.order.num, "name": f.name,
		"status": strings.ToLower(f.status), "created_at": s.restTime(f.createdAt), "updated_at": s.restTime(f.updatedAt),
		"service": "manual", "shipment_status": nil, "location_id": nil, "line_items": lines,
		"tracking_company": nil, "tracking_number": nil, "tracking_url": nil,
		"tracking_numbers": nums, "tracking_urls": urls, "notify_customer": f.notify,
	}
	if f.location != nil {
		m["location_id"] = f.location.num
	}
	if len(f.tracking) > 0 {
		m["tracking_company"] = nilIfEmpty(f.tracking[0].company)
		m["tracking_number"] = nilIfEmpty(f.tracking[0].number)
		m["tracking_url"] = nilIfEmpty(f.tracking[0].url)
	}
	return m
}

func (s *Server) restTransaction(t *transaction) map[string]any {
	m := map[string]any{
		"id": t.num, "admin_graphql_api_id": t.id, "order_id": t.order.num, "kind": strings.ToLower(t.kind),
		"status": strings.ToLower(t.status), "gateway": t.gateway, "amount": amount(t.amount),
		"currency": t.order.currency, "authorization": nilIfEmpty(t.authCode), "test": t.test,
		"created_at": s.restTime(t.createdAt), "processed_at": s.restTime(t.createdAt), "parent_id": nil,
	}
	if t.parent != nil {
		m["parent_id"] = t.parent.num
	}
	return m
}

func (s *Server) restRefund(r *refund) map[string]any {
	lines := []any{}
	for _, rl := range r.lines {
		unit := rl.line.price.Sub(rl.line.unitDiscount())
		m := map[string]any{
			"id": rl.num, "line_item_id": rl.line.num, "quantity": rl.quantity,
			"restock_type": strings.ToLower(rl.restock), "location_id": nil,
			"subtotal":  amount(unit.Mul(decimal.NewFromInt(int64(rl.quantity)))),
			"line_item": s.restLineItem(rl.line),
		}
		if rl.location != nil {
			m["location_id"] = rl.location.num
		}
		lines = append(lines, m)
	}
	txs := []any{}
	for _, t := range r.txs {
		txs = append(txs, s.restTransaction(t))
	}
	m := map[string]any{
		"id": r.num, "admin_graphql_api_id": r.id, "order_id": r.order.num, "note": nilIfEmpty(r.note),
		"created_at": s.restTime(r.createdAt), "processed_at": s.restTime(r.createdAt),
		"restock":           len(r.lines) > 0 && r.lines[0].restock != "NO_RESTOCK",
		"refund_line_items": lines, "transactions": txs, "order_adjustments": []any{},
	}
	if r.ret != nil {
		m["return"] = map[string]any{"id": r.ret.num, "admin_graphql_api_id": r.ret.id}
	}
	return m
}

// restReturn is the returns/request body: the return as a GraphQL-ID'd
// object, the shape Shopify documents for the returns topics.
func (s *Server) restReturn(r *orderReturn) map[string]any {
	lines := []any{}
	for _, rl := range r.lines {
		lines = append(lines, map[string]any{
			"id": rl.num, "admin_graphql_api_id": rl.id, "quantity": rl.quantity,
			"return_reason": strings.ToLower(rl.reason), "return_reason_note": rl.note, "customer_note": nilIfEmpty(rl.customer),
			"fulfillment_line_item": map[string]any{
				"id": rl.fline.num, "admin_graphql_api_id": rl.fline.id,
				"line_item": map[string]any{"id": rl.fline.line.num, "admin_graphql_api_id": rl.fline.line.id, "sku": rl.fline.line.sku},
			},
		})
	}
	return map[string]any{
		"id": r.num, "admin_graphql_api_id": r.id, "name": r.name, "status": strings.ToLower(r.status),
		"order":                   map[string]any{"id": r.order.num, "admin_graphql_api_id": r.order.id},
		"total_return_line_items": len(r.lines), "return_line_items": lines,
		"created_at": s.restTime(r.createdAt),
	}
}

func (s *Server) restVariant(v *variant) map[string]any {
	var opts [3]any
	for i := range opts {
		if i < len(v.options) {
			opts[i] = v.options[i]
		}
	}
	if len(v.options) == 0 {
		opts[0] = "Default Title"
	}
	m := map[string]any{
		"id": v.num, "admin_graphql_api_id": v.id, "product_id": v.product.num, "title": v.title(),
		"price": amount(v.price), "compare_at_price": nil, "sku": v.sku, "barcode": nilIfEmpty(v.barcode),
		"position": v.position(), "inventory_policy": strings.ToLower(v.policy), "taxable": v.taxable,
		"option1": opts[0], "option2": opts[1], "option3": opts[2],
		"created_at": s.restTime(v.createdAt), "updated_at": s.restTime(v.updatedAt),
		"inventory_item_id": v.item.num, "inventory_quantity": variantAvailable(v),
		"old_inventory_quantity": variantAvailable(v), "requires_shipping": v.requiresShip,
		"inventory_management": nil, "fulfillment_service": "manual", "image_id": nil,
	}
	w := v.item.weightOrDefault()
	m["grams"], m["weight"], m["weight_unit"] = w.grams(), w.value, restWeightUnit[w.unit]
	if v.compareAt != nil {
		m["compare_at_price"] = amount(*v.compareAt)
	}
	if v.item.tracked {
		m["inventory_management"] = "shopify"
	}
	return m
}

func (s *Server) restProduct(p *product) map[string]any {
	variants := []any{}
	for _, v := range p.variants {
		variants = append(variants, s.restVariant(v))
	}
	opts := []any{}
	for i, o := range p.options {
		vals := []string{}
		for _, v := range o.values {
			vals = append(vals, v.name)
		}
		opts = append(opts, map[string]any{"id": gidNumber(o.id), "product_id": p.num, "name": o.name, "position": i + 1, "values": vals})
	}
	if len(opts) == 0 {
		opts = append(opts, map[string]any{"id": p.num, "product_id": p.num, "name": "Title", "position": 1, "values": []string{"Default Title"}})
	}
	images := []any{}
	for i, m := range p.media {
		images = append(images, map[string]any{
			"id": gidNumber(m.id), "product_id": p.num, "position": i + 1, "alt": nilIfEmpty(m.alt), "src": m.url,
			"admin_graphql_api_id": gid("ProductImage", gidNumber(m.id)),
		})
	}
	var image any
	if len(images) > 0 {
		image = images[0]
	}
	return map[string]any{
		"id": p.num, "admin_graphql_api_id": p.id, "title": p.title, "body_html": p.descHTML, "vendor": p.vendor,
		"product_type": p.productType, "handle": p.handle, "status": strings.ToLower(p.status),
		"created_at": s.restTime(p.createdAt), "updated_at": s.restTime(p.updatedAt), "published_at": s.restTime(p.publishedAt),
		"template_suffix": nilIfEmpty(p.template), "published_scope": "global", "tags": strings.Join(p.tags, ", "),
		"variants": variants, "options": opts, "images": images, "image": image,
		"variant_gids": variantGIDs(p),
	}
}

func variantGIDs(p *product) []any {
	out := []any{}
	for _, v := range p.variants {
		out = append(out, map[string]any{"admin_graphql_api_id": v.id, "updated_at": v.updatedAt.UTC().Format(time.RFC3339Nano)})
	}
	return out
}

// restInventoryLevel is the inventory_levels/update body.
func (s *Server) restInventoryLevel(l *inventoryLevel) map[string]any {
	return map[string]any{
		"inventory_item_id": l.item.num, "location_id": l.location.num, "available": l.qty["available"],
		"updated_at": s.restTime(l.updatedAt), "admin_graphql_api_id": levelID(l),
	}
}

func (s *Server) restShop() map[string]any {
	sh := s.st.shop
	return map[string]any{
		"id": gidNumber(sh.id), "name": sh.name, "email": sh.email, "domain": sh.domain, "myshopify_domain": sh.domain,
		"currency": sh.currency, "iana_timezone": sh.timezone, "taxes_included": sh.taxesIncluded,
		"plan_name": "partner_test", "country_code": "DE",
	}
}

func (s *Server) restCompany(c *company) map[string]any {
	return map[string]any{
		"id": c.num, "admin_graphql_api_id": c.id, "name": c.name, "external_id": nilIfEmpty(c.externalID),
		"note": nilIfEmpty(c.note), "created_at": s.restTime(c.createdAt), "updated_at": s.restTime(c.updatedAt),
		"customer_since": s.restTime(c.since),
	}
}

func (s *Server) restBulkFinish(b *bulkOp) map[string]any {
	return map[string]any{
		"admin_graphql_api_id": b.id, "completed_at": s.restTime(b.completedAt), "created_at": s.restTime(b.createdAt),
		"error_code": nilIfEmpty(strings.ToLower(b.errorCode)), "status": strings.ToLower(b.status), "type": strings.ToLower(b.typ),
	}
}

// totalWeight is an order's weight in grams: its lines' weight times
// their quantity.
func totalWeight(o *order) int64 {
	var g int64
	for _, l := range o.lines {
		g += l.grams * int64(l.quantity)
	}
	return g
}
