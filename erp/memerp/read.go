package memerp

import (
	"context"
	"iter"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// ReadProducts streams the items changed at or after since.Since, in
// (UpdatedAt, SKU) order, a page per request.
func (e *ERP) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return memconn.Read(ctx, e.sys, "ReadProducts", e.products, since)
}

// ReadPrices streams the prices changed at or after since.Since.
func (e *ERP) ReadPrices(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Price, error] {
	return memconn.Read(ctx, e.sys, "ReadPrices", e.prices, since)
}

// ReadStock streams the stock levels changed at or after since.Since.
func (e *ERP) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return memconn.Read(ctx, e.sys, "ReadStock", e.stock, since)
}

// ReadCustomers streams the customers changed at or after since.Since,
// those written by the shop included.
func (e *ERP) ReadCustomers(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Customer, error] {
	return memconn.Read(ctx, e.sys, "ReadCustomers", e.customers, since)
}

// ReadShipments streams the shipments posted at or after since.Since.
func (e *ERP) ReadShipments(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Shipment, error] {
	return memconn.Read(ctx, e.sys, "ReadShipments", e.shipments, since)
}

// ReadStatusUpdates streams the ERP's own status changes at or after
// since.Since: the latest per order, from Ship and SetOrderStatus.
func (e *ERP) ReadStatusUpdates(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error] {
	return memconn.Read(ctx, e.sys, "ReadStatusUpdates", e.status, since)
}
