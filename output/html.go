package output

import (
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// SummaryMeta is what the HTML summary shows besides the report.
type SummaryMeta struct {
	// Bundle: the summary of an evidence bundle (its creation time, the
	// bundle wording, meshaudit verify); else a stand-alone report
	// (-o html).
	Bundle       bool
	CreatedAt    string
	PolicyDigest string
	ToolVersion  string
}

// Heading is the summary's title.
func (m SummaryMeta) Heading() string {
	if m.Bundle {
		return "meshaudit evidence"
	}
	return "meshaudit report"
}

type htmlFamily struct {
	Name     string
	Controls []report.ControlResult
	Counts   map[report.Status]int
}

type htmlCluster struct {
	R          *report.Report
	Meta       SummaryMeta
	Sfx        string // suffix of element ids, unique per cluster
	Families   []htmlFamily
	Open       []report.Finding
	Excepted   []report.Finding
	NotPassing []report.RuleResult
	Problems   []snapshot.KindStatus
	Statuses   []report.Status
	// With a baseline (--previous): each open finding's state and the
	// counts.
	Compared bool
	State    func(report.Finding) string
	Counts   diff.Counts
}

type htmlPage struct {
	Title    string
	Meta     SummaryMeta
	Clusters []htmlCluster
}

// SummaryHTML writes the self-contained HTML summary of one cluster's
// report: inline CSS, no script, no external resource, so it opens from
// disk with no network. Same report and meta, same bytes. Evidence bundles
// hold it as summary.html.
func SummaryHTML(w io.Writer, rep *report.Report, meta SummaryMeta) error {
	return summaryPage(w, []*report.Report{rep}, meta, nil)
}

// html writes the stand-alone HTML summary (-o html): the evidence
// bundle's summary.html without the bundle's parts, one section per
// cluster.
func (o Options) html(w io.Writer, reps []*report.Report, _ *rules.Catalog) error {
	meta := SummaryMeta{}
	if len(reps) > 0 {
		meta.ToolVersion = reps[0].Tool.Version
	}
	return summaryPage(w, reps, meta, o.Baseline)
}

func summaryPage(w io.Writer, reps []*report.Report, meta SummaryMeta, baseline *diff.Baseline) error {
	p := htmlPage{Meta: meta}
	var names []string
	for i, rep := range reps {
		c := htmlCluster{R: rep, Meta: meta, Statuses: []report.Status{report.StatusFail, report.StatusExcepted, report.StatusUnknown, report.StatusPass, report.StatusNotApplicable}}
		if len(reps) > 1 {
			c.Sfx = "-" + strconv.Itoa(i+1)
		}
		if baseline != nil {
			cluster := rep.Cluster
			c.Compared, c.Counts = true, baseline.Counts(cluster)
			c.State = func(f report.Finding) string { return baseline.State(cluster, f) }
		}
		idx := map[string]int{}
		for _, ctl := range rep.Controls {
			j, ok := idx[ctl.Family]
			if !ok {
				j = len(c.Families)
				idx[ctl.Family] = j
				c.Families = append(c.Families, htmlFamily{Name: ctl.Family, Counts: map[report.Status]int{}})
			}
			c.Families[j].Controls = append(c.Families[j].Controls, ctl)
			c.Families[j].Counts[ctl.Status]++
		}
		sort.SliceStable(c.Families, func(i, j int) bool { return c.Families[i].Name < c.Families[j].Name })
		for _, f := range rep.Findings {
			if f.Exception != nil {
				c.Excepted = append(c.Excepted, f)
			} else {
				c.Open = append(c.Open, f)
			}
		}
		for _, r := range rep.Rules {
			if r.Status == report.StatusUnknown || r.Status == report.StatusNotApplicable {
				c.NotPassing = append(c.NotPassing, r)
			}
		}
		for _, k := range rep.Kinds {
			if k.Status != snapshot.StatusCollected && k.Status != snapshot.StatusAbsent {
				c.Problems = append(c.Problems, k)
			}
		}
		p.Clusters = append(p.Clusters, c)
		names = append(names, rep.Cluster)
	}
	p.Title = meta.Heading() + ": " + strings.Join(names, ", ")
	return summaryTmpl.Execute(w, p)
}

var summaryTmpl = template.Must(template.New("summary").Funcs(template.FuncMap{
	"label": func(s report.Status) string { return strings.ToUpper(strings.ReplaceAll(string(s), "_", " ")) },
	"upper": strings.ToUpper,
	"join":  func(s []string) string { return strings.Join(s, ", ") },
	"count": func(m map[report.Status]int, s report.Status) int { return m[s] },
	"mark":  func(state string) string { return marks[state] },
	"scount": func(m map[string]int, s report.Status) int {
		return m[string(s)]
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24;background:#fff;line-height:1.4}
h1{font-size:1.5rem;margin:0 0 .5rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}h3{font-size:1rem;margin:1.25rem 0 .25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;font-size:.9rem}dl.meta dt{font-weight:600}dl.meta dd{margin:0;word-break:break-all}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-size:.75rem;font-weight:700;color:#fff;white-space:nowrap}
.s-fail{background:#cf222e}.s-excepted{background:#9a6700}.s-unknown{background:#6e7781}.s-pass{background:#1a7f37}.s-not_applicable{background:#8c959f}
.sev-critical{color:#a40e26;font-weight:700}.sev-high{color:#cf222e;font-weight:700}.sev-medium{color:#9a6700}.sev-low{color:#57606a}
.cards{display:flex;flex-wrap:wrap;gap:.75rem;margin:.5rem 0}.card{border:1px solid #d0d7de;border-radius:.4rem;padding:.5rem .9rem;min-width:7rem}.card b{display:block;font-size:1.4rem}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .75rem;border-radius:.4rem}.muted{color:#57606a}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em}
</style>
</head>
<body>
{{range .Clusters}}{{template "cluster" .}}{{end}}<p class="muted">Generated by meshaudit {{.Meta.ToolVersion}}.{{if .Meta.Bundle}} The bundle's manifest.json lists the SHA-256 of this file; <code>meshaudit verify</code> checks it.{{end}}</p>
</body>
</html>
{{define "cluster"}}<h1>{{.Meta.Heading}} — cluster {{.R.Cluster}}</h1>
<dl class="meta">
<dt>Cluster</dt><dd id="cluster{{.Sfx}}">{{.R.Cluster}}</dd>
<dt>Source</dt><dd>{{.R.Source.Type}}{{with .R.Source.Inputs}}: {{join .}}{{end}}</dd>
<dt>Collected</dt><dd>{{if .R.CollectedAt}}{{.R.CollectedAt}}{{else}}<span class="muted">no collection time (manifest scan)</span>{{end}}</dd>
{{if .Meta.Bundle}}<dt>Bundle created</dt><dd>{{.Meta.CreatedAt}}</dd>
{{end}}<dt>meshaudit</dt><dd>{{.Meta.ToolVersion}}</dd>
{{if .Meta.PolicyDigest}}<dt>Policy bundle</dt><dd><code>{{.Meta.PolicyDigest}}</code></dd>
{{end}}<dt>Complete</dt><dd id="complete{{.Sfx}}">{{if .R.Summary.Complete}}yes{{else}}no{{end}}</dd>
</dl>
{{if or .R.Summary.Incomplete .R.Summary.Warnings}}<div class="warn" id="warnings{{.Sfx}}">{{range .R.Summary.Incomplete}}<div>Incomplete: {{.}}</div>{{end}}{{range .R.Summary.Warnings}}<div>Warning: {{.}}</div>{{end}}</div>{{end}}

<h2 id="summary{{.Sfx}}">Summary</h2>
<div class="cards">
<div class="card"><b>{{len .Open}}</b>open findings</div>
<div class="card"><b>{{len .Excepted}}</b>excepted findings</div>
{{range .Statuses}}<div class="card"><b>{{scount $.R.Summary.Controls .}}</b>controls <span class="badge s-{{.}}">{{label .}}</span></div>
{{end}}</div>

<h2 id="controls{{.Sfx}}">Controls by family</h2>
{{range .Families}}<h3>{{.Name}}</h3>
<table class="family">
<thead><tr><th>Control</th><th>Title</th><th>Status</th><th>Baselines</th><th>Rules</th><th>Failed</th><th>Unknown</th></tr></thead>
<tbody>
{{range .Controls}}<tr data-control="{{.ID}}"><td><code>{{.ID}}</code></td><td>{{.Title}}</td><td><span class="badge s-{{.Status}}">{{label .Status}}</span></td><td>{{join .Baselines}}</td><td>{{join .Rules}}</td><td>{{join .Failed}}</td><td>{{join .Unknown}}</td></tr>
{{end}}</tbody>
</table>
{{else}}<p class="muted">No control was assessed.</p>
{{end}}
<h2 id="findings{{.Sfx}}">Findings ({{len .Open}})</h2>
{{if .Compared}}<p id="baseline{{.Sfx}}">Compared with the previous report: {{.Counts.New}} new, {{.Counts.Absent}} fixed, {{.Counts.Updated}} updated, {{.Counts.Unchanged}} unchanged.</p>
{{end}}{{if .Open}}<table>
<thead><tr>{{if .Compared}}<th>Change</th>{{end}}<th>Severity</th><th>Rule</th><th>Resource</th><th>Location</th><th>Message</th><th>Controls</th></tr></thead>
<tbody>
{{range .Open}}<tr data-finding="{{.Fingerprint}}">{{if $.Compared}}<td data-baseline="{{call $.State .}}">{{mark (call $.State .)}}</td>{{end}}<td class="sev-{{.Severity}}">{{upper .Severity.String}}</td><td>{{.RuleID}}</td><td><code>{{.FQN}}</code></td><td>{{if .File}}<code>{{.File}}{{if .Line}}:{{.Line}}{{end}}</code>{{end}}</td><td>{{.Message}}</td><td>{{join .Controls}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p class="muted">No open finding.</p>{{end}}

<h2 id="exceptions{{.Sfx}}">Exceptions</h2>
{{if .Excepted}}<table>
<thead><tr><th>Exception</th><th>Rule</th><th>Resource</th><th>Message</th><th>Justification</th><th>Approver</th><th>Ticket</th><th>Expires</th></tr></thead>
<tbody>
{{range .Excepted}}<tr data-exception="{{.Exception.ID}}"><td>{{.Exception.ID}}{{if .Exception.SelfDeclared}} <span class="badge s-unknown">SELF-DECLARED</span>{{end}}</td><td>{{.RuleID}}</td><td><code>{{.FQN}}</code></td><td>{{.Message}}</td><td>{{.Exception.Justification}}</td><td>{{.Exception.Approver}}</td><td>{{.Exception.Ticket}}</td><td>{{.Exception.Expires}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p class="muted">No finding is excepted.</p>{{end}}
{{if .R.Exceptions}}<h3>Exception status</h3>
<table>
<thead><tr><th>Exception</th><th>Status</th><th>Matched</th><th>Expires</th></tr></thead>
<tbody>
{{range .R.Exceptions}}<tr><td>{{.ID}}{{if .SelfDeclared}} (self-declared){{end}}</td><td>{{.Status}}</td><td>{{.Matched}}</td><td>{{.Expires}}</td></tr>
{{end}}</tbody>
</table>{{end}}

<h2 id="rules{{.Sfx}}">Rules not applicable or unknown</h2>
{{if .NotPassing}}<table>
<thead><tr><th>Rule</th><th>Title</th><th>Status</th><th>Reason</th></tr></thead>
<tbody>
{{range .NotPassing}}<tr><td>{{.ID}}</td><td>{{.Title}}</td><td><span class="badge s-{{.Status}}">{{label .Status}}</span></td><td>{{.Reason}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p class="muted">Every rule was judged.</p>{{end}}

<h2 id="problems{{.Sfx}}">Collection problems</h2>
{{if or .R.ParseErrors .Problems}}<table>
<thead><tr><th>Input</th><th>Problem</th></tr></thead>
<tbody>
{{range .R.ParseErrors}}<tr><td><code>{{.File}}{{if .Line}}:{{.Line}}{{end}}</code></td><td>{{.Reason}}</td></tr>
{{end}}{{range .Problems}}<tr><td>kind <code>{{.Kind}}</code></td><td>{{.Status}}{{if .Reason}}: {{.Reason}}{{end}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p class="muted">None: every input was read and every kind collected.</p>{{end}}
{{end}}`))
