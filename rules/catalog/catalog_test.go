package catalog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

func updateGolden() bool { return os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" }

func TestCatalog(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Rules) == 0 {
		t.Fatal("no rules")
	}
	mods, err := policies.Modules(true)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, m := range mods {
		files[m.Path] = true
	}
	seen := map[string]bool{}
	for _, r := range cat.Rules {
		if seen[r.ID] {
			t.Errorf("duplicate id %s", r.ID)
		}
		seen[r.ID] = true
		if r.Severity < rules.SeverityLow || r.Severity > rules.SeverityCritical {
			t.Errorf("%s: invalid severity", r.ID)
		}
		if strings.TrimSpace(r.Remediation) == "" {
			t.Errorf("%s: no remediation", r.ID)
		}
		for _, c := range r.Controls {
			ctl, ok, err := rules.NISTControl(c)
			if err != nil || !ok || ctl.Withdrawn {
				t.Errorf("%s: control %s is not a valid NIST SP 800-53 Rev5 control", r.ID, c)
			}
		}
		test := strings.TrimSuffix(r.File, ".rego") + "_test.rego"
		if !files[test] {
			t.Errorf("%s: no test file %s", r.ID, test)
		}
	}
}

// TestLoadRejects: the annotation contract is enforced, not assumed.
func TestLoadRejects(t *testing.T) {
	head := "# METADATA\n# title: T\n# description: D\n# custom:\n"
	cases := map[string]string{
		"no metadata":       "package meshaudit.rules.x_01\n",
		"unknown key":       head + "#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [Pod]\n#   remediation: r\n#   sevrity: low\npackage meshaudit.rules.x_01\n",
		"bad severity":      head + "#   id: X-01\n#   severity: urgent\n#   controls: [AC-3]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.rules.x_01\n",
		"unknown control":   head + "#   id: X-01\n#   severity: low\n#   controls: [AC-99]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.rules.x_01\n",
		"withdrawn control": head + "#   id: X-01\n#   severity: low\n#   controls: [AC-2(10)]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.rules.x_01\n",
		"no remediation":    head + "#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [Pod]\npackage meshaudit.rules.x_01\n",
		"no inputs":         head + "#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   remediation: r\npackage meshaudit.rules.x_01\n",
		"wrong package":     head + "#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [Pod]\n#   remediation: r\npackage meshaudit.rules.y_01\n",
		"bad requires":      head + "#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [Pod]\n#   requires: [cluster]\n#   remediation: r\npackage meshaudit.rules.x_01\n",
	}
	for name, src := range cases {
		if _, err := Load([]policies.Module{{Path: "rules/x_01.rego", Source: src}}); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.Contains(err.Error(), "rules/x_01.rego") {
			t.Errorf("%s: error does not name the file: %v", name, err)
		}
	}
	ok := head + "#   id: X-01\n#   severity: low\n#   controls: [AC-3]\n#   inputs: [workloads]\n#   requires: [mesh_config]\n#   remediation: r\npackage meshaudit.rules.x_01\n"
	dup := []policies.Module{{Path: "rules/x_01.rego", Source: ok}, {Path: "rules/x_01b.rego", Source: ok}}
	if _, err := Load(dup); err == nil || !strings.Contains(err.Error(), "duplicate") {
		t.Errorf("duplicate id: %v", err)
	}
	cat, err := Load(dup[:1])
	if err != nil {
		t.Fatal(err)
	}
	r, _ := cat.Get("X-01")
	if got := strings.Join(r.Inputs, ","); got != "ConfigMap,CronJob,DaemonSet,Deployment,Job,Pod,ReplicaSet,StatefulSet" {
		t.Errorf("inputs = %s", got)
	}
}

// TestDocsUpToDate: docs/rules.md is generated from the annotations.
func TestDocsUpToDate(t *testing.T) {
	cat, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "rules.md")
	want := rules.Markdown(cat)
	if updateGolden() {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("docs/rules.md is stale: run MESHAUDIT_UPDATE_GOLDEN=1 go test ./rules/...")
	}
}
