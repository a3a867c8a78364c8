package shopifytest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small parser for GraphQL executable documents. graphql-go validates and
// runs a document but does not export its syntax tree, and the fake needs one
// before execution: to compute the requested query cost, to find the
// @idempotent key of each mutation field and to know the variable types.
// Documents reach this parser only after graphql-go has validated them, so
// it reports errors plainly and does not check semantics.

type gqlDoc struct {
	ops   []*gqlOp
	frags map[string]*gqlFrag
}

type gqlOp struct {
	kind string // "query", "mutation" or "subscription"
	name string
	vars []gqlVarDef
	sel  []*gqlSel
}

type gqlFrag struct {
	name     string
	typeCond string
	sel      []*gqlSel
}

type gqlVarDef struct {
	name string
	typ  *gqlType
	def  any // default value, or nil
	has  bool
}

type gqlType struct {
	name    string   // a named type, or "" for a list
	elem    *gqlType // the element of a list
	nonNull bool
}

func (t *gqlType) String() string {
	var s string
	if t.elem != nil {
		s = "[" + t.elem.String() + "]"
	} else {
		s = t.name
	}
	if t.nonNull {
		s += "!"
	}
	return s
}

type selKind uint8

const (
	selField selKind = iota
	selSpread
	selInline
)

type gqlSel struct {
	kind     selKind
	alias    string
	name     string // the field name, or the fragment name of a spread
	args     map[string]any
	dirs     []gqlDirective
	typeCond string // of an inline fragment
	sel      []*gqlSel
	line     int
	col      int
}

// key is the field's key in the response.
func (s *gqlSel) key() string {
	if s.alias != "" {
		return s.alias
	}
	return s.name
}

type gqlDirective struct {
	name string
	args map[string]any
}

// Value forms besides the JSON-like ones (string, bool, nil, []any,
// map[string]any, int64, float64).
type (
	gqlVariable string
	gqlEnum     string
)

// op returns the operation named name, or the only one when name is empty.
func (d *gqlDoc) op(name string) (*gqlOp, error) {
	if name == "" {
		if len(d.ops) != 1 {
			return nil, fmt.Errorf("more than one operation in query document and no operation name given")
		}
		return d.ops[0], nil
	}
	for _, o := range d.ops {
		if o.name == name {
			return o, nil
		}
	}
	return nil, fmt.Errorf("no operation with name %q", name)
}

// resolveValue replaces variables in v by their values.
func resolveValue(v any, vars map[string]any) any {
	switch x := v.(type) {
	case gqlVariable:
		return vars[string(x)]
	case gqlEnum:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolveValue(e, vars)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolveValue(e, vars)
		}
		return out
	}
	return v
}

// ---------------------------------------------------------------- lexer

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokPunct
	tokName
	tokInt
	tokFloat
	tokString
)

type token struct {
	kind      tokKind
	val       string
	line, col int
}

type lexer struct {
	src        string
	pos        int
	line, lcol int // current line and the offset its column counts from
}

func (l *lexer) next() (token, error) {
	l.skip()
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, line: l.line, col: l.pos - l.lcol + 1}, nil
	}
	start := l.pos
	t := token{line: l.line, col: l.pos - l.lcol + 1}
	c := l.src[l.pos]
	switch {
	case strings.IndexByte("!$&()=:@[]{}|", c) >= 0:
		l.pos++
		t.kind, t.val = tokPunct, string(c)
	case c == '.':
		if !strings.HasPrefix(l.src[l.pos:], "...") {
			return t, fmt.Errorf("unexpected %q at %d:%d", c, t.line, t.col)
		}
		l.pos += 3
		t.kind, t.val = tokPunct, "..."
	case c == '_' || isLetter(c):
		for l.pos < len(l.src) && (l.src[l.pos] == '_' || isLetter(l.src[l.pos]) || isDigit(l.src[l.pos])) {
			l.pos++
		}
		t.kind, t.val = tokName, l.src[start:l.pos]
	case c == '-' || isDigit(c):
		l.pos++
		float := false
		for l.pos < len(l.src) {
			d := l.src[l.pos]
			if isDigit(d) {
				l.pos++
				continue
			}
			if d == '.' || d == 'e' || d == 'E' || ((d == '+' || d == '-') && (l.src[l.pos-1] == 'e' || l.src[l.pos-1] == 'E')) {
				float = true
				l.pos++
				continue
			}
			break
		}
		t.kind, t.val = tokInt, l.src[start:l.pos]
		if float {
			t.kind = tokFloat
		}
	case c == '"':
		s, err := l.str()
		if err != nil {
			return t, err
		}
		t.kind, t.val = tokString, s
	default:
		r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
		return t, fmt.Errorf("unexpected character %q at %d:%d", r, t.line, t.col)
	}
	return t, nil
}

func (l *lexer) skip() {
	for l.pos < len(l.src) {
		switch c := l.src[l.pos]; c {
		case ' ', '\t', ',', '\r':
			l.pos++
		case '\n':
			l.pos++
			l.line++
			l.lcol = l.pos
		case '#':
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		default:
			if strings.HasPrefix(l.src[l.pos:], "\ufeff") {
				l.pos += 3
				continue
			}
			return
		}
	}
}

// str reads a string or block string starting at the opening quote.
func (l *lexer) str() (string, error) {
	if strings.HasPrefix(l.src[l.pos:], `"""`) {
		end := strings.Index(l.src[l.pos+3:], `"""`)
		for end >= 0 && l.src[l.pos+3+end-1] == '\\' {
			next := strings.Index(l.src[l.pos+3+end+3:], `"""`)
			if next < 0 {
				end = -1
				break
			}
			end += 3 + next
		}
		if end < 0 {
			return "", fmt.Errorf("unterminated block string")
		}
		raw := l.src[l.pos+3 : l.pos+3+end]
		l.line += strings.Count(raw, "\n")
		l.pos += 6 + end
		return blockString(strings.ReplaceAll(raw, `\"""`, `"""`)), nil
	}
	var b strings.Builder
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '"':
			l.pos++
			return b.String(), nil
		case c == '\n':
			return "", fmt.Errorf("unterminated string")
		case c == '\\':
			if l.pos+1 >= len(l.src) {
				return "", fmt.Errorf("unterminated string")
			}
			e := l.src[l.pos+1]
			l.pos += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if l.pos+4 > len(l.src) {
					return "", fmt.Errorf("bad unicode escape")
				}
				n, err := strconv.ParseUint(l.src[l.pos:l.pos+4], 16, 32)
				if err != nil {
					return "", fmt.Errorf("bad unicode escape")
				}
				b.WriteRune(rune(n))
				l.pos += 4
			default:
				return "", fmt.Errorf("bad escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			l.pos++
		}
	}
	return "", fmt.Errorf("unterminated string")
}

// blockString applies the spec's common-indentation removal.
func blockString(raw string) string {
	lines := strings.Split(strings.ReplaceAll(raw, "\r\n", "\n"), "\n")
	indent := -1
	for _, ln := range lines[1:] {
		trimmed := strings.TrimLeft(ln, " \t")
		if trimmed == "" {
			continue
		}
		if n := len(ln) - len(trimmed); indent < 0 || n < indent {
			indent = n
		}
	}
	if indent > 0 {
		for i := 1; i < len(lines); i++ {
			if len(lines[i]) >= indent {
				lines[i] = lines[i][indent:]
			} else {
				lines[i] = strings.TrimLeft(lines[i], " \t")
			}
		}
	}
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return strings.Join(lines, "\n")
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// ---------------------------------------------------------------- parser

type parser struct {
	lx  lexer
	tok token
}

// parseDocument parses an executable GraphQL document.
func parseDocument(src string) (*gqlDoc, error) {
	p := &parser{lx: lexer{src: src, line: 1}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	doc := &gqlDoc{frags: map[string]*gqlFrag{}}
	for p.tok.kind != tokEOF {
		switch {
		case p.is(tokPunct, "{"):
			sel, err := p.selectionSet()
			if err != nil {
				return nil, err
			}
			doc.ops = append(doc.ops, &gqlOp{kind: "query", sel: sel})
		case p.tok.kind == tokName && (p.tok.val == "query" || p.tok.val == "mutation" || p.tok.val == "subscription"):
			op, err := p.operation()
			if err != nil {
				return nil, err
			}
			doc.ops = append(doc.ops, op)
		case p.is(tokName, "fragment"):
			f, err := p.fragment()
			if err != nil {
				return nil, err
			}
			doc.frags[f.name] = f
		default:
			return nil, p.unexpected()
		}
	}
	if len(doc.ops) == 0 {
		return nil, fmt.Errorf("no operations in query document")
	}
	return doc, nil
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) is(k tokKind, v string) bool { return p.tok.kind == k && p.tok.val == v }

func (p *parser) unexpected() error {
	if p.tok.kind == tokEOF {
		return fmt.Errorf("unexpected end of document")
	}
	return fmt.Errorf("unexpected %q at %d:%d", p.tok.val, p.tok.line, p.tok.col)
}

func (p *parser) expect(v string) error {
	if !p.is(tokPunct, v) {
		return p.unexpected()
	}
	return p.advance()
}

func (p *parser) name() (string, error) {
	if p.tok.kind != tokName {
		return "", p.unexpected()
	}
	n := p.tok.val
	return n, p.advance()
}

func (p *parser) operation() (*gqlOp, error) {
	op := &gqlOp{kind: p.tok.val}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokName {
		op.name = p.tok.val
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.is(tokPunct, "(") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		for !p.is(tokPunct, ")") {
			if err := p.expect("$"); err != nil {
				return nil, err
			}
			var vd gqlVarDef
			var err error
			if vd.name, err = p.name(); err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			if vd.typ, err = p.typeRef(); err != nil {
				return nil, err
			}
			if p.is(tokPunct, "=") {
				if err := p.advance(); err != nil {
					return nil, err
				}
				if vd.def, err = p.value(true); err != nil {
					return nil, err
				}
				vd.has = true
			}
			if _, err := p.directives(); err != nil {
				return nil, err
			}
			op.vars = append(op.vars, vd)
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if _, err := p.directives(); err != nil {
		return nil, err
	}
	var err error
	op.sel, err = p.selectionSet()
	return op, err
}

func (p *parser) fragment() (*gqlFrag, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	f := &gqlFrag{}
	var err error
	if f.name, err = p.name(); err != nil {
		return nil, err
	}
	if !p.is(tokName, "on") {
		return nil, p.unexpected()
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if f.typeCond, err = p.name(); err != nil {
		return nil, err
	}
	if _, err := p.directives(); err != nil {
		return nil, err
	}
	f.sel, err = p.selectionSet()
	return f, err
}

func (p *parser) typeRef() (*gqlType, error) {
	t := &gqlType{}
	if p.is(tokPunct, "[") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		elem, err := p.typeRef()
		if err != nil {
			return nil, err
		}
		t.elem = elem
		if err := p.expect("]"); err != nil {
			return nil, err
		}
	} else {
		var err error
		if t.name, err = p.name(); err != nil {
			return nil, err
		}
	}
	if p.is(tokPunct, "!") {
		t.nonNull = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (p *parser) selectionSet() ([]*gqlSel, error) {
	if err := p.expect("{"); err != nil {
		return nil, err
	}
	var out []*gqlSel
	for !p.is(tokPunct, "}") {
		s, err := p.selection()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, p.advance()
}

func (p *parser) selection() (*gqlSel, error) {
	s := &gqlSel{line: p.tok.line, col: p.tok.col}
	var err error
	if p.is(tokPunct, "...") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.tok.kind == tokName && p.tok.val != "on" {
			s.kind = selSpread
			if s.name, err = p.name(); err != nil {
				return nil, err
			}
			s.dirs, err = p.directives()
			return s, err
		}
		s.kind = selInline
		if p.is(tokName, "on") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if s.typeCond, err = p.name(); err != nil {
				return nil, err
			}
		}
		if s.dirs, err = p.directives(); err != nil {
			return nil, err
		}
		s.sel, err = p.selectionSet()
		return s, err
	}
	s.kind = selField
	if s.name, err = p.name(); err != nil {
		return nil, err
	}
	if p.is(tokPunct, ":") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		s.alias = s.name
		if s.name, err = p.name(); err != nil {
			return nil, err
		}
	}
	if p.is(tokPunct, "(") {
		if s.args, err = p.arguments(); err != nil {
			return nil, err
		}
	}
	if s.dirs, err = p.directives(); err != nil {
		return nil, err
	}
	if p.is(tokPunct, "{") {
		s.sel, err = p.selectionSet()
	}
	return s, err
}

func (p *parser) arguments() (map[string]any, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	args := map[string]any{}
	for !p.is(tokPunct, ")") {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		if err := p.expect(":"); err != nil {
			return nil, err
		}
		if args[n], err = p.value(false); err != nil {
			return nil, err
		}
	}
	return args, p.advance()
}

func (p *parser) directives() ([]gqlDirective, error) {
	var out []gqlDirective
	for p.is(tokPunct, "@") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		d := gqlDirective{name: n}
		if p.is(tokPunct, "(") {
			if d.args, err = p.arguments(); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	return out, nil
}

func (p *parser) value(constant bool) (any, error) {
	t := p.tok
	switch {
	case t.kind == tokPunct && t.val == "$" && !constant:
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.name()
		return gqlVariable(n), err
	case t.kind == tokInt:
		n, err := strconv.ParseInt(t.val, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad integer %q", t.val)
		}
		return n, p.advance()
	case t.kind == tokFloat:
		f, err := strconv.ParseFloat(t.val, 64)
		if err != nil {
			return nil, fmt.Errorf("bad float %q", t.val)
		}
		return f, p.advance()
	case t.kind == tokString:
		return t.val, p.advance()
	case t.kind == tokName:
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch t.val {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		return gqlEnum(t.val), nil
	case t.kind == tokPunct && t.val == "[":
		if err := p.advance(); err != nil {
			return nil, err
		}
		list := []any{}
		for !p.is(tokPunct, "]") {
			v, err := p.value(constant)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		return list, p.advance()
	case t.kind == tokPunct && t.val == "{":
		if err := p.advance(); err != nil {
			return nil, err
		}
		obj := map[string]any{}
		for !p.is(tokPunct, "}") {
			n, err := p.name()
			if err != nil {
				return nil, err
			}
			if err := p.expect(":"); err != nil {
				return nil, err
			}
			if obj[n], err = p.value(constant); err != nil {
				return nil, err
			}
		}
		return obj, p.advance()
	}
	return nil, p.unexpected()
}
