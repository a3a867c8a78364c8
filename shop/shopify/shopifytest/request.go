package shopifytest

import (
	"context"
	"time"
)

// reqCtx is what a resolver knows about the request it serves.
type reqCtx struct {
	srv     *Server
	st      *state
	version string // the API version served
	now     time.Time
	bulk    bool // a bulk operation's query or mutation: no paging limits, no cost
	// idem holds, per mutation field name, the @idempotent keys of its
	// occurrences in document order ("" where the directive is absent).
	// Mutation fields run one after the other, so each resolver takes the
	// next.
	idem map[string][]string
	// events collects the webhooks the request's changes fire; they are
	// queued after the change is committed and the lock released.
	events []event
}

type ctxKey struct{}

func withReq(ctx context.Context, r *reqCtx) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

func rc(ctx context.Context) *reqCtx {
	r, _ := ctx.Value(ctxKey{}).(*reqCtx)
	if r == nil {
		return &reqCtx{}
	}
	return r
}

// idempotencyKey returns the @idempotent key of the next occurrence of the
// mutation field and whether the directive was given.
func (r *reqCtx) idempotencyKey(field string) (string, bool) {
	keys := r.idem[field]
	if len(keys) == 0 {
		return "", false
	}
	k := keys[0]
	r.idem[field] = keys[1:]
	return k, k != "\x00"
}

// fire records a webhook event for topic (a REST topic such as
// "orders/create") with its payload.
func (r *reqCtx) fire(topic string, payload any) {
	r.events = append(r.events, event{topic: topic, payload: payload, at: r.now})
}

// atLeast reports whether the served version is v or newer. "unstable" is
// newer than every release.
func (r *reqCtx) atLeast(v string) bool { return versionAtLeast(r.version, v) }

func versionAtLeast(have, want string) bool {
	if have == "unstable" {
		return true
	}
	return have >= want
}

// gqlError is a top-level GraphQL error a resolver returns; graphql-go puts
// its extensions beside the message and path.
type gqlError struct {
	msg string
	ext map[string]any
}

func (e *gqlError) Error() string { return e.msg }

func (e *gqlError) Extensions() map[string]any { return e.ext }

// userError is one entry of a payload's userErrors, for every userError type
// of the schema (UserError, ProductSetUserError, ...). Code is nil for the
// types without a code field.
type userError struct {
	Field   *[]string
	Message string
	Code    *string
}

func uerr(code, message string, field ...string) *userError {
	e := &userError{Message: message}
	if code != "" {
		e.Code = &code
	}
	if len(field) > 0 {
		f := append([]string(nil), field...)
		e.Field = &f
	}
	return e
}
