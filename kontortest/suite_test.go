package kontortest_test

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
)

// recordingTB records what a check reports instead of failing the test, so
// a check can be run against a connector that must fail it. FailNow and
// SkipNow end the check's goroutine, as testing.T's do.
type recordingTB struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	msgs     []string
	cleanups []func()
}

func (r *recordingTB) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
}

func (r *recordingTB) Helper()                    {}
func (r *recordingTB) Log(args ...any)            { r.record(fmt.Sprint(args...)) }
func (r *recordingTB) Logf(f string, args ...any) { r.record(fmt.Sprintf(f, args...)) }
func (r *recordingTB) Error(args ...any)          { r.Log(args...); r.Fail() }
func (r *recordingTB) Errorf(f string, args ...any) {
	r.Logf(f, args...)
	r.Fail()
}
func (r *recordingTB) Fatal(args ...any)            { r.Log(args...); r.FailNow() }
func (r *recordingTB) Fatalf(f string, args ...any) { r.Logf(f, args...); r.FailNow() }
func (r *recordingTB) Skip(args ...any)             { r.Log(args...); r.SkipNow() }
func (r *recordingTB) Skipf(f string, args ...any)  { r.Logf(f, args...); r.SkipNow() }
func (r *recordingTB) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}
func (r *recordingTB) FailNow() { r.Fail(); runtime.Goexit() }
func (r *recordingTB) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recordingTB) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *recordingTB) Skipped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.skipped
}
func (r *recordingTB) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recordingTB) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.msgs, "\n")
}

// runCheck runs the named check against conn in its own goroutine and
// returns what it reported.
func runCheck(t *testing.T, name string, conn kontor.Connector, f kontortest.Features) *recordingTB {
	t.Helper()
	i := slices.IndexFunc(kontortest.Checks(conn.Capabilities()), func(c kontortest.Check) bool { return c.Name == name })
	require.GreaterOrEqual(t, i, 0, "no check %q for %T", name, conn)
	check := kontortest.Checks(conn.Capabilities())[i]
	rec := &recordingTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for _, c := range slices.Backward(rec.cleanups) {
				c()
			}
		}()
		defer func() {
			if p := recover(); p != nil {
				rec.Errorf("panic: %v", p)
			}
		}()
		check.Run(rec, conn, f)
	}()
	<-done
	return rec
}

// features seeds products only: the checks run here read products.
func features(e *memerp.ERP) kontortest.Features {
	return kontortest.Features{
		Seed: func(t testing.TB, n int) {
			for i := range n {
				if _, err := e.PutProduct(kontortest.SampleProduct(i)); err != nil {
					t.Fatal(err)
				}
			}
		},
		PageSize:           4,
		ReadsAreOrdered:    true,
		ChecksBeforeCreate: true,
	}
}

// The broken connectors: memerp with one fault each.
type (
	// undeclaredWriter declares product writes it does not implement.
	undeclaredWriter struct{ *memerp.ERP }
	// repeatingReader yields its first product twice.
	repeatingReader struct{ *memerp.ERP }
	// misalignedWriter returns its order results in reverse.
	misalignedWriter struct{ *memerp.ERP }
	// duplicatingWriter creates an order again when it is sent again.
	duplicatingWriter struct {
		*memerp.ERP
		n int
	}
	// sinceIgnorer reads everything whatever the cursor.
	sinceIgnorer struct{ *memerp.ERP }
	// cancelIgnorer reads on after its context is cancelled.
	cancelIgnorer struct{ *memerp.ERP }
	// eagerReader reads the whole catalog before it yields the first item.
	eagerReader struct{ *memerp.ERP }
	// wholeBatchValidator fails the whole batch for one invalid order.
	wholeBatchValidator struct{ *memerp.ERP }
	// cancelIgnoringWriter writes whatever its context says.
	cancelIgnoringWriter struct{ *memerp.ERP }
	// kindLoser turns every error into an unclassified one.
	kindLoser struct{ *memerp.ERP }
	// unstampedReader yields a product without UpdatedAt.
	unstampedReader struct{ *memerp.ERP }
	// allOrNothing fails the whole call when one item fails.
	allOrNothing struct{ *memerp.ERP }
	// overpromiser declares batches larger than it takes.
	overpromiser struct{ *memerp.ERP }
)

func (c allOrNothing) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	rs, err := c.ERP.WriteOrders(ctx, orders)
	if err == nil {
		err = kontor.BatchErr(rs)
	}
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (c overpromiser) Capabilities() kontor.Capabilities {
	caps := c.ERP.Capabilities()
	caps.MaxBatch[kontor.EntityOrder] = 60
	return caps
}

func (c undeclaredWriter) Capabilities() kontor.Capabilities {
	caps := c.ERP.Capabilities()
	caps.Writes = append(caps.Writes, kontor.EntityProduct)
	return caps
}

func (c repeatingReader) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		first := true
		for p, err := range c.ERP.ReadProducts(ctx, since) {
			if !yield(p, err) {
				return
			}
			if first && err == nil {
				first = false
				if !yield(p, nil) {
					return
				}
			}
		}
	}
}

func (c misalignedWriter) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	rs, err := c.ERP.WriteOrders(ctx, orders)
	slices.Reverse(rs)
	return rs, err
}

func (c *duplicatingWriter) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	rs, err := c.ERP.WriteOrders(ctx, orders)
	for i := range rs {
		if rs[i].Outcome == kontor.Unchanged {
			c.n++
			rs[i].Outcome = kontor.Created
			rs[i].Target.ERPKey = fmt.Sprintf("SO-DUP-%d", c.n)
		}
	}
	return rs, err
}

func (c sinceIgnorer) ReadProducts(ctx context.Context, _ kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return c.ERP.ReadProducts(ctx, kontor.Cursor{})
}

func (c cancelIgnorer) ReadProducts(_ context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return c.ERP.ReadProducts(context.Background(), since)
}

func (c eagerReader) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		var all []kontor.Product
		for p, err := range c.ERP.ReadProducts(ctx, since) {
			if err != nil {
				yield(p, err)
				return
			}
			all = append(all, p)
		}
		for _, p := range all {
			if !yield(p, nil) {
				return
			}
		}
	}
}

func (c wholeBatchValidator) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	for _, o := range orders {
		if err := o.Validate(); err != nil {
			return nil, err
		}
	}
	return c.ERP.WriteOrders(ctx, orders)
}

func (c cancelIgnoringWriter) WriteOrders(_ context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	return c.ERP.WriteOrders(context.Background(), orders)
}

func (c kindLoser) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	rs, err := c.ERP.WriteOrders(ctx, orders)
	if err != nil {
		return rs, fmt.Errorf("write failed: %s", err.Error())
	}
	return rs, nil
}

func (c unstampedReader) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		for p, err := range c.ERP.ReadProducts(ctx, since) {
			if p.SKU == "SKU-000003" {
				p.UpdatedAt = time.Time{}
			}
			if !yield(p, err) {
				return
			}
		}
	}
}

// TestChecksCatchBrokenConnectors runs each check on memerp, where it must
// pass, and on memerp with one fault, where it must fail and say why.
func TestChecksCatchBrokenConnectors(t *testing.T) {
	cases := []struct {
		check  string
		broken func(*memerp.ERP) kontor.Connector
		want   string
	}{
		{"capabilities", func(e *memerp.ERP) kontor.Connector { return undeclaredWriter{e} },
			"declares write product, but Require fails"},
		{"read/product/pages", func(e *memerp.ERP) kontor.Connector { return repeatingReader{e} },
			`item 1 repeats key "SKU-000000" of item 0 within one read`},
		{"read/product/pages", func(e *memerp.ERP) kontor.Connector { return unstampedReader{e} },
			`item 3 ("SKU-000003") has no UpdatedAt`},
		{"read/product/since", func(e *memerp.ERP) kontor.Connector { return sinceIgnorer{e} },
			"changed before it"},
		{"read/product/stop-early", func(e *memerp.ERP) kontor.Connector { return eagerReader{e} },
			"stopping after the first item took 4 requests, want 1"},
		{"read/product/cancelled", func(e *memerp.ERP) kontor.Connector { return cancelIgnorer{e} },
			"yielded 13 items after the context was cancelled"},
		{"write/order/aligned", func(e *memerp.ERP) kontor.Connector { return misalignedWriter{e} },
			`result 0 has key "#500004", want "#500000": results must line up with the batch`},
		{"write/order/twice", func(e *memerp.ERP) kontor.Connector { return &duplicatingWriter{ERP: e} },
			"order #500000 written again is created, want unchanged"},
		{"write/order/invalid-item", func(e *memerp.ERP) kontor.Connector { return wholeBatchValidator{e} },
			"the write of 3 order items failed whole"},
		{"write/order/cancelled", func(e *memerp.ERP) kontor.Connector { return cancelIgnoringWriter{e} },
			"a write with a cancelled context returned <nil>"},
		{"write/order/injected-errors", func(e *memerp.ERP) kontor.Connector { return kindLoser{e} },
			"(kind unknown)"},
		{"write/order/fail-midway", func(e *memerp.ERP) kontor.Connector { return &duplicatingWriter{ERP: e} },
			"order #500000, stored before the batch failed midway, was created again by the retry"},
		{"write/order/failed-key", func(e *memerp.ERP) kontor.Connector { return allOrNothing{e} },
			"a batch with a failing item: the write of 2 order items failed whole"},
		{"write/order/max-batch", func(e *memerp.ERP) kontor.Connector { return overpromiser{e} },
			"a full batch of 60: the write of 60 order items failed whole"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%T", c.check, c.broken(nil)), func(t *testing.T) {
			good := memerp.New(memerp.WithPageSize(4))
			rec := runCheck(t, c.check, good, features(good))
			require.False(t, rec.Failed(), "memerp fails %s:\n%s", c.check, rec.output())
			require.False(t, rec.Skipped(), "memerp skips %s:\n%s", c.check, rec.output())

			bad := memerp.New(memerp.WithPageSize(4))
			rec = runCheck(t, c.check, c.broken(bad), features(bad))
			assert.True(t, rec.Failed(), "the broken connector passes %s", c.check)
			assert.Contains(t, rec.output(), c.want)
		})
	}
}

func TestChecksFollowCapabilities(t *testing.T) {
	names := func(caps kontor.Capabilities) []string {
		var out []string
		for _, c := range kontortest.Checks(caps) {
			out = append(out, c.Name)
		}
		return out
	}
	assert.Equal(t, []string{"capabilities"}, names(kontor.Capabilities{System: "none"}))
	got := names(kontor.Capabilities{System: "x", Reads: []kontor.Entity{kontor.EntityStock}, Writes: []kontor.Entity{kontor.EntityOrder}})
	assert.Equal(t, []string{"capabilities",
		"read/stock/pages", "read/stock/since", "read/stock/stop-early", "read/stock/cancelled",
		"write/order/aligned", "write/order/max-batch", "write/order/invalid-item", "write/order/twice",
		"write/order/cancelled", "write/order/injected-errors", "write/order/failed-key", "write/order/fail-midway"}, got)
	assert.Len(t, names(memerp.New().Capabilities()), 1+6*4+4*8)
}

// TestReadChecksSkipWithoutSeed: without Seed there is nothing to read, and
// the check says so instead of passing silently.
func TestReadChecksSkipWithoutSeed(t *testing.T) {
	e := memerp.New()
	rec := runCheck(t, "read/product/pages", e, kontortest.Features{})
	assert.True(t, rec.Skipped())
	assert.False(t, rec.Failed())
	assert.Contains(t, rec.output(), "Features.Seed is nil")
}
