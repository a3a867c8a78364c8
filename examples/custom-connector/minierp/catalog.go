package minierp

import (
	"context"
	"iter"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// The wire types mirror minierp's JSON exactly; amounts and quantities are
// strings there and are parsed in the mapping, where a bad value can be
// named with its item and field.

type article struct {
	ID          string    `json:"id"`
	SKU         string    `json:"sku"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	EAN         string    `json:"ean"`
	Unit        string    `json:"unit"`
	WeightKg    string    `json:"weight_kg"`
	Status      string    `json:"status"`
	Variants    []variant `json:"variants"`
	Version     int64     `json:"version"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type variant struct {
	SKU     string `json:"sku"`
	Name    string `json:"name"`
	EAN     string `json:"ean"`
	Options []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"options"`
}

type price struct {
	ID        string    `json:"id"`
	SKU       string    `json:"sku"`
	PriceList string    `json:"price_list"`
	Currency  string    `json:"currency"`
	Amount    string    `json:"amount"`
	InclVAT   bool      `json:"incl_vat"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

type stock struct {
	ID        string    `json:"id"`
	SKU       string    `json:"sku"`
	Warehouse string    `json:"warehouse"`
	Available string    `json:"available"`
	OnHand    string    `json:"on_hand"`
	Reserved  string    `json:"reserved"`
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ReadProducts streams the articles changed at or after since.Since, with
// their variants, in minierp's (updated_at, SKU) order.
func (c *Connector) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	return list(ctx, c, "/api/products", since, productFrom)
}

// ReadPrices streams the price list entries changed at or after
// since.Since; a named price list becomes the price's customer group.
func (c *Connector) ReadPrices(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Price, error] {
	return list(ctx, c, "/api/prices", since, priceFrom)
}

// ReadStock streams the stock levels changed at or after since.Since, one
// per SKU and warehouse.
func (c *Connector) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return list(ctx, c, "/api/stock", since, stockFrom)
}

// productStatus maps minierp's article status.
var productStatus = map[string]kontor.ProductStatus{
	"active":       kontor.ProductActive,
	"inactive":     kontor.ProductDraft,
	"discontinued": kontor.ProductDiscontinued,
}

func productFrom(a article) (kontor.Product, error) {
	p := kontor.Product{
		Meta:        meta(a.ID, a.Version, a.UpdatedAt),
		SKU:         a.SKU,
		Title:       a.Name,
		Description: a.Description,
		GTIN:        a.EAN,
		Unit:        a.Unit,
	}
	status, ok := productStatus[a.Status]
	if !ok {
		return p, invalid(kontor.EntityProduct, a.SKU, "status", "is not active, inactive or discontinued")
	}
	p.Status = status
	if a.WeightKg != "" {
		w, err := decimal.NewFromString(a.WeightKg)
		if err != nil {
			return p, invalid(kontor.EntityProduct, a.SKU, "weight_kg", "is not a decimal")
		}
		p.Weight = &kontor.Measure{Value: w, Unit: "kg"}
	}
	for _, v := range a.Variants {
		kv := kontor.Variant{SKU: v.SKU, Title: v.Name, GTIN: v.EAN}
		for _, o := range v.Options {
			kv.Options = append(kv.Options, kontor.OptionValue{Name: o.Name, Value: o.Value})
			if !slices.Contains(p.Options, o.Name) {
				p.Options = append(p.Options, o.Name)
			}
		}
		p.Variants = append(p.Variants, kv)
	}
	return p, nil
}

func priceFrom(w price) (kontor.Price, error) {
	p := kontor.Price{
		Meta:          meta(w.ID, w.Version, w.UpdatedAt),
		SKU:           w.SKU,
		CustomerGroup: w.PriceList,
		IncludesTax:   w.InclVAT,
	}
	amount, err := decimal.NewFromString(w.Amount)
	if err != nil {
		return p, invalid(kontor.EntityPrice, p.Key(), "amount", "is not a decimal")
	}
	p.List = kontor.Money{Amount: amount, Currency: kontor.Currency(w.Currency)}
	return p, nil
}

func stockFrom(w stock) (kontor.StockLevel, error) {
	s := kontor.StockLevel{Meta: meta(w.ID, w.Version, w.UpdatedAt), SKU: w.SKU, Location: w.Warehouse}
	for _, q := range []struct {
		field string
		text  string
		into  *decimal.Decimal
	}{{"available", w.Available, &s.Available}, {"on_hand", w.OnHand, &s.OnHand}, {"reserved", w.Reserved, &s.Reserved}} {
		d, err := decimal.NewFromString(q.text)
		if err != nil {
			return s, invalid(kontor.EntityStock, s.Key(), q.field, "is not a decimal")
		}
		*q.into = d
	}
	return s, nil
}
