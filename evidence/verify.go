package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// PubKey, when set, must have signed the manifest.
	PubKey ed25519.PublicKey
	// PolicyDigest is the running binary's embedded policy bundle digest;
	// the recorded one must equal it for the re-evaluation.
	PolicyDigest string
	// ToolVersion of the running binary (reported only).
	ToolVersion string
}

// Result is what Verify found.
type Result struct {
	Manifest *Manifest
	// Checks passed, in order, for the record.
	Checks []string
	// Problems make the bundle fail verification; each names the file.
	Problems []string
	// Notes are worth reading but do not fail (an unchecked signature).
	Notes []string
}

// OK reports whether the bundle verified.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

func (r *Result) fail(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}
func (r *Result) pass(format string, args ...any) {
	r.Checks = append(r.Checks, fmt.Sprintf(format, args...))
}

// Verify checks a bundle: the manifest's own digest and, when signed, its
// signature; the SHA-256 and size of every file, and that no file was added
// or removed; then it re-evaluates the bundled snapshot with the embedded
// policies (which must be the recorded bundle) and the recorded evaluation
// settings, and compares the re-rendered report.json, report.sarif,
// oscal.json and summary.html with the bundled ones. An error is returned
// only when the bundle cannot be read at all.
func Verify(ctx context.Context, dir string, opt VerifyOptions) (*Result, error) {
	res := &Result{}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not an evidence bundle directory", dir)
	}
	mb, err := os.ReadFile(filepath.Join(dir, FileManifest))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FileManifest, err)
	}

	// The signature, over the manifest's bytes.
	sig, sigErr := os.ReadFile(filepath.Join(dir, FileSignature))
	switch {
	case sigErr == nil:
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(sig), "\n"))
		switch {
		case err != nil || len(raw) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(raw)+"\n" != string(sig):
			res.fail("%s: not a base64 ed25519 signature and a newline (the file was edited)", FileSignature)
		case opt.PubKey == nil:
			res.Notes = append(res.Notes, FileSignature+": the bundle is signed; give --pub-key to check the signature")
		case !ed25519.Verify(opt.PubKey, mb, raw):
			res.fail("%s: the signature does not verify with the given public key (%s or %s was edited, or another key signed it)", FileSignature, FileManifest, FileSignature)
		default:
			res.pass("%s: ed25519 signature verified", FileSignature)
		}
	case os.IsNotExist(sigErr):
		if opt.PubKey != nil {
			res.fail("%s: missing, but a public key was given: the bundle is not signed", FileSignature)
		} else {
			res.Notes = append(res.Notes, "the bundle is not signed: the manifest detects edits, a signature is what makes them tamper-evident")
		}
	default:
		return nil, sigErr
	}

	if err := checkManifestDigest(mb); err != nil {
		res.fail("%s: %v: the manifest was edited", FileManifest, err)
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		res.fail("%s: not a valid manifest: %v", FileManifest, err)
		return res, nil
	}
	res.Manifest = &man
	if man.SchemaVersion != SchemaVersion {
		res.fail("%s: schemaVersion %q, want %q", FileManifest, man.SchemaVersion, SchemaVersion)
		return res, nil
	}
	if len(res.Problems) == 0 {
		res.pass("%s: self-digest matches", FileManifest)
	}

	// Every file listed, and only those.
	listed := map[string]FileDigest{}
	for _, f := range man.Files {
		listed[f.Path] = f
	}
	contents := map[string][]byte{}
	var extra []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if rel == FileManifest || rel == FileSignature {
			return nil
		}
		if _, ok := listed[rel]; !ok {
			extra = append(extra, rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		contents[rel] = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range extra {
		res.fail("%s: not in the manifest (a file was added to the bundle)", e)
	}
	for _, f := range man.Files {
		b, ok := contents[f.Path]
		if !ok {
			res.fail("%s: listed in the manifest but missing", f.Path)
			continue
		}
		got := digestOf(f.Path, b)
		switch {
		case got.SHA256 != f.SHA256:
			res.fail("%s: SHA-256 %s does not match the manifest's %s (the file was edited)", f.Path, short(got.SHA256), short(f.SHA256))
		case got.Size != f.Size:
			res.fail("%s: %d bytes, the manifest says %d", f.Path, got.Size, f.Size)
		default:
			res.pass("%s: SHA-256 matches", f.Path)
		}
	}

	// Re-evaluation.
	if opt.PolicyDigest != man.PolicyDigest {
		res.fail("%s: recorded policy bundle %s, this binary (meshaudit %s) embeds %s: verify with the meshaudit build that made the bundle (%s)", FileManifest, man.PolicyDigest, opt.ToolVersion, opt.PolicyDigest, man.Tool.Version)
		return res, nil
	}
	reevaluate(ctx, res, &man, contents)
	return res, nil
}

// reevaluate runs the recorded evaluation again and compares the derived
// files.
func reevaluate(ctx context.Context, res *Result, man *Manifest, contents map[string][]byte) {
	snapBytes, ok := contents[FileSnapshot]
	if !ok {
		res.fail("%s: missing: nothing to re-evaluate", FileSnapshot)
		return
	}
	params := policies.Defaults()
	var raw map[string]any
	if err := json.Unmarshal(man.Evaluation.Params, &raw); err != nil {
		res.fail("%s: evaluation.params: %v", FileManifest, err)
		return
	}
	params, err := params.Merge(raw)
	if err != nil {
		res.fail("%s: evaluation.params: %v", FileManifest, err)
		return
	}
	snap, err := readSnapshot(snapBytes)
	if err != nil {
		res.fail("%s: cannot be read: %v", FileSnapshot, err)
		return
	}
	for i := range snap.Objects {
		snapshot.DropNulls(snap.Objects[i].Object)
		snapshot.Redact(snap.Objects[i].Kind, snap.Objects[i].Object, params.RootNamespace)
	}
	snap.Sort()
	if snap.Cluster != man.Cluster {
		res.fail("%s: cluster %q, the manifest says %q", FileSnapshot, snap.Cluster, man.Cluster)
	}
	mods, err := policies.Modules(false)
	if err != nil {
		res.fail("embedded policies: %v", err)
		return
	}
	for _, cp := range man.Evaluation.CustomPolicies {
		src, ok := contents[cp.File]
		if !ok {
			res.fail("%s: missing custom policy %s", cp.File, cp.Path)
			return
		}
		mods = append(mods, policies.Module{Path: cp.Path, Source: string(src)})
	}
	all, err := rules.Load(mods)
	if err != nil {
		res.fail("policies: %v", err)
		return
	}
	want := map[string]bool{}
	for _, id := range man.Evaluation.Rules {
		if _, ok := all.Get(id); !ok {
			res.fail("%s: evaluation.rules names %s, which the policies do not define", FileManifest, id)
			return
		}
		want[id] = true
	}
	cat := all.Filter(func(r rules.Rule) bool { return want[r.ID] })
	var excs []exceptions.Exception
	if man.Evaluation.Exceptions != "" {
		b, ok := contents[man.Evaluation.Exceptions]
		if !ok {
			res.fail("%s: missing (the manifest records an exceptions file)", man.Evaluation.Exceptions)
			return
		}
		if excs, err = exceptions.Parse(man.Evaluation.Exceptions, b); err != nil {
			res.fail("%s: %v", man.Evaluation.Exceptions, err)
			return
		}
	}
	at, err := time.Parse(time.RFC3339, man.Evaluation.EvaluatedAt)
	if err != nil {
		res.fail("%s: evaluation.evaluatedAt: %v", FileManifest, err)
		return
	}
	eng, err := evaluate.New(ctx, cat, mods, params, man.Tool.Version)
	if err != nil {
		res.fail("policies: %v", err)
		return
	}
	rep, err := eng.Evaluate(ctx, snap)
	if err != nil {
		res.fail("%s: re-evaluation failed: %v", FileSnapshot, err)
		return
	}
	if len(excs) > 0 || man.Evaluation.SelfDeclaredExceptions {
		if err := evaluate.ApplyExceptions(rep, snap, excs, man.Evaluation.SelfDeclaredExceptions, at); err != nil {
			res.fail("exceptions: %v", err)
			return
		}
	}
	derived, err := renderReports([]*evaluate.Report{rep}, cat, man, snapBytes)
	if err != nil {
		res.fail("re-render: %v", err)
		return
	}
	res.pass("%s: re-evaluated with policy bundle %s (%d rules)", FileSnapshot, man.PolicyDigest, len(cat.Rules))
	for _, f := range derived {
		got, ok := contents[f.path]
		if !ok {
			continue // reported as missing already
		}
		if bytes.Equal(got, f.data) {
			res.pass("%s: matches the re-evaluation", f.path)
			continue
		}
		what := firstDifference(got, f.data)
		if f.path == FileReport {
			if d := reportDifferences(got, rep); d != "" {
				what = d
			}
		}
		res.fail("%s: differs from the re-evaluation of the snapshot: %s", f.path, what)
	}
}

// reportDifferences explains how a recorded report.json differs from the
// re-evaluated report: findings, rule and control statuses.
func reportDifferences(recorded []byte, cur *evaluate.Report) string {
	var old evaluate.Report
	if err := json.Unmarshal(recorded, &old); err != nil {
		return "not a valid JSON report: " + err.Error()
	}
	var out []string
	c := diff.Compare([]*evaluate.Report{&old}, []*evaluate.Report{cur})
	for _, cl := range c.Clusters {
		for _, f := range cl.New {
			out = append(out, fmt.Sprintf("finding missing from the record: %s %s (%s)", f.RuleID, f.FQN(), f.Message))
		}
		for _, f := range cl.Fixed {
			out = append(out, fmt.Sprintf("finding recorded but not found on re-evaluation: %s %s (%s)", f.RuleID, f.FQN(), f.Message))
		}
		for _, ch := range cl.Controls {
			out = append(out, fmt.Sprintf("control %s recorded %q, re-evaluated %q", ch.ID, ch.Old, ch.New))
		}
	}
	rules := map[string]evaluate.RuleResult{}
	for _, r := range cur.Rules {
		rules[r.ID] = r
	}
	for _, r := range old.Rules {
		if now, ok := rules[r.ID]; !ok {
			out = append(out, fmt.Sprintf("rule %s recorded but not evaluated", r.ID))
		} else if now.Status != r.Status {
			out = append(out, fmt.Sprintf("rule %s recorded %q, re-evaluated %q", r.ID, r.Status, now.Status))
		}
	}
	oldF := map[string]evaluate.Finding{}
	for _, f := range old.Findings {
		oldF[f.Fingerprint] = f
	}
	for _, f := range cur.Findings {
		o, ok := oldF[f.Fingerprint]
		if !ok {
			continue
		}
		if o.Severity != f.Severity {
			out = append(out, fmt.Sprintf("finding %s %s: severity recorded %s, re-evaluated %s", f.RuleID, f.FQN(), o.Severity, f.Severity))
		}
		if (o.Exception == nil) != (f.Exception == nil) || o.Exception != nil && f.Exception != nil && *o.Exception != *f.Exception {
			out = append(out, fmt.Sprintf("finding %s %s: exception differs", f.RuleID, f.FQN()))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// firstDifference names the first line where two texts differ.
func firstDifference(got, want []byte) string {
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			return fmt.Sprintf("line %d is %q, re-evaluation gives %q", i+1, clip(g), clip(w))
		}
	}
	return "contents differ"
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
