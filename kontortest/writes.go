package kontortest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kontor-dev/kontor"
)

func writeChecks(s spec) []Check {
	name := func(what string) string { return fmt.Sprintf("write/%s/%s", s.entity, what) }
	run := func(fn func(testing.TB, kontor.Connector, Features, spec)) func(testing.TB, kontor.Connector, Features) {
		return func(t testing.TB, conn kontor.Connector, f Features) { fn(t, conn, f, s) }
	}
	return []Check{
		{Name: name("aligned"), Run: run(checkWriteAligned)},
		{Name: name("max-batch"), Run: run(checkWriteMaxBatch)},
		{Name: name("invalid-item"), Run: run(checkWriteInvalid)},
		{Name: name("twice"), Run: run(checkWriteTwice)},
		{Name: name("cancelled"), Run: run(checkWriteCancel)},
		{Name: name("injected-errors"), Run: run(checkWriteInjected)},
		{Name: name("failed-key"), Run: run(checkWriteFailedKey)},
		{Name: name("fail-midway"), Run: run(checkWriteMidway)},
	}
}

// writer writes the samples is of s's entity, those marked invalid in
// their invalid form, after making the products they name and the orders
// they refer to exist where the system needs them.
type writer struct {
	t    testing.TB
	conn kontor.Connector
	f    Features
	s    spec
	// refs are the orders the samples refer to, as the system placed
	// them; a sample not in it refers to SampleOrder(i) by its number.
	refs map[int]orderRef
}

func newWriter(t testing.TB, conn kontor.Connector, f Features, s spec) writer {
	return writer{t: t, conn: conn, f: f, s: s, refs: make(map[int]orderRef)}
}

// ref returns the order sample i refers to.
func (w writer) ref(i int) orderRef {
	if r, ok := w.refs[i]; ok {
		return r
	}
	return sampleRef(i)
}

// key returns the key of sample i.
func (w writer) key(i int) string { return w.s.key(i, w.ref(i)) }

func (w writer) prepare(is []int) {
	w.t.Helper()
	if w.f.PrepareCatalog != nil && w.s.skus != nil {
		var skus []string
		for _, i := range is {
			for _, sku := range w.s.skus(i) {
				if !slices.Contains(skus, sku) {
					skus = append(skus, sku)
				}
			}
		}
		w.f.PrepareCatalog(w.t, skus)
	}
	if !w.s.needsOrders {
		return
	}
	orders := make([]kontor.Order, len(is))
	for k, i := range is {
		orders[k] = SampleOrder(i)
	}
	if w.f.PlaceNumberedOrders != nil {
		placed := w.f.PlaceNumberedOrders(w.t, orders)
		if len(placed) != len(orders) {
			w.t.Fatalf("PlaceNumberedOrders returned %d orders for %d: it must return each order as placed, in order", len(placed), len(orders))
		}
		for k, i := range is {
			ref := orderRef{number: placed[k].Number, keys: kontor.Meta{ERPKey: placed[k].ERPKey, ShopKey: placed[k].ShopKey}}
			if ref.number == "" {
				ref.number = orders[k].Number
			}
			w.refs[i] = ref
		}
		return
	}
	if w.f.PlaceOrders != nil {
		w.f.PlaceOrders(w.t, orders)
		return
	}
	ow, ok := w.conn.(kontor.OrderWriter)
	if !ok {
		return
	}
	size := w.conn.Capabilities().BatchSize(kontor.EntityOrder)
	for chunk := range slices.Chunk(orders, size) {
		rs, err := ow.WriteOrders(context.Background(), chunk)
		if err != nil {
			w.t.Fatalf("writing the orders %s needs: %v", w.s.entity, err)
		}
		for _, r := range rs {
			if r.Outcome == kontor.Failed {
				w.t.Fatalf("writing order %s, which %s needs: %v", r.Key, w.s.entity, r.Err)
			}
		}
	}
}

func (w writer) write(ctx context.Context, is []int, invalid []bool) ([]kontor.Result, error) {
	w.t.Helper()
	rs, ok, err := w.s.write(w.conn, ctx, is, invalid, w.ref)
	if !ok {
		w.t.Fatalf("declares write %s but has no %s writer", w.s.entity, w.s.entity)
	}
	return rs, err
}

// mustWrite writes and fails the check on an error of the whole call or a
// result that does not line up with the batch.
func (w writer) mustWrite(what string, is []int, invalid []bool) []kontor.Result {
	w.t.Helper()
	rs, err := w.write(context.Background(), is, invalid)
	if err != nil {
		w.t.Fatalf("%s: the write of %d %s items failed whole: %v", what, len(is), w.s.entity, err)
	}
	w.aligned(what, is, rs)
	return rs
}

// aligned checks one result per item, in order, with the item's key and a
// known outcome, an error exactly when failed, and remote keys on success.
func (w writer) aligned(what string, is []int, rs []kontor.Result) {
	w.t.Helper()
	if len(rs) != len(is) {
		w.t.Fatalf("%s: %d results for %d items", what, len(rs), len(is))
	}
	for k, r := range rs {
		want := w.key(is[k])
		if r.Key != want {
			w.t.Errorf("%s: result %d has key %q, want %q: results must line up with the batch", what, k, r.Key, want)
		}
		switch r.Outcome {
		case kontor.Created, kontor.Updated, kontor.Unchanged:
			if r.Err != nil {
				w.t.Errorf("%s: result %d (%s) is %s with an error: %v", what, k, r.Key, r.Outcome, r.Err)
			}
			if !w.f.NoTargetKeys && r.Target.ERPKey == "" && r.Target.ShopKey == "" {
				w.t.Errorf("%s: result %d (%s) is %s without a key in the target: the engine cannot link it", what, k, r.Key, r.Outcome)
			}
		case kontor.Failed:
			if r.Err == nil {
				w.t.Errorf("%s: result %d (%s) failed without an error", what, k, r.Key)
			}
		default:
			w.t.Errorf("%s: result %d (%s) has outcome %q", what, k, r.Key, r.Outcome)
		}
	}
}

// succeeded fails the check for every failed result.
func (w writer) succeeded(what string, rs []kontor.Result) {
	w.t.Helper()
	for k, r := range rs {
		if r.Outcome == kontor.Failed {
			w.t.Errorf("%s: a valid %s item %d (%s) failed: %v", what, w.s.entity, k, r.Key, r.Err)
		}
	}
}

// batch returns the sample numbers from, from+1, ... of a batch of n, at
// most the entity's MaxBatch and the MaxItems cap.
func (w writer) batch(from, n int) []int {
	n = min(n, w.conn.Capabilities().BatchSize(w.s.entity))
	if w.f.MaxItems > 0 {
		n = min(n, w.f.MaxItems)
	}
	is := make([]int, n)
	for k := range is {
		is[k] = from + k
	}
	return is
}

func checkWriteAligned(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 5)
	w.prepare(is)
	w.succeeded("a batch of valid items", w.mustWrite("a batch of valid items", is, nil))
}

func checkWriteMaxBatch(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	w := newWriter(t, conn, f, s)
	is := w.batch(0, conn.Capabilities().BatchSize(s.entity))
	w.prepare(is)
	w.succeeded("a full batch", w.mustWrite(fmt.Sprintf("a full batch of %d", len(is)), is, nil))
}

func checkWriteInvalid(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 3)
	w.prepare(is)
	invalid := make([]bool, len(is))
	bad := len(is) / 2 // the middle item; the only one in a batch of 1
	invalid[bad] = true
	rs := w.mustWrite("a batch with an invalid item", is, invalid)
	for k, r := range rs {
		switch {
		case k == bad && r.Outcome != kontor.Failed:
			t.Errorf("the invalid item %s is %s, want failed", r.Key, r.Outcome)
		case k == bad && kontor.KindOf(r.Err) != kontor.KindValidation:
			t.Errorf("the invalid item %s failed with kind %s, want validation: %v", r.Key, kontor.KindOf(r.Err), r.Err)
		case k != bad && r.Outcome == kontor.Failed:
			t.Errorf("the valid item %s failed beside an invalid one: %v", r.Key, r.Err)
		}
	}
	if len(is) == 1 { // MaxBatch 1: the valid item on its own
		next := w.batch(1, 1)
		w.prepare(next)
		w.succeeded("a valid item after an invalid one", w.mustWrite("a valid item after an invalid one", next, nil))
	}
}

func checkWriteTwice(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 3)
	w.prepare(is)
	first := w.mustWrite("the first write", is, nil)
	w.succeeded("the first write", first)
	again := w.mustWrite("the same batch again", is, nil)
	for k, r := range again {
		switch {
		case s.entity == kontor.EntityOrder && f.ChecksBeforeCreate && r.Outcome != kontor.Unchanged:
			t.Errorf("order %s written again is %s, want unchanged: the writer checks before it creates", r.Key, r.Outcome)
		case r.Outcome != kontor.Unchanged && r.Outcome != kontor.Updated:
			t.Errorf("%s %s written again is %s, want unchanged or updated: nothing may be created twice", s.entity, r.Key, r.Outcome)
		}
		p := first[k].Target
		if p.ERPKey != "" && r.Target.ERPKey != p.ERPKey {
			t.Errorf("%s %s written again maps to ERP key %q, first to %q", s.entity, r.Key, r.Target.ERPKey, p.ERPKey)
		}
		if p.ShopKey != "" && r.Target.ShopKey != p.ShopKey {
			t.Errorf("%s %s written again maps to shop key %q, first to %q", s.entity, r.Key, r.Target.ShopKey, p.ShopKey)
		}
	}
}

func checkWriteCancel(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 2)
	w.prepare(is)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.write(ctx, is, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("a write with a cancelled context returned %v, want an error matching context.Canceled", err)
	}
	rs := w.mustWrite("the write after a cancelled one", is, nil)
	w.succeeded("the write after a cancelled one", rs)
	for _, r := range rs {
		if r.Outcome == kontor.Unchanged {
			t.Errorf("%s %s is unchanged after a cancelled write: the cancelled write went through", s.entity, r.Key)
		}
	}
}

// injected returns an error of kind k, as a test hook injects it.
func injected(k kontor.Kind) error {
	return kontor.NewError(k, "kontortest", fmt.Errorf("injected %s failure", k))
}

func checkWriteInjected(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	hook, ok := conn.(failNexter)
	if !ok {
		t.Skip("the connector has no FailNext(int, error) hook")
	}
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 1)
	w.prepare(is)
	for _, k := range []kontor.Kind{kontor.KindRetryable, kontor.KindRateLimited, kontor.KindUnauthorized, kontor.KindConflict} {
		hook.FailNext(1, injected(k))
		if _, err := w.write(context.Background(), is, nil); kontor.KindOf(err) != k {
			t.Errorf("with a %s failure injected, the write returned %v (kind %s)", k, err, kontor.KindOf(err))
		}
	}
	w.succeeded("the write after the injected failures", w.mustWrite("the write after the injected failures", is, nil))
}

func checkWriteFailedKey(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	hook, ok := conn.(failKeyer)
	if !ok {
		t.Skip("the connector has no FailKey(string, error) hook")
	}
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 2)
	w.prepare(is)
	victim := len(is) - 1
	key := w.key(is[victim])
	hook.FailKey(key, injected(kontor.KindConflict))
	rs := w.mustWrite("a batch with a failing item", is, nil)
	for k, r := range rs {
		switch {
		case k == victim && (r.Outcome != kontor.Failed || kontor.KindOf(r.Err) != kontor.KindConflict):
			t.Errorf("item %s with a conflict injected is %s with %v, want failed with kind conflict", r.Key, r.Outcome, r.Err)
		case k != victim && r.Outcome == kontor.Failed:
			t.Errorf("item %s failed beside the failing one: %v", r.Key, r.Err)
		}
	}
	hook.FailKey(key, nil)
	w.succeeded("the item once its failure is cleared", w.mustWrite("the item once its failure is cleared", is[victim:], nil))
}

func checkWriteMidway(t testing.TB, conn kontor.Connector, f Features, s spec) {
	t.Helper()
	hook, ok := conn.(failAfterer)
	if !ok {
		t.Skip("the connector has no FailAfter(int, error) hook")
	}
	w := newWriter(t, conn, f, s)
	is := w.batch(0, 2)
	if len(is) < 2 {
		t.Skipf("a batch of %s holds one item: it cannot fail midway", s.entity)
	}
	w.prepare(is)
	hook.FailAfter(1, injected(kontor.KindRetryable))
	if _, err := w.write(context.Background(), is, nil); kontor.KindOf(err) != kontor.KindRetryable {
		t.Errorf("a write failing midway returned %v, want the injected retryable error", err)
	}
	rs := w.mustWrite("the batch again after it failed midway", is, nil)
	w.succeeded("the batch again after it failed midway", rs)
	if rs[0].Outcome == kontor.Created {
		t.Errorf("%s %s, stored before the batch failed midway, was created again by the retry", s.entity, rs[0].Key)
	}
}
