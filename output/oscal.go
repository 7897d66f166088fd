package output

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// OSCALVersion is the OSCAL version of the assessment results.
const OSCALVersion = "1.1.3"

// OSCALNamespace qualifies meshaudit's own OSCAL property names.
const OSCALNamespace = "https://meshaudit.io/ns/oscal"

// oscalNS is the namespace of meshaudit's deterministic (version 5) UUIDs.
var oscalNS = uuid.MustParse("6f1c3a52-4e0b-5d7a-9c2e-3b8d1f0a7e64")

// oscalEpoch stands in for a collection time when a report has none
// (manifest scans without SOURCE_DATE_EPOCH), keeping the output
// deterministic.
const oscalEpoch = "1970-01-01T00:00:00Z"

// OSCAL writes an OSCAL 1.1.3 assessment-results document: one result per
// cluster (docs/evidence.md describes the mapping). UUIDs are version 5,
// derived from content, so an unchanged cluster gives an unchanged document.
func OSCAL(w io.Writer, reps []*evaluate.Report, cat *rules.Catalog) error {
	doc := oscalDocument(reps, cat)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(map[string]any{"assessment-results": doc})
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

type oscalProp struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	NS      string `json:"ns,omitempty"`
	Class   string `json:"class,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

// prop is a meshaudit-namespaced property; empty values are dropped (OSCAL
// strings are non-empty and trimmed).
func props(kv ...string) []oscalProp {
	var out []oscalProp
	for i := 0; i+1 < len(kv); i += 2 {
		if v := oscalString(kv[i+1]); v != "" {
			out = append(out, oscalProp{Name: kv[i], Value: v, NS: OSCALNamespace})
		}
	}
	return out
}

// oscalString makes a value acceptable as an OSCAL string: one line,
// trimmed.
func oscalString(s string) string {
	return strings.TrimSpace(strings.Join(strings.Fields(s), " "))
}

type oscalSubject struct {
	SubjectUUID string      `json:"subject-uuid"`
	Type        string      `json:"type"`
	Title       string      `json:"title,omitempty"`
	Props       []oscalProp `json:"props,omitempty"`
}

type oscalEvidence struct {
	Href        string      `json:"href,omitempty"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
	Remarks     string      `json:"remarks,omitempty"`
}

type oscalActor struct {
	Type      string `json:"type"`
	ActorUUID string `json:"actor-uuid"`
}

type oscalOrigin struct {
	Actors []oscalActor `json:"actors"`
}

type oscalObservation struct {
	UUID             string          `json:"uuid"`
	Title            string          `json:"title"`
	Description      string          `json:"description"`
	Props            []oscalProp     `json:"props,omitempty"`
	Methods          []string        `json:"methods"`
	Types            []string        `json:"types,omitempty"`
	Origins          []oscalOrigin   `json:"origins"`
	Subjects         []oscalSubject  `json:"subjects,omitempty"`
	RelevantEvidence []oscalEvidence `json:"relevant-evidence"`
	Collected        string          `json:"collected"`
	Remarks          string          `json:"remarks,omitempty"`
}

type oscalStatus struct {
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Remarks string `json:"remarks,omitempty"`
}

type oscalTarget struct {
	Type        string      `json:"type"`
	TargetID    string      `json:"target-id"`
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Props       []oscalProp `json:"props,omitempty"`
	Status      oscalStatus `json:"status"`
}

type oscalRelObs struct {
	ObservationUUID string `json:"observation-uuid"`
}

type oscalRelRisk struct {
	RiskUUID string `json:"risk-uuid"`
}

type oscalFinding struct {
	UUID                string         `json:"uuid"`
	Title               string         `json:"title"`
	Description         string         `json:"description"`
	Props               []oscalProp    `json:"props,omitempty"`
	Origins             []oscalOrigin  `json:"origins"`
	Target              oscalTarget    `json:"target"`
	RelatedObservations []oscalRelObs  `json:"related-observations,omitempty"`
	RelatedRisks        []oscalRelRisk `json:"related-risks,omitempty"`
	Remarks             string         `json:"remarks,omitempty"`
}

type oscalRiskLogEntry struct {
	UUID         string `json:"uuid"`
	Title        string `json:"title"`
	Description  string `json:"description"`
	Start        string `json:"start"`
	End          string `json:"end,omitempty"`
	StatusChange string `json:"status-change"`
}

type oscalRisk struct {
	UUID        string        `json:"uuid"`
	Title       string        `json:"title"`
	Description string        `json:"description"`
	Statement   string        `json:"statement"`
	Props       []oscalProp   `json:"props,omitempty"`
	Status      string        `json:"status"`
	Origins     []oscalOrigin `json:"origins"`
	Deadline    string        `json:"deadline,omitempty"`
	RiskLog     *struct {
		Entries []oscalRiskLogEntry `json:"entries"`
	} `json:"risk-log,omitempty"`
	RelatedObservations []oscalRelObs `json:"related-observations,omitempty"`
}

type oscalComponent struct {
	UUID        string      `json:"uuid"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

type oscalImplemented struct {
	ComponentUUID string `json:"component-uuid"`
}

type oscalInventoryItem struct {
	UUID                  string             `json:"uuid"`
	Description           string             `json:"description"`
	Props                 []oscalProp        `json:"props,omitempty"`
	ImplementedComponents []oscalImplemented `json:"implemented-components,omitempty"`
}

type oscalLocalDefs struct {
	Components     []oscalComponent     `json:"components,omitempty"`
	InventoryItems []oscalInventoryItem `json:"inventory-items,omitempty"`
}

type oscalControlRef struct {
	ControlID string `json:"control-id"`
}

type oscalControlSelection struct {
	Description     string            `json:"description,omitempty"`
	IncludeControls []oscalControlRef `json:"include-controls,omitempty"`
}

type oscalReviewed struct {
	Description       string                  `json:"description,omitempty"`
	ControlSelections []oscalControlSelection `json:"control-selections"`
}

type oscalResult struct {
	UUID             string             `json:"uuid"`
	Title            string             `json:"title"`
	Description      string             `json:"description"`
	Start            string             `json:"start"`
	End              string             `json:"end"`
	Props            []oscalProp        `json:"props,omitempty"`
	LocalDefinitions oscalLocalDefs     `json:"local-definitions"`
	ReviewedControls oscalReviewed      `json:"reviewed-controls"`
	Observations     []oscalObservation `json:"observations,omitempty"`
	Risks            []oscalRisk        `json:"risks,omitempty"`
	Findings         []oscalFinding     `json:"findings,omitempty"`
	Remarks          string             `json:"remarks,omitempty"`
}

type oscalMetadata struct {
	Title        string      `json:"title"`
	LastModified string      `json:"last-modified"`
	Version      string      `json:"version"`
	OSCALVersion string      `json:"oscal-version"`
	Props        []oscalProp `json:"props,omitempty"`
	Remarks      string      `json:"remarks,omitempty"`
}

type oscalLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel,omitempty"`
}

type oscalResource struct {
	UUID        string      `json:"uuid"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Props       []oscalProp `json:"props,omitempty"`
	Rlinks      []oscalLink `json:"rlinks"`
}

type oscalAssessmentResults struct {
	UUID       string        `json:"uuid"`
	Metadata   oscalMetadata `json:"metadata"`
	ImportAP   oscalLink     `json:"import-ap"`
	Results    []oscalResult `json:"results"`
	BackMatter struct {
		Resources []oscalResource `json:"resources"`
	} `json:"back-matter"`
}

// oscalTime is the report's collection time in OSCAL's date-time form, or
// the epoch when it has none.
func oscalTime(rep *evaluate.Report) string {
	if rep.CollectedAt != "" {
		if t, err := time.Parse(time.RFC3339, rep.CollectedAt); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return oscalEpoch
}

// OSCALAssessmentPlanUUID identifies meshaudit's assessment plan (the rule
// catalog) in back-matter; import-ap points at it.
func oscalPlanUUID(cat *rules.Catalog) string {
	ids := make([]string, 0, len(cat.Rules))
	for _, r := range cat.Rules {
		ids = append(ids, r.ID)
	}
	return oscalUUID("assessment-plan", strings.Join(ids, ","))
}

// oscalDocument builds the document twice: without timestamps, to derive
// the document's and results' UUIDs from content alone (an unchanged
// cluster scanned again gives the same UUIDs), then with them.
func oscalDocument(reps []*evaluate.Report, cat *rules.Catalog) oscalAssessmentResults {
	timeless := oscalBuild(reps, cat, false)
	doc := oscalBuild(reps, cat, true)
	for i := range doc.Results {
		sum := sha256.Sum256(mustJSON(timeless.Results[i]))
		doc.Results[i].UUID = oscalUUID("result", reps[i].Cluster, hex.EncodeToString(sum[:]))
	}
	sum := sha256.Sum256(mustJSON(timeless))
	doc.UUID = oscalUUID("assessment-results", hex.EncodeToString(sum[:]))
	return doc
}

func oscalBuild(reps []*evaluate.Report, cat *rules.Catalog, withTimes bool) oscalAssessmentResults {
	var doc oscalAssessmentResults
	version, lastModified := "dev", oscalEpoch
	clusters := make([]string, 0, len(reps))
	for _, rep := range reps {
		if rep.Tool.Version != "" {
			version = rep.Tool.Version
		}
		start := oscalTime(rep)
		if start > lastModified {
			lastModified = start
		}
		if !withTimes {
			start = ""
		}
		clusters = append(clusters, rep.Cluster)
		doc.Results = append(doc.Results, oscalResultOf(rep, cat, start))
	}
	if !withTimes {
		lastModified = ""
	}
	plan := oscalPlanUUID(cat)
	doc.Metadata = oscalMetadata{
		Title:        "meshaudit assessment results: " + strings.Join(clusters, ", "),
		LastModified: lastModified,
		Version:      version,
		OSCALVersion: OSCALVersion,
		Props:        props("tool", "meshaudit", "tool-version", version),
	}
	doc.ImportAP = oscalLink{Href: "#" + plan}
	doc.BackMatter.Resources = []oscalResource{{
		UUID:        plan,
		Title:       "meshaudit assessment plan",
		Description: "The meshaudit rule catalog: every rule, the NIST SP 800-53 Rev5 controls it bears on, and how it is evaluated over a redacted cluster snapshot.",
		Props:       props("rule-count", strconv.Itoa(len(cat.Rules))),
		Rlinks:      []oscalLink{{Href: infoURI + "/blob/main/docs/rules.md"}},
	}}
	return doc
}

func oscalResultOf(rep *evaluate.Report, cat *rules.Catalog, start string) oscalResult {
	cl := rep.Cluster
	clusterUUID := oscalUUID("component", cl)
	toolUUID := oscalUUID("tool", "meshaudit", rep.Tool.Version)
	origins := []oscalOrigin{{Actors: []oscalActor{{Type: "tool", ActorUUID: toolUUID}}}}

	res := oscalResult{
		Title:       "meshaudit scan of cluster " + cl,
		Description: fmt.Sprintf("Automated assessment of the Kubernetes/Istio cluster %q (source: %s) against NIST SP 800-53 Rev5 controls by meshaudit %s.", cl, rep.Source.Type, rep.Tool.Version),
		Start:       start,
		End:         start,
		Props: props("cluster", cl, "source-type", rep.Source.Type, "source-inputs", strings.Join(rep.Source.Inputs, ", "),
			"complete", strconv.FormatBool(rep.Summary.Complete)),
	}
	cluster := oscalComponent{UUID: clusterUUID, Type: "this-system", Title: "Kubernetes cluster " + cl,
		Description: "The Kubernetes cluster (and its Istio service mesh) assessed, as captured in meshaudit's redacted snapshot.",
		Props:       props("cluster", cl)}
	cluster.Status.State = "operational"
	tool := oscalComponent{UUID: toolUUID, Type: "software", Title: "meshaudit",
		Description: "meshaudit, the compliance scanner that evaluated the snapshot with its embedded Rego policies.",
		Props:       props("tool-version", rep.Tool.Version)}
	tool.Status.State = "operational"
	res.LocalDefinitions.Components = []oscalComponent{cluster, tool}

	// Inventory items: every resource a finding names (mesh-wide findings
	// name the cluster component instead).
	itemUUID := map[string]string{}
	for _, f := range rep.Findings {
		if f.Resource.Kind == "Mesh" {
			continue
		}
		key := f.Resource.APIVersion + "|" + f.FQN()
		if _, ok := itemUUID[key]; ok {
			continue
		}
		u := oscalUUID("inventory-item", cl, key)
		itemUUID[key] = u
		res.LocalDefinitions.InventoryItems = append(res.LocalDefinitions.InventoryItems, oscalInventoryItem{
			UUID:        u,
			Description: "Kubernetes " + f.FQN(),
			Props: props("api-version", f.Resource.APIVersion, "kind", f.Resource.Kind, "namespace", f.Resource.Namespace, "name", f.Resource.Name,
				"file", f.File, "line", lineString(f.Line)),
			ImplementedComponents: []oscalImplemented{{ComponentUUID: clusterUUID}},
		})
	}
	sort.Slice(res.LocalDefinitions.InventoryItems, func(i, j int) bool {
		return res.LocalDefinitions.InventoryItems[i].UUID < res.LocalDefinitions.InventoryItems[j].UUID
	})

	kindCount := map[string]snapshot.KindStatus{}
	for _, k := range rep.Kinds {
		kindCount[k.Kind] = k
	}
	byRule := map[string][]evaluate.Finding{}
	for _, f := range rep.Findings {
		byRule[f.RuleID] = append(byRule[f.RuleID], f)
	}

	// One observation per rule evaluated.
	obsUUID := map[string]string{}
	riskUUIDs := map[string][]string{} // rule id → risks of its excepted findings
	for _, rr := range rep.Rules {
		u := oscalUUID("observation", cl, rr.ID)
		obsUUID[rr.ID] = u
		rule, _ := cat.Get(rr.ID)
		obs := oscalObservation{
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
		if rr.Status == evaluate.StatusFail || rr.Status == evaluate.StatusExcepted {
			obs.Types = []string{"finding"}
		}
		obs.RelevantEvidence = append(obs.RelevantEvidence, oscalEvidence{
			Description: fmt.Sprintf("meshaudit rule %s evaluated over the cluster snapshot: %s", rr.ID, strings.ReplaceAll(string(rr.Status), "_", " ")),
			Props:       props("rule-id", rr.ID, "rule-status", string(rr.Status)),
			Remarks:     rr.Reason,
		})
		seen := map[string]bool{}
		for _, f := range byRule[rr.ID] {
			subj := oscalSubject{SubjectUUID: clusterUUID, Type: "component", Title: f.FQN()}
			if f.Resource.Kind != "Mesh" {
				subj = oscalSubject{SubjectUUID: itemUUID[f.Resource.APIVersion+"|"+f.FQN()], Type: "inventory-item", Title: f.FQN()}
			}
			if !seen[subj.SubjectUUID] {
				seen[subj.SubjectUUID] = true
				obs.Subjects = append(obs.Subjects, subj)
			}
			ev := oscalEvidence{
				Description: f.FQN() + ": " + f.Message,
				Props: props("rule-id", f.RuleID, "fingerprint", f.Fingerprint, "severity", f.Severity.String(),
					"file", f.File, "line", lineString(f.Line), "result", "fail"),
			}
			if f.Exception != nil {
				ev.Props = append(ev.Props, props("exception-id", f.Exception.ID)...)
				ev.Remarks = "Excepted: " + f.Exception.Justification
				ru := oscalUUID("risk", cl, f.Fingerprint)
				riskUUIDs[rr.ID] = append(riskUUIDs[rr.ID], ru)
				res.Risks = append(res.Risks, oscalExceptionRisk(ru, f, u, origins, start))
			}
			obs.RelevantEvidence = append(obs.RelevantEvidence, ev)
		}
		if len(obs.Subjects) == 0 {
			// Pass (or not-applicable/unknown) evidence: the cluster, with
			// the kinds the rule read.
			subj := oscalSubject{SubjectUUID: clusterUUID, Type: "component", Title: "Kubernetes cluster " + cl}
			for _, k := range rule.Inputs {
				ks, ok := kindCount[k]
				v := k + " (not in the snapshot)"
				if ok {
					v = fmt.Sprintf("%s (%s, %d)", k, ks.Status, ks.Count)
				}
				subj.Props = append(subj.Props, props("evaluated-kind", v)...)
			}
			obs.Subjects = []oscalSubject{subj}
		}
		res.Observations = append(res.Observations, obs)
	}

	// Reviewed controls and one finding per control.
	sel := oscalControlSelection{Description: "Every NIST SP 800-53 Rev5 control a rule of this scan bears on."}
	for _, c := range rep.Controls {
		oid := OSCALControlID(c.ID)
		sel.IncludeControls = append(sel.IncludeControls, oscalControlRef{ControlID: oid})
		state, reason, remarks := oscalControlStatus(c)
		fd := oscalFinding{
			UUID:        oscalUUID("finding", cl, c.ID),
			Title:       c.ID + " " + c.Title,
			Description: fmt.Sprintf("%s (%s) is %s in cluster %s, judged by rules %s.", c.ID, c.Family, strings.ReplaceAll(string(c.Status), "_", " "), cl, strings.Join(c.Rules, ", ")),
			Props: props("control-status", string(c.Status), "family", c.Family, "baselines", strings.Join(c.Baselines, ", "),
				"failed-rules", strings.Join(c.Failed, ", "), "unknown-rules", strings.Join(c.Unknown, ", ")),
			Origins: origins,
			Target: oscalTarget{
				Type:     "objective-id",
				TargetID: oid + "_obj",
				Title:    c.ID + " " + c.Title,
				Status:   oscalStatus{State: state, Reason: reason, Remarks: remarks},
			},
		}
		for _, r := range c.Rules {
			if u, ok := obsUUID[r]; ok {
				fd.RelatedObservations = append(fd.RelatedObservations, oscalRelObs{ObservationUUID: u})
			}
			for _, ru := range riskUUIDs[r] {
				fd.RelatedRisks = append(fd.RelatedRisks, oscalRelRisk{RiskUUID: ru})
			}
		}
		res.Findings = append(res.Findings, fd)
	}
	if len(sel.IncludeControls) == 0 {
		sel.Description = "No control was assessed."
	}
	res.ReviewedControls = oscalReviewed{
		Description:       "Controls assessed by meshaudit's automated rules.",
		ControlSelections: []oscalControlSelection{sel},
	}
	res.Remarks = oscalProblems(rep)
	return res
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

// oscalControlStatus maps a control roll-up onto OSCAL's objective status.
// Only OSCAL's two states exist: pass is satisfied; fail, unknown and
// excepted are not-satisfied (an excepted control carries approved
// deviations as risks); not-applicable is satisfied with reason "other"
// (no rule found anything of its scope to judge). The meshaudit status
// is always in the control-status property.
func oscalControlStatus(c evaluate.ControlResult) (state, reason, remarks string) {
	switch c.Status {
	case evaluate.StatusPass:
		return "satisfied", "pass", ""
	case evaluate.StatusFail:
		return "not-satisfied", "fail", "Failed rules: " + strings.Join(c.Failed, ", ") + "."
	case evaluate.StatusExcepted:
		return "not-satisfied", "fail", "Every failure is covered by an approved exception (deviation-approved risks): " + strings.Join(c.Rules, ", ") + "."
	case evaluate.StatusUnknown:
		return "not-satisfied", "other", "Could not be determined: rules " + strings.Join(c.Unknown, ", ") + " are unknown (input not collected or evaluation error)."
	default:
		return "satisfied", "other", "Not applicable: nothing in the snapshot is in the scope of its rules."
	}
}

// oscalExceptionRisk records an excepted finding as an approved deviation.
func oscalExceptionRisk(u string, f evaluate.Finding, obs string, origins []oscalOrigin, start string) oscalRisk {
	e := f.Exception
	kind := "Exception"
	if e.SelfDeclared {
		kind = "Self-declared exception"
	}
	r := oscalRisk{
		UUID:        u,
		Title:       fmt.Sprintf("%s %s accepts %s on %s", kind, e.ID, f.RuleID, f.FQN()),
		Description: fmt.Sprintf("%s: %s. Accepted by %s: %s (approver: %s; ticket: %s; expires: %s).", f.FQN(), f.Message, e.ID, e.Justification, orNone(e.Approver), orNone(e.Ticket), e.Expires),
		Statement:   e.Justification,
		Props: props("exception-id", e.ID, "approver", e.Approver, "ticket", e.Ticket, "expires", e.Expires,
			"self-declared", strconv.FormatBool(e.SelfDeclared), "rule-id", f.RuleID, "fingerprint", f.Fingerprint, "severity", f.Severity.String()),
		Status:              "deviation-approved",
		Origins:             origins,
		RelatedObservations: []oscalRelObs{{ObservationUUID: obs}},
	}
	if t, err := time.Parse("2006-01-02", e.Expires); err == nil {
		r.Deadline = t.Add(24*time.Hour - time.Second).Format(time.RFC3339)
	}
	r.RiskLog = &struct {
		Entries []oscalRiskLogEntry `json:"entries"`
	}{Entries: []oscalRiskLogEntry{{
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
func oscalProblems(rep *evaluate.Report) string {
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

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
