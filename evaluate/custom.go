package evaluate

import (
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
)

// CustomPolicies lists the custom modules among mods (those that are not
// embedded) with their digests, for report.Report.CustomPolicies; nil when none.
func CustomPolicies(mods []policies.Module) ([]report.CustomPolicy, error) {
	custom, err := policies.Custom(mods)
	if err != nil {
		return nil, err
	}
	var out []report.CustomPolicy
	for _, m := range custom {
		out = append(out, report.CustomPolicy{Path: m.Path, SHA256: m.Digest()})
	}
	return out, nil
}
