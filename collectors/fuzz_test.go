package collectors

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzManifests feeds arbitrary bytes to the manifest reader: it must never
// panic, every object must have kind and name, and every failure must be a
// parse error naming the input.
func FuzzManifests(f *testing.F) {
	for _, seed := range []string{
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, env: [{name: A, value: x}]}]}\n",
		"---\napiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}}]\n",
		"a: &a [*a, *a]\nb: *a\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  name: y\n",
		"{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {\"name\": \"s\"}, \"data\": {\"k\": \"dg==\"}}",
		"- 1\n- 2\n",
		"\xff\xfe\x00binary",
		"apiVersion: v1\nkind: ServiceList\nitems: 3\n",
		"metadata: ~\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := FromFiles(FileOptions{Paths: []string{"-"}, Namespace: "default", Cluster: "c", RootNamespace: "istio-system", Stdin: bytes.NewReader(data), MaxDocumentBytes: 1 << 20})
		for _, o := range s.Objects {
			if o.Kind == "" || o.Name == "" || o.Object == nil {
				t.Fatalf("object without kind/name: %+v", o)
			}
		}
		for _, pe := range s.ParseErrors {
			if pe.File != "<stdin>" || strings.TrimSpace(pe.Reason) == "" {
				t.Fatalf("parse error without file or reason: %+v", pe)
			}
		}
		var buf bytes.Buffer
		if err := s.Write(&buf); err != nil {
			t.Fatalf("snapshot does not encode: %v", err)
		}
	})
}
