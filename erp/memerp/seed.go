package memerp

import (
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// The methods in this file change the ERP the way its users do (an item
// edited, a delivery posted), so a test can seed what the engine reads.
// They are not requests: Calls and Requests do not count them, and the
// fault hooks do not apply. They store what they are given without
// validating it beyond its key, since invalid master data is what an engine
// must be tested with.

// PutProduct creates or replaces the item with p's SKU and returns it as
// stored. A new item keeps p's ERP key if it has one, else gets the next
// item number; a replaced one keeps its key. Every put is a change: a new
// version and update time.
func (e *ERP) PutProduct(p kontor.Product) (kontor.Product, error) {
	if err := required(kontor.EntityProduct, "sku", p.SKU); err != nil {
		return kontor.Product{}, err
	}
	return put(e, e.products, p.SKU, p, func(p *kontor.Product) *kontor.Meta { return &p.Meta }, prefixItem), nil
}

// PutPrice creates or replaces the price with pr's key (SKU and customer
// group) and returns it as stored.
func (e *ERP) PutPrice(pr kontor.Price) (kontor.Price, error) {
	if err := required(kontor.EntityPrice, "sku", pr.SKU); err != nil {
		return kontor.Price{}, err
	}
	return put(e, e.prices, pr.Key(), pr, func(p *kontor.Price) *kontor.Meta { return &p.Meta }, prefixPrice), nil
}

// PutStock creates or replaces the stock level with s's key (SKU and
// location) and returns it as stored.
func (e *ERP) PutStock(s kontor.StockLevel) (kontor.StockLevel, error) {
	if err := required(kontor.EntityStock, "sku", s.SKU); err != nil {
		return kontor.StockLevel{}, err
	}
	return put(e, e.stock, s.Key(), s, func(s *kontor.StockLevel) *kontor.Meta { return &s.Meta }, prefixStock), nil
}

// PutCustomer creates or replaces a customer kept in the ERP and returns it
// as stored. It finds an existing customer as WriteCustomers does (ERP key,
// customer number, shop key, e-mail address); a new one without a customer
// number gets its ERP key as its number.
func (e *ERP) PutCustomer(c kontor.Customer) kontor.Customer {
	e.sys.Lock()
	defer e.sys.Unlock()
	v, _ := e.putCustomer(c, true)
	return memconn.Clone(v)
}

// Ship posts a delivery of the whole order with the shop's order number:
// it creates the shipment (numbered by its ERP key, shipped now, the
// customer to be notified), sets the order's status to shipped and records
// that status change for ReadStatusUpdates. An unknown order is a
// KindNotFound error.
func (e *ERP) Ship(orderNumber string, tracking kontor.Tracking, carrier string) (kontor.Shipment, error) {
	e.sys.Lock()
	defer e.sys.Unlock()
	o, ok := e.orders.Get(orderNumber)
	if !ok {
		return kontor.Shipment{}, notFound("Ship", "order %q does not exist", orderNumber)
	}
	key := e.nextKey(prefixShipment)
	s := kontor.Shipment{
		Meta:           kontor.Meta{ERPKey: key},
		Number:         key,
		OrderNumber:    orderNumber,
		OrderKeys:      kontor.Meta{ERPKey: o.ERPKey, ShopKey: o.ShopKey},
		Carrier:        carrier,
		NotifyCustomer: true,
	}
	if tracking.Number != "" {
		s.Tracking = []kontor.Tracking{tracking}
	}
	e.stamp(&s.Meta)
	s.ShippedAt = s.UpdatedAt
	e.shipments.Put(key, s, s.UpdatedAt, s.Version)
	e.setOrderStatus(o, kontor.OrderShipped, "")
	return memconn.Clone(s), nil
}

// SetOrderStatus sets the status of the order with the shop's order number,
// as a clerk or a workflow in the ERP does, and records the change for
// ReadStatusUpdates. An unknown order is a KindNotFound error, an unknown
// status a validation error.
func (e *ERP) SetOrderStatus(orderNumber string, status kontor.OrderStatus, reason string) (kontor.StatusUpdate, error) {
	probe := kontor.StatusUpdate{OrderNumber: orderNumber, OrderStatus: status, Source: kontor.SideERP, At: time.Unix(1, 0)}
	if err := probe.Validate(); err != nil {
		return kontor.StatusUpdate{}, err
	}
	e.sys.Lock()
	defer e.sys.Unlock()
	o, ok := e.orders.Get(orderNumber)
	if !ok {
		return kontor.StatusUpdate{}, notFound("SetOrderStatus", "order %q does not exist", orderNumber)
	}
	return e.setOrderStatus(o, status, reason), nil
}

// setOrderStatus stores o with status and records the change. The caller
// holds the lock.
func (e *ERP) setOrderStatus(o kontor.Order, status kontor.OrderStatus, reason string) kontor.StatusUpdate {
	o.Status = status
	e.stamp(&o.Meta)
	e.orders.Put(o.Number, o, o.UpdatedAt, o.Version)
	u := kontor.StatusUpdate{
		Meta:        kontor.Meta{ERPKey: o.ERPKey, ShopKey: o.ShopKey},
		OrderNumber: o.Number,
		OrderStatus: status,
		Source:      kontor.SideERP,
		Reason:      reason,
	}
	e.stamp(&u.Meta)
	u.At = u.UpdatedAt
	e.status.Put(u.Key(), u, u.UpdatedAt, u.Version)
	return u
}

// put creates or replaces the record under key and returns a copy of what
// it stored.
func put[T any](e *ERP, t *memconn.Table[T], key string, v T, meta func(*T) *kontor.Meta, prefix string) T {
	e.sys.Lock()
	defer e.sys.Unlock()
	v = memconn.Clone(v)
	m := meta(&v)
	if old, found := t.Get(key); found {
		m.ERPKey = meta(&old).ERPKey
	} else if m.ERPKey == "" {
		m.ERPKey = e.nextKey(prefix)
	}
	e.stamp(m)
	t.Put(key, v, m.UpdatedAt, m.Version)
	return memconn.Clone(v)
}

func required(entity kontor.Entity, field, v string) error {
	if strings.TrimSpace(v) == "" {
		return &kontor.ValidationError{Entity: entity, Field: field, Reason: "is required"}
	}
	return nil
}
