package transport

import (
	"bytes"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
)

// LogOption configures Log.
type LogOption func(*logConfig)

type logConfig struct {
	headers  bool
	bodyMax  int
	redactor *Redactor
	now      func() time.Time
}

// LogHeaders also logs the request and response headers, redacted.
func LogHeaders() LogOption { return func(c *logConfig) { c.headers = true } }

// LogBodies also logs the first max bytes of the request and response
// bodies, redacted (at most 64 KiB of each are redacted). The bodies are
// read ahead up to max+1 bytes and handed on whole: the server still
// receives and the caller still reads every byte, and a read error reaches
// the caller as it would have. Event streams and protocol upgrades are not
// read ahead. A max of zero or less logs no bodies.
func LogBodies(max int) LogOption { return func(c *logConfig) { c.bodyMax = max } }

// LogRedactor replaces DefaultRedactor, e.g. with one that knows a
// connector's own sensitive fields.
func LogRedactor(r *Redactor) LogOption {
	return func(c *logConfig) {
		if r != nil {
			c.redactor = r
		}
	}
}

// Log returns a middleware that writes one record, "http request", per
// attempt to logger, with the attributes method, host, path (with the
// query, redacted), attempt, duration (until the response headers),
// status, request_id (the remote's, for support tickets), bytes (the
// response size when known) and error; with LogHeaders also
// request_headers and response_headers, with LogBodies request_body and
// response_body. A status below 400 is logged at Info, an error status or a
// transport error at Warn. Every value passes through the Redactor first.
// A nil logger discards; so does a logger not enabled at Warn, and then the
// request passes untouched.
//
// Place it innermost in the Chain so each retry is logged as sent.
func Log(logger *slog.Logger, opts ...LogOption) Middleware {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg := logConfig{redactor: DefaultRedactor, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return &logTransport{next: next, logger: logger, cfg: cfg}
	}
}

type logTransport struct {
	next   http.RoundTripper
	logger *slog.Logger
	cfg    logConfig
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if !t.logger.Enabled(ctx, slog.LevelWarn) {
		return t.next.RoundTrip(req)
	}
	r := t.cfg.redactor
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("host", req.URL.Host),
		slog.String("path", r.target(req.URL)),
		slog.Int("attempt", Attempt(ctx)),
	}

	var reqBody logBody
	if t.cfg.bodyMax > 0 && req.Body != nil && req.Body != http.NoBody {
		var err error
		if req, reqBody, err = logBufferRequest(req, t.cfg.bodyMax); err != nil {
			attrs = append(attrs, slog.String("error", r.String(err.Error())))
			t.logger.LogAttrs(ctx, slog.LevelWarn, "http request", attrs...)
			return nil, err
		}
	}

	start := t.cfg.now()
	resp, err := t.next.RoundTrip(req)
	attrs = append(attrs, slog.Duration("duration", t.cfg.now().Sub(start)))

	level := slog.LevelInfo
	var respBody logBody
	if err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", r.String(err.Error())))
	} else if resp != nil {
		if resp.StatusCode >= 400 {
			level = slog.LevelWarn
		}
		attrs = append(attrs, slog.Int("status", resp.StatusCode))
		if id := requestID(resp.Header); id != "" {
			attrs = append(attrs, slog.String("request_id", r.String(id)))
		}
		if t.cfg.bodyMax > 0 && logBuffered(resp) {
			respBody = logBufferResponse(resp, t.cfg.bodyMax)
		}
		switch {
		case resp.ContentLength >= 0:
			attrs = append(attrs, slog.Int64("bytes", resp.ContentLength))
		case respBody.complete:
			attrs = append(attrs, slog.Int("bytes", len(respBody.data)))
		}
	}
	if t.cfg.headers {
		attrs = append(attrs, logHeaderAttr("request_headers", r.Header(req.Header)))
		if resp != nil {
			attrs = append(attrs, logHeaderAttr("response_headers", r.Header(resp.Header)))
		}
	}
	if t.cfg.bodyMax > 0 {
		if reqBody.data != nil {
			attrs = append(attrs, slog.String("request_body",
				r.body(req.Header.Get("Content-Type"), reqBody.data, !reqBody.complete)))
		}
		if respBody.data != nil {
			attrs = append(attrs, slog.String("response_body",
				r.body(resp.Header.Get("Content-Type"), respBody.data, !respBody.complete)))
		}
	}
	t.logger.LogAttrs(ctx, level, "http request", attrs...)
	return resp, err
}

// requestIDHeaders are the response headers remote systems put their
// request or correlation id in, most specific first: Shopify and many
// others send X-Request-Id, Business Central request-id and
// ms-correlation-x.
var requestIDHeaders = []string{"X-Request-Id", "Request-Id", "Ms-Correlation-X", "X-Correlation-Id"}

// requestID returns the first non-empty request id header of h, bounded so
// a hostile server cannot flood a log line.
func requestID(h http.Header) string {
	for _, name := range requestIDHeaders {
		if v := strings.TrimSpace(h.Get(name)); v != "" {
			return redactCutUTF8(v, 128)
		}
	}
	return ""
}

func logHeaderAttr(name string, h http.Header) slog.Attr {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attrs := make([]slog.Attr, len(keys))
	for i, k := range keys {
		attrs[i] = slog.String(k, strings.Join(h[k], ", "))
	}
	return slog.Attr{Key: name, Value: slog.GroupValue(attrs...)}
}

// logBuffered reports whether the start of resp's body may be read ahead:
// not for an empty body, a protocol upgrade (its body is a connection) or
// an event stream (its first bytes may take minutes).
func logBuffered(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody || resp.StatusCode == http.StatusSwitchingProtocols {
		return false
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return mt != "text/event-stream"
}

// logBody is the buffered start of a body.
type logBody struct {
	data     []byte // at most max bytes; non-nil when buffered
	complete bool   // data is the whole body
}

// logBufferRequest reads up to max+1 bytes of req's body and returns a
// shallow copy of req whose Body yields every byte and whose GetBody can
// produce it again. On a read error the original body is closed, as
// RoundTrip must.
func logBufferRequest(req *http.Request, max int) (*http.Request, logBody, error) {
	buf, eof, err := logReadPrefix(req.Body, max+1)
	if err != nil {
		req.Body.Close()
		return req, logBody{}, err
	}
	r2 := new(http.Request)
	*r2 = *req
	if eof {
		req.Body.Close()
		if len(buf) == 0 {
			r2.Body = http.NoBody
			r2.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		} else {
			r2.Body = io.NopCloser(bytes.NewReader(buf))
			r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
		}
	} else {
		// The original GetBody, if any, still yields the whole body afresh.
		r2.Body = logReadCloser{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
	}
	return r2, logPrefix(buf, max, eof), nil
}

// logBufferResponse reads up to max+1 bytes of resp's body and replaces the
// body with one that yields those bytes and then the rest, including a
// read error, so the caller sees what it would have seen unlogged.
func logBufferResponse(resp *http.Response, max int) logBody {
	orig := resp.Body
	buf, eof, err := logReadPrefix(orig, max+1)
	var rest io.Reader = orig
	switch {
	case err != nil:
		rest = logErrReader{err}
	case eof:
		rest = logEOFReader{}
	}
	resp.Body = logReadCloser{io.MultiReader(bytes.NewReader(buf), rest), orig}
	b := logPrefix(buf, max, eof)
	if err != nil {
		b.complete = false
	}
	return b
}

func logPrefix(buf []byte, max int, eof bool) logBody {
	if len(buf) > max {
		return logBody{data: buf[:max]}
	}
	if buf == nil {
		buf = []byte{}
	}
	return logBody{data: buf, complete: eof}
}

// logReadPrefix reads from r until it has n bytes, r ends (eof) or fails.
func logReadPrefix(r io.Reader, n int) (buf []byte, eof bool, err error) {
	buf = make([]byte, 0, min(n, 32<<10))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), cap(buf)))
		}
		k, err := r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, false, nil
}

type logReadCloser struct {
	io.Reader
	io.Closer
}

type logErrReader struct{ err error }

func (r logErrReader) Read([]byte) (int, error) { return 0, r.err }

type logEOFReader struct{}

func (logEOFReader) Read([]byte) (int, error) { return 0, io.EOF }
