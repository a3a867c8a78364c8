package businesscentral

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
)

// TrackingPage describes a custom API page with the package tracking of
// posted shipments, which the standard salesShipments lack: they carry no
// package tracking number and no shipping agent. It lives at
// …/api/{Route}/companies({id})/{EntitySet}, one row per shipment.
type TrackingPage struct {
	// Route is the page's "{publisher}/{group}/{version}".
	Route string
	// EntitySet is its entity set, e.g. "shipmentTrackings".
	EntitySet string
	// ShipmentNumberField holds the posted shipment's number (default
	// "shipmentNumber").
	ShipmentNumberField string
	// TrackingNumberField holds the package tracking number (default
	// "packageTrackingNumber"); several numbers may be separated by
	// commas or semicolons.
	TrackingNumberField string
	// CarrierField holds the shipping agent code (default
	// "shippingAgentCode").
	CarrierField string
	// ServiceField holds the shipping agent service code (default
	// "shippingAgentServiceCode").
	ServiceField string
}

func (p TrackingPage) withDefaults() TrackingPage {
	if p.ShipmentNumberField == "" {
		p.ShipmentNumberField = "shipmentNumber"
	}
	if p.TrackingNumberField == "" {
		p.TrackingNumberField = "packageTrackingNumber"
	}
	if p.CarrierField == "" {
		p.CarrierField = "shippingAgentCode"
	}
	if p.ServiceField == "" {
		p.ServiceField = "shippingAgentServiceCode"
	}
	return p
}

// WithTrackingPage reads shipments' carriers and tracking numbers from a
// custom API page. Without it shipments carry no tracking.
func WithTrackingPage(p TrackingPage) Option {
	return func(o *options) error {
		p.Route = strings.Trim(p.Route, "/")
		if p.Route == "" || p.EntitySet == "" {
			return errors.New("businesscentral: a TrackingPage needs a Route and an EntitySet")
		}
		p = p.withDefaults()
		o.tracking = &p
		return nil
	}
}

// bcShipment is a posted sales shipment (resources/dynamics_salesShipment.md).
type bcShipment struct {
	ID                     string           `json:"id"`
	Number                 string           `json:"number"`
	ExternalDocumentNumber string           `json:"externalDocumentNumber"`
	OrderNumber            string           `json:"orderNumber"`
	PostingDate            edmDate          `json:"postingDate"`
	ShipmentMethodCode     string           `json:"shipmentMethodCode"`
	LastModified           time.Time        `json:"lastModifiedDateTime"`
	Lines                  []bcShipmentLine `json:"salesShipmentLines"`
}

type bcShipmentLine struct {
	Sequence         int64  `json:"sequence"`
	LineType         string `json:"lineType"`
	LineObjectNumber string `json:"lineObjectNumber"`
	Quantity         num    `json:"quantity"`
}

// shopLine reports whether a shipment line is one of the shop's order
// lines: an item line with a quantity, and not the shipping charge of
// WithShippingCharge or the fee of WithFeeCharge (a line on an item such
// as "FREIGHT", which posting ships too, but which the shop has as a
// shipping line or fee, not an order line; a charge on a G/L account is no
// item line anyway).
func (c *Connector) shopLine(l bcShipmentLine) bool {
	if l.LineType != "Item" || !l.Quantity.IsPositive() || l.LineObjectNumber == "" {
		return false
	}
	for _, ch := range []*ChargeLine{c.opt.shippingCharge, c.opt.feeCharge} {
		if ch != nil && ch.LineType == "Item" && strings.EqualFold(l.LineObjectNumber, ch.Number) {
			return false
		}
	}
	return true
}

// orderLine is what a shipment line takes from the order line it ships.
type orderLine struct {
	item      string // the line's item number
	variantID string // its item variant, "" for none
}

// variantRef is an item variant's item number and code.
type variantRef struct{ itemNumber, code string }

// orderLines maps order number (upper case) → line sequence → order line.
// An order that no longer exists is missing.
type orderLines map[string]map[int64]orderLine

// shipmentOf maps a posted shipment: the order number is the shop's (the
// external document number) where there is one, else Business Central's
// order number; the lines are its item lines but the shipping charge.
// The standard salesShipmentLines carry no variant: a line's SKU is the
// variant SKU of the order line with the same sequence (posting keeps the
// line number), the item number when the order is gone or the line has no
// variant. ok is false for a shipment with lines of which none is the
// shop's (only the shipping charge): it ships nothing of the shop's order,
// and no lines would mean the whole order.
func (c *Connector) shipmentOf(bc bcShipment, orders orderLines) (s kontor.Shipment, ok bool) {
	s = kontor.Shipment{
		Meta:        kontor.Meta{ERPKey: bc.ID, UpdatedAt: bc.LastModified},
		Number:      bc.Number,
		OrderNumber: firstNonEmpty(bc.ExternalDocumentNumber, bc.OrderNumber),
		ShippedAt:   bc.PostingDate.Time,
	}
	lines := orders[strings.ToUpper(bc.OrderNumber)]
	for _, l := range bc.Lines {
		if !c.shopLine(l) {
			continue
		}
		sku := l.LineObjectNumber
		if ol, ok := lines[l.Sequence]; ok && ol.variantID != "" && strings.EqualFold(ol.item, l.LineObjectNumber) {
			if v, ok := c.variants.get(ol.variantID); ok {
				sku = c.variantSKU(v.itemNumber, v.code)
			}
		}
		s.Lines = append(s.Lines, kontor.ShipmentLine{SKU: sku, Quantity: l.Quantity.Decimal})
	}
	return s, len(s.Lines) > 0 || len(bc.Lines) == 0
}

// ReadShipments streams the sales shipments posted or changed at or after
// since.Since, with their lines, and with carrier and tracking from the
// TrackingPage when one is configured. Per up to 100 shipments it sends
// one $batch reading their sales orders with their lines (for the lines'
// item variants), one reading the variants not yet known, and with a
// TrackingPage one reading the tracking rows.
func (c *Connector) ReadShipments(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Shipment, error] {
	return func(yield func(kontor.Shipment, error) bool) {
		u, err := c.companyURL(ctx, "salesShipments")
		if err != nil {
			yield(kontor.Shipment{}, err)
			return
		}
		q := filtered(changedSince("lastModifiedDateTime", since.Since)).set("$expand", "salesShipmentLines")
		decode := func(raw json.RawMessage) ([]decoded[bcShipment], error) {
			var bc bcShipment
			if err := json.Unmarshal(raw, &bc); err != nil {
				return nil, malformed(kontor.EntityShipment, bc.Number, err)
			}
			return []decoded[bcShipment]{{v: bc, key: bc.Number, updated: bc.LastModified}}, nil
		}
		var buf []bcShipment
		flush := func() bool {
			if len(buf) == 0 {
				return true
			}
			ships, err := c.shipments(ctx, buf)
			buf = buf[:0]
			if err != nil {
				yield(kontor.Shipment{}, err)
				return false
			}
			for _, s := range ships {
				if err := ctx.Err(); err != nil {
					yield(kontor.Shipment{}, err)
					return false
				}
				if !yield(s, nil) {
					return false
				}
			}
			return true
		}
		for bc, err := range readEntities(ctx, c.collection(ctx, u, q), since.Since, decode) {
			if err != nil {
				if flush() {
					yield(kontor.Shipment{}, err)
				}
				return
			}
			buf = append(buf, bc)
			if len(buf) == MaxBatchOperations && !flush() {
				return
			}
		}
		flush()
	}
}

// shipments maps up to MaxBatchOperations posted shipments, with their
// lines' variants and their tracking.
func (c *Connector) shipments(ctx context.Context, bcs []bcShipment) ([]kontor.Shipment, error) {
	orders, err := c.readOrderLines(ctx, bcs)
	if err != nil {
		return nil, err
	}
	out := make([]kontor.Shipment, 0, len(bcs))
	for _, bc := range bcs {
		s, ok := c.shipmentOf(bc, orders)
		if !ok {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "businesscentral: a shipment without item lines is not the shop's, skipped",
				slog.String("shipment", bc.Number))
			continue
		}
		out = append(out, s)
	}
	if c.opt.tracking != nil && len(out) > 0 {
		if err := c.addTracking(ctx, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readOrderLines reads the sales orders of the shipments with their lines
// in one $batch ($filter=number eq '…', $expand=salesOrderLines), and the
// variants of their lines' items where a line's variant is not yet known
// in one more. Orders
// that are gone (a fully shipped and invoiced order is deleted) are left
// out, and so are their variants: their shipment lines keep the item
// number.
func (c *Connector) readOrderLines(ctx context.Context, ships []bcShipment) (orderLines, error) {
	var numbers []string
	seen := map[string]bool{}
	for _, s := range ships {
		n := strings.ToUpper(s.OrderNumber)
		if n == "" || seen[n] || !slices.ContainsFunc(s.Lines, c.shopLine) {
			continue
		}
		seen[n] = true
		numbers = append(numbers, n)
	}
	if len(numbers) == 0 {
		return nil, nil
	}
	company, err := c.CompanyID(ctx)
	if err != nil {
		return nil, err
	}
	ops := make([]batchOp, len(numbers))
	for i, n := range numbers {
		ops[i] = getOp(companyPath(company, "salesOrders"), filtered(eq("number", n)).set("$select", "id,number").
			set("$expand", "salesOrderLines($select=sequence,lineType,lineObjectNumber,itemId,itemVariantId)"))
	}
	rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
	if err != nil {
		return nil, err
	}
	out := orderLines{}
	unknown := map[string][]string{} // item id → variant ids not in the cache
	asked := map[string]bool{}
	for i, n := range numbers {
		vals, err := collectionValues(rs[i])
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			c.logger.LogAttrs(ctx, slog.LevelDebug, "businesscentral: a shipped order is gone (shipped and invoiced): its shipments' lines name items, not variants",
				slog.String("sales_order", n))
			continue
		}
		var so struct {
			Lines []struct {
				Sequence         int64  `json:"sequence"`
				LineType         string `json:"lineType"`
				LineObjectNumber string `json:"lineObjectNumber"`
				ItemID           string `json:"itemId"`
				ItemVariantID    string `json:"itemVariantId"`
			} `json:"salesOrderLines"`
		}
		if err := json.Unmarshal(vals[0], &so); err != nil {
			c.logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: a sales order in the response does not decode: its shipments' lines name items, not variants",
				slog.String("sales_order", n), slog.String("problem", jsonProblem(err)))
			continue
		}
		m := make(map[int64]orderLine, len(so.Lines))
		for _, l := range so.Lines {
			if l.LineType != "Item" {
				continue
			}
			ol := orderLine{item: l.LineObjectNumber}
			if !isZeroGUID(l.ItemVariantID) {
				ol.variantID = strings.ToLower(l.ItemVariantID)
				if _, ok := c.variants.get(ol.variantID); !ok && !asked[ol.variantID] && !isZeroGUID(l.ItemID) {
					asked[ol.variantID] = true
					item := strings.ToLower(l.ItemID)
					unknown[item] = append(unknown[item], ol.variantID)
				}
			}
			m[l.Sequence] = ol
		}
		out[n] = m
	}
	if err := c.readVariants(ctx, company, unknown); err != nil {
		return nil, err
	}
	return out, nil
}

// readVariants reads the variants of the items (id → the variant ids
// wanted) into the variant cache, one $batch operation per item
// (items({id})/itemVariants), which also caches the items' other
// variants. A variant or item that was deleted is left out: its lines keep
// the item number.
func (c *Connector) readVariants(ctx context.Context, company string, items map[string][]string) error {
	if len(items) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(items))
	ops := make([]batchOp, len(ids))
	for i, id := range ids {
		ops[i] = getOp(companyPath(company, "items("+id+")/itemVariants"), (&query{}).set("$select", "id,itemNumber,code"))
	}
	rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
	if err != nil {
		return err
	}
	for i, id := range ids {
		vals, err := collectionValues(rs[i])
		if err != nil && kontor.KindOf(err) != kontor.KindNotFound {
			return err
		}
		for _, raw := range vals {
			var v bcVariant
			if json.Unmarshal(raw, &v) == nil && v.ID != "" && v.ItemNumber != "" && v.Code != "" {
				c.variants.put(strings.ToLower(v.ID), variantRef{itemNumber: v.ItemNumber, code: v.Code})
			}
		}
		for _, vid := range items[id] {
			if _, ok := c.variants.get(vid); !ok {
				c.logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: a shipped order line's item variant is gone: the line names its item",
					slog.String("item_variant", vid))
			}
		}
	}
	return nil
}

// isZeroGUID reports whether id is empty or the empty GUID, which
// Business Central sends for "none".
func isZeroGUID(id string) bool {
	return strings.Trim(id, "0-") == ""
}

// addTracking reads the tracking rows of the shipments.
func (c *Connector) addTracking(ctx context.Context, ships []kontor.Shipment) error {
	p := *c.opt.tracking
	id, err := c.CompanyID(ctx)
	if err != nil {
		return err
	}
	ops := make([]batchOp, len(ships))
	for i, s := range ships {
		ops[i] = getOp(companyPath(id, p.EntitySet), filtered(eq(p.ShipmentNumberField, s.Number)))
	}
	rs, err := c.runOps(ctx, ops, batchMode{readOnly: true, route: p.Route})
	if err != nil {
		return err
	}
	for i := range ships {
		vals, err := collectionValues(rs[i])
		if err != nil {
			return err
		}
		for _, raw := range vals {
			var f map[string]any
			if json.Unmarshal(raw, &f) != nil {
				return &kontor.ValidationError{Entity: kontor.EntityShipment, Key: ships[i].Number, Field: "tracking",
					Reason: "malformed tracking row in the Business Central response"}
			}
			str := func(k string) string { s, _ := f[k].(string); return strings.TrimSpace(s) }
			ships[i].Carrier = firstNonEmpty(ships[i].Carrier, str(p.CarrierField))
			ships[i].Service = firstNonEmpty(ships[i].Service, str(p.ServiceField))
			for _, n := range strings.FieldsFunc(str(p.TrackingNumberField), func(r rune) bool { return r == ',' || r == ';' }) {
				if n = strings.TrimSpace(n); n != "" {
					ships[i].Tracking = append(ships[i].Tracking, kontor.Tracking{Number: n})
				}
			}
		}
	}
	return nil
}
