package syncer

import (
	"context"
	"errors"
	"fmt"

	"github.com/kontor-dev/kontor/syncer/store"
)

// Replay writes dead letters again: by id, by class, by flow, since a
// time (any store.DeadLetterFilter). Each is mapped afresh with the flow's
// current mapping and links, so a mapping fix or a new link lets it pass.
// A replayed item that is written, or found already up to date, leaves the
// dead letters; one that fails again stays, with its attempts counted.
// Mapping dead letters are replayed by the engine itself when a flow
// creates links.
func (s *Syncer) Replay(ctx context.Context, filter store.DeadLetterFilter) (Report, error) {
	dls, err := s.store.DeadLetters(ctx, filter)
	if err != nil {
		return Report{}, err
	}
	byFlow := map[string][]store.DeadLetter{}
	var order []string
	for _, dl := range dls {
		if byFlow[dl.Flow] == nil {
			order = append(order, dl.Flow)
		}
		byFlow[dl.Flow] = append(byFlow[dl.Flow], dl)
	}
	total := Report{Flow: "replay", Started: s.cfg.now()}
	for _, name := range order {
		f, err := s.flow(name)
		if err != nil {
			continue // a dead letter of a flow this Syncer does not run
		}
		rep, err := s.replayFlow(ctx, f, byFlow[name])
		total.add(rep)
		if err != nil {
			return total, err
		}
	}
	total.Finished = s.cfg.now()
	return total, nil
}

func (s *Syncer) replayFlow(ctx context.Context, f *flowState, dls []store.DeadLetter) (Report, error) {
	f.busy.Lock()
	defer f.busy.Unlock()
	r, ctx := s.newRun(ctx, f, kindReplay)
	r.replay = map[string]int64{}
	var items []*Item
	for _, dl := range dls {
		it, err := f.run.decode(dl.Payload)
		if errors.Is(err, errFiltered) {
			// No longer the flow's (its Where changed): nothing to write.
			if derr := r.s.store.DeleteDeadLetter(ctx, dl.ID); derr != nil {
				return r.finish(), derr
			}
			continue
		}
		if it == nil {
			// Still not the entity: it stays, one attempt more.
			bad := &Item{Key: dl.Key, source: rawJSON(dl.Payload), MappingVersion: f.run.mappingVersion()}
			if derr := r.deadLetter(ctx, bad, fmt.Errorf("replay: %w", err)); derr != nil {
				return r.finish(), derr
			}
			continue
		}
		r.rep.Read++
		r.replay[it.Key] = dl.ID
		if err != nil {
			if derr := r.deadLetter(ctx, it, err); derr != nil {
				return r.finish(), derr
			}
			continue
		}
		items = append(items, it)
	}
	err := r.process(ctx, items)
	return r.finish(), err
}
