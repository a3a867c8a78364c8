package sqlite

import (
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
)

// The range of times a column holds: int64 nanoseconds since the epoch.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// timeArg returns t as a column value: NULL for the zero time, else its
// Unix nanoseconds. ok is false for a time outside the column's range.
func timeArg(t time.Time) (v any, ok bool) {
	if t.IsZero() {
		return nil, true
	}
	if t.Before(minTime) || t.After(maxTime) {
		return nil, false
	}
	return t.UnixNano(), true
}

// nanos is timeArg for a time known to be set and in range: a stamp.
func nanos(t time.Time) int64 { return t.UnixNano() }

// clampNanos returns a filter's bound as nanoseconds, clamped to the
// column's range, which keeps the filter's meaning.
func clampNanos(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// timeOf turns a column value back into a time, in UTC.
func timeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// badTime is the validation error for a time outside the columns' range.
func badTime(op, field string, t time.Time) error {
	return invalid(op, "%s: %s is outside the storable range %s to %s", field,
		t.UTC().Format(time.RFC3339), minTime.UTC().Format(time.DateOnly), maxTime.UTC().Format(time.DateOnly))
}

// invalid returns a validation error for operation op naming the item and
// field at fault. Keys are never part of it: a customer key may be an
// e-mail address, and error texts reach logs.
func invalid(op, format string, args ...any) error {
	return kontor.NewError(kontor.KindValidation, "sqlite store "+op, fmt.Errorf(format, args...))
}

// notFound wraps store.ErrNotFound with what was looked up.
func notFound(op, what string) error {
	return fmt.Errorf("sqlite store %s: %s: %w", op, what, store.ErrNotFound)
}

// The uint64s of fingerprints and payload hashes are stored as the int64
// of the same bits: SQLite's INTEGER is signed.
func u64Arg(v uint64) int64 { return int64(v) }
func u64Of(v int64) uint64  { return uint64(v) }

// appendJSONString appends s to b as a JSON string. Bytes that JSON allows
// raw go raw, invalid UTF-8 included, so SQLite's JSON functions give back
// the key's exact bytes.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonStrings returns ss as a JSON array of strings, for json_each.
func jsonStrings(ss []string) string {
	n := 2
	for _, s := range ss {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return string(append(b, ']'))
}
