package scanner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBrokenCustomPolicies(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"syntax":          {"package meshaudit.custom.rules.x_01\n\ndeny contains x if {\n", "x_01.rego:"},
		"no metadata":     {"package meshaudit.custom.rules.x_01\n", "x_01.rego:1: no package-scoped # METADATA block"},
		"unknown control": {"# METADATA\n# title: T\n# description: D\n# custom:\n#   id: X-01\n#   severity: low\n#   controls: [ZZ-9]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.custom.rules.x_01\n", "x_01.rego:1: custom.controls: ZZ-9 is not a NIST SP 800-53 Rev5 control"},
		"duplicate id":    {"# METADATA\n# title: T\n# description: D\n# custom:\n#   id: MTLS-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.custom.rules.mtls_01\n", "duplicate rule id MTLS-01"},
		"our library":     {"package meshaudit.lib\n\nexcluded(_) if true\n", "x_01.rego:1: package meshaudit.lib is meshaudit's own"},
		"our rule":        {"package meshaudit.rules.mtls_01\n\ndeny := set()\n", "x_01.rego:1: package meshaudit.rules.mtls_01 is meshaudit's own"},
		"our root":        {"package meshaudit\n\nparams := {}\n", "x_01.rego:1: package meshaudit is meshaudit's own"},
		"network":         {"# METADATA\n# title: T\n# description: D\n# custom:\n#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.custom.rules.x_01\n\nimport rego.v1\n\ndeny contains {\"msg\": r.body} if {\n\tr := http.send({\"method\": \"GET\", \"url\": \"http://example.com\"})\n}\n", "x_01.rego:15: rego_type_error: undefined function http.send"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "x_01.rego"), []byte(c.src), 0o644)
			code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "--policy", dir)
			if code != Usage || !strings.Contains(stderr, c.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant %q", code, stderr, c.want)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	ids := func(args ...string) []string {
		t.Helper()
		code, out, stderr := scanCLI(t, "", append([]string{"scan", "-f", "examples/shop", "-o", "json", "--fail-on", "none"}, args...)...)
		if code != 0 && code != Incomplete {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var rep struct{ Rules []struct{ ID string } }
		json.Unmarshal([]byte(out), &rep)
		var out2 []string
		for _, r := range rep.Rules {
			out2 = append(out2, r.ID)
		}
		return out2
	}
	if got := ids("--rules", "MTLS-01,POD-03"); strings.Join(got, ",") != "MTLS-01,POD-03" {
		t.Errorf("--rules: %v", got)
	}
	for _, id := range ids("--controls", "SC-8") {
		// SC-8 selects SC-8(1) too: MTLS-02 maps only SC-8(1).
		if id == "POD-03" {
			t.Errorf("--controls SC-8 selected POD-03")
		}
	}
	if got := ids("--controls", "SC-8"); !contains(got, "MTLS-02") || !contains(got, "MTLS-01") {
		t.Errorf("--controls SC-8 must select enhancements: %v", got)
	}
	_, out, _ := scanCLI(t, "", "scan", "-f", "examples/shop", "-o", "json", "--fail-on", "none", "--severity", "critical")
	var sev struct {
		Rules []struct{ ID, Severity string }
	}
	json.Unmarshal([]byte(out), &sev)
	if len(sev.Rules) == 0 {
		t.Error("--severity critical selected nothing")
	}
	for _, r := range sev.Rules {
		if r.Severity != "critical" {
			t.Errorf("--severity critical evaluated %s (%s)", r.ID, r.Severity)
		}
	}
	if got := ids("--skip-rules", "MTLS-01"); contains(got, "MTLS-01") || len(got) == 0 {
		t.Errorf("--skip-rules: %v", got)
	}
	code, _, _ := scanCLI(t, "", "scan", "-f", "examples/shop", "--rules", "NOPE-99")
	if code != Usage {
		t.Errorf("unknown rule in --rules: exit %d", code)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
