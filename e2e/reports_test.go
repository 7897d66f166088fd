package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/openreports"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// installReportCRDs applies deploy/crds (the OpenReports CRDs meshaudit
// ships) and waits until both are Established. They stay installed.
func installReportCRDs(t *testing.T, c *cluster) {
	t.Helper()
	ctx := context.Background()
	objs := loadManifests(t, repoPath("deploy/crds"))
	if len(objs) != 2 {
		t.Fatalf("deploy/crds: %d objects, want 2", len(objs))
	}
	for _, u := range objs {
		if _, err := c.dyn.Resource(crdGVR).Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: fieldManager, Force: true}); err != nil {
			t.Fatalf("apply CRD %s: %v", u.GetName(), err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range objs {
		for {
			crd, err := c.dyn.Resource(crdGVR).Get(ctx, u.GetName(), metav1.GetOptions{})
			established := false
			if err == nil {
				conds, _, _ := unstructuredSlice(crd.Object, "status", "conditions")
				for _, cond := range conds {
					m, _ := cond.(map[string]any)
					established = established || m["type"] == "Established" && m["status"] == "True"
				}
			}
			if established {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not Established after 60s (%v)", u.GetName(), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	c.mapper.Reset()
}

// meshauditReports lists meshaudit's reports: ClusterReports and Reports of
// every namespace, by name "Kind namespace/name".
func meshauditReports(t *testing.T, c *cluster) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	sel := metav1.ListOptions{LabelSelector: openreports.ManagedByLabel + "=" + openreports.ManagedBy}
	for _, gvr := range []schema.GroupVersionResource{openreports.ClusterReportsGVR, openreports.ReportsGVR} {
		l, err := c.dyn.Resource(gvr).List(context.Background(), sel)
		if err != nil {
			t.Fatalf("list %s: %v", gvr.Resource, err)
		}
		for i := range l.Items {
			u := &l.Items[i]
			out[u.GetKind()+" "+strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/")] = u
		}
	}
	return out
}

// deleteReports removes every report of the given resources (cleanup).
func deleteReports(t *testing.T, c *cluster) {
	ctx := context.Background()
	for _, gvr := range []schema.GroupVersionResource{openreports.ClusterReportsGVR, openreports.ReportsGVR} {
		l, err := c.dyn.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Errorf("cleanup: list %s: %v", gvr.Resource, err)
			continue
		}
		for _, u := range l.Items {
			ri := c.dyn.Resource(gvr).Namespace(u.GetNamespace())
			if u.GetNamespace() == "" {
				ri = nil
			}
			var err error
			if ri != nil {
				err = ri.Delete(ctx, u.GetName(), metav1.DeleteOptions{})
			} else {
				err = c.dyn.Resource(gvr).Delete(ctx, u.GetName(), metav1.DeleteOptions{})
			}
			if err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("cleanup: delete %s %s/%s: %v", gvr.Resource, u.GetNamespace(), u.GetName(), err)
			}
		}
	}
}

// resultKey identifies a result: outcome, rule, subject, fingerprint.
func resultKey(result, policy, subject, id string) string {
	return result + " " + policy + " " + subject + " " + id
}

// expectedResults is, per scope ("" = the ClusterReport), what a report
// must hold, derived from the JSON report independently of the package
// under test: a fail per open finding, a skip per excepted one, an error
// per unknown rule and a pass per passing rule (cluster-wide).
func expectedResults(rep *report.Report) map[string][]string {
	out := map[string][]string{}
	for _, f := range rep.Findings {
		scope := f.Resource.Namespace
		if f.Resource.Kind == "Namespace" && scope == "" {
			scope = f.Resource.Name
		}
		subject := f.Resource.Kind + "/" + f.Resource.Namespace + "/" + f.Resource.Name
		if f.Resource.Kind == "Mesh" {
			subject = ""
		}
		res := "fail"
		if f.Exception != nil {
			res = "skip"
		}
		out[scope] = append(out[scope], resultKey(res, f.RuleID, subject, f.Fingerprint))
	}
	for _, r := range rep.Rules {
		switch r.Status {
		case report.StatusUnknown:
			out[""] = append(out[""], resultKey("error", r.ID, "", ""))
		case report.StatusPass:
			out[""] = append(out[""], resultKey("pass", r.ID, "", ""))
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// actualResults is the same view of the reports in the cluster (parts
// merged), checking each object's summary against its results.
func actualResults(t *testing.T, objs map[string]*unstructured.Unstructured) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, u := range objs {
		results, _, _ := unstructured.NestedSlice(u.Object, "results")
		counts := map[string]int64{}
		for _, r := range results {
			m := r.(map[string]any)
			res, _ := m["result"].(string)
			counts[res]++
			subject := ""
			if rs, ok := m["resources"].([]any); ok && len(rs) == 1 {
				ref := rs[0].(map[string]any)
				subject = fmt.Sprintf("%v/%v/%v", ref["kind"], strOr(ref["namespace"]), ref["name"])
			}
			id := ""
			if props, ok := m["properties"].(map[string]any); ok && (res == "fail" || res == "skip") {
				id, _ = props["fingerprint"].(string)
			}
			if m["source"] != "meshaudit" {
				t.Errorf("%s: result source %v", name, m["source"])
			}
			out[u.GetNamespace()] = append(out[u.GetNamespace()], resultKey(res, fmt.Sprint(m["policy"]), subject, id))
		}
		for _, k := range []string{"pass", "fail", "error", "skip"} {
			v, _, _ := unstructured.NestedFieldNoCopy(u.Object, "summary", k)
			if got := fmt.Sprint(v); got != fmt.Sprint(counts[k]) { // int64 from the server, float64 from YAML
				t.Errorf("%s: summary.%s = %s, results say %d", name, k, got, counts[k])
			}
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func strOr(v any) string {
	s, _ := v.(string)
	return s
}

// compareResults: the cluster's reports hold exactly the scan's results,
// namespace by namespace.
func compareResults(t *testing.T, what string, want, got map[string][]string) {
	t.Helper()
	scopes := map[string]bool{}
	for s := range want {
		scopes[s] = true
	}
	for s := range got {
		scopes[s] = true
	}
	for s := range scopes {
		if !slices.Equal(want[s], got[s]) {
			name := s
			if name == "" {
				name = "(ClusterReport)"
			}
			t.Errorf("%s: namespace %s: reports hold\n  %v\nwant\n  %v", what, name, got[s], want[s])
		}
	}
}

const reportsFixture = `
apiVersion: v1
kind: Namespace
metadata: {name: reports-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: reports-b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: privileged, namespace: reports-a}
spec:
  replicas: 1
  selector: {matchLabels: {app: privileged}}
  template:
    metadata: {labels: {app: privileged}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0
          securityContext: {privileged: true}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: victim, namespace: reports-a}
spec:
  replicas: 1
  selector: {matchLabels: {app: victim}}
  template:
    metadata: {labels: {app: victim}}
    spec:
      hostNetwork: true
      containers:
        - name: app
          image: nginx:latest
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: reports-b}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:latest
`

func decodeYAML(t *testing.T, s string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, doc := range strings.Split(s, "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
	return out
}

// TestWriteReports (issue 18): a live scan with --write-reports puts one
// fail result per finding of each namespace into that namespace's Report,
// cluster-scoped and mesh-wide results into the ClusterReport, the same
// objects -o openreports prints; after a workload is deleted a rescan
// drops its results and deletes meshaudit's stale reports (not another
// tool's); a scan limited to a namespace leaves the others' reports; a
// reader without write permission gets exit 3, the error naming the
// refused writes, with every other output intact and the cluster's
// reports untouched.
func TestWriteReports(t *testing.T) {
	c := needCluster(t)
	installReportCRDs(t, c)
	c.apply(t, append(decodeYAML(t, reportsFixture), loadManifests(t, repoPath("deploy/rbac.yaml"))...))
	t.Cleanup(func() { deleteReports(t, c) }) // before the fixture's cleanup
	dir := t.TempDir()
	ctx := context.Background()

	// 1. Write, and compare with the JSON report of the same scan.
	jsonOut, orOut := filepath.Join(dir, "1.json"), filepath.Join(dir, "1.openreports.yaml")
	code, _, stderr := cli(t, "scan", "--kubeconfig", c.kubeconfig, "--fail-on", "none", "--write-reports", "-o", "json="+jsonOut, "-o", "openreports="+orOut)
	if code != 0 {
		t.Fatalf("scan --write-reports exited %d; stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "report(s) applied") {
		t.Errorf("stderr does not say what was written:\n%s", stderr)
	}
	rep := readReport(t, jsonOut)
	want := expectedResults(rep)
	for _, ns := range []string{"reports-a", "reports-b", ""} {
		if len(want[ns]) == 0 {
			t.Fatalf("fixture: no results expected in %q; findings %d", ns, len(rep.Findings))
		}
	}
	objs := meshauditReports(t, c)
	compareResults(t, "after the first scan", want, actualResults(t, objs))
	if _, ok := objs["ClusterReport meshaudit"]; !ok {
		t.Errorf("no ClusterReport meshaudit: %v", keys(objs))
	}
	for name, u := range objs {
		if u.GetLabels()[openreports.ManagedByLabel] != "meshaudit" {
			t.Errorf("%s: labels %v", name, u.GetLabels())
		}
		managers := map[string]bool{}
		for _, mf := range u.GetManagedFields() {
			managers[mf.Manager+"/"+string(mf.Operation)] = true
		}
		if !managers["meshaudit/Apply"] || len(managers) != 1 {
			t.Errorf("%s: field managers %v, want meshaudit/Apply only", name, managers)
		}
	}
	// What kubectl get reports -A shows: the server's Table, whose Fail
	// column counts the namespace's open findings.
	checkReportsTable(t, c, want)

	// -o openreports printed the very objects that were applied.
	b, err := os.ReadFile(orOut)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := yaml.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	fromFile := map[string]*unstructured.Unstructured{}
	for _, it := range list.Items {
		u := &unstructured.Unstructured{Object: it}
		fromFile[u.GetKind()+" "+strings.TrimPrefix(u.GetNamespace()+"/"+u.GetName(), "/")] = u
	}
	if !slices.Equal(keys(fromFile), keys(objs)) {
		t.Errorf("-o openreports objects %v, cluster %v", keys(fromFile), keys(objs))
	}
	compareResults(t, "-o openreports", want, actualResults(t, fromFile))

	// 2. A stale part of meshaudit's and another tool's report; delete a
	// workload; rescan.
	stale := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": openreports.OpenReportsVersion, "kind": "Report",
		"metadata": map[string]any{"name": "meshaudit-7", "namespace": "reports-b", "labels": map[string]any{openreports.ManagedByLabel: openreports.ManagedBy}},
		"source":   "meshaudit",
	}}
	other := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": openreports.OpenReportsVersion, "kind": "Report",
		"metadata": map[string]any{"name": "kyverno-pol-1", "namespace": "reports-b", "labels": map[string]any{openreports.ManagedByLabel: "kyverno"}},
		"source":   "kyverno",
	}}
	for _, u := range []*unstructured.Unstructured{stale, other} {
		if _, err := c.dyn.Resource(openreports.ReportsGVR).Namespace("reports-b").Apply(ctx, u.GetName(), u, metav1.ApplyOptions{FieldManager: "someone-else", Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.cs.AppsV1().Deployments("reports-a").Delete(ctx, "victim", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	hadVictim := false
	for _, k := range want["reports-a"] {
		hadVictim = hadVictim || strings.Contains(k, " Deployment/reports-a/victim ")
	}
	if !hadVictim {
		t.Fatalf("fixture: no result on Deployment reports-a/victim: %v", want["reports-a"])
	}
	jsonOut2 := filepath.Join(dir, "2.json")
	if code, _, stderr := cli(t, "scan", "--kubeconfig", c.kubeconfig, "--fail-on", "none", "--write-reports", "-o", "json="+jsonOut2); code != 0 {
		t.Fatalf("rescan exited %d; stderr:\n%s", code, stderr)
	} else if !strings.Contains(stderr, "1 stale deleted") {
		t.Errorf("rescan stderr does not report the stale report deleted:\n%s", stderr)
	}
	rep2 := readReport(t, jsonOut2)
	objs = meshauditReports(t, c)
	got := actualResults(t, objs)
	compareResults(t, "after the rescan", expectedResults(rep2), got)
	for _, k := range got["reports-a"] {
		if strings.Contains(k, "Deployment/reports-a/victim") {
			t.Errorf("a result of the deleted workload survived: %s", k)
		}
	}
	if _, ok := objs["Report reports-b/meshaudit-7"]; ok {
		t.Error("meshaudit's stale report reports-b/meshaudit-7 survived the rescan")
	}
	if _, err := c.dyn.Resource(openreports.ReportsGVR).Namespace("reports-b").Get(ctx, "kyverno-pol-1", metav1.GetOptions{}); err != nil {
		t.Errorf("another tool's report was touched: %v", err)
	}

	// 3. A scan limited to reports-a rewrites reports-a and leaves the
	// report of reports-b.
	before := meshauditReports(t, c)["Report reports-b/meshaudit"]
	if before == nil {
		t.Fatal("no report in reports-b")
	}
	if code, _, stderr := cli(t, "scan", "--kubeconfig", c.kubeconfig, "--fail-on", "none", "--write-reports", "-n", "reports-a", "-o", "json="+filepath.Join(dir, "3.json")); code != 0 {
		t.Fatalf("scan -n reports-a exited %d; stderr:\n%s", code, stderr)
	}
	after := meshauditReports(t, c)["Report reports-b/meshaudit"]
	if after == nil || after.GetResourceVersion() != before.GetResourceVersion() {
		t.Errorf("scan -n reports-a changed or deleted the report of reports-b")
	}

	// 4. The read-only ServiceAccount of deploy/rbac.yaml: exit 3 naming
	// the refused writes; the JSON and OpenReports files are written in
	// full; the cluster's reports are unchanged.
	kc, _ := c.addUser(t, saUser, saGroups...)
	prev := meshauditReports(t, c)
	jsonOut4, orOut4 := filepath.Join(dir, "4.json"), filepath.Join(dir, "4.openreports.yaml")
	code, _, stderr = cli(t, "scan", "--kubeconfig", kc, "--fail-on", "none", "--write-reports", "-o", "json="+jsonOut4, "-o", "openreports="+orOut4)
	if code != 3 {
		t.Fatalf("read-only scan --write-reports exited %d, want 3; stderr:\n%s", code, stderr)
	}
	for _, w := range []string{"--write-reports", "forbidden", "apply Report reports-a/meshaudit", "apply ClusterReport meshaudit"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr does not name %q:\n%s", w, stderr)
		}
	}
	rep4 := readReport(t, jsonOut4)
	if len(rep4.Findings) == 0 || !rep4.Summary.Complete {
		t.Errorf("read-only scan's JSON report: %d findings, complete %v", len(rep4.Findings), rep4.Summary.Complete)
	}
	if st, err := os.Stat(orOut4); err != nil || st.Size() == 0 {
		t.Errorf("-o openreports not written beside the failed write: %v", err)
	}
	now := meshauditReports(t, c)
	if !slices.Equal(keys(prev), keys(now)) {
		t.Errorf("reports changed by a refused write: %v → %v", keys(prev), keys(now))
	}
	for k, u := range now {
		if u.GetResourceVersion() != prev[k].GetResourceVersion() {
			t.Errorf("%s changed by a refused write", k)
		}
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestWriteReportsLarge: a namespace with thousands of findings is written
// in parts the API server accepts — written whole, the same results are
// refused as too large — and when it shrinks, its extra parts are deleted.
func TestWriteReportsLarge(t *testing.T) {
	c := needCluster(t)
	installReportCRDs(t, c)
	c.apply(t, decodeYAML(t, "apiVersion: v1\nkind: Namespace\nmetadata: {name: reports-huge}\n"))
	t.Cleanup(func() { deleteReports(t, c) })
	ctx := context.Background()
	big := func(n int) *report.Report {
		rep := &report.Report{Cluster: "e2e", CollectedAt: time.Now().UTC().Format(time.RFC3339)}
		for i := 0; i < n; i++ {
			rep.Findings = append(rep.Findings, report.Finding{RuleID: "POD-01", Title: "No privileged containers", Severity: rules.SeverityHigh, Controls: []string{"AC-6", "CM-7"},
				Resource: snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "reports-huge", Name: fmt.Sprintf("app-%05d", i)},
				Message:  "container app is privileged: it has every capability of the node and escapes the mesh's isolation", Fingerprint: fmt.Sprintf("%032d", i)})
		}
		return rep
	}
	w, err := openreports.NewWriter(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Namespaces = []string{"reports-huge"}
	const n = 5000
	objs, err := openreports.Build(big(n), openreports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) < 3 {
		t.Fatalf("%d findings in %d object(s)", n, len(objs))
	}
	start := time.Now()
	out, err := w.Write(ctx, objs)
	if err != nil {
		t.Fatalf("write %d parts: %v", len(objs), err)
	}
	t.Logf("%d findings written as %d Reports in %s", n, len(objs), time.Since(start).Round(time.Millisecond))
	if len(out.Applied) != len(objs) {
		t.Errorf("applied %v", out.Applied)
	}
	total := 0
	for _, u := range meshauditReports(t, c) {
		if u.GetNamespace() == "reports-huge" {
			rs, _, _ := unstructured.NestedSlice(u.Object, "results")
			total += len(rs)
		}
	}
	if total != n {
		t.Errorf("%d results stored in reports-huge, want %d", total, n)
	}

	// Unsplit, the server refuses the object, even one below the API
	// server's 3 MiB request limit: etcd stores at most 1.5 MiB. The
	// split is what makes it fit.
	whole, err := openreports.Build(big(n), openreports.Options{MaxObjectBytes: 1 << 30})
	if err != nil || len(whole) != 1 {
		t.Fatalf("unsplit: %d objects, %v", len(whole), err)
	}
	size := func(u *unstructured.Unstructured) int { b, _ := json.Marshal(u.Object); return len(b) }
	n2 := n * (1750 << 10) / size(whole[0]) // about 1.7 MiB
	whole, _ = openreports.Build(big(n2), openreports.Options{MaxObjectBytes: 1 << 30})
	if s := size(whole[0]); s < 1600<<10 || s > 1900<<10 {
		t.Fatalf("unsplit object of %d findings is %d bytes, want 1.6–1.9 MiB", n2, s)
	}
	whole[0].SetName("meshaudit-unsplit")
	w2 := *w
	w2.Namespaces = []string{"reports-none"} // leave reports-huge's parts alone
	w2.Backoff.Steps = 1
	if _, err := w2.Write(ctx, whole); err == nil {
		t.Errorf("the unsplit report of %d findings (%d bytes) was accepted: the split test proves nothing", n2, size(whole[0]))
	} else {
		t.Logf("unsplit: %v", err)
	}

	// Fewer findings: fewer parts, the others deleted.
	objs, _ = openreports.Build(big(10), openreports.Options{})
	out, err = w.Write(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for k := range meshauditReports(t, c) {
		if strings.Contains(k, "reports-huge/") {
			left = append(left, k)
		}
	}
	if strings.Join(left, ",") != "Report reports-huge/meshaudit" || len(out.Deleted) < 2 {
		t.Errorf("after shrinking: reports %v, deleted %v", left, out.Deleted)
	}
}

// checkReportsTable fetches the reports as kubectl get reports -A does (a
// server-side Table, the CRD's printer columns) and checks each row's Fail
// column against the scan's open findings of that namespace.
func checkReportsTable(t *testing.T, c *cluster, want map[string][]string) {
	t.Helper()
	hc, err := rest.HTTPClientFor(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(c.cfg.Host, "/")+"/apis/openreports.io/v1alpha1/reports?labelSelector="+openreports.ManagedByLabel+"%3D"+openreports.ManagedBy, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var table metav1.Table
	if err := json.NewDecoder(resp.Body).Decode(&table); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reports as a Table: %d %v", resp.StatusCode, err)
	}
	var cols []string
	var shown []int // the columns kubectl shows without -o wide
	fail := -1
	for i, col := range table.ColumnDefinitions {
		if col.Priority == 0 {
			cols = append(cols, strings.ToUpper(col.Name))
			shown = append(shown, i)
		}
		if col.Name == "Fail" {
			fail = i
		}
	}
	if strings.Join(cols, " ") != "NAME PASS FAIL WARN ERROR SKIP AGE" {
		t.Errorf("kubectl get reports columns %v", cols)
	}
	var lines []string
	for _, row := range table.Rows {
		var meta metav1.PartialObjectMetadata
		if err := json.Unmarshal(row.Object.Raw, &meta); err != nil {
			t.Fatal(err)
		}
		fails := 0
		for _, k := range want[meta.Namespace] {
			if strings.HasPrefix(k, "fail ") {
				fails++
			}
		}
		if fail < 0 || fmt.Sprint(row.Cells[fail]) != fmt.Sprint(fails) {
			t.Errorf("kubectl get reports -n %s: Fail column %d of %v, want %d", meta.Namespace, fail, row.Cells, fails)
		}
		line := fmt.Sprintf("%-12s", meta.Namespace)
		for _, i := range shown {
			line += fmt.Sprintf(" %-10v", row.Cells[i])
		}
		lines = append(lines, line)
	}
	t.Logf("kubectl get reports -A:\nNAMESPACE    %s\n%s", strings.Join(cols, "       "), strings.Join(lines, "\n"))
}
