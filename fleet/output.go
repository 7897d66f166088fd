package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	oscal "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
	"github.com/google/uuid"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/report"
)

// Formats of the fleet report.
var Formats = []string{"table", "json", "html", "oscal"}

// Write renders the report in a format.
func Write(w io.Writer, format string, rep *Report) error {
	switch format {
	case "table":
		return WriteTable(w, rep)
	case "json":
		return WriteJSON(w, rep)
	case "html":
		return WriteHTML(w, rep)
	case "oscal":
		return WriteOSCAL(w, rep)
	}
	return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats, ", "))
}

// WriteJSON writes the report as indented JSON (maps with sorted keys:
// byte-identical for the same bundles and time).
func WriteJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}

var statusCols = []report.Status{report.StatusFail, report.StatusUnknown, report.StatusExcepted, report.StatusNotApplicable, report.StatusPass}

// WriteTable writes the terminal view: one line per cluster, one per
// control (how many clusters in each status, the failing ones named), the
// rules with open findings, and the bundles left out.
func WriteTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Fleet %s: %d cluster(s), %d bundle(s) read, %d failed verification, %d stale\n\n", rep.Source, rep.Summary.Clusters, rep.Summary.BundlesRead, rep.Summary.BundlesFailed, rep.Summary.Stale)
	fmt.Fprintln(tw, "CLUSTER\tLATEST BUNDLE\tAUTH\tFAIL\tUNKNOWN\tEXCEPTED\tN/A\tPASS\tOPEN FINDINGS\tNEW\tFIXED\tCONTROLS CHANGED\tSTALE")
	for _, c := range rep.Clusters {
		auth := "signed"
		if !c.Authenticated {
			auth = "UNSIGNED"
		}
		nw, fx, cc := "-", "-", "-"
		if c.Changes != nil {
			nw, fx, cc = strconv.Itoa(len(c.Changes.New)), strconv.Itoa(len(c.Changes.Fixed)), strconv.Itoa(len(c.Changes.Controls))
		}
		open := 0
		for _, n := range c.Findings {
			open += n
		}
		stale := ""
		if c.Stale {
			stale = "STALE"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", c.Name, c.CreatedAt, auth,
			c.Controls["fail"], c.Controls["unknown"], c.Controls["excepted"], c.Controls["not_applicable"], c.Controls["pass"], open, nw, fx, cc, stale)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CONTROL\tFLEET\tFAIL\tUNKNOWN\tEXCEPTED\tN/A\tPASS\tFAILING CLUSTERS")
	for _, row := range rep.Controls {
		fmt.Fprintf(tw, "%s\t%s", row.ID, Worst(row.Clusters))
		for _, s := range statusCols {
			fmt.Fprintf(tw, "\t%d", row.Counts[string(s)])
		}
		fmt.Fprintf(tw, "\t%s\n", clip(clustersWith(row.Clusters, report.StatusFail), 5))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tOPEN FINDINGS\tCLUSTERS\tMOST")
	for _, row := range rep.Rules {
		if row.Total == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", row.ID, row.Severity, row.Total, len(row.Clusters), clip(topClusters(row.Clusters), 5))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range rep.Failed {
		fmt.Fprintf(w, "\nFAILED (left out): %s\n", f.Bundle)
		for _, p := range f.Problems {
			fmt.Fprintf(w, "    %s\n", p)
		}
	}
	for _, b := range rep.Incomplete {
		fmt.Fprintf(w, "\nincomplete (no %s, not read): %s\n", evidence.FileManifest, b)
	}
	return nil
}

func clustersWith(m map[string]report.Status, s report.Status) []string {
	var out []string
	for c, st := range m {
		if st == s {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// topClusters: the clusters with the most findings first ("name (n)").
func topClusters(m map[string]int) []string {
	type kv struct {
		k string
		v int
	}
	var s []kv
	for k, v := range m {
		s = append(s, kv{k, v})
	}
	sort.Slice(s, func(i, j int) bool {
		if s[i].v != s[j].v {
			return s[i].v > s[j].v
		}
		return s[i].k < s[j].k
	})
	out := make([]string, len(s))
	for i, e := range s {
		out[i] = fmt.Sprintf("%s (%d)", e.k, e.v)
	}
	return out
}

func clip(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" … +%d", len(s)-n)
}

var htmlPage = template.Must(template.New("fleet").Funcs(template.FuncMap{
	"status": func(m map[string]report.Status, c string) string { return string(m[c]) },
	"worst":  Worst,
	"count":  func(m map[string]int, c string) int { return m[c] },
	"open": func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>meshaudit fleet: {{.Source}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}
th{background:#f3f3f3;position:sticky;top:0}
.fail{background:#f8d0d0}.unknown{background:#f8ecc0}.excepted{background:#e3d8f3}
.not_applicable{background:#eee;color:#666}.pass{background:#d3efd3}
.stale{color:#a00;font-weight:bold}
</style></head><body>
<h1>meshaudit fleet</h1>
<p>{{.Source}} — generated {{.GeneratedAt}}{{if .Since}}, bundles since {{.Since}}{{end}}{{if .MaxAge}}, stale after {{.MaxAge}}{{end}}.
{{.Summary.Clusters}} cluster(s), {{.Summary.BundlesRead}} bundle(s) read, {{.Summary.BundlesFailed}} failed verification (left out), {{.Summary.Stale}} stale, {{.Summary.Findings}} open finding(s).</p>
<h2>Clusters</h2>
<table><tr><th>cluster</th><th>latest bundle</th><th>created</th><th>authenticated</th><th>open findings</th><th>new</th><th>fixed</th><th>controls changed</th><th>stale</th></tr>
{{range .Clusters}}<tr><td>{{.Name}}</td><td>{{.Bundle}}</td><td>{{.CreatedAt}}</td><td>{{.Authenticated}}</td><td>{{open .Findings}}</td>
{{if .Changes}}<td>{{len .Changes.New}}</td><td>{{len .Changes.Fixed}}</td><td>{{range .Changes.Controls}}{{.ID}}: {{.Old}} → {{.New}}; {{end}}</td>{{else}}<td>-</td><td>-</td><td>no previous bundle</td>{{end}}
<td>{{if .Stale}}<span class="stale">stale</span>{{end}}</td></tr>
{{end}}</table>
<h2>Controls × clusters</h2>
<table><tr><th>control</th><th>fleet</th>{{range .Clusters}}<th>{{.Name}}</th>{{end}}</tr>
{{$cl := .Clusters}}{{range .Controls}}{{$row := .}}<tr><td title="{{.Title}}">{{.ID}}</td><td class="{{worst .Clusters}}">{{worst .Clusters}}</td>{{range $cl}}{{$s := status $row.Clusters .Name}}<td class="{{$s}}">{{$s}}</td>{{end}}</tr>
{{end}}</table>
<h2>Open findings per rule and cluster</h2>
<table><tr><th>rule</th><th>severity</th><th>total</th>{{range .Clusters}}<th>{{.Name}}</th>{{end}}</tr>
{{range .Rules}}{{$row := .}}{{if .Total}}<tr><td title="{{.Title}}">{{.ID}}</td><td>{{.Severity}}</td><td>{{.Total}}</td>{{range $cl}}<td>{{count $row.Clusters .Name}}</td>{{end}}</tr>
{{end}}{{end}}</table>
{{if .Failed}}<h2>Bundles that failed verification (left out)</h2><ul>
{{range .Failed}}<li>{{.Bundle}}<ul>{{range .Problems}}<li>{{.}}</li>{{end}}</ul></li>{{end}}</ul>{{end}}
{{if .Incomplete}}<h2>Incomplete bundles (no manifest, not read)</h2><ul>{{range .Incomplete}}<li>{{.}}</li>{{end}}</ul>{{end}}
</body></html>
`))

// WriteHTML writes a self-contained page (inline CSS, no script, a
// Content-Security-Policy forbidding any fetch).
func WriteHTML(w io.Writer, rep *Report) error { return htmlPage.Execute(w, rep) }

// oscalNS: the namespace of the fleet document's version 5 UUIDs.
var oscalNS = uuid.MustParse("0c6b9a1e-7f43-5d2e-8a61-4b5e2f9d3c17")

func oscalUUID(parts ...string) string {
	return uuid.NewSHA1(oscalNS, []byte(strings.Join(parts, "\x00"))).String()
}

func prop(name, value string) oscal.Property {
	return oscal.Property{Name: name, Ns: output.OSCALNamespace, Value: value}
}

// controlState: only PASS is satisfied (docs/evidence.md, "OSCAL mapping").
func controlState(s report.Status) oscal.ObjectiveStatus {
	switch s {
	case report.StatusPass:
		return oscal.ObjectiveStatus{State: "satisfied", Reason: "pass"}
	case report.StatusFail, report.StatusExcepted:
		return oscal.ObjectiveStatus{State: "not-satisfied", Reason: "fail"}
	}
	return oscal.ObjectiveStatus{State: "not-satisfied", Reason: "other"}
}

// WriteOSCAL writes one OSCAL 1.2.2 assessment-results document with a
// result per cluster (its latest verified bundle): the controls reviewed,
// one finding per control with the cluster's status, and a back-matter
// resource per bundle linking its manifest.json (with its SHA-256, which
// lists every file's) and its own oscal.json, the cluster's full
// assessment results.
func WriteOSCAL(w io.Writer, rep *Report) error {
	generated, err := time.Parse(time.RFC3339, rep.GeneratedAt)
	if err != nil {
		return err
	}
	byCluster := map[string][]ControlRow{}
	for _, row := range rep.Controls {
		for c := range row.Clusters {
			byCluster[c] = append(byCluster[c], row)
		}
	}
	assessment := oscal.Resource{
		UUID:        oscalUUID("fleet-assessment", rep.Source),
		Title:       "meshaudit fleet roll-up",
		Description: "An automated roll-up of the latest verified meshaudit evidence bundle of each cluster under " + rep.Source + "; each bundle's signature and file digests were checked.",
		Props:       &[]oscal.Property{prop("assessment-type", "automated-scan"), prop("source", rep.Source)},
	}
	resources := []oscal.Resource{assessment}
	results := []oscal.Result{}
	for _, c := range rep.Clusters {
		created, err := time.Parse(time.RFC3339, c.CreatedAt)
		if err != nil {
			return err
		}
		res := oscal.Resource{
			UUID:  oscalUUID("bundle", c.Name, c.ManifestSHA256),
			Title: "evidence bundle " + c.Bundle,
			Props: &[]oscal.Property{prop("cluster", c.Name), prop("evidence-bundle-manifest-sha256", c.ManifestSHA256)},
			Rlinks: &[]oscal.ResourceLink{
				{Href: c.Bundle + "/" + evidence.FileManifest, MediaType: "application/json", Hashes: &[]oscal.Hash{{Algorithm: "SHA-256", Value: c.ManifestSHA256}}},
				{Href: c.Bundle + "/" + evidence.FileOSCAL, MediaType: "application/json"},
			},
		}
		resources = append(resources, res)
		var include []oscal.AssessedControlsSelectControlById
		var findings []oscal.Finding
		rows := byCluster[c.Name]
		for _, row := range rows {
			id := output.OSCALControlID(row.ID)
			include = append(include, oscal.AssessedControlsSelectControlById{ControlId: id})
			st := row.Clusters[c.Name]
			findings = append(findings, oscal.Finding{
				UUID:        oscalUUID("finding", c.Name, c.ManifestSHA256, row.ID),
				Title:       row.ID + " " + row.Title,
				Description: fmt.Sprintf("%s on cluster %s: %s (meshaudit evidence bundle %s).", row.ID, c.Name, strings.ReplaceAll(string(st), "_", " "), c.Bundle),
				Target:      oscal.FindingTarget{Type: "objective-id", TargetId: id + "_obj", Status: controlState(st), Props: &[]oscal.Property{prop("control-status", string(st))}},
				Props:       &[]oscal.Property{prop("control-status", string(st))},
			})
		}
		start := created.UTC().Truncate(time.Second)
		props := []oscal.Property{prop("cluster", c.Name), prop("evidence-bundle", c.Bundle), prop("evidence-bundle-manifest-sha256", c.ManifestSHA256),
			prop("authenticated", strconv.FormatBool(c.Authenticated)), prop("complete", strconv.FormatBool(c.Complete)), prop("stale", strconv.FormatBool(c.Stale))}
		r := oscal.Result{
			UUID:             oscalUUID("result", c.Name, c.ManifestSHA256),
			Title:            "meshaudit: cluster " + c.Name,
			Description:      "The controls of cluster " + c.Name + " as its latest verified evidence bundle (" + c.Bundle + ", created " + c.CreatedAt + ") records them. The bundle's own oscal.json holds the observations and findings behind them.",
			Start:            start,
			End:              &start,
			Props:            &props,
			ReviewedControls: oscal.ReviewedControls{ControlSelections: []oscal.AssessedControls{{}}},
			Links:            &[]oscal.Link{{Href: "#" + res.UUID, Rel: "reference"}},
		}
		if len(include) > 0 {
			r.ReviewedControls.ControlSelections[0].IncludeControls = &include
			r.Findings = &findings
		} else {
			r.Remarks = "The bundle's report names no control."
		}
		results = append(results, r)
	}
	var clusters []string
	for _, c := range rep.Clusters {
		clusters = append(clusters, c.Name)
	}
	doc := &oscal.AssessmentResults{
		Metadata: oscal.Metadata{
			Title:        "meshaudit fleet assessment results: " + rep.Source,
			LastModified: generated.UTC().Truncate(time.Second),
			Version:      rep.SchemaVersion,
			OscalVersion: oscal.Version,
			Props:        &[]oscal.Property{prop("tool", "meshaudit"), prop("clusters", strconv.Itoa(len(clusters)))},
		},
		ImportAp:   oscal.ImportAp{Href: "#" + assessment.UUID},
		Results:    results,
		BackMatter: &oscal.BackMatter{Resources: &resources},
	}
	body, err := json.Marshal(results)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	doc.UUID = oscalUUID("fleet-assessment-results", rep.Source, hex.EncodeToString(sum[:]))
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(&oscal.OscalModels{AssessmentResults: doc})
}
