package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// stockShop is a scripted Shopify for the stock write: two locations,
// inventory items by SKU, and an inventorySetQuantities that applies the
// compare-and-swap rule and can be made to see a concurrent sale.
type stockShop struct {
	mu         sync.Mutex
	available  map[string]int // "item@location" → available
	skus       map[string]string
	stocked    map[string]bool
	sellBefore int // sales that happen just before the next N writes
	writes     []writeCall
}

type writeCall struct {
	key   string
	input inventorySetQuantitiesInput
}

func newStockShop() *stockShop {
	return &stockShop{
		available: map[string]int{"gid://shopify/InventoryItem/1@gid://shopify/Location/1": 5, "gid://shopify/InventoryItem/2@gid://shopify/Location/1": 0},
		skus:      map[string]string{"A": "gid://shopify/InventoryItem/1", "B": "gid://shopify/InventoryItem/2"},
		stocked: map[string]bool{"gid://shopify/InventoryItem/1@gid://shopify/Location/1": true, "gid://shopify/InventoryItem/2@gid://shopify/Location/1": true,
			"gid://shopify/InventoryItem/1@gid://shopify/Location/2": true},
	}
}

func (s *stockShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &req)
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch req.OperationName {
	case "Locations":
		fmt.Fprint(w, `{"data":{"locations":{"nodes":[{"id":"gid://shopify/Location/1","name":"Main","isActive":true},{"id":"gid://shopify/Location/2","name":"Berlin","isActive":true}]}}}`)
	case "InventoryItemsBySKU":
		var nodes []string
		for _, sku := range []string{"A", "B"} {
			if !strings.Contains(req.Variables["query"].(string), `"`+sku+`"`) {
				continue
			}
			item := s.skus[sku]
			var levels []string
			for _, loc := range []string{"gid://shopify/Location/1", "gid://shopify/Location/2"} {
				if s.stocked[item+"@"+loc] {
					levels = append(levels, fmt.Sprintf(`{"updatedAt":"2026-03-01T10:00:00Z","location":{"id":%q},"quantities":[{"name":"available","quantity":%d},{"name":"committed","quantity":1}]}`,
						loc, s.available[item+"@"+loc]))
				}
			}
			nodes = append(nodes, fmt.Sprintf(`{"id":%q,"sku":%q,"updatedAt":"2026-03-01T10:00:00Z","inventoryLevels":{"nodes":[%s]}}`, item, sku, strings.Join(levels, ",")))
		}
		fmt.Fprintf(w, `{"data":{"inventoryItems":{"nodes":[%s],"pageInfo":{"hasNextPage":false,"endCursor":null}}}}`, strings.Join(nodes, ","))
	case "InventorySetQuantities":
		var in inventorySetQuantitiesInput
		raw, _ := json.Marshal(req.Variables["input"])
		_ = json.Unmarshal(raw, &in)
		s.writes = append(s.writes, writeCall{key: req.Variables["idempotencyKey"].(string), input: in})
		if s.sellBefore > 0 {
			s.sellBefore--
			k := in.Quantities[0].InventoryItemID + "@" + in.Quantities[0].LocationID
			s.available[k]--
		}
		var ues []string
		for i, q := range in.Quantities {
			if s.available[q.InventoryItemID+"@"+q.LocationID] != q.ChangeFromQuantity {
				ues = append(ues, fmt.Sprintf(`{"field":["input","quantities","%d","changeFromQuantity"],"message":"The quantity changed","code":"CHANGE_FROM_QUANTITY_STALE"}`, i))
			}
		}
		if len(ues) == 0 { // all or nothing
			for _, q := range in.Quantities {
				s.available[q.InventoryItemID+"@"+q.LocationID] = q.Quantity
			}
			fmt.Fprint(w, `{"data":{"inventorySetQuantities":{"inventoryAdjustmentGroup":{"id":"gid://shopify/InventoryAdjustmentGroup/1"},"userErrors":[]}}}`)
			return
		}
		fmt.Fprintf(w, `{"data":{"inventorySetQuantities":{"inventoryAdjustmentGroup":null,"userErrors":[%s]}}}`, strings.Join(ues, ","))
	case "InventoryActivate":
		k := req.Variables["inventoryItemId"].(string) + "@" + req.Variables["locationId"].(string)
		s.stocked[k] = true
		fmt.Fprint(w, `{"data":{"inventoryActivate":{"inventoryLevel":{"id":"x"},"userErrors":[]}}}`)
	default:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":[{"message":"unexpected operation %s"}]}`, req.OperationName)
	}
}

func level(sku, loc string, n int64) kontor.StockLevel {
	return kontor.StockLevel{SKU: sku, Location: loc, Available: decimal.NewFromInt(n)}
}

func TestWriteStockCompareAndSwap(t *testing.T) {
	shop := newStockShop()
	c, _ := newTestClient(t, shop, WithLocations(map[string]string{"WH-BER": "Berlin", "WH-MAIN": "gid://shopify/Location/1"}))
	ctx := kontor.WithIdempotencyKeys(context.Background(), []string{"k1", "k2", "k3", "k4", "k5", "k6"})
	rs, err := c.WriteStock(ctx, []kontor.StockLevel{
		level("A", "WH-MAIN", 5), // unchanged
		level("A", "WH-BER", 7),  // 0 → 7
		level("B", "", 3),        // the first location: 0 → 3
		level("B", "WH-BER", 2),  // not stocked there yet: activated
		level("C", "WH-MAIN", 1), // no such SKU
		level("A", "NOWHERE", 1), // no such location
	})
	require.NoError(t, err)
	outcomes := []kontor.Outcome{kontor.Unchanged, kontor.Updated, kontor.Updated, kontor.Updated, kontor.Failed, kontor.Failed}
	for i, r := range rs {
		assert.Equal(t, outcomes[i], r.Outcome, "%s: %v", r.Key, r.Err)
	}
	assert.Equal(t, kontor.KindNotFound, kontor.KindOf(rs[4].Err))
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[5].Err))
	require.Len(t, shop.writes, 1, "one request for the three changes")
	in := shop.writes[0].input
	assert.Equal(t, "available", in.Name)
	require.Len(t, in.Quantities, 3)
	assert.Equal(t, inventoryQuantityInput{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/2", Quantity: 7, ChangeFromQuantity: 0}, in.Quantities[0])
	assert.Equal(t, 7, shop.available["gid://shopify/InventoryItem/1@gid://shopify/Location/2"])
	assert.Equal(t, 2, shop.available["gid://shopify/InventoryItem/2@gid://shopify/Location/2"])
	assert.Equal(t, 3, shop.available["gid://shopify/InventoryItem/2@gid://shopify/Location/1"])
}

func TestWriteStockStaleIsRetriedOnce(t *testing.T) {
	shop := newStockShop()
	shop.sellBefore = 1 // a sale lands between the read and the write
	c, _ := newTestClient(t, shop)
	ctx := kontor.WithIdempotencyKeys(context.Background(), []string{"k1"})
	rs, err := c.WriteStock(ctx, []kontor.StockLevel{level("A", "Main", 9)})
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome, "%v", rs[0].Err)
	require.Len(t, shop.writes, 2, "the stale write was read again and retried")
	assert.Equal(t, 5, shop.writes[0].input.Quantities[0].ChangeFromQuantity)
	assert.Equal(t, 4, shop.writes[1].input.Quantities[0].ChangeFromQuantity, "the retry compares with the fresh value")
	assert.NotEqual(t, shop.writes[0].key, shop.writes[1].key, "new compare values, new idempotency key")
	assert.Equal(t, 9, shop.available["gid://shopify/InventoryItem/1@gid://shopify/Location/1"])

	// The same logical write sent again (a lost answer) reuses its key.
	shop.writes = nil
	shop.available["gid://shopify/InventoryItem/1@gid://shopify/Location/1"] = 4
	_, err = c.WriteStock(ctx, []kontor.StockLevel{level("A", "Main", 9)})
	require.NoError(t, err)
	require.Len(t, shop.writes, 1)
	first := shop.writes[0].key
	shop.writes = nil
	shop.available["gid://shopify/InventoryItem/1@gid://shopify/Location/1"] = 4
	_, err = c.WriteStock(ctx, []kontor.StockLevel{level("A", "Main", 9)})
	require.NoError(t, err)
	assert.Equal(t, first, shop.writes[0].key, "same engine key, same input: same idempotency key")
	other := kontor.WithIdempotencyKeys(context.Background(), []string{"k2"})
	shop.writes = nil
	shop.available["gid://shopify/InventoryItem/1@gid://shopify/Location/1"] = 4
	_, err = c.WriteStock(other, []kontor.StockLevel{level("A", "Main", 9)})
	require.NoError(t, err)
	assert.NotEqual(t, first, shop.writes[0].key, "another logical write gets another key")
}

func TestWriteStockStaleTwiceIsAConflict(t *testing.T) {
	shop := newStockShop()
	shop.sellBefore = 2 // it sells again before the retry
	c, _ := newTestClient(t, shop)
	rs, err := c.WriteStock(context.Background(), []kontor.StockLevel{level("A", "Main", 9), level("B", "Main", 1)})
	require.NoError(t, err)
	assert.Equal(t, kontor.Failed, rs[0].Outcome)
	assert.Equal(t, kontor.KindConflict, kontor.KindOf(rs[0].Err))
	assert.ErrorIs(t, rs[0].Err, kontor.ErrConflict)
	assert.Equal(t, kontor.Updated, rs[1].Outcome, "the other level of the refused request went through: %v", rs[1].Err)
	assert.Len(t, shop.writes, 3, "two rounds with both, then B alone")
	assert.Equal(t, 1, shop.available["gid://shopify/InventoryItem/2@gid://shopify/Location/1"])
}

func TestWriteStockInvalidItems(t *testing.T) {
	shop := newStockShop()
	c, _ := newTestClient(t, shop)
	rs, err := c.WriteStock(context.Background(), []kontor.StockLevel{
		{SKU: "A", Location: "Main", Available: decimal.RequireFromString("2.5")},
		{SKU: "", Location: "Main", Available: decimal.NewFromInt(1)},
		level("B", "Main", 4),
		level("B", "Main", 6),
	})
	require.NoError(t, err)
	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[0].Err, &ve)
	assert.Equal(t, "available", ve.Field)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[1].Err))
	assert.Equal(t, kontor.Updated, rs[2].Outcome, "the valid item goes on")
	require.ErrorAs(t, rs[3].Err, &ve)
	assert.Contains(t, ve.Reason, "twice")
	assert.Equal(t, 4, shop.available["gid://shopify/InventoryItem/2@gid://shopify/Location/1"])
}

func TestReadStockCommitted(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"Locations"`) {
			fmt.Fprint(w, `{"data":{"locations":{"nodes":[{"id":"gid://shopify/Location/1","name":"Main","isActive":true}]}}}`)
			return
		}
		assert.Contains(t, string(b), `updated_at:\u003e='2026-03-01T09:59:00Z'`)
		fmt.Fprint(w, `{"data":{"inventoryItems":{"nodes":[{"id":"gid://shopify/InventoryItem/1","sku":"A","updatedAt":"2026-03-01T10:00:00Z",
			"inventoryLevels":{"nodes":[{"updatedAt":"2026-03-01T10:01:00Z","location":{"id":"gid://shopify/Location/1"},
			"quantities":[{"name":"available","quantity":5},{"name":"on_hand","quantity":8},{"name":"committed","quantity":3},{"name":"incoming","quantity":10}]}]}}],
			"pageInfo":{"hasNextPage":false,"endCursor":null}}}}`)
	})
	c, _ := newTestClient(t, h, WithLocations(map[string]string{"WH1": "Main"}))
	var got []kontor.StockLevel
	for s, err := range c.ReadStock(context.Background(), kontor.Cursor{Since: time.Date(2026, 3, 1, 9, 59, 0, 0, time.UTC)}) {
		require.NoError(t, err)
		got = append(got, s)
	}
	require.Len(t, got, 1)
	s := got[0]
	assert.Equal(t, "A@WH1", s.Key())
	assert.True(t, s.Available.Equal(decimal.NewFromInt(5)))
	assert.True(t, s.OnHand.Equal(decimal.NewFromInt(8)))
	assert.True(t, s.Reserved.Equal(decimal.NewFromInt(3)), "committed to open orders")
	assert.True(t, s.Incoming.Equal(decimal.NewFromInt(10)))
}
