package evidence

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

// redigest rewrites a bundle's manifest after files were replaced, the way
// an editor without the signing key would: new file digests and sizes,
// a recomputed self-digest, edit applied to the manifest first.
func redigest(t *testing.T, dir string, edit func(*Manifest)) {
	t.Helper()
	var man Manifest
	mb, _ := os.ReadFile(filepath.Join(dir, FileManifest))
	if err := json.Unmarshal(mb, &man); err != nil {
		t.Fatal(err)
	}
	for i, f := range man.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			man.Files[i] = digestOf(f.Path, b)
		}
	}
	if edit != nil {
		edit(&man)
	}
	mb, err := encodeManifest(&man)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileManifest), mb, 0o640)
}

func verifyWith(t *testing.T, dir string, opt VerifyOptions) *Result {
	t.Helper()
	opt.PolicyDigest, opt.ToolVersion = testDigest, "test"
	res, err := Verify(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func hasProblem(res *Result, prefix, contains string) bool {
	for _, p := range res.Problems {
		if strings.HasPrefix(p, prefix) && strings.Contains(p, contains) {
			return true
		}
	}
	return false
}

// TestNotAuthenticated: a signed bundle whose manifest summary was zeroed,
// its self-digest recomputed and its signature deleted is never called
// verified without a key; with --allow-unsigned the summary is checked
// against the re-evaluation; with the key the missing signature fails.
func TestNotAuthenticated(t *testing.T) {
	priv, pub, _ := testKeys(t, "k")
	in := shopInput(t)
	in.SignKey = priv
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res := verifyWith(t, dir, VerifyOptions{}); res.OK() || res.Authenticated || !hasProblem(res, "integrity only, not authenticated", "--allow-unsigned") {
		t.Fatalf("signed bundle without a key: ok=%v problems=%v", res.OK(), res.Problems)
	}
	if res := verifyWith(t, dir, VerifyOptions{PubKey: pub}); !res.OK() || !res.Authenticated {
		t.Fatalf("with the key: %v", res.Problems)
	}
	os.Remove(filepath.Join(dir, FileSignature))
	redigest(t, dir, func(m *Manifest) {
		for k := range m.Summary.Findings {
			m.Summary.Findings[k] = 0
		}
		m.Summary.Complete = true
	})
	res := verifyWith(t, dir, VerifyOptions{})
	if res.OK() || res.Authenticated || !hasProblem(res, "integrity only, not authenticated", "") {
		t.Fatalf("tampered, no key: ok=%v %v", res.OK(), res.Problems)
	}
	res = verifyWith(t, dir, VerifyOptions{AllowUnsigned: true})
	if res.OK() || !hasProblem(res, FileManifest+": summary differs from the re-evaluation", "findings.critical recorded 0") {
		t.Fatalf("zeroed summary not caught: %v", res.Problems)
	}
	res = verifyWith(t, dir, VerifyOptions{PubKey: pub})
	if res.OK() || !hasProblem(res, FileSignature+": missing", "") || len(res.Problems) != 1 {
		t.Fatalf("deleted signature with a key: %v", res.Problems)
	}
}

// TestWrongKeyReadsOnlyTheManifest: with a wrong key nothing but the
// manifest and its signature is read: FIFOs in place of the snapshot and a
// report (which would block any read) and a gzip bomb do not matter.
// Without a key, the FIFO is refused, never opened.
func TestWrongKeyReadsOnlyTheManifest(t *testing.T) {
	priv, _, _ := testKeys(t, "a")
	_, other, _ := testKeys(t, "b")
	in := shopInput(t)
	in.SignKey = priv
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, FileReport))
	if err := syscall.Mkfifo(filepath.Join(dir, FileReport), 0o640); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, FileSnapshot), gzipBomb(t, 64<<20), 0o640)
	done := make(chan *Result, 2)
	go func() { done <- verifyWith(t, dir, VerifyOptions{PubKey: other}) }()
	select {
	case res := <-done:
		if len(res.Problems) != 1 || !hasProblem(res, FileSignature+": the signature does not verify", "nothing else was read") || len(res.Checks) != 0 {
			t.Fatalf("wrong key: %v / %v", res.Problems, res.Checks)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("verify with a wrong key hung on a FIFO")
	}
	go func() { done <- verifyWith(t, dir, VerifyOptions{AllowUnsigned: true, MaxSnapshotBytes: 8 << 20}) }()
	select {
	case res := <-done:
		if !hasProblem(res, FileReport+": not a regular file (named pipe (FIFO))", "refused") {
			t.Fatalf("FIFO in a bundle: %v", res.Problems)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("verify hung on a FIFO in the bundle")
	}
}

func gzipBomb(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte(`{"schemaVersion": "`))
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = 'a'
	}
	for i := 0; i < n>>20; i++ {
		zw.Write(chunk)
	}
	zw.Write([]byte(`"}`))
	zw.Close()
	return b.Bytes()
}

// TestGzipBomb: the decompressed snapshot is capped.
func TestGzipBomb(t *testing.T) {
	dir, err := Build(t.TempDir(), shopInput(t))
	if err != nil {
		t.Fatal(err)
	}
	bomb := gzipBomb(t, 64<<20)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb of %d bytes", len(bomb))
	}
	os.WriteFile(filepath.Join(dir, FileSnapshot), bomb, 0o640)
	redigest(t, dir, nil)
	res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true, MaxSnapshotBytes: 8 << 20})
	if !hasProblem(res, FileSnapshot+": cannot be read", "more than 8388608 bytes decompressed") {
		t.Fatalf("gzip bomb: %v", res.Problems)
	}
	// A file larger than the manifest says is not read past that size.
	os.WriteFile(filepath.Join(dir, FileSARIF), bytes.Repeat([]byte("x"), 1<<20), 0o640)
	if res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true}); !hasProblem(res, FileSARIF+": larger than the manifest's", "") {
		t.Fatalf("grown file: %v", res.Problems)
	}
	// A manifest claiming a huge file is refused before reading.
	redigest(t, dir, func(m *Manifest) {
		for i := range m.Files {
			if m.Files[i].Path == FileSARIF {
				m.Files[i].Size = 1 << 40
			}
		}
	})
	if res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true}); !hasProblem(res, FileSARIF+": the manifest says 1099511627776 bytes", "not read") {
		t.Fatalf("huge size: %v", res.Problems)
	}
}

// TestBundledCustomPolicy: a bundle's custom Rego runs only once the
// bundle is authenticated (or with --allow-unsigned), and may not declare
// meshaudit's packages even then.
func TestBundledCustomPolicy(t *testing.T) {
	dir, err := Build(t.TempDir(), shopInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var man Manifest
	mb, _ := os.ReadFile(filepath.Join(dir, FileManifest))
	json.Unmarshal(mb, &man)
	if len(man.Evaluation.CustomPolicies) != 1 || !strings.HasPrefix(man.Evaluation.CustomPolicies[0].SHA256, "sha256:") {
		t.Fatalf("custom policies in the manifest: %+v", man.Evaluation.CustomPolicies)
	}
	if res := verifyWith(t, dir, VerifyOptions{}); !hasProblem(res, FileSnapshot+": not re-evaluated", "runs only once the bundle is authenticated") {
		t.Fatalf("custom Rego of an unauthenticated bundle: %v", res.Problems)
	}
	if res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true}); !res.OK() {
		t.Fatalf("--allow-unsigned: %v", res.Problems)
	}
	cp := man.Evaluation.CustomPolicies[0]
	hostile := "package meshaudit.lib\n\nexcluded(_) if true\n"
	os.WriteFile(filepath.Join(dir, filepath.FromSlash(cp.File)), []byte(hostile), 0o640)
	redigest(t, dir, func(m *Manifest) {
		m.Evaluation.CustomPolicies[0].SHA256 = policies.Module{Source: hostile}.Digest()
	})
	if res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true}); !hasProblem(res, DirPolicies+": ", "package meshaudit.lib is meshaudit's own") {
		t.Fatalf("hostile bundled policy: %v", res.Problems)
	}
}

// slowRule takes about a second or more on any machine: past a short
// deadline it is unknown, with time enough it fails.
const slowRule = `# METADATA
# title: Slow
# description: A rule that takes a while.
# custom:
#   id: SLOW-01
#   severity: low
#   controls: [CM-8]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: none
package meshaudit.custom.rules.slow_01

import data.meshaudit.lib

n := count([x | some x in numbers.range(1, 1500000)])

deny contains {"msg": sprintf("counted %d", [n]), "resource": w.resource} if {
	some w in lib.workloads
	n > 0
}
`

// TestDeadlineRecorded: the evaluation deadline is recorded and used by
// verify: a bundle made with a deadline too short for a slow rule (unknown)
// verifies, and fails once its recorded deadline is lengthened.
func TestDeadlineRecorded(t *testing.T) {
	in := shopInput(t)
	ctx := context.Background()
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	mods = append(mods, policies.Module{Path: "team/slow_01.rego", Source: slowRule})
	all, err := catalog.Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	in.Catalog = all.Filter(func(r rules.Rule) bool { return r.ID == "SLOW-01" })
	in.Modules, in.Exceptions = mods, nil
	eng, err := evaluate.New(ctx, in.Catalog, mods, in.Params, "test")
	if err != nil {
		t.Fatal(err)
	}
	in.Deadline = 100 * time.Millisecond
	eng.Deadline = in.Deadline
	if in.Report, err = eng.Evaluate(ctx, in.Snapshot); err != nil {
		t.Fatal(err)
	}
	if in.Report.Rules[0].Status != report.StatusUnknown {
		t.Fatalf("SLOW-01 within 100ms: %s", in.Report.Rules[0].Status)
	}
	in.Report.CustomPolicies, _ = evaluate.CustomPolicies(mods)
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true}); !res.OK() || res.Manifest.Evaluation.Deadline != "100ms" {
		t.Fatalf("bundle made with --eval-timeout 100ms: %v", res.Problems)
	}
	redigest(t, dir, func(m *Manifest) { m.Evaluation.Deadline = "10m0s" })
	if res := verifyWith(t, dir, VerifyOptions{AllowUnsigned: true}); !hasProblem(res, FileReport+": differs from the re-evaluation", `rule SLOW-01 recorded "unknown", re-evaluated "fail"`) {
		t.Fatalf("deadline not used by verify: %v", res.Problems)
	}
}

// TestKillAtRename: a scan killed (SIGKILL) just before the final rename
// leaves a complete temporary bundle; it is never verifiable, the next
// bundle (or prune) removes it, and a temporary bundle still being written
// is left alone.
func TestKillAtRename(t *testing.T) {
	if dir := os.Getenv("MESHAUDIT_KILL_AT_RENAME"); dir != "" {
		beforeRename = func(string) { syscall.Kill(os.Getpid(), syscall.SIGKILL) }
		Build(dir, shopInput(t))
		t.Fatal("not killed")
	}
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillAtRename$")
	cmd.Env = append(os.Environ(), "MESHAUDIT_KILL_AT_RENAME="+root)
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(root, ".tmp-*"))
	if len(left) != 1 {
		t.Fatalf("left behind: %v", left)
	}
	if _, err := os.Stat(filepath.Join(left[0], FileManifest)); err != nil {
		t.Fatalf("the temporary bundle is not complete: %v", err)
	}
	res := verifyWith(t, left[0], VerifyOptions{AllowUnsigned: true})
	if res.OK() || !hasProblem(res, filepath.Base(left[0])+": an unfinished bundle", "never verifiable") {
		t.Fatalf("unfinished bundle: %v", res.Problems)
	}
	// One being written (its lock held) stays; the dead one goes.
	busy, _ := os.MkdirTemp(root, tmpPrefix+"busy-")
	unlock := lockDir(busy)
	defer unlock()
	if got := RemoveUnfinished(root, true); len(got) != 1 || got[0] != left[0] {
		t.Fatalf("dry run: %v", got)
	}
	if _, err := Build(root, shopInput(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
		t.Errorf("the next bundle did not remove %s", left[0])
	}
	if _, err := os.Stat(busy); err != nil {
		t.Errorf("a bundle being written was removed: %v", err)
	}
}
