package scanner

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

// TestTableWidthFlags: piped, the table is 80 columns wide at most, or
// $COLUMNS; -o wide is not limited; --color always colours, the default
// does not when piped; --summary has no rows of findings.
func TestTableWidthFlags(t *testing.T) {
	t.Setenv("COLUMNS", "")
	_, out, _ := scanCLI(t, "", "scan", "-f", "examples/shop")
	if w := widestLine(out); w > 80 {
		t.Errorf("default table is %d wide", w)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour on a pipe")
	}
	t.Setenv("COLUMNS", "64")
	_, out, _ = scanCLI(t, "", "scan", "-f", "examples/shop", "--color", "always")
	plain := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, "")
	if w := widestLine(plain); w > 64 || w < 50 {
		t.Errorf("COLUMNS=64 table is %d wide", w)
	}
	if !strings.Contains(out, "\x1b[31mHIGH\x1b[0m") {
		t.Error("--color always: no colour")
	}
	_, out, _ = scanCLI(t, "", "scan", "-f", "examples/shop", "-o", "wide")
	if w := widestLine(out); w <= 80 {
		t.Errorf("-o wide is %d wide", w)
	}
	_, out, _ = scanCLI(t, "", "scan", "-f", "examples/shop", "--summary")
	if !strings.Contains(out, "Findings by namespace") || strings.Contains(out, "Resource, location") {
		t.Errorf("--summary:\n%s", out)
	}
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--color", "sometimes"); code != Usage || !strings.Contains(stderr, "auto, always or never") {
		t.Errorf("--color sometimes: %d %s", code, stderr)
	}
}

// TestNamespaceFlag: -n limits what is judged and reported to the
// namespace, keeping mesh-wide policy; -n with -A is an error.
func TestNamespaceFlag(t *testing.T) {
	type report struct {
		Findings []struct {
			RuleID   string
			Resource struct{ Kind, Namespace, Name string }
		}
		Rules []struct{ ID, Status string }
	}
	scan := func(args ...string) report {
		t.Helper()
		code, out, stderr := scanCLI(t, "", append([]string{"scan", "-f", "examples/shop", "-o", "json", "--fail-on", "none"}, args...)...)
		var r report
		if code != OK || json.Unmarshal([]byte(out), &r) != nil {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
		return r
	}
	all := scan()
	shop := scan("-n", "shop")
	other := scan("--namespace", "nowhere,elsewhere")
	inShop := 0
	for _, f := range all.Findings {
		if f.Resource.Namespace == "shop" || f.Resource.Kind == "Namespace" && f.Resource.Name == "shop" {
			inShop++
		}
	}
	if inShop == 0 {
		t.Fatal("examples/shop has no finding in shop")
	}
	for _, f := range shop.Findings {
		if ns := f.Resource.Namespace; ns != "" && ns != "shop" && ns != "istio-system" {
			t.Errorf("-n shop reports %s on %s/%s", f.RuleID, ns, f.Resource.Name)
		}
	}
	for _, f := range other.Findings {
		if f.Resource.Namespace == "shop" || f.Resource.Name == "shop" {
			t.Errorf("-n nowhere reports %s on shop", f.RuleID)
		}
	}
	// Mesh-wide policy is kept: MTLS-01 is judged with -n shop as without.
	status := func(r report, id string) string {
		for _, x := range r.Rules {
			if x.ID == id {
				return x.Status
			}
		}
		return ""
	}
	if a, b := status(all, "MTLS-01"), status(other, "MTLS-01"); a != b || a == "not_applicable" {
		t.Errorf("MTLS-01: %s without -n, %s with -n", a, b)
	}
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "-n", "shop", "-A"); code != Usage || !strings.Contains(stderr, "-A/--all-namespaces") {
		t.Errorf("-n with -A: %d %s", code, stderr)
	}
}

// TestSeverityFilter: --severity high keeps only findings at or above high,
// by each finding's own severity; --fail-on's error lists every value.
func TestSeverityFilter(t *testing.T) {
	_, out, _ := scanCLI(t, "", "scan", "-f", "examples/shop", "-o", "json", "--severity", "high")
	var r struct {
		Findings []struct{ RuleID, Severity string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Findings) == 0 {
		t.Fatalf("%v %s", err, out)
	}
	for _, f := range r.Findings {
		if f.Severity != "critical" && f.Severity != "high" {
			t.Errorf("--severity high kept %s at %s", f.RuleID, f.Severity)
		}
	}
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--fail-on", "severe"); code != Usage || !strings.Contains(stderr, "critical, high, medium, low or none") {
		t.Errorf("--fail-on severe: %d %s", code, stderr)
	}
}

func widestLine(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, runewidth.StringWidth(l))
	}
	return w
}
