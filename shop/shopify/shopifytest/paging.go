package shopifytest

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxPageSize is the most a connection hands out per page, and the most
// items an input list may hold (https://shopify.dev/api/usage/limits).
const maxPageSize = 250

// connArgs are the paging arguments every connection field takes.
type connArgs struct {
	First   *int32
	After   *string
	Last    *int32
	Before  *string
	Reverse bool
}

type connection[T any] struct {
	Edges    []edge[T]
	Nodes    []T
	PageInfo pageInfo
}

type edge[T any] struct {
	Cursor string
	Node   T
}

type pageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// sortKey orders the items of a connection: by value, then by ID number.
type sortKey struct {
	value string
	id    int64
}

func (a sortKey) compare(b sortKey) int {
	if c := strings.Compare(a.value, b.value); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// cursorBody is what an opaque cursor encodes; Shopify's cursors are the
// same kind of base64 JSON.
type cursorBody struct {
	LastID    int64  `json:"last_id"`
	LastValue string `json:"last_value"`
}

func encodeCursor(k sortKey) string {
	b, _ := json.Marshal(cursorBody{LastID: k.id, LastValue: k.value})
	return base64.StdEncoding.EncodeToString(b)
}

func decodeCursor(s string) (sortKey, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(s)
	}
	var c cursorBody
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil || c.LastID == 0 {
		return sortKey{}, &gqlError{msg: "Invalid cursor for current pagination sort."}
	}
	return sortKey{value: c.LastValue, id: c.LastID}, nil
}

// Sort key values. Times and numbers are written so that they compare as
// strings.
func idKey(id int64) string                { return fmt.Sprintf("%020d", id) }
func timeKey(t time.Time) string           { return t.UTC().Format("2006-01-02T15:04:05.000000000") }
func textKey(s string) string              { return strings.ToLower(s) }
func intKey(n int) string                  { return fmt.Sprintf("%020d", n+1<<40) }
func keyOf(value string, id int64) sortKey { return sortKey{value: value, id: id} }

// checkPaging enforces Shopify's rules on first and last: one of them, and
// at most 250. A bulk operation's query pages without limits.
func checkPaging(ctx context.Context, a connArgs) error {
	if rc(ctx).bulk {
		return nil
	}
	if a.First == nil && a.Last == nil {
		return &gqlError{msg: "you must provide one of first or last"}
	}
	if a.First != nil && a.Last != nil {
		return &gqlError{msg: "providing both first and last is not supported"}
	}
	for _, n := range []*int32{a.First, a.Last} {
		if n == nil {
			continue
		}
		if *n < 0 {
			return &gqlError{msg: "first and last must be non-negative"}
		}
		if *n > maxPageSize {
			return &gqlError{msg: fmt.Sprintf("The page size %d exceeds the maximum of %d records per page.", *n, maxPageSize)}
		}
	}
	return nil
}

// page sorts items by key and returns the window the arguments ask for.
func page[T any](ctx context.Context, items []T, key func(T) sortKey, a connArgs) (*connection[T], error) {
	if err := checkPaging(ctx, a); err != nil {
		return nil, err
	}
	type keyed struct {
		item T
		key  sortKey
	}
	ks := make([]keyed, len(items))
	for i, it := range items {
		ks[i] = keyed{it, key(it)}
	}
	slices.SortStableFunc(ks, func(x, y keyed) int { return x.key.compare(y.key) })
	if a.Reverse {
		slices.Reverse(ks)
	}
	// before reports whether k comes before c in the iteration order.
	before := func(k, c sortKey) bool {
		if a.Reverse {
			return k.compare(c) > 0
		}
		return k.compare(c) < 0
	}
	start, end := 0, len(ks)
	if a.After != nil {
		c, err := decodeCursor(*a.After)
		if err != nil {
			return nil, err
		}
		for start < end && (before(ks[start].key, c) || ks[start].key.compare(c) == 0) {
			start++
		}
	}
	if a.Before != nil {
		c, err := decodeCursor(*a.Before)
		if err != nil {
			return nil, err
		}
		e := start
		for e < end && before(ks[e].key, c) {
			e++
		}
		end = e
	}
	total := end
	if a.First != nil && start+int(*a.First) < end {
		end = start + int(*a.First)
	}
	if a.Last != nil && end-int(*a.Last) > start {
		start = end - int(*a.Last)
	}
	c := &connection[T]{
		Edges: make([]edge[T], 0, end-start),
		Nodes: make([]T, 0, end-start),
		PageInfo: pageInfo{
			HasNextPage:     end < total || (a.Before != nil && end < len(ks)),
			HasPreviousPage: start > 0,
		},
	}
	for _, k := range ks[start:end] {
		c.Edges = append(c.Edges, edge[T]{Cursor: encodeCursor(k.key), Node: k.item})
		c.Nodes = append(c.Nodes, k.item)
	}
	if n := len(c.Edges); n > 0 {
		first, last := c.Edges[0].Cursor, c.Edges[n-1].Cursor
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &first, &last
	}
	return c, nil
}

// firstN applies the first argument of a plain list field (Order.refunds,
// Order.transactions, ...). Such fields take no cursor.
func firstN[T any](items []T, first *int32) []T {
	if first != nil && int(*first) < len(items) && *first >= 0 {
		return items[:*first]
	}
	return items
}

// ---------------------------------------------------------------- search syntax

// searchQuery is a parsed `query` argument in Shopify's search syntax:
// terms joined by AND (or a blank) and OR, each "field:value",
// "field:>value" (also >=, <, <=), "-field:value" or "NOT field:value", or a
// bare word searched in the item's text. Quotes ('...' or "...") group a
// value; parentheses are ignored. A field the item does not know is ignored,
// as Shopify ignores an unknown filter.
type searchQuery [][]searchTerm

type searchTerm struct {
	neg   bool
	field string // "" for free text
	op    string // ":", ">", ">=", "<", "<="
	value string
}

func parseSearch(q *string) searchQuery {
	if q == nil || strings.TrimSpace(*q) == "" {
		return nil
	}
	var out searchQuery
	var group []searchTerm
	neg := false
	for _, tok := range searchTokens(*q) {
		switch tok {
		case "AND":
			continue
		case "OR":
			if len(group) > 0 {
				out = append(out, group)
			}
			group = nil
			continue
		case "NOT":
			neg = true
			continue
		}
		t := searchTerm{neg: neg}
		neg = false
		if strings.HasPrefix(tok, "-") && len(tok) > 1 {
			t.neg = true
			tok = tok[1:]
		}
		field, value, ok := strings.Cut(tok, ":")
		if !ok || strings.HasPrefix(tok, "'") || strings.HasPrefix(tok, `"`) {
			t.op, t.value = ":", unquote(tok)
		} else {
			t.field = strings.ToLower(field)
			t.op = ":"
			for _, op := range []string{">=", "<=", ">", "<"} {
				if rest, ok := strings.CutPrefix(value, op); ok {
					t.op, value = op, rest
					break
				}
			}
			t.value = unquote(value)
		}
		group = append(group, t)
	}
	if len(group) > 0 {
		out = append(out, group)
	}
	return out
}

// searchTokens splits on blanks outside quotes and drops parentheses.
func searchTokens(q string) []string {
	var toks []string
	var b strings.Builder
	var quote rune
	escaped := false
	flush := func() {
		if b.Len() > 0 {
			toks = append(toks, b.String())
			b.Reset()
		}
	}
	for _, r := range q {
		switch {
		case escaped:
			b.WriteRune(r)
			escaped = false
		case r == '\\':
			b.WriteRune(r)
			escaped = true
		case quote != 0:
			b.WriteRune(r)
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
			b.WriteRune(r)
		case r == '(' || r == ')':
			flush()
		case r == ' ' || r == '\t' || r == '\n':
			flush()
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return toks
}

// unquote strips the quotes of a value and resolves its backslash
// escapes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		s = s[1 : len(s)-1]
	}
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	esc := false
	for _, r := range s {
		if !esc && r == '\\' {
			esc = true
			continue
		}
		esc = false
		b.WriteRune(r)
	}
	return b.String()
}

// searchFields gives an item's values for a search field; ok is false for a
// field the item does not know. The field "" is the item's free text.
type searchFields func(field string) (values []string, ok bool)

func (q searchQuery) match(f searchFields) bool {
	if len(q) == 0 {
		return true
	}
	for _, group := range q {
		all := true
		for _, t := range group {
			if !t.match(f) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (t searchTerm) match(f searchFields) bool {
	values, ok := f(t.field)
	if !ok {
		return true
	}
	hit := false
	for _, v := range values {
		if compareSearch(v, t.op, t.value, t.field == "") {
			hit = true
			break
		}
	}
	return hit != t.neg
}

func compareSearch(have, op, want string, text bool) bool {
	if op == ":" {
		if text {
			return strings.Contains(strings.ToLower(have), strings.ToLower(want))
		}
		if prefix, ok := strings.CutSuffix(want, "*"); ok {
			return strings.HasPrefix(strings.ToLower(have), strings.ToLower(prefix))
		}
		return strings.EqualFold(have, want)
	}
	var c int
	if ht, err1 := parseDateTime(have); err1 == nil {
		wt, err2 := parseDateTime(want)
		if err2 != nil {
			return false
		}
		c = ht.Compare(wt)
	} else if hn, err1 := strconv.ParseFloat(have, 64); err1 == nil {
		wn, err2 := strconv.ParseFloat(want, 64)
		if err2 != nil {
			return false
		}
		c = cmp.Compare(hn, wn)
	} else {
		c = strings.Compare(have, want)
	}
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return false
}

// filter returns the items that match q.
func filter[T any](items []T, q searchQuery, fields func(T) searchFields) []T {
	if len(q) == 0 {
		return items
	}
	var out []T
	for _, it := range items {
		if q.match(fields(it)) {
			out = append(out, it)
		}
	}
	return out
}

func one(s string) []string { return []string{s} }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// idField answers "id" for a numeric ID comparison (id:>123).
func idField(num int64) []string { return one(strconv.FormatInt(num, 10)) }
