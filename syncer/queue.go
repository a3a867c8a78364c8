package syncer

import (
	"context"
	"time"
)

// Queue runs the engine's work as durable jobs instead of in process:
// each flow's sweep on its schedule, and the processing of events after
// Notify. Package jobs implements it on River, over the SQLite or the
// PostgreSQL store's own database, with leader election so that N
// processes run a schedule once. Choose it when the Syncer is built, with
// WithQueue; without one, Run keeps the work in process.
type Queue interface {
	// Run works the jobs until ctx ends, calling back into work.
	Run(ctx context.Context, work Work) error
	// EnqueueEvents asks for a flow's pending events to be processed.
	EnqueueEvents(ctx context.Context, flow string) error
}

// Work is what a Queue calls back: the Syncer implements it.
type Work interface {
	Schedules() []Schedule
	Sync(ctx context.Context, flow string) (Report, error)
	ProcessEvents(ctx context.Context, flow string) (Report, error)
}

// Schedule is when a flow sweeps.
type Schedule struct {
	Flow string
	// Next returns the first sweep after t.
	Next func(t time.Time) time.Time
}

// WithQueue runs the Syncer's work on q: Run hands the flows' schedules to
// it and Notify enqueues event processing in it.
func WithQueue(q Queue) Option { return func(c *config) { c.queue = q } }

// Schedules returns every flow's sweep schedule.
func (s *Syncer) Schedules() []Schedule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Schedule, 0, len(s.order))
	for _, f := range s.order {
		sched := Schedule{Flow: f.name}
		if f.cron != nil {
			sched.Next = f.cron.Next
		} else {
			every := f.cfg.every
			sched.Next = func(t time.Time) time.Time { return t.Add(every) }
		}
		out = append(out, sched)
	}
	return out
}
