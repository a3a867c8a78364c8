package kontor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind classifies an error by what a caller should do about it. The engine
// branches on the kind: retry later, slow down, resolve a conflict by
// re-reading, or give the item to the dead letters.
type Kind uint8

// The error kinds. KindUnknown is what an unclassified error has; the engine
// treats it as retryable a bounded number of times.
const (
	KindUnknown      Kind = iota
	KindRetryable         // a timeout, a 5xx, a dropped connection: try again later
	KindRateLimited       // the remote system said slow down (429, a throttle signal)
	KindPermanent         // the request is wrong and will stay wrong (most 4xx)
	KindValidation        // the item itself is invalid (ours or the remote's rules)
	KindConflict          // a version or ETag mismatch: re-read, then decide
	KindNotFound          // the remote object does not exist (any more)
	KindUnauthorized      // credentials missing, wrong, expired or without rights
)

var kindNames = [...]string{
	KindUnknown:      "unknown",
	KindRetryable:    "retryable",
	KindRateLimited:  "rate limited",
	KindPermanent:    "permanent",
	KindValidation:   "validation",
	KindConflict:     "conflict",
	KindNotFound:     "not found",
	KindUnauthorized: "unauthorized",
}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Retryable reports whether an error of this kind may succeed when sent again
// unchanged.
func (k Kind) Retryable() bool { return k == KindRetryable || k == KindRateLimited }

// Sentinel errors, one per kind, for errors.Is. Every typed error of this
// package and of the connectors matches the sentinel of its kind; a rate
// limited error also matches ErrRetryable and a validation error also matches
// ErrPermanent, so a caller that only asks "retry or not" needs two checks.
var (
	ErrRetryable    = &kindError{KindRetryable}
	ErrRateLimited  = &kindError{KindRateLimited}
	ErrPermanent    = &kindError{KindPermanent}
	ErrValidation   = &kindError{KindValidation}
	ErrConflict     = &kindError{KindConflict}
	ErrNotFound     = &kindError{KindNotFound}
	ErrUnauthorized = &kindError{KindUnauthorized}
)

// kindError is the type of the sentinels.
type kindError struct{ kind Kind }

func (e *kindError) Error() string { return "kontor: " + e.kind.String() }

// sentinelMatches reports whether target is a sentinel that an error of kind k
// matches.
func sentinelMatches(k Kind, target error) bool {
	s, ok := target.(*kindError)
	if !ok {
		return false
	}
	switch {
	case s.kind == k:
		return true
	case k == KindRateLimited && s.kind == KindRetryable:
		return true
	case k == KindValidation && s.kind == KindPermanent:
		return true
	}
	return false
}

// Classified is implemented by errors that know their kind. KindOf finds it in
// a chain.
type Classified interface {
	error
	ErrorKind() Kind
}

// KindOf returns the kind of the first classified error in err's chain, or
// KindUnknown. A context cancellation is KindUnknown and a deadline
// exceeded is KindRetryable.
func KindOf(err error) Kind {
	if err == nil {
		return KindUnknown
	}
	var c Classified
	if errors.As(err, &c) {
		return c.ErrorKind()
	}
	var s *kindError
	if errors.As(err, &s) {
		return s.kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindRetryable
	}
	return KindUnknown
}

// IsRetryable reports whether err is worth retrying unchanged: its kind is
// retryable or rate limited.
func IsRetryable(err error) bool { return KindOf(err).Retryable() }

// RetryAfter returns the delay the remote system asked for, if any error in
// err's chain carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var r interface{ RetryAfterDelay() time.Duration }
	if errors.As(err, &r) {
		if d := r.RetryAfterDelay(); d > 0 {
			return d, true
		}
	}
	return 0, false
}

// Error is a classified error that wraps a cause. Use it for failures that do
// not come from an HTTP response (a GraphQL userError, a SOAP fault, a parse
// failure), so the engine can branch on the kind.
type Error struct {
	Kind       Kind          // the error's kind
	Op         string        // what was attempted, e.g. "shopify productSet"
	Err        error         // the cause
	RetryAfter time.Duration // the delay the remote asked for, if any
}

// NewError returns an error of kind k for operation op, wrapping err.
func NewError(k Kind, op string, err error) *Error { return &Error{Kind: k, Op: op, Err: err} }

// Error returns "op: kind: cause".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	b.WriteString(e.Kind.String())
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// ErrorKind returns the error's kind.
func (e *Error) ErrorKind() Kind { return e.Kind }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's kind.
func (e *Error) Is(target error) bool { return sentinelMatches(e.Kind, target) }

// RetryAfterDelay returns the delay the remote asked for.
func (e *Error) RetryAfterDelay() time.Duration { return e.RetryAfter }

// MaxBodyExcerpt is how many bytes of a response body an APIError keeps.
const MaxBodyExcerpt = 1024

// APIError is a failed call to a remote system's API. It carries what an
// operator needs to find the call in the remote system's logs. Body is a
// bounded excerpt with secrets and personal data redacted by whoever built the
// error (transport.CheckResponse does); Error() never includes it.
type APIError struct {
	System     string        // "shopify", "businesscentral", ...
	Op         string        // the operation, e.g. "productSet" or "POST /salesOrders"
	Kind       Kind          // the error's kind, from status and remote code
	StatusCode int           // the HTTP status, 0 when the failure had none
	Code       string        // the remote system's own error code, e.g. "THROTTLED"
	Message    string        // the remote system's message
	RequestID  string        // the remote request id, for support tickets
	RetryAfter time.Duration // the delay the remote asked for, if any
	Body       string        // a bounded, redacted excerpt of the response body
}

// Error returns "system op: status code: message (request id …)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.System)
	if e.Op != "" {
		b.WriteString(" ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	b.WriteString(e.Kind.String())
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.StatusCode)
	}
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	return b.String()
}

// ErrorKind returns the error's kind.
func (e *APIError) ErrorKind() Kind { return e.Kind }

// Is matches the sentinel of the error's kind.
func (e *APIError) Is(target error) bool { return sentinelMatches(e.Kind, target) }

// RetryAfterDelay returns the delay the remote asked for.
func (e *APIError) RetryAfterDelay() time.Duration { return e.RetryAfter }

// KindForStatus classifies an HTTP status code: 429 is rate limited; 408,
// 425 and 5xx (but 501 and 505) are retryable; 401 and 403 unauthorized;
// 404 and 410 not found; 409 and 412 conflict; 400 and 422 validation; other
// 4xx permanent. A status below 400 is KindUnknown.
func KindForStatus(status int) Kind {
	switch {
	case status == 429:
		return KindRateLimited
	case status == 408 || status == 425:
		return KindRetryable
	case status == 401 || status == 403:
		return KindUnauthorized
	case status == 404 || status == 410:
		return KindNotFound
	case status == 409 || status == 412:
		return KindConflict
	case status == 400 || status == 422:
		return KindValidation
	case status == 501 || status == 505:
		return KindPermanent
	case status >= 500:
		return KindRetryable
	case status >= 400:
		return KindPermanent
	}
	return KindUnknown
}
