package businesscentral

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// newLimiter paces one user's requests under the service's 6,000 per
// five-minute window: DefaultRate per second with a small burst, halved on
// a 429 and held for its Retry-After.
func newLimiter() *transport.Limiter {
	return transport.NewLimiter(
		transport.LimiterRate(DefaultRate),
		transport.LimiterMaxRate(DefaultRate),
		transport.LimiterBurst(defaultBurst),
		transport.LimiterKey(limiterKeyOf),
	)
}

// limiterUserKey carries the limiter key (the signed-in user) on a request.
type limiterUserKey struct{}

func limiterKeyOf(r *http.Request) string {
	if k, ok := r.Context().Value(limiterUserKey{}).(string); ok {
		return k
	}
	return r.URL.Host
}

// limiterFor paces requests on l under the key user: the service counts per
// user, not per host.
func limiterFor(l *transport.Limiter, user string) transport.Middleware {
	inner := l.Middleware()
	return func(next http.RoundTripper) http.RoundTripper {
		paced := inner(next)
		return transport.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			return paced.RoundTrip(r.WithContext(context.WithValue(r.Context(), limiterUserKey{}, user)))
		})
	}
}

// concurrency lets at most n requests be in flight; a request holds its
// slot until its response body is closed.
func concurrency(n int) transport.Middleware {
	slots := make(chan struct{}, n)
	return func(next http.RoundTripper) http.RoundTripper {
		return transport.RoundTripperFunc(func(r *http.Request) (*http.Response, error) {
			select {
			case slots <- struct{}{}:
			case <-r.Context().Done():
				if r.Body != nil {
					r.Body.Close()
				}
				return nil, r.Context().Err()
			}
			release := sync.OnceFunc(func() { <-slots })
			resp, err := next.RoundTrip(r)
			if err != nil || resp == nil || resp.Body == nil {
				release()
				return resp, err
			}
			resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
			return resp, nil
		})
	}
}

type releasingBody struct {
	io.ReadCloser
	release func()
}

// Close closes the body and frees the request's slot.
func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// apiURL returns the standard API's URL for path (under …/api/v2.0).
func (c *Connector) apiURL(path string) string {
	return c.base.String() + "/api/v2.0/" + path
}

// companyURL returns the URL of the company's entity set or entity path.
func (c *Connector) companyURL(ctx context.Context, path string) (string, error) {
	id, err := c.CompanyID(ctx)
	if err != nil {
		return "", err
	}
	return c.apiURL(companyPath(id, path)), nil
}

// companyPath is "companies(id)/path", the path under the API root.
func companyPath(id, path string) string {
	return "companies(" + id + ")/" + path
}

// request is one call to the API.
type request struct {
	method string
	url    string
	body   any         // marshalled as JSON when not nil
	header http.Header // extra headers
	// safe says the request may be sent more than once whatever its
	// method: a read in a POST ($batch of GETs), an update guarded by an
	// ETag.
	safe bool
}

// response is what came back, with the body decoded into out.
type response struct {
	status int
	header http.Header
}

// opName names a request in errors: its method and path without the
// query, which may carry an e-mail address, and without the host.
func opName(method, rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return method
	}
	p := u.Path
	if i := strings.Index(p, "/api/"); i >= 0 {
		p = p[i+len("/api/"):]
	}
	return method + " " + p
}

// do sends req and decodes a successful response's JSON body into out
// (unless nil or the body is empty). A failed response is a
// *kontor.APIError; a request that could not be sent a classified
// *kontor.Error without the URL (its query may hold personal data).
//
// A write that is not safe to repeat is sent again only after a 429 or a
// 503: the service turned it away before doing anything. Other writes,
// and every read, are retried by the transport.
func (c *Connector) do(ctx context.Context, req request, out any) (response, error) {
	op := opName(req.method, req.url)
	var body []byte
	if req.body != nil {
		var err error
		if body, err = json.Marshal(req.body); err != nil {
			return response{}, kontor.NewError(kontor.KindPermanent, op, fmt.Errorf("encoding the request: %w", err))
		}
	}
	safe := req.safe || req.method == http.MethodGet || req.method == http.MethodDelete
	if safe {
		ctx = transport.WithIdempotent(ctx)
	}
	var bo backoff.BackOff
	start := c.opt.now()
	for attempt := 1; ; attempt++ {
		resp, err := c.send(ctx, op, req, body)
		if err != nil {
			return response{}, err
		}
		if !safe && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) &&
			attempt < c.opt.retry.MaxAttempts {
			if bo == nil {
				bo = c.newBackOff()
			}
			wait := bo.NextBackOff()
			ra, _ := transport.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			wait = max(wait, ra)
			if wait != backoff.Stop && c.opt.now().Add(wait).Sub(start) <= c.opt.retry.MaxElapsed {
				drain(resp.Body)
				if err := sleep(ctx, wait); err != nil {
					return response{}, kontor.NewError(kontor.KindRetryable, op, err)
				}
				continue
			}
		}
		return c.finish(op, resp, out)
	}
}

func (c *Connector) newBackOff() backoff.BackOff {
	p := c.opt.retry
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(p.InitialInterval),
		backoff.WithMaxInterval(p.MaxInterval),
		backoff.WithMaxElapsedTime(p.MaxElapsed),
		backoff.WithMultiplier(1.5),
		backoff.WithRandomizationFactor(0.5),
	)
}

// send makes one attempt.
func (c *Connector) send(ctx context.Context, op string, req request, body []byte) (*http.Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, req.url, rd)
	if err != nil {
		return nil, kontor.NewError(kontor.KindPermanent, op, errors.New("malformed request URL"))
	}
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, sendError(ctx, op, err)
	}
	return resp, nil
}

// sendError classifies a failed send, dropping the URL that *url.Error
// quotes.
func sendError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("%s %s: %w", System, op, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var cl kontor.Classified
	if errors.As(err, &cl) {
		return &kontor.Error{Kind: cl.ErrorKind(), Op: System + " " + op, Err: err}
	}
	return kontor.NewError(kontor.KindRetryable, System+" "+op, err)
}

// finish checks a response and decodes its body.
func (c *Connector) finish(op string, resp *http.Response, out any) (response, error) {
	r := response{status: resp.StatusCode, header: resp.Header}
	if err := transport.CheckResponse(System, op, resp); err != nil {
		return r, err
	}
	defer drain(resp.Body)
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return r, nil
	}
	dec := json.NewDecoder(resp.Body)
	if err := dec.Decode(out); err != nil {
		if errors.Is(err, io.EOF) {
			return r, nil
		}
		return r, &kontor.APIError{System: System, Op: op, Kind: kontor.KindRetryable, StatusCode: resp.StatusCode,
			Message: "malformed response body: " + jsonProblem(err)}
	}
	return r, nil
}

// jsonProblem describes a decoding error without quoting the data.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("field %s is a JSON %s, want %s", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("a JSON %s where %s was expected", te.Value, te.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated JSON"
	}
	return "undecodable JSON"
}

func drain(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// page is one page of a collection.
type page struct {
	Value    []json.RawMessage `json:"value"`
	NextLink string            `json:"@odata.nextLink"`
}

// collection streams the records of a collection page by page: the first
// page from u with the query q, the next ones from each page's
// @odata.nextLink, with Prefer: odata.maxpagesize (server-driven paging;
// never $top and $skip). It stops requesting when the consumer stops, and
// ends with the context's error, before any further record, when ctx ends.
func (c *Connector) collection(ctx context.Context, u string, q *query) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		next := u
		if q != nil {
			next += q.String()
		}
		hdr := http.Header{"Prefer": {"odata.maxpagesize=" + strconv.Itoa(c.opt.pageSize)}}
		for next != "" {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			var p page
			if _, err := c.do(ctx, request{method: http.MethodGet, url: next, header: hdr}, &p); err != nil {
				yield(nil, err)
				return
			}
			for _, raw := range p.Value {
				if err := ctx.Err(); err != nil {
					yield(nil, err)
					return
				}
				if !yield(raw, nil) {
					return
				}
			}
			if p.NextLink == "" {
				return
			}
			n, err := c.sameOrigin(p.NextLink)
			if err != nil {
				yield(nil, err)
				return
			}
			next = n
		}
	}
}

// sameOrigin resolves a next link and refuses one that leaves the
// service, which would carry the bearer token elsewhere.
func (c *Connector) sameOrigin(link string) (string, error) {
	u, err := c.base.Parse(link)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return "", kontor.NewError(kontor.KindPermanent, System+" paging",
			errors.New("the @odata.nextLink points outside the service"))
	}
	return u.String(), nil
}

// unmarshal decodes one record.
func unmarshal(raw json.RawMessage, v any) error {
	return json.Unmarshal(raw, v)
}

// unsupported reports whether err says the request asked for something the
// server's API version lacks (a property or an entity set): a 400 or 404
// of the request itself, not of a record.
func unsupported(err error) bool {
	var ae *kontor.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.StatusCode {
	case http.StatusBadRequest:
		return strings.Contains(ae.Message, "Could not find a property")
	case http.StatusNotFound:
		return ae.Code == "BadRequest_NotFound"
	}
	return false
}
