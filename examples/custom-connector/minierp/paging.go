package minierp

import (
	"context"
	"errors"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/kontor-dev/kontor"
)

// page is one answer of a minierp list.
type page[W any] struct {
	Items      []W    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// list streams what changed at or after since.Since on the list at path,
// a page per request, each wire item converted by from. It asks for the
// next page only when the consumer has taken the last item of this one,
// and stops as soon as the consumer stops. An error ends the sequence:
// a failed request, a cancelled context, or an item that does not
// convert, since skipping it would lose it silently.
//
// since.Token is not used: minierp's cursors are positions within one
// read, and since.Since already says where to resume.
func list[W, T any](ctx context.Context, c *Connector, path string, since kontor.Cursor, from func(W) (T, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		q := url.Values{"limit": {strconv.Itoa(c.pageSize)}}
		if !since.Since.IsZero() {
			q.Set("changed_since", since.Since.UTC().Format(time.RFC3339Nano))
		}
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, err)
				return
			}
			var p page[W]
			if err := c.get(ctx, path, q, &p); err != nil {
				yield(zero, err)
				return
			}
			for _, w := range p.Items {
				if err := ctx.Err(); err != nil {
					yield(zero, err)
					return
				}
				v, err := from(w)
				if err != nil {
					yield(zero, err)
					return
				}
				if !yield(v, nil) {
					return
				}
			}
			if p.NextCursor == "" {
				return
			}
			if p.NextCursor == q.Get("cursor") { // a server bug must not loop forever
				yield(zero, kontor.NewError(kontor.KindPermanent, System+" GET "+path, errRepeatedCursor))
				return
			}
			q.Set("cursor", p.NextCursor)
		}
	}
}

var errRepeatedCursor = errors.New("the server gave the same cursor twice")
