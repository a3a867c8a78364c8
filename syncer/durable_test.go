package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"

	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

func init() {
	crashStores["sqlite"] = func(ctx context.Context, path string) (store.Store, func() error, error) {
		st, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, nil, err
		}
		return st, st.Close, nil
	}
	// where is "<dsn> <schema>".
	crashStores["postgres"] = func(ctx context.Context, where string) (store.Store, func() error, error) {
		dsn, schema := splitWhere(where)
		st, err := postgres.Open(ctx, dsn, postgres.Schema(schema))
		if err != nil {
			return nil, nil, err
		}
		return st, func() error { st.Close(); return nil }, nil
	}
}

func splitWhere(w string) (string, string) {
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] == ' ' {
			return w[:i], w[i+1:]
		}
	}
	return w, ""
}

func TestCrashSQLite(t *testing.T) {
	runCrashTest(t, "sqlite", filepath.Join(t.TempDir(), "kontor.db"))
}

func TestCrashPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	runCrashTest(t, "postgres", dsn+" "+schema)
}

// latencyERP records when each order arrived.
type latencyERP struct {
	mu      sync.Mutex
	arrived map[string]time.Time
}

func (e *latencyERP) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "latency-erp", Writes: []kontor.Entity{kontor.EntityOrder},
		MaxBatch: map[kontor.Entity]int{kontor.EntityOrder: 50}}
}

func (e *latencyERP) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]kontor.Result, len(orders))
	for i, o := range orders {
		e.arrived[o.Number] = now
		out[i] = kontor.Result{Key: o.Number, Outcome: kontor.Created, Target: kontor.Meta{ERPKey: "SO-" + o.Number}}
	}
	return out, nil
}

// benchmarkOrderTransfer measures orders from an accepted event (Notify
// returned: the event is in the inbox) to the ERP write, in bursts of 50
// events processed together, as the real-time path runs them.
func benchmarkOrderTransfer(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	const burst = 50
	st := open(b)
	shop := newFake("shop", kontor.SideShop)
	erp := &latencyERP{arrived: map[string]time.Time{}}
	s := New(st)
	if err := s.Add(Orders(shop, erp, RequireProductLinks(false))); err != nil {
		b.Fatal(err)
	}
	accepted := map[string]time.Time{}
	var latencies []time.Duration
	n := 0
	b.ResetTimer()
	for b.Loop() {
		for range burst {
			o := kontortest.SampleOrder(n)
			o.Number = fmt.Sprintf("B%07d", n)
			n++
			payload, err := json.Marshal(o)
			if err != nil {
				b.Fatal(err)
			}
			if err := s.Notify(ctx, "orders", Event{ID: o.Number, Topic: "orders/create", Key: o.Number, Payload: payload}); err != nil {
				b.Fatal(err)
			}
			accepted[o.Number] = time.Now()
		}
		if _, err := s.ProcessEvents(ctx, "orders"); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	erp.mu.Lock()
	for num, at := range accepted {
		arrived, ok := erp.arrived[num]
		if !ok {
			b.Fatalf("order %s never arrived", num)
		}
		latencies = append(latencies, arrived.Sub(at))
	}
	erp.mu.Unlock()
	slices.Sort(latencies)
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "orders/s")
	b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkOrderTransferSQLite(b *testing.B) {
	benchmarkOrderTransfer(b, func(b *testing.B) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = st.Close() })
		return st
	})
}

func BenchmarkOrderTransferPostgres(b *testing.B) {
	benchmarkOrderTransfer(b, func(b *testing.B) store.Store {
		dsn := pgtest.DSN(b)
		st, err := postgres.Open(context.Background(), dsn, postgres.Schema(pgtest.Schema(b, dsn)))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(st.Close)
		return st
	})
}

func BenchmarkOrderTransferMemory(b *testing.B) {
	benchmarkOrderTransfer(b, func(b *testing.B) store.Store { return store.NewMemory() })
}
