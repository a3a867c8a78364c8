package shopifytest

import (
	"encoding/json"
	"math"
	"strings"
	"sync"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/ast"
)

// Query cost, the way Shopify's documentation describes it
// (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits and
// the engineering post "Rate Limiting GraphQL APIs by Calculating Query
// Complexity"):
//
//   - a scalar or enum field costs 0;
//   - an object field costs 1 plus its selection; a list of objects that is
//     not a connection costs the same as one object;
//   - a connection costs 2 plus, for each node, 1 plus the node's selection;
//     the requested cost counts first (or last) nodes, the actual cost the
//     nodes returned;
//   - a mutation field costs 10; inside its payload only connections add to
//     that (a payload with plain objects costs exactly 10, as the real
//     fulfillmentCreate response in the fixtures shows).
//
// The requested cost is charged before execution, the difference to the
// actual cost refunded after it. Introspection fields cost nothing.

const mutationCost = 10

type costCalc struct {
	schema *ast.Schema
	doc    *gqlDoc
	vars   map[string]any
	actual bool
}

// costOf returns the requested cost of op when data is nil, else the actual
// cost of the result data.
func costOf(schema *graphql.Schema, doc *gqlDoc, op *gqlOp, vars map[string]any, data any) int {
	c := &costCalc{schema: schema.AST(), doc: doc, vars: vars, actual: data != nil}
	rootName := "QueryRoot"
	if op.kind == "mutation" {
		rootName = "Mutation"
	}
	total := 0
	for _, f := range c.fields(op.sel) {
		if op.kind == "mutation" {
			if strings.HasPrefix(f.name, "__") {
				continue
			}
			v, present := lookupKey(data, f.key())
			if c.actual && !present {
				continue
			}
			total += mutationCost + c.field(rootName, f, v, present, true)
			continue
		}
		v, present := lookupKey(data, f.key())
		total += c.field(rootName, f, v, present, false)
	}
	return total
}

func lookupKey(data any, key string) (any, bool) {
	m, ok := data.(map[string]any)
	if !ok {
		return nil, false
	}
	v, ok := m[key]
	return v, ok
}

// fields flattens fragments into one list of fields; fields with the same
// response key are merged so that none is counted twice.
func (c *costCalc) fields(sel []*gqlSel) []*gqlSel {
	var out []*gqlSel
	byKey := map[string]*gqlSel{}
	var walk func([]*gqlSel, int)
	walk = func(sel []*gqlSel, depth int) {
		if depth > 32 {
			return
		}
		for _, s := range sel {
			switch s.kind {
			case selField:
				if prev, ok := byKey[s.key()]; ok {
					merged := *prev
					merged.sel = append(append([]*gqlSel(nil), prev.sel...), s.sel...)
					*prev = merged
					continue
				}
				cp := *s
				byKey[s.key()] = &cp
				out = append(out, &cp)
			case selInline:
				walk(s.sel, depth+1)
			case selSpread:
				if f := c.doc.frags[s.name]; f != nil {
					walk(f.sel, depth+1)
				}
			}
		}
	}
	walk(sel, 0)
	return out
}

// fieldDef finds the definition of field name on the named type.
func (c *costCalc) fieldDef(typeName, name string) *ast.FieldDefinition {
	switch t := c.schema.Types[typeName].(type) {
	case *ast.ObjectTypeDefinition:
		return t.Fields.Get(name)
	case *ast.InterfaceTypeDefinition:
		return t.Fields.Get(name)
	}
	return nil
}

// possible returns the object types a selection on typeName may meet: the
// type itself, or an interface's and a union's members.
func (c *costCalc) possible(typeName string) []string {
	switch t := c.schema.Types[typeName].(type) {
	case *ast.InterfaceTypeDefinition:
		var out []string
		for _, p := range t.PossibleTypes {
			out = append(out, p.Name)
		}
		return append(out, typeName)
	case *ast.Union:
		var out []string
		for _, p := range t.UnionMemberTypes {
			out = append(out, p.Name)
		}
		return out
	}
	return []string{typeName}
}

func unwrapType(t ast.Type) (name string, list bool) {
	for {
		switch x := t.(type) {
		case *ast.NonNull:
			t = x.OfType
		case *ast.List:
			list = true
			t = x.OfType
		default:
			return t.(ast.NamedType).TypeName(), list
		}
	}
}

func (c *costCalc) isConnection(typeName string, def *ast.FieldDefinition) bool {
	return strings.HasSuffix(typeName, "Connection") && def.Arguments.Get("first") != nil
}

// field returns the cost of field f on the type parent, given its value v
// (present says whether the key was in the result at all). In a mutation
// payload, plain objects are free.
func (c *costCalc) field(parent string, f *gqlSel, v any, present bool, payload bool) int {
	if strings.HasPrefix(f.name, "__") {
		return 0
	}
	def := c.definition(parent, f.name)
	if def == nil {
		return 0
	}
	typeName, list := unwrapType(def.Type)
	switch c.schema.Types[typeName].(type) {
	case *ast.ScalarTypeDefinition, *ast.EnumTypeDefinition:
		return 0
	}
	if c.isConnection(typeName, def) {
		return c.connection(typeName, f, v, payload)
	}
	own := 1
	if payload {
		own = 0
	}
	if c.actual && (!present || v == nil) {
		if present {
			return own
		}
		return 0
	}
	if list {
		best := 0
		if c.actual {
			items, _ := v.([]any)
			for _, it := range items {
				best = max(best, c.selection(typeName, f.sel, it, payload))
			}
		} else {
			best = c.selection(typeName, f.sel, nil, payload)
		}
		return own + best
	}
	return own + c.selection(typeName, f.sel, v, payload)
}

// definition finds f on parent or, for an abstract parent, on any of its
// possible types.
func (c *costCalc) definition(parent, name string) *ast.FieldDefinition {
	for _, t := range c.possible(parent) {
		if d := c.fieldDef(t, name); d != nil {
			return d
		}
	}
	return nil
}

// selection is the cost of the fields selected on an object of typeName.
func (c *costCalc) selection(typeName string, sel []*gqlSel, v any, payload bool) int {
	total := 0
	for _, f := range c.fields(sel) {
		fv, present := lookupKey(v, f.key())
		total += c.field(typeName, f, fv, present, payload)
	}
	return total
}

func (c *costCalc) connection(typeName string, f *gqlSel, v any, payload bool) int {
	nodeType := strings.TrimSuffix(typeName, "Connection")
	if _, ok := c.schema.Types[nodeType]; !ok {
		if def := c.fieldDef(typeName, "nodes"); def != nil {
			nodeType, _ = unwrapType(def.Type)
		}
	}
	// The node selections: nodes { ... } and edges { node { ... } }.
	var nodeSel []*gqlSel
	var nodesKey, edgesKey, nodeKey string
	for _, sub := range c.fields(f.sel) {
		switch sub.name {
		case "nodes":
			nodesKey = sub.key()
			nodeSel = append(nodeSel, sub.sel...)
		case "edges":
			edgesKey = sub.key()
			for _, e := range c.fields(sub.sel) {
				if e.name == "node" {
					nodeKey = e.key()
					nodeSel = append(nodeSel, e.sel...)
				}
			}
		}
	}
	if !c.actual {
		n := c.pageSize(f)
		return 2 + n*(1+c.selection(nodeType, nodeSel, nil, payload))
	}
	if v == nil {
		return 0
	}
	// Count each returned node once, however it was selected.
	var nodes []any
	if items, ok := lookupKey(v, nodesKey); ok && nodesKey != "" {
		nodes, _ = items.([]any)
	}
	if edges, ok := lookupKey(v, edgesKey); ok && edgesKey != "" {
		es, _ := edges.([]any)
		if len(es) > len(nodes) {
			nodes = nil
			for _, e := range es {
				n, _ := lookupKey(e, nodeKey)
				nodes = append(nodes, n)
			}
		}
	}
	total := 2
	for _, n := range nodes {
		total += 1 + c.selection(nodeType, nodeSel, n, payload)
	}
	return total
}

// pageSize is the first or last argument of a connection field.
func (c *costCalc) pageSize(f *gqlSel) int {
	for _, name := range []string{"first", "last"} {
		switch n := resolveValue(f.args[name], c.vars).(type) {
		case int64:
			return int(n)
		case int32:
			return int(n)
		case int:
			return n
		case float64:
			return int(n)
		case json.Number:
			i, _ := n.Int64()
			return int(i)
		}
	}
	return 0
}

// ---------------------------------------------------------------- the leaky bucket

// bucket is Shopify's cost bucket: it holds up to size points and refills
// at rate points a second; a request takes its requested cost up front and
// gets back what it did not use.
type bucket struct {
	mu    sync.Mutex
	size  float64
	rate  float64
	avail float64
	last  time.Time
	now   func() time.Time
}

func newBucket(size, rate float64, now func() time.Time) *bucket {
	return &bucket{size: size, rate: rate, avail: size, last: now(), now: now}
}

func (b *bucket) refill() {
	t := b.now()
	if el := t.Sub(b.last).Seconds(); el > 0 {
		b.avail = math.Min(b.size, b.avail+el*b.rate)
	}
	b.last = t
}

func (b *bucket) take(points float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	if points > b.avail {
		return false
	}
	b.avail -= points
	return true
}

func (b *bucket) refund(points float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.avail = math.Min(b.size, b.avail+points)
}

func (b *bucket) status() (size, avail, rate float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	return b.size, b.avail, b.rate
}

func (b *bucket) set(points float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill()
	b.avail = math.Max(0, math.Min(b.size, points))
}
