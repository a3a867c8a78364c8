package shopifytest

import (
	"context"
	"net/mail"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
)

// customerCreate, customerUpdate, customerSet, companyCreate, companyUpdate
// and companyAssignCustomerAsContact, and the customer and company records
// they share with seeding.

// addCustomer creates a customer record. Callers hold s.mu.
func (s *Server) addCustomer(r *reqCtx, c Customer) *customer {
	st := r.st
	id, n := st.newID("Customer")
	rec := &customer{
		id: id, num: n, firstName: c.FirstName, lastName: c.LastName, email: c.Email, phone: c.Phone,
		note: c.Note, tags: normalizeTags(c.Tags), taxExempt: c.TaxExempt, locale: c.Locale, state: "DISABLED",
		createdAt: r.now, updatedAt: r.now,
	}
	for i := range c.Addresses {
		rec.addresses = append(rec.addresses, newAddress(st, &c.Addresses[i]))
	}
	for _, m := range c.Metafields {
		upsertMetafield(st, &rec.metafields, "CUSTOMER", metafieldIn{Namespace: sp(m.Namespace), Key: &m.Key, Value: &m.Value, Type: ptr(orDefault(m.Type, "single_line_text_field"))}, r.now)
	}
	st.customers = append(st.customers, rec)
	st.nodes[id] = rec
	return rec
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

type customerPayloadR struct {
	Customer   *customerR
	UserErrors []*userError
}

// checkCustomer validates a customer input the way customerCreate does.
func checkCustomer(st *state, in customerIn, self *customer, creating bool) []*userError {
	var errs []*userError
	if in.Email != nil && *in.Email != "" {
		if _, err := mail.ParseAddress(*in.Email); err != nil || !strings.Contains(*in.Email, "@") {
			errs = append(errs, uerr("", "Email is invalid", "email"))
		} else {
			for _, c := range st.customers {
				if c != self && strings.EqualFold(c.email, *in.Email) {
					errs = append(errs, uerr("", "Email has already been taken", "email"))
				}
			}
		}
	}
	if in.Phone != nil && *in.Phone != "" {
		if !strings.HasPrefix(*in.Phone, "+") {
			errs = append(errs, uerr("", "Phone is invalid", "phone"))
		}
	}
	if creating && str(in.Email) == "" && str(in.Phone) == "" && str(in.FirstName) == "" && str(in.LastName) == "" {
		errs = append(errs, uerr("", "A name, phone number, or email address must be present", "input"))
	}
	return errs
}

func applyCustomer(st *state, c *customer, in customerIn, now time.Time) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.firstName, in.FirstName)
	set(&c.lastName, in.LastName)
	set(&c.email, in.Email)
	set(&c.phone, in.Phone)
	set(&c.note, in.Note)
	set(&c.locale, in.Locale)
	if in.Tags != nil {
		c.tags = normalizeTags(*in.Tags)
	}
	if in.TaxExempt != nil {
		c.taxExempt = *in.TaxExempt
	}
	if in.Addresses != nil {
		c.addresses = nil
		for _, a := range *in.Addresses {
			c.addresses = append(c.addresses, newAddress(st, addressFromIn(a)))
		}
	}
	if in.Metafields != nil {
		for _, m := range *in.Metafields {
			upsertMetafield(st, &c.metafields, "CUSTOMER", m, now)
		}
	}
	c.updatedAt = now
}

func addressFromIn(a addressIn) *Address {
	return &Address{
		FirstName: str(a.FirstName), LastName: str(a.LastName), Company: str(a.Company), Address1: str(a.Address1),
		Address2: str(a.Address2), City: str(a.City), ProvinceCode: orDefault(str(a.ProvinceCode), str(a.ZoneCode)),
		Zip: str(a.Zip), CountryCode: str(a.CountryCode), Phone: str(a.Phone),
	}
}

func (root) CustomerCreate(ctx context.Context, a struct{ Input in[customerIn] }) *customerPayloadR {
	r := rc(ctx)
	in := a.Input.V
	if errs := checkCustomer(r.st, in, nil, true); len(errs) > 0 {
		return &customerPayloadR{UserErrors: errs}
	}
	c := r.srv.addCustomer(r, Customer{})
	applyCustomer(r.st, c, in, r.now)
	r.fire("customers/create", r.srv.restCustomer(c))
	return &customerPayloadR{Customer: newCustomerR(c), UserErrors: []*userError{}}
}

func (root) CustomerUpdate(ctx context.Context, a struct{ Input in[customerIn] }) *customerPayloadR {
	r := rc(ctx)
	in := a.Input.V
	c, ok := lookup[*customer](r.st, str(in.ID))
	if !ok {
		return &customerPayloadR{UserErrors: []*userError{uerr("", "Customer does not exist", "id")}}
	}
	if errs := checkCustomer(r.st, in, c, false); len(errs) > 0 {
		return &customerPayloadR{UserErrors: errs}
	}
	applyCustomer(r.st, c, in, r.now)
	r.fire("customers/update", r.srv.restCustomer(c))
	return &customerPayloadR{Customer: newCustomerR(c), UserErrors: []*userError{}}
}

func (root) CustomerSet(ctx context.Context, a struct {
	Input      in[customerIn]
	Identifier in[identifierIn]
}) *customerPayloadR {
	r := rc(ctx)
	in := a.Input.V
	var c *customer
	if a.Identifier.Set {
		id := a.Identifier.V
		c = findCustomer(r.st, id)
		if c == nil && id.ID != nil {
			return &customerPayloadR{UserErrors: []*userError{uerr("NOT_FOUND", "Resource matching the identifier was not found.", "identifier", "id")}}
		}
		if c == nil && id.Email != nil && in.Email == nil {
			in.Email = id.Email
		}
		if c == nil && id.Phone != nil && in.Phone == nil {
			in.Phone = id.Phone
		}
	}
	if errs := checkCustomer(r.st, in, c, c == nil); len(errs) > 0 {
		for _, e := range errs {
			code := "INVALID"
			if strings.Contains(e.Message, "taken") {
				code = "TAKEN"
			}
			e.Code = &code
			f := append([]string{"input"}, *e.Field...)
			e.Field = &f
		}
		return &customerPayloadR{UserErrors: errs}
	}
	topic := "customers/update"
	if c == nil {
		c = r.srv.addCustomer(r, Customer{})
		topic = "customers/create"
		if a.Identifier.Set && a.Identifier.V.CustomID != nil {
			cid := a.Identifier.V.CustomID
			upsertMetafield(r.st, &c.metafields, "CUSTOMER", metafieldIn{Namespace: ptr(nsOrCustom(cid.Namespace)), Key: &cid.Key, Value: &cid.Value, Type: ptr("single_line_text_field")}, r.now)
		}
	}
	applyCustomer(r.st, c, in, r.now)
	r.fire(topic, r.srv.restCustomer(c))
	return &customerPayloadR{Customer: newCustomerR(c), UserErrors: []*userError{}}
}

// ---------------------------------------------------------------- companies

// addCompany creates a company, its locations and its contacts. Callers
// hold s.mu.
func (s *Server) addCompany(r *reqCtx, c Company) (*company, error) {
	st := r.st
	id, n := st.newID("Company")
	co := &company{id: id, num: n, name: c.Name, externalID: c.ExternalID, note: c.Note, since: r.now, createdAt: r.now, updatedAt: r.now}
	for _, cid := range c.ContactIDs {
		cu, ok := lookup[*customer](st, cid)
		if !ok {
			return nil, errNoCustomer(cid)
		}
		s.addContact(r, co, cu)
	}
	for _, l := range c.Locations {
		s.addCompanyLocation(r, co, l)
	}
	st.companies = append(st.companies, co)
	st.nodes[id] = co
	return co, nil
}

func (s *Server) addContact(r *reqCtx, co *company, cu *customer) *companyContact {
	for _, ct := range co.contacts {
		if ct.customer == cu {
			return ct
		}
	}
	ct := &companyContact{customer: cu, company: co, createdAt: r.now, updatedAt: r.now}
	ct.id, _ = r.st.newID("CompanyContact")
	r.st.nodes[ct.id] = ct
	co.contacts = append(co.contacts, ct)
	cu.contacts = append(cu.contacts, ct)
	if co.mainContact == nil {
		co.mainContact = ct
	}
	return ct
}

func (s *Server) addCompanyLocation(r *reqCtx, co *company, l CompanyLocation) *companyLocation {
	st := r.st
	cl := &companyLocation{
		name: orDefault(l.Name, co.name), externalID: l.ExternalID, currency: orDefault(l.Currency, st.shop.currency),
		company: co, taxID: l.TaxRegistrationID, taxExempt: l.TaxExempt, createdAt: r.now, updatedAt: r.now,
	}
	cl.id, _ = st.newID("CompanyLocation")
	cl.billing = newCompanyAddress(st, l.BillingAddress)
	cl.shipping = newCompanyAddress(st, l.ShippingAddress)
	if cl.billing == nil && cl.shipping != nil {
		cl.billing = newCompanyAddress(st, l.ShippingAddress)
	}
	st.nodes[cl.id] = cl
	co.locations = append(co.locations, cl)
	return cl
}

// newCompanyAddress is an address with a CompanyAddress ID.
func newCompanyAddress(st *state, a *Address) *address {
	ad := newAddress(st, a)
	if ad == nil {
		return nil
	}
	delete(st.nodes, ad.id)
	ad.id, _ = st.newID("CompanyAddress")
	st.nodes[ad.id] = ad
	return ad
}

type companyPayloadR struct {
	Company    *companyR
	UserErrors []*userError
}

func (root) CompanyCreate(ctx context.Context, a struct{ Input in[companyCreateIn] }) *companyPayloadR {
	r := rc(ctx)
	in := a.Input.V
	var errs []*userError
	if strings.TrimSpace(str(in.Company.Name)) == "" {
		errs = append(errs, uerr("BLANK", "Name can't be blank", "input", "company", "name"))
	}
	if ext := str(in.Company.ExternalID); ext != "" {
		for _, c := range r.st.companies {
			if c.externalID == ext {
				errs = append(errs, uerr("TAKEN", "External Id has already been taken", "input", "company", "externalId"))
			}
		}
	}
	if ct := in.CompanyContact; ct != nil {
		for _, e := range checkCustomer(r.st, customerIn{Email: ct.Email, Phone: ct.Phone}, nil, false) {
			code := "INVALID"
			if strings.Contains(e.Message, "taken") {
				code = "TAKEN"
			}
			errs = append(errs, uerr(code, e.Message, "input", "companyContact", (*e.Field)[0]))
		}
	}
	if len(errs) > 0 {
		return &companyPayloadR{UserErrors: errs}
	}
	co, _ := r.srv.addCompany(r, Company{Name: str(in.Company.Name), ExternalID: str(in.Company.ExternalID), Note: str(in.Company.Note)})
	if in.Company.CustomerSince != nil {
		if t, err := parseDateTime(*in.Company.CustomerSince); err == nil {
			co.since = t
		}
	}
	if ct := in.CompanyContact; ct != nil {
		cu := r.srv.addCustomer(r, Customer{FirstName: str(ct.FirstName), LastName: str(ct.LastName), Email: str(ct.Email), Phone: str(ct.Phone), Locale: str(ct.Locale)})
		contact := r.srv.addContact(r, co, cu)
		contact.title, contact.locale = str(ct.Title), str(ct.Locale)
		r.fire("customers/create", r.srv.restCustomer(cu))
	}
	if l := in.CompanyLocation; l != nil {
		cl := CompanyLocation{Name: str(l.Name), ExternalID: str(l.ExternalID), TaxRegistrationID: str(l.TaxRegistrationID)}
		if l.TaxExempt != nil {
			cl.TaxExempt = *l.TaxExempt
		}
		if l.ShippingAddress != nil {
			cl.ShippingAddress = addressFromIn(*l.ShippingAddress)
		}
		if l.BillingAddress != nil {
			cl.BillingAddress = addressFromIn(*l.BillingAddress)
		} else if l.BillingSameAsShipping != nil && *l.BillingSameAsShipping {
			cl.BillingAddress = cl.ShippingAddress
		}
		loc := r.srv.addCompanyLocation(r, co, cl)
		loc.note, loc.phone, loc.locale = str(l.Note), str(l.Phone), str(l.Locale)
	} else {
		r.srv.addCompanyLocation(r, co, CompanyLocation{})
	}
	r.fire("companies/create", r.srv.restCompany(co))
	return &companyPayloadR{Company: newCompanyR(co), UserErrors: []*userError{}}
}

func (root) CompanyUpdate(ctx context.Context, a struct {
	CompanyId graphql.ID
	Input     in[companyIn]
}) *companyPayloadR {
	r := rc(ctx)
	co, ok := lookup[*company](r.st, string(a.CompanyId))
	if !ok {
		return &companyPayloadR{UserErrors: []*userError{uerr("RESOURCE_NOT_FOUND", "Resource requested does not exist.", "companyId")}}
	}
	in := a.Input.V
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return &companyPayloadR{UserErrors: []*userError{uerr("BLANK", "Name can't be blank", "input", "name")}}
	}
	if in.ExternalID != nil && *in.ExternalID != "" {
		for _, c := range r.st.companies {
			if c != co && c.externalID == *in.ExternalID {
				return &companyPayloadR{UserErrors: []*userError{uerr("TAKEN", "External Id has already been taken", "input", "externalId")}}
			}
		}
	}
	if in.Name != nil {
		co.name = *in.Name
	}
	if in.ExternalID != nil {
		co.externalID = *in.ExternalID
	}
	if in.Note != nil {
		co.note = *in.Note
	}
	co.updatedAt = r.now
	r.fire("companies/update", r.srv.restCompany(co))
	return &companyPayloadR{Company: newCompanyR(co), UserErrors: []*userError{}}
}

type contactPayloadR struct {
	CompanyContact *companyContactR
	UserErrors     []*userError
}

func (root) CompanyAssignCustomerAsContact(ctx context.Context, a struct {
	CompanyId  graphql.ID
	CustomerId graphql.ID
}) *contactPayloadR {
	r := rc(ctx)
	co, ok := lookup[*company](r.st, string(a.CompanyId))
	if !ok {
		return &contactPayloadR{UserErrors: []*userError{uerr("RESOURCE_NOT_FOUND", "Resource requested does not exist.", "companyId")}}
	}
	cu, ok := lookup[*customer](r.st, string(a.CustomerId))
	if !ok {
		return &contactPayloadR{UserErrors: []*userError{uerr("RESOURCE_NOT_FOUND", "Resource requested does not exist.", "customerId")}}
	}
	ct := r.srv.addContact(r, co, cu)
	co.updatedAt = r.now
	return &contactPayloadR{CompanyContact: newContactR(ct), UserErrors: []*userError{}}
}
