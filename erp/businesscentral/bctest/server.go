package bctest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/oauth2/clientcredentials"
)

// Scope is the OAuth 2.0 scope a client asks the token endpoint for: the
// Business Central API's resource with /.default, as Microsoft Entra ID
// requires for the client credentials flow.
const Scope = "https://api.businesscentral.dynamics.com/.default"

// Default identity of a new fake.
const (
	DefaultTenant       = "7e1f5a2c-3b4d-4c6e-8f90-1a2b3c4d5e6f"
	DefaultEnvironment  = "Production"
	DefaultCompany      = "CRONUS International Ltd."
	DefaultClientID     = "5b0e2c7a-9d41-4f38-a6e2-3c1d8b7f9e04"
	DefaultClientSecret = "bctest-client-secret"
)

// Server is a running fake Business Central tenant: one environment with
// one or more companies, its own Entra ID token endpoint and the API v2.0
// over HTTP on a loopback address. It is safe for concurrent use.
type Server struct {
	cfg   config
	http  *httptest.Server
	types map[string]*entityType

	mu sync.Mutex // guards st and serialises writes, as one database would
	st *state

	auth   authState
	lim    limits
	hooks  *notifier
	corrID atomic.Uint64

	closeOnce sync.Once
	closed    chan struct{}
	own       *http.Transport // the webhook client's, when the fake made it
}

type config struct {
	tenant, environment  string
	companies            []string
	clientID, secret     string
	now                  func() time.Time
	tokenLifetime        time.Duration
	pageSize             int
	rateN                int
	rateWindow           time.Duration
	rateRetryAfter       bool
	maxConcurrent        int
	maxQueue             int
	queueWait            time.Duration
	etagStatus           int
	notifyDelay          time.Duration
	collectionThreshold  int
	subscriptionLifetime time.Duration
	maxSubscriptions     int
	webhookTimeout       time.Duration
	webhookClient        *http.Client
	retries              int
	retryInterval        time.Duration
	extension            bool
}

// Option configures a Server.
type Option func(*config)

// WithTenant sets the tenant id that appears in the URLs (default
// DefaultTenant).
func WithTenant(id string) Option { return func(c *config) { c.tenant = id } }

// WithEnvironment sets the environment name in the URLs (default
// "Production").
func WithEnvironment(name string) Option { return func(c *config) { c.environment = name } }

// WithCompanies sets the companies of the environment by name; the first
// is the one CompanyID returns and the seeding methods fill. Default: one
// company, DefaultCompany.
func WithCompanies(names ...string) Option {
	return func(c *config) { c.companies = append([]string(nil), names...) }
}

// WithCredentials sets the client id and secret the token endpoint
// accepts.
func WithCredentials(clientID, clientSecret string) Option {
	return func(c *config) { c.clientID, c.secret = clientID, clientSecret }
}

// WithClock sets the clock for lastModifiedDateTime, token and
// subscription expiry (default time.Now). Rate limits and notification
// delays run on the real clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithTokenLifetime sets how long issued access tokens live (default one
// hour, as Entra ID's).
func WithTokenLifetime(d time.Duration) Option { return func(c *config) { c.tokenLifetime = d } }

// WithPageSize sets the server-driven page size used when a request sends
// no Prefer: odata.maxpagesize (default 20,000, Business Central online's
// maximum).
func WithPageSize(n int) Option { return func(c *config) { c.pageSize = n } }

// WithRateLimit answers 429 Application_TooManyRequests once a client has
// made n requests within the sliding window (default 6,000 per 5
// minutes, Business Central online's per-user OData limit). n <= 0 turns
// the limit off.
func WithRateLimit(n int, window time.Duration) Option {
	return func(c *config) { c.rateN, c.rateWindow = n, window }
}

// WithRateLimitRetryAfter makes rate-limit 429s carry a Retry-After header
// with the seconds until the window has room again. Business Central does
// not document one for 429, so by default there is none.
func WithRateLimitRetryAfter() Option { return func(c *config) { c.rateRetryAfter = true } }

// WithConcurrency sets how many requests run at once (default 5), how
// many more wait in the queue (default 95; beyond it: 429) and how long
// one waits before it gets 503 (default 8 minutes), as Business Central
// online's operational limits.
func WithConcurrency(max, queue int, wait time.Duration) Option {
	return func(c *config) { c.maxConcurrent, c.maxQueue, c.queueWait = max, queue, wait }
}

// WithETagMismatchStatus sets the status of a stale If-Match: 409
// Conflict with Request_EntityChanged by default, which is what Business
// Central sends; http.StatusPreconditionFailed (412) emulates a proxy or
// OData server that answers with the standard code.
func WithETagMismatchStatus(status int) Option { return func(c *config) { c.etagStatus = status } }

// WithNotificationDelay sets how long changes collect before the webhook
// notifications go out (Business Central: 30 seconds; default here 20ms).
func WithNotificationDelay(d time.Duration) Option { return func(c *config) { c.notifyDelay = d } }

// WithCollectionThreshold sets how many changes to one subscription's
// resource within one delay make a single "collection" notification
// instead of one per entity (Business Central online: more than 1,000).
func WithCollectionThreshold(n int) Option { return func(c *config) { c.collectionThreshold = n } }

// WithSubscriptionLifetime sets how long a webhook subscription lives
// after it was created or renewed (default three days).
func WithSubscriptionLifetime(d time.Duration) Option {
	return func(c *config) { c.subscriptionLifetime = d }
}

// WithWebhookTimeout sets how long the fake waits for a subscriber to
// answer the validation handshake or a notification (default 5 seconds).
func WithWebhookTimeout(d time.Duration) Option { return func(c *config) { c.webhookTimeout = d } }

// WithWebhookClient sets the HTTP client the fake calls subscribers with.
func WithWebhookClient(hc *http.Client) Option { return func(c *config) { c.webhookClient = hc } }

// WithNotificationRetries sets how often a notification the subscriber
// answered with 408, 429 or 5xx is sent again, and how long apart
// (default 3 times, 50ms apart; Business Central retries for 36 hours).
func WithNotificationRetries(n int, interval time.Duration) Option {
	return func(c *config) { c.retries, c.retryInterval = n, interval }
}

// WithExtensionAPI installs the custom API page extension the package doc
// describes (route api/kontor/shop/v1.0: stockLevels per item, variant
// and location, and shipmentTrackings), which fills gaps of the standard
// API the way a per-tenant extension does.
func WithExtensionAPI() Option { return func(c *config) { c.extension = true } }

// New starts a fake on a loopback address. Close it when done.
func New(opts ...Option) *Server {
	cfg := config{
		tenant: DefaultTenant, environment: DefaultEnvironment, companies: []string{DefaultCompany},
		clientID: DefaultClientID, secret: DefaultClientSecret, now: time.Now,
		tokenLifetime: time.Hour, pageSize: 20000, rateN: 6000, rateWindow: 5 * time.Minute,
		maxConcurrent: 5, maxQueue: 95, queueWait: 8 * time.Minute, etagStatus: http.StatusConflict,
		notifyDelay: 20 * time.Millisecond, collectionThreshold: 1000, subscriptionLifetime: 72 * time.Hour,
		maxSubscriptions: 200, webhookTimeout: 5 * time.Second, retries: 3, retryInterval: 50 * time.Millisecond,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if len(cfg.companies) == 0 {
		cfg.companies = []string{DefaultCompany}
	}
	if cfg.pageSize <= 0 || cfg.pageSize > maxPageSize {
		cfg.pageSize = maxPageSize
	}
	if cfg.maxConcurrent <= 0 {
		cfg.maxConcurrent = 1 << 30
	}
	var own *http.Transport
	if cfg.webhookClient == nil {
		own = http.DefaultTransport.(*http.Transport).Clone()
		cfg.webhookClient = &http.Client{Transport: own}
	}
	s := &Server{
		cfg:    cfg,
		types:  schema(),
		st:     &state{taxRates: map[string]decimal.Decimal{}, pictures: map[string][]byte{}},
		closed: make(chan struct{}),
		own:    own,
	}
	s.auth.tokens = make(map[string]*token)
	s.lim.init(cfg)
	now := s.now()
	for _, name := range cfg.companies {
		id := s.st.newID()
		s.st.companies = append(s.st.companies, &company{
			rec: &record{id: id, version: s.st.nextVersion(), vals: map[string]any{
				"id": id, "name": name, "displayName": name, "systemVersion": "27.0.38460.40226",
				"timestamp": int64(s.st.rowVersion), "systemCreatedAt": now.UTC().Truncate(time.Millisecond),
				"systemModifiedAt": now.UTC().Truncate(time.Millisecond),
			}},
			tables: map[string]*table{},
			series: map[string]int{},
		})
	}
	s.hooks = newNotifier(s)
	s.http = httptest.NewServer(s)
	return s
}

// Close stops the server and the webhook delivery, and waits for both.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.hooks.close()
		s.http.Close()
		if s.own != nil {
			s.own.CloseIdleConnections()
		}
	})
}

// URL returns the server's root, like http://127.0.0.1:port. It stands in
// for both https://api.businesscentral.dynamics.com and
// https://login.microsoftonline.com.
func (s *Server) URL() string { return s.http.URL }

// APIURL returns the prefix of the API v2.0 as the cloud service has it:
// URL()/v2.0/{tenant}/{environment}/api/v2.0.
func (s *Server) APIURL() string { return s.baseURL(rootV2) }

// ExtensionAPIURL returns the prefix of the extension API of
// WithExtensionAPI: URL()/v2.0/{tenant}/{environment}/api/kontor/shop/v1.0.
func (s *Server) ExtensionAPIURL() string { return s.baseURL(rootExtension) }

// CompanyURL returns APIURL()/companies({CompanyID()}).
func (s *Server) CompanyURL() string { return s.APIURL() + "/companies(" + s.CompanyID() + ")" }

func (s *Server) baseURL(root string) string {
	return s.http.URL + "/v2.0/" + s.cfg.tenant + "/" + url.PathEscape(s.cfg.environment) + "/api/" + root
}

// TokenURL returns the token endpoint:
// URL()/{tenant}/oauth2/v2.0/token, as Entra ID's.
func (s *Server) TokenURL() string { return s.http.URL + "/" + s.cfg.tenant + "/oauth2/v2.0/token" }

// ClientID returns the client id the token endpoint accepts.
func (s *Server) ClientID() string { return s.cfg.clientID }

// ClientSecret returns the client secret the token endpoint accepts.
func (s *Server) ClientSecret() string { return s.cfg.secret }

// TenantID returns the tenant id in the URLs.
func (s *Server) TenantID() string { return s.cfg.tenant }

// Environment returns the environment name in the URLs.
func (s *Server) Environment() string { return s.cfg.environment }

// OAuth2Config returns the client credentials configuration for the fake's
// token endpoint, ready for clientcredentials.Config.Client or a
// transport.OAuth2ClientCredentials middleware.
func (s *Server) OAuth2Config() clientcredentials.Config {
	return clientcredentials.Config{
		ClientID: s.cfg.clientID, ClientSecret: s.cfg.secret, TokenURL: s.TokenURL(), Scopes: []string{Scope},
	}
}

// CompanyID returns the id of the first company.
func (s *Server) CompanyID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.companies[0].id()
}

// CompanyName returns the name of the first company.
func (s *Server) CompanyName() string { return s.cfg.companies[0] }

func (s *Server) now() time.Time { return s.cfg.now() }

func (s *Server) correlation() string {
	n := s.corrID.Add(1)
	return "bc7e57a0-0000-4000-8000-" + leftPad(n)
}

func leftPad(n uint64) string {
	const digits = "0123456789"
	b := []byte("000000000000")
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		b[i] = digits[n%10]
		n /= 10
	}
	return string(b)
}

// result is one HTTP answer, also the shape of a $batch operation's.
type result struct {
	status int
	header http.Header
	body   []byte
}

// op is one API request, direct or inside a $batch.
type op struct {
	method string
	root   string // API route: "v2.0" or the extension's
	path   string // after the route, without a leading slash
	query  url.Values
	header http.Header
	body   []byte
	base   string // absolute URL of the route, for context and next links
	client string // the client id the token was issued to
	batch  bool
}

// ServeHTTP routes a request to the token endpoint or the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if strings.HasSuffix(p, "/oauth2/v2.0/token") {
		s.serveToken(w, r)
		return
	}
	if !strings.HasPrefix(p, "/v2.0/") {
		http.NotFound(w, r)
		return
	}
	segs := strings.SplitN(strings.TrimPrefix(p, "/v2.0/"), "/", 4)
	// …/v2.0/{tenant}/{environment}/api/… or …/v2.0/{environment}/api/…
	var tenant, env, rest string
	switch {
	case len(segs) >= 3 && segs[1] == "api":
		env, rest = segs[0], strings.Join(segs[2:], "/")
	case len(segs) == 4 && segs[2] == "api":
		tenant, env, rest = segs[0], segs[1], segs[3]
	default:
		s.write(w, errorf(http.StatusNotFound, codeNotFound, "No HTTP resource was found that matches the request URI '%s'.", r.URL.Path).response(s.correlation()))
		return
	}
	if (tenant != "" && !strings.EqualFold(tenant, s.cfg.tenant)) || env != s.cfg.environment {
		s.write(w, errorf(http.StatusNotFound, codeNotFound, "The environment '%s' does not exist for this tenant.", env).response(s.correlation()))
		return
	}
	root, path := splitRoot(rest)
	if root == "" || (root == rootExtension && !s.cfg.extension) {
		s.write(w, errorf(http.StatusNotFound, codeNotFound, "No HTTP resource was found that matches the request URI '%s'.", r.URL.Path).response(s.correlation()))
		return
	}
	s.serveAPI(w, r, root, path)
}

func splitRoot(rest string) (root, path string) {
	for _, root := range []string{rootV2, rootExtension} {
		if rest == root {
			return root, ""
		}
		if strings.HasPrefix(rest, root+"/") {
			return root, rest[len(root)+1:]
		}
	}
	return "", ""
}

// serveAPI runs the checks every API request passes (count, bearer token,
// injected faults, rate and concurrency limits) and then the request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, root, path string) {
	set := countedSet(path)
	s.lim.count(r.Method, set)
	client, aerr := s.authenticate(r)
	if aerr != nil {
		s.write(w, aerr.response(s.correlation()))
		return
	}
	if f, ok := s.lim.takeFault(); ok {
		s.write(w, f.response(s.correlation()))
		return
	}
	if e := s.lim.allow(client); e != nil {
		s.write(w, e.response(s.correlation()))
		return
	}
	release, e := s.lim.acquire(r.Context(), s.closed)
	if e != nil {
		s.write(w, e.response(s.correlation()))
		return
	}
	defer release()

	body, err := io.ReadAll(io.LimitReader(r.Body, 350<<20))
	if err != nil {
		s.write(w, errorf(http.StatusBadRequest, codeBadRequest, "The request body could not be read.").response(s.correlation()))
		return
	}
	o := &op{
		method: r.Method, root: root, path: path, query: r.URL.Query(), header: r.Header, body: body,
		base: s.baseURL(root), client: client,
	}
	s.write(w, s.dispatch(r.Context(), o))
}

// dispatch runs one operation: a batch, a subscription request or a data
// request.
func (s *Server) dispatch(ctx context.Context, o *op) result {
	first, _, _ := strings.Cut(o.path, "/")
	name, _, _ := strings.Cut(first, "(")
	switch name {
	case "$batch":
		if o.batch {
			return s.fail(errorf(http.StatusBadRequest, codeBadRequest, "A $batch request cannot be nested in a $batch request."))
		}
		return s.serveBatch(ctx, o)
	case "subscriptions":
		if o.batch {
			return s.fail(errorf(http.StatusBadRequest, codeBadRequest, "bctest does not run subscription requests inside a $batch; send them directly."))
		}
		return s.serveSubscriptions(ctx, o)
	case "$metadata":
		return s.serveMetadata(o)
	}
	s.mu.Lock()
	tx := s.begin()
	res := s.execData(tx, o)
	s.mu.Unlock()
	s.commit(tx)
	return res
}

func (s *Server) fail(e *apiError) result { return e.response(s.correlation()) }

func (s *Server) write(w http.ResponseWriter, res result) {
	for k, v := range res.header {
		w.Header()[k] = v
	}
	w.WriteHeader(res.status)
	if len(res.body) > 0 {
		_, _ = w.Write(res.body)
	}
}

// countedSet names the entity set a request addresses, for the counters:
// the last entity set or navigation segment of the path.
func countedSet(path string) string {
	if path == "" {
		return ""
	}
	var last string
	for _, seg := range strings.Split(path, "/") {
		name, _, _ := strings.Cut(seg, "(")
		if name == "" || strings.HasPrefix(name, "Microsoft.NAV.") || name == "pictureContent" || name == "contentValue" {
			continue
		}
		last = name
	}
	return last
}
