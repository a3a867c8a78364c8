package syncer

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/syncer/store"
)

// genSource generates a catalog on the fly, so the benchmark measures the
// engine, not a source holding a million products.
type genSource struct {
	n       int
	version int64
	skus    []string
}

func newGenSource(n int) *genSource {
	g := &genSource{n: n, version: 1, skus: make([]string, n)}
	for i := range n {
		g.skus[i] = fmt.Sprintf("SKU-%07d", i)
	}
	return g
}

func (g *genSource) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "gen", Reads: []kontor.Entity{kontor.EntityProduct}}
}

func (g *genSource) product(i int) kontor.Product {
	var sku string
	if g.skus != nil {
		sku = g.skus[i]
	} else {
		sku = fmt.Sprintf("SKU-%07d", i)
	}
	return kontor.Product{Meta: kontor.Meta{ERPKey: sku, Version: g.version, UpdatedAt: base},
		SKU: sku, Title: "Shirt " + sku, Brand: "Kontor", TaxClass: "standard", Status: kontor.ProductActive,
		Categories: []string{"Men > Shirts"}}
}

func (g *genSource) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return func(yield func(kontor.Product, error) bool) {
		for i := range g.n {
			if !yield(g.product(i), nil) {
				return
			}
		}
	}
}

// countSink takes products and counts the calls.
type countSink struct {
	batch int
	calls atomic.Int64
	items atomic.Int64
}

func (c *countSink) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "count", Writes: []kontor.Entity{kontor.EntityProduct},
		MaxBatch: map[kontor.Entity]int{kontor.EntityProduct: c.batch}}
}

func (c *countSink) WriteProducts(ctx context.Context, ps []kontor.Product) ([]kontor.Result, error) {
	c.calls.Add(1)
	c.items.Add(int64(len(ps)))
	out := make([]kontor.Result, len(ps))
	for i := range ps {
		out[i] = kontor.Result{Key: ps[i].SKU, Outcome: kontor.Updated}
	}
	return out, nil
}

// BenchmarkDeltaUnchangedCatalog measures a reconciling sweep over an
// unchanged catalog of 1,000,000 products on the memory store, against a
// raw loop that only fingerprints the same items and looks them up in a map.
func BenchmarkDeltaUnchangedCatalog(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	src := newGenSource(n)
	st := store.NewMemory()
	states := make([]store.ItemState, 0, n)
	raw := make(map[string]uint64, n)
	for i := range n {
		p := src.product(i)
		fp := p.Fingerprint()
		states = append(states, store.ItemState{Key: p.SKU, Fingerprint: fp, Version: p.Version, UpdatedAt: p.UpdatedAt})
		raw[p.SKU] = fp
	}
	if err := st.PutStates(ctx, "products", states); err != nil {
		b.Fatal(err)
	}
	states = nil
	sink := &countSink{batch: 250}
	s := New(st)
	if err := s.Add(Products(src, sink)); err != nil {
		b.Fatal(err)
	}

	// The raw loop: generate, fingerprint, look up. It runs in every
	// iteration beside the engine's pass, on the same heap, so both pay the
	// same garbage collector.
	var rawTime, engineTime time.Duration
	var allocs uint64
	var ms runtime.MemStats
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		unchanged := 0
		for i := range n {
			p := src.product(i)
			if raw[p.SKU] == p.Fingerprint() {
				unchanged++
			}
		}
		rawTime += time.Since(start)
		if unchanged != n {
			b.Fatalf("raw loop: %d unchanged", unchanged)
		}

		if err := st.SetCursor(ctx, "products", kontor.Cursor{}); err != nil { // a full sweep each time
			b.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		before := ms.Mallocs
		start = time.Now()
		rep, err := s.Sync(ctx, "products")
		engineTime += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		allocs += ms.Mallocs - before
		if rep.Unchanged != n || rep.Requests != 0 {
			b.Fatalf("unchanged %d, requests %d", rep.Unchanged, rep.Requests)
		}
	}
	rate := float64(n) * float64(b.N) / engineTime.Seconds()
	rawRate := float64(n) * float64(b.N) / rawTime.Seconds()
	b.ReportMetric(rate, "items/s")
	b.ReportMetric(rawRate, "raw_items/s")
	b.ReportMetric(rate/rawRate, "fraction_of_raw")
	b.ReportMetric(float64(allocs)/float64(b.N)/n, "allocs/item")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkChangedProducts measures 100,000 changed products mapped by
// three rules and batched into a sink of batch size 250.
func BenchmarkChangedProducts(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	src := newGenSource(n)
	m := mapping.New[kontor.Product]("bench@1",
		func(_ context.Context, p *kontor.Product) error {
			if p.Brand == "" {
				p.Brand = "Kontor"
			}
			return nil
		},
		func(_ context.Context, p *kontor.Product) error {
			if len(p.Title) > 255 {
				p.Title = p.Title[:255]
			}
			return nil
		},
		func(_ context.Context, p *kontor.Product) error {
			if p.TaxClass == "standard" {
				p.TaxClass = "19"
			}
			return nil
		},
	)
	var requests int64
	for b.Loop() {
		b.StopTimer()
		sink := &countSink{batch: 250}
		s := New(store.NewMemory())
		if err := s.Add(Products(src, sink, Map[kontor.Product](m))); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := s.Sync(ctx, "products")
		if err != nil {
			b.Fatal(err)
		}
		if rep.Writes() != n || sink.items.Load() != n {
			b.Fatalf("wrote %d", rep.Writes())
		}
		if want := (n + 249) / 250; rep.Requests != want {
			b.Fatalf("requests %d, want %d", rep.Requests, want)
		}
		requests = int64(rep.Requests)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(requests), "requests")
	b.ReportMetric(0, "ns/op")
}

// discardStore remembers nothing: every item is new and nothing is kept,
// so the heap measures the pipeline alone.
type discardStore struct{ store.Store }

func (discardStore) States(_ context.Context, _ string, keys []string) ([]store.ItemState, error) {
	return make([]store.ItemState, len(keys)), nil
}
func (discardStore) PutStates(context.Context, string, []store.ItemState) error { return nil }
func (discardStore) PutLinks(context.Context, []store.Link) error               { return nil }
func (discardStore) AppendAudit(context.Context, []store.AuditRecord) error     { return nil }
func (discardStore) SetCursor(context.Context, string, kontor.Cursor) error     { return nil }
func (discardStore) Cursor(context.Context, string) (kontor.Cursor, error) {
	return kontor.Cursor{}, nil
}

// peakHeap runs f while sampling the live heap (what the last collection
// found reachable, so garbage waiting for the next one does not count) and
// returns the peak above the heap before it.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	baseline := sample[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	if p := peak.Load(); p > baseline {
		return p - baseline
	}
	return 0
}

// BenchmarkStreamingHeap compares the peak heap of streaming 100,000 and
// 1,000,000 products through a flow: reads stream, so it must not grow with
// the catalog (target: less than 10 % more).
func BenchmarkStreamingHeap(b *testing.B) {
	ctx := context.Background()
	run := func(n int) uint64 {
		// Keys made on the fly: nothing of the catalog is live before or
		// after, so the peak measures the flow alone.
		src := &genSource{n: n, version: 1}
		s := New(discardStore{Store: store.NewMemory()})
		if err := s.Add(Products(src, &countSink{batch: 250})); err != nil {
			b.Fatal(err)
		}
		return peakHeap(func() {
			if _, err := s.Sync(ctx, "products"); err != nil {
				b.Fatal(err)
			}
		})
	}
	// On one P the collector marks between the flow's steps, so what it
	// finds live is what the flow keeps, not what it allocated meanwhile.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var small, large uint64
	for b.Loop() {
		small, large = run(100_000), run(1_000_000)
	}
	b.ReportMetric(float64(small)/(1<<20), "peak_MiB_100k")
	b.ReportMetric(float64(large)/(1<<20), "peak_MiB_1M")
	b.ReportMetric(float64(large)/float64(max(small, 1)), "growth")
	b.ReportMetric(0, "ns/op")
}
