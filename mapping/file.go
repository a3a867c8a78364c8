package mapping

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kontor-dev/kontor"
	"go.yaml.in/yaml/v3"
)

// FileError is one problem in a mapping file, with where it is.
type FileError struct {
	File    string // the file name as given to Load or LoadFile
	Line    int    // 1-based; 0 when the parser could not tell
	Column  int    // 1-based; 0 when unknown
	Field   string // the key path, e.g. "rules[3].limit.max"
	Message string // what is wrong
}

// Error returns `orders.yaml:12: rules[3].limit.max: want an integer, got "ten"`.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// ErrorKind returns kontor.KindPermanent: the file stays wrong until
// someone edits it.
func (e *FileError) ErrorKind() kontor.Kind { return kontor.KindPermanent }

// Is matches kontor.ErrPermanent.
func (e *FileError) Is(target error) bool { return target == kontor.ErrPermanent }

// FileErrors are all the problems found in one mapping file, in line
// order, so that one edit fixes them all. errors.As finds the first
// *FileError through Unwrap.
type FileErrors []*FileError

// Error lists the problems, one per line.
func (es FileErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap returns the single problems.
func (es FileErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// ErrorKind returns kontor.KindPermanent.
func (es FileErrors) ErrorKind() kontor.Kind { return kontor.KindPermanent }

// Is matches kontor.ErrPermanent.
func (es FileErrors) Is(target error) bool { return target == kontor.ErrPermanent }

// LoadFile reads the mapping file at path (YAML or JSON) and returns its
// rules for items of type T, a kontor entity type such as kontor.Order. A
// file with problems yields FileErrors listing every one of them.
func LoadFile[T any](path string) (*Rules[T], error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return Load[T](path, data)
}

// Load parses a mapping file's content; name is the file's name, used in
// errors and, without directory and extension, in the version. JSON is
// read as the YAML it also is. A file with problems yields FileErrors
// listing every one of them; nothing in data makes Load panic.
func Load[T any](name string, data []byte) (*Rules[T], error) {
	l := &loader[T]{file: name, tables: map[string]*ValueMap{}}
	rules := l.load(data)
	if len(l.errs) > 0 {
		sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].Line < l.errs[j].Line })
		return nil, l.errs
	}
	sum := sha256.Sum256(data)
	base := filepath.Base(name)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	return New(base+"@"+l.version+"#"+hex.EncodeToString(sum[:4]), rules...), nil
}

// loader reads one file into rules for T, collecting problems.
type loader[T any] struct {
	file    string
	errs    FileErrors
	version string
	tables  map[string]*ValueMap
}

func (l *loader[T]) fail(n *yaml.Node, field, format string, args ...any) {
	e := &FileError{File: l.file, Field: field, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	l.errs = append(l.errs, e)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parse decodes the one document of data, recording syntax errors.
func (l *loader[T]) parse(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			root = nil
			l.fail(nil, "", "cannot parse the file: %v", r)
		}
	}()
	if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		// JSON allows tabs where YAML's indentation does not; outside
		// strings, where JSON forbids raw tabs, a space means the same.
		data = bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.fail(nil, "", "the file is empty; want version, entity and rules")
		} else {
			l.syntax(err)
		}
		return nil
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		l.fail(&next, "", "a mapping file holds one YAML document; remove the second")
	} else if !errors.Is(err, io.EOF) {
		l.syntax(err)
	}
	if len(doc.Content) == 0 {
		l.fail(nil, "", "the file is empty; want version, entity and rules")
		return nil
	}
	return doc.Content[0]
}

// parserProblems are the messages of the YAML parser proper, whose line
// the yaml package reports counted from 0 (its scanner's from 1), and
// leaves out on the first line.
var parserProblems = []string{
	"did not find expected <stream-start>", "did not find expected <document start>",
	"found undefined tag handle", "did not find expected node content",
	"did not find expected '-' indicator", "did not find expected key",
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"found duplicate %YAML directive", "found incompatible YAML document", "found duplicate %TAG directive",
}

// syntax records a parse error at the line the parser names.
func (l *loader[T]) syntax(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	if slices.Contains(parserProblems, msg) {
		line++
	}
	l.errs = append(l.errs, &FileError{File: l.file, Line: line, Message: msg})
}

// load reads the file's top level: version and entity first, then the
// tables, then the rules that name them.
func (l *loader[T]) load(data []byte) []Rule[T] {
	want := entityOf[T]()
	if want == "" {
		l.fail(nil, "", "%T is not a kontor entity type", *new(T))
		return nil
	}
	root := l.parse(data)
	if root == nil {
		return nil
	}
	root = resolve(root)
	if root.Kind != yaml.MappingNode {
		l.fail(root, "", "want a mapping with version, entity, values and rules, got %s", describe(root))
		return nil
	}
	top := map[string]*yaml.Node{}
	for _, kv := range l.pairs(root, "") {
		switch kv.key {
		case "version", "entity", "values", "rules":
			top[kv.key] = kv.value
		default:
			l.fail(kv.keyNode, kv.key, "unknown key; want version, entity, values or rules%s",
				suggest(kv.key, []string{"version", "entity", "values", "rules"}))
		}
	}
	if n, ok := top["version"]; !ok {
		l.fail(root, "version", "is required: a number or word that changes with every edit, e.g. version: 3")
	} else if v, ok := l.str(n, "version"); ok {
		if !versionPattern.MatchString(v) {
			l.fail(n, "version", "%q: want a number or word of letters, digits, '.', '_' and '-'", v)
		}
		l.version = v
	}
	if n, ok := top["entity"]; !ok {
		l.fail(root, "entity", "is required: the entity the rules map, here %s", want)
	} else if e, ok := l.str(n, "entity"); ok {
		switch {
		case !slices.Contains(kontor.Entities, kontor.Entity(e)):
			names := make([]string, len(kontor.Entities))
			for i, x := range kontor.Entities {
				names[i] = string(x)
			}
			l.fail(n, "entity", "unknown entity %q%s", e, suggest(e, names))
		case kontor.Entity(e) != want:
			l.fail(n, "entity", "is %s, but the mapping is loaded for %s items", e, want)
		}
	}
	if n, ok := top["values"]; ok {
		l.values(n)
	}
	var rules []Rule[T]
	if n, ok := top["rules"]; ok {
		rules = l.rules(n)
	}
	return rules
}

var versionPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// builtinTables are the tables a file can start from with "builtin".
var builtinTables = map[string]func() (*ValueMap, error){
	"country_alpha3":      func() (*ValueMap, error) { return CountryAlpha3(), nil },
	"country_from_alpha3": func() (*ValueMap, error) { return CountryAlpha3().Invert(TableCountry) },
	"units_rec20":         func() (*ValueMap, error) { return UnitsRec20(), nil },
}

// values reads the named tables.
func (l *loader[T]) values(n *yaml.Node) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.fail(n, "values", "want a mapping of table names to tables, got %s", describe(n))
		return
	}
	for _, kv := range l.pairs(n, "values") {
		if vm := l.table(kv.key, kv.value, "values."+kv.key); vm != nil {
			l.tables[kv.key] = vm
		}
	}
}

// table reads one table: map, default, ignore_case, builtin.
func (l *loader[T]) table(name string, n *yaml.Node, path string) *ValueMap {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		l.fail(n, path, "want a table (map, default, ignore_case, builtin), got %s", describe(n))
		return nil
	}
	var (
		entries    = map[string]string{}
		entryNodes = map[string]*yaml.Node{}
		opts       []ValueOption
		ignoreCase bool
		hasMap     bool
		builtin    *ValueMap
	)
	keys := []string{"map", "default", "ignore_case", "builtin"}
	errsBefore := len(l.errs)
	for _, kv := range l.pairs(n, path) {
		field := path + "." + kv.key
		switch kv.key {
		case "map":
			hasMap = true
			m := resolve(kv.value)
			if m.Kind != yaml.MappingNode {
				l.fail(m, field, "want a mapping of values to values, got %s", describe(m))
				continue
			}
			for _, e := range l.pairs(m, field) {
				if v, vok := l.str(e.value, field+"."+e.key); vok {
					entries[e.key], entryNodes[e.key] = v, e.keyNode
				}
			}
		case "default":
			if v, vok := l.str(kv.value, field); vok {
				opts = append(opts, WithDefault(v))
			}
		case "ignore_case":
			if b, bok := l.boolean(kv.value, field); bok {
				ignoreCase = b
			}
		case "builtin":
			v, vok := l.str(kv.value, field)
			if !vok {
				continue
			}
			build, known := builtinTables[v]
			if !known {
				l.fail(kv.value, field, "unknown table %q; want one of %s%s", v,
					strings.Join(slices.Sorted(maps.Keys(builtinTables)), ", "), suggest(v, slices.Collect(maps.Keys(builtinTables))))
				continue
			}
			vm, err := build()
			if err != nil {
				l.fail(kv.value, field, "%s", strings.TrimPrefix(err.Error(), "mapping: "))
				continue
			}
			builtin = vm
		default:
			l.fail(kv.keyNode, field, "unknown key; want %s%s", strings.Join(keys, ", "), suggest(kv.key, keys))
		}
	}
	if !hasMap && builtin == nil && len(l.errs) == errsBefore {
		l.fail(n, path, "a table needs map (its entries) or builtin")
		return nil
	}
	fold := ignoreCase || (builtin != nil && builtin.ignoreCase)
	if fold {
		opts = append(opts, IgnoreCase())
		// Report case clashes here, with their lines; NewValueMap would
		// only say that there is one.
		first := map[string]string{}
		for _, k := range slices.SortedFunc(maps.Keys(entries), func(a, b string) int {
			na, nb := entryNodes[a], entryNodes[b]
			if na.Line != nb.Line {
				return na.Line - nb.Line
			}
			return na.Column - nb.Column
		}) {
			fk := strings.ToLower(k)
			if prev, dup := first[fk]; dup && entries[prev] != entries[k] {
				l.fail(entryNodes[k], path+".map."+k, "ignoring case, %q is the key %q (line %d) but maps to %q, not %q",
					k, prev, entryNodes[prev].Line, entries[k], entries[prev])
				continue
			}
			first[fk] = k
		}
	}
	if len(l.errs) > errsBefore {
		return nil
	}
	if builtin != nil {
		// The file's entries override the built-in ones, also where they
		// differ only in case and case is ignored.
		key := func(k string) string { return k }
		if fold {
			key = strings.ToLower
		}
		base := make(map[string]string, builtin.Len()+len(entries))
		for k, v := range builtin.entries {
			base[key(k)] = v
		}
		for k, v := range entries {
			base[key(k)] = v
		}
		entries = base
	}
	vm, err := NewValueMap(name, entries, opts...)
	if err != nil {
		l.fail(n, path, "%s", strings.TrimPrefix(err.Error(), "mapping: "))
		return nil
	}
	return vm
}

// ruleKinds are the rule kinds of a file and their parameters; a
// parameter ending in "?" is optional.
var ruleKinds = map[string][]string{
	"map":                {"field", "table"},
	"default":            {"field", "value"},
	"set":                {"field", "value"},
	"rename":             {"from", "to"},
	"limit":              {"field", "max", "ellipsis?", "bytes?"},
	"html_to_text":       {"field"},
	"require":            {"field"},
	"round_prices":       {},
	"convert_weight":     {"unit"},
	"convert_dimensions": {"unit"},
	"validate":           {},
}

// rules reads the rule list.
func (l *loader[T]) rules(n *yaml.Node) []Rule[T] {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.fail(n, "rules", "want a list of rules, got %s", describe(n))
		return nil
	}
	var out []Rule[T]
	for i, item := range n.Content {
		path := fmt.Sprintf("rules[%d]", i)
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			l.fail(item, path, "want a rule such as {map: {field: status, table: order_status}}, got %s", describe(item))
			continue
		}
		kvs := l.pairs(item, path)
		if len(kvs) == 0 {
			l.fail(item, path, "a rule needs a kind: %s", strings.Join(slices.Sorted(maps.Keys(ruleKinds)), ", "))
			continue
		}
		for _, extra := range kvs[1:] {
			l.fail(extra.keyNode, path+"."+extra.key, "unexpected key beside the rule kind %q: a rule has one kind (are its parameters indented under it?)", kvs[0].key)
		}
		if r := l.rule(kvs[0], path+"."+kvs[0].key); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// params are a rule's parameters by name.
type params struct {
	values map[string]*yaml.Node
}

// rule reads one rule and builds it with the constructor a Go program
// would call.
func (l *loader[T]) rule(kv pair, path string) Rule[T] {
	spec, known := ruleKinds[kv.key]
	if !known {
		l.fail(kv.keyNode, path, "unknown rule kind %q; want one of %s%s", kv.key,
			strings.Join(slices.Sorted(maps.Keys(ruleKinds)), ", "), suggest(kv.key, slices.Collect(maps.Keys(ruleKinds))))
		return nil
	}
	p, ok := l.params(kv, path, spec)
	if !ok {
		return nil
	}
	ent := entityOf[T]()
	switch kv.key {
	case "map":
		field, fok := l.field(p, "field", path, true)
		name, tok := l.str(p.values["table"], path+".table")
		if !fok || !tok {
			return nil
		}
		vm, defined := l.tables[name]
		if !defined {
			if !l.tableFailed(name) {
				l.fail(p.values["table"], path+".table", "table %q is not defined under values%s", name,
					suggest(name, slices.Collect(maps.Keys(l.tables))))
			}
			return nil
		}
		return l.built(MapField[T](field, vm))(kv.keyNode, path)
	case "default", "set":
		field, fok := l.field(p, "field", path, false)
		value, vok := l.str(p.values["value"], path+".value")
		if !fok || !vok {
			return nil
		}
		if kv.key == "default" {
			return l.built(SetDefault[T](field, value))(kv.keyNode, path)
		}
		return l.built(Set[T](field, value))(kv.keyNode, path)
	case "rename":
		from, fok := l.field(p, "from", path, true)
		to, tok := l.field(p, "to", path, false)
		if !fok || !tok {
			return nil
		}
		if from == to {
			l.fail(p.values["to"], path+".to", "is the same field as from")
			return nil
		}
		return l.built(Move[T](from, to))(kv.keyNode, path)
	case "limit":
		field, fok := l.field(p, "field", path, true)
		maxLen, mok := l.integer(p.values["max"], path+".max")
		var opts []LimitOption
		eok, bok := true, true
		if n, has := p.values["ellipsis"]; has {
			var e string
			if e, eok = l.str(n, path+".ellipsis"); eok {
				opts = append(opts, Ellipsis(e))
			}
		}
		if n, has := p.values["bytes"]; has {
			var b bool
			if b, bok = l.boolean(n, path+".bytes"); bok && b {
				opts = append(opts, InBytes())
			}
		}
		if !fok || !mok || !eok || !bok {
			return nil
		}
		if maxLen < 1 {
			l.fail(p.values["max"], path+".max", "is %d, want a positive length", maxLen)
			return nil
		}
		return l.built(Limit[T](field, maxLen, opts...))(p.values["max"], path+".max")
	case "html_to_text":
		if field, ok := l.field(p, "field", path, true); ok {
			return l.built(HTMLToText[T](field))(kv.keyNode, path)
		}
		return nil
	case "require":
		if field, ok := l.field(p, "field", path, false); ok {
			return l.built(Require[T](field))(kv.keyNode, path)
		}
		return nil
	case "round_prices":
		if r, ok := any(RoundPrices()).(Rule[T]); ok {
			return r
		}
		l.fail(kv.keyNode, path, "applies to price mappings, not %s", ent)
		return nil
	case "convert_weight", "convert_dimensions":
		unit, uok := l.str(p.values["unit"], path+".unit")
		if !uok {
			return nil
		}
		var (
			r   Rule[kontor.Product]
			err error
		)
		if kv.key == "convert_weight" {
			r, err = ConvertWeight(unit)
		} else {
			r, err = ConvertDimensions(unit)
		}
		if err != nil {
			l.fail(p.values["unit"], path+".unit", "%s", strings.TrimPrefix(err.Error(), "mapping: "))
			return nil
		}
		if rt, ok := any(r).(Rule[T]); ok {
			return rt
		}
		l.fail(kv.keyNode, path, "applies to product mappings, not %s", ent)
		return nil
	case "validate":
		if _, ok := any((*T)(nil)).(interface{ Validate() error }); !ok {
			l.fail(kv.keyNode, path, "%s has no Validate", ent)
			return nil
		}
		return func(_ context.Context, item *T) error {
			return any(item).(interface{ Validate() error }).Validate()
		}
	}
	return nil
}

// tableFailed reports whether the file defines table name but it had
// problems of its own, already reported.
func (l *loader[T]) tableFailed(name string) bool {
	for _, e := range l.errs {
		if e.Field == "values."+name || strings.HasPrefix(e.Field, "values."+name+".") {
			return true
		}
	}
	return false
}

// built records a constructor's error, which the checks before it leave
// unlikely, at the node given.
func (l *loader[T]) built(r Rule[T], err error) func(n *yaml.Node, path string) Rule[T] {
	return func(n *yaml.Node, path string) Rule[T] {
		if err != nil {
			l.fail(n, path, "%s", strings.TrimPrefix(err.Error(), "mapping: "))
			return nil
		}
		return r
	}
}

// params reads a rule's parameters against its spec: unknown ones and
// missing required ones are problems.
func (l *loader[T]) params(kv pair, path string, spec []string) (params, bool) {
	p := params{values: map[string]*yaml.Node{}}
	n := resolve(kv.value)
	names := make([]string, len(spec))
	for i, s := range spec {
		names[i] = strings.TrimSuffix(s, "?")
	}
	ok := true
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		// no parameters given
	case n.Kind != yaml.MappingNode:
		want := "{}"
		if len(names) > 0 {
			want = "{" + strings.Join(names, ", ") + "}"
		}
		l.fail(n, path, "want the parameters %s, got %s", want, describe(n))
		return p, false
	default:
		for _, e := range l.pairs(n, path) {
			if !slices.Contains(names, e.key) {
				if len(names) == 0 {
					l.fail(e.keyNode, path+"."+e.key, "unknown key; %s takes no parameters", kv.key)
				} else {
					l.fail(e.keyNode, path+"."+e.key, "unknown key; want %s%s", strings.Join(names, ", "), suggest(e.key, names))
				}
				ok = false
				continue
			}
			p.values[e.key] = e.value
		}
	}
	for _, s := range spec {
		if strings.HasSuffix(s, "?") {
			continue
		}
		if _, has := p.values[s]; !has {
			l.fail(kv.keyNode, path+"."+s, "is required")
			ok = false
		}
	}
	return p, ok
}

// field reads a field path parameter and checks that T has it and, for a
// rule that rewrites the value, that it is no list.
func (l *loader[T]) field(p params, name, path string, rewrites bool) (string, bool) {
	n := p.values[name]
	v, ok := l.str(n, path+"."+name)
	if !ok {
		return "", false
	}
	acc, ok := lookupField[T](v)
	if !ok {
		l.fail(n, path+"."+name, "missing target: %s", unknownField[T](v))
		return "", false
	}
	if rewrites && acc.list {
		l.fail(n, path+"."+name, "%s", listMessage(v))
		return "", false
	}
	return v, true
}

// pair is one key and value of a YAML mapping.
type pair struct {
	key     string
	keyNode *yaml.Node
	value   *yaml.Node
}

// pairs returns the entries of mapping n, reporting duplicate, merge and
// non-scalar keys (which it leaves out).
func (l *loader[T]) pairs(n *yaml.Node, path string) []pair {
	var out []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.fail(k, path, "want a plain key, got %s", describe(k))
			continue
		}
		field := join(path, k.Value)
		if k.Tag == "!!merge" {
			l.fail(k, field, "merge keys (<<) are not supported; write the entries out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			l.fail(k, field, "duplicate key %q, first at line %d", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{key: k.Value, keyNode: k, value: v})
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// str reads a scalar as a string; null is a problem, since a forgotten
// value reads as null.
func (l *loader[T]) str(n *yaml.Node, field string) (string, bool) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.fail(n, field, "want a string, got %s", describe(n))
		return "", false
	}
	return n.Value, true
}

func (l *loader[T]) integer(n *yaml.Node, field string) (int, bool) {
	n = resolve(n)
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		l.fail(n, field, "want an integer, got %s", describe(n))
		return 0, false
	}
	return v, true
}

func (l *loader[T]) boolean(n *yaml.Node, field string) (bool, bool) {
	n = resolve(n)
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		l.fail(n, field, "want true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// describe names what a node holds, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	}
	return "an alias"
}
