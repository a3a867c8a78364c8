// Package jobs runs a Syncer's work as durable River jobs on the database
// of its store: the SQLite file of package sqlite, or the PostgreSQL
// database of package postgres, so the engine's state and its jobs live in
// one place.
//
// Each flow's sweep is a River periodic job. River elects one leader among
// the processes that share the database, and only the leader enqueues
// periodic jobs, so N processes run a schedule once; a sweep job is unique
// while it waits or runs, so a slow sweep is not run twice at once. Events
// handed to Syncer.Notify are stored in the store's inbox first, then a
// job processes them, so a webhook is acknowledged only when it is stored.
// Order transfers, shipment pushes and stock pushes are write jobs, one per
// item, unique per flow, key and content, enqueued in the same transaction
// as the item's idempotency record; a write job that fails is retried with
// backoff, and after its last attempt the item goes to the dead letters,
// whose replay enqueues it again. Jobs are retried by River with backoff; items
// that fail go to the engine's dead letters, and a job whose process dies
// is rescued and run again, which the engine's idempotency keys make safe.
//
//	st, _ := sqlite.Open(ctx, "kontor.db")
//	q, _ := jobs.SQLite(ctx, st)
//	s := syncer.New(st, syncer.WithQueue(q))
//	// add flows, then
//	err := s.Run(ctx)
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

// sweepArgs is the job of one flow's sweep.
type sweepArgs struct {
	Flow string `json:"flow"`
}

// Kind names the job kind.
func (sweepArgs) Kind() string { return "kontor_sweep" }

// InsertOpts makes a sweep unique while it waits or runs.
func (sweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: busyStates}}
}

// eventsArgs is the job that processes one flow's pending events.
type eventsArgs struct {
	Flow string `json:"flow"`
}

// Kind names the job kind.
func (eventsArgs) Kind() string { return "kontor_events" }

// InsertOpts retries event processing. Such jobs are not unique: River's
// uniqueness covers running jobs too, so an event arriving while its flow's
// job runs would find no job to pick it up. One job per Notify is cheap:
// a job that finds the events already processed by an earlier one ends at
// once.
func (eventsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

// writeArgs is the job of one item's write.
type writeArgs struct {
	syncer.WriteJob
	// UniqueFlow, UniqueKey and UniqueFingerprint make a write unique per
	// flow, key and content; the payload is not part of it.
	UniqueFlow        string `json:"u_flow" river:"unique"`
	UniqueKey         string `json:"u_key" river:"unique"`
	UniqueFingerprint string `json:"u_fp" river:"unique"`
}

// Kind names the job kind.
func (writeArgs) Kind() string { return "kontor_write" }

// InsertOpts makes a write unique while it waits or runs. A completed one
// does not block a new one: a replay of the same content must run again.
func (writeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: busyStates}}
}

// busyStates are the states in which a sweep job blocks another of its flow.
var busyStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStateRunning}

// Option configures a Queue.
type Option func(*config)

type config struct {
	retry       func(attempt int) time.Duration
	logger      *slog.Logger
	workers     int
	rescueAfter time.Duration
	poll        time.Duration
}

// WithLogger sets the logger for River's own messages; the default
// discards them.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithWorkers sets how many jobs this process works at once; default 4.
func WithWorkers(n int) Option { return func(c *config) { c.workers = n } }

// WithRescueAfter sets how long a job may run: a job still running then
// is cancelled, and one whose process died is run again by another;
// default ten minutes. Keep it above the longest sweep.
func WithRescueAfter(d time.Duration) Option { return func(c *config) { c.rescueAfter = d } }

// WithRetryDelay sets how long a failed job waits before its next
// attempt (attempt counts from 1); River's default grows with the fourth
// power of the attempt.
func WithRetryDelay(delay func(attempt int) time.Duration) Option {
	return func(c *config) { c.retry = delay }
}

// retryPolicy adapts a delay function to River.
type retryPolicy func(attempt int) time.Duration

// NextRetry returns when the job runs again.
func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(p(job.Attempt))
}

// WithPollInterval sets how often workers look for new jobs where the
// database cannot notify them (SQLite); default one second.
func WithPollInterval(d time.Duration) Option { return func(c *config) { c.poll = d } }

// Queue runs a Syncer's work on River. It is a syncer.ItemQueue: the
// engine enqueues order transfers, shipment pushes and stock pushes as
// single write jobs, in one transaction with their idempotency records.
type Queue[TTx any] struct {
	driver   riverdriver.Driver[TTx]
	schema   string
	cfg      config
	inserter *river.Client[TTx]
	inTx     func(ctx context.Context, fn func(ctx context.Context, tx TTx) error) error
}

var (
	_ syncer.ItemQueue = (*Queue[*sql.Tx])(nil)
	_ syncer.ItemQueue = (*Queue[pgx.Tx])(nil)
)

// SQLite returns a Queue on the SQLite store's database, with River's
// tables migrated into the same file.
func SQLite(ctx context.Context, st *sqlite.Store, opts ...Option) (*Queue[*sql.Tx], error) {
	return newQueue(ctx, riversqlite.New(st.DB()), "", st.InTx, opts)
}

// Postgres returns a Queue on the PostgreSQL store's database, with
// River's tables migrated into the store's schema.
func Postgres(ctx context.Context, st *postgres.Store, opts ...Option) (*Queue[pgx.Tx], error) {
	return newQueue(ctx, riverpgxv5.New(st.Pool()), st.SchemaName(), st.InTx, opts)
}

func newQueue[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], schema string,
	inTx func(context.Context, func(context.Context, TTx) error) error, opts []Option) (*Queue[TTx], error) {
	cfg := config{workers: 4, rescueAfter: 10 * time.Minute, poll: time.Second}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: cfg.logger, Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, fmt.Errorf("jobs: migrating River's tables: %w", err)
	}
	ins, err := river.NewClient(driver, &river.Config{Logger: cfg.logger, Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Queue[TTx]{driver: driver, schema: schema, cfg: cfg, inserter: ins, inTx: inTx}, nil
}

// Atomically runs fn in one transaction of the store's database; the write
// jobs fn enqueues commit with the store calls it makes, or neither does.
func (q *Queue[TTx]) Atomically(ctx context.Context, fn func(ctx context.Context, enqueue func(...syncer.WriteJob) error) error) error {
	return q.inTx(ctx, func(ctx context.Context, tx TTx) error {
		return fn(ctx, func(jobs ...syncer.WriteJob) error {
			if len(jobs) == 0 {
				return nil
			}
			params := make([]river.InsertManyParams, len(jobs))
			for i, j := range jobs {
				params[i] = river.InsertManyParams{Args: writeArgs{WriteJob: j, UniqueFlow: j.Flow, UniqueKey: j.Key,
					UniqueFingerprint: strconv.FormatUint(j.Fingerprint, 10)}}
			}
			if _, err := q.inserter.InsertManyTx(ctx, tx, params); err != nil {
				return fmt.Errorf("jobs: enqueue writes: %w", err)
			}
			return nil
		})
	})
}

// EnqueueEvents enqueues the processing of a flow's pending events.
func (q *Queue[TTx]) EnqueueEvents(ctx context.Context, flow string) error {
	if _, err := q.inserter.Insert(ctx, eventsArgs{Flow: flow}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue events of %s: %w", flow, err)
	}
	return nil
}

// Run works jobs until ctx ends, then stops River, letting running jobs
// finish within River's soft stop timeout.
func (q *Queue[TTx]) Run(ctx context.Context, work syncer.Work) error {
	workers := river.NewWorkers()
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[sweepArgs]) error {
		// Sync handles events whose job was lost before it sweeps.
		_, err := work.Sync(ctx, job.Args.Flow)
		return err
	}))
	river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[eventsArgs]) error {
		_, err := work.ProcessEvents(ctx, job.Args.Flow)
		return err
	}))
	if iw, ok := work.(syncer.ItemWork); ok {
		river.AddWorker(workers, river.WorkFunc(func(ctx context.Context, job *river.Job[writeArgs]) error {
			return iw.Write(ctx, job.Args.WriteJob, job.Attempt >= job.MaxAttempts)
		}))
	}
	var periodic []*river.PeriodicJob
	for _, sc := range work.Schedules() {
		flow := sc.Flow
		periodic = append(periodic, river.NewPeriodicJob(schedule{sc.Next},
			func() (river.JobArgs, *river.InsertOpts) { return sweepArgs{Flow: flow}, nil },
			&river.PeriodicJobOpts{ID: "sweep-" + flow, RunOnStart: true}))
	}
	var retry river.ClientRetryPolicy
	if q.cfg.retry != nil {
		retry = retryPolicy(q.cfg.retry)
	}
	client, err := river.NewClient(q.driver, &river.Config{
		RetryPolicy:          retry,
		Logger:               q.cfg.logger,
		Schema:               q.schema,
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.cfg.workers}},
		Workers:              workers,
		PeriodicJobs:         periodic,
		RescueStuckJobsAfter: q.cfg.rescueAfter,
		FetchPollInterval:    q.cfg.poll,
		FetchCooldown:        min(q.cfg.poll, 100*time.Millisecond),
		// A job with no timeout is never rescued after its process dies:
		// the rescue threshold is also the longest a job may run.
		JobTimeout: q.cfg.rescueAfter,
	})
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := client.Stop(stop); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// schedule adapts a flow's schedule to River's.
type schedule struct{ next func(time.Time) time.Time }

// Next returns the first run after t.
func (s schedule) Next(t time.Time) time.Time { return s.next(t) }
