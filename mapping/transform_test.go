package mapping

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kontor-dev/kontor"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestRoundPrices(t *testing.T) {
	sale := kontor.MustMoney("15.125", "EUR")
	in := kontor.Price{
		SKU:  "TS-ORG-M",
		List: kontor.MustMoney("19.994999", "EUR"),
		Sale: &sale,
		Tiers: []kontor.PriceTier{
			{MinQuantity: dec("10"), Amount: kontor.MustMoney("14.005", "EUR")},
			{MinQuantity: dec("50"), Amount: kontor.MustMoney("-1.005", "EUR")},
		},
	}
	out, err := New("prices@1", RoundPrices()).Map(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, "19.99", out.List.Amount.String())
	assert.Equal(t, "15.13", out.Sale.Amount.String(), "half away from zero")
	assert.Equal(t, "14.01", out.Tiers[0].Amount.Amount.String())
	assert.Equal(t, "-1.01", out.Tiers[1].Amount.Amount.String())
	assert.Equal(t, "15.125", in.Sale.Amount.String(), "the source's sale price is untouched")
	assert.Equal(t, "14.005", in.Tiers[0].Amount.Amount.String(), "the source's tiers are untouched")

	yen, err := New("prices@1", RoundPrices()).Map(context.Background(), kontor.Price{SKU: "A", List: kontor.MustMoney("1999.5", "JPY")})
	require.NoError(t, err)
	assert.Equal(t, "2000", yen.List.Amount.String())
	kwd, err := New("prices@1", RoundPrices()).Map(context.Background(), kontor.Price{SKU: "A", List: kontor.MustMoney("1.23456", "KWD")})
	require.NoError(t, err)
	assert.Equal(t, "1.235", kwd.List.Amount.String())

	bad := in
	bad.Tiers = []kontor.PriceTier{{MinQuantity: dec("5"), Amount: kontor.MustMoney("1", "EURO")}}
	_, err = New("prices@1", RoundPrices()).Map(context.Background(), bad)
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, kontor.ValidationError{Entity: kontor.EntityPrice, Key: "TS-ORG-M", Field: "tiers[0].amount.currency",
		Reason: `currency code "EURO" is not three upper-case letters`}, *ve)
}

func TestConvertWeight(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ value, from, to, want string }{
		{"1", "lb", "kg", "0.45359237"},
		{"250", "g", "kg", "0.25"},
		{"1", "oz", "g", "28.349523125"},
		{"1", "lb", "oz", "16"},
		{"1", "oz", "lb", "0.0625"},
		{"0.25", "KG", "g", "250"},
		{"2", "kg", "lb", "4.409245243698"}, // 2000 / 453.59237, 12 places
		{"3", "g", "g", "3"},
	} {
		r, err := ConvertWeight(tc.to)
		require.NoError(t, err)
		out, err := New("w@1", r).Map(ctx, kontor.Product{SKU: "A", Weight: &kontor.Measure{Value: dec(tc.value), Unit: tc.from}})
		require.NoError(t, err)
		assert.True(t, out.Weight.Value.Equal(dec(tc.want)), "%s %s → %s: got %s, want %s", tc.value, tc.from, tc.to, out.Weight.Value, tc.want)
		assert.Equal(t, tc.to, out.Weight.Unit)
	}
	r, err := ConvertWeight("kg")
	require.NoError(t, err)
	in := testProduct()
	out, err := New("w@1", r).Map(ctx, in)
	require.NoError(t, err)
	assert.True(t, out.Weight.Value.Equal(dec("0.25")))
	assert.Same(t, in.Variants[0].Weight, out.Variants[0].Weight, "a weight already in the unit is kept")
	assert.True(t, out.Variants[1].Weight.Value.Equal(dec("0.45359237")))
	assert.Equal(t, "g", in.Weight.Unit)
	assert.Equal(t, "lb", in.Variants[1].Weight.Unit)

	in.Variants[1].Weight = &kontor.Measure{Value: dec("1"), Unit: "stone"}
	_, err = New("w@1", r).Map(ctx, in)
	assert.EqualError(t, err, `product TS-ORG: variants[1].weight.unit: is "stone", want one of g, kg, lb, oz`)
	_, err = ConvertWeight("t")
	assert.EqualError(t, err, `mapping: convert weight: unit "t", want one of g, kg, lb, oz`)
}

func TestConvertDimensions(t *testing.T) {
	ctx := context.Background()
	r, err := ConvertDimensions("cm")
	require.NoError(t, err)
	p := kontor.Product{SKU: "A", Dimensions: &kontor.Dimensions{Length: dec("10"), Width: dec("2"), Height: dec("0.5"), Unit: "in"}}
	out, err := New("d@1", r).Map(ctx, p)
	require.NoError(t, err)
	assert.True(t, out.Dimensions.Length.Equal(dec("25.4")), out.Dimensions.Length.String())
	assert.True(t, out.Dimensions.Width.Equal(dec("5.08")), out.Dimensions.Width.String())
	assert.True(t, out.Dimensions.Height.Equal(dec("1.27")), out.Dimensions.Height.String())
	assert.Equal(t, "cm", out.Dimensions.Unit)
	assert.Equal(t, "in", p.Dimensions.Unit)

	rm, _ := ConvertDimensions("m")
	out, err = New("d@1", rm).Map(ctx, kontor.Product{Dimensions: &kontor.Dimensions{Length: dec("1234"), Unit: "mm"}})
	require.NoError(t, err)
	assert.True(t, out.Dimensions.Length.Equal(dec("1.234")))
	rin, _ := ConvertDimensions("in")
	out, err = New("d@1", rin).Map(ctx, kontor.Product{Dimensions: &kontor.Dimensions{Length: dec("127"), Unit: "mm"}})
	require.NoError(t, err)
	assert.True(t, out.Dimensions.Length.Equal(dec("5")))

	_, err = New("d@1", r).Map(ctx, kontor.Product{SKU: "B", Dimensions: &kontor.Dimensions{Unit: "ft"}})
	assert.EqualError(t, err, `product B: dimensions.unit: is "ft", want one of mm, cm, m, in`)
	_, err = ConvertDimensions("yd")
	assert.Error(t, err)
}

func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		opts []LimitOption
		want string
	}{
		{"kurz", 10, nil, "kurz"},
		{"Bio-T-Shirt aus Baumwolle", 20, nil, "Bio-T-Shirt aus"},
		{"Bio-T-Shirt aus Baumwolle", 20, []LimitOption{Ellipsis("…")}, "Bio-T-Shirt aus…"},
		{"Bio-T-Shirt aus Baumwolle", 20, []LimitOption{Ellipsis("...")}, "Bio-T-Shirt aus..."},
		{"Donaudampfschifffahrt", 10, nil, "Donaudampf"},
		{"Ab Donaudampfschifffahrt", 10, nil, "Ab Donauda"}, // the space would keep less than half
		{"Größe, Farbe: Grün", 15, []LimitOption{Ellipsis("…")}, "Größe, Farbe…"},
		{"üüüüüü", 4, nil, "üüüü"},
		{"üüüüüü", 5, []LimitOption{InBytes()}, "üü"},
		{"a😀😀", 6, []LimitOption{InBytes()}, "a😀"},
		{"a😀😀", 4, []LimitOption{InBytes()}, "a"},
		{"😀😀😀", 2, nil, "😀😀"},
		{"Tee 🍵 ist gut", 5, nil, "Tee 🍵"},
		{"Tee 🍵 ist gut", 4, nil, "Tee"},
		{"u\u0308u\u0308u\u0308", 3, nil, "u\u0308"}, // combining diaeresis stays with its u
		{"ab👍🏽cd", 3, nil, "ab"},                     // emoji with skin tone is one character
		{"x👩\u200d💻y", 3, nil, "x"},                  // ZWJ sequence kept whole
		{"🇩🇪🇦🇹🇨🇭", 3, nil, "🇩🇪"},                     // a flag is two regional indicators
		{"🇩🇪🇦🇹🇨🇭", 4, nil, "🇩🇪🇦🇹"},
		{"abcdef", 0, nil, ""},
	} {
		got := Shorten(tc.in, tc.n, tc.opts...)
		assert.Equal(t, tc.want, got, "Shorten(%q, %d)", tc.in, tc.n)
		assert.True(t, utf8.ValidString(got), "%q", got)
	}
}

func TestLimitNeverSplitsRunes(t *testing.T) {
	s := strings.Repeat("äöü😀ß ", 20)
	for n := 1; n < 60; n++ {
		for _, opts := range [][]LimitOption{nil, {InBytes()}, {Ellipsis("…")}, {InBytes(), Ellipsis("…")}} {
			c := limitConfig{}
			for _, o := range opts {
				o(&c)
			}
			if n <= c.length(c.ellipsis) {
				continue
			}
			got := Shorten(s, n, opts...)
			require.True(t, utf8.ValidString(got), "n=%d %q", n, got)
			require.LessOrEqual(t, c.length(got), n, "n=%d %q", n, got)
			require.True(t, strings.HasPrefix(s, strings.TrimSuffix(got, c.ellipsis)), "n=%d %q", n, got)
		}
	}
}

func TestLimitRule(t *testing.T) {
	r, err := Limit[kontor.Order]("billing.street", 12, Ellipsis("."))
	require.NoError(t, err)
	in := testOrder()
	in.Billing.Street = "Heidestraße 17a Hinterhaus"
	out, err := New("o@1", r).Map(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, "Heidestraße.", out.Billing.Street)
	assert.Equal(t, "Heidestraße 17a Hinterhaus", in.Billing.Street)

	_, err = Limit[kontor.Order]("billing.street", 1, Ellipsis("..."))
	assert.EqualError(t, err, `mapping: limit billing.street: 1 leaves no room for the text beside the ellipsis "..."`)
	_, err = Limit[kontor.Order]("street", 10)
	assert.EqualError(t, err, `mapping: order has no field "street"`)
}

func TestHTMLText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "  just   text\n here ", "just text here"},
		{"entities", "Fair &amp; nachhaltig &ndash; 100&nbsp;% Baumwolle &lt;3 &#x1F600; &auml;", "Fair & nachhaltig – 100 % Baumwolle <3 😀 ä"},
		{"paragraphs", "<p>Erster Absatz.</p><p>Zweiter\n   Absatz.</p>", "Erster Absatz.\n\nZweiter Absatz."},
		{"br", "Zeile 1<br>Zeile 2<br/>Zeile 3<br><br>Zeile 5", "Zeile 1\nZeile 2\nZeile 3\n\nZeile 5"},
		{"inline", "Das <b>beste</b> <i>Shirt</i>, <a href=\"/x\">hier</a>.", "Das beste Shirt, hier."},
		{"script and style", "<style>p{color:red}</style><p>Text</p><script>alert('<p>x</p>')</script><noscript>JS!</noscript>", "Text"},
		{"nested lists", `<h2>Details</h2>
<ul>
  <li>Material
    <ul>
      <li>95 % Baumwolle</li>
      <li>5 % Elasthan</li>
    </ul>
  </li>
  <li>Pflege: 30 °C</li>
</ul>
<p>Mehr &raquo;</p>`, "Details\n\n- Material\n  - 95 % Baumwolle\n  - 5 % Elasthan\n- Pflege: 30 °C\n\nMehr »"},
		{"ordered", "<ol><li>Auspacken</li><li>Anziehen</li></ol>", "1. Auspacken\n2. Anziehen"},
		{"table", "<table><tr><th>Größe</th><th>Brust</th></tr><tr><td>M</td><td>100 cm</td></tr></table>", "Größe | Brust\nM | 100 cm"},
		{"divs", "<div>A</div><div><div>B</div></div>C", "A\nB\nC"},
		{"pre", "<p>Code:</p><pre>a  b\n  c</pre><p>Ende</p>", "Code:\n\na  b\n  c\n\nEnde"},
		{"document", "<!DOCTYPE html><html><head><title>Titel</title><meta charset=utf-8></head><body><h1>Shirt</h1><!-- comment --><p>Gut.</p></body></html>", "Shirt\n\nGut."},
		{"unclosed", "<p>eins<p>zwei<li>drei", "eins\n\nzwei\n- drei"},
		{"nested svg", "a<svg><svg><text>x</text></svg><text>y</text></svg>b", "ab"},
		{"empty", "", ""},
		{"only tags", "<p></p><br><div> </div>", ""},
	} {
		assert.Equal(t, tc.want, HTMLText(tc.in), tc.name)
	}
}

func TestHTMLToTextRule(t *testing.T) {
	r, err := HTMLToText[kontor.Product]("short_description")
	require.NoError(t, err)
	in := kontor.Product{ShortDescription: "<p>Kurz &amp; gut</p>"}
	out, err := New("p@1", r).Map(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, "Kurz & gut", out.ShortDescription)
	_, err = HTMLToText[kontor.Product]("body")
	assert.Error(t, err)
}

func TestRequireAndValidate(t *testing.T) {
	ctx := context.Background()
	req, err := Require[kontor.Order]("customer.customer_group")
	require.NoError(t, err)
	in := testOrder()
	in.Customer.Email = "erika@example.de"
	_, err = New("o@1", req).Map(ctx, in)
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, kontor.ValidationError{Entity: kontor.EntityOrder, Key: "1042", Field: "customer.customer_group", Reason: "is required"}, *ve)
	assert.ErrorIs(t, err, kontor.ErrValidation)
	assert.NotContains(t, err.Error(), "erika")
	in.Customer.CustomerGroup = "B2C-DE"
	_, err = New("o@1", req).Map(ctx, in)
	assert.NoError(t, err)
	_, err = Require[kontor.Order]("customer.group")
	assert.EqualError(t, err, `mapping: order has no field "customer.group"`)

	v := Validate[kontor.Product]()
	_, err = New("p@1", v).Map(ctx, testProduct())
	require.NoError(t, err)
	bad := testProduct()
	bad.GTIN = "4006381333932"
	_, err = New("p@1", v).Map(ctx, bad)
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "gtin", ve.Field)
	assert.Equal(t, "TS-ORG", ve.Key)

	calls := 0
	enrich := Enrich(func(_ context.Context, o *kontor.Order) error {
		calls++
		o.Customer.Number = "D-10001"
		return nil
	})
	out, err := New("o@1", enrich).Map(ctx, testOrder())
	require.NoError(t, err)
	assert.Equal(t, "D-10001", out.Customer.Number)
	assert.Equal(t, 1, calls)
}
