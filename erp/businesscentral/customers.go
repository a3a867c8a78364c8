package businesscentral

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kontor-dev/kontor"
)

// bcCustomer is a customer of the API (resources/dynamics_customer.md).
type bcCustomer struct {
	ETag                  string    `json:"@odata.etag"`
	ID                    string    `json:"id"`
	Number                string    `json:"number"`
	DisplayName           string    `json:"displayName"`
	Type                  string    `json:"type"` // "Company" or "Person"
	AddressLine1          string    `json:"addressLine1"`
	AddressLine2          string    `json:"addressLine2"`
	City                  string    `json:"city"`
	State                 string    `json:"state"`
	Country               string    `json:"country"`
	PostalCode            string    `json:"postalCode"`
	PhoneNumber           string    `json:"phoneNumber"`
	Email                 string    `json:"email"`
	TaxLiable             bool      `json:"taxLiable"`
	TaxRegistrationNumber string    `json:"taxRegistrationNumber"`
	CurrencyCode          string    `json:"currencyCode"`
	Blocked               string    `json:"blocked"`
	LastModified          time.Time `json:"lastModifiedDateTime"`
}

// customerOf maps a Business Central customer: type Company is B2B with
// the display name as its company, Person is B2C with the display name as
// its last name (Business Central keeps one name); the address is the
// billing address; taxRegistrationNumber is the VAT ID.
func customerOf(bc bcCustomer) kontor.Customer {
	cu := kontor.Customer{
		Meta:   kontor.Meta{ERPKey: bc.ID, UpdatedAt: bc.LastModified},
		Number: bc.Number,
		Email:  bc.Email,
		Phone:  bc.PhoneNumber,
		VATID:  bc.TaxRegistrationNumber,
		Type:   kontor.B2C,
	}
	if bc.Type == "Company" {
		cu.Type = kontor.B2B
		cu.Company = bc.DisplayName
	} else {
		cu.LastName = bc.DisplayName
	}
	a := kontor.Address{Kind: "billing", Street: bc.AddressLine1, Street2: bc.AddressLine2, City: bc.City,
		Region: bc.State, Country: bc.Country, PostalCode: bc.PostalCode, Company: cu.Company, IsDefault: true}
	if a.Street != "" || a.City != "" || a.PostalCode != "" || a.Country != "" {
		cu.Addresses = []kontor.Address{a}
	}
	return cu
}

// ReadCustomers streams the customers changed at or after since.Since,
// those the connector wrote included.
func (c *Connector) ReadCustomers(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Customer, error] {
	return func(yield func(kontor.Customer, error) bool) {
		u, err := c.companyURL(ctx, "customers")
		if err != nil {
			yield(kontor.Customer{}, err)
			return
		}
		decode := func(raw json.RawMessage) ([]decoded[kontor.Customer], error) {
			var bc bcCustomer
			if err := json.Unmarshal(raw, &bc); err != nil {
				return nil, malformed(kontor.EntityCustomer, bc.Number, err)
			}
			return []decoded[kontor.Customer]{{v: customerOf(bc), key: bc.Number, updated: bc.LastModified}}, nil
		}
		q := filtered(changedSince("lastModifiedDateTime", since.Since))
		for cu, err := range readEntities(ctx, c.collection(ctx, u, q), since.Since, decode) {
			if !yield(cu, err) || err != nil {
				return
			}
		}
	}
}

// customerBody is what the connector writes of a customer.
type customerBody struct {
	Number                string `json:"number,omitempty"`
	DisplayName           string `json:"displayName"`
	Type                  string `json:"type"`
	AddressLine1          string `json:"addressLine1"`
	AddressLine2          string `json:"addressLine2"`
	City                  string `json:"city"`
	State                 string `json:"state"`
	Country               string `json:"country"`
	PostalCode            string `json:"postalCode"`
	PhoneNumber           string `json:"phoneNumber"`
	Email                 string `json:"email"`
	TaxRegistrationNumber string `json:"taxRegistrationNumber"`
}

// fields returns the body's fields by their API names.
func (b customerBody) fields() [][2]string {
	return [][2]string{
		{"displayName", b.DisplayName}, {"type", b.Type}, {"addressLine1", b.AddressLine1},
		{"addressLine2", b.AddressLine2}, {"city", b.City}, {"state", b.State}, {"country", b.Country},
		{"postalCode", b.PostalCode}, {"phoneNumber", b.PhoneNumber}, {"email", b.Email},
		{"taxRegistrationNumber", b.TaxRegistrationNumber},
	}
}

func (bc bcCustomer) fields() map[string]string {
	return map[string]string{
		"displayName": bc.DisplayName, "type": bc.Type, "addressLine1": bc.AddressLine1,
		"addressLine2": bc.AddressLine2, "city": bc.City, "state": bc.State, "country": bc.Country,
		"postalCode": bc.PostalCode, "phoneNumber": bc.PhoneNumber, "email": bc.Email,
		"taxRegistrationNumber": bc.TaxRegistrationNumber,
	}
}

// changes returns the fields of b that differ from the stored customer
// (ignoring case and surrounding space: Business Central upper-cases codes).
func (b customerBody) changes(cur bcCustomer) map[string]any {
	have := cur.fields()
	out := map[string]any{}
	for _, f := range b.fields() {
		if !strings.EqualFold(strings.TrimSpace(f[1]), strings.TrimSpace(have[f[0]])) {
			out[f[0]] = f[1]
		}
	}
	return out
}

// fieldLimits are the lengths of the customer table's fields.
var fieldLimits = map[string]int{
	"number": 20, "displayName": 100, "addressLine1": 100, "addressLine2": 50, "city": 30, "state": 30,
	"country": 10, "postalCode": 20, "phoneNumber": 30, "email": 80, "taxRegistrationNumber": 20,
}

// apiField maps an API field to the kontor field it comes from, for
// errors.
var apiField = map[string]string{
	"number": "number", "displayName": "last_name", "addressLine1": "addresses[0].street",
	"addressLine2": "addresses[0].street2", "city": "addresses[0].city", "state": "addresses[0].region",
	"country": "addresses[0].country", "postalCode": "addresses[0].postal_code", "phoneNumber": "phone",
	"email": "email", "taxRegistrationNumber": "vat_id",
}

// billingAddress returns the customer's default billing address, else its
// first.
func billingAddress(cu kontor.Customer) kontor.Address {
	for _, a := range cu.Addresses {
		if a.Kind == "billing" && a.IsDefault {
			return a
		}
	}
	for _, a := range cu.Addresses {
		if a.Kind == "billing" {
			return a
		}
	}
	if len(cu.Addresses) > 0 {
		return cu.Addresses[0]
	}
	return kontor.Address{}
}

// personName joins a first and last name.
func personName(first, last string) string { return strings.TrimSpace(first + " " + last) }

// customerBodyOf maps a customer for writing, checking the field lengths
// Business Central would reject.
func customerBodyOf(cu kontor.Customer) (customerBody, error) {
	a := billingAddress(cu)
	b := customerBody{
		Number:                cu.Number,
		Type:                  "Person",
		DisplayName:           personName(cu.FirstName, cu.LastName),
		AddressLine1:          a.Street,
		AddressLine2:          a.Street2,
		City:                  a.City,
		State:                 a.Region,
		Country:               strings.ToUpper(a.Country),
		PostalCode:            a.PostalCode,
		PhoneNumber:           cu.Phone,
		Email:                 cu.Email,
		TaxRegistrationNumber: kontor.NormalizeVATID(cu.VATID),
	}
	if b.PhoneNumber == "" {
		b.PhoneNumber = a.Phone
	}
	if cu.Type == kontor.B2B {
		b.Type = "Company"
		b.DisplayName = cu.Company
	}
	if b.DisplayName == "" {
		b.DisplayName = a.Company
	}
	if b.DisplayName == "" {
		b.DisplayName = personName(a.FirstName, a.LastName)
	}
	if b.DisplayName == "" {
		b.DisplayName = cu.Email
	}
	vals := map[string]string{"number": b.Number}
	for _, f := range b.fields() {
		vals[f[0]] = f[1]
	}
	for name, max := range fieldLimits {
		if n := utf8.RuneCountInString(vals[name]); n > max {
			return b, &kontor.ValidationError{Entity: kontor.EntityCustomer, Key: customerKey(cu), Field: apiField[name],
				Reason: fmt.Sprintf("is %d characters, Business Central's %s holds %d", n, name, max)}
		}
	}
	return b, nil
}

// customerKey names a customer in errors without personal data.
func customerKey(cu kontor.Customer) string {
	switch {
	case cu.Number != "":
		return cu.Number
	case cu.ShopKey != "":
		return cu.ShopKey
	}
	return cu.ERPKey
}

// lookup says how a customer is found: by id, number or e-mail address.
type lookup struct {
	by, value string // "id", "number" or "email"
}

// customerLookup is how the customer is found in Business Central: its
// ERP key, else its number, else its e-mail address.
func customerLookup(cu kontor.Customer) (lookup, bool) {
	switch {
	case cu.ERPKey != "":
		return lookup{"id", cu.ERPKey}, true
	case cu.Number != "":
		return lookup{"number", cu.Number}, true
	case cu.Email != "":
		return lookup{"email", cu.Email}, true
	}
	return lookup{}, false
}

// lookupOp reads the customers a lookup finds.
func lookupOp(company string, l lookup) batchOp {
	if l.by == "id" {
		return getOp(companyPath(company, "customers("+l.value+")"), nil)
	}
	return getOp(companyPath(company, "customers"), filtered(eq(l.by, l.value)))
}

// foundCustomer reads a lookup's result: the customer, or nil when there
// is none. Several customers with one e-mail address are a conflict.
func foundCustomer(r opResult, l lookup) (*bcCustomer, error) {
	if r.status == http.StatusNotFound && l.by == "id" {
		return nil, nil
	}
	if r.err != nil {
		return nil, r.err
	}
	if l.by == "id" {
		var bc bcCustomer
		if err := json.Unmarshal(r.body, &bc); err != nil {
			return nil, malformed(kontor.EntityCustomer, l.value, err)
		}
		return &bc, nil
	}
	vals, err := collectionValues(r)
	if err != nil {
		return nil, kontor.NewError(kontor.KindRetryable, System+" customer lookup", err)
	}
	switch len(vals) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, kontor.NewError(kontor.KindConflict, System+" customer lookup",
			fmt.Errorf("%d customers match the customer's %s", len(vals), l.by))
	}
	var bc bcCustomer
	if err := json.Unmarshal(vals[0], &bc); err != nil {
		return nil, malformed(kontor.EntityCustomer, bc.Number, err)
	}
	return &bc, nil
}

// customerResult is the outcome of making one customer exist.
type customerResult struct {
	outcome kontor.Outcome
	cust    bcCustomer // as stored, on success
	err     error
}

// upsertCustomers makes the customers exist in Business Central: one
// lookup per customer (a $batch of reads), then one create or update each
// (a $batch of writes). With createOnly a customer found is left as it is
// (an order only needs its customer to exist). An update sends the ETag
// read; on a 412 (or 409) the customer is read again and, if it still
// differs, updated once more. Customers sharing a key in one call are
// written one after the other.
func (c *Connector) upsertCustomers(ctx context.Context, custs []kontor.Customer, createOnly bool) ([]customerResult, error) {
	out := make([]customerResult, len(custs))
	company, err := c.CompanyID(ctx)
	if err != nil {
		return nil, err
	}
	bodies := make([]customerBody, len(custs))
	lookups := make([]lookup, len(custs))
	var todo []int
	for i, cu := range custs {
		b, err := customerBodyOf(cu)
		if err != nil {
			out[i] = customerResult{outcome: kontor.Failed, err: err}
			continue
		}
		l, ok := customerLookup(cu)
		if !ok {
			out[i] = customerResult{outcome: kontor.Failed, err: &kontor.ValidationError{Entity: kontor.EntityCustomer,
				Key: customerKey(cu), Field: "number", Reason: "a customer number, an ERP key or an e-mail address is required to find the customer"}}
			continue
		}
		bodies[i], lookups[i] = b, l
		todo = append(todo, i)
	}
	for len(todo) > 0 {
		// One round takes each key once.
		var round, later []int
		keys := map[lookup]bool{}
		for _, i := range todo {
			k := lookups[i]
			k.value = strings.ToUpper(k.value)
			if keys[k] {
				later = append(later, i)
				continue
			}
			keys[k] = true
			round = append(round, i)
		}
		if err := c.upsertRound(ctx, company, round, custs, bodies, lookups, createOnly, out); err != nil {
			return nil, err
		}
		todo = later
	}
	return out, nil
}

// upsertRound looks up and writes customers with distinct keys.
func (c *Connector) upsertRound(ctx context.Context, company string, round []int, custs []kontor.Customer,
	bodies []customerBody, lookups []lookup, createOnly bool, out []customerResult) error {
	found := make(map[int]*bcCustomer, len(round))
	pending := round
	for attempt := 0; attempt < 2 && len(pending) > 0; attempt++ {
		ops := make([]batchOp, len(pending))
		for k, i := range pending {
			l := lookups[i]
			if f := found[i]; f != nil {
				l = lookup{"id", f.ID} // a re-read after a conflict
			}
			ops[k] = lookupOp(company, l)
		}
		rs, err := c.runOps(ctx, ops, batchMode{readOnly: true})
		if err != nil {
			return err
		}
		var writes []int
		var wops []batchOp
		for k, i := range pending {
			l := lookups[i]
			if f := found[i]; f != nil {
				l = lookup{"id", f.ID}
			}
			bc, err := foundCustomer(rs[k], l)
			if err != nil {
				out[i] = customerResult{outcome: kontor.Failed, err: err}
				continue
			}
			switch {
			case bc == nil && l.by == "id" && found[i] == nil:
				out[i] = customerResult{outcome: kontor.Failed, err: kontor.NewError(kontor.KindNotFound,
					System+" customer", errors.New("no customer with the customer's ERP key"))}
			case bc == nil && found[i] != nil:
				out[i] = customerResult{outcome: kontor.Failed, err: kontor.NewError(kontor.KindNotFound,
					System+" customer", errors.New("the customer was deleted while it was written"))}
			case bc == nil:
				writes = append(writes, i)
				wops = append(wops, postOp(companyPath(company, "customers"), bodies[i]))
			case createOnly:
				out[i] = customerResult{outcome: kontor.Unchanged, cust: *bc}
			default:
				found[i] = bc
				ch := bodies[i].changes(*bc)
				if len(ch) == 0 {
					out[i] = customerResult{outcome: kontor.Unchanged, cust: *bc}
					continue
				}
				writes = append(writes, i)
				wops = append(wops, patchOp(companyPath(company, "customers("+bc.ID+")"), bc.ETag, ch))
			}
		}
		if len(wops) == 0 {
			return nil
		}
		rs, err = c.runOps(ctx, wops, batchMode{atomic: c.opt.atomic[kontor.EntityCustomer]})
		if err != nil {
			return err
		}
		pending = pending[:0:0]
		for k, i := range writes {
			r := rs[k]
			if r.err != nil {
				if k := kontor.KindOf(r.err); k == kontor.KindConflict && found[i] != nil && attempt == 0 {
					pending = append(pending, i) // changed meanwhile: read it again
					continue
				}
				out[i] = customerResult{outcome: kontor.Failed, err: r.err}
				continue
			}
			var bc bcCustomer
			if err := json.Unmarshal(r.body, &bc); err != nil || bc.ID == "" {
				out[i] = customerResult{outcome: kontor.Failed, err: &kontor.APIError{System: System, Op: "customer write",
					Kind: kontor.KindUnknown, StatusCode: r.status, Message: "the response has no customer id"}}
				continue
			}
			o := kontor.Created
			if found[i] != nil {
				o = kontor.Updated
			}
			out[i] = customerResult{outcome: o, cust: bc}
		}
	}
	return nil
}

// WriteCustomers creates or updates customers: found by ERP key, else by
// number, else by e-mail address; created when not found (Business
// Central numbers a customer without a number from its number series);
// updated, with the ETag read, only in the fields that differ, else
// Unchanged. B2B customers are of type Company with their VAT ID as
// taxRegistrationNumber, B2C customers of type Person.
func (c *Connector) WriteCustomers(ctx context.Context, customers []kontor.Customer) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(customers))
	var valid []kontor.Customer
	var idx []int
	for i, cu := range customers {
		results[i].Key = cu.Key()
		if err := cu.Validate(); err != nil {
			results[i].Outcome, results[i].Err = kontor.Failed, err
			continue
		}
		valid = append(valid, cu)
		idx = append(idx, i)
	}
	rs, err := c.upsertCustomers(ctx, valid, false)
	if err != nil {
		return nil, err
	}
	for k, r := range rs {
		i := idx[k]
		results[i].Outcome, results[i].Err = r.outcome, r.err
		if r.err == nil {
			results[i].Target = kontor.Meta{ERPKey: r.cust.ID, UpdatedAt: r.cust.LastModified}
		}
	}
	return results, nil
}
