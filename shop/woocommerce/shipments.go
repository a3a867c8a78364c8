package woocommerce

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// Shipments have no object of their own in WooCommerce. The connector
// records one as
//
//   - an order note ("Shipped with DHL Paket, tracking 00340434…:
//     https://…. Shipment SHP-1."), a customer note that WooCommerce
//     e-mails when the shipment asks to notify the customer, else a private
//     one;
//   - an entry per parcel in the order meta data _wc_shipment_tracking_items,
//     the list the WooCommerce Shipment Tracking extension and the Advanced
//     Shipment Tracking (AST) plugin keep and show to the customer:
//     {"tracking_provider":"","custom_tracking_provider":carrier,
//     "custom_tracking_link":url,"tracking_number":…,"date_shipped":unix
//     seconds,"tracking_id":…} (as a custom provider, since the plugins'
//     provider slugs vary by version and country);
//   - the shipment in the connector's own meta data _kontor_shipments
//     (number and lines), which makes the write idempotent and lets
//     partial shipments add up;
//   - and, once the shipments cover the whole order, the status completed
//     (unless WithoutCompleteOnShipment).
//
// The note comes first, the meta data second: a write that failed between
// them finds its note (by the shipment number in it) on the next attempt
// instead of adding it twice, and a shipment whose meta data is recorded
// is complete and Unchanged.

// Meta data keys of shipments.
const (
	MetaTrackingItems = "_wc_shipment_tracking_items"
	MetaShipments     = "_kontor_shipments"
)

// TrackingItem is one parcel in the Shipment Tracking extension's list.
type TrackingItem struct {
	TrackingProvider       string `json:"tracking_provider"`
	CustomTrackingProvider string `json:"custom_tracking_provider"`
	CustomTrackingLink     string `json:"custom_tracking_link"`
	TrackingNumber         string `json:"tracking_number"`
	DateShipped            string `json:"date_shipped"`
	TrackingID             string `json:"tracking_id"`
}

// shipmentRecord is one entry of _kontor_shipments.
type shipmentRecord struct {
	Number string         `json:"number"`
	Lines  []shipmentLine `json:"lines,omitempty"` // empty: the whole order
}

type shipmentLine struct {
	SKU      string `json:"sku"`
	Quantity string `json:"quantity"`
}

// WriteShipments records shipments on their orders (see above): per order
// one read of its notes and, for a new shipment, one note; then the meta
// data and statuses of all orders in /orders/batch. An unknown order fails
// with kontor.KindNotFound.
func (c *Client) WriteShipments(ctx context.Context, shipments []kontor.Shipment) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	const op = "write shipment"
	results := make([]kontor.Result, len(shipments))
	var numbers []string
	known := map[string]string{}
	for i := range shipments {
		s := &shipments[i]
		results[i].Key = s.Key()
		if err := s.Validate(); err != nil {
			results[i] = failed(s.Key(), err)
			continue
		}
		numbers = append(numbers, s.OrderNumber)
		if s.OrderKeys.ShopKey != "" {
			known[s.OrderNumber] = s.OrderKeys.ShopKey
		}
	}
	if len(numbers) == 0 {
		return results, nil
	}
	orders, err := c.findOrders(ctx, numbers, known)
	if err != nil {
		return nil, err
	}

	type orderWork struct {
		order    *Order
		tracking []TrackingItem
		records  []shipmentRecord
		changed  bool
		notes    []Note // read once, when a note may be needed
		read     bool
		members  []int
	}
	work := map[int64]*orderWork{}
	var orderIDs []int64
	for i := range shipments {
		s := &shipments[i]
		if results[i].Outcome == kontor.Failed {
			continue
		}
		o := orders[s.OrderNumber]
		if o == nil {
			results[i] = failed(s.Key(), notFound(op, "no order has number %q", s.OrderNumber))
			continue
		}
		w := work[o.ID]
		if w == nil {
			w = &orderWork{order: o}
			if raw, ok := metaRaw(o.MetaData, MetaTrackingItems); ok {
				_ = json.Unmarshal(raw, &w.tracking)
			}
			w.records = shipmentRecords(o.MetaData)
			work[o.ID] = w
			orderIDs = append(orderIDs, o.ID)
		}
		target := kontor.Meta{ShopKey: idString(o.ID) + "/" + s.Number, UpdatedAt: o.DateModifiedGMT.Time}
		if rec := findRecord(w.records, s.Number); rec != nil {
			results[i] = kontor.Result{Key: s.Key(), Outcome: kontor.Unchanged, Target: target}
			continue
		}
		// New: its note (unless an interrupted attempt left it), its
		// parcels and its record.
		if !w.read {
			var notes []Note
			if _, err := c.do(ctx, http.MethodGet, "/orders/"+idString(o.ID)+"/notes", url.Values{"type": {"any"}}, nil, &notes); err != nil {
				return nil, err
			}
			w.notes, w.read = notes, true
		}
		marker := shipmentMarker(s.Number)
		hasNote := false
		for _, n := range w.notes {
			if strings.Contains(n.Note, marker) {
				hasNote = true
				break
			}
		}
		if !hasNote {
			note := Note{Note: shipmentNote(s), CustomerNote: s.NotifyCustomer}
			var got Note
			if _, err := c.do(ctx, http.MethodPost, "/orders/"+idString(o.ID)+"/notes", nil, note, &got); err != nil {
				if kontor.KindOf(err).Retryable() || kontor.KindOf(err) == kontor.KindUnknown {
					return nil, err
				}
				results[i] = failed(s.Key(), err)
				continue
			}
			w.notes = append(w.notes, got)
		}
		for _, t := range s.Tracking {
			id := trackingID(s.Number, t.Number)
			if slicesContainsTracking(w.tracking, id) {
				continue
			}
			w.tracking = append(w.tracking, TrackingItem{
				CustomTrackingProvider: strings.TrimSpace(s.Carrier + " " + s.Service),
				CustomTrackingLink:     t.URL,
				TrackingNumber:         t.Number,
				DateShipped:            shippedAt(s),
				TrackingID:             id,
			})
		}
		rec := shipmentRecord{Number: s.Number}
		for _, l := range s.Lines {
			rec.Lines = append(rec.Lines, shipmentLine{SKU: l.SKU, Quantity: l.Quantity.String()})
		}
		w.records = append(w.records, rec)
		w.changed = true
		w.members = append(w.members, i)
		results[i] = kontor.Result{Key: s.Key(), Outcome: kontor.Created, Target: target}
	}

	var ops []batchOp
	var opOrders []*orderWork
	for _, id := range orderIDs {
		w := work[id]
		if !w.changed {
			continue
		}
		body := map[string]any{
			"id":        id,
			"meta_data": []MetaData{meta(MetaTrackingItems, w.tracking), meta(MetaShipments, w.records)},
		}
		st := strings.TrimPrefix(w.order.Status, "wc-")
		if c.cfg.completeOnShip && covers(w.order, w.records) &&
			(st == StatusProcessing || st == StatusOnHold || st == StatusPending) {
			body["status"] = StatusCompleted
		}
		ops = append(ops, batchOp{body: body})
		opOrders = append(opOrders, w)
	}
	rs, err := c.batch(ctx, "/orders/batch", ops)
	if err != nil {
		return nil, err
	}
	for k, r := range rs {
		for _, i := range opOrders[k].members {
			if r.err != nil {
				results[i] = failed(shipments[i].Key(), r.err)
				continue
			}
			results[i].Target.UpdatedAt = r.modified.Time
		}
	}
	return results, nil
}

func shipmentRecords(md []MetaData) []shipmentRecord {
	var recs []shipmentRecord
	if raw, ok := metaRaw(md, MetaShipments); ok {
		if json.Unmarshal(raw, &recs) != nil {
			// WordPress may hand back a JSON value stored as a string.
			var s string
			if json.Unmarshal(raw, &s) == nil {
				_ = json.Unmarshal([]byte(s), &recs)
			}
		}
	}
	return recs
}

func findRecord(recs []shipmentRecord, number string) *shipmentRecord {
	for i := range recs {
		if recs[i].Number == number {
			return &recs[i]
		}
	}
	return nil
}

func slicesContainsTracking(items []TrackingItem, id string) bool {
	for _, t := range items {
		if t.TrackingID == id {
			return true
		}
	}
	return false
}

// covers reports whether the recorded shipments ship every line of the
// order: one shipment without lines ships all of it.
func covers(o *Order, recs []shipmentRecord) bool {
	shipped := map[string]decimal.Decimal{}
	for _, r := range recs {
		if len(r.Lines) == 0 {
			return true
		}
		for _, l := range r.Lines {
			q, err := decimal.NewFromString(l.Quantity)
			if err == nil {
				shipped[l.SKU] = shipped[l.SKU].Add(q)
			}
		}
	}
	need := map[string]decimal.Decimal{}
	for _, li := range o.LineItems {
		q, err := decimal.NewFromString(li.Quantity.String())
		if err == nil {
			need[li.SKU] = need[li.SKU].Add(q)
		}
	}
	for sku, q := range need {
		if shipped[sku].LessThan(q) {
			return false
		}
	}
	return len(need) > 0
}

func shipmentMarker(number string) string { return "Shipment " + number + "." }

// shipmentNote is the note's text: carrier, service, tracking numbers and
// links, and the shipment number that marks it as written.
func shipmentNote(s *kontor.Shipment) string {
	var b strings.Builder
	b.WriteString("Shipped")
	if via := strings.TrimSpace(s.Carrier + " " + s.Service); via != "" {
		b.WriteString(" with ")
		b.WriteString(via)
	}
	for i, t := range s.Tracking {
		if i == 0 {
			b.WriteString(", tracking ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(t.Number)
		if t.URL != "" {
			fmt.Fprintf(&b, " (%s)", t.URL)
		}
	}
	if len(s.Lines) > 0 {
		b.WriteString(": ")
		for i, l := range s.Lines {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s × %s", l.Quantity, l.SKU)
		}
	}
	b.WriteString(". ")
	b.WriteString(shipmentMarker(s.Number))
	return b.String()
}

// trackingID is the parcel's id in the tracking list: stable for one
// shipment and tracking number, so a repeat finds it.
func trackingID(shipment, number string) string {
	sum := sha256.Sum256([]byte(shipment + "\x00" + number))
	return hex.EncodeToString(sum[:16])
}

func shippedAt(s *kontor.Shipment) string {
	if s.ShippedAt.IsZero() {
		return ""
	}
	return strconv.FormatInt(s.ShippedAt.Unix(), 10)
}
