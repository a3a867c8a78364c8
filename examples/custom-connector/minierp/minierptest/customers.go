package minierptest

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// upsertCustomer creates or updates a POSTed customer by its external
// ref. The caller holds the lock.
func (s *Server) upsertCustomer(body []byte) reply {
	var c Customer
	if rep, ok := decode(body, &c); !ok {
		return rep
	}
	if st := s.failKeys[c.ExternalRef]; st != 0 && c.ExternalRef != "" {
		return s.injected(st)
	}
	if field, reason := checkCustomer(&c); field != "" {
		return errorTarget(http.StatusUnprocessableEntity, "validation_failed", field+": "+reason, field)
	}
	old, found := s.customers[c.ExternalRef]
	c.ID, c.Version, c.UpdatedAt = "", 0, time.Time{}
	if found {
		cur := old
		cur.ID, cur.Version, cur.UpdatedAt = "", 0, time.Time{}
		if reflect.DeepEqual(clone(cur), clone(c)) {
			return jsonReply(http.StatusOK, old)
		}
		c.ID = old.ID
	} else {
		c.ID = s.nextID("CUS")
	}
	c.UpdatedAt, c.Version = s.stamp()
	s.customers[c.ExternalRef] = clone(c)
	if found {
		return jsonReply(http.StatusOK, c)
	}
	return jsonReply(http.StatusCreated, c)
}

// checkCustomer returns the first field minierp refuses and why. Reasons
// never repeat the value: they reach logs.
func checkCustomer(c *Customer) (field, reason string) {
	switch {
	case c.ExternalRef == "":
		return "external_ref", "is required"
	case utf8.RuneCountInString(c.ExternalRef) > 64:
		return "external_ref", "exceeds 64 characters"
	case c.Type != "person" && c.Type != "company":
		return "type", "must be person or company"
	case c.Type == "company" && c.Company == "":
		return "company", "is required for a company"
	case c.Email != "" && !plainEmail(c.Email):
		return "email", "is not an e-mail address"
	}
	for i, a := range c.Addresses {
		if len(a.Country) != 2 {
			return fmt.Sprintf("addresses[%d].country", i), "must be an ISO 3166-1 alpha-2 code"
		}
	}
	return "", ""
}

func plainEmail(s string) bool {
	user, domain, ok := strings.Cut(s, "@")
	return ok && user != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " <>")
}

// Customers returns the customers, oldest first.
func (s *Server) Customers() []Customer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Customer, 0, len(s.customers))
	for _, c := range s.customers {
		out = append(out, clone(c))
	}
	slices.SortFunc(out, func(a, b Customer) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Customer returns the customer with the external ref.
func (s *Server) Customer(externalRef string) (Customer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[externalRef]
	return clone(c), ok
}
