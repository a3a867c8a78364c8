package memerp

import (
	"fmt"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/internal/memconn"
)

// System is the name the ERP gives in its capabilities and errors.
const System = "memerp"

// The largest write batches unless configured otherwise: an ERP's sales
// order endpoint takes fewer documents per request than its master data
// endpoints take rows.
const (
	DefaultOrderBatch = 50
	DefaultBatch      = 100
)

// ERP is an in-memory ERP. The zero value is not usable; call New.
type ERP struct {
	sys       *memconn.System
	products  *memconn.Table[kontor.Product]      // by SKU
	prices    *memconn.Table[kontor.Price]        // by Price.Key
	stock     *memconn.Table[kontor.StockLevel]   // by StockLevel.Key
	customers *memconn.Table[kontor.Customer]     // by ERP key
	orders    *memconn.Table[kontor.Order]        // by order number
	returns   *memconn.Table[kontor.Return]       // by return number
	shipments *memconn.Table[kontor.Shipment]     // by shipment number
	status    *memconn.Table[kontor.StatusUpdate] // by StatusUpdate.Key

	// Customer identifiers that lead to a customer's ERP key.
	byNumber, byShopKey, byEmail map[string]string
}

// Option configures an ERP.
type Option func(*config)

type config struct {
	clock    func() time.Time
	pageSize int
	maxBatch map[kontor.Entity]int
}

// WithClock sets the clock that stamps changes (UpdatedAt), so tests get
// reproducible times and can place a cursor exactly. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithPageSize sets how many items one read request returns, so tests can
// page through few items. Below 1: the default, 100.
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithMaxBatch sets the largest batch a write of e takes, so engine tests
// can exercise batch splitting. Below 1 is 1.
func WithMaxBatch(e kontor.Entity, n int) Option {
	return func(c *config) { c.maxBatch[e] = max(n, 1) }
}

// New returns an empty ERP.
func New(opts ...Option) *ERP {
	c := config{maxBatch: map[kontor.Entity]int{
		kontor.EntityOrder:    DefaultOrderBatch,
		kontor.EntityCustomer: DefaultBatch,
		kontor.EntityReturn:   DefaultBatch,
		kontor.EntityStatus:   DefaultBatch,
	}}
	for _, o := range opts {
		o(&c)
	}
	return &ERP{
		sys:       memconn.NewSystem(memconn.Config{Name: System, Clock: c.clock, PageSize: c.pageSize, MaxBatch: c.maxBatch}),
		products:  memconn.NewTable[kontor.Product](),
		prices:    memconn.NewTable[kontor.Price](),
		stock:     memconn.NewTable[kontor.StockLevel](),
		customers: memconn.NewTable[kontor.Customer](),
		orders:    memconn.NewTable[kontor.Order](),
		returns:   memconn.NewTable[kontor.Return](),
		shipments: memconn.NewTable[kontor.Shipment](),
		status:    memconn.NewTable[kontor.StatusUpdate](),
		byNumber:  make(map[string]string),
		byShopKey: make(map[string]string),
		byEmail:   make(map[string]string),
	}
}

// Capabilities says what the ERP reads and writes and its batch limits. It
// announces nothing in real time: an engine polls it.
func (e *ERP) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{
		System: System,
		Reads: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityCustomer,
			kontor.EntityShipment, kontor.EntityStatus},
		Writes:   []kontor.Entity{kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityReturn, kontor.EntityStatus},
		MaxBatch: e.sys.MaxBatch(),
	}
}

// PageSize returns how many items one read request returns.
func (e *ERP) PageSize() int { return e.sys.PageSize() }

// FailNext is a test hook: the next n write calls fail whole with err
// before touching any item, as when the ERP is down or rejects the
// credentials. n below 1 or a nil err clears it.
func (e *ERP) FailNext(n int, err error) { e.sys.FailNext(n, err) }

// FailNextRead is a test hook: the next n read requests (pages) fail with
// err, so a read breaks off midway. n below 1 or a nil err clears it.
func (e *ERP) FailNextRead(n int, err error) { e.sys.FailNextRead(n, err) }

// FailKey is a test hook: every write of the item with this key (an order
// number, a customer key, a return number, a status update key) fails as
// a per-item result with err until cleared with a nil err.
func (e *ERP) FailKey(key string, err error) { e.sys.FailKey(key, err) }

// FailAfter is a test hook: the next write call stores its first n items,
// then fails whole with err, as when the connection drops after the ERP
// committed part of the batch. A nil err clears it.
func (e *ERP) FailAfter(n int, err error) { e.sys.FailAfter(n, err) }

// Delay is a test hook: every request takes d, or until its context ends.
// 0 clears it.
func (e *ERP) Delay(d time.Duration) { e.sys.Delay(d) }

// Calls returns how many requests op made, op being a method name:
// "ReadProducts" counts pages, "WriteOrders" counts calls. Calls that an
// ended context or an empty batch stopped before the ERP do not count.
func (e *ERP) Calls(op string) int { return e.sys.Calls(op) }

// Requests returns how many requests all reads and writes made.
func (e *ERP) Requests() int { return e.sys.Requests() }

// Key prefixes, one per table.
const (
	prefixItem     = "ITEM-"
	prefixPrice    = "PRICE-"
	prefixStock    = "STOCK-"
	prefixCustomer = "CUST-"
	prefixOrder    = "SO-"
	prefixCredit   = "CN-"
	prefixShipment = "SHIP-"
)

// nextKey returns the next ERP key with prefix. The caller holds the lock.
func (e *ERP) nextKey(prefix string) string {
	return fmt.Sprintf("%s%06d", prefix, e.sys.Next(prefix))
}

// stamp sets m's version and update time for a change. The caller holds
// the lock.
func (e *ERP) stamp(m *kontor.Meta) {
	m.UpdatedAt, m.Version = e.sys.Stamp()
}

// target is what a write result reports of a stored record's keys.
func target(m kontor.Meta) kontor.Meta {
	return kontor.Meta{ERPKey: m.ERPKey, Version: m.Version, UpdatedAt: m.UpdatedAt}
}

func notFound(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindNotFound, System+" "+op, fmt.Errorf(format, args...))
}

// Orders returns the sales orders, oldest first.
func (e *ERP) Orders() []kontor.Order { return all(e, e.orders) }

// Order returns the sales order with the shop's order number.
func (e *ERP) Order(number string) (kontor.Order, bool) {
	e.sys.Lock()
	defer e.sys.Unlock()
	o, ok := e.orders.Get(number)
	return memconn.Clone(o), ok
}

// Customers returns the customers, oldest first.
func (e *ERP) Customers() []kontor.Customer { return all(e, e.customers) }

// Returns returns the returns booked as credit notes, oldest first.
func (e *ERP) Returns() []kontor.Return { return all(e, e.returns) }

// Shipments returns the shipments, oldest first.
func (e *ERP) Shipments() []kontor.Shipment { return all(e, e.shipments) }

func all[T any](e *ERP, t *memconn.Table[T]) []T {
	e.sys.Lock()
	defer e.sys.Unlock()
	out := make([]T, 0, t.Len())
	t.Each(func(_ string, v T) bool {
		out = append(out, memconn.Clone(v))
		return true
	})
	return out
}
