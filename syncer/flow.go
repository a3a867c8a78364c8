package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Flow moves one entity from one connector to another:
// source → mapping → middleware → sink. Build it with the constructor of
// its entity (Products, Orders, ...) and add it to a Syncer, which checks
// that both connectors can do what the flow needs.
type Flow struct {
	name   string
	entity kontor.Entity
	from   kontor.Connector
	to     kontor.Connector
	target kontor.Side
	cfg    flowConfig
	build  func(*Flow) (runner, error)
	run    runner
	// filled in by Syncer.Add
	batchSize int
	echo      bool // another flow writes this entity to this flow's source
}

// Name returns the flow's name, unique within a Syncer.
func (f *Flow) Name() string { return f.name }

// Entity returns what the flow moves.
func (f *Flow) Entity() kontor.Entity { return f.entity }

// Target returns the side the flow writes to.
func (f *Flow) Target() kontor.Side { return f.target }

type flowConfig struct {
	name        string
	mapper      any
	where       any // func(*T) bool: the items the flow moves
	every       time.Duration
	cron        string
	realtime    bool
	schedule    bool // a trigger option was given
	overlap     time.Duration
	batch       int
	middleware  []Middleware
	idempotent  *bool
	stock       StockPolicy
	productRefs *bool
	debounce    time.Duration
	asJobs      *bool
	owns        []string // the only fields the flow writes and compares
	ignore      []string // fields left out of change detection
}

// FlowOption configures a flow.
type FlowOption func(*flowConfig)

// Named gives the flow a name other than its default ("products",
// "orders", "status-to-shop", ...); two flows of one entity need distinct
// names.
func Named(name string) FlowOption { return func(c *flowConfig) { c.name = name } }

// Map sets the mapping applied to every item between source and sink. Its
// type must match the flow's entity: Map(m) with a mapping.Mapper of
// kontor.Order on an Orders flow. A mismatch fails when the flow is added.
func Map[T any](m mapping.Mapper[T]) FlowOption { return func(c *flowConfig) { c.mapper = m } }

// Where limits the flow to the source items keep accepts, given before
// mapping; the others are not written and not counted, whether they come
// from a sweep, an event or a replay. T is the flow's entity type; Add
// fails on another. Use it to route: shipments to the shop their order
// came from, products of one category to one shop.
func Where[T any](keep func(*T) bool) FlowOption { return func(c *flowConfig) { c.where = keep } }

// Every runs the flow's sweep at a fixed interval.
func Every(d time.Duration) FlowOption {
	return func(c *flowConfig) { c.every, c.cron, c.schedule = d, "", true }
}

// Cron runs the flow's sweep on a cron schedule, five fields
// ("*/15 * * * *") or a descriptor ("@hourly"). A malformed expression
// fails when the flow is added.
func Cron(expr string) FlowOption {
	return func(c *flowConfig) { c.cron, c.every, c.schedule = expr, 0, true }
}

// RealTime makes events (webhooks, ERP change notifications passed to
// Syncer.Notify) trigger the flow at once. They are hints: the flow's
// scheduled sweep stays the truth, and what the sweep finds that no event
// announced is counted as missed. Stock, orders, shipments, returns and
// status are real-time by default.
func RealTime(on bool) FlowOption { return func(c *flowConfig) { c.realtime = on } }

// Overlap sets how far before its cursor an incremental read starts, so
// that records committed while the last run read are not missed; what the
// overlap reads again is skipped by fingerprint. The default is one minute.
func Overlap(d time.Duration) FlowOption { return func(c *flowConfig) { c.overlap = d } }

// BatchSize caps the items per write below the sink's own maximum.
func BatchSize(n int) FlowOption { return func(c *flowConfig) { c.batch = n } }

// Use adds middleware to the flow's chain, inside the built-in retry, so
// each attempt passes through it.
func Use(mw ...Middleware) FlowOption {
	return func(c *flowConfig) { c.middleware = append(c.middleware, mw...) }
}

// Idempotent turns on or off the outbound idempotency records of the
// flow: a key assigned once per logical write, stored before the call and
// reused on every retry, passed to the sink with kontor.WithIdempotencyKeys.
// It is on by default for orders, customers, shipments, returns and status
// updates, whose writes create documents, and off for products, prices
// and stock, whose writes set absolute values.
func Idempotent(on bool) FlowOption { return func(c *flowConfig) { c.idempotent = &on } }

// RequireProductLinks turns on or off the check that every SKU an order or
// return names has a product link. An order with an unknown SKU goes to the
// dead letters with class mapping and is replayed when the link appears.
// It is on by default for Orders and Returns.
func RequireProductLinks(on bool) FlowOption { return func(c *flowConfig) { c.productRefs = &on } }

// Debounce sets how long a real-time flow waits after an event before it
// processes the events that arrived, so that a burst of changes to one SKU
// coalesces into one write. The default is 200 ms.
func Debounce(d time.Duration) FlowOption { return func(c *flowConfig) { c.debounce = d } }

// Owns limits the flow to the given fields of its entity, by their
// top-level JSON names ("title", "description", "variants"): only a change
// to them makes a write, and the sink is told with kontor.WithFields to
// write only them. Use it where each field has one source of truth, such as
// product data from the ERP and marketing texts edited in the shop.
func Owns(fields ...string) FlowOption {
	return func(c *flowConfig) { c.owns = append(c.owns, fields...) }
}

// Ignore leaves fields, by their top-level JSON names, out of change
// detection: a change to them alone makes no write. Orders ignore "status"
// and "payment_status" by default, since the ERP owns fulfilment and the
// status flows carry those changes.
func Ignore(fields ...string) FlowOption {
	return func(c *flowConfig) { c.ignore = append(c.ignore, fields...) }
}

// Products syncs products with their variants, images, categories and
// attributes, by default from the ERP to the shop every hour.
func Products(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityProduct, "products", from, to, kontor.SideShop, time.Hour, false, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.ProductReader), to.(kontor.ProductWriter)
			return newTyped(f, r.ReadProducts, w.WriteProducts, readerOf(to, kontor.ProductReader.ReadProducts))
		})
}

// Prices syncs prices, by default from the ERP to the shop every hour.
func Prices(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityPrice, "prices", from, to, kontor.SideShop, time.Hour, false, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.PriceReader), to.(kontor.PriceWriter)
			return newTyped(f, r.ReadPrices, w.WritePrices, readerOf(to, kontor.PriceReader.ReadPrices))
		})
}

// Stock syncs stock levels from the ERP to the shop, in real time with a
// sweep every five minutes. What the shop is told is the quantity the
// flow's StockPolicy publishes (DefaultStockPolicy unless set).
func Stock(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityStock, "stock", from, to, kontor.SideShop, 5*time.Minute, true, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.StockReader), to.(kontor.StockWriter)
			return newTyped(f, r.ReadStock, w.WriteStock, readerOf(to, kontor.StockReader.ReadStock))
		})
}

// Orders syncs orders with their customer, payment and shipping data from
// the shop to the ERP, in real time with a sweep every five minutes. Each
// order reaches the ERP exactly once.
func Orders(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityOrder, "orders", from, to, kontor.SideERP, 5*time.Minute, true, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.OrderReader), to.(kontor.OrderWriter)
			return newTyped(f, r.ReadOrders, w.WriteOrders, readerOf(to, kontor.OrderReader.ReadOrders))
		})
}

// Customers syncs customers from the shop to the ERP every hour.
func Customers(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityCustomer, "customers", from, to, kontor.SideERP, time.Hour, false, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.CustomerReader), to.(kontor.CustomerWriter)
			return newTyped(f, r.ReadCustomers, w.WriteCustomers, readerOf(to, kontor.CustomerReader.ReadCustomers))
		})
}

// Shipments syncs shipments and their tracking from the ERP to the shop,
// in real time with a sweep every five minutes.
func Shipments(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityShipment, "shipments", from, to, kontor.SideShop, 5*time.Minute, true, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.ShipmentReader), to.(kontor.ShipmentWriter)
			return newTyped(f, r.ReadShipments, w.WriteShipments, readerOf(to, kontor.ShipmentReader.ReadShipments))
		})
}

// Returns syncs returns and their credit notes from the shop to the ERP,
// in real time with a sweep every five minutes.
func Returns(from, to kontor.Connector, opts ...FlowOption) *Flow {
	return newFlow(kontor.EntityReturn, "returns", from, to, kontor.SideERP, 5*time.Minute, true, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.ReturnReader), to.(kontor.ReturnWriter)
			return newTyped(f, r.ReadReturns, w.WriteReturns, readerOf(to, kontor.ReturnReader.ReadReturns))
		})
}

// StatusToShop syncs order, payment and return status changes from the
// ERP to the shop, in real time with a sweep every five minutes.
func StatusToShop(erp, shop kontor.Connector, opts ...FlowOption) *Flow {
	return statusFlow("status-to-shop", erp, shop, kontor.SideShop, opts)
}

// StatusToERP syncs order, payment and return status changes from the
// shop to the ERP, in real time with a sweep every five minutes.
func StatusToERP(shop, erp kontor.Connector, opts ...FlowOption) *Flow {
	return statusFlow("status-to-erp", shop, erp, kontor.SideERP, opts)
}

func statusFlow(name string, from, to kontor.Connector, target kontor.Side, opts []FlowOption) *Flow {
	return newFlow(kontor.EntityStatus, name, from, to, target, 5*time.Minute, true, opts,
		func(f *Flow) (runner, error) {
			r, w := from.(kontor.StatusReader), to.(kontor.StatusWriter)
			return newTyped(f, r.ReadStatusUpdates, w.WriteStatusUpdates, readerOf(to, kontor.StatusReader.ReadStatusUpdates))
		})
}

func newFlow(e kontor.Entity, name string, from, to kontor.Connector, target kontor.Side,
	every time.Duration, realtime bool, opts []FlowOption, build func(*Flow) (runner, error)) *Flow {
	documents := e == kontor.EntityOrder || e == kontor.EntityCustomer || e == kontor.EntityShipment ||
		e == kontor.EntityReturn || e == kontor.EntityStatus
	refs := e == kontor.EntityOrder || e == kontor.EntityReturn
	cfg := flowConfig{name: name, every: every, realtime: realtime, overlap: time.Minute,
		idempotent: &documents, productRefs: &refs, debounce: 200 * time.Millisecond}
	if e == kontor.EntityOrder {
		cfg.ignore = []string{"status", "payment_status"}
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return &Flow{name: cfg.name, entity: e, from: from, to: to, target: target, cfg: cfg, build: build}
}

// runner is a flow's typed half, behind an interface so the engine's
// bookkeeping is written once for all entities.
// errFiltered says an item is not the flow's: its Where left it out.
var errFiltered = errors.New("syncer: left out by the flow's Where")

type runner interface {
	// read streams the source's items since the cursor, mapped and
	// fingerprinted, to fn in chunks of up to n. The chunk's items and
	// values live in buffers reused for the next chunk: fn must copy what
	// it keeps (detach). An item whose mapping failed has mapErr set. The
	// error is the read's or fn's.
	read(ctx context.Context, since kontor.Cursor, n int, fn func([]*Item) error) error
	// detach copies an item's values out of the read buffers.
	detach(it *Item) *Item
	// decode maps a source entity given as JSON (an event payload, a dead
	// letter) into an item; the item is nil when the payload is not one,
	// or, with errFiltered, when the flow's Where leaves it out.
	decode(payload []byte) (*Item, error)
	// write hands the items' values to the sink.
	write(ctx context.Context, items []*Item) ([]kontor.Result, error)
	// validate checks an item's mapped value.
	validate(it *Item) error
	// skus lists the SKUs an item's value refers to (order and return lines).
	skus(it *Item) []string
	// mappingVersion names the flow's mapping.
	mappingVersion() string
}

// entity is what the engine needs of a domain type: every entity of the
// root package satisfies it.
type entity[T any] interface {
	*T
	Key() string
	Fingerprint() uint64
	Validate() error
	Identity() *kontor.Meta
}

type typed[T any, P entity[T]] struct {
	flow    *Flow
	readFn  func(context.Context, kontor.Cursor) iter.Seq2[T, error]
	writeFn func(context.Context, []T) ([]kontor.Result, error)
	mapper  mapping.Mapper[T]
	where   func(*T) bool
	publish func(*T) // the stock policy, for stock flows
	// readTarget reads the entity from the sink, when the sink can: a dry
	// run shows the old values from it.
	readTarget func(context.Context, kontor.Cursor) iter.Seq2[T, error]
}

// readerOf returns c's read method of an entity when c implements reader
// interface R, else nil.
func readerOf[R any, T any](c any, m func(R, context.Context, kontor.Cursor) iter.Seq2[T, error]) func(context.Context, kontor.Cursor) iter.Seq2[T, error] {
	r, ok := c.(R)
	if !ok {
		return nil
	}
	return func(ctx context.Context, cur kontor.Cursor) iter.Seq2[T, error] { return m(r, ctx, cur) }
}

// currentReader is a runner that can read the sink's current values.
type currentReader interface {
	current(ctx context.Context, want map[string]any) (map[string]any, error)
}

// current reads the sink's values of the wanted keys.
func (t *typed[T, P]) current(ctx context.Context, want map[string]any) (map[string]any, error) {
	out := map[string]any{}
	if t.readTarget == nil {
		return out, nil
	}
	for v, err := range t.readTarget(ctx, kontor.Cursor{}) {
		if err != nil {
			return out, err
		}
		p := P(&v)
		if _, ok := want[p.Key()]; ok {
			out[p.Key()] = p
			if len(out) == len(want) {
				break
			}
		}
	}
	return out, nil
}

func newTyped[T any, P entity[T]](f *Flow, read func(context.Context, kontor.Cursor) iter.Seq2[T, error],
	write func(context.Context, []T) ([]kontor.Result, error),
	readTarget func(context.Context, kontor.Cursor) iter.Seq2[T, error]) (runner, error) {
	t := &typed[T, P]{flow: f, readFn: read, writeFn: write, readTarget: readTarget}
	if f.cfg.mapper != nil {
		m, ok := f.cfg.mapper.(mapping.Mapper[T])
		if !ok {
			var zero T
			return nil, fmt.Errorf("syncer: flow %s: the mapping is a %T, want a mapping.Mapper[%T]", f.name, f.cfg.mapper, zero)
		}
		t.mapper = m
	}
	if f.cfg.where != nil {
		w, ok := f.cfg.where.(func(*T) bool)
		if !ok {
			var zero T
			return nil, fmt.Errorf("syncer: flow %s: Where takes a %T, want a func(*%T) bool", f.name, f.cfg.where, zero)
		}
		t.where = w
	}
	if f.entity == kontor.EntityStock {
		policy := f.cfg.stock
		if policy == nil {
			policy = DefaultStockPolicy
		}
		t.publish = func(v *T) { *any(v).(*kontor.StockLevel) = policy(*any(v).(*kontor.StockLevel)) }
	}
	return t, nil
}

func (t *typed[T, P]) mappingVersion() string {
	if t.mapper == nil {
		return ""
	}
	return t.mapper.Version()
}

// fill maps the source value *src into *out and describes both in it. On
// a mapping failure it.mapErr is set and it.Value is nil.
func (t *typed[T, P]) fill(ctx context.Context, it *Item, src, out *T) {
	sp := P(src)
	*it = Item{Key: sp.Key(), Meta: *sp.Identity(), MappingVersion: t.mappingVersion(), source: sp}
	if t.flow.echo {
		it.sourceFP = sp.Fingerprint()
	}
	if t.mapper != nil {
		var err error
		if *out, err = t.mapper.Map(ctx, *src); err != nil {
			it.mapErr = err
			return
		}
	} else if out != src {
		*out = *src
	}
	if t.publish != nil {
		t.publish(out)
	}
	op := P(out)
	it.Value = op
	if t.flow.cfg.owns != nil || t.flow.cfg.ignore != nil {
		it.Fingerprint = projectedFingerprint(op, t.flow.cfg.owns, t.flow.cfg.ignore)
	} else {
		it.Fingerprint = op.Fingerprint()
	}
}

func (t *typed[T, P]) read(ctx context.Context, since kontor.Cursor, n int, fn func([]*Item) error) error {
	items := make([]Item, n)
	ptrs := make([]*Item, 0, n)
	srcs := make([]T, n)
	outs := srcs // without a mapping the value is mapped in place
	if t.mapper != nil {
		outs = make([]T, n)
	}
	for src, err := range t.readFn(ctx, since) {
		if err != nil {
			return err
		}
		if t.where != nil && !t.where(&src) {
			continue
		}
		i := len(ptrs)
		srcs[i] = src
		t.fill(ctx, &items[i], &srcs[i], &outs[i])
		ptrs = append(ptrs, &items[i])
		if len(ptrs) == n {
			if err := fn(ptrs); err != nil {
				return err
			}
			ptrs = ptrs[:0]
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(ptrs) > 0 {
		return fn(ptrs)
	}
	return nil
}

func (t *typed[T, P]) detach(it *Item) *Item {
	c := *it
	if it.Value != nil {
		v := *it.Value.(P)
		c.Value = P(&v)
	}
	if it.source != nil {
		if it.source == it.Value {
			c.source = c.Value
		} else {
			v := *it.source.(P)
			c.source = P(&v)
		}
	}
	return &c
}

func (t *typed[T, P]) decode(payload []byte) (*Item, error) {
	var src T
	if err := json.Unmarshal(payload, &src); err != nil {
		return nil, err
	}
	if P(&src).Key() == "" {
		return nil, fmt.Errorf("syncer: flow %s: the payload has no key", t.flow.name)
	}
	if t.where != nil && !t.where(&src) {
		return nil, errFiltered
	}
	it, out := new(Item), new(T)
	t.fill(context.Background(), it, &src, out)
	return it, it.mapErr
}

func (t *typed[T, P]) write(ctx context.Context, items []*Item) ([]kontor.Result, error) {
	vals := make([]T, len(items))
	keys := make([]string, len(items))
	keyed := false
	for i, it := range items {
		vals[i] = *it.Value.(P)
		keys[i] = it.IdempotencyKey
		keyed = keyed || it.IdempotencyKey != ""
	}
	if keyed {
		ctx = kontor.WithIdempotencyKeys(ctx, keys)
	}

	results, err := t.writeFn(ctx, vals)
	if err != nil {
		return nil, err
	}
	if len(results) != len(items) {
		return nil, kontor.NewError(kontor.KindPermanent, "syncer: flow "+t.flow.name,
			fmt.Errorf("the sink returned %d results for %d items", len(results), len(items)))
	}
	return results, nil
}

func (t *typed[T, P]) validate(it *Item) error { return it.Value.(P).Validate() }

func (t *typed[T, P]) skus(it *Item) []string {
	switch v := any(it.Value).(type) {
	case *kontor.Order:
		out := make([]string, 0, len(v.Lines))
		for _, l := range v.Lines {
			out = append(out, l.SKU)
		}
		return out
	case *kontor.Return:
		out := make([]string, 0, len(v.Lines))
		for _, l := range v.Lines {
			out = append(out, l.SKU)
		}
		return out
	}
	return nil
}

// storeOp is the operation a write of it is: an archive when a product
// becomes discontinued, else a create or an update.
func storeOp(it *Item, found bool) store.Op {
	if p, ok := it.Value.(*kontor.Product); ok && p.Status == kontor.ProductDiscontinued {
		return store.OpArchive
	}
	if found {
		return store.OpUpdate
	}
	return store.OpCreate
}
