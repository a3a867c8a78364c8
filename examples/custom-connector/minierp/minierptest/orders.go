package minierptest

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// createOrder books a POSTed order. The caller holds the lock.
func (s *Server) createOrder(body []byte) reply {
	var o Order
	if rep, ok := decode(body, &o); !ok {
		return rep
	}
	if st := s.failKeys[o.ExternalNumber]; st != 0 && o.ExternalNumber != "" {
		return s.injected(st)
	}
	if field, reason := checkOrder(&o); field != "" {
		return errorTarget(http.StatusUnprocessableEntity, "validation_failed", field+": "+reason, field)
	}
	if old, dup := s.orders[o.ExternalNumber]; dup {
		return errorReply(http.StatusConflict, "duplicate_external_number",
			fmt.Sprintf("sales order %s already has external number %q", old.ID, o.ExternalNumber))
	}
	return jsonReply(http.StatusCreated, s.book(o))
}

// book stores a new order. The caller holds the lock.
func (s *Server) book(o Order) Order {
	o = clone(o)
	o.ID = s.nextID("SO")
	o.Status = "open"
	o.UpdatedAt, o.Version = s.stamp()
	o.CreatedAt = o.UpdatedAt
	s.orders[o.ExternalNumber] = o
	return clone(o)
}

// checkOrder returns the first field minierp refuses and why.
func checkOrder(o *Order) (field, reason string) {
	switch {
	case o.ExternalNumber == "":
		return "external_number", "is required"
	case utf8.RuneCountInString(o.ExternalNumber) > maxExternalLen:
		return "external_number", "exceeds 35 characters"
	case len(o.Currency) != 3 || strings.ToUpper(o.Currency) != o.Currency:
		return "currency", "must be an ISO 4217 code"
	case o.OrderDate.IsZero():
		return "order_date", "is required"
	case o.Customer.Type != "person" && o.Customer.Type != "company":
		return "customer.type", "must be person or company"
	case len(o.BillTo.Country) != 2:
		return "bill_to.country", "must be an ISO 3166-1 alpha-2 code"
	case o.ShipTo != nil && len(o.ShipTo.Country) != 2:
		return "ship_to.country", "must be an ISO 3166-1 alpha-2 code"
	case len(o.Lines) == 0:
		return "lines", "an order needs at least one line"
	}
	for i, l := range o.Lines {
		f := fmt.Sprintf("lines[%d].", i)
		if l.SKU == "" {
			return f + "sku", "is required"
		}
		if q, err := decimal.NewFromString(l.Quantity); err != nil || !q.IsPositive() || !q.IsInteger() {
			return f + "quantity", "must be a whole number greater than 0"
		}
		if field := firstNotDecimal(f, "unit_price", l.UnitPrice, "vat_rate", l.VATRate, "net", l.Net, "vat", l.VAT, "gross", l.Gross); field != "" {
			return field, "must be a decimal string"
		}
	}
	for i, c := range o.Shipping {
		if field := firstNotDecimal(fmt.Sprintf("shipping[%d].", i), "vat_rate", c.VATRate, "net", c.Net, "vat", c.VAT, "gross", c.Gross); field != "" {
			return field, "must be a decimal string"
		}
	}
	for i, d := range o.Discounts {
		if field := firstNotDecimal(fmt.Sprintf("discounts[%d].", i), "amount", d.Amount); field != "" {
			return field, "must be a decimal string"
		}
	}
	if field := firstNotDecimal("", "total_net", o.TotalNet, "total_vat", o.TotalVAT, "total_gross", o.TotalGross); field != "" {
		return field, "must be a decimal string"
	}
	return "", ""
}

// firstNotDecimal returns prefix+name of the first of the name, value
// pairs whose value is not a decimal.
func firstNotDecimal(prefix string, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if _, err := decimal.NewFromString(pairs[i+1]); err != nil {
			return prefix + pairs[i]
		}
	}
	return ""
}

// AddOrder books o as if a user keyed it in: with the next ID, status open,
// a version and the time of the clock. It fails when the external number
// is taken; otherwise it does not validate.
func (s *Server) AddOrder(o Order) (Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, dup := s.orders[o.ExternalNumber]; dup {
		return Order{}, fmt.Errorf("minierp: sales order %s already has external number %q", old.ID, o.ExternalNumber)
	}
	return s.book(o), nil
}

// Ship posts a delivery of the order with the external number, with the
// carrier and the parcels' tracking: the shipment gets the next delivery
// note number ("DN-00001"), and the order becomes shipped.
func (s *Server) Ship(externalNumber, carrier string, tracking ...Tracking) (Shipment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[externalNumber]
	if !ok {
		return Shipment{}, errors.New("minierp: no sales order has external number " + externalNumber)
	}
	sh := Shipment{ID: s.nextID("SHP"), Number: s.nextID("DN"), OrderID: o.ID, ExternalNumber: externalNumber,
		Carrier: carrier, Tracking: slices.Clone(tracking)}
	sh.UpdatedAt, sh.Version = s.stamp()
	sh.ShippedAt = sh.UpdatedAt
	s.shipments[sh.Number] = sh
	o.Status = "shipped"
	o.UpdatedAt, o.Version = s.stamp()
	s.orders[externalNumber] = o
	return clone(sh), nil
}

// Orders returns the sales orders, oldest first.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Order, 0, len(s.orders))
	for _, o := range s.orders {
		out = append(out, clone(o))
	}
	slices.SortFunc(out, func(a, b Order) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Order returns the sales order with the external number.
func (s *Server) Order(externalNumber string) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[externalNumber]
	return clone(o), ok
}
