package woocommerce

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/transport"
)

// System is the connector's name in capabilities, errors and logs.
const System = "woocommerce"

// APIPath is the REST API's path below the store's URL.
const APIPath = "/wp-json/wc/v3"

// Defaults and WooCommerce's own limits.
const (
	// DefaultBatchLimit is how many objects WooCommerce takes in one batch
	// request unless the shop raised it with the
	// woocommerce_rest_batch_items_limit filter.
	DefaultBatchLimit = 100
	// MaxPageSize is WordPress's cap on per_page.
	MaxPageSize = 100
	// DefaultMetaKey is the product, variation and customer meta data key
	// that holds the ERP key.
	DefaultMetaKey = "_kontor_erp_key"

	defaultRate    = 10 // requests per second, adapted to 429s
	maxErrorBody   = 1 << 20
	maxExcludeIDs  = 100 // ids in one exclude= list of the keyset pager
	maxSKUsPerRead = MaxPageSize
)

// AuthMode says how requests carry the consumer key and secret.
type AuthMode uint8

// The authentication modes.
const (
	// AuthAuto uses HTTP Basic over HTTPS (and switches to query
	// parameters once a shop turns out to drop the Authorization header)
	// and OAuth 1.0a over plain HTTP. It is the default.
	AuthAuto AuthMode = iota
	// AuthBasic always sends HTTP Basic credentials, never falling back.
	AuthBasic
	// AuthQuery sends consumer_key and consumer_secret as query
	// parameters, for shops known to drop the Authorization header. HTTPS
	// only (or loopback).
	AuthQuery
	// AuthOAuth1 signs every request with one-legged OAuth 1.0a
	// (HMAC-SHA256), as WooCommerce requires over plain HTTP.
	AuthOAuth1
)

// String returns the mode's name.
func (m AuthMode) String() string {
	switch m {
	case AuthAuto:
		return "auto"
	case AuthBasic:
		return "basic"
	case AuthQuery:
		return "query"
	case AuthOAuth1:
		return "oauth1"
	}
	return fmt.Sprintf("AuthMode(%d)", uint8(m))
}

// Option configures New. An option given a value it cannot use makes New
// fail.
type Option func(*config) error

type config struct {
	auth             AuthMode
	batchLimit       int
	pageSize         int
	metaKey          string
	base             http.RoundTripper
	logger           *slog.Logger
	retry            []transport.RetryOption
	rate             float64
	minTLS           uint16
	now              func() time.Time
	currency         kontor.Currency
	pricesIncludeTax *bool
	weightUnit       string
	dimensionUnit    string
	location         *string
	completeOnShip   bool
	statusOut        *mapping.ValueMap
}

// WithAuth sets how requests are authenticated (default AuthAuto).
func WithAuth(m AuthMode) Option {
	return func(c *config) error {
		if m > AuthOAuth1 {
			return fmt.Errorf("woocommerce: unknown auth mode %v", m)
		}
		c.auth = m
		return nil
	}
}

// WithBatchLimit sets how many objects one batch request carries (default
// 100, WooCommerce's default). Raise it only for a shop whose
// woocommerce_rest_batch_items_limit filter allows more; a shop that
// refuses a batch as too large (HTTP 413) fails the whole write.
func WithBatchLimit(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 10_000 {
			return fmt.Errorf("woocommerce: batch limit %d not in 1..10000", n)
		}
		c.batchLimit = n
		return nil
	}
}

// WithPageSize sets how many items a read asks for per page (default and
// maximum 100).
func WithPageSize(n int) Option {
	return func(c *config) error {
		if n < 1 || n > MaxPageSize {
			return fmt.Errorf("woocommerce: page size %d not in 1..%d", n, MaxPageSize)
		}
		c.pageSize = n
		return nil
	}
}

// WithMetaKey sets the meta data key that carries the ERP key on
// products, variations and customers (default "_kontor_erp_key").
func WithMetaKey(key string) Option {
	return func(c *config) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("woocommerce: empty meta key")
		}
		c.metaKey = key
		return nil
	}
}

// WithTransport replaces the HTTP transport under the middleware, e.g.
// with a test server's.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *config) error {
		if rt == nil {
			return errors.New("woocommerce: nil transport")
		}
		c.base = rt
		return nil
	}
}

// WithLogger logs every request, redacted: no consumer secret, signature
// or personal data reaches the log.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// WithRetry configures the retry of reads and idempotent writes; see
// transport.Retry.
func WithRetry(opts ...transport.RetryOption) Option {
	return func(c *config) error { c.retry = append(c.retry, opts...); return nil }
}

// WithRate sets the request rate the limiter starts at and never exceeds
// (default 10 per second); it halves on a 429 and recovers on success.
func WithRate(perSecond float64) Option {
	return func(c *config) error {
		if !(perSecond > 0) {
			return fmt.Errorf("woocommerce: rate %v must be positive", perSecond)
		}
		c.rate = perSecond
		return nil
	}
}

// WithMinTLS allows TLS 1.2 (tls.VersionTLS12), which much WordPress
// hosting still offers alone; the default requires TLS 1.3.
func WithMinTLS(version uint16) Option {
	return func(c *config) error {
		if version != tls.VersionTLS12 && version != tls.VersionTLS13 {
			return fmt.Errorf("woocommerce: minimum TLS version %s not allowed", tls.VersionName(version))
		}
		c.minTLS = version
		return nil
	}
}

// WithClock replaces the clock OAuth timestamps are taken from.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("woocommerce: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithStoreSettings tells the connector the shop's settings it cannot ask
// for cheaply: its currency (prices in another currency fail), whether
// its prices include tax (prices of the other convention fail; nil accepts
// both), and its weight and dimension units (kg and cm by default), which
// product measures are converted to.
func WithStoreSettings(currency kontor.Currency, pricesIncludeTax *bool, weightUnit, dimensionUnit string) Option {
	return func(c *config) error {
		if currency != "" {
			if err := currency.Validate(); err != nil {
				return fmt.Errorf("woocommerce: currency: %w", err)
			}
		}
		if weightUnit != "" && !validUnit(weightUnit, weightFactors) {
			return fmt.Errorf("woocommerce: weight unit %q not one of kg, g, lbs, oz", weightUnit)
		}
		if dimensionUnit != "" && !validUnit(dimensionUnit, lengthFactors) {
			return fmt.Errorf("woocommerce: dimension unit %q not one of m, cm, mm, in, yd", dimensionUnit)
		}
		c.currency = currency
		c.pricesIncludeTax = pricesIncludeTax
		if weightUnit != "" {
			c.weightUnit = weightUnit
		}
		if dimensionUnit != "" {
			c.dimensionUnit = dimensionUnit
		}
		return nil
	}
}

// WithStockLocation names the one stock location WooCommerce has: stock
// levels of another kontor location fail with kontor.KindPermanent instead
// of overwriting each other. Without it, every location is taken as the
// shop's one stock; the engine's stock policy should then sum them first.
func WithStockLocation(name string) Option {
	return func(c *config) error { c.location = &name; return nil }
}

// WithoutCompleteOnShipment keeps an order's status when a shipment of the
// whole order is written; by default it moves to completed, WooCommerce's
// "shipped and done", which also sends the customer its e-mail.
func WithoutCompleteOnShipment() Option {
	return func(c *config) error { c.completeOnShip = false; return nil }
}

// Client talks to one WooCommerce shop's REST API v3 with a consumer key
// and secret. It implements the kontor reader and writer interfaces its
// Capabilities list. It is safe for concurrent use.
type Client struct {
	store  *url.URL // the store's URL, without the API path
	api    string   // store + APIPath
	key    string
	secret string
	cfg    config
	http   *http.Client
	auth   *authenticator
	log    *slog.Logger

	termsMu sync.Mutex
	terms   map[string]map[string]int64 // taxonomy → path → term id

	curMu        sync.Mutex
	shopCurrency kontor.Currency // asked for when not configured

	requests atomic.Int64
}

// New returns a client for the shop at storeURL (e.g.
// "https://shop.example.com", or a sub-directory install's URL) with a
// consumer key (ck_…) and secret (cs_…) that have read/write permission.
func New(storeURL, consumerKey, consumerSecret string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(storeURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("woocommerce: store URL %q is not an absolute http(s) URL", storeURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("woocommerce: store URL must not carry a query, fragment or credentials")
	}
	if consumerKey == "" || consumerSecret == "" {
		return nil, errors.New("woocommerce: consumer key and secret are required")
	}
	cfg := config{
		batchLimit:     DefaultBatchLimit,
		pageSize:       MaxPageSize,
		metaKey:        DefaultMetaKey,
		rate:           defaultRate,
		minTLS:         tls.VersionTLS13,
		now:            time.Now,
		weightUnit:     "kg",
		dimensionUnit:  "cm",
		completeOnShip: true,
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	mode := cfg.auth
	if mode == AuthAuto && u.Scheme == "http" {
		mode = AuthOAuth1
	}
	if (mode == AuthBasic || mode == AuthQuery || mode == AuthAuto) && u.Scheme != "https" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("woocommerce: %s auth sends the secret in clear over plain HTTP: use https or AuthOAuth1", mode)
	}
	c := &Client{
		store:  u,
		api:    u.String() + APIPath,
		key:    consumerKey,
		secret: consumerSecret,
		cfg:    cfg,
		log:    cfg.logger,
		terms:  make(map[string]map[string]int64),
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.auth = &authenticator{mode: mode, key: consumerKey, secret: consumerSecret, now: cfg.now, log: c.log}
	limiter := transport.NewLimiter(transport.LimiterRate(cfg.rate), transport.LimiterMaxRate(cfg.rate))
	mw := []transport.Middleware{
		transport.Retry(cfg.retry...),
		limiter.Middleware(),
		c.auth.middleware,
		c.count,
		transport.Log(c.log, transport.LogRedactor(redactor)),
	}
	copts := []transport.ClientOption{transport.ClientMiddleware(mw...)}
	if cfg.base != nil {
		copts = append(copts, transport.ClientBase(cfg.base))
	} else {
		copts = append(copts, transport.ClientMinTLS(cfg.minTLS))
	}
	if c.http, err = transport.NewClient(copts...); err != nil {
		return nil, fmt.Errorf("woocommerce: %w", err)
	}
	return c, nil
}

// redactor hides the OAuth parameters besides what transport's default
// already hides (consumer_secret, oauth_signature, e-mail addresses).
var redactor = transport.NewRedactor("oauth_consumer_key", "oauth_nonce", "consumer_key")

// Capabilities says what the connector reads and writes, the batch limit
// of its writes, and that the shop announces products, orders and
// customers by webhook.
func (c *Client) Capabilities() kontor.Capabilities {
	n := c.cfg.batchLimit
	return kontor.Capabilities{
		System: System,
		Reads: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityCustomer,
			kontor.EntityOrder, kontor.EntityReturn, kontor.EntityStatus},
		Writes: []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityCustomer,
			kontor.EntityShipment, kontor.EntityStatus},
		MaxBatch: map[kontor.Entity]int{
			kontor.EntityProduct:  n,
			kontor.EntityPrice:    n,
			kontor.EntityStock:    n,
			kontor.EntityCustomer: n,
			kontor.EntityShipment: n,
			kontor.EntityStatus:   n,
		},
		Events: []kontor.Entity{kontor.EntityProduct, kontor.EntityOrder, kontor.EntityCustomer},
	}
}

// RequestsSent returns how many HTTP requests the client has sent,
// retries and authentication fallbacks included.
func (c *Client) RequestsSent() int { return int(c.requests.Load()) }

// AuthMode returns the mode requests are authenticated with now: AuthQuery
// once an AuthAuto client found that the shop drops the Authorization
// header.
func (c *Client) AuthMode() AuthMode { return c.auth.current() }

func (c *Client) count(next http.RoundTripper) http.RoundTripper {
	return transport.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		c.requests.Add(1)
		return next.RoundTrip(r)
	})
}

// page is one response of a list endpoint with its paging headers.
type page struct {
	total      int    // X-WP-Total
	totalPages int    // X-WP-TotalPages
	next       string // the Link header's rel="next", if any
}

// do sends a request to path (below the API root, with query) with body
// encoded as JSON, and decodes a 2xx response's JSON into out. An error
// response becomes a *kontor.APIError with its kind.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) (page, error) {
	var pg page
	if err := ctx.Err(); err != nil {
		return pg, err
	}
	u := c.api + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return pg, kontor.NewError(kontor.KindPermanent, System+" "+method+" "+path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return pg, kontor.NewError(kontor.KindPermanent, System+" "+method+" "+path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	op := method + " " + opPath(path)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return pg, fmt.Errorf("woocommerce %s: %w", op, ctxErr)
		}
		if kontor.KindOf(err) != kontor.KindUnknown {
			return pg, err
		}
		return pg, kontor.NewError(kontor.KindRetryable, System+" "+op, stripURL(err))
	}
	defer resp.Body.Close()
	if err := transport.CheckResponse(System, op, resp); err != nil {
		return pg, err
	}
	pg.total = atoiHeader(resp.Header.Get("X-WP-Total"))
	pg.totalPages = atoiHeader(resp.Header.Get("X-WP-TotalPages"))
	pg.next = linkNext(resp.Header.Values("Link"))
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return pg, nil
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return pg, fmt.Errorf("woocommerce %s: %w", op, ctxErr)
		}
		return pg, kontor.NewError(kontor.KindRetryable, System+" "+op, fmt.Errorf("decoding the response: %w", err))
	}
	return pg, nil
}

// opPath shortens a path for error texts: ids become {id}, so errors of
// one kind read alike and carry no data.
func opPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

// stripURL drops the URL from a *url.Error: it may carry query values.
func stripURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func atoiHeader(v string) int {
	n := 0
	for _, c := range strings.TrimSpace(v) {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
		if n > 1<<40 {
			return 0
		}
	}
	return n
}

// linkNext returns the rel="next" target of RFC 8288 Link headers.
func linkNext(values []string) string {
	for _, v := range values {
		for _, part := range splitLinks(v) {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				if strings.EqualFold(strings.TrimSpace(k), "rel") {
					for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
						if strings.EqualFold(rel, "next") {
							return target[1 : len(target)-1]
						}
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header at the commas between links, not at
// commas inside <...>.
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '<':
			depth++
		case '>':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return strings.HasPrefix(host, "127.") || host == "::1"
}
