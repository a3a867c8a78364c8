// Package kontortest is the conformance suite every connector runs: it
// checks that a connector keeps the contracts the engine relies on, for
// each entity and direction its capabilities declare.
//
// A connector package runs it from a test with a constructor that returns a
// fresh connector and what the suite cannot find out by itself:
//
//	func TestConformance(t *testing.T) {
//		kontortest.RunConnector(t, func(t *testing.T) (kontor.Connector, kontortest.Features) {
//			erp := memerp.New(memerp.WithPageSize(10))
//			return erp, kontortest.Features{
//				PageSize:           10,
//				ReadsAreOrdered:    true,
//				ChecksBeforeCreate: true,
//				Seed:               func(t testing.TB, n int) { ... put n items of each readable entity ... },
//			}
//		})
//	}
//
// # What it checks
//
// The capabilities: [kontor.Require] passes for every declared entity and
// direction, so each declared capability has its interface, and fails for
// every undeclared one.
//
// Every read, over a seeded 3.5 pages: it pages to the end, yields every
// item once with a key and an update time, in change order where the
// connector says so; a read since a time yields exactly the items changed
// at or after it; a consumer that stops after one item stops the paging;
// a cancelled context ends the sequence with an error matching
// context.Canceled and no item after it.
//
// Every write, once the products its items name exist
// (Features.PrepareCatalog) and the orders they refer to are placed
// (PlaceOrders, PlaceNumberedOrders or the connector's OrderWriter): one
// result per item, in order, with the item's key; a full MaxBatch batch
// succeeds; an invalid item fails alone, as a per-item result of kind
// validation, while the valid items of its batch succeed; writing a batch
// again creates nothing twice and maps each item to the same remote key
// (an order writer that checks before creating reports the repeat
// Unchanged); a cancelled context fails the call and writes nothing.
//
// Connectors that expose test hooks get more checks, found by interface
// assertion: FailNext(n int, err error) (the injected error's kind reaches
// the caller; the next call succeeds), FailKey(key string, err error) (one
// item fails alone with the injected kind), FailAfter(n int, err error) (a
// batch that failed midway, written again, creates nothing twice), and
// Requests() int (paging and early stops are counted). The in-memory
// connectors erp/memerp and shop/memshop have all of them.
//
// # Samples
//
// SampleProduct, SampleOrder and the other Sample functions build valid
// items of every entity, so engine tests and examples reuse them.
package kontortest

import (
	"testing"

	"github.com/kontor-dev/kontor"
)

// Features says what the suite cannot learn from the connector itself.
// Which entities and directions to check comes from its Capabilities.
type Features struct {
	// Seed puts n items of every entity the connector reads into the
	// system behind it, so that, with nothing else there, a read yields
	// exactly n of each. Nil skips the read checks.
	Seed func(t testing.TB, n int)
	// PlaceOrders makes the orders exist in the system behind the
	// connector, so that shipments, returns and status updates written
	// for them have an order to attach to. Nil: the suite writes them
	// through the connector's OrderWriter if it has one, else it writes
	// those entities without orders.
	PlaceOrders func(t testing.TB, orders []kontor.Order)
	// PlaceNumberedOrders is PlaceOrders for a system that gives orders
	// numbers of its own (WooCommerce numbers an order with its id): it
	// makes the orders exist and returns them as the system has them, one
	// for each and in the same order, with the system's Number and its
	// keys in Meta (ShopKey, ERPKey). The suite then writes the shipments,
	// returns and status updates for those numbers, with the keys as their
	// OrderKeys, as the engine would after reading the orders back. An
	// empty Number keeps the order's own. When set, PlaceOrders is not
	// called.
	PlaceNumberedOrders func(t testing.TB, orders []kontor.Order) []kontor.Order
	// PrepareCatalog makes products with the SKUs exist in the system
	// behind the connector, for a system that takes prices, stock, orders
	// or returns only for products it has (a shop keeps no price for a
	// SKU it does not sell). The write checks call it with the SKUs their
	// items name before they write prices, stock, orders and returns.
	// Nil: those are written as they are.
	PrepareCatalog func(t testing.TB, skus []string)
	// PageSize is the connector's read page size as configured; the read
	// checks seed 3.5 pages. 0: 100.
	PageSize int
	// ReadsAreOrdered says reads yield items in change order: UpdatedAt
	// never decreases within one read.
	ReadsAreOrdered bool
	// ChecksBeforeCreate says the order writer finds an order it already
	// has by its number and reports it Unchanged instead of creating it
	// again.
	ChecksBeforeCreate bool
	// NoTargetKeys says the system assigns no keys the engine could link
	// (a file export): write results need not carry an ERP or shop key.
	NoTargetKeys bool
	// MaxItems caps how many items a check puts into the system, for
	// systems where items are slow or costly; 0 is no cap. The read
	// checks seed at least 2 whatever the cap.
	MaxItems int
}

// Check is one conformance check, run on a fresh connector.
type Check struct {
	// Name is "capabilities", "read/<entity>/<what>" or
	// "write/<entity>/<what>".
	Name string
	// Run checks conn, reporting failures to t.
	Run func(t testing.TB, conn kontor.Connector, f Features)
}

// Checks returns the checks for a connector with caps: the capability
// check, then the read checks of every entity it reads and the write
// checks of every entity it writes, in the order of kontor.Entities.
func Checks(caps kontor.Capabilities) []Check {
	checks := []Check{{Name: "capabilities", Run: checkCapabilities}}
	for _, s := range specs {
		if caps.Supports(s.entity, kontor.Read) {
			checks = append(checks, readChecks(s)...)
		}
	}
	for _, s := range specs {
		if caps.Supports(s.entity, kontor.Write) {
			checks = append(checks, writeChecks(s)...)
		}
	}
	return checks
}

// RunConnector runs every check of Checks as a subtest. newConnector is
// called once to learn the capabilities, then once per check, and must
// return a connector to an empty system each time, with the Features that
// go with it (their Seed and PlaceOrders act on that connector's system).
func RunConnector(t *testing.T, newConnector func(t *testing.T) (kontor.Connector, Features)) {
	t.Helper()
	conn, _ := newConnector(t)
	for _, c := range Checks(conn.Capabilities()) {
		t.Run(c.Name, func(t *testing.T) {
			conn, f := newConnector(t)
			c.Run(t, conn, f)
		})
	}
}

func checkCapabilities(t testing.TB, conn kontor.Connector, _ Features) {
	t.Helper()
	caps := conn.Capabilities()
	if caps.System == "" {
		t.Errorf("Capabilities().System is empty; the engine names the connector by it in errors")
	}
	for _, d := range []kontor.Direction{kontor.Read, kontor.Write} {
		declared := caps.Reads
		if d == kontor.Write {
			declared = caps.Writes
		}
		seen := make(map[kontor.Entity]bool)
		for _, e := range declared {
			if seen[e] {
				t.Errorf("capabilities list %s %s twice", d, e)
			}
			seen[e] = true
		}
		for _, e := range kontor.Entities {
			err := kontor.Require(conn, e, d)
			switch {
			case caps.Supports(e, d) && err != nil:
				t.Errorf("declares %s %s, but Require fails: %v", d, e, err)
			case !caps.Supports(e, d) && err == nil:
				t.Errorf("does not declare %s %s, but Require passes", d, e)
			}
		}
	}
	for e, n := range caps.MaxBatch {
		if n < 0 {
			t.Errorf("MaxBatch of %s is %d; 0 or absent means batches of 1", e, n)
		}
	}
}

// Optional hooks of a connector, found by interface assertion.
type (
	requestCounter interface{ Requests() int }
	failNexter     interface{ FailNext(n int, err error) }
	failKeyer      interface{ FailKey(key string, err error) }
	failAfterer    interface{ FailAfter(n int, err error) }
)

// guard runs fn and reports a panic as a failure: a connector that keeps
// yielding after its consumer stopped makes the range statement panic.
func guard(t testing.TB, fn func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("panic: %v", r)
		}
	}()
	fn()
}
