package memerp

import (
	"context"
	"strings"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// WriteOrders creates sales orders. An order whose number the ERP already
// has is Unchanged with the existing order's key: it is found, not created
// twice, and not overwritten.
func (e *ERP) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	return memconn.Write(ctx, e.sys, "WriteOrders", kontor.EntityOrder, orders,
		func(o *kontor.Order) string { return o.Key() },
		func(o *kontor.Order) error { return o.Validate() },
		func(o *kontor.Order) kontor.Result {
			if old, found := e.orders.Get(o.Number); found {
				return kontor.Result{Outcome: kontor.Unchanged, Target: target(old.Meta)}
			}
			v := memconn.Clone(*o)
			v.ERPKey = e.nextKey(prefixOrder)
			e.stamp(&v.Meta)
			e.orders.Put(v.Number, v, v.UpdatedAt, v.Version)
			return kontor.Result{Outcome: kontor.Created, Target: target(v.Meta)}
		})
}

// WriteCustomers creates or updates customers, matched by ERP key, customer
// number, shop key and e-mail address in that order. An identical customer
// is Unchanged.
func (e *ERP) WriteCustomers(ctx context.Context, customers []kontor.Customer) ([]kontor.Result, error) {
	return memconn.Write(ctx, e.sys, "WriteCustomers", kontor.EntityCustomer, customers,
		func(c *kontor.Customer) string { return c.Key() },
		func(c *kontor.Customer) error { return c.Validate() },
		func(c *kontor.Customer) kontor.Result {
			v, outcome := e.putCustomer(*c, false)
			return kontor.Result{Outcome: outcome, Target: target(v.Meta)}
		})
}

// putCustomer stores c, matched to an existing customer, and returns what
// is stored and what happened. A seed always counts as a change. The
// caller holds the lock.
func (e *ERP) putCustomer(c kontor.Customer, seed bool) (kontor.Customer, kontor.Outcome) {
	v := memconn.Clone(c)
	key, found := e.matchCustomer(c)
	outcome := kontor.Created
	if found {
		old, _ := e.customers.Get(key)
		v.Meta = kontor.Meta{ERPKey: key, ShopKey: old.ShopKey, Version: old.Version, UpdatedAt: old.UpdatedAt}
		if c.ShopKey != "" {
			v.ShopKey = c.ShopKey
		}
		if v.Number == "" {
			v.Number = old.Number
		}
		if !seed && v.ShopKey == old.ShopKey && memconn.SameContent(old, v) {
			return old, kontor.Unchanged
		}
		outcome = kontor.Updated
	} else {
		if v.ERPKey == "" || !seed {
			v.ERPKey = e.nextKey(prefixCustomer)
		}
		if v.Number == "" {
			v.Number = v.ERPKey
		}
	}
	e.stamp(&v.Meta)
	e.customers.Put(v.ERPKey, v, v.UpdatedAt, v.Version)
	e.byNumber[v.Number] = v.ERPKey
	if v.ShopKey != "" {
		e.byShopKey[v.ShopKey] = v.ERPKey
	}
	if v.Email != "" {
		e.byEmail[strings.ToLower(v.Email)] = v.ERPKey
	}
	return v, outcome
}

// matchCustomer finds the ERP key of the customer c names. The caller
// holds the lock.
func (e *ERP) matchCustomer(c kontor.Customer) (string, bool) {
	if _, ok := e.customers.Get(c.ERPKey); ok && c.ERPKey != "" {
		return c.ERPKey, true
	}
	for _, m := range []struct {
		index map[string]string
		id    string
	}{{e.byNumber, c.Number}, {e.byShopKey, c.ShopKey}, {e.byEmail, strings.ToLower(c.Email)}} {
		if key, ok := m.index[m.id]; ok && m.id != "" {
			return key, true
		}
	}
	return "", false
}

// WriteReturns books returns as credit notes. The return's order must be
// in the ERP, else the item fails with KindNotFound. A new return is
// Created with its credit note number as ERP key; a known one is Updated
// when it changed (its status, its lines), else Unchanged.
func (e *ERP) WriteReturns(ctx context.Context, returns []kontor.Return) ([]kontor.Result, error) {
	return memconn.Write(ctx, e.sys, "WriteReturns", kontor.EntityReturn, returns,
		func(r *kontor.Return) string { return r.Key() },
		func(r *kontor.Return) error { return r.Validate() },
		func(r *kontor.Return) kontor.Result {
			o, ok := e.orders.Get(r.OrderNumber)
			if !ok {
				return kontor.Result{Outcome: kontor.Failed, Err: notFound("WriteReturns", "order %q of return %q does not exist", r.OrderNumber, r.Number)}
			}
			v := memconn.Clone(*r)
			v.OrderKeys = kontor.Meta{ERPKey: o.ERPKey, ShopKey: o.ShopKey}
			outcome := kontor.Created
			if old, found := e.returns.Get(r.Number); found {
				v.Meta = kontor.Meta{ERPKey: old.ERPKey, ShopKey: old.ShopKey}
				if r.ShopKey != "" {
					v.ShopKey = r.ShopKey
				}
				v.CreditNote = old.CreditNote
				if v.ShopKey == old.ShopKey && memconn.SameContent(old, v) {
					return kontor.Result{Outcome: kontor.Unchanged, Target: target(old.Meta)}
				}
				outcome = kontor.Updated
			} else {
				v.ERPKey = e.nextKey(prefixCredit)
				v.CreditNote = v.ERPKey
			}
			e.stamp(&v.Meta)
			e.returns.Put(v.Number, v, v.UpdatedAt, v.Version)
			return kontor.Result{Outcome: outcome, Target: target(v.Meta)}
		})
}

// WriteStatusUpdates applies status changes to orders and their returns.
// An unknown order, or a return not of that order, fails with
// KindNotFound; an update the ERP already reflects is Unchanged. The
// target is the order's keys.
func (e *ERP) WriteStatusUpdates(ctx context.Context, updates []kontor.StatusUpdate) ([]kontor.Result, error) {
	return memconn.Write(ctx, e.sys, "WriteStatusUpdates", kontor.EntityStatus, updates,
		func(u *kontor.StatusUpdate) string { return u.Key() },
		func(u *kontor.StatusUpdate) error { return u.Validate() },
		func(u *kontor.StatusUpdate) kontor.Result {
			o, ok := e.orders.Get(u.OrderNumber)
			if !ok {
				return kontor.Result{Outcome: kontor.Failed, Err: notFound("WriteStatusUpdates", "order %q does not exist", u.OrderNumber)}
			}
			var ret kontor.Return
			if u.ReturnNumber != "" {
				ret, ok = e.returns.Get(u.ReturnNumber)
				if !ok || ret.OrderNumber != u.OrderNumber {
					return kontor.Result{Outcome: kontor.Failed,
						Err: notFound("WriteStatusUpdates", "return %q of order %q does not exist", u.ReturnNumber, u.OrderNumber)}
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
				e.stamp(&o.Meta)
				e.orders.Put(o.Number, o, o.UpdatedAt, o.Version)
			}
			if returnChanged {
				ret.Status = u.ReturnStatus
				e.stamp(&ret.Meta)
				e.returns.Put(ret.Number, ret, ret.UpdatedAt, ret.Version)
			}
			if !orderChanged && !returnChanged {
				return kontor.Result{Outcome: kontor.Unchanged, Target: target(o.Meta)}
			}
			return kontor.Result{Outcome: kontor.Updated, Target: target(o.Meta)}
		})
}
