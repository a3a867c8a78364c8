package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/shop/shopify"
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

	// ShopifyShop is the shop's name or domain ("my-shop",
	// "my-shop.myshopify.com"); ShopifyToken the custom app's Admin API
	// access token; ShopifyAPIVersion the pinned Admin API version.
	ShopifyShop, ShopifyToken, ShopifyAPIVersion string
	// ShopifyClientSecret is the app's client secret, with which Shopify
	// signs webhook deliveries; ShopifyPreviousSecret the one before a
	// rotation, accepted until the rotation is through.
	ShopifyClientSecret, ShopifyPreviousSecret string
	// ShopifyEndpoint replaces https://{shop}.myshopify.com (a proxy, a
	// test server).
	ShopifyEndpoint string
	// ShopifyLocations maps Business Central location codes to Shopify
	// locations (names or GIDs); the blank location goes to the first
	// active one.
	ShopifyLocations map[string]string

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

var apiVersion = regexp.MustCompile(`^\d{4}-(01|04|07|10)$`)

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
	{"KONTOR_BC_SHIPPING_CHARGE", false, func(c *Config, v string) error {
		typ, number, ok := strings.Cut(v, ":")
		if !ok || (typ != "Item" && typ != "Account") || number == "" {
			return fmt.Errorf("want Item:<item number> or Account:<G/L account>, got %q", v)
		}
		c.BCShippingCharge = &bc.ChargeLine{LineType: typ, Number: number}
		return nil
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
	{"KONTOR_SHOPIFY_SHOP", true, func(c *Config, v string) error { c.ShopifyShop = v; return nil }},
	{"KONTOR_SHOPIFY_ACCESS_TOKEN", true, func(c *Config, v string) error { c.ShopifyToken = v; return nil }},
	{"KONTOR_SHOPIFY_API_VERSION", false, func(c *Config, v string) error {
		if !apiVersion.MatchString(v) {
			return fmt.Errorf("want a version such as %s, got %q", shopify.DefaultAPIVersion, v)
		}
		c.ShopifyAPIVersion = v
		return nil
	}},
	{"KONTOR_SHOPIFY_CLIENT_SECRET", false, func(c *Config, v string) error { c.ShopifyClientSecret = v; return nil }},
	{"KONTOR_SHOPIFY_PREVIOUS_CLIENT_SECRET", false, func(c *Config, v string) error { c.ShopifyPreviousSecret = v; return nil }},
	{"KONTOR_SHOPIFY_ENDPOINT", false, func(c *Config, v string) error { c.ShopifyEndpoint = strings.TrimRight(v, "/"); return nil }},
	{"KONTOR_SHOPIFY_LOCATIONS", false, func(c *Config, v string) error {
		c.ShopifyLocations = map[string]string{}
		for pair := range strings.SplitSeq(v, ",") {
			code, loc, ok := strings.Cut(pair, "=")
			if code, loc = strings.TrimSpace(code), strings.TrimSpace(loc); !ok || code == "" || loc == "" {
				return fmt.Errorf("want CODE=location,… (a location name or GID), got %q", pair)
			}
			c.ShopifyLocations[strings.ToUpper(code)] = loc
		}
		return nil
	}},
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
		BC:                bc.Config{Environment: "production"},
		StorePath:         "kontor-shopify-bc.db",
		ShopifyAPIVersion: shopify.DefaultAPIVersion,
		Listen:            ":8080",
		MaintainEvery:     time.Hour,
		StockEvery:        time.Minute,
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
		if c.ShopifyClientSecret == "" {
			errs = append(errs, errors.New("KONTOR_SHOPIFY_CLIENT_SECRET is not set, but KONTOR_PUBLIC_URL is: webhooks need it"))
		}
		if c.BCClientState == "" {
			errs = append(errs, errors.New("KONTOR_BC_CLIENT_STATE is not set, but KONTOR_PUBLIC_URL is: webhooks need it"))
		}
	}
	if c.BCShippingCharge != nil && c.BCShippingCharge.LineType == "Item" {
		c.SkipItems = append(c.SkipItems, strings.ToUpper(c.BCShippingCharge.Number))
	}
	return c, errors.Join(errs...)
}
