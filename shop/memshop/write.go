package memshop

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// WriteProducts creates or updates products by SKU: Unchanged when the
// content is identical. A discontinued product is archived. Every product
// created or changed announces "products/update".
func (s *Shop) WriteProducts(ctx context.Context, products []kontor.Product) ([]kontor.Result, error) {
	var events []Event
	rs, err := memconn.Write(ctx, s.sys, "WriteProducts", kontor.EntityProduct, products,
		func(p *kontor.Product) string { return p.Key() },
		func(p *kontor.Product) error { return p.Validate() },
		func(p *kontor.Product) kontor.Result {
			old, found := s.products.Get(p.SKU)
			if found && memconn.SameContent(old, *p) {
				return kontor.Result{Outcome: kontor.Unchanged, Target: target(old.Meta)}
			}
			v := memconn.Clone(*p)
			v.Meta = kontor.Meta{ERPKey: p.ERPKey}
			if found {
				v.ShopKey = old.ShopKey
			} else {
				v.ShopKey = s.gid("Product")
			}
			s.stamp(&v.Meta)
			for i := range v.Variants {
				key, ok := s.variantKeys[v.Variants[i].SKU]
				if !ok {
					key = s.gid("ProductVariant")
					s.variantKeys[v.Variants[i].SKU] = key
				}
				v.Variants[i].Meta = kontor.Meta{ERPKey: p.Variants[i].ERPKey, ShopKey: key, Version: v.Version, UpdatedAt: v.UpdatedAt}
			}
			s.products.Put(v.SKU, v, v.UpdatedAt, v.Version)
			events = append(events, s.event("products/update", kontor.EntityProduct, v.SKU, v))
			return kontor.Result{Outcome: created(found), Target: target(v.Meta)}
		})
	s.emit(ctx, events)
	return rs, err
}

// WritePrices sets prices by SKU and customer group: Unchanged when
// identical.
func (s *Shop) WritePrices(ctx context.Context, prices []kontor.Price) ([]kontor.Result, error) {
	return memconn.Write(ctx, s.sys, "WritePrices", kontor.EntityPrice, prices,
		func(p *kontor.Price) string { return p.Key() },
		func(p *kontor.Price) error { return p.Validate() },
		func(p *kontor.Price) kontor.Result {
			return upsert(s, s.prices, p.Key(), *p, func(p *kontor.Price) *kontor.Meta { return &p.Meta }, "Price")
		})
}

// WriteStock sets stock levels by SKU and location: Unchanged when
// identical.
func (s *Shop) WriteStock(ctx context.Context, levels []kontor.StockLevel) ([]kontor.Result, error) {
	return memconn.Write(ctx, s.sys, "WriteStock", kontor.EntityStock, levels,
		func(l *kontor.StockLevel) string { return l.Key() },
		func(l *kontor.StockLevel) error { return l.Validate() },
		func(l *kontor.StockLevel) kontor.Result {
			return upsert(s, s.stock, l.Key(), *l, func(l *kontor.StockLevel) *kontor.Meta { return &l.Meta }, "InventoryLevel")
		})
}

// upsert stores v under key unless an identical record is there. The
// caller holds the lock.
func upsert[T any](s *Shop, t *memconn.Table[T], key string, v T, meta func(*T) *kontor.Meta, resource string) kontor.Result {
	old, found := t.Get(key)
	if found && memconn.SameContent(old, v) {
		return kontor.Result{Outcome: kontor.Unchanged, Target: target(*meta(&old))}
	}
	v = memconn.Clone(v)
	m := meta(&v)
	*m = kontor.Meta{ERPKey: m.ERPKey}
	if found {
		m.ShopKey = meta(&old).ShopKey
	} else {
		m.ShopKey = s.gid(resource)
	}
	s.stamp(m)
	t.Put(key, v, m.UpdatedAt, m.Version)
	return kontor.Result{Outcome: created(found), Target: target(*m)}
}

func created(found bool) kontor.Outcome {
	if found {
		return kontor.Updated
	}
	return kontor.Created
}

// WriteShipments attaches shipments to their orders and moves each order to
// shipped or partially shipped. An unknown order fails the item with
// KindNotFound; a shipment number another order uses, with KindConflict.
func (s *Shop) WriteShipments(ctx context.Context, shipments []kontor.Shipment) ([]kontor.Result, error) {
	const op = "WriteShipments"
	var events []Event
	rs, err := memconn.Write(ctx, s.sys, op, kontor.EntityShipment, shipments,
		func(sh *kontor.Shipment) string { return sh.Key() },
		func(sh *kontor.Shipment) error { return sh.Validate() },
		func(sh *kontor.Shipment) kontor.Result {
			o, ok := s.orders.Get(sh.OrderNumber)
			if !ok {
				return kontor.Result{Outcome: kontor.Failed, Err: notFound(op, "order %q of shipment %q does not exist", sh.OrderNumber, sh.Number)}
			}
			old, found := s.shipments.Get(sh.Number)
			if found && old.OrderNumber != sh.OrderNumber {
				return kontor.Result{Outcome: kontor.Failed, Err: kontor.NewError(kontor.KindConflict, System+" "+op,
					fmt.Errorf("shipment %q belongs to order %q, not %q", sh.Number, old.OrderNumber, sh.OrderNumber))}
			}
			if found && memconn.SameContent(old, *sh) {
				return kontor.Result{Outcome: kontor.Unchanged, Target: target(old.Meta)}
			}
			v := memconn.Clone(*sh)
			v.Meta = kontor.Meta{ERPKey: sh.ERPKey}
			v.OrderKeys = kontor.Meta{ERPKey: o.ERPKey, ShopKey: o.ShopKey}
			if found {
				v.ShopKey = old.ShopKey
			} else {
				v.ShopKey = s.gid("Fulfillment")
				s.shipmentsByOrder[o.Number] = append(s.shipmentsByOrder[o.Number], v.Number)
			}
			s.stamp(&v.Meta)
			s.shipments.Put(v.Number, v, v.UpdatedAt, v.Version)
			if status := s.fulfilment(o); status != o.Status {
				o.Status = status
				s.stamp(&o.Meta)
				s.orders.Put(o.Number, o, o.UpdatedAt, o.Version)
				events = append(events, s.event("orders/updated", kontor.EntityOrder, o.Number, o))
			}
			return kontor.Result{Outcome: created(found), Target: target(v.Meta)}
		})
	s.emit(ctx, events)
	return rs, err
}

// fulfilment returns the status o has with its shipments: shipped when a
// shipment covers the whole order or the shipped quantities cover every
// line, else partially shipped. An order already past shipping (delivered,
// completed, cancelled) keeps its status. The caller holds the lock.
func (s *Shop) fulfilment(o kontor.Order) kontor.OrderStatus {
	switch o.Status {
	case kontor.OrderShipped, kontor.OrderDelivered, kontor.OrderCompleted, kontor.OrderCancelled:
		return o.Status
	}
	shipped := make(map[string]decimal.Decimal)
	for _, n := range s.shipmentsByOrder[o.Number] {
		sh, _ := s.shipments.Get(n)
		if len(sh.Lines) == 0 {
			return kontor.OrderShipped
		}
		for _, l := range sh.Lines {
			shipped[l.SKU] = shipped[l.SKU].Add(l.Quantity)
		}
	}
	ordered := make(map[string]decimal.Decimal)
	for _, l := range o.Lines {
		ordered[l.SKU] = ordered[l.SKU].Add(l.Quantity)
	}
	for sku, q := range ordered {
		if shipped[sku].LessThan(q) {
			return kontor.OrderPartiallyShipped
		}
	}
	return kontor.OrderShipped
}

// WriteStatusUpdates applies status changes to orders and their returns.
// An unknown order, or a return not of that order, fails with
// KindNotFound; a change the shop already has is Unchanged. The target is
// the order's keys.
func (s *Shop) WriteStatusUpdates(ctx context.Context, updates []kontor.StatusUpdate) ([]kontor.Result, error) {
	const op = "WriteStatusUpdates"
	var events []Event
	rs, err := memconn.Write(ctx, s.sys, op, kontor.EntityStatus, updates,
		func(u *kontor.StatusUpdate) string { return u.Key() },
		func(u *kontor.StatusUpdate) error { return u.Validate() },
		func(u *kontor.StatusUpdate) kontor.Result {
			o, ok := s.orders.Get(u.OrderNumber)
			if !ok {
				return kontor.Result{Outcome: kontor.Failed, Err: notFound(op, "order %q does not exist", u.OrderNumber)}
			}
			var ret kontor.Return
			if u.ReturnNumber != "" {
				ret, ok = s.returns.Get(u.ReturnNumber)
				if !ok || ret.OrderNumber != u.OrderNumber {
					return kontor.Result{Outcome: kontor.Failed, Err: notFound(op, "return %q of order %q does not exist", u.ReturnNumber, u.OrderNumber)}
				}
			}
			orderChanged := (u.OrderStatus != "" && u.OrderStatus != o.Status) ||
				(u.PaymentStatus != "" && u.PaymentStatus != o.PaymentStatus)
			returnChanged := u.ReturnStatus != "" && u.ReturnStatus != ret.Status
			if orderChanged {
				if u.OrderStatus != "" {
					o.Status = u.OrderStatus
				}
				if u.PaymentStatus != "" {
					o.PaymentStatus = u.PaymentStatus
				}
				s.stamp(&o.Meta)
				s.orders.Put(o.Number, o, o.UpdatedAt, o.Version)
				events = append(events, s.event("orders/updated", kontor.EntityOrder, o.Number, o))
			}
			if returnChanged {
				ret.Status = u.ReturnStatus
				s.stamp(&ret.Meta)
				s.returns.Put(ret.Number, ret, ret.UpdatedAt, ret.Version)
				events = append(events, s.event("returns/update", kontor.EntityReturn, ret.Number, ret))
			}
			if !orderChanged && !returnChanged {
				return kontor.Result{Outcome: kontor.Unchanged, Target: target(o.Meta)}
			}
			return kontor.Result{Outcome: kontor.Updated, Target: target(o.Meta)}
		})
	s.emit(ctx, events)
	return rs, err
}
