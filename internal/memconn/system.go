// Package memconn is the machinery the in-memory reference connectors
// (erp/memerp and shop/memshop) share: tables that keep versions and
// update times and page through changes like a remote system's API, the
// one lock over a system's state, the fault hooks and request counters that
// engine tests drive, idempotency records, and content comparison.
//
// It is internal: users meet it only through the connectors' documented
// methods.
package memconn

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kontor-dev/kontor"
)

// DefaultPageSize is how many items one read request returns unless
// configured otherwise.
const DefaultPageSize = 100

// Config says how a System behaves.
type Config struct {
	// Name is the system's name in errors, e.g. "memerp".
	Name string
	// Clock returns the time changes are stamped with; nil is time.Now.
	Clock func() time.Time
	// PageSize is how many items one read request returns; below 1 is
	// DefaultPageSize.
	PageSize int
	// MaxBatch is the largest write batch per entity; an absent entity
	// takes batches of 1.
	MaxBatch map[kontor.Entity]int
}

// System is the state every in-memory connector keeps besides its tables:
// one lock over all of it, a clock and a version counter shared by every
// table (so versions are monotonic per system, like a row version), key
// counters, fault hooks, request counters and idempotency records.
type System struct {
	mu       sync.Mutex
	name     string
	now      func() time.Time
	pageSize int
	maxBatch map[kontor.Entity]int
	version  int64
	seq      map[string]int64

	calls    map[string]int
	requests int
	delay    time.Duration

	failNext, failReads       int
	failNextErr, failReadsErr error
	failAfter                 int
	failAfterErr              error
	failKeys                  map[string]error

	idem map[string]kontor.Result
}

// NewSystem returns a System configured by c.
func NewSystem(c Config) *System {
	s := &System{
		name:     c.Name,
		now:      c.Clock,
		pageSize: c.PageSize,
		maxBatch: make(map[kontor.Entity]int, len(c.MaxBatch)),
		seq:      make(map[string]int64),
		calls:    make(map[string]int),
		failKeys: make(map[string]error),
		idem:     make(map[string]kontor.Result),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.pageSize < 1 {
		s.pageSize = DefaultPageSize
	}
	for e, n := range c.MaxBatch {
		s.maxBatch[e] = max(n, 1)
	}
	return s
}

// Name returns the system's name.
func (s *System) Name() string { return s.name }

// PageSize returns how many items one read request returns.
func (s *System) PageSize() int { return s.pageSize }

// MaxBatch returns a copy of the largest write batch per entity, for
// Capabilities.
func (s *System) MaxBatch() map[kontor.Entity]int {
	out := make(map[kontor.Entity]int, len(s.maxBatch))
	for e, n := range s.maxBatch {
		out[e] = n
	}
	return out
}

// Lock takes the system's lock; every table access happens under it.
func (s *System) Lock() { s.mu.Lock() }

// Unlock releases the system's lock.
func (s *System) Unlock() { s.mu.Unlock() }

// Stamp returns the time and version of a change: the clock's time without
// its monotonic reading (so it compares like a time read back from JSON)
// and the next version. The caller holds the lock.
func (s *System) Stamp() (time.Time, int64) {
	s.version++
	return s.now().Round(0), s.version
}

// Next returns the next number of counter, starting at 1: the sequence
// behind item numbers, document numbers and shop IDs. The caller holds the
// lock.
func (s *System) Next(counter string) int64 {
	s.seq[counter]++
	return s.seq[counter]
}

// FailNext makes the next n write calls fail whole with err before they
// touch any item. n below 1 or a nil err clears it.
func (s *System) FailNext(n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 1 || err == nil {
		n, err = 0, nil
	}
	s.failNext, s.failNextErr = n, err
}

// FailNextRead makes the next n read requests (pages) fail with err, so a
// read can break off midway. n below 1 or a nil err clears it.
func (s *System) FailNextRead(n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 1 || err == nil {
		n, err = 0, nil
	}
	s.failReads, s.failReadsErr = n, err
}

// FailKey makes every write of the item with this key fail, as a per-item
// result, with err until it is cleared with a nil err.
func (s *System) FailKey(key string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failKeys, key)
		return
	}
	s.failKeys[key] = err
}

// FailAfter makes the next write call store its first n items and then
// fail whole with err: the remote failing midway, after part of the batch
// took effect. A nil err or a negative n clears it.
func (s *System) FailAfter(n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 || err == nil {
		n, err = 0, nil
	}
	s.failAfter, s.failAfterErr = n, err
}

// Delay makes every request (a read page or a write call) take d, or until
// its context ends. d of 0 clears it.
func (s *System) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = max(d, 0)
}

// Calls returns how many requests op made: read pages for a read method
// ("ReadProducts"), calls for a write method ("WriteOrders"). Requests
// failed by a fault hook count; calls with an ended context or an empty
// batch do not, since they never reach the system.
func (s *System) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Requests returns how many requests all operations made.
func (s *System) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// request is one request reaching the system: it counts it, waits the
// configured delay and returns an injected failure, if any. A context that
// has ended stops it before it counts.
func (s *System) request(ctx context.Context, op string, read bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s %s: %w", s.name, op, err)
	}
	s.mu.Lock()
	s.calls[op]++
	s.requests++
	d := s.delay
	var injected error
	switch {
	case read && s.failReads > 0:
		s.failReads--
		injected = s.failReadsErr
	case !read && s.failNext > 0:
		s.failNext--
		injected = s.failNextErr
	}
	s.mu.Unlock()
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-ctx.Done():
			return fmt.Errorf("%s %s: %w", s.name, op, ctx.Err())
		}
	}
	return injected
}
