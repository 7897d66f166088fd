package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meshaudit/meshaudit/report"

	oscal113 "github.com/defenseunicorns/go-oscal/src/types/oscal-1-1-3"
	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
	"github.com/google/uuid"

	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// OSCAL versions meshaudit writes (--oscal-version).
const (
	OSCALVersion122 = oscal.Version    // "1.2.2", the default
	OSCALVersion113 = oscal113.Version // "1.1.3"
	// DefaultOSCALVersion is written unless another is asked for.
	DefaultOSCALVersion = OSCALVersion122
)

// OSCALVersions lists the OSCAL versions meshaudit writes, the default
// first.
func OSCALVersions() []string { return []string{OSCALVersion122, OSCALVersion113} }

// CheckOSCALVersion accepts a version meshaudit writes ("" is the default).
func CheckOSCALVersion(v string) error {
	switch v {
	case "", OSCALVersion122, OSCALVersion113:
		return nil
	}
	return fmt.Errorf("OSCAL version %q: want one of %s", v, strings.Join(OSCALVersions(), ", "))
}

// OSCALNamespace qualifies meshaudit's own OSCAL property names.
const OSCALNamespace = "https://meshaudit.io/ns/oscal"

// oscalNS is the namespace of meshaudit's deterministic (version 5) UUIDs.
var oscalNS = uuid.MustParse("6f1c3a52-4e0b-5d7a-9c2e-3b8d1f0a7e64")

// OSCALOptions are what an OSCAL document needs besides the reports: the
// version, the scan's times and what identifies the assessment.
type OSCALOptions struct {
	// Version: OSCALVersion122 (the default, also for "") or
	// OSCALVersion113.
	Version string
	// Generated is when the document is written: metadata last-modified
	// and every result's end. Zero: the time of rendering.
	Generated time.Time
	// Started is when the scan began: a result's start when its report has
	// no collection time (manifest scans). Zero: Generated.
	Started time.Time
	// PolicyDigest identifies the embedded policy bundle (meshaudit
	// version prints it).
	PolicyDigest string
	// Bundles are the evidence bundles written by the same scan, one per
	// cluster.
	Bundles []OSCALBundle
	// SnapshotDigest: when the document is an evidence bundle's
	// oscal.json, the SHA-256 (hex) of the bundle's snapshot.json.gz.
	SnapshotDigest string
}

// OSCALBundle is an evidence bundle of one cluster.
type OSCALBundle struct {
	Cluster string
	Path    string // the bundle directory
	// ManifestSHA256 is the SHA-256 (hex) of the bundle's manifest.json,
	// which lists the SHA-256 of every other file of the bundle.
	ManifestSHA256 string
}

// OSCAL writes an OSCAL 1.2.2 assessment-results document with the time
// of rendering (OSCALWith sets the version, times and digests).
func OSCAL(w io.Writer, reps []*report.Report, cat *rules.Catalog) error {
	return OSCALWith(OSCALOptions{})(w, reps, cat)
}

// OSCALWith returns a writer of an OSCAL assessment-results document: one
// result per cluster (docs/evidence.md describes the mapping). The
// document is built with go-oscal's typed models of the chosen version.
// UUIDs are version 5, derived from content without times, so an
// unchanged cluster gives unchanged UUIDs.
func OSCALWith(opt OSCALOptions) Writer {
	return func(w io.Writer, reps []*report.Report, cat *rules.Catalog) error {
		if err := CheckOSCALVersion(opt.Version); err != nil {
			return err
		}
		o := opt
		if o.Generated.IsZero() {
			o.Generated = time.Now()
		}
		if o.Started.IsZero() {
			o.Started = o.Generated
		}
		doc, err := oscalDocument(reps, cat, o)
		if err != nil {
			return err
		}
		models := &oscal.OscalModels{AssessmentResults: doc}
		var out any = models
		if o.Version == OSCALVersion113 {
			old, err := oscalDowngrade(models)
			if err != nil {
				return err
			}
			out = old
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
}

// oscalDowngrade turns the 1.2.2 model into go-oscal's 1.1.3 model. The
// parts of 1.2.2 meshaudit writes exist unchanged in 1.1.3; a field that
// does not is an error, never dropped.
func oscalDowngrade(doc *oscal.OscalModels) (*oscal113.OscalModels, error) {
	doc.AssessmentResults.Metadata.OscalVersion = OSCALVersion113
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var old oscal113.OscalModels
	if err := dec.Decode(&old); err != nil {
		return nil, fmt.Errorf("OSCAL %s: %w", OSCALVersion113, err)
	}
	return &old, nil
}

// oscalUUID is a version 5 UUID of the parts.
func oscalUUID(parts ...string) string {
	return uuid.NewSHA1(oscalNS, []byte(strings.Join(parts, "\x00"))).String()
}

// OSCALControlID turns "SC-8(1)" into OSCAL's "sc-8.1".
func OSCALControlID(id string) string {
	id = strings.ToLower(id)
	if i := strings.IndexByte(id, '('); i >= 0 {
		id = id[:i] + "." + strings.TrimSuffix(id[i+1:], ")")
	}
	return id
}

// props are meshaudit-namespaced properties; empty values are dropped
// (OSCAL strings are non-empty and trimmed). Nil when none is left.
func props(kv ...string) *[]oscal.Property {
	var out []oscal.Property
	for i := 0; i+1 < len(kv); i += 2 {
		if v := oscalString(kv[i+1]); v != "" {
			out = append(out, oscal.Property{Name: kv[i], Value: v, Ns: OSCALNamespace})
		}
	}
	return list(out)
}

// list is a pointer to a non-empty slice, else nil (go-oscal's optional
// arrays).
func list[T any](s []T) *[]T {
	if len(s) == 0 {
		return nil
	}
	return &s
}

// addProps appends properties to an optional list.
func addProps(to *[]oscal.Property, more *[]oscal.Property) *[]oscal.Property {
	if more == nil {
		return to
	}
	if to == nil {
		return more
	}
	s := append(*to, *more...)
	return &s
}

// oscalString makes a value acceptable as an OSCAL string: one line,
// trimmed.
func oscalString(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// clipString shortens a one-line string to n runes.
func clipString(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n])) + "…"
}

// oscalTime is a time as OSCAL writes it: UTC, whole seconds.
func oscalTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// oscalTimes are the instants of one document; zero in the timeless build
// that the content UUIDs are derived from.
type oscalTimes struct {
	generated time.Time
	started   time.Time
}

// result: start is the snapshot's collection time, else the scan's start;
// end is when the document is generated (never before start).
func (t oscalTimes) result(rep *report.Report) (start, end time.Time) {
	if t.generated.IsZero() {
		return time.Time{}, time.Time{}
	}
	start = t.started
	if rep.CollectedAt != "" {
		if c, err := time.Parse(time.RFC3339, rep.CollectedAt); err == nil {
			start = c
		}
	}
	start, end = oscalTime(start), oscalTime(t.generated)
	if end.Before(start) {
		end = start
	}
	return start, end
}

// oscalDocument builds the document twice: without times and run-specific
// digests, to derive the document's and results' UUIDs from content alone
// (an unchanged cluster scanned again gives the same UUIDs), then in full.
func oscalDocument(reps []*report.Report, cat *rules.Catalog, opt OSCALOptions) (*oscal.AssessmentResults, error) {
	timeless := oscalBuild(reps, cat, OSCALOptions{Version: opt.Version, PolicyDigest: opt.PolicyDigest}, oscalTimes{})
	doc := oscalBuild(reps, cat, opt, oscalTimes{generated: opt.Generated, started: opt.Started})
	for i := range doc.Results {
		b, err := json.Marshal(timeless.Results[i])
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		doc.Results[i].UUID = oscalUUID("result", reps[i].Cluster, hex.EncodeToString(sum[:]))
	}
	b, err := json.Marshal(timeless)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	doc.UUID = oscalUUID("assessment-results", hex.EncodeToString(sum[:]))
	return doc, nil
}

func oscalBuild(reps []*report.Report, cat *rules.Catalog, opt OSCALOptions, times oscalTimes) *oscal.AssessmentResults {
	version := "dev"
	clusters := make([]string, 0, len(reps))
	results := make([]oscal.Result, 0, len(reps))
	for _, rep := range reps {
		if rep.Tool.Version != "" {
			version = rep.Tool.Version
		}
		clusters = append(clusters, rep.Cluster)
		results = append(results, oscalResultOf(rep, cat, times))
	}
	assessment := oscalAssessment(reps, cat, opt, version)
	var lastModified time.Time
	if !times.generated.IsZero() {
		lastModified = oscalTime(times.generated)
	}
	ver := opt.Version
	if ver == "" {
		ver = DefaultOSCALVersion
	}
	return &oscal.AssessmentResults{
		Metadata: oscal.Metadata{
			Title:        "meshaudit assessment results: " + strings.Join(clusters, ", "),
			LastModified: lastModified,
			Version:      version,
			OscalVersion: ver,
			Props:        props("tool", "meshaudit", "tool-version", version, "policy-digest", opt.PolicyDigest),
		},
		ImportAp: oscal.ImportAp{Href: "#" + assessment.UUID},
		Results:  results,
		BackMatter: &oscal.BackMatter{
			Resources: &[]oscal.Resource{assessment},
		},
	}
}

// oscalAssessment is the back-matter resource import-ap points at: what
// the assessment was. meshaudit writes no assessment plan; this resource
// says, in its place, that the assessment was an automated scan, by which
// tool and policies, and which evidence bundle holds it.
func oscalAssessment(reps []*report.Report, cat *rules.Catalog, opt OSCALOptions, version string) oscal.Resource {
	ids := make([]string, 0, len(cat.Rules))
	for _, r := range cat.Rules {
		ids = append(ids, r.ID)
	}
	p := props("assessment-type", "automated-scan", "tool", "meshaudit", "tool-version", version,
		"policy-digest", opt.PolicyDigest, "rule-count", strconv.Itoa(len(cat.Rules)), "rules", strings.Join(ids, ", "))
	desc := fmt.Sprintf("An automated scan, not a plan written by an assessor: meshaudit %s evaluated %d Rego rules (its rule catalog", version, len(cat.Rules))
	if opt.PolicyDigest != "" {
		desc += ", policy bundle " + opt.PolicyDigest
	}
	desc += ") over a redacted snapshot of each cluster and rolled the results up per NIST SP 800-53 Rev5 control. No assessment plan document exists; this resource describes the assessment in its place."
	rlinks := []oscal.ResourceLink{{Href: infoURI + "/blob/main/docs/rules.md", MediaType: "text/markdown"}}
	var remarks []string
	if opt.SnapshotDigest != "" {
		p = addProps(p, props("snapshot-sha256", opt.SnapshotDigest))
		rlinks = append(rlinks, oscal.ResourceLink{Href: "snapshot.json.gz", MediaType: "application/gzip",
			Hashes: &[]oscal.Hash{{Algorithm: "SHA-256", Value: opt.SnapshotDigest}}})
		remarks = append(remarks, "This document is part of a meshaudit evidence bundle: snapshot.json.gz beside it is the snapshot judged, and manifest.json lists the SHA-256 of every file (`meshaudit verify` re-evaluates the snapshot and compares).")
	}
	inDoc := map[string]bool{}
	for _, r := range reps {
		inDoc[r.Cluster] = true
	}
	for _, b := range opt.Bundles {
		if !inDoc[b.Cluster] {
			continue
		}
		p = addProps(p, &[]oscal.Property{{Name: "evidence-bundle-manifest-sha256", Value: b.ManifestSHA256, Ns: OSCALNamespace, Remarks: "Evidence bundle of cluster " + b.Cluster + ": " + b.Path}})
		rlinks = append(rlinks, oscal.ResourceLink{Href: (&url.URL{Path: b.Path + "/manifest.json"}).String(), MediaType: "application/json",
			Hashes: &[]oscal.Hash{{Algorithm: "SHA-256", Value: b.ManifestSHA256}}})
		remarks = append(remarks, fmt.Sprintf("The evidence bundle of cluster %s is %s; the SHA-256 of its manifest.json is %s.", b.Cluster, b.Path, b.ManifestSHA256))
	}
	return oscal.Resource{
		UUID:        oscalUUID("assessment", version, opt.PolicyDigest, strings.Join(ids, ",")),
		Title:       "meshaudit automated assessment",
		Description: desc,
		Props:       p,
		Rlinks:      &rlinks,
		Remarks:     strings.Join(remarks, "\n\n"),
	}
}

// inventory collects the inventory items of one result: every resource a
// finding names or its evidence points at (mesh-wide findings name the
// cluster component instead).
type inventory struct {
	cluster, clusterUUID string
	items                map[string]*oscal.InventoryItem
}

// refKey identifies an object across API versions (evidence may name an
// object without its apiVersion).
func refKey(r snapshot.Ref) string { return r.FQN() }

func (inv *inventory) add(r snapshot.Ref, file string, line int) string {
	key := refKey(r)
	if it, ok := inv.items[key]; ok {
		if file != "" && (it.Props == nil || !hasProp(*it.Props, "file")) {
			it.Props = addProps(it.Props, props("file", file, "line", lineString(line)))
		}
		if r.APIVersion != "" && (it.Props == nil || !hasProp(*it.Props, "api-version")) {
			it.Props = addProps(props("api-version", r.APIVersion), it.Props)
		}
		return it.UUID
	}
	it := &oscal.InventoryItem{
		UUID:                  oscalUUID("inventory-item", inv.cluster, key),
		Description:           "Kubernetes " + r.FQN(),
		Props:                 props("api-version", r.APIVersion, "kind", r.Kind, "namespace", r.Namespace, "name", r.Name, "file", file, "line", lineString(line)),
		ImplementedComponents: &[]oscal.ImplementedComponent{{ComponentUuid: inv.clusterUUID}},
	}
	inv.items[key] = it
	return it.UUID
}

func hasProp(ps []oscal.Property, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

func oscalResultOf(rep *report.Report, cat *rules.Catalog, times oscalTimes) oscal.Result {
	cl := rep.Cluster
	clusterUUID := oscalUUID("component", cl)
	toolUUID := oscalUUID("tool", "meshaudit", rep.Tool.Version)
	origins := &[]oscal.Origin{{Actors: []oscal.OriginActor{{Type: "tool", ActorUuid: toolUUID}}}}
	start, end := times.result(rep)

	res := oscal.Result{
		Title:       "meshaudit scan of cluster " + cl,
		Description: fmt.Sprintf("Automated assessment of the Kubernetes/Istio cluster %q (source: %s) against NIST SP 800-53 Rev5 controls by meshaudit %s.", cl, rep.Source.Type, rep.Tool.Version),
		Start:       start,
		Props: props("cluster", cl, "source-type", rep.Source.Type, "source-inputs", strings.Join(rep.Source.Inputs, ", "),
			"collected-at", rep.CollectedAt, "complete", strconv.FormatBool(rep.Summary.Complete)),
	}
	if !end.IsZero() {
		res.End = &end
	}
	components := []oscal.SystemComponent{
		{UUID: clusterUUID, Type: "this-system", Title: "Kubernetes cluster " + cl,
			Description: "The Kubernetes cluster (and its Istio service mesh) assessed, as captured in meshaudit's redacted snapshot.",
			Props:       props("cluster", cl), Status: oscal.SystemComponentStatus{State: "operational"}},
		{UUID: toolUUID, Type: "software", Title: "meshaudit",
			Description: "meshaudit, the compliance scanner that evaluated the snapshot with its embedded Rego policies.",
			Props:       props("tool-version", rep.Tool.Version), Status: oscal.SystemComponentStatus{State: "operational"}},
	}
	inv := &inventory{cluster: cl, clusterUUID: clusterUUID, items: map[string]*oscal.InventoryItem{}}

	kindCount := map[string]snapshot.KindStatus{}
	for _, k := range rep.Kinds {
		kindCount[k.Kind] = k
	}
	byRule := map[string][]report.Finding{}
	for _, f := range rep.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}

	// One observation per rule evaluated.
	obsUUID := map[string]string{}
	riskUUIDs := map[string][]string{} // rule id → risks of its excepted findings
	var observations []oscal.Observation
	var risks []oscal.Risk
	for _, rr := range rep.Rules {
		u := oscalUUID("observation", cl, rr.ID)
		obsUUID[rr.ID] = u
		rule, _ := cat.Get(rr.ID)
		obs := oscal.Observation{
			UUID:        u,
			Title:       rr.ID + ": " + rr.Title,
			Description: oscalDescription(rule.Description, rr.Title),
			Props: props("rule-id", rr.ID, "rule-status", string(rr.Status), "severity", rr.Severity.String(),
				"controls", strings.Join(rr.Controls, ", "), "findings", strconv.Itoa(rr.Findings)),
			Methods:   []string{"TEST"},
			Origins:   origins,
			Collected: start,
			Remarks:   rr.Reason,
		}
		if rr.Judged != nil {
			obs.Props = addProps(obs.Props, props("judged", strconv.Itoa(*rr.Judged)))
		} else {
			obs.Props = addProps(obs.Props, &[]oscal.Property{{Name: "judged", Value: "not-reported", Ns: OSCALNamespace,
				Remarks: "A custom rule without a judged set: it passes when an object of its subject kinds is in the input."}})
		}
		if rr.Status == report.StatusFail || rr.Status == report.StatusExcepted {
			obs.Types = &[]string{"finding"}
		}
		evidence := []oscal.RelevantEvidence{{
			Description: fmt.Sprintf("meshaudit rule %s evaluated over the cluster snapshot: %s", rr.ID, statusWords(rr.Status)),
			Props:       props("rule-id", rr.ID, "rule-status", string(rr.Status)),
			Remarks:     rr.Reason,
		}}
		var subjects []oscal.SubjectReference
		seen := map[string]bool{}
		for _, f := range byRule[rr.ID] {
			subj := oscal.SubjectReference{SubjectUuid: clusterUUID, Type: "component", Title: f.FQN()}
			if f.Resource.Kind != "Mesh" {
				subj = oscal.SubjectReference{SubjectUuid: inv.add(f.Resource, f.File, f.Line), Type: "inventory-item", Title: f.FQN()}
			}
			if !seen[subj.SubjectUuid] {
				seen[subj.SubjectUuid] = true
				subjects = append(subjects, subj)
			}
			ev := oscal.RelevantEvidence{
				Href:        fileHref(f.File, f.Line),
				Description: f.FQN() + ": " + f.Message,
				Props: props("rule-id", f.RuleID, "fingerprint", f.Fingerprint, "severity", f.Severity.String(),
					"resource", f.FQN(), "file", f.File, "line", lineString(f.Line), "result", "fail"),
			}
			if f.Exception != nil {
				ev.Props = addProps(ev.Props, props("exception-id", f.Exception.ID))
				ev.Remarks = "Excepted: " + f.Exception.Justification
				ru := oscalUUID("risk", cl, f.Fingerprint)
				riskUUIDs[rr.ID] = append(riskUUIDs[rr.ID], ru)
				risks = append(risks, oscalExceptionRisk(ru, f, u, origins, start))
			}
			evidence = append(evidence, ev)
			for _, e := range f.Evidence {
				evidence = append(evidence, oscalFact(f, e, inv))
			}
		}
		if len(subjects) == 0 {
			// Pass (or not-applicable/unknown) evidence: the cluster, with
			// the kinds the rule read.
			subj := oscal.SubjectReference{SubjectUuid: clusterUUID, Type: "component", Title: "Kubernetes cluster " + cl}
			for _, k := range rule.Inputs {
				ks, ok := kindCount[k]
				v := k + " (not in the snapshot)"
				if ok {
					v = fmt.Sprintf("%s (%s, %d)", k, ks.Status, ks.Count)
				}
				subj.Props = addProps(subj.Props, props("evaluated-kind", v))
			}
			subjects = []oscal.SubjectReference{subj}
		}
		obs.Subjects = &subjects
		obs.RelevantEvidence = &evidence
		observations = append(observations, obs)
	}

	// Reviewed controls and one finding per control.
	sel := oscal.AssessedControls{Description: "Every NIST SP 800-53 Rev5 control a rule of this scan bears on."}
	var include []oscal.AssessedControlsSelectControlById
	var findings []oscal.Finding
	for _, c := range rep.Controls {
		oid := OSCALControlID(c.ID)
		include = append(include, oscal.AssessedControlsSelectControlById{ControlId: oid})
		fd := oscal.Finding{
			UUID:        oscalUUID("finding", cl, c.ID),
			Title:       c.ID + " " + c.Title,
			Description: fmt.Sprintf("%s (%s) is %s in cluster %s, judged by rules %s.", c.ID, c.Family, statusWords(c.Status), cl, strings.Join(c.Rules, ", ")),
			Props: props("control-status", string(c.Status), "family", c.Family, "baselines", strings.Join(c.Baselines, ", "),
				"failed-rules", strings.Join(c.Failed, ", "), "unknown-rules", strings.Join(c.Unknown, ", ")),
			Origins: origins,
			Target: oscal.FindingTarget{
				Type:     "objective-id",
				TargetId: oid + "_obj",
				Title:    c.ID + " " + c.Title,
				Props:    props("control-status", string(c.Status)),
				Status:   oscalControlStatus(c),
			},
		}
		var rel []oscal.RelatedObservation
		var relRisks []oscal.AssociatedRisk
		for _, r := range c.Rules {
			if u, ok := obsUUID[r]; ok {
				rel = append(rel, oscal.RelatedObservation{ObservationUuid: u})
			}
			for _, ru := range riskUUIDs[r] {
				relRisks = append(relRisks, oscal.AssociatedRisk{RiskUuid: ru})
			}
		}
		fd.RelatedObservations, fd.RelatedRisks = list(rel), list(relRisks)
		findings = append(findings, fd)
	}
	if len(include) == 0 {
		sel.Description = "No control was assessed."
	}
	sel.IncludeControls = list(include)
	res.ReviewedControls = oscal.ReviewedControls{
		Description:       "Controls assessed by meshaudit's automated rules.",
		ControlSelections: []oscal.AssessedControls{sel},
	}

	items := make([]oscal.InventoryItem, 0, len(inv.items))
	for _, it := range inv.items {
		items = append(items, *it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].UUID < items[j].UUID })
	res.LocalDefinitions = &oscal.LocalDefinitions{Components: &components, InventoryItems: list(items)}
	res.Observations, res.Risks, res.Findings = list(observations), list(risks), list(findings)
	res.Remarks = oscalProblems(rep)
	return res
}

// oscalFact is one fact that decided a finding, as relevant evidence: the
// object, the field path and the value found.
func oscalFact(f report.Finding, e report.Evidence, inv *inventory) oscal.RelevantEvidence {
	holder, href := f.Resource, fileHref(f.File, f.Line)
	if e.Resource != nil && refKey(*e.Resource) != refKey(f.Resource) {
		holder, href = *e.Resource, ""
	}
	fact := oscalString(e.Path) + " is not set"
	value := ""
	if e.Value != nil {
		value = factValue(e.Value)
		fact = oscalString(e.Path) + " = " + value
	}
	p := props("rule-id", f.RuleID, "fingerprint", f.Fingerprint, "resource", holder.FQN(), "field-path", e.Path, "value", value)
	if holder.Kind != "Mesh" {
		p = addProps(p, props("inventory-item", inv.add(holder, "", 0)))
	}
	return oscal.RelevantEvidence{
		Href:        href,
		Description: clipString(fact, 400) + " of " + holder.FQN(),
		Props:       p,
		Remarks:     "Decided finding " + f.Fingerprint + " of rule " + f.RuleID + " on " + f.FQN() + ".",
	}
}

// factValue renders an evidence value on one line: a string as it is,
// anything else as compact JSON.
func factValue(v any) string {
	if s, ok := v.(string); ok {
		return oscalString(s)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return oscalString(fmt.Sprint(v))
	}
	return oscalString(b.String())
}

// fileHref is a relative URI reference to a finding's file and line.
func fileHref(file string, line int) string {
	if file == "" || file == "-" {
		return ""
	}
	u := url.URL{Path: file}
	if line > 0 {
		u.Fragment = "L" + strconv.Itoa(line)
	}
	return u.String()
}

func lineString(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func oscalDescription(desc, title string) string {
	if d := strings.TrimSpace(desc); d != "" {
		return d
	}
	return title
}

func statusWords(s report.Status) string { return strings.ReplaceAll(string(s), "_", " ") }

// oscalControlStatus maps a control roll-up onto OSCAL's objective status.
// OSCAL has two states, and only PASS is satisfied: fail, excepted,
// unknown and not applicable are all not-satisfied. The reason is "pass"
// or "fail" for a control judged either way and "other" for a control
// that was not judged (unknown, not applicable); meshaudit's own status is
// always in the target's and the finding's control-status property.
// Not applicable is not written as implementation-status
// "not-applicable": that would state that the control does not apply to
// the system, while meshaudit only knows the input held nothing its rules
// could judge.
func oscalControlStatus(c report.ControlResult) oscal.ObjectiveStatus {
	switch c.Status {
	case report.StatusPass:
		return oscal.ObjectiveStatus{State: "satisfied", Reason: "pass", Remarks: "At least one mapped rule passed on evidence in the input, and none failed or is unknown."}
	case report.StatusFail:
		return oscal.ObjectiveStatus{State: "not-satisfied", Reason: "fail", Remarks: "Failed rules: " + strings.Join(c.Failed, ", ") + "."}
	case report.StatusExcepted:
		return oscal.ObjectiveStatus{State: "not-satisfied", Reason: "fail", Remarks: "Excepted: every failure is covered by an approved exception (deviation-approved risks): " + strings.Join(c.Rules, ", ") + "."}
	case report.StatusUnknown:
		return oscal.ObjectiveStatus{State: "not-satisfied", Reason: "other", Remarks: "Unknown: not determined, rules " + strings.Join(c.Unknown, ", ") + " could not be evaluated (input not collected or evaluation error)."}
	default:
		return oscal.ObjectiveStatus{State: "not-satisfied", Reason: "other", Remarks: "Not applicable: no subject of its rules was judged (nothing in the input to judge). Not assessed, so not satisfied."}
	}
}

// oscalExceptionRisk records an excepted finding as an approved deviation.
func oscalExceptionRisk(u string, f report.Finding, obs string, origins *[]oscal.Origin, start time.Time) oscal.Risk {
	e := f.Exception
	kind := "Exception"
	if e.SelfDeclared {
		kind = "Self-declared exception"
	}
	r := oscal.Risk{
		UUID:        u,
		Title:       fmt.Sprintf("%s %s accepts %s on %s", kind, e.ID, f.RuleID, f.FQN()),
		Description: fmt.Sprintf("%s: %s. Accepted by %s: %s (approver: %s; ticket: %s; expires: %s).", f.FQN(), f.Message, e.ID, e.Justification, orNone(e.Approver), orNone(e.Ticket), e.Expires),
		Statement:   e.Justification,
		Props: props("exception-id", e.ID, "approver", e.Approver, "ticket", e.Ticket, "expires", e.Expires,
			"self-declared", strconv.FormatBool(e.SelfDeclared), "rule-id", f.RuleID, "fingerprint", f.Fingerprint, "severity", f.Severity.String()),
		Status:              "deviation-approved",
		Origins:             origins,
		RelatedObservations: &[]oscal.RelatedObservation{{ObservationUuid: obs}},
	}
	if t, err := time.Parse("2006-01-02", e.Expires); err == nil {
		d := t.Add(24*time.Hour - time.Second)
		r.Deadline = &d
	}
	r.RiskLog = &oscal.RiskLog{Entries: []oscal.RiskLogEntry{{
		UUID:         oscalUUID("risk-log", u, e.ID),
		Title:        "Deviation approved by exception " + e.ID,
		Description:  e.Justification,
		Start:        start,
		StatusChange: "deviation-approved",
	}}}
	return r
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// oscalProblems lists what made the scan incomplete or worth a warning.
func oscalProblems(rep *report.Report) string {
	var b strings.Builder
	for _, s := range rep.Summary.Incomplete {
		fmt.Fprintf(&b, "- Incomplete: %s\n", s)
	}
	for _, s := range rep.Summary.Warnings {
		fmt.Fprintf(&b, "- Warning: %s\n", s)
	}
	for _, pe := range rep.ParseErrors {
		if pe.Line > 0 {
			fmt.Fprintf(&b, "- Parse error: %s:%d: %s\n", pe.File, pe.Line, pe.Reason)
		} else {
			fmt.Fprintf(&b, "- Parse error: %s: %s\n", pe.File, pe.Reason)
		}
	}
	for _, k := range rep.Kinds {
		if k.Status != snapshot.StatusCollected && k.Status != snapshot.StatusAbsent {
			fmt.Fprintf(&b, "- Kind %s %s: %s\n", k.Kind, k.Status, k.Reason)
		}
	}
	return strings.TrimSpace(b.String())
}
