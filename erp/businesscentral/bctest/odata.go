package bctest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// --- transactions and changes ---

// change is one entity changed, for the webhook notifications.
type change struct {
	company string
	root    string
	set     string
	id      string
	kind    string // created, updated, deleted
	at      time.Time
}

// txn collects the changes of one request (or one $batch); they reach
// the subscribers only once it commits.
type txn struct {
	changes []change
}

func (s *Server) begin() *txn { return &txn{} }

func (s *Server) commit(tx *txn) {
	if len(tx.changes) > 0 {
		s.hooks.enqueue(tx.changes)
	}
}

// wctx is the context of a write: the caller holds s.mu.
type wctx struct {
	s  *Server
	tx *txn
	co *company
}

func (c *wctx) table(set string) *table { return c.co.table(set) }

// save stores rec as a new or changed entity of et: a new row version, a
// new lastModifiedDateTime and, for webhook-enabled sets, a change.
func (c *wctx) save(et *entityType, rec *record, kind string) {
	st := c.s.st
	now := st.stamp(c.s.now())
	rec.version = st.nextVersion()
	if et.hasModified() {
		rec.vals["lastModifiedDateTime"] = now
	}
	c.put(et.set, rec)
	c.notify(et, rec.id, kind, now)
}

// put stores rec as it is (no new version: for calculated fields).
func (c *wctx) put(set string, rec *record) {
	t := c.table(set)
	c.s.st.undo.record(t, rec.id)
	t.set(rec)
}

// del removes a row.
func (c *wctx) del(set, id string) {
	t := c.table(set)
	c.s.st.undo.record(t, id)
	t.remove(id)
}

func (c *wctx) notify(et *entityType, id, kind string, at time.Time) {
	if et.webhook {
		c.tx.changes = append(c.tx.changes, change{company: c.co.id(), root: et.root, set: et.set, id: id, kind: kind, at: at})
	}
}

func (c *wctx) drop(et *entityType, rec *record) {
	c.del(et.set, rec.id)
	c.notify(et, rec.id, "deleted", c.s.st.stamp(c.s.now()))
}

// --- paths ---

type seg struct {
	name   string
	key    string
	hasKey bool
}

func parsePath(p string) ([]seg, *apiError) {
	var out []seg
	if p == "" {
		return nil, nil
	}
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		name, rest, hasKey := strings.Cut(part, "(")
		sg := seg{name: name}
		if hasKey {
			if !strings.HasSuffix(rest, ")") {
				return nil, badRequest("Bad Request - Error in query syntax: ')' or ',' expected in '%s'.", part)
			}
			k := strings.TrimSuffix(rest, ")")
			if _, v, ok := strings.Cut(k, "="); ok && !strings.HasPrefix(k, "'") {
				k = v
			}
			sg.key, sg.hasKey = strings.Trim(k, "'{}"), true
		}
		out = append(out, sg)
	}
	return out, nil
}

func notFoundSegment(name string) *apiError {
	return errorf(http.StatusNotFound, codeNotFound, "Resource not found for the segment '%s'.", name)
}

func recordNotFound(et *entityType, id string) *apiError {
	return errorf(http.StatusNotFound, codeRecordNotFound, "The %s does not exist. Identification fields and values: Id='%s'", et.table, id)
}

func methodNotAllowed(method, set, edm string) *apiError {
	return errorf(http.StatusMethodNotAllowed, codeMethodNotAllowed,
		"'%s' requests for '%s' of EdmType '%s' are not allowed within Dynamics 365 Business Central OData web services.", method, set, edm)
}

// target is what a path addresses.
type target struct {
	co       *company
	et       *entityType
	rec      *record     // the entity, for a path ending in a key
	parent   *record     // the parent entity, for a navigation collection
	parentET *entityType // its type
	nav      *nav        // the navigation property, for a navigation path
	action   string      // a bound action: Microsoft.NAV.<action>
	content  bool        // …/picture/pictureContent
	context  string      // the path for @odata.context
}

// resolve walks the path: companies(id)/set(key)/nav(key)/….
func (s *Server) resolve(o *op) (*target, *apiError) {
	segs, err := parsePath(o.path)
	if err != nil {
		return nil, err
	}
	t := &target{context: o.path}
	i := 0
	if segs[0].name == setCompanies {
		if !segs[0].hasKey {
			if len(segs) > 1 {
				return nil, notFoundSegment(segs[1].name)
			}
			t.et = s.types[setCompanies]
			return t, nil
		}
		t.co = s.st.company(segs[0].key)
		if t.co == nil {
			return nil, errorf(http.StatusNotFound, codeCompanyNotFound, "Cannot process the request because the company '%s' cannot be found.", segs[0].key)
		}
		if len(segs) == 1 {
			t.et, t.rec = s.types[setCompanies], t.co.rec
			return t, nil
		}
		i = 1
	} else {
		name := o.header.Get("Company")
		if name == "" {
			name = o.query.Get("company")
		}
		if name == "" {
			return nil, errorf(http.StatusBadRequest, codeCompanyNotFound, "Cannot process the request because the default company cannot be found. You can specify a default company in the service configuration file, or specify one for each tenant, or you can add a query string in the form of \"company=[name]\".")
		}
		if t.co = s.st.company(name); t.co == nil {
			return nil, errorf(http.StatusBadRequest, codeCompanyNotFound, "Cannot process the request because the company '%s' cannot be found.", name)
		}
		t.context = "companies(" + t.co.id() + ")/" + o.path
	}
	sg := segs[i]
	et := s.types[sg.name]
	if et == nil || et.parentOnly || et.companyless || et.root != o.root {
		return nil, notFoundSegment(sg.name)
	}
	t.et = et
	if sg.hasKey {
		t.rec = t.co.table(et.set).rows[strings.ToLower(sg.key)]
		if t.rec == nil {
			return nil, recordNotFound(et, sg.key)
		}
	}
	for _, sg := range segs[i+1:] {
		switch {
		case t.action != "" || t.content:
			return nil, notFoundSegment(sg.name)
		case strings.HasPrefix(sg.name, "Microsoft.NAV.") && t.rec != nil:
			t.action = strings.TrimPrefix(sg.name, "Microsoft.NAV.")
		case (sg.name == "pictureContent" || sg.name == "contentValue") && t.et.set == setPicture && t.rec != nil:
			t.content = true
		case t.rec != nil && t.et.nav(sg.name) != nil:
			n := t.et.nav(sg.name)
			t.parent, t.parentET, t.nav = t.rec, t.et, n
			t.et, t.rec = s.types[n.set], nil
			if n.single {
				t.rec = s.pictureRecord(t.co, t.parent)
				if sg.hasKey && !strings.EqualFold(sg.key, t.rec.id) {
					return nil, recordNotFound(t.et, sg.key)
				}
				continue
			}
			if sg.hasKey {
				r := t.co.table(n.set).rows[strings.ToLower(sg.key)]
				if r == nil || getStr(r, n.fk) != t.parent.id {
					return nil, recordNotFound(t.et, sg.key)
				}
				t.rec = r
			}
		default:
			return nil, notFoundSegment(sg.name)
		}
	}
	return t, nil
}

// --- the data requests ---

func (s *Server) execData(tx *txn, o *op) result {
	if o.path == "" {
		return s.serviceDocument(o)
	}
	t, err := s.resolve(o)
	if err != nil {
		return s.fail(err)
	}
	c := &wctx{s: s, tx: tx, co: t.co}
	var res result
	switch {
	case t.action != "":
		if o.method != http.MethodPost {
			err = methodNotAllowed(o.method, t.et.set, "Action")
			break
		}
		err = s.boundAction(c, t, o)
		res = result{status: http.StatusNoContent, header: http.Header{}}
	case t.content:
		res, err = s.pictureContent(c, t, o)
	case t.rec == nil:
		switch o.method {
		case http.MethodGet:
			res, err = s.getCollection(t, o)
		case http.MethodPost:
			res, err = s.create(c, t, o)
		default:
			err = methodNotAllowed(o.method, t.et.set, "Collection")
		}
	default:
		switch o.method {
		case http.MethodGet:
			res, err = s.getEntity(t, o)
		case http.MethodPatch, http.MethodPut:
			res, err = s.update(c, t, o)
		case http.MethodDelete:
			res, err = s.remove(c, t, o)
		default:
			err = methodNotAllowed(o.method, t.et.set, "Entity")
		}
	}
	if err != nil {
		return s.fail(err)
	}
	return res
}

func jsonHeader() http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true")
	h.Set("OData-Version", "4.0")
	return h
}

func (s *Server) serviceDocument(o *op) result {
	var names []string
	for _, et := range s.types {
		if et.root == o.root && !et.parentOnly {
			names = append(names, et.set)
		}
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":` + quote(o.base+"/$metadata") + `,"value":[`)
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"name":` + quote(n) + `,"kind":"EntitySet","url":` + quote(n) + `}`)
	}
	b.WriteString("]}")
	return result{status: http.StatusOK, header: jsonHeader(), body: b.Bytes()}
}

// candidates returns the records a collection path addresses.
func (s *Server) candidates(t *target) []*record {
	if t.et.set == setCompanies {
		out := make([]*record, len(s.st.companies))
		for i, c := range s.st.companies {
			out[i] = c.rec
		}
		return out
	}
	tb := t.co.table(t.et.set)
	rows := tb.rows
	if t.parent != nil && tb.fk == t.nav.fk {
		rows = tb.byParent[t.parent.id]
	}
	out := make([]*record, 0, len(rows))
	for _, r := range rows {
		if t.parent == nil || getStr(r, t.nav.fk) == t.parent.id {
			out = append(out, r)
		}
	}
	return out
}

var knownOptions = map[string]bool{
	"$filter": true, "$select": true, "$expand": true, "$orderby": true, "$top": true, "$skip": true,
	"$count": true, "$skiptoken": true, "$format": true, "$schemaversion": true,
}

func checkOptions(q url.Values) *apiError {
	for k := range q {
		if strings.HasPrefix(k, "$") && !knownOptions[k] {
			return badRequest("The query parameter '%s' is not supported.", k)
		}
	}
	if f := q.Get("$format"); f != "" && f != "json" && !strings.HasPrefix(f, "application/json") {
		return badRequest("The requested format '%s' is not supported.", f)
	}
	return nil
}

func (s *Server) getCollection(t *target, o *op) (result, *apiError) {
	q := o.query
	if err := checkOptions(q); err != nil {
		return result{}, err
	}
	var filter expr
	var err *apiError
	if f := q.Get("$filter"); f != "" {
		if filter, err = parseFilter(t.et, f); err != nil {
			return result{}, err
		}
	}
	sel, err := parseSelect(t.et, q.Get("$select"))
	if err != nil {
		return result{}, err
	}
	exp, err := s.parseExpand(t.et, q.Get("$expand"))
	if err != nil {
		return result{}, err
	}
	keys, err := parseOrderBy(t.et, q.Get("$orderby"))
	if err != nil {
		return result{}, err
	}
	top, skip := -1, 0
	if v := q.Get("$top"); v != "" {
		if top, _ = strconv.Atoi(v); top < 0 || strconv.Itoa(top) != v {
			return result{}, badRequest("Invalid value '%s' for $top query option found. The $top query option requires a non-negative integer value.", v)
		}
	}
	if v := q.Get("$skip"); v != "" {
		if skip, _ = strconv.Atoi(v); skip < 0 || strconv.Itoa(skip) != v {
			return result{}, badRequest("Invalid value '%s' for $skip query option found. The $skip query option requires a non-negative integer value.", v)
		}
	}
	rows := s.candidates(t)
	if filter != nil {
		kept := rows[:0]
		for _, r := range rows {
			if filter.eval(r) {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	slices.SortFunc(rows, func(a, b *record) int { return lessBy(keys, a, b) })
	count := len(rows)

	left := top
	if tok := q.Get("$skiptoken"); tok != "" {
		after, l, err := decodeSkip(keys, tok)
		if err != nil {
			return result{}, err
		}
		left = l
		i := sort.Search(len(rows), func(i int) bool { return lessBy(keys, rows[i], after) > 0 })
		rows = rows[i:]
	} else if skip > 0 {
		rows = rows[min(skip, len(rows)):]
	}
	if left >= 0 && len(rows) > left {
		rows = rows[:left]
	}
	pref := parsePrefer(o.header)
	size := s.cfg.pageSize
	if pref.maxPageSize > 0 {
		size = min(pref.maxPageSize, maxPageSize)
	}
	var next string
	if len(rows) > size {
		rows = rows[:size]
		l := -1
		if left >= 0 {
			l = left - size
		}
		nq := url.Values{}
		for k, v := range q {
			if k != "$skiptoken" && k != "$skip" {
				nq[k] = v
			}
		}
		nq.Set("$skiptoken", encodeSkip(keys, rows[len(rows)-1], l))
		next = o.base + "/" + o.path + "?" + nq.Encode()
	}

	var b bytes.Buffer
	b.WriteString(`{"@odata.context":` + quote(o.base+"/$metadata#"+t.context))
	if q.Get("$count") == "true" {
		b.WriteString(`,"@odata.count":` + strconv.Itoa(count))
	}
	b.WriteString(`,"value":[`)
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		s.writeEntity(&b, t.co, t.et, r, sel, exp)
	}
	b.WriteByte(']')
	if next != "" {
		b.WriteString(`,"@odata.nextLink":` + quote(next))
	}
	b.WriteByte('}')
	h := jsonHeader()
	if pref.maxPageSize > 0 {
		h.Set("Preference-Applied", "odata.maxpagesize="+strconv.Itoa(size))
	}
	return result{status: http.StatusOK, header: h, body: b.Bytes()}, nil
}

func (s *Server) getEntity(t *target, o *op) (result, *apiError) {
	if err := checkOptions(o.query); err != nil {
		return result{}, err
	}
	for _, k := range []string{"$filter", "$orderby", "$top", "$skip", "$skiptoken"} {
		if o.query.Has(k) {
			return result{}, badRequest("The query option '%s' is not allowed on a single entity.", k)
		}
	}
	sel, err := parseSelect(t.et, o.query.Get("$select"))
	if err != nil {
		return result{}, err
	}
	exp, err := s.parseExpand(t.et, o.query.Get("$expand"))
	if err != nil {
		return result{}, err
	}
	return s.entityResult(http.StatusOK, t, t.rec, sel, exp), nil
}

func (s *Server) entityResult(status int, t *target, rec *record, sel selection, exp []expansion) result {
	ctx := t.context
	if t.rec == nil { // created in a collection
		ctx += "/$entity"
	} else {
		ctx = strings.TrimSuffix(ctx, ")")
		if i := strings.LastIndex(ctx, "("); i > 0 && !strings.Contains(ctx[i:], "/") {
			ctx = ctx[:i]
		}
		ctx += "/$entity"
	}
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":` + quote(s.baseURL(t.et.root)+"/$metadata#"+ctx) + ",")
	var inner bytes.Buffer
	s.writeEntity(&inner, t.co, t.et, rec, sel, exp)
	b.Write(inner.Bytes()[1:])
	return result{status: status, header: jsonHeader(), body: b.Bytes()}
}

// writeEntity renders one entity: its ETag, its properties in the page's
// order (or those selected) and its expanded navigation properties.
func (s *Server) writeEntity(b *bytes.Buffer, co *company, et *entityType, r *record, sel selection, exp []expansion) {
	b.WriteString(`{"@odata.etag":` + quote(etag(r.version)))
	for i := range et.props {
		p := &et.props[i]
		if sel != nil && !sel[p.name] {
			continue
		}
		b.WriteString(`,"` + p.name + `":`)
		b.Write(rawValue(get(r, p)))
	}
	if et.set == setPicture {
		link := s.baseURL(rootV2) + "/companies(" + co.id() + ")/items(" + r.id + ")/picture/pictureContent"
		b.WriteString(`,"pictureContent@odata.mediaEditLink":` + quote(link) + `,"pictureContent@odata.mediaReadLink":` + quote(link))
	}
	for _, x := range exp {
		b.WriteString(`,"` + x.nav.name + `":`)
		if x.nav.single {
			s.writeEntity(b, co, x.et, s.pictureRecord(co, r), x.sel, nil)
			continue
		}
		kids := s.children(co, x.nav, r)
		b.WriteByte('[')
		n := 0
		for _, k := range kids {
			if x.filter != nil && !x.filter.eval(k) {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			s.writeEntity(b, co, x.et, k, x.sel, nil)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

// children returns the records of a navigation collection of parent, in
// the target's default order.
func (s *Server) children(co *company, n *nav, parent *record) []*record {
	et := s.types[n.set]
	var out []*record
	if t := co.table(n.set); t.fk == n.fk {
		for _, r := range t.byParent[parent.id] {
			out = append(out, r)
		}
	} else {
		for _, r := range t.rows {
			if getStr(r, n.fk) == parent.id {
				out = append(out, r)
			}
		}
	}
	keys, _ := parseOrderBy(et, "")
	slices.SortFunc(out, func(a, b *record) int { return lessBy(keys, a, b) })
	return out
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// rawValue renders a stored value as JSON.
func rawValue(v any) json.RawMessage {
	switch x := v.(type) {
	case string:
		return json.RawMessage(quote(x))
	case bool:
		if x {
			return json.RawMessage("true")
		}
		return json.RawMessage("false")
	case decimal.Decimal:
		return json.RawMessage(x.String())
	case int64:
		return json.RawMessage(strconv.FormatInt(x, 10))
	case time.Time:
		return json.RawMessage(quote(formatDateTime(x)))
	}
	return json.RawMessage("null")
}

// parseValue converts a JSON value to the property's stored form.
func parseValue(p *prop, raw json.RawMessage) (any, *apiError) {
	conv := func() *apiError {
		return badRequest("Cannot convert the literal '%s' to the expected type '%s'.", strings.Trim(string(raw), `"`), p.kind.edm())
	}
	if string(raw) == "null" {
		return zeroValue(p.kind), nil
	}
	switch p.kind {
	case kBool:
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return nil, conv()
		}
		return b, nil
	case kDecimal:
		if len(raw) == 0 || raw[0] == '"' {
			return nil, conv()
		}
		d, err := decimal.NewFromString(string(raw))
		if err != nil {
			return nil, conv()
		}
		return d, nil
	case kInt:
		i, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, conv()
		}
		return i, nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, conv()
	}
	switch p.kind {
	case kGUID:
		if s == "" {
			return zeroGUID, nil
		}
		if !reGUID.MatchString(s) {
			return nil, conv()
		}
		return strings.ToLower(s), nil
	case kDate:
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return nil, conv()
		}
		return s, nil
	case kDateTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, conv()
		}
		return t.UTC(), nil
	case kEnum:
		if !slices.Contains(p.options, s) {
			return nil, errorf(http.StatusBadRequest, codeUnknown, "'%s' is not an option. The existing options are: %s", s, strings.Join(p.options, ","))
		}
		return s, nil
	}
	if p.maxLen > 0 && utf8.RuneCountInString(s) > p.maxLen {
		return nil, errorf(http.StatusBadRequest, codeStringLength, "The length of the string is %d, but it must be less than or equal to %d characters. Value: %s", utf8.RuneCountInString(s), p.maxLen, s)
	}
	if p.code {
		s = strings.ToUpper(s)
	}
	return s, nil
}

// parseBody reads a POST or PATCH body: property values, and for a POST
// the arrays of a deep insert.
func parseBody(et *entityType, body []byte, insert bool) (map[string]any, map[string][]json.RawMessage, *apiError) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, nil, badRequest("The request body is not a valid JSON object.")
	}
	vals := map[string]any{}
	var nested map[string][]json.RawMessage
	for k, raw := range obj {
		if strings.HasPrefix(k, "@odata.") || strings.Contains(k, "@odata.") {
			continue
		}
		if n := et.nav(k); n != nil && !n.single {
			if !insert {
				return nil, nil, badRequest("Navigation properties cannot be updated with PATCH; send a request to '%s' instead.", k)
			}
			var arr []json.RawMessage
			if json.Unmarshal(raw, &arr) != nil {
				return nil, nil, badRequest("The value of the navigation property '%s' must be an array.", k)
			}
			if nested == nil {
				nested = map[string][]json.RawMessage{}
			}
			nested[k] = arr
			continue
		}
		p := et.prop(k)
		if p == nil {
			return nil, nil, badRequest("The property '%s' does not exist on type 'Microsoft.NAV.%s'. Make sure to only use property names that are defined by the type.", k, et.name)
		}
		if p.readOnly {
			return nil, nil, errorf(http.StatusBadRequest, codeInvalidOperation, "Control '%s' is read-only.", k)
		}
		v, err := parseValue(p, raw)
		if err != nil {
			return nil, nil, err
		}
		vals[k] = v
	}
	return vals, nested, nil
}

// checkETag applies If-Match: it is required, "*" matches anything, and
// a stale ETag is Request_EntityChanged.
func (s *Server) checkETag(h http.Header, rec *record) *apiError {
	m := strings.TrimSpace(h.Get("If-Match"))
	if m == "" {
		return errorf(http.StatusBadRequest, codeInvalidToken, "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.")
	}
	if m == "*" {
		return nil
	}
	cur := etag(rec.version)
	for _, e := range strings.Split(m, ",") {
		e = strings.TrimSpace(e)
		if e == cur || "W/"+e == cur {
			return nil
		}
	}
	if !strings.HasPrefix(m, `W/"`) && !strings.HasPrefix(m, `"`) {
		return errorf(http.StatusBadRequest, codeInvalidToken, "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.")
	}
	return errorf(s.cfg.etagStatus, codeEntityChanged, "Another user has already changed the record.")
}

// --- writes ---

func (s *Server) create(c *wctx, t *target, o *op) (result, *apiError) {
	et := t.et
	if !et.insert {
		return result{}, methodNotAllowed(o.method, et.set, "Collection")
	}
	vals, nested, err := parseBody(et, o.body, true)
	if err != nil {
		return result{}, err
	}
	rec := &record{vals: vals}
	id, _ := vals["id"].(string)
	if isZeroGUID(id) {
		id = s.st.newID()
	} else if c.table(et.set).rows[id] != nil {
		return result{}, errorf(http.StatusConflict, codeSameKeyExists, "The record already exists. Identification fields and values: Id='%s'", id)
	}
	rec.id, rec.vals["id"] = id, id
	if t.parent != nil {
		if fk, ok := vals[t.nav.fk].(string); ok && fk != t.parent.id && !isZeroGUID(fk) {
			return result{}, badRequest("The value of '%s' does not match the parent entity.", t.nav.fk)
		}
		rec.vals[t.nav.fk] = t.parent.id
	}
	kids, err := s.validate(c, et, rec, nil, nested)
	if err != nil {
		return result{}, err
	}
	c.save(et, rec, "created")
	for _, k := range kids {
		c.save(k.et, k.rec, "created")
	}
	s.afterChange(c, et, rec)
	if parsePrefer(o.header).minimal {
		h := http.Header{}
		h.Set("Preference-Applied", "return=minimal")
		h.Set("OData-EntityId", o.base+"/"+t.context+"("+id+")")
		return result{status: http.StatusNoContent, header: h}, nil
	}
	res := s.entityResult(http.StatusCreated, t, rec, nil, s.deepExpansions(et, nested))
	res.header.Set("Location", o.base+"/"+t.context+"("+id+")")
	return res, nil
}

// deepExpansions returns the navigation arrays of a deep insert, which the
// created entity's response includes.
func (s *Server) deepExpansions(et *entityType, nested map[string][]json.RawMessage) []expansion {
	var exp []expansion
	for _, n := range et.navs {
		if _, ok := nested[n.name]; ok {
			exp = append(exp, expansion{nav: &n, et: s.types[n.set]})
		}
	}
	return exp
}

func (s *Server) update(c *wctx, t *target, o *op) (result, *apiError) {
	et := t.et
	if !et.modify {
		return result{}, methodNotAllowed(o.method, et.set, "Entity")
	}
	if err := s.checkETag(o.header, t.rec); err != nil {
		return result{}, err
	}
	vals, _, err := parseBody(et, o.body, false)
	if err != nil {
		return result{}, err
	}
	if id, ok := vals["id"].(string); ok && id != t.rec.id {
		return result{}, errorf(http.StatusBadRequest, codeInvalidOperation, "The id of an entity cannot be changed.")
	}
	rec := t.rec.clone()
	for k, v := range vals {
		rec.vals[k] = v
	}
	if _, err := s.validate(c, et, rec, t.rec, nil); err != nil {
		return result{}, err
	}
	c.save(et, rec, "updated")
	s.afterChange(c, et, rec)
	if parsePrefer(o.header).minimal {
		return result{status: http.StatusNoContent, header: http.Header{}}, nil
	}
	t.rec = rec
	return s.entityResult(http.StatusOK, t, rec, nil, nil), nil
}

func (s *Server) remove(c *wctx, t *target, o *op) (result, *apiError) {
	et := t.et
	if !et.remove {
		return result{}, methodNotAllowed(o.method, et.set, "Entity")
	}
	if err := s.checkETag(o.header, t.rec); err != nil {
		return result{}, err
	}
	if err := s.beforeRemove(c, et, t.rec); err != nil {
		return result{}, err
	}
	c.drop(et, t.rec)
	s.afterChange(c, et, t.rec)
	return result{status: http.StatusNoContent, header: http.Header{}}, nil
}
