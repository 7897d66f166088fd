package output

import (
	"encoding/json"
	"io"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/rules"
)

// FleetSchemaVersion versions the JSON document of a several-cluster run.
const FleetSchemaVersion = "meshaudit.io/fleet/v1"

// JSON writes the report as documented in docs/report-schema.md
// (schemaVersion meshaudit.io/report/v1); several clusters' reports go into
// one meshaudit.io/fleet/v1 document {schemaVersion, reports: [...]}.
func JSON(w io.Writer, reps []*evaluate.Report, _ *rules.Catalog) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if len(reps) == 1 {
		return enc.Encode(reps[0])
	}
	return enc.Encode(struct {
		SchemaVersion string             `json:"schemaVersion"`
		Reports       []*evaluate.Report `json:"reports"`
	}{FleetSchemaVersion, reps})
}
