package output

import (
	"encoding/json"
	"io"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/rules"
)

// JSON writes the report as documented in docs/report-schema.md
// (schemaVersion meshaudit.io/report/v1).
func JSON(w io.Writer, rep *evaluate.Report, _ *rules.Catalog) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
