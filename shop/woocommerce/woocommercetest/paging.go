package woocommercetest

import (
	"net/http"
	"strconv"
	"strings"
)

// This file pages collections as WC_REST_CRUD_Controller::get_items does:
// per_page 1..100 (default 10), page from 1, offset overriding page, the
// totals in X-WP-Total and X-WP-TotalPages, and a Link header with rel
// "prev" and "next" (WooCommerce sends no "first" or "last"), built from
// the request's own query parameters with page replaced. A page past the
// last is an empty list with the same headers.

type paging struct {
	page, perPage, offset int64
	hasOffset             bool
	order, orderby        string
}

var (
	one     = int64(1)
	hundred = int64(MaxPerPage)
)

// pagingParams reads page, per_page, offset, order and orderby.
func (s *Server) pagingParams(qc *queryChecker, orderbys []string, defOrderby, defOrder string) paging {
	p := paging{
		page:    qc.integer("page", 1, &one, nil),
		perPage: qc.integer("per_page", int64(s.cfg.perPage), &one, &hundred),
		order:   qc.enum("order", defOrder, []string{"asc", "desc"}),
		orderby: qc.enum("orderby", defOrderby, orderbys),
	}
	if qc.has("offset") {
		p.offset = qc.integer("offset", 0, nil, nil)
		p.hasOffset = true
	}
	return p
}

// beforeListHook runs the BeforeList hook, outside the lock.
func (s *Server) beforeListHook(c *call, p paging) {
	s.mu.Lock()
	fn := s.beforeList
	s.mu.Unlock()
	if fn != nil {
		fn(c.route, int(p.page))
	}
}

// pageReply cuts one page out of the full, sorted result, renders it and
// adds the paging headers.
func (s *Server) pageReply(c *call, items []listed, p paging) *reply {
	total := int64(len(items))
	pages := (total + p.perPage - 1) / p.perPage
	start := (p.page - 1) * p.perPage
	if p.hasOffset {
		start = p.offset
	}
	start = min(max(start, 0), total)
	end := min(start+p.perPage, total)
	h := http.Header{}
	h.Set("X-WP-Total", strconv.FormatInt(total, 10))
	h.Set("X-WP-TotalPages", strconv.FormatInt(pages, 10))
	base := s.ts.URL + strings.TrimRight(c.r.URL.Path, "/")
	var link []string
	if p.page > 1 {
		link = append(link, "<"+wpPageLink(base, c.r.URL.RawQuery, min(p.page-1, max(pages, 0)))+`>; rel="prev"`)
	}
	if pages > p.page {
		link = append(link, "<"+wpPageLink(base, c.r.URL.RawQuery, p.page+1)+`>; rel="next"`)
	}
	if len(link) > 0 {
		h.Set("Link", strings.Join(link, ", "))
	}
	return &reply{status: http.StatusOK, header: h, body: bodies(items[start:end])}
}

// wpPageLink rebuilds the collection URL as WordPress does: add_query_arg
// puts the decoded query values back unencoded, then add_query_arg('page')
// parses that again (so a '+' becomes a space) and urlencodes each value.
// The credentials of the query (consumer_secret, oauth_*) stay in the link,
// as in WooCommerce.
func wpPageLink(base, rawQuery string, page int64) string {
	var raw []string
	for _, p := range phpParseQuery(rawQuery) {
		if p.sub == nil {
			raw = append(raw, p.key+"="+p.value)
			continue
		}
		for _, sp := range p.sub {
			raw = append(raw, p.key+"%5B"+sp.key+"%5D="+sp.value)
		}
	}
	params := phpParseQuery(strings.Join(raw, "&"))
	params = setParam(params, phpParam{key: "page", value: strconv.FormatInt(page, 10)})
	var out []string
	for _, p := range params {
		if p.sub == nil {
			out = append(out, p.key+"="+phpURLEncode(p.value))
			continue
		}
		for _, sp := range p.sub {
			out = append(out, p.key+"%5B"+sp.key+"%5D="+phpURLEncode(sp.value))
		}
	}
	return base + "?" + strings.Join(out, "&")
}
