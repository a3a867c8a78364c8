package mapping

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kontor-dev/kontor"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testProduct returns a fresh product with variants, attributes, extra
// fields, weights and dimensions: every kind of memory a rule could share
// with its source.
func testProduct() kontor.Product {
	return kontor.Product{
		Meta:        kontor.Meta{ERPKey: "ITEM-1000", Version: 7},
		SKU:         "TS-ORG",
		Title:       "Bio-T-Shirt aus Baumwolle",
		Description: "<p>Weiches <b>Bio</b>-T-Shirt.</p><ul><li>100 % Baumwolle</li><li>Fair &amp; nachhaltig</li></ul>",
		GTIN:        "4006381333931",
		TaxClass:    "standard",
		Unit:        "Stk",
		Status:      kontor.ProductActive,
		Weight:      &kontor.Measure{Value: decimal.RequireFromString("250"), Unit: "g"},
		Dimensions:  &kontor.Dimensions{Length: decimal.RequireFromString("30"), Width: decimal.RequireFromString("20"), Height: decimal.RequireFromString("2"), Unit: "cm"},
		Images:      []kontor.Image{{URL: "https://cdn.example.com/ts.jpg", Position: 1}},
		Categories:  []string{"Damen > Shirts"},
		Attributes:  []kontor.Attribute{{Name: "Material", Value: "Baumwolle"}, {Name: "Marke", Value: "Grünwerk"}},
		Options:     []string{"Größe"},
		Variants: []kontor.Variant{
			{SKU: "TS-ORG-M", Title: "M", Options: []kontor.OptionValue{{Name: "Größe", Value: "M"}},
				Weight: &kontor.Measure{Value: decimal.RequireFromString("0.25"), Unit: "kg"}},
			{SKU: "TS-ORG-L", Title: "L", Options: []kontor.OptionValue{{Name: "Größe", Value: "L"}},
				Weight:     &kontor.Measure{Value: decimal.RequireFromString("1"), Unit: "lb"},
				Attributes: []kontor.Attribute{{Name: "Passform", Value: "regular"}}},
		},
		Tags:  []string{"bio"},
		Extra: map[string]string{"erp.item_category": "Oberteile", "erp_brand": "Grünwerk"},
	}
}

// mustRule returns r, or panics on a constructor error: for rule
// literals in tests.
func mustRule[T any](r Rule[T], err error) Rule[T] {
	if err != nil {
		panic(err)
	}
	return r
}

func TestRulesDoNotMutateTheSource(t *testing.T) {
	ctx := context.Background()
	tax, err := NewValueMap(TableTaxClass, map[string]string{"standard": "S19"})
	require.NoError(t, err)
	m := New("all@1",
		MapTaxClass(tax),
		MapUnit(UnitsRec20()),
		mustRule(MoveAttribute("Marke", "brand")),
		mustRule(Move[kontor.Product]("extra.erp.item_category", "categories")),
		mustRule(Set[kontor.Product]("extra.shop.synced", "yes")),
		mustRule(Set[kontor.Product]("attributes.Material", "Bio-Baumwolle")),
		mustRule(Set[kontor.Product]("tags", "neu")),
		mustRule(Limit[kontor.Product]("title", 10, Ellipsis("…"))),
		mustRule(HTMLToText[kontor.Product]("description")),
		mustRule(ConvertWeight("oz")),
		mustRule(ConvertDimensions("in")),
		EachVariant(func(_ context.Context, v *kontor.Variant) error {
			v.Title = "Größe " + v.Title
			v.Attributes = WithAttribute(v.Attributes, "Passform", "slim")
			return nil
		}),
	)
	in := testProduct()
	out, err := m.Map(ctx, in)
	require.NoError(t, err)
	if !reflect.DeepEqual(in, testProduct()) {
		t.Fatalf("mapping changed its input:\n got %+v\nwant %+v", in, testProduct())
	}
	// And the output has every change.
	assert.Equal(t, "S19", out.TaxClass)
	assert.Equal(t, "H87", out.Unit)
	assert.Equal(t, "Grünwerk", out.Brand)
	assert.Equal(t, []kontor.Attribute{{Name: "Material", Value: "Bio-Baumwolle"}}, out.Attributes)
	assert.Equal(t, []string{"Damen > Shirts", "Oberteile"}, out.Categories)
	assert.Equal(t, []string{"bio", "neu"}, out.Tags)
	assert.Equal(t, map[string]string{"erp_brand": "Grünwerk", "shop.synced": "yes"}, out.Extra)
	assert.Equal(t, "Bio-T-Shi…", out.Title)
	assert.Equal(t, "Weiches Bio-T-Shirt.\n\n- 100 % Baumwolle\n- Fair & nachhaltig", out.Description)
	assert.Equal(t, "oz", out.Weight.Unit)
	assert.Equal(t, "in", out.Dimensions.Unit)
	assert.Equal(t, "Größe M", out.Variants[0].Title)
	assert.Equal(t, "oz", out.Variants[0].Weight.Unit)
	assert.True(t, out.Variants[1].Weight.Value.Equal(decimal.NewFromInt(16)), "1 lb = %s oz", out.Variants[1].Weight.Value)
	assert.Equal(t, []kontor.Attribute{{Name: "Passform", Value: "slim"}}, out.Variants[1].Attributes)
	assert.Equal(t, []kontor.Attribute{{Name: "Passform", Value: "slim"}}, out.Variants[0].Attributes)
}

func TestRulesOrderAndFirstError(t *testing.T) {
	var calls []string
	step := func(name string, err error) Rule[kontor.Product] {
		return func(_ context.Context, p *kontor.Product) error {
			calls = append(calls, name)
			p.Title += name
			return err
		}
	}
	boom := errors.New("boom")
	m := New("p@1", step("a", nil), nil, step("b", nil))
	out, err := m.Map(context.Background(), kontor.Product{Title: ">"})
	require.NoError(t, err)
	assert.Equal(t, ">ab", out.Title)
	assert.Equal(t, 2, m.Len())
	assert.Equal(t, "p@1", m.Version())

	calls = nil
	m = New("p@2", step("a", nil), step("b", boom), step("c", nil))
	out, err = m.Map(context.Background(), kontor.Product{Title: ">"})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, []string{"a", "b"}, calls, "the rule after the failing one must not run")
	assert.Equal(t, kontor.Product{}, out, "a failed mapping returns the zero item")
}

func TestFuncAndChain(t *testing.T) {
	ctx := context.Background()
	upper := Func("upper@1", func(_ context.Context, p kontor.Product) (kontor.Product, error) {
		p.Title = strings.ToUpper(p.Title)
		return p, nil
	})
	suffix := New("suffix@2", func(_ context.Context, p *kontor.Product) error { p.Title += "!"; return nil })
	c := Chain[kontor.Product](upper, suffix)
	assert.Equal(t, "upper@1+suffix@2", c.Version())
	out, err := c.Map(ctx, kontor.Product{Title: "shirt"})
	require.NoError(t, err)
	assert.Equal(t, "SHIRT!", out.Title)

	// Chains flatten, so the version lists every part once.
	outer := Chain(c, Func[kontor.Product]("id@0", nil))
	assert.Equal(t, "upper@1+suffix@2+id@0", outer.Version())
	out, err = outer.Map(ctx, kontor.Product{Title: "x"})
	require.NoError(t, err)
	assert.Equal(t, "X!", out.Title)

	empty := Chain[kontor.Product]()
	assert.Equal(t, "", empty.Version())
	out, err = empty.Map(ctx, kontor.Product{Title: "same"})
	require.NoError(t, err)
	assert.Equal(t, "same", out.Title)

	fail := Func("fail@1", func(_ context.Context, p kontor.Product) (kontor.Product, error) {
		return p, &MissingError{Entity: kontor.EntityProduct, Key: p.SKU, Field: "unit", Table: "unit", Value: "XX"}
	})
	out, err = Chain(fail, suffix).Map(ctx, kontor.Product{SKU: "A", Title: "t"})
	assert.ErrorIs(t, err, ErrMissing)
	assert.Equal(t, kontor.Product{}, out)

	assert.Equal(t, "upper@1+suffix@2", VersionOf(c))
	assert.Equal(t, "suffix@2", VersionOf(suffix))
	assert.Equal(t, "", VersionOf(42))
}

func TestMissingError(t *testing.T) {
	e := &MissingError{Entity: kontor.EntityOrder, Key: "1042", Field: "lines[0].sku", Table: "skus", Value: "ABC"}
	assert.Equal(t, `order 1042: lines[0].sku: no mapping for "ABC" in table "skus"`, e.Error())
	assert.Equal(t, `no mapping for "ABC"`, (&MissingError{Value: "ABC"}).Error())
	assert.Equal(t, `product: unit: no mapping for "" in table "unit"`, (&MissingError{Entity: kontor.EntityProduct, Field: "unit", Table: "unit"}).Error())

	var err error = fmt.Errorf("flow products: %w", e)
	assert.ErrorIs(t, err, ErrMissing)
	assert.ErrorIs(t, err, kontor.ErrPermanent)
	assert.NotErrorIs(t, err, kontor.ErrValidation)
	assert.NotErrorIs(t, err, kontor.ErrRetryable)
	assert.Equal(t, kontor.KindPermanent, kontor.KindOf(err))
	assert.False(t, kontor.IsRetryable(err))
	assert.NotErrorIs(t, errors.New("other"), ErrMissing)
	var me *MissingError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, "skus", me.Table)
}

// BenchmarkRulesProduct maps a product with two variants through three
// typical rules: a tax class table, a brand default and a title limit.
func BenchmarkRulesProduct(b *testing.B) {
	tax, err := NewValueMap(TableTaxClass, map[string]string{"standard": "S19", "reduced": "R7"})
	require.NoError(b, err)
	m := New("products@1",
		MapTaxClass(tax),
		mustRule(SetDefault[kontor.Product]("brand", "Grünwerk")),
		mustRule(Limit[kontor.Product]("title", 100, Ellipsis("…"))),
	)
	p := testProduct()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := m.Map(ctx, p)
		if err != nil || out.TaxClass != "S19" {
			b.Fatal(out.TaxClass, err)
		}
	}
}

func TestRulesConcurrent(t *testing.T) {
	tax, err := NewValueMap(TableTaxClass, map[string]string{"standard": "S19"})
	require.NoError(t, err)
	m := New("products@1", MapTaxClass(tax), mustRule(Set[kontor.Product]("extra.n", "x")),
		EachVariant(func(_ context.Context, v *kontor.Variant) error { v.Title += "!"; return nil }))
	src := testProduct()
	done := make(chan error)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				out, err := m.Map(context.Background(), src)
				if err == nil && (out.TaxClass != "S19" || out.Variants[0].Title != "M!" || out.Extra["n"] != "x") {
					err = fmt.Errorf("wrong output %+v", out)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for g := 0; g < 4; g++ {
		require.NoError(t, <-done)
	}
	assert.Equal(t, testProduct(), src)
}

func ExampleNew() {
	status, _ := OrderStatusTable(map[kontor.OrderStatus]string{
		kontor.OrderPending:    "OPEN",
		kontor.OrderProcessing: "RELEASED",
	})
	carrier, _ := SetDefault[kontor.Order]("shipping_info.carrier", "DHL")
	m := New("orders@1", MapOrderStatus(status), carrier)

	out, err := m.Map(context.Background(), kontor.Order{Number: "1042", Status: kontor.OrderProcessing})
	fmt.Println(out.Status, out.ShippingInfo.Carrier, err)
	_, err = m.Map(context.Background(), kontor.Order{Number: "1043", Status: kontor.OrderOnHold})
	fmt.Println(err, errors.Is(err, ErrMissing))
	// Output:
	// RELEASED DHL <nil>
	// order 1043: status: no mapping for "on_hold" in table "order_status" true
}
