package shopify

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	graphql "github.com/hasura/go-graphql-client"

	"github.com/kontor-dev/kontor"
)

// Customers are upserted with customerSet, identified by a unique
// customer metafield (the identity namespace, key "customer_number")
// holding the customer's key. A business customer (B2B) is a company:
// found by its external ID (the customer's key), created with its
// contact and a location with the billing address and VAT ID, else
// renamed.

// customerSetInput is CustomerSetInput.
type customerSetInput struct {
	FirstName string                 `json:"firstName,omitempty"`
	LastName  string                 `json:"lastName,omitempty"`
	Email     string                 `json:"email,omitempty"`
	Phone     string                 `json:"phone,omitempty"`
	TaxExempt bool                   `json:"taxExempt"`
	Locale    string                 `json:"locale,omitempty"`
	Tags      []string               `json:"tags,omitempty"`
	Addresses []customerAddressInput `json:"addresses"`
}

func (customerSetInput) GetGraphQLType() string { return "CustomerSetInput" }

type customerAddressInput struct {
	Address1     string `json:"address1,omitempty"`
	Address2     string `json:"address2,omitempty"`
	City         string `json:"city,omitempty"`
	Company      string `json:"company,omitempty"`
	CountryCode  string `json:"countryCode,omitempty"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	Phone        string `json:"phone,omitempty"`
	ProvinceCode string `json:"provinceCode,omitempty"`
	Zip          string `json:"zip,omitempty"`
}

// customerSetIdentifiers is CustomerSetIdentifiers.
type customerSetIdentifiers struct {
	CustomID uniqueMetafieldValueInput `json:"customId"`
}

func (customerSetIdentifiers) GetGraphQLType() string { return "CustomerSetIdentifiers" }

type customerSet struct {
	CustomerSet struct {
		Customer *struct {
			ID        string
			UpdatedAt time.Time
		}
		UserErrors []codedUserError
	} `graphql:"customerSet(input: $input, identifier: $identifier)"`
}

type companyCreateInput struct {
	Company         companyInput          `json:"company"`
	CompanyContact  *companyContactInput  `json:"companyContact,omitempty"`
	CompanyLocation *companyLocationInput `json:"companyLocation,omitempty"`
}

func (companyCreateInput) GetGraphQLType() string { return "CompanyCreateInput" }

type companyInput struct {
	Name       string `json:"name"`
	ExternalID string `json:"externalId"`
}

func (companyInput) GetGraphQLType() string { return "CompanyInput" }

type companyContactInput struct {
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	Locale    string `json:"locale,omitempty"`
}

type companyLocationInput struct {
	Name              string               `json:"name"`
	ExternalID        string               `json:"externalId,omitempty"`
	TaxRegistrationID string               `json:"taxRegistrationId,omitempty"`
	TaxExempt         bool                 `json:"taxExempt"`
	BillingAddress    *companyAddressInput `json:"billingAddress,omitempty"`
	BillingSame       bool                 `json:"billingSameAsShipping"`
	ShippingAddress   *companyAddressInput `json:"shippingAddress,omitempty"`
}

type companyAddressInput struct {
	Address1    string `json:"address1,omitempty"`
	Address2    string `json:"address2,omitempty"`
	City        string `json:"city,omitempty"`
	Zip         string `json:"zip,omitempty"`
	ZoneCode    string `json:"zoneCode,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	Phone       string `json:"phone,omitempty"`
}

type companyCreate struct {
	CompanyCreate struct {
		Company *struct {
			ID        string
			UpdatedAt time.Time
		}
		UserErrors []codedUserError
	} `graphql:"companyCreate(input: $input)"`
}

type companyUpdate struct {
	CompanyUpdate struct {
		Company *struct {
			ID        string
			UpdatedAt time.Time
		}
		UserErrors []codedUserError
	} `graphql:"companyUpdate(companyId: $companyId, input: $input)"`
}

type companiesByExternalID struct {
	Companies struct {
		Nodes []struct {
			ID         string
			ExternalID *string
		}
	} `graphql:"companies(first: 5, query: $query)"`
}

// customerKeyField is the metafield key of the customer identity.
const customerKeyField = "customer_number"

// WriteCustomers upserts consumers with customerSet and business
// customers as companies (see the file comment). Personal data goes to
// Shopify only, never into errors or logs.
func (c *Client) WriteCustomers(ctx context.Context, customers []kontor.Customer) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]kontor.Result, len(customers))
	for i := range customers {
		cu := &customers[i]
		out[i].Key = cu.Key()
		if err := cu.Validate(); err != nil {
			out[i].Outcome, out[i].Err = kontor.Failed, err
			continue
		}
		var err error
		if cu.Type == kontor.B2B {
			err = c.writeCompany(ctx, cu, &out[i])
		} else {
			err = c.writeConsumer(ctx, cu, &out[i])
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *Client) writeConsumer(ctx context.Context, cu *kontor.Customer, r *kontor.Result) error {
	if customerKey(cu) == "" {
		r.Outcome, r.Err = kontor.Failed, &kontor.ValidationError{Entity: kontor.EntityCustomer, Field: "number",
			Reason: "a customer needs a number or an ERP key to be found again"}
		return nil
	}
	in := customerSetInput{FirstName: cu.FirstName, LastName: cu.LastName, Email: cu.Email, Phone: cu.Phone,
		TaxExempt: cu.TaxExempt, Locale: cu.Language, Addresses: []customerAddressInput{}}
	for _, a := range cu.Addresses {
		in.Addresses = append(in.Addresses, customerAddressInput{Address1: a.Street, Address2: a.Street2, City: a.City,
			Company: a.Company, CountryCode: a.Country, FirstName: a.FirstName, LastName: a.LastName, Phone: a.Phone,
			ProvinceCode: a.Region, Zip: a.PostalCode})
	}
	if cu.CustomerGroup != "" {
		in.Tags = []string{cu.CustomerGroup}
	}
	id := customerSetIdentifiers{CustomID: uniqueMetafieldValueInput{Namespace: c.cfg.namespace, Key: customerKeyField, Value: customerKey(cu)}}
	existed, err := c.customerExists(ctx, id.CustomID)
	if err != nil {
		return err
	}
	var m customerSet
	if err := c.mutate(ctx, "CustomerSet", &m, map[string]any{"input": in, "identifier": id}, true); err != nil {
		return err
	}
	if err := userErr(kontor.EntityCustomer, customerKey(cu), m.CustomerSet.UserErrors); err != nil {
		r.Outcome, r.Err = kontor.Failed, err
		return nil
	}
	if m.CustomerSet.Customer == nil {
		r.Outcome, r.Err = kontor.Failed, fmt.Errorf("shopify customerSet: no customer in the answer")
		return nil
	}
	r.Outcome = kontor.Created
	if existed {
		r.Outcome = kontor.Updated
	}
	r.Target = kontor.Meta{ShopKey: m.CustomerSet.Customer.ID, UpdatedAt: m.CustomerSet.Customer.UpdatedAt}
	return nil
}

// customerKey is what identifies a customer in both worlds: its number,
// else its ERP key. Never the e-mail address: it is personal data.
func customerKey(cu *kontor.Customer) string {
	if cu.Number != "" {
		return cu.Number
	}
	if cu.ERPKey != "" {
		return cu.ERPKey
	}
	return cu.ShopKey
}

type customerByIdentifier struct {
	Customer *struct{ ID string } `graphql:"customerByIdentifier(identifier: $identifier)"`
}

type customerIdentifierInput struct {
	CustomID uniqueMetafieldValueInput `json:"customId"`
}

func (customerIdentifierInput) GetGraphQLType() string { return "CustomerIdentifierInput" }

func (c *Client) customerExists(ctx context.Context, id uniqueMetafieldValueInput) (bool, error) {
	var q customerByIdentifier
	if err := c.query(ctx, "CustomerByIdentifier", &q, map[string]any{"identifier": customerIdentifierInput{CustomID: id}}); err != nil {
		return false, err
	}
	return q.Customer != nil, nil
}

func (c *Client) writeCompany(ctx context.Context, cu *kontor.Customer, r *kontor.Result) error {
	key := customerKey(cu)
	if key == "" {
		r.Outcome, r.Err = kontor.Failed, &kontor.ValidationError{Entity: kontor.EntityCustomer, Field: "number",
			Reason: "a business customer needs a number or an ERP key as the company's external ID"}
		return nil
	}
	var q companiesByExternalID
	if err := c.query(ctx, "CompaniesByExternalID", &q, map[string]any{"query": "external_id:" + searchValue(key)}); err != nil {
		return err
	}
	existing := ""
	for _, n := range q.Companies.Nodes {
		if deref(n.ExternalID) == key {
			existing = n.ID
		}
	}
	if existing != "" {
		var m companyUpdate
		err := c.mutate(ctx, "CompanyUpdate", &m, map[string]any{"companyId": graphql.ID(existing),
			"input": companyInput{Name: cu.Company, ExternalID: key}}, true)
		if err != nil {
			return err
		}
		if err := userErr(kontor.EntityCustomer, key, m.CompanyUpdate.UserErrors); err != nil {
			r.Outcome, r.Err = kontor.Failed, err
			return nil
		}
		r.Outcome, r.Target = kontor.Updated, kontor.Meta{ShopKey: existing}
		if m.CompanyUpdate.Company != nil {
			r.Target.UpdatedAt = m.CompanyUpdate.Company.UpdatedAt
		}
		return nil
	}
	in := companyCreateInput{Company: companyInput{Name: cu.Company, ExternalID: key}}
	if cu.Email != "" || cu.LastName != "" {
		in.CompanyContact = &companyContactInput{FirstName: cu.FirstName, LastName: cu.LastName, Email: cu.Email, Phone: cu.Phone, Locale: cu.Language}
	}
	loc := &companyLocationInput{Name: cu.Company, ExternalID: key, TaxRegistrationID: cu.VATID, TaxExempt: cu.TaxExempt}
	for _, a := range cu.Addresses {
		ca := &companyAddressInput{Address1: a.Street, Address2: a.Street2, City: a.City, Zip: a.PostalCode, ZoneCode: a.Region,
			CountryCode: a.Country, FirstName: a.FirstName, LastName: a.LastName, Phone: a.Phone}
		switch {
		case a.Kind == "shipping" && loc.ShippingAddress == nil:
			loc.ShippingAddress = ca
		case a.Kind != "shipping" && loc.BillingAddress == nil:
			loc.BillingAddress = ca
		}
	}
	if loc.ShippingAddress == nil && loc.BillingAddress != nil {
		loc.BillingSame = true
		loc.ShippingAddress = loc.BillingAddress
	}
	in.CompanyLocation = loc
	var m companyCreate
	// Not resent after a lost answer: a second create would make a second
	// company; the engine's retry finds it by its external ID.
	if err := c.mutate(ctx, "CompanyCreate", &m, map[string]any{"input": in}, false); err != nil {
		return err
	}
	if err := userErr(kontor.EntityCustomer, key, m.CompanyCreate.UserErrors); err != nil {
		r.Outcome, r.Err = kontor.Failed, err
		return nil
	}
	if m.CompanyCreate.Company == nil {
		r.Outcome, r.Err = kontor.Failed, fmt.Errorf("shopify companyCreate: no company in the answer")
		return nil
	}
	r.Outcome, r.Target = kontor.Created, kontor.Meta{ShopKey: m.CompanyCreate.Company.ID, UpdatedAt: m.CompanyCreate.Company.UpdatedAt}
	return nil
}

// customerNode is a customer as read.
type customerNode struct {
	ID                  string
	FirstName           *string
	LastName            *string
	DefaultEmailAddress *struct{ EmailAddress string }
	DefaultPhoneNumber  *struct{ PhoneNumber string }
	TaxExempt           bool
	Locale              string
	Tags                []string
	UpdatedAt           time.Time
	Number              *struct{ Value string } `graphql:"number: metafield(namespace: $namespace, key: \"customer_number\")"`
	DefaultAddress      *mailingAddress
	// A company's contacts are read as part of their company.
	CompanyContactProfiles []struct{ ID string }
}

type customersQuery struct {
	Customers struct {
		Nodes    []customerNode
		PageInfo pageInfo
	} `graphql:"customers(first: $first, after: $after, sortKey: UPDATED_AT, query: $query)"`
}

// companyNode is a company as read.
type companyNode struct {
	ID          string
	Name        string
	ExternalID  *string
	UpdatedAt   time.Time
	MainContact *struct {
		Customer struct {
			FirstName           *string
			LastName            *string
			DefaultEmailAddress *struct{ EmailAddress string }
		}
	}
	Locations struct {
		Nodes []struct {
			TaxSettings struct {
				TaxRegistrationID *string `graphql:"taxRegistrationId"`
				TaxExempt         bool
			}
			BillingAddress *struct {
				Address1    string
				Address2    *string
				City        *string
				Zip         *string
				ZoneCode    *string
				CountryCode string
			}
		}
	} `graphql:"locations(first: 1)"`
}

type companiesQuery struct {
	Companies struct {
		Nodes    []companyNode
		PageInfo pageInfo
	} `graphql:"companies(first: $first, after: $after, sortKey: UPDATED_AT, query: $query)"`
}

// ReadCustomers reads the consumers changed at or after since, then the
// companies (as business customers); customers who buy for a company are
// read as that company, not on their own. A customer's number is the one it
// was written with, else its numeric Shopify ID; a company's is its
// external ID, else its numeric ID.
func (c *Client) ReadCustomers(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Customer, error] {
	return func(yield func(kontor.Customer, error) bool) {
		vars := map[string]any{"first": c.cfg.pageSize, "after": (*string)(nil), "query": sinceQuery(since.Since), "namespace": c.cfg.namespace}
		for {
			if err := ctx.Err(); err != nil {
				yield(kontor.Customer{}, err)
				return
			}
			var q customersQuery
			if err := c.query(ctx, "Customers", &q, vars); err != nil {
				yield(kontor.Customer{}, fmt.Errorf("shopify: reading customers: %w", err))
				return
			}
			for _, n := range q.Customers.Nodes {
				if n.UpdatedAt.Before(since.Since) || len(n.CompanyContactProfiles) > 0 {
					continue
				}
				if err := ctx.Err(); err != nil {
					yield(kontor.Customer{}, err)
					return
				}
				if !yield(customerFromNode(&n), nil) {
					return
				}
			}
			if pi := q.Customers.PageInfo; !pi.HasNextPage || pi.EndCursor == nil {
				break
			} else {
				vars["after"] = pi.EndCursor
			}
		}
		delete(vars, "namespace")
		vars["after"] = (*string)(nil)
		for {
			if err := ctx.Err(); err != nil {
				yield(kontor.Customer{}, err)
				return
			}
			var q companiesQuery
			if err := c.query(ctx, "Companies", &q, vars); err != nil {
				yield(kontor.Customer{}, fmt.Errorf("shopify: reading companies: %w", err))
				return
			}
			for _, n := range q.Companies.Nodes {
				if n.UpdatedAt.Before(since.Since) {
					continue
				}
				if err := ctx.Err(); err != nil {
					yield(kontor.Customer{}, err)
					return
				}
				if !yield(companyFromNode(&n), nil) {
					return
				}
			}
			pi := q.Companies.PageInfo
			if !pi.HasNextPage || pi.EndCursor == nil {
				return
			}
			vars["after"] = pi.EndCursor
		}
	}
}

func customerFromNode(n *customerNode) kontor.Customer {
	cu := kontor.Customer{
		Meta:      kontor.Meta{ShopKey: n.ID, UpdatedAt: n.UpdatedAt},
		Type:      kontor.B2C,
		FirstName: deref(n.FirstName),
		LastName:  deref(n.LastName),
		TaxExempt: n.TaxExempt,
		Language:  n.Locale,
		Number:    legacyID(n.ID),
	}
	if n.Number != nil && n.Number.Value != "" {
		cu.Number = n.Number.Value
	}
	if n.DefaultEmailAddress != nil {
		cu.Email = n.DefaultEmailAddress.EmailAddress
	}
	if n.DefaultPhoneNumber != nil {
		cu.Phone = n.DefaultPhoneNumber.PhoneNumber
	}
	if a := n.DefaultAddress; a != nil {
		addr := a.address("billing")
		addr.IsDefault = true
		cu.Addresses = []kontor.Address{addr}
	}
	return cu
}

func companyFromNode(n *companyNode) kontor.Customer {
	cu := kontor.Customer{
		Meta:    kontor.Meta{ShopKey: n.ID, UpdatedAt: n.UpdatedAt},
		Type:    kontor.B2B,
		Company: n.Name,
		Number:  legacyID(n.ID),
	}
	if e := deref(n.ExternalID); e != "" {
		cu.Number, cu.ERPKey = e, e
	}
	if mc := n.MainContact; mc != nil {
		cu.FirstName, cu.LastName = deref(mc.Customer.FirstName), deref(mc.Customer.LastName)
		if mc.Customer.DefaultEmailAddress != nil {
			cu.Email = mc.Customer.DefaultEmailAddress.EmailAddress
		}
	}
	for _, l := range n.Locations.Nodes {
		cu.VATID = strings.TrimSpace(deref(l.TaxSettings.TaxRegistrationID))
		cu.TaxExempt = l.TaxSettings.TaxExempt
		if a := l.BillingAddress; a != nil {
			cu.Addresses = append(cu.Addresses, kontor.Address{Kind: "billing", Company: n.Name, Street: a.Address1,
				Street2: deref(a.Address2), City: deref(a.City), PostalCode: deref(a.Zip), Region: deref(a.ZoneCode),
				Country: a.CountryCode, IsDefault: true})
		}
	}
	return cu
}
