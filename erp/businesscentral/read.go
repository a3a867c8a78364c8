package businesscentral

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"time"

	"github.com/kontor-dev/kontor"
)

// decoded is a record turned into an entity, with its key and change time
// for the delta filter.
type decoded[T any] struct {
	v       T
	key     string
	updated time.Time
}

// readEntities turns a collection into entities. A record that does not
// decode is not yielded: it is remembered, the read goes on, and after the
// last record one error names every such record and its field (a
// *kontor.BatchError of *kontor.ValidationError), so one broken record
// neither stops the others nor passes unnoticed. Records changed before
// since are dropped (the filter's millisecond may be older than the
// cursor).
func readEntities[T any](ctx context.Context, seq iter.Seq2[json.RawMessage, error], since time.Time,
	decode func(raw json.RawMessage) ([]decoded[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		if err := ctx.Err(); err != nil {
			yield(zero, err)
			return
		}
		var bad kontor.BatchError
		n := 0
		for raw, err := range seq {
			if err != nil {
				yield(zero, err)
				return
			}
			n++
			vs, err := decode(raw)
			if err != nil {
				var ve *kontor.ValidationError
				key := ""
				if errors.As(err, &ve) {
					key = ve.Key
				}
				bad.Failed = append(bad.Failed, &kontor.ItemError{Index: n - 1, Key: key, Err: err})
				continue
			}
			for _, v := range vs {
				if !since.IsZero() && v.updated.Before(since) {
					continue
				}
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				if !yield(v.v, nil) {
					return
				}
			}
		}
		if len(bad.Failed) > 0 {
			bad.Total = n
			yield(zero, &bad)
		}
	}
}

// malformed describes a record the API sent that does not decode: the
// entity, its key as far as it decoded, and the field.
func malformed(e kontor.Entity, key string, err error) *kontor.ValidationError {
	field := ""
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field = te.Field
	}
	return &kontor.ValidationError{Entity: e, Key: key, Field: field,
		Reason: "malformed in the Business Central response: " + jsonProblem(err)}
}
