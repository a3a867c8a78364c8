package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kontor-dev/kontor"
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
	Sync(ctx context.Context, flow string) (Report, error) // handles pending events, then sweeps
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

// WriteJob is one item's write, run as a durable job: order transfers,
// shipment pushes and stock pushes on an ItemQueue. It carries the source
// item, so the job maps it with the mapping current when it runs.
type WriteJob struct {
	Flow        string          `json:"flow"`
	Key         string          `json:"key"`
	Fingerprint uint64          `json:"fingerprint,string"`
	Payload     json.RawMessage `json:"payload"`
	// DeadLetter is the dead letter a replay enqueued the job for; the
	// job deletes it once the item is written.
	DeadLetter int64 `json:"dead_letter,omitempty"`
}

// ItemQueue is a Queue that also runs single writes as jobs. Atomically
// runs fn in one transaction of the store's database: the store calls fn
// makes with its context and the jobs it enqueues commit together or not
// at all, so an item's idempotency record and its job never exist without
// each other.
type ItemQueue interface {
	Queue
	Atomically(ctx context.Context, fn func(ctx context.Context, enqueue func(...WriteJob) error) error) error
}

// ItemWork is what an ItemQueue calls back for a write job: the Syncer
// implements it. last says River will not try the job again, so a failure
// then goes to the dead letters instead of back to the queue.
type ItemWork interface {
	Work
	Write(ctx context.Context, job WriteJob, last bool) error
}

// AsJobs turns on or off writing the flow's items as single durable jobs
// when the Syncer runs on an ItemQueue. It is on by default for orders,
// shipments and stock: each item's write is then a job, unique per flow,
// key and content, retried with backoff by the queue.
func AsJobs(on bool) FlowOption { return func(c *flowConfig) { c.asJobs = &on } }

// itemQueue returns the Syncer's ItemQueue when f writes its items as jobs.
func (s *Syncer) itemQueue(f *flowState) ItemQueue {
	iq, ok := s.cfg.queue.(ItemQueue)
	if !ok {
		return nil
	}
	on := f.entity == kontor.EntityOrder || f.entity == kontor.EntityShipment || f.entity == kontor.EntityStock
	if f.cfg.asJobs != nil {
		on = *f.cfg.asJobs
	}
	if !on {
		return nil
	}
	return iq
}

// enqueueWrites hands changed items to the queue as write jobs, in one
// transaction with their idempotency records.
func (r *run) enqueueWrites(ctx context.Context, iq ItemQueue, items []*Item) error {
	f, st := r.f, r.s.store
	idempotent := f.cfg.idempotent != nil && *f.cfg.idempotent
	err := iq.Atomically(ctx, func(ctx context.Context, enqueue func(...WriteJob) error) error {
		jobs := make([]WriteJob, 0, len(items))
		for _, it := range items {
			if idempotent {
				if _, err := st.BeginWrite(ctx, f.name, it.Key, it.Fingerprint, r.s.cfg.newKey()); err != nil {
					return err
				}
			}
			payload, err := json.Marshal(it.source)
			if err != nil {
				return err
			}
			jobs = append(jobs, WriteJob{Flow: f.name, Key: it.Key, Fingerprint: it.Fingerprint, Payload: payload, DeadLetter: r.replay[it.Key]})
		}
		return enqueue(jobs...)
	})
	if err != nil {
		return fmt.Errorf("syncer: flow %s: enqueue writes: %w", f.name, err)
	}
	r.rep.Enqueued += len(items)
	return nil
}

// Write runs one write job: the item is mapped, compared and written as
// in a sweep. A failure of the whole write goes back to the queue, to be
// retried with backoff, until last; then the item goes to the dead letters.
func (s *Syncer) Write(ctx context.Context, job WriteJob, last bool) error {
	f, err := s.flow(job.Flow)
	if err != nil {
		return err
	}
	r, ctx := s.newRun(ctx, f, kindJob)
	r.inJob = true
	defer r.finish()
	it, err := f.run.decode(job.Payload)
	if errors.Is(err, errFiltered) {
		return nil
	}
	if it == nil {
		bad := &Item{Key: job.Key, source: rawJSON(job.Payload)}
		return r.deadLetter(ctx, bad, fmt.Errorf("write job: %w", err))
	}
	if err != nil {
		return r.deadLetter(ctx, it, err)
	}
	if job.DeadLetter != 0 {
		r.replay = map[string]int64{it.Key: job.DeadLetter}
	}
	if err := r.process(ctx, []*Item{it}); err != nil {
		if !last {
			return err
		}
		return r.deadLetter(ctx, it, err)
	}
	return nil
}
