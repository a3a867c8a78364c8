package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientTLSServer starts an HTTPS server whose TLS versions are capped at
// maxVersion (0: no cap) and returns it, a pool that trusts it, and a count
// of the requests that reached the handler.
func clientTLSServer(t *testing.T, maxVersion uint16) (*httptest.Server, *x509.CertPool, *atomic.Int32) {
	t.Helper()
	var count atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = &tls.Config{MaxVersion: maxVersion}
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool, &count
}

// clientClose releases the client's idle connections with the test.
func clientClose(t *testing.T, c *http.Client) {
	t.Helper()
	t.Cleanup(c.CloseIdleConnections)
}

func TestNewClientDefaults(t *testing.T) {
	c, err := NewClient()
	require.NoError(t, err)
	assert.Equal(t, 60*time.Second, c.Timeout)
	tr, ok := c.Transport.(*http.Transport)
	require.True(t, ok, "without middleware the transport is the base itself")
	assert.Equal(t, uint16(tls.VersionTLS13), tr.TLSClientConfig.MinVersion)
	assert.Nil(t, tr.TLSClientConfig.RootCAs, "the system's roots")
	assert.Equal(t, 16, tr.MaxIdleConnsPerHost)
	assert.True(t, tr.ForceAttemptHTTP2)
	assert.NotNil(t, tr.Proxy, "cloned from the standard transport")
	assert.NotSame(t, http.DefaultTransport, tr)
	assert.NotSame(t, http.DefaultTransport.(*http.Transport).TLSClientConfig, tr.TLSClientConfig, "the standard transport is left alone")
}

func TestNewClientRefusesTLS12ServerByDefault(t *testing.T) {
	srv, pool, count := clientTLSServer(t, tls.VersionTLS12)

	c, err := NewClient(ClientRootCAs(pool))
	require.NoError(t, err)
	clientClose(t, c)
	_, err = c.Get(srv.URL)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "protocol version")
	assert.Equal(t, int32(0), count.Load(), "no request went over TLS 1.2")

	c, err = NewClient(ClientRootCAs(pool), ClientMinTLS(tls.VersionTLS12))
	require.NoError(t, err)
	clientClose(t, c)
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, uint16(tls.VersionTLS12), resp.TLS.Version)
	assert.Equal(t, int32(1), count.Load())
}

func TestNewClientAcceptsTLS13Server(t *testing.T) {
	srv, pool, count := clientTLSServer(t, 0)
	c, err := NewClient(ClientRootCAs(pool))
	require.NoError(t, err)
	clientClose(t, c)
	resp, err := c.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, uint16(tls.VersionTLS13), resp.TLS.Version)
	assert.Equal(t, 2, resp.ProtoMajor, "a custom TLS config keeps HTTP/2")
	assert.Equal(t, int32(1), count.Load())
}

func TestNewClientTrustsOnlyItsRoots(t *testing.T) {
	srv, _, count := clientTLSServer(t, 0)
	c, err := NewClient()
	require.NoError(t, err)
	clientClose(t, c)
	_, err = c.Get(srv.URL)
	var unknown x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknown)
	assert.Equal(t, int32(0), count.Load())
}

func TestNewClientOptionErrors(t *testing.T) {
	base := RoundTripperFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("unused") })
	for name, opts := range map[string][]ClientOption{
		"TLS 1.1":               {ClientMinTLS(tls.VersionTLS11)},
		"TLS 1.0":               {ClientMinTLS(tls.VersionTLS10)},
		"unknown TLS version":   {ClientMinTLS(0x0305)},
		"zero timeout":          {ClientTimeout(0)},
		"negative timeout":      {ClientTimeout(-time.Second)},
		"nil roots":             {ClientRootCAs(nil)},
		"nil base":              {ClientBase(nil)},
		"base with roots":       {ClientBase(base), ClientRootCAs(x509.NewCertPool())},
		"base with TLS minimum": {ClientBase(base), ClientMinTLS(tls.VersionTLS12)},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := NewClient(opts...)
			assert.Error(t, err)
			assert.Nil(t, c)
		})
	}
}

func TestNewClientMiddlewareWrapsBase(t *testing.T) {
	var order []string
	mark := func(name string) Middleware {
		return func(next http.RoundTripper) http.RoundTripper {
			return RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
				order = append(order, name)
				return next.RoundTrip(r)
			})
		}
	}
	base := RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
		order = append(order, "base")
		return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Header: http.Header{}, Request: r}, nil
	})
	c, err := NewClient(ClientBase(base), ClientMiddleware(mark("outer"), mark("middle")), ClientMiddleware(mark("inner")))
	require.NoError(t, err)
	resp, err := c.Get("http://erp.invalid/items")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, []string{"outer", "middle", "inner", "base"}, order)
}

func TestNewClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	c, err := NewClient(ClientTimeout(100 * time.Millisecond))
	require.NoError(t, err)
	clientClose(t, c)
	start := time.Now()
	_, err = c.Get(srv.URL)
	require.Error(t, err)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.Less(t, time.Since(start), time.Second)
}
