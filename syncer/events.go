package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// Event is a real-time hint that something changed: a verified webhook
// delivery, an ERP change notification. Its payload, when it is the
// flow's source entity as JSON, is written without reading the source
// again; an event without one makes the flow sweep.
type Event = kontor.Event

// Notify records an event for a flow and, if the flow is real-time and Run
// is running, wakes it. It returns once the event is in the store's inbox,
// so a webhook receiver can acknowledge the delivery: a duplicate (same id,
// or same payload) is dropped. Events are hints: the flow's sweep stays the
// truth.
func (s *Syncer) Notify(ctx context.Context, flow string, ev Event) error {
	f, err := s.flow(flow)
	if err != nil {
		return err
	}
	if ev.ID == "" {
		return errors.New("syncer: an event needs an id")
	}
	var hash uint64
	if len(ev.Payload) > 0 {
		hash = xxhash.Sum64(ev.Payload)
	}
	added, err := s.store.AddInbox(ctx, store.InboxEvent{
		Source: f.name, ID: ev.ID, PayloadHash: hash, Topic: ev.Topic, Entity: f.entity,
		Key: ev.Key, Payload: ev.Payload, ReceivedAt: s.cfg.now(),
	})
	if err != nil {
		return err
	}
	if !added {
		s.cfg.metrics.Count(f.name, "duplicates", 1)
		if q := s.cfg.queue; q != nil && f.cfg.realtime {
			// The first delivery may have been stored without its job being
			// enqueued (the enqueue failed, the sender retried): enqueue
			// again; a waiting request absorbs it.
			return q.EnqueueEvents(ctx, f.name)
		}
		return nil
	}
	f.mu.Lock()
	if ev.Key != "" {
		f.announced[ev.Key] = struct{}{}
	} else if len(ev.Payload) == 0 {
		// A bare hint (an ERP notification that names a record id, not
		// a key) announces that something changed, not what: whatever
		// the sweep it starts writes was announced.
		f.hinted = true
	}
	f.mu.Unlock()
	if !f.cfg.realtime {
		return nil
	}
	if q := s.cfg.queue; q != nil {
		return q.EnqueueEvents(ctx, f.name)
	}
	select {
	case f.wake <- struct{}{}:
	default: // already woken
	}
	return nil
}

// ProcessEvents handles the flow's pending events now. Events that carry
// the entity are coalesced by key, the newest version winning, and written
// in batches; a malformed payload goes to the dead letters; an event
// without a payload makes the flow sweep. Run calls it when events arrive.
func (s *Syncer) ProcessEvents(ctx context.Context, flow string) (Report, error) {
	f, err := s.flow(flow)
	if err != nil {
		return Report{}, err
	}
	rep, needSweep, err := s.processEvents(ctx, f)
	if err != nil {
		return rep, err
	}
	if needSweep {
		sr, err := s.sweep(ctx, f, nil)
		rep.add(sr)
		return rep, err
	}
	return rep, nil
}

// processEvents handles the flow's pending events and says whether one of
// them asks for a sweep.
func (s *Syncer) processEvents(ctx context.Context, f *flowState) (Report, bool, error) {
	f.busy.Lock()
	r, ctx := s.newRun(ctx, f, kindEvents)
	needSweep, err := r.events(ctx)
	f.busy.Unlock()
	return r.finish(), needSweep, err
}

func (r *run) events(ctx context.Context) (needSweep bool, err error) {
	f, st := r.f, r.s.store
	pending, err := st.PendingInbox(ctx, 0)
	if err != nil {
		return false, err
	}
	var evs []store.InboxEvent
	for _, ev := range pending {
		if ev.Source == f.name {
			evs = append(evs, ev)
		}
	}
	if len(evs) == 0 {
		return false, nil
	}
	latest := map[string]int{}
	var items []*Item
	for _, ev := range evs {
		if len(ev.Payload) == 0 {
			needSweep = true
			continue
		}
		it, derr := f.run.decode(ev.Payload)
		if errors.Is(derr, errFiltered) {
			continue // not this flow's: handled
		}
		if it == nil {
			// Not the entity: keep the payload for a person to look at and
			// sweep, since something did change.
			bad := &Item{Key: ev.Key, source: rawJSON(ev.Payload)}
			if bad.Key == "" {
				bad.Key = "event:" + ev.ID
			}
			cause := &kontor.ValidationError{Entity: f.entity, Key: bad.Key, Field: "payload",
				Reason: fmt.Sprintf("event %s (%s) is not a %s: %v", ev.ID, ev.Topic, f.entity, derr)}
			if err := r.deadLetter(ctx, bad, cause); err != nil {
				return false, err
			}
			needSweep = true
			continue
		}
		r.rep.Read++
		if derr != nil {
			if err := r.deadLetter(ctx, it, derr); err != nil {
				return false, err
			}
			continue
		}
		if i, ok := latest[it.Key]; ok {
			if !it.Meta.Newer(items[i].Meta) {
				continue // an older or equal version of a key already taken
			}
			items[i] = it
			continue
		}
		latest[it.Key] = len(items)
		items = append(items, it)
	}
	for start := 0; start < len(items); start += r.s.cfg.chunk {
		if err := r.process(ctx, items[start:min(start+r.s.cfg.chunk, len(items))]); err != nil {
			return false, err
		}
	}
	for _, ev := range evs {
		if err := st.MarkInboxDone(ctx, ev.Source, ev.ID); err != nil {
			return false, err
		}
	}
	return needSweep, nil
}

// rawJSON keeps a payload that is not JSON as a JSON string, so a dead
// letter can always hold it.
type rawJSON []byte

// MarshalJSON returns the payload itself when it is valid JSON, else the
// payload as a JSON string.
func (p rawJSON) MarshalJSON() ([]byte, error) {
	if json.Valid(p) {
		return p, nil
	}
	return json.Marshal(string(p))
}

// Events returns the handler a connector's webhook endpoint hands its
// verified events to: each event goes to the inbox of every flow that
// reads from that connector — with its payload to the flows of its entity,
// and as a bare hint (which makes the flow sweep) to the flows of related
// entities: status flows for an order or a return, price and stock flows
// for a product. An event for no flow is acknowledged and dropped; an
// event no inbox could store fails, so the sender retries.
func (s *Syncer) Events(from kontor.Connector) kontor.EventHandler {
	return func(ctx context.Context, ev kontor.Event) error {
		s.mu.Lock()
		var targets []*flowState
		for _, f := range s.order {
			if f.from == from {
				targets = append(targets, f)
			}
		}
		s.mu.Unlock()
		for _, f := range targets {
			e := ev
			switch {
			case ev.Entity == f.entity:
			case slices.Contains(relatedEntities[ev.Entity], f.entity):
				e.Payload = nil
			default:
				continue
			}
			if err := s.Notify(ctx, f.name, e); err != nil {
				return err
			}
		}
		return nil
	}
}

// relatedEntities lists, per entity, the entities whose flows an event
// about it should wake.
var relatedEntities = map[kontor.Entity][]kontor.Entity{
	kontor.EntityOrder:   {kontor.EntityStatus},
	kontor.EntityReturn:  {kontor.EntityStatus},
	kontor.EntityProduct: {kontor.EntityPrice, kontor.EntityStock},
}
