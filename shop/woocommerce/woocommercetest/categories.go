package woocommercetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Category is a product category as GET /products/categories/<id> returns
// it.
type Category struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Parent      int64  `json:"parent"`
	Description string `json:"description"`
	Display     string `json:"display"` // default, products, subcategories, both
	Image       *Image `json:"image"`
	MenuOrder   int64  `json:"menu_order"`
	Count       int64  `json:"count"` // products in it (not in the trash)
}

// Tag is a product tag as GET /products/tags/<id> returns it.
type Tag struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
	Count       int64  `json:"count"`
}

// categoryRec is a term of either taxonomy; tags use the Category fields
// they share.
type categoryRec struct{ c Category }

// taxonomy is product_cat (/products/categories) or product_tag
// (/products/tags).
type taxonomy struct {
	base  string // route below the API
	terms map[int64]*categoryRec
	tag   bool
}

func (s *Server) taxonomyOf(c *call) *taxonomy {
	if strings.HasPrefix(c.route, "/products/tags") {
		return &taxonomy{base: "/products/tags", terms: s.tags, tag: true}
	}
	return &taxonomy{base: "/products/categories", terms: s.categories}
}

var categorySchema = []field{
	{name: "name", typ: tString},
	{name: "slug", typ: tString},
	{name: "parent", typ: tInt},
	{name: "description", typ: tString},
	{name: "display", typ: tEnum, enum: []string{"default", "products", "subcategories", "both"}},
	{name: "menu_order", typ: tInt},
}

func (s *Server) termJSON(tx *taxonomy, r *categoryRec) json.RawMessage {
	var v any = r.c
	if tx.tag {
		v = Tag{ID: r.c.ID, Name: r.c.Name, Slug: r.c.Slug, Description: r.c.Description, Count: r.c.Count}
	}
	return withLinks(v, links("self", s.APIURL()+tx.base+"/"+itoa(r.c.ID), "collection", s.APIURL()+tx.base))
}

func errTermInvalid() *wpError {
	return newError(http.StatusNotFound, "woocommerce_rest_term_invalid", "Resource does not exist.")
}

// uniqueSlug returns slug or slug-2, slug-3 … as wp_unique_term_slug.
func uniqueSlug(terms map[int64]*categoryRec, slug string, self int64) string {
	taken := func(x string) bool {
		for _, c := range terms {
			if c.c.Slug == x && c.c.ID != self {
				return true
			}
		}
		return false
	}
	out := slug
	for i := 2; taken(out); i++ {
		out = slug + "-" + itoa(int64(i))
	}
	return out
}

// newCategory creates a category (the caller holds mu).
func (s *Server) newCategory(in map[string]any) (*categoryRec, *wpError) {
	return s.newTerm(&taxonomy{base: "/products/categories", terms: s.categories}, in)
}

// newTerm creates a term (the caller holds mu).
func (s *Server) newTerm(tx *taxonomy, in map[string]any) (*categoryRec, *wpError) {
	name, _ := in["name"].(string)
	if strings.TrimSpace(name) == "" {
		return nil, errMissingParams("name")
	}
	parent, _ := in["parent"].(int64)
	for _, c := range tx.terms {
		if strings.EqualFold(c.c.Name, name) && c.c.Parent == parent {
			return nil, newError(http.StatusBadRequest, "term_exists", "A term with the name provided already exists with this parent.",
				kv{"resource_id", c.c.ID})
		}
	}
	r := &categoryRec{c: Category{ID: s.nextTerm, Name: name, Parent: parent, Display: "default"}}
	s.nextTerm++
	applyTerm(tx, r, in)
	tx.terms[r.c.ID] = r
	return r, nil
}

func applyTerm(tx *taxonomy, r *categoryRec, in map[string]any) {
	if v, ok := in["name"].(string); ok && v != "" {
		r.c.Name = v
	}
	if v, ok := in["description"].(string); ok {
		r.c.Description = v
	}
	if v, ok := in["display"].(string); ok {
		r.c.Display = v
	}
	if v, ok := in["parent"].(int64); ok {
		r.c.Parent = v
	}
	if v, ok := in["menu_order"].(int64); ok {
		r.c.MenuOrder = v
	}
	slug := r.c.Slug
	if v, ok := in["slug"].(string); ok && v != "" {
		slug = slugify(v)
	}
	if slug == "" {
		slug = slugify(r.c.Name)
	}
	r.c.Slug = uniqueSlug(tx.terms, slug, r.c.ID)
	if tx.tag {
		r.c.Display, r.c.Parent = "", 0
	}
}

var categoryOrderby = []string{"id", "include", "name", "slug", "term_group", "description", "count"}

func (s *Server) listTerms(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, categoryOrderby, "name", "asc")
	include, exclude := qc.ids("include"), qc.ids("exclude")
	hideEmpty := qc.boolean("hide_empty")
	slug := qc.get("slug")
	search := qc.get("search")
	var parent *int64
	if qc.has("parent") {
		n := qc.integer("parent", 0, nil, nil)
		parent = &n
	}
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countCategories()
	tx := s.taxonomyOf(c)
	var items []listed
	for _, r := range tx.terms {
		switch {
		case include != nil && !slices.Contains(include, r.c.ID), slices.Contains(exclude, r.c.ID),
			hideEmpty && r.c.Count == 0, slug != "" && r.c.Slug != slug,
			parent != nil && r.c.Parent != *parent,
			search != "" && !strings.Contains(strings.ToLower(r.c.Name), strings.ToLower(search)):
			continue
		}
		items = append(items, listed{id: r.c.ID, title: r.c.Name, slug: r.c.Slug, menuOrder: r.c.MenuOrder, body: func() any { return s.termJSON(tx, r) }})
	}
	sortListed(items, p, include)
	return s.pageReply(c, items, p), nil
}

func (s *Server) getTerm(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countCategories()
	tx := s.taxonomyOf(c)
	r, found := tx.terms[c.ids[0]]
	if !found {
		return nil, errTermInvalid()
	}
	return ok(s.termJSON(tx, r)), nil
}

func (s *Server) createTermLocked(c *call, _ map[string]any, in map[string]any) (*reply, *wpError) {
	tx := s.taxonomyOf(c)
	r, err := s.newTerm(tx, in)
	if err != nil {
		return nil, err
	}
	return created(s.termJSON(tx, r), s.APIURL()+tx.base+"/"+itoa(r.c.ID)), nil
}

func (s *Server) createTerm(c *call) (*reply, *wpError) {
	raw, in, err := s.checkInput(c, categorySchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTermLocked(c, raw, in)
}

func (s *Server) updateTermLocked(c *call, id int64, in map[string]any) (*reply, *wpError) {
	tx := s.taxonomyOf(c)
	r, found := tx.terms[id]
	if !found {
		return nil, errTermInvalid()
	}
	applyTerm(tx, r, in)
	s.renameTerms()
	return ok(s.termJSON(tx, r)), nil
}

func (s *Server) updateTerm(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, categorySchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateTermLocked(c, c.ids[0], in)
}

func (s *Server) deleteTermLocked(c *call, id int64) (*reply, *wpError) {
	tx := s.taxonomyOf(c)
	r, found := tx.terms[id]
	if !found {
		return nil, errTermInvalid()
	}
	body := s.termJSON(tx, r)
	delete(tx.terms, id)
	for _, p := range s.products {
		p.p.Categories = slices.DeleteFunc(p.p.Categories, func(t Term) bool { return !tx.tag && t.ID == id })
		p.p.Tags = slices.DeleteFunc(p.p.Tags, func(t Term) bool { return tx.tag && t.ID == id })
	}
	return ok(body), nil
}

func (s *Server) deleteTerm(c *call) (*reply, *wpError) {
	if force, _ := restBoolean(c.q.Get("force")); !force {
		return nil, newError(http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Resource does not support trashing.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteTermLocked(c, c.ids[0])
}

func (s *Server) batchTerms(c *call) (*reply, *wpError) {
	return s.batch(c, batchOps{schema: categorySchema, create: s.createTermLocked, update: s.updateTermLocked, delete: s.deleteTermLocked})
}

// renameTerms refreshes the names and slugs products carry for their
// categories and tags.
func (s *Server) renameTerms() {
	for _, p := range s.products {
		for i, t := range p.p.Categories {
			if c, ok := s.categories[t.ID]; ok {
				p.p.Categories[i] = Term{ID: c.c.ID, Name: c.c.Name, Slug: c.c.Slug}
			}
		}
		for i, t := range p.p.Tags {
			if c, ok := s.tags[t.ID]; ok {
				p.p.Tags[i] = Term{ID: c.c.ID, Name: c.c.Name, Slug: c.c.Slug}
			}
		}
	}
}
