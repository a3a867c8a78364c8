package minierp

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"time"
	"unicode/utf8"

	"github.com/kontor-dev/kontor"
)

// customerBody is what POST /api/customers takes.
type customerBody struct {
	ExternalRef string    `json:"external_ref"`
	Type        string    `json:"type"`
	Company     string    `json:"company,omitempty"`
	FirstName   string    `json:"first_name,omitempty"`
	LastName    string    `json:"last_name,omitempty"`
	Email       string    `json:"email,omitempty"`
	Phone       string    `json:"phone,omitempty"`
	VATID       string    `json:"vat_id,omitempty"`
	Language    string    `json:"language,omitempty"`
	PriceList   string    `json:"price_list,omitempty"`
	Addresses   []address `json:"addresses,omitempty"`
}

// customerRecord is what minierp answers about a customer: the body and
// the fields it assigns.
type customerRecord struct {
	ID string `json:"id"`
	customerBody
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at"`
}

// WriteCustomers creates or updates minierp customers, filed by external
// ref: the customer number, else the shop's key. One look-up finds those
// minierp has; one that holds the same data already is Unchanged and not
// sent; the others are POSTed (minierp upserts by external ref) and are
// Created or Updated as minierp answers 201 or 200. A customer with
// neither a number nor a shop key fails alone, as do those minierp
// refuses; a failure of the call fails the batch.
func (c *Connector) WriteCustomers(ctx context.Context, customers []kontor.Customer) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(customers))
	bodies := make([]*customerBody, len(customers))
	var refs []string
	for i := range customers {
		results[i].Key = customers[i].Key()
		body, err := customerFrom(&customers[i])
		if err != nil {
			results[i].Outcome, results[i].Err = kontor.Failed, err
			continue
		}
		bodies[i] = body
		refs = append(refs, body.ExternalRef)
	}

	existing, err := c.lookupCustomers(ctx, refs)
	if err != nil {
		return nil, err
	}
	for i, body := range bodies {
		if body == nil {
			continue
		}
		if old, ok := existing[body.ExternalRef]; ok && reflect.DeepEqual(old.customerBody, *body) {
			results[i].Outcome, results[i].Target = kontor.Unchanged, meta(old.ID, old.Version, old.UpdatedAt)
			continue
		}
		var saved customerRecord
		status, err := c.post(ctx, "/api/customers", idempotencyKey(ctx, i), body, &saved)
		switch {
		case err == nil:
			results[i].Outcome, results[i].Target = kontor.Updated, meta(saved.ID, saved.Version, saved.UpdatedAt)
			if status == http.StatusCreated {
				results[i].Outcome = kontor.Created
			}
		case itemError(err):
			results[i].Outcome, results[i].Err = kontor.Failed, err
		default:
			return nil, err
		}
	}
	return results, nil
}

// lookupCustomers returns minierp's customers with the external refs, by
// ref, in one request.
func (c *Connector) lookupCustomers(ctx context.Context, refs []string) (map[string]customerRecord, error) {
	found := make(map[string]customerRecord, len(refs))
	if len(refs) == 0 {
		return found, nil
	}
	var p page[customerRecord]
	if err := c.get(ctx, "/api/customers", url.Values{"external_ref": refs}, &p); err != nil {
		return nil, err
	}
	for _, r := range p.Items {
		found[r.ExternalRef] = r
	}
	return found, nil
}

// customerRef is the key minierp files a customer by: its number, else
// the shop's key. Never the e-mail address: refs travel in URLs and logs.
func customerRef(c *kontor.Customer) string {
	if c.Number != "" {
		return c.Number
	}
	return c.ShopKey
}

// customerFrom checks a customer and maps it to minierp's.
func customerFrom(c *kontor.Customer) (*customerBody, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ref := customerRef(c)
	switch {
	case ref == "":
		// The error's key must not fall back to the e-mail address.
		return nil, invalid(kontor.EntityCustomer, c.ERPKey, "number", "minierp files customers by number or shop key; the customer has neither")
	case utf8.RuneCountInString(ref) > maxRefLen:
		return nil, invalid(kontor.EntityCustomer, ref, "number", "exceeds the 64 characters minierp keeps of an external ref")
	}
	b := &customerBody{ExternalRef: ref, Type: customerType(c.Type), Company: c.Company, FirstName: c.FirstName,
		LastName: c.LastName, Email: c.Email, Phone: c.Phone, VATID: c.VATID, Language: c.Language,
		PriceList: c.CustomerGroup}
	for _, a := range c.Addresses {
		b.Addresses = append(b.Addresses, addressFrom(a))
	}
	return b, nil
}
