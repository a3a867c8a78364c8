package syncer

import (
	"encoding/json"
	"reflect"
	"slices"

	"github.com/cespare/xxhash/v2"
)

// fingerprinter is an entity with a canonical content hash.
type fingerprinter interface{ Fingerprint() uint64 }

// projectedFingerprint hashes only the fields of v a flow compares: those
// in owns (all when owns is empty) less those in ignore, by top-level JSON
// name. Meta is never content. The other fields are dropped on a copy,
// which is then hashed by the entity's own Fingerprint, so that equal
// content hashes equally however it is spelled (1000.8 and 1000.80, a
// time in two zones). It costs a JSON round trip, so only flows with Owns
// or Ignore pay it.
func projectedFingerprint(v any, owns, ignore []string) uint64 {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return xxhash.Sum64(b)
	}
	for k := range fields {
		switch {
		case isMetaPath(k), slices.Contains(ignore, k):
			delete(fields, k)
		case len(owns) > 0 && !slices.Contains(owns, k):
			delete(fields, k)
		}
	}
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer {
		return xxhash.Sum64(b)
	}
	cp := reflect.New(t.Elem()).Interface()
	fp, ok := cp.(fingerprinter)
	if !ok {
		return xxhash.Sum64(b)
	}
	kept, err := json.Marshal(fields)
	if err == nil {
		err = json.Unmarshal(kept, cp)
	}
	if err != nil {
		return xxhash.Sum64(kept)
	}
	return fp.Fingerprint()
}
