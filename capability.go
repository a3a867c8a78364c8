package kontor

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"
)

// Entity names a kind of data that flows.
type Entity string

// The entities.
const (
	EntityProduct  Entity = "product"
	EntityPrice    Entity = "price"
	EntityStock    Entity = "stock"
	EntityOrder    Entity = "order"
	EntityCustomer Entity = "customer"
	EntityShipment Entity = "shipment"
	EntityReturn   Entity = "return"
	EntityStatus   Entity = "status"
)

// Entities lists every entity, in the order flows usually run.
var Entities = []Entity{EntityProduct, EntityPrice, EntityStock, EntityCustomer, EntityOrder, EntityShipment, EntityReturn, EntityStatus}

// Direction says whether a connector reads an entity from its system or
// writes it there.
type Direction uint8

// The directions.
const (
	Read Direction = iota + 1
	Write
)

// String returns "read" or "write".
func (d Direction) String() string {
	switch d {
	case Read:
		return "read"
	case Write:
		return "write"
	}
	return fmt.Sprintf("Direction(%d)", d)
}

// Cursor is where an incremental read resumes. The engine keeps it between
// runs and moves Since back by an overlap window, so records committed
// while a run read are not missed; the overlap's repeats are skipped by
// version.
type Cursor struct {
	// Since reads what changed at or after this time; zero reads all.
	Since time.Time `json:"since,omitzero"`
	// Token is a connector's own resume point (a page cursor, a change
	// sequence number); empty starts from Since.
	Token string `json:"token,omitempty"`
}

// Reads stream: a connector yields items as it pages through its system and
// stops when the consumer stops ranging, so a 1,000,000-item catalog never
// sits in memory. An error ends the sequence; what was yielded before it is
// valid.

// ProductReader reads products changed since a cursor.
type ProductReader interface {
	ReadProducts(ctx context.Context, since Cursor) iter.Seq2[Product, error]
}

// PriceReader reads prices changed since a cursor.
type PriceReader interface {
	ReadPrices(ctx context.Context, since Cursor) iter.Seq2[Price, error]
}

// StockReader reads stock levels changed since a cursor.
type StockReader interface {
	ReadStock(ctx context.Context, since Cursor) iter.Seq2[StockLevel, error]
}

// OrderReader reads orders created or changed since a cursor.
type OrderReader interface {
	ReadOrders(ctx context.Context, since Cursor) iter.Seq2[Order, error]
}

// CustomerReader reads customers changed since a cursor.
type CustomerReader interface {
	ReadCustomers(ctx context.Context, since Cursor) iter.Seq2[Customer, error]
}

// ShipmentReader reads shipments created since a cursor.
type ShipmentReader interface {
	ReadShipments(ctx context.Context, since Cursor) iter.Seq2[Shipment, error]
}

// ReturnReader reads returns created or changed since a cursor.
type ReturnReader interface {
	ReadReturns(ctx context.Context, since Cursor) iter.Seq2[Return, error]
}

// StatusReader reads status changes since a cursor.
type StatusReader interface {
	ReadStatusUpdates(ctx context.Context, since Cursor) iter.Seq2[StatusUpdate, error]
}

// Writes take a batch no larger than the connector's MaxBatch and return
// one Result per item, in order: partial failure is the normal case. The
// error is for what failed the whole batch (the system is down, the
// credentials are wrong); then no result is trustworthy and the engine
// retries the batch, which writes must tolerate (upsert by key).

// ProductWriter creates or updates products.
type ProductWriter interface {
	WriteProducts(ctx context.Context, products []Product) ([]Result, error)
}

// PriceWriter sets prices.
type PriceWriter interface {
	WritePrices(ctx context.Context, prices []Price) ([]Result, error)
}

// StockWriter sets stock levels.
type StockWriter interface {
	WriteStock(ctx context.Context, levels []StockLevel) ([]Result, error)
}

// OrderWriter creates orders. It must find an order it already created
// (by the shop's order number) instead of creating it twice.
type OrderWriter interface {
	WriteOrders(ctx context.Context, orders []Order) ([]Result, error)
}

// CustomerWriter creates or updates customers.
type CustomerWriter interface {
	WriteCustomers(ctx context.Context, customers []Customer) ([]Result, error)
}

// ShipmentWriter records shipments and their tracking.
type ShipmentWriter interface {
	WriteShipments(ctx context.Context, shipments []Shipment) ([]Result, error)
}

// ReturnWriter records returns and their credit notes.
type ReturnWriter interface {
	WriteReturns(ctx context.Context, returns []Return) ([]Result, error)
}

// StatusWriter applies status changes.
type StatusWriter interface {
	WriteStatusUpdates(ctx context.Context, updates []StatusUpdate) ([]Result, error)
}

// Outcome is what a write did to one item.
type Outcome string

// Outcomes of a write.
const (
	Created   Outcome = "created"
	Updated   Outcome = "updated"
	Unchanged Outcome = "unchanged" // the target already held this state
	Failed    Outcome = "failed"
)

// Result is the outcome of writing one item of a batch.
type Result struct {
	Key     string  // the item's key as the caller knows it (SKU, order number)
	Outcome Outcome // what happened
	// Target is the item's key in the system written to, so the engine can
	// link both worlds.
	Target Meta
	Err    error // set when Outcome is Failed
}

// ItemError is the failure of one item of a batch.
type ItemError struct {
	Index int    // the item's position in the batch
	Key   string // the item's key
	Err   error  // why it failed, classified
}

// Error returns "key: cause".
func (e *ItemError) Error() string { return fmt.Sprintf("item %d (%s): %v", e.Index, e.Key, e.Err) }

// Unwrap returns the cause.
func (e *ItemError) Unwrap() error { return e.Err }

// BatchError says which items of a batch failed; the others succeeded. Its
// Unwrap exposes every item's error, so errors.Is(err, ErrValidation) asks
// whether any item failed validation.
type BatchError struct {
	Total  int          // the batch's size
	Failed []*ItemError // the failed items, in batch order
}

// Error summarises the failures.
func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d items failed", len(e.Failed), e.Total)
	for i, f := range e.Failed {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-3)
			break
		}
		b.WriteString("; ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap returns the items' errors.
func (e *BatchError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f
	}
	return out
}

// Indexes returns the positions of the failed items.
func (e *BatchError) Indexes() []int {
	out := make([]int, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Index
	}
	return out
}

// BatchErr returns a *BatchError for the failed results, or nil when every
// item succeeded. A result with an Err but no Outcome counts as failed.
func BatchErr(results []Result) error {
	var be BatchError
	for i, r := range results {
		if r.Err != nil || r.Outcome == Failed {
			err := r.Err
			if err == nil {
				err = fmt.Errorf("failed without a reason")
			}
			be.Failed = append(be.Failed, &ItemError{Index: i, Key: r.Key, Err: err})
		}
	}
	if len(be.Failed) == 0 {
		return nil
	}
	be.Total = len(results)
	return &be
}

// Capabilities is what a connector's system can do. The engine checks it when
// a flow is configured, so an unsupported flow fails at setup.
type Capabilities struct {
	// System names the system, e.g. "shopify".
	System string
	// Reads and Writes list the entities the connector reads and writes.
	Reads  []Entity
	Writes []Entity
	// MaxBatch is the largest batch a write takes, per entity; absent or 0
	// is 1.
	MaxBatch map[Entity]int
	// Events lists the entities the system announces in real time
	// (webhooks, change feeds); the others are polled.
	Events []Entity
}

// Supports reports whether the capabilities declare entity e in direction d.
func (c Capabilities) Supports(e Entity, d Direction) bool {
	switch d {
	case Read:
		return slices.Contains(c.Reads, e)
	case Write:
		return slices.Contains(c.Writes, e)
	}
	return false
}

// BatchSize returns the largest batch a write of e takes, at least 1.
func (c Capabilities) BatchSize(e Entity) int {
	if n := c.MaxBatch[e]; n > 0 {
		return n
	}
	return 1
}

// HasEvents reports whether the system announces changes of e in real time.
func (c Capabilities) HasEvents(e Entity) bool { return slices.Contains(c.Events, e) }

// Connector is implemented by every connector: it says what it can do.
// The reader and writer interfaces it implements must agree with that.
type Connector interface {
	Capabilities() Capabilities
}

// UnsupportedError says a connector cannot do what a flow needs.
type UnsupportedError struct {
	System    string    // the connector's system
	Entity    Entity    // what the flow needs
	Direction Direction // read or write
	Reason    string    // why it cannot
}

// Error returns "shopify cannot write order: reason".
func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("%s cannot %s %s: %s", e.System, e.Direction, e.Entity, e.Reason)
}

// ErrorKind returns KindPermanent: the flow's configuration is wrong.
func (e *UnsupportedError) ErrorKind() Kind { return KindPermanent }

// Is matches ErrPermanent.
func (e *UnsupportedError) Is(target error) bool { return sentinelMatches(KindPermanent, target) }

// Require checks that conn both declares entity e in direction d and
// implements the matching reader or writer interface. The engine calls it
// for every flow when the flow is configured.
func Require(conn Connector, e Entity, d Direction) error {
	caps := conn.Capabilities()
	fail := func(reason string) error {
		return &UnsupportedError{System: caps.System, Entity: e, Direction: d, Reason: reason}
	}
	if !caps.Supports(e, d) {
		return fail("not in its capabilities")
	}
	if !implements(conn, e, d) {
		return fail(fmt.Sprintf("declared, but %T does not implement the %s interface", conn, interfaceName(e, d)))
	}
	return nil
}

func implements(conn any, e Entity, d Direction) bool {
	var ok bool
	switch {
	case e == EntityProduct && d == Read:
		_, ok = conn.(ProductReader)
	case e == EntityProduct && d == Write:
		_, ok = conn.(ProductWriter)
	case e == EntityPrice && d == Read:
		_, ok = conn.(PriceReader)
	case e == EntityPrice && d == Write:
		_, ok = conn.(PriceWriter)
	case e == EntityStock && d == Read:
		_, ok = conn.(StockReader)
	case e == EntityStock && d == Write:
		_, ok = conn.(StockWriter)
	case e == EntityOrder && d == Read:
		_, ok = conn.(OrderReader)
	case e == EntityOrder && d == Write:
		_, ok = conn.(OrderWriter)
	case e == EntityCustomer && d == Read:
		_, ok = conn.(CustomerReader)
	case e == EntityCustomer && d == Write:
		_, ok = conn.(CustomerWriter)
	case e == EntityShipment && d == Read:
		_, ok = conn.(ShipmentReader)
	case e == EntityShipment && d == Write:
		_, ok = conn.(ShipmentWriter)
	case e == EntityReturn && d == Read:
		_, ok = conn.(ReturnReader)
	case e == EntityReturn && d == Write:
		_, ok = conn.(ReturnWriter)
	case e == EntityStatus && d == Read:
		_, ok = conn.(StatusReader)
	case e == EntityStatus && d == Write:
		_, ok = conn.(StatusWriter)
	}
	return ok
}

func interfaceName(e Entity, d Direction) string {
	names := map[Entity]string{EntityProduct: "Product", EntityPrice: "Price", EntityStock: "Stock", EntityOrder: "Order",
		EntityCustomer: "Customer", EntityShipment: "Shipment", EntityReturn: "Return", EntityStatus: "Status"}
	suffix := "Reader"
	if d == Write {
		suffix = "Writer"
	}
	return "kontor." + names[e] + suffix
}
