package shopifytest

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
)

// inventorySetQuantities, inventoryAdjustQuantities, inventoryActivate and
// inventoryItemUpdate.
//
// From 2026-04 both quantity mutations need the @idempotent directive and a
// changeFromQuantity on every entry (null opts out of the check); 2026-01
// takes changeFromQuantity optionally and still knows compareQuantity and
// ignoreCompareQuantity. A stale changeFromQuantity fails the whole
// mutation with CHANGE_FROM_QUANTITY_STALE and changes nothing. A repeated
// idempotency key with the same input returns the first result without
// changing anything again; with another input it fails with
// IDEMPOTENCY_KEY_PARAMETER_MISMATCH. Only successful results are kept
// against their key, so a key whose attempt failed may be used again.

var inventoryReasons = []string{
	"correction", "cycle_count_available", "damaged", "movement_canceled", "movement_created",
	"movement_received", "movement_updated", "other", "promotion", "quality_control", "received",
	"reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
}

const maxInventoryQuantity = 1_000_000_000

type inventorySetPayloadR struct {
	InventoryAdjustmentGroup *adjustmentGroupR
	UserErrors               []*userError
}

// idempotency checks the @idempotent directive of the current mutation
// field. It returns a replayed result, or a top-level error, or the key to
// store the result under ("" when there is none).
func idempotency(r *reqCtx, field string, input any, required bool) (replay any, key string, err error) {
	k, given := r.idempotencyKey(field)
	if !given {
		if required {
			return nil, "", &gqlError{msg: "The @idempotent directive is required for this mutation but was not provided.", ext: map[string]any{"code": "BAD_REQUEST"}}
		}
		return nil, "", nil
	}
	if strings.TrimSpace(k) == "" {
		return nil, "", &gqlError{msg: "The idempotency key cannot be an empty string or whitespace only.", ext: map[string]any{"code": "BAD_REQUEST"}}
	}
	b, _ := json.Marshal(input)
	fp := field + ":" + string(b)
	if rec, ok := r.st.idem[k]; ok {
		if rec.fingerprint != fp {
			return mismatch(field), "", nil
		}
		return rec.result, "", nil
	}
	return nil, k, nil
}

// mismatch is the payload of a key reused with other parameters.
func mismatch(string) any {
	e := uerr("IDEMPOTENCY_KEY_PARAMETER_MISMATCH", "The same idempotency key cannot be used with different operation parameters.", "input")
	return &inventorySetPayloadR{UserErrors: []*userError{e}}
}

func remember(r *reqCtx, key, field string, input, result any) {
	if key == "" {
		return
	}
	b, _ := json.Marshal(input)
	r.st.idem[key] = &idemRecord{field: field, fingerprint: field + ":" + string(b), result: result}
}

func validReference(uri *string) bool {
	if uri == nil {
		return true
	}
	u, err := url.Parse(*uri)
	return err == nil && u.Scheme != "" && !strings.HasPrefix(*uri, "gid://shopify/")
}

func (root) InventorySetQuantities(ctx context.Context, a struct{ Input in[inventorySetIn] }) (*inventorySetPayloadR, error) {
	r := rc(ctx)
	in := a.Input.V
	modern := r.atLeast("2026-04")
	replay, key, err := idempotency(r, "inventorySetQuantities", in, modern)
	if err != nil {
		return nil, err
	}
	if replay != nil {
		return replay.(*inventorySetPayloadR), nil
	}
	if modern {
		for _, q := range in.Quantities {
			if !q.ChangeFromQuantity.Set {
				return nil, &gqlError{msg: "InventoryQuantityInput must include the following argument: changeFromQuantity.", ext: map[string]any{"code": "INVALID_FIELD_ARGUMENTS"}}
			}
		}
	}
	var errs []*userError
	if in.Name != "available" && in.Name != "on_hand" {
		errs = append(errs, uerr("INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'.", "input", "name"))
	}
	if !slices.Contains(inventoryReasons, in.Reason) {
		errs = append(errs, uerr("INVALID_REASON", "The specified reason is invalid.", "input", "reason"))
	}
	if !validReference(in.ReferenceDocumentURI) {
		errs = append(errs, uerr("INVALID_REFERENCE_DOCUMENT", "The specified reference document is invalid.", "input", "referenceDocumentUri"))
	}
	type target struct {
		level *inventoryLevel
		qty   int
	}
	var targets []target
	seen := map[string]bool{}
	for i, q := range in.Quantities {
		path := []string{"input", "quantities", intStr(i)}
		it, okItem := lookup[*inventoryItem](r.st, q.InventoryItemID)
		loc, okLoc := lookup[*location](r.st, q.LocationID)
		switch {
		case !okItem:
			errs = append(errs, uerr("INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", append(path, "inventoryItemId")...))
			continue
		case !okLoc:
			errs = append(errs, uerr("INVALID_LOCATION", "The specified location could not be found.", append(path, "locationId")...))
			continue
		}
		l := it.level(loc.id)
		if l == nil {
			errs = append(errs, uerr("ITEM_NOT_STOCKED_AT_LOCATION", "The inventory item is not stocked at the location.", append(path, "locationId")...))
			continue
		}
		if k := it.id + "@" + loc.id; seen[k] {
			errs = append(errs, uerr("NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", "The combination of inventoryItemId and locationId must be unique.", path...))
		} else {
			seen[k] = true
		}
		if q.Quantity < 0 {
			errs = append(errs, uerr("INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.", append(path, "quantity")...))
		}
		if q.Quantity > maxInventoryQuantity {
			errs = append(errs, uerr("INVALID_QUANTITY_TOO_HIGH", "The total quantity can't be higher than 1,000,000,000.", append(path, "quantity")...))
		}
		cur := l.quantity(in.Name)
		switch {
		case q.ChangeFromQuantity.Set:
			if q.ChangeFromQuantity.Value != nil && *q.ChangeFromQuantity.Value != cur {
				errs = append(errs, uerr("CHANGE_FROM_QUANTITY_STALE", "The changeFromQuantity value does not match persisted value.", append(path, "changeFromQuantity")...))
			}
		case in.IgnoreCompareQuantity != nil && *in.IgnoreCompareQuantity:
		case q.CompareQuantity == nil:
			errs = append(errs, uerr("COMPARE_QUANTITY_REQUIRED", "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", append(path, "compareQuantity")...))
		case *q.CompareQuantity != cur:
			errs = append(errs, uerr("COMPARE_QUANTITY_STALE", "The compareQuantity value does not match persisted value.", append(path, "compareQuantity")...))
		}
		targets = append(targets, target{l, q.Quantity})
	}
	if len(errs) > 0 {
		return &inventorySetPayloadR{UserErrors: errs}, nil
	}
	g := r.newGroup(in.Reason, in.ReferenceDocumentURI)
	for _, t := range targets {
		delta := t.qty - t.level.quantity(in.Name)
		if delta == 0 {
			continue
		}
		r.change(g, t.level, "available", delta, "")
		g.changes = append(g.changes, adjustmentChange{name: "on_hand", delta: delta, after: t.level.quantity("on_hand"), level: t.level})
		r.fire("inventory_levels/update", r.srv.restInventoryLevel(t.level))
	}
	out := &inventorySetPayloadR{InventoryAdjustmentGroup: newGroupR(g), UserErrors: []*userError{}}
	remember(r, key, "inventorySetQuantities", in, out)
	return out, nil
}

// newGroup starts an adjustment group.
func (r *reqCtx) newGroup(reason string, ref *string) *adjustmentGroup {
	id, _ := r.st.newID("InventoryAdjustmentGroup")
	g := &adjustmentGroup{id: id, createdAt: r.now, reason: reason, reference: str(ref)}
	r.st.groups[id] = g
	r.st.nodes[id] = g
	return g
}

// change applies delta to a level's quantity name and records it.
func (r *reqCtx) change(g *adjustmentGroup, l *inventoryLevel, name string, delta int, ledger string) {
	l.qty[name] += delta
	touch(l, r.now)
	g.changes = append(g.changes, adjustmentChange{name: name, delta: delta, after: l.quantity(name), ledger: ledger, level: l})
}

func (root) InventoryAdjustQuantities(ctx context.Context, a struct{ Input in[inventoryAdjustIn] }) (*inventorySetPayloadR, error) {
	r := rc(ctx)
	in := a.Input.V
	modern := r.atLeast("2026-04")
	replay, key, err := idempotency(r, "inventoryAdjustQuantities", in, modern)
	if err != nil {
		return nil, err
	}
	if replay != nil {
		return replay.(*inventorySetPayloadR), nil
	}
	if modern {
		for _, c := range in.Changes {
			if !c.ChangeFromQuantity.Set {
				return nil, &gqlError{msg: "InventoryChangeInput must include the following argument: changeFromQuantity.", ext: map[string]any{"code": "INVALID_FIELD_ARGUMENTS"}}
			}
		}
	}
	var errs []*userError
	if in.Name == "on_hand" || (in.Name != "available" && !slices.Contains(quantityNames, in.Name)) {
		errs = append(errs, uerr("INVALID_QUANTITY_NAME", "The quantity name is invalid.", "input", "name"))
	}
	if !slices.Contains(inventoryReasons, in.Reason) {
		errs = append(errs, uerr("INVALID_REASON", "The specified reason is invalid.", "input", "reason"))
	}
	if !validReference(in.ReferenceDocumentURI) {
		errs = append(errs, uerr("INVALID_REFERENCE_DOCUMENT", "The specified reference document is invalid.", "input", "referenceDocumentUri"))
	}
	type target struct {
		level  *inventoryLevel
		delta  int
		ledger string
	}
	var targets []target
	for i, c := range in.Changes {
		path := []string{"input", "changes", intStr(i)}
		it, okItem := lookup[*inventoryItem](r.st, c.InventoryItemID)
		loc, okLoc := lookup[*location](r.st, c.LocationID)
		switch {
		case !okItem:
			errs = append(errs, uerr("INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", append(path, "inventoryItemId")...))
			continue
		case !okLoc:
			errs = append(errs, uerr("INVALID_LOCATION", "The specified location could not be found.", append(path, "locationId")...))
			continue
		}
		l := it.level(loc.id)
		if l == nil {
			errs = append(errs, uerr("ITEM_NOT_STOCKED_AT_LOCATION", "The inventory item is not stocked at the location.", append(path, "locationId")...))
			continue
		}
		if in.Name == "available" && c.LedgerDocumentURI != nil {
			errs = append(errs, uerr("INVALID_AVAILABLE_DOCUMENT", "The ledgerDocumentUri is not allowed when adjusting available.", append(path, "ledgerDocumentUri")...))
		}
		if in.Name != "available" && c.LedgerDocumentURI == nil {
			errs = append(errs, uerr("INVALID_QUANTITY_DOCUMENT", "A ledgerDocumentUri is required when adjusting a quantity other than available.", append(path, "ledgerDocumentUri")...))
		}
		if !validReference(c.LedgerDocumentURI) {
			errs = append(errs, uerr("INVALID_LEDGER_DOCUMENT", "The specified ledger document is invalid.", append(path, "ledgerDocumentUri")...))
		}
		cur := l.quantity(in.Name)
		if c.ChangeFromQuantity.Set && c.ChangeFromQuantity.Value != nil && *c.ChangeFromQuantity.Value != cur {
			errs = append(errs, uerr("CHANGE_FROM_QUANTITY_STALE", "The changeFromQuantity value does not match persisted value.", append(path, "changeFromQuantity")...))
		}
		if after := cur + c.Delta; after > maxInventoryQuantity || c.Delta > 2_000_000_000 {
			errs = append(errs, uerr("INVALID_QUANTITY_TOO_HIGH", "The quantity can't be higher than 2,000,000,000.", append(path, "delta")...))
		} else if after < -maxInventoryQuantity || c.Delta < -2_000_000_000 {
			errs = append(errs, uerr("INVALID_QUANTITY_TOO_LOW", "The quantity can't be lower than -2,000,000,000.", append(path, "delta")...))
		}
		targets = append(targets, target{l, c.Delta, str(c.LedgerDocumentURI)})
	}
	if len(errs) > 0 {
		return &inventorySetPayloadR{UserErrors: errs}, nil
	}
	g := r.newGroup(in.Reason, in.ReferenceDocumentURI)
	for _, t := range targets {
		if t.delta == 0 {
			continue
		}
		r.change(g, t.level, in.Name, t.delta, t.ledger)
		if in.Name != "incoming" {
			g.changes = append(g.changes, adjustmentChange{name: "on_hand", delta: t.delta, after: t.level.quantity("on_hand"), level: t.level})
		}
		r.fire("inventory_levels/update", r.srv.restInventoryLevel(t.level))
	}
	out := &inventorySetPayloadR{InventoryAdjustmentGroup: newGroupR(g), UserErrors: []*userError{}}
	remember(r, key, "inventoryAdjustQuantities", in, out)
	return out, nil
}

type inventoryActivatePayloadR struct {
	InventoryLevel *inventoryLevelR
	UserErrors     []*userError
}

func (root) InventoryActivate(ctx context.Context, a struct {
	InventoryItemId graphql.ID
	LocationId      graphql.ID
	Available       *int32
	OnHand          *int32
}) *inventoryActivatePayloadR {
	r := rc(ctx)
	it, ok := lookup[*inventoryItem](r.st, string(a.InventoryItemId))
	if !ok {
		return &inventoryActivatePayloadR{UserErrors: []*userError{uerr("", "Inventory item does not exist", "inventoryItemId")}}
	}
	loc, ok := lookup[*location](r.st, string(a.LocationId))
	if !ok {
		return &inventoryActivatePayloadR{UserErrors: []*userError{uerr("", "Location does not exist", "locationId")}}
	}
	existed := it.level(loc.id) != nil
	l := ensureLevel(r.st, it, loc, r.now)
	if !existed {
		switch {
		case a.Available != nil:
			l.qty["available"] = int(*a.Available)
		case a.OnHand != nil:
			l.qty["available"] = int(*a.OnHand)
		}
		touch(l, r.now)
		r.fire("inventory_levels/connect", r.srv.restInventoryLevel(l))
	}
	return &inventoryActivatePayloadR{InventoryLevel: newLevelR(l), UserErrors: []*userError{}}
}

type inventoryItemUpdatePayloadR struct {
	InventoryItem *inventoryItemR
	UserErrors    []*userError
}

func (root) InventoryItemUpdate(ctx context.Context, a struct {
	ID    graphql.ID
	Input in[inventoryItemIn]
}) *inventoryItemUpdatePayloadR {
	r := rc(ctx)
	it, ok := lookup[*inventoryItem](r.st, string(a.ID))
	if !ok {
		return &inventoryItemUpdatePayloadR{UserErrors: []*userError{uerr("", "Inventory item does not exist", "id")}}
	}
	in := a.Input.V
	if e := checkWeight(&in, "", "input"); e != nil {
		return &inventoryItemUpdatePayloadR{InventoryItem: newItemR(it), UserErrors: []*userError{e}}
	}
	before := it.weightOrDefault()
	applyItemInput(it.variant, &in)
	it.updatedAt = r.now
	r.fire("inventory_items/update", map[string]any{
		"id": it.num, "admin_graphql_api_id": it.id, "sku": it.variant.sku, "tracked": it.tracked,
		"updated_at": r.srv.restTime(it.updatedAt), "requires_shipping": it.variant.requiresShip,
	})
	if it.weightOrDefault() != before {
		// The variant's weight (grams, weight) is in the product's payload.
		p := it.variant.product
		it.variant.updatedAt, p.updatedAt = r.now, r.now
		r.fire("products/update", r.srv.restProduct(p))
	}
	return &inventoryItemUpdatePayloadR{InventoryItem: newItemR(it), UserErrors: []*userError{}}
}
