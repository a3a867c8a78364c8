package bridge

import (
	"context"
	"iter"

	"github.com/kontor-dev/kontor"
)

// ReadProducts reads products through the bridge.
func (c *Conn) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return read[kontor.Product](c, ctx, kontor.EntityProduct, since)
}

// WriteProducts writes products through the bridge.
func (c *Conn) WriteProducts(ctx context.Context, items []kontor.Product) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityProduct, items)
}

// ReadPrices reads prices through the bridge.
func (c *Conn) ReadPrices(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Price, error] {
	return read[kontor.Price](c, ctx, kontor.EntityPrice, since)
}

// WritePrices writes prices through the bridge.
func (c *Conn) WritePrices(ctx context.Context, items []kontor.Price) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityPrice, items)
}

// ReadStock reads stocklevels through the bridge.
func (c *Conn) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return read[kontor.StockLevel](c, ctx, kontor.EntityStock, since)
}

// WriteStock writes stocklevels through the bridge.
func (c *Conn) WriteStock(ctx context.Context, items []kontor.StockLevel) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityStock, items)
}

// ReadOrders reads orders through the bridge.
func (c *Conn) ReadOrders(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Order, error] {
	return read[kontor.Order](c, ctx, kontor.EntityOrder, since)
}

// WriteOrders writes orders through the bridge.
func (c *Conn) WriteOrders(ctx context.Context, items []kontor.Order) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityOrder, items)
}

// ReadCustomers reads customers through the bridge.
func (c *Conn) ReadCustomers(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Customer, error] {
	return read[kontor.Customer](c, ctx, kontor.EntityCustomer, since)
}

// WriteCustomers writes customers through the bridge.
func (c *Conn) WriteCustomers(ctx context.Context, items []kontor.Customer) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityCustomer, items)
}

// ReadShipments reads shipments through the bridge.
func (c *Conn) ReadShipments(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Shipment, error] {
	return read[kontor.Shipment](c, ctx, kontor.EntityShipment, since)
}

// WriteShipments writes shipments through the bridge.
func (c *Conn) WriteShipments(ctx context.Context, items []kontor.Shipment) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityShipment, items)
}

// ReadReturns reads returns through the bridge.
func (c *Conn) ReadReturns(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Return, error] {
	return read[kontor.Return](c, ctx, kontor.EntityReturn, since)
}

// WriteReturns writes returns through the bridge.
func (c *Conn) WriteReturns(ctx context.Context, items []kontor.Return) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityReturn, items)
}

// ReadStatusUpdates reads statusupdates through the bridge.
func (c *Conn) ReadStatusUpdates(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error] {
	return read[kontor.StatusUpdate](c, ctx, kontor.EntityStatus, since)
}

// WriteStatusUpdates writes statusupdates through the bridge.
func (c *Conn) WriteStatusUpdates(ctx context.Context, items []kontor.StatusUpdate) ([]kontor.Result, error) {
	return write(c, ctx, kontor.EntityStatus, items)
}
