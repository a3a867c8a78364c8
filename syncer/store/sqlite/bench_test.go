package sqlite_test

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

// benchStates is the size of the state table the benchmarks read from.
const benchStates = 1_000_000

var benchBase = time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)

func benchKey(i int) string { return fmt.Sprintf("SKU-%07d", i) }

// fill puts n states of flow into s in batches of 10,000, the way a first
// sweep records them.
func fill(b *testing.B, s *sqlite.Store, flow string, n int, state func(i int) store.ItemState) {
	b.Helper()
	const batch = 10_000
	buf := make([]store.ItemState, 0, batch)
	for i := range n {
		buf = append(buf, state(i))
		if len(buf) == batch || i == n-1 {
			if err := s.PutStates(context.Background(), flow, buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
}

func openBench(b *testing.B) *sqlite.Store {
	b.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSQLiteStates looks up batches of 1,000 keys out of 1,000,000
// stored states: in catalog order, as a sweep reads them, and in random
// order, as events come.
func BenchmarkSQLiteStates(b *testing.B) {
	ctx := context.Background()
	s := openBench(b)
	fill(b, s, "products", benchStates, func(i int) store.ItemState {
		return store.ItemState{Key: benchKey(i), Fingerprint: uint64(i) << 40, Version: 1, UpdatedAt: benchBase}
	})
	catalog := make([]int, benchStates)
	for i := range catalog {
		catalog[i] = i
	}
	random := slices.Clone(catalog)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(random), func(i, j int) { random[i], random[j] = random[j], random[i] })
	for _, order := range []struct {
		name string
		idx  []int
	}{{"catalog", catalog}, {"random", random}} {
		b.Run("order="+order.name, func(b *testing.B) {
			keys := make([]string, benchStates)
			for i, k := range order.idx {
				keys[i] = benchKey(k)
			}
			const batch = 1000
			next := 0
			for b.Loop() {
				got, err := s.States(ctx, "products", keys[next:next+batch])
				if err != nil {
					b.Fatal(err)
				}
				if last := order.idx[next+batch-1]; !got[batch-1].Found || got[batch-1].Fingerprint != uint64(last)<<40 {
					b.Fatalf("state of %s = %+v", benchKey(last), got[batch-1])
				}
				next = (next + batch) % benchStates
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/key")
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// BenchmarkSQLitePutStates replaces batches of 1,000 states out of
// 100,000 stored: the engine's record of a batch written.
func BenchmarkSQLitePutStates(b *testing.B) {
	ctx := context.Background()
	s := openBench(b)
	const n, batch = 100_000, 1000
	fill(b, s, "products", n, func(i int) store.ItemState {
		return store.ItemState{Key: benchKey(i), Fingerprint: uint64(i), Version: 1, UpdatedAt: benchBase}
	})
	buf := make([]store.ItemState, batch)
	next, round := 0, uint64(0)
	b.ResetTimer()
	for b.Loop() {
		round++
		for i := range buf {
			buf[i] = store.ItemState{Key: benchKey(next + i), Fingerprint: round, Version: int64(round), UpdatedAt: benchBase}
		}
		if err := s.PutStates(ctx, "products", buf); err != nil {
			b.Fatal(err)
		}
		next = (next + batch) % n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/state")
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "states/s")
}

// genSource generates a catalog on the fly, so the benchmark measures the
// engine and the store, not a source holding a million products.
type genSource struct {
	skus []string
}

func (g *genSource) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "gen", Reads: []kontor.Entity{kontor.EntityProduct}}
}

func (g *genSource) product(i int) kontor.Product {
	sku := g.skus[i]
	return kontor.Product{Meta: kontor.Meta{ERPKey: sku, Version: 1, UpdatedAt: benchBase},
		SKU: sku, Title: "Shirt " + sku, Brand: "Kontor", TaxClass: "standard", Status: kontor.ProductActive,
		Categories: []string{"Men > Shirts"}}
}

func (g *genSource) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		for i := range g.skus {
			if !yield(g.product(i), nil) {
				return
			}
		}
	}
}

// nullSink takes products; an unchanged catalog must not reach it.
type nullSink struct{ items int }

func (c *nullSink) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "null", Writes: []kontor.Entity{kontor.EntityProduct},
		MaxBatch: map[kontor.Entity]int{kontor.EntityProduct: 250}}
}

func (c *nullSink) WriteProducts(ctx context.Context, ps []kontor.Product) ([]kontor.Result, error) {
	c.items += len(ps)
	out := make([]kontor.Result, len(ps))
	for i := range ps {
		out[i] = kontor.Result{Key: ps[i].SKU, Outcome: kontor.Updated}
	}
	return out, nil
}

// BenchmarkSQLiteDeltaUnchanged measures the engine's reconciling sweep
// over an unchanged catalog of 1,000,000 products on this store: every
// product is read, fingerprinted and compared with its stored state, and
// none is written. Target: 200,000 items/s.
func BenchmarkSQLiteDeltaUnchanged(b *testing.B) {
	ctx := context.Background()
	src := &genSource{skus: make([]string, benchStates)}
	for i := range src.skus {
		src.skus[i] = benchKey(i)
	}
	s := openBench(b)
	fill(b, s, "products", benchStates, func(i int) store.ItemState {
		p := src.product(i)
		return store.ItemState{Key: p.SKU, Fingerprint: p.Fingerprint(), Version: p.Version, UpdatedAt: p.UpdatedAt}
	})
	sink := &nullSink{}
	engine := syncer.New(s)
	if err := engine.Add(syncer.Products(src, sink)); err != nil {
		b.Fatal(err)
	}
	var elapsed time.Duration
	b.ResetTimer()
	for b.Loop() {
		if err := s.SetCursor(ctx, "products", kontor.Cursor{}); err != nil { // a full sweep each time
			b.Fatal(err)
		}
		start := time.Now()
		rep, err := engine.Sync(ctx, "products")
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Unchanged != benchStates || rep.Requests != 0 || sink.items != 0 {
			b.Fatalf("unchanged %d, requests %d, written %d", rep.Unchanged, rep.Requests, sink.items)
		}
	}
	b.ReportMetric(float64(benchStates)*float64(b.N)/elapsed.Seconds(), "items/s")
	b.ReportMetric(0, "ns/op")
}
