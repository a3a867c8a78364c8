package syncer

import (
	"encoding/json"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// projectedFingerprint hashes only the fields of v a flow compares: those
// in owns (all when owns is empty) less those in ignore, by top-level JSON
// name. Meta is never content. It costs a JSON encoding, so only flows
// with Owns or Ignore pay it.
func projectedFingerprint(v any, owns, ignore []string) uint64 {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return xxhash.Sum64(b)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		switch {
		case isMetaPath(k), slices.Contains(ignore, k):
		case len(owns) > 0 && !slices.Contains(owns, k):
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	d := xxhash.New()
	for _, k := range keys {
		_, _ = d.WriteString(k)
		_, _ = d.Write([]byte{0})
		_, _ = d.Write(fields[k])
		_, _ = d.Write([]byte{0})
	}
	return d.Sum64()
}
