package shopifytest

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/ast"
)

// Variable coercion. graphql-go checks literals in the document and the
// shape of variables (unknown and missing input fields) but passes a
// variable's scalars through unchecked into an input object. This pass
// checks every variable value against its type, and answers a bad one the
// way Shopify does: an INVALID_VARIABLE error naming the variable, its type
// and the path of each problem, before anything runs. It also enforces the
// limit of 250 items in an input list.

type problem struct {
	Path        []any  `json:"path"`
	Explanation string `json:"explanation"`
}

func coerceVariables(schema *graphql.Schema, op *gqlOp, vars map[string]any) []any {
	c := &coercer{schema: schema.AST()}
	var errs []any
	for _, vd := range op.vars {
		v, present := vars[vd.name]
		if !present {
			if vd.has || !vd.typ.nonNull {
				continue
			}
		}
		c.problems, c.tooLong = nil, nil
		c.checkVarType(vd.typ, v, nil)
		if len(c.tooLong) > 0 {
			p := c.tooLong[0]
			errs = append(errs, map[string]any{
				"message":    fmt.Sprintf("The input array size of %d is greater than the maximum allowed of %d.", p.size, maxPageSize),
				"extensions": map[string]any{"code": "MAX_INPUT_SIZE_EXCEEDED"},
				"path":       append([]any{vd.name}, p.path...),
			})
			continue
		}
		if len(c.problems) == 0 {
			continue
		}
		var parts []string
		for _, p := range c.problems {
			if len(p.Path) == 0 {
				parts = append(parts, "("+p.Explanation+")")
				continue
			}
			var ps []string
			for _, e := range p.Path {
				ps = append(ps, fmt.Sprint(e))
			}
			parts = append(parts, strings.Join(ps, ".")+" ("+p.Explanation+")")
		}
		msg := fmt.Sprintf("Variable $%s of type %s was provided invalid value", vd.name, vd.typ)
		if len(c.problems[0].Path) > 0 {
			msg += " for " + strings.Join(parts, ", ")
		}
		errs = append(errs, map[string]any{
			"message": msg,
			"extensions": map[string]any{
				"code":     "INVALID_VARIABLE",
				"value":    v,
				"problems": c.problems,
			},
		})
	}
	return errs
}

type tooLong struct {
	path []any
	size int
}

type coercer struct {
	schema   *ast.Schema
	problems []problem
	tooLong  []tooLong
}

func (c *coercer) fail(path []any, format string, args ...any) {
	c.problems = append(c.problems, problem{Path: slices.Clone(path), Explanation: fmt.Sprintf(format, args...)})
}

// checkVarType checks v against a type written in the document.
func (c *coercer) checkVarType(t *gqlType, v any, path []any) {
	if v == nil {
		if t.nonNull {
			c.fail(path, "Expected value to not be null")
		}
		return
	}
	if t.elem != nil {
		c.checkList(v, path, func(e any, p []any) { c.checkVarType(t.elem, e, p) })
		return
	}
	c.checkNamed(t.name, v, path)
}

// checkType checks v against a type from the schema.
func (c *coercer) checkType(t ast.Type, v any, path []any) {
	nonNull := false
	if nn, ok := t.(*ast.NonNull); ok {
		nonNull, t = true, nn.OfType
	}
	if v == nil {
		if nonNull {
			c.fail(path, "Expected value to not be null")
		}
		return
	}
	if l, ok := t.(*ast.List); ok {
		c.checkList(v, path, func(e any, p []any) { c.checkType(l.OfType, e, p) })
		return
	}
	c.checkNamed(t.(ast.NamedType).TypeName(), v, path)
}

func (c *coercer) checkList(v any, path []any, elem func(any, []any)) {
	items, ok := v.([]any)
	if !ok {
		elem(v, path)
		return
	}
	if len(items) > maxPageSize {
		c.tooLong = append(c.tooLong, tooLong{path: slices.Clone(path), size: len(items)})
	}
	for i, e := range items {
		elem(e, append(path, i))
	}
}

func (c *coercer) checkNamed(name string, v any, path []any) {
	switch t := c.schema.Types[name].(type) {
	case *ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "Expected %q to be a key-value object.", fmt.Sprint(v))
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if t.Values.Get(k) == nil {
				c.fail(append(path, k), "Field is not defined on %s", t.Name)
			}
		}
		for _, f := range t.Values {
			fv, present := m[f.Name.Name]
			if !present {
				if _, nn := f.Type.(*ast.NonNull); nn && f.Default == nil {
					c.fail(append(path, f.Name.Name), "Expected value to not be null")
				}
				continue
			}
			c.checkType(f.Type, fv, append(path, f.Name.Name))
		}
	case *ast.EnumTypeDefinition:
		s, ok := v.(string)
		valid := false
		if ok {
			for _, ev := range t.EnumValuesDefinition {
				if ev.EnumValue == s {
					valid = true
				}
			}
		}
		if !valid {
			c.fail(path, "Expected %q to be one of: %s", fmt.Sprint(v), enumValues(t))
		}
	case *ast.ScalarTypeDefinition:
		if !scalarOK(name, v) {
			c.fail(path, "Could not coerce value %s to %s", literal(v), name)
		}
	}
}

func enumValues(t *ast.EnumTypeDefinition) string {
	var out []string
	for _, ev := range t.EnumValuesDefinition {
		out = append(out, ev.EnumValue)
	}
	return strings.Join(out, ", ")
}

func literal(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func scalarOK(name string, v any) bool {
	switch name {
	case "Int":
		switch n := v.(type) {
		case int32:
			return true
		case int64:
			return n >= -1<<31 && n < 1<<31
		case float64:
			return n == float64(int64(n)) && n >= -1<<31 && n < 1<<31
		}
		return false
	case "Float":
		switch v.(type) {
		case int32, int64, float64:
			return true
		}
		return false
	case "String", "HTML", "Date":
		_, ok := v.(string)
		return ok
	case "Boolean":
		_, ok := v.(bool)
		return ok
	case "ID":
		switch v.(type) {
		case string, int32, int64:
			return true
		}
		return false
	case "Decimal", "Money":
		_, err := toDecimal(v)
		return err == nil
	case "DateTime":
		s, ok := v.(string)
		if !ok {
			return false
		}
		_, err := parseDateTime(s)
		return err == nil
	case "URL":
		s, ok := v.(string)
		if !ok {
			return false
		}
		u, err := url.Parse(s)
		return err == nil && u.Scheme != "" && u.Host != ""
	case "UnsignedInt64":
		switch n := v.(type) {
		case string:
			_, err := strconv.ParseUint(n, 10, 64)
			return err == nil
		case int32:
			return n >= 0
		case int64:
			return n >= 0
		}
		return false
	}
	return true // JSON and unknown scalars take anything
}
