package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/policies"
)

const testDigest = "sha256:test-policy-digest"

// shopInput evaluates examples/shop the way scan does, with the example
// exceptions file and the example team's custom policy.
func shopInput(t *testing.T) Input {
	t.Helper()
	ctx := context.Background()
	params := policies.Defaults()
	snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../examples/shop"}, Namespace: "default", Cluster: "manifests", RootNamespace: params.RootNamespace, ToolVersion: "test"})
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
	}
	custom, err := policies.LoadDir("../examples/policies/team")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range custom {
		if !strings.HasSuffix(m.Path, "_test.rego") {
			mods = append(mods, m)
		}
	}
	cat, err := catalog.Load(mods)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := evaluate.New(ctx, cat, mods, params, "test")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Evaluate(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	excFile, err := os.ReadFile("../examples/config/exceptions.yaml")
	if err != nil {
		t.Fatal(err)
	}
	excs, err := exceptions.Parse("exceptions.yaml", excFile)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	if err := evaluate.ApplyExceptions(rep, snap, excs, false, now); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Excepted == 0 {
		t.Fatal("the example exception matched nothing")
	}
	// As scan does: the report lists the custom policies.
	if rep.CustomPolicies, err = evaluate.CustomPolicies(mods); err != nil || len(rep.CustomPolicies) != 1 {
		t.Fatalf("custom policies %v: %v", rep.CustomPolicies, err)
	}
	return Input{Snapshot: snap, Report: rep, Catalog: cat, Modules: mods, Params: params, Exceptions: excFile,
		EvaluatedAt: now, ToolVersion: "test", PolicyDigest: testDigest, CreatedAt: time.Date(2026, 11, 1, 12, 0, 5, 0, time.UTC)}
}

func testKeys(t *testing.T, prefix string) (ed25519.PrivateKey, ed25519.PublicKey, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), prefix)
	keyFile, pubFile, err := GenerateKeyPair(p)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(keyFile); st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", st.Mode().Perm())
	}
	if _, _, err := GenerateKeyPair(p); err == nil {
		t.Error("keygen overwrote an existing key pair")
	}
	priv, err := LoadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub, pubFile
}

func verify(t *testing.T, dir string, pub ed25519.PublicKey) *Result {
	t.Helper()
	// Without a key, the tests accept an integrity check only
	// (--allow-unsigned); TestNotAuthenticated checks the default.
	res, err := Verify(context.Background(), dir, VerifyOptions{PubKey: pub, AllowUnsigned: pub == nil, PolicyDigest: testDigest, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// copyDir copies a bundle so that each edit starts from a pristine one.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

func bundleFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	return out
}

// TestBundleVerifies: a signed bundle of the example scan has every file,
// the right modes, and verifies (re-evaluation included); a bundle is never
// overwritten.
func TestBundleVerifies(t *testing.T) {
	priv, pub, _ := testKeys(t, "k")
	in := shopInput(t)
	in.SignKey = priv
	root := t.TempDir()
	dir, err := Build(root, in)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "manifests-20261101T120005Z" {
		t.Errorf("bundle name %s", filepath.Base(dir))
	}
	files := bundleFiles(t, dir)
	for _, want := range []string{FileSnapshot, FileReport, FileSARIF, FileOSCAL, FileSummary, FileManifest, FileSignature, FileExceptions} {
		found := false
		for _, f := range files {
			found = found || f == want
		}
		if !found {
			t.Errorf("bundle lacks %s (has %v)", want, files)
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		st, _ := d.Info()
		want := FileMode
		if d.IsDir() {
			want = DirMode
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode().Perm(), want)
		}
		return nil
	})
	if entries, _ := os.ReadDir(root); len(entries) != 1 {
		t.Errorf("temporary directory left behind: %v", entries)
	}
	res := verify(t, dir, pub)
	if !res.OK() {
		t.Fatalf("bundle does not verify: %v", res.Problems)
	}
	joined := strings.Join(res.Checks, "\n")
	for _, want := range []string{"signature verified", "report.json: matches the re-evaluation", "oscal.json: matches the re-evaluation"} {
		if !strings.Contains(joined, want) {
			t.Errorf("checks lack %q:\n%s", want, joined)
		}
	}
	var man Manifest
	b, _ := os.ReadFile(filepath.Join(dir, FileManifest))
	json.Unmarshal(b, &man)
	if man.PolicyDigest != testDigest || man.Tool.Version != "test" || len(man.Evaluation.CustomPolicies) == 0 || man.Evaluation.Exceptions != FileExceptions {
		t.Errorf("manifest: %+v", man)
	}

	// Never overwritten: the same name again is refused, the bundle kept.
	before, _ := os.ReadFile(filepath.Join(dir, FileReport))
	in.Report.Findings = in.Report.Findings[1:]
	if _, err := Build(root, in); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second bundle of the same name: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, FileReport)); !bytes.Equal(before, after) {
		t.Fatal("existing bundle was changed")
	}
	// Even an empty directory of that name (which a plain rename would
	// replace) is refused.
	in.CreatedAt = in.CreatedAt.Add(time.Second)
	empty := filepath.Join(root, "manifests-20261101T120006Z")
	os.Mkdir(empty, 0o750)
	if _, err := Build(root, in); err == nil {
		t.Fatal("an existing empty bundle directory was replaced")
	}
	if err := renameNoReplace(t.TempDir(), empty); err == nil {
		t.Fatal("renameNoReplace replaced an empty directory")
	}
}

// TestFlipAnyByte: flipping one byte (the middle one; the first and last
// too where whitespace could hide it) of any file of a
// signed bundle makes verify fail, naming that file.
func TestFlipAnyByte(t *testing.T) {
	priv, pub, _ := testKeys(t, "k")
	in := shopInput(t)
	in.SignKey = priv
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range bundleFiles(t, dir) {
		orig, _ := os.ReadFile(filepath.Join(dir, f))
		positions := []int{len(orig) / 2}
		if f == FileManifest || f == FileSignature || f == FileReport {
			// Where whitespace and trailing bytes could hide an edit.
			positions = append(positions, 0, len(orig)-1)
		}
		for _, pos := range positions {
			c := copyDir(t, dir)
			b := append([]byte{}, orig...)
			b[pos] ^= 0x01
			os.WriteFile(filepath.Join(c, filepath.FromSlash(f)), b, 0o640)
			res := verify(t, c, pub)
			if res.OK() {
				t.Errorf("%s: byte %d flipped, bundle still verifies", f, pos)
				continue
			}
			named := false
			for _, p := range res.Problems {
				// An edited signed manifest fails its signature, which
				// names both files.
				named = named || strings.HasPrefix(p, f+":") || f == FileManifest && strings.HasPrefix(p, FileSignature+":") && strings.Contains(p, FileManifest)
			}
			if !named {
				t.Errorf("%s: byte %d flipped, problems do not name it: %v", f, pos, res.Problems)
			}
		}
	}
	// Unsigned: the manifest's self-digest still catches an edit of it.
	in.SignKey = nil
	in.CreatedAt = in.CreatedAt.Add(time.Minute)
	dir, err = Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := os.ReadFile(filepath.Join(dir, FileManifest))
	os.WriteFile(filepath.Join(dir, FileManifest), bytes.Replace(mb, []byte(`"createdAt": "2026`), []byte(`"createdAt": "2027`), 1), 0o640)
	if res := verify(t, dir, nil); res.OK() || !strings.HasPrefix(res.Problems[0], FileManifest+":") {
		t.Errorf("edited unsigned manifest: %v", res.Problems)
	}
	// Added and removed files.
	c := copyDir(t, dir)
	os.WriteFile(filepath.Join(c, FileManifest), mb, 0o640)
	os.WriteFile(filepath.Join(c, "extra.txt"), []byte("x"), 0o640)
	os.Remove(filepath.Join(c, FileSARIF))
	res := verify(t, c, nil)
	joined := strings.Join(res.Problems, "\n")
	if !strings.Contains(joined, "extra.txt: not in the manifest") || !strings.Contains(joined, FileSARIF+": listed in the manifest but missing") {
		t.Errorf("added/removed files: %v", res.Problems)
	}
}

// TestWrongKey: a signature checked with another key fails; a bundle
// without signature fails when a key is given.
func TestWrongKey(t *testing.T) {
	priv, _, _ := testKeys(t, "a")
	_, other, _ := testKeys(t, "b")
	in := shopInput(t)
	in.SignKey = priv
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	res := verify(t, dir, other)
	if res.OK() || !strings.HasPrefix(res.Problems[0], FileSignature+": the signature does not verify") {
		t.Fatalf("wrong key: %v", res.Problems)
	}
	if res := verify(t, dir, nil); !res.OK() || len(res.Notes) == 0 {
		t.Errorf("signed bundle without --pub-key: ok=%v notes=%v problems=%v", res.OK(), res.Notes, res.Problems)
	}
	in.SignKey = nil
	dir, err = Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	if res := verify(t, dir, other); res.OK() {
		t.Fatal("unsigned bundle verified with a public key")
	}
}

// TestReevaluation: a consistently re-digested but edited report (an
// attacker without the signing key, or a hand edit) is caught by the
// re-evaluation, which says what changed; another policy bundle refuses.
func TestReevaluation(t *testing.T) {
	in := shopInput(t)
	dir, err := Build(t.TempDir(), in)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	rb, _ := os.ReadFile(filepath.Join(dir, FileReport))
	json.Unmarshal(rb, &rep)
	dropped := rep.Findings[0]
	rep.Findings = rep.Findings[1:]
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(&rep)
	os.WriteFile(filepath.Join(dir, FileReport), buf.Bytes(), 0o640)
	var man Manifest
	mb, _ := os.ReadFile(filepath.Join(dir, FileManifest))
	json.Unmarshal(mb, &man)
	for i, f := range man.Files {
		if f.Path == FileReport {
			man.Files[i] = digestOf(FileReport, buf.Bytes())
		}
	}
	mb, _ = encodeManifest(&man)
	os.WriteFile(filepath.Join(dir, FileManifest), mb, 0o640)

	res := verify(t, dir, nil)
	if res.OK() {
		t.Fatal("edited, re-digested report verifies")
	}
	found := false
	for _, p := range res.Problems {
		if strings.HasPrefix(p, FileReport+": differs from the re-evaluation") && strings.Contains(p, dropped.RuleID) && strings.Contains(p, "missing from the record") {
			found = true
		}
	}
	if !found {
		t.Errorf("problems do not say the finding was dropped: %v", res.Problems)
	}

	res, err = Verify(context.Background(), dir, VerifyOptions{AllowUnsigned: true, PolicyDigest: "sha256:other", ToolVersion: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !strings.Contains(strings.Join(res.Problems, "\n"), "recorded policy bundle "+testDigest) {
		t.Errorf("policy digest mismatch: %v", res.Problems)
	}
}
