package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
)

// Config is everything the app needs to know, read from the environment
// by configFromEnv (the README lists the variables). The app's setup takes
// a Config and never reads the environment itself, so a test builds one
// that points at fakes.
type Config struct {
	// BC says where Business Central is and how to sign in: tenant,
	// environment, the Entra application's client id and secret, the
	// company. BaseURL and TokenURL replace the online endpoints (on
	// premises, tests).
	BC bc.Config
	// BCClientState is the secret Business Central sends back with every
	// change notification; required for its webhooks.
	BCClientState string
	// BCShippingCharge is the line a shop order's shipping charge
	// becomes, "Item:FREIGHT" or "Account:8100"; without it an order with
	// a shipping charge fails rather than losing the charge.
	BCShippingCharge *bc.ChargeLine
	// BCFeeCharge is the line each order fee (WooCommerce's fee lines,
	// such as a cash-on-delivery fee) becomes; without it an order with a
	// fee fails rather than losing the fee.
	BCFeeCharge *bc.ChargeLine
	// BCAmountOnlyCredit is the line an amount-only refund (a refund of
	// no items) is credited on; without it such a refund fails.
	BCAmountOnlyCredit *bc.ChargeLine
	// BCGuestCustomer is the customer number guest orders are sold to;
	// empty: a customer is created per buyer.
	BCGuestCustomer string
	// BCTrackingPage and BCStockPage are custom API pages
	// ("publisher/group/version/entitySet") that fill gaps of the standard
	// API: carriers and tracking numbers of shipments, stock per location.
	BCTrackingPage *bc.TrackingPage
	BCStockPage    *bc.StockPage
	// SkipItems are item numbers never published to the shop (service
	// items such as the shipping charge's).
	SkipItems []string

	// WooURL is the shop's address; WooKey and WooSecret a REST API key
	// with read/write permission.
	WooURL, WooKey, WooSecret string
	// WooWebhookSecret signs the shop's webhook deliveries.
	WooWebhookSecret string
	// WooCurrency is the shop's currency; empty: asked from the shop.
	WooCurrency string

	// StorePath is the SQLite file of the engine's state, unless
	// PostgresDSN names a PostgreSQL database.
	StorePath, PostgresDSN string
	// MappingFile is the mapping file; empty: the example shipped with
	// the app (mapping.yaml, built in).
	MappingFile string
	// OrdersSince leaves orders placed before it in the shop; zero: every
	// order the shop has.
	OrdersSince time.Time

	// Listen is the address the webhooks, the status page and the
	// metrics are served on.
	Listen string
	// PublicURL is where the shop and Business Central reach Listen
	// (https://sync.example.com); with it, -apply registers the webhooks.
	PublicURL string
	// OperatorToken lets a request with "Authorization: Bearer <token>"
	// replay dead letters on the status page.
	OperatorToken string
	// MaintainEvery is how often webhook subscriptions are checked and
	// renewed (Business Central's expire after three days).
	MaintainEvery time.Duration
	// StockEvery is how often stock is swept: Business Central announces
	// no stock change, so the sweep is what makes stock current.
	StockEvery time.Duration
	// LogRequests logs every request to either system (redacted); the
	// -v flag.
	LogRequests bool
}

// envVar is one environment variable: its name, whether it is required,
// and where it goes.
type envVar struct {
	name     string
	required bool
	set      func(c *Config, v string) error
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// envVars are the variables the app reads, in the README's order.
var envVars = []envVar{
	{"KONTOR_BC_TENANT_ID", false, func(c *Config, v string) error { c.BC.TenantID = v; return nil }},
	{"KONTOR_BC_ENVIRONMENT", false, func(c *Config, v string) error { c.BC.Environment = v; return nil }},
	{"KONTOR_BC_CLIENT_ID", true, func(c *Config, v string) error { c.BC.ClientID = v; return nil }},
	{"KONTOR_BC_CLIENT_SECRET", true, func(c *Config, v string) error { c.BC.ClientSecret = v; return nil }},
	{"KONTOR_BC_COMPANY", false, func(c *Config, v string) error {
		if guid.MatchString(v) {
			c.BC.CompanyID = v
		} else {
			c.BC.CompanyName = v
		}
		return nil
	}},
	{"KONTOR_BC_CURRENCY", false, func(c *Config, v string) error { c.BC.Currency = kontor.Currency(strings.ToUpper(v)); return nil }},
	{"KONTOR_BC_BASE_URL", false, func(c *Config, v string) error { c.BC.BaseURL = v; return nil }},
	{"KONTOR_BC_TOKEN_URL", false, func(c *Config, v string) error { c.BC.TokenURL = v; return nil }},
	{"KONTOR_BC_CLIENT_STATE", false, func(c *Config, v string) error { c.BCClientState = v; return nil }},
	{"KONTOR_BC_SHIPPING_CHARGE", false, func(c *Config, v string) (err error) {
		c.BCShippingCharge, err = chargeLine(v)
		return err
	}},
	{"KONTOR_BC_FEE_CHARGE", false, func(c *Config, v string) (err error) {
		c.BCFeeCharge, err = chargeLine(v)
		return err
	}},
	{"KONTOR_BC_AMOUNT_ONLY_CREDIT", false, func(c *Config, v string) (err error) {
		c.BCAmountOnlyCredit, err = chargeLine(v)
		return err
	}},
	{"KONTOR_BC_GUEST_CUSTOMER", false, func(c *Config, v string) error { c.BCGuestCustomer = v; return nil }},
	{"KONTOR_BC_TRACKING_PAGE", false, func(c *Config, v string) error {
		route, set, err := customPage(v)
		c.BCTrackingPage = &bc.TrackingPage{Route: route, EntitySet: set}
		return err
	}},
	{"KONTOR_BC_STOCK_PAGE", false, func(c *Config, v string) error {
		route, set, err := customPage(v)
		c.BCStockPage = &bc.StockPage{Route: route, EntitySet: set}
		return err
	}},
	{"KONTOR_BC_SKIP_ITEMS", false, func(c *Config, v string) error {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				c.SkipItems = append(c.SkipItems, strings.ToUpper(n))
			}
		}
		return nil
	}},
	{"KONTOR_WOO_URL", true, func(c *Config, v string) error { c.WooURL = v; return nil }},
	{"KONTOR_WOO_CONSUMER_KEY", true, func(c *Config, v string) error { c.WooKey = v; return nil }},
	{"KONTOR_WOO_CONSUMER_SECRET", true, func(c *Config, v string) error { c.WooSecret = v; return nil }},
	{"KONTOR_WOO_WEBHOOK_SECRET", false, func(c *Config, v string) error { c.WooWebhookSecret = v; return nil }},
	{"KONTOR_WOO_CURRENCY", false, func(c *Config, v string) error { c.WooCurrency = strings.ToUpper(v); return nil }},
	{"KONTOR_STORE", false, func(c *Config, v string) error { c.StorePath = v; return nil }},
	{"KONTOR_POSTGRES_DSN", false, func(c *Config, v string) error { c.PostgresDSN = v; return nil }},
	{"KONTOR_MAPPING", false, func(c *Config, v string) error { c.MappingFile = v; return nil }},
	{"KONTOR_ORDERS_SINCE", false, func(c *Config, v string) error {
		for _, layout := range []string{time.RFC3339, time.DateOnly} {
			if t, err := time.Parse(layout, v); err == nil {
				c.OrdersSince = t
				return nil
			}
		}
		return fmt.Errorf("want a date (2025-01-31) or an RFC 3339 time, got %q", v)
	}},
	{"KONTOR_LISTEN", false, func(c *Config, v string) error { c.Listen = v; return nil }},
	{"KONTOR_PUBLIC_URL", false, func(c *Config, v string) error { c.PublicURL = strings.TrimRight(v, "/"); return nil }},
	{"KONTOR_OPERATOR_TOKEN", false, func(c *Config, v string) error { c.OperatorToken = v; return nil }},
}

// customPage splits "publisher/group/version/entitySet" into the page's
// route and entity set.
func customPage(v string) (route, set string, err error) {
	i := strings.LastIndex(v, "/")
	if i <= 0 || strings.Count(v, "/") != 3 || i == len(v)-1 {
		return "", "", fmt.Errorf("want publisher/group/version/entitySet, got %q", v)
	}
	return v[:i], v[i+1:], nil
}

// defaults returns a Config with what a variable left unset gets.
func defaults() Config {
	return Config{
		BC:            bc.Config{Environment: "production"},
		StorePath:     "kontor-woocommerce-bc.db",
		Listen:        ":8080",
		MaintainEvery: time.Hour,
		StockEvery:    time.Minute,
	}
}

// configFromEnv reads the Config from environment variables through
// getenv (os.Getenv in main). It reports every missing or malformed
// variable at once.
func configFromEnv(getenv func(string) string) (Config, error) {
	c := defaults()
	var errs []error
	for _, v := range envVars {
		val := strings.TrimSpace(getenv(v.name))
		if val == "" {
			if v.required {
				errs = append(errs, fmt.Errorf("%s is not set", v.name))
			}
			continue
		}
		if err := v.set(&c, val); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	if c.BC.TenantID == "" && c.BC.BaseURL == "" {
		errs = append(errs, errors.New("KONTOR_BC_TENANT_ID is not set (or KONTOR_BC_BASE_URL for a server on premises)"))
	}
	if c.PublicURL != "" {
		if c.WooWebhookSecret == "" {
			errs = append(errs, errors.New("KONTOR_WOO_WEBHOOK_SECRET is not set, but KONTOR_PUBLIC_URL is: webhooks need it"))
		}
		if c.BCClientState == "" {
			errs = append(errs, errors.New("KONTOR_BC_CLIENT_STATE is not set, but KONTOR_PUBLIC_URL is: webhooks need it"))
		}
	}
	for _, l := range []*bc.ChargeLine{c.BCShippingCharge, c.BCFeeCharge, c.BCAmountOnlyCredit} {
		if l != nil && l.LineType == "Item" {
			c.SkipItems = append(c.SkipItems, strings.ToUpper(l.Number))
		}
	}
	return c, errors.Join(errs...)
}

// chargeLine parses "Item:<item number>" or "Account:<G/L account>".
func chargeLine(v string) (*bc.ChargeLine, error) {
	typ, number, ok := strings.Cut(v, ":")
	if !ok || (typ != "Item" && typ != "Account") || number == "" {
		return nil, fmt.Errorf("want Item:<item number> or Account:<G/L account>, got %q", v)
	}
	return &bc.ChargeLine{LineType: typ, Number: number}, nil
}
