package store_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kontor-dev/kontor/syncer/store"
)

func BenchmarkZZNaive(b *testing.B) {
	m := map[string]store.ItemState{}
	var keys []string
	for i := range benchItems / benchBatch {
		states, ks := stateBatch(i*benchBatch, benchBatch)
		for _, s := range states {
			s.Found = true
			m[s.Key] = s
		}
		keys = append(keys, ks...)
	}
	shuffled := slices.Clone(keys)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, bc := range []struct {
		name string
		keys []string
	}{{"WriteOrder", keys}, {"RandomOrder", shuffled}} {
		b.Run(bc.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				from := (n * benchBatch) % benchItems
				ks := bc.keys[from : from+benchBatch]
				out := make([]store.ItemState, len(ks))
				for i, k := range ks {
					if s, ok := m[k]; ok {
						out[i] = s
					} else {
						out[i].Key = k
					}
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*benchBatch), "ns/key")
		})
	}
}
