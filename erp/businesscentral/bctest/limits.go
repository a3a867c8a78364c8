package bctest

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Fault is an error the fake answers instead of doing a request. Code and
// Message default to what Business Central sends with Status; RetryAfter,
// when positive, is sent as a Retry-After header (in whole seconds,
// rounded up).
type Fault struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration
}

func (f Fault) apiError() *apiError {
	code, msg := defaultFault(f.Status)
	if f.Code != "" {
		code = f.Code
	}
	if f.Message != "" {
		msg = f.Message
	}
	return &apiError{status: f.Status, code: code, message: msg, retryAfter: f.RetryAfter}
}

type countKey struct{ method, set string }

// limits holds the counters, the injected faults and the rate and
// concurrency limits.
type limits struct {
	mu          sync.Mutex
	requests    int
	byKey       map[countKey]int
	batches     int
	batchOps    int
	batchByKey  map[countKey]int
	faults      []Fault
	batchFaults map[int]Fault // operation index of the next $batch → fault
	hits        map[string][]time.Time
	rateN       int
	window      time.Duration
	retryAfter  bool

	slots     chan struct{}
	queued    int
	maxQueue  int
	queueWait time.Duration
}

func (l *limits) init(c config) {
	l.byKey = map[countKey]int{}
	l.batchByKey = map[countKey]int{}
	l.hits = map[string][]time.Time{}
	l.rateN, l.window, l.retryAfter = c.rateN, c.rateWindow, c.rateRetryAfter
	l.slots = make(chan struct{}, c.maxConcurrent)
	l.maxQueue, l.queueWait = c.maxQueue, c.queueWait
}

func (l *limits) count(method, set string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests++
	l.byKey[countKey{method, set}]++
}

func (l *limits) countBatch(ops []batchRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batches++
	for _, r := range ops {
		l.batchOps++
		l.batchByKey[countKey{r.Method, r.set}]++
	}
}

func (l *limits) takeFault() (*apiError, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.faults) == 0 {
		return nil, false
	}
	f := l.faults[0]
	l.faults = l.faults[1:]
	return f.apiError(), true
}

func (l *limits) takeBatchFaults() map[int]Fault {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.batchFaults
	l.batchFaults = nil
	return f
}

// allow applies the per-client sliding window (on the real clock).
func (l *limits) allow(client string) *apiError {
	if l.rateN <= 0 {
		return nil
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hits[client]
	cut := 0
	for cut < len(h) && !h[cut].After(now.Add(-l.window)) {
		cut++
	}
	h = h[cut:]
	if len(h) >= l.rateN {
		l.hits[client] = h
		e := &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests,
			message: fmt.Sprintf("Too many requests reached.  Actual (%d).  Maximum (%d).", len(h)+1, l.rateN)}
		if l.retryAfter {
			e.retryAfter = max(time.Second, h[0].Add(l.window).Sub(now))
		}
		return e
	}
	l.hits[client] = append(h, now)
	return nil
}

// acquire takes one of the concurrent request slots, waiting in the queue
// when all are taken.
func (l *limits) acquire(ctx context.Context, closed <-chan struct{}) (func(), *apiError) {
	release := func() { <-l.slots }
	select {
	case l.slots <- struct{}{}:
		return release, nil
	default:
	}
	l.mu.Lock()
	if l.queued >= l.maxQueue {
		l.mu.Unlock()
		return nil, &apiError{status: http.StatusTooManyRequests, code: codeTooManyRequests,
			message: "Too many requests reached. The request queue is full."}
	}
	l.queued++
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.queued--
		l.mu.Unlock()
	}()
	t := time.NewTimer(l.queueWait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable,
			message: "The request waited too long for the maximum number of concurrent requests.", retryAfter: time.Second}
	case <-ctx.Done():
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, message: "The request was cancelled."}
	case <-closed:
		return nil, &apiError{status: http.StatusServiceUnavailable, code: codeUnavailable, message: "The service is shutting down."}
	}
}

// FailNext makes the next n API requests (not token requests) fail with
// f instead of running, like a throttled or unavailable service:
// FailNext(3, Fault{Status: 429}) or
// FailNext(1, Fault{Status: 503, RetryAfter: time.Second}).
func (s *Server) FailNext(n int, f Fault) {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	for range n {
		s.lim.faults = append(s.lim.faults, f)
	}
}

// FailBatchOperation makes the operation at index (0-based) of the next
// $batch request fail with f instead of running; with Isolation: snapshot
// this rolls the whole batch back. Call it once per operation to fail
// several.
func (s *Server) FailBatchOperation(index int, f Fault) {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	if s.lim.batchFaults == nil {
		s.lim.batchFaults = map[int]Fault{}
	}
	s.lim.batchFaults[index] = f
}

// Requests returns how many API requests the fake received (a $batch
// counts once; token requests are not counted).
func (s *Server) Requests() int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.requests
}

// RequestsFor returns how many API requests with method addressed
// entitySet ("items", "salesOrders", "salesOrderLines", "companies",
// "$batch", "subscriptions"; a nested path counts for its last entity set:
// salesOrders(id)/salesOrderLines is "salesOrderLines").
func (s *Server) RequestsFor(method, entitySet string) int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.byKey[countKey{method, entitySet}]
}

// Batches returns how many $batch requests the fake ran.
func (s *Server) Batches() int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.batches
}

// BatchOperations returns how many operations those $batch requests held.
func (s *Server) BatchOperations() int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.batchOps
}

// BatchOperationsFor counts the $batch operations with method on
// entitySet, as RequestsFor does for direct requests.
func (s *Server) BatchOperationsFor(method, entitySet string) int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.batchByKey[countKey{method, entitySet}]
}

// ResetCounters sets the request and batch counters to zero.
func (s *Server) ResetCounters() {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	s.lim.requests, s.lim.batches, s.lim.batchOps = 0, 0, 0
	s.lim.byKey = map[countKey]int{}
	s.lim.batchByKey = map[countKey]int{}
}
