package kontor

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/shopspring/decimal"
)

// Fingerprints are 64-bit xxHash digests of an entity's content in a
// canonical binary form. They exclude Meta (keys, version, update time):
// an item that was touched but not changed keeps its fingerprint, so the
// engine writes it zero times. Decimals are hashed by value (1.5 and 1.50
// agree) and strings with their length, so no two different contents share
// an encoding. Fingerprints are stable across processes and releases of the
// same major version: the engine stores them.

// fingerprinter appends the canonical form into a pooled buffer.
type fingerprinter struct{ b []byte }

var fpPool = sync.Pool{New: func() any { return &fingerprinter{b: make([]byte, 0, 512)} }}

func fingerprint(f func(*fingerprinter)) uint64 {
	fp := fpPool.Get().(*fingerprinter)
	fp.b = fp.b[:0]
	f(fp)
	sum := xxhash.Sum64(fp.b)
	if cap(fp.b) <= 64<<10 {
		fpPool.Put(fp)
	}
	return sum
}

func (f *fingerprinter) uvarint(v uint64) { f.b = binary.AppendUvarint(f.b, v) }
func (f *fingerprinter) varint(v int64)   { f.b = binary.AppendVarint(f.b, v) }

func (f *fingerprinter) str(s string) {
	f.uvarint(uint64(len(s)))
	f.b = append(f.b, s...)
}

func (f *fingerprinter) boolean(v bool) {
	if v {
		f.b = append(f.b, 1)
	} else {
		f.b = append(f.b, 0)
	}
}

// dec writes a decimal by value: the coefficient stripped of trailing zeros
// and the exponent adjusted to match.
func (f *fingerprinter) dec(d decimal.Decimal) {
	if d.IsZero() {
		f.b = append(f.b, 0)
		return
	}
	if d.NumDigits() <= 18 {
		c, e := d.CoefficientInt64(), int64(d.Exponent())
		for c%10 == 0 {
			c /= 10
			e++
		}
		f.b = append(f.b, 1)
		f.varint(c)
		f.varint(e)
		return
	}
	f.b = append(f.b, 2)
	f.str(d.String())
}

func (f *fingerprinter) money(m Money) {
	f.dec(m.Amount)
	f.str(string(m.Currency))
}

func (f *fingerprinter) moneyPtr(m *Money) {
	f.boolean(m != nil)
	if m != nil {
		f.money(*m)
	}
}

func (f *fingerprinter) time(t time.Time) {
	if t.IsZero() {
		f.varint(math.MinInt64)
		return
	}
	f.varint(t.UnixNano())
}

func (f *fingerprinter) strs(ss []string) {
	f.uvarint(uint64(len(ss)))
	for _, s := range ss {
		f.str(s)
	}
}

func (f *fingerprinter) measure(m *Measure) {
	f.boolean(m != nil)
	if m != nil {
		f.dec(m.Value)
		f.str(m.Unit)
	}
}

func (f *fingerprinter) attributes(as []Attribute) {
	f.uvarint(uint64(len(as)))
	for _, a := range as {
		f.str(a.Name)
		f.str(a.Value)
	}
}

func (f *fingerprinter) address(a *Address) {
	f.str(a.Kind)
	f.str(a.FirstName)
	f.str(a.LastName)
	f.str(a.Company)
	f.str(a.Street)
	f.str(a.Street2)
	f.str(a.PostalCode)
	f.str(a.City)
	f.str(a.Region)
	f.str(a.Country)
	f.str(a.Phone)
	f.str(a.Email)
	f.str(a.VATID)
	f.boolean(a.IsDefault)
	f.str(a.Description)
}

// keys writes the keys of a referenced entity (an order a shipment belongs
// to): unlike the entity's own Meta they are content.
func (f *fingerprinter) keys(m Meta) {
	f.str(m.ERPKey)
	f.str(m.ShopKey)
}

// Fingerprint returns the hash of the product's content, variants
// included, without Meta.
func (p *Product) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(p.SKU)
		f.str(p.Title)
		f.str(p.Description)
		f.str(p.ShortDescription)
		f.str(p.GTIN)
		f.str(p.MPN)
		f.str(p.Brand)
		f.measure(p.Weight)
		f.boolean(p.Dimensions != nil)
		if d := p.Dimensions; d != nil {
			f.dec(d.Length)
			f.dec(d.Width)
			f.dec(d.Height)
			f.str(d.Unit)
		}
		f.str(p.TaxClass)
		f.str(p.Unit)
		f.str(string(p.Status))
		f.uvarint(uint64(len(p.Images)))
		for _, img := range p.Images {
			f.str(img.URL)
			f.str(img.Alt)
			f.varint(int64(img.Position))
		}
		f.strs(p.Categories)
		f.attributes(p.Attributes)
		f.strs(p.Options)
		f.uvarint(uint64(len(p.Variants)))
		for i := range p.Variants {
			v := &p.Variants[i]
			f.str(v.SKU)
			f.str(v.Title)
			f.str(v.GTIN)
			f.uvarint(uint64(len(v.Options)))
			for _, o := range v.Options {
				f.str(o.Name)
				f.str(o.Value)
			}
			f.measure(v.Weight)
			f.str(string(v.Status))
			f.attributes(v.Attributes)
			f.str(v.ImageURL)
		}
		f.strs(p.Tags)
		// Extra is a map: hash its entries in key order.
		f.uvarint(uint64(len(p.Extra)))
		if len(p.Extra) > 0 {
			for _, k := range sortedKeys(p.Extra) {
				f.str(k)
				f.str(p.Extra[k])
			}
		}
	})
}

// Fingerprint returns the hash of the price's content without Meta.
func (p *Price) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(p.SKU)
		f.str(p.CustomerGroup)
		f.money(p.List)
		f.moneyPtr(p.Sale)
		f.boolean(p.IncludesTax)
		f.uvarint(uint64(len(p.Tiers)))
		for _, t := range p.Tiers {
			f.dec(t.MinQuantity)
			f.money(t.Amount)
		}
		f.time(p.ValidFrom)
		f.time(p.ValidTo)
	})
}

// Fingerprint returns the hash of the stock level's content without Meta.
func (s *StockLevel) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(s.SKU)
		f.str(s.Location)
		f.dec(s.Available)
		f.dec(s.OnHand)
		f.dec(s.Reserved)
		f.dec(s.Incoming)
		f.time(s.IncomingDate)
		f.varint(int64(s.LeadTimeDays))
		f.dec(s.SafetyStock)
	})
}

func (f *fingerprinter) customer(c *Customer) {
	f.str(c.Number)
	f.str(string(c.Type))
	f.str(c.Email)
	f.str(c.Phone)
	f.str(c.FirstName)
	f.str(c.LastName)
	f.str(c.Company)
	f.str(c.VATID)
	f.str(c.CustomerGroup)
	f.str(c.Language)
	f.uvarint(uint64(len(c.Addresses)))
	for i := range c.Addresses {
		f.address(&c.Addresses[i])
	}
	f.boolean(c.TaxExempt)
}

// Fingerprint returns the hash of the customer's content without Meta.
func (c *Customer) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) { f.customer(c) })
}

// Fingerprint returns the hash of the order's content without Meta; the
// lines' keys count as content.
func (o *Order) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(o.Number)
		f.str(o.Channel)
		f.time(o.PlacedAt)
		f.str(string(o.Currency))
		f.boolean(o.PricesIncludeTax)
		f.keys(o.Customer.Meta)
		f.customer(&o.Customer)
		f.address(&o.Billing)
		f.address(&o.Shipping)
		f.uvarint(uint64(len(o.Lines)))
		for i := range o.Lines {
			l := &o.Lines[i]
			f.keys(l.Meta)
			f.str(l.SKU)
			f.str(l.Title)
			f.dec(l.Quantity)
			f.money(l.UnitPrice)
			f.money(l.Discount)
			f.money(l.Net)
			f.money(l.Tax)
			f.money(l.Gross)
			f.dec(l.TaxRate)
		}
		f.uvarint(uint64(len(o.ShippingLines)))
		for _, s := range o.ShippingLines {
			f.str(s.Title)
			f.str(s.Code)
			f.str(s.Carrier)
			f.money(s.Net)
			f.money(s.Tax)
			f.money(s.Gross)
			f.dec(s.TaxRate)
		}
		f.uvarint(uint64(len(o.Discounts)))
		for _, d := range o.Discounts {
			f.str(d.Code)
			f.str(d.Title)
			f.money(d.Amount)
			f.boolean(d.Allocated)
		}
		f.money(o.TotalNet)
		f.money(o.TotalTax)
		f.money(o.TotalGross)
		f.str(o.Payment.Method)
		f.str(o.Payment.Gateway)
		f.str(string(o.Payment.Status))
		f.str(o.Payment.TransactionID)
		f.money(o.Payment.Amount)
		f.time(o.Payment.PaidAt)
		f.str(o.ShippingInfo.Method)
		f.str(o.ShippingInfo.Carrier)
		f.str(string(o.Status))
		f.str(string(o.PaymentStatus))
		f.str(o.Note)
		f.strs(o.Tags)
		// Fields added later come last and only when set, so the stored
		// fingerprints of orders without them stay valid. The canonical
		// form is self-delimiting, so appending keeps it unambiguous.
		if len(o.Fees) > 0 {
			f.uvarint(uint64(len(o.Fees)))
			for _, fl := range o.Fees {
				f.str(fl.Title)
				f.str(fl.Code)
				f.money(fl.Net)
				f.money(fl.Tax)
				f.money(fl.Gross)
				f.dec(fl.TaxRate)
			}
		}
	})
}

// Fingerprint returns the hash of the shipment's content without Meta.
func (s *Shipment) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(s.Number)
		f.str(s.OrderNumber)
		f.keys(s.OrderKeys)
		f.uvarint(uint64(len(s.Lines)))
		for _, l := range s.Lines {
			f.str(l.SKU)
			f.dec(l.Quantity)
			f.str(l.OrderLine)
		}
		f.str(s.Carrier)
		f.str(s.Service)
		f.uvarint(uint64(len(s.Tracking)))
		for _, t := range s.Tracking {
			f.str(t.Number)
			f.str(t.URL)
		}
		f.time(s.ShippedAt)
		f.boolean(s.NotifyCustomer)
	})
}

// Fingerprint returns the hash of the return's content without Meta.
func (r *Return) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(r.Number)
		f.str(r.OrderNumber)
		f.keys(r.OrderKeys)
		f.uvarint(uint64(len(r.Lines)))
		for _, l := range r.Lines {
			f.str(l.SKU)
			f.dec(l.Quantity)
			f.str(l.Reason)
			f.boolean(l.Restock)
			f.money(l.Refund)
		}
		f.str(r.Reason)
		f.money(r.Refund)
		f.str(string(r.Status))
		f.str(r.CreditNote)
		f.time(r.CreatedAt)
	})
}

// Fingerprint returns the hash of the status update's content without
// Meta.
func (s *StatusUpdate) Fingerprint() uint64 {
	return fingerprint(func(f *fingerprinter) {
		f.str(s.OrderNumber)
		f.str(string(s.OrderStatus))
		f.str(string(s.PaymentStatus))
		f.str(s.ReturnNumber)
		f.str(string(s.ReturnStatus))
		f.str(string(s.Source))
		f.time(s.At)
		f.str(s.Reason)
		// Added later: last and only when set (see Order.Fingerprint).
		if s.OrderKeys.ERPKey != "" || s.OrderKeys.ShopKey != "" {
			f.keys(s.OrderKeys)
		}
	})
}
