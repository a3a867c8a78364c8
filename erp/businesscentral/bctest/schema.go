package bctest

// The entity types the fake serves, with the property names, types,
// lengths and editability of Business Central's API v2.0 pages (from the
// resource pages of Microsoft's API reference).

// kind is the EDM type of a property.
type kind int

const (
	kString   kind = iota // Edm.String
	kGUID                 // Edm.Guid
	kBool                 // Edm.Boolean
	kDecimal              // Edm.Decimal
	kInt                  // Edm.Int32 / Edm.Int64
	kDate                 // Edm.Date, "2006-01-02"
	kDateTime             // Edm.DateTimeOffset
	kEnum                 // an AL enum, a string restricted to its options
)

func (k kind) edm() string {
	switch k {
	case kGUID:
		return "Edm.Guid"
	case kBool:
		return "Edm.Boolean"
	case kDecimal:
		return "Edm.Decimal"
	case kInt:
		return "Edm.Int32"
	case kDate:
		return "Edm.Date"
	case kDateTime:
		return "Edm.DateTimeOffset"
	}
	return "Edm.String"
}

// prop is one property of an entity type.
type prop struct {
	name     string
	kind     kind
	readOnly bool     // non-editable on the page: a write is rejected
	code     bool     // an AL Code field: stored upper case
	maxLen   int      // AL field length; 0: unchecked
	options  []string // kEnum values
}

// codeRef ties an "…Id" property to its "…Code" twin: setting either
// looks the other up in the related entity set, as the API pages do.
type codeRef struct {
	idProp, codeProp string
	set              string // related entity set, matched on its "code"
	table            string // AL table name for the error message
}

// nav is a navigation property.
type nav struct {
	name   string
	set    string // target entity set
	fk     string // property of the target that holds this entity's id
	single bool   // a single entity (picture), not a collection
}

// entityType describes one entity set.
type entityType struct {
	name  string // EDM type name: Microsoft.NAV.<name>
	set   string // entity set name
	table string // AL table name, for error messages
	root  string // API route: "v2.0" or the extension's route
	props []prop
	byKey map[string]*prop
	refs  []codeRef
	navs  []nav
	order []string // default sort: the table's primary key

	insert, modify, remove bool
	webhook                bool // listed in webhookSupportedResources
	parentOnly             bool // addressable only through a parent's navigation
	companyless            bool // not company-scoped (companies)
}

func (et *entityType) prop(name string) *prop { return et.byKey[name] }

func (et *entityType) nav(name string) *nav {
	for i := range et.navs {
		if et.navs[i].name == name {
			return &et.navs[i]
		}
	}
	return nil
}

func (et *entityType) hasModified() bool { return et.byKey["lastModifiedDateTime"] != nil }

// Property builders.
func str(name string, n int) prop  { return prop{name: name, kind: kString, maxLen: n} }
func code(name string, n int) prop { return prop{name: name, kind: kString, maxLen: n, code: true} }
func guid(name string) prop        { return prop{name: name, kind: kGUID} }
func boolean(name string) prop     { return prop{name: name, kind: kBool} }
func dec(name string) prop         { return prop{name: name, kind: kDecimal} }
func integer(name string) prop     { return prop{name: name, kind: kInt} }
func date(name string) prop        { return prop{name: name, kind: kDate} }
func datetime(name string) prop    { return prop{name: name, kind: kDateTime, readOnly: true} }
func enum(name string, o ...string) prop {
	return prop{name: name, kind: kEnum, options: o}
}
func ro(p prop) prop { p.readOnly = true; return p }

// Root routes.
const (
	rootV2        = "v2.0"
	rootExtension = "kontor/shop/v1.0"
)

// Entity set names used in code.
const (
	setCompanies       = "companies"
	setItems           = "items"
	setItemVariants    = "itemVariants"
	setPicture         = "picture"
	setUnits           = "unitsOfMeasure"
	setLocations       = "locations"
	setCategories      = "itemCategories"
	setTaxGroups       = "taxGroups"
	setShipmentMethods = "shipmentMethods"
	setPaymentTerms    = "paymentTerms"
	setPaymentMethods  = "paymentMethods"
	setCustomers       = "customers"
	setOrders          = "salesOrders"
	setOrderLines      = "salesOrderLines"
	setShipments       = "salesShipments"
	setShipmentLines   = "salesShipmentLines"
	setCreditMemos     = "salesCreditMemos"
	setCreditMemoLines = "salesCreditMemoLines"
	setInvoices        = "salesInvoices"
	setInvoiceLines    = "salesInvoiceLines"
	setLedger          = "itemLedgerEntries"
	setStockLevels     = "stockLevels"
	setTrackings       = "shipmentTrackings"
)

var addressProps = func(prefix string) []prop {
	return []prop{
		str(prefix+"AddressLine1", 100), str(prefix+"AddressLine2", 50), str(prefix+"City", 30),
		code(prefix+"Country", 10), str(prefix+"State", 30), code(prefix+"PostCode", 20),
	}
}

func documentLineProps(extra ...prop) []prop {
	p := []prop{
		guid("id"), guid("documentId"), integer("sequence"), guid("itemId"), guid("accountId"),
		enum("lineType", "Comment", "Account", "Item", "Resource", "Fixed Asset", "Charge"),
		code("lineObjectNumber", 20), str("description", 100), guid("unitOfMeasureId"), code("unitOfMeasureCode", 10),
		dec("quantity"), dec("unitPrice"), dec("discountAmount"), dec("discountPercent"), ro(boolean("discountAppliedBeforeTax")),
		ro(dec("amountExcludingTax")), code("taxCode", 20), ro(dec("taxPercent")), ro(dec("totalTaxAmount")),
		ro(dec("amountIncludingTax")), ro(dec("invoiceDiscountAllocation")), ro(dec("netAmount")), ro(dec("netTaxAmount")),
		ro(dec("netAmountIncludingTax")), date("shipmentDate"),
	}
	return append(p, extra...)
}

// schema lists every entity type the fake serves.
func schema() map[string]*entityType {
	types := []*entityType{
		{
			name: "company", set: setCompanies, table: "Company", root: rootV2, companyless: true,
			props: []prop{
				ro(guid("id")), ro(str("systemVersion", 0)), ro(integer("timestamp")), ro(str("name", 30)),
				ro(str("displayName", 250)), ro(str("businessProfileId", 250)), datetime("systemCreatedAt"),
				ro(guid("systemCreatedBy")), datetime("systemModifiedAt"), ro(guid("systemModifiedBy")),
			},
			order: []string{"name"},
		},
		{
			name: "item", set: setItems, table: "Item", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: []prop{
				guid("id"), code("number", 20), str("displayName", 100), str("displayName2", 50),
				enum("type", "Inventory", "Service", "Non-Inventory"),
				guid("itemCategoryId"), code("itemCategoryCode", 20), boolean("blocked"), code("gtin", 14),
				ro(dec("inventory")), dec("unitPrice"), boolean("priceIncludesTax"), dec("unitCost"),
				guid("taxGroupId"), code("taxGroupCode", 20), guid("baseUnitOfMeasureId"), code("baseUnitOfMeasureCode", 10),
				guid("generalProductPostingGroupId"), code("generalProductPostingGroupCode", 20),
				guid("inventoryPostingGroupId"), code("inventoryPostingGroupCode", 20), datetime("lastModifiedDateTime"),
			},
			refs: []codeRef{
				{"itemCategoryId", "itemCategoryCode", setCategories, "Item Category"},
				{"taxGroupId", "taxGroupCode", setTaxGroups, "Tax Group"},
				{"baseUnitOfMeasureId", "baseUnitOfMeasureCode", setUnits, "Unit of Measure"},
			},
			navs: []nav{
				{name: setItemVariants, set: setItemVariants, fk: "itemId"},
				{name: setPicture, set: setPicture, fk: "id", single: true},
			},
			order: []string{"number"},
		},
		{
			name: "itemVariant", set: setItemVariants, table: "Item Variant", root: rootV2, insert: true, modify: true, remove: true,
			props: []prop{guid("id"), guid("itemId"), code("itemNumber", 20), code("code", 10), str("description", 100)},
			order: []string{"itemNumber", "code"},
		},
		{
			name: "picture", set: setPicture, table: "Tenant Media", root: rootV2, parentOnly: true,
			props: []prop{
				ro(guid("id")), ro(enum("parentType", "Customer", "Item", "Vendor", "Employee", "Contact")),
				ro(integer("width")), ro(integer("height")), ro(str("contentType", 100)),
			},
			order: []string{"id"},
		},
		{
			name: "unitOfMeasure", set: setUnits, table: "Unit of Measure", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: []prop{
				guid("id"), code("code", 10), str("displayName", 50), code("internationalStandardCode", 10),
				str("symbol", 10), datetime("lastModifiedDateTime"),
			},
			order: []string{"code"},
		},
		{
			name: "location", set: setLocations, table: "Location", root: rootV2, insert: true, modify: true, remove: true,
			props: []prop{
				guid("id"), code("code", 10), str("displayName", 100), str("contact", 100),
				str("addressLine1", 100), str("addressLine2", 50), str("city", 30), str("state", 30), code("country", 10),
				code("postalCode", 20), str("phoneNumber", 30), str("email", 80), str("website", 80), datetime("lastModifiedDateTime"),
			},
			order: []string{"code"},
		},
		codeList("itemCategory", setCategories, "Item Category", true),
		{
			name: "taxGroup", set: setTaxGroups, table: "Tax Group", root: rootV2, insert: true, modify: true, remove: true,
			props: []prop{guid("id"), code("code", 20), str("displayName", 100), ro(enum("taxType", "Sales Tax", "VAT")), datetime("lastModifiedDateTime")},
			order: []string{"code"},
		},
		codeList("shipmentMethod", setShipmentMethods, "Shipment Method", true),
		{
			name: "paymentTerm", set: setPaymentTerms, table: "Payment Terms", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: []prop{
				guid("id"), code("code", 10), str("displayName", 100), str("dueDateCalculation", 32), str("discountDateCalculation", 32),
				dec("discountPercent"), boolean("calculateDiscountOnCreditMemos"), datetime("lastModifiedDateTime"),
			},
			order: []string{"code"},
		},
		codeList("paymentMethod", setPaymentMethods, "Payment Method", true),
		{
			name: "customer", set: setCustomers, table: "Customer", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: []prop{
				guid("id"), code("number", 20), str("displayName", 100), enum("type", "Company", "Person"),
				str("addressLine1", 100), str("addressLine2", 50), str("city", 30), str("state", 30), code("country", 10),
				code("postalCode", 20), str("phoneNumber", 30), str("email", 80), str("website", 80), code("salespersonCode", 20),
				ro(dec("balanceDue")), dec("creditLimit"), boolean("taxLiable"), guid("taxAreaId"), ro(str("taxAreaDisplayName", 100)),
				str("taxRegistrationNumber", 20), guid("currencyId"), code("currencyCode", 10), guid("paymentTermsId"),
				guid("shipmentMethodId"), guid("paymentMethodId"), enum("blocked", " ", "Ship", "Invoice", "All"),
				datetime("lastModifiedDateTime"),
			},
			order: []string{"number"},
		},
		{
			name: "salesOrder", set: setOrders, table: "Sales Header", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: concat([]prop{
				guid("id"), ro(code("number", 20)), code("externalDocumentNumber", 35), date("orderDate"), date("postingDate"),
				guid("customerId"), code("customerNumber", 20), str("customerName", 100), str("billToName", 100),
				guid("billToCustomerId"), code("billToCustomerNumber", 20), str("shipToName", 100), str("shipToContact", 100),
			}, addressProps("sellTo"), addressProps("billTo"), addressProps("shipTo"), []prop{
				code("shortcutDimension1Code", 20), code("shortcutDimension2Code", 20), guid("currencyId"), code("currencyCode", 10),
				ro(boolean("pricesIncludeTax")), guid("paymentTermsId"), guid("shipmentMethodId"), code("salesperson", 20),
				boolean("partialShipping"), date("requestedDeliveryDate"), dec("discountAmount"), ro(boolean("discountAppliedBeforeTax")),
				ro(dec("totalAmountExcludingTax")), ro(dec("totalTaxAmount")), ro(dec("totalAmountIncludingTax")),
				ro(boolean("fullyShipped")), ro(enum("status", "Draft", "In Review", "Open", "Released")),
				datetime("lastModifiedDateTime"), str("phoneNumber", 30), str("email", 80),
			}),
			navs:  []nav{{name: setOrderLines, set: setOrderLines, fk: "documentId"}},
			order: []string{"number"},
		},
		{
			name: "salesOrderLine", set: setOrderLines, table: "Sales Line", root: rootV2, insert: true, modify: true, remove: true,
			props: documentLineProps(
				ro(dec("shippedQuantity")), ro(dec("invoicedQuantity")), ro(dec("invoiceQuantity")), dec("shipQuantity"),
				guid("itemVariantId"), guid("locationId"),
			),
			order: []string{"documentId", "sequence"},
		},
		{
			name: "salesShipment", set: setShipments, table: "Sales Shipment Header", root: rootV2,
			props: concat([]prop{
				ro(guid("id")), ro(code("number", 20)), ro(code("externalDocumentNumber", 35)), ro(date("invoiceDate")),
				ro(date("postingDate")), ro(date("dueDate")), ro(str("customerPurchaseOrderReference", 35)),
				ro(code("customerNumber", 20)), ro(str("customerName", 100)), ro(str("billToName", 100)),
				ro(code("billToCustomerNumber", 20)), ro(str("shipToName", 100)), ro(str("shipToContact", 100)),
			}, roAll(addressProps("sellTo")), roAll(addressProps("billTo")), roAll(addressProps("shipTo")), []prop{
				ro(code("currencyCode", 10)), ro(code("orderNumber", 20)), ro(code("paymentTermsCode", 10)),
				ro(code("shipmentMethodCode", 10)), ro(code("salesperson", 20)), ro(boolean("pricesIncludeTax")),
				datetime("lastModifiedDateTime"), ro(str("phoneNumber", 30)), ro(str("email", 80)),
			}),
			navs:  []nav{{name: setShipmentLines, set: setShipmentLines, fk: "documentId"}},
			order: []string{"number"},
		},
		{
			name: "salesShipmentLine", set: setShipmentLines, table: "Sales Shipment Line", root: rootV2,
			props: roAll([]prop{
				guid("id"), guid("documentId"), code("documentNo", 20), integer("sequence"),
				enum("lineType", " ", "G/L Account", "Item", "Resource", "Fixed Asset", "Charge (Item)"),
				code("lineObjectNumber", 20), str("description", 100), code("unitOfMeasureCode", 10), dec("unitPrice"),
				dec("quantity"), dec("discountPercent"), dec("taxPercent"), date("shipmentDate"),
			}),
			order: []string{"documentNo", "sequence"},
		},
		{
			name: "salesCreditMemo", set: setCreditMemos, table: "Sales Header", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: concat([]prop{
				guid("id"), ro(code("number", 20)), code("externalDocumentNumber", 35), date("creditMemoDate"), date("postingDate"),
				date("dueDate"), guid("customerId"), code("customerNumber", 20), str("customerName", 100), str("billToName", 100),
				guid("billToCustomerId"), code("billToCustomerNumber", 20),
			}, addressProps("sellTo"), addressProps("billTo"), []prop{
				code("shortcutDimension1Code", 20), code("shortcutDimension2Code", 20), guid("currencyId"), code("currencyCode", 10),
				guid("paymentTermsId"), guid("shipmentMethodId"), code("salesperson", 20), ro(boolean("pricesIncludeTax")),
				dec("discountAmount"), ro(boolean("discountAppliedBeforeTax")), ro(dec("totalAmountExcludingTax")),
				ro(dec("totalTaxAmount")), ro(dec("totalAmountIncludingTax")),
				ro(enum("status", "Draft", "In Review", "Open", "Canceled", "Corrective", "Paid")),
				datetime("lastModifiedDateTime"), guid("invoiceId"), code("invoiceNumber", 20), str("phoneNumber", 30),
				str("email", 80), guid("customerReturnReasonId"),
			}),
			navs:  []nav{{name: setCreditMemoLines, set: setCreditMemoLines, fk: "documentId"}},
			order: []string{"number"},
		},
		{
			name: "salesCreditMemoLine", set: setCreditMemoLines, table: "Sales Line", root: rootV2, insert: true, modify: true, remove: true,
			props: documentLineProps(guid("itemVariantId"), guid("locationId")),
			order: []string{"documentId", "sequence"},
		},
		{
			// Drafts are Sales Headers, posted ones Sales Invoice Headers;
			// the API shows both (through the Sales Invoice Entity
			// Aggregate), a posted one with the id of its draft.
			name: "salesInvoice", set: setInvoices, table: "Sales Header", root: rootV2, insert: true, modify: true, remove: true, webhook: true,
			props: concat([]prop{
				guid("id"), ro(code("number", 20)), code("externalDocumentNumber", 35), date("invoiceDate"), date("postingDate"),
				date("dueDate"), str("customerPurchaseOrderReference", 35), guid("customerId"), code("customerNumber", 20),
				ro(str("customerName", 100)), ro(str("billToName", 100)), guid("billToCustomerId"), code("billToCustomerNumber", 20),
				str("shipToName", 100), str("shipToContact", 100),
			}, addressProps("sellTo"), roAll(addressProps("billTo")), addressProps("shipTo"), []prop{
				guid("currencyId"), code("shortcutDimension1Code", 20), code("shortcutDimension2Code", 20), code("currencyCode", 10),
				ro(guid("orderId")), ro(code("orderNumber", 20)), guid("paymentTermsId"), guid("shipmentMethodId"),
				code("salesperson", 20), ro(boolean("pricesIncludeTax")), ro(dec("remainingAmount")), dec("discountAmount"),
				ro(boolean("discountAppliedBeforeTax")), ro(dec("totalAmountExcludingTax")), ro(dec("totalTaxAmount")),
				ro(dec("totalAmountIncludingTax")),
				ro(enum("status", " ", "Draft", "In Review", "Open", "Paid", "Canceled", "Corrective")),
				datetime("lastModifiedDateTime"), str("phoneNumber", 30), str("email", 80),
			}),
			navs:  []nav{{name: setInvoiceLines, set: setInvoiceLines, fk: "documentId"}},
			order: []string{"number"},
		},
		{
			name: "salesInvoiceLine", set: setInvoiceLines, table: "Sales Line", root: rootV2, insert: true, modify: true, remove: true,
			props: documentLineProps(guid("itemVariantId"), guid("locationId")),
			order: []string{"documentId", "sequence"},
		},
		{
			name: "itemLedgerEntry", set: setLedger, table: "Item Ledger Entry", root: rootV2,
			props: roAll([]prop{
				guid("id"), integer("entryNumber"), code("itemNumber", 20), date("postingDate"),
				enum("entryType", "Purchase", "Sale", "Positive Adjmt.", "Negative Adjmt.", "Transfer", "Consumption", "Output"),
				code("sourceNumber", 20), enum("sourceType", " ", "Customer", "Vendor", "Item"), code("documentNumber", 20),
				enum("documentType", " ", "Sales Shipment", "Sales Invoice", "Sales Return Receipt", "Sales Credit Memo", "Purchase Receipt"),
				str("description", 100), dec("quantity"), dec("salesAmountActual"), dec("costAmountActual"),
				datetime("lastModifiedDateTime"),
			}),
			order: []string{"entryNumber"},
		},
		// The extension API (WithExtensionAPI): what the standard API lacks.
		{
			name: "stockLevel", set: setStockLevels, table: "Kontor Stock Level", root: rootExtension, webhook: true,
			props: roAll([]prop{
				guid("id"), guid("itemId"), code("itemNumber", 20), code("variantCode", 10), code("locationCode", 10),
				dec("inventory"), datetime("lastModifiedDateTime"),
			}),
			order: []string{"itemNumber", "variantCode", "locationCode"},
		},
		{
			name: "shipmentTracking", set: setTrackings, table: "Sales Shipment Header", root: rootExtension, webhook: true,
			props: roAll([]prop{
				guid("id"), code("shipmentNumber", 20), code("orderNumber", 20), code("externalDocumentNumber", 35),
				code("shippingAgentCode", 10), code("shippingAgentServiceCode", 10), str("packageTrackingNumber", 50),
				code("shipmentMethodCode", 10), date("postingDate"), datetime("lastModifiedDateTime"),
			}),
			order: []string{"shipmentNumber"},
		},
	}
	m := make(map[string]*entityType, len(types))
	for _, et := range types {
		et.byKey = make(map[string]*prop, len(et.props))
		for i := range et.props {
			et.byKey[et.props[i].name] = &et.props[i]
		}
		m[et.set] = et
	}
	return m
}

// codeList is a simple code/displayName setup table.
func codeList(name, set, table string, webhook bool) *entityType {
	return &entityType{
		name: name, set: set, table: table, root: rootV2, insert: true, modify: true, remove: true, webhook: webhook,
		props: []prop{guid("id"), code("code", 20), str("displayName", 100), datetime("lastModifiedDateTime")},
		order: []string{"code"},
	}
}

func concat(parts ...[]prop) []prop {
	var out []prop
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func roAll(ps []prop) []prop {
	out := make([]prop, len(ps))
	for i, p := range ps {
		out[i] = ro(p)
	}
	return out
}
