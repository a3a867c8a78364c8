package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	graphql "github.com/hasura/go-graphql-client"
	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// Inventory is written with inventorySetQuantities, the mutation for a
// system that is the source of truth for stock. From API version 2026-04
// it requires an @idempotent key and a changeFromQuantity on every entry:
// the write applies only where the stored quantity still equals it. So a
// stock write reads the current quantities first, writes only what
// differs, and when Shopify reports CHANGE_FROM_QUANTITY_STALE (someone
// sold a piece in between) reads again and retries once within the call.

// quantityNames are the inventory states read for a stock level.
var quantityNames = []string{"available", "on_hand", "committed", "incoming"}

// levelNode is an inventory level as read.
type levelNode struct {
	UpdatedAt  time.Time
	Location   struct{ ID string }
	Quantities []struct {
		Name     string
		Quantity int64
	} `graphql:"quantities(names: $names)"`
}

// itemNode is an inventory item with its levels.
type itemNode struct {
	ID              string
	SKU             *string `graphql:"sku"`
	UpdatedAt       time.Time
	InventoryLevels struct {
		Nodes []levelNode
	} `graphql:"inventoryLevels(first: $levels)"`
}

// inventoryItemsQuery reads inventory items by a search query.
type inventoryItemsQuery struct {
	InventoryItems struct {
		Nodes    []itemNode
		PageInfo pageInfo
	} `graphql:"inventoryItems(first: $first, after: $after, query: $query)"`
}

// locationsQuery lists the shop's locations.
type locationsQuery struct {
	Locations struct {
		Nodes []struct {
			ID       string
			Name     string
			IsActive bool
		}
	} `graphql:"locations(first: 250)"`
}

// inventorySetQuantities is the stock write.
type inventorySetQuantities struct {
	InventorySetQuantities struct {
		InventoryAdjustmentGroup *struct {
			ID string
		}
		UserErrors []codedUserError
	} `graphql:"inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey)"`
}

// inventoryActivate stocks an item at a location.
type inventoryActivate struct {
	InventoryActivate struct {
		InventoryLevel *struct{ ID string }
		UserErrors     []userError
	} `graphql:"inventoryActivate(inventoryItemId: $inventoryItemId, locationId: $locationId)"`
}

// inventorySetQuantitiesInput is InventorySetQuantitiesInput.
type inventorySetQuantitiesInput struct {
	Name                 string                   `json:"name"`
	Reason               string                   `json:"reason"`
	ReferenceDocumentURI string                   `json:"referenceDocumentUri,omitempty"`
	Quantities           []inventoryQuantityInput `json:"quantities"`
}

func (inventorySetQuantitiesInput) GetGraphQLType() string { return "InventorySetQuantitiesInput" }

// inventoryQuantityInput is InventoryQuantityInput. ChangeFromQuantity is
// always sent (2026-04 requires the field): the quantity read before.
type inventoryQuantityInput struct {
	InventoryItemID    string `json:"inventoryItemId"`
	LocationID         string `json:"locationId"`
	Quantity           int    `json:"quantity"`
	ChangeFromQuantity int    `json:"changeFromQuantity"`
}

// stockItem is one level of a stock write as it goes through the rounds.
type stockItem struct {
	index    int
	level    kontor.StockLevel
	want     int
	location string // the Shopify location GID
	item     string // the inventory item GID
	current  int
	stocked  bool // the item has a level at the location
	sent     bool // a write including it was sent
	result   kontor.Result
	done     bool
}

// WriteStock sets the available quantity of each level at its location
// (see WithLocations). A level equal to the shop's is Unchanged and not
// written; the others are set in one inventorySetQuantities per up to 250
// levels, compare-and-swap against the quantities read just before.
// Quantities must be whole numbers.
func (c *Client) WriteStock(ctx context.Context, levels []kontor.StockLevel) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, nonceKey{}, uuid.NewString())
	items := make([]*stockItem, len(levels))
	var open []*stockItem
	seen := make(map[string]int, len(levels))
	for i, l := range levels {
		it := &stockItem{index: i, level: l, result: kontor.Result{Key: l.Key()}}
		items[i] = it
		if err := l.Validate(); err != nil {
			it.fail(err)
			continue
		}
		if j, dup := seen[l.Key()]; dup {
			it.fail(&kontor.ValidationError{Entity: kontor.EntityStock, Key: l.Key(), Field: "sku",
				Reason: fmt.Sprintf("the batch sets this level twice (also item %d)", j)})
			continue
		}
		seen[l.Key()] = i
		n, err := number(l.Available)
		if err == nil && n < 0 {
			err = errors.New("must not be negative")
		}
		if err != nil {
			it.fail(&kontor.ValidationError{Entity: kontor.EntityStock, Key: l.Key(), Field: "available", Reason: err.Error()})
			continue
		}
		it.want = n
		open = append(open, it)
	}
	if len(open) > 0 {
		if err := c.resolveLocations(ctx, open); err != nil {
			return nil, err
		}
	}
	// Round 1 writes; a stale compare re-reads and writes again in round 2;
	// a level still stale then fails as a conflict for the engine to
	// resolve, and the levels refused with it (Shopify applies a request
	// whole or not at all) get a last round 3 without it.
	for round := 1; round <= 3 && len(open) > 0; round++ {
		if err := c.readCurrent(ctx, open); err != nil {
			return nil, err
		}
		var todo []*stockItem
		for _, it := range open {
			switch {
			case it.done:
			case it.current == it.want && it.stocked:
				it.succeed(it.sent)
			default:
				todo = append(todo, it)
			}
		}
		if len(todo) == 0 {
			break
		}
		if err := c.activate(ctx, todo); err != nil {
			return nil, err
		}
		stale, err := c.setQuantities(ctx, todo, round)
		if err != nil {
			return nil, err
		}
		open = stale
	}
	for _, it := range open {
		if !it.done {
			it.fail(&kontor.APIError{System: "shopify", Op: "inventorySetQuantities", Kind: kontor.KindConflict,
				Code: "CHANGE_FROM_QUANTITY_STALE", Message: "the quantity kept changing while it was written"})
		}
	}
	out := make([]kontor.Result, len(items))
	for i, it := range items {
		out[i] = it.result
	}
	return out, nil
}

func (it *stockItem) fail(err error) {
	it.result.Outcome, it.result.Err, it.done = kontor.Failed, err, true
}

func (it *stockItem) succeed(written bool) {
	it.result.Outcome = kontor.Unchanged
	if written {
		it.result.Outcome = kontor.Updated
	}
	it.result.Target = kontor.Meta{ShopKey: it.item + "@" + it.location, UpdatedAt: time.Now()}
	it.done = true
}

// setQuantities writes todo in requests of up to 250 and returns the
// items to try again: a stale compare in round 1, and the items of a
// refused request that were not themselves at fault.
// Shopify applies a request whole or not at all, so the items of a
// refused request that were not themselves at fault are tried again too.
func (c *Client) setQuantities(ctx context.Context, todo []*stockItem, round int) ([]*stockItem, error) {
	var again []*stockItem
	for chunk := range chunks(todo, maxPageSize) {
		in := inventorySetQuantitiesInput{Name: "available", Reason: "correction", Quantities: make([]inventoryQuantityInput, len(chunk))}
		for i, it := range chunk {
			in.Quantities[i] = inventoryQuantityInput{InventoryItemID: it.item, LocationID: it.location, Quantity: it.want, ChangeFromQuantity: it.current}
		}
		key := c.idempotencyKey(ctx, chunk, in)
		var m inventorySetQuantities
		err := c.mutate(ctx, "InventorySetQuantities", &m, map[string]any{"input": in, "idempotencyKey": key}, true)
		if err != nil {
			return nil, err
		}
		for _, it := range chunk {
			it.sent = true
		}
		ues := m.InventorySetQuantities.UserErrors
		if len(ues) == 0 {
			for _, it := range chunk {
				it.succeed(true)
			}
			continue
		}
		faulty := make(map[int]bool)
		for _, ue := range ues {
			i, ok := quantityIndex(ue.Field)
			if !ok || i >= len(chunk) {
				// An error of the whole input: every item of the chunk.
				for _, it := range chunk {
					if !it.done {
						it.fail(userErr(kontor.EntityStock, it.level.Key(), []codedUserError{ue}))
					}
				}
				break
			}
			faulty[i] = true
			it := chunk[i]
			if ue.Code == "CHANGE_FROM_QUANTITY_STALE" && round == 1 {
				continue // read again and retry once
			}
			if !it.done {
				it.fail(userErr(kontor.EntityStock, it.level.Key(), []codedUserError{ue}))
			}
		}
		for _, it := range chunk {
			if !it.done {
				again = append(again, it)
			}
		}
	}
	return again, nil
}

// quantityIndex finds the entry a user error names: ["input",
// "quantities", "3", ...].
func quantityIndex(field []string) (int, bool) {
	for i := 0; i+1 < len(field); i++ {
		if field[i] == "quantities" {
			n, err := strconv.Atoi(field[i+1])
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

// idempotencyKey derives the @idempotent key of one request: the same
// for a resend of the same logical write (the engine's keys of its items,
// or one per call without them, and the same input), a different one when
// the input changed (a re-read after a stale compare). A UUID, as Shopify
// recommends.
func (c *Client) idempotencyKey(ctx context.Context, chunk []*stockItem, in inventorySetQuantitiesInput) string {
	h := sha256.New()
	for _, it := range chunk {
		k := kontor.IdempotencyKey(ctx, it.index)
		if k == "" {
			k = callNonce(ctx)
		}
		h.Write([]byte(k))
		h.Write([]byte{0})
	}
	b, _ := json.Marshal(in)
	h.Write(b)
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("kontor:shopify:"+hex.EncodeToString(h.Sum(nil)))).String()
}

type nonceKey struct{}

// callNonce is a random value per write call, for items the engine gave
// no idempotency key: a transport retry resends the same body and so the
// same key, a new call gets a new one.
func callNonce(ctx context.Context) string {
	if n, ok := ctx.Value(nonceKey{}).(string); ok {
		return n
	}
	return "no-key"
}

// activate stocks items at locations where they have no level yet.
func (c *Client) activate(ctx context.Context, todo []*stockItem) error {
	for _, it := range todo {
		if it.stocked || it.done {
			continue
		}
		var m inventoryActivate
		err := c.mutate(ctx, "InventoryActivate", &m, map[string]any{
			"inventoryItemId": graphql.ID(it.item), "locationId": graphql.ID(it.location)}, true)
		if err != nil {
			return err
		}
		if err := plainUserErr(kontor.EntityStock, it.level.Key(), m.InventoryActivate.UserErrors); err != nil {
			it.fail(err)
			continue
		}
		it.stocked, it.current = true, 0
	}
	return nil
}

// readCurrent reads the inventory items of the open items' SKUs with
// their quantities at every location, and fails the items whose SKU the
// shop does not have.
func (c *Client) readCurrent(ctx context.Context, open []*stockItem) error {
	var skus []string
	seen := make(map[string]bool)
	for _, it := range open {
		if !it.done && !seen[it.level.SKU] {
			seen[it.level.SKU] = true
			skus = append(skus, it.level.SKU)
		}
	}
	found := make(map[string]itemNode, len(skus))
	levels := c.levelsPerItem()
	for chunk := range chunks(skus, c.skusPerQuery(levels)) {
		var q inventoryItemsQuery
		// first is what the cost is charged for: one item per SKU.
		vars := map[string]any{"first": len(chunk), "after": (*string)(nil), "query": skuQuery(chunk),
			"levels": levels, "names": quantityNames}
		if err := c.query(withCost(ctx, itemsCost(len(chunk), levels)), "InventoryItemsBySKU", &q, vars); err != nil {
			return fmt.Errorf("shopify: reading current stock: %w", err)
		}
		for _, n := range q.InventoryItems.Nodes {
			sku := deref(n.SKU)
			if seen[sku] {
				found[sku] = n
				c.remember(sku, itemRef{inventoryItem: n.ID})
			}
		}
	}
	for _, it := range open {
		if it.done {
			continue
		}
		n, ok := found[it.level.SKU]
		if !ok {
			it.fail(&kontor.APIError{System: "shopify", Op: "stock write", Kind: kontor.KindNotFound,
				Message: fmt.Sprintf("no inventory item with SKU %q", it.level.SKU)})
			continue
		}
		it.item, it.stocked, it.current = n.ID, false, 0
		for _, l := range n.InventoryLevels.Nodes {
			if l.Location.ID == it.location {
				it.stocked = true
				it.current = int(quantity(l, "available"))
			}
		}
	}
	return nil
}

// levelsPerItem is how many inventory levels a read asks for per item:
// the shop's locations, at least one.
func (c *Client) levelsPerItem() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return min(max(len(c.locByName), 1), 50)
}

// itemsCost is the requested cost of a page of n inventory items with
// their levels: the connection 2, an item 1, its levels connection 2 plus
// 3 per level (the level, its location and its list of quantities).
func itemsCost(n, levels int) int { return 2 + n*(3+3*levels) }

// skusPerQuery keeps a read by SKU below Shopify's 1,000-point cap.
func (c *Client) skusPerQuery(levels int) int {
	return min(max(990/(3+3*levels), 1), maxPageSize)
}

func quantity(l levelNode, name string) int64 {
	for _, q := range l.Quantities {
		if q.Name == name {
			return q.Quantity
		}
	}
	return 0
}

// skuQuery is the search query for a set of SKUs.
func skuQuery(skus []string) string {
	parts := make([]string, len(skus))
	for i, s := range skus {
		parts[i] = "sku:" + searchValue(s)
	}
	return strings.Join(parts, " OR ")
}

// searchValue quotes a value for Shopify's search syntax.
func searchValue(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// ReadStock reads the levels of inventory items changed at or after
// since: per location the available, on-hand, committed (Reserved) and
// incoming quantities, so the engine's available-to-promise can account
// for what open orders hold. Location is the ERP warehouse the location
// maps to (see WithLocations), else the location's name.
func (c *Client) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return func(yield func(kontor.StockLevel, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(kontor.StockLevel{}, err)
			return
		}
		if err := c.loadLocations(ctx); err != nil {
			yield(kontor.StockLevel{}, err)
			return
		}
		levels := c.levelsPerItem()
		first := min(c.cfg.pageSize, c.skusPerQuery(levels))
		var after *string
		if since.Token != "" {
			after = &since.Token
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(kontor.StockLevel{}, err)
				return
			}
			var q inventoryItemsQuery
			vars := map[string]any{"first": first, "after": after, "query": sinceQuery(since.Since),
				"levels": levels, "names": quantityNames}
			if err := c.query(withCost(ctx, itemsCost(first, levels)), "InventoryItems", &q, vars); err != nil {
				yield(kontor.StockLevel{}, fmt.Errorf("shopify: reading stock: %w", err))
				return
			}
			for _, n := range q.InventoryItems.Nodes {
				sku := deref(n.SKU)
				if sku == "" {
					continue
				}
				c.remember(sku, itemRef{inventoryItem: n.ID})
				for _, l := range n.InventoryLevels.Nodes {
					at := laterOf(n.UpdatedAt, l.UpdatedAt)
					if at.Before(since.Since) {
						continue
					}
					s := kontor.StockLevel{
						Meta:      kontor.Meta{ShopKey: n.ID + "@" + l.Location.ID, UpdatedAt: at},
						SKU:       sku,
						Location:  c.warehouseOf(l.Location.ID),
						Available: decimal.NewFromInt(quantity(l, "available")),
						OnHand:    decimal.NewFromInt(quantity(l, "on_hand")),
						Reserved:  decimal.NewFromInt(quantity(l, "committed")),
						Incoming:  decimal.NewFromInt(quantity(l, "incoming")),
					}
					if err := ctx.Err(); err != nil {
						yield(kontor.StockLevel{}, err)
						return
					}
					if !yield(s, nil) {
						return
					}
				}
			}
			pi := q.InventoryItems.PageInfo
			if !pi.HasNextPage || pi.EndCursor == nil {
				return
			}
			after = pi.EndCursor
		}
	}
}

// loadLocations reads the shop's locations once, or again when reload
// is set (a warehouse mapped to a location the client has not seen: the
// merchant may have added it since).
func (c *Client) loadLocations(ctx context.Context, reload ...bool) error {
	c.mu.Lock()
	loaded := c.locByName != nil
	c.mu.Unlock()
	if loaded && len(reload) == 0 {
		return nil
	}
	var q locationsQuery
	if err := c.query(ctx, "Locations", &q, nil); err != nil {
		return fmt.Errorf("shopify: reading locations: %w", err)
	}
	byName := make(map[string]string, len(q.Locations.Nodes))
	first := ""
	for _, l := range q.Locations.Nodes {
		if !l.IsActive {
			continue
		}
		byName[l.Name] = l.ID
		if first == "" {
			first = l.ID
		}
	}
	c.mu.Lock()
	c.locByName, c.locFirst = byName, first
	c.mu.Unlock()
	return nil
}

// resolveLocations sets each item's Shopify location, failing items
// whose warehouse maps to none.
func (c *Client) resolveLocations(ctx context.Context, open []*stockItem) error {
	if err := c.loadLocations(ctx); err != nil {
		return err
	}
	for _, it := range open {
		if _, ok := c.locationOf(it.level.Location); !ok {
			if err := c.loadLocations(ctx, true); err != nil {
				return err
			}
			break
		}
	}
	for _, it := range open {
		loc, ok := c.locationOf(it.level.Location)
		if !ok {
			it.fail(&kontor.ValidationError{Entity: kontor.EntityStock, Key: it.level.Key(), Field: "location",
				Reason: fmt.Sprintf("warehouse %q maps to no active Shopify location", it.level.Location)})
			continue
		}
		it.location = loc
	}
	return nil
}

// locationOf maps an ERP warehouse to a Shopify location GID.
func (c *Client) locationOf(warehouse string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	target, mapped := c.cfg.locations[warehouse]
	if !mapped {
		if warehouse == "" {
			return c.locFirst, c.locFirst != ""
		}
		target = warehouse
	}
	if strings.HasPrefix(target, "gid://shopify/Location/") {
		return target, slices.Contains(mapValues(c.locByName), target)
	}
	id, ok := c.locByName[target]
	return id, ok
}

// warehouseOf maps a Shopify location back to the ERP warehouse: the
// configured one, else the location's name.
func (c *Client) warehouseOf(location string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w, target := range c.cfg.locations {
		if target == location || c.locByName[target] == location {
			return w
		}
	}
	for name, id := range c.locByName {
		if id == location {
			return name
		}
	}
	return location
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// remember caches what a SKU resolved to.
func (c *Client) remember(sku string, ref itemRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.items[sku]
	if ref.variant == "" {
		ref.variant = old.variant
	}
	if ref.product == "" {
		ref.product = old.product
	}
	if ref.inventoryItem == "" {
		ref.inventoryItem = old.inventoryItem
	}
	c.items[sku] = ref
	if ref.inventoryItem != "" {
		c.itemSKU[ref.inventoryItem] = sku
	}
}

// skuOfItem returns the SKU of an inventory item this client has seen.
func (c *Client) skuOfItem(item string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sku, ok := c.itemSKU[item]
	return sku, ok
}
