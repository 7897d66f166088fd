package snapshot

import (
	"github.com/valyala/fastjson"
)

// The functions below are DropNulls and Redact on a document parsed by
// fastjson (ReadValues), with no repeated keys. They must do exactly what
// their map versions do: TestReadValuesMatchesReadEach and FuzzRead compare
// both.

// DropNullsValue removes null-valued object members, recursively and in
// place (DropNulls).
func DropNullsValue(v *fastjson.Value) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		var nulls []string
		o.Visit(func(k []byte, c *fastjson.Value) {
			if c.Type() == fastjson.TypeNull {
				nulls = append(nulls, string(k))
				return
			}
			DropNullsValue(c)
		})
		for _, k := range nulls {
			o.Del(k)
		}
	case fastjson.TypeArray:
		a, _ := v.Array()
		for _, c := range a {
			DropNullsValue(c)
		}
	}
}

// objectOf is v's object, or nil.
func objectOf(v *fastjson.Value) *fastjson.Object {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	return o
}

// stringOf is v's string, or "".
func stringOf(v *fastjson.Value) string {
	if v == nil || v.Type() != fastjson.TypeString {
		return ""
	}
	b, _ := v.StringBytes()
	return string(b)
}

// RedactValue is Redact on a parsed document (nulls already dropped); a
// holds the values it sets.
func RedactValue(kind string, v *fastjson.Value, rootNamespace string, a *fastjson.Arena) {
	obj := objectOf(v)
	if obj == nil {
		return
	}
	md := objectOf(obj.Get("metadata"))
	if md != nil {
		md.Del("managedFields")
		if ann := objectOf(md.Get("annotations")); ann != nil {
			ann.Del(LastApplied)
		}
	}
	switch kind {
	case "Secret":
		obj.Del("data")
		obj.Del("stringData")
	case "ConfigMap":
		var ns, name string
		if md != nil {
			ns, name = stringOf(md.Get("namespace")), stringOf(md.Get("name"))
		}
		obj.Del("binaryData")
		if !IsMeshConfigMap(ns, name, rootNamespace) {
			obj.Del("data")
		} else if data := objectOf(obj.Get("data")); data != nil {
			var drop []string
			data.Visit(func(k []byte, _ *fastjson.Value) {
				if !meshKeys[string(k)] {
					drop = append(drop, string(k))
				}
			})
			for _, k := range drop {
				data.Del(k)
			}
		}
	}
	redactEnvValue(v, a)
}

// redactEnvValue is redactEnv on a parsed document.
func redactEnvValue(v *fastjson.Value, a *fastjson.Arena) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		container := o.Get("image") != nil
		o.Visit(func(k []byte, child *fastjson.Value) {
			key := string(k)
			if container && (key == "command" || key == "args") {
				if child.Type() == fastjson.TypeArray {
					list, _ := child.Array()
					for i, e := range list {
						if e.Type() == fastjson.TypeString {
							s := stringOf(e)
							if r := redactArg(s); r != s {
								child.SetArrayItem(i, a.NewString(r))
							}
						}
					}
				}
				return
			}
			if key == "env" {
				if child.Type() == fastjson.TypeArray {
					list, _ := child.Array()
					for _, e := range list {
						if em := objectOf(e); em != nil {
							name := stringOf(em.Get("name"))
							if em.Get("value") != nil && !SettingEnv[name] {
								em.Set("value", a.NewString(Redacted))
							}
						}
					}
				}
				return
			}
			redactEnvValue(child, a)
		})
	case fastjson.TypeArray:
		list, _ := v.Array()
		for _, c := range list {
			redactEnvValue(c, a)
		}
	}
}
