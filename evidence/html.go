package evidence

import (
	"io"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/output"
)

// SummaryMeta is what the HTML summary shows besides the report.
type SummaryMeta = output.SummaryMeta

// SummaryHTML writes the bundle's self-contained HTML summary of one
// cluster's report (output.SummaryHTML, with the bundle's parts).
func SummaryHTML(w io.Writer, rep *report.Report, meta SummaryMeta) error {
	meta.Bundle = true
	return output.SummaryHTML(w, rep, meta)
}
