package snapshot

import (
	"bytes"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// ValueFunc takes one object decoded by ReadValues' fast path: v is its
// "object" document, valid only during the call (it lives in the decoding
// goroutine's parser, which the next object reuses), and a an arena for
// the values it sets in v. It returns false to have the object decoded as
// ReadEach decodes it instead (its each is then called).
type ValueFunc func(o *Object, v *fastjson.Value, a *fastjson.Arena) bool

// ReadValues decodes a snapshot as ReadEach does, but each element of
// objects is parsed with fastjson into a reusable arena and its document
// handed to value, without the map[string]any ReadEach builds. Whatever
// fastjson could decode differently from encoding/json is decoded as
// ReadEach decodes it, then given to each: an element that is not a valid
// object or whose fields have the wrong types (for encoding/json's error,
// which names the element), invalid UTF-8 or a \uD... escape (encoding/json
// replaces lone surrogates with U+FFFD, fastjson keeps them), a repeated
// key in the document (encoding/json keeps the last; several "object"
// fields are merged), a document deeper than fastjson's limit, or value
// declining it. The result is the one ReadEach gives.
func ReadValues(r io.Reader, each func(*Object), value ValueFunc) (*Snapshot, error) {
	return read(r, each, value)
}

// fastDecoder is one decoding goroutine's parser and arena.
type fastDecoder struct {
	p    fastjson.Parser
	a    fastjson.Arena
	num  []byte
	keys [][]byte
	seen map[string]struct{}
}

// decode decodes raw into o by the fast path, or returns false with o
// untouched.
func (d *fastDecoder) decode(raw []byte, o *Object, value ValueFunc) bool {
	if !utf8.Valid(raw) || bytes.Contains(raw, []byte(`\ud`)) || bytes.Contains(raw, []byte(`\uD`)) {
		return false
	}
	v, err := d.p.ParseBytes(raw)
	if err != nil {
		return false
	}
	elem, err := v.Object()
	if err != nil {
		return false
	}
	var (
		obj     Object
		doc     *fastjson.Value
		ok      = true
		objects = 0
	)
	elem.Visit(func(k []byte, fv *fastjson.Value) {
		if !ok {
			return
		}
		switch {
		case bytes.EqualFold(k, []byte("apiVersion")):
			ok = strField(fv, &obj.APIVersion)
		case bytes.EqualFold(k, []byte("kind")):
			ok = strField(fv, &obj.Kind)
		case bytes.EqualFold(k, []byte("namespace")):
			ok = strField(fv, &obj.Namespace)
		case bytes.EqualFold(k, []byte("name")):
			ok = strField(fv, &obj.Name)
		case bytes.EqualFold(k, []byte("file")):
			ok = strField(fv, &obj.File)
		case bytes.EqualFold(k, []byte("line")):
			ok = d.intField(fv, &obj.Line)
		case bytes.EqualFold(k, []byte("object")):
			objects++
			switch fv.Type() {
			case fastjson.TypeNull:
				doc = nil
			case fastjson.TypeObject:
				doc = fv
			default:
				ok = false
			}
		}
	})
	if !ok || objects > 1 || (doc != nil && d.repeatedKey(doc)) {
		return false
	}
	if doc != nil {
		d.a.Reset()
		if !value(&obj, doc, &d.a) {
			return false
		}
	}
	*o = obj
	return true
}

// strField sets a string field as encoding/json does: null leaves it.
func strField(v *fastjson.Value, s *string) bool {
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		*s = string(b)
		return true
	}
	return false
}

// intField sets an int field as encoding/json does: null leaves it, a
// number must parse as a decimal int64.
func (d *fastDecoder) intField(v *fastjson.Value, n *int) bool {
	switch v.Type() {
	case fastjson.TypeNull:
		return true
	case fastjson.TypeNumber:
		d.num = v.MarshalTo(d.num[:0])
		i, err := strconv.ParseInt(string(d.num), 10, 64)
		if err != nil || int64(int(i)) != i {
			return false
		}
		*n = int(i)
		return true
	}
	return false
}

// repeatedKey reports whether an object in v has a key twice.
func (d *fastDecoder) repeatedKey(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		rep := false
		if o.Len() > 1 {
			mark := len(d.keys)
			o.Visit(func(k []byte, _ *fastjson.Value) { d.keys = append(d.keys, k) })
			keys := d.keys[mark:]
			if len(keys) <= 16 {
				for i := 1; i < len(keys) && !rep; i++ {
					for j := 0; j < i; j++ {
						if bytes.Equal(keys[i], keys[j]) {
							rep = true
							break
						}
					}
				}
			} else {
				if d.seen == nil {
					d.seen = map[string]struct{}{}
				}
				clear(d.seen)
				for _, k := range keys {
					if _, ok := d.seen[string(k)]; ok {
						rep = true
						break
					}
					d.seen[string(k)] = struct{}{}
				}
			}
			d.keys = d.keys[:mark]
		}
		if rep {
			return true
		}
		o.Visit(func(_ []byte, c *fastjson.Value) {
			if !rep && d.repeatedKey(c) {
				rep = true
			}
		})
		return rep
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, c := range a {
			if d.repeatedKey(c) {
				return true
			}
		}
	}
	return false
}
