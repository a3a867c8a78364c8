package woocommercetest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIPath is where the REST API v3 lives below the site root.
const APIPath = "/wp-json/wc/v3"

// Defaults of a new Server.
const (
	DefaultBatchLimit          = 100 // woocommerce_rest_batch_items_limit
	DefaultPerPage             = 10  // per_page when the request names none
	MaxPerPage                 = 100 // the schema maximum of per_page
	DefaultMaxDeliveryFailures = 5   // woocommerce_max_webhook_delivery_failures
)

// Server is a WooCommerce shop behind an httptest server. Create it with
// New and stop it with Close. All methods are safe for concurrent use.
type Server struct {
	cfg config
	ts  *httptest.Server
	hub *deliverer

	mu         sync.Mutex
	products   map[int64]*productRec   // product posts (not variations)
	variations map[int64]*variationRec // product_variation posts
	orders     map[int64]*orderRec
	refunds    map[int64]*refundRec
	customers  map[int64]*customerRec
	categories map[int64]*categoryRec
	tags       map[int64]*categoryRec
	skus       map[string]int64 // SKU → product or variation id (trashed products excluded)
	webhooks   map[int64]*webhookRec
	notes      map[int64][]*noteRec // by order id

	nextPost, nextUser, nextTerm, nextComment, nextWebhook, nextMeta, nextItem int64

	nonces     map[string]int64 // oauth nonce → timestamp
	faults     []*fault
	requests   []Request
	batchItems int
	beforeList func(route string, page int)
	dropAuth   bool
	deliveries []Delivery
	rejectSKUs map[string]string
}

// Option configures a Server.
type Option func(*config)

type config struct {
	key, secret    string
	permissions    string
	clock          func() time.Time
	loc            *time.Location
	batchLimit     int
	perPage        int
	tls            bool
	dropAuth       bool
	maxFailures    int
	deliveryClient *http.Client
	currency       string
}

// WithCredentials sets the consumer key and secret the shop accepts.
// Default: a fixed "ck_…" / "cs_…" pair (see ConsumerKey).
func WithCredentials(key, secret string) Option {
	return func(c *config) { c.key, c.secret = key, secret }
}

// WithKeyPermissions sets what the key may do: "read", "write" or
// "read_write" (the default). A request beyond it fails with 401
// woocommerce_rest_authentication_error.
func WithKeyPermissions(p string) Option { return func(c *config) { c.permissions = p } }

// WithClock sets the shop's clock: it stamps dates, is the "now" of the
// OAuth timestamp window and of sale dates, and names webhook deliveries.
// Default: time.Now. Times are kept to the second, as MySQL does.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithTimezone sets the site's timezone, in which the date_* fields (not
// the date_*_gmt ones) are written and in which date filters without zone
// are read. Default: UTC.
func WithTimezone(loc *time.Location) Option { return func(c *config) { c.loc = loc } }

// WithBatchLimit sets how many objects (create + update + delete together)
// one batch request may carry, as the woocommerce_rest_batch_items_limit
// filter does. Default: 100.
func WithBatchLimit(n int) Option { return func(c *config) { c.batchLimit = max(n, 1) } }

// WithDefaultPerPage sets the page size of a list request without
// per_page. Default: 10. per_page itself stays limited to 1..100.
func WithDefaultPerPage(n int) Option {
	return func(c *config) { c.perPage = min(max(n, 1), MaxPerPage) }
}

// WithTLS serves HTTPS (use Client, which trusts the certificate). Only
// then does WooCommerce accept HTTP Basic and the consumer_key /
// consumer_secret query parameters; over plain HTTP it takes OAuth 1.0a
// signatures only.
func WithTLS() Option { return func(c *config) { c.tls = true } }

// WithoutAuthorizationHeader makes the shop behave like a server whose PHP
// never sees the Authorization header (common with CGI/FastCGI set-ups):
// Basic credentials and an OAuth header are lost, so only the query
// parameters authenticate. See also DropAuthorizationHeader.
func WithoutAuthorizationHeader() Option { return func(c *config) { c.dropAuth = true } }

// WithMaxDeliveryFailures sets the woocommerce_max_webhook_delivery_failures
// filter: a webhook is disabled at the failure after failure_count has
// exceeded it. Default: 5 (so the 7th failure in a row disables it).
func WithMaxDeliveryFailures(n int) Option { return func(c *config) { c.maxFailures = max(n, 0) } }

// WithDeliveryClient sets the HTTP client that delivers webhooks (for
// example one trusting a test receiver's TLS certificate). Default: a
// client of its own with a 10 s timeout that follows no redirects.
func WithDeliveryClient(hc *http.Client) Option { return func(c *config) { c.deliveryClient = hc } }

// WithCurrency sets the store currency orders get when they name none.
// Default: "EUR".
func WithCurrency(code string) Option { return func(c *config) { c.currency = code } }

// New starts a shop with an empty catalog on a loopback address.
func New(opts ...Option) *Server {
	sum := sha1.Sum([]byte("kontor woocommercetest"))
	key := hex.EncodeToString(sum[:])
	c := config{
		key:         "ck_" + key,
		secret:      "cs_" + reverse(key),
		permissions: "read_write",
		clock:       time.Now,
		loc:         time.UTC,
		batchLimit:  DefaultBatchLimit,
		perPage:     DefaultPerPage,
		maxFailures: DefaultMaxDeliveryFailures,
		currency:    "EUR",
	}
	for _, o := range opts {
		o(&c)
	}
	s := &Server{
		cfg:        c,
		products:   map[int64]*productRec{},
		variations: map[int64]*variationRec{},
		orders:     map[int64]*orderRec{},
		refunds:    map[int64]*refundRec{},
		customers:  map[int64]*customerRec{},
		categories: map[int64]*categoryRec{},
		tags:       map[int64]*categoryRec{},
		skus:       map[string]int64{},
		webhooks:   map[int64]*webhookRec{},
		notes:      map[int64][]*noteRec{},
		nextPost:   10, nextUser: 2, nextTerm: 15, nextComment: 1, nextWebhook: 1, nextMeta: 1000, nextItem: 1,
		nonces:     map[string]int64{},
		rejectSKUs: map[string]string{},
		dropAuth:   c.dropAuth,
	}
	if c.tls {
		s.ts = httptest.NewTLSServer(s)
	} else {
		s.ts = httptest.NewServer(s)
	}
	s.hub = newDeliverer(s)
	return s
}

func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// URL returns the site root ("http://127.0.0.1:port"); the API is at
// URL()+APIPath.
func (s *Server) URL() string { return s.ts.URL }

// APIURL returns URL()+"/wp-json/wc/v3".
func (s *Server) APIURL() string { return s.ts.URL + APIPath }

// Client returns an HTTP client for the shop; with WithTLS it trusts the
// shop's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// ConsumerKey returns the consumer key ("ck_…") the shop accepts.
func (s *Server) ConsumerKey() string { return s.cfg.key }

// ConsumerSecret returns the consumer secret ("cs_…") the shop accepts.
func (s *Server) ConsumerSecret() string { return s.cfg.secret }

// Close stops webhook delivery and the server. Deliveries still queued are
// dropped.
func (s *Server) Close() {
	s.hub.close()
	s.ts.Close()
}

// DropAuthorizationHeader switches at run time whether the shop loses the
// Authorization header (see WithoutAuthorizationHeader).
func (s *Server) DropAuthorizationHeader(drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropAuth = drop
}

// BeforeList registers fn to be called when a list request (GET of a
// collection) has been authenticated and checked, before its page is
// read: fn may change the shop (insert products, place orders) to test a
// reader against a collection that changes while it is paged. route is the
// route pattern, such as "/products"; page is the requested page. nil
// removes the hook.
func (s *Server) BeforeList(fn func(route string, page int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.beforeList = fn
}

func (s *Server) now() time.Time { return s.cfg.clock().Truncate(time.Second) }

// ---- request records ----

// Request is one request the shop answered.
type Request struct {
	Method string     // after X-HTTP-Method-Override / _method
	Route  string     // route pattern such as "/products/{id}"; "" when none matched
	Path   string     // the URL path below the site root
	Query  url.Values // the query, credentials included
	Status int        // the status sent
	Auth   string     // how it authenticated: AuthBasic, AuthQuery, AuthOAuthSHA1 ...; "" if not
	Items  int        // for batch requests: the objects in it (create+update+delete)
}

// Requests returns the requests answered so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Count returns how many requests with method (any when "") to route
// (such as "/products/batch"; any when "") the shop answered.
func (s *Server) Count(method, route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if (method == "" || r.Method == method) && (route == "" || r.Route == route) {
			n++
		}
	}
	return n
}

// BatchWrites returns how many batch requests the shop answered with 200
// and how many objects they carried.
func (s *Server) BatchWrites() (requests, items int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.requests {
		if strings.HasSuffix(r.Route, "/batch") && r.Status == http.StatusOK {
			requests++
			items += r.Items
		}
	}
	return requests, items
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// ---- routing ----

type permKind int

const (
	permList permKind = iota
	permView
	permCreate
	permEdit
	permDelete
	permBatch
)

// The method classes of WP_REST_Server.
const (
	readable  = "GET"
	creatable = "POST"
	editable  = "POST, PUT, PATCH"
	deletable = "DELETE"
)

type route struct {
	methods string
	pattern string // "/products/{id}/variations"
	kind    permKind
	handle  func(s *Server, c *call) (*reply, *wpError)
}

// call is one request being handled.
type call struct {
	r      *http.Request
	method string
	route  string
	ids    []int64 // the numeric path parameters in order
	q      url.Values
	body   []byte
	now    time.Time
	events []event // webhook events to deliver after the response
	items  int
	quiet  bool // seeding: no events, no stock movements
}

// reply is a handler's successful answer.
type reply struct {
	status int
	header http.Header
	body   any
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

var routes []route

func init() {
	routes = []route{
		{readable, "/products", permList, (*Server).listProducts},
		{creatable, "/products", permCreate, (*Server).createProduct},
		{editable, "/products/batch", permBatch, (*Server).batchProducts},
		{readable, "/products/categories", permList, (*Server).listTerms},
		{creatable, "/products/categories", permCreate, (*Server).createTerm},
		{editable, "/products/categories/batch", permBatch, (*Server).batchTerms},
		{readable, "/products/categories/{id}", permView, (*Server).getTerm},
		{editable, "/products/categories/{id}", permEdit, (*Server).updateTerm},
		{deletable, "/products/categories/{id}", permDelete, (*Server).deleteTerm},
		{readable, "/products/tags", permList, (*Server).listTerms},
		{creatable, "/products/tags", permCreate, (*Server).createTerm},
		{editable, "/products/tags/batch", permBatch, (*Server).batchTerms},
		{readable, "/products/tags/{id}", permView, (*Server).getTerm},
		{editable, "/products/tags/{id}", permEdit, (*Server).updateTerm},
		{deletable, "/products/tags/{id}", permDelete, (*Server).deleteTerm},
		{readable, "/products/{id}", permView, (*Server).getProduct},
		{editable, "/products/{id}", permEdit, (*Server).updateProduct},
		{deletable, "/products/{id}", permDelete, (*Server).deleteProduct},
		{readable, "/products/{id}/variations", permList, (*Server).listVariations},
		{creatable, "/products/{id}/variations", permCreate, (*Server).createVariation},
		{editable, "/products/{id}/variations/batch", permBatch, (*Server).batchVariations},
		{readable, "/products/{id}/variations/{id}", permView, (*Server).getVariation},
		{editable, "/products/{id}/variations/{id}", permEdit, (*Server).updateVariation},
		{deletable, "/products/{id}/variations/{id}", permDelete, (*Server).deleteVariation},
		{readable, "/orders", permList, (*Server).listOrders},
		{creatable, "/orders", permCreate, (*Server).createOrder},
		{editable, "/orders/batch", permBatch, (*Server).batchOrders},
		{readable, "/orders/{id}", permView, (*Server).getOrder},
		{editable, "/orders/{id}", permEdit, (*Server).updateOrder},
		{deletable, "/orders/{id}", permDelete, (*Server).deleteOrder},
		{readable, "/orders/{id}/notes", permList, (*Server).listNotes},
		{creatable, "/orders/{id}/notes", permCreate, (*Server).createNote},
		{readable, "/orders/{id}/notes/{id}", permView, (*Server).getNote},
		{readable, "/orders/{id}/refunds", permList, (*Server).listRefunds},
		{creatable, "/orders/{id}/refunds", permCreate, (*Server).createRefund},
		{readable, "/orders/{id}/refunds/{id}", permView, (*Server).getRefund},
		{readable, "/customers", permList, (*Server).listCustomers},
		{creatable, "/customers", permCreate, (*Server).createCustomer},
		{editable, "/customers/batch", permBatch, (*Server).batchCustomers},
		{readable, "/customers/{id}", permView, (*Server).getCustomer},
		{editable, "/customers/{id}", permEdit, (*Server).updateCustomer},
		{readable, "/webhooks", permList, (*Server).listWebhooks},
		{creatable, "/webhooks", permCreate, (*Server).createWebhook},
		{readable, "/webhooks/{id}", permView, (*Server).getWebhook},
		{editable, "/webhooks/{id}", permEdit, (*Server).updateWebhook},
		{deletable, "/webhooks/{id}", permDelete, (*Server).deleteWebhook},
		{readable, "/data/currencies/current", permView, (*Server).currentCurrency},
	}
}

// currencyNames are the names WooCommerce gives the currencies the fake
// is most often run with; others are named by their code.
var currencyNames = map[string][2]string{
	"EUR": {"Euro", "&euro;"}, "USD": {"United States (US) dollar", "&#36;"},
	"GBP": {"Pound sterling", "&pound;"}, "CHF": {"Swiss franc", "&#67;&#72;&#70;"},
}

// currentCurrency serves GET /data/currencies/current: the store's
// currency, as WooCommerce's data endpoint describes it.
func (s *Server) currentCurrency(c *call) (*reply, *wpError) {
	code := s.cfg.currency
	n, found := currencyNames[code]
	if !found {
		n = [2]string{code, code}
	}
	return ok(map[string]string{"code": code, "name": n[0], "symbol": n[1]}), nil
}

// match finds the route for method and path (below APIPath).
func match(method, path string) (*route, []int64, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	pathMatched := false
	for i := range routes {
		rt := &routes[i]
		pat := strings.Split(strings.Trim(rt.pattern, "/"), "/")
		if len(pat) != len(segs) {
			continue
		}
		var ids []int64
		okPath := true
		for j, p := range pat {
			if p == "{id}" {
				n, err := strconv.ParseInt(segs[j], 10, 64)
				if err != nil || n < 0 || strings.TrimLeft(segs[j], "0123456789") != "" {
					okPath = false
					break
				}
				ids = append(ids, n)
			} else if p != segs[j] {
				okPath = false
				break
			}
		}
		if !okPath {
			continue
		}
		pathMatched = true
		m := method
		if m == http.MethodHead {
			m = http.MethodGet
		}
		if slices.Contains(strings.Split(rt.methods, ", "), m) {
			return rt, ids, true
		}
	}
	return nil, nil, pathMatched
}

// permissionError is what an anonymous request gets from the route's
// permission callback.
func permissionError(k permKind) *wpError {
	code, msg := "", ""
	switch k {
	case permList:
		code, msg = "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
	case permView:
		code, msg = "woocommerce_rest_cannot_view", "Sorry, you cannot view this resource."
	case permCreate:
		code, msg = "woocommerce_rest_cannot_create", "Sorry, you are not allowed to create resources."
	case permEdit:
		code, msg = "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource."
	case permDelete:
		code, msg = "woocommerce_rest_cannot_delete", "Sorry, you are not allowed to delete this resource."
	case permBatch:
		code, msg = "woocommerce_rest_cannot_batch", "Sorry, you are not allowed to batch manipulate this resource."
	}
	return newError(http.StatusUnauthorized, code, msg)
}

// ServeHTTP answers one request as a WordPress site with WooCommerce
// would. It is what the httptest server runs; tests do not call it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	now := s.now()
	method := r.Method
	if method == http.MethodPost {
		if m := r.Header.Get("X-HTTP-Method-Override"); m != "" {
			method = strings.ToUpper(m)
		} else if m := r.URL.Query().Get("_method"); m != "" {
			method = strings.ToUpper(m)
		}
	}
	rec := Request{Method: method, Path: r.URL.Path, Query: r.URL.Query()}

	// Not the REST API: WordPress' HTML 404 page.
	if r.URL.Path != "/wp-json" && !strings.HasPrefix(r.URL.Path, "/wp-json/") {
		rec.Status = http.StatusNotFound
		s.record(rec)
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Not found</h1></body></html>")
		return
	}
	// WP_REST_Server::serve_request sends these on every answer; a list's
	// own Link header (prev/next) later replaces the API root link.
	h := w.Header()
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Link", "<"+s.ts.URL+`/wp-json/>; rel="https://api.w.org/"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Expose-Headers", "X-WP-Total, X-WP-TotalPages, Link")
	h.Set("Access-Control-Allow-Headers", "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type")

	var rt *route
	var ids []int64
	if rest, isWC := strings.CutPrefix(r.URL.Path, APIPath); isWC && (rest == "" || rest[0] == '/') {
		rt, ids, _ = match(method, rest)
	}
	if rt != nil {
		rec.Route = rt.pattern
	}

	if f := s.takeFault(rec, false); f != nil {
		rec.Status = f.status
		s.record(rec)
		f.write(w)
		return
	}

	s.mu.Lock()
	drop := s.dropAuth
	s.mu.Unlock()
	if drop {
		r.Header.Del("Authorization")
	}
	auth, authErr := s.authenticate(r, body, now)
	rec.Auth = auth

	c := &call{r: r, method: method, q: r.URL.Query(), body: body, now: now, ids: ids}
	var rep *reply
	var werr *wpError
	switch {
	case authErr != nil:
		werr = authErr
	case rt == nil:
		werr = errNoRoute()
	case auth == "":
		werr = permissionError(rt.kind)
	default:
		if werr = s.checkKeyPermissions(method); werr == nil {
			c.route = rt.pattern
			rep, werr = rt.handle(s, c)
		}
	}
	rec.Items = c.items

	// Deliveries are scheduled before the answer goes out, so that a test
	// calling WaitDeliveries after the response waits for them.
	s.hub.enqueue(c.events)
	if f := s.takeFault(rec, true); f != nil {
		rec.Status = f.status
		s.record(rec)
		f.write(w)
		return
	}
	if werr != nil {
		rec.Status = werr.Status
		s.record(rec)
		writeJSON(w, werr.Status, werr.body())
		return
	}
	rec.Status = rep.status
	s.record(rec)
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	writeJSON(w, rep.status, filterFields(rep.body, c.q.Get("_fields")))
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// filterFields applies WordPress' _fields parameter to a response: only
// the named top-level members (and members named as "a.b" below them) are
// kept, of every object of a list.
func filterFields(body any, fields string) any {
	if strings.TrimSpace(fields) == "" {
		return body
	}
	var want []string
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); f != "" {
			want = append(want, f)
		}
	}
	keep := func(v any) any {
		if raw, isRaw := v.(json.RawMessage); isRaw {
			v = toObject(raw)
		}
		o, isObj := v.(object)
		if !isObj {
			return v
		}
		return pick(o, want)
	}
	if list, isList := body.([]any); isList {
		out := make([]any, len(list))
		for i, v := range list {
			out[i] = keep(v)
		}
		return out
	}
	return keep(body)
}

func pick(o object, want []string) object {
	var out object
	for _, m := range o {
		var sub []string
		whole := false
		for _, w := range want {
			if w == m.k {
				whole = true
			} else if rest, found := strings.CutPrefix(w, m.k+"."); found {
				sub = append(sub, rest)
			}
		}
		switch {
		case whole:
			out = append(out, m)
		case sub != nil:
			if inner, isObj := m.v.(object); isObj {
				out = append(out, kv{m.k, pick(inner, sub)})
			} else {
				out = append(out, m)
			}
		}
	}
	return out
}

// ---- fault injection ----

// FaultOption narrows or shapes a fault set with FailNext.
type FaultOption func(*fault)

type fault struct {
	n          int
	status     int
	retryAfter time.Duration
	skip       int
	method     string
	route      string
	after      bool
}

// OnRoute makes the fault hit only requests with method (any when "") to
// route, a pattern such as "/products/batch" or "/orders/{id}".
func OnRoute(method, route string) FaultOption {
	return func(f *fault) { f.method, f.route = method, route }
}

// RetryAfter adds a Retry-After header (in whole seconds) to the fault.
func RetryAfter(d time.Duration) FaultOption { return func(f *fault) { f.retryAfter = d } }

// AfterSkipping lets the first k matching requests through before the
// fault hits, to fail a sequence midway.
func AfterSkipping(k int) FaultOption { return func(f *fault) { f.skip = k } }

// AfterApplying lets the shop carry out the request and only then replaces
// its answer with the fault, as a proxy timing out on a slow write does:
// the change is made, the client is told it failed.
func AfterApplying() FaultOption { return func(f *fault) { f.after = true } }

// FailNext makes the next n matching requests fail with status before
// WordPress sees them (unless AfterApplying): 429 gets WooCommerce's
// rate_limit_exceeded JSON error, 503 WordPress' maintenance page, 500 its
// "critical error" JSON, anything else a proxy's HTML error page. Faults
// queue up; each request meets at most one.
func (s *Server) FailNext(n, status int, opts ...FaultOption) {
	f := &fault{n: n, status: status}
	for _, o := range opts {
		o(f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Throttle makes the next n requests fail with 429 Too Many Requests and
// Retry-After: retryAfter (none when 0).
func (s *Server) Throttle(n int, retryAfter time.Duration) {
	s.FailNext(n, http.StatusTooManyRequests, RetryAfter(retryAfter))
}

func (s *Server) takeFault(r Request, after bool) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.after != after || (f.method != "" && f.method != r.Method) || (f.route != "" && f.route != r.Route) {
			continue
		}
		if f.skip > 0 {
			f.skip--
			return nil
		}
		f.n--
		if f.n <= 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return f
	}
	return nil
}

func (f *fault) write(w http.ResponseWriter) {
	if f.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
	}
	switch f.status {
	case http.StatusTooManyRequests:
		writeJSON(w, f.status, newError(f.status, "rate_limit_exceeded", "Too many requests. Please wait and try again.").body())
	case http.StatusInternalServerError:
		e := newError(f.status, "internal_server_error",
			"<p>There has been a critical error on this website.</p><p><a href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more about troubleshooting WordPress.</a></p>")
		b := e.body()
		b = append(b, kv{"additional_errors", []any{}})
		writeJSON(w, f.status, b)
	case http.StatusServiceUnavailable:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Maintenance</title></head><body><h1>Briefly unavailable for scheduled maintenance. Check back in a minute.</h1></body></html>")
	default:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		_, _ = fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><center><h1>%d %s</h1></center></body></html>",
			f.status, http.StatusText(f.status), f.status, http.StatusText(f.status))
	}
}
