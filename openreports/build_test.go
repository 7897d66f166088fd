package openreports_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/openreports"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

var scanTime = time.Date(2026, 12, 1, 3, 17, 0, 0, time.UTC)

func finding(id string, sev rules.Severity, ref snapshot.Ref, msg string) report.Finding {
	return report.Finding{RuleID: id, Title: "Title of " + id, Severity: sev, Controls: []string{"SC-8", "SC-8(1)"}, Resource: ref, Message: msg,
		Fingerprint: fmt.Sprintf("%x", sha256.Sum256([]byte(id+ref.FQN()+msg)))[:32]}
}

// sample is a live scan's report with a result of every kind: failing
// findings in two namespaces, one on a Namespace object, one on a
// cluster-scoped object, a mesh-wide one, an excepted one, a manifest
// location, and rules that are unknown, passing and not applicable.
func sample() *report.Report {
	judged := 7
	rep := &report.Report{
		Cluster: "prod-eu-1", CollectedAt: scanTime.Format(time.RFC3339),
		Findings: []report.Finding{
			finding("MTLS-02", rules.SeverityCritical, snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}, "port 8080 is PERMISSIVE"),
			finding("MESH-01", rules.SeverityHigh, snapshot.Ref{APIVersion: "v1", Kind: "Namespace", Name: "shop"}, "namespace not enrolled"),
			finding("AUTHZ-08", rules.SeverityHigh, snapshot.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "edit-mesh"}, "grants write on mesh policy"),
			finding("MTLS-01", rules.SeverityHigh, snapshot.Ref{Kind: "Mesh", Name: "prod-eu-1"}, "no mesh-wide PeerAuthentication"),
			finding("MESH-07", rules.SeverityMedium, snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "db", Name: "client"}, "excludeOutboundIPRanges bypasses the mesh"),
			finding("POD-01", rules.SeverityHigh, snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "api"}, "privileged container"),
		},
		Rules: []report.RuleResult{
			{ID: "MTLS-02", Title: "Title of MTLS-02", Severity: rules.SeverityCritical, Controls: []string{"SC-8(1)"}, Status: report.StatusFail, Findings: 1},
			{ID: "AUTHZ-01", Title: "Default-deny authorization", Severity: rules.SeverityCritical, Controls: []string{"AC-3"}, Status: report.StatusUnknown, Reason: "input not collected: AuthorizationPolicy (forbidden)"},
			{ID: "HA-01", Title: "Probes", Severity: rules.SeverityMedium, Controls: []string{"CP-10"}, Status: report.StatusPass, Judged: &judged},
			{ID: "ING-01", Title: "Gateways", Severity: rules.SeverityHigh, Controls: []string{"SC-8"}, Status: report.StatusNotApplicable, Reason: "no Gateway"},
			{ID: "MESH-07", Title: "Title of MESH-07", Severity: rules.SeverityMedium, Controls: []string{"AC-4"}, Status: report.StatusExcepted, Findings: 1},
		},
	}
	rep.Findings[4].Exception = &report.AppliedException{ID: "EXC-DB-1", Justification: "latency", Expires: "2027-01-31"}
	rep.Findings[5].File, rep.Findings[5].Line = "deploy/api.yaml", 14
	return rep
}

type obj struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metadata          `json:"metadata"`
	Source     string            `json:"source"`
	Scope      map[string]string `json:"scope"`
	Summary    map[string]int    `json:"summary"`
	Results    []result          `json:"results"`
}

type metadata struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type result struct {
	Source     string              `json:"source"`
	Policy     string              `json:"policy"`
	Rule       string              `json:"rule"`
	Category   string              `json:"category"`
	Severity   string              `json:"severity"`
	Result     string              `json:"result"`
	Scored     bool                `json:"scored"`
	Message    string              `json:"message"`
	Timestamp  map[string]int64    `json:"timestamp"`
	Resources  []map[string]string `json:"resources"`
	Properties map[string]string   `json:"properties"`
}

func decode(t *testing.T, objs []*unstructured.Unstructured) []obj {
	t.Helper()
	out := make([]obj, len(objs))
	for i, u := range objs {
		b, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestMapping: every verdict maps as docs/openreports.md says, into the
// report of the right scope.
func TestMapping(t *testing.T) {
	objs, err := openreports.Build(sample(), openreports.Options{Time: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, objs)
	var names []string
	for _, o := range got {
		names = append(names, o.Kind+" "+o.Metadata.Namespace+"/"+o.Metadata.Name)
		if o.APIVersion != "openreports.io/v1alpha1" || o.Source != "meshaudit" || o.Metadata.Labels["app.kubernetes.io/managed-by"] != "meshaudit" || o.Metadata.Annotations["meshaudit.io/cluster"] != "prod-eu-1" {
			t.Errorf("%s: apiVersion %s source %q labels %v annotations %v", o.Kind, o.APIVersion, o.Source, o.Metadata.Labels, o.Metadata.Annotations)
		}
		for _, r := range o.Results {
			if r.Source != "meshaudit" || !r.Scored || r.Timestamp["seconds"] != scanTime.Unix() || r.Properties["resultID"] == "" || r.Properties["controls"] == "" {
				t.Errorf("%s %s: %+v", o.Metadata.Name, r.Policy, r)
			}
			if r.Category != strings.Split(r.Policy, "-")[0] {
				t.Errorf("%s: category %q", r.Policy, r.Category)
			}
		}
	}
	if want := "ClusterReport /meshaudit,Report db/meshaudit,Report shop/meshaudit"; strings.Join(names, ",") != want {
		t.Fatalf("objects %v, want %s", names, want)
	}
	byName := func(o obj) map[string]result {
		m := map[string]result{}
		for _, r := range o.Results {
			m[r.Policy+" "+r.Result] = r
		}
		return m
	}
	cluster, db, shop := byName(got[0]), byName(got[1]), byName(got[2])

	// Cluster: the ClusterRole's finding, the mesh-wide one (no resource),
	// the unknown rule (error) and the passing rule; not the n/a one.
	if len(cluster) != 4 || cluster["AUTHZ-08 fail"].Resources[0]["kind"] != "ClusterRole" {
		t.Errorf("ClusterReport results %v", got[0].Results)
	}
	if m := cluster["MTLS-01 fail"]; m.Resources != nil || m.Properties["resource"] != "Mesh/prod-eu-1" {
		t.Errorf("mesh-wide result %+v", m)
	}
	if e := cluster["AUTHZ-01 error"]; e.Message != "input not collected: AuthorizationPolicy (forbidden)" || e.Severity != "critical" || e.Resources != nil {
		t.Errorf("unknown rule %+v", e)
	}
	if p := cluster["HA-01 pass"]; p.Properties["judged"] != "7" {
		t.Errorf("pass %+v", p)
	}
	if want := map[string]int{"pass": 1, "fail": 2, "warn": 0, "error": 1, "skip": 0}; !reflect.DeepEqual(got[0].Summary, want) {
		t.Errorf("ClusterReport summary %v, want %v", got[0].Summary, want)
	}
	if got[0].Scope != nil {
		t.Errorf("ClusterReport scope %v", got[0].Scope)
	}

	// db: the excepted finding is a skip naming its exception.
	if s := db["MESH-07 skip"]; s.Properties["exception"] != "EXC-DB-1" || s.Properties["exceptionExpires"] != "2027-01-31" || s.Resources[0]["name"] != "client" {
		t.Errorf("excepted finding %+v", s)
	}
	if want := map[string]int{"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 1}; !reflect.DeepEqual(got[1].Summary, want) {
		t.Errorf("db summary %v", got[1].Summary)
	}

	// shop: its two workloads and its Namespace, fail first by severity.
	var order []string
	for _, r := range got[2].Results {
		order = append(order, r.Policy)
	}
	if strings.Join(order, ",") != "MTLS-02,MESH-01,POD-01" {
		t.Errorf("shop results %v", order)
	}
	if r := shop["POD-01 fail"]; r.Properties["location"] != "deploy/api.yaml:14" || r.Rule != "Title of POD-01" || r.Message != "privileged container" || r.Severity != "high" ||
		!reflect.DeepEqual(r.Resources, []map[string]string{{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "api"}}) {
		t.Errorf("POD-01 %+v", r)
	}
	if r := shop["MTLS-02 fail"]; r.Properties["fingerprint"] != sample().Findings[0].Fingerprint || r.Properties["resultID"] != r.Properties["fingerprint"] || r.Properties["controls"] != "SC-8, SC-8(1)" {
		t.Errorf("MTLS-02 properties %v", r.Properties)
	}
	if got[2].Scope["kind"] != "Namespace" || got[2].Scope["name"] != "shop" {
		t.Errorf("shop scope %v", got[2].Scope)
	}
}

// TestTimestamp: a report without a collection time (manifests) takes the
// given time.
func TestTimestamp(t *testing.T) {
	rep := sample()
	rep.CollectedAt = ""
	objs, err := openreports.Build(rep, openreports.Options{Time: time.Unix(1234, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decode(t, objs) {
		for _, r := range o.Results {
			if r.Timestamp["seconds"] != 1234 {
				t.Fatalf("%s: timestamp %v", r.Policy, r.Timestamp)
			}
		}
	}
}

// TestDeterministic: the same report, findings and rules in any order,
// gives the same bytes.
func TestDeterministic(t *testing.T) {
	render := func(rep *report.Report) []byte {
		objs, err := openreports.Build(rep, openreports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for _, o := range objs {
			y, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(y)
		}
		return b.Bytes()
	}
	want := render(sample())
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		rep := sample()
		r.Shuffle(len(rep.Findings), func(i, j int) { rep.Findings[i], rep.Findings[j] = rep.Findings[j], rep.Findings[i] })
		r.Shuffle(len(rep.Rules), func(i, j int) { rep.Rules[i], rep.Rules[j] = rep.Rules[j], rep.Rules[i] })
		if got := render(rep); !bytes.Equal(got, want) {
			t.Fatalf("shuffled input renders differently:\n%s\nvs\n%s", got, want)
		}
	}
}

// big is a namespace with n findings, each with a long message.
func big(n int) *report.Report {
	rep := &report.Report{Cluster: "c", CollectedAt: scanTime.Format(time.RFC3339)}
	for i := 0; i < n; i++ {
		rep.Findings = append(rep.Findings, finding("POD-0"+fmt.Sprint(1+i%9), rules.SeverityHigh,
			snapshot.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "huge", Name: fmt.Sprintf("app-%05d", i)},
			strings.Repeat("container runs as root; ", 8)+fmt.Sprint(i)))
	}
	return rep
}

// TestSplit: a namespace with thousands of findings is split into parts,
// none above the limit, named meshaudit, meshaudit-2…, annotated k/n,
// together holding every result once, in order, each part's summary
// counting its own results.
func TestSplit(t *testing.T) {
	const n = 6000
	rep := big(n)
	for _, limit := range []int{0, 200 << 10} {
		objs, err := openreports.Build(rep, openreports.Options{MaxObjectBytes: limit})
		if err != nil {
			t.Fatal(err)
		}
		max := limit
		if max == 0 {
			max = openreports.DefaultMaxObjectBytes
		}
		if len(objs) < 2 {
			t.Fatalf("limit %d: %d object(s) for %d findings", limit, len(objs), n)
		}
		seen := map[string]bool{}
		total := 0
		for i, u := range objs {
			b, _ := json.Marshal(u.Object)
			if len(b) > max {
				t.Errorf("limit %d: %s is %d bytes", limit, u.GetName(), len(b))
			}
			if want := openreports.PartName(i + 1); u.GetName() != want || u.GetNamespace() != "huge" {
				t.Errorf("part %d named %s/%s, want huge/%s", i+1, u.GetNamespace(), u.GetName(), want)
			}
			if got, want := u.GetAnnotations()["meshaudit.io/part"], fmt.Sprintf("%d/%d", i+1, len(objs)); got != want {
				t.Errorf("part annotation %q, want %q", got, want)
			}
			o := decode(t, []*unstructured.Unstructured{u})[0]
			if o.Summary["fail"] != len(o.Results) {
				t.Errorf("%s: summary %v for %d results", u.GetName(), o.Summary, len(o.Results))
			}
			for _, r := range o.Results {
				if seen[r.Properties["resultID"]] {
					t.Errorf("result %s twice", r.Properties["resultID"])
				}
				seen[r.Properties["resultID"]] = true
				total++
			}
		}
		if total != n {
			t.Errorf("limit %d: %d results in the parts, want %d", limit, total, n)
		}
		t.Logf("limit %d: %d findings in %d parts", max, n, len(objs))
	}
	// One object when it fits: no part annotation.
	objs, err := openreports.Build(big(10), openreports.Options{})
	if err != nil || len(objs) != 1 || objs[0].GetAnnotations()["meshaudit.io/part"] != "" {
		t.Fatalf("10 findings: %d objects, err %v", len(objs), err)
	}
}

// crdSchema compiles a CRD's openAPIV3Schema from deploy/crds, closed
// (additionalProperties false wherever properties are listed) so that a
// field the CRD does not define fails rather than being pruned.
func crdSchema(t *testing.T, file string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "deploy", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b, &crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != "v1alpha1" {
		t.Fatalf("%s: versions %v", file, crd.Spec.Versions)
	}
	var closeSchema func(v any)
	closeSchema = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["properties"]; ok {
				if _, ok := x["additionalProperties"]; !ok {
					x["additionalProperties"] = false
				}
			}
			for _, c := range x {
				closeSchema(c)
			}
		case []any:
			for _, c := range x {
				closeSchema(c)
			}
		}
	}
	s := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	closeSchema(s)
	raw, _ := json.Marshal(s)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestCRDSchema: every object validates against the CRD meshaudit ships,
// closed against unknown fields.
func TestCRDSchema(t *testing.T) {
	schemas := map[string]*jsonschema.Schema{
		"Report":        crdSchema(t, "openreports.io_reports.yaml"),
		"ClusterReport": crdSchema(t, "openreports.io_clusterreports.yaml"),
	}
	reps := []*report.Report{sample(), big(3000)}
	for _, rep := range reps {
		objs, err := openreports.Build(rep, openreports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range objs {
			raw, _ := json.Marshal(u.Object)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas[u.GetKind()].Validate(doc); err != nil {
				t.Errorf("%s %s/%s does not validate against its CRD: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
			}
		}
	}
	// The check can fail: a field the CRD does not have.
	objs, _ := openreports.Build(sample(), openreports.Options{})
	u := objs[1].DeepCopy()
	_ = unstructured.SetNestedField(u.Object, "x", "results0")
	raw, _ := json.Marshal(u.Object)
	doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if schemas["Report"].Validate(doc) == nil {
		t.Error("an unknown field validates")
	}
}

// TestPolicyReports: the wgpolicyk8s.io/v1alpha2 objects hold the same
// results and summaries under PolicyReport / ClusterPolicyReport, without
// the report-level source OpenReports adds.
func TestPolicyReports(t *testing.T) {
	or, err := openreports.Build(sample(), openreports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pr, err := openreports.BuildPolicyReports(sample(), openreports.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(or) != len(pr) {
		t.Fatalf("%d OpenReports objects, %d PolicyReports", len(or), len(pr))
	}
	kinds := map[string]string{"Report": "PolicyReport", "ClusterReport": "ClusterPolicyReport"}
	for i := range or {
		a, b := or[i].Object, pr[i].Object
		if pr[i].GetAPIVersion() != "wgpolicyk8s.io/v1alpha2" || pr[i].GetKind() != kinds[or[i].GetKind()] {
			t.Errorf("%s: %s %s", pr[i].GetName(), pr[i].GetAPIVersion(), pr[i].GetKind())
		}
		if _, ok := b["source"]; ok {
			t.Errorf("PolicyReport has a report-level source")
		}
		for _, f := range []string{"results", "summary", "scope", "metadata"} {
			if !reflect.DeepEqual(a[f], b[f]) {
				t.Errorf("%s %s differs:\n%v\n%v", or[i].GetName(), f, a[f], b[f])
			}
		}
	}
}
