package output_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/output"
)

// TestHTMLStandalone: -o html is the bundle's summary without the bundle's
// parts; several clusters share one page with unique element ids.
func TestHTMLStandalone(t *testing.T) {
	a, cat := fixture(t)
	b, _ := fixture(t)
	b.Cluster = "prod-us-2"
	one := render(t, output.Options{}, "html", []*report.Report{a}, cat)
	for _, bad := range []string{"Bundle created", "manifest.json", "meshaudit evidence"} {
		if strings.Contains(one, bad) {
			t.Errorf("stand-alone HTML mentions %q", bad)
		}
	}
	if !strings.Contains(one, "<h1>meshaudit report — cluster prod-eu-1</h1>") || !strings.Contains(one, `data-finding="fp-TEST-01-web"`) {
		t.Errorf("stand-alone HTML:\n%s", one)
	}
	two := render(t, output.Options{}, "html", []*report.Report{a, b}, cat)
	if strings.Count(two, "<html") != 1 || strings.Count(two, "<h1>") != 2 || !strings.Contains(two, "<title>meshaudit report: prod-eu-1, prod-us-2</title>") {
		t.Errorf("two clusters are not one page with two sections")
	}
	old, _ := fixture(t)
	old.Findings = old.Findings[1:]
	cmp := render(t, output.Options{Baseline: diff.NewBaseline([]*report.Report{old}, []*report.Report{a})}, "html", []*report.Report{a}, cat)
	if !strings.Contains(cmp, `<tr data-finding="fp-TEST-01-web"><td data-baseline="new">NEW</td>`) || !strings.Contains(cmp, `<tr data-finding="fp-TEST-01-prod-eu-1"><td data-baseline="unchanged"></td>`) ||
		!strings.Contains(cmp, "Compared with the previous report: 1 new, 0 fixed, 0 updated, 2 unchanged.") {
		t.Errorf("HTML with a baseline does not mark the new finding:\n%s", cmp)
	}
	if strings.Contains(one, "data-baseline") || strings.Contains(one, "Compared with") {
		t.Error("baseline marks without a baseline")
	}
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`id="([^"]+)"`).FindAllStringSubmatch(two, -1) {
		if ids[m[1]] {
			t.Errorf("id %q repeated", m[1])
		}
		ids[m[1]] = true
	}
	if !ids["cluster-2"] {
		t.Errorf("ids %v", ids)
	}
}
