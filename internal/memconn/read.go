package memconn

import (
	"context"
	"fmt"
	"iter"

	"github.com/kontor-dev/kontor"
)

// Read streams the rows of t changed at or after since.Since in (UpdatedAt,
// key) order, one request per page of the system's page size. Nothing
// happens until the sequence is ranged over. It stops requesting pages as
// soon as the consumer stops, and a context that ends stops it before the
// next item with the context's error. since.Token is not used: the
// position of the last row returned is the resume point within one read.
//
// A row that changes while a read pages moves behind the read's position
// and is yielded again with its new version, as with a remote system that
// pages by modification time; consumers skip the repeat by version.
func Read[T any](ctx context.Context, s *System, op string, t *Table[T], since kontor.Cursor) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		var after *pos
		page := make([]T, 0, s.pageSize)
		for {
			if err := s.request(ctx, op, true); err != nil {
				yield(zero, err)
				return
			}
			s.mu.Lock()
			var last pos
			var more bool
			page, last, more = t.page(page[:0], after, since.Since, s.pageSize)
			s.mu.Unlock()
			after = &last
			for i := range page {
				if err := ctx.Err(); err != nil {
					yield(zero, fmt.Errorf("%s %s: %w", s.name, op, err))
					return
				}
				if !yield(page[i], nil) {
					return
				}
			}
			if !more {
				return
			}
		}
	}
}
