package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Client defaults.
const (
	defaultClientTimeout = 60 * time.Second
	// clientMaxIdleConnsPerHost keeps enough warm connections for a
	// connector's parallel page fetches; the standard library keeps 2.
	clientMaxIdleConnsPerHost = 16
)

// ClientOption configures NewClient. An option given a value it cannot use
// makes NewClient fail rather than fall back silently.
type ClientOption func(*clientConfig) error

type clientConfig struct {
	timeout    time.Duration
	minTLS     uint16
	minTLSSet  bool
	rootCAs    *x509.CertPool
	base       http.RoundTripper
	middleware []Middleware
}

// ClientTimeout bounds a whole call, retries and waits included (default
// 60s). It must be positive; use a context for calls that need longer.
func ClientTimeout(d time.Duration) ClientOption {
	return func(c *clientConfig) error {
		if d <= 0 {
			return fmt.Errorf("transport: client timeout %v must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// ClientMinTLS sets the oldest TLS version the client accepts. The default
// is TLS 1.3; tls.VersionTLS12 allows TLS 1.2 for remote systems that
// offer nothing newer. Older versions are refused.
func ClientMinTLS(version uint16) ClientOption {
	return func(c *clientConfig) error {
		switch version {
		case tls.VersionTLS12, tls.VersionTLS13:
		default:
			return fmt.Errorf("transport: minimum TLS version %s not allowed: use TLS 1.2 or 1.3", tls.VersionName(version))
		}
		c.minTLS = version
		c.minTLSSet = true
		return nil
	}
}

// ClientRootCAs sets the certificate authorities the client trusts instead
// of the system's, e.g. a company CA in front of an on-premises ERP.
func ClientRootCAs(pool *x509.CertPool) ClientOption {
	return func(c *clientConfig) error {
		if pool == nil {
			return errors.New("transport: nil root CA pool: omit the option to trust the system's")
		}
		c.rootCAs = pool
		return nil
	}
}

// ClientBase replaces the HTTP transport under the middleware, e.g. with a
// test double. The TLS options do not apply to it, so NewClient refuses
// them together.
func ClientBase(rt http.RoundTripper) ClientOption {
	return func(c *clientConfig) error {
		if rt == nil {
			return errors.New("transport: nil base RoundTripper")
		}
		c.base = rt
		return nil
	}
}

// ClientMiddleware wraps the transport in mw, in Chain's order: the first
// is the outermost. Repeated options append.
func ClientMiddleware(mw ...Middleware) ClientOption {
	return func(c *clientConfig) error {
		c.middleware = append(c.middleware, mw...)
		return nil
	}
}

// NewClient returns an HTTP client for talking to remote systems: a clone
// of the standard transport (proxy from the environment, HTTP/2) that
// requires TLS 1.3 unless told otherwise, keeps up to 16 idle connections
// per host, and bounds every call with a timeout (60s by default), with
// the given middleware around it.
func NewClient(opts ...ClientOption) (*http.Client, error) {
	cfg := clientConfig{timeout: defaultClientTimeout, minTLS: tls.VersionTLS13}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	base := cfg.base
	if base == nil {
		t := clientBaseTransport()
		t.TLSClientConfig = &tls.Config{MinVersion: cfg.minTLS, RootCAs: cfg.rootCAs}
		t.MaxIdleConnsPerHost = clientMaxIdleConnsPerHost
		base = t
	} else if cfg.minTLSSet || cfg.rootCAs != nil {
		return nil, errors.New("transport: TLS options do not apply to a custom base RoundTripper")
	}
	return &http.Client{Transport: Chain(base, cfg.middleware...), Timeout: cfg.timeout}, nil
}

// clientBaseTransport clones the standard transport, or builds its
// equivalent when a program replaced http.DefaultTransport.
func clientBaseTransport() *http.Transport {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
