package mapping

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kontor-dev/kontor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readJSON[T any](t *testing.T, path string) T {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

func shortHash(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:4])
}

func TestLoadFileOrdersEndToEnd(t *testing.T) {
	m, err := LoadFile[kontor.Order]("testdata/orders.yaml")
	require.NoError(t, err)
	assert.Equal(t, "orders@3#"+shortHash(t, "testdata/orders.yaml"), m.Version())
	assert.Equal(t, 12, m.Len())

	in := readJSON[kontor.Order](t, "testdata/order.json")
	require.NoError(t, in.Validate(), "the fixture is a valid order")
	out, err := m.Map(context.Background(), in)
	require.NoError(t, err)

	want := readJSON[kontor.Order](t, "testdata/order.json")
	assert.Equal(t, want, in, "the source order is unchanged")

	want.Status = "RELEASED"
	want.Payment.Method = "PAYPAL"                       // case ignored
	want.ShippingInfo.Carrier = "DHL"                    // default "DHL Paket", then mapped
	want.Billing.Country = "DEU"                         // built-in alpha-3
	want.Shipping.Country = "AUT"                        //
	want.Customer.CustomerGroup = "ENDKUNDE"             // default, then required
	want.Billing.Street = "Heidestraße 17, Hinterhaus"   // 30 characters, cut at a space
	want.Note = "Bitte bei den Nachbarn im Erdgeschoss…" // 40 with the ellipsis
	want.Channel = "SHOP-DE"
	assert.Equal(t, want, out)

	in.Status = "partially_shipped"
	_, err = m.Map(context.Background(), in)
	assert.EqualError(t, err, `order #1042: status: no mapping for "partially_shipped" in table "order_status"`)
	assert.ErrorIs(t, err, ErrMissing)

	in = readJSON[kontor.Order](t, "testdata/order.json")
	in.Shipping.Country = "XK"
	in.ShippingInfo.Carrier = "Hermes"
	out, err = m.Map(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, "XKX", out.Shipping.Country, "the file's entry overrides the built-in one")
	assert.Equal(t, "OTHER", out.ShippingInfo.Carrier, "the table's default")
}

func TestLoadFileProductsEndToEnd(t *testing.T) {
	m, err := LoadFile[kontor.Product]("testdata/products.yaml")
	require.NoError(t, err)
	assert.Equal(t, "products@7#"+shortHash(t, "testdata/products.yaml"), m.Version())

	in := readJSON[kontor.Product](t, "testdata/product.json")
	out, err := m.Map(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, readJSON[kontor.Product](t, "testdata/product.json"), in, "the source product is unchanged")

	assert.Equal(t, "Grünwerk Organics", out.Brand)
	assert.Equal(t, []kontor.Attribute{{Name: "Material", Value: "Baumwolle"}}, out.Attributes)
	assert.Equal(t, []string{"Oberteile > Shirts"}, out.Categories)
	assert.Nil(t, out.Extra)
	assert.Equal(t, "standard", out.TaxClass)
	assert.Equal(t, "pcs", out.Unit)
	assert.Equal(t, "Weiches Bio-Shirt – fair & nachhaltig.", out.ShortDescription)
	assert.Equal(t, "Bio-T-Shirt aus Baumwolle mit…", out.Title)
	assert.Equal(t, "kg", out.Weight.Unit)
	assert.Equal(t, "0.25", out.Weight.Value.String())
	assert.Equal(t, "0.226796185", out.Variants[0].Weight.Value.String())
	assert.Nil(t, out.Variants[1].Weight)
	assert.Equal(t, "cm", out.Dimensions.Unit)
	assert.Equal(t, "30", out.Dimensions.Length.String())
	assert.Equal(t, "2.5", out.Dimensions.Height.String())

	// The last rule validates: a bad GTIN fails the product.
	in.GTIN = "4006381333932"
	_, err = m.Map(context.Background(), in)
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "gtin", ve.Field)

	// Without the brand attribute the default applies.
	in = readJSON[kontor.Product](t, "testdata/product.json")
	in.Attributes = in.Attributes[:1]
	out, err = m.Map(context.Background(), in)
	require.NoError(t, err)
	assert.Equal(t, "Grünwerk", out.Brand)
}

func TestLoadJSON(t *testing.T) {
	m, err := LoadFile[kontor.Price]("testdata/prices.json")
	require.NoError(t, err)
	assert.Equal(t, "prices@2024-05#"+shortHash(t, "testdata/prices.json"), m.Version())
	out, err := m.Map(context.Background(), kontor.Price{SKU: "A", CustomerGroup: "wholesale", List: kontor.MustMoney("10.005", "EUR")})
	require.NoError(t, err)
	assert.Equal(t, "HAENDLER", out.CustomerGroup)
	assert.Equal(t, "10.01", out.List.Amount.String())
	_, err = m.Map(context.Background(), kontor.Price{SKU: "A", CustomerGroup: "gold", List: kontor.MustMoney("1", "EUR")})
	assert.EqualError(t, err, `price A@gold: customer_group: no mapping for "gold" in table "group"`)
}

func TestLoadVersionFollowsContent(t *testing.T) {
	a := "version: 1\nentity: order\nrules:\n  - set: {field: channel, value: A}\n"
	m1, err := Load[kontor.Order]("conf/orders.yml", []byte(a))
	require.NoError(t, err)
	m2, err := Load[kontor.Order]("orders.yml", []byte(a))
	require.NoError(t, err)
	m3, err := Load[kontor.Order]("orders.yml", []byte(a+"# a comment\n"))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(m1.Version(), "orders@1#"), m1.Version())
	assert.Equal(t, m1.Version(), m2.Version(), "the directory is not part of the version")
	assert.NotEqual(t, m1.Version(), m3.Version(), "any edit changes the version")
	assert.Len(t, strings.TrimPrefix(m3.Version(), "orders@1#"), 8)

	m4, err := Load[kontor.Order]("orders.yml", []byte("version: 1\nentity: order\n"))
	require.NoError(t, err)
	assert.Equal(t, 0, m4.Len(), "a file without rules maps every item to itself")
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile[kontor.Order](filepath.Join(t.TempDir(), "nope.yaml"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// loadErrs loads src for T and returns its problems as "line field: message".
func loadErrs[T any](t *testing.T, src string) []string {
	t.Helper()
	_, err := Load[T]("orders.yaml", []byte(src))
	require.Error(t, err)
	var fes FileErrors
	require.ErrorAs(t, err, &fes, "%v", err)
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.ErrorIs(t, err, kontor.ErrPermanent)
	out := make([]string, len(fes))
	for i, e := range fes {
		assert.Equal(t, "orders.yaml", e.File)
		out[i] = strings.TrimPrefix(e.Error(), "orders.yaml:")
	}
	return out
}

func TestLoadErrorFormat(t *testing.T) {
	src := `version: 3
entity: order
values:
  order_status:
    map:
      pending: OPEN
rules:
  - map: {field: status, table: order_status}
  - default: {field: shipping_info.carrier, value: DHL}
  - html_to_text: {field: note}
  - limit:
      field: note
      max: ten
`
	_, err := Load[kontor.Order]("orders.yaml", []byte(src))
	assert.EqualError(t, err, `orders.yaml:13: rules[3].limit.max: want an integer, got "ten"`)
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, FileError{File: "orders.yaml", Line: 13, Column: 12, Field: "rules[3].limit.max", Message: `want an integer, got "ten"`}, *fe)
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(err))
}

func TestLoadErrors(t *testing.T) {
	head := "version: 1\nentity: order\n" // lines 1 and 2
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"unknown top-level key", head + "verison: 2\n",
			[]string{`3: verison: unknown key; want version, entity, values or rules (did you mean "version"?)`}},
		{"version missing", "entity: order\nrules: []\n",
			[]string{`1: version: is required: a number or word that changes with every edit, e.g. version: 3`}},
		{"version not a word", "version: 1 beta\nentity: order\n",
			[]string{`1: version: "1 beta": want a number or word of letters, digits, '.', '_' and '-'`}},
		{"version a list", "version: [1]\nentity: order\n",
			[]string{`1: version: want a string, got a list`}},
		{"entity missing", "version: 1\n",
			[]string{`1: entity: is required: the entity the rules map, here order`}},
		{"entity mismatch", "version: 1\nentity: product\n",
			[]string{`2: entity: is product, but the mapping is loaded for order items`}},
		{"entity unknown", "version: 1\nentity: ordr\n",
			[]string{`2: entity: unknown entity "ordr" (did you mean "order"?)`}},
		{"unknown rule kind", head + "rules:\n  - mapp: {field: status, table: x}\n",
			[]string{`4: rules[0].mapp: unknown rule kind "mapp"; want one of convert_dimensions, convert_weight, default, html_to_text, limit, map, rename, require, round_prices, set, validate (did you mean "map"?)`}},
		{"unknown key in a rule", head + "rules:\n  - limit: {field: note, max: 5, elipsis: \"…\"}\n",
			[]string{`4: rules[0].limit.elipsis: unknown key; want field, max, ellipsis, bytes (did you mean "ellipsis"?)`}},
		{"missing target", head + "rules:\n  - require: {field: customer.group}\n  - rename:\n      from: note\n      to: stauts\n",
			[]string{
				`4: rules[0].require.field: missing target: order has no field "customer.group"`,
				`7: rules[1].rename.to: missing target: order has no field "stauts" (did you mean "status"?)`,
			}},
		{"undefined table", head + "values:\n  order_status: {map: {pending: OPEN}}\nrules:\n  - map: {field: status, table: order_stat}\n",
			[]string{`6: rules[0].map.table: table "order_stat" is not defined under values (did you mean "order_status"?)`}},
		{"undefined table near a defined one", head + "values:\n  carrier: {map: {dhl: DHL}}\nrules:\n  - map: {field: shipping_info.carrier, table: carier}\n",
			[]string{`6: rules[0].map.table: table "carier" is not defined under values (did you mean "carrier"?)`}},
		{"bad value types", head + "values:\n  c:\n    map: {a: b}\n    ignore_case: yes\nrules:\n  - limit: {field: note, max: 1.5, bytes: 1}\n",
			[]string{
				`6: values.c.ignore_case: want true or false, got "yes"`,
				`8: rules[0].limit.max: want an integer, got "1.5"`,
				`8: rules[0].limit.bytes: want true or false, got "1"`,
			}},
		{"max not positive", head + "rules:\n  - limit: {field: note, max: 0}\n",
			[]string{`4: rules[0].limit.max: is 0, want a positive length`}},
		{"no room for the ellipsis", head + "rules:\n  - limit: {field: note, max: 2, ellipsis: \"...\"}\n",
			[]string{`4: rules[0].limit.max: limit note: 2 leaves no room for the text beside the ellipsis "..."`}},
		{"duplicate keys", head + "values:\n  s:\n    map:\n      pending: OPEN\n      pending: HOLD\nrules:\n  - set: {field: channel, value: a, value: b}\nversion: 2\n",
			[]string{
				`7: values.s.map.pending: duplicate key "pending", first at line 6`,
				`9: rules[0].set.value: duplicate key "value", first at line 9`,
				`10: version: duplicate key "version", first at line 1`,
			}},
		{"parameters not indented", head + "rules:\n  - map:\n    field: status\n    table: s\n",
			[]string{
				`4: rules[0].map.field: is required`,
				`4: rules[0].map.table: is required`,
				`5: rules[0].field: unexpected key beside the rule kind "map": a rule has one kind (are its parameters indented under it?)`,
				`6: rules[0].table: unexpected key beside the rule kind "map": a rule has one kind (are its parameters indented under it?)`,
			}},
		{"rule for another entity", head + "rules:\n  - round_prices: {}\n  - convert_weight: {unit: kg}\n",
			[]string{
				`4: rules[0].round_prices: applies to price mappings, not order`,
				`5: rules[1].convert_weight: applies to product mappings, not order`,
			}},
		{"null value", head + "values:\n  s:\n    map:\n      pending: OPEN\n      processing:\n",
			[]string{`7: values.s.map.processing: want a string, got nothing`}},
		{"case clash", head + "values:\n  s:\n    ignore_case: true\n    map:\n      Paid: A\n      paid: B\n",
			[]string{`8: values.s.map.paid: ignoring case, "paid" is the key "Paid" (line 7) but maps to "B", not "A"`}},
		{"table without entries", head + "values:\n  s: {default: X}\n",
			[]string{`4: values.s: a table needs map (its entries) or builtin`}},
		{"unknown builtin", head + "values:\n  c: {builtin: country_alpha2}\n",
			[]string{`4: values.c.builtin: unknown table "country_alpha2"; want one of country_alpha3, country_from_alpha3, units_rec20 (did you mean "country_alpha3"?)`}},
		{"unknown table key", head + "values:\n  c: {map: {a: b}, defualt: x}\n",
			[]string{`4: values.c.defualt: unknown key; want map, default, ignore_case, builtin (did you mean "default"?)`}},
		{"rules not a list", head + "rules: {map: {}}\n",
			[]string{`3: rules: want a list of rules, got a mapping`}},
		{"rule not a mapping", head + "rules:\n  - validate\n",
			[]string{`4: rules[0]: want a rule such as {map: {field: status, table: order_status}}, got "validate"`}},
		{"params not a mapping", head + "rules:\n  - require: status\n",
			[]string{`4: rules[0].require: want the parameters {field}, got "status"`}},
		{"params for a rule without any", head + "rules:\n  - validate: {strict: true}\n",
			[]string{`4: rules[0].validate.strict: unknown key; validate takes no parameters`}},
		{"top level not a mapping", "- version: 1\n",
			[]string{`1: want a mapping with version, entity, values and rules, got a list`}},
		{"syntax error", head + "rules:\n  - map: {field: status\n  - set: x\n",
			[]string{`4: did not find expected ',' or '}'`}}, // where the brace opens
		{"syntax error at the end", "version: [1\n", []string{`2: did not find expected ',' or ']'`}},
		{"scanner error", head + "rules: x\n  y: z\n", []string{`4: mapping values are not allowed in this context`}},
		{"unknown anchor", head + "rules: *nope\n", []string{` unknown anchor 'nope' referenced`}},
		{"second document", head + "---\nversion: 2\n",
			[]string{`3: a mapping file holds one YAML document; remove the second`}},
		{"empty", "", []string{` the file is empty; want version, entity and rules`}},
		{"comment only", "# nothing yet\n", []string{` the file is empty; want version, entity and rules`}},
		{"merge key", head + "values:\n  a: &a {map: {x: y}}\n  b:\n    <<: *a\n",
			[]string{`6: values.b.<<: merge keys (<<) are not supported; write the entries out`}},
		{"list field", head + "rules:\n  - limit: {field: tags, max: 3}\n  - rename: {from: tags, to: note}\n  - default: {field: tags, value: shop}\n",
			[]string{
				`4: rules[0].limit.field: tags is a list; only set, default, require and a move into it apply`,
				`5: rules[1].rename.from: tags is a list; only set, default, require and a move into it apply`,
			}},
		{"bad unit", "version: 1\nentity: order\nrules:\n  - convert_dimensions: {unit: ft}\n",
			[]string{`4: rules[0].convert_dimensions.unit: convert dimensions: unit "ft", want one of mm, cm, m, in`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, loadErrs[kontor.Order](t, tc.src))
		})
	}
}

func TestLoadCollectsAllErrors(t *testing.T) {
	src := `version: 4
entity: order
colour: blue
values:
  order_status:
    map:
      pending: OPEN
      pending: HOLD
  carrier: {map: {dhl: DHL}, default: [x]}
rules:
  - map: {field: status, table: order_status}
  - map: {field: stauts, table: order_status}
  - limit: {field: note, max: ten}
  - mapp: {}
  - default: {field: channel}
  - map: {field: shipping_info.carrier, table: carrier}
`
	assert.Equal(t, []string{
		`3: colour: unknown key; want version, entity, values or rules`,
		`8: values.order_status.map.pending: duplicate key "pending", first at line 7`,
		`9: values.carrier.default: want a string, got a list`,
		`12: rules[1].map.field: missing target: order has no field "stauts" (did you mean "status"?)`,
		`13: rules[2].limit.max: want an integer, got "ten"`,
		`14: rules[3].mapp: unknown rule kind "mapp"; want one of convert_dimensions, convert_weight, default, html_to_text, limit, map, rename, require, round_prices, set, validate (did you mean "map"?)`,
		`15: rules[4].default.value: is required`,
	}, loadErrs[kontor.Order](t, src), "a table with its own problems is not also reported as undefined")
}

func TestLoadForeignType(t *testing.T) {
	_, err := Load[struct{ A string }]("x.yaml", []byte("version: 1\n"))
	var fe *FileError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "struct { A string } is not a kontor entity type", fe.Message)
}

func TestLoadEveryEntity(t *testing.T) {
	ok := func(err error) { t.Helper(); assert.NoError(t, err) }
	_, err := Load[kontor.Customer]("c.yaml", []byte("version: 1\nentity: customer\nrules: [{require: {field: customer_group}}, {validate: }]\n"))
	ok(err)
	_, err = Load[kontor.Shipment]("s.yaml", []byte("version: 1\nentity: shipment\nrules: [{map: {field: carrier, table: c}}]\nvalues: {c: {map: {DHL: dhl}}}\n"))
	ok(err)
	_, err = Load[kontor.StockLevel]("s.yaml", []byte("version: 1\nentity: stock\nrules: [{default: {field: location, value: MAIN}}]\n"))
	ok(err)
	_, err = Load[kontor.Return]("r.yaml", []byte("version: 1\nentity: return\nrules: [{limit: {field: reason, max: 20}}]\n"))
	ok(err)
	_, err = Load[kontor.StatusUpdate]("s.yaml", []byte("version: 1\nentity: status\nrules: [{map: {field: order_status, table: s}}]\nvalues: {s: {map: {RELEASED: processing}}}\n"))
	ok(err)
	// A file's entries override a built-in table's, whatever their case.
	m, err := Load[kontor.Product]("p.yaml", []byte("version: 1\nentity: product\nvalues:\n  u:\n    builtin: units_rec20\n    map: {KG: KILO, Rolle: RO}\n  c:\n    builtin: country_alpha3\n    ignore_case: true\n    map: {de: GER}\nrules:\n  - map: {field: unit, table: u}\n  - map: {field: extra.origin, table: c}\n"))
	require.NoError(t, err)
	for _, tc := range []struct{ unit, origin, wantUnit, wantOrigin string }{
		{"kg", "DE", "KILO", "GER"}, {"ROLLE", "at", "RO", "AUT"}, {"Stk", "De", "H87", "GER"},
	} {
		out, err := m.Map(context.Background(), kontor.Product{Unit: tc.unit, Extra: map[string]string{"origin": tc.origin}})
		require.NoError(t, err)
		assert.Equal(t, tc.wantUnit, out.Unit)
		assert.Equal(t, tc.wantOrigin, out.Extra["origin"])
	}
	_, err = Load[kontor.Product]("p.yaml", []byte("version: 1\nentity: product\nvalues:\nrules:\n"))
	assert.NoError(t, err, "empty values and rules are allowed")

	// An alias may share a table.
	om, err := Load[kontor.Order]("o.yaml", []byte("version: 1\nentity: order\nvalues:\n  a: &t {map: {DE: D}}\n  b: *t\nrules:\n  - map: {field: billing.country, table: b}\n"))
	ok(err)
	out, err := om.Map(context.Background(), kontor.Order{Billing: kontor.Address{Country: "DE"}})
	require.NoError(t, err)
	assert.Equal(t, "D", out.Billing.Country)
}

func FuzzLoad(f *testing.F) {
	for _, name := range []string{"orders.yaml", "products.yaml", "prices.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("version: 1\nentity: order\nrules:\n  - map: {field: status, table: s}\nvalues: {s: {map: {a: b}, ignore_case: true, builtin: country_alpha3}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("{\"version\": 1, \"entity\": \"order\", \"rules\": [{\"limit\": {\"field\": \"note\", \"max\": 3}}]}"))
	f.Add([]byte("version: 1\nentity: product\nrules:\n  - limit: {field: title, max: 9223372036854775807, bytes: true}\n  - rename: {from: attributes.x, to: extra.y}\n"))
	f.Add([]byte("\xff\xfe"))
	order := readJSONF[kontor.Order](f, "testdata/order.json")
	product := readJSONF[kontor.Product](f, "testdata/product.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(err error) {
			if err == nil {
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error is not a *FileError: %T %v", err, err)
			}
		}
		om, err := Load[kontor.Order]("f.yaml", data)
		check(err)
		if err == nil {
			_, _ = om.Map(context.Background(), order)
		}
		pm, err := Load[kontor.Product]("f.yaml", data)
		check(err)
		if err == nil {
			_, _ = pm.Map(context.Background(), product)
		}
	})
}

func readJSONF[T any](f *testing.F, path string) T {
	data, err := os.ReadFile(path)
	require.NoError(f, err)
	var v T
	require.NoError(f, json.Unmarshal(data, &v))
	return v
}

func ExampleLoad() {
	src := `version: 2
entity: product
values:
  unit: {builtin: units_rec20}
rules:
  - map: {field: unit, table: unit}
  - limit: {field: title, max: 16, ellipsis: "…"}
`
	m, err := Load[kontor.Product]("products.yaml", []byte(src))
	if err != nil {
		panic(err)
	}
	out, err := m.Map(context.Background(), kontor.Product{Title: "Bio-T-Shirt aus Baumwolle", Unit: "Stk"})
	fmt.Println(out.Unit, out.Title, strings.HasPrefix(m.Version(), "products@2#"), err)

	_, err = Load[kontor.Product]("products.yaml", []byte(src+"  - limit: {field: brand, max: ten}\n"))
	fmt.Println(err)
	// Output:
	// H87 Bio-T-Shirt aus… true <nil>
	// products.yaml:8: rules[2].limit.max: want an integer, got "ten"
}

// BenchmarkFileOrders maps the sample order through testdata/orders.yaml:
// twelve rules from a file.
func BenchmarkFileOrders(b *testing.B) {
	m, err := LoadFile[kontor.Order]("testdata/orders.yaml")
	require.NoError(b, err)
	data, err := os.ReadFile("testdata/order.json")
	require.NoError(b, err)
	var o kontor.Order
	require.NoError(b, json.Unmarshal(data, &o))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Map(ctx, o); err != nil {
			b.Fatal(err)
		}
	}
}
