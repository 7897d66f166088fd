package cmd

import (
	"bytes"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nonRootUID is the image's user (Dockerfile USER, distroless "nonroot",
// the Helm chart's runAsUser).
const nonRootUID = 65532

// TestStaticBinaryNonRoot builds meshaudit the way the Dockerfile does
// (hack/build-static.sh: CGO_ENABLED=0, -trimpath, version in -ldflags),
// checks that it is statically linked (no program interpreter, no dynamic
// section, no needed shared library), and runs it as UID/GID 65532 from a
// directory it cannot write — `version` and a whole scan — as the image
// does with a read-only root filesystem. No Docker engine is needed.
func TestStaticBinaryNonRoot(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image is linux; static linking is checked on linux only")
	}
	if testing.Short() {
		t.Skip("-short: skipping the static build")
	}
	dir := t.TempDir()
	// t.TempDir and its parent are 0700: let the non-root user in.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "meshaudit")
	start := time.Now()
	build := exec.Command("sh", "../hack/build-static.sh", bin)
	build.Env = append(os.Environ(), "VERSION=v0.0.0-imagetest")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("hack/build-static.sh: %v\n%s", err, out)
	}
	t.Logf("static build: %s", time.Since(start).Round(time.Millisecond))

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("binary has a program interpreter (PT_INTERP): dynamically linked")
		}
		if p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a dynamic section (PT_DYNAMIC)")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("needed shared libraries (DT_NEEDED): %v %v", libs, err)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("ELF type %s, want a plain executable", f.Type)
	}

	// Inputs the non-root user can read, in a folder it cannot write.
	shop := filepath.Join(dir, "shop")
	if err := os.Mkdir(shop, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir("../examples/shop")
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("../examples/shop", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shop, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	asNonRoot := func(args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
		c := exec.Command(bin, args...)
		c.Dir = dir
		// The image's environment: no HOME to write to, no KUBECONFIG.
		c.Env = []string{"PATH=/usr/bin:/bin", "TMPDIR=" + dir}
		if os.Geteuid() == 0 {
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nonRootUID, Gid: nonRootUID, NoSetGroups: true}}
		}
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		return c, &out, &errb
	}

	c, out, errb := asNonRoot("version", "-o", "json")
	if err := c.Run(); err != nil {
		t.Fatalf("meshaudit version as UID %d: %v\n%s", nonRootUID, err, errb)
	}
	var info map[string]string
	if err := json.Unmarshal(out.Bytes(), &info); err != nil {
		t.Fatalf("version -o json: %v: %s", err, out)
	}
	if info["version"] != "v0.0.0-imagetest" || !strings.HasPrefix(info["policies"], "sha256:") || info["go"] != runtime.Version() {
		t.Errorf("version: %v", info)
	}

	// A whole scan as the non-root user: reads its inputs, writes nothing
	// but stdout, exits 1 (the example has findings at or above high).
	c, out, errb = asNonRoot("scan", "-f", "shop", "-o", "json", "--quiet")
	err = c.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != ExitFindings {
		t.Fatalf("scan as UID %d: %v, want exit %d\n%s", nonRootUID, err, ExitFindings, errb)
	}
	if !json.Valid(out.Bytes()) || !bytes.Contains(out.Bytes(), []byte(`"cluster": "manifests"`)) {
		t.Errorf("scan as non-root: no JSON report on stdout (%d bytes)", out.Len())
	}
	if after, _ := os.ReadDir(dir); len(after) != 2 {
		t.Errorf("the scan wrote files: %v", after)
	}
	if os.Geteuid() != 0 {
		t.Logf("not root: ran as UID %d (not %d)", os.Geteuid(), nonRootUID)
		return
	}
	// It really is not root: a report into the root-owned folder is refused.
	c, _, errb = asNonRoot("scan", "-f", "shop", "-o", "json=report.json", "--quiet")
	if err := c.Run(); err == nil || !strings.Contains(errb.String(), "permission denied") {
		t.Errorf("writing into a root-owned folder as UID %d: %v %s", nonRootUID, err, errb)
	}
}
