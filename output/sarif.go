package output

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// FingerprintKey names meshaudit's partial fingerprint.
	FingerprintKey = "meshaudit/v1"
	infoURI        = "https://github.com/meshaudit/meshaudit"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails sarifAutomation   `json:"automationDetails"`
	Invocations       []sarifInvocation `json:"invocations"`
	Results           []sarifResult     `json:"results"`
	Properties        map[string]any    `json:"properties"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string            `json:"id"`
	Name                 string            `json:"name"`
	ShortDescription     sarifText         `json:"shortDescription"`
	FullDescription      sarifText         `json:"fullDescription"`
	Help                 sarifText         `json:"help"`
	DefaultConfiguration sarifRuleConfig   `json:"defaultConfiguration"`
	Properties           sarifRuleProperty `json:"properties"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifRuleProperty struct {
	SecuritySeverity string   `json:"security-severity"`
	Severity         string   `json:"meshaudit-severity"`
	Controls         []string `json:"nist-800-53"`
	Tags             []string `json:"tags"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level          string           `json:"level"`
	Message        sarifText        `json:"message"`
	Locations      []sarifLocation  `json:"locations,omitempty"`
	AssociatedRule *sarifReportDesc `json:"associatedRule,omitempty"`
	Properties     map[string]any   `json:"properties,omitempty"`
}

type sarifReportDesc struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	BaselineState       string             `json:"baselineState,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

// sarifSuppression records an accepted exception: the result stays, and
// code scanning shows it as dismissed with the justification.
type sarifSuppression struct {
	Kind          string         `json:"kind"`
	Status        string         `json:"status"`
	Justification string         `json:"justification"`
	Properties    map[string]any `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(s rules.Severity) string {
	switch s {
	case rules.SeverityCritical, rules.SeverityHigh:
		return "error"
	case rules.SeverityMedium:
		return "warning"
	}
	return "note"
}

// ruleName turns a title into SARIF's PascalCase rule name.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// sarif writes a SARIF 2.1.0 log with one run per cluster: every rule of the
// catalog in tool.driver.rules; one `fail` result per finding, each with a
// physical location (see locate); rules that were unknown or not
// applicable, and inputs that could not be parsed, as tool execution
// notifications — never as results. With a baseline, results carry
// baselineState and the fixed findings follow as `absent` results.
func (o Options) sarif(w io.Writer, reps []*report.Report, cat *rules.Catalog) error {
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{}}
	for _, rep := range reps {
		log.Runs = append(log.Runs, o.sarifRunOf(rep, cat))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// locate gives a finding its SARIF location: the logical location always;
// the physical one is the finding's file and line; for a finding with no
// file, where its missing object belongs (Anchor: the root namespace's
// policies for root-namespace rules, the mesh config for mesh-config rules,
// else the first input file at line 1); for an object from a live cluster
// or standard input, or a scan with no input file at all, the
// pseudo-artifact cluster/<cluster>/<Kind>/<namespace>/<name> at line 1.
func (o Options) locate(rep *report.Report, f report.Finding, r rules.Rule) sarifLocation {
	loc := sarifLocation{LogicalLocations: []sarifLogical{{FullyQualifiedName: f.FQN(), Kind: "resource"}}}
	at := func(file string, line int, base string) {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(file), URIBaseID: base}, Region: &sarifRegion{StartLine: max(line, 1)}}
	}
	if inFile(f.File) {
		at(f.File, f.Line, "%SRCROOT%")
		return loc
	}
	if f.File == "" {
		a := o.Anchors[rep.Cluster]
		order := []*Location{a.Policy, a.MeshConfig, a.First}
		if slices.Contains(r.Requires, rules.RequiresMeshConfig) {
			order = []*Location{a.MeshConfig, a.Policy, a.First}
		}
		for _, l := range order {
			if l != nil {
				at(l.File, l.Line, "%SRCROOT%")
				return loc
			}
		}
	}
	at(ClusterArtifact(rep.Cluster, f.FQN()), 1, "")
	return loc
}

func (o Options) sarifRunOf(rep *report.Report, cat *rules.Catalog) sarifRun {
	index := map[string]int{}
	driver := sarifDriver{Name: "meshaudit", Version: rep.Tool.Version, InformationURI: infoURI, Rules: []sarifRule{}}
	for i, r := range cat.Rules {
		index[r.ID] = i
		help := fmt.Sprintf("%s\n\nRemediation: %s\n\nNIST SP 800-53 Rev5: %s", r.Description, r.Remediation, strings.Join(r.Controls, ", "))
		md := fmt.Sprintf("**%s** (%s, %s)\n\n%s\n\n**Remediation:** %s\n\n**NIST SP 800-53 Rev5:** %s", r.Title, r.ID, r.Severity, r.Description, r.Remediation, strings.Join(r.Controls, ", "))
		tags := append([]string{"security", "istio", "compliance"}, prefixed("NIST-800-53/", r.Controls)...)
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   r.ID,
			Name:                 ruleName(r.Title),
			ShortDescription:     sarifText{Text: r.Title},
			FullDescription:      sarifText{Text: r.Description},
			Help:                 sarifText{Text: help, Markdown: md},
			DefaultConfiguration: sarifRuleConfig{Level: sarifLevel(r.Severity)},
			Properties:           sarifRuleProperty{SecuritySeverity: r.Severity.SARIFScore(), Severity: r.Severity.String(), Controls: r.Controls, Tags: tags},
		})
	}
	results := []sarifResult{}
	result := func(f report.Finding, state string) sarifResult {
		r, _ := cat.Get(f.RuleID)
		var sup []sarifSuppression
		if e := f.Exception; e != nil {
			sup = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: e.Justification,
				Properties: map[string]any{"exception": e.ID, "approver": e.Approver, "ticket": e.Ticket, "expires": e.Expires, "selfDeclared": e.SelfDeclared}}}
		}
		props := map[string]any{"severity": f.Severity.String(), "nist-800-53": f.Controls, "resource": f.FQN()}
		if len(f.Evidence) > 0 {
			props["evidence"] = f.Evidence
		}
		return sarifResult{
			Suppressions:        sup,
			BaselineState:       state,
			RuleID:              f.RuleID,
			RuleIndex:           index[f.RuleID],
			Kind:                "fail",
			Level:               sarifLevel(f.Severity),
			Message:             sarifText{Text: fmt.Sprintf("%s: %s", f.FQN(), f.Message)},
			Locations:           []sarifLocation{o.locate(rep, f, r)},
			PartialFingerprints: map[string]string{FingerprintKey: f.Fingerprint},
			Properties:          props,
		}
	}
	for _, f := range rep.Findings {
		state := ""
		if o.Baseline != nil {
			state = o.Baseline.State(rep.Cluster, f)
		}
		results = append(results, result(f, state))
	}
	if o.Baseline != nil {
		for _, f := range o.Baseline.Absent(rep.Cluster) {
			if _, ok := index[f.RuleID]; ok {
				results = append(results, result(f, diff.StateAbsent))
			}
		}
	}
	notes := []sarifNotification{}
	for _, pe := range rep.ParseErrors {
		n := sarifNotification{Level: "error", Message: sarifText{Text: fmt.Sprintf("input not parsed: %s", pe.Reason)}}
		if pe.File != "" && pe.File != "<stdin>" {
			phys := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: artifactURI(pe.File), URIBaseID: "%SRCROOT%"}}
			if pe.Line > 0 {
				phys.Region = &sarifRegion{StartLine: pe.Line}
			}
			n.Locations = []sarifLocation{{PhysicalLocation: phys}}
		} else {
			n.Message.Text = fmt.Sprintf("input %s not parsed: %s", pe.File, pe.Reason)
		}
		notes = append(notes, n)
	}
	for _, n := range rep.Notices {
		level := "note"
		if n.Kind == snapshot.NoticeValidity {
			level = "warning"
		}
		text := n.Message
		if n.Object != "" {
			text = n.Object + ": " + text
		}
		if n.Field != "" {
			text += " (field " + n.Field + ")"
		}
		note := sarifNotification{Level: level, Message: sarifText{Text: n.Kind + " notice: " + text}, Properties: map[string]any{"notice": n.Kind}}
		if n.File != "" && n.File != "<stdin>" {
			phys := &sarifPhysical{ArtifactLocation: sarifArtifact{URI: n.File, URIBaseID: "%SRCROOT%"}}
			if n.Line > 0 {
				phys.Region = &sarifRegion{StartLine: n.Line}
			}
			note.Locations = []sarifLocation{{PhysicalLocation: phys}}
		}
		notes = append(notes, note)
	}
	for _, warn := range rep.Summary.Warnings {
		notes = append(notes, sarifNotification{Level: "warning", Message: sarifText{Text: warn}})
	}
	for _, r := range rep.Rules {
		if r.Status != report.StatusUnknown && r.Status != report.StatusNotApplicable {
			continue
		}
		level := "note"
		if r.Status == report.StatusUnknown {
			level = "error"
		}
		notes = append(notes, sarifNotification{
			Level:          level,
			Message:        sarifText{Text: fmt.Sprintf("rule %s %s: %s", r.ID, strings.ReplaceAll(string(r.Status), "_", " "), r.Reason)},
			AssociatedRule: &sarifReportDesc{ID: r.ID, Index: index[r.ID]},
			Properties:     map[string]any{"status": string(r.Status)},
		})
	}
	cluster := rep.Cluster
	return sarifRun{
		Tool:              sarifTool{Driver: driver},
		AutomationDetails: sarifAutomation{ID: "meshaudit/" + cluster + "/"},
		Invocations:       []sarifInvocation{{ExecutionSuccessful: true, Notifications: notes}},
		Results:           results,
		Properties:        map[string]any{"cluster": cluster, "complete": rep.Summary.Complete, "incomplete": rep.Summary.Incomplete, "source": rep.Source.Type},
	}
}

func prefixed(p string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = p + s
	}
	return out
}
