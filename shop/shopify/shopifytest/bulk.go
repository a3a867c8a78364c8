package shopifytest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	graphql "github.com/graph-gophers/graphql-go"
)

// Bulk operations and staged uploads.
//
// bulkOperationRunQuery checks the query (valid, a query, at least one
// connection, at most five, nested at most two deep), answers CREATED and
// runs it in a goroutine: RUNNING, then COMPLETED with a JSONL file at url,
// or FAILED when FailNextBulkOperation asked for it. The JSONL has one
// object per line; the nodes of a nested connection are lines of their own
// after their parent, carrying "__parentId". The query runs without paging
// limits and without cost, as Shopify's bulk queries do.
//
// bulkOperationRunMutation runs a mutation once per line of a JSONL file
// uploaded through stagedUploadsCreate and the multipart POST (or PUT) to
// the target it returns; the result has one line per input line:
// {"data": {...}, "__lineNumber": n}. Up to five bulk mutations may run at
// once (2026-01 and later; one before), one bulk query.
//
// When an operation ends, bulk_operations/finish is sent to its
// subscribers.

const maxBulkMutations = 5

type bulkPayloadR struct {
	BulkOperation *bulkOpR
	UserErrors    []*userError
}

func (root) BulkOperationRunQuery(ctx context.Context, a struct {
	Query        string
	GroupObjects bool
}) *bulkPayloadR {
	r := rc(ctx)
	s := r.srv
	schema := s.schemaFor(r.version)
	if errs := schema.Validate(a.Query); len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Message)
		}
		return &bulkPayloadR{UserErrors: []*userError{uerr("INVALID", "Invalid bulk query: "+strings.Join(msgs, "; "), "query")}}
	}
	doc, err := parseDocument(a.Query)
	if err != nil || len(doc.ops) != 1 || doc.ops[0].kind != "query" {
		return &bulkPayloadR{UserErrors: []*userError{uerr("INVALID", "Invalid bulk query: the document must hold exactly one query operation.", "query")}}
	}
	conns, depth := connectionShape(schema, doc, doc.ops[0])
	switch {
	case conns == 0:
		return &bulkPayloadR{UserErrors: []*userError{uerr("INVALID", "Bulk queries must contain at least one connection.", "query")}}
	case conns > 5:
		return &bulkPayloadR{UserErrors: []*userError{uerr("INVALID", "Bulk queries cannot contain more than 5 connections.", "query")}}
	case depth > 2:
		return &bulkPayloadR{UserErrors: []*userError{uerr("INVALID", "Bulk queries cannot contain connections with a nesting depth greater than 2.", "query")}}
	}
	for _, b := range r.st.bulkOps {
		if b.typ == "QUERY" && (b.status == "CREATED" || b.status == "RUNNING") {
			return &bulkPayloadR{UserErrors: []*userError{uerr("OPERATION_IN_PROGRESS", "A bulk query operation for this app and shop is already in progress: "+b.id+".", "query")}}
		}
	}
	b := s.newBulkOp(r, "QUERY", a.Query)
	s.startBulk(b, func() ([][]byte, int64, error) { return s.runBulkQuery(b, schema, doc) })
	return &bulkPayloadR{BulkOperation: newBulkOpR(s, b), UserErrors: []*userError{}}
}

func (s *Server) newBulkOp(r *reqCtx, typ, query string) *bulkOp {
	id, n := r.st.newID("BulkOperation")
	b := &bulkOp{id: id, num: n, typ: typ, status: "CREATED", query: query, createdAt: r.now, version: r.version}
	b.failWithCode = s.takeBulkFault()
	r.st.bulkOps = append(r.st.bulkOps, b)
	r.st.nodes[id] = b
	s.count(func(st *Stats) { st.BulkOperations++ })
	return b
}

// connectionShape counts the connections of a query and their deepest
// nesting.
func connectionShape(schema *graphql.Schema, doc *gqlDoc, op *gqlOp) (count, depth int) {
	c := &costCalc{schema: schema.AST(), doc: doc}
	var walk func(typeName string, sel []*gqlSel, d int)
	walk = func(typeName string, sel []*gqlSel, d int) {
		for _, f := range c.fields(sel) {
			def := c.definition(typeName, f.name)
			if def == nil {
				continue
			}
			t, _ := unwrapType(def.Type)
			nd := d
			if c.isConnection(t, def) {
				count++
				nd = d + 1
				depth = max(depth, nd)
			}
			walk(t, f.sel, nd)
		}
	}
	walk("QueryRoot", op.sel, 0)
	return count, depth
}

// startBulk runs an operation in the background. Callers hold s.mu, which
// Close takes before it stops new operations.
func (s *Server) startBulk(b *bulkOp, run func() ([][]byte, int64, error)) {
	select {
	case <-s.closing:
		b.status, b.errorCode = "FAILED", "INTERNAL_SERVER_ERROR"
		return
	default:
	}
	s.bulkWG.Add(1)
	go s.runBulk(b, run)
}

// runBulkQuery executes the query without limits and flattens the result
// into JSONL lines.
func (s *Server) runBulkQuery(b *bulkOp, schema *graphql.Schema, doc *gqlDoc) ([][]byte, int64, error) {
	rq := &reqCtx{srv: s, version: b.version, bulk: true, idem: map[string][]string{}}
	s.mu.RLock()
	rq.st, rq.now = s.st, s.cfg.now()
	res := schema.Exec(withReq(context.Background(), rq), b.query, "", nil)
	s.mu.RUnlock()
	if len(res.Errors) > 0 && len(res.Data) == 0 {
		return nil, 0, fmt.Errorf("%s", res.Errors[0].Message)
	}
	var data any
	d := json.NewDecoder(bytes.NewReader(res.Data))
	d.UseNumber()
	if err := d.Decode(&data); err != nil {
		return nil, 0, err
	}
	fl := &flattener{c: &costCalc{schema: schema.AST(), doc: doc}}
	fl.object("QueryRoot", doc.ops[0].sel, data, "", true)
	return fl.lines, fl.roots, nil
}

type flattener struct {
	c     *costCalc
	lines [][]byte
	roots int64
}

// object strips the connections out of an object, emitting their nodes;
// parentID is the ID of the nearest node above, root whether v is the
// query root.
func (f *flattener) object(typeName string, sel []*gqlSel, v any, parentID string, root bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for _, fd := range f.c.fields(sel) {
		def := f.c.definition(typeName, fd.name)
		if def == nil {
			continue
		}
		t, _ := unwrapType(def.Type)
		val, present := m[fd.key()]
		if !present || val == nil {
			continue
		}
		if f.c.isConnection(t, def) {
			delete(m, fd.key())
			nodeType := strings.TrimSuffix(t, "Connection")
			for _, n := range connectionNodes(val, fd, f.c) {
				f.node(nodeType, nodeSelection(fd, f.c), n, parentID, root)
			}
			continue
		}
		switch x := val.(type) {
		case map[string]any:
			f.object(t, fd.sel, x, parentID, false)
		case []any:
			for _, e := range x {
				f.object(t, fd.sel, e, parentID, false)
			}
		}
	}
}

// node emits one node line, then the lines of its nested connections.
func (f *flattener) node(typeName string, sel []*gqlSel, v any, parentID string, root bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	id, _ := m["id"].(string)
	before := len(f.lines)
	f.lines = append(f.lines, nil) // reserved: the parent comes first
	f.object(typeName, sel, m, id, false)
	if parentID != "" && !root {
		m["__parentId"] = parentID
	}
	line, _ := json.Marshal(m)
	f.lines[before] = line
	if root {
		f.roots++
	}
}

func connectionNodes(v any, fd *gqlSel, c *costCalc) []any {
	var nodes []any
	for _, sub := range c.fields(fd.sel) {
		switch sub.name {
		case "nodes":
			items, _ := lookupKey(v, sub.key())
			if l, ok := items.([]any); ok && len(l) > len(nodes) {
				nodes = l
			}
		case "edges":
			items, _ := lookupKey(v, sub.key())
			l, _ := items.([]any)
			if len(l) <= len(nodes) {
				continue
			}
			nodes = nil
			for _, e := range l {
				for _, en := range c.fields(sub.sel) {
					if en.name == "node" {
						n, _ := lookupKey(e, en.key())
						nodes = append(nodes, n)
					}
				}
			}
		}
	}
	return nodes
}

func nodeSelection(fd *gqlSel, c *costCalc) []*gqlSel {
	var sel []*gqlSel
	for _, sub := range c.fields(fd.sel) {
		switch sub.name {
		case "nodes":
			sel = append(sel, sub.sel...)
		case "edges":
			for _, en := range c.fields(sub.sel) {
				if en.name == "node" {
					sel = append(sel, en.sel...)
				}
			}
		}
	}
	return sel
}

// ---------------------------------------------------------------- bulk mutations

func (root) BulkOperationRunMutation(ctx context.Context, a struct {
	Mutation         string
	StagedUploadPath string
	ClientIdentifier *string
	GroupObjects     bool
}) *bulkPayloadR {
	r := rc(ctx)
	s := r.srv
	schema := s.schemaFor(r.version)
	fail := func(code, msg string, field ...string) *bulkPayloadR {
		return &bulkPayloadR{UserErrors: []*userError{uerr(code, msg, field...)}}
	}
	doc, err := parseDocument(a.Mutation)
	if err != nil || len(doc.ops) != 1 || doc.ops[0].kind != "mutation" || len(doc.ops[0].sel) != 1 {
		return fail("INVALID_MUTATION", "Invalid mutation: the document must hold one mutation with one field.", "mutation")
	}
	// The variables come from the file, so a missing variable is no error
	// here; each line is validated with its own when it runs.
	for _, e := range schema.Validate(a.Mutation) {
		if strings.HasPrefix(e.Message, "Variable \"") && strings.Contains(e.Message, "has invalid value null") {
			continue
		}
		return fail("INVALID_MUTATION", "Invalid mutation: "+e.Message, "mutation")
	}
	if a.ClientIdentifier != nil && (len(*a.ClientIdentifier) < 10 || len(*a.ClientIdentifier) > 255) && r.atLeast("2027-01") {
		return fail("INVALID_MUTATION", "clientIdentifier must be between 10 and 255 characters.", "clientIdentifier")
	}
	up, ok := r.st.staged[a.StagedUploadPath]
	if !ok || !up.uploaded {
		return fail("NO_SUCH_FILE", "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.", "stagedUploadPath")
	}
	running, limit := 0, maxBulkMutations
	if !r.atLeast("2026-01") {
		limit = 1
	}
	for _, b := range r.st.bulkOps {
		if b.typ == "MUTATION" && (b.status == "CREATED" || b.status == "RUNNING") {
			running++
		}
	}
	if running >= limit {
		return fail("OPERATION_IN_PROGRESS", "A bulk mutation operation for this app and shop is already in progress.", "mutation")
	}
	b := s.newBulkOp(r, "MUTATION", a.Mutation)
	b.stagedPath, b.clientID = a.StagedUploadPath, str(a.ClientIdentifier)
	input := append([]byte(nil), up.data...)
	s.startBulk(b, func() ([][]byte, int64, error) { return s.runBulkMutation(b, schema, input) })
	return &bulkPayloadR{BulkOperation: newBulkOpR(s, b), UserErrors: []*userError{}}
}

// runBulkMutation runs the mutation once per JSONL line of input.
func (s *Server) runBulkMutation(b *bulkOp, schema *graphql.Schema, input []byte) ([][]byte, int64, error) {
	var lines [][]byte
	sc := bufio.NewScanner(bytes.NewReader(input))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	n := int64(0)
	for sc.Scan() {
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		out := map[string]any{"__lineNumber": n}
		var vars map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&vars); err != nil {
			out["errors"] = []any{map[string]any{"message": "Invalid JSON on line " + strconv.FormatInt(n, 10) + "."}}
		} else {
			vars, _ = normalizeVariables(vars)
			rq := &reqCtx{srv: s, version: b.version, bulk: true, idem: map[string][]string{}}
			s.mu.Lock()
			rq.st, rq.now = s.st, s.cfg.now()
			res := schema.Exec(withReq(context.Background(), rq), b.query, "", vars)
			s.mu.Unlock()
			s.hooks.enqueue(rq.events)
			if len(res.Data) > 0 {
				out["data"] = json.RawMessage(res.Data)
			}
			if len(res.Errors) > 0 {
				out["errors"] = queryErrors(res.Errors)
			}
		}
		line, _ := json.Marshal(out)
		lines = append(lines, line)
		n++
	}
	if err := sc.Err(); err != nil {
		return lines, n, err
	}
	return lines, n, nil
}

func (root) BulkOperationCancel(ctx context.Context, a struct{ ID graphql.ID }) *bulkPayloadR {
	r := rc(ctx)
	b, ok := lookup[*bulkOp](r.st, string(a.ID))
	if !ok {
		return &bulkPayloadR{UserErrors: []*userError{uerr("INVALID", "Bulk operation does not exist", "id")}}
	}
	if b.status != "CREATED" && b.status != "RUNNING" {
		return &bulkPayloadR{BulkOperation: newBulkOpR(r.srv, b), UserErrors: []*userError{uerr("INVALID", "A bulk operation cannot be canceled when it is "+strings.ToLower(b.status), "id")}}
	}
	b.cancelled = true
	b.status = "CANCELING"
	return &bulkPayloadR{BulkOperation: newBulkOpR(r.srv, b), UserErrors: []*userError{}}
}

// ---------------------------------------------------------------- the background run

func (s *Server) bulkStep(b *bulkOp, status string) bool {
	select {
	case <-s.closing:
		return false
	case <-time.After(s.cfg.bulkDelay):
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.cancelled {
		return false
	}
	b.status = status
	return true
}

func (s *Server) runBulk(b *bulkOp, run func() ([][]byte, int64, error)) {
	defer s.bulkWG.Done()
	finish := func(status, code string, lines [][]byte, roots int64, partial bool) {
		s.mu.Lock()
		if b.cancelled {
			status, code = "CANCELED", ""
		}
		b.status, b.errorCode = status, code
		b.completedAt = s.cfg.now()
		b.objectCount, b.rootCount = int64(len(lines)), roots
		if b.typ == "MUTATION" {
			b.rootCount = int64(len(lines))
		}
		var buf bytes.Buffer
		for _, l := range lines {
			buf.Write(l)
			buf.WriteByte('\n')
		}
		b.result, b.partial = buf.Bytes(), partial
		payload := s.restBulkFinish(b)
		s.mu.Unlock()
		s.hooks.enqueue([]event{{topic: "bulk_operations/finish", payload: payload, at: b.completedAt}})
	}
	if !s.bulkStep(b, "RUNNING") {
		finish("CANCELED", "", nil, 0, false)
		return
	}
	lines, roots, err := run()
	if !s.bulkStep(b, "RUNNING") {
		finish("CANCELED", "", nil, 0, false)
		return
	}
	switch {
	case b.failWithCode != "":
		finish("FAILED", b.failWithCode, lines[:len(lines)/2], roots/2, true)
	case err != nil:
		finish("FAILED", "INTERNAL_SERVER_ERROR", lines, roots, len(lines) > 0)
	default:
		finish("COMPLETED", "", lines, roots, false)
	}
}

func (s *Server) bulkSignature(b *bulkOp) string {
	mac := hmac.New(sha256.New, []byte(s.cfg.secret))
	mac.Write([]byte("bulk:" + b.id))
	return hex.EncodeToString(mac.Sum(nil))[:32]
}

func (s *Server) bulkResultURL(b *bulkOp) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%s/bulk-results/%d.jsonl?X-Goog-Signature=%s", s.ts.URL, b.num, s.bulkSignature(b))
}

// serveBulkResult serves a result file, as Google Cloud Storage serves the
// signed URL Shopify hands out: no access token, the signature in the URL.
func (s *Server) serveBulkResult(w http.ResponseWriter, r *http.Request) {
	num, err := strconv.ParseInt(strings.TrimSuffix(r.PathValue("file"), ".jsonl"), 10, 64)
	s.mu.RLock()
	b, ok := lookup[*bulkOp](s.st, gid("BulkOperation", num))
	var body []byte
	if ok {
		body = b.result
	}
	s.mu.RUnlock()
	if err != nil || !ok || !hmac.Equal([]byte(r.URL.Query().Get("X-Goog-Signature")), []byte(s.bulkSignature(b))) {
		w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>Access denied.</Message></Error>")
		return
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// ---------------------------------------------------------------- staged uploads

type stagedPayloadR struct {
	StagedTargets *[]*stagedTargetR
	UserErrors    []*userError
}

type stagedTargetR struct {
	Url         *urlScalar
	ResourceUrl *urlScalar
	Parameters  []*stagedParamR
}

type stagedParamR struct {
	Name  string
	Value string
}

func (s *Server) uploadSignature(key string) string {
	mac := hmac.New(sha256.New, []byte(s.cfg.secret))
	mac.Write([]byte("upload:" + key))
	return hex.EncodeToString(mac.Sum(nil))
}

func (root) StagedUploadsCreate(ctx context.Context, a struct{ Input []in[stagedUploadIn] }) *stagedPayloadR {
	r := rc(ctx)
	s := r.srv
	out := []*stagedTargetR{}
	for i, x := range a.Input {
		in := x.V
		method := "PUT"
		if in.HTTPMethod != nil {
			method = *in.HTTPMethod
		}
		if strings.TrimSpace(in.Filename) == "" {
			return &stagedPayloadR{UserErrors: []*userError{uerr("", "Filename can't be blank", "input", intStr(i), "filename")}}
		}
		if in.Resource == "BULK_MUTATION_VARIABLES" && method != "POST" {
			return &stagedPayloadR{UserErrors: []*userError{uerr("", "Bulk mutation variables must be uploaded with the POST method.", "input", intStr(i), "httpMethod")}}
		}
		dir := "bulk"
		if in.Resource != "BULK_MUTATION_VARIABLES" {
			dir = strings.ToLower(in.Resource)
		}
		key := fmt.Sprintf("tmp/%d/%s/%s/%s", gidNumber(r.st.shop.id), dir, uuid.NewSHA1(idNamespace, fmt.Appendf(nil, "upload-%d", len(r.st.staged))).String(), in.Filename)
		r.st.staged[key] = &stagedUpload{key: key, filename: in.Filename, mimeType: in.MimeType}
		sig := s.uploadSignature(key)
		base := s.ts.URL + "/staged-uploads/"
		t := &stagedTargetR{ResourceUrl: urlp(base + key)}
		if method == "POST" {
			policy := base64.StdEncoding.EncodeToString(fmt.Appendf(nil, `{"conditions":[{"bucket":"shopify-staged-uploads"},{"key":%q}]}`, key))
			t.Url = urlp(base)
			for _, p := range [][2]string{
				{"Content-Type", in.MimeType}, {"success_action_status", "201"}, {"acl", "private"}, {"key", key},
				{"x-goog-date", r.now.UTC().Format("20060102T150405Z")}, {"x-goog-credential", "shopifytest@kontor/" + r.now.UTC().Format("20060102") + "/auto/storage/goog4_request"},
				{"x-goog-algorithm", "GOOG4-HMAC-SHA256"}, {"x-goog-signature", sig}, {"policy", policy},
			} {
				t.Parameters = append(t.Parameters, &stagedParamR{Name: p[0], Value: p[1]})
			}
		} else {
			t.Url = urlp(base + key + "?X-Goog-Signature=" + sig)
			t.Parameters = []*stagedParamR{{Name: "content_type", Value: in.MimeType}, {Name: "acl", Value: "private"}}
		}
		out = append(out, t)
	}
	return &stagedPayloadR{StagedTargets: &out, UserErrors: []*userError{}}
}

// serveStagedUpload takes a staged file: a multipart POST with the target's
// parameters and then the file, or a PUT of the raw file to the signed URL.
func (s *Server) serveStagedUpload(w http.ResponseWriter, r *http.Request) {
	var key, sig string
	var data []byte
	switch r.Method {
	case http.MethodPost:
		if err := r.ParseMultipartForm(64 << 20); err != nil {
			gcsError(w, http.StatusBadRequest, "InvalidArgument", "The request is not a valid multipart upload.")
			return
		}
		key, sig = r.FormValue("key"), r.FormValue("x-goog-signature")
		f, _, err := r.FormFile("file")
		if err != nil {
			gcsError(w, http.StatusBadRequest, "InvalidArgument", "The upload has no file field.")
			return
		}
		data, err = io.ReadAll(f)
		f.Close()
		if err != nil {
			gcsError(w, http.StatusBadRequest, "InvalidArgument", "The file could not be read.")
			return
		}
	case http.MethodPut:
		key, sig = strings.TrimPrefix(r.URL.Path, "/staged-uploads/"), r.URL.Query().Get("X-Goog-Signature")
		var err error
		if data, err = io.ReadAll(io.LimitReader(r.Body, 100<<20)); err != nil {
			gcsError(w, http.StatusBadRequest, "InvalidArgument", "The file could not be read.")
			return
		}
	}
	s.mu.Lock()
	up, ok := s.st.staged[key]
	if ok && hmac.Equal([]byte(sig), []byte(s.uploadSignature(key))) {
		up.data, up.uploaded = data, true
	} else {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		gcsError(w, http.StatusForbidden, "AccessDenied", "Invalid signature or unknown key.")
		return
	}
	if r.Method == http.MethodPut {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	w.WriteHeader(http.StatusCreated)
	_, _ = fmt.Fprintf(w, "<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>%s/staged-uploads/%s</Location><Bucket>shopify-staged-uploads</Bucket><Key>%s</Key><ETag>\"%x\"</ETag></PostResponse>", s.ts.URL, key, key, sha256.Sum256(data))
}

func gcsError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "<?xml version='1.0' encoding='UTF-8'?><Error><Code>%s</Code><Message>%s</Message></Error>", code, msg)
}
