package woocommerce

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kontor-dev/kontor"
)

// lookupSKUs finds the products and variations that carry the given SKUs:
// GET /products?sku=a,b,c, which matches SKUs exactly and, filtered by SKU,
// also returns variations (type "variation" with their parent_id). One
// request takes up to 100 SKUs; a SKU containing a comma, which
// WooCommerce would split, is asked for alone.
func (c *Client) lookupSKUs(ctx context.Context, skus []string) (map[string]*Product, error) {
	found := make(map[string]*Product, len(skus))
	var plain, odd []string
	seen := make(map[string]bool, len(skus))
	for _, s := range skus {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		if strings.Contains(s, ",") {
			odd = append(odd, s)
		} else {
			plain = append(plain, s)
		}
	}
	var groups [][]string
	for chunk := range slices.Chunk(plain, maxSKUsPerRead) {
		groups = append(groups, chunk)
	}
	for _, s := range odd {
		groups = append(groups, []string{s})
	}
	for _, g := range groups {
		q := url.Values{"sku": {strings.Join(g, ",")}, "per_page": {strconv.Itoa(MaxPageSize)}}
		var items []*Product
		if _, err := c.do(ctx, http.MethodGet, "/products", q, nil, &items); err != nil {
			return nil, err
		}
		want := make(map[string]bool, len(g))
		for _, s := range g {
			want[s] = true
		}
		for _, p := range items {
			if want[p.SKU] {
				found[p.SKU] = p
			}
		}
	}
	return found, nil
}

// Categories and tags are taxonomy terms: products refer to them by id.
// The client loads a taxonomy's terms once, keeps them by path ("Apparel >
// Shirts" for a category below another), and creates the missing ones.

const pathSep = " > "

// termIDs returns the ids of the terms named by paths in taxonomy
// ("categories" or "tags"), creating missing ones.
func (c *Client) termIDs(ctx context.Context, taxonomy string, paths []string) ([]int64, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	c.termsMu.Lock()
	defer c.termsMu.Unlock()
	byPath, err := c.loadTermsLocked(ctx, taxonomy)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(paths))
	for _, path := range paths {
		parts := splitPath(path, taxonomy == "categories")
		if len(parts) == 0 {
			continue
		}
		var parent int64
		for i := range parts {
			key := strings.Join(parts[:i+1], pathSep)
			id, ok := byPath[key]
			if !ok {
				if id, err = c.createTerm(ctx, taxonomy, parts[i], parent); err != nil {
					return nil, err
				}
				byPath[key] = id
			}
			parent = id
		}
		if !slices.Contains(ids, parent) {
			ids = append(ids, parent)
		}
	}
	return ids, nil
}

// termPaths returns the paths of terms by id, loading the taxonomy once.
func (c *Client) termPaths(ctx context.Context, taxonomy string, terms []Term) ([]string, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	c.termsMu.Lock()
	defer c.termsMu.Unlock()
	byPath, err := c.loadTermsLocked(ctx, taxonomy)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]string, len(byPath))
	for p, id := range byPath {
		if old, ok := byID[id]; !ok || len(p) < len(old) {
			byID[id] = p
		}
	}
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if p, ok := byID[t.ID]; ok {
			out = append(out, p)
		} else if t.Name != "" {
			out = append(out, t.Name)
		}
	}
	return out, nil
}

func splitPath(path string, nested bool) []string {
	if !nested {
		if s := strings.TrimSpace(path); s != "" {
			return []string{s}
		}
		return nil
	}
	var parts []string
	for _, p := range strings.Split(path, ">") {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	return parts
}

type termRecord struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Parent int64  `json:"parent"`
}

// loadTermsLocked reads all terms of taxonomy once. The caller holds
// termsMu.
func (c *Client) loadTermsLocked(ctx context.Context, taxonomy string) (map[string]int64, error) {
	if m, ok := c.terms[taxonomy]; ok {
		return m, nil
	}
	var all []termRecord
	for page := 1; ; page++ {
		q := url.Values{"per_page": {strconv.Itoa(MaxPageSize)}, "page": {strconv.Itoa(page)}, "orderby": {"id"}, "order": {"asc"}}
		var batch []termRecord
		pg, err := c.do(ctx, http.MethodGet, "/products/"+taxonomy, q, nil, &batch)
		if err != nil {
			return nil, err
		}
		all = append(all, batch...)
		if len(batch) < MaxPageSize || (pg.totalPages > 0 && page >= pg.totalPages) {
			break
		}
	}
	byID := make(map[int64]termRecord, len(all))
	for _, t := range all {
		byID[t.ID] = t
	}
	m := make(map[string]int64, len(all))
	for _, t := range all {
		names := []string{unescapeHTML(t.Name)}
		for p, hops := t.Parent, 0; p != 0 && hops < 64; hops++ {
			pt, ok := byID[p]
			if !ok {
				break
			}
			names = append([]string{unescapeHTML(pt.Name)}, names...)
			p = pt.Parent
		}
		key := strings.Join(names, pathSep)
		if _, dup := m[key]; !dup {
			m[key] = t.ID
		}
	}
	c.terms[taxonomy] = m
	return m, nil
}

// createTerm creates a term; a term that exists already (created
// meanwhile) is found through the id WordPress reports with term_exists.
func (c *Client) createTerm(ctx context.Context, taxonomy, name string, parent int64) (int64, error) {
	body := map[string]any{"name": name}
	if parent != 0 && taxonomy == "categories" {
		body["parent"] = parent
	}
	var t termRecord
	_, err := c.do(ctx, http.MethodPost, "/products/"+taxonomy, nil, body, &t)
	if err != nil {
		if id, ok := existingTerm(err); ok {
			return id, nil
		}
		return 0, fmt.Errorf("woocommerce: creating %s %q: %w", strings.TrimSuffix(taxonomy, "s"), name, err)
	}
	return t.ID, nil
}

// existingTerm reads the resource_id of a term_exists error.
func existingTerm(err error) (int64, bool) {
	var ae *kontor.APIError
	if !errors.As(err, &ae) || ae.Code != "term_exists" {
		return 0, false
	}
	i := strings.Index(ae.Body, `"resource_id":`)
	if i < 0 {
		return 0, false
	}
	rest := strings.TrimLeft(ae.Body[i+len(`"resource_id":`):], " ")
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end <= 0 {
		return 0, false
	}
	id, err2 := strconv.ParseInt(rest[:end], 10, 64)
	return id, err2 == nil
}

// unescapeHTML undoes the entities WordPress puts into term and product
// names ("T-shirts &amp; tops").
func unescapeHTML(s string) string {
	if !strings.Contains(s, "&") {
		return s
	}
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#039;", "'", "&#39;", "'", "&ndash;", "–", "&mdash;", "—", "&#8211;", "–")
	return r.Replace(s)
}
