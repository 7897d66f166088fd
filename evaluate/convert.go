package evaluate

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Converter converts objects for evaluation as a collector reads them
// (collectors.FileOptions.Convert, snapshot.ReadEach), from any goroutine,
// sharing equal sub-documents across all of them. Evaluate then reads
// Object.Value instead of converting Object, which the conversion drops:
// the input is never held both as decoded maps and as OPA's value.
type Converter struct {
	mu sync.Mutex
	c  *converter
}

// NewConverter returns an empty converter; use one per snapshot.
func NewConverter() *Converter { return &Converter{c: newConverter()} }

// Convert sets o.Value and releases o.Object. An object that cannot be
// converted (a value of no JSON type) is left as it is, for Evaluate to
// report.
func (c *Converter) Convert(o *snapshot.Object) {
	if o.Object == nil {
		return // converted already
	}
	c.mu.Lock()
	t, err := c.c.term(o.Object)
	c.mu.Unlock()
	if err == nil {
		o.Value, o.Object = t, nil
	}
}

// converter turns a decoded JSON document (map[string]any, []any, string,
// json.Number, float64, bool, nil) into an ast term, like
// ast.InterfaceToValue, but hash-conses what it builds: equal strings and
// equal arrays and objects (the containers, volumes and sidecars of the pods
// of one workload, the labels repeated across a namespace, the injected
// proxy's settings across the mesh) become one shared term. Terms of the
// input are never modified during evaluation, so sharing them is safe; it
// shrinks the input value several-fold and with it the garbage collector's
// work.
type converter struct {
	strs map[string]*ast.Term
	comp map[int][]*ast.Term // arrays and objects by hash
}

func newConverter() *converter {
	return &converter{strs: map[string]*ast.Term{}, comp: map[int][]*ast.Term{}}
}

func (c *converter) str(s string) *ast.Term {
	if t, ok := c.strs[s]; ok {
		return t
	}
	t := ast.StringTerm(s)
	c.strs[s] = t
	return t
}

func (c *converter) term(x any) (*ast.Term, error) {
	switch x := x.(type) {
	case string:
		return c.str(x), nil
	case []any:
		elems := make([]*ast.Term, len(x))
		for i, e := range x {
			t, err := c.term(e)
			if err != nil {
				return nil, err
			}
			elems[i] = t
		}
		return c.cons(ast.ArrayTerm(elems...)), nil
	case map[string]any:
		items := make([][2]*ast.Term, 0, len(x))
		for k, v := range x {
			t, err := c.term(v)
			if err != nil {
				return nil, err
			}
			items = append(items, [2]*ast.Term{c.str(k), t})
		}
		return c.cons(ast.ObjectTerm(items...)), nil
	default:
		v, err := ast.InterfaceToValue(x)
		if err != nil {
			return nil, err
		}
		return ast.NewTerm(v), nil
	}
}

// cons returns the term already built that is identical to t, or t.
func (c *converter) cons(t *ast.Term) *ast.Term {
	h := t.Hash()
	for _, u := range c.comp[h] {
		if identical(u.Value, t.Value) {
			return u
		}
	}
	c.comp[h] = append(c.comp[h], t)
	return t
}

// identical is stricter than ast equality: numbers must be spelled the same
// (1 and 1.0 are equal in Rego but print differently), so sharing never
// changes what a policy can observe.
func identical(a, b ast.Value) bool {
	switch a := a.(type) {
	case ast.String:
		b, ok := b.(ast.String)
		return ok && a == b
	case ast.Number:
		b, ok := b.(ast.Number)
		return ok && a == b
	case ast.Boolean:
		b, ok := b.(ast.Boolean)
		return ok && a == b
	case ast.Null:
		_, ok := b.(ast.Null)
		return ok
	case *ast.Array:
		b, ok := b.(*ast.Array)
		if !ok || a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if x, y := a.Elem(i), b.Elem(i); x != y && !identical(x.Value, y.Value) {
				return false
			}
		}
		return true
	case ast.Object:
		b, ok := b.(ast.Object)
		if !ok || a.Len() != b.Len() {
			return false
		}
		same := true
		a.Until(func(k, x *ast.Term) bool {
			y := b.Get(k)
			if y == nil || (x != y && !identical(x.Value, y.Value)) {
				same = false
			}
			return !same
		})
		return same
	}
	return false
}
