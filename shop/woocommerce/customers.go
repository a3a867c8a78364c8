package woocommerce

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/kontor-dev/kontor"
)

// Meta data keys of customers.
const (
	// MetaCustomerNumber holds kontor.Customer.Number (the ERP's debtor
	// number once known).
	MetaCustomerNumber = "_kontor_customer_number"
	// MetaVATNumber is the user meta where the WooCommerce EU VAT Number
	// extension keeps a customer's VAT ID.
	MetaVATNumber = "vat_number"
)

// ReadCustomers reads the registered customers (every role) changed since
// the cursor. The customers endpoint has no modification filter, so it is
// paged by id, which new customers extend at the end, and filtered by
// date_modified_gmt here: every read costs a page per 100 customers.
// Guests exist only on their orders (kontor.Order.Customer).
func (c *Client) ReadCustomers(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Customer, error] {
	return func(yield func(kontor.Customer, error) bool) {
		stopped := false
		q := url.Values{"role": {"all"}, "orderby": {"id"}, "order": {"asc"}}
		err := pagedRead(ctx, c, "/customers", q, func(wc *Customer) bool {
			if !since.Since.IsZero() && wc.modified().Before(since.Since) {
				return true
			}
			if !yield(c.customerIn(wc), nil) {
				stopped = true
				return false
			}
			return true
		})
		if err != nil && !stopped {
			yield(kontor.Customer{}, err)
		}
	}
}

func (c *Client) customerIn(wc *Customer) kontor.Customer {
	cu := kontor.Customer{
		Meta:      kontor.Meta{ShopKey: idString(wc.ID), ERPKey: metaString(wc.MetaData, c.cfg.metaKey), UpdatedAt: wc.modified()},
		Number:    metaString(wc.MetaData, MetaCustomerNumber),
		Type:      kontor.B2C,
		Email:     wc.Email,
		Phone:     wc.Billing.Phone,
		FirstName: wc.FirstName,
		LastName:  wc.LastName,
		Company:   wc.Billing.Company,
		VATID:     strings.TrimSpace(metaString(wc.MetaData, MetaVATNumber)),
	}
	if cu.Number == "" {
		cu.Number = idString(wc.ID)
	}
	if cu.Company != "" {
		cu.Type = kontor.B2B
	}
	if wc.Role != "" && wc.Role != "customer" {
		cu.CustomerGroup = wc.Role
	}
	if hasAddress(wc.Billing) {
		a := addressIn(wc.Billing, "billing")
		a.IsDefault = true
		cu.Addresses = append(cu.Addresses, a)
	}
	if hasAddress(wc.Shipping) {
		a := addressIn(wc.Shipping, "shipping")
		a.IsDefault = true
		cu.Addresses = append(cu.Addresses, a)
	}
	return cu
}

func hasAddress(a Address) bool {
	return a.Address1 != "" || a.City != "" || a.Postcode != "" || a.Country != ""
}

// WriteCustomers creates or updates registered customers through
// /customers/batch. A customer is found by its shop key, else by its
// e-mail address (one GET /customers?email= per customer without a shop
// key; WooCommerce's customers are unique by e-mail), else created. The
// first billing and the first shipping address (or the first address)
// become the customer's addresses; the number, the ERP key and the VAT ID
// are kept in meta data. WooCommerce's REST API cannot set a user's role,
// so the customer group is not written. A customer without an e-mail
// address fails with kontor.KindValidation: WooCommerce requires one.
func (c *Client) WriteCustomers(ctx context.Context, customers []kontor.Customer) ([]kontor.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]kontor.Result, len(customers))
	type plan struct {
		index    int
		existing *Customer
		body     map[string]any
	}
	var plans []*plan
	for i := range customers {
		cu := &customers[i]
		results[i].Key = cu.Key()
		if err := cu.Validate(); err != nil {
			results[i] = failed(cu.Key(), err)
			continue
		}
		if cu.Email == "" {
			results[i] = failed(cu.Key(), &kontor.ValidationError{Entity: kontor.EntityCustomer, Key: cu.Number,
				Field: "email", Reason: "is required by WooCommerce"})
			continue
		}
		ex, err := c.findCustomer(ctx, cu)
		if err != nil {
			return nil, err
		}
		body := c.customerBody(cu)
		hash := fingerprint(body)
		if ex != nil && metaString(ex.MetaData, MetaHash) == hash {
			results[i] = kontor.Result{Key: cu.Key(), Outcome: kontor.Unchanged,
				Target: kontor.Meta{ShopKey: idString(ex.ID), ERPKey: cu.ERPKey, UpdatedAt: ex.modified()}}
			continue
		}
		body["meta_data"] = append(body["meta_data"].([]MetaData), meta(MetaHash, hash))
		if ex != nil {
			body["id"] = ex.ID
		}
		plans = append(plans, &plan{index: i, existing: ex, body: body})
	}
	ops := make([]batchOp, len(plans))
	for k, p := range plans {
		ops[k] = batchOp{create: p.existing == nil, body: p.body}
	}
	rs, err := c.batch(ctx, "/customers/batch", ops)
	if err != nil {
		return nil, err
	}
	for k, r := range rs {
		p := plans[k]
		cu := &customers[p.index]
		if r.err != nil {
			results[p.index] = failed(cu.Key(), r.err)
			continue
		}
		out := kontor.Updated
		if p.existing == nil {
			out = kontor.Created
		}
		results[p.index] = kontor.Result{Key: cu.Key(), Outcome: out,
			Target: kontor.Meta{ShopKey: idString(r.id), ERPKey: cu.ERPKey, UpdatedAt: r.modified.Time}}
	}
	return results, nil
}

// findCustomer finds the shop's customer by shop key, else by e-mail.
func (c *Client) findCustomer(ctx context.Context, cu *kontor.Customer) (*Customer, error) {
	if cu.ShopKey != "" && strings.Trim(cu.ShopKey, "0123456789") == "" {
		var wc Customer
		_, err := c.do(ctx, http.MethodGet, "/customers/"+cu.ShopKey, nil, nil, &wc)
		switch {
		case err == nil:
			return &wc, nil
		case kontor.KindOf(err) != kontor.KindNotFound:
			return nil, err
		}
	}
	var found []*Customer
	q := url.Values{"email": {cu.Email}, "role": {"all"}}
	if _, err := c.do(ctx, http.MethodGet, "/customers", q, nil, &found); err != nil {
		return nil, err
	}
	for _, wc := range found {
		if strings.EqualFold(wc.Email, cu.Email) {
			return wc, nil
		}
	}
	return nil, nil
}

// customerBody is the customer's JSON as WooCommerce takes it.
func (c *Client) customerBody(cu *kontor.Customer) map[string]any {
	var billing, shipping *kontor.Address
	for i := range cu.Addresses {
		a := &cu.Addresses[i]
		switch {
		case a.Kind == "billing" && billing == nil:
			billing = a
		case a.Kind == "shipping" && shipping == nil:
			shipping = a
		}
	}
	if billing == nil && len(cu.Addresses) > 0 {
		billing = &cu.Addresses[0]
	}
	b := Address{FirstName: cu.FirstName, LastName: cu.LastName, Company: cu.Company}
	if billing != nil {
		b = addressOut(*billing)
		if b.Company == "" {
			b.Company = cu.Company
		}
	}
	b.Email, b.Phone = cu.Email, cu.Phone
	var s Address
	if shipping != nil {
		s = addressOut(*shipping)
		s.Email = ""
	}
	return map[string]any{
		"email":      cu.Email,
		"first_name": cu.FirstName,
		"last_name":  cu.LastName,
		"billing":    b,
		"shipping":   s,
		"meta_data": []MetaData{
			meta(c.cfg.metaKey, cu.ERPKey),
			meta(MetaCustomerNumber, cu.Number),
			meta(MetaVATNumber, cu.VATID),
		},
	}
}
