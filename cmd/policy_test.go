package cmd

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCustomPolicy(t *testing.T) {
	code, out, stderr := run(t, "", "rules", "--policy", "examples/policies/team", "-o", "json")
	if code != 0 || !strings.Contains(out, `"id": "TEAM-01"`) {
		t.Fatalf("rules --policy: %d %s", code, stderr)
	}
	code, out, stderr = run(t, "", "scan", "-f", "examples/shop", "--policy", "examples/policies/team", "--rules", "TEAM-01", "-o", "json", "--fail-on", "medium")
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Rules    []struct{ ID, Status string }
		Findings []struct{ RuleID, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rules) != 1 || rep.Rules[0].ID != "TEAM-01" || rep.Rules[0].Status != "fail" || len(rep.Findings) != 2 {
		t.Fatalf("report: %+v", rep)
	}
}

func TestControlsCommand(t *testing.T) {
	code, out, _ := run(t, "", "controls", "--baseline", "moderate", "-o", "json")
	var rep struct {
		Baseline    string
		Assessed    int
		NotAssessed int
		Controls    []struct {
			ID       string
			Assessed bool
			Rules    []string
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Baseline != "MODERATE" || rep.Assessed == 0 || rep.NotAssessed == 0 {
		t.Fatalf("controls: %d %s", code, out)
	}
	for _, c := range rep.Controls {
		if c.ID == "SC-8(1)" && (!c.Assessed || !contains(c.Rules, "MTLS-01")) {
			t.Errorf("SC-8(1): %+v", c)
		}
		if c.ID == "AC-1" && c.Assessed {
			t.Errorf("AC-1 assessed")
		}
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
