package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"

	opaversion "github.com/open-policy-agent/opa/v1/version"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// Limits of what verify reads: every file of a bundle is read whole, so
// each is bounded (a hostile bundle must not exhaust memory).
const (
	// MaxManifestBytes bounds manifest.json.
	MaxManifestBytes = 16 << 20
	// maxSignatureBytes bounds manifest.sig (base64 of 64 bytes and a newline).
	maxSignatureBytes = 1 << 10
	// DefaultMaxFileBytes bounds every other file of a bundle.
	DefaultMaxFileBytes = 512 << 20
	// DefaultMaxSnapshotBytes bounds the decompressed snapshot.
	DefaultMaxSnapshotBytes = 2 << 30
)

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// PubKey, when set, must have signed the manifest; nothing but the
	// manifest and its signature is read before the signature checks.
	PubKey ed25519.PublicKey
	// AllowUnsigned accepts a bundle that is not authenticated (no PubKey):
	// an integrity check only. Without it such a bundle fails. Custom
	// policies from the bundle run only when the bundle is authenticated
	// or AllowUnsigned is set.
	AllowUnsigned bool
	// PolicyDigest is the running binary's embedded policy bundle digest;
	// the recorded one must equal it for the re-evaluation.
	PolicyDigest string
	// ToolVersion of the running binary (reported only).
	ToolVersion string
	// MaxFileBytes bounds each bundle file (0: DefaultMaxFileBytes);
	// MaxSnapshotBytes the decompressed snapshot (0:
	// DefaultMaxSnapshotBytes).
	MaxFileBytes     int64
	MaxSnapshotBytes int64
}

// Result is what Verify found.
type Result struct {
	Manifest *Manifest
	// Authenticated: the manifest's signature verified with the given key.
	Authenticated bool
	// Checks passed, in order, for the record.
	Checks []string
	// Problems make the bundle fail verification; each names the file.
	Problems []string
	// Notes are worth reading but do not fail.
	Notes []string
	// ManifestSHA256 is the SHA-256 (hex) of manifest.json as read.
	ManifestSHA256 string
	// stopped: a problem ended the check before the files were read.
	stopped bool
}

// OK reports whether the bundle verified.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

func (r *Result) fail(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}
func (r *Result) pass(format string, args ...any) {
	r.Checks = append(r.Checks, fmt.Sprintf(format, args...))
}

// NotAuthenticated is the note (and, without AllowUnsigned, the problem)
// of a bundle verified without a public key.
const NotAuthenticated = "integrity only, not authenticated: without --pub-key nothing proves who made the bundle (the manifest's self-digest proves nothing against an editor, who recomputes it)"

// IsUnfinished reports whether a directory name is a bundle still being
// written, or left behind by a scan killed before its final rename.
func IsUnfinished(name string) bool { return strings.HasPrefix(name, tmpPrefix) }

// Verify checks a bundle. Authentication first: with PubKey, the
// signature over manifest.json must verify before anything else of the
// bundle is read; without it the bundle is at best integrity-checked (and
// fails unless AllowUnsigned). Then the manifest's own digest, the SHA-256
// and size of every file (each a regular file inside the bundle, of
// bounded size) and that no file was added or removed; then it
// re-evaluates the bundled snapshot with the embedded policies (which must
// be the recorded bundle) and the recorded evaluation settings, compares
// the re-rendered report.json, report.sarif, oscal.json and summary.html
// with the bundled ones and the manifest's summary with the re-evaluation.
// An error is returned only when the bundle cannot be read at all.
func Verify(ctx context.Context, dir string, opt VerifyOptions) (*Result, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%s is not an evidence bundle directory", dir)
	}
	if abs, err := filepath.Abs(dir); err == nil && IsUnfinished(filepath.Base(abs)) {
		res := &Result{}
		res.fail("%s: an unfinished bundle (its scan ended before the final rename): never verifiable; the next scan or prune removes it", filepath.Base(abs))
		return res, nil
	}
	return VerifySource(ctx, DirSource(dir), opt)
}

// VerifySource is Verify of a bundle in any store: a local directory
// (DirSource) or the objects under a prefix (S3Source).
func VerifySource(ctx context.Context, src Source, opt VerifyOptions) (*Result, error) {
	if opt.MaxSnapshotBytes <= 0 {
		opt.MaxSnapshotBytes = DefaultMaxSnapshotBytes
	}
	res, contents, err := check(ctx, src, opt, nil)
	if err != nil || res.stopped {
		return res, err
	}
	man := *res.Manifest
	// Re-evaluation.
	if opt.PolicyDigest != man.PolicyDigest {
		res.fail("%s: recorded policy bundle %s, this binary (meshaudit %s) embeds %s: verify with the meshaudit build that made the bundle (%s)", FileManifest, man.PolicyDigest, opt.ToolVersion, opt.PolicyDigest, man.Tool.Version)
		return res, nil
	}
	if man.OPAVersion != "" && man.OPAVersion != opaversion.Version {
		res.fail("%s: evaluated with OPA %s, this binary has OPA %s: verify with the meshaudit build that made the bundle (%s)", FileManifest, man.OPAVersion, opaversion.Version, man.Tool.Version)
		return res, nil
	}
	if len(man.Evaluation.CustomPolicies) > 0 && !res.Authenticated && !opt.AllowUnsigned {
		res.fail("%s: not re-evaluated: the bundle holds %d custom polic(ies), and a bundle's custom Rego runs only once the bundle is authenticated (--pub-key) or with --allow-unsigned", FileSnapshot, len(man.Evaluation.CustomPolicies))
		return res, nil
	}
	reevaluate(ctx, res, &man, contents, opt)
	return res, nil
}

// CheckDigests authenticates a bundle and checks its integrity, without
// the re-evaluation: the signature (with PubKey; without it the bundle
// fails unless AllowUnsigned), the manifest's self-digest and shape, and
// the SHA-256 and size of every file (none added or missing). It returns
// the bytes of the files named in keep that verified (the others are read,
// hashed and dropped). An error is returned only when the bundle cannot
// be read at all.
func CheckDigests(ctx context.Context, src Source, opt VerifyOptions, keep ...string) (*Result, map[string][]byte, error) {
	want := map[string]bool{}
	for _, k := range keep {
		want[k] = true
	}
	return check(ctx, src, opt, func(p string) bool { return want[p] })
}

// hashFile streams one file of a bundle through SHA-256: at most max
// bytes (fsutil.ErrTooLarge beyond).
func hashFile(ctx context.Context, src Source, p string, max int64) (FileDigest, error) {
	r, err := src.Open(ctx, p, max)
	if err != nil {
		return FileDigest{}, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r, max+1))
	if err != nil {
		return FileDigest{}, err
	}
	if n > max {
		return FileDigest{}, fmt.Errorf("%s: more than %d bytes: %w", p, max, fsutil.ErrTooLarge)
	}
	return FileDigest{Path: p, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// check is CheckDigests; keep nil keeps every file.
func check(ctx context.Context, src Source, opt VerifyOptions, keep func(string) bool) (*Result, map[string][]byte, error) {
	if opt.MaxFileBytes <= 0 {
		opt.MaxFileBytes = DefaultMaxFileBytes
	}
	res := &Result{}
	mb, err := src.Read(ctx, FileManifest, MaxManifestBytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", FileManifest, err)
	}
	msum := sha256.Sum256(mb)
	res.ManifestSHA256 = hex.EncodeToString(msum[:])
	stop := func() (*Result, map[string][]byte, error) {
		res.stopped = true
		return res, nil, nil
	}

	// Authentication: the signature, over the manifest's bytes.
	sig, sigErr := src.Read(ctx, FileSignature, maxSignatureBytes)
	switch {
	case sigErr == nil && opt.PubKey == nil:
		res.Notes = append(res.Notes, FileSignature+": the bundle is signed; give --pub-key to authenticate it")
	case sigErr == nil:
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(string(sig), "\n"))
		switch {
		case err != nil || len(raw) != ed25519.SignatureSize || base64.StdEncoding.EncodeToString(raw)+"\n" != string(sig):
			res.fail("%s: not a base64 ed25519 signature and a newline (the file was edited)", FileSignature)
			return stop()
		case !ed25519.Verify(opt.PubKey, mb, raw):
			res.fail("%s: the signature does not verify with the given public key (%s or %s was edited, or another key signed it): nothing else was read", FileSignature, FileManifest, FileSignature)
			return stop()
		}
		res.Authenticated = true
		res.pass("%s: ed25519 signature verified", FileSignature)
	case errors.Is(sigErr, fs.ErrNotExist):
		if opt.PubKey != nil {
			res.fail("%s: missing, but a public key was given: the bundle is not signed (or its signature was removed)", FileSignature)
			return stop()
		}
	default:
		if opt.PubKey != nil {
			res.fail("%s: %v", FileSignature, sigErr)
			return stop()
		}
		return nil, nil, sigErr
	}
	if !res.Authenticated {
		if opt.AllowUnsigned {
			res.Notes = append(res.Notes, NotAuthenticated+"; accepted with --allow-unsigned")
		} else {
			res.fail("%s; --allow-unsigned accepts that", NotAuthenticated)
		}
	}

	if err := checkManifestDigest(mb); err != nil {
		res.fail("%s: %v: the manifest was edited", FileManifest, err)
	}
	var man Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&man); err != nil {
		res.fail("%s: not a valid manifest: %v", FileManifest, err)
		return stop()
	}
	res.Manifest = &man
	if man.SchemaVersion != SchemaVersion {
		res.fail("%s: schemaVersion %q, want %q", FileManifest, man.SchemaVersion, SchemaVersion)
		return stop()
	}
	if len(res.Problems) == 0 {
		res.pass("%s: self-digest matches", FileManifest)
	}

	// Every file listed, and only those; each a regular file of bounded
	// size (a FIFO, device or link is never opened).
	listed := map[string]FileDigest{}
	for _, f := range man.Files {
		listed[f.Path] = f
	}
	entries, err := src.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	present := map[string]bool{}
	var extra []string
	for _, e := range entries {
		if !e.Mode.IsRegular() {
			res.fail("%s: not a regular file (%s): refused", e.Path, fsutil.TypeName(e.Mode))
			present[e.Path] = true
			continue
		}
		if e.Path == FileManifest || e.Path == FileSignature {
			continue
		}
		if _, ok := listed[e.Path]; !ok {
			extra = append(extra, e.Path)
			continue
		}
		present[e.Path] = true
	}
	for _, e := range extra {
		res.fail("%s: not in the manifest (a file was added to the bundle)", e)
	}
	contents := map[string][]byte{}
	for _, f := range man.Files {
		if !present[f.Path] {
			res.fail("%s: listed in the manifest but missing", f.Path)
			continue
		}
		if f.Size > opt.MaxFileBytes || f.Size < 0 {
			res.fail("%s: the manifest says %d bytes, more than the %d-byte limit: not read", f.Path, f.Size, opt.MaxFileBytes)
			continue
		}
		var b []byte
		var got FileDigest
		kept := keep == nil || keep(f.Path)
		if kept {
			if b, err = src.Read(ctx, f.Path, f.Size); err == nil {
				got = digestOf(f.Path, b)
			}
		} else {
			got, err = hashFile(ctx, src, f.Path, f.Size) // streamed: nothing kept
		}
		switch {
		case errors.Is(err, fsutil.ErrTooLarge):
			res.fail("%s: larger than the manifest's %d bytes (the file was edited)", f.Path, f.Size)
			continue
		case errors.Is(err, fsutil.ErrNotRegular):
			continue // reported above, or replaced since listed: refused
		case err != nil:
			return nil, nil, err
		}
		switch {
		case got.SHA256 != f.SHA256:
			res.fail("%s: SHA-256 %s does not match the manifest's %s (the file was edited)", f.Path, short(got.SHA256), short(f.SHA256))
		case got.Size != f.Size:
			res.fail("%s: %d bytes, the manifest says %d", f.Path, got.Size, f.Size)
		default:
			res.pass("%s: SHA-256 matches", f.Path)
			if kept {
				contents[f.Path] = b
			}
		}
	}
	return res, contents, nil
}

// reevaluate runs the recorded evaluation again and compares the derived
// files.
func reevaluate(ctx context.Context, res *Result, man *Manifest, contents map[string][]byte, opt VerifyOptions) {
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
	snap, err := readSnapshot(snapBytes, opt.MaxSnapshotBytes)
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
	var custom []policies.Module
	for _, cp := range man.Evaluation.CustomPolicies {
		src, ok := contents[cp.File]
		if !ok {
			res.fail("%s: missing custom policy %s", cp.File, cp.Path)
			return
		}
		m := policies.Module{Path: cp.Path, Source: string(src)}
		if cp.SHA256 != "" && m.Digest() != cp.SHA256 {
			res.fail("%s: SHA-256 %s, the manifest records %s for %s", cp.File, m.Digest(), cp.SHA256, cp.Path)
			return
		}
		custom = append(custom, m)
	}
	if err := policies.CheckCustom(custom); err != nil {
		res.fail("%s: %v", DirPolicies, err)
		return
	}
	mods = append(mods, custom...)
	parsed, err := policies.Parse(mods)
	if err != nil {
		res.fail("policies: %v", err)
		return
	}
	all, err := catalog.LoadModules(parsed)
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
	deadline := evaluate.DefaultDeadline
	if man.Evaluation.Deadline != "" {
		if deadline, err = time.ParseDuration(man.Evaluation.Deadline); err != nil || deadline <= 0 {
			res.fail("%s: evaluation.deadline %q: not a positive duration", FileManifest, man.Evaluation.Deadline)
			return
		}
	}
	eng, err := evaluate.NewParsed(ctx, cat, parsed, params, man.Tool.Version)
	if err != nil {
		res.fail("policies: %v", err)
		return
	}
	eng.Deadline = deadline
	rep, err := eng.Evaluate(ctx, snap)
	if err != nil {
		res.fail("%s: re-evaluation failed: %v", FileSnapshot, err)
		return
	}
	if rep.CustomPolicies, err = evaluate.CustomPolicies(mods); err != nil {
		res.fail("policies: %v", err)
		return
	}
	if len(excs) > 0 || man.Evaluation.SelfDeclaredExceptions {
		if err := evaluate.ApplyExceptions(rep, snap, excs, man.Evaluation.SelfDeclaredExceptions, at); err != nil {
			res.fail("exceptions: %v", err)
			return
		}
	}
	derived, err := renderReports([]*report.Report{rep}, cat, man, snapBytes)
	if err != nil {
		res.fail("re-render: %v", err)
		return
	}
	if d := summaryDifferences(man.Summary, countsOf(rep)); d != "" {
		res.fail("%s: summary differs from the re-evaluation: %s", FileManifest, d)
	} else {
		res.pass("%s: summary matches the re-evaluation", FileManifest)
	}
	res.pass("%s: re-evaluated with policy bundle %s (%d rules)", FileSnapshot, man.PolicyDigest, len(cat.Rules))
	for _, f := range derived {
		got, ok := contents[f.Path]
		if !ok {
			continue // reported as missing already
		}
		if bytes.Equal(got, f.Data) {
			res.pass("%s: matches the re-evaluation", f.Path)
			continue
		}
		what := firstDifference(got, f.Data)
		if f.Path == FileReport {
			if d := reportDifferences(got, rep); d != "" {
				what = d
			}
		}
		res.fail("%s: differs from the re-evaluation of the snapshot: %s", f.Path, what)
	}
}

// reportDifferences explains how a recorded report.json differs from the
// re-evaluated report: findings, rule and control statuses.
func reportDifferences(recorded []byte, cur *report.Report) string {
	var old report.Report
	if err := json.Unmarshal(recorded, &old); err != nil {
		return "not a valid JSON report: " + err.Error()
	}
	var out []string
	c := diff.Compare([]*report.Report{&old}, []*report.Report{cur})
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
	rules := map[string]report.RuleResult{}
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
	oldF := map[string]report.Finding{}
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

// countsOf is the manifest's summary of a report.
func countsOf(rep *report.Report) ManifestCounts {
	return ManifestCounts{Complete: rep.Summary.Complete, Findings: rep.Summary.Findings, Excepted: rep.Summary.Excepted, Controls: rep.Summary.Controls}
}

// summaryDifferences compares the manifest's summary with the
// re-evaluation's.
func summaryDifferences(recorded, got ManifestCounts) string {
	var out []string
	if recorded.Complete != got.Complete {
		out = append(out, fmt.Sprintf("complete recorded %v, re-evaluated %v", recorded.Complete, got.Complete))
	}
	if recorded.Excepted != got.Excepted {
		out = append(out, fmt.Sprintf("excepted recorded %d, re-evaluated %d", recorded.Excepted, got.Excepted))
	}
	for _, m := range []struct {
		name     string
		rec, cur map[string]int
	}{{"findings", recorded.Findings, got.Findings}, {"controls", recorded.Controls, got.Controls}} {
		keys := map[string]bool{}
		for k := range m.rec {
			keys[k] = true
		}
		for k := range m.cur {
			keys[k] = true
		}
		var ks []string
		for k := range keys {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			if m.rec[k] != m.cur[k] {
				out = append(out, fmt.Sprintf("%s.%s recorded %d, re-evaluated %d", m.name, k, m.rec[k], m.cur[k]))
			}
		}
	}
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
