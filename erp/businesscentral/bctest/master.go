package bctest

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/gif" // picture dimensions
	_ "image/jpeg"
	_ "image/png"
	"maps"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"
)

// kid is a record a write creates besides the one addressed: the lines of
// a deep insert.
type kid struct {
	et  *entityType
	rec *record
}

// validate checks rec (new when old is nil, else the changed old) the way
// the API page's triggers do, fills defaults and looks up related codes.
// It changes nothing stored; it returns the records of a deep insert.
func (s *Server) validate(c *wctx, et *entityType, rec, old *record, nested map[string][]json.RawMessage) ([]kid, *apiError) {
	if err := s.resolveRefs(c, et, rec, old); err != nil {
		return nil, err
	}
	switch et.set {
	case setItems:
		return nil, s.validateItem(c, et, rec, old)
	case setItemVariants:
		return nil, s.validateVariant(c, et, rec, old)
	case setCustomers:
		return nil, s.validateCustomer(c, et, rec, old)
	case setUnits, setLocations, setCategories, setTaxGroups, setShipmentMethods, setPaymentTerms, setPaymentMethods:
		return nil, s.validateCode(c, et, rec)
	case setOrders, setCreditMemos, setInvoices:
		return s.validateDocument(c, et, rec, old, nested)
	case setOrderLines, setCreditMemoLines, setInvoiceLines:
		return nil, s.validateLineWrite(c, et, rec, old)
	}
	return nil, nil
}

// afterChange propagates a stored change: a line's document gets new
// totals and a new version; a document its totals.
func (s *Server) afterChange(c *wctx, et *entityType, rec *record) {
	switch et.set {
	case setOrders, setCreditMemos, setInvoices:
		if c.table(et.set).rows[rec.id] != nil {
			s.recomputeTotals(c, et, rec)
		}
	case setOrderLines, setCreditMemoLines, setInvoiceLines:
		hdrET := s.types[headerSet(et.set)]
		if h := c.table(hdrET.set).rows[getStr(rec, "documentId")]; h != nil {
			h = h.clone()
			s.recomputeTotals(c, hdrET, h)
			c.save(hdrET, h, "updated")
		}
	}
}

// beforeRemove checks a delete and removes what goes with the entity.
func (s *Server) beforeRemove(c *wctx, et *entityType, rec *record) *apiError {
	switch et.set {
	case setItems:
		for _, r := range c.table(setOrderLines).rows {
			if getStr(r, "itemId") == rec.id {
				return errorf(http.StatusBadRequest, codeDialog, "You cannot delete Item %s because there is at least one outstanding Sales Order that includes this item.", getStr(rec, "number"))
			}
		}
		for _, v := range s.children(c.co, et.nav(setItemVariants), rec) {
			c.del(setItemVariants, v.id)
		}
	case setOrders, setCreditMemos, setInvoices:
		if posted(rec) {
			return errorf(http.StatusBadRequest, codeDialog, "The invoice has been posted and cannot be deleted.")
		}
		lineSet := lineSetOf(et.set)
		for _, l := range s.children(c.co, et.nav(lineSet), rec) {
			if getDec(l, "shippedQuantity").IsPositive() {
				return errorf(http.StatusBadRequest, codeDialog, "You cannot delete the %s because one or more of its lines have been shipped.", et.table)
			}
		}
		for _, l := range s.children(c.co, et.nav(lineSet), rec) {
			c.del(lineSet, l.id)
		}
	case setInvoiceLines:
		if h := c.table(setInvoices).rows[getStr(rec, "documentId")]; h != nil && posted(h) {
			return errPosted()
		}
	case setOrderLines:
		if getDec(rec, "shippedQuantity").IsPositive() {
			return errorf(http.StatusBadRequest, codeDialog, "You cannot delete the line because it has been shipped.")
		}
	case setCustomers:
		for _, set := range []string{setOrders, setCreditMemos, setInvoices} {
			for _, r := range c.table(set).rows {
				if getStr(r, "customerId") == rec.id {
					return errorf(http.StatusBadRequest, codeDialog, "You cannot delete Customer %s because there is at least one outstanding Sales Order for this customer.", getStr(rec, "number"))
				}
			}
		}
	}
	return nil
}

func changed(rec, old *record, name string) bool {
	if old == nil {
		_, ok := rec.vals[name]
		return ok
	}
	return rawString(rec.vals[name]) != rawString(old.vals[name])
}

func rawString(v any) string {
	if v == nil {
		return ""
	}
	return string(rawValue(v))
}

// resolveRefs keeps each Id/Code pair of et consistent with the related
// set: whichever of the two the write set is looked up.
func (s *Server) resolveRefs(c *wctx, et *entityType, rec, old *record) *apiError {
	for _, ref := range et.refs {
		switch {
		case changed(rec, old, ref.codeProp):
			code := getStr(rec, ref.codeProp)
			if code == "" {
				rec.vals[ref.idProp] = zeroGUID
				continue
			}
			r := findByCode(c.table(ref.set), code)
			if r == nil {
				return relationError(ref.codeProp, et.table, code, ref.table)
			}
			rec.vals[ref.idProp] = r.id
		case changed(rec, old, ref.idProp):
			id := getStr(rec, ref.idProp)
			if isZeroGUID(id) {
				rec.vals[ref.codeProp] = ""
				continue
			}
			r := c.table(ref.set).rows[id]
			if r == nil {
				return relationError(ref.idProp, et.table, id, ref.table)
			}
			rec.vals[ref.codeProp] = getStr(r, "code")
		}
	}
	// Id-only relations.
	for _, ref := range [][2]string{{"paymentTermsId", setPaymentTerms}, {"shipmentMethodId", setShipmentMethods}, {"paymentMethodId", setPaymentMethods}, {"locationId", setLocations}} {
		if et.prop(ref[0]) == nil || !changed(rec, old, ref[0]) {
			continue
		}
		if id := getStr(rec, ref[0]); !isZeroGUID(id) && c.table(ref[1]).rows[id] == nil {
			return relationError(ref[0], et.table, id, s.types[ref[1]].table)
		}
	}
	return nil
}

func relationError(field, table, value, related string) *apiError {
	return errorf(http.StatusBadRequest, codeTableRelation, "The field %s of table %s contains a value (%s) that cannot be found in the related table (%s).", field, table, value, related)
}

func findByCode(t *table, code string) *record {
	for _, r := range t.rows {
		if strings.EqualFold(getStr(r, "code"), code) {
			return r
		}
	}
	return nil
}

func findBy(t *table, prop, value string) *record {
	for _, r := range t.rows {
		if strings.EqualFold(getStr(r, prop), value) {
			return r
		}
	}
	return nil
}

func duplicate(et *entityType, field, value string) *apiError {
	return errorf(http.StatusConflict, codeSameKeyExists, "The %s already exists. Identification fields and values: %s='%s'", et.table, field, value)
}

func (s *Server) validateCode(c *wctx, et *entityType, rec *record) *apiError {
	code := getStr(rec, "code")
	if code == "" {
		return errorf(http.StatusBadRequest, codeFieldValidation, "Code must have a value in %s: Code=. It cannot be zero or empty.", et.table)
	}
	if r := findByCode(c.table(et.set), code); r != nil && r.id != rec.id {
		return duplicate(et, "Code", code)
	}
	if et.set == setTaxGroups && getStr(rec, "taxType") == "" {
		rec.vals["taxType"] = "VAT"
	}
	return nil
}

func (s *Server) validateItem(c *wctx, et *entityType, rec, old *record) *apiError {
	if getStr(rec, "number") == "" {
		if old != nil {
			return errorf(http.StatusBadRequest, codeFieldValidation, "No. must have a value in Item. It cannot be zero or empty.")
		}
		for {
			n := c.co.nextNumber("item")
			if findBy(c.table(setItems), "number", n) == nil {
				rec.vals["number"] = n
				break
			}
		}
	}
	if r := findBy(c.table(setItems), "number", getStr(rec, "number")); r != nil && r.id != rec.id {
		return duplicate(et, "No.", getStr(rec, "number"))
	}
	if getStr(rec, "type") == "" {
		rec.vals["type"] = "Inventory"
	}
	if old != nil && getStr(old, "type") == "Inventory" && getStr(rec, "type") != "Inventory" && getDec(old, "inventory").Sign() != 0 {
		return errorf(http.StatusBadRequest, codeDialog, "You cannot change the Type field on Item %s because there is at least one Item Ledger Entry that includes this item.", getStr(rec, "number"))
	}
	return nil
}

func (s *Server) validateVariant(c *wctx, et *entityType, rec, old *record) *apiError {
	var item *record
	if id := getStr(rec, "itemId"); !isZeroGUID(id) {
		item = c.table(setItems).rows[id]
	} else if n := getStr(rec, "itemNumber"); n != "" {
		item = findBy(c.table(setItems), "number", n)
	}
	if item == nil {
		return errorf(http.StatusBadRequest, codeFieldValidation, "Item No. must have a value in Item Variant. It cannot be zero or empty.")
	}
	if old != nil && getStr(old, "itemId") != item.id {
		return errorf(http.StatusBadRequest, codeDialog, "You cannot rename an Item Variant to another item.")
	}
	rec.vals["itemId"], rec.vals["itemNumber"] = item.id, getStr(item, "number")
	code := getStr(rec, "code")
	if code == "" {
		return errorf(http.StatusBadRequest, codeFieldValidation, "Code must have a value in Item Variant. It cannot be zero or empty.")
	}
	for _, v := range c.table(setItemVariants).rows {
		if v.id != rec.id && getStr(v, "itemId") == item.id && strings.EqualFold(getStr(v, "code"), code) {
			return duplicate(et, "Item No.,Code", getStr(item, "number")+","+code)
		}
	}
	return nil
}

func (s *Server) validateCustomer(c *wctx, et *entityType, rec, old *record) *apiError {
	if getStr(rec, "number") == "" {
		if old != nil {
			return errorf(http.StatusBadRequest, codeFieldValidation, "No. must have a value in Customer. It cannot be zero or empty.")
		}
		for {
			n := c.co.nextNumber("customer")
			if findBy(c.table(setCustomers), "number", n) == nil {
				rec.vals["number"] = n
				break
			}
		}
	}
	if r := findBy(c.table(setCustomers), "number", getStr(rec, "number")); r != nil && r.id != rec.id {
		return duplicate(et, "No.", getStr(rec, "number"))
	}
	if getStr(rec, "type") == "" {
		rec.vals["type"] = "Company"
	}
	if _, ok := rec.vals["blocked"]; !ok {
		rec.vals["blocked"] = " "
	}
	return nil
}

// --- pictures ---

// pictureRecord is the picture entity of an item: its id is the item's.
func (s *Server) pictureRecord(_ *company, item *record) *record {
	v, _ := item.vals["_pictureVersion"].(uint64)
	if v == 0 {
		v = item.version
	}
	return &record{id: item.id, version: v, vals: map[string]any{
		"id": item.id, "parentType": "Item", "width": getInt(item, "_pictureWidth"),
		"height": getInt(item, "_pictureHeight"), "contentType": getStr(item, "_pictureType"),
	}}
}

// setPicture stores an item's picture content (nil removes it); the item
// itself changes, as its Picture field is part of the Item record.
func (s *Server) setPicture(c *wctx, item *record, contentType string, content []byte) {
	item = item.clone()
	if len(content) == 0 {
		s.st.pictures = maps.Clone(s.st.pictures)
		delete(s.st.pictures, item.id)
		for _, k := range []string{"_pictureWidth", "_pictureHeight", "_pictureType"} {
			delete(item.vals, k)
		}
	} else {
		s.st.pictures = maps.Clone(s.st.pictures)
		s.st.pictures[item.id] = append([]byte(nil), content...)
		item.vals["_pictureType"] = contentType
		if cfg, format, err := image.DecodeConfig(bytes.NewReader(content)); err == nil {
			item.vals["_pictureWidth"], item.vals["_pictureHeight"] = int64(cfg.Width), int64(cfg.Height)
			if contentType == "" || contentType == "application/octet-stream" {
				item.vals["_pictureType"] = "image/" + format
			}
		}
	}
	c.save(s.types[setItems], item, "updated")
	item.vals["_pictureVersion"] = s.st.nextVersion()
}

func (s *Server) pictureContent(c *wctx, t *target, o *op) (result, *apiError) {
	item := t.parent
	switch o.method {
	case http.MethodGet:
		h := http.Header{}
		ct := getStr(item, "_pictureType")
		if ct == "" {
			ct = "application/octet-stream"
		}
		h.Set("Content-Type", ct)
		return result{status: http.StatusOK, header: h, body: s.st.pictures[item.id]}, nil
	case http.MethodPatch, http.MethodPut:
		if err := s.checkETag(o.header, t.rec); err != nil {
			return result{}, err
		}
		s.setPicture(c, item, o.header.Get("Content-Type"), o.body)
		return result{status: http.StatusNoContent, header: http.Header{}}, nil
	case http.MethodDelete:
		if err := s.checkETag(o.header, t.rec); err != nil {
			return result{}, err
		}
		s.setPicture(c, item, "", nil)
		return result{status: http.StatusNoContent, header: http.Header{}}, nil
	}
	return result{}, methodNotAllowed(o.method, "pictureContent", "Stream")
}

// --- inventory ---

// postLedger posts an item ledger entry: the item's inventory (a
// FlowField, so the item's row version and lastModifiedDateTime stay as
// they are) and the extension's stock level change.
func (s *Server) postLedger(c *wctx, item *record, variant, location string, qty decimal.Decimal, entryType, docType, docNo, source string) {
	if qty.IsZero() {
		return
	}
	n := c.co.series["ledger"] + 1
	c.co.series["ledger"] = n
	id := s.st.newID()
	ledger := &record{id: id, vals: map[string]any{
		"id": id, "entryNumber": int64(n), "itemNumber": getStr(item, "number"), "postingDate": s.today(),
		"entryType": entryType, "documentNumber": docNo, "documentType": docType, "quantity": qty,
		"description": getStr(item, "displayName"), "sourceNumber": source,
		"_variantCode": variant, "_locationCode": location,
	}}
	if source != "" {
		ledger.vals["sourceType"] = "Customer"
	} else {
		ledger.vals["sourceType"] = " "
	}
	if docType == "" {
		ledger.vals["documentType"] = " "
	}
	c.save(s.types[setLedger], ledger, "created")
	item = item.clone()
	item.vals["inventory"] = getDec(item, "inventory").Add(qty)
	c.put(setItems, item)

	var lvl *record
	for _, r := range c.table(setStockLevels).rows {
		if getStr(r, "itemId") == item.id && strings.EqualFold(getStr(r, "variantCode"), variant) && strings.EqualFold(getStr(r, "locationCode"), location) {
			lvl = r.clone()
			break
		}
	}
	kind := "updated"
	if lvl == nil {
		kind = "created"
		lid := s.st.newID()
		lvl = &record{id: lid, vals: map[string]any{
			"id": lid, "itemId": item.id, "itemNumber": getStr(item, "number"),
			"variantCode": strings.ToUpper(variant), "locationCode": strings.ToUpper(location), "inventory": decimal.Zero,
		}}
	}
	lvl.vals["inventory"] = getDec(lvl, "inventory").Add(qty)
	c.save(s.types[setStockLevels], lvl, kind)
}

// stockAt sums the ledger of an item at a variant and location.
func stockAt(c *wctx, itemNumber, variant, location string) decimal.Decimal {
	sum := decimal.Zero
	for _, r := range c.table(setLedger).rows {
		if strings.EqualFold(getStr(r, "itemNumber"), itemNumber) && strings.EqualFold(getStr(r, "_variantCode"), variant) &&
			strings.EqualFold(getStr(r, "_locationCode"), location) {
			sum = sum.Add(getDec(r, "quantity"))
		}
	}
	return sum
}

func (s *Server) today() string { return s.now().UTC().Format("2006-01-02") }
