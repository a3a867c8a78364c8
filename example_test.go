package kontor_test

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

func ExampleOrder_Validate() {
	o := sampleOrder()
	o.Lines[1].Tax = eur("0.97") // 7 % of 11.21 is 0.78, and net + tax no longer makes gross
	err := o.Validate()

	var ve *kontor.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("entity:", ve.Entity, "key:", ve.Key, "field:", ve.Field)
	}
	fmt.Println(errors.Is(err, kontor.ErrValidation))
	fmt.Println(err)
	// Output:
	// entity: order key: #1042 field: lines[1].gross
	// true
	// order #1042: lines[1].gross: is 12, but net 11.21 + tax 0.97 = 12.18
	// order #1042: lines[1].tax: is 0.97, but 7 % of net 11.21 is 0.78
	// order #1042: total_tax: is 8.27, but the lines, shipping and fees add up to 8.45 (tolerance 0.05)
}

func ExampleMoney() {
	net := kontor.MustMoney("11.21", "EUR")
	tax := net.Mul(decimal.NewFromInt(7)).Mul(decimal.New(1, -2)).Round()
	gross, _ := net.Add(tax)
	fmt.Println(tax, gross)
	fmt.Println(gross.Equal(kontor.MustMoney("12", "EUR")))
	// Output:
	// 0.78 EUR 11.99 EUR
	// false
}

// A connector implements the small interfaces its system supports and
// declares them; Require is what the engine checks when a flow is set up.
type warehouse struct{ levels []kontor.StockLevel }

func (w *warehouse) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "warehouse", Reads: []kontor.Entity{kontor.EntityStock}}
}

func (w *warehouse) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return func(yield func(kontor.StockLevel, error) bool) {
		for _, l := range w.levels {
			if !l.UpdatedAt.Before(since.Since) && !yield(l, nil) {
				return
			}
		}
	}
}

func ExampleRequire() {
	w := &warehouse{levels: []kontor.StockLevel{sampleStock()}}
	fmt.Println(kontor.Require(w, kontor.EntityStock, kontor.Read))
	fmt.Println(kontor.Require(w, kontor.EntityOrder, kontor.Write))
	for level, err := range w.ReadStock(context.Background(), kontor.Cursor{}) {
		fmt.Println(level.Key(), level.Available, err)
	}
	// Output:
	// <nil>
	// warehouse cannot write order: not in its capabilities
	// TS-ORG-M-BL@MAIN 12.5 <nil>
}
