package bctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The accessors in this file show what the tenant holds, for assertions.
// They read the first company and are not API requests.

// SalesOrder is a sales order with its lines.
type SalesOrder struct {
	ID                      string
	Number                  string
	ExternalDocumentNumber  string // the shop's order number, upper case (a Code field)
	OrderDate               string
	PostingDate             string
	CustomerID              string
	CustomerNumber          string
	CustomerName            string
	BillToName              string
	ShipToName              string
	ShipToContact           string
	SellTo                  Address
	BillTo                  Address
	ShipTo                  Address
	CurrencyCode            string
	PricesIncludeTax        bool
	PaymentTermsID          string
	ShipmentMethodID        string
	Salesperson             string
	PartialShipping         bool
	RequestedDeliveryDate   string
	DiscountAmount          decimal.Decimal
	TotalAmountExcludingTax decimal.Decimal
	TotalTaxAmount          decimal.Decimal
	TotalAmountIncludingTax decimal.Decimal
	FullyShipped            bool
	Status                  string
	PhoneNumber             string
	Email                   string
	Lines                   []SalesLine
	LastModified            time.Time
	ETag                    string
}

// SalesLine is a line of a sales order or credit memo.
type SalesLine struct {
	ID                 string
	Sequence           int
	LineType           string // Item, Comment, Account, …
	ItemID             string
	LineObjectNumber   string // the item number for an Item line
	Description        string
	UnitOfMeasureCode  string
	Quantity           decimal.Decimal
	UnitPrice          decimal.Decimal
	DiscountAmount     decimal.Decimal
	DiscountPercent    decimal.Decimal
	AmountExcludingTax decimal.Decimal
	TaxCode            string
	TaxPercent         decimal.Decimal
	AmountIncludingTax decimal.Decimal
	NetAmount          decimal.Decimal
	ShipQuantity       decimal.Decimal
	ShippedQuantity    decimal.Decimal
	ItemVariantID      string
	VariantCode        string
	LocationID         string
	LocationCode       string
	ETag               string
}

// Shipment is a posted sales shipment with what the API does not show.
type Shipment struct {
	ID                       string
	Number                   string
	OrderNumber              string
	ExternalDocumentNumber   string
	CustomerNumber           string
	ShipToName               string
	ShipTo                   Address
	PostingDate              string
	ShipmentMethodCode       string
	ShippingAgentCode        string
	ShippingAgentServiceCode string
	PackageTrackingNumber    string
	Lines                    []ShipmentLine
	LastModified             time.Time
}

// ShipmentLine is a line of a posted sales shipment.
type ShipmentLine struct {
	ID                string
	Sequence          int
	LineType          string
	LineObjectNumber  string
	Description       string
	UnitOfMeasureCode string
	Quantity          decimal.Decimal
	UnitPrice         decimal.Decimal
}

// CreditMemo is a sales credit memo with its lines.
type CreditMemo struct {
	ID                      string
	Number                  string
	ExternalDocumentNumber  string
	CreditMemoDate          string
	CustomerNumber          string
	CustomerName            string
	Status                  string
	InvoiceNumber           string
	TotalAmountExcludingTax decimal.Decimal
	TotalAmountIncludingTax decimal.Decimal
	Lines                   []SalesLine
	LastModified            time.Time
	ETag                    string
}

// Invoice is a sales invoice, a draft or posted, with its lines.
type Invoice struct {
	ID                      string // a posted invoice keeps its draft's id
	Number                  string // S-INV… for a draft, PS-INV… once posted
	ExternalDocumentNumber  string
	OrderID                 string // the order it invoices, if any
	OrderNumber             string
	InvoiceDate             string
	PostingDate             string
	DueDate                 string
	CustomerNumber          string
	CustomerName            string
	CurrencyCode            string
	Status                  string // Draft, Open, Paid, Canceled, Corrective
	Posted                  bool
	DiscountAmount          decimal.Decimal
	TotalAmountExcludingTax decimal.Decimal
	TotalTaxAmount          decimal.Decimal
	TotalAmountIncludingTax decimal.Decimal
	RemainingAmount         decimal.Decimal // what is left to pay
	Lines                   []SalesLine
	LastModified            time.Time
	ETag                    string
}

func (s *Server) read(fn func(co *company)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn(s.st.companies[0])
}

func addr(r *record, prefix string) Address {
	if prefix == "" {
		return Address{getStr(r, "addressLine1"), getStr(r, "addressLine2"), getStr(r, "city"), getStr(r, "state"), getStr(r, "country"), getStr(r, "postalCode")}
	}
	return Address{getStr(r, prefix+"AddressLine1"), getStr(r, prefix+"AddressLine2"), getStr(r, prefix+"City"),
		getStr(r, prefix+"State"), getStr(r, prefix+"Country"), getStr(r, prefix+"PostCode")}
}

func sorted(t *table, prop string) []*record {
	rows := t.all()
	slices.SortStableFunc(rows, func(a, b *record) int { return strings.Compare(getStr(a, prop), getStr(b, prop)) })
	return rows
}

// Item returns the item with number.
func (s *Server) Item(number string) (Item, bool) {
	var it Item
	var ok bool
	s.read(func(co *company) {
		if r := findBy(co.table(setItems), "number", number); r != nil {
			it, ok = s.itemView(co, r), true
		}
	})
	return it, ok
}

// Items returns every item, by number.
func (s *Server) Items() []Item {
	var out []Item
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setItems), "number") {
			out = append(out, s.itemView(co, r))
		}
	})
	return out
}

func (s *Server) itemView(co *company, r *record) Item {
	it := Item{
		ID: r.id, Number: getStr(r, "number"), DisplayName: getStr(r, "displayName"), Type: getStr(r, "type"),
		ItemCategoryCode: getStr(r, "itemCategoryCode"), Blocked: getBool(r, "blocked"), GTIN: getStr(r, "gtin"),
		UnitPrice: getDec(r, "unitPrice"), PriceIncludesTax: getBool(r, "priceIncludesTax"), UnitCost: getDec(r, "unitCost"),
		TaxGroupCode: getStr(r, "taxGroupCode"), BaseUnitOfMeasureCode: getStr(r, "baseUnitOfMeasureCode"),
		Inventory: getDec(r, "inventory"), LastModified: getTime(r, "lastModifiedDateTime"), ETag: etag(r.version),
	}
	for _, v := range s.children(co, s.types[setItems].nav(setItemVariants), r) {
		it.Variants = append(it.Variants, ItemVariant{ID: v.id, Code: getStr(v, "code"), Description: getStr(v, "description")})
	}
	if c, ok := s.st.pictures[r.id]; ok {
		it.Picture = &Picture{ContentType: getStr(r, "_pictureType"), Content: append([]byte(nil), c...),
			Width: int(getInt(r, "_pictureWidth")), Height: int(getInt(r, "_pictureHeight"))}
	}
	return it
}

func locationView(r *record) Location {
	return Location{ID: r.id, Code: getStr(r, "code"), DisplayName: getStr(r, "displayName"), Address: Address{
		getStr(r, "addressLine1"), getStr(r, "addressLine2"), getStr(r, "city"), getStr(r, "state"), getStr(r, "country"), getStr(r, "postalCode"),
	}}
}

func customerView(r *record) Customer {
	return Customer{
		ID: r.id, Number: getStr(r, "number"), DisplayName: getStr(r, "displayName"), Type: getStr(r, "type"),
		Address: addr(r, ""), PhoneNumber: getStr(r, "phoneNumber"), Email: getStr(r, "email"), Website: getStr(r, "website"),
		TaxRegistrationNumber: getStr(r, "taxRegistrationNumber"), TaxLiable: getBool(r, "taxLiable"),
		CurrencyCode: getStr(r, "currencyCode"), Blocked: getStr(r, "blocked"),
		LastModified: getTime(r, "lastModifiedDateTime"), ETag: etag(r.version),
	}
}

// Customer returns the customer with number.
func (s *Server) Customer(number string) (Customer, bool) {
	var c Customer
	var ok bool
	s.read(func(co *company) {
		if r := findBy(co.table(setCustomers), "number", number); r != nil {
			c, ok = customerView(r), true
		}
	})
	return c, ok
}

// Customers returns every customer, by number.
func (s *Server) Customers() []Customer {
	var out []Customer
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setCustomers), "number") {
			out = append(out, customerView(r))
		}
	})
	return out
}

func (s *Server) lineView(co *company, r *record) SalesLine {
	l := SalesLine{
		ID: r.id, Sequence: int(getInt(r, "sequence")), LineType: getStr(r, "lineType"), ItemID: getStr(r, "itemId"),
		LineObjectNumber: getStr(r, "lineObjectNumber"), Description: getStr(r, "description"),
		UnitOfMeasureCode: getStr(r, "unitOfMeasureCode"), Quantity: getDec(r, "quantity"), UnitPrice: getDec(r, "unitPrice"),
		DiscountAmount: getDec(r, "discountAmount"), DiscountPercent: getDec(r, "discountPercent"),
		AmountExcludingTax: getDec(r, "amountExcludingTax"), TaxCode: getStr(r, "taxCode"), TaxPercent: getDec(r, "taxPercent"),
		AmountIncludingTax: getDec(r, "amountIncludingTax"), NetAmount: getDec(r, "netAmount"),
		ShipQuantity: getDec(r, "shipQuantity"), ShippedQuantity: getDec(r, "shippedQuantity"),
		ItemVariantID: getStr(r, "itemVariantId"), LocationID: getStr(r, "locationId"), ETag: etag(r.version),
	}
	if v := co.table(setItemVariants).rows[l.ItemVariantID]; v != nil {
		l.VariantCode = getStr(v, "code")
	}
	if loc := co.table(setLocations).rows[l.LocationID]; loc != nil {
		l.LocationCode = getStr(loc, "code")
	}
	return l
}

func (s *Server) orderView(co *company, r *record) SalesOrder {
	o := SalesOrder{
		ID: r.id, Number: getStr(r, "number"), ExternalDocumentNumber: getStr(r, "externalDocumentNumber"),
		OrderDate: getStr(r, "orderDate"), PostingDate: getStr(r, "postingDate"), CustomerID: getStr(r, "customerId"),
		CustomerNumber: getStr(r, "customerNumber"), CustomerName: getStr(r, "customerName"), BillToName: getStr(r, "billToName"),
		ShipToName: getStr(r, "shipToName"), ShipToContact: getStr(r, "shipToContact"),
		SellTo: addr(r, "sellTo"), BillTo: addr(r, "billTo"), ShipTo: addr(r, "shipTo"), CurrencyCode: getStr(r, "currencyCode"),
		PricesIncludeTax: getBool(r, "pricesIncludeTax"), PaymentTermsID: getStr(r, "paymentTermsId"),
		ShipmentMethodID: getStr(r, "shipmentMethodId"), Salesperson: getStr(r, "salesperson"),
		PartialShipping: getBool(r, "partialShipping"), RequestedDeliveryDate: getStr(r, "requestedDeliveryDate"),
		DiscountAmount: getDec(r, "discountAmount"), TotalAmountExcludingTax: getDec(r, "totalAmountExcludingTax"),
		TotalTaxAmount: getDec(r, "totalTaxAmount"), TotalAmountIncludingTax: getDec(r, "totalAmountIncludingTax"),
		FullyShipped: getBool(r, "fullyShipped"), Status: getStr(r, "status"), PhoneNumber: getStr(r, "phoneNumber"),
		Email: getStr(r, "email"), LastModified: getTime(r, "lastModifiedDateTime"), ETag: etag(r.version),
	}
	for _, l := range s.children(co, s.types[setOrders].nav(setOrderLines), r) {
		o.Lines = append(o.Lines, s.lineView(co, l))
	}
	return o
}

// SalesOrders returns every sales order, by number.
func (s *Server) SalesOrders() []SalesOrder {
	var out []SalesOrder
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setOrders), "number") {
			out = append(out, s.orderView(co, r))
		}
	})
	return out
}

// SalesOrder returns the sales order with number.
func (s *Server) SalesOrder(number string) (SalesOrder, bool) {
	return s.orderBy("number", number)
}

// SalesOrderByExternalDocumentNumber returns the first (by number) sales
// order whose externalDocumentNumber is ext, compared case-insensitively.
func (s *Server) SalesOrderByExternalDocumentNumber(ext string) (SalesOrder, bool) {
	return s.orderBy("externalDocumentNumber", ext)
}

// SalesOrdersByExternalDocumentNumber returns every sales order with that
// externalDocumentNumber: more than one means an order was created twice.
func (s *Server) SalesOrdersByExternalDocumentNumber(ext string) []SalesOrder {
	var out []SalesOrder
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setOrders), "number") {
			if strings.EqualFold(getStr(r, "externalDocumentNumber"), ext) {
				out = append(out, s.orderView(co, r))
			}
		}
	})
	return out
}

func (s *Server) orderBy(prop, v string) (SalesOrder, bool) {
	var o SalesOrder
	var ok bool
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setOrders), "number") {
			if strings.EqualFold(getStr(r, prop), v) {
				o, ok = s.orderView(co, r), true
				return
			}
		}
	})
	return o, ok
}

func (s *Server) shipmentView(co *company, r *record) Shipment {
	sh := Shipment{
		ID: r.id, Number: getStr(r, "number"), OrderNumber: getStr(r, "orderNumber"),
		ExternalDocumentNumber: getStr(r, "externalDocumentNumber"), CustomerNumber: getStr(r, "customerNumber"),
		ShipToName: getStr(r, "shipToName"), ShipTo: addr(r, "shipTo"), PostingDate: getStr(r, "postingDate"),
		ShipmentMethodCode: getStr(r, "shipmentMethodCode"), ShippingAgentCode: getStr(r, "_shippingAgentCode"),
		ShippingAgentServiceCode: getStr(r, "_shippingAgentServiceCode"), PackageTrackingNumber: getStr(r, "_packageTrackingNo"),
		LastModified: getTime(r, "lastModifiedDateTime"),
	}
	for _, l := range s.children(co, s.types[setShipments].nav(setShipmentLines), r) {
		sh.Lines = append(sh.Lines, ShipmentLine{
			ID: l.id, Sequence: int(getInt(l, "sequence")), LineType: getStr(l, "lineType"),
			LineObjectNumber: getStr(l, "lineObjectNumber"), Description: getStr(l, "description"),
			UnitOfMeasureCode: getStr(l, "unitOfMeasureCode"), Quantity: getDec(l, "quantity"), UnitPrice: getDec(l, "unitPrice"),
		})
	}
	return sh
}

// Shipments returns every posted sales shipment, by number.
func (s *Server) Shipments() []Shipment {
	var out []Shipment
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setShipments), "number") {
			out = append(out, s.shipmentView(co, r))
		}
	})
	return out
}

// CreditMemos returns every sales credit memo, by number.
func (s *Server) CreditMemos() []CreditMemo {
	var out []CreditMemo
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setCreditMemos), "number") {
			cm := CreditMemo{
				ID: r.id, Number: getStr(r, "number"), ExternalDocumentNumber: getStr(r, "externalDocumentNumber"),
				CreditMemoDate: getStr(r, "creditMemoDate"), CustomerNumber: getStr(r, "customerNumber"),
				CustomerName: getStr(r, "customerName"), Status: getStr(r, "status"), InvoiceNumber: getStr(r, "invoiceNumber"),
				TotalAmountExcludingTax: getDec(r, "totalAmountExcludingTax"), TotalAmountIncludingTax: getDec(r, "totalAmountIncludingTax"),
				LastModified: getTime(r, "lastModifiedDateTime"), ETag: etag(r.version),
			}
			for _, l := range s.children(co, s.types[setCreditMemos].nav(setCreditMemoLines), r) {
				cm.Lines = append(cm.Lines, s.lineView(co, l))
			}
			out = append(out, cm)
		}
	})
	return out
}

// PlaceSalesOrder creates a sales order in the first company from a JSON
// body as API v2.0 takes it (with "salesOrderLines" for a deep insert),
// with the same checks as a POST, but without a request: for tests that
// need an order in the ERP that the connector did not write.
func (s *Server) PlaceSalesOrder(body map[string]any) (SalesOrder, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return SalesOrder{}, fmt.Errorf("bctest: PlaceSalesOrder: %w", err)
	}
	var out SalesOrder
	err = s.seedCtx(func(c *wctx) error {
		o := &op{method: http.MethodPost, root: rootV2, path: "companies(" + c.co.id() + ")/salesOrders",
			header: http.Header{}, body: raw, base: s.baseURL(rootV2)}
		res := s.execData(c.tx, o)
		if res.status != http.StatusCreated {
			return fmt.Errorf("bctest: PlaceSalesOrder: %d %s", res.status, res.body)
		}
		var created struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(res.body, &created)
		out = s.orderView(c.co, c.table(setOrders).rows[created.ID])
		return nil
	})
	return out, err
}

func (s *Server) invoiceView(co *company, r *record) Invoice {
	inv := Invoice{
		ID: r.id, Number: getStr(r, "number"), ExternalDocumentNumber: getStr(r, "externalDocumentNumber"),
		OrderID: getStr(r, "orderId"), OrderNumber: getStr(r, "orderNumber"), InvoiceDate: getStr(r, "invoiceDate"),
		PostingDate: getStr(r, "postingDate"), DueDate: getStr(r, "dueDate"), CustomerNumber: getStr(r, "customerNumber"),
		CustomerName: getStr(r, "customerName"), CurrencyCode: getStr(r, "currencyCode"), Status: getStr(r, "status"),
		Posted: posted(r), DiscountAmount: getDec(r, "discountAmount"),
		TotalAmountExcludingTax: getDec(r, "totalAmountExcludingTax"), TotalTaxAmount: getDec(r, "totalTaxAmount"),
		TotalAmountIncludingTax: getDec(r, "totalAmountIncludingTax"), RemainingAmount: getDec(r, "remainingAmount"),
		LastModified: getTime(r, "lastModifiedDateTime"), ETag: etag(r.version),
	}
	if isZeroGUID(inv.OrderID) {
		inv.OrderID = ""
	}
	for _, l := range s.children(co, s.types[setInvoices].nav(setInvoiceLines), r) {
		inv.Lines = append(inv.Lines, s.lineView(co, l))
	}
	return inv
}

// Invoices returns every sales invoice, drafts and posted, by number.
func (s *Server) Invoices() []Invoice {
	var out []Invoice
	s.read(func(co *company) {
		for _, r := range sorted(co.table(setInvoices), "number") {
			out = append(out, s.invoiceView(co, r))
		}
	})
	return out
}

// Invoice returns the sales invoice with number (S-INV… or PS-INV…).
func (s *Server) Invoice(number string) (Invoice, bool) {
	var inv Invoice
	var ok bool
	s.read(func(co *company) {
		if r := findBy(co.table(setInvoices), "number", number); r != nil {
			inv, ok = s.invoiceView(co, r), true
		}
	})
	return inv, ok
}
