package collectors

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/snapshot"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func collect(t *testing.T, dir string, paths ...string) *snapshot.Snapshot {
	t.Helper()
	return FromFiles(FileOptions{Paths: paths, Namespace: "defns", Cluster: "c", RootNamespace: "istio-system", WorkDir: dir})
}

func find(s *snapshot.Snapshot, fqn string) *snapshot.Object {
	for i := range s.Objects {
		if s.Objects[i].Ref().FQN() == fqn {
			return &s.Objects[i]
		}
	}
	return nil
}

func TestDocumentsListsAndLines(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "m/a.yaml", `# leading comment
---
apiVersion: v1
kind: Service
metadata:
  name: svc
---

# comment before the document
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: cm1, namespace: x}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: ClusterRole
    metadata: {name: reader, namespace: ignored}
---
apiVersion: v1
kind: ServiceList
items:
- {apiVersion: v1, kind: Service, metadata: {name: svc2}}
`)
	write(t, dir, "m/sub/b.json", `{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "defns"}}`)
	write(t, dir, "m/readme.md", "not yaml")
	s := collect(t, dir, filepath.Join(dir, "m"))
	if len(s.ParseErrors) != 0 {
		t.Fatalf("parse errors: %+v", s.ParseErrors)
	}
	want := map[string]string{
		"Service/defns/svc":  "m/a.yaml:3",
		"ConfigMap/x/cm1":    "m/a.yaml:10",
		"ClusterRole/reader": "m/a.yaml:10",
		"Service/defns/svc2": "m/a.yaml:20",
		"Namespace/defns":    "m/sub/b.json:1",
	}
	if len(s.Objects) != len(want) {
		t.Fatalf("%d objects: %+v", len(s.Objects), s.Objects)
	}
	for fqn, loc := range want {
		o := find(s, fqn)
		if o == nil {
			t.Errorf("%s missing", fqn)
			continue
		}
		if got := o.File + ":" + itoa(o.Line); got != loc {
			t.Errorf("%s at %s, want %s", fqn, got, loc)
		}
	}
	if md := find(s, "ClusterRole/reader").Object["metadata"].(map[string]any); md["namespace"] != nil {
		t.Error("cluster-scoped object kept a namespace")
	}
	if md := find(s, "Service/defns/svc").Object["metadata"].(map[string]any); md["namespace"] != "defns" {
		t.Error("namespace not defaulted in the object")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestBadInputIsDataNotAbort(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [\n---\n- just\n- a list\n---\nkind: Thing\nmetadata: {name: x}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok2\n  name: dup-key\n")
	write(t, dir, "bin.yaml", "\x00\x01\x02binary")
	write(t, dir, "dup.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok1}\n")
	s := collect(t, dir, dir, filepath.Join(dir, "missing.yaml"))
	got := map[string]bool{}
	for _, pe := range s.ParseErrors {
		got[pe.File+":"+strings.Split(pe.Reason, ":")[0]] = true
		if pe.File == "bad.yaml" && pe.Line == 0 {
			t.Errorf("no line for %+v", pe)
		}
	}
	for _, want := range []string{"bad.yaml:invalid YAML", "bad.yaml:document is not an object (a list)", "bad.yaml:not a Kubernetes object", "bin.yaml:not a text file (binary content)", "missing.yaml:stat"} {
		if !got[want] {
			t.Errorf("no parse error %q in %+v", want, s.ParseErrors)
		}
	}
	// The duplicate key document is rejected (strict), naming its line.
	dupKey := false
	for _, pe := range s.ParseErrors {
		if pe.File == "bad.yaml" && strings.Contains(pe.Reason, "already set") {
			dupKey = pe.Line == 21
		}
	}
	if !dupKey {
		t.Errorf("duplicate key not reported with its line: %+v", s.ParseErrors)
	}
	// The later definition of ok1 (dup.yaml, after bad.yaml) is judged,
	// with a duplicate notice naming both places; never a parse error.
	if len(s.Objects) != 1 || s.Objects[0].Name != "ok1" || s.Objects[0].File != "dup.yaml" {
		t.Errorf("objects: %+v", s.Objects)
	}
	if len(s.Notices) != 1 || s.Notices[0].Kind != snapshot.NoticeDuplicate || s.Notices[0].File != "dup.yaml" || s.Notices[0].Line != 1 ||
		!strings.Contains(s.Notices[0].Message, "at bad.yaml:1 and here") || s.Notices[0].Object != "ConfigMap/defns/ok1" {
		t.Errorf("duplicate notice: %+v", s.Notices)
	}
	for _, pe := range s.ParseErrors {
		if pe.File == "bad.yaml" && strings.HasPrefix(pe.Reason, "invalid YAML") && !strings.Contains(pe.Reason, "already set") && pe.Line != 9 {
			t.Errorf("YAML error at line %d, want 9: %s", pe.Line, pe.Reason)
		}
	}
}

func TestSymlinkLoopAndStdin(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "d/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
	if err := os.Symlink(filepath.Join(dir, "d"), filepath.Join(dir, "d", "loop")); err != nil {
		t.Skip("symlinks unsupported")
	}
	s := collect(t, dir, filepath.Join(dir, "d"))
	if len(s.Objects) != 1 || len(s.ParseErrors) != 0 {
		t.Fatalf("symlink loop: %+v %+v", s.Objects, s.ParseErrors)
	}
	s = FromFiles(FileOptions{Paths: []string{"-"}, Namespace: "n", Stdin: strings.NewReader("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: s}\n")})
	if len(s.Objects) != 1 || s.Objects[0].File != "<stdin>" {
		t.Fatalf("stdin: %+v", s.Objects)
	}
}

const canary = "CANARY-7f3e"

func TestRedaction(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "r.yaml", `apiVersion: v1
kind: Secret
metadata:
  name: s
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"k":"`+canary+`"}}'
data:
  k: `+canary+`
stringData:
  k2: `+canary+`
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data: {password: `+canary+`}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: istio, namespace: istio-system}
data:
  mesh: "outboundTrafficPolicy: {mode: REGISTRY_ONLY}"
  extra: `+canary+`
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: j
  managedFields: [{manager: `+canary+`}]
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: c
              image: x:1
              env:
                - {name: A, value: `+canary+`}
                - name: B
                  valueFrom: {secretKeyRef: {name: s, key: k}}
`)
	s := collect(t, dir, dir)
	var b strings.Builder
	if err := s.Write(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), canary) {
		t.Fatalf("canary leaked into the snapshot:\n%s", b.String())
	}
	for _, want := range []string{"REGISTRY_ONLY", "secretKeyRef", snapshot.Redacted} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("snapshot lost %q", want)
		}
	}
}
