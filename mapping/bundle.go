package mapping

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kontor-dev/kontor"
)

// Bundle is a mapping file of several YAML documents separated by "---",
// one per entity, as an integration keeps all its mappings in one file:
//
//	version: 3
//	entity: product
//	rules: [...]
//	---
//	version: 7
//	entity: order
//	values: {...}
//	rules: [...]
//
// Each document is loaded as Load loads a file of its entity, and a
// problem is reported at its line in the whole file.
type Bundle struct {
	mappers map[kontor.Entity]any // Mapper[T] of the entity's type
	docs    map[kontor.Entity][]byte
}

// LoadBundleFile reads and loads the mapping bundle at path.
func LoadBundleFile(path string) (*Bundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return LoadBundle(path, data)
}

// bundleSeparator is a line that starts a YAML document.
var bundleSeparator = regexp.MustCompile(`^---(\s.*)?$`)

// LoadBundle splits data into its YAML documents and loads each for the
// entity its "entity" key names. A document without one, an unknown
// entity or a second document for an entity is an error; all problems of
// all documents are reported together.
func LoadBundle(name string, data []byte) (*Bundle, error) {
	s := &Bundle{mappers: map[kontor.Entity]any{}, docs: map[kontor.Entity][]byte{}}
	lines := bytes.SplitAfter(data, []byte("\n"))
	var errs []error
	start := 0
	flush := func(end int) {
		doc := lines[start:end]
		if !hasContent(doc) {
			return
		}
		// The lines before the document are blanked, not dropped, so
		// line numbers are the whole file's.
		padded := append(bytes.Repeat([]byte("\n"), start), bytes.Join(doc, nil)...)
		if err := s.load(name, start+1, padded); err != nil {
			errs = append(errs, err)
		}
	}
	for i, l := range lines {
		if bundleSeparator.Match(bytes.TrimRight(l, "\r\n")) {
			flush(i)
			start = i + 1
		}
	}
	flush(len(lines))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// hasContent reports whether a document has more than comments and blank
// lines.
func hasContent(doc [][]byte) bool {
	for _, l := range doc {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// load loads one document, which starts at line first.
func (s *Bundle) load(name string, first int, doc []byte) error {
	var head struct {
		Entity string `yaml:"entity"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil && head.Entity == "" {
		// Load reports syntax errors best, with their lines.
		_, err := Load[kontor.Product](name, doc)
		return err
	}
	e := kontor.Entity(head.Entity)
	if _, dup := s.mappers[e]; dup {
		return fmt.Errorf("%s:%d: a second document for entity %q; one per entity", name, first, e)
	}
	var (
		m   any
		err error
	)
	switch e {
	case kontor.EntityProduct:
		m, err = loadAny[kontor.Product](name, doc)
	case kontor.EntityPrice:
		m, err = loadAny[kontor.Price](name, doc)
	case kontor.EntityStock:
		m, err = loadAny[kontor.StockLevel](name, doc)
	case kontor.EntityOrder:
		m, err = loadAny[kontor.Order](name, doc)
	case kontor.EntityCustomer:
		m, err = loadAny[kontor.Customer](name, doc)
	case kontor.EntityShipment:
		m, err = loadAny[kontor.Shipment](name, doc)
	case kontor.EntityReturn:
		m, err = loadAny[kontor.Return](name, doc)
	case kontor.EntityStatus:
		m, err = loadAny[kontor.StatusUpdate](name, doc)
	default:
		if head.Entity == "" {
			return fmt.Errorf("%s:%d: the document has no entity; want entity: product, price, order, …", name, first)
		}
		names := make([]string, len(kontor.Entities))
		for i, x := range kontor.Entities {
			names[i] = string(x)
		}
		return fmt.Errorf("%s:%d: the document names entity %q; want one of %s", name, first, head.Entity, strings.Join(names, ", "))
	}
	if err != nil {
		return err
	}
	s.mappers[e], s.docs[e] = m, doc
	return nil
}

func loadAny[T any](name string, doc []byte) (any, error) {
	r, err := Load[T](name, doc)
	if err != nil {
		return nil, err
	}
	return Mapper[T](r), nil
}

// BundleMapper returns the bundle's mapping for the entity of type T, and false
// when the file has no document for it.
func BundleMapper[T any](s *Bundle) (Mapper[T], bool) {
	for _, m := range s.mappers {
		if t, ok := m.(Mapper[T]); ok {
			return t, true
		}
	}
	return nil, false
}

// Versions returns the version of each entity's mapping.
func (s *Bundle) Versions() map[kontor.Entity]string {
	out := make(map[kontor.Entity]string, len(s.mappers))
	for e, m := range s.mappers {
		out[e] = VersionOf(m)
	}
	return out
}

// Document returns the YAML document of entity e (with the lines before
// it blank), or nil, for programs that read keys of their own from it.
func (s *Bundle) Document(e kontor.Entity) []byte { return s.docs[e] }
