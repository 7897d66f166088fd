package collectors

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	istioscheme "istio.io/client-go/pkg/clientset/versioned/scheme"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// issue is one validity problem of an object: the dotted field path and
// what is wrong with it.
type issue struct {
	path string
	msg  string
}

// istioSpec returns a new message of the API type of an Istio kind's spec
// (istio.io/client-go's typed objects, whose specs are istio.io/api's
// protobuf messages), or nil when client-go does not know the kind and
// version.
func istioSpec(apiVersion, kind string) proto.Message {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || !strings.HasSuffix(gv.Group, ".istio.io") {
		return nil
	}
	obj, err := istioscheme.Scheme.New(gv.WithKind(kind))
	if err != nil {
		return nil
	}
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Spec")
	if !f.IsValid() || !f.CanAddr() {
		return nil
	}
	m, _ := f.Addr().Interface().(proto.Message)
	return m
}

// validateIstio decodes an Istio object's spec strictly through its API
// type, as istioctl validate does: an unknown field, an enum value the API
// does not define, a value of the wrong type and two alternatives of a
// oneof are issues naming the field. known is false when the kind is not
// an Istio API type client-go knows.
func validateIstio(apiVersion, kind string, obj map[string]any) (issues []issue, known bool) {
	m := istioSpec(apiVersion, kind)
	if m == nil {
		return nil, false
	}
	spec, ok := obj["spec"]
	if !ok {
		return nil, true
	}
	w := &protoWalk{}
	w.message(m.ProtoReflect().Descriptor(), spec, "spec")
	if len(w.issues) == 0 {
		// The walk checks names, enums and JSON types; the decoder checks
		// the rest (number ranges, durations, ...).
		b, err := json.Marshal(spec)
		if err == nil {
			err = protojson.UnmarshalOptions{}.Unmarshal(b, m)
		}
		if err != nil {
			w.issues = append(w.issues, issue{path: "spec", msg: "does not decode as " + string(m.ProtoReflect().Descriptor().FullName()) + ": " + strings.TrimPrefix(err.Error(), "proto: ")})
		}
	}
	return w.issues, true
}

type protoWalk struct{ issues []issue }

func (w *protoWalk) add(path, format string, args ...any) {
	w.issues = append(w.issues, issue{path: path, msg: fmt.Sprintf(format, args...)})
}

// wellKnown are google.protobuf messages with a special JSON form; their
// values are checked by the decoder, not walked.
func wellKnown(md protoreflect.MessageDescriptor) bool {
	return strings.HasPrefix(string(md.FullName()), "google.protobuf.")
}

func (w *protoWalk) message(md protoreflect.MessageDescriptor, v any, path string) {
	m, ok := v.(map[string]any)
	if !ok {
		w.add(path, "want an object (%s), found %s", md.Name(), typeName(v))
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := md.Fields()
	oneofs := map[protoreflect.FullName]string{}
	for _, k := range keys {
		fd := fields.ByJSONName(k)
		if fd == nil {
			fd = fields.ByTextName(k)
		}
		p := path + "." + k
		if fd == nil {
			msg := fmt.Sprintf("unknown field %q in %s", k, md.FullName())
			if s := closest(k, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			w.add(p, "%s", msg)
			continue
		}
		if o := fd.ContainingOneof(); o != nil && !o.IsSynthetic() {
			if prev, dup := oneofs[o.FullName()]; dup {
				w.add(p, "%q and %q are alternatives (oneof %s): set only one", prev, k, o.Name())
			}
			oneofs[o.FullName()] = k
		}
		w.field(fd, m[k], p)
	}
}

func (w *protoWalk) field(fd protoreflect.FieldDescriptor, v any, path string) {
	switch {
	case fd.IsMap():
		m, ok := v.(map[string]any)
		if !ok {
			w.add(path, "want a map, found %s", typeName(v))
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w.value(fd.MapValue(), m[k], path+"."+k)
		}
	case fd.IsList():
		l, ok := v.([]any)
		if !ok {
			w.add(path, "want a list, found %s", typeName(v))
			return
		}
		for i, e := range l {
			w.value(fd, e, path+"["+strconv.Itoa(i)+"]")
		}
	default:
		w.value(fd, v, path)
	}
}

func (w *protoWalk) value(fd protoreflect.FieldDescriptor, v any, path string) {
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if !wellKnown(fd.Message()) {
			w.message(fd.Message(), v, path)
			return
		}
		switch name := fd.Message().Name(); name {
		case "BoolValue":
			if _, ok := v.(bool); !ok {
				w.add(path, "want a boolean, found %s", typeName(v))
			}
		case "StringValue", "Duration", "Timestamp", "FieldMask":
			if _, ok := v.(string); !ok {
				w.add(path, "want a string, found %s", typeName(v))
			}
		case "DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value", "UInt32Value":
			w.number(v, path)
		case "Struct":
			if _, ok := v.(map[string]any); !ok {
				w.add(path, "want an object, found %s", typeName(v))
			}
		case "ListValue":
			if _, ok := v.([]any); !ok {
				w.add(path, "want a list, found %s", typeName(v))
			}
		}
	case protoreflect.EnumKind:
		ed := fd.Enum()
		switch x := v.(type) {
		case string:
			if ed.Values().ByName(protoreflect.Name(x)) == nil {
				w.add(path, "invalid value %q for %s; valid: %s", x, ed.Name(), enumNames(ed))
			}
		case json.Number, int64, int, float64:
			n, err := strconv.ParseInt(fmt.Sprint(x), 10, 32)
			if err != nil || ed.Values().ByNumber(protoreflect.EnumNumber(n)) == nil {
				w.add(path, "invalid value %v for %s; valid: %s", x, ed.Name(), enumNames(ed))
			}
		default:
			w.add(path, "want one of %s, found %s", enumNames(ed), typeName(v))
		}
	case protoreflect.BoolKind:
		if _, ok := v.(bool); !ok {
			w.add(path, "want a boolean, found %s", typeName(v))
		}
	case protoreflect.StringKind, protoreflect.BytesKind:
		if _, ok := v.(string); !ok {
			w.add(path, "want a string, found %s", typeName(v))
		}
	default:
		w.number(v, path)
	}
}

// number: a JSON number, or a string holding one (protojson's 64-bit form).
func (w *protoWalk) number(v any, path string) {
	switch x := v.(type) {
	case json.Number, int64, int, float64: // files decode numbers as json.Number, the live client as int64 or float64
	case string:
		if _, err := strconv.ParseFloat(x, 64); err != nil {
			w.add(path, "want a number, found %q", x)
		}
	default:
		w.add(path, "want a number, found %s", typeName(v))
	}
}

func enumNames(ed protoreflect.EnumDescriptor) string {
	var names []string
	for i := 0; i < ed.Values().Len(); i++ {
		names = append(names, string(ed.Values().Get(i).Name()))
	}
	return strings.Join(names, ", ")
}

// closest is the field name nearest to k (edit distance at most 2), or "".
func closest(k string, fields protoreflect.FieldDescriptors) string {
	best, bestD := "", 3
	for i := 0; i < fields.Len(); i++ {
		n := fields.Get(i).JSONName()
		if d := editDistance(strings.ToLower(k), strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Damerau–Levenshtein distance (adjacent swaps count
// one: mtsl → mtls).
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := 0; j <= len(b); j++ {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
