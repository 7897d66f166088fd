// Package openreports turns meshaudit's reports into policy-report custom
// resources — OpenReports (openreports.io/v1alpha1 Report and
// ClusterReport) and the Policy Working Group's older PolicyReport
// (wgpolicyk8s.io/v1alpha2 PolicyReport and ClusterPolicyReport) — and
// writes the OpenReports ones to a cluster (server-side apply, stale
// reports deleted). The mapping is documented in docs/openreports.md:
//
//   - a finding           → result fail, on its resource;
//   - an excepted finding → result skip, properties.exception = the id;
//   - an unknown rule     → result error in the ClusterReport, its reason as message;
//   - a passing rule      → result pass in the ClusterReport, properties.judged;
//   - not applicable      → nothing.
//
// Findings on a namespaced object (or on a Namespace) go to the Report of
// that namespace; findings on cluster-scoped objects and mesh-wide
// findings (Mesh/<cluster>) to the ClusterReport. Objects are split into
// parts below MaxObjectBytes so that no namespace's results exceed what
// the API server stores (etcd's 1.5 MiB request limit).
package openreports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	orv1 "github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/snapshot"
)

// Constants of the objects meshaudit writes.
const (
	// Source is every result's (and report's) source.
	Source = "meshaudit"
	// Name is the name of the Report of each namespace and of the
	// ClusterReport; further parts of a split report are Name-2, Name-3….
	Name = "meshaudit"
	// ManagedByLabel marks meshaudit's reports; stale ones are found by it.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "meshaudit"
	// PartAnnotation says "k/n" on a report split into n parts.
	PartAnnotation = "meshaudit.io/part"
	// ClusterAnnotation names the scanned cluster as meshaudit reports it.
	ClusterAnnotation = "meshaudit.io/cluster"

	// DefaultMaxObjectBytes bounds the JSON size of one report object:
	// below etcd's default 1.5 MiB request limit, with room for metadata
	// and managedFields.
	DefaultMaxObjectBytes = 1 << 20
)

// API versions and kinds.
const (
	OpenReportsGroup      = "openreports.io"
	OpenReportsVersion    = "openreports.io/v1alpha1"
	PolicyReportVersion   = "wgpolicyk8s.io/v1alpha2"
	KindReport            = "Report"
	KindClusterReport     = "ClusterReport"
	KindPolicyReport      = "PolicyReport"
	KindClusterPolicyRept = "ClusterPolicyReport"
)

// Result values (identical in both APIs).
const (
	ResultPass  = "pass"
	ResultFail  = "fail"
	ResultError = "error"
	ResultSkip  = "skip"
)

// Options of a build.
type Options struct {
	// Time is the results' timestamp when a report has no collection time
	// (a manifest scan without SOURCE_DATE_EPOCH); a live scan's results
	// carry its collection time.
	Time time.Time
	// MaxObjectBytes bounds one object's JSON size (0: DefaultMaxObjectBytes).
	MaxObjectBytes int
}

// Build is the OpenReports objects of one scan's report: a Report per
// namespace with results and one ClusterReport (when it has results),
// sorted (ClusterReports first, then by namespace and name), as
// unstructured objects ready to apply or print.
func Build(rep *report.Report, opts Options) ([]*unstructured.Unstructured, error) {
	return build(rep, opts, OpenReportsVersion)
}

// BuildPolicyReports is Build in wgpolicyk8s.io/v1alpha2: PolicyReport and
// ClusterPolicyReport, with the same results.
func BuildPolicyReports(rep *report.Report, opts Options) ([]*unstructured.Unstructured, error) {
	return build(rep, opts, PolicyReportVersion)
}

// Scope says where a finding's result goes: the namespace of its resource
// (a Namespace's own name for a finding on a Namespace), or "" for the
// ClusterReport (cluster-scoped objects, mesh-wide findings).
func Scope(f report.Finding) string {
	switch {
	case f.Resource.Kind == "Mesh" && f.Resource.APIVersion == "":
		return ""
	case f.Resource.Namespace != "":
		return f.Resource.Namespace
	case f.Resource.Kind == "Namespace" && snapshot.GroupOf(f.Resource.APIVersion) == "":
		return f.Resource.Name
	}
	return ""
}

// Results maps one report to results, by scope ("" = the ClusterReport).
func Results(rep *report.Report, now time.Time) map[string][]orv1.ReportResult {
	ts := timestamp(rep, now)
	out := map[string][]orv1.ReportResult{}
	for _, f := range rep.Findings {
		r := orv1.ReportResult{
			Source:      Source,
			Policy:      f.RuleID,
			Rule:        f.Title,
			Category:    Category(f.RuleID),
			Severity:    orv1.ResultSeverity(f.Severity.String()),
			Timestamp:   ts,
			Result:      ResultFail,
			Scored:      true,
			Description: f.Message,
			Properties: map[string]string{
				"controls":    strings.Join(f.Controls, ", "),
				"fingerprint": f.Fingerprint,
				"resultID":    f.Fingerprint,
			},
		}
		if ref, ok := objectRef(f); ok {
			r.Subjects = []corev1.ObjectReference{ref}
		} else {
			r.Properties["resource"] = f.FQN()
		}
		if f.File != "" {
			loc := f.File
			if f.Line > 0 {
				loc += ":" + strconv.Itoa(f.Line)
			}
			r.Properties["location"] = loc
		}
		if e := f.Exception; e != nil {
			r.Result = ResultSkip
			r.Properties["exception"] = e.ID
			r.Properties["exceptionExpires"] = e.Expires
			if e.SelfDeclared {
				r.Properties["exceptionSelfDeclared"] = "true"
			}
		}
		scope := Scope(f)
		out[scope] = append(out[scope], r)
	}
	for _, rr := range rep.Rules {
		var r orv1.ReportResult
		switch rr.Status {
		case report.StatusUnknown:
			r = ruleResult(rr, ResultError, rr.Reason, ts)
		case report.StatusPass:
			msg := "passed"
			r = ruleResult(rr, ResultPass, msg, ts)
			if rr.Judged != nil {
				r.Description = fmt.Sprintf("passed on %d subject(s) judged", *rr.Judged)
				r.Properties["judged"] = strconv.Itoa(*rr.Judged)
			}
		default: // fail and excepted: their findings; not applicable: nothing
			continue
		}
		out[""] = append(out[""], r)
	}
	for _, rs := range out {
		sortResults(rs)
	}
	return out
}

// ruleResult is the result of a rule as a whole (no resource).
func ruleResult(rr report.RuleResult, result, msg string, ts metav1.Timestamp) orv1.ReportResult {
	return orv1.ReportResult{
		Source: Source, Policy: rr.ID, Rule: rr.Title, Category: Category(rr.ID),
		Severity: orv1.ResultSeverity(rr.Severity.String()), Timestamp: ts, Result: orv1.Result(result), Scored: true,
		Description: msg,
		Properties: map[string]string{
			"controls": strings.Join(rr.Controls, ", "),
			"resultID": resultID(result, rr.ID),
		},
	}
}

// resultID is a stable identity of a rule-level result.
func resultID(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// Category is a rule's family: its id up to the last dash (MTLS-01 →
// MTLS), the id itself when it has none.
func Category(id string) string {
	if i := strings.LastIndex(id, "-"); i > 0 {
		return id[:i]
	}
	return id
}

// objectRef is a finding's subject as an object reference; mesh-wide
// findings (Mesh/<cluster>) have none.
func objectRef(f report.Finding) (corev1.ObjectReference, bool) {
	if f.Resource.Kind == "Mesh" && f.Resource.APIVersion == "" {
		return corev1.ObjectReference{}, false
	}
	return corev1.ObjectReference{APIVersion: f.Resource.APIVersion, Kind: f.Resource.Kind, Namespace: f.Resource.Namespace, Name: f.Resource.Name}, true
}

// timestamp is the scan time: the report's collection time, else now.
func timestamp(rep *report.Report, now time.Time) metav1.Timestamp {
	t := now
	if rep.CollectedAt != "" {
		if c, err := time.Parse(time.RFC3339Nano, rep.CollectedAt); err == nil {
			t = c
		}
	}
	return metav1.Timestamp{Seconds: t.Unix()}
}

var resultRank = map[orv1.Result]int{ResultFail: 0, ResultError: 1, ResultSkip: 2, ResultPass: 3}
var severityRank = map[orv1.ResultSeverity]int{"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

// sortResults: fail, error, skip, pass; then severity (highest first),
// policy, resource, result id.
func sortResults(rs []orv1.ReportResult) {
	key := func(r orv1.ReportResult) string {
		if len(r.Subjects) == 0 {
			return ""
		}
		s := r.Subjects[0]
		return s.Kind + "/" + s.Namespace + "/" + s.Name
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if resultRank[a.Result] != resultRank[b.Result] {
			return resultRank[a.Result] < resultRank[b.Result]
		}
		if severityRank[a.Severity] != severityRank[b.Severity] {
			return severityRank[a.Severity] < severityRank[b.Severity]
		}
		if a.Policy != b.Policy {
			return a.Policy < b.Policy
		}
		if ka, kb := key(a), key(b); ka != kb {
			return ka < kb
		}
		return a.Properties["resultID"] < b.Properties["resultID"]
	})
}

// summarize counts results by outcome.
func summarize(rs []orv1.ReportResult) orv1.ReportSummary {
	var s orv1.ReportSummary
	for _, r := range rs {
		switch r.Result {
		case ResultPass:
			s.Pass++
		case ResultFail:
			s.Fail++
		case "warn":
			s.Warn++
		case ResultError:
			s.Error++
		case ResultSkip:
			s.Skip++
		}
	}
	return s
}

// build renders the reports of one scan in apiVersion.
func build(rep *report.Report, opts Options, apiVersion string) ([]*unstructured.Unstructured, error) {
	max := opts.MaxObjectBytes
	if max <= 0 {
		max = DefaultMaxObjectBytes
	}
	now := opts.Time
	if now.IsZero() {
		now = time.Unix(0, 0)
	}
	byScope := Results(rep, now)
	scopes := make([]string, 0, len(byScope))
	for s := range byScope {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes) // "" (the cluster) first
	var out []*unstructured.Unstructured
	for _, ns := range scopes {
		objs, err := split(rep.Cluster, ns, byScope[ns], apiVersion, max)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// split packs a scope's results into as few objects as fit max bytes each,
// named Name, Name-2, Name-3….
func split(cluster, ns string, rs []orv1.ReportResult, apiVersion string, max int) ([]*unstructured.Unstructured, error) {
	empty, err := object(cluster, ns, nil, apiVersion, 0, 0)
	if err != nil {
		return nil, err
	}
	base := size(empty) + 200 // summary digits and the part annotation
	var parts [][]orv1.ReportResult
	cur, curSize := []orv1.ReportResult(nil), base
	for _, r := range rs {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		n := len(b) + 1
		if base+n > max {
			return nil, fmt.Errorf("a result of %s on %s is %d bytes, more than a report object may hold (%d)", r.Policy, ns, n, max)
		}
		if len(cur) > 0 && curSize+n > max {
			parts = append(parts, cur)
			cur, curSize = nil, base
		}
		cur = append(cur, r)
		curSize += n
	}
	parts = append(parts, cur)
	out := make([]*unstructured.Unstructured, 0, len(parts))
	for i, p := range parts {
		o, err := object(cluster, ns, p, apiVersion, i+1, len(parts))
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// PartName is the name of part k (from 1) of a report.
func PartName(k int) string {
	if k <= 1 {
		return Name
	}
	return Name + "-" + strconv.Itoa(k)
}

func size(u *unstructured.Unstructured) int {
	b, _ := json.Marshal(u.Object)
	return len(b)
}

// object is one report object: part k of n of a scope's results.
func object(cluster, ns string, rs []orv1.ReportResult, apiVersion string, k, n int) (*unstructured.Unstructured, error) {
	meta := metav1.ObjectMeta{
		Name:        PartName(k),
		Namespace:   ns,
		Labels:      map[string]string{ManagedByLabel: ManagedBy},
		Annotations: map[string]string{ClusterAnnotation: cluster},
	}
	if n > 1 {
		meta.Annotations[PartAnnotation] = fmt.Sprintf("%d/%d", k, n)
	}
	var scope *corev1.ObjectReference
	if ns != "" {
		scope = &corev1.ObjectReference{APIVersion: "v1", Kind: "Namespace", Name: ns}
	}
	var v any
	switch apiVersion {
	case OpenReportsVersion:
		kind := KindReport
		if ns == "" {
			kind = KindClusterReport
		}
		v = orv1.Report{
			TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: kind},
			ObjectMeta: meta, Source: Source, Scope: scope,
			Summary: summarize(rs), Results: rs,
		}
	case PolicyReportVersion:
		kind := KindPolicyReport
		if ns == "" {
			kind = KindClusterPolicyRept
		}
		prs := make([]policyReportResult, len(rs))
		for i, r := range rs {
			prs[i] = policyReportResult(r)
		}
		s := summarize(rs)
		v = policyReport{
			TypeMeta:   metav1.TypeMeta{APIVersion: apiVersion, Kind: kind},
			ObjectMeta: meta, Scope: scope,
			Summary: policyReportSummary(s), Results: prs,
		}
	default:
		return nil, fmt.Errorf("unknown report API %s", apiVersion)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	md, _ := m["metadata"].(map[string]any)
	delete(md, "creationTimestamp") // null: not ours to set
	return &unstructured.Unstructured{Object: m}, nil
}
