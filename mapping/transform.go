package mapping

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kontor-dev/kontor"
	"github.com/shopspring/decimal"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// RoundPrices returns a rule that rounds a price's list price, sale price
// and tier amounts to the minor unit of their currency (Money.Round: half
// away from zero), for targets that reject more digits than the currency
// has. An amount whose currency is not valid fails the price with a
// *kontor.ValidationError, since its minor unit is unknown.
func RoundPrices() Rule[kontor.Price] {
	return func(_ context.Context, p *kontor.Price) error {
		round := func(field string, m kontor.Money) (kontor.Money, error) {
			if err := m.Currency.Validate(); err != nil {
				return m, &kontor.ValidationError{Entity: kontor.EntityPrice, Key: p.Key(), Field: field + ".currency", Reason: err.Error()}
			}
			return m.Round(), nil
		}
		var err error
		if p.List, err = round("list", p.List); err != nil {
			return err
		}
		if p.Sale != nil {
			s, err := round("sale", *p.Sale)
			if err != nil {
				return err
			}
			p.Sale = &s
		}
		if len(p.Tiers) > 0 {
			tiers := slices.Clone(p.Tiers)
			for i := range tiers {
				if tiers[i].Amount, err = round(fmt.Sprintf("tiers[%d].amount", i), tiers[i].Amount); err != nil {
					return err
				}
			}
			p.Tiers = tiers
		}
		return nil
	}
}

// unitScale is one unit of a quantity in the quantity's base unit, exactly.
type unitScale struct {
	name   string
	factor decimal.Decimal // in the base unit
	shift  int32           // factor is 10^shift, when exact is true
	pow10  bool
}

// Weights in grams and lengths in millimetres: 1 lb = 453.59237 g and
// 1 oz = 28.349523125 g exactly (international avoirdupois), 1 in = 25.4 mm.
var (
	weightScales = []unitScale{
		{name: "g", factor: decimal.New(1, 0), shift: 0, pow10: true},
		{name: "kg", factor: decimal.New(1, 3), shift: 3, pow10: true},
		{name: "lb", factor: decimal.RequireFromString("453.59237")},
		{name: "oz", factor: decimal.RequireFromString("28.349523125")},
	}
	lengthScales = []unitScale{
		{name: "mm", factor: decimal.New(1, 0), shift: 0, pow10: true},
		{name: "cm", factor: decimal.New(1, 1), shift: 1, pow10: true},
		{name: "m", factor: decimal.New(1, 3), shift: 3, pow10: true},
		{name: "in", factor: decimal.RequireFromString("25.4")},
	}
)

// ConversionPlaces is how many decimal places a unit conversion keeps when
// its result does not end (grams to pounds). Conversions into g, kg, mm,
// cm or m, and those whose result ends within these places, are exact.
const ConversionPlaces = 12

func findScale(scales []unitScale, unit string) (unitScale, bool) {
	for _, s := range scales {
		if strings.EqualFold(s.name, unit) {
			return s, true
		}
	}
	return unitScale{}, false
}

func scaleNames(scales []unitScale) string {
	names := make([]string, len(scales))
	for i, s := range scales {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// convert returns v in from's unit as a value in to's unit.
func convert(v decimal.Decimal, from, to unitScale) decimal.Decimal {
	if from.name == to.name {
		return v
	}
	base := v.Mul(from.factor)
	if to.pow10 {
		return base.Shift(-to.shift)
	}
	return base.DivRound(to.factor, ConversionPlaces)
}

// ConvertWeight returns a rule that converts the product's and its
// variants' weights to unit (g, kg, lb or oz; case ignored on input), with
// exact factors. A weight in an unknown unit fails the product with a
// *kontor.ValidationError naming the field.
func ConvertWeight(unit string) (Rule[kontor.Product], error) {
	to, ok := findScale(weightScales, unit)
	if !ok {
		return nil, fmt.Errorf("mapping: convert weight: unit %q, want one of %s", unit, scaleNames(weightScales))
	}
	conv := func(p *kontor.Product, field string, m *kontor.Measure) (*kontor.Measure, error) {
		if m == nil || m.Unit == to.name {
			return m, nil
		}
		from, ok := findScale(weightScales, m.Unit)
		if !ok {
			return m, &kontor.ValidationError{Entity: kontor.EntityProduct, Key: p.SKU, Field: field + ".unit",
				Reason: fmt.Sprintf("is %q, want one of %s", m.Unit, scaleNames(weightScales))}
		}
		return &kontor.Measure{Value: convert(m.Value, from, to), Unit: to.name}, nil
	}
	return func(_ context.Context, p *kontor.Product) error {
		var err error
		if p.Weight, err = conv(p, "weight", p.Weight); err != nil {
			return err
		}
		p.Variants, err = editEach(p.Variants, func(i int, v *kontor.Variant) (bool, error) {
			before := v.Weight
			var err error
			v.Weight, err = conv(p, fmt.Sprintf("variants[%d].weight", i), v.Weight)
			return v.Weight != before, err
		})
		return err
	}, nil
}

// ConvertDimensions returns a rule that converts the product's package
// dimensions to unit (mm, cm, m or in; case ignored on input), with exact
// factors.
func ConvertDimensions(unit string) (Rule[kontor.Product], error) {
	to, ok := findScale(lengthScales, unit)
	if !ok {
		return nil, fmt.Errorf("mapping: convert dimensions: unit %q, want one of %s", unit, scaleNames(lengthScales))
	}
	return func(_ context.Context, p *kontor.Product) error {
		d := p.Dimensions
		if d == nil || d.Unit == to.name {
			return nil
		}
		from, ok := findScale(lengthScales, d.Unit)
		if !ok {
			return &kontor.ValidationError{Entity: kontor.EntityProduct, Key: p.SKU, Field: "dimensions.unit",
				Reason: fmt.Sprintf("is %q, want one of %s", d.Unit, scaleNames(lengthScales))}
		}
		p.Dimensions = &kontor.Dimensions{
			Length: convert(d.Length, from, to),
			Width:  convert(d.Width, from, to),
			Height: convert(d.Height, from, to),
			Unit:   to.name,
		}
		return nil
	}, nil
}

// LimitOption configures Limit and Shorten.
type LimitOption func(*limitConfig)

type limitConfig struct {
	ellipsis string
	bytes    bool
}

// Ellipsis ends shortened text with s ("…" or "..."); s counts towards
// the limit.
func Ellipsis(s string) LimitOption { return func(c *limitConfig) { c.ellipsis = s } }

// InBytes measures the limit in bytes of UTF-8, for targets whose columns
// are sized in bytes; the default is characters (runes).
func InBytes() LimitOption { return func(c *limitConfig) { c.bytes = true } }

func (c *limitConfig) length(s string) int {
	if c.bytes {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// Limit returns a rule that shortens the field at path to at most n
// characters (see Shorten), for targets with length limits: a 100-character
// title, a 35-character address line. It fails when n does not leave room
// for the ellipsis.
func Limit[T any](path string, n int, opts ...LimitOption) (Rule[T], error) {
	acc, err := valueField[T](path, "limit")
	if err != nil {
		return nil, err
	}
	var c limitConfig
	for _, o := range opts {
		o(&c)
	}
	if n <= c.length(c.ellipsis) {
		return nil, fmt.Errorf("mapping: limit %s: %d leaves no room for the text beside the ellipsis %q", path, n, c.ellipsis)
	}
	return func(_ context.Context, item *T) error {
		v := acc.get(item)
		if len(v) <= n {
			return nil // at most n bytes is at most n runes
		}
		if out := shorten(v, n, &c); out != v {
			acc.set(item, out)
		}
		return nil
	}, nil
}

// Shorten returns s cut to at most n characters (runes; bytes with
// InBytes), ellipsis included. It never cuts inside a rune nor between a
// character and the marks, joiners or modifiers that belong to it (ü as u
// plus a combining diaeresis, an emoji with a skin tone, a flag). It cuts
// at the last space instead when that keeps at least half of the text, and
// drops trailing spaces and ",;:-" before the ellipsis. A string within
// the limit is returned as it is.
func Shorten(s string, n int, opts ...LimitOption) string {
	var c limitConfig
	for _, o := range opts {
		o(&c)
	}
	return shorten(s, n, &c)
}

func shorten(s string, n int, c *limitConfig) string {
	if c.length(s) <= n {
		return s
	}
	budget := n - c.length(c.ellipsis)
	ellipsis := c.ellipsis
	if budget < 0 {
		budget, ellipsis = n, ""
	}
	// cut is the byte offset after the last unit that fits.
	cut := 0
	if c.bytes {
		cut = budget
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
	} else {
		for i := 0; i < budget && cut < len(s); i++ {
			_, size := utf8.DecodeRuneInString(s[cut:])
			cut += size
		}
	}
	cut = clusterStart(s, cut)
	if r, _ := utf8.DecodeRuneInString(s[cut:]); !unicode.IsSpace(r) {
		if ws := strings.LastIndexFunc(s[:cut], unicode.IsSpace); ws > 0 && ws >= cut/2 {
			cut = ws
		}
	}
	out := strings.TrimRightFunc(s[:cut], func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-", r)
	})
	return out + ellipsis
}

// clusterStart moves cut back until it does not split a user-perceived
// character: no combining mark, joiner, variation selector or emoji
// modifier starts the rest, no joiner ends the kept part, and no flag's
// pair of regional indicators is split.
func clusterStart(s string, cut int) int {
	for cut > 0 && cut < len(s) {
		next, _ := utf8.DecodeRuneInString(s[cut:])
		prev, size := utf8.DecodeLastRuneInString(s[:cut])
		switch {
		case extends(next), prev == '\u200d':
			cut -= size
		case isRegionalIndicator(next) && isRegionalIndicator(prev):
			// Count the indicators before cut: an odd count splits a pair.
			k, i := 0, cut
			for i > 0 {
				r, sz := utf8.DecodeLastRuneInString(s[:i])
				if !isRegionalIndicator(r) {
					break
				}
				k, i = k+1, i-sz
			}
			if k%2 == 0 {
				return cut
			}
			cut -= size
		default:
			return cut
		}
	}
	return cut
}

// extends reports whether r attaches to the character before it.
func extends(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc) ||
		r == '\u200d' || // zero width joiner
		(r >= '\ufe00' && r <= '\ufe0f') || // variation selectors
		(r >= 0x1f3fb && r <= 0x1f3ff) || // emoji skin tones
		(r >= 0xe0020 && r <= 0xe007f) // emoji tag sequences
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

// HTMLToText returns a rule that turns the HTML in the field at path into
// plain text (see HTMLText), for targets that show descriptions as text.
func HTMLToText[T any](path string) (Rule[T], error) {
	acc, err := valueField[T](path, "html_to_text")
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, item *T) error {
		if v := acc.get(item); v != "" {
			if out := HTMLText(v); out != v {
				acc.set(item, out)
			}
		}
		return nil
	}, nil
}

// HTMLText returns the text of an HTML fragment: entities decoded,
// whitespace (non-breaking spaces included) collapsed to single spaces,
// block elements on their own lines with a blank line after paragraphs,
// headings, tables and top-level lists, <br> as a line break, list items as
// "- " (numbered "1. " in ordered lists, indented two spaces per nesting
// level), table cells joined by " | ", <pre> kept verbatim, and the content
// of script, style, template, svg and similar elements dropped. Malformed
// HTML is read as browsers would tokenize it; nothing fails.
func HTMLText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	w := textWriter{lineStart: true}
	var (
		skip      atom.Atom // element whose content is dropped
		skipDepth int
		pre       int
		lists     []listState
		cells     int
	)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.b.String()
		case html.TextToken:
			if skip != 0 {
				continue
			}
			if pre > 0 {
				w.raw(z.Text())
			} else {
				w.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skip != 0 {
				if a == skip && tt == html.StartTagToken {
					skipDepth++
				}
				continue
			}
			if dropped(a) {
				if tt == html.StartTagToken {
					skip, skipDepth = a, 1
				}
				continue
			}
			switch a {
			case atom.Br:
				w.breaks = min(w.breaks+1, 2)
			case atom.Ul, atom.Ol:
				w.brk(listBreak(len(lists)))
				if tt == html.StartTagToken {
					lists = append(lists, listState{ordered: a == atom.Ol})
				}
			case atom.Li:
				w.brk(1)
				marker := "- "
				if k := len(lists); k > 0 {
					l := &lists[k-1]
					l.n++
					if l.ordered {
						marker = fmt.Sprintf("%d. ", l.n)
					}
					marker = strings.Repeat("  ", k-1) + marker
				}
				w.prefix = marker
			case atom.Tr:
				w.brk(1)
				cells = 0
			case atom.Td, atom.Th:
				if cells > 0 {
					w.sep = " | "
				}
				cells++
			case atom.Pre:
				w.brk(2)
				if tt == html.StartTagToken {
					pre++
				}
			default:
				w.brk(blockBreak(a))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skip != 0 {
				if a == skip {
					if skipDepth--; skipDepth == 0 {
						skip = 0
					}
				}
				continue
			}
			switch a {
			case atom.Ul, atom.Ol:
				if len(lists) > 0 {
					lists = lists[:len(lists)-1]
				}
				w.brk(listBreak(len(lists)))
			case atom.Li:
				w.brk(1)
				w.prefix = ""
			case atom.Pre:
				if pre > 0 {
					pre--
				}
				w.brk(2)
			default:
				w.brk(blockBreak(a))
			}
		}
	}
}

type listState struct {
	ordered bool
	n       int
}

// dropped reports whether an element's content is not text a reader sees.
func dropped(a atom.Atom) bool {
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Title,
		atom.Svg, atom.Math, atom.Iframe, atom.Object, atom.Select, atom.Textarea:
		return true
	}
	return false
}

// listBreak is the break around a list at nesting depth: a paragraph
// around a top-level list, a line around a nested one.
func listBreak(depth int) int {
	if depth == 0 {
		return 2
	}
	return 1
}

// blockBreak is the number of line breaks an element's start and end
// force: 2 for paragraphs, 1 for other blocks, 0 for inline elements.
func blockBreak(a atom.Atom) int {
	switch a {
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote,
		atom.Table, atom.Hr, atom.Dl, atom.Figure, atom.Address, atom.Fieldset, atom.Form:
		return 2
	case atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Nav, atom.Aside,
		atom.Main, atom.Dt, atom.Dd, atom.Figcaption, atom.Caption, atom.Details, atom.Summary,
		atom.Body, atom.Html, atom.Center, atom.Legend:
		return 1
	}
	return 0
}

// textWriter collects text, holding back spaces, breaks and list markers
// until text follows them, so that no line starts or ends with a space and
// no break is doubled.
type textWriter struct {
	b         strings.Builder
	breaks    int    // line breaks due before the next text, at most 2
	space     bool   // a space is due before the next text
	lineStart bool   // the output is at the start of a line
	prefix    string // a list marker due at the start of the next line
	sep       string // a cell separator due before the next text
}

func (w *textWriter) brk(n int) { w.breaks = max(w.breaks, n) }

func (w *textWriter) flush() {
	if w.breaks > 0 {
		if w.b.Len() > 0 {
			w.b.WriteString("\n\n"[:w.breaks])
			w.lineStart = true
		}
		w.breaks = 0
	}
	switch {
	case w.lineStart:
		w.b.WriteString(w.prefix)
		w.lineStart = false
	case w.sep != "":
		w.b.WriteString(w.sep)
	case w.space:
		w.b.WriteByte(' ')
	}
	w.prefix, w.sep, w.space = "", "", false
}

func (w *textWriter) text(t []byte) {
	for len(t) > 0 {
		r, size := utf8.DecodeRune(t)
		if unicode.IsSpace(r) {
			w.space = true
		} else {
			w.flush()
			w.b.Write(t[:size])
		}
		t = t[size:]
	}
}

func (w *textWriter) raw(t []byte) {
	if len(t) == 0 {
		return
	}
	w.flush()
	w.b.Write(t)
	w.lineStart = t[len(t)-1] == '\n'
}

// Require returns a rule that fails an item whose field at path is empty or
// blank with a *kontor.ValidationError, for fields the target needs that
// kontor's Validate leaves optional (a customer group for an ERP's posting
// rules).
func Require[T any](path string) (Rule[T], error) {
	acc, err := fieldAccess[T](path)
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, item *T) error {
		if strings.TrimSpace(acc.get(item)) == "" {
			e, key := itemInfo(item)
			return &kontor.ValidationError{Entity: e, Key: key, Field: path, Reason: "is required"}
		}
		return nil
	}, nil
}

// Validate returns a rule that runs the item's own Validate, so a mapping
// can check its output before the target sees it: GTIN check digits, VAT
// ID shapes, non-negative stock. Call it as Validate[kontor.Product]().
func Validate[T any, PT interface {
	*T
	Validate() error
}]() Rule[T] {
	return func(_ context.Context, item *T) error { return PT(item).Validate() }
}

// Enrich returns fn as a rule. Enrichment is any rule that looks data up
// rather than transforming what the item carries: a customer's ERP debtor
// number, a product's stock-keeping unit from the ERP, a category tree.
// Such a rule takes the context for its I/O, returns a *MissingError when
// a reference has no counterpart, so the engine replays the item later,
// and follows Rule's copy-on-write contract.
func Enrich[T any](fn func(ctx context.Context, item *T) error) Rule[T] { return fn }
