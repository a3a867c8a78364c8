package memshop

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// System is the name the shop gives in its capabilities and errors.
const System = "memshop"

// The largest write batches unless configured otherwise.
const (
	DefaultBulkBatch = 250 // products, prices, stock levels
)

// Shop is an in-memory webshop. The zero value is not usable; call New.
type Shop struct {
	sys       *memconn.System
	products  *memconn.Table[kontor.Product]      // by SKU
	prices    *memconn.Table[kontor.Price]        // by Price.Key
	stock     *memconn.Table[kontor.StockLevel]   // by StockLevel.Key
	orders    *memconn.Table[kontor.Order]        // by order number
	customers *memconn.Table[kontor.Customer]     // by shop key
	returns   *memconn.Table[kontor.Return]       // by return number
	shipments *memconn.Table[kontor.Shipment]     // by shipment number
	status    *memconn.Table[kontor.StatusUpdate] // by StatusUpdate.Key

	variantKeys        map[string]string   // variant SKU → shop key
	customerByNumber   map[string]string   // customer number → shop key
	customerByEmail    map[string]string   // lower-case e-mail → shop key
	shipmentsByOrder   map[string][]string // order number → shipment numbers
	returnCountByOrder map[string]int

	handlers []func(context.Context, Event)
}

// Event is a webhook the shop sends: Topic says what happened, Entity and
// Key to what, ID tells deliveries apart, and Payload is the entity as
// JSON, as it was stored.
type Event struct {
	Topic   string
	Entity  kontor.Entity
	Key     string
	ID      string
	Payload []byte
}

// Option configures a Shop.
type Option func(*config)

type config struct {
	clock    func() time.Time
	pageSize int
	maxBatch map[kontor.Entity]int
}

// WithClock sets the clock that stamps changes (UpdatedAt), so tests get
// reproducible times. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithPageSize sets how many items one read request returns. Below 1: the
// default, 100.
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithMaxBatch sets the largest batch a write of e takes. Below 1 is 1.
func WithMaxBatch(e kontor.Entity, n int) Option {
	return func(c *config) { c.maxBatch[e] = max(n, 1) }
}

// New returns an empty shop.
func New(opts ...Option) *Shop {
	c := config{maxBatch: map[kontor.Entity]int{
		kontor.EntityProduct:  DefaultBulkBatch,
		kontor.EntityPrice:    DefaultBulkBatch,
		kontor.EntityStock:    DefaultBulkBatch,
		kontor.EntityShipment: 1,
		kontor.EntityStatus:   1,
	}}
	for _, o := range opts {
		o(&c)
	}
	return &Shop{
		sys:                memconn.NewSystem(memconn.Config{Name: System, Clock: c.clock, PageSize: c.pageSize, MaxBatch: c.maxBatch}),
		products:           memconn.NewTable[kontor.Product](),
		prices:             memconn.NewTable[kontor.Price](),
		stock:              memconn.NewTable[kontor.StockLevel](),
		orders:             memconn.NewTable[kontor.Order](),
		customers:          memconn.NewTable[kontor.Customer](),
		returns:            memconn.NewTable[kontor.Return](),
		shipments:          memconn.NewTable[kontor.Shipment](),
		status:             memconn.NewTable[kontor.StatusUpdate](),
		variantKeys:        make(map[string]string),
		customerByNumber:   make(map[string]string),
		customerByEmail:    make(map[string]string),
		shipmentsByOrder:   make(map[string][]string),
		returnCountByOrder: make(map[string]int),
	}
}

// Capabilities says what the shop reads and writes, its batch limits, and
// that it announces products, orders and returns by webhook.
func (s *Shop) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{
		System: System,
		Reads: []kontor.Entity{kontor.EntityProduct, kontor.EntityStock, kontor.EntityCustomer, kontor.EntityOrder,
			kontor.EntityReturn, kontor.EntityStatus},
		Writes: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityShipment,
			kontor.EntityStatus},
		MaxBatch: s.sys.MaxBatch(),
		Events:   []kontor.Entity{kontor.EntityProduct, kontor.EntityOrder, kontor.EntityReturn},
	}
}

// PageSize returns how many items one read request returns.
func (s *Shop) PageSize() int { return s.sys.PageSize() }

// OnEvent registers fn to receive every event from now on. Handlers run
// synchronously, in registration order, on the goroutine that made the
// change, after the shop's lock is released; ctx is that call's context
// (context.Background for PlaceOrder, RequestReturn and CancelOrder).
func (s *Shop) OnEvent(fn func(ctx context.Context, ev Event)) {
	s.sys.Lock()
	defer s.sys.Unlock()
	s.handlers = append(s.handlers, fn)
}

// event builds an event for v. The caller holds the lock.
func (s *Shop) event(topic string, e kontor.Entity, key string, v any) Event {
	payload, err := json.Marshal(v)
	if err != nil { // the model's types always marshal; keep the event regardless
		payload = nil
	}
	return Event{Topic: topic, Entity: e, Key: key, ID: fmt.Sprintf("memshop-event-%d", s.sys.Next("event")), Payload: payload}
}

// emit delivers events to the handlers. The caller does not hold the lock.
func (s *Shop) emit(ctx context.Context, events []Event) {
	if len(events) == 0 {
		return
	}
	s.sys.Lock()
	handlers := s.handlers[:len(s.handlers):len(s.handlers)]
	s.sys.Unlock()
	for _, ev := range events {
		for _, h := range handlers {
			h(ctx, ev)
		}
	}
}

// FailNext is a test hook: the next n write calls fail whole with err
// before touching any item. n below 1 or a nil err clears it.
func (s *Shop) FailNext(n int, err error) { s.sys.FailNext(n, err) }

// FailNextRead is a test hook: the next n read requests (pages) fail with
// err. n below 1 or a nil err clears it.
func (s *Shop) FailNextRead(n int, err error) { s.sys.FailNextRead(n, err) }

// FailKey is a test hook: every write of the item with this key (a SKU, a
// stock or price key, a shipment number, a status update key) fails as a
// per-item result with err until cleared with a nil err.
func (s *Shop) FailKey(key string, err error) { s.sys.FailKey(key, err) }

// FailAfter is a test hook: the next write call stores its first n items,
// then fails whole with err. A nil err clears it.
func (s *Shop) FailAfter(n int, err error) { s.sys.FailAfter(n, err) }

// Delay is a test hook: every request takes d, or until its context ends.
// 0 clears it.
func (s *Shop) Delay(d time.Duration) { s.sys.Delay(d) }

// Calls returns how many requests op made, op being a method name:
// "ReadOrders" counts pages, "WriteStock" counts calls.
func (s *Shop) Calls(op string) int { return s.sys.Calls(op) }

// Requests returns how many requests all reads and writes made.
func (s *Shop) Requests() int { return s.sys.Requests() }

// gid returns the next global ID of a shop resource. The caller holds the
// lock.
func (s *Shop) gid(resource string) string {
	return fmt.Sprintf("gid://%s/%s/%d", System, resource, s.sys.Next(resource))
}

// stamp sets m's version and update time for a change. The caller holds
// the lock.
func (s *Shop) stamp(m *kontor.Meta) { m.UpdatedAt, m.Version = s.sys.Stamp() }

// target is what a write result reports of a stored record's keys.
func target(m kontor.Meta) kontor.Meta {
	return kontor.Meta{ShopKey: m.ShopKey, Version: m.Version, UpdatedAt: m.UpdatedAt}
}

func notFound(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindNotFound, System+" "+op, fmt.Errorf(format, args...))
}

// Product returns the product with sku.
func (s *Shop) Product(sku string) (kontor.Product, bool) { return get(s, s.products, sku) }

// Products returns every product, in the order they were created.
func (s *Shop) Products() []kontor.Product { return all(s, s.products) }

// Archived reports whether the product with sku is archived: it was
// written as discontinued.
func (s *Shop) Archived(sku string) bool {
	s.sys.Lock()
	defer s.sys.Unlock()
	p, ok := s.products.Get(sku)
	return ok && p.Status == kontor.ProductDiscontinued
}

// Price returns the price of sku for customerGroup ("" for everyone).
func (s *Shop) Price(sku, customerGroup string) (kontor.Price, bool) {
	return get(s, s.prices, (&kontor.Price{SKU: sku, CustomerGroup: customerGroup}).Key())
}

// Stock returns the stock level of sku at location ("" for the default).
func (s *Shop) Stock(sku, location string) (kontor.StockLevel, bool) {
	return get(s, s.stock, (&kontor.StockLevel{SKU: sku, Location: location}).Key())
}

// Shipments returns the shipments of the order with orderNumber, in the
// order they were created.
func (s *Shop) Shipments(orderNumber string) []kontor.Shipment {
	s.sys.Lock()
	defer s.sys.Unlock()
	numbers := s.shipmentsByOrder[orderNumber]
	out := make([]kontor.Shipment, 0, len(numbers))
	for _, n := range numbers {
		sh, _ := s.shipments.Get(n)
		out = append(out, memconn.Clone(sh))
	}
	return out
}

// Order returns the order with number.
func (s *Shop) Order(number string) (kontor.Order, bool) { return get(s, s.orders, number) }

// Orders returns every order, in the order they were placed.
func (s *Shop) Orders() []kontor.Order { return all(s, s.orders) }

// Customers returns every customer, in the order they first ordered.
func (s *Shop) Customers() []kontor.Customer { return all(s, s.customers) }

// Returns returns every return, in the order they were requested.
func (s *Shop) Returns() []kontor.Return { return all(s, s.returns) }

func get[T any](s *Shop, t *memconn.Table[T], key string) (T, bool) {
	s.sys.Lock()
	defer s.sys.Unlock()
	v, ok := t.Get(key)
	return memconn.Clone(v), ok
}

func all[T any](s *Shop, t *memconn.Table[T]) []T {
	s.sys.Lock()
	defer s.sys.Unlock()
	out := make([]T, 0, t.Len())
	t.Each(func(_ string, v T) bool {
		out = append(out, memconn.Clone(v))
		return true
	})
	return out
}

// lower normalises an e-mail address for matching.
func lower(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
