package syncer

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// fakeSide is a small in-test system: it serves products, stock, orders
// and status as a source and takes them as a sink, with fault hooks.
type fakeSide struct {
	mu     sync.Mutex
	system string
	side   kontor.Side
	reads  []kontor.Entity
	writes []kontor.Entity
	batch  int

	products map[string]kontor.Product
	stock    map[string]kontor.StockLevel
	orders   map[string]kontor.Order
	status   map[string]kontor.StatusUpdate

	calls       int            // write calls
	created     map[string]int // creates per key
	byIdemKey   map[string]kontor.Result
	failCalls   []error          // the next write calls fail whole with these
	failKeys    map[string]error // writes of these keys fail per item
	failAfter   int              // with failAfterErr: store this many items, then fail the call
	failAfterEr error
	panicKey    string     // a write that contains this key panics
	poisonKey   string     // a batch containing this key fails whole, permanently
	readErrAt   int        // a read fails after this many items (0: never)
	seenKeys    [][]string // the idempotency keys of each write call
}

func newFake(system string, side kontor.Side) *fakeSide {
	return &fakeSide{system: system, side: side, batch: 50,
		reads:    []kontor.Entity{kontor.EntityProduct, kontor.EntityStock, kontor.EntityOrder, kontor.EntityStatus},
		writes:   []kontor.Entity{kontor.EntityProduct, kontor.EntityStock, kontor.EntityOrder, kontor.EntityStatus},
		products: map[string]kontor.Product{}, stock: map[string]kontor.StockLevel{}, orders: map[string]kontor.Order{},
		status: map[string]kontor.StatusUpdate{}, created: map[string]int{}, byIdemKey: map[string]kontor.Result{},
		failKeys: map[string]error{}}
}

func (f *fakeSide) Capabilities() kontor.Capabilities {
	mb := map[kontor.Entity]int{}
	for _, e := range f.writes {
		mb[e] = f.batch
	}
	return kontor.Capabilities{System: f.system, Reads: f.reads, Writes: f.writes, MaxBatch: mb}
}

// sortedRead yields the values of m changed at or after since, in
// (UpdatedAt, key) order.
func sortedRead[T any](f *fakeSide, m map[string]T, meta func(*T) kontor.Meta, ctx context.Context, since kontor.Cursor) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		f.mu.Lock()
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		vals := make(map[string]T, len(m))
		for k, v := range m {
			vals[k] = v
		}
		errAt := f.readErrAt
		f.mu.Unlock()
		slices.SortFunc(keys, func(a, b string) int {
			va, vb := vals[a], vals[b]
			if c := meta(&va).UpdatedAt.Compare(meta(&vb).UpdatedAt); c != 0 {
				return c
			}
			return compareStrings(a, b)
		})
		n := 0
		for _, k := range keys {
			v := vals[k]
			if meta(&v).UpdatedAt.Before(since.Since) {
				continue
			}
			if err := ctx.Err(); err != nil {
				var zero T
				yield(zero, err)
				return
			}
			if errAt > 0 && n == errAt {
				var zero T
				yield(zero, kontor.NewError(kontor.KindRetryable, f.system+" read", errors.New("connection reset")))
				return
			}
			n++
			if !yield(v, nil) {
				return
			}
		}
	}
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (f *fakeSide) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return sortedRead(f, f.products, func(p *kontor.Product) kontor.Meta { return p.Meta }, ctx, since)
}

func (f *fakeSide) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return sortedRead(f, f.stock, func(s *kontor.StockLevel) kontor.Meta { return s.Meta }, ctx, since)
}

func (f *fakeSide) ReadOrders(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Order, error] {
	return sortedRead(f, f.orders, func(o *kontor.Order) kontor.Meta { return o.Meta }, ctx, since)
}

func (f *fakeSide) ReadStatusUpdates(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error] {
	return sortedRead(f, f.status, func(s *kontor.StatusUpdate) kontor.Meta { return s.Meta }, ctx, since)
}

// write is the common write path: faults first, then store per item.
func write[T any](ctx context.Context, f *fakeSide, items []T, key func(*T) string, store func(*T, int) kontor.Result) ([]kontor.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var keys []string
	for i := range items {
		keys = append(keys, kontor.IdempotencyKey(ctx, i))
	}
	f.seenKeys = append(f.seenKeys, keys)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(f.failCalls) > 0 {
		err := f.failCalls[0]
		f.failCalls = f.failCalls[1:]
		return nil, err
	}
	for i := range items {
		k := key(&items[i])
		if k == f.panicKey && k != "" {
			panic("fake: boom on " + k)
		}
		if k == f.poisonKey && k != "" {
			return nil, kontor.NewError(kontor.KindPermanent, f.system+" write", errors.New("batch rejected: bundle items cannot be adjusted"))
		}
	}
	out := make([]kontor.Result, len(items))
	for i := range items {
		k := key(&items[i])
		if f.failAfterEr != nil && i == f.failAfter {
			err := f.failAfterEr
			f.failAfterEr = nil
			return nil, err
		}
		if err, ok := f.failKeys[k]; ok {
			out[i] = kontor.Result{Key: k, Outcome: kontor.Failed, Err: err}
			continue
		}
		if ik := kontor.IdempotencyKey(ctx, i); ik != "" {
			if r, ok := f.byIdemKey[ik]; ok {
				r.Outcome = kontor.Unchanged
				out[i] = r
				continue
			}
		}
		out[i] = store(&items[i], i)
		if ik := kontor.IdempotencyKey(ctx, i); ik != "" {
			f.byIdemKey[ik] = out[i]
		}
	}
	return out, nil
}

func (f *fakeSide) outcome(key string) kontor.Outcome {
	f.created[key]++
	if f.created[key] == 1 {
		return kontor.Created
	}
	return kontor.Updated
}

func (f *fakeSide) WriteProducts(ctx context.Context, ps []kontor.Product) ([]kontor.Result, error) {
	return write(ctx, f, ps, func(p *kontor.Product) string { return p.SKU }, func(p *kontor.Product, i int) kontor.Result {
		f.products[p.SKU] = *p
		return kontor.Result{Key: p.SKU, Outcome: f.outcome(p.SKU), Target: kontor.Meta{ShopKey: "shop-" + p.SKU}}
	})
}

func (f *fakeSide) WriteStock(ctx context.Context, ls []kontor.StockLevel) ([]kontor.Result, error) {
	return write(ctx, f, ls, func(s *kontor.StockLevel) string { return s.Key() }, func(s *kontor.StockLevel, i int) kontor.Result {
		f.stock[s.Key()] = *s
		return kontor.Result{Key: s.Key(), Outcome: f.outcome(s.Key())}
	})
}

func (f *fakeSide) WriteOrders(ctx context.Context, os []kontor.Order) ([]kontor.Result, error) {
	return write(ctx, f, os, func(o *kontor.Order) string { return o.Number }, func(o *kontor.Order, i int) kontor.Result {
		if prev, ok := f.orders[o.Number]; ok { // check before create, by number
			return kontor.Result{Key: o.Number, Outcome: kontor.Unchanged, Target: prev.Meta}
		}
		o.ERPKey = "SO-" + o.Number
		f.orders[o.Number] = *o
		return kontor.Result{Key: o.Number, Outcome: f.outcome(o.Number), Target: kontor.Meta{ERPKey: o.ERPKey}}
	})
}

func (f *fakeSide) WriteStatusUpdates(ctx context.Context, us []kontor.StatusUpdate) ([]kontor.Result, error) {
	return write(ctx, f, us, func(s *kontor.StatusUpdate) string { return s.Key() }, func(s *kontor.StatusUpdate, i int) kontor.Result {
		// Like a shop: what is written can be read back, with the shop's
		// own update time: the echo.
		s.UpdatedAt = s.UpdatedAt.Add(time.Second)
		f.status[s.Key()] = *s
		return kontor.Result{Key: s.Key(), Outcome: f.outcome(s.Key())}
	})
}

var base = time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func product(sku string, minute int) kontor.Product {
	return kontor.Product{Meta: kontor.Meta{ERPKey: "I-" + sku, Version: int64(minute), UpdatedAt: base.Add(time.Duration(minute) * time.Minute)},
		SKU: sku, Title: "Product " + sku, Status: kontor.ProductActive}
}

func (f *fakeSide) put(ps ...kontor.Product) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		f.products[p.SKU] = p
	}
}

func eur(s string) kontor.Money { return kontor.MustMoney(s, "EUR") }

func order(number string, minute int, skus ...string) kontor.Order {
	o := kontor.Order{Meta: kontor.Meta{ShopKey: "gid://shop/Order/" + number, UpdatedAt: base.Add(time.Duration(minute) * time.Minute)},
		Number: number, PlacedAt: base, Currency: "EUR", Status: kontor.OrderProcessing,
		Customer: kontor.Customer{Type: kontor.B2C, Email: "buyer@example.org", LastName: "Buyer"},
		Billing:  kontor.Address{Country: "DE", City: "Köln"}}
	for _, sku := range skus {
		o.Lines = append(o.Lines, kontor.OrderLine{SKU: sku, Quantity: dec("1"), UnitPrice: eur("10.00"),
			Net: eur("10.00"), Tax: eur("1.90"), Gross: eur("11.90"), TaxRate: dec("19")})
	}
	n := decimal.NewFromInt(int64(len(skus)))
	o.TotalNet = kontor.Money{Amount: dec("10.00").Mul(n), Currency: "EUR"}
	o.TotalTax = kontor.Money{Amount: dec("1.90").Mul(n), Currency: "EUR"}
	o.TotalGross = kontor.Money{Amount: dec("11.90").Mul(n), Currency: "EUR"}
	return o
}
