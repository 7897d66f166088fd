package scanner

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestMalformedFileNamedWithLine(t *testing.T) {
	code, out, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-f", "testdata/cli/bad.yaml", "-o", "json")
	if code != Incomplete {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "testdata/cli/bad.yaml:15: invalid YAML") {
		t.Errorf("stderr does not name file and line:\n%s", stderr)
	}
	var rep struct {
		Summary     struct{ Complete bool }
		ParseErrors []struct {
			File string
			Line int
		}
		Kinds []struct {
			Kind  string
			Count int
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Complete || len(rep.ParseErrors) != 1 || rep.ParseErrors[0].File != "testdata/cli/bad.yaml" || rep.ParseErrors[0].Line != 15 {
		t.Fatalf("report: %+v", rep)
	}
	// The good document of the bad file was still scanned.
	found := false
	for _, k := range rep.Kinds {
		if k.Kind == "ConfigMap" {
			found = k.Count == 1
		}
	}
	if !found {
		t.Errorf("the good ConfigMap before the broken document was not scanned: %+v", rep.Kinds)
	}
}

func TestSeveralOutputsInOneRun(t *testing.T) {
	dir := t.TempDir()
	sarif, js := filepath.Join(dir, "out.sarif"), filepath.Join(dir, "out.json")
	code, out, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/privileged.yaml", "-o", "table", "-o", "sarif="+sarif, "-o", "json="+js)
	if code != Findings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "POD-03") || !strings.Contains(out, "NIST SP 800-53 controls") {
		t.Errorf("table on stdout:\n%s", out)
	}
	for _, f := range []string{sarif, js} {
		b, err := os.ReadFile(f)
		if err != nil || !json.Valid(b) {
			t.Errorf("%s: %v", f, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestStdinAndDeterminism(t *testing.T) {
	in, err := os.ReadFile("../testdata/cli/privileged.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for i := 0; i < 3; i++ {
		code, out, _ := scanCLI(t, string(in), "scan", "-f", "-", "-o", "sarif")
		if code != Findings {
			t.Fatalf("exit %d", code)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] || outs[1] != outs[2] {
		t.Fatal("same input gave different SARIF")
	}
	if strings.Contains(outs[0], `"uri": "<stdin>"`) {
		t.Error("stdin must not be a SARIF artifact location")
	}
}

// A scan sets its GC target and soft memory limit for its own duration
// only, and GOMEMLIMIT wins over the default limit.
func TestScanMemorySettingsRestored(t *testing.T) {
	prevLimit := debug.SetMemoryLimit(-1)
	prevGC := debug.SetGCPercent(-1)
	debug.SetGCPercent(prevGC)
	for _, args := range [][]string{{"--memory-limit", "2Gi"}, {"--memory-limit", "0"}, nil} {
		if code, _, stderr := scanCLI(t, "", append([]string{"scan", "-f", "testdata/cli/good.yaml", "--fail-on", "none", "-o", "json"}, args...)...); code != OK {
			t.Fatalf("scan %v: exit %d: %s", args, code, stderr)
		}
		if got := debug.SetMemoryLimit(-1); got != prevLimit {
			t.Fatalf("scan %v left the memory limit at %d, was %d", args, got, prevLimit)
		}
		if got := debug.SetGCPercent(-1); got != prevGC {
			t.Fatalf("scan %v left GOGC at %d, was %d", args, got, prevGC)
		}
		debug.SetGCPercent(prevGC)
	}
	t.Setenv("GOMEMLIMIT", "3GiB")
	restore, err := TuneMemory(DefaultMemoryLimit, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != prevLimit {
		t.Errorf("with GOMEMLIMIT set, the default limit replaced it: %d", got)
	}
	restore()
	if restore, err = TuneMemory("512Mi", true); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != 512<<20 {
		t.Errorf("an explicit --memory-limit 512Mi gave %d", got)
	}
	restore()
}

func TestScanCPUProfile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cpu.pprof")
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "--fail-on", "none", "-o", "json", "--cpu-profile", p); code != OK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(p); err != nil || st.Size() == 0 {
		t.Fatalf("no CPU profile written: %v", err)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	snap := filepath.Join(t.TempDir(), "snap.json")
	in := Defaults().Input
	in.Files = []string{"../testdata/cli/privileged.yaml"}
	params, err := in.Params.Params()
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := Collect(context.Background(), in, params, "test", Streams{Stderr: io.Discard})
	if err != nil || len(snaps) != 1 {
		t.Fatalf("collect: %v %v", snaps, err)
	}
	// The snapshot records paths as read: from the repository root, as
	// the scan below reads them.
	for i := range snaps[0].Objects {
		snaps[0].Objects[i].File = strings.TrimPrefix(snaps[0].Objects[i].File, "../")
	}
	snaps[0].Source.Inputs = []string{"testdata/cli/privileged.yaml"}
	f, err := os.Create(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := snaps[0].Write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, direct, _ := scanCLI(t, "", "scan", "-f", "testdata/cli/privileged.yaml", "-o", "json")
	code, fromSnap, stderr := scanCLI(t, "", "scan", "--snapshot", snap, "-o", "json")
	if code != Findings {
		t.Fatalf("scan --snapshot exit %d: %s", code, stderr)
	}
	if direct != fromSnap {
		t.Fatal("scanning the snapshot gave a different report than scanning the manifests")
	}
}
