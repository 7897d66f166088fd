package output

import (
	"io"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/rules"
)

// Options are what a run tells the writers beyond the reports.
type Options struct {
	// Width of the table in columns; 0 means DefaultWidth. Ignored when
	// Wide.
	Width int
	// Wide: every column, nothing wrapped or shortened (-o wide).
	Wide bool
	// Color: ANSI colours by severity and status in the table.
	Color bool
	// Summary: the table shows counts only (per severity, control status,
	// namespace), no finding rows.
	Summary bool
	// Baseline, when set, compares the run with a previous report: JSON
	// findings carry `baseline`, SARIF results `baselineState` (with
	// `absent` results for fixed findings), the table and the HTML a marker
	// column and a new/fixed line.
	Baseline *diff.Baseline
	// Anchors, per cluster, say where findings without an object of their
	// own are located in SARIF (see AnchorOf).
	Anchors map[string]Anchor
	// Time of the scan, for the formats that state it of reports without
	// a collection time (openreports, policyreports: results' timestamp);
	// SOURCE_DATE_EPOCH pins it.
	Time time.Time
}

// DefaultWidth is the table width when neither a terminal nor COLUMNS
// gives one.
const DefaultWidth = 80

// JSON, SARIF and Table render with default options (no baseline, no
// anchors, 80 columns, no colour).
func JSON(w io.Writer, reps []*report.Report, cat *rules.Catalog) error {
	return Options{}.json(w, reps, cat)
}
func SARIF(w io.Writer, reps []*report.Report, cat *rules.Catalog) error {
	return Options{}.sarif(w, reps, cat)
}
func Table(w io.Writer, reps []*report.Report, cat *rules.Catalog) error {
	return Options{}.table(w, reps, cat)
}
