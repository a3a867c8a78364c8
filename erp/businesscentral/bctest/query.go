package bctest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The OData query options the fake understands: $filter (comparisons eq,
// ne, gt, ge, lt, le on a property and a literal, and, or, not,
// parentheses, startswith/endswith/contains on strings), $select,
// $expand (navigation properties with nested $select and $filter),
// $orderby, $top, $skip, $count and $skiptoken. Anything else is rejected
// with 400 BadRequest, as Business Central rejects what its OData parser
// does not accept; a construct valid in OData that the fake does not
// implement is rejected too, with a message that says so.

const maxPageSize = 20000

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, codeBadRequest, format, args...)
}

func noProperty(et *entityType, name string) *apiError {
	return badRequest("Could not find a property named '%s' on type 'Microsoft.NAV.%s'.", name, et.name)
}

// --- $filter ---

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tComma
)

type tok struct {
	kind tokKind
	text string
	pos  int
}

func lex(s string) ([]tok, *apiError) {
	var out []tok
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			out = append(out, tok{tLParen, "(", i})
			i++
		case c == ')':
			out = append(out, tok{tRParen, ")", i})
			i++
		case c == ',':
			out = append(out, tok{tComma, ",", i})
			i++
		case c == '\'':
			start := i
			i++
			var b strings.Builder
			for {
				if i >= len(s) {
					return nil, badRequest("There is an unterminated string literal at position %d in '%s'.", start, s)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			out = append(out, tok{tString, b.String(), start})
		default:
			start := i
			for i < len(s) && isWordByte(s[i]) {
				i++
			}
			if i == start {
				return nil, badRequest("Syntax error: character '%c' is not valid at position %d in '%s'.", c, i, s)
			}
			// A word directly followed by a quote is a typed literal
			// (datetime'…', guid'…'), OData v3 syntax that v4 rejects.
			if i < len(s) && s[i] == '\'' {
				return nil, badRequest("Syntax error at position %d in '%s'.", i, s)
			}
			out = append(out, tok{tWord, s[start:i], start})
		}
	}
	return append(out, tok{tEOF, "", len(s)}), nil
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == ':' || c == '.' || c == '+' || c == '/' || c == '$'
}

// expr is a parsed $filter expression.
type expr interface {
	eval(r *record) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }
type notExpr struct{ e expr }

func (e andExpr) eval(r *record) bool { return e.l.eval(r) && e.r.eval(r) }
func (e orExpr) eval(r *record) bool  { return e.l.eval(r) || e.r.eval(r) }
func (e notExpr) eval(r *record) bool { return !e.e.eval(r) }

type cmpExpr struct {
	p   *prop
	op  string
	lit any // nil for null
}

type funcExpr struct {
	fn  string
	p   *prop
	arg string
}

func (e funcExpr) eval(r *record) bool {
	v := strings.ToLower(get(r, e.p).(string))
	a := strings.ToLower(e.arg)
	switch e.fn {
	case "startswith":
		return strings.HasPrefix(v, a)
	case "endswith":
		return strings.HasSuffix(v, a)
	}
	return strings.Contains(v, a)
}

func (e cmpExpr) eval(r *record) bool {
	v := get(r, e.p)
	if e.lit == nil {
		// Business Central has no nulls: a property equals null never.
		return e.op == "ne"
	}
	c := compare(e.p.kind, v, e.lit)
	switch e.op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	}
	return c <= 0
}

// compare orders two values of a kind. Strings compare case-insensitively,
// as Business Central's SQL collation does.
func compare(k kind, a, b any) int {
	switch k {
	case kDecimal:
		return a.(decimal.Decimal).Cmp(b.(decimal.Decimal))
	case kInt:
		x, y := a.(int64), b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case kBool:
		x, y := a.(bool), b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case kDateTime:
		return a.(time.Time).Compare(b.(time.Time))
	}
	return compareFold(a.(string), b.(string))
}

// compareFold compares strings ignoring case, without allocating for
// ASCII.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		if x >= 0x80 || y >= 0x80 {
			return strings.Compare(strings.ToLower(a[i:]), strings.ToLower(b[i:]))
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

var (
	reGUID     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reDate     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$`)
	reNumber   = regexp.MustCompile(`^-?\d+(\.\d+)?([eE][+-]?\d+)?[mMdDfFlL]?$`)
)

type filterParser struct {
	et   *entityType
	src  string
	toks []tok
	i    int
}

func parseFilter(et *entityType, s string) (expr, *apiError) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &filterParser{et: et, src: s, toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.syntax(t)
	}
	return e, nil
}

func (p *filterParser) peek() tok { return p.toks[p.i] }
func (p *filterParser) next() tok { t := p.toks[p.i]; p.i++; return t }

func (p *filterParser) syntax(t tok) *apiError {
	return badRequest("Syntax error at position %d in '%s'.", t.pos, p.src)
}

func (p *filterParser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tWord && t.text == w
}

func (p *filterParser) or() (expr, *apiError) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orExpr{l, r}
	}
	return l, nil
}

func (p *filterParser) and() (expr, *apiError) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andExpr{l, r}
	}
	return l, nil
}

func (p *filterParser) unary() (expr, *apiError) {
	if p.isWord("not") {
		p.next()
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notExpr{e}, nil
	}
	return p.primary()
}

var cmpOps = map[string]string{"eq": "Equal", "ne": "NotEqual", "gt": "GreaterThan", "ge": "GreaterThanOrEqual", "lt": "LessThan", "le": "LessThanOrEqual"}

func (p *filterParser) primary() (expr, *apiError) {
	t := p.next()
	switch t.kind {
	case tLParen:
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.syntax(c)
		}
		return e, nil
	case tWord:
	default:
		return nil, p.syntax(t)
	}
	if p.peek().kind == tLParen {
		return p.function(t)
	}
	pr := p.et.prop(t.text)
	if pr == nil {
		if isLiteral(t.text) {
			return nil, badRequest("bctest supports comparisons of a property (left) with a literal (right) only; found '%s' at position %d in '%s'.", t.text, t.pos, p.src)
		}
		return nil, noProperty(p.et, t.text)
	}
	opTok := p.next()
	if opTok.kind != tWord {
		return nil, p.syntax(opTok)
	}
	opName, ok := cmpOps[opTok.text]
	if !ok {
		switch opTok.text {
		case "in", "has", "add", "sub", "mul", "div", "mod":
			return nil, badRequest("The operator '%s' at position %d in '%s' is not supported by bctest.", opTok.text, opTok.pos, p.src)
		}
		return nil, p.syntax(opTok)
	}
	litTok := p.next()
	lit, err := p.literal(pr, opName, litTok)
	if err != nil {
		return nil, err
	}
	return cmpExpr{p: pr, op: opTok.text, lit: lit}, nil
}

func isLiteral(w string) bool {
	return w == "true" || w == "false" || w == "null" || reNumber.MatchString(w) || reGUID.MatchString(w) ||
		reDate.MatchString(w) || reDateTime.MatchString(w)
}

func (p *filterParser) function(name tok) (expr, *apiError) {
	switch name.text {
	case "startswith", "endswith", "contains":
	default:
		return nil, badRequest("An unknown function with name '%s' was found, or the function is not supported by bctest, at position %d in '%s'.", name.text, name.pos, p.src)
	}
	p.next() // (
	a := p.next()
	if a.kind != tWord {
		return nil, p.syntax(a)
	}
	pr := p.et.prop(a.text)
	if pr == nil {
		return nil, noProperty(p.et, a.text)
	}
	if pr.kind != kString && pr.kind != kEnum {
		return nil, badRequest("No function signature for the function with name '%s' matches the specified arguments. The function signatures considered are: %s(Edm.String Nullable=true, Edm.String Nullable=true).", name.text, name.text)
	}
	if c := p.next(); c.kind != tComma {
		return nil, p.syntax(c)
	}
	v := p.next()
	if v.kind != tString {
		return nil, p.syntax(v)
	}
	if c := p.next(); c.kind != tRParen {
		return nil, p.syntax(c)
	}
	return funcExpr{fn: name.text, p: pr, arg: v.text}, nil
}

// literal converts the right side of a comparison to the property's type,
// rejecting a type mismatch as the OData parser does.
func (p *filterParser) literal(pr *prop, opName string, t tok) (any, *apiError) {
	mismatch := func(found string) *apiError {
		return badRequest("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", pr.kind.edm(), found, opName)
	}
	switch t.kind {
	case tString:
		if pr.kind == kString || pr.kind == kEnum {
			return t.text, nil
		}
		return nil, mismatch("Edm.String")
	case tWord:
	default:
		return nil, p.syntax(t)
	}
	w := t.text
	switch {
	case w == "null":
		if opName != "Equal" && opName != "NotEqual" {
			return nil, mismatch("<null>")
		}
		return nil, nil
	case w == "true" || w == "false":
		if pr.kind != kBool {
			return nil, mismatch("Edm.Boolean")
		}
		return w == "true", nil
	case reGUID.MatchString(w):
		if pr.kind != kGUID {
			return nil, mismatch("Edm.Guid")
		}
		return strings.ToLower(w), nil
	case reDateTime.MatchString(w):
		if pr.kind != kDateTime {
			return nil, mismatch("Edm.DateTimeOffset")
		}
		tm, err := time.Parse(time.RFC3339Nano, w)
		if err != nil {
			tm, err = time.Parse("2006-01-02T15:04Z07:00", w)
		}
		if err != nil {
			return nil, badRequest("The DateTimeOffset text '%s' should be in format 'yyyy-mm-ddThh:mm:ss('.'s+)?(zzzzzz)?' and each field value is within valid range.", w)
		}
		return tm, nil
	case reDate.MatchString(w):
		if pr.kind != kDate {
			return nil, mismatch("Edm.Date")
		}
		return w, nil
	case reNumber.MatchString(w):
		n := strings.TrimRight(w, "mMdDfFlL")
		switch pr.kind {
		case kDecimal:
			d, err := decimal.NewFromString(n)
			if err != nil {
				return nil, p.syntax(t)
			}
			return d, nil
		case kInt:
			i, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return nil, mismatch("Edm.Decimal")
			}
			return i, nil
		}
		if strings.ContainsAny(n, ".eE") {
			return nil, mismatch("Edm.Decimal")
		}
		return nil, mismatch("Edm.Int32")
	}
	if p.et.prop(w) != nil {
		return nil, badRequest("bctest supports comparisons of a property with a literal only; found the property '%s' at position %d in '%s'.", w, t.pos, p.src)
	}
	return nil, p.syntax(t)
}

// --- $select, $expand, $orderby ---

type selection map[string]bool // nil: all properties

func parseSelect(et *entityType, s string) (selection, *apiError) {
	if strings.TrimSpace(s) == "" || strings.TrimSpace(s) == "*" {
		return nil, nil
	}
	sel := selection{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if et.prop(f) == nil && et.nav(f) == nil {
			return nil, noProperty(et, f)
		}
		sel[f] = true
	}
	return sel, nil
}

type expansion struct {
	nav    *nav
	et     *entityType
	sel    selection
	filter expr
}

// splitTop splits s at sep outside parentheses.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (s *Server) parseExpand(et *entityType, src string) ([]expansion, *apiError) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	var out []expansion
	for _, part := range splitTop(src, ',') {
		part = strings.TrimSpace(part)
		name, opts, hasOpts := strings.Cut(part, "(")
		n := et.nav(name)
		if n == nil {
			if et.prop(name) != nil {
				return nil, badRequest("Property '%s' on type 'Microsoft.NAV.%s' is not a navigation property or complex property. Only navigation properties can be expanded.", name, et.name)
			}
			return nil, noProperty(et, name)
		}
		x := expansion{nav: n, et: s.types[n.set]}
		if hasOpts {
			if !strings.HasSuffix(opts, ")") {
				return nil, badRequest("Syntax error: missing ')' in $expand '%s'.", src)
			}
			for _, o := range splitTop(strings.TrimSuffix(opts, ")"), ';') {
				k, v, _ := strings.Cut(strings.TrimSpace(o), "=")
				var err *apiError
				switch k {
				case "$select":
					x.sel, err = parseSelect(x.et, v)
				case "$filter":
					x.filter, err = parseFilter(x.et, v)
				default:
					err = badRequest("The query option '%s' inside $expand is not supported by bctest; $select and $filter are.", k)
				}
				if err != nil {
					return nil, err
				}
			}
		}
		out = append(out, x)
	}
	return out, nil
}

type orderKey struct {
	p    *prop
	desc bool
}

func parseOrderBy(et *entityType, s string) ([]orderKey, *apiError) {
	var keys []orderKey
	if strings.TrimSpace(s) != "" {
		for _, part := range strings.Split(s, ",") {
			f := strings.Fields(part)
			if len(f) == 0 || len(f) > 2 {
				return nil, badRequest("Syntax error in $orderby '%s'.", s)
			}
			p := et.prop(f[0])
			if p == nil {
				return nil, noProperty(et, f[0])
			}
			k := orderKey{p: p}
			if len(f) == 2 {
				switch f[1] {
				case "asc":
				case "desc":
					k.desc = true
				default:
					return nil, badRequest("Syntax error in $orderby '%s'.", s)
				}
			}
			keys = append(keys, k)
		}
	} else {
		for _, name := range et.order {
			keys = append(keys, orderKey{p: et.prop(name)})
		}
	}
	// The id makes every position unique, so a skip token is exact.
	return append(keys, orderKey{p: et.prop("id")}), nil
}

func lessBy(keys []orderKey, a, b *record) int {
	for _, k := range keys {
		c := compare(k.p.kind, get(a, k.p), get(b, k.p))
		if c == 0 && k.p.kind != kDecimal && k.p.kind != kInt && k.p.kind != kBool && k.p.kind != kDateTime {
			c = strings.Compare(get(a, k.p).(string), get(b, k.p).(string))
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// --- $skiptoken ---

// skipToken is the opaque position of a server-driven page: the sort key
// of the last entity sent and how many $top still allows.
type skipToken struct {
	Key  []json.RawMessage `json:"k"`
	Left int               `json:"n"`
}

func encodeSkip(keys []orderKey, last *record, left int) string {
	t := skipToken{Left: left}
	for _, k := range keys {
		t.Key = append(t.Key, rawValue(get(last, k.p)))
	}
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSkip(keys []orderKey, s string) (*record, int, *apiError) {
	bad := badRequest("The skip token '%s' is not valid.", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, 0, bad
	}
	var t skipToken
	if json.Unmarshal(b, &t) != nil || len(t.Key) != len(keys) {
		return nil, 0, bad
	}
	r := &record{vals: map[string]any{}}
	for i, k := range keys {
		v, e := parseValue(k.p, t.Key[i])
		if e != nil {
			return nil, 0, bad
		}
		r.vals[k.p.name] = v
	}
	return r, t.Left, nil
}

// parsePrefer reads the Prefer header: odata.maxpagesize, return=minimal
// and odata.continue-on-error.
type prefer struct {
	maxPageSize     int
	minimal         bool
	continueOnError bool
}

func parsePrefer(h http.Header) prefer {
	var p prefer
	for _, v := range h.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch strings.ToLower(k) {
			case "odata.maxpagesize", "maxpagesize":
				if n, err := strconv.Atoi(strings.Trim(val, `"`)); err == nil && n > 0 {
					p.maxPageSize = n
				}
			case "return":
				p.minimal = val == "minimal"
			case "return-no-content":
				p.minimal = true
			case "odata.continue-on-error", "continue-on-error":
				p.continueOnError = val == "" || val == "true"
			}
		}
	}
	return p
}
