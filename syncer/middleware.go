package syncer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v4"
	"golang.org/x/time/rate"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// RetryPolicy bounds how the engine retries a failed write: a retryable
// failure of a whole batch, or of single items, is tried again up to
// Attempts times in all, waiting with exponential backoff from Initial up
// to Max, or longer when the remote asked for it with Retry-After.
type RetryPolicy struct {
	Attempts int
	Initial  time.Duration
	Max      time.Duration
}

// DefaultRetryPolicy tries a write three times, waiting 1 s then 2 s
// (randomised), at most 30 s.
var DefaultRetryPolicy = RetryPolicy{Attempts: 3, Initial: time.Second, Max: 30 * time.Second}

// chain builds a flow's handler: the built-in middleware around the users'
// around the sink.
func (s *Syncer) chain(f *flowState) Handler {
	h := s.sink(f)
	h = s.audit(f)(h)
	h = s.validate(f)(h)
	user := append(append([]Middleware(nil), s.cfg.middleware...), f.cfg.middleware...)
	for i := len(user) - 1; i >= 0; i-- {
		h = user[i](h)
	}
	h = s.retry(f)(h)
	h = recoverPanics(f)(h)
	h = isolate(h)
	h = s.deadLetters(f)(h)
	return s.observe(f)(h)
}

// sink calls the connector.
func (s *Syncer) sink(f *flowState) Handler {
	return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
		if r := runFrom(ctx); r != nil {
			r.rep.Requests++
		}
		for _, it := range b.Items {
			it.Attempts++
		}
		return f.run.write(ctx, b.Items)
	}
}

// observe logs each batch with its outcome counts.
func (s *Syncer) observe(f *flowState) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			start := s.cfg.now()
			res, err := next(ctx, b)
			failed := 0
			for _, r := range res {
				if r.Err != nil || r.Outcome == kontor.Failed {
					failed++
				}
			}
			lvl := slog.LevelDebug
			if err != nil || failed > 0 {
				lvl = slog.LevelWarn
			}
			s.cfg.logger.Log(ctx, lvl, "syncer: batch", "flow", f.name, "items", len(b.Items), "failed", failed,
				"duration", s.cfg.now().Sub(start), "error", errText(err))
			return res, err
		}
	}
}

// deadLetters stores every item that finally failed and lets the batch go
// on. A failure of the whole batch that isolation could not pin on an item
// (credentials, a cancelled context) is returned: it fails the run, and the
// items are read again next time.
func (s *Syncer) deadLetters(f *flowState) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			res, err := next(ctx, b)
			if err != nil {
				return nil, err
			}
			r := runFrom(ctx)
			for i, x := range res {
				if x.Err == nil && x.Outcome != kontor.Failed {
					continue
				}
				cause := x.Err
				if cause == nil {
					cause = errors.New("the sink reported a failure without a reason")
					res[i].Err = cause
				}
				if r != nil {
					if err := r.deadLetter(ctx, b.Items[i], cause); err != nil {
						return nil, err
					}
				}
			}
			return res, nil
		}
	}
}

// isolate splits a batch that failed as a whole into halves until the
// failure is pinned on single items, so one poison item does not hold back
// the rest. Failures no item can cause are returned as they are.
func isolate(next Handler) Handler {
	var h Handler
	h = func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
		res, err := next(ctx, b)
		if err == nil || !isolatable(ctx, err) {
			return res, err
		}
		if len(b.Items) == 1 {
			return []kontor.Result{{Key: b.Items[0].Key, Outcome: kontor.Failed, Err: err}}, nil
		}
		mid := len(b.Items) / 2
		left, err := h(ctx, b.sub(b.Items[:mid]))
		if err != nil {
			return nil, err
		}
		right, err := h(ctx, b.sub(b.Items[mid:]))
		if err != nil {
			return nil, err
		}
		return append(left, right...), nil
	}
	return h
}

// isolatable reports whether a whole-batch failure may be caused by an
// item of the batch.
func isolatable(ctx context.Context, err error) bool {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch kontor.KindOf(err) {
	case kontor.KindUnauthorized, kontor.KindRetryable, kontor.KindRateLimited:
		return false
	}
	return true
}

// panicError is a panic in a handler, turned into a failure.
type panicError struct{ value any }

func (e *panicError) Error() string          { return fmt.Sprintf("panic in a handler: %v", e.value) }
func (e *panicError) ErrorKind() kontor.Kind { return kontor.KindPermanent }
func (e *panicError) Is(target error) bool   { return target == kontor.ErrPermanent }
func (e *panicError) Unwrap() error          { err, _ := e.value.(error); return err }
func newPanicError(v any) error              { return &panicError{value: v} }
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// recoverPanics turns a panic below it, in user middleware or in a
// connector, into a failure of the batch, which isolation then pins on the
// item that causes it.
func recoverPanics(f *flowState) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) (res []kontor.Result, err error) {
			defer func() {
				if p := recover(); p != nil {
					res, err = nil, newPanicError(p)
				}
			}()
			return next(ctx, b)
		}
	}
}

// retry retries a retryable failure of the whole batch, or of single
// items, with backoff.
func (s *Syncer) retry(f *flowState) Middleware {
	p := s.cfg.retry
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			bo := backoff.NewExponentialBackOff(
				backoff.WithInitialInterval(max(p.Initial, time.Millisecond)),
				backoff.WithMaxInterval(max(p.Max, p.Initial, time.Millisecond)),
				backoff.WithMaxElapsedTime(0), // bounded by Attempts
			)
			results := make([]kontor.Result, len(b.Items))
			pending := make([]int, len(b.Items)) // indexes into b.Items still to write
			for i := range pending {
				pending[i] = i
			}
			for attempt := 1; ; attempt++ {
				items := make([]*Item, len(pending))
				for j, i := range pending {
					items[j] = b.Items[i]
				}
				res, err := next(ctx, b.sub(items))
				var wait time.Duration
				if err != nil {
					if attempt >= p.Attempts || !kontor.IsRetryable(err) || ctx.Err() != nil {
						if attempt == 1 {
							return nil, err
						}
						// Earlier attempts wrote some items: keep their
						// results and fail the rest with this error.
						for _, i := range pending {
							results[i] = kontor.Result{Key: b.Items[i].Key, Outcome: kontor.Failed, Err: err}
						}
						return results, nil
					}
					wait, _ = kontor.RetryAfter(err)
				} else {
					var again []int
					for j, i := range pending {
						results[i] = res[j]
						if e := res[j].Err; e != nil && kontor.IsRetryable(e) {
							again = append(again, i)
							if d, ok := kontor.RetryAfter(e); ok {
								wait = max(wait, d)
							}
						}
					}
					if len(again) == 0 || attempt >= p.Attempts {
						return results, nil
					}
					pending = again
				}
				if err := s.cfg.sleep(ctx, max(wait, bo.NextBackOff())); err != nil {
					if err2 := ctx.Err(); err2 != nil {
						return nil, err2
					}
					return nil, err
				}
			}
		}
	}
}

// validate fails the items that do not pass their entity's Validate
// before they cost a request.
func (s *Syncer) validate(f *flowState) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			results := make([]kontor.Result, len(b.Items))
			var ok []*Item
			var idx []int
			for i, it := range b.Items {
				if err := f.run.validate(it); err != nil {
					results[i] = kontor.Result{Key: it.Key, Outcome: kontor.Failed, Err: err}
					continue
				}
				ok = append(ok, it)
				idx = append(idx, i)
			}
			if len(ok) == 0 {
				return results, nil
			}
			res, err := next(ctx, b.sub(ok))
			if err != nil {
				if len(ok) == len(b.Items) {
					return nil, err
				}
				for _, i := range idx {
					results[i] = kontor.Result{Key: b.Items[i].Key, Outcome: kontor.Failed, Err: err}
				}
				return results, nil
			}
			for j, i := range idx {
				results[i] = res[j]
			}
			return results, nil
		}
	}
}

// audit appends a record of every write the sink made, failed ones too.
func (s *Syncer) audit(f *flowState) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			res, err := next(ctx, b)
			now := s.cfg.now()
			recs := make([]store.AuditRecord, len(b.Items))
			for i, it := range b.Items {
				rec := store.AuditRecord{Flow: f.name, Entity: f.entity, Key: it.Key, Target: f.target, Op: it.Op,
					Before: it.Before, After: it.Fingerprint, At: now}
				switch {
				case err != nil:
					rec.Outcome, rec.Error = kontor.Failed, err.Error()
				case res[i].Err != nil || res[i].Outcome == kontor.Failed:
					rec.Outcome, rec.Error = kontor.Failed, errText(res[i].Err)
				default:
					rec.Outcome = res[i].Outcome
				}
				recs[i] = rec
			}
			if aerr := s.store.AppendAudit(ctx, recs); aerr != nil && err == nil {
				// The write happened; losing its audit record is logged,
				// not allowed to undo the write's bookkeeping.
				s.cfg.logger.Error("syncer: audit append failed", "flow", f.name, "error", aerr)
			}
			return res, err
		}
	}
}

// RateLimit returns middleware that spends one token of limiter per item
// written, waiting for it (or failing when ctx ends first), so a flow
// never writes faster than the target allows across its batches. Use the
// transport limiter for per-request limits; this one paces items, for
// targets that count records (a per-minute import quota).
func RateLimit(limiter *rate.Limiter) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			n := len(b.Items)
			start := time.Now()
			if burst := limiter.Burst(); n > burst && burst > 0 {
				// A batch larger than the burst waits for it in parts.
				for n > burst {
					if err := limiter.WaitN(ctx, burst); err != nil {
						return nil, kontor.NewError(kontor.KindRateLimited, "syncer: "+b.Flow, err)
					}
					n -= burst
				}
			}
			if err := limiter.WaitN(ctx, n); err != nil {
				return nil, kontor.NewError(kontor.KindRateLimited, "syncer: "+b.Flow, err)
			}
			if waited := time.Since(start); waited > time.Millisecond {
				kontor.RecordWait(ctx, waited) // a token at hand is no wait
			}
			return next(ctx, b)
		}
	}
}
