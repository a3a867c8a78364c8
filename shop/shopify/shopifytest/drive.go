package shopifytest

import (
	"context"
	"fmt"
	"strings"
)

// Driving plays the customer and the merchant: each method changes the
// shop as the action would and sends the webhooks Shopify sends for it,
// signed, to every subscribed URL. It returns once those deliveries were
// attempted (see Deliveries for their outcome); ctx bounds the wait.

// drive runs f and delivers the webhooks it fired.
func (s *Server) drive(ctx context.Context, f func(r *reqCtx) error) error {
	events, err := s.change(f)
	if len(events) > 0 {
		if _, werr := s.fire(ctx, events); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// PlaceOrder places an order as a customer does in the checkout: it takes
// the stock of its lines from available into committed at the fulfilling
// location, records the payment and fires orders/create (with orders/paid
// for a paid order and inventory_levels/update for each level).
func (s *Server) PlaceOrder(ctx context.Context, in OrderInput) (Order, error) {
	var out Order
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.placeOrder(r, in)
		if err != nil {
			return err
		}
		out = s.orderOf(o)
		return nil
	})
	return out, err
}

func (s *Server) orderFor(r *reqCtx, key string) (*order, error) {
	o := r.st.orderByNameOrID(key)
	if o == nil {
		return nil, fmt.Errorf("shopifytest: no order %q", key)
	}
	return o, nil
}

// UpdateOrder changes an order's note, tags, e-mail or shipping address
// and fires orders/updated.
func (s *Server) UpdateOrder(ctx context.Context, key string, u OrderUpdate) (Order, error) {
	var out Order
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.orderFor(r, key)
		if err != nil {
			return err
		}
		if u.Note != nil {
			o.note = *u.Note
		}
		if u.Tags != nil {
			o.tags = normalizeTags(u.Tags)
		}
		if u.Email != nil {
			o.email = *u.Email
		}
		if u.ShippingAddress != nil {
			o.shipping = newAddress(r.st, u.ShippingAddress)
		}
		o.updatedAt = r.now
		r.fire("orders/updated", s.restOrder(o))
		out = s.orderOf(o)
		return nil
	})
	return out, err
}

// CancelOrder cancels an order as the merchant does: reason is an
// OrderCancelReason (default CUSTOMER); a paid order is refunded; restock
// returns the unshipped units to available. It fires orders/cancelled and
// orders/updated (and refunds/create).
func (s *Server) CancelOrder(ctx context.Context, key, reason string, restock bool) (Order, error) {
	var out Order
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.orderFor(r, key)
		if err != nil {
			return err
		}
		if e := s.cancelOrder(r, o, orDefault(strings.ToUpper(reason), "CUSTOMER"), true, restock); e != nil {
			return fmt.Errorf("shopifytest: %s", e.Message)
		}
		out = s.orderOf(o)
		return nil
	})
	return out, err
}

// MarkOrderPaid records the outstanding amount as paid (capturing an
// authorization) and fires orders/paid and orders/updated.
func (s *Server) MarkOrderPaid(ctx context.Context, key string) (Order, error) {
	var out Order
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.orderFor(r, key)
		if err != nil {
			return err
		}
		if e := s.markPaid(r, o); e != nil {
			return fmt.Errorf("shopifytest: %s", e.Message)
		}
		out = s.orderOf(o)
		return nil
	})
	return out, err
}

// FulfillOrder ships order lines from the order's location, as the
// merchant does in the admin, and fires fulfillments/create and
// orders/updated (and orders/fulfilled once everything shipped).
func (s *Server) FulfillOrder(ctx context.Context, key string, in FulfillInput) (Fulfillment, error) {
	var out Fulfillment
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.orderFor(r, key)
		if err != nil {
			return err
		}
		var reqs []foRequest
		for _, fo := range o.fos {
			if fo.status != "OPEN" && fo.status != "IN_PROGRESS" {
				continue
			}
			rq := foRequest{fo: fo, lines: map[*foLine]int{}}
			for _, lq := range in.Lines {
				for _, fl := range fo.lines {
					if fl.line.sku == lq.SKU {
						rq.lines[fl] += lq.Quantity
					}
				}
			}
			if len(in.Lines) > 0 && len(rq.lines) == 0 {
				continue
			}
			reqs = append(reqs, rq)
		}
		if len(reqs) == 0 {
			return fmt.Errorf("shopifytest: order %s has nothing to fulfill", o.name)
		}
		var tracks []tracking
		for _, t := range in.Tracking {
			tracks = append(tracks, tracking{company: t.Company, number: t.Number, url: t.URL})
		}
		f, errs := s.fulfill(r, reqs, tracks, in.NotifyCustomer)
		if errs != nil {
			return fmt.Errorf("shopifytest: %s", errs[0].Message)
		}
		out = fulfillmentOf(f)
		return nil
	})
	return out, err
}

// RefundOrder refunds order lines (and shipping), restocking those marked
// so, and fires refunds/create and orders/updated.
func (s *Server) RefundOrder(ctx context.Context, key string, in RefundInput) (Refund, error) {
	var out Refund
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.orderFor(r, key)
		if err != nil {
			return err
		}
		rf, err := s.refundOrder(r, o, in)
		if err != nil {
			return err
		}
		out = refundOf(rf)
		return nil
	})
	return out, err
}

// RequestReturn records a customer's request to return fulfilled lines and
// fires returns/request and orders/updated.
func (s *Server) RequestReturn(ctx context.Context, key string, lines []ReturnLine) (Return, error) {
	var out Return
	err := s.drive(ctx, func(r *reqCtx) error {
		o, err := s.orderFor(r, key)
		if err != nil {
			return err
		}
		ret, err := s.requestReturn(r, o, lines)
		if err != nil {
			return err
		}
		out = Return{ID: ret.id, Name: ret.name, Status: ret.status}
		for _, l := range ret.lines {
			out.Lines = append(out.Lines, ReturnLine{SKU: l.fline.line.sku, Quantity: l.quantity, Reason: l.reason, Note: l.note})
		}
		return nil
	})
	return out, err
}

// SetStock sets the available quantity of sku at a location (ID or name),
// stocking the variant there if needed, as a merchant's count does, and
// fires inventory_levels/update when it changed.
func (s *Server) SetStock(ctx context.Context, sku, location string, available int) error {
	return s.drive(ctx, func(r *reqCtx) error {
		l, err := s.levelFor(r, sku, location)
		if err != nil {
			return err
		}
		if l.qty["available"] == available {
			return nil
		}
		l.qty["available"] = available
		touch(l, r.now)
		r.fire("inventory_levels/update", s.restInventoryLevel(l))
		return nil
	})
}

// AdjustStock adds delta to the available quantity of sku at a location
// and fires inventory_levels/update.
func (s *Server) AdjustStock(ctx context.Context, sku, location string, delta int) error {
	return s.drive(ctx, func(r *reqCtx) error {
		l, err := s.levelFor(r, sku, location)
		if err != nil {
			return err
		}
		if delta == 0 {
			return nil
		}
		l.qty["available"] += delta
		touch(l, r.now)
		r.fire("inventory_levels/update", s.restInventoryLevel(l))
		return nil
	})
}

func (s *Server) levelFor(r *reqCtx, sku, location string) (*inventoryLevel, error) {
	v := r.st.variantBySKU(sku)
	if v == nil || sku == "" {
		return nil, fmt.Errorf("shopifytest: no variant with SKU %q", sku)
	}
	loc := r.st.locationByIDOrName(location)
	if loc == nil {
		return nil, fmt.Errorf("shopifytest: no location %q", location)
	}
	return ensureLevel(r.st, v.item, loc, r.now), nil
}

// EditProduct changes the product with the ID, handle or an SKU the way
// the merchant does in the admin: edit gets a copy to change, which then
// replaces the product (variants matched by ID, then SKU). It fires
// products/update when something changed.
func (s *Server) EditProduct(ctx context.Context, key string, edit func(*Product)) (Product, error) {
	var out Product
	err := s.drive(ctx, func(r *reqCtx) error {
		p := s.findProduct(key)
		if p == nil {
			return fmt.Errorf("shopifytest: no product %q", key)
		}
		cur := s.productOf(p)
		edit(&cur)
		before := s.restProductKey(p)
		if _, err := s.storeProduct(r, p, cur); err != nil {
			return err
		}
		if s.restProductKey(p) != before {
			r.fire("products/update", s.restProduct(p))
		}
		out = s.productOf(p)
		return nil
	})
	return out, err
}

// Uninstall uninstalls the app: it fires app/uninstalled and revokes the
// access token, so every later request gets 401 until RestoreToken.
func (s *Server) Uninstall(ctx context.Context) error {
	err := s.drive(ctx, func(r *reqCtx) error {
		r.fire("app/uninstalled", s.restShop())
		return nil
	})
	s.RevokeToken()
	return err
}

// RequestCustomerData sends customers/data_request for a customer, with
// the IDs of their orders, to the compliance URL.
func (s *Server) RequestCustomerData(ctx context.Context, customerID string) error {
	return s.drive(ctx, func(r *reqCtx) error {
		c, ok := lookup[*customer](r.st, customerID)
		if !ok {
			return fmt.Errorf("shopifytest: no customer %q", customerID)
		}
		id, n := r.st.newID("DataRequest")
		_ = id
		r.fire("customers/data_request", map[string]any{
			"shop_id": gidNumber(r.st.shop.id), "shop_domain": s.cfg.domain,
			"orders_requested": s.orderNums(c), "customer": complianceCustomer(c), "data_request": map[string]any{"id": n},
		})
		return nil
	})
}

// RedactCustomer sends customers/redact for a customer, with the IDs of
// the orders to redact, to the compliance URL.
func (s *Server) RedactCustomer(ctx context.Context, customerID string) error {
	return s.drive(ctx, func(r *reqCtx) error {
		c, ok := lookup[*customer](r.st, customerID)
		if !ok {
			return fmt.Errorf("shopifytest: no customer %q", customerID)
		}
		c.redacted = true
		r.fire("customers/redact", map[string]any{
			"shop_id": gidNumber(r.st.shop.id), "shop_domain": s.cfg.domain,
			"customer": complianceCustomer(c), "orders_to_redact": s.orderNums(c),
		})
		return nil
	})
}

// RedactShop sends shop/redact, as Shopify does 48 hours after an
// uninstall, to the compliance URL.
func (s *Server) RedactShop(ctx context.Context) error {
	return s.drive(ctx, func(r *reqCtx) error {
		r.fire("shop/redact", map[string]any{"shop_id": gidNumber(r.st.shop.id), "shop_domain": s.cfg.domain})
		return nil
	})
}

func complianceCustomer(c *customer) map[string]any {
	return map[string]any{"id": c.num, "email": nilIfEmpty(c.email), "phone": nilIfEmpty(c.phone)}
}

func (s *Server) orderNums(c *customer) []int64 {
	out := []int64{}
	for _, o := range s.st.orders {
		if o.customer == c {
			out = append(out, o.num)
		}
	}
	return out
}
