package fleet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/defenseunicorns/go-oscal/src/pkg/validation"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// input evaluates examples/shop as cluster c.
func input(t *testing.T, c string) evidence.Input {
	t.Helper()
	ctx := context.Background()
	params := policies.Defaults()
	snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../examples/shop"}, Namespace: "default", Cluster: c, RootNamespace: params.RootNamespace, ToolVersion: "test"})
	mods, err := policies.Modules(false)
	if err != nil {
		t.Fatal(err)
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
	return evidence.Input{Snapshot: snap, Report: rep, Catalog: cat, Modules: mods, Params: params, EvaluatedAt: t0, ToolVersion: "test", PolicyDigest: "sha256:test"}
}

func build(t *testing.T, dir string, in evidence.Input, at time.Time, key ed25519.PrivateKey) string {
	t.Helper()
	in.CreatedAt, in.SignKey = at, key
	p, err := evidence.Build(dir, in)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func roll(t *testing.T, dir string, opt Options) *Report {
	t.Helper()
	bundles, inc, err := ListDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Roll(context.Background(), dir, bundles, inc, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRoll: the latest verified bundle per cluster, changes since the
// previous one, stale clusters, --since, and bundles that fail (edited,
// renamed to look newer, signed by another key) named and left out.
func TestRoll(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	a, b := input(t, "a"), input(t, "b")
	// a's previous bundle: one finding fewer (so the latest has one new),
	// and one more (fixed since).
	prev := a
	r := *a.Report
	r.Findings = append([]report.Finding{}, a.Report.Findings[1:]...)
	extra := a.Report.Findings[0]
	extra.Fingerprint = "fixed-since"
	r.Findings = append(r.Findings, extra)
	prev.Report = &r
	build(t, dir, prev, t0.Add(-48*time.Hour), priv)
	aLatest := build(t, dir, a, t0, priv)
	build(t, dir, b, t0.Add(-72*time.Hour), priv)
	// b: a newer bundle signed by another key, and one edited.
	build(t, dir, b, t0.Add(-time.Hour), other)
	edited := build(t, dir, b, t0.Add(-30*time.Minute), priv)
	f := filepath.Join(edited, evidence.FileFindings)
	data, _ := os.ReadFile(f)
	data[5] ^= 1
	os.WriteFile(f, data, 0o640)
	// A copy of a's latest renamed to look newer.
	renamed := filepath.Join(dir, evidence.BundleName("a", t0.Add(time.Hour)))
	os.CopyFS(renamed, os.DirFS(aLatest))
	// An unfinished bundle.
	os.MkdirAll(filepath.Join(dir, ".tmp-a-x"), 0o750)

	rep := roll(t, dir, Options{PubKey: pub, Now: t0.Add(time.Hour), MaxAge: 24 * time.Hour})
	if len(rep.Clusters) != 2 || rep.Clusters[0].Name != "a" || rep.Clusters[1].Name != "b" {
		t.Fatalf("clusters %+v", rep.Clusters)
	}
	ca, cb := rep.Clusters[0], rep.Clusters[1]
	if ca.Bundle != aLatest || ca.Stale || ca.Bundles != 2 || ca.Changes == nil {
		t.Errorf("a: %+v", ca)
	} else {
		if len(ca.Changes.New) != 1 || ca.Changes.New[0].Fingerprint != a.Report.Findings[0].Fingerprint {
			t.Errorf("a new findings %+v", ca.Changes.New)
		}
		if len(ca.Changes.Fixed) != 1 || ca.Changes.Fixed[0].Fingerprint != "fixed-since" {
			t.Errorf("a fixed findings %+v", ca.Changes.Fixed)
		}
	}
	if !cb.Stale || cb.CreatedAt != t0.Add(-72*time.Hour).Format(time.RFC3339) || cb.Changes != nil {
		t.Errorf("b: the 72h-old bundle is its only verified one, stale after 24h: %+v", cb)
	}
	if len(rep.Failed) != 3 {
		t.Fatalf("failed %+v, want the edited, the other key's and the renamed bundle", rep.Failed)
	}
	want := map[string]string{edited: "findings.jsonl: SHA-256", renamed: "renamed or copied", filepath.Join(dir, evidence.BundleName("b", t0.Add(-time.Hour))): "does not verify with the given public key"}
	for _, fb := range rep.Failed {
		if w, ok := want[fb.Bundle]; !ok || !strings.Contains(strings.Join(fb.Problems, ";"), w) {
			t.Errorf("failed bundle %s: %v (want %q)", fb.Bundle, fb.Problems, w)
		}
	}
	if len(rep.Incomplete) != 1 || rep.Summary.Stale != 1 || rep.Summary.BundlesRead != 6 {
		t.Errorf("incomplete %v, summary %+v", rep.Incomplete, rep.Summary)
	}
	for _, row := range rep.Controls {
		if len(row.Clusters) != 2 {
			t.Errorf("control %s: clusters %v", row.ID, row.Clusters)
		}
	}

	// --since leaves the older bundles unread: a has no previous, b none.
	rep = roll(t, dir, Options{PubKey: pub, Since: t0.Add(-2 * time.Hour)})
	if len(rep.Clusters) != 1 || rep.Clusters[0].Changes != nil {
		t.Errorf("since: %+v", rep.Clusters)
	}

	// Without a key, unsigned is refused unless allowed.
	rep = roll(t, dir, Options{Now: t0})
	if len(rep.Clusters) != 0 {
		t.Errorf("without --pub-key or --allow-unsigned: %+v", rep.Clusters)
	}
}

// TestOutputs: every format renders; OSCAL is schema-valid with one
// result per cluster; JSON is byte-identical for the same input.
func TestOutputs(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dir := t.TempDir()
	for _, c := range []string{"x", "y", "z"} {
		build(t, dir, input(t, c), t0, priv)
	}
	rep := roll(t, dir, Options{PubKey: pub, Now: t0})
	var j1, j2 bytes.Buffer
	WriteJSON(&j1, rep)
	WriteJSON(&j2, roll(t, dir, Options{PubKey: pub, Now: t0, Concurrency: 1}))
	if !bytes.Equal(j1.Bytes(), j2.Bytes()) {
		t.Error("fleet JSON differs between two runs over the same bundles")
	}
	var o bytes.Buffer
	if err := WriteOSCAL(&o, rep); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(o.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	v, err := validation.NewValidatorDesiredVersion(m, "1.2.2")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Validate(); err != nil {
		res, _ := v.GetValidationResult()
		t.Fatalf("fleet OSCAL is not schema-valid: %v\n%+v", err, res.Errors)
	}
	results := m["assessment-results"].(map[string]any)["results"].([]any)
	if len(results) != 3 {
		t.Fatalf("%d OSCAL results, want one per cluster", len(results))
	}
	for _, f := range []string{"table", "html"} {
		var b bytes.Buffer
		if err := Write(&b, f, rep); err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"x", "y", "z"} {
			if !strings.Contains(b.String(), c) {
				t.Errorf("%s output does not name cluster %s", f, c)
			}
		}
	}
}
