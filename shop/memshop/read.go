package memshop

import (
	"context"
	"iter"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// ReadProducts streams the products changed at or after since.Since, in
// (UpdatedAt, SKU) order, a page per request: for reconciliation.
func (s *Shop) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return memconn.Read(ctx, s.sys, "ReadProducts", s.products, since)
}

// ReadStock streams the stock levels changed at or after since.Since.
func (s *Shop) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return memconn.Read(ctx, s.sys, "ReadStock", s.stock, since)
}

// ReadCustomers streams the customers changed at or after since.Since.
func (s *Shop) ReadCustomers(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Customer, error] {
	return memconn.Read(ctx, s.sys, "ReadCustomers", s.customers, since)
}

// ReadOrders streams the orders placed or changed at or after since.Since.
func (s *Shop) ReadOrders(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Order, error] {
	return memconn.Read(ctx, s.sys, "ReadOrders", s.orders, since)
}

// ReadReturns streams the returns requested or changed at or after
// since.Since.
func (s *Shop) ReadReturns(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Return, error] {
	return memconn.Read(ctx, s.sys, "ReadReturns", s.returns, since)
}

// ReadStatusUpdates streams the shop's own status changes at or after
// since.Since: the latest per order, from CancelOrder.
func (s *Shop) ReadStatusUpdates(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error] {
	return memconn.Read(ctx, s.sys, "ReadStatusUpdates", s.status, since)
}
