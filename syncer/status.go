package syncer

import (
	"context"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// runKind is what started a run.
type runKind uint8

const (
	kindSweep  runKind = iota // a scheduled or manual sweep
	kindEvents                // pending real-time events
	kindReplay                // a dead letter replay
	kindJob                   // one durable write job
	kindPlan                  // a dry run: not counted
)

// FlowStatus is what an operator needs to know of one flow now. Counts
// are since the Syncer was built; what happened before a restart is in
// the store's audit trail and dead letters.
type FlowStatus struct {
	Name   string        `json:"name"`
	Entity kontor.Entity `json:"entity"`
	// Source and Target name the systems the flow reads from and writes
	// to, as their connectors' capabilities say.
	Source string `json:"source"`
	Target string `json:"target"`
	// RealTime says webhook events trigger the flow between sweeps.
	RealTime bool `json:"real_time"`
	// Running says a sweep, event batch, replay or write job of the flow
	// is under way; Current then holds its counts so far.
	Running bool    `json:"running"`
	Current *Report `json:"current,omitempty"`
	// LastSweep is the last finished sweep; zero before the first.
	LastSweep Report `json:"last_sweep"`
	// LastError is why the last run failed as a whole, "" if it did not.
	// It names kinds and keys, never payloads.
	LastError string `json:"last_error,omitempty"`
	// LastRun is when the last run of any kind finished.
	LastRun time.Time `json:"last_run,omitzero"`
	// NextSweep is when the flow's schedule sweeps next, zero if unknown.
	NextSweep time.Time `json:"next_sweep,omitzero"`
	// Runs counts finished sweeps, and the event batches, replays and
	// write jobs that handled something; Totals adds up their reports: items
	// synced, dead-lettered, events missed by webhooks and found by the
	// sweep, rate-limit waits.
	Runs   int    `json:"runs"`
	Totals Report `json:"totals"`
}

// flowStats is the part of flowState the status reads; guarded by
// flowState.mu.
type flowStats struct {
	current   *run
	live      Report // the current run's counts so far
	hasLive   bool
	lastSweep Report
	lastError string
	lastRun   time.Time
	nextSweep time.Time
	runs      int
	totals    Report
}

// started records that r began.
func (f *flowState) started(r *run) {
	if r.kind == kindPlan {
		return
	}
	f.mu.Lock()
	f.stats.current = r
	f.mu.Unlock()
	f.changed()
}

// progress publishes the counts of the current run so far.
func (f *flowState) progress(r *run) {
	if r.kind == kindPlan {
		return
	}
	f.mu.Lock()
	f.stats.live = r.rep
	f.stats.hasLive = true
	f.mu.Unlock()
	f.changed()
}

// finished records r's report.
func (f *flowState) finished(r *run) {
	if r.kind == kindPlan {
		return
	}
	f.mu.Lock()
	if f.stats.current == r {
		f.stats.current = nil
		f.stats.hasLive = false
	}
	if r.kind == kindSweep || r.rep != (Report{Flow: r.rep.Flow, Started: r.rep.Started, Finished: r.rep.Finished}) {
		f.stats.runs++ // an event batch with nothing in it is no run
	}
	f.stats.totals.add(r.rep)
	f.stats.lastRun = r.rep.Finished
	if r.kind == kindSweep {
		f.stats.lastSweep = r.rep
	}
	f.mu.Unlock()
	f.changed()
}

// failed records why a run failed as a whole; nil clears it.
func (f *flowState) failed(err error) {
	f.mu.Lock()
	f.stats.lastError = ""
	if err != nil {
		f.stats.lastError = kontor.KindOf(err).String() + ": " + err.Error()
	}
	f.mu.Unlock()
	f.changed()
}

// scheduled records when the flow sweeps next.
func (f *flowState) scheduled(t time.Time) {
	f.mu.Lock()
	f.stats.nextSweep = t
	f.mu.Unlock()
	f.changed()
}

func (f *flowState) changed() {
	if f.version != nil {
		f.version.Add(1)
	}
}

// Status returns the status of every flow, in the order they were added.
func (s *Syncer) Status() []FlowStatus {
	s.mu.Lock()
	flows := append([]*flowState(nil), s.order...)
	queued := s.cfg.queue != nil
	s.mu.Unlock()
	out := make([]FlowStatus, 0, len(flows))
	now := s.cfg.now()
	for _, f := range flows {
		st := FlowStatus{
			Name:     f.name,
			Entity:   f.entity,
			Source:   f.from.Capabilities().System,
			Target:   f.to.Capabilities().System,
			RealTime: f.cfg.realtime,
		}
		f.mu.Lock()
		if f.stats.current != nil {
			st.Running = true
			cur := f.stats.live
			if !f.stats.hasLive {
				cur = Report{Flow: f.name, Started: f.stats.current.rep.Started}
			}
			st.Current = &cur
		}
		st.LastSweep = f.stats.lastSweep
		st.LastError = f.stats.lastError
		st.LastRun = f.stats.lastRun
		st.NextSweep = f.stats.nextSweep
		st.Runs = f.stats.runs
		st.Totals = f.stats.totals
		f.mu.Unlock()
		st.Totals.Flow = f.name
		if st.NextSweep.IsZero() && queued {
			// The queue schedules: its next tick follows the last sweep.
			from := st.LastSweep.Finished
			if from.IsZero() {
				from = now
			}
			if f.cron != nil {
				st.NextSweep = f.cron.Next(from)
			} else if f.cfg.every > 0 {
				st.NextSweep = from.Add(f.cfg.every)
			}
		}
		out = append(out, st)
	}
	return out
}

// StatusVersion returns a number that changes whenever a flow's status
// does, so a status page can push updates only when there are some.
func (s *Syncer) StatusVersion() uint64 { return s.version.Load() }

// DeadLetters returns the dead letters that match f, oldest first.
func (s *Syncer) DeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]store.DeadLetter, error) {
	return s.store.DeadLetters(ctx, f)
}

// Audit returns the audit records that match f, in write order.
func (s *Syncer) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	return s.store.Audit(ctx, f)
}
