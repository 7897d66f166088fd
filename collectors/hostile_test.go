package collectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileInputs: each hostile file gets a clear parse error naming the
// file (and line where there is one), while the good file beside it is
// still read.
func TestHostileInputs(t *testing.T) {
	dir := t.TempDir()
	good := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: good}\n"
	write(t, dir, "00-good.yaml", good)
	var bomb strings.Builder
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 10; i++ {
		bomb.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [" + strings.TrimSuffix(strings.Repeat("*a"+itoa(i-1)+", ", 9), ", ") + "]\n")
	}
	write(t, dir, "bomb.yaml", bomb.String())
	write(t, dir, "deep.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: "+strings.Repeat("[", 10001)+strings.Repeat("]", 10001)+"\n")
	write(t, dir, "utf8.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"bad\xff\xfe\"}\n")
	write(t, dir, "binary.yaml", "\x7fELF\x02\x01\x01\x00\x00\x00")
	write(t, dir, "scalar.yaml", "just a string\n")
	write(t, dir, "unknown.yaml", "apiVersion: example.com/v9\nkind: Gizmo\nmetadata: {name: g}\n")
	os.Symlink(filepath.Join(dir, "missing-target.yaml"), filepath.Join(dir, "dangling.yaml"))
	big := strings.Repeat("# padding line to make a big document\n", 3000) + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n"
	write(t, dir, "big.yaml", big)
	s := FromFiles(FileOptions{Paths: []string{dir}, Namespace: "default", RootNamespace: "istio-system", WorkDir: dir, MaxDocumentBytes: 64 << 10, MaxFileBytes: 1 << 20})
	reasons := map[string]string{}
	for _, pe := range s.ParseErrors {
		reasons[pe.File] = pe.Reason
	}
	want := map[string]string{
		"bomb.yaml":     "excessive aliasing",
		"deep.yaml":     "max depth",
		"utf8.yaml":     "UTF-8",
		"binary.yaml":   "binary content",
		"dangling.yaml": "no such file",
		"big.yaml":      "limit",
	}
	for f, sub := range want {
		if !strings.Contains(reasons[f], sub) {
			t.Errorf("%s: reason %q, want it to mention %q", f, reasons[f], sub)
		}
	}
	// A YAML scalar holds no Kubernetes object: skipped with a notice.
	if len(s.Notices) != 1 || s.Notices[0].File != "scalar.yaml" || s.Notices[0].Kind != "skipped" {
		t.Errorf("notices: %+v, want scalar.yaml skipped", s.Notices)
	}
	names := map[string]bool{}
	for _, o := range s.Objects {
		names[o.Name] = true
	}
	if !names["good"] || !names["g"] || len(s.Objects) != 2 {
		t.Errorf("objects read: %v (the good file and the unknown kind must be read)", names)
	}
	// A file over the file limit is never read whole.
	huge := filepath.Join(dir, "huge.yaml")
	f, _ := os.Create(huge)
	f.Truncate(2 << 20)
	f.Close()
	s = FromFiles(FileOptions{Paths: []string{huge}, MaxFileBytes: 1 << 20})
	if len(s.ParseErrors) != 1 || !strings.Contains(s.ParseErrors[0].Reason, "not read") {
		t.Errorf("huge file: %+v", s.ParseErrors)
	}
}
