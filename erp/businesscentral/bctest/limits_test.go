package bctest_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
)

func TestRateLimitWithoutRetryAfter(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithRateLimit(3, time.Minute))
	defer srv.Close()
	a := newAPI(t, srv)
	for range 3 {
		require.Equal(t, 200, a.do("GET", "items", nil).status)
	}
	r := a.do("GET", "items", nil)
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "Application_TooManyRequests", r.errCode())
	assert.Contains(t, r.errMessage(), "Maximum (3)")
	assert.Empty(t, r.header.Get("Retry-After"), "Business Central documents no Retry-After for 429")
	assert.Equal(t, 4, srv.Requests(), "a throttled request is counted")
}

func TestRateLimitWithRetryAfter(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithRateLimit(2, 90*time.Second), bctest.WithRateLimitRetryAfter())
	defer srv.Close()
	a := newAPI(t, srv)
	a.do("GET", "items", nil)
	a.do("GET", "items", nil)
	r := a.do("GET", "items", nil)
	assert.Equal(t, 429, r.status)
	assert.Contains(t, []string{"89", "90"}, r.header.Get("Retry-After"))
}

func TestRateLimitWindowSlides(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithRateLimit(2, 50*time.Millisecond))
	defer srv.Close()
	a := newAPI(t, srv)
	a.do("GET", "items", nil)
	a.do("GET", "items", nil)
	assert.Equal(t, 429, a.do("GET", "items", nil).status)
	require.Eventually(t, func() bool { return a.do("GET", "items", nil).status == 200 }, 5*time.Second, 10*time.Millisecond)
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	srv := bctest.New()
	defer srv.Close()
	a := newAPI(t, srv)
	srv.FailNext(2, bctest.Fault{Status: 429})
	srv.FailNext(1, bctest.Fault{Status: 503, RetryAfter: 1500 * time.Millisecond})
	r := a.do("GET", "items", nil)
	assert.Equal(t, 429, r.status)
	assert.Empty(t, r.header.Get("Retry-After"))
	assert.Equal(t, 429, a.do("POST", "items", map[string]any{"number": "X"}).status)
	r = a.do("GET", "items", nil)
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "2", r.header.Get("Retry-After"), "rounded up to whole seconds")
	assert.NotEmpty(t, r.errCode())
	assert.Equal(t, 200, a.do("GET", "items", nil).status)
	_, ok := srv.Item("X")
	assert.False(t, ok, "a failed request wrote nothing")
	assert.Equal(t, 4, srv.Requests())
	assert.Equal(t, 3, srv.RequestsFor("GET", "items"))
	assert.Equal(t, 1, srv.RequestsFor("POST", "items"))
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	srv := bctest.New(bctest.WithConcurrency(1, 1, 50*time.Millisecond))
	defer srv.Close()
	a := newAPI(t, srv)
	h := newHook(t)
	block := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(block) }) }) // never leave the handshake hanging
	h.set(func(h *hook) { h.block = block })
	// A subscription whose handshake hangs holds the only slot.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		b := &api{t: t, srv: srv, token: a.token}
		b.do("POST", srv.APIURL()+"/subscriptions", map[string]any{"notificationUrl": h.URL, "resource": "/api/v2.0/companies(" + srv.CompanyID() + ")/items"})
	}()
	require.Eventually(t, func() bool { h.mu.Lock(); defer h.mu.Unlock(); return h.handshakes == 1 }, 5*time.Second, time.Millisecond)

	// One waits in the queue and gets 503 after the wait; with the queue
	// taken, another gets 429 at once.
	queued := make(chan resp, 1)
	go func() {
		b := &api{t: t, srv: srv, token: a.token}
		queued <- b.do("GET", "items", nil)
	}()
	require.Eventually(t, func() bool { return srv.Queued() == 1 }, 5*time.Second, time.Millisecond)
	r := a.do("GET", "items", nil)
	assert.Equal(t, 429, r.status)
	assert.Equal(t, "Application_TooManyRequests", r.errCode())
	q := <-queued
	assert.Equal(t, 503, q.status)
	assert.Equal(t, "1", q.header.Get("Retry-After"))
	once.Do(func() { close(block) })
	wg.Wait()
	assert.Equal(t, 200, a.do("GET", "items", nil).status, "free again")
}
