package businesscentral

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// System is the connector's name in its capabilities and errors.
const System = "businesscentral"

// Endpoints and limits of Business Central online.
const (
	// CloudURL is the root of Business Central online; the tenant and the
	// environment follow it.
	CloudURL = "https://api.businesscentral.dynamics.com/v2.0"
	// DefaultScope is the OAuth scope of the Business Central APIs.
	DefaultScope = "https://api.businesscentral.dynamics.com/.default"
	// MaxBatchOperations is the most operations one $batch request takes.
	MaxBatchOperations = 100
	// MaxPageSize is the largest page the service returns.
	MaxPageSize = 20000
	// DefaultPageSize is the page size the connector asks for.
	DefaultPageSize = 1000
	// DefaultMaxConcurrent is how many requests are in flight at most: the
	// service runs 5 per user and queues the rest.
	DefaultMaxConcurrent = 5
	// DefaultRate is the pace in requests per second: 19/s is 5,700 per
	// five minutes, under the 6,000 per user the service allows.
	DefaultRate = 19
	// defaultBurst is how many requests may leave back to back; burst +
	// 300 s × rate stays below 6,000.
	defaultBurst = 5
)

// entraTokenURL is the Microsoft Entra ID token endpoint of a tenant.
const entraTokenURL = "https://login.microsoftonline.com/%s/oauth2/v2.0/token"

// Config says where Business Central is and how to sign in.
type Config struct {
	// TenantID is the Microsoft Entra tenant (a GUID or a domain). It
	// selects the token endpoint and, online, is part of the API URL.
	TenantID string
	// Environment is the environment's name online, e.g. "production"
	// or "sandbox".
	Environment string
	// BaseURL replaces the online URL for on-premises servers and tests:
	// everything before "/api/v2.0", e.g.
	// "https://bc.example.com:7048/BC". Default:
	// CloudURL/{TenantID}/{Environment}.
	BaseURL string

	// ClientID and ClientSecret are the Entra application's credentials
	// for the client credentials flow.
	ClientID     string
	ClientSecret string
	// TokenURL replaces the Entra token endpoint
	// (https://login.microsoftonline.com/{TenantID}/oauth2/v2.0/token).
	TokenURL string
	// Scopes replace DefaultScope.
	Scopes []string

	// CompanyID selects the company. Empty: the company named CompanyName,
	// or the only company of the environment.
	CompanyID string
	// CompanyName selects the company by its name (or display name)
	// when CompanyID is empty.
	CompanyName string
	// Currency is the company's local currency. Empty: read once from
	// companyInformation.
	Currency kontor.Currency
}

// Option configures a Connector.
type Option func(*options) error

type options struct {
	logger          *slog.Logger
	pageSize        int
	maxConcurrent   int
	limiter         *transport.Limiter
	retry           RetryPolicy
	auth            transport.Middleware
	base            http.RoundTripper
	tokenClient     *http.Client
	now             func() time.Time
	variantSep      string
	stock           *StockPage
	stockLocations  []string
	tracking        *TrackingPage
	shippingCharge  *ChargeLine
	feeCharge       *ChargeLine
	amountCredit    *ChargeLine
	guestCustomer   string
	shipmentMethods map[string]string
	paymentTerms    map[string]string
	orderFields     func(kontor.Order) map[string]any
	atomic          map[kontor.Entity]bool
	noBatch         bool
	pictureURL      func(itemNumber, pictureID string) string
}

// RetryPolicy bounds how a request that failed in a way that may pass (a
// 429, a 503, a dropped connection) is sent again.
type RetryPolicy struct {
	MaxAttempts     int           // the first attempt included; default 5
	InitialInterval time.Duration // the first wait; default 500ms, growing 1.5× per attempt
	MaxInterval     time.Duration // the longest wait; default 30s (a longer Retry-After still wins)
	MaxElapsed      time.Duration // the whole retry budget; default 2 min
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.InitialInterval <= 0 {
		p.InitialInterval = 500 * time.Millisecond
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 30 * time.Second
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 2 * time.Minute
	}
	return p
}

// WithLogger logs every request (redacted: no token, secret, client state,
// e-mail address or postal address reaches it) and what the connector
// decides. Default: nothing is logged.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error { o.logger = l; return nil }
}

// WithPageSize sets the page size asked for with Prefer:
// odata.maxpagesize, from 1 to MaxPageSize (default DefaultPageSize).
func WithPageSize(n int) Option {
	return func(o *options) error {
		if n < 1 || n > MaxPageSize {
			return fmt.Errorf("businesscentral: page size %d: want 1 to %d", n, MaxPageSize)
		}
		o.pageSize = n
		return nil
	}
}

// WithMaxConcurrent sets how many requests are in flight at once (default
// DefaultMaxConcurrent, which is the service's own limit per user).
func WithMaxConcurrent(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("businesscentral: max concurrent %d: want at least 1", n)
		}
		o.maxConcurrent = n
		return nil
	}
}

// WithLimiter paces requests with l instead of a limiter of the
// connector's own. Connectors that sign in as the same user (one per
// company, say) share the service's per-user budget and should share one
// limiter; its key is the client ID.
func WithLimiter(l *transport.Limiter) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("businesscentral: nil limiter")
		}
		o.limiter = l
		return nil
	}
}

// WithRetryPolicy replaces the default retry bounds.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(o *options) error { o.retry = p; return nil }
}

// WithAuth authenticates with mw instead of the client credentials flow,
// e.g. transport.Basic for an on-premises server with web service access
// keys. Config.ClientID and ClientSecret are then not needed.
func WithAuth(mw transport.Middleware) Option {
	return func(o *options) error {
		if mw == nil {
			return errors.New("businesscentral: nil auth middleware")
		}
		o.auth = mw
		return nil
	}
}

// WithTransport replaces the HTTP transport under the middleware (a proxy,
// a test double). Its TLS settings are its own.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		if rt == nil {
			return errors.New("businesscentral: nil transport")
		}
		o.base = rt
		return nil
	}
}

// WithTokenClient sets the client that calls the token endpoint (default:
// one with a 30 s timeout).
func WithTokenClient(c *http.Client) Option {
	return func(o *options) error { o.tokenClient = c; return nil }
}

// WithClock sets the clock subscriptions' expiry is judged by (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) error { o.now = now; return nil }
}

// WithoutBatching sends every operation as a request of its own instead of
// gathering them into $batch requests: for servers older than 17.1 and
// for comparisons.
func WithoutBatching() Option {
	return func(o *options) error { o.noBatch = true; return nil }
}

// WithAtomicBatches sends the writes of the entities with the
// Isolation: snapshot header: each $batch request then succeeds or fails
// whole, and when one item fails the others of its request fail too, as
// retryable, since the service rolled them back. Off by default: one bad
// order should not hold back 99 good ones. Only orders, customers and
// returns are written.
func WithAtomicBatches(entities ...kontor.Entity) Option {
	return func(o *options) error {
		for _, e := range entities {
			o.atomic[e] = true
		}
		return nil
	}
}

// Connector talks to one company of a Business Central environment through
// the standard API v2.0. It is safe for concurrent use.
type Connector struct {
	cfg    Config
	opt    options
	http   *http.Client
	base   *url.URL // the service root: …/api/v2.0 lives under it
	logger *slog.Logger

	mu       sync.Mutex
	company  string            // the company's id, once known
	currency kontor.Currency   // the company's currency, once known
	skus     cache[lineTarget] // resolved order line SKUs
	variants cache[variantRef] // item variants by lower-case id
	codes    codeCache         // shipment method and payment terms ids

	// What the server turned out not to have (an older version): found
	// once, logged once, then not asked for again.
	noVariantDelta atomic.Bool // itemVariants without lastModifiedDateTime
	noInvoices     atomic.Bool // no salesInvoices entity set
}

// New returns a connector. It does no I/O: the company is found on first
// use.
func New(cfg Config, opts ...Option) (*Connector, error) {
	o := options{
		pageSize:      DefaultPageSize,
		maxConcurrent: DefaultMaxConcurrent,
		now:           time.Now,
		variantSep:    "-",
		atomic:        map[kontor.Entity]bool{},
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	o.retry = o.retry.withDefaults()

	raw := strings.TrimRight(cfg.BaseURL, "/")
	if raw == "" {
		if cfg.Environment == "" {
			return nil, errors.New("businesscentral: Config needs an Environment (or a BaseURL)")
		}
		raw = CloudURL
		if cfg.TenantID != "" {
			raw += "/" + url.PathEscape(cfg.TenantID)
		}
		raw += "/" + url.PathEscape(cfg.Environment)
	}
	base, err := url.Parse(raw)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("businesscentral: base URL %q is not an absolute http(s) URL", raw)
	}
	if base.User != nil {
		return nil, errors.New("businesscentral: put no credentials in the base URL")
	}

	auth := o.auth
	if auth == nil {
		if cfg.ClientID == "" || cfg.ClientSecret == "" {
			return nil, errors.New("businesscentral: Config needs ClientID and ClientSecret (or WithAuth)")
		}
		tokenURL := cfg.TokenURL
		if tokenURL == "" {
			if cfg.TenantID == "" {
				return nil, errors.New("businesscentral: Config needs a TenantID (or a TokenURL)")
			}
			tokenURL = fmt.Sprintf(entraTokenURL, url.PathEscape(cfg.TenantID))
		}
		scopes := cfg.Scopes
		if len(scopes) == 0 {
			scopes = []string{DefaultScope}
		}
		var aopts []transport.AuthOption
		if o.tokenClient != nil {
			aopts = append(aopts, transport.AuthTokenHTTPClient(o.tokenClient))
		}
		auth = transport.OAuth2ClientCredentials(clientcredentials.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: tokenURL, Scopes: scopes,
		}, aopts...)
	}

	limiter := o.limiter
	if limiter == nil {
		limiter = newLimiter()
	}
	user := cfg.ClientID
	if user == "" {
		user = base.Host
	}
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	retry := o.retry
	copts := []transport.ClientOption{
		transport.ClientTimeout(10 * time.Minute), // the service's own gateway timeout
		transport.ClientMiddleware(
			transport.Retry(
				transport.RetryMaxAttempts(retry.MaxAttempts),
				transport.RetryInitialInterval(retry.InitialInterval),
				transport.RetryMaxInterval(retry.MaxInterval),
				transport.RetryMaxElapsed(retry.MaxElapsed),
			),
			limiterFor(limiter, user),
			concurrency(o.maxConcurrent),
			auth,
			transport.Log(o.logger, transport.LogRedactor(redactor)),
		),
	}
	if o.base != nil {
		copts = append(copts, transport.ClientBase(o.base))
	}
	hc, err := transport.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("businesscentral: %w", err)
	}
	return &Connector{
		cfg:      cfg,
		opt:      o,
		http:     hc,
		base:     base,
		logger:   logger,
		company:  cfg.CompanyID,
		currency: cfg.Currency,
	}, nil
}

// redactor hides, beyond the defaults, what only Business Central
// carries: the webhook client state (a shared secret), the handshake
// token, and VAT registration numbers.
var redactor = transport.NewRedactor("clientState", "validationToken", "taxRegistrationNumber")

// Capabilities reports what the connector reads and writes, and what its
// webhooks announce: the entities of the events the Webhooks Handler
// emits (items: product and price; customers: customer; salesOrders:
// order and shipment; salesInvoices: order; salesCreditMemos: return),
// and stock too when a StockPage is configured. Order and return events
// wake the engine's status flow as well.
func (c *Connector) Capabilities() kontor.Capabilities {
	events := []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityCustomer,
		kontor.EntityOrder, kontor.EntityShipment, kontor.EntityReturn}
	if c.opt.stock != nil {
		events = append(events, kontor.EntityStock)
	}
	return kontor.Capabilities{
		System: System,
		Reads: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock,
			kontor.EntityCustomer, kontor.EntityShipment, kontor.EntityStatus},
		Writes: []kontor.Entity{kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityReturn},
		MaxBatch: map[kontor.Entity]int{
			kontor.EntityCustomer: MaxBatchOperations,
			kontor.EntityOrder:    MaxBatchOperations,
			kontor.EntityReturn:   MaxBatchOperations,
		},
		Events: events,
	}
}

// Company is a company of the environment.
type Company struct {
	ID          string `json:"id"`          // the GUID in companies({id})
	Name        string `json:"name"`        // the name, unique in the environment
	DisplayName string `json:"displayName"` // the name shown to users
}

// Companies lists the environment's companies.
func (c *Connector) Companies(ctx context.Context) ([]Company, error) {
	var out []Company
	for raw, err := range c.collection(ctx, c.apiURL("companies"), nil) {
		if err != nil {
			return nil, err
		}
		var co Company
		if err := unmarshal(raw, &co); err != nil {
			return nil, kontor.NewError(kontor.KindUnknown, "GET companies", fmt.Errorf("malformed company: %w", err))
		}
		out = append(out, co)
	}
	return out, nil
}

// CompanyID returns the id of the connector's company, finding it by name
// (or as the only one) on first use.
func (c *Connector) CompanyID(ctx context.Context) (string, error) {
	c.mu.Lock()
	id := c.company
	c.mu.Unlock()
	if id != "" {
		return id, nil
	}
	cos, err := c.Companies(ctx)
	if err != nil {
		return "", err
	}
	id, err = pickCompany(cos, c.cfg.CompanyName)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.company = id
	c.mu.Unlock()
	return id, nil
}

// pickCompany finds the company named name, or the only one.
func pickCompany(cos []Company, name string) (string, error) {
	if name == "" {
		switch len(cos) {
		case 1:
			return cos[0].ID, nil
		case 0:
			return "", kontor.NewError(kontor.KindPermanent, "company discovery", errors.New("the environment has no company"))
		}
		return "", kontor.NewError(kontor.KindPermanent, "company discovery",
			fmt.Errorf("the environment has %d companies: set Config.CompanyID or CompanyName", len(cos)))
	}
	for _, co := range cos {
		if co.Name == name {
			return co.ID, nil
		}
	}
	for _, co := range cos {
		if strings.EqualFold(co.DisplayName, name) || strings.EqualFold(co.Name, name) {
			return co.ID, nil
		}
	}
	return "", kontor.NewError(kontor.KindPermanent, "company discovery",
		fmt.Errorf("no company named %q among %d", name, len(cos)))
}

// companyCurrency returns the company's local currency.
func (c *Connector) companyCurrency(ctx context.Context) (kontor.Currency, error) {
	c.mu.Lock()
	cur := c.currency
	c.mu.Unlock()
	if cur != "" {
		return cur, nil
	}
	u, err := c.companyURL(ctx, "companyInformation")
	if err != nil {
		return "", err
	}
	var info struct {
		CurrencyCode string `json:"currencyCode"`
	}
	found := false
	for raw, err := range c.collection(ctx, u, nil) {
		if err != nil {
			return "", err
		}
		if err := unmarshal(raw, &info); err != nil {
			return "", kontor.NewError(kontor.KindUnknown, "GET companyInformation", fmt.Errorf("malformed currencyCode: %w", err))
		}
		found = true
		break
	}
	if !found || info.CurrencyCode == "" {
		return "", kontor.NewError(kontor.KindPermanent, "GET companyInformation",
			errors.New("the company has no currency code: set Config.Currency"))
	}
	cur = kontor.Currency(strings.ToUpper(info.CurrencyCode))
	c.mu.Lock()
	c.currency = cur
	c.mu.Unlock()
	return cur, nil
}
