package evaluate

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/valyala/fastjson"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/snapshot"
)

// canon prints a term with its numbers as spelled and object keys sorted:
// two terms print alike only when a policy cannot tell them apart.
func canon(b *strings.Builder, t *ast.Term) {
	switch v := t.Value.(type) {
	case ast.Number:
		b.WriteString("n:" + string(v))
	case ast.String:
		b.WriteString(strconv.Quote(string(v)))
	case ast.Boolean, ast.Null:
		b.WriteString(v.String())
	case *ast.Array:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			canon(b, v.Elem(i))
			b.WriteByte(',')
		}
		b.WriteByte(']')
	case ast.Object:
		keys := v.Keys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].Value.Compare(keys[j].Value) < 0 })
		b.WriteByte('{')
		for _, k := range keys {
			canon(b, k)
			b.WriteByte(':')
			canon(b, v.Get(k))
			b.WriteByte(',')
		}
		b.WriteByte('}')
	default:
		b.WriteString("?" + v.String())
	}
}

// counting is a Converter counting the objects each path converts.
type counting struct {
	*Converter
	values, maps atomic.Int64
}

func (c *counting) Convert(o *snapshot.Object) { c.maps.Add(1); c.Converter.Convert(o) }
func (c *counting) ConvertValue(o *snapshot.Object, v *fastjson.Value) bool {
	c.values.Add(1)
	return c.Converter.ConvertValue(o, v)
}

// sameConverted reads the snapshot file both ways, maps then Convert (as
// before ReadValues) and FromSnapshotFileConverted, and fails unless the
// snapshots and every object's term are equal. It returns the counts.
func sameConverted(t *testing.T, path string) (values, maps int64) {
	t.Helper()
	want, werr := collectors.FromSnapshotFile(path, nil, "istio-system", NewConverter().Convert)
	c := &counting{Converter: NewConverter()}
	got, gerr := collectors.FromSnapshotFileConverted(path, nil, "istio-system", c)
	if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
		t.Fatalf("errors differ: maps %v, values %v", werr, gerr)
	}
	if werr != nil {
		return c.values.Load(), c.maps.Load()
	}
	if len(want.Objects) != len(got.Objects) {
		t.Fatalf("%d objects, want %d", len(got.Objects), len(want.Objects))
	}
	for i := range want.Objects {
		w, g := want.Objects[i], got.Objects[i]
		if w.Object != nil || g.Object != nil {
			t.Fatalf("object %d not converted: %v %v", i, w.Object, g.Object)
		}
		var wb, gb strings.Builder
		canon(&wb, w.Value.(*ast.Term))
		canon(&gb, g.Value.(*ast.Term))
		if wb.String() != gb.String() || !w.Value.(*ast.Term).Equal(g.Value.(*ast.Term)) {
			t.Fatalf("%s: terms differ:\nmaps:   %s\nvalues: %s", w.Ref().FQN(), wb.String(), gb.String())
		}
		w.Value, g.Value = nil, nil
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("object %d differs: %+v, want %+v", i, g, w)
		}
	}
	want.Objects, got.Objects = nil, nil
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("snapshot differs: %+v, want %+v", got, want)
	}
	return c.values.Load(), c.maps.Load()
}

// TestConvertValueMatchesConvert: every shape of the generator's
// snapshots, all decoded by the fast path, and documents the fast path
// leaves to encoding/json, convert to the terms Convert gives.
func TestConvertValueMatchesConvert(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range []gen.Shape{gen.ShapeDefault, gen.ShapeMessy, gen.ShapeManifests, gen.ShapePolicy} {
		name := string(shape)
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".json")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := gen.Generate(gen.Config{Objects: 1500, Seed: 3, Shape: shape}).Snapshot("c").Write(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			values, maps := sameConverted(t, path)
			if values == 0 || maps != 0 {
				t.Fatalf("%d objects by the fast path, %d by encoding/json: want all by the fast path", values, maps)
			}
		})
	}
	for name, doc := range map[string]string{
		"redaction": `{"kind":"Pod","name":"p","object":{"metadata":{"name":"p","labels":null,"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},"managedFields":[{}]},"spec":{"containers":[{"image":"i","command":["sh","-c","x"],"args":["--a=b","--grpcAddr=x"],"env":[{"name":"S","value":"s"},{"name":"CA_ADDR","value":"x"},{"name":"N","value":null}]}]}}},
			{"kind":"Secret","name":"s","object":{"data":{"k":"dg=="},"type":"Opaque"}},
			{"kind":"ConfigMap","name":"istio","object":{"metadata":{"namespace":"istio-system","name":"istio"},"data":{"mesh":"m","other":"o"}}}`,
		"numbers":           `{"kind":"Pod","name":"p","object":{"a":[1,1.0,1e2,-0,12345678901234567890,1E2],"b":1,"c":1.0}}`,
		"shared":            `{"kind":"Pod","name":"p","object":{"a":{"x":[1,2]},"b":{"x":[1,2]},"c":[{"x":[1,2]}]}},{"kind":"Pod","name":"q","object":{"a":{"x":[1,2]}}}`,
		"repeated key":      `{"kind":"Pod","name":"p","object":{"a":1,"a":null,"b":{"c":1,"c":2}}}`,
		"surrogate":         `{"kind":"Pod","name":"p","object":{"s":"\ud800x","t":"\ud83d\ude00"}}`,
		"escapes":           `{"kind":"Pod","name":"p","object":{"k\u0065y":"\u00e9\n\"\\\/\u0000"}}`,
		"wrong field type":  `{"kind":"Pod","name":"p","object":{}},{"kind":"Pod","name":5,"object":{}}`,
		"invalid element":   `{"kind":"Pod","name":"p","object":{"a":01}}`,
		"object not object": `{"kind":"Pod","name":"p","object":[1]}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, "doc.json")
			doc := `{"schemaVersion":"meshaudit.io/snapshot/v1","source":{"type":"cluster"},"objects":[` + doc + `]}`
			if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			sameConverted(t, path)
		})
	}
}
