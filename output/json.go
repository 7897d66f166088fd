package output

import (
	"encoding/json"
	"io"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/rules"
)

// FleetSchemaVersion versions the JSON document of a several-cluster run.
const FleetSchemaVersion = "meshaudit.io/fleet/v1"

// json writes the report as documented in docs/report-schema.md
// (schemaVersion meshaudit.io/report/v1); several clusters' reports go into
// one meshaudit.io/fleet/v1 document {schemaVersion, reports: [...]}. With
// a baseline, every finding carries `baseline` (new, unchanged, updated)
// and the report `baselineCounts` and `fixedFindings`.
func (o Options) json(w io.Writer, reps []*report.Report, _ *rules.Catalog) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	docs := make([]any, len(reps))
	for i, r := range reps {
		docs[i] = r
		if o.Baseline != nil {
			docs[i] = withBaseline(r, o.Baseline)
		}
	}
	if len(reps) == 1 {
		return enc.Encode(docs[0])
	}
	return enc.Encode(struct {
		SchemaVersion string `json:"schemaVersion"`
		Reports       []any  `json:"reports"`
	}{FleetSchemaVersion, docs})
}

// baselineFinding is a finding with its baseline state.
type baselineFinding struct {
	report.Finding
	Baseline string `json:"baseline"`
}

// baselineReport is a report compared with a previous one; its findings
// shadow the report's own.
type baselineReport struct {
	*report.Report
	Findings       []baselineFinding `json:"findings"`
	BaselineCounts diff.Counts       `json:"baselineCounts"`
	FixedFindings  []report.Finding  `json:"fixedFindings"`
}

func withBaseline(r *report.Report, b *diff.Baseline) baselineReport {
	out := baselineReport{Report: r, Findings: make([]baselineFinding, len(r.Findings)), BaselineCounts: b.Counts(r.Cluster), FixedFindings: b.Absent(r.Cluster)}
	for i, f := range r.Findings {
		out.Findings[i] = baselineFinding{Finding: f, Baseline: b.State(r.Cluster, f)}
	}
	if out.FixedFindings == nil {
		out.FixedFindings = []report.Finding{}
	}
	return out
}
