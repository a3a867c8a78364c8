package bctest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The methods in this file change the tenant the way its users do (a
// clerk creates an item, a warehouse posts a shipment), for tests to seed
// what a connector reads and to drive what it must notice. They are not
// API requests: the counters and injected faults do not apply. Their
// changes reach webhook subscribers like those of API requests. They act
// on the first company.

// Address is a postal address.
type Address struct {
	Line1, Line2, City, State, CountryCode, PostalCode string
}

// Item is an item (a product) of the item master.
type Item struct {
	ID                    string // assigned when empty
	Number                string // the item no. (the SKU); required
	DisplayName           string
	Type                  string // Inventory (default), Service or Non-Inventory
	ItemCategoryCode      string // created when unknown
	Blocked               bool
	GTIN                  string
	UnitPrice             decimal.Decimal
	PriceIncludesTax      bool
	UnitCost              decimal.Decimal
	TaxGroupCode          string // created when unknown
	BaseUnitOfMeasureCode string // created when unknown; default PCS
	Variants              []ItemVariant
	Picture               *Picture

	// Set by the fake.
	Inventory    decimal.Decimal // over all locations and variants
	LastModified time.Time
	ETag         string
}

// ItemVariant is a variant of an item. The standard API has no price,
// GTIN or stock of its own for a variant.
type ItemVariant struct {
	ID          string
	Code        string
	Description string
}

// Picture is an item's picture.
type Picture struct {
	ContentType string
	Content     []byte
	Width       int // set by the fake from PNG, JPEG and GIF content
	Height      int
}

// Location is a warehouse location.
type Location struct {
	ID          string
	Code        string
	DisplayName string
	Address     Address
}

// Customer is a customer (debtor).
type Customer struct {
	ID                    string
	Number                string // assigned from the number series when empty
	DisplayName           string
	Type                  string // Company (default) or Person
	Address               Address
	PhoneNumber           string
	Email                 string
	Website               string
	TaxRegistrationNumber string
	TaxLiable             bool
	CurrencyCode          string
	Blocked               string // " " (default), Ship, Invoice or All

	LastModified time.Time
	ETag         string
}

// Stock is the inventory of an item (and variant) at a location; "" is
// the blank location.
type Stock struct {
	ItemNumber   string
	VariantCode  string
	LocationCode string
	Quantity     decimal.Decimal
}

func (s *Server) seedCtx(fn func(c *wctx) error) error {
	s.mu.Lock()
	tx := s.begin()
	c := &wctx{s: s, tx: tx, co: s.st.companies[0]}
	err := fn(c)
	s.mu.Unlock()
	s.commit(tx)
	return err
}

// ensureCode creates a code in a setup table when it is missing.
func (s *Server) ensureCode(c *wctx, set, code string) {
	if code == "" || findByCode(c.table(set), code) != nil {
		return
	}
	id := s.st.newID()
	c.save(s.types[set], &record{id: id, vals: map[string]any{"id": id, "code": strings.ToUpper(code), "displayName": code}}, "created")
}

func asError(e *apiError) error {
	if e == nil {
		return nil
	}
	return fmt.Errorf("bctest: %s: %s", e.code, e.message)
}

// PutItem creates the item with it.Number, or replaces the one that
// exists (keeping its id and inventory), with its variants and picture,
// and returns it as stored. Unknown category, tax group and unit codes
// are created.
func (s *Server) PutItem(it Item) (Item, error) {
	if strings.TrimSpace(it.Number) == "" {
		return Item{}, fmt.Errorf("bctest: PutItem: Number is required")
	}
	var out Item
	err := s.seedCtx(func(c *wctx) error {
		if it.BaseUnitOfMeasureCode == "" {
			it.BaseUnitOfMeasureCode = "PCS"
		}
		s.ensureCode(c, setCategories, it.ItemCategoryCode)
		s.ensureCode(c, setTaxGroups, it.TaxGroupCode)
		s.ensureCode(c, setUnits, it.BaseUnitOfMeasureCode)
		et := s.types[setItems]
		old := findBy(c.table(setItems), "number", it.Number)
		rec := &record{vals: map[string]any{}}
		kind := "created"
		if old != nil {
			rec, kind = old.clone(), "updated"
		} else {
			rec.id = it.ID
			if rec.id == "" {
				rec.id = s.st.newID()
			}
			rec.vals["id"] = rec.id
		}
		typ := it.Type
		if typ == "" {
			typ = "Inventory"
		}
		for k, v := range map[string]any{
			"number": strings.ToUpper(it.Number), "displayName": it.DisplayName, "type": typ,
			"itemCategoryCode": strings.ToUpper(it.ItemCategoryCode), "blocked": it.Blocked, "gtin": it.GTIN,
			"unitPrice": it.UnitPrice, "priceIncludesTax": it.PriceIncludesTax, "unitCost": it.UnitCost,
			"taxGroupCode": strings.ToUpper(it.TaxGroupCode), "baseUnitOfMeasureCode": strings.ToUpper(it.BaseUnitOfMeasureCode),
		} {
			rec.vals[k] = v
		}
		if err := s.resolveRefs(c, et, rec, old); err != nil {
			return asError(err)
		}
		c.save(et, rec, kind)
		if err := s.putVariants(c, rec, it.Variants); err != nil {
			return err
		}
		if it.Picture != nil {
			s.setPicture(c, rec, it.Picture.ContentType, it.Picture.Content)
		}
		out = s.itemView(c.co, c.table(setItems).rows[rec.id])
		return nil
	})
	return out, err
}

func (s *Server) putVariants(c *wctx, item *record, vs []ItemVariant) error {
	et := s.types[setItemVariants]
	existing := s.children(c.co, s.types[setItems].nav(setItemVariants), item)
	for _, v := range vs {
		if v.Code == "" {
			return fmt.Errorf("bctest: item %s: a variant needs a Code", getStr(item, "number"))
		}
		var rec *record
		for _, e := range existing {
			if strings.EqualFold(getStr(e, "code"), v.Code) {
				rec = e.clone()
			}
		}
		kind := "updated"
		if rec == nil {
			id := v.ID
			if id == "" {
				id = s.st.newID()
			}
			rec, kind = &record{id: id, vals: map[string]any{"id": id}}, "created"
		}
		rec.vals["itemId"], rec.vals["itemNumber"] = item.id, getStr(item, "number")
		rec.vals["code"], rec.vals["description"] = strings.ToUpper(v.Code), v.Description
		c.save(et, rec, kind)
	}
	return nil
}

// ChangeItem changes the item with number as a user editing the item card
// would: fn gets the item as stored and its changes are saved (Number,
// ID, Inventory and Variants are kept; use PutItem for variants and
// SetInventory for stock). Subscribers to items are notified.
func (s *Server) ChangeItem(number string, fn func(*Item)) (Item, error) {
	cur, ok := s.Item(number)
	if !ok {
		return Item{}, fmt.Errorf("bctest: ChangeItem: no item %q", number)
	}
	next := cur
	fn(&next)
	next.Number, next.ID, next.Variants = cur.Number, cur.ID, nil
	if next.Picture != nil && cur.Picture != nil && string(next.Picture.Content) == string(cur.Picture.Content) {
		next.Picture = nil
	}
	return s.PutItem(next)
}

// DeleteItem deletes the item with number, as a user would.
func (s *Server) DeleteItem(number string) error {
	return s.seedCtx(func(c *wctx) error {
		rec := findBy(c.table(setItems), "number", number)
		if rec == nil {
			return fmt.Errorf("bctest: DeleteItem: no item %q", number)
		}
		et := s.types[setItems]
		if err := s.beforeRemove(c, et, rec); err != nil {
			return asError(err)
		}
		c.drop(et, rec)
		return nil
	})
}

// PutLocation creates or replaces the location with l.Code.
func (s *Server) PutLocation(l Location) (Location, error) {
	if l.Code == "" {
		return Location{}, fmt.Errorf("bctest: PutLocation: Code is required")
	}
	var out Location
	err := s.seedCtx(func(c *wctx) error {
		rec := findByCode(c.table(setLocations), l.Code)
		if rec == nil {
			id := l.ID
			if id == "" {
				id = s.st.newID()
			}
			rec = &record{id: id, vals: map[string]any{"id": id}}
		} else {
			rec = rec.clone()
		}
		for k, v := range map[string]any{
			"code": strings.ToUpper(l.Code), "displayName": l.DisplayName, "addressLine1": l.Address.Line1,
			"addressLine2": l.Address.Line2, "city": l.Address.City, "state": l.Address.State,
			"country": strings.ToUpper(l.Address.CountryCode), "postalCode": strings.ToUpper(l.Address.PostalCode),
		} {
			rec.vals[k] = v
		}
		c.save(s.types[setLocations], rec, "updated")
		out = locationView(rec)
		return nil
	})
	return out, err
}

// SetInventory sets the stock of an item (and variant) at a location to
// st.Quantity by posting the difference as an item ledger entry (a
// positive or negative adjustment), as an item journal does. An unknown
// location is created. The item's inventory changes but, as in Business
// Central, not its lastModifiedDateTime or ETag, and items subscribers
// are not notified: a stock change is visible in itemLedgerEntries and in
// the extension's stockLevels (WithExtensionAPI), whose subscribers are
// notified.
func (s *Server) SetInventory(st Stock) error {
	return s.seedCtx(func(c *wctx) error {
		item := findBy(c.table(setItems), "number", st.ItemNumber)
		if item == nil {
			return fmt.Errorf("bctest: SetInventory: no item %q", st.ItemNumber)
		}
		if getStr(item, "type") != "Inventory" {
			return fmt.Errorf("bctest: SetInventory: item %q is of type %s, which has no inventory", st.ItemNumber, getStr(item, "type"))
		}
		if st.VariantCode != "" {
			found := false
			for _, v := range s.children(c.co, s.types[setItems].nav(setItemVariants), item) {
				found = found || strings.EqualFold(getStr(v, "code"), st.VariantCode)
			}
			if !found {
				return fmt.Errorf("bctest: SetInventory: item %q has no variant %q", st.ItemNumber, st.VariantCode)
			}
		}
		if st.LocationCode != "" && findByCode(c.table(setLocations), st.LocationCode) == nil {
			s.ensureCode(c, setLocations, st.LocationCode)
		}
		diff := st.Quantity.Sub(stockAt(c, getStr(item, "number"), st.VariantCode, st.LocationCode))
		typ := "Positive Adjmt."
		if diff.IsNegative() {
			typ = "Negative Adjmt."
		}
		s.postLedger(c, item, strings.ToUpper(st.VariantCode), strings.ToUpper(st.LocationCode), diff, typ, "", "ADJ", "")
		return nil
	})
}

// Inventory returns the stock of an item (and variant) at a location.
func (s *Server) Inventory(itemNumber, variantCode, locationCode string) decimal.Decimal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return stockAt(&wctx{s: s, co: s.st.companies[0]}, itemNumber, variantCode, locationCode)
}

// PutCustomer creates the customer with c.Number (or a new number), or
// replaces the one that exists, and returns it as stored.
func (s *Server) PutCustomer(cu Customer) (Customer, error) {
	var out Customer
	err := s.seedCtx(func(c *wctx) error {
		et := s.types[setCustomers]
		var old *record
		if cu.Number != "" {
			old = findBy(c.table(setCustomers), "number", cu.Number)
		}
		rec := &record{vals: map[string]any{}}
		kind := "created"
		if old != nil {
			rec, kind = old.clone(), "updated"
		} else {
			rec.id = cu.ID
			if rec.id == "" {
				rec.id = s.st.newID()
			}
			rec.vals["id"] = rec.id
		}
		for k, v := range map[string]any{
			"number": strings.ToUpper(cu.Number), "displayName": cu.DisplayName, "type": cu.Type,
			"addressLine1": cu.Address.Line1, "addressLine2": cu.Address.Line2, "city": cu.Address.City,
			"state": cu.Address.State, "country": strings.ToUpper(cu.Address.CountryCode), "postalCode": strings.ToUpper(cu.Address.PostalCode),
			"phoneNumber": cu.PhoneNumber, "email": cu.Email, "website": cu.Website,
			"taxRegistrationNumber": cu.TaxRegistrationNumber, "taxLiable": cu.TaxLiable,
			"currencyCode": strings.ToUpper(cu.CurrencyCode), "blocked": cu.Blocked,
		} {
			rec.vals[k] = v
		}
		if cu.Blocked == "" {
			rec.vals["blocked"] = " "
		}
		if !slices.Contains(et.prop("blocked").options, getStr(rec, "blocked")) {
			return fmt.Errorf("bctest: PutCustomer: Blocked %q is not one of \" \", Ship, Invoice, All", cu.Blocked)
		}
		if err := s.validateCustomer(c, et, rec, old); err != nil {
			return asError(err)
		}
		c.save(et, rec, kind)
		out = customerView(rec)
		return nil
	})
	return out, err
}

// SetTaxRate sets the tax percent of a tax group (a VAT product posting
// group), which sales lines of items in that group get. Default 0.
func (s *Server) SetTaxRate(taxGroupCode string, percent decimal.Decimal) {
	_ = s.seedCtx(func(c *wctx) error {
		s.ensureCode(c, setTaxGroups, taxGroupCode)
		s.st.taxRates = maps.Clone(s.st.taxRates)
		s.st.taxRates[strings.ToUpper(taxGroupCode)] = percent
		return nil
	})
}

// PutCode creates a code in a setup table: entitySet is one of
// unitsOfMeasure, itemCategories, taxGroups, shipmentMethods,
// paymentTerms, paymentMethods or locations. It returns the code's id.
func (s *Server) PutCode(entitySet, code, displayName string) (string, error) {
	switch entitySet {
	case setUnits, setCategories, setTaxGroups, setShipmentMethods, setPaymentTerms, setPaymentMethods, setLocations:
	default:
		return "", fmt.Errorf("bctest: PutCode: %q is not a setup table", entitySet)
	}
	var id string
	err := s.seedCtx(func(c *wctx) error {
		rec, kind := findByCode(c.table(entitySet), code), "updated"
		if rec == nil {
			nid := s.st.newID()
			rec, kind = &record{id: nid, vals: map[string]any{"id": nid, "code": strings.ToUpper(code)}}, "created"
		} else {
			rec = rec.clone()
		}
		rec.vals["displayName"] = displayName
		c.save(s.types[entitySet], rec, kind)
		id = rec.id
		return nil
	})
	return id, err
}

// ShipmentPosting says what PostShipment ships.
type ShipmentPosting struct {
	// The order, by its number or by the shop's order number
	// (externalDocumentNumber); one of the two.
	OrderNumber            string
	ExternalDocumentNumber string
	// Quantities by line sequence; nil ships every line's shipQuantity.
	Lines map[int]decimal.Decimal
	// Sales Shipment Header fields that API v2.0 does not expose; the
	// extension's shipmentTrackings (WithExtensionAPI) and Shipments show
	// them.
	PackageTrackingNumber    string
	ShippingAgentCode        string
	ShippingAgentServiceCode string
	ShipmentMethodCode       string // default: the order's shipment method
	PostingDate              string // "2006-01-02"; default today
}

// PostShipment posts a sales shipment for an order, as a warehouse does:
// it creates the salesShipment and its lines, raises the order lines'
// shippedQuantity, takes the items out of stock (item ledger entries of
// type Sale at the lines' locations), and notifies the order's
// subscribers (salesShipments is not webhook-enabled in Business Central;
// the extension's shipmentTrackings is).
func (s *Server) PostShipment(p ShipmentPosting) (Shipment, error) {
	var out Shipment
	err := s.seedCtx(func(c *wctx) error {
		ord, err := s.findOrder(c, p.OrderNumber, p.ExternalDocumentNumber)
		if err != nil {
			return err
		}
		if e := s.checkBlocked(c, ord); e != nil {
			return asError(e)
		}
		var qty map[string]decimal.Decimal
		if p.Lines != nil {
			qty = map[string]decimal.Decimal{}
			for _, l := range s.children(c.co, s.types[setOrders].nav(setOrderLines), ord) {
				if q, ok := p.Lines[int(getInt(l, "sequence"))]; ok {
					qty[l.id] = q
				}
			}
			if len(qty) != len(p.Lines) {
				return fmt.Errorf("bctest: PostShipment: order %s has no line with one of the sequences given", getStr(ord, "number"))
			}
		}
		sh, e := s.postShipment(c, ord, qty, shipInfo{
			trackingNumber: p.PackageTrackingNumber, agentCode: p.ShippingAgentCode,
			agentServiceCode: p.ShippingAgentServiceCode, methodCode: p.ShipmentMethodCode, postingDate: p.PostingDate,
		})
		if e != nil {
			return asError(e)
		}
		out = s.shipmentView(c.co, sh)
		return nil
	})
	return out, err
}

func (s *Server) findOrder(c *wctx, number, external string) (*record, error) {
	switch {
	case number != "":
		if r := findBy(c.table(setOrders), "number", number); r != nil {
			return r, nil
		}
		return nil, fmt.Errorf("bctest: no sales order %q", number)
	case external != "":
		if r := findBy(c.table(setOrders), "externalDocumentNumber", external); r != nil {
			return r, nil
		}
		return nil, fmt.Errorf("bctest: no sales order with externalDocumentNumber %q", external)
	}
	return nil, fmt.Errorf("bctest: give an order number or an external document number")
}

// SetSalesOrderStatus sets an order's status (Draft, In Review, Open,
// Released), as releasing it in the client does.
func (s *Server) SetSalesOrderStatus(number, status string) error {
	return s.seedCtx(func(c *wctx) error {
		ord, err := s.findOrder(c, number, "")
		if err != nil {
			return err
		}
		et := s.types[setOrders]
		if !slices.Contains(et.prop("status").options, status) {
			return fmt.Errorf("bctest: SetSalesOrderStatus: %q is not a status", status)
		}
		r := ord.clone()
		r.vals["status"] = status
		c.save(et, r, "updated")
		return nil
	})
}

// InvoiceOrder posts a sales invoice for what the order with number has
// shipped and not yet invoiced (PostShipment ships), as posting the order
// with the Invoice option does, and returns it: status Open, the whole
// amount remaining, the order's lines with the quantities invoiced, its
// customer, addresses and externalDocumentNumber, and orderId and
// orderNumber. An order then completely shipped and invoiced is deleted,
// as posting does. Subscribers of salesInvoices and salesOrders are
// notified. It fails when there is nothing to invoice or the customer is
// blocked for invoicing.
func (s *Server) InvoiceOrder(number string) (Invoice, error) {
	var out Invoice
	err := s.seedCtx(func(c *wctx) error {
		ord, err := s.findOrder(c, number, "")
		if err != nil {
			return err
		}
		inv, e := s.invoiceOrder(c, ord)
		if e != nil {
			return asError(e)
		}
		s.deleteIfDone(c, ord.id)
		out = s.invoiceView(c.co, inv)
		return nil
	})
	return out, err
}

// PayInvoice records a payment of amount for the posted invoice with
// number, as applying a customer payment does: remainingAmount goes down,
// and the invoice is Paid when nothing is left. It fails for a draft, a
// canceled invoice, or an amount that is not positive or more than what
// is left. Subscribers of salesInvoices are notified.
func (s *Server) PayInvoice(number string, amount decimal.Decimal) (Invoice, error) {
	var out Invoice
	err := s.seedCtx(func(c *wctx) error {
		inv := findBy(c.table(setInvoices), "number", number)
		if inv == nil {
			return fmt.Errorf("bctest: no sales invoice %q", number)
		}
		if e := s.payInvoice(c, inv, amount); e != nil {
			return asError(e)
		}
		out = s.invoiceView(c.co, c.table(setInvoices).rows[inv.id])
		return nil
	})
	return out, err
}

// SetInvoicePaid pays what is left of the posted invoice with number: its
// status becomes Paid and remainingAmount 0, and subscribers of
// salesInvoices are notified. An invoice already paid stays as it is (no
// change, no notification).
func (s *Server) SetInvoicePaid(number string) error {
	return s.seedCtx(func(c *wctx) error {
		inv := findBy(c.table(setInvoices), "number", number)
		if inv == nil {
			return fmt.Errorf("bctest: no sales invoice %q", number)
		}
		if getStr(inv, "status") == "Paid" {
			return nil
		}
		return asError(s.payInvoice(c, inv, getDec(inv, "remainingAmount")))
	})
}
