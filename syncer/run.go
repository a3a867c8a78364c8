package syncer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/syncer/store"
)

// run is one pass of one flow: a sweep, a batch of events, a replay or a
// plan. Its counters become the Report.
type run struct {
	s       *Syncer
	f       *flowState
	rep     Report
	plan    *Plan            // set for a dry run: nothing is written
	missed  bool             // an incremental sweep of a real-time flow: counts missed events
	replay  map[string]int64 // for a replay: the dead letter of each key
	newLink bool             // a link was created: mapping dead letters may now pass
	inJob   bool             // a write job: it writes its item, it does not enqueue
	kind    runKind
	// letters maps the keys of the current batch's written items that
	// have dead letters to their ids: an item written since it failed
	// leaves them.
	letters map[string]int64

	waits     atomic.Int64 // rate-limit waits on the run's behalf
	waitNanos atomic.Int64 // and their total time
}

type runKey struct{}

func runFrom(ctx context.Context) *run {
	r, _ := ctx.Value(runKey{}).(*run)
	return r
}

// newRun starts a run of f and returns it with ctx carrying its wait
// recorder, so rate-limit waits on the run's behalf land in its report.
func (s *Syncer) newRun(ctx context.Context, f *flowState, kind runKind) (*run, context.Context) {
	r := &run{s: s, f: f, kind: kind, rep: Report{Flow: f.name, Started: s.cfg.now()}}
	f.started(r)
	return r, kontor.WithWaitRecorder(ctx, r.waited)
}

// waited counts a rate-limit wait; waits may come from several goroutines.
func (r *run) waited(d time.Duration) {
	r.waits.Add(1)
	r.waitNanos.Add(int64(d))
}

// sweep reads the flow's source since its cursor and writes what changed.
func (s *Syncer) sweep(ctx context.Context, f *flowState, plan *Plan) (Report, error) {
	f.busy.Lock()
	kind := kindSweep
	if plan != nil {
		kind = kindPlan
	}
	r, ctx := s.newRun(ctx, f, kind)
	r.plan = plan
	err := r.sweep(ctx)
	f.busy.Unlock()
	rep := r.finish()
	if err != nil || plan != nil {
		return rep, err
	}
	// Mapping dead letters wait for a link or a mapping: new links may let
	// any flow's pass, a new mapping version this flow's.
	var filter store.DeadLetterFilter
	if r.newLink {
		filter = store.DeadLetterFilter{Class: store.ClassMapping}
	} else if filter, err = s.staleMappingLetters(ctx, f); err != nil || filter.IDs == nil {
		return rep, err
	}
	rr, err := s.Replay(ctx, filter)
	rep.Replayed += rr.Replayed
	return rep, err
}

// staleMappingLetters selects the flow's mapping dead letters that an
// older mapping version failed; a nil IDs means none.
func (s *Syncer) staleMappingLetters(ctx context.Context, f *flowState) (store.DeadLetterFilter, error) {
	dls, err := s.store.DeadLetters(ctx, store.DeadLetterFilter{Flow: f.name, Class: store.ClassMapping})
	if err != nil {
		return store.DeadLetterFilter{}, err
	}
	current := f.run.mappingVersion()
	var ids []int64
	for _, dl := range dls {
		if dl.MappingVersion != current {
			ids = append(ids, dl.ID)
		}
	}
	return store.DeadLetterFilter{IDs: ids}, nil
}

func (r *run) sweep(ctx context.Context) error {
	st := r.s.store
	f := r.f
	cur, err := st.Cursor(ctx, f.name)
	if err != nil {
		return err
	}
	since := cur
	if !since.Since.IsZero() {
		since.Since = since.Since.Add(-f.cfg.overlap)
		r.missed = f.cfg.realtime
	}
	maxSeen := cur.Since
	err = f.run.read(ctx, since, r.s.cfg.chunk, func(items []*Item) error {
		ok := items[:0:0]
		for _, it := range items {
			r.rep.Read++
			if it.Meta.UpdatedAt.After(maxSeen) {
				maxSeen = it.Meta.UpdatedAt
			}
			if it.mapErr != nil {
				if err := r.deadLetter(ctx, it, it.mapErr); err != nil {
					return err
				}
				continue
			}
			ok = append(ok, it)
		}
		if len(ok) == len(items) {
			ok = items // the common case: no copy
		}
		return r.process(ctx, ok)
	})
	if err != nil {
		return fmt.Errorf("syncer: flow %s: %w", f.name, err)
	}
	if r.plan != nil {
		return nil
	}
	if r.missed {
		f.mu.Lock()
		clear(f.announced)
		f.hinted = false
		f.mu.Unlock()
	}
	if maxSeen.After(cur.Since) {
		return st.SetCursor(ctx, f.name, kontor.Cursor{Since: maxSeen})
	}
	return nil
}

func (r *run) finish() Report {
	r.rep.Finished = r.s.cfg.now()
	r.rep.Waits = int(r.waits.Load())
	r.rep.Waited = time.Duration(r.waitNanos.Load())
	r.f.finished(r)
	if r.plan == nil {
		r.s.emit(r.rep)
	}
	return r.rep
}

// process compares a chunk of items with what was written before and
// writes the changed ones in batches. It does not keep items.
func (r *run) process(ctx context.Context, items []*Item) error {
	if len(items) == 0 {
		return nil
	}
	f, st := r.f, r.s.store
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	states, err := st.States(ctx, f.name, keys)
	if err != nil {
		return err
	}
	var echoes []store.ItemState
	if f.echo {
		if echoes, err = st.States(ctx, echoFlow(f.entity, f.sourceSide()), keys); err != nil {
			return err
		}
	}
	var changed []*Item
	var bumped []store.ItemState
	for i, it := range items {
		s := states[i]
		switch {
		case echoes != nil && echoes[i].Found && echoes[i].Fingerprint == it.sourceFingerprint():
			r.rep.Echoes++
			r.resolved(ctx, it)
			continue
		case s.Found && s.Fingerprint == it.Fingerprint:
			r.rep.Unchanged++
			if it.Meta.Newer(s.Meta()) {
				// Remember the newer version, so that a late event older
				// than it cannot overwrite the content.
				bumped = append(bumped, store.ItemState{Key: it.Key, Fingerprint: it.Fingerprint,
					Version: it.Meta.Version, UpdatedAt: it.Meta.UpdatedAt})
			}
			r.resolved(ctx, it)
			continue
		case s.Found && s.Meta().Newer(it.Meta):
			r.rep.Stale++
			r.resolved(ctx, it)
			continue
		}
		if s.Found {
			it.Before = s.Fingerprint
		}
		it.Op = storeOp(it, s.Found)
		changed = append(changed, it)
	}
	if r.plan != nil {
		r.plan.add(r, changed)
		return nil
	}
	if len(bumped) > 0 {
		if err := st.PutStates(ctx, f.name, bumped); err != nil {
			return err
		}
	}
	if changed, err = r.checkProductLinks(ctx, changed); err != nil {
		return err
	}
	if iq := r.s.itemQueue(r.f); iq != nil && !r.inJob {
		return r.enqueueWrites(ctx, iq, changed)
	}
	if changed, err = r.assignIdempotencyKeys(ctx, changed); err != nil {
		return err
	}
	bctx := context.WithValue(ctx, runKey{}, r)
	if f.cfg.owns != nil {
		bctx = kontor.WithFields(bctx, f.cfg.owns)
	}
	for start := 0; start < len(changed); start += f.batchSize {
		end := min(start+f.batchSize, len(changed))
		batch := &Batch{Flow: f.name, Entity: f.entity, Target: f.target, Items: changed[start:end]}
		results, err := f.handler(bctx, batch)
		if err != nil {
			return fmt.Errorf("syncer: flow %s: %w", f.name, err)
		}
		if err := r.record(ctx, batch.Items, results); err != nil {
			return err
		}
		r.f.progress(r)
	}
	return nil
}

// checkProductLinks dead-letters, with class mapping, the items that name
// a SKU no product link knows.
func (r *run) checkProductLinks(ctx context.Context, items []*Item) ([]*Item, error) {
	if r.f.cfg.productRefs == nil || !*r.f.cfg.productRefs || len(items) == 0 {
		return items, nil
	}
	var skus []string
	seen := map[string]bool{}
	for _, it := range items {
		for _, sku := range r.f.run.skus(it) {
			if !seen[sku] {
				seen[sku] = true
				skus = append(skus, sku)
			}
		}
	}
	links, err := r.s.store.Links(ctx, kontor.EntityProduct, skus)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(links))
	for i, l := range links {
		known[skus[i]] = l.Found
	}
	ok := items[:0:0]
	for _, it := range items {
		var missing error
		for i, sku := range r.f.run.skus(it) {
			if !known[sku] {
				missing = &mapping.MissingError{Entity: r.f.entity, Key: it.Key, Field: fmt.Sprintf("lines[%d].sku", i), Table: "product links", Value: sku}
				break
			}
		}
		if missing != nil {
			if err := r.deadLetter(ctx, it, missing); err != nil {
				return nil, err
			}
			continue
		}
		ok = append(ok, it)
	}
	return ok, nil
}

// assignIdempotencyKeys gives every item of an idempotent flow the key of
// its logical write, stored before the call. An item whose write is
// already done (the process died after the sink answered, before the state
// was recorded) is recorded as written without calling the sink again.
func (r *run) assignIdempotencyKeys(ctx context.Context, items []*Item) ([]*Item, error) {
	if r.f.cfg.idempotent == nil || !*r.f.cfg.idempotent {
		return items, nil
	}
	out := items[:0:0]
	var doneItems []*Item
	var doneResults []kontor.Result
	for _, it := range items {
		rec, err := r.s.store.BeginWrite(ctx, r.f.name, it.Key, it.Fingerprint, r.s.cfg.newKey())
		if err != nil {
			return nil, err
		}
		it.IdempotencyKey = rec.IdempotencyKey
		if rec.State == store.WriteDone {
			doneItems = append(doneItems, it)
			doneResults = append(doneResults, kontor.Result{Key: it.Key, Outcome: kontor.Unchanged, Target: rec.Target})
			continue
		}
		out = append(out, it)
	}
	if len(doneItems) > 0 {
		if err := r.record(ctx, doneItems, doneResults); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// record keeps what a batch achieved: states, links, finished write
// records, echo markers; failures were dead-lettered by the middleware.
func (r *run) record(ctx context.Context, items []*Item, results []kontor.Result) error {
	f, st := r.f, r.s.store
	if err := r.lettersOf(ctx, items, results); err != nil {
		return err
	}
	// With a flow writing back the other way, remember both what this flow
	// wrote (its echo, when the target reports it) and what it read: a
	// later change at the source back to a value this engine once wrote
	// there is a real change, not an echo.
	var states, echoes, seen []store.ItemState
	var links []store.Link
	for i, res := range results {
		it := items[i]
		if res.Err != nil || res.Outcome == kontor.Failed {
			if f.cfg.idempotent != nil && *f.cfg.idempotent && !kontor.IsRetryable(res.Err) && kontor.KindOf(res.Err) != kontor.KindUnknown {
				if err := st.FinishWrite(ctx, f.name, it.Key, it.Fingerprint, store.WriteFailed, res.Target); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			continue
		}
		switch res.Outcome {
		case kontor.Created:
			r.rep.Created++
		case kontor.Unchanged:
			r.rep.Unchanged++
		default:
			r.rep.Updated++
		}
		if r.missed && !r.announced(it.Key) {
			r.rep.Missed++
		}
		states = append(states, store.ItemState{Key: it.Key, Fingerprint: it.Fingerprint, Version: it.Meta.Version, UpdatedAt: it.Meta.UpdatedAt})
		if f.echo {
			echoes = append(echoes, store.ItemState{Key: it.Key, Fingerprint: it.Fingerprint})
			seen = append(seen, store.ItemState{Key: it.Key, Fingerprint: it.sourceFP})
		}
		link := store.Link{Entity: f.entity, Key: it.Key, ERPKey: it.Meta.ERPKey, ShopKey: it.Meta.ShopKey}
		if f.target == kontor.SideShop && res.Target.ShopKey != "" {
			link.ShopKey = res.Target.ShopKey
		}
		if f.target == kontor.SideERP && res.Target.ERPKey != "" {
			link.ERPKey = res.Target.ERPKey
		}
		if link.ERPKey != "" || link.ShopKey != "" {
			links = append(links, link)
			if res.Outcome == kontor.Created {
				r.newLink = true
			}
		}
		// Order lines name variants: link each variant's SKU too, to its
		// own keys where it has them.
		if p, ok := it.Value.(*kontor.Product); ok {
			for _, v := range p.Variants {
				vl := store.Link{Entity: f.entity, Key: v.SKU, ERPKey: cmp.Or(v.ERPKey, link.ERPKey), ShopKey: cmp.Or(v.ShopKey, link.ShopKey)}
				if vl.ERPKey != "" || vl.ShopKey != "" {
					links = append(links, vl)
				}
			}
		}
		if it.IdempotencyKey != "" {
			if err := st.FinishWrite(ctx, f.name, it.Key, it.Fingerprint, store.WriteDone, res.Target); err != nil {
				return err
			}
		}
		r.resolved(ctx, it)
	}
	if len(links) > 0 {
		if err := st.PutLinks(ctx, links); err != nil {
			return err
		}
	}
	if len(echoes) > 0 {
		if err := st.PutStates(ctx, echoFlow(f.entity, f.target), echoes); err != nil {
			return err
		}
		if err := st.PutStates(ctx, echoFlow(f.entity, f.sourceSide()), seen); err != nil {
			return err
		}
	}
	if len(states) > 0 {
		return st.PutStates(ctx, f.name, states)
	}
	return nil
}

// lettersOf looks up the dead letters of the batch's written items, in
// one store call, for resolved.
func (r *run) lettersOf(ctx context.Context, items []*Item, results []kontor.Result) error {
	clear(r.letters)
	var keys []string
	for i, res := range results {
		if res.Err == nil && res.Outcome != kontor.Failed {
			if _, replayed := r.replay[items[i].Key]; !replayed {
				keys = append(keys, items[i].Key)
			}
		}
	}
	if len(keys) == 0 {
		return nil
	}
	dls, err := r.s.store.DeadLetters(ctx, store.DeadLetterFilter{Flow: r.f.name, Keys: keys})
	if err != nil {
		return err
	}
	for _, dl := range dls {
		// A validation dead letter stays for a person to look at (a
		// malformed delivery names the item it was about).
		if dl.Class == store.ClassValidation {
			continue
		}
		if r.letters == nil {
			r.letters = map[string]int64{}
		}
		r.letters[dl.Key] = dl.ID
	}
	return nil
}

// resolved deletes the dead letter a replayed item came from: the item is
// written, or found already up to date. An item a sweep or an event wrote
// after it failed (its source changed, its mapping appeared) leaves the
// dead letters too: replaying the old payload later would be wrong.
func (r *run) resolved(ctx context.Context, it *Item) {
	if id, ok := r.replay[it.Key]; ok {
		if err := r.s.store.DeleteDeadLetter(ctx, id); err == nil {
			r.rep.Replayed++
			delete(r.replay, it.Key)
			delete(r.letters, it.Key)
		}
		return
	}
	if id, ok := r.letters[it.Key]; ok {
		if err := r.s.store.DeleteDeadLetter(ctx, id); err == nil {
			delete(r.letters, it.Key)
			r.rep.Replayed++
			r.s.cfg.logger.Info("syncer: a dead letter's item was written since", "flow", r.f.name, "key", it.Key, "dead_letter", id)
		}
	}
}

// deadLetter stores a failed item with its source payload and class.
func (r *run) deadLetter(ctx context.Context, it *Item, cause error) error {
	if r.plan != nil {
		r.plan.Failures = append(r.plan.Failures, Failure{Key: it.Key, Class: classify(r.f.entity, cause), Error: cause.Error()})
		return nil
	}
	payload, err := json.Marshal(it.source)
	if err != nil {
		payload = nil
	}
	now := r.s.cfg.now()
	_, err = r.s.store.AddDeadLetter(ctx, store.DeadLetter{
		Flow: r.f.name, Entity: r.f.entity, Key: it.Key, Class: classify(r.f.entity, cause), Kind: kontor.KindOf(cause),
		Error: cause.Error(), Payload: payload, Attempts: 1, MappingVersion: it.MappingVersion,
		FirstFailed: now, LastFailed: now,
	})
	if err != nil {
		return err
	}
	r.rep.DeadLettered++
	r.s.cfg.logger.Warn("syncer: dead letter", "flow", r.f.name, "key", it.Key, "class", string(classify(r.f.entity, cause)), "kind", kontor.KindOf(cause).String())
	return nil
}

// dependents are the entities that refer to another one in the target (a
// price or stock level to its product, a shipment or status to its order):
// the target not finding what they refer to means it is not there yet.
var dependents = []kontor.Entity{kontor.EntityPrice, kontor.EntityStock, kontor.EntityShipment, kontor.EntityStatus}

// classify says which class of dead letter an error makes for an item of
// entity e. A dependent item the target reports not found (stock for a
// product the shop does not have yet) waits, as a mapping dead letter,
// for the link that the other flow's write creates.
func classify(e kontor.Entity, err error) store.Class {
	var pe *panicError
	switch {
	case errors.Is(err, mapping.ErrMissing):
		return store.ClassMapping
	case errors.As(err, &pe):
		return store.ClassPermanent
	}
	switch kontor.KindOf(err) {
	case kontor.KindValidation:
		return store.ClassValidation
	case kontor.KindNotFound:
		if slices.Contains(dependents, e) {
			return store.ClassMapping
		}
	case kontor.KindRetryable, kontor.KindRateLimited, kontor.KindUnknown:
		return store.ClassTransient
	}
	return store.ClassPermanent
}

// announced reports whether an event named key since the last sweep.
func (r *run) announced(key string) bool {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	_, ok := r.f.announced[key]
	return ok || r.f.hinted
}

// echoFlow names the pseudo-flow under which the engine remembers what it
// wrote of an entity to a side, to recognise it when it comes back.
func echoFlow(e kontor.Entity, side kontor.Side) string {
	return "echo/" + string(side) + "/" + string(e)
}

func (f *Flow) sourceSide() kontor.Side {
	if f.target == kontor.SideShop {
		return kontor.SideERP
	}
	return kontor.SideShop
}
