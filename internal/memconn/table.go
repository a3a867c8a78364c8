package memconn

import (
	"cmp"
	"slices"
	"sort"
	"time"
)

// Table holds one entity's rows by key and an index of them in change
// order, (UpdatedAt, key, version), so a read of what changed since a time
// seeks to it and pages on from the last row it returned, the way a remote
// API pages with a filter on its modification time. No read copies the
// whole table: each page copies only its own rows.
//
// A Table has no lock of its own; its System's lock guards it.
type Table[T any] struct {
	rows  map[string]*row[T]
	order []string // keys in the order they were first put
	index []pos    // sorted by cmpPos; holds stale positions until compacted
	stale int      // how many index positions are stale
}

type row[T any] struct {
	val T
	at  time.Time
	ver int64
}

// pos is a row's place in change order. A pos whose version is no longer
// its row's is stale: the row moved on.
type pos struct {
	at  time.Time
	key string
	ver int64
}

func cmpPos(a, b pos) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	if c := cmp.Compare(a.key, b.key); c != 0 {
		return c
	}
	return cmp.Compare(a.ver, b.ver)
}

// compactAt is how many stale positions the index tolerates before it is
// rewritten, at least: updates cost an append, and compaction amortises.
const compactAt = 1024

// NewTable returns an empty table.
func NewTable[T any]() *Table[T] { return &Table[T]{rows: make(map[string]*row[T])} }

// Len returns how many rows the table holds.
func (t *Table[T]) Len() int { return len(t.rows) }

// Get returns the row stored under key. The value shares its slices and
// maps with the table: Clone it before it leaves the connector, and Put a
// changed copy instead of changing it in place.
func (t *Table[T]) Get(key string) (T, bool) {
	r, ok := t.rows[key]
	if !ok {
		var zero T
		return zero, false
	}
	return r.val, true
}

// Put stores v under key as changed at at with version ver. The table
// keeps v itself: the caller hands over a value nobody else changes.
func (t *Table[T]) Put(key string, v T, at time.Time, ver int64) {
	if r, ok := t.rows[key]; ok {
		r.val, r.at, r.ver = v, at, ver
		t.stale++
	} else {
		t.rows[key] = &row[T]{val: v, at: at, ver: ver}
		t.order = append(t.order, key)
	}
	p := pos{at: at, key: key, ver: ver}
	if n := len(t.index); n == 0 || cmpPos(t.index[n-1], p) < 0 {
		t.index = append(t.index, p) // the usual case: the clock moves forward
	} else {
		i, _ := slices.BinarySearchFunc(t.index, p, cmpPos)
		t.index = slices.Insert(t.index, i, p)
	}
	if t.stale >= compactAt && t.stale > len(t.index)/2 {
		t.compact()
	}
}

// Each calls fn with every row in the order the keys were first put, until
// fn returns false. Values are shared as with Get.
func (t *Table[T]) Each(fn func(key string, v T) bool) {
	for _, k := range t.order {
		if !fn(k, t.rows[k].val) {
			return
		}
	}
}

func (t *Table[T]) live(p pos) bool { return t.rows[p.key].ver == p.ver }

func (t *Table[T]) compact() {
	t.index = slices.DeleteFunc(t.index, func(p pos) bool { return !t.live(p) })
	t.stale = 0
}

// page appends clones of up to limit rows to dst in change order: those
// after the position after, or, on the first page (after nil), those
// changed at or after since. It returns the last row's position and
// whether more rows follow it.
func (t *Table[T]) page(dst []T, after *pos, since time.Time, limit int) ([]T, pos, bool) {
	i := 0
	switch {
	case after != nil:
		i = sort.Search(len(t.index), func(j int) bool { return cmpPos(t.index[j], *after) > 0 })
	case !since.IsZero():
		i = sort.Search(len(t.index), func(j int) bool { return !t.index[j].at.Before(since) })
	}
	var last pos
	for ; i < len(t.index); i++ {
		p := t.index[i]
		if !t.live(p) {
			continue
		}
		if len(dst) == limit {
			return dst, last, true
		}
		dst = append(dst, Clone(t.rows[p.key].val))
		last = p
	}
	return dst, last, false
}
