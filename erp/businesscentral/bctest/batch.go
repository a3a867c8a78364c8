package bctest

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// JSON $batch: POST {route}/$batch with {"requests":[{id, method, url,
// headers, body, dependsOn}]} answers {"responses":[{id, status, headers,
// body}]} with status 200. As Business Central does, the operations run in
// order and the batch stops at the first failed one unless the request
// prefers odata.continue-on-error; with Isolation: snapshot the batch is
// one transaction, rolled back when an operation fails, while the
// responses still show what each operation answered. An operation whose
// dependsOn names a failed or skipped one gets 424 Failed Dependency.

const maxBatchOps = 100

type batchRequest struct {
	ID        *string           `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`

	set string // counted entity set
}

type batchResponse struct {
	ID      *string           `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

func (s *Server) serveBatch(ctx context.Context, o *op) result {
	if o.method != http.MethodPost {
		return s.fail(methodNotAllowed(o.method, "$batch", "Action"))
	}
	mt, _, _ := mime.ParseMediaType(o.header.Get("Content-Type"))
	if mt != "application/json" {
		return s.fail(badRequest("bctest supports JSON $batch requests (Content-Type: application/json) only; multipart batches are not implemented."))
	}
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	dec := json.NewDecoder(bytes.NewReader(o.body))
	if err := dec.Decode(&in); err != nil {
		return s.fail(badRequest("The batch request body is not valid JSON: %v", err))
	}
	if len(in.Requests) > maxBatchOps {
		return s.fail(errorf(http.StatusBadRequest, codeUnknown, "The current batch message contains too many parts. A maximum number of '%d' query operations and change sets are allowed in a batch message.", maxBatchOps))
	}
	ids := map[string]int{}
	for i := range in.Requests {
		r := &in.Requests[i]
		if r.Method == "" || r.URL == "" {
			return s.fail(badRequest("Every request of a batch needs a method and a url; request %d has not.", i))
		}
		r.Method = strings.ToUpper(r.Method)
		if r.ID != nil {
			if _, dup := ids[*r.ID]; dup {
				return s.fail(badRequest("The request id '%s' is used twice in the batch.", *r.ID))
			}
			ids[*r.ID] = i
		}
		for _, d := range r.DependsOn {
			if j, ok := ids[d]; !ok || j >= i {
				return s.fail(badRequest("The dependsOn id '%s' of request %d does not name an earlier request of the batch.", d, i))
			}
		}
		_, path, _ := s.batchTarget(o, r.URL)
		r.set = countedSet(path)
	}
	s.lim.countBatch(in.Requests)
	faults := s.lim.takeBatchFaults()
	pref := parsePrefer(o.header)
	snapshot := strings.EqualFold(strings.TrimSpace(o.header.Get("Isolation")), "snapshot")

	s.mu.Lock()
	if snapshot {
		s.st.beginUndo()
	}
	tx := s.begin()
	var out []batchResponse
	status := map[string]int{}
	failed := false
	for i, r := range in.Requests {
		var res result
		depFailed := false
		for _, d := range r.DependsOn {
			if st, ok := status[d]; !ok || st >= 400 {
				depFailed = true
			}
		}
		switch f, injected := faults[i]; {
		case depFailed:
			res = errorf(http.StatusFailedDependency, codeBadRequest, "The request depends on a request that failed.").response(s.correlation())
		case injected:
			res = f.apiError().response(s.correlation())
		default:
			res = s.runBatchOp(o, r, tx)
		}
		if r.ID != nil {
			status[*r.ID] = res.status
		}
		out = append(out, toBatchResponse(r.ID, res))
		if res.status >= 400 {
			failed = true
			if !pref.continueOnError {
				break
			}
		}
	}
	s.st.endUndo(snapshot && failed)
	if snapshot && failed {
		tx = s.begin()
	}
	s.mu.Unlock()
	s.commit(tx)

	body, _ := json.Marshal(map[string]any{"responses": out})
	h := http.Header{}
	h.Set("Content-Type", "application/json; odata.metadata=minimal")
	h.Set("OData-Version", "4.0")
	if pref.continueOnError {
		h.Set("Preference-Applied", "odata.continue-on-error")
	}
	return result{status: http.StatusOK, header: h, body: body}
}

// batchTarget resolves an operation's url: absolute, server-relative or
// relative to the batch's route.
func (s *Server) batchTarget(o *op, raw string) (root, path string, query url.Values) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", nil
	}
	p := u.Path
	switch {
	case u.IsAbs() || strings.HasPrefix(p, "/"):
		i := strings.Index(p, "/api/")
		if i < 0 {
			return "", "", nil
		}
		root, path = splitRoot(p[i+len("/api/"):])
	default:
		root, path = o.root, p
	}
	return root, path, u.Query()
}

func (s *Server) runBatchOp(o *op, r batchRequest, tx *txn) result {
	root, path, query := s.batchTarget(o, r.URL)
	if root == "" || (root == rootExtension && !s.cfg.extension) {
		return errorf(http.StatusNotFound, codeNotFound, "No HTTP resource was found that matches the request URI '%s'.", r.URL).response(s.correlation())
	}
	h := http.Header{}
	for k, v := range r.Headers {
		h.Set(k, v)
	}
	body := []byte(r.Body)
	if len(body) > 0 && body[0] == '"' { // a body sent as a JSON string
		var str string
		if json.Unmarshal(body, &str) == nil {
			body = []byte(str)
		}
	}
	inner := &op{
		method: r.Method, root: root, path: path, query: query, header: h, body: body,
		base: s.baseURL(root), client: o.client, batch: true,
	}
	first, _, _ := strings.Cut(path, "/")
	name, _, _ := strings.Cut(first, "(")
	switch name {
	case "$batch", "subscriptions":
		return errorf(http.StatusBadRequest, codeBadRequest, "bctest does not run '%s' requests inside a $batch.", name).response(s.correlation())
	}
	return s.execData(tx, inner)
}

func toBatchResponse(id *string, res result) batchResponse {
	h := map[string]string{}
	for k, v := range res.header {
		if len(v) > 0 {
			h[strings.ToLower(k)] = v[0]
		}
	}
	br := batchResponse{ID: id, Status: res.status, Headers: h}
	if len(res.body) > 0 {
		if json.Valid(res.body) {
			br.Body = res.body
		} else {
			b, _ := json.Marshal(string(res.body))
			br.Body = b
		}
	}
	if res.status == 0 {
		br.Status = http.StatusOK
	}
	return br
}
