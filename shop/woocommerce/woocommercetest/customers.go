package woocommercetest

import (
	"crypto/md5"
	"encoding/hex"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// Customer is a customer as GET /customers/<id> returns it.
type Customer struct {
	ID               int64      `json:"id"`
	DateCreated      string     `json:"date_created"`
	DateCreatedGMT   string     `json:"date_created_gmt"`
	DateModified     string     `json:"date_modified"`
	DateModifiedGMT  string     `json:"date_modified_gmt"`
	Email            string     `json:"email"`
	FirstName        string     `json:"first_name"`
	LastName         string     `json:"last_name"`
	Role             string     `json:"role"`
	Username         string     `json:"username"`
	Billing          Address    `json:"billing"`
	Shipping         Address    `json:"shipping"`
	IsPayingCustomer bool       `json:"is_paying_customer"`
	AvatarURL        string     `json:"avatar_url"`
	MetaData         []MetaData `json:"meta_data"`
}

type customerRec struct {
	c                 Customer
	created, modified time.Time
}

var customerSchema = []field{
	{name: "email", typ: tString},
	{name: "first_name", typ: tString},
	{name: "last_name", typ: tString},
	{name: "username", typ: tString},
	{name: "password", typ: tString},
	{name: "billing", typ: tObject},
	{name: "shipping", typ: tObject},
	{name: "meta_data", typ: tArray},
}

func (s *Server) renderCustomer(r *customerRec) Customer {
	c := r.c
	c.DateCreated, c.DateCreatedGMT = localString(r.created, s.cfg.loc), gmtString(r.created)
	c.DateModified, c.DateModifiedGMT = localString(r.modified, s.cfg.loc), gmtString(r.modified)
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(c.Email))))
	c.AvatarURL = "https://secure.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?s=96&d=mm&r=g"
	c.MetaData = cloneMeta(c.MetaData)
	return c
}

func (s *Server) customerJSON(r *customerRec) object {
	c := s.renderCustomer(r)
	obj := objectWithLinks(c, links("self", s.APIURL()+"/customers/"+itoa(c.ID), "collection", s.APIURL()+"/customers"))
	return addressMembers(obj, c.Billing, c.Shipping)
}

func errCustomerID(status int) *wpError {
	return newError(status, "woocommerce_rest_invalid_id", "Invalid resource ID.")
}

func (s *Server) customerByEmail(email string) *customerRec {
	for _, c := range s.customers {
		if strings.EqualFold(c.c.Email, email) {
			return c
		}
	}
	return nil
}

// newCustomer registers a customer (the caller holds mu), as
// wc_create_new_customer checks it.
func (s *Server) newCustomer(raw, in map[string]any, c *call) (*customerRec, *wpError) {
	if id, _ := restInteger(raw["id"]); id != 0 {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_customer_exists", "Cannot create existing resource.")
	}
	email, given := in["email"].(string)
	if !given {
		return nil, errMissingParams("email")
	}
	if _, err := mail.ParseAddress(email); err != nil || strings.ContainsAny(email, " <>") {
		return nil, newError(http.StatusBadRequest, "registration-error-invalid-email", "Please provide a valid email address.")
	}
	if s.customerByEmail(email) != nil {
		return nil, newError(http.StatusBadRequest, "registration-error-email-exists", "An account is already registered with your email address. Please log in.")
	}
	username, _ := in["username"].(string)
	if username == "" {
		username = strings.ToLower(email[:strings.Index(email, "@")])
		base := username
		for i := 1; slices.ContainsFunc(s.customerList(), func(x *customerRec) bool { return x.c.Username == username }); i++ {
			username = base + itoa(int64(i))
		}
	} else if slices.ContainsFunc(s.customerList(), func(x *customerRec) bool { return x.c.Username == username }) {
		return nil, newError(http.StatusBadRequest, "registration-error-username-exists", "An account is already registered with that username. Please choose another.")
	}
	r := &customerRec{c: Customer{ID: s.nextUser, Email: email, Username: username, Role: "customer"}, created: c.now, modified: c.now}
	s.nextUser++
	s.applyCustomer(r, in)
	s.customers[r.c.ID] = r
	c.emit("customer", "created", r.c.ID)
	return r, nil
}

func (s *Server) customerList() []*customerRec {
	out := make([]*customerRec, 0, len(s.customers))
	for _, c := range s.customers {
		out = append(out, c)
	}
	return out
}

func (s *Server) applyCustomer(r *customerRec, in map[string]any) {
	if v, ok := in["first_name"].(string); ok {
		r.c.FirstName = v
	}
	if v, ok := in["last_name"].(string); ok {
		r.c.LastName = v
	}
	if v, ok := in["billing"]; ok {
		applyAddress(&r.c.Billing, v)
	}
	if v, ok := in["shipping"]; ok {
		applyAddress(&r.c.Shipping, v)
		r.c.Shipping.Email = ""
	}
	if v, ok := in["meta_data"]; ok {
		r.c.MetaData = s.applyMeta(r.c.MetaData, v)
	}
}

func (s *Server) saveCustomer(r *customerRec, in map[string]any, c *call) *wpError {
	if email, ok := in["email"].(string); ok && !strings.EqualFold(email, r.c.Email) {
		if _, err := mail.ParseAddress(email); err != nil {
			return newError(http.StatusBadRequest, "woocommerce_rest_invalid_email", "Invalid email address.")
		}
		if other := s.customerByEmail(email); other != nil {
			return newError(http.StatusBadRequest, "woocommerce_rest_customer_invalid_email", "Email address is invalid.")
		}
		r.c.Email = email
	}
	if u, ok := in["username"].(string); ok && u != r.c.Username {
		return newError(http.StatusBadRequest, "woocommerce_rest_customer_invalid_argument", "Username isn't editable.")
	}
	s.applyCustomer(r, in)
	r.modified = c.now
	c.emit("customer", "updated", r.c.ID)
	return nil
}

var customerOrderby = []string{"id", "include", "name", "registered_date"}

var roles = []string{"all", "administrator", "editor", "author", "contributor", "subscriber", "customer", "shop_manager"}

func (s *Server) listCustomers(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, customerOrderby, "name", "asc")
	include, exclude := qc.ids("include"), qc.ids("exclude")
	role := qc.enum("role", "customer", roles)
	email := qc.get("email")
	search := qc.get("search")
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listed
	for _, r := range s.customers {
		cu := r.c
		switch {
		case include != nil && !slices.Contains(include, cu.ID), slices.Contains(exclude, cu.ID),
			role != "all" && cu.Role != role,
			email != "" && !strings.EqualFold(cu.Email, email),
			search != "" && !strings.Contains(strings.ToLower(cu.Email+" "+cu.Username+" "+cu.FirstName+" "+cu.LastName), strings.ToLower(search)):
			continue
		}
		items = append(items, listed{id: cu.ID, created: r.created, modified: r.modified, title: cu.Username, body: func() any { return s.customerJSON(r) }})
	}
	sortListed(items, p, include)
	return s.pageReply(c, items, p), nil
}

func (s *Server) getCustomer(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.customers[c.ids[0]]
	if !found {
		return nil, errCustomerID(http.StatusNotFound)
	}
	return ok(s.customerJSON(r)), nil
}

func (s *Server) createCustomerLocked(c *call, raw, in map[string]any) (*reply, *wpError) {
	r, err := s.newCustomer(raw, in, c)
	if err != nil {
		return nil, err
	}
	return created(s.customerJSON(r), s.APIURL()+"/customers/"+itoa(r.c.ID)), nil
}

func (s *Server) createCustomer(c *call) (*reply, *wpError) {
	raw, in, err := s.checkInput(c, customerSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createCustomerLocked(c, raw, in)
}

func (s *Server) updateCustomerLocked(c *call, id int64, in map[string]any) (*reply, *wpError) {
	r, found := s.customers[id]
	if !found {
		return nil, errCustomerID(http.StatusBadRequest)
	}
	if err := s.saveCustomer(r, in, c); err != nil {
		return nil, err
	}
	return ok(s.customerJSON(r)), nil
}

func (s *Server) updateCustomer(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, customerSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateCustomerLocked(c, c.ids[0], in)
}

func (s *Server) batchCustomers(c *call) (*reply, *wpError) {
	return s.batch(c, batchOps{
		schema: customerSchema,
		create: s.createCustomerLocked,
		update: s.updateCustomerLocked,
		delete: func(c *call, id int64) (*reply, *wpError) {
			r, found := s.customers[id]
			if !found {
				return nil, errCustomerID(http.StatusBadRequest)
			}
			body := s.customerJSON(r)
			delete(s.customers, id)
			c.emit("customer", "deleted", id)
			return ok(body), nil
		},
	})
}
