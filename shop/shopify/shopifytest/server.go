package shopifytest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	gqlerrors "github.com/graph-gophers/graphql-go/errors"
)

//go:embed schema.graphql
var schemaSDL string

//go:embed schema_2026_01.graphql
var schema202601SDL string

// Defaults of a Server.
const (
	// DefaultToken is the Admin API access token the server accepts.
	DefaultToken = "shpat_kontor_shopifytest_token"
	// DefaultWebhookSecret is the app's client secret that signs webhooks.
	DefaultWebhookSecret = "shopifytest-app-client-secret"
	// DefaultShopDomain is the shop's myshopify domain.
	DefaultShopDomain = "kontor-test.myshopify.com"
	// DefaultBucketSize and DefaultRestoreRate are a standard plan's
	// cost bucket: 2000 points, refilled at 100 points a second.
	DefaultBucketSize  = 2000.0
	DefaultRestoreRate = 100.0
	// DefaultMaxQueryCost is the most a single query may request.
	DefaultMaxQueryCost = 1000
	// DefaultVariantLimit is the most variants a product may have.
	DefaultVariantLimit = 2048
)

// DefaultVersions are the API versions the server supports when
// WithAPIVersions is not given: those the official Admin API client 2.0.0
// lists as supported.
var DefaultVersions = []string{"2026-01", "2026-04", "2026-07", "2026-10", "2027-01"}

// Server is a running fake of one shop's Admin GraphQL API. Its methods are
// safe for concurrent use.
type Server struct {
	cfg      config
	ts       *httptest.Server
	versions []string // supported, oldest first
	schemas  map[string]*graphql.Schema
	bucket   *bucket

	mu sync.RWMutex // guards st
	st *state

	statsMu sync.Mutex
	stats   Stats
	faults  faults

	hooks     *dispatcher
	ownClient bool // the webhook client is the server's own, to close

	bulkWG   sync.WaitGroup
	closing  chan struct{}
	closeOne sync.Once
}

type config struct {
	token         string
	secret        string
	domain        string
	shopName      string
	currency      string
	timezone      string
	taxesIncluded bool
	versions      []string
	bucketSize    float64
	restoreRate   float64
	maxQueryCost  int
	now           func() time.Time
	bulkDelay     time.Duration
	variantLimit  int
	hookClient    *http.Client
	hookRetries   int
	hookBackoff   time.Duration
}

// Option configures a Server.
type Option func(*config)

// WithToken sets the access token the server accepts in
// X-Shopify-Access-Token (default DefaultToken).
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithWebhookSecret sets the app client secret that signs webhooks (default
// DefaultWebhookSecret).
func WithWebhookSecret(secret string) Option { return func(c *config) { c.secret = secret } }

// WithShop sets the shop's myshopify domain, name, currency (an ISO code
// the schema's CurrencyCode knows) and IANA time zone. Empty values keep
// the defaults: DefaultShopDomain, "Kontor Test Shop", EUR, Europe/Berlin.
func WithShop(domain, name, currency, timezone string) Option {
	return func(c *config) {
		if domain != "" {
			c.domain = domain
		}
		if name != "" {
			c.shopName = name
		}
		if currency != "" {
			c.currency = currency
		}
		if timezone != "" {
			c.timezone = timezone
		}
	}
}

// WithTaxesIncluded makes the shop's prices include taxes (default false),
// which orders placed without an explicit setting take over.
func WithTaxesIncluded(included bool) Option { return func(c *config) { c.taxesIncluded = included } }

// WithAPIVersions sets the versions the server supports (default
// DefaultVersions). A request for another well-formed version is served by
// the oldest supported one, as Shopify does; the X-Shopify-API-Version
// response header names the version served.
func WithAPIVersions(versions ...string) Option {
	return func(c *config) { c.versions = append([]string(nil), versions...) }
}

// WithBucket sets the cost bucket's size and restore rate in points per
// second (default a standard plan: DefaultBucketSize, DefaultRestoreRate).
func WithBucket(size, restoreRate float64) Option {
	return func(c *config) { c.bucketSize, c.restoreRate = size, restoreRate }
}

// WithMaxQueryCost sets the most a single query may request (default
// DefaultMaxQueryCost); a costlier one gets MAX_COST_EXCEEDED.
func WithMaxQueryCost(points int) Option { return func(c *config) { c.maxQueryCost = points } }

// WithClock replaces the clock (default time.Now): it stamps every record
// and refills the cost bucket, so a test can move time instead of waiting.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithBulkOperationDelay makes each bulk operation stay CREATED and then
// RUNNING for d of real time before it completes (default 0: it completes
// as soon as its goroutine has run).
func WithBulkOperationDelay(d time.Duration) Option { return func(c *config) { c.bulkDelay = d } }

// WithVariantLimit sets the most variants a product may have (default
// DefaultVariantLimit; API versions before 2024-07 allowed 100).
func WithVariantLimit(n int) Option { return func(c *config) { c.variantLimit = n } }

// WithWebhookClient sets the HTTP client that delivers webhooks (default a
// client with Shopify's 5 second timeout).
func WithWebhookClient(client *http.Client) Option { return func(c *config) { c.hookClient = client } }

// WithWebhookRetries makes a failed delivery (not 2xx, or no answer) be
// retried up to attempts more times, backoff apart (default 0: Shopify
// retries 8 times over 4 hours, which no test wants to wait for; use
// Server.Redeliver to send a failed delivery again).
func WithWebhookRetries(attempts int, backoff time.Duration) Option {
	return func(c *config) { c.hookRetries, c.hookBackoff = attempts, backoff }
}

// New starts a fake shop on a loopback address. Close it when done.
func New(opts ...Option) *Server {
	cfg := config{
		token:        DefaultToken,
		secret:       DefaultWebhookSecret,
		domain:       DefaultShopDomain,
		shopName:     "Kontor Test Shop",
		currency:     "EUR",
		timezone:     "Europe/Berlin",
		versions:     DefaultVersions,
		bucketSize:   DefaultBucketSize,
		restoreRate:  DefaultRestoreRate,
		maxQueryCost: DefaultMaxQueryCost,
		now:          time.Now,
		variantLimit: DefaultVariantLimit,
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	ownClient := cfg.hookClient == nil
	if ownClient {
		cfg.hookClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	}
	s := &Server{cfg: cfg, st: newState(), closing: make(chan struct{}), ownClient: ownClient}
	s.versions = slices.Clone(cfg.versions)
	slices.Sort(s.versions)
	s.schemas = schemas()
	s.bucket = newBucket(cfg.bucketSize, cfg.restoreRate, cfg.now)
	id, _ := s.st.newID("Shop")
	s.st.shop = shopInfo{
		id: id, name: cfg.shopName, email: "owner@" + cfg.domain, domain: cfg.domain,
		currency: cfg.currency, timezone: cfg.timezone, taxesIncluded: cfg.taxesIncluded,
	}
	s.hooks = newDispatcher(s)
	mux := http.NewServeMux()
	mux.HandleFunc("/admin/api/{version}/graphql.json", s.serveGraphQL)
	mux.HandleFunc("POST /staged-uploads/", s.serveStagedUpload)
	mux.HandleFunc("GET /bulk-results/{file}", s.serveBulkResult)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
	})
	s.ts = httptest.NewServer(mux)
	return s
}

// schemas parses the schemas once: their resolvers keep no state (a
// request's state travels in its context), so every server shares them.
var schemas = sync.OnceValue(func() map[string]*graphql.Schema {
	parse := func(sdl string) *graphql.Schema {
		return graphql.MustParseSchema(sdl, &root{}, graphql.UseFieldResolvers())
	}
	return map[string]*graphql.Schema{
		"current": parse(schemaSDL),
		"2026-01": parse(schemaSDL + "\n" + schema202601SDL),
	}
})

// URL is the server's base URL, the "https://{shop}.myshopify.com" of the
// real API.
func (s *Server) URL() string { return s.ts.URL }

// GraphQLURL is the Admin GraphQL endpoint of version; an empty version
// means the newest supported one.
func (s *Server) GraphQLURL(version string) string {
	if version == "" {
		version = s.versions[len(s.versions)-1]
	}
	return s.ts.URL + "/admin/api/" + version + "/graphql.json"
}

// Client returns an HTTP client that reaches the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Token is the access token the server accepts.
func (s *Server) Token() string {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.faults.revoked {
		return ""
	}
	return s.cfg.token
}

// WebhookSecret is the app client secret webhooks are signed with.
func (s *Server) WebhookSecret() string { return s.cfg.secret }

// ShopDomain is the myshopify domain sent in X-Shopify-Shop-Domain.
func (s *Server) ShopDomain() string { return s.cfg.domain }

// Versions are the supported API versions, oldest first.
func (s *Server) Versions() []string { return slices.Clone(s.versions) }

// Close stops the server, waits for running bulk operations and drops the
// webhooks not yet delivered.
func (s *Server) Close() {
	s.closeOne.Do(func() {
		s.mu.Lock()
		close(s.closing)
		s.mu.Unlock()
		s.bulkWG.Wait()
		s.hooks.close()
		if s.ownClient {
			s.cfg.hookClient.CloseIdleConnections()
		}
		s.ts.Close()
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ---------------------------------------------------------------- versions

var versionRE = regexp.MustCompile(`^(unstable|\d{4}-(01|04|07|10))$`)

// servedVersion picks the version that answers a request for v: v itself
// when supported, else the oldest supported one. ok is false for a
// malformed version, which Shopify answers with 404.
func (s *Server) servedVersion(v string) (string, bool) {
	if !versionRE.MatchString(v) {
		return "", false
	}
	if slices.Contains(s.versions, v) {
		return v, true
	}
	for _, sv := range s.versions {
		if sv != "unstable" {
			return sv, true
		}
	}
	return s.versions[0], true
}

func (s *Server) schemaFor(version string) *graphql.Schema {
	if !versionAtLeast(version, "2026-04") {
		return s.schemas["2026-01"]
	}
	return s.schemas["current"]
}

// ---------------------------------------------------------------- the GraphQL endpoint

type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// gqlResponse is the body the endpoint writes. Extensions always carries
// the cost.
type gqlResponse struct {
	Errors     []any           `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Requests++ })
	if status, ok := s.takeFault(); ok {
		s.count(func(st *Stats) { st.Faults++ })
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2.0")
		}
		writeJSON(w, status, map[string]any{"errors": http.StatusText(status)})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"errors": "Not Found"})
		return
	}
	if tok := r.Header.Get("X-Shopify-Access-Token"); tok == "" || tok != s.Token() {
		s.count(func(st *Stats) { st.Unauthorized++ })
		writeJSON(w, http.StatusUnauthorized, map[string]any{
			"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)",
		})
		return
	}
	version, ok := s.servedVersion(r.PathValue("version"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	w.Header().Set("X-Shopify-API-Version", version)
	w.Header().Set("X-Request-Id", fmt.Sprintf("shopifytest-%d", s.stat(func(st Stats) int64 { return st.Requests })))
	req, err := readRequest(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"query": "Required parameter missing or invalid"}})
		return
	}
	resp := s.execute(r.Context(), version, req)
	writeJSON(w, http.StatusOK, resp)
}

func readRequest(r *http.Request) (gqlRequest, error) {
	var req gqlRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return req, err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/graphql") {
		req.Query = string(body)
	} else {
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if err := d.Decode(&req); err != nil {
			return req, err
		}
	}
	if strings.TrimSpace(req.Query) == "" {
		return req, fmt.Errorf("no query")
	}
	return req, nil
}

// execute runs one GraphQL request: validation, cost, throttling,
// execution, refund of the unused points and the webhooks it fired.
func (s *Server) execute(ctx context.Context, version string, req gqlRequest) gqlResponse {
	schema := s.schemaFor(version)
	vars, verr := normalizeVariables(req.Variables)
	if verr != nil {
		return s.rejected([]any{map[string]any{"message": verr.Error()}})
	}
	if errs := schema.ValidateWithVariables(req.Query, vars); len(errs) > 0 {
		s.count(func(st *Stats) { st.Invalid++ })
		return s.rejected(queryErrors(errs))
	}
	doc, err := parseDocument(req.Query)
	if err != nil {
		return s.rejected([]any{map[string]any{"message": err.Error()}})
	}
	op, err := doc.op(req.OperationName)
	if err != nil {
		return s.rejected([]any{map[string]any{"message": err.Error()}})
	}
	if errs := coerceVariables(schema, op, vars); len(errs) > 0 {
		s.count(func(st *Stats) { st.Invalid++ })
		return s.rejected(errs)
	}
	if op.kind == "mutation" {
		s.count(func(st *Stats) { st.Mutations++ })
	} else {
		s.count(func(st *Stats) { st.Queries++ })
	}
	requested := costOf(schema, doc, op, vars, nil)
	if requested > s.cfg.maxQueryCost {
		s.count(func(st *Stats) { st.MaxCostExceeded++ })
		msg := fmt.Sprintf("Query cost is %d, which exceeds the single query max cost limit (%d).\n\n"+
			"See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"+
			"cost of a query is calculated.\n\n"+
			"To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"+
			"See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n", requested, s.cfg.maxQueryCost)
		return gqlResponse{
			Errors:     []any{map[string]any{"message": msg, "extensions": map[string]any{"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": s.cfg.maxQueryCost}}},
			Extensions: s.costExtension(requested, nil),
		}
	}
	if !s.bucket.take(float64(requested)) {
		s.count(func(st *Stats) { st.Throttled++ })
		return gqlResponse{
			Errors: []any{map[string]any{"message": "Throttled", "extensions": map[string]any{
				"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}},
			Extensions: s.costExtension(requested, nil),
		}
	}
	rq := &reqCtx{srv: s, version: version, idem: idempotencyKeys(doc, op, vars)}
	if op.kind == "mutation" {
		s.mu.Lock()
	} else {
		s.mu.RLock()
	}
	rq.st, rq.now = s.st, s.cfg.now()
	res := schema.Exec(withReq(ctx, rq), req.Query, req.OperationName, vars)
	if op.kind == "mutation" {
		s.mu.Unlock()
	} else {
		s.mu.RUnlock()
	}
	s.hooks.enqueue(rq.events)

	var data any
	if len(res.Data) > 0 {
		d := json.NewDecoder(bytes.NewReader(res.Data))
		d.UseNumber()
		_ = d.Decode(&data)
	}
	actual := costOf(schema, doc, op, vars, data)
	if actual > requested {
		actual = requested
	}
	s.bucket.refund(float64(requested - actual))
	s.count(func(st *Stats) { st.PointsRequested += int64(requested); st.PointsSpent += int64(actual) })

	out := gqlResponse{Data: res.Data, Errors: queryErrors(res.Errors)}
	if inj := s.takeFieldFault(data); inj != nil {
		out.Data, _ = json.Marshal(data)
		out.Errors = append(out.Errors, inj...)
	}
	out.Extensions = s.costExtension(requested, &actual)
	return out
}

// rejected answers a document that never ran.
func (s *Server) rejected(errs []any) gqlResponse {
	zero := 0
	return gqlResponse{Errors: errs, Extensions: s.costExtension(0, &zero)}
}

func (s *Server) costExtension(requested int, actual *int) map[string]any {
	max, avail, rate := s.bucket.status()
	var act any
	if actual != nil {
		act = *actual
	}
	return map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested,
		"actualQueryCost":    act,
		"throttleStatus": map[string]any{
			"maximumAvailable":   max,
			"currentlyAvailable": int(avail),
			"restoreRate":        rate,
		},
	}}
}

// queryErrors turns graphql-go's errors into plain values for the body.
func queryErrors(errs []*gqlerrors.QueryError) []any {
	out := make([]any, 0, len(errs))
	for _, e := range errs {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			var locs []map[string]int
			for _, l := range e.Locations {
				locs = append(locs, map[string]int{"line": l.Line, "column": l.Column})
			}
			m["locations"] = locs
		}
		if len(e.Path) > 0 {
			m["path"] = e.Path
		}
		if len(e.Extensions) > 0 {
			m["extensions"] = e.Extensions
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// normalizeVariables turns JSON numbers into the int or float64 graphql-go
// expects.
func normalizeVariables(vars map[string]any) (map[string]any, error) {
	if vars == nil {
		return map[string]any{}, nil
	}
	var norm func(v any) any
	norm = func(v any) any {
		switch x := v.(type) {
		case json.Number:
			if i, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
				if i >= -1<<31 && i < 1<<31 {
					return int32(i)
				}
				return i
			}
			f, _ := x.Float64()
			return f
		case []any:
			for i := range x {
				x[i] = norm(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = norm(x[k])
			}
		}
		return v
	}
	for k, v := range vars {
		vars[k] = norm(v)
	}
	return vars, nil
}

// idempotencyKeys collects the @idempotent keys of the operation's root
// fields, per field name in document order. An absent directive is stored
// as "\x00".
func idempotencyKeys(doc *gqlDoc, op *gqlOp, vars map[string]any) map[string][]string {
	keys := map[string][]string{}
	var walk func(sel []*gqlSel)
	walk = func(sel []*gqlSel) {
		for _, f := range sel {
			switch f.kind {
			case selField:
				k := "\x00"
				for _, d := range f.dirs {
					if d.name == "idempotent" {
						if v, ok := resolveValue(d.args["key"], vars).(string); ok {
							k = v
						}
					}
				}
				keys[f.name] = append(keys[f.name], k)
			case selInline:
				walk(f.sel)
			case selSpread:
				if fr := doc.frags[f.name]; fr != nil {
					walk(fr.sel)
				}
			}
		}
	}
	walk(op.sel)
	return keys
}

// ---------------------------------------------------------------- statistics

// Stats counts what the server has seen.
type Stats struct {
	Requests        int64 // GraphQL requests, of every outcome
	Queries         int64 // valid query operations
	Mutations       int64 // valid mutation operations
	Throttled       int64 // answered THROTTLED
	MaxCostExceeded int64 // answered MAX_COST_EXCEEDED
	Unauthorized    int64 // refused for a missing or wrong token
	Invalid         int64 // refused by schema validation or variable coercion
	Faults          int64 // answered by an injected fault (FailNext)
	PointsRequested int64 // sum of requestedQueryCost of executed requests
	PointsSpent     int64 // sum of actualQueryCost of executed requests
	WebhooksSent    int64 // delivery attempts answered 2xx
	WebhooksFailed  int64 // delivery attempts not answered 2xx
	BulkOperations  int64 // bulk operations started
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return s.stats
}

// ResetStats sets every counter to zero.
func (s *Server) ResetStats() {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	s.stats = Stats{}
}

func (s *Server) count(f func(*Stats)) {
	s.statsMu.Lock()
	f(&s.stats)
	s.statsMu.Unlock()
}

func (s *Server) stat(f func(Stats) int64) int64 {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	return f(s.stats)
}

// Bucket reports the cost bucket: its size, the points available now and
// the restore rate per second.
func (s *Server) Bucket() (maximum, available, restoreRate float64) { return s.bucket.status() }

// SetBucketAvailable sets the points available now, for example to 0 to
// make the next request THROTTLED.
func (s *Server) SetBucketAvailable(points float64) { s.bucket.set(points) }
