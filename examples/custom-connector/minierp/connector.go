package minierp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// System is the name the connector gives in its capabilities and errors.
const System = "minierp"

// Defaults and limits.
const (
	// DefaultPageSize is how many items a read asks for per page; minierp
	// gives at most 100.
	DefaultPageSize = 100
	// DefaultRate is the requests per second the connector starts at;
	// minierp allows 100 per API key, and other programs share them.
	DefaultRate = 50
	// MaxOrderBatch and MaxCustomerBatch are the largest batches a write
	// takes: one look-up request answers for all of them (minierp takes
	// up to 50 values), then each new item is one POST.
	MaxOrderBatch    = 20
	MaxCustomerBatch = 20

	maxAnswer      = 8 << 20 // bytes of a success body the connector reads
	maxExternalLen = 35      // minierp's limit on an order's external number
	maxRefLen      = 64      // and on a customer's external ref
)

// Option configures a Connector.
type Option func(*config)

type config struct {
	logger   *slog.Logger
	pageSize int
	rate     float64
	retry    []transport.RetryOption
	base     http.RoundTripper
}

// WithLogger logs every request attempt to l, with its headers redacted
// (see transport.Log). Default: no logging.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithPageSize sets how many items a read asks for per page, from 1 to
// 100 (default 100).
func WithPageSize(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.pageSize = min(n, DefaultPageSize)
		}
	}
}

// WithRate sets the requests per second the connector starts at (default
// 50); it lowers the rate by itself when minierp answers 429. Values of
// zero or below are ignored.
func WithRate(perSecond float64) Option {
	return func(c *config) {
		if perSecond > 0 {
			c.rate = perSecond
		}
	}
}

// WithRetry tunes the retry of failed requests (see transport.Retry; the
// default is five attempts within two minutes).
// transport.RetryMaxAttempts(1) turns retries off.
func WithRetry(opts ...transport.RetryOption) Option {
	return func(c *config) { c.retry = append(c.retry, opts...) }
}

// WithTransport replaces the HTTP transport under the middleware, e.g.
// with a proxy's or a test's.
func WithTransport(rt http.RoundTripper) Option { return func(c *config) { c.base = rt } }

// Connector talks to one minierp over its REST API. It is safe for
// concurrent use.
type Connector struct {
	base     string // the server's root, without a trailing slash
	client   *http.Client
	pageSize int
}

// The capabilities the connector declares, checked at compile time.
var (
	_ kontor.ProductReader  = (*Connector)(nil)
	_ kontor.PriceReader    = (*Connector)(nil)
	_ kontor.StockReader    = (*Connector)(nil)
	_ kontor.ShipmentReader = (*Connector)(nil)
	_ kontor.OrderWriter    = (*Connector)(nil)
	_ kontor.CustomerWriter = (*Connector)(nil)
)

// New returns a connector to the minierp at baseURL (its root, without
// /api) that authenticates with apiKey. It refuses plain http except to a
// loopback address, where the key cannot be overheard.
func New(baseURL, apiKey string, opts ...Option) (*Connector, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return nil, errors.New("minierp: the base URL must be an absolute http(s) URL without credentials")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, errors.New("minierp: refusing to send the API key over plain http to " + u.Hostname() + ": use https")
	}
	if apiKey == "" {
		return nil, errors.New("minierp: an API key is required")
	}
	cfg := config{pageSize: DefaultPageSize, rate: DefaultRate}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}

	// The middleware, outermost first: each retry waits for the rate
	// limiter, is authenticated afresh, and is logged as it went out.
	limiter := transport.NewLimiter(transport.LimiterRate(cfg.rate))
	copts := []transport.ClientOption{transport.ClientMiddleware(
		transport.Retry(cfg.retry...),
		limiter.Middleware(),
		transport.APIKeyHeader("X-Api-Key", apiKey),
		transport.Log(cfg.logger, transport.LogHeaders()),
	)}
	if cfg.base != nil {
		copts = append(copts, transport.ClientBase(cfg.base))
	}
	client, err := transport.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("minierp: %w", err)
	}
	return &Connector{base: strings.TrimRight(u.String(), "/"), client: client, pageSize: cfg.pageSize}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Capabilities says what the connector does: it reads the item master,
// prices, stock and shipments, and writes orders and customers. minierp
// has no webhooks, so the engine polls it.
func (c *Connector) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{
		System: System,
		Reads:  []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice, kontor.EntityStock, kontor.EntityShipment},
		Writes: []kontor.Entity{kontor.EntityCustomer, kontor.EntityOrder},
		MaxBatch: map[kontor.Entity]int{
			kontor.EntityOrder:    MaxOrderBatch,
			kontor.EntityCustomer: MaxCustomerBatch,
		},
	}
}

// get fetches path with the query and decodes the answer into out.
func (c *Connector) get(ctx context.Context, path string, q url.Values, out any) error {
	target := c.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	_, err = c.do(req, "GET "+path, out)
	return err
}

// post sends body to path under the idempotency key, decodes the answer
// into out and returns its status.
func (c *Connector) post(ctx context.Context, path, idempotencyKey string, body, out any) (int, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	// A bytes.Reader body gives the request a GetBody, so Retry can send
	// it again.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", idempotencyKey)
	return c.do(req, "POST "+path, out)
}

// do sends req and turns every failure into a classified error: an error
// answer into a *kontor.APIError (transport.CheckResponse reads minierp's
// {"error":{"code","message"}}), a failed call into an error of its kind,
// a body that does not decode into a permanent error.
func (c *Connector) do(req *http.Request, op string, out any) (int, error) {
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, callError(req.Context(), op, err)
	}
	defer resp.Body.Close()
	if err := transport.CheckResponse(System, op, resp); err != nil {
		return resp.StatusCode, err
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(out); err != nil {
		kind := kontor.KindPermanent
		if errors.Is(err, io.ErrUnexpectedEOF) { // cut off on the way
			kind = kontor.KindRetryable
		}
		return resp.StatusCode, kontor.NewError(kind, System+" "+op, fmt.Errorf("malformed answer: %w", err))
	}
	return resp.StatusCode, nil
}

// callError classifies a call that got no answer. The context's end stays
// what it is, so errors.Is(err, context.Canceled) holds; an error the
// transport classified keeps its kind; anything else is a network failure
// that may pass.
func callError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil || kontor.KindOf(err) != kontor.KindUnknown {
		return fmt.Errorf("%s %s: %w", System, op, err)
	}
	return kontor.NewError(kontor.KindRetryable, System+" "+op, err)
}

// apiCode returns minierp's error code, if err is an error answer.
func apiCode(err error) string {
	var e *kontor.APIError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// itemError reports whether a write's error is about the item (it is
// invalid, locked, refused) rather than about the call (minierp is down,
// throttles, or refuses the key), which fails the whole batch.
func itemError(err error) bool {
	switch kontor.KindOf(err) {
	case kontor.KindValidation, kontor.KindPermanent, kontor.KindConflict, kontor.KindNotFound:
		return true
	}
	return false
}

// idempotencyKey returns the engine's key for item i of the batch, or a
// new one, so that Retry can resend this call's POST without booking it
// twice either way.
func idempotencyKey(ctx context.Context, i int) string {
	if k := kontor.IdempotencyKey(ctx, i); k != "" {
		return k
	}
	return uuid.NewString()
}

// meta is a minierp record's identity as the engine keeps it.
func meta(id string, version int64, updated time.Time) kontor.Meta {
	return kontor.Meta{ERPKey: id, Version: version, UpdatedAt: updated}
}

// invalid is the error of one field of one item.
func invalid(e kontor.Entity, key, field, reason string) error {
	return &kontor.ValidationError{Entity: e, Key: key, Field: field, Reason: reason}
}
