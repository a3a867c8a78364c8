package minierp

import (
	"context"
	"iter"
	"time"

	"github.com/kontor-dev/kontor"
)

type shipment struct {
	ID             string            `json:"id"`
	Number         string            `json:"number"`
	OrderID        string            `json:"order_id"`
	ExternalNumber string            `json:"external_number"`
	Carrier        string            `json:"carrier"`
	Service        string            `json:"service"`
	Tracking       []kontor.Tracking `json:"tracking"` // the same shape: {"number","url"}
	ShippedAt      time.Time         `json:"shipped_at"`
	Version        int64             `json:"version"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// ReadShipments streams the deliveries posted at or after since.Since.
// Each names its order by the shop's order number, which minierp keeps as
// the order's external number, so the engine finds the shop's order.
func (c *Connector) ReadShipments(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Shipment, error] {
	return list(ctx, c, "/api/shipments", since, func(w shipment) (kontor.Shipment, error) {
		return kontor.Shipment{
			Meta:        meta(w.ID, w.Version, w.UpdatedAt),
			Number:      w.Number,
			OrderNumber: w.ExternalNumber,
			OrderKeys:   kontor.Meta{ERPKey: w.OrderID},
			Carrier:     w.Carrier,
			Service:     w.Service,
			Tracking:    w.Tracking,
			ShippedAt:   w.ShippedAt,
		}, nil
	})
}
