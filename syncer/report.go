package syncer

import (
	"fmt"
	"time"
)

// Report counts what one run of a flow did.
type Report struct {
	Flow         string
	Read         int           // items read from the source (or taken from events)
	Created      int           // items the sink created
	Updated      int           // items the sink updated (archives included)
	Unchanged    int           // items skipped: the sink already holds this content
	Stale        int           // items skipped: an older version than the one written
	Echoes       int           // items skipped: the engine's own write coming back
	DeadLettered int           // items that failed and went to the dead letters
	Missed       int           // items the sweep wrote that no event had announced
	Duplicates   int           // events dropped as already received
	Replayed     int           // dead letters resolved: written on replay, or by a sweep or event since
	Requests     int           // write calls made to the sink
	Enqueued     int           // items handed to the queue as write jobs
	Waits        int           // times a rate limit made the flow wait
	Waited       time.Duration // how long those waits took together
	Started      time.Time
	Finished     time.Time
}

// Writes returns the items the sink created or updated.
func (r Report) Writes() int { return r.Created + r.Updated }

// String summarises the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("%s: read %d, created %d, updated %d, unchanged %d, dead-lettered %d, requests %d",
		r.Flow, r.Read, r.Created, r.Updated, r.Unchanged, r.DeadLettered, r.Requests)
}

func (r *Report) add(o Report) {
	r.Read += o.Read
	r.Created += o.Created
	r.Updated += o.Updated
	r.Unchanged += o.Unchanged
	r.Stale += o.Stale
	r.Echoes += o.Echoes
	r.DeadLettered += o.DeadLettered
	r.Missed += o.Missed
	r.Duplicates += o.Duplicates
	r.Replayed += o.Replayed
	r.Requests += o.Requests
	r.Enqueued += o.Enqueued
	r.Waits += o.Waits
	r.Waited += o.Waited
}

func (s *Syncer) emit(r Report) {
	m := s.cfg.metrics
	for name, n := range map[string]int{"read": r.Read, "created": r.Created, "updated": r.Updated,
		"unchanged": r.Unchanged, "stale": r.Stale, "echoes": r.Echoes, "dead_lettered": r.DeadLettered,
		"missed_events": r.Missed, "duplicates": r.Duplicates, "replayed": r.Replayed, "requests": r.Requests, "enqueued": r.Enqueued,
		"rate_limit_waits": r.Waits} {
		if n != 0 {
			m.Count(r.Flow, name, n)
		}
	}
}
