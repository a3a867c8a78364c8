package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Syncer runs flows against one store. Build it with New, add flows, then
// either call Run to keep them in sync until the context ends, or drive them
// yourself with Sync, Notify, ProcessEvents, Replay and Plan.
type Syncer struct {
	store   store.Store
	cfg     config
	mu      sync.Mutex
	flows   map[string]*flowState
	order   []*flowState
	running bool
	version atomic.Uint64 // bumped on every status change
}

type config struct {
	logger     *slog.Logger
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	metrics    Metrics
	middleware []Middleware
	retry      RetryPolicy
	chunk      int
	grace      time.Duration
	newKey     func() string
	queue      Queue
}

// Option configures a Syncer.
type Option func(*config)

// WithLogger sets the logger; the default discards. Logs name flows, keys
// and error kinds, never payloads.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMetrics sets the metrics hook; the default drops the numbers.
func WithMetrics(m Metrics) Option { return func(c *config) { c.metrics = m } }

// WithMiddleware adds middleware to every flow, inside the built-in retry,
// before the flow's own.
func WithMiddleware(mw ...Middleware) Option {
	return func(c *config) { c.middleware = append(c.middleware, mw...) }
}

// WithRetry sets how the engine retries a failed write before the item goes
// to the dead letters.
func WithRetry(p RetryPolicy) Option { return func(c *config) { c.retry = p } }

// WithShutdownGrace sets how long Run lets in-flight batches finish after
// its context ends; the default is ten seconds.
func WithShutdownGrace(d time.Duration) Option { return func(c *config) { c.grace = d } }

// withClock replaces the clock and the sleeper, for tests.
func withClock(now func() time.Time, sleep func(context.Context, time.Duration) error) Option {
	return func(c *config) { c.now, c.sleep = now, sleep }
}

// Metrics receives the engine's counters. Names are the Report's field
// names in snake case ("created", "dead_lettered", "missed_events").
type Metrics interface {
	Count(flow, name string, n int)
}

type flowState struct {
	*Flow
	handler Handler
	cron    cron.Schedule
	wake    chan struct{}

	mu        sync.Mutex
	announced map[string]struct{} // keys that events announced since the last sweep
	hinted    bool                // an event without payload came since the last sweep
	busy      sync.Mutex          // one run of a flow at a time
	stats     flowStats           // for Status, guarded by mu
	version   *atomic.Uint64      // the Syncer's status version
}

// New returns a Syncer on st.
func New(st store.Store, opts ...Option) *Syncer {
	cfg := config{
		now:    time.Now,
		sleep:  sleepCtx,
		retry:  DefaultRetryPolicy,
		chunk:  1000,
		grace:  10 * time.Second,
		newKey: newIdempotencyKey,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.metrics == nil {
		cfg.metrics = nopMetrics{}
	}
	return &Syncer{store: st, cfg: cfg, flows: map[string]*flowState{}}
}

// Add checks and adds flows. It fails, adding none of them, when a
// connector lacks a capability the flow needs, a mapping does not fit the
// flow's entity, a schedule is malformed, or a name is taken.
func (s *Syncer) Add(flows ...*Flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return errors.New("syncer: add flows before Run")
	}
	var added []*flowState
	names := map[string]bool{}
	for _, f := range flows {
		fs, err := s.prepare(f)
		if err != nil {
			return err
		}
		if s.flows[f.name] != nil || names[f.name] {
			return fmt.Errorf("syncer: a flow named %q exists; name the second with Named", f.name)
		}
		names[f.name] = true
		added = append(added, fs)
	}
	for _, fs := range added {
		s.flows[fs.name] = fs
		s.order = append(s.order, fs)
	}
	// A flow whose source another flow writes to sees that flow's writes
	// come back (the echo); it checks for them.
	for _, a := range s.order {
		a.echo = false
		for _, b := range s.order {
			if a != b && a.entity == b.entity && b.target != a.target {
				a.echo = true
			}
		}
	}
	return nil
}

func (s *Syncer) prepare(f *Flow) (*flowState, error) {
	if f == nil || f.from == nil || f.to == nil {
		return nil, errors.New("syncer: a flow needs a source and a sink")
	}
	if err := kontor.Require(f.from, f.entity, kontor.Read); err != nil {
		return nil, fmt.Errorf("syncer: flow %s: source: %w", f.name, err)
	}
	if err := kontor.Require(f.to, f.entity, kontor.Write); err != nil {
		return nil, fmt.Errorf("syncer: flow %s: sink: %w", f.name, err)
	}
	r, err := f.build(f)
	if err != nil {
		return nil, err
	}
	f.run = r
	f.batchSize = f.to.Capabilities().BatchSize(f.entity)
	if f.cfg.batch > 0 && f.cfg.batch < f.batchSize {
		f.batchSize = f.cfg.batch
	}
	fs := &flowState{Flow: f, wake: make(chan struct{}, 1), announced: map[string]struct{}{}, version: &s.version}
	if f.cfg.cron != "" {
		sched, err := cron.ParseStandard(f.cfg.cron)
		if err != nil {
			return nil, fmt.Errorf("syncer: flow %s: cron %q: %w", f.name, f.cfg.cron, err)
		}
		fs.cron = sched
	} else if f.cfg.every <= 0 {
		return nil, fmt.Errorf("syncer: flow %s: the interval must be positive", f.name)
	}
	fs.handler = s.chain(fs)
	return fs, nil
}

// Flows returns the names of the flows, in the order they were added.
func (s *Syncer) Flows() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.order))
	for i, f := range s.order {
		out[i] = f.name
	}
	return out
}

func (s *Syncer) flow(name string) (*flowState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flows[name]
	if f == nil {
		return nil, fmt.Errorf("syncer: no flow named %q", name)
	}
	return f, nil
}

// Sync runs one sweep of the named flow now: first the flow's pending
// events (whose wake-up may have been lost), then an incremental read since
// its cursor (less the overlap) and a write of what changed.
func (s *Syncer) Sync(ctx context.Context, flow string) (Report, error) {
	f, err := s.flow(flow)
	if err != nil {
		return Report{}, err
	}
	rep, _, err := s.processEvents(ctx, f)
	if err != nil {
		f.failed(err)
		return rep, err
	}
	sr, err := s.sweep(ctx, f, nil)
	sr.add(rep)
	f.failed(err)
	return sr, err
}

// SyncAll runs one sweep of every flow, in the order they were added, and
// returns their reports. It stops at the first flow that fails as a whole.
func (s *Syncer) SyncAll(ctx context.Context) ([]Report, error) {
	var out []Report
	for _, name := range s.Flows() {
		r, err := s.Sync(ctx, name)
		out = append(out, r)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// Run keeps every flow in sync until ctx ends: each flow sweeps on its
// schedule, real-time flows also when events arrive, and dead letters of
// class mapping are replayed when new links appear. With WithQueue the
// work runs as the queue's durable jobs; otherwise in this process. When ctx ends, Run
// stops starting work, lets in-flight batches finish within the shutdown
// grace, and returns nil; a flow's failure is logged and retried at its
// next tick, not returned.
func (s *Syncer) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return errors.New("syncer: already running")
	}
	s.running = true
	flows := append([]*flowState(nil), s.order...)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	if s.cfg.queue != nil {
		return s.cfg.queue.Run(ctx, s)
	}

	// Work runs on a context that outlives ctx by the grace period, so a
	// batch in flight when ctx ends is finished and recorded, not dropped.
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	for _, f := range flows {
		wg.Go(func() { s.loop(ctx, work, f) })
	}
	<-ctx.Done()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	timer := time.NewTimer(s.cfg.grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		cancelWork()
		<-done
	}
	return nil
}

// loop runs one flow's triggers until ctx ends; the work itself runs on
// work.
func (s *Syncer) loop(ctx, work context.Context, f *flowState) {
	next := func() time.Duration {
		if f.cron != nil {
			now := s.cfg.now()
			return f.cron.Next(now).Sub(now)
		}
		return f.cfg.every
	}
	timer := time.NewTimer(0) // sweep at start
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
			if _, err := s.Sync(work, f.name); err != nil {
				s.cfg.logger.Warn("syncer: sweep failed", "flow", f.name, "kind", kontor.KindOf(err).String(), "error", err)
			}
			d := next()
			f.scheduled(s.cfg.now().Add(d))
			timer.Reset(d)
		case <-f.wake:
			if f.cfg.debounce > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(f.cfg.debounce):
				}
			}
			if _, err := s.ProcessEvents(work, f.name); err != nil {
				s.cfg.logger.Warn("syncer: events failed", "flow", f.name, "kind", kontor.KindOf(err).String(), "error", err)
			}
		}
	}
}

// newIdempotencyKey returns a random key for a new logical write.
func newIdempotencyKey() string { return uuid.NewString() }

type nopMetrics struct{}

func (nopMetrics) Count(string, string, int) {}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
