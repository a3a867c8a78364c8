package memconn

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// ticker is a clock that moves one second per reading.
func ticker() func() time.Time {
	n := 0
	return func() time.Time { n++; return t0.Add(time.Duration(n) * time.Second) }
}

func newSystem(pageSize int) *System {
	return NewSystem(Config{Name: "test", Clock: ticker(), PageSize: pageSize,
		MaxBatch: map[kontor.Entity]int{kontor.EntityStock: 3}})
}

func put(s *System, t *Table[kontor.StockLevel], sku string, qty int64) {
	s.Lock()
	defer s.Unlock()
	at, ver := s.Stamp()
	t.Put(sku, kontor.StockLevel{Meta: kontor.Meta{Version: ver, UpdatedAt: at}, SKU: sku, Available: decimal.NewFromInt(qty)}, at, ver)
}

func readAll(t *testing.T, seq func(func(kontor.StockLevel, error) bool)) ([]string, error) {
	t.Helper()
	var keys []string
	for s, err := range seq {
		if err != nil {
			return keys, err
		}
		keys = append(keys, s.SKU)
	}
	return keys, nil
}

func TestReadPagesInChangeOrder(t *testing.T) {
	s := newSystem(2)
	tab := NewTable[kontor.StockLevel]()
	for _, sku := range []string{"C", "A", "B", "D", "E"} {
		put(s, tab, sku, 1)
	}
	put(s, tab, "A", 2) // A moves to the end

	keys, err := readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"C", "B", "D", "E", "A"}, keys)
	assert.Equal(t, 3, s.Calls("ReadStock"), "5 rows in pages of 2, without an empty fourth request")

	// Since the time of D's change (the 4th stamp): D, E and A.
	keys, err = readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{Since: t0.Add(4 * time.Second)}))
	require.NoError(t, err)
	assert.Equal(t, []string{"D", "E", "A"}, keys)
	assert.Equal(t, 5, s.Requests())

	keys, err = readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{Since: t0.Add(time.Hour)}))
	require.NoError(t, err)
	assert.Empty(t, keys)
	assert.Equal(t, 6, s.Requests(), "an empty read is one request")
}

func TestReadEqualTimesOrderByKey(t *testing.T) {
	s := NewSystem(Config{Name: "test", Clock: func() time.Time { return t0 }, PageSize: 2})
	tab := NewTable[kontor.StockLevel]()
	for _, sku := range []string{"B", "C", "A", "B"} {
		put(s, tab, sku, 1)
	}
	keys, err := readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{Since: t0}))
	require.NoError(t, err)
	assert.Equal(t, []string{"A", "B", "C"}, keys)
}

func TestTableClockGoingBackAndCompaction(t *testing.T) {
	times := []time.Time{t0.Add(3 * time.Second), t0.Add(time.Second), t0.Add(2 * time.Second)}
	n := 0
	s := NewSystem(Config{Name: "test", Clock: func() time.Time { n++; return times[(n-1)%3] }, PageSize: 10})
	tab := NewTable[kontor.StockLevel]()
	put(s, tab, "X", 1) // t0+3s
	put(s, tab, "Y", 1) // t0+1s: inserted before X
	put(s, tab, "Z", 1) // t0+2s
	keys, err := readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{}))
	require.NoError(t, err)
	assert.Equal(t, []string{"Y", "Z", "X"}, keys)

	// Many updates of few rows compact the index to one position per row.
	for i := range 3 * compactAt {
		put(s, tab, fmt.Sprintf("K%d", i%4), int64(i))
	}
	assert.Equal(t, 7, tab.Len())
	assert.Less(t, len(tab.index), compactAt+7, "stale positions are compacted")
	keys, err = readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{}))
	require.NoError(t, err)
	assert.Len(t, keys, 7)
	got, ok := tab.Get("K3")
	require.True(t, ok)
	assert.True(t, got.Available.Equal(decimal.NewFromInt(3*compactAt-1)))

	var order []string
	tab.Each(func(k string, _ kontor.StockLevel) bool { order = append(order, k); return len(order) < 4 })
	assert.Equal(t, []string{"X", "Y", "Z", "K0"}, order, "Each goes in first-put order and stops on false")
}

func TestReadStopsAndCancels(t *testing.T) {
	s := newSystem(2)
	tab := NewTable[kontor.StockLevel]()
	for i := range 7 {
		put(s, tab, fmt.Sprintf("S%d", i), 1)
	}
	for range Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{}) {
		break
	}
	assert.Equal(t, 1, s.Requests(), "breaking after the first item requests no second page")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var items int
	var errs []error
	for _, err := range Read(ctx, s, "ReadStock", tab, kontor.Cursor{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items++
		cancel()
	}
	assert.Equal(t, 1, items, "no item after the cancellation, not even the rest of the page")
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], context.Canceled)
	assert.Equal(t, 2, s.Requests())

	keys, err := readAll(t, Read(ctx, s, "ReadStock", tab, kontor.Cursor{}))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, keys)
	assert.Equal(t, 2, s.Requests(), "a cancelled read sends no request")
}

func TestReadFaults(t *testing.T) {
	s := newSystem(2)
	tab := NewTable[kontor.StockLevel]()
	for i := range 5 {
		put(s, tab, fmt.Sprintf("S%d", i), 1)
	}
	boom := kontor.NewError(kontor.KindRetryable, "test", errors.New("503"))
	s.FailNextRead(1, boom)
	keys, err := readAll(t, Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{}))
	assert.Same(t, boom, err)
	assert.Empty(t, keys)

	// The failure is used up: the next read pages through, and a failure
	// armed midway ends it after what was read.
	var got []string
	var gotErr error
	for st, err := range Read(context.Background(), s, "ReadStock", tab, kontor.Cursor{}) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, st.SKU)
		if len(got) == 2 {
			s.FailNextRead(1, boom)
		}
	}
	assert.Equal(t, []string{"S0", "S1"}, got)
	assert.Same(t, boom, gotErr)

	s.Delay(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = readAll(t, Read(ctx, s, "ReadStock", tab, kontor.Cursor{}))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second, "the delay gives way to the context")
	s.Delay(0)
}

// stockWrite writes levels into tab like a connector: created, updated or
// unchanged by content.
func stockWrite(ctx context.Context, s *System, tab *Table[kontor.StockLevel], levels []kontor.StockLevel) ([]kontor.Result, error) {
	return Write(ctx, s, "WriteStock", kontor.EntityStock, levels,
		func(l *kontor.StockLevel) string { return l.Key() },
		func(l *kontor.StockLevel) error { return l.Validate() },
		func(l *kontor.StockLevel) kontor.Result {
			old, found := tab.Get(l.Key())
			if found && SameContent(old, *l) {
				return kontor.Result{Outcome: kontor.Unchanged, Target: old.Meta}
			}
			at, ver := s.Stamp()
			v := Clone(*l)
			v.Meta = kontor.Meta{ERPKey: fmt.Sprintf("STOCK-%d", s.Next("stock")), Version: ver, UpdatedAt: at}
			if found {
				v.ERPKey = old.ERPKey
			}
			tab.Put(l.Key(), v, at, ver)
			if found {
				return kontor.Result{Outcome: kontor.Updated, Target: v.Meta}
			}
			return kontor.Result{Outcome: kontor.Created, Target: v.Meta}
		})
}

func level(sku string, qty int64) kontor.StockLevel {
	return kontor.StockLevel{SKU: sku, Available: decimal.NewFromInt(qty)}
}

func outcomes(rs []kontor.Result) []kontor.Outcome {
	out := make([]kontor.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func TestWriteResultsAndFaults(t *testing.T) {
	ctx := context.Background()
	s := newSystem(10)
	tab := NewTable[kontor.StockLevel]()

	rs, err := stockWrite(ctx, s, tab, []kontor.StockLevel{level("A", 1), level("B", -1), level("C", 1)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Failed, kontor.Created}, outcomes(rs))
	assert.Equal(t, "B", rs[1].Key)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[1].Err))
	assert.Equal(t, "STOCK-2", rs[2].Target.ERPKey)

	rs, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("A", 1), level("C", 2)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Updated}, outcomes(rs))
	assert.Equal(t, "STOCK-2", rs[1].Target.ERPKey, "an update keeps the key")

	_, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("A", 1), level("B", 1), level("C", 1), level("D", 1)})
	assert.ErrorIs(t, err, kontor.ErrPermanent, "a batch over MaxBatch fails whole")

	rs, err = stockWrite(ctx, s, tab, nil)
	require.NoError(t, err)
	assert.Empty(t, rs)
	assert.Equal(t, 3, s.Calls("WriteStock"), "an empty batch sends no request")

	boom := kontor.NewError(kontor.KindUnauthorized, "test", errors.New("401"))
	s.FailNext(2, boom)
	for range 2 {
		_, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("E", 1)})
		assert.Same(t, boom, err)
	}
	_, found := tab.Get("E")
	assert.False(t, found, "a failed call writes nothing")
	rs, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("E", 1)})
	require.NoError(t, err)
	assert.Equal(t, kontor.Created, rs[0].Outcome)

	conflict := kontor.NewError(kontor.KindConflict, "test", errors.New("locked"))
	s.FailKey("F", conflict)
	rs, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("F", 1), level("G", 1)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Failed, kontor.Created}, outcomes(rs))
	assert.Same(t, conflict, rs[0].Err)
	rs, _ = stockWrite(ctx, s, tab, []kontor.StockLevel{level("F", 1)})
	assert.Equal(t, kontor.Failed, rs[0].Outcome, "until cleared")
	s.FailKey("F", nil)
	rs, _ = stockWrite(ctx, s, tab, []kontor.StockLevel{level("F", 1)})
	assert.Equal(t, kontor.Created, rs[0].Outcome)

	midway := kontor.NewError(kontor.KindRetryable, "test", errors.New("connection reset"))
	s.FailAfter(2, midway)
	rs, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("H", 1), level("I", 1), level("J", 1)})
	assert.Same(t, midway, err)
	assert.Nil(t, rs)
	_, hFound := tab.Get("H")
	_, iFound := tab.Get("I")
	_, jFound := tab.Get("J")
	assert.Equal(t, []bool{true, true, false}, []bool{hFound, iFound, jFound}, "the first two took effect")
	rs, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("H", 1), level("I", 1), level("J", 1)})
	require.NoError(t, err, "FailAfter is used up")
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Unchanged, kontor.Created}, outcomes(rs))

	s.FailAfter(0, midway)
	_, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("K", 1)})
	assert.Same(t, midway, err)
	_, found = tab.Get("K")
	assert.False(t, found, "FailAfter(0) stores nothing")

	s.FailAfter(5, midway)
	_, err = stockWrite(ctx, s, tab, []kontor.StockLevel{level("K", 1)})
	assert.Same(t, midway, err, "a batch shorter than n takes effect and fails")
	_, found = tab.Get("K")
	assert.True(t, found)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	before := s.Requests()
	_, err = stockWrite(cctx, s, tab, []kontor.StockLevel{level("L", 1)})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, before, s.Requests())
	_, found = tab.Get("L")
	assert.False(t, found)
}

func TestWriteIdempotencyKeys(t *testing.T) {
	s := newSystem(10)
	tab := NewTable[kontor.StockLevel]()
	ctx := kontor.WithIdempotencyKeys(context.Background(), []string{"k-a", "", "k-c"})

	first, err := stockWrite(ctx, s, tab, []kontor.StockLevel{level("A", 1), level("B", 1), level("C", -1)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created, kontor.Failed}, outcomes(first))

	// The retry with the same keys: A is answered from the record (its
	// first result, Created, even though the content changed since); B has
	// no key and is compared; C failed the first time, so it is tried again.
	again, err := stockWrite(ctx, s, tab, []kontor.StockLevel{level("A", 9), level("B", 1), level("C", 1)})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Unchanged, kontor.Created}, outcomes(again))
	assert.Equal(t, first[0], again[0])
	a, _ := tab.Get("A")
	assert.True(t, a.Available.Equal(decimal.NewFromInt(1)), "the replay wrote nothing")

	// Keys are per operation: the same key of another op is not a replay.
	rs, err := Write(ctx, s, "OtherOp", kontor.EntityStock, []kontor.StockLevel{level("Z", 1)},
		func(l *kontor.StockLevel) string { return l.Key() }, func(*kontor.StockLevel) error { return nil },
		func(*kontor.StockLevel) kontor.Result { return kontor.Result{Outcome: kontor.Updated} })
	require.NoError(t, err)
	assert.Equal(t, kontor.Updated, rs[0].Outcome)
}

func TestClone(t *testing.T) {
	p := kontor.Product{
		SKU:      "P",
		Weight:   &kontor.Measure{Value: decimal.RequireFromString("0.25"), Unit: "kg"},
		Variants: []kontor.Variant{{SKU: "P-1", Options: []kontor.OptionValue{{Name: "Size", Value: "M"}}}},
		Extra:    map[string]string{"a": "1"},
	}
	c := Clone(p)
	c.Weight.Unit = "g"
	c.Variants[0].Options[0].Value = "L"
	c.Extra["a"] = "2"
	assert.Equal(t, "kg", p.Weight.Unit)
	assert.Equal(t, "M", p.Variants[0].Options[0].Value)
	assert.Equal(t, "1", p.Extra["a"])
	assert.True(t, SameContent(p, Clone(p)))
	assert.Nil(t, Clone(kontor.Product{}).Variants, "nil stays nil")

	m := map[string][]int{"x": {1}}
	mc := Clone(m)
	mc["x"][0] = 2
	assert.Equal(t, 1, m["x"][0])
}

func TestSameContent(t *testing.T) {
	a := kontor.Price{Meta: kontor.Meta{ERPKey: "1", Version: 1}, SKU: "S", List: kontor.MustMoney("1.5", "EUR"),
		ValidFrom: time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600))}
	b := kontor.Price{Meta: kontor.Meta{ShopKey: "gid", Version: 7}, SKU: "S", List: kontor.MustMoney("1.50", "EUR"),
		ValidFrom: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Tiers: []kontor.PriceTier{}}
	assert.True(t, SameContent(a, b), "Meta ignored, 1.5 = 1.50, same instant, nil = empty")
	b.List = kontor.MustMoney("1.51", "EUR")
	assert.False(t, SameContent(a, b))
	b.List = a.List
	b.CustomerGroup = "x"
	assert.False(t, SameContent(a, b))

	v1 := kontor.Product{SKU: "P", Variants: []kontor.Variant{{Meta: kontor.Meta{ShopKey: "v1"}, SKU: "V"}}}
	v2 := kontor.Product{SKU: "P", Variants: []kontor.Variant{{SKU: "V"}}}
	assert.True(t, SameContent(v1, v2), "nested Meta ignored")
	v2.Variants = append(v2.Variants, kontor.Variant{SKU: "W"})
	assert.False(t, SameContent(v1, v2))
	assert.False(t, SameContent(kontor.Product{Weight: &kontor.Measure{}}, kontor.Product{}))
	assert.False(t, SameContent(kontor.Product{Extra: map[string]string{"a": "1"}}, kontor.Product{Extra: map[string]string{"b": "1"}}))
	assert.False(t, SameContent(kontor.Product{}, kontor.Price{}), "different types")
	assert.True(t, SameContent(nil, nil))
}

// node is a recursive type: its copier refers to itself.
type node struct {
	Name string
	Next *node
	Kids []node
}

func TestCloneRecursive(t *testing.T) {
	n := node{Name: "a", Next: &node{Name: "b", Next: &node{Name: "c"}}, Kids: []node{{Name: "k", Next: &node{Name: "kn"}}}}
	c := Clone(n)
	c.Next.Next.Name = "changed"
	c.Kids[0].Next.Name = "changed"
	assert.Equal(t, "c", n.Next.Next.Name)
	assert.Equal(t, "kn", n.Kids[0].Next.Name)
	assert.Equal(t, 7, Clone(7), "a value without references")
}
