package evaluate

import "github.com/meshaudit/meshaudit/policies"

// CustomPolicies lists the custom modules among mods (those that are not
// embedded) with their digests, for Report.CustomPolicies; nil when none.
func CustomPolicies(mods []policies.Module) ([]CustomPolicy, error) {
	custom, err := policies.Custom(mods)
	if err != nil {
		return nil, err
	}
	var out []CustomPolicy
	for _, m := range custom {
		out = append(out, CustomPolicy{Path: m.Path, SHA256: m.Digest()})
	}
	return out, nil
}
