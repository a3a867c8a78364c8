package memshop

import (
	"context"
	"fmt"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// The methods in this file are what customers and shop staff do. They are
// not requests: Calls and Requests do not count them, and the fault hooks
// do not apply. They store what they are given without validating it, since
// an engine must be tested with the invalid orders shops do send.

// PlaceOrder places o as a customer does and returns it as stored: with
// the next free number "#1001", "#1002", ... when it has none, its shop
// key, shop keys for its lines, its placing time (now, when zero), its
// customer recorded (matched by shop key, customer number or e-mail; a
// guest with neither number nor e-mail stays a guest), a version and an
// update time. It announces "orders/create". An order whose number the shop
// has is an edit of it: same shop key, new version, "orders/updated".
func (s *Shop) PlaceOrder(o kontor.Order) kontor.Order {
	s.sys.Lock()
	v := memconn.Clone(o)
	for v.Number == "" {
		if n := fmt.Sprintf("#%d", 1000+s.sys.Next("order-number")); !s.hasOrder(n) {
			v.Number = n
		}
	}
	old, found := s.orders.Get(v.Number)
	topic := "orders/create"
	if found {
		v.ShopKey = old.ShopKey
		topic = "orders/updated"
	} else {
		v.ShopKey = s.gid("Order")
	}
	for i := range v.Lines {
		if v.Lines[i].ShopKey == "" {
			v.Lines[i].ShopKey = s.gid("LineItem")
		}
	}
	if v.Customer.Number != "" || v.Customer.Email != "" || v.Customer.ShopKey != "" {
		v.Customer = s.putCustomer(v.Customer)
	}
	s.stamp(&v.Meta)
	if v.PlacedAt.IsZero() {
		v.PlacedAt = v.UpdatedAt
	}
	s.orders.Put(v.Number, v, v.UpdatedAt, v.Version)
	ev := s.event(topic, kontor.EntityOrder, v.Number, v)
	out := memconn.Clone(v)
	s.sys.Unlock()
	s.emit(context.Background(), []Event{ev})
	return out
}

func (s *Shop) hasOrder(number string) bool {
	_, ok := s.orders.Get(number)
	return ok
}

// putCustomer records the customer of an order and returns it as stored.
// The caller holds the lock.
func (s *Shop) putCustomer(c kontor.Customer) kontor.Customer {
	key := ""
	if _, ok := s.customers.Get(c.ShopKey); ok && c.ShopKey != "" {
		key = c.ShopKey
	} else if k, ok := s.customerByNumber[c.Number]; ok && c.Number != "" {
		key = k
	} else if k, ok := s.customerByEmail[lower(c.Email)]; ok && c.Email != "" {
		key = k
	}
	v := memconn.Clone(c)
	if key != "" {
		old, _ := s.customers.Get(key)
		v.Meta = old.Meta
		if memconn.SameContent(old, v) {
			return old
		}
	} else {
		v.Meta = kontor.Meta{ShopKey: s.gid("Customer")}
	}
	s.stamp(&v.Meta)
	s.customers.Put(v.ShopKey, v, v.UpdatedAt, v.Version)
	if v.Number != "" {
		s.customerByNumber[v.Number] = v.ShopKey
	}
	if v.Email != "" {
		s.customerByEmail[lower(v.Email)] = v.ShopKey
	}
	return v
}

// RequestReturn records a return a customer requested and returns it as
// stored: numbered "<order number>-R1", "-R2", ... when it has no number,
// with its shop key, its order's keys, status requested and the creation
// time now unless given. It announces "returns/request"; a return whose
// number the shop has is updated and announces "returns/update". An
// unknown order is a KindNotFound error.
func (s *Shop) RequestReturn(r kontor.Return) (kontor.Return, error) {
	s.sys.Lock()
	o, ok := s.orders.Get(r.OrderNumber)
	if !ok {
		s.sys.Unlock()
		return kontor.Return{}, notFound("RequestReturn", "order %q does not exist", r.OrderNumber)
	}
	v := memconn.Clone(r)
	v.OrderKeys = kontor.Meta{ERPKey: o.ERPKey, ShopKey: o.ShopKey}
	if v.Number == "" {
		v.Number = fmt.Sprintf("%s-R%d", o.Number, s.returnCountByOrder[o.Number]+1)
	}
	topic := "returns/request"
	if old, found := s.returns.Get(v.Number); found {
		v.ShopKey = old.ShopKey
		topic = "returns/update"
	} else {
		v.ShopKey = s.gid("Return")
		s.returnCountByOrder[o.Number]++
	}
	if v.Status == "" {
		v.Status = kontor.ReturnRequested
	}
	s.stamp(&v.Meta)
	if v.CreatedAt.IsZero() {
		v.CreatedAt = v.UpdatedAt
	}
	s.returns.Put(v.Number, v, v.UpdatedAt, v.Version)
	ev := s.event(topic, kontor.EntityReturn, v.Number, v)
	out := memconn.Clone(v)
	s.sys.Unlock()
	s.emit(context.Background(), []Event{ev})
	return out, nil
}

// CancelOrder cancels the order with number, as the customer or the shop's
// staff do: its status becomes cancelled, the change is recorded for
// ReadStatusUpdates, and "orders/cancelled" is announced. Cancelling a
// cancelled order changes nothing; an unknown order is a KindNotFound
// error.
func (s *Shop) CancelOrder(number string) error {
	s.sys.Lock()
	o, ok := s.orders.Get(number)
	if !ok {
		s.sys.Unlock()
		return notFound("CancelOrder", "order %q does not exist", number)
	}
	if o.Status == kontor.OrderCancelled {
		s.sys.Unlock()
		return nil
	}
	o.Status = kontor.OrderCancelled
	s.stamp(&o.Meta)
	s.orders.Put(o.Number, o, o.UpdatedAt, o.Version)
	u := kontor.StatusUpdate{
		Meta:        kontor.Meta{ERPKey: o.ERPKey, ShopKey: o.ShopKey},
		OrderNumber: o.Number,
		OrderStatus: kontor.OrderCancelled,
		Source:      kontor.SideShop,
	}
	s.stamp(&u.Meta)
	u.At = u.UpdatedAt
	s.status.Put(u.Key(), u, u.UpdatedAt, u.Version)
	ev := s.event("orders/cancelled", kontor.EntityOrder, o.Number, o)
	s.sys.Unlock()
	s.emit(context.Background(), []Event{ev})
	return nil
}
