package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// cacheTestClock is a settable clock for TTLs.
type cacheTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func newCacheTestClock() *cacheTestClock {
	return &cacheTestClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *cacheTestClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *cacheTestClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// cacheTestServer serves handler and counts requests by "METHOD path".
type cacheTestServer struct {
	srv   *httptest.Server
	mu    sync.Mutex
	count map[string]int
}

func newCacheTestServer(t *testing.T, handler http.HandlerFunc) *cacheTestServer {
	s := &cacheTestServer{count: map[string]int{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.count[r.Method+" "+r.URL.Path]++
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *cacheTestServer) calls(methodPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count[methodPath]
}

func (s *cacheTestServer) client(clock *cacheTestClock, opts ...CacheOption) (*http.Client, *cacheTransport) {
	if clock != nil {
		opts = append(opts, withCacheClock(clock.now))
	}
	ct := Cache(opts...)(s.srv.Client().Transport).(*cacheTransport)
	return &http.Client{Transport: ct}, ct
}

type cacheTestResult struct {
	status int
	body   string
	cache  string // the CacheHeader value
	header http.Header
}

func cacheTestDo(t *testing.T, c *http.Client, method, u string, header ...string) cacheTestResult {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return cacheTestResult{status: resp.StatusCode, body: string(b), cache: resp.Header.Get(CacheHeader), header: resp.Header}
}

func TestCacheHitWithinTTL(t *testing.T) {
	t.Parallel()
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":1}`)
	})
	clock := newCacheTestClock()
	c, _ := s.client(clock)
	u := s.srv.URL + "/items?$filter=number%20eq%20'1000'"

	first := cacheTestDo(t, c, http.MethodGet, u)
	assert.Equal(t, "miss", first.cache)
	clock.advance(29 * time.Second)
	second := cacheTestDo(t, c, http.MethodGet, u)
	assert.Equal(t, "hit", second.cache)
	assert.Equal(t, `{"id":1}`, second.body)
	assert.Equal(t, http.StatusOK, second.status)
	assert.Equal(t, 1, s.calls("GET /items"), "second read served from memory")

	clock.advance(2 * time.Second) // past the 30s default, no validator
	third := cacheTestDo(t, c, http.MethodGet, u)
	assert.Equal(t, "miss", third.cache)
	assert.Equal(t, 2, s.calls("GET /items"))

	other := cacheTestDo(t, c, http.MethodGet, s.srv.URL+"/items?$filter=number%20eq%20'1001'")
	assert.Equal(t, "miss", other.cache, "the query is part of the key")
	assert.Equal(t, 3, s.calls("GET /items"))
}

func TestCacheRevalidation(t *testing.T) {
	t.Parallel()
	for name, validator := range map[string]string{"etag": "ETag", "last-modified": "Last-Modified"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			version := 1
			var conditions []string
			s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				etag := fmt.Sprintf(`W/"v%d"`, version)
				modified := time.Date(2025, 1, version, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)
				cond := r.Header.Get("If-None-Match") + r.Header.Get("If-Modified-Since")
				conditions = append(conditions, cond)
				if validator == "ETag" {
					w.Header().Set("ETag", etag)
					if cond == etag {
						w.WriteHeader(http.StatusNotModified)
						return
					}
				} else {
					w.Header().Set("Last-Modified", modified)
					if cond == modified {
						w.WriteHeader(http.StatusNotModified)
						return
					}
				}
				fmt.Fprintf(w, "body-v%d", version)
			})
			clock := newCacheTestClock()
			c, _ := s.client(clock, CacheTTL(10*time.Second))
			u := s.srv.URL + "/products/7"

			assert.Equal(t, "miss", cacheTestDo(t, c, http.MethodGet, u).cache)
			clock.advance(11 * time.Second)
			got := cacheTestDo(t, c, http.MethodGet, u)
			assert.Equal(t, "revalidated", got.cache)
			assert.Equal(t, http.StatusOK, got.status, "the caller sees the stored 200, not the 304")
			assert.Equal(t, "body-v1", got.body)
			assert.Equal(t, 2, s.calls("GET /products/7"))

			got = cacheTestDo(t, c, http.MethodGet, u)
			assert.Equal(t, "hit", got.cache, "the 304 refreshed the TTL")
			assert.Equal(t, 2, s.calls("GET /products/7"))

			mu.Lock()
			version = 2
			mu.Unlock()
			clock.advance(11 * time.Second)
			got = cacheTestDo(t, c, http.MethodGet, u)
			assert.Equal(t, "miss", got.cache, "changed validator: new body")
			assert.Equal(t, "body-v2", got.body)
			got = cacheTestDo(t, c, http.MethodGet, u)
			assert.Equal(t, "hit", got.cache)
			assert.Equal(t, "body-v2", got.body)
			assert.Equal(t, 3, s.calls("GET /products/7"))

			mu.Lock()
			defer mu.Unlock()
			v1 := map[string]string{"ETag": `W/"v1"`, "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"}[validator]
			assert.Equal(t, []string{"", v1, v1}, conditions, "the server saw the stored validator")
		})
	}
}

func TestCacheControl(t *testing.T) {
	t.Parallel()
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/no-store":
			w.Header().Set("Cache-Control", "no-store")
		case "/private":
			w.Header().Set("Cache-Control", "private, max-age=600")
		case "/max-age":
			w.Header().Set("Cache-Control", "max-age=5")
		case "/no-cache":
			w.Header().Set("Cache-Control", "no-cache")
			w.Header().Set("ETag", `"x"`)
			if r.Header.Get("If-None-Match") == `"x"` {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		case "/vary-star":
			w.Header().Set("Vary", "*")
		}
		_, _ = io.WriteString(w, "body")
	})
	clock := newCacheTestClock()
	c, _ := s.client(clock)
	get := func(path string, header ...string) string {
		return cacheTestDo(t, c, http.MethodGet, s.srv.URL+path, header...).cache
	}

	assert.Equal(t, []string{"miss", "miss"}, []string{get("/no-store"), get("/no-store")})
	assert.Equal(t, 2, s.calls("GET /no-store"), "no-store is never stored")

	assert.Equal(t, []string{"miss", "hit"}, []string{get("/private"), get("/private")}, "a private cache may keep private responses")

	assert.Equal(t, []string{"miss", "miss"}, []string{get("/missing"), get("/missing")})
	assert.Equal(t, 2, s.calls("GET /missing"), "only 200s are stored")

	assert.Equal(t, []string{"miss", "miss"}, []string{get("/vary-star"), get("/vary-star")})

	assert.Equal(t, []string{"miss", "revalidated", "revalidated"}, []string{get("/no-cache"), get("/no-cache"), get("/no-cache")})
	assert.Equal(t, 3, s.calls("GET /no-cache"), "no-cache: stored, revalidated on every read")

	assert.Equal(t, "miss", get("/max-age"))
	clock.advance(4 * time.Second)
	assert.Equal(t, "hit", get("/max-age"))
	clock.advance(2 * time.Second)
	assert.Equal(t, "miss", get("/max-age"), "max-age 5 is shorter than the 30s TTL")
	assert.Equal(t, 2, s.calls("GET /max-age"))

	// A request that asks for a fresh answer, or is conditional itself,
	// passes through untouched.
	assert.Equal(t, "", get("/private", "Cache-Control", "no-cache"))
	assert.Equal(t, "", get("/private", "If-None-Match", `"y"`))
	assert.Equal(t, "", get("/private", "Range", "bytes=0-1"))
	assert.Equal(t, 4, s.calls("GET /private"))
}

func TestCacheWritesPassThroughAndInvalidate(t *testing.T) {
	t.Parallel()
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path)
	})
	c, _ := s.client(newCacheTestClock())
	get := func(path string) string { return cacheTestDo(t, c, http.MethodGet, s.srv.URL+path).cache }
	paths := []string{"/products", "/products/1", "/products/1/variants", "/products/12", "/customers", "/items", "/items(5)", "/items(6)"}
	for _, p := range paths {
		require.Equal(t, "miss", get(p), p)
	}

	for range 2 {
		res := cacheTestDo(t, c, http.MethodPost, s.srv.URL+"/products/1")
		assert.Equal(t, "POST /products/1", res.body)
		assert.Empty(t, res.cache, "writes are not the cache's business")
	}
	assert.Equal(t, 2, s.calls("POST /products/1"), "POST is never cached")
	cacheTestDo(t, c, http.MethodPatch, s.srv.URL+"/items(5)")

	want := map[string]string{
		"/products":            "miss", // the collection above
		"/products/1":          "miss", // the written item
		"/products/1/variants": "miss", // below it
		"/products/12":         "hit",  // a sibling sharing a prefix
		"/customers":           "hit",
		"/items":               "miss", // OData key segment
		"/items(5)":            "miss",
		"/items(6)":            "hit",
	}
	for _, p := range paths {
		assert.Equal(t, want[p], get(p), p)
	}
	assert.Equal(t, 2, s.calls("GET /products/1"))
	assert.Equal(t, 1, s.calls("GET /customers"))
}

func TestCacheSeparatesIdentities(t *testing.T) {
	t.Parallel()
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s", r.Header.Get("Authorization"), r.Header.Get("Accept"), r.Header.Get("X-Shopify-Access-Token"))
	})
	c, ct := s.client(newCacheTestClock(), CacheVary("x-shopify-access-token"))
	u := s.srv.URL + "/orders"
	for range 2 {
		assert.Equal(t, "Bearer tenant-a-secret||", cacheTestDo(t, c, http.MethodGet, u, "Authorization", "Bearer tenant-a-secret").body)
		assert.Equal(t, "Bearer tenant-b-secret||", cacheTestDo(t, c, http.MethodGet, u, "Authorization", "Bearer tenant-b-secret").body)
		assert.Equal(t, "|application/xml|", cacheTestDo(t, c, http.MethodGet, u, "Accept", "application/xml").body)
		assert.Equal(t, "||shpat_a", cacheTestDo(t, c, http.MethodGet, u, "X-Shopify-Access-Token", "shpat_a").body)
		assert.Equal(t, "||shpat_b", cacheTestDo(t, c, http.MethodGet, u, "X-Shopify-Access-Token", "shpat_b").body)
	}
	assert.Equal(t, 5, s.calls("GET /orders"), "five identities, five entries, then hits")

	ct.mu.Lock()
	defer ct.mu.Unlock()
	assert.Len(t, ct.entries, 5)
	for key, el := range ct.entries {
		e := el.Value.(*cacheEntry)
		for _, secret := range []string{"tenant-a-secret", "shpat_a"} {
			assert.NotContains(t, key, secret, "only a hash of the credentials is kept")
			assert.NotContains(t, e.key+e.resource, secret)
		}
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.Path)
	})
	c, ct := s.client(newCacheTestClock(), CacheMaxEntries(2))
	get := func(path string) string { return cacheTestDo(t, c, http.MethodGet, s.srv.URL+path).cache }
	assert.Equal(t, "miss", get("/a"))
	assert.Equal(t, "miss", get("/b"))
	assert.Equal(t, "hit", get("/a")) // /b is now the least recently used
	assert.Equal(t, "miss", get("/c"))
	assert.Equal(t, "hit", get("/a"))
	assert.Equal(t, "hit", get("/c"))
	assert.Equal(t, "miss", get("/b"), "evicted")
	ct.mu.Lock()
	assert.Equal(t, 2, ct.lru.Len())
	assert.Len(t, ct.entries, 2)
	ct.mu.Unlock()
}

func TestCacheHead(t *testing.T) {
	t.Parallel()
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
	})
	c, _ := s.client(newCacheTestClock())
	u := s.srv.URL + "/file"
	for _, want := range []string{"miss", "hit"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodHead, u, nil)
		require.NoError(t, err)
		resp, err := c.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.Header.Get(CacheHeader))
		assert.EqualValues(t, 5, resp.ContentLength)
	}
	assert.Equal(t, "hello", cacheTestDo(t, c, http.MethodGet, u).body, "HEAD and GET are separate entries")
	assert.Equal(t, 1, s.calls("HEAD /file"))
	assert.Equal(t, 1, s.calls("GET /file"))
}

func TestCacheOversizedBodyStreamsUncached(t *testing.T) {
	t.Parallel()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 128) // 2 KiB
	var gateMu sync.Mutex
	gate := make(chan struct{})
	s := newCacheTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/known-length" {
			w.Header().Set("Content-Length", "4096")
			_, _ = w.Write(chunk)
			_, _ = w.Write(chunk)
			return
		}
		_, _ = w.Write(chunk)
		w.(http.Flusher).Flush()
		gateMu.Lock()
		g := gate
		gateMu.Unlock()
		<-g
		_, _ = w.Write(chunk)
	})
	c, ct := s.client(newCacheTestClock(), CacheMaxBodySize(1024))
	want := string(chunk) + string(chunk)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.srv.URL+"/chunked", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err, "the response arrives while the server still holds back its second half")
	assert.Equal(t, "miss", resp.Header.Get(CacheHeader))
	first := make([]byte, len(chunk))
	_, err = io.ReadFull(resp.Body, first)
	require.NoError(t, err)
	close(gate)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, want, string(first)+string(rest))

	gateMu.Lock()
	gate = make(chan struct{})
	close(gate)
	gateMu.Unlock()
	assert.Equal(t, want, cacheTestDo(t, c, http.MethodGet, s.srv.URL+"/chunked").body)
	assert.Equal(t, 2, s.calls("GET /chunked"), "not stored")

	for range 2 {
		res := cacheTestDo(t, c, http.MethodGet, s.srv.URL+"/known-length")
		assert.Equal(t, want, res.body)
		assert.Equal(t, "miss", res.cache)
	}
	assert.Equal(t, 2, s.calls("GET /known-length"), "not stored")
	ct.mu.Lock()
	assert.Empty(t, ct.entries)
	ct.mu.Unlock()
}

// cacheTestUpstream is an in-memory server for tests in a synctest bubble:
// it counts requests and, while gated, holds them until the gate closes.
type cacheTestUpstream struct {
	mu      sync.Mutex
	calls   int
	gate    chan struct{}
	body    []byte
	ctxErrs []error // the request context's error when the gate opened
}

func (u *cacheTestUpstream) RoundTrip(req *http.Request) (*http.Response, error) {
	u.mu.Lock()
	u.calls++
	gate := u.gate
	u.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	u.mu.Lock()
	u.ctxErrs = append(u.ctxErrs, req.Context().Err())
	body := u.body
	u.mu.Unlock()
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: -1,
		Request:       req,
	}, nil
}

func (u *cacheTestUpstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls
}

func cacheTestRead(ctx context.Context, rt http.RoundTripper, method, u string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.Header.Get(CacheHeader), err
}

func TestCacheConcurrentMissesShareOneRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		up := &cacheTestUpstream{gate: gate, body: []byte(`{"value":[1,2,3]}`)}
		rt := Cache()(up)

		var wg sync.WaitGroup
		bodies := make([]string, 100)
		statuses := make([]string, 100)
		errs := make([]error, 100)
		for i := range 100 {
			wg.Go(func() {
				bodies[i], statuses[i], errs[i] = cacheTestRead(t.Context(), rt, http.MethodGet, "https://erp.example/items")
			})
		}
		synctest.Wait() // one request held upstream, 99 callers waiting for it
		assert.Equal(t, 1, up.count())
		close(gate)
		wg.Wait()
		for i := range 100 {
			require.NoError(t, errs[i])
			assert.Equal(t, `{"value":[1,2,3]}`, bodies[i], "caller %d", i)
			assert.Equal(t, "miss", statuses[i])
		}
		assert.Equal(t, 1, up.count(), "100 concurrent cold reads, one upstream request")

		body, status, err := cacheTestRead(t.Context(), rt, http.MethodGet, "https://erp.example/items")
		require.NoError(t, err)
		assert.Equal(t, "hit", status)
		assert.Equal(t, `{"value":[1,2,3]}`, body)
	})
}

func TestCacheCancelledWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		up := &cacheTestUpstream{gate: gate, body: []byte("shared")}
		rt := Cache()(up)
		const u = "https://erp.example/items"

		type result struct {
			body string
			err  error
		}
		start := func(ctx context.Context) chan result {
			ch := make(chan result, 1)
			go func() {
				body, _, err := cacheTestRead(ctx, rt, http.MethodGet, u)
				ch <- result{body, err}
			}()
			return ch
		}
		// The first caller starts the shared request, then gives up, as
		// does one of the callers that joined it.
		leaderCtx, cancelLeader := context.WithCancel(t.Context())
		leader := start(leaderCtx)
		synctest.Wait()
		followerCtx, cancelFollower := context.WithCancel(t.Context())
		follower := start(followerCtx)
		patient := start(t.Context())
		synctest.Wait()

		cancelLeader()
		cancelFollower()
		synctest.Wait()
		for _, ch := range []chan result{leader, follower} {
			select {
			case r := <-ch:
				assert.ErrorIs(t, r.err, context.Canceled)
			default:
				t.Fatal("a cancelled caller is still waiting")
			}
		}
		select {
		case r := <-patient:
			t.Fatalf("the other caller returned early: %v", r.err)
		default:
		}

		close(gate)
		r := <-patient
		require.NoError(t, r.err)
		assert.Equal(t, "shared", r.body)
		assert.Equal(t, 1, up.count())
		assert.Equal(t, []error{nil}, up.ctxErrs, "the shared request was not cancelled with its first caller")

		_, status, err := cacheTestRead(t.Context(), rt, http.MethodGet, u)
		require.NoError(t, err)
		assert.Equal(t, "hit", status, "and its response was stored")
	})
}

func TestCacheOversizedConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		big := bytes.Repeat([]byte("x"), 4096)
		up := &cacheTestUpstream{gate: gate, body: big}
		rt := Cache(CacheMaxBodySize(1024))(up)

		var wg sync.WaitGroup
		bodies := make([]string, 3)
		errs := make([]error, 3)
		for i := range 3 {
			wg.Go(func() {
				bodies[i], _, errs[i] = cacheTestRead(t.Context(), rt, http.MethodGet, "https://erp.example/big")
			})
		}
		synctest.Wait()
		up.mu.Lock()
		up.gate = nil // the followers' own requests are not held
		up.mu.Unlock()
		close(gate)
		wg.Wait()
		for i := range 3 {
			require.NoError(t, errs[i])
			assert.Equal(t, string(big), bodies[i])
		}
		assert.Equal(t, 3, up.count(), "a body too big to share: the first caller streams it, the others fetch their own")
	})
}

func TestCacheSharedFetchTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		defer close(gate)
		up := &cacheTestUpstream{gate: gate}
		rt := Cache(withCacheFetchTimeout(time.Minute))(up)

		begin := time.Now()
		_, _, err := cacheTestRead(t.Context(), rt, http.MethodGet, "https://erp.example/slow")
		require.Error(t, err)
		assert.Equal(t, time.Minute, time.Since(begin))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, kontor.KindRetryable, kontor.KindOf(err))
	})
}

func TestCacheWriteDuringReadIsNotStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		up := &cacheTestUpstream{gate: gate, body: []byte("before")}
		rt := Cache()(up)
		const u = "https://erp.example/items(1)"

		read := make(chan string, 1)
		go func() {
			body, _, err := cacheTestRead(t.Context(), rt, http.MethodGet, u)
			assert.NoError(t, err)
			read <- body
		}()
		synctest.Wait() // the read is upstream

		up.mu.Lock()
		up.gate = nil
		up.mu.Unlock()
		_, _, err := cacheTestRead(t.Context(), rt, http.MethodPatch, u)
		require.NoError(t, err)
		close(gate)
		assert.Equal(t, "before", <-read, "the read that raced the write gets its answer")

		_, status, err := cacheTestRead(t.Context(), rt, http.MethodGet, u)
		require.NoError(t, err)
		assert.Equal(t, "miss", status, "but that answer was not stored")
		assert.Equal(t, 3, up.count())
	})
}

func TestCacheRelated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"https://h/products/1", "https://h/products/1", true},
		{"https://h/products/1/variants", "https://h/products/1", true},
		{"https://h/products", "https://h/products/1", true},
		{"https://h/products/12", "https://h/products/1", false},
		{"https://h/items(1)", "https://h/items", true},
		{"https://h/itemsX", "https://h/items", false},
		{"https://other/products/1", "https://h/products/1", false},
	} {
		assert.Equal(t, tc.want, cacheRelated(tc.a, tc.b), "%s vs %s", tc.a, tc.b)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	up := &cacheTestUpstream{body: bytes.Repeat([]byte("x"), 4096)}
	rt := Cache()(up)
	ctx := context.Background()
	if _, _, err := cacheTestRead(ctx, rt, http.MethodGet, "https://erp.example/items"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://erp.example/items", nil)
		for pb.Next() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	if up.count() != 1 {
		b.Fatalf("upstream called %d times", up.count())
	}
}
