package kontor

import (
	"context"
	"time"
)

type waitKey struct{}

// WithWaitRecorder returns a context that reports every rate-limit wait
// made on its behalf to fn: the transport limiter, a connector's cost
// pacing and the engine's RateLimit middleware call RecordWait. The engine
// sets one per run, so its reports and status page show how long a flow
// waited for a system's API budget. fn may be called from several
// goroutines at once.
func WithWaitRecorder(ctx context.Context, fn func(time.Duration)) context.Context {
	return context.WithValue(ctx, waitKey{}, fn)
}

// RecordWait reports that the caller waited d for a rate limit, to the
// recorder ctx carries, if any. A d of zero or less is no wait.
func RecordWait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	if fn, ok := ctx.Value(waitKey{}).(func(time.Duration)); ok && fn != nil {
		fn(d)
	}
}
