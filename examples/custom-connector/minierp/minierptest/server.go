package minierptest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of a Server.
const (
	DefaultMaxPageSize = 100         // items per list page, at most
	DefaultRateLimit   = 100         // requests per DefaultRateWindow
	DefaultRateWindow  = time.Second // the rate limit's window
	DefaultRetryAfter  = time.Second // the Retry-After of an injected 429 or 503
)

const (
	maxLookup      = 50      // values of one lookup parameter
	maxBody        = 1 << 20 // bytes of a request body
	maxIdemKey     = 255     // bytes of an Idempotency-Key
	maxExternalLen = 35      // characters of an external number or ref
)

// Option configures a Server.
type Option func(*config)

type config struct {
	apiKey     string
	clock      func() time.Time
	maxPage    int
	rateN      int
	ratePer    time.Duration
	retryAfter time.Duration
}

// WithAPIKey sets the API key the server accepts (default: a random one,
// see [Server.APIKey]).
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// WithClock sets the clock that stamps changes (updated_at), so tests get
// reproducible times. Default: time.Now. The rate limit always runs on the
// wall clock.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithMaxPageSize sets the default and largest page of a list (default
// 100). Values below 1 are ignored.
func WithMaxPageSize(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.maxPage = n
		}
	}
}

// WithRateLimit lets n requests per window through and answers the rest
// 429 with Retry-After until the window ends (default 100 a second). An n
// below 1 turns the limit off.
func WithRateLimit(n int, per time.Duration) Option {
	return func(c *config) { c.rateN, c.ratePer = n, per }
}

// WithRetryAfter sets the Retry-After of the 429 and 503 answers that
// [Server.FailNext] and [Server.FailAfter] inject (default one second), so
// tests need not wait long.
func WithRetryAfter(d time.Duration) Option { return func(c *config) { c.retryAfter = d } }

// Server is a running minierp on a loopback port. Build it with New.
type Server struct {
	http *httptest.Server
	cfg  config

	mu        sync.Mutex
	seq       map[string]int
	version   int64
	articles  map[string]Article  // by SKU
	prices    map[string]Price    // by SKU@price list
	stock     map[string]Stock    // by SKU@warehouse
	orders    map[string]Order    // by external number
	customers map[string]Customer // by external ref
	shipments map[string]Shipment // by number
	idem      map[string]kept     // by path and Idempotency-Key

	window   time.Time // the rate limit's current window began
	inWindow int

	failNext  fault
	failAfter fault
	failKeys  map[string]int
	lose      int

	requests  int
	calls     map[string]int
	throttled int
	replays   int
}

// fault is an injected failure: n more requests, then status.
type fault struct {
	n, status int
	armed     bool
}

// kept is the first answer to a POST with an Idempotency-Key.
type kept struct {
	sum   [sha256.Size]byte
	reply reply
}

// reply is an answer, built under the lock and written after it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// New starts a minierp on a loopback port.
func New(opts ...Option) *Server {
	cfg := config{clock: time.Now, maxPage: DefaultMaxPageSize, rateN: DefaultRateLimit,
		ratePer: DefaultRateWindow, retryAfter: DefaultRetryAfter}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.apiKey == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		cfg.apiKey = "mk_" + hex.EncodeToString(b)
	}
	s := &Server{
		cfg:       cfg,
		seq:       make(map[string]int),
		articles:  make(map[string]Article),
		prices:    make(map[string]Price),
		stock:     make(map[string]Stock),
		orders:    make(map[string]Order),
		customers: make(map[string]Customer),
		shipments: make(map[string]Shipment),
		idem:      make(map[string]kept),
		failKeys:  make(map[string]int),
		calls:     make(map[string]int),
	}
	s.http = httptest.NewServer(s)
	return s
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:40123"; the
// API is under /api.
func (s *Server) URL() string { return s.http.URL }

// APIKey returns the API key the server accepts in X-Api-Key.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// Close stops the server and waits for the requests in flight.
func (s *Server) Close() { s.http.Close() }

// ServeHTTP answers one API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	var bad reply
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		switch {
		case err != nil:
			bad = errorReply(http.StatusBadRequest, "bad_request", "the request body could not be read")
		case len(b) > maxBody:
			bad = errorReply(http.StatusRequestEntityTooLarge, "too_large", "the request body exceeds 1 MiB")
		}
		body = b
	}
	rep := s.handle(r, body, bad)
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// handle counts a request and runs it through authentication, the rate
// limit and the injected faults to its endpoint; bad, when set, is the
// answer to a body that could not be read.
func (s *Server) handle(r *http.Request, body []byte, bad reply) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.calls[r.Method+" "+r.URL.Path]++
	rep := bad
	if rep.status == 0 {
		rep = s.route(r, body)
	}
	if rep.header == nil {
		rep.header = http.Header{}
	}
	rep.header.Set("X-Request-Id", fmt.Sprintf("minierp-%06d", s.requests))
	return rep
}

func (s *Server) route(r *http.Request, body []byte) reply {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Api-Key")), []byte(s.cfg.apiKey)) != 1 {
		return errorReply(http.StatusUnauthorized, "unauthorized", "missing or invalid API key")
	}
	if wait, ok := s.admit(time.Now()); !ok {
		s.throttled++
		rep := errorReply(http.StatusTooManyRequests, "rate_limited",
			fmt.Sprintf("more than %d requests in %v", s.cfg.rateN, s.cfg.ratePer))
		rep.header.Set("Retry-After", seconds(wait))
		return rep
	}
	if s.failNext.n > 0 {
		s.failNext.n--
		return s.injected(s.failNext.status)
	}
	q := r.URL.Query()
	switch r.Method + " " + r.URL.Path {
	case "GET /api/products":
		return listPage(q, s.cfg.maxPage, s.articles, func(a Article) time.Time { return a.UpdatedAt })
	case "GET /api/prices":
		return listPage(q, s.cfg.maxPage, s.prices, func(p Price) time.Time { return p.UpdatedAt })
	case "GET /api/stock":
		return listPage(q, s.cfg.maxPage, s.stock, func(st Stock) time.Time { return st.UpdatedAt })
	case "GET /api/shipments":
		return listPage(q, s.cfg.maxPage, s.shipments, func(sh Shipment) time.Time { return sh.UpdatedAt })
	case "GET /api/orders":
		if _, ok := q["external_number"]; ok {
			return lookup(q["external_number"], s.orders)
		}
		return listPage(q, s.cfg.maxPage, s.orders, func(o Order) time.Time { return o.UpdatedAt })
	case "GET /api/customers":
		if _, ok := q["external_ref"]; ok {
			return lookup(q["external_ref"], s.customers)
		}
		return listPage(q, s.cfg.maxPage, s.customers, func(c Customer) time.Time { return c.UpdatedAt })
	case "POST /api/orders":
		return s.write(r, body, s.createOrder)
	case "POST /api/customers":
		return s.write(r, body, s.upsertCustomer)
	}
	switch r.URL.Path {
	case "/api/products", "/api/prices", "/api/stock", "/api/shipments", "/api/orders", "/api/customers":
		return errorReply(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not supported here")
	}
	return errorReply(http.StatusNotFound, "not_found", "no such endpoint")
}

// admit counts a request against the rate limit's window, or returns how
// long until the window ends.
func (s *Server) admit(now time.Time) (time.Duration, bool) {
	if s.cfg.rateN < 1 || s.cfg.ratePer <= 0 {
		return 0, true
	}
	if s.window.IsZero() || now.Sub(s.window) >= s.cfg.ratePer {
		s.window, s.inWindow = now, 0
	}
	if s.inWindow < s.cfg.rateN {
		s.inWindow++
		return 0, true
	}
	return s.window.Add(s.cfg.ratePer).Sub(now), false
}

// write carries out a POST once per Idempotency-Key, with the write faults.
func (s *Server) write(r *http.Request, body []byte, create func([]byte) reply) reply {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return errorReply(http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdemKey {
		return errorReply(http.StatusBadRequest, "invalid_idempotency_key", "the Idempotency-Key exceeds 255 bytes")
	}
	id := r.URL.Path + " " + key
	sum := sha256.Sum256(body)
	if key != "" {
		if k, ok := s.idem[id]; ok {
			if k.sum != sum {
				return errorReply(http.StatusUnprocessableEntity, "idempotency_key_reused",
					"this Idempotency-Key was used with another request body")
			}
			s.replays++
			rep := k.reply
			rep.header = rep.header.Clone()
			rep.header.Set("Idempotent-Replayed", "true")
			return rep
		}
	}
	if s.failAfter.armed {
		if s.failAfter.n == 0 {
			s.failAfter.armed = false
			return s.injected(s.failAfter.status)
		}
		s.failAfter.n--
	}
	rep := create(body)
	if key != "" && rep.status < 300 {
		s.idem[id] = kept{sum: sum, reply: rep}
	}
	if rep.status < 300 && s.lose > 0 {
		s.lose--
		return errorReply(http.StatusBadGateway, "bad_gateway", "the upstream answer was lost")
	}
	return rep
}

// injected is the answer of an injected fault.
func (s *Server) injected(status int) reply {
	rep := errorReply(status, codeFor(status), "injected failure")
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		rep.header.Set("Retry-After", seconds(s.cfg.retryAfter))
	}
	return rep
}

// codeFor is the error code minierp sends with a status.
func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "record_locked"
	case http.StatusUnprocessableEntity:
		return "validation_failed"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusBadGateway:
		return "bad_gateway"
	case http.StatusServiceUnavailable:
		return "unavailable"
	case http.StatusGatewayTimeout:
		return "gateway_timeout"
	}
	if status >= 500 {
		return "internal_error"
	}
	return "error"
}

// seconds formats a Retry-After: whole seconds, or a fraction rounded up
// to the millisecond below one.
func seconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	if d >= time.Second {
		return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	return strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)
}

// errorReply is minierp's error body: {"error":{"code","message"}}.
func errorReply(status int, code, message string) reply {
	return errorTarget(status, code, message, "")
}

// errorTarget is an error naming the field it is about.
func errorTarget(status int, code, message, target string) reply {
	type detail struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Target  string `json:"target,omitempty"`
	}
	b, _ := json.Marshal(struct {
		Error detail `json:"error"`
	}{detail{code, message, target}})
	return reply{status: status, header: http.Header{}, body: b}
}

// jsonReply is a success answer.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errorReply(http.StatusInternalServerError, "internal_error", "the answer could not be encoded")
	}
	return reply{status: status, header: http.Header{}, body: b}
}

// decode reads a request body strictly: unknown fields and trailing data
// are errors, as a careful ERP answers them.
func decode(body []byte, v any) (reply, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorReply(http.StatusBadRequest, "invalid_json", strings.TrimPrefix(err.Error(), "json: ")), false
	}
	if dec.More() {
		return errorReply(http.StatusBadRequest, "invalid_json", "data after the JSON value"), false
	}
	return reply{}, true
}

// stamp returns the time and version of a change. The caller holds the
// lock.
func (s *Server) stamp() (time.Time, int64) {
	s.version++
	return s.cfg.clock().UTC().Round(0), s.version
}

// nextID returns the next ID with prefix. The caller holds the lock.
func (s *Server) nextID(prefix string) string {
	s.seq[prefix]++
	return fmt.Sprintf("%s-%05d", prefix, s.seq[prefix])
}

// clone deep-copies v, so callers never share the server's slices.
func clone[T any](v T) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the model types always encode
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// FailNext makes the next n requests that pass the API key check and the
// rate limit fail with status and a JSON error body; a 429 or 503 carries
// Retry-After (see WithRetryAfter). An n below 1 or a status below 400
// clears it.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 1 || status < 400 {
		n, status = 0, 0
	}
	s.failNext = fault{n: n, status: status}
}

// FailAfter lets the next n writes (POSTs) through and fails the one after
// them with status, once, as when the connection drops midway through a
// batch. A status below 400 clears it.
func (s *Server) FailAfter(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failAfter = fault{n: max(n, 0), status: status, armed: status >= 400}
}

// FailKey makes every POST of the order with this external number, or of
// the customer with this external ref, fail with status, until cleared
// with a status below 400.
func (s *Server) FailKey(key string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status < 400 {
		delete(s.failKeys, key)
		return
	}
	s.failKeys[key] = status
}

// LoseResponses carries out the next n successful writes and answers each
// with 502, as a gateway that timed out after the ERP committed. Only an
// Idempotency-Key (or a look-up before the retry) keeps the retry from
// booking twice.
func (s *Server) LoseResponses(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose = max(n, 0)
}

// Requests returns how many requests reached the server, those it refused
// included.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Calls returns how many requests reached route, a method and a path:
// "GET /api/products", "POST /api/orders".
func (s *Server) Calls(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[route]
}

// Throttled returns how many requests the rate limit answered 429 (the
// injected ones not included).
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// Replays returns how many POSTs got an earlier answer again because they
// repeated an Idempotency-Key.
func (s *Server) Replays() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replays
}
