package shopify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	graphql "github.com/hasura/go-graphql-client"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// DefaultAPIVersion is the Admin API version the client pins unless told
// otherwise: the first version in which inventory writes require the
// @idempotent directive and changeFromQuantity, which this client sends.
const DefaultAPIVersion = "2026-04"

// Defaults.
const (
	defaultPageSize      = 100
	maxPageSize          = 250 // Shopify's cap on first/last and on input arrays
	defaultThrottleTries = 6
	defaultNamespace     = "kontor"
	defaultKey           = "erp_key"
)

// Option configures New. An option given a value it cannot use makes New
// fail.
type Option func(*config) error

type config struct {
	version       string
	endpoint      string // base URL replacing https://{shop}
	base          http.RoundTripper
	logger        *slog.Logger
	pageSize      int
	namespace     string
	key           string
	discontinued  string // ARCHIVED or DRAFT
	locations     map[string]string
	priceLists    map[string]string
	strictVersion bool
	retry         []transport.RetryOption
	now           func() time.Time
	sleep         func(context.Context, time.Duration) error
	throttleTries int
	pollInterval  time.Duration
}

var versionPattern = regexp.MustCompile(`^(\d{4}-(01|04|07|10)|unstable)$`)

// WithAPIVersion pins another Admin API version, e.g. "2026-07". Versions
// before 2026-04 are refused: this client's inventory writes need its
// compare-and-swap and idempotency rules.
func WithAPIVersion(v string) Option {
	return func(c *config) error {
		if !versionPattern.MatchString(v) {
			return fmt.Errorf("shopify: API version %q is not YYYY-01/04/07/10 or unstable", v)
		}
		if v != "unstable" && v < DefaultAPIVersion {
			return fmt.Errorf("shopify: API version %s is older than %s, whose inventory rules this client follows", v, DefaultAPIVersion)
		}
		c.version = v
		return nil
	}
}

// WithEndpoint replaces https://{shop}.myshopify.com with another base URL,
// such as a shopifytest server's. The API path /admin/api/{version}/
// graphql.json is appended to it.
func WithEndpoint(baseURL string) Option {
	return func(c *config) error {
		u, err := url.Parse(baseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("shopify: endpoint %q is not an absolute http(s) URL", baseURL)
		}
		c.endpoint = strings.TrimRight(baseURL, "/")
		return nil
	}
}

// WithTransport replaces the HTTP transport under the middleware, e.g.
// with a test server's.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("shopify: nil transport")
		}
		c.base = rt
		return nil
	}
}

// WithLogger logs every request (redacted) and version fallbacks.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithPageSize sets how many items a read asks for per page (default 100,
// at most 250).
func WithPageSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > maxPageSize {
			return fmt.Errorf("shopify: page size %d not in 1..%d", n, maxPageSize)
		}
		c.pageSize = n
		return nil
	}
}

// WithIdentityMetafield sets the product metafield that holds the ERP key
// (default namespace "kontor", key "erp_key"). The shop needs a metafield
// definition for it with the unique values capability.
func WithIdentityMetafield(namespace, key string) Option {
	return func(c *config) error {
		if len(namespace) < 3 || len(key) < 2 {
			return fmt.Errorf("shopify: identity metafield %q.%q too short", namespace, key)
		}
		c.namespace, c.key = namespace, key
		return nil
	}
}

// WithDiscontinuedStatus sets what a discontinued product becomes in the
// shop: "ARCHIVED" (the default: hidden, kept with its history) or
// "DRAFT" (hidden, still editable in the catalog).
func WithDiscontinuedStatus(status string) Option {
	return func(c *config) error {
		if status != "ARCHIVED" && status != "DRAFT" {
			return fmt.Errorf("shopify: discontinued status %q is not ARCHIVED or DRAFT", status)
		}
		c.discontinued = status
		return nil
	}
}

// WithLocations maps ERP warehouses (kontor.StockLevel.Location) to
// Shopify locations, given as location GIDs or location names. A
// warehouse without an entry goes to the location of its own name, and the
// empty warehouse to the first active location.
func WithLocations(m map[string]string) Option {
	return func(c *config) error {
		c.locations = make(map[string]string, len(m))
		for k, v := range m {
			if v == "" {
				return fmt.Errorf("shopify: empty location for warehouse %q", k)
			}
			c.locations[k] = v
		}
		return nil
	}
}

// WithPriceLists maps customer groups (kontor.Price.CustomerGroup) to B2B
// price lists, given as price list GIDs or names. A group without an
// entry uses the price list of its own name.
func WithPriceLists(m map[string]string) Option {
	return func(c *config) error {
		c.priceLists = make(map[string]string, len(m))
		for k, v := range m {
			if k == "" || v == "" {
				return errors.New("shopify: price list mapping with an empty group or list")
			}
			c.priceLists[k] = v
		}
		return nil
	}
}

// WithStrictVersion makes a response served in another API version than
// the pinned one an error (kontor.KindPermanent) instead of a logged
// warning.
func WithStrictVersion() Option {
	return func(c *config) error { c.strictVersion = true; return nil }
}

// WithRetry configures the retry of failed requests (5xx, dropped
// connections) of reads and idempotent writes; see transport.Retry.
func WithRetry(opts ...transport.RetryOption) Option {
	return func(c *config) error { c.retry = append(c.retry, opts...); return nil }
}

// WithClock replaces the clock and the sleep the cost pacing and bulk
// polling use, for tests that run on simulated time.
func WithClock(now func() time.Time, sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) error {
		if now == nil || sleep == nil {
			return errors.New("shopify: nil clock")
		}
		c.now, c.sleep = now, sleep
		return nil
	}
}

// WithPollInterval sets how often a bulk operation is polled (default 1s).
func WithPollInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("shopify: poll interval %v must be positive", d)
		}
		c.pollInterval = d
		return nil
	}
}

// Client is a Shopify store reached through the Admin GraphQL API. It is a
// kontor connector (see Capabilities) and safe for concurrent use.
type Client struct {
	cfg      config
	token    string // only ever sent in its header; scrubbed from errors
	shop     string // the shop's host, for logs
	endpoint string // the GraphQL URL
	gql      *graphql.Client
	files    *http.Client // staged uploads and bulk results: no token, no pacing
	pacer    *pacer
	log      *slog.Logger

	mu        sync.Mutex
	served    string                   // the API version the last response was served in
	warned    map[string]bool          // versions already warned about
	locByName map[string]string        // location name → GID, loaded once
	locFirst  string                   // the first active location
	items     map[string]itemRef       // SKU → its variant, product and inventory item
	itemSKU   map[string]string        // inventory item → SKU, for inventory webhooks
	lists     map[string]priceListRef  // customer group → price list
	colls     map[string]string        // collection title → GID
	currency  string                   // the shop's currency
	bulk      map[string]chan struct{} // bulk operations waited for, closed when finished
}

// itemRef is what a SKU resolves to in the shop.
type itemRef struct {
	variant, product, inventoryItem string
}

// New returns a client for shop, a shop name ("my-shop"), domain
// ("my-shop.myshopify.com") or, with WithEndpoint, any label, using the
// Admin API access token.
func New(shop, token string, opts ...Option) (*Client, error) {
	cfg := config{
		version:       DefaultAPIVersion,
		pageSize:      defaultPageSize,
		namespace:     defaultNamespace,
		key:           defaultKey,
		discontinued:  "ARCHIVED",
		now:           time.Now,
		sleep:         sleepCtx,
		throttleTries: defaultThrottleTries,
		pollInterval:  time.Second,
		logger:        slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if token == "" {
		return nil, errors.New("shopify: empty access token")
	}
	host := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(shop)), "/")
	host = strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://")
	if host == "" {
		return nil, errors.New("shopify: empty shop")
	}
	if !strings.Contains(host, ".") {
		host += ".myshopify.com"
	}
	base := cfg.endpoint
	if base == "" {
		base = "https://" + host
	}
	c := &Client{
		cfg:      cfg,
		token:    token,
		shop:     host,
		endpoint: base + "/admin/api/" + cfg.version + "/graphql.json",
		log:      cfg.logger,
		warned:   make(map[string]bool),
		items:    make(map[string]itemRef),
		itemSKU:  make(map[string]string),
		lists:    make(map[string]priceListRef),
		colls:    make(map[string]string),
		bulk:     make(map[string]chan struct{}),
	}
	c.pacer = newPacer(cfg.now, cfg.sleep, cfg.throttleTries)
	redactor := transport.NewRedactor("X-Shopify-Access-Token")
	clientOpts := []transport.ClientOption{transport.ClientMiddleware(
		transport.Retry(cfg.retry...),
		c.pacer.middleware(),
		c.versionCheck(),
		transport.APIKeyHeader("X-Shopify-Access-Token", token),
		transport.Log(cfg.logger, transport.LogRedactor(redactor)),
	)}
	fileOpts := []transport.ClientOption{transport.ClientMiddleware(
		transport.Retry(cfg.retry...),
		transport.Log(cfg.logger, transport.LogRedactor(redactor)),
	)}
	if cfg.base != nil {
		clientOpts = append(clientOpts, transport.ClientBase(cfg.base))
		fileOpts = append(fileOpts, transport.ClientBase(cfg.base))
	}
	hc, err := transport.NewClient(clientOpts...)
	if err != nil {
		return nil, err
	}
	if c.files, err = transport.NewClient(fileOpts...); err != nil {
		return nil, err
	}
	// The library's own retry stays off (it sleeps without the context);
	// retry and throttling live in the transport.
	c.gql = graphql.NewClient(c.endpoint, hc)
	return c, nil
}

// APIVersion returns the pinned Admin API version.
func (c *Client) APIVersion() string { return c.cfg.version }

// ServedVersion returns the API version the last response was served in,
// from its X-Shopify-API-Version header; it differs from APIVersion when
// Shopify fell back because the pinned version is no longer supported.
func (c *Client) ServedVersion() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.served
}

// Stats returns what the client has sent and what it cost in points.
func (c *Client) Stats() Stats { return c.pacer.Stats() }

// Capabilities says what a Shopify store does for the engine.
func (c *Client) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{
		System: "shopify",
		Reads: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityCustomer,
			kontor.EntityOrder, kontor.EntityReturn},
		Writes: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityCustomer,
			kontor.EntityShipment, kontor.EntityStatus},
		MaxBatch: map[kontor.Entity]int{
			kontor.EntityProduct:  25,
			kontor.EntityPrice:    100, // one variant update per product
			kontor.EntityStock:    maxPageSize,
			kontor.EntityCustomer: 25,
			kontor.EntityShipment: 10,
			kontor.EntityStatus:   10,
		},
		Events: []kontor.Entity{kontor.EntityProduct, kontor.EntityStock, kontor.EntityOrder, kontor.EntityShipment, kontor.EntityReturn},
	}
}

// versionCheck reads X-Shopify-API-Version from every response. A
// response served in another version than the pinned one means Shopify
// fell back (the pinned version is retired): it is logged once per
// served version, or with WithStrictVersion refused.
func (c *Client) versionCheck() transport.Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return transport.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(req)
			if err != nil {
				return resp, err
			}
			served := resp.Header.Get("X-Shopify-API-Version")
			if served == "" {
				return resp, nil
			}
			c.mu.Lock()
			c.served = served
			first := served != c.cfg.version && !c.warned[served]
			if first {
				c.warned[served] = true
			}
			c.mu.Unlock()
			if served == c.cfg.version {
				return resp, nil
			}
			if first {
				c.log.LogAttrs(req.Context(), slog.LevelWarn, "shopify: API version fallback",
					slog.String("pinned", c.cfg.version), slog.String("served", served), slog.String("shop", c.shop))
			}
			if c.cfg.strictVersion {
				drain(resp)
				return nil, &VersionError{Pinned: c.cfg.version, Served: served}
			}
			return resp, nil
		})
	}
}

// VersionError says Shopify served another API version than the pinned
// one, with WithStrictVersion.
type VersionError struct {
	Pinned, Served string
}

// Error describes the fallback.
func (e *VersionError) Error() string {
	return fmt.Sprintf("shopify: API version %s was requested but %s served: the pinned version is no longer supported", e.Pinned, e.Served)
}

// ErrorKind returns KindPermanent: no retry makes the version supported.
func (e *VersionError) ErrorKind() kontor.Kind { return kontor.KindPermanent }

// Is matches kontor.ErrPermanent.
func (e *VersionError) Is(target error) bool { return target == kontor.ErrPermanent }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
