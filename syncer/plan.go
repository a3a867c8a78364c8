package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/kontor-dev/kontor/syncer/store"
)

// Plan is what a flow would change, computed by a dry run: the same read,
// mapping and comparison as a real run, with nothing written and no cursor
// moved.
type Plan struct {
	Flow      string
	Changes   []Change  // create, update or archive, per item
	Failures  []Failure // items that would go to the dead letters
	Unchanged int       // items the sink already holds
	Requests  int       // write calls the changes would take

	pending map[string]any // the new values, by key, until diff
}

// Change is one item a flow would write.
type Change struct {
	Key    string
	Op     store.Op
	Fields []FieldChange // the fields that differ from what the sink holds, when it can be read
}

// FieldChange is one field's old and new value, as JSON.
type FieldChange struct {
	Path string // e.g. "variants[0].gtin"
	Old  string // empty when the field is new or the sink cannot be read
	New  string
}

// Failure is an item a run would dead-letter.
type Failure struct {
	Key   string
	Class store.Class
	Error string
}

// Counts returns the number of creates, updates and archives.
func (p Plan) Counts() (create, update, archive int) {
	for _, c := range p.Changes {
		switch c.Op {
		case store.OpCreate:
			create++
		case store.OpArchive:
			archive++
		default:
			update++
		}
	}
	return
}

// String summarises the plan on one line.
func (p Plan) String() string {
	c, u, a := p.Counts()
	return fmt.Sprintf("%s: %d to create, %d to update, %d to archive, %d unchanged, %d failing, %d requests",
		p.Flow, c, u, a, p.Unchanged, len(p.Failures), p.Requests)
}

// Plan runs the named flow as a dry run and returns what it would change.
// Old field values come from the sink when it can read the entity
// (compared by key), else only new values are shown.
func (s *Syncer) Plan(ctx context.Context, flow string) (Plan, error) {
	f, err := s.flow(flow)
	if err != nil {
		return Plan{}, err
	}
	p := &Plan{Flow: f.name}
	p.pending = map[string]any{}
	rep, err := s.sweep(ctx, f, p)
	p.Unchanged = rep.Unchanged + rep.Stale + rep.Echoes
	if err != nil {
		return *p, err
	}
	p.Requests = (len(p.Changes) + f.batchSize - 1) / f.batchSize
	if err := p.diff(ctx, f); err != nil {
		return *p, err
	}
	return *p, nil
}

// add records the changed items of a chunk.
func (p *Plan) add(r *run, items []*Item) {
	for _, it := range items {
		p.Changes = append(p.Changes, Change{Key: it.Key, Op: it.Op})
		p.pending[it.Key] = r.f.run.detach(it).Value
	}
}

// diff fills in the field changes, reading the sink's current values.
func (p *Plan) diff(ctx context.Context, f *flowState) error {
	current := map[string]any{}
	if cr, ok := f.run.(currentReader); ok && len(p.Changes) > 0 {
		var err error
		if current, err = cr.current(ctx, p.pending); err != nil {
			return err
		}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		newFlat := flatten(p.pending[c.Key])
		oldFlat := map[string]string{}
		if old, ok := current[c.Key]; ok {
			oldFlat = flatten(old)
		}
		paths := make([]string, 0, len(newFlat))
		for k := range newFlat {
			paths = append(paths, k)
		}
		for k := range oldFlat {
			if _, ok := newFlat[k]; !ok {
				paths = append(paths, k)
			}
		}
		sort.Strings(paths)
		for _, path := range paths {
			if isMetaPath(path) {
				continue
			}
			if o, n := oldFlat[path], newFlat[path]; o != n {
				c.Fields = append(c.Fields, FieldChange{Path: path, Old: o, New: n})
			}
		}
	}
	p.pending = nil
	return nil
}

// isMetaPath reports whether a path is the entity's own Meta, which is
// bookkeeping, not content.
func isMetaPath(path string) bool {
	return slices.Contains([]string{"erp_key", "shop_key", "version", "updated_at"}, path)
}

// flatten turns a value's JSON into path → JSON value.
func flatten(v any) map[string]string {
	out := map[string]string{}
	b, err := json.Marshal(v)
	if err != nil {
		return out
	}
	var tree any
	if json.Unmarshal(b, &tree) != nil {
		return out
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, c)
			}
		case []any:
			for i, c := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), c)
			}
		default:
			b, _ := json.Marshal(x)
			out[prefix] = string(b)
		}
	}
	walk("", tree)
	return out
}
