package memconn

import (
	"context"
	"fmt"

	"github.com/kontor-dev/kontor"
)

// Write runs one write call of a batch the way a remote system's batch
// endpoint does, and returns one result per item, aligned with items:
//
//   - the call is one request: it counts, waits the configured delay, and
//     fails whole when the context has ended, when FailNext is armed, or
//     when the batch exceeds the entity's MaxBatch (KindPermanent);
//   - under the system's lock each item is then, in order: answered from
//     the idempotency record when the engine's key for it
//     (kontor.IdempotencyKey) was seen before; failed with the error armed
//     by FailKey for its key; failed with validate's error; else given to
//     apply, whose result is kept under the item's idempotency key unless
//     it failed;
//   - when FailAfter is armed, the call stops after that many items, which
//     stay stored, and fails whole.
//
// Only successful results are kept for an idempotency key, so a retry of a
// failed item is tried again. apply runs with the lock held.
func Write[T any](ctx context.Context, s *System, op string, e kontor.Entity, items []T,
	key func(*T) string, validate func(*T) error, apply func(*T) kontor.Result) ([]kontor.Result, error) {
	if len(items) == 0 {
		return []kontor.Result{}, nil
	}
	if err := s.request(ctx, op, false); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit := max(s.maxBatch[e], 1); len(items) > limit {
		return nil, kontor.NewError(kontor.KindPermanent, s.name+" "+op,
			fmt.Errorf("a batch of %d items exceeds the maximum of %d", len(items), limit))
	}
	stopAfter, stopErr := s.failAfter, s.failAfterErr
	s.failAfter, s.failAfterErr = 0, nil
	if stopErr != nil && stopAfter == 0 {
		return nil, stopErr
	}
	results := make([]kontor.Result, len(items))
	for i := range items {
		item := &items[i]
		k := key(item)
		ik := kontor.IdempotencyKey(ctx, i)
		if r, seen := s.idem[op+"\x00"+ik]; ik != "" && seen {
			results[i] = r
		} else if err := s.failKeys[k]; err != nil {
			results[i] = kontor.Result{Key: k, Outcome: kontor.Failed, Err: err}
		} else if err := validate(item); err != nil {
			results[i] = kontor.Result{Key: k, Outcome: kontor.Failed, Err: err}
		} else {
			r := apply(item)
			r.Key = k
			if ik != "" && r.Outcome != kontor.Failed {
				s.idem[op+"\x00"+ik] = r
			}
			results[i] = r
		}
		if stopErr != nil && i+1 == stopAfter {
			return nil, stopErr
		}
	}
	if stopErr != nil {
		return nil, stopErr // the batch was shorter than n: all of it took effect
	}
	return results, nil
}
