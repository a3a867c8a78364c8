package kontortest

import (
	"context"
	"iter"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// item is what the read checks need of any entity.
type item struct {
	key  string
	meta kontor.Meta
}

// orderRef is the order a sample of a shipment, return or status update
// refers to: SampleOrder(i) as the system behind the connector has it.
type orderRef struct {
	number string      // the order's number in the system
	keys   kontor.Meta // its keys there, for OrderKeys; zero when unknown
}

// sampleRef refers to SampleOrder(i) by its own number.
func sampleRef(i int) orderRef { return orderRef{number: SampleOrder(i).Number} }

// spec is one entity as the checks see it, whatever its Go type.
type spec struct {
	entity kontor.Entity
	// read returns the connector's read of the entity as items, or false
	// when it has no reader.
	read func(conn kontor.Connector, ctx context.Context, since kontor.Cursor) (iter.Seq2[item, error], bool)
	// write writes samples i (their invalid variant where invalid[k]) for
	// the orders ref(i), or reports false when the connector has no writer.
	write func(conn kontor.Connector, ctx context.Context, is []int, invalid []bool, ref func(int) orderRef) ([]kontor.Result, bool, error)
	// key is the key of sample i for the order ref.
	key func(i int, ref orderRef) string
	// needsOrders says sample i refers to SampleOrder(i), which must exist.
	needsOrders bool
	// skus are the SKUs of products sample i names, which the system may
	// need to sell before it takes the sample (Features.PrepareCatalog).
	skus func(i int) []string
}

// keyed is an entity type: a pointer to it has Key.
type keyed[T any] interface {
	*T
	Key() string
}

func makeSpec[T any, P keyed[T]](e kontor.Entity, needsOrders bool, skus func(i int) []string,
	meta func(*T) kontor.Meta, sample, invalid func(i int, ref orderRef) T,
	reader func(kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[T, error], bool),
	writer func(kontor.Connector) (func(context.Context, []T) ([]kontor.Result, error), bool),
) spec {
	return spec{
		entity:      e,
		needsOrders: needsOrders,
		skus:        skus,
		key:         func(i int, ref orderRef) string { v := sample(i, ref); return P(&v).Key() },
		read: func(conn kontor.Connector, ctx context.Context, since kontor.Cursor) (iter.Seq2[item, error], bool) {
			read, ok := reader(conn)
			if !ok {
				return nil, false
			}
			seq := read(ctx, since)
			return func(yield func(item, error) bool) {
				// Forward everything as it comes, also what a faulty
				// connector yields after an error, so the checks see it.
				for v, err := range seq {
					if err != nil {
						if !yield(item{}, err) {
							return
						}
						continue
					}
					if !yield(item{key: P(&v).Key(), meta: meta(&v)}, nil) {
						return
					}
				}
			}, true
		},
		write: func(conn kontor.Connector, ctx context.Context, is []int, bad []bool, ref func(int) orderRef) ([]kontor.Result, bool, error) {
			write, ok := writer(conn)
			if !ok {
				return nil, false, nil
			}
			batch := make([]T, len(is))
			for k, i := range is {
				if bad != nil && bad[k] {
					batch[k] = invalid(i, ref(i))
				} else {
					batch[k] = sample(i, ref(i))
				}
			}
			rs, err := write(ctx, batch)
			return rs, true, err
		},
	}
}

// Samples that name products, by the SKUs they name.
var (
	noSKUs        func(int) []string
	firstVariant  = func(i int) []string { return []string{SampleProduct(i).Variants[0].SKU} }
	orderLineSKUs = func(i int) []string {
		var skus []string
		for _, l := range SampleOrder(i).Lines {
			skus = append(skus, l.SKU)
		}
		return skus
	}
	returnLineSKUs = func(i int) []string {
		var skus []string
		for _, l := range SampleReturn("", i).Lines {
			skus = append(skus, l.SKU)
		}
		return skus
	}
)

// noRef adapts a sample builder that refers to no order.
func noRef[T any](f func(int) T) func(int, orderRef) T {
	return func(i int, _ orderRef) T { return f(i) }
}

func shipmentFor(i int, ref orderRef) kontor.Shipment {
	s := SampleShipment(ref.number, i)
	s.OrderKeys = ref.keys
	return s
}

func returnFor(i int, ref orderRef) kontor.Return {
	r := SampleReturn(ref.number, i)
	r.OrderKeys = ref.keys
	return r
}

func statusFor(i int, ref orderRef) kontor.StatusUpdate {
	s := SampleStatusUpdate(ref.number, i)
	s.OrderKeys = ref.keys
	return s
}

// specs lists every entity in the order flows run.
var specs = []spec{
	makeSpec(kontor.EntityProduct, false, noSKUs, func(p *kontor.Product) kontor.Meta { return p.Meta },
		noRef(SampleProduct), noRef(func(i int) kontor.Product { p := SampleProduct(i); p.Title = ""; return p }),
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.Product, error], bool) {
			r, ok := c.(kontor.ProductReader)
			return asRead(r, ok, kontor.ProductReader.ReadProducts)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.Product) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.ProductWriter)
			return asWrite(w, ok, kontor.ProductWriter.WriteProducts)
		}),
	makeSpec(kontor.EntityPrice, false, firstVariant, func(p *kontor.Price) kontor.Meta { return p.Meta },
		noRef(SamplePrice), noRef(func(i int) kontor.Price { p := SamplePrice(i); p.List = p.List.Neg(); return p }),
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.Price, error], bool) {
			r, ok := c.(kontor.PriceReader)
			return asRead(r, ok, kontor.PriceReader.ReadPrices)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.Price) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.PriceWriter)
			return asWrite(w, ok, kontor.PriceWriter.WritePrices)
		}),
	makeSpec(kontor.EntityStock, false, firstVariant, func(s *kontor.StockLevel) kontor.Meta { return s.Meta },
		noRef(SampleStock), noRef(func(i int) kontor.StockLevel { s := SampleStock(i); s.Available = decimal.NewFromInt(-1); return s }),
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.StockLevel, error], bool) {
			r, ok := c.(kontor.StockReader)
			return asRead(r, ok, kontor.StockReader.ReadStock)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.StockLevel) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.StockWriter)
			return asWrite(w, ok, kontor.StockWriter.WriteStock)
		}),
	makeSpec(kontor.EntityCustomer, false, noSKUs, func(c *kontor.Customer) kontor.Meta { return c.Meta },
		noRef(SampleCustomer), noRef(func(i int) kontor.Customer { c := SampleCustomer(i); c.Type = "consumer"; return c }),
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.Customer, error], bool) {
			r, ok := c.(kontor.CustomerReader)
			return asRead(r, ok, kontor.CustomerReader.ReadCustomers)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.Customer) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.CustomerWriter)
			return asWrite(w, ok, kontor.CustomerWriter.WriteCustomers)
		}),
	makeSpec(kontor.EntityOrder, false, orderLineSKUs, func(o *kontor.Order) kontor.Meta { return o.Meta },
		noRef(SampleOrder), noRef(func(i int) kontor.Order {
			o := SampleOrder(i)
			o.TotalGross.Amount = o.TotalGross.Amount.Add(decimal1)
			return o
		}),
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.Order, error], bool) {
			r, ok := c.(kontor.OrderReader)
			return asRead(r, ok, kontor.OrderReader.ReadOrders)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.Order) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.OrderWriter)
			return asWrite(w, ok, kontor.OrderWriter.WriteOrders)
		}),
	makeSpec(kontor.EntityShipment, true, noSKUs, func(s *kontor.Shipment) kontor.Meta { return s.Meta },
		shipmentFor,
		func(i int, ref orderRef) kontor.Shipment {
			s := shipmentFor(i, ref)
			s.Tracking[0].Number = ""
			return s
		},
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.Shipment, error], bool) {
			r, ok := c.(kontor.ShipmentReader)
			return asRead(r, ok, kontor.ShipmentReader.ReadShipments)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.Shipment) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.ShipmentWriter)
			return asWrite(w, ok, kontor.ShipmentWriter.WriteShipments)
		}),
	makeSpec(kontor.EntityReturn, true, returnLineSKUs, func(r *kontor.Return) kontor.Meta { return r.Meta },
		returnFor,
		// No lines and nothing refunded: neither goods nor an amount-only
		// credit.
		func(i int, ref orderRef) kontor.Return {
			r := returnFor(i, ref)
			r.Lines, r.Refund.Amount = nil, decimal.Zero
			return r
		},
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.Return, error], bool) {
			r, ok := c.(kontor.ReturnReader)
			return asRead(r, ok, kontor.ReturnReader.ReadReturns)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.Return) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.ReturnWriter)
			return asWrite(w, ok, kontor.ReturnWriter.WriteReturns)
		}),
	makeSpec(kontor.EntityStatus, true, noSKUs, func(s *kontor.StatusUpdate) kontor.Meta { return s.Meta },
		statusFor,
		func(i int, ref orderRef) kontor.StatusUpdate { s := statusFor(i, ref); s.OrderStatus = ""; return s },
		func(c kontor.Connector) (func(context.Context, kontor.Cursor) iter.Seq2[kontor.StatusUpdate, error], bool) {
			r, ok := c.(kontor.StatusReader)
			return asRead(r, ok, kontor.StatusReader.ReadStatusUpdates)
		},
		func(c kontor.Connector) (func(context.Context, []kontor.StatusUpdate) ([]kontor.Result, error), bool) {
			w, ok := c.(kontor.StatusWriter)
			return asWrite(w, ok, kontor.StatusWriter.WriteStatusUpdates)
		}),
}

// asRead binds a reader's method to it.
func asRead[R, T any](r R, ok bool, m func(R, context.Context, kontor.Cursor) iter.Seq2[T, error]) (func(context.Context, kontor.Cursor) iter.Seq2[T, error], bool) {
	if !ok {
		return nil, false
	}
	return func(ctx context.Context, c kontor.Cursor) iter.Seq2[T, error] { return m(r, ctx, c) }, true
}

// asWrite binds a writer's method to it.
func asWrite[W, T any](w W, ok bool, m func(W, context.Context, []T) ([]kontor.Result, error)) (func(context.Context, []T) ([]kontor.Result, error), bool) {
	if !ok {
		return nil, false
	}
	return func(ctx context.Context, items []T) ([]kontor.Result, error) { return m(w, ctx, items) }, true
}

// decimal1 is one euro, what the invalid sample order's total is off by.
var decimal1 = decimal.NewFromInt(1)
