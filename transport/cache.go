package transport

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/kontor-dev/kontor"
)

// CacheHeader is the response header Cache sets on the reads it handles:
// "hit" (served from memory), "revalidated" (the server answered 304 and the
// stored body was served) or "miss" (fetched, shared with concurrent
// callers, maybe stored).
const CacheHeader = "X-Kontor-Cache"

// Cache defaults.
const (
	defaultCacheTTL          = 30 * time.Second
	defaultCacheMaxEntries   = 512
	defaultCacheMaxBody      = 1 << 20
	defaultCacheFetchTimeout = time.Minute
)

// defaultCacheVary are the request headers whose values are part of the key:
// they change the representation (Accept*, Prefer for OData paging) or the
// identity (Authorization, Cookie). Their values are only ever hashed.
var defaultCacheVary = []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cookie", "Prefer"}

// CacheOption configures Cache.
type CacheOption func(*cacheConfig)

type cacheConfig struct {
	ttl          time.Duration
	maxEntries   int
	maxBody      int64
	vary         []string
	fetchTimeout time.Duration
	now          func() time.Time
}

// CacheTTL sets how long a response is served from memory without asking
// the server (default 30s). A shorter max-age in the response wins. After
// it, a response with an ETag or Last-Modified is revalidated.
func CacheTTL(d time.Duration) CacheOption {
	return func(c *cacheConfig) {
		if d > 0 {
			c.ttl = d
		}
	}
}

// CacheMaxEntries bounds the number of stored responses (default 512); the
// least recently used one goes first. Memory is bounded by this times
// CacheMaxBodySize.
func CacheMaxEntries(n int) CacheOption {
	return func(c *cacheConfig) {
		if n > 0 {
			c.maxEntries = n
		}
	}
}

// CacheMaxBodySize bounds the body of a stored response (default 1 MiB). A
// larger body is streamed to its caller and not stored.
func CacheMaxBodySize(n int64) CacheOption {
	return func(c *cacheConfig) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// CacheVary adds request headers whose values select a different stored
// response, such as a header that carries an API key set before the cache
// (X-Shopify-Access-Token). Values are hashed, never stored.
func CacheVary(headers ...string) CacheOption {
	return func(c *cacheConfig) {
		for _, h := range headers {
			c.vary = append(c.vary, textproto.CanonicalMIMEHeaderKey(h))
		}
	}
}

// withCacheClock sets the clock for TTLs (tests).
func withCacheClock(now func() time.Time) CacheOption {
	return func(c *cacheConfig) { c.now = now }
}

// withCacheFetchTimeout sets the bound on a shared fetch (tests).
func withCacheFetchTimeout(d time.Duration) CacheOption {
	return func(c *cacheConfig) { c.fetchTimeout = d }
}

// Cache keeps successful GET and HEAD responses in memory so repeated reads
// (a lookup per synced item, a catalogue page) cost no request while fresh
// and only a 304 when an ETag or Last-Modified lets them be revalidated.
//
// The key is the method, the full URL and the values of the Accept headers,
// Prefer, Authorization and Cookie (hashed: two credentials never share a
// response, and no secret is kept). Each use of the middleware on a
// RoundTripper has its own store; in the order Chain recommends, the cache
// sits outside auth, so give every tenant its own chain.
//
// Only 200 responses are stored, never those marked no-store, for at most
// the TTL or the response's max-age. Concurrent reads of one key share one
// upstream request, run without the first caller's cancellation (a caller
// that gives up gets its ctx error; the others still get the response) and
// bounded by a timeout of its own. Any other method passes through and
// drops the stored responses for its URL path, the paths under it and the
// paths above it, so a read after a write sees the write. Requests with a
// body, a Range or conditional header, or Cache-Control no-store/no-cache
// pass through untouched.
func Cache(opts ...CacheOption) Middleware {
	cfg := cacheConfig{
		ttl:          defaultCacheTTL,
		maxEntries:   defaultCacheMaxEntries,
		maxBody:      defaultCacheMaxBody,
		vary:         append([]string(nil), defaultCacheVary...),
		fetchTimeout: defaultCacheFetchTimeout,
		now:          time.Now,
	}
	for _, o := range opts {
		o(&cfg)
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return &cacheTransport{
			cfg:     cfg,
			next:    next,
			entries: map[string]*list.Element{},
			lru:     list.New(),
		}
	}
}

type cacheTransport struct {
	cfg   cacheConfig
	next  http.RoundTripper
	group singleflight.Group

	mu      sync.Mutex
	entries map[string]*list.Element // of *cacheEntry
	lru     *list.List               // most recently used first
	// Writes that happened while fetches ran, so a fetch that read before
	// a write does not store what it read after the write dropped it.
	seq    uint64
	writes []cacheWrite
	floor  uint64 // fetches started before this seq store nothing
	active int    // fetches running
}

type cacheWrite struct {
	seq      uint64
	resource string
}

// maxCacheWrites bounds the writes remembered while fetches run.
const maxCacheWrites = 256

// cacheSnapshot is a response whose body has been read whole. Snapshots are
// never changed once made: every caller gets its own reader over the body.
type cacheSnapshot struct {
	status        string
	statusCode    int
	proto         string
	protoMajor    int
	protoMinor    int
	header        http.Header
	body          []byte
	contentLength int64 // as the server sent it: for HEAD, the GET's length
}

// cacheEntry is a stored response. Entries are immutable: a refresh stores
// a new one.
type cacheEntry struct {
	*cacheSnapshot
	key      string
	resource string // scheme://host/path, for invalidation
	expires  time.Time
}

func (e *cacheEntry) validators() bool {
	return e.header.Get("ETag") != "" || e.header.Get("Last-Modified") != ""
}

// cacheResult is what a shared fetch gives every caller waiting for it.
type cacheResult struct {
	snap   *cacheSnapshot // nil: too big to share
	status string         // the CacheHeader value
}

var errCacheFetchTimeout = kontor.NewError(kontor.KindRetryable, "cache",
	fmt.Errorf("shared fetch timed out: %w", context.DeadlineExceeded))

func (c *cacheTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead:
	case http.MethodOptions, http.MethodTrace:
		return c.next.RoundTrip(req)
	default:
		// A write may have changed what is stored, even when it failed.
		resp, err := c.next.RoundTrip(req)
		c.invalidate(cacheResource(req))
		return resp, err
	}
	if !cacheableRequest(req) {
		return c.next.RoundTrip(req)
	}
	key := c.key(req)
	e := c.lookup(key)
	if e != nil && c.cfg.now().Before(e.expires) {
		return e.response(req, "hit"), nil
	}
	if e != nil && !e.validators() {
		e = nil // stale and nothing to revalidate with: fetch anew
	}
	return c.shared(req, key, e)
}

// shared makes one upstream request for all concurrent callers of key.
func (c *cacheTransport) shared(req *http.Request, key string, stale *cacheEntry) (*http.Response, error) {
	ctx := req.Context()
	// Only the caller whose function singleflight runs (the first) can be
	// handed a body too big to share: it gets it over handoff, or closes
	// gone to say it stopped waiting.
	handoff := make(chan *http.Response)
	gone := make(chan struct{})
	ch := c.group.DoChan(key, func() (any, error) {
		return c.fetch(req, key, stale, handoff, gone)
	})
	select {
	case resp := <-handoff:
		resp.Request = req
		resp.Header.Set(CacheHeader, "miss")
		return resp, nil
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		res := r.Val.(*cacheResult)
		if res.snap == nil {
			// Too big for the cache; its stream went to the first caller.
			resp, err := c.next.RoundTrip(req)
			if err == nil {
				resp.Header.Set(CacheHeader, "miss")
			}
			return resp, err
		}
		return res.snap.response(req, res.status), nil
	case <-ctx.Done():
		close(gone)
		return nil, ctx.Err()
	}
}

// fetch runs the upstream request for shared, on a context that keeps the
// first caller's values but not its cancellation.
func (c *cacheTransport) fetch(req *http.Request, key string, stale *cacheEntry, handoff chan<- *http.Response, gone <-chan struct{}) (*cacheResult, error) {
	start := c.begin()
	defer c.end()
	// A fetch for this key may have stored a fresh entry after this caller
	// looked.
	if e := c.lookup(key); e != nil && c.cfg.now().Before(e.expires) {
		return &cacheResult{snap: e.cacheSnapshot, status: "hit"}, nil
	}

	fctx, cancel := context.WithCancelCause(context.WithoutCancel(req.Context()))
	timer := time.AfterFunc(c.cfg.fetchTimeout, func() { cancel(errCacheFetchTimeout) })
	handedOff := false
	defer func() {
		if !handedOff {
			timer.Stop()
			cancel(nil)
		}
	}()

	r := req.Clone(fctx)
	if stale != nil {
		if v := stale.header.Get("ETag"); v != "" {
			r.Header.Set("If-None-Match", v)
		}
		if v := stale.header.Get("Last-Modified"); v != "" {
			r.Header.Set("If-Modified-Since", v)
		}
	}
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return nil, cacheFetchError(fctx, err)
	}

	if stale != nil && resp.StatusCode == http.StatusNotModified {
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
		e := stale.refresh(resp.Header, c.cfg)
		c.store(key, e, start)
		return &cacheResult{snap: e.cacheSnapshot, status: "revalidated"}, nil
	}

	// Bodies too big to keep go to the first caller as a stream.
	streamOut := func(body io.ReadCloser) (*cacheResult, error) {
		timer.Stop() // the stream is bounded by its reader's context, below
		stop := context.AfterFunc(req.Context(), func() { cancel(context.Cause(req.Context())) })
		resp.Body = &cacheStream{ReadCloser: body, done: func() { stop(); cancel(nil) }}
		select {
		case handoff <- resp:
			handedOff = true
		case <-gone:
			resp.Body.Close()
		}
		return &cacheResult{}, nil
	}
	if req.Method != http.MethodHead && resp.ContentLength > c.cfg.maxBody {
		return streamOut(resp.Body)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	if err != nil {
		resp.Body.Close()
		return nil, cacheFetchError(fctx, err)
	}
	if int64(len(body)) > c.cfg.maxBody {
		return streamOut(struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body})
	}
	resp.Body.Close()

	snap := newCacheSnapshot(resp, body)
	if resp.StatusCode == http.StatusOK {
		var e *cacheEntry
		if ttl, ok := cacheTTL(resp.Header, c.cfg.ttl); ok {
			e = &cacheEntry{cacheSnapshot: snap, key: key, resource: cacheResource(req), expires: c.cfg.now().Add(ttl)}
			if ttl == 0 && !e.validators() {
				e = nil
			}
		}
		c.store(key, e, start) // nil drops a stale entry the server no longer lets us keep
	}
	return &cacheResult{snap: snap, status: "miss"}, nil
}

func cacheFetchError(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, errCacheFetchTimeout) {
		return fmt.Errorf("%w: %w", cause, err)
	}
	return err
}

// cacheStream is the body of a response too big to cache; closing it ends
// the shared fetch's context.
type cacheStream struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (s *cacheStream) Close() error {
	err := s.ReadCloser.Close()
	s.once.Do(s.done)
	return err
}

func (c *cacheTransport) lookup(key string) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.entries[key]
	if el == nil {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*cacheEntry)
}

// begin registers a running fetch and returns the write sequence it started
// at.
func (c *cacheTransport) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active++
	return c.seq
}

func (c *cacheTransport) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active--
	if c.active == 0 {
		c.writes = c.writes[:0]
	}
}

// store puts e under key, or removes key when e is nil, unless a write to
// a related path happened since the fetch started at seq start.
func (c *cacheTransport) store(key string, e *cacheEntry, start uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.entries[key]; el != nil {
		c.lru.Remove(el)
		delete(c.entries, key)
	}
	if e == nil || start < c.floor {
		return
	}
	for _, w := range c.writes {
		if w.seq > start && cacheRelated(e.resource, w.resource) {
			return
		}
	}
	c.entries[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.cfg.maxEntries {
		old := c.lru.Remove(c.lru.Back()).(*cacheEntry)
		delete(c.entries, old.key)
	}
}

// invalidate drops the entries for resource, the paths under it and the
// paths above it (the collection a written item is listed in).
func (c *cacheTransport) invalidate(resource string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if c.active > 0 {
		if len(c.writes) >= maxCacheWrites {
			// Too many to remember: no running fetch may store.
			c.writes = c.writes[:0]
			c.floor = c.seq
		} else {
			c.writes = append(c.writes, cacheWrite{seq: c.seq, resource: resource})
		}
	}
	for key, el := range c.entries {
		if cacheRelated(el.Value.(*cacheEntry).resource, resource) {
			c.lru.Remove(el)
			delete(c.entries, key)
		}
	}
}

// cacheRelated reports whether a write to one resource may change the
// other: the same path, or one below the other at a "/" or "(" boundary
// (OData keys: /items(id) is below /items).
func cacheRelated(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if !strings.HasPrefix(a, b) {
		return false
	}
	return len(a) == len(b) || a[len(b)] == '/' || a[len(b)] == '('
}

// cacheResource identifies req's path for invalidation.
func cacheResource(req *http.Request) string {
	u := req.URL
	return u.Scheme + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.EscapedPath(), "/")
}

// key hashes the method, URL and vary header values.
func (c *cacheTransport) key(req *http.Request) string {
	h := sha256.New()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	io.WriteString(h, method)
	h.Write([]byte{0})
	io.WriteString(h, req.URL.String())
	for _, name := range c.cfg.vary {
		h.Write([]byte{1})
		for _, v := range req.Header.Values(name) {
			h.Write([]byte{0})
			io.WriteString(h, v)
		}
	}
	return string(h.Sum(nil))
}

// cacheableRequest reports whether a read may be served from or stored in
// the cache.
func cacheableRequest(req *http.Request) bool {
	if req.Body != nil && req.Body != http.NoBody {
		return false
	}
	for _, h := range []string{"Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range"} {
		if req.Header.Get(h) != "" {
			return false
		}
	}
	d := cacheDirectives(req.Header)
	_, noStore := d["no-store"]
	_, noCache := d["no-cache"]
	return !noStore && !noCache
}

// cacheTTL returns how long a response may be served without asking, and
// whether it may be stored at all.
func cacheTTL(h http.Header, ttl time.Duration) (time.Duration, bool) {
	if h.Get("Vary") == "*" {
		return 0, false
	}
	d := cacheDirectives(h)
	if _, ok := d["no-store"]; ok {
		return 0, false
	}
	if _, ok := d["no-cache"]; ok {
		return 0, true // store, but revalidate on every read
	}
	if v, ok := d["max-age"]; ok {
		// Compared in seconds first: a huge max-age would overflow.
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs >= 0 && secs <= int64(ttl/time.Second) {
			ttl = min(ttl, time.Duration(secs)*time.Second)
		}
	}
	return ttl, true
}

// cacheDirectives parses Cache-Control into lowercase names and values.
func cacheDirectives(h http.Header) map[string]string {
	var d map[string]string
	for _, line := range h.Values("Cache-Control") {
		for part := range strings.SplitSeq(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			if name == "" {
				continue
			}
			if d == nil {
				d = map[string]string{}
			}
			d[strings.ToLower(name)] = strings.Trim(value, `"`)
		}
	}
	return d
}

func newCacheSnapshot(resp *http.Response, body []byte) *cacheSnapshot {
	h := resp.Header.Clone()
	h.Del(CacheHeader)
	return &cacheSnapshot{
		status:        resp.Status,
		statusCode:    resp.StatusCode,
		proto:         resp.Proto,
		protoMajor:    resp.ProtoMajor,
		protoMinor:    resp.ProtoMinor,
		header:        h,
		body:          body,
		contentLength: resp.ContentLength,
	}
}

// response makes a caller's own response from the snapshot.
func (s *cacheSnapshot) response(req *http.Request, status string) *http.Response {
	h := s.header.Clone()
	h.Set(CacheHeader, status)
	resp := &http.Response{
		Status:        s.status,
		StatusCode:    s.statusCode,
		Proto:         s.proto,
		ProtoMajor:    s.protoMajor,
		ProtoMinor:    s.protoMinor,
		Header:        h,
		Body:          http.NoBody,
		ContentLength: int64(len(s.body)),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		resp.ContentLength = s.contentLength
	} else if len(s.body) > 0 {
		resp.Body = io.NopCloser(bytes.NewReader(s.body))
	}
	return resp
}

// refresh returns a copy of e made fresh by a 304, with the validators and
// freshness headers the 304 carried (RFC 9111 §4.3.4).
func (e *cacheEntry) refresh(h304 http.Header, cfg cacheConfig) *cacheEntry {
	snap := *e.cacheSnapshot
	snap.header = e.header.Clone()
	for _, name := range []string{"Cache-Control", "Date", "ETag", "Expires", "Last-Modified"} {
		if v := h304.Values(name); len(v) > 0 {
			snap.header[name] = append([]string(nil), v...)
		}
	}
	n := &cacheEntry{cacheSnapshot: &snap, key: e.key, resource: e.resource}
	ttl, ok := cacheTTL(snap.header, cfg.ttl)
	if !ok {
		ttl = 0
	}
	n.expires = cfg.now().Add(ttl)
	return n
}
