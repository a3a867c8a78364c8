package businesscentral

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// batchOp is one operation of a JSON $batch request
// ({"requests":[{id,method,url,headers,body}]}). Its URL is relative to
// the API root (…/api/v2.0/), e.g. "companies(…)/salesOrders".
type batchOp struct {
	ID      string            `json:"id,omitempty"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    any               `json:"body,omitempty"`
}

type batchRequest struct {
	Requests []batchOp `json:"requests"`
}

// batchResult is one operation's response; the service may leave its id
// null, and then the results come in the order of the requests.
type batchResult struct {
	ID      *string           `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

type batchResponse struct {
	Responses []batchResult `json:"responses"`
}

// getOp reads path (relative to the API root) with the query.
func getOp(path string, q *query) batchOp {
	return batchOp{Method: http.MethodGet, URL: path + q.String()}
}

// postOp creates body under path.
func postOp(path string, body any) batchOp {
	return batchOp{Method: http.MethodPost, URL: path, Body: body,
		Headers: map[string]string{"Content-Type": "application/json"}}
}

// patchOp updates the entity at path if it still has etag ("*": whatever
// its version).
func patchOp(path, etag string, body any) batchOp {
	if etag == "" {
		etag = "*"
	}
	return batchOp{Method: http.MethodPatch, URL: path, Body: body,
		Headers: map[string]string{"Content-Type": "application/json", "If-Match": etag}}
}

// opResult is the outcome of one operation.
type opResult struct {
	status int
	body   json.RawMessage
	etag   string
	err    error // classified; nil for a 2xx
}

// batchMode says how a list of operations is sent.
type batchMode struct {
	// atomic sends Isolation: snapshot: each request succeeds or fails
	// whole.
	atomic bool
	// readOnly says every operation is a GET, so the request may be
	// resent after any transient failure.
	readOnly bool
	// route is the API the operations belong to, "publisher/group/version"
	// of a custom API; empty is the standard API (v2.0). Each API has its
	// own $batch endpoint.
	route string
}

// routeURL returns the URL of path under the API of route ("" is v2.0).
func (c *Connector) routeURL(route, path string) string {
	if route == "" {
		return c.apiURL(path)
	}
	return c.base.String() + "/api/" + route + "/" + path
}

// errRolledBack is why a successful operation of an atomic batch failed.
var errRolledBack = errors.New("rolled back: another operation of its atomic $batch failed")

// runOps sends ops, MaxBatchOperations per $batch request (or one request
// each WithoutBatching), and returns one result per operation, in order.
// Operations the service turned away for load (429, 503) are sent again,
// within the retry policy. The error is for what failed the whole call:
// then no result is trustworthy.
func (c *Connector) runOps(ctx context.Context, ops []batchOp, mode batchMode) ([]opResult, error) {
	out := make([]opResult, len(ops))
	if c.opt.noBatch {
		for i, op := range ops {
			r, err := c.runSingle(ctx, op, mode)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	for start := 0; start < len(ops); start += MaxBatchOperations {
		end := min(start+MaxBatchOperations, len(ops))
		rs, err := c.runChunk(ctx, ops[start:end], mode)
		if err != nil {
			return nil, err
		}
		copy(out[start:], rs)
	}
	return out, nil
}

// runSingle sends one operation as a request of its own.
func (c *Connector) runSingle(ctx context.Context, op batchOp, mode batchMode) (opResult, error) {
	hdr := http.Header{}
	for k, v := range op.Headers {
		if !strings.EqualFold(k, "Content-Type") {
			hdr.Set(k, v)
		}
	}
	var raw json.RawMessage
	resp, err := c.do(ctx, request{method: op.Method, url: c.routeURL(mode.route, op.URL), body: op.Body, header: hdr,
		safe: mode.readOnly || op.Headers["If-Match"] != ""}, &raw)
	var ae *kontor.APIError
	switch {
	case err == nil:
		return opResult{status: resp.status, body: raw, etag: etagOf(raw, resp.header.Get("ETag"))}, nil
	case errors.As(err, &ae) && ae.StatusCode != 0:
		return opResult{status: ae.StatusCode, err: err}, nil
	}
	return opResult{}, err
}

// runChunk sends up to MaxBatchOperations operations in one $batch
// request, resending those turned away for load.
func (c *Connector) runChunk(ctx context.Context, ops []batchOp, mode batchMode) ([]opResult, error) {
	out := make([]opResult, len(ops))
	pending := make([]int, len(ops))
	for i := range pending {
		pending[i] = i
	}
	var bo backoff.BackOff
	start := c.opt.now()
	for attempt := 1; ; attempt++ {
		send := make([]batchOp, len(pending))
		for k, i := range pending {
			send[k] = ops[i]
			send[k].ID = strconv.Itoa(k + 1)
		}
		rs, err := c.postBatch(ctx, send, mode)
		if err != nil {
			return nil, err
		}
		var again []int
		var retryAfter time.Duration
		for k, i := range pending {
			out[i] = rs[k]
			if s := rs[k].status; s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable {
				again = append(again, i)
				if d, ok := kontor.RetryAfter(rs[k].err); ok {
					retryAfter = max(retryAfter, d)
				}
			}
		}
		if mode.atomic && len(again) > 0 {
			again = pending // nothing of an atomic batch was applied
		}
		if len(again) == 0 || attempt >= c.opt.retry.MaxAttempts {
			break
		}
		if bo == nil {
			bo = c.newBackOff()
		}
		wait := bo.NextBackOff()
		if wait == backoff.Stop {
			break
		}
		wait = max(wait, retryAfter)
		if c.opt.now().Add(wait).Sub(start) > c.opt.retry.MaxElapsed {
			break
		}
		c.logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: $batch operations turned away, sending them again",
			slog.Int("operations", len(again)), slog.Duration("wait", wait))
		if err := sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("%s $batch: %w", System, err)
		}
		pending = again
	}
	if mode.atomic {
		failed := false
		for _, r := range out {
			failed = failed || r.err != nil
		}
		if failed {
			for i := range out {
				if out[i].err == nil {
					out[i].err = kontor.NewError(kontor.KindRetryable, System+" $batch", errRolledBack)
				}
			}
		}
	}
	return out, nil
}

// postBatch sends one $batch request and maps its responses back to the
// operations, by id where the service returns ids, else by position.
func (c *Connector) postBatch(ctx context.Context, ops []batchOp, mode batchMode) ([]opResult, error) {
	hdr := http.Header{}
	if mode.atomic {
		hdr.Set("Isolation", "snapshot")
	} else {
		// OData stops a batch at its first failed operation unless asked
		// to go on: one bad item must not hold back the rest.
		hdr.Set("Prefer", "odata.continue-on-error")
	}
	var resp batchResponse
	_, err := c.do(ctx, request{method: http.MethodPost, url: c.routeURL(mode.route, "$batch"),
		body: batchRequest{Requests: ops}, header: hdr, safe: mode.readOnly}, &resp)
	if err != nil {
		return nil, err
	}
	out := make([]opResult, len(ops))
	got := make([]bool, len(ops))
	byID := make(map[string]int, len(ops))
	for i, op := range ops {
		byID[op.ID] = i
	}
	for k, r := range resp.Responses {
		i := k
		if r.ID != nil {
			j, ok := byID[*r.ID]
			if !ok {
				continue
			}
			i = j
		}
		if i >= len(ops) || got[i] {
			continue
		}
		got[i] = true
		out[i] = c.opResult(mode.route, ops[i], r)
	}
	for i := range out {
		if !got[i] {
			out[i] = opResult{err: &kontor.APIError{System: System, Op: opName(ops[i].Method, c.routeURL(mode.route, ops[i].URL)),
				Kind: kontor.KindRetryable, Message: "the $batch response has no result for this operation"}}
		}
	}
	return out, nil
}

// opResult classifies one operation's response like a response of its own.
func (c *Connector) opResult(route string, op batchOp, r batchResult) opResult {
	res := opResult{status: r.Status, body: r.Body}
	hdr := http.Header{}
	for k, v := range r.Headers {
		hdr.Set(k, v)
	}
	if r.Status >= 400 || r.Status < 100 {
		status := r.Status
		if status < 100 {
			status = http.StatusBadGateway // no status: a broken response
		}
		if hdr.Get("Content-Type") == "" {
			hdr.Set("Content-Type", "application/json")
		}
		res.err = transport.CheckResponse(System, opName(op.Method, c.routeURL(route, op.URL)), &http.Response{
			StatusCode: status, Header: hdr, Body: io.NopCloser(bytes.NewReader(r.Body)),
		})
		return res
	}
	res.etag = etagOf(r.Body, hdr.Get("ETag"))
	return res
}

// etagOf returns a record's @odata.etag, else the ETag header.
func etagOf(body json.RawMessage, header string) string {
	var v struct {
		ETag string `json:"@odata.etag"`
	}
	if len(body) > 0 && body[0] == '{' && json.Unmarshal(body, &v) == nil && v.ETag != "" {
		return v.ETag
	}
	return header
}

// collectionValues returns the records of a GET operation's collection
// body ({"value":[…]}).
func collectionValues(r opResult) ([]json.RawMessage, error) {
	if r.err != nil {
		return nil, r.err
	}
	var p page
	if err := json.Unmarshal(r.body, &p); err != nil {
		return nil, fmt.Errorf("malformed collection: %s", jsonProblem(err))
	}
	return p.Value, nil
}
