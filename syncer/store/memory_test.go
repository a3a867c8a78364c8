package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory() })
}

// clock is a manual clock for MemoryClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestMemoryStampsZeroTimesWithItsClock proves every time the store stamps
// comes from the injected clock, and a time the caller gave is kept.
func TestMemoryStampsZeroTimesWithItsClock(t *testing.T) {
	ctx := t.Context()
	t0 := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := &clock{now: t0}
	m := store.NewMemory(store.MemoryClock(clk.Now))

	given := t0.Add(-time.Hour)
	if err := m.PutLinks(ctx, []store.Link{
		{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "E1"},
		{Entity: kontor.EntityProduct, Key: "SKU-2", ERPKey: "E2", UpdatedAt: given},
	}); err != nil {
		t.Fatal(err)
	}
	ls, err := m.Links(ctx, kontor.EntityProduct, []string{"SKU-1", "SKU-2"})
	if err != nil {
		t.Fatal(err)
	}
	if !ls[0].UpdatedAt.Equal(t0) || !ls[1].UpdatedAt.Equal(given) {
		t.Errorf("link UpdatedAt = %v, %v; want %v (stamped), %v (given)", ls[0].UpdatedAt, ls[1].UpdatedAt, t0, given)
	}

	r, err := m.BeginWrite(ctx, "orders", "1001", 1, "idem-1")
	if err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(t0) || !r.UpdatedAt.Equal(t0) {
		t.Errorf("BeginWrite stamps %v, %v; want %v", r.CreatedAt, r.UpdatedAt, t0)
	}
	clk.Advance(time.Minute)
	if err := m.FinishWrite(ctx, "orders", "1001", 1, store.WriteDone, kontor.Meta{ERPKey: "SO-1"}); err != nil {
		t.Fatal(err)
	}
	if r, err = m.BeginWrite(ctx, "orders", "1001", 1, "idem-2"); err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(t0) || !r.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("after FinishWrite: CreatedAt %v UpdatedAt %v; want %v and %v", r.CreatedAt, r.UpdatedAt, t0, t0.Add(time.Minute))
	}

	if _, err := m.AddInbox(ctx, store.InboxEvent{Source: "shopify", ID: "d-1"}); err != nil {
		t.Fatal(err)
	}
	evs, err := m.PendingInbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !evs[0].ReceivedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("PendingInbox = %+v; want one event received at %v", evs, t0.Add(time.Minute))
	}

	clk.Advance(time.Minute)
	dl, err := m.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"})
	if err != nil {
		t.Fatal(err)
	}
	t2 := t0.Add(2 * time.Minute)
	if !dl.FirstFailed.Equal(t2) || !dl.LastFailed.Equal(t2) {
		t.Errorf("dead letter failed at %v, %v; want %v twice", dl.FirstFailed, dl.LastFailed, t2)
	}
	clk.Advance(time.Minute)
	if dl, err = m.AddDeadLetter(ctx, store.DeadLetter{Flow: "orders", Key: "1001"}); err != nil {
		t.Fatal(err)
	}
	if !dl.FirstFailed.Equal(t2) || !dl.LastFailed.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("re-failed dead letter at %v, %v; want %v, %v", dl.FirstFailed, dl.LastFailed, t2, t0.Add(3*time.Minute))
	}

	if err := m.AppendAudit(ctx, []store.AuditRecord{{Flow: "orders", Key: "1001"}, {Flow: "orders", Key: "1002", At: given}}); err != nil {
		t.Fatal(err)
	}
	recs, err := m.Audit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || !recs[0].At.Equal(t0.Add(3*time.Minute)) || !recs[1].At.Equal(given) {
		t.Errorf("audit At = %+v; want %v (stamped), %v (given)", recs, t0.Add(3*time.Minute), given)
	}
}

// TestMemoryNumbersExactly pins what the suite leaves open to SQL stores:
// dead letter IDs and audit Seqs count from 1 with no gaps, and attempts
// count exactly.
func TestMemoryNumbersExactly(t *testing.T) {
	ctx := t.Context()
	m := store.NewMemory()
	var got []string
	for _, dl := range []store.DeadLetter{
		{Flow: "orders", Key: "1001"},
		{Flow: "orders", Key: "1002", Attempts: 3},
		{Flow: "orders", Key: "1001", Attempts: 7},
		{Flow: "orders", Key: "1002"},
		{Flow: "returns", Key: "1001", Attempts: -2},
	} {
		r, err := m.AddDeadLetter(ctx, dl)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%d", r.ID, r.Attempts))
	}
	if want := "[1:1 2:3 1:2 2:4 3:1]"; fmt.Sprint(got) != want {
		t.Errorf("ID:Attempts = %v, want %s", got, want)
	}
	if err := m.DeleteDeadLetter(ctx, 3); err != nil {
		t.Fatal(err)
	}
	r, err := m.AddDeadLetter(ctx, store.DeadLetter{Flow: "returns", Key: "1001"})
	if err != nil || r.ID != 4 {
		t.Errorf("dead letter after deleting the newest = ID %d, %v; want 4", r.ID, err)
	}

	for range 3 {
		if err := m.AppendAudit(ctx, []store.AuditRecord{{Flow: "f", Key: "a"}, {Flow: "f", Key: "b"}}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := m.Audit(ctx, store.AuditFilter{AfterSeq: 2, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[0].Seq != 3 || recs[1].Seq != 4 || recs[2].Seq != 5 || recs[0].Key != "a" || recs[1].Key != "b" {
		t.Errorf("Audit(AfterSeq 2, Limit 3) = %+v; want Seqs 3, 4, 5 keyed a, b, a", recs)
	}
	if recs, err = m.Audit(ctx, store.AuditFilter{AfterSeq: -5, Limit: 1}); err != nil || len(recs) != 1 || recs[0].Seq != 1 {
		t.Errorf("Audit(AfterSeq -5, Limit 1) = %+v, %v; want Seq 1", recs, err)
	}
}

// TestMemoryStatesAllocateOnlyTheResult guards the hot path: the engine
// checks a million unchanged items a second through States.
func TestMemoryStatesAllocateOnlyTheResult(t *testing.T) {
	ctx := t.Context()
	m := store.NewMemory()
	states, keys := stateBatch(0, 1000)
	if err := m.PutStates(ctx, "products", states); err != nil {
		t.Fatal(err)
	}
	keys = append(keys, "SKU-unknown")
	if a := testing.AllocsPerRun(20, func() {
		if _, err := m.States(ctx, "products", keys); err != nil {
			t.Fatal(err)
		}
	}); a != 1 {
		t.Errorf("States of %d keys: %v allocations, want 1 (the result)", len(keys), a)
	}
	if a := testing.AllocsPerRun(20, func() {
		if err := m.PutStates(ctx, "products", states); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("PutStates replacing %d states: %v allocations, want 0", len(states), a)
	}
}

// TestMemoryStatesInAnyOrder proves the shortcut for keys read in the
// order they were written gives the same answers for any other order.
func TestMemoryStatesInAnyOrder(t *testing.T) {
	ctx := t.Context()
	m := store.NewMemory()
	want := map[string]uint64{}
	for b := range 3 {
		states, _ := stateBatch(b*100, 100)
		for i := range states {
			if i%4 == 0 { // a key too long to be held by value
				states[i].Key += "-with-a-long-variant-suffix"
			}
			states[i].Fingerprint += uint64(b)
			want[states[i].Key] = states[i].Fingerprint
		}
		if err := m.PutStates(ctx, "products", states); err != nil {
			t.Fatal(err)
		}
	}
	// A new key written after the others, and one replaced out of order.
	if err := m.PutStates(ctx, "products", []store.ItemState{{Key: "SKU-0000150", Fingerprint: 7}, {Key: "SKU-new", Fingerprint: 8}}); err != nil {
		t.Fatal(err)
	}
	want["SKU-0000150"], want["SKU-new"] = 7, 8

	_, all := stateBatch(0, 300)
	for i := range all {
		if i%100%4 == 0 {
			all[i] += "-with-a-long-variant-suffix"
		}
	}
	inOrder := append(slices.Clone(all[:200]), "SKU-new")
	inOrder = append(inOrder, all[200:]...)
	reversed := slices.Clone(inOrder)
	slices.Reverse(reversed)
	var gaps, unknowns, rotated []string
	for i, k := range inOrder {
		if i%3 != 0 {
			gaps = append(gaps, k)
		}
		unknowns = append(unknowns, k, fmt.Sprintf("SKU-missing-%d", i))
	}
	rotated = append(slices.Clone(inOrder[150:]), inOrder[:150]...)
	orders := map[string][]string{
		"in order": inOrder, "reversed": reversed, "with gaps": gaps,
		"with unknown keys": unknowns, "rotated": rotated, "repeated": append(slices.Clone(all[:5]), all[:5]...),
	}
	check := func(when string) {
		t.Helper()
		for name, keys := range orders {
			got, err := m.States(ctx, "products", keys)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range got {
				fp, ok := want[keys[i]]
				if s.Key != keys[i] || s.Found != ok || s.Fingerprint != fp {
					t.Errorf("%s, %s: States[%d] = %+v, want key %s found %v fingerprint %d", when, name, i, s, keys[i], ok, fp)
					break
				}
			}
		}
	}
	check("after ordered writes")

	// Replace every state, in an order unlike the one they were written in.
	for round, keys := range [][]string{reversed, rotated, gaps} {
		states := make([]store.ItemState, len(keys))
		for i, k := range keys {
			states[i] = store.ItemState{Key: k, Fingerprint: uint64(1000*(round+1) + i)}
			want[k] = states[i].Fingerprint
		}
		if err := m.PutStates(ctx, "products", states); err != nil {
			t.Fatal(err)
		}
	}
	check("after unordered replaces")
}

// TestMemoryStatesConcurrentReadersAndWriters runs readers and writers of
// one flow together under the race detector, and checks the last write won.
func TestMemoryStatesConcurrentReadersAndWriters(t *testing.T) {
	ctx := t.Context()
	m := store.NewMemory()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for round := range 50 {
				states, keys := stateBatch(w*100, 100)
				for i := range states {
					states[i].Version = int64(round)
				}
				if err := m.PutStates(ctx, "products", states); err != nil {
					t.Error(err)
					return
				}
				got, err := m.States(ctx, "products", keys)
				if err != nil || len(got) != len(keys) {
					t.Errorf("States = %d states, %v", len(got), err)
					return
				}
			}
		})
	}
	wg.Wait()
	_, keys := stateBatch(0, 400)
	got, err := m.States(ctx, "products", keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if !s.Found || s.Version != 49 || s.Fingerprint != uint64(i)*31 {
			t.Fatalf("state %d = %+v, want found with version 49 and fingerprint %d", i, s, i*31)
		}
	}
}

// stateBatch returns n states with keys SKU-from.. and their keys, built as
// separate strings as an engine decoding fresh input would.
func stateBatch(from, n int) ([]store.ItemState, []string) {
	states := make([]store.ItemState, n)
	keys := make([]string, n)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		states[i] = store.ItemState{Key: fmt.Sprintf("SKU-%07d", from+i), Fingerprint: uint64(from+i) * 31, Version: 1, UpdatedAt: at}
		keys[i] = fmt.Sprintf("SKU-%07d", from+i)
	}
	return states, keys
}

const (
	benchItems = 1_000_000
	benchBatch = 1000
)

// BenchmarkMemoryStates checks batches of 1,000 keys against 1,000,000
// stored states, as the engine does for an unchanged catalog: read in the
// order the states were written (a catalog read the same way every run),
// and in a random order.
func BenchmarkMemoryStates(b *testing.B) {
	ctx := b.Context()
	m := store.NewMemory()
	var keys []string
	for i := range benchItems / benchBatch {
		states, _ := stateBatch(i*benchBatch, benchBatch)
		if err := m.PutStates(ctx, "products", states); err != nil {
			b.Fatal(err)
		}
		_, ks := stateBatch(i*benchBatch, benchBatch)
		keys = append(keys, ks...)
	}
	shuffled := slices.Clone(keys)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, bc := range []struct {
		name string
		keys []string
	}{{"WriteOrder", keys}, {"RandomOrder", shuffled}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				from := (n * benchBatch) % benchItems
				got, err := m.States(ctx, "products", bc.keys[from:from+benchBatch])
				if err != nil || !got[0].Found {
					b.Fatalf("States = %v, %v", got[0], err)
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchBatch), "ns/key")
		})
	}
}

// BenchmarkMemoryPutStates replaces batches of 1,000 states in a flow of
// 1,000,000, as the engine does after writing a changed catalog, and adds
// batches of new ones.
func BenchmarkMemoryPutStates(b *testing.B) {
	ctx := b.Context()
	b.Run("Replace", func(b *testing.B) {
		m := store.NewMemory()
		batches := make([][]store.ItemState, benchItems/benchBatch)
		for i := range batches {
			batches[i], _ = stateBatch(i*benchBatch, benchBatch)
			if err := m.PutStates(ctx, "products", batches[i]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := m.PutStates(ctx, "products", batches[n%len(batches)]); err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchBatch), "ns/key")
	})
	b.Run("Insert", func(b *testing.B) {
		batches := make([][]store.ItemState, benchItems/benchBatch)
		for i := range batches {
			batches[i], _ = stateBatch(i*benchBatch, benchBatch)
		}
		b.ReportAllocs()
		m := store.NewMemory()
		n, total := 0, 0
		for b.Loop() {
			if n == len(batches) { // a million written: start a new flow
				b.StopTimer()
				m, n = store.NewMemory(), 0
				b.StartTimer()
			}
			if err := m.PutStates(ctx, "products", batches[n]); err != nil {
				b.Fatal(err)
			}
			n++
			total++
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total*benchBatch), "ns/key")
	})
}
