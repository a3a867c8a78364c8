package postgres

import (
	"context"
	"fmt"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
)

// The benchmarks run against KONTOR_TEST_POSTGRES_DSN, each on a fresh
// schema, and report items per second: a batch is the engine's unit of
// work against the store.

const (
	benchCatalog = 1_000_000 // states in the table the lookups search
	benchBatch   = 1000      // keys per call, the engine's chunk
	benchFill    = 10_000    // states per PutStates while filling
)

func benchKey(i int) string { return fmt.Sprintf("SKU-%07d", i) }

var benchTime = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

// fillStates puts n states into flow, benchFill at a time, and analyzes
// the table so the planner knows its size.
func fillStates(b *testing.B, s *Store, flow string, n int, state func(i int) store.ItemState) {
	b.Helper()
	ctx := context.Background()
	batch := make([]store.ItemState, 0, benchFill)
	for i := range n {
		batch = append(batch, state(i))
		if len(batch) == benchFill || i == n-1 {
			if err := s.PutStates(ctx, flow, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := s.Pool().Exec(ctx, "ANALYZE "+pgx.Identifier{s.schema, "kontor_states"}.Sanitize()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPostgresStates looks up 1000-key batches, in catalog order, in
// a flow of 1,000,000 states.
func BenchmarkPostgresStates(b *testing.B) {
	s := newTestStore(b)
	ctx := context.Background()
	fillStates(b, s, "products", benchCatalog, func(i int) store.ItemState {
		return store.ItemState{Key: benchKey(i), Fingerprint: uint64(i) * 7919, Version: 1, UpdatedAt: benchTime}
	})
	batches := make([][]string, benchCatalog/benchBatch)
	for j := range batches {
		batches[j] = make([]string, benchBatch)
		for i := range benchBatch {
			batches[j][i] = benchKey(j*benchBatch + i)
		}
	}
	n := 0
	b.ResetTimer()
	for b.Loop() {
		keys := batches[n%len(batches)]
		st, err := s.States(ctx, "products", keys)
		if err != nil {
			b.Fatal(err)
		}
		if !st[0].Found || !st[benchBatch-1].Found {
			b.Fatalf("batch %d: states not found", n)
		}
		n++
	}
	b.ReportMetric(float64(n*benchBatch)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/batch")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkPostgresPutStates upserts 1000-state batches: "insert" adds new
// keys, "replace" rewrites keys already stored (the steady state of a
// catalog whose items change).
func BenchmarkPostgresPutStates(b *testing.B) {
	const window = 100_000 // keys replace cycles through
	for _, mode := range []string{"insert", "replace"} {
		b.Run(mode, func(b *testing.B) {
			s := newTestStore(b)
			ctx := context.Background()
			if mode == "replace" {
				fillStates(b, s, "products", window, func(i int) store.ItemState {
					return store.ItemState{Key: benchKey(i), Fingerprint: 1, Version: 1, UpdatedAt: benchTime}
				})
			}
			batch := make([]store.ItemState, benchBatch)
			n := 0
			b.ResetTimer()
			for b.Loop() {
				first := n * benchBatch
				if mode == "replace" {
					first %= window
				}
				for i := range batch {
					batch[i] = store.ItemState{Key: benchKey(first + i), Fingerprint: uint64(n + 2), Version: int64(n + 2), UpdatedAt: benchTime}
				}
				if err := s.PutStates(ctx, "products", batch); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n*benchBatch)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(n), "µs/batch")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchSource generates a catalog on the fly, so the benchmark measures
// the engine and the store, not a source holding a million products.
type benchSource struct{ n int }

func (g benchSource) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "bench", Reads: []kontor.Entity{kontor.EntityProduct}}
}

func (g benchSource) product(i int) kontor.Product {
	sku := benchKey(i)
	return kontor.Product{Meta: kontor.Meta{ERPKey: sku, Version: 1, UpdatedAt: benchTime},
		SKU: sku, Title: "Shirt " + sku, Brand: "Kontor", TaxClass: "standard", Status: kontor.ProductActive,
		Categories: []string{"Men > Shirts"}}
}

func (g benchSource) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		for i := range g.n {
			if !yield(g.product(i), nil) {
				return
			}
		}
	}
}

// benchSink counts what reaches it; an unchanged sweep must send nothing.
type benchSink struct{ items atomic.Int64 }

func (c *benchSink) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "sink", Writes: []kontor.Entity{kontor.EntityProduct},
		MaxBatch: map[kontor.Entity]int{kontor.EntityProduct: 250}}
}

func (c *benchSink) WriteProducts(ctx context.Context, ps []kontor.Product) ([]kontor.Result, error) {
	c.items.Add(int64(len(ps)))
	out := make([]kontor.Result, len(ps))
	for i := range ps {
		out[i] = kontor.Result{Key: ps[i].SKU, Outcome: kontor.Updated}
	}
	return out, nil
}

// BenchmarkPostgresDeltaUnchanged measures the engine sweeping an
// unchanged catalog of 1,000,000 products whose states are in PostgreSQL:
// every item is read, fingerprinted and looked up in 1000-key batches, and
// nothing is written.
func BenchmarkPostgresDeltaUnchanged(b *testing.B) {
	const n = benchCatalog
	ctx := context.Background()
	src := benchSource{n: n}
	s := newTestStore(b)
	fillStates(b, s, "products", n, func(i int) store.ItemState {
		p := src.product(i)
		return store.ItemState{Key: p.SKU, Fingerprint: p.Fingerprint(), Version: p.Version, UpdatedAt: p.UpdatedAt}
	})
	sink := &benchSink{}
	eng := syncer.New(s)
	if err := eng.Add(syncer.Products(src, sink)); err != nil {
		b.Fatal(err)
	}
	var sweep time.Duration
	b.ResetTimer()
	for b.Loop() {
		if err := s.SetCursor(ctx, "products", kontor.Cursor{}); err != nil { // a full sweep each time
			b.Fatal(err)
		}
		start := time.Now()
		rep, err := eng.Sync(ctx, "products")
		sweep += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Unchanged != n || rep.Requests != 0 || sink.items.Load() != 0 {
			b.Fatalf("unchanged %d, requests %d, written %d; want %d, 0, 0", rep.Unchanged, rep.Requests, sink.items.Load(), n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/sweep.Seconds(), "items/s")
	b.ReportMetric(sweep.Seconds()/float64(b.N), "s/sweep")
	b.ReportMetric(0, "ns/op")
}
