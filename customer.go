package kontor

import (
	"fmt"
	"net/mail"
	"strings"
)

// CustomerType tells business customers from consumers; it decides VAT
// handling and which ERP customer template applies.
type CustomerType string

// Customer types.
const (
	B2C CustomerType = "b2c"
	B2B CustomerType = "b2b"
)

// Customer is a buyer: a consumer, or a company with its VAT ID. Customers
// flow from the shop to the ERP.
type Customer struct {
	Meta
	// Number is the customer number people use (the ERP debtor number once
	// known, else the shop's).
	Number    string       `json:"number,omitempty"`
	Type      CustomerType `json:"type"`                 // B2B or B2C
	Email     string       `json:"email,omitempty"`      // personal data: never logged
	Phone     string       `json:"phone,omitempty"`      // personal data: never logged
	FirstName string       `json:"first_name,omitempty"` // the contact person for a business
	LastName  string       `json:"last_name,omitempty"`
	Company   string       `json:"company,omitempty"` // required for B2B
	// VATID is the EU VAT identification number with its country prefix,
	// e.g. DE123456789.
	VATID         string    `json:"vat_id,omitempty"`
	CustomerGroup string    `json:"customer_group,omitempty"` // selects prices and ERP posting groups
	Language      string    `json:"language,omitempty"`       // BCP 47, e.g. "de-DE"
	Addresses     []Address `json:"addresses,omitempty"`      // billing and shipping addresses
	// TaxExempt marks a customer that is not charged VAT (an EU business
	// with a valid VAT ID under reverse charge, an export).
	TaxExempt bool `json:"tax_exempt,omitempty"`
}

// Address is a postal address. Country is an ISO 3166-1 alpha-2 code.
type Address struct {
	Kind        string `json:"kind,omitempty"`       // "billing", "shipping" or empty
	FirstName   string `json:"first_name,omitempty"` // the recipient
	LastName    string `json:"last_name,omitempty"`
	Company     string `json:"company,omitempty"`
	Street      string `json:"street,omitempty"`  // street and house number
	Street2     string `json:"street2,omitempty"` // address supplement
	PostalCode  string `json:"postal_code,omitempty"`
	City        string `json:"city,omitempty"`
	Region      string `json:"region,omitempty"`  // state or province code
	Country     string `json:"country,omitempty"` // ISO 3166-1 alpha-2, e.g. "DE"
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
	VATID       string `json:"vat_id,omitempty"`      // a VAT ID that belongs to this address only
	IsDefault   bool   `json:"is_default,omitempty"`  // the customer's default for its Kind
	Description string `json:"description,omitempty"` // e.g. "Packstation 123"
}

// IsZero reports whether the address is empty.
func (a Address) IsZero() bool { return a == Address{} }

// Key returns the customer number, else the shop's or the ERP's key, and
// only as a last resort the e-mail address: keys end up in audit trails.
func (cu *Customer) Key() string {
	if k := cu.validationKey(); k != "" {
		return k
	}
	return cu.Email
}

// validationKey is Key without personal data: a validation error names the
// item, and error texts reach logs.
func (cu *Customer) validationKey() string {
	switch {
	case cu.Number != "":
		return cu.Number
	case cu.ShopKey != "":
		return cu.ShopKey
	}
	return cu.ERPKey
}

// Validate checks the customer: a known type, a company name and a VAT ID of
// the right shape for business customers in the EU, a parseable e-mail
// address, and valid addresses.
func (cu *Customer) Validate() error {
	c := &checker{entity: EntityCustomer, key: cu.validationKey()}
	cu.validate(c, "")
	return c.err()
}

func (cu *Customer) validate(c *checker, prefix string) {
	c.oneOf(prefix+"type", string(cu.Type), string(B2C), string(B2B))
	if cu.Type == "" {
		c.fail(prefix+"type", "is required")
	}
	if cu.Type == B2B {
		c.required(prefix+"company", cu.Company)
	}
	if cu.Email != "" {
		c.check(prefix+"email", checkEmail(cu.Email))
	}
	if cu.VATID != "" {
		c.check(prefix+"vat_id", CheckVATID(cu.VATID, vatIDCountry(cu.VATID)))
	}
	if cu.FirstName == "" && cu.LastName == "" && cu.Company == "" && cu.Email == "" {
		c.fail(prefix+"last_name", "a name, a company or an e-mail address is required")
	}
	for i, a := range cu.Addresses {
		a.validate(c, fmt.Sprintf("%saddresses[%d].", prefix, i))
	}
}

func (a *Address) validate(c *checker, prefix string) {
	c.required(prefix+"country", a.Country)
	if a.Country != "" {
		c.check(prefix+"country", CheckCountry(a.Country))
	}
	c.oneOf(prefix+"kind", a.Kind, "billing", "shipping")
	if a.Email != "" {
		c.check(prefix+"email", checkEmail(a.Email))
	}
	if a.VATID != "" {
		c.check(prefix+"vat_id", CheckVATID(a.VATID, vatIDCountry(a.VATID)))
	}
}

// vatIDCountry returns the country whose rules a VAT ID is checked by: the
// one its own prefix names, since a French company may well bill to a
// German address. EU and Northern Irish prefixes ("" here) get their full
// format check; another country's letters (CHE…, GB…, NO…) accept the ID as
// given; an ID without a letter prefix gets the EU check, which rejects it.
func vatIDCountry(id string) string {
	n := NormalizeVATID(id)
	if len(n) < 2 || !isUpperASCII(n[:2]) || n[:2] == "GR" {
		return ""
	}
	if _, eu := vatRules[n[:2]]; eu {
		return ""
	}
	return n[:2]
}

// checkEmail checks an e-mail address's shape without echoing it: the
// reason reaches logs.
func checkEmail(s string) error {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return fmt.Errorf("is not a plain e-mail address (user@domain.tld)")
	}
	return nil
}
