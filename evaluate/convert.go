package evaluate

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/valyala/fastjson"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Converter converts objects for evaluation as a collector reads them
// (collectors.FileOptions.Convert, snapshot.ReadEach), from any goroutine,
// sharing equal sub-documents. Evaluate then reads Object.Value instead of
// converting Object, which the conversion drops: the input is never held
// both as decoded maps and as OPA's value. It keeps one table per core, so
// that the decoding goroutines do not wait for each other (an equal
// document converted by two of them is shared within each table only).
type Converter struct {
	shards []shard
}

type shard struct {
	mu sync.Mutex
	c  *converter
}

// NewConverter returns an empty converter; use one per snapshot.
func NewConverter() *Converter {
	c := &Converter{shards: make([]shard, runtime.GOMAXPROCS(0))}
	for i := range c.shards {
		c.shards[i].c = newConverter()
	}
	return c
}

// Convert sets o.Value and releases o.Object. An object that cannot be
// converted (a value of no JSON type) is left as it is, for Evaluate to
// report.
func (c *Converter) Convert(o *snapshot.Object) {
	if o.Object == nil {
		return // converted already
	}
	sh := c.lock()
	t, err := sh.c.term(o.Object)
	sh.mu.Unlock()
	if err == nil {
		o.Value, o.Object = t, nil
	}
}

// ConvertValue sets o.Value to the term of v, a document parsed by
// snapshot.ReadValues (redacted, nulls dropped), as Convert would convert
// the same document decoded by encoding/json, sharing the same tables. It
// returns false, leaving o as it is, when v cannot be converted.
func (c *Converter) ConvertValue(o *snapshot.Object, v *fastjson.Value) bool {
	sh := c.lock()
	t, err := sh.c.value(v)
	sh.mu.Unlock()
	if err != nil {
		return false
	}
	o.Value, o.Object = t, nil
	return true
}

// lock locks a free shard, else waits for the first.
func (c *Converter) lock() *shard {
	for i := range c.shards {
		if c.shards[i].mu.TryLock() {
			return &c.shards[i]
		}
	}
	c.shards[0].mu.Lock()
	return &c.shards[0]
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
//
// Children are converted first, so equal sub-documents are already the same
// term: an array or object is identified by its children's pointers (and
// its keys), hashed and compared without walking them, and built only when
// it is new. Numbers are shared only when spelled alike (1 and 1.0 are equal
// in Rego but print differently), so sharing never changes what a policy
// can observe.
type converter struct {
	strs  map[string]*ast.Term
	nums  map[string]*ast.Term   // by spelling
	comp  map[uint64][]*ast.Term // arrays and objects by children's hash
	stack []*ast.Term            // children of the documents being converted
	buf   []byte                 // a number's spelling (value)
}

var (
	nullTerm  = ast.NullTerm()
	trueTerm  = ast.BooleanTerm(true)
	falseTerm = ast.BooleanTerm(false)
)

func newConverter() *converter {
	return &converter{strs: map[string]*ast.Term{}, nums: map[string]*ast.Term{}, comp: map[uint64][]*ast.Term{}}
}

// strBytes is str of b, without copying b into a string when its term
// exists already (the map lookup does not allocate).
func (c *converter) strBytes(b []byte) *ast.Term {
	if t, ok := c.strs[string(b)]; ok {
		return t
	}
	return c.str(string(b))
}

func (c *converter) str(s string) *ast.Term {
	if t, ok := c.strs[s]; ok {
		return t
	}
	t := ast.StringTerm(s)
	c.strs[s] = t
	return t
}

// mix is SplitMix64's finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func id(t *ast.Term) uint64 { return uint64(uintptr(unsafe.Pointer(t))) }

func (c *converter) term(x any) (*ast.Term, error) {
	switch x := x.(type) {
	case nil:
		return nullTerm, nil
	case bool:
		if x {
			return trueTerm, nil
		}
		return falseTerm, nil
	case string:
		return c.str(x), nil
	case json.Number:
		return c.num(string(x))
	case []any:
		mark := len(c.stack)
		h := uint64(0x9e3779b97f4a7c15)
		for _, e := range x {
			t, err := c.term(e)
			if err != nil {
				c.stack = c.stack[:mark]
				return nil, err
			}
			c.stack = append(c.stack, t)
			h = mix(h ^ id(t))
		}
		return c.array(mark, h), nil
	case map[string]any:
		mark := len(c.stack)
		h := uint64(0)
		for k, v := range x {
			t, err := c.term(v)
			if err != nil {
				c.stack = c.stack[:mark]
				return nil, err
			}
			kt := c.str(k)
			c.stack = append(c.stack, kt, t)
			h += mix(id(kt)*31 ^ id(t)) // order-independent
		}
		return c.object(mark, h), nil
	default:
		v, err := ast.InterfaceToValue(x)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(ast.Number); ok { // float64, int... (decoded without UseNumber)
			if t, ok := c.nums[string(n)]; ok {
				return t, nil
			}
			t := ast.NewTerm(n)
			c.nums[string(n)] = t
			return t, nil
		}
		return ast.NewTerm(v), nil
	}
}

// num is the term of a number spelled s.
func (c *converter) num(s string) (*ast.Term, error) {
	if t, ok := c.nums[s]; ok {
		return t, nil
	}
	v, err := ast.InterfaceToValue(json.Number(s))
	if err != nil {
		return nil, err
	}
	t := ast.NewTerm(v)
	c.nums[s] = t
	return t, nil
}

// array is the array of the terms on the stack from mark, whose hash is h;
// it pops them.
func (c *converter) array(mark int, h uint64) *ast.Term {
	elems := c.stack[mark:]
	defer func() { c.stack = c.stack[:mark] }()
	for _, u := range c.comp[h] {
		if a, ok := u.Value.(*ast.Array); ok && a.Len() == len(elems) && sameElems(a, elems) {
			return u
		}
	}
	t := ast.ArrayTerm(append([]*ast.Term(nil), elems...)...)
	c.comp[h] = append(c.comp[h], t)
	return t
}

// object is the object of the key/value terms on the stack from mark, whose
// members' hash is h; it pops them.
func (c *converter) object(mark int, h uint64) *ast.Term {
	kvs := c.stack[mark:]
	defer func() { c.stack = c.stack[:mark] }()
	h = mix(h ^ uint64(len(kvs)/2))
	for _, u := range c.comp[h] {
		if o, ok := u.Value.(ast.Object); ok && o.Len() == len(kvs)/2 && sameItems(o, kvs) {
			return u
		}
	}
	items := make([][2]*ast.Term, len(kvs)/2)
	for i := range items {
		items[i] = [2]*ast.Term{kvs[2*i], kvs[2*i+1]}
	}
	t := ast.ObjectTerm(items...)
	c.comp[h] = append(c.comp[h], t)
	return t
}

// value converts a document parsed by fastjson (keys unique) as term
// converts the same document decoded by encoding/json.
func (c *converter) value(v *fastjson.Value) (*ast.Term, error) {
	switch v.Type() {
	case fastjson.TypeNull:
		return nullTerm, nil
	case fastjson.TypeTrue:
		return trueTerm, nil
	case fastjson.TypeFalse:
		return falseTerm, nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return c.strBytes(b), nil
	case fastjson.TypeNumber:
		c.buf = v.MarshalTo(c.buf[:0])
		if t, ok := c.nums[string(c.buf)]; ok {
			return t, nil
		}
		return c.num(string(c.buf))
	case fastjson.TypeArray:
		a, _ := v.Array()
		mark := len(c.stack)
		h := uint64(0x9e3779b97f4a7c15)
		for _, e := range a {
			t, err := c.value(e)
			if err != nil {
				c.stack = c.stack[:mark]
				return nil, err
			}
			c.stack = append(c.stack, t)
			h = mix(h ^ id(t))
		}
		return c.array(mark, h), nil
	case fastjson.TypeObject:
		o, _ := v.Object()
		mark := len(c.stack)
		h := uint64(0)
		var err error
		o.Visit(func(k []byte, e *fastjson.Value) {
			if err != nil {
				return
			}
			var t *ast.Term
			if t, err = c.value(e); err != nil {
				return
			}
			kt := c.strBytes(k)
			c.stack = append(c.stack, kt, t)
			h += mix(id(kt)*31 ^ id(t)) // order-independent
		})
		if err != nil {
			c.stack = c.stack[:mark]
			return nil, err
		}
		return c.object(mark, h), nil
	}
	return nil, fmt.Errorf("unexpected JSON type %s", v.Type())
}

func sameElems(a *ast.Array, elems []*ast.Term) bool {
	for i, t := range elems {
		if a.Elem(i) != t {
			return false
		}
	}
	return true
}

// sameItems: o holds exactly the key/value terms of kvs (k1, v1, k2, v2...),
// o having as many keys.
func sameItems(o ast.Object, kvs []*ast.Term) bool {
	for i := 0; i < len(kvs); i += 2 {
		if o.Get(kvs[i]) != kvs[i+1] {
			return false
		}
	}
	return true
}
