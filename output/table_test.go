package output_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"

	"github.com/mattn/go-runewidth"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// widest is the display width of the widest line, colour codes aside.
func widest(s string) (int, string) {
	w, line := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if n := runewidth.StringWidth(ansi.ReplaceAllString(l, "")); n > w {
			w, line = n, l
		}
	}
	return w, line
}

func render(t *testing.T, o output.Options, format string, reps []*report.Report, cat *rules.Catalog) string {
	t.Helper()
	w, err := o.Lookup(format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := w(&buf, reps, cat); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func scanShop(t *testing.T) (*report.Report, *rules.Catalog) {
	t.Helper()
	snap := collectors.FromFiles(collectors.FileOptions{Paths: []string{"../examples/shop"}, Namespace: "default", Cluster: "manifests", RootNamespace: "istio-system", ToolVersion: "test"})
	eng, cat, err := evaluate.NewEmbedded(context.Background(), policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.Evaluate(context.Background(), snap)
	if err != nil {
		t.Fatal(err)
	}
	return rep, cat
}

// TestTableFitsWidth: at 80 columns (the default) and narrower, no line of
// the table, in any mode, is wider; -o wide is wider and keeps every
// column.
func TestTableFitsWidth(t *testing.T) {
	fix, fcat := fixture(t)
	shop, scat := scanShop(t)
	old, _ := fixture(t)
	old.Findings = old.Findings[1:]
	for _, c := range []struct {
		name string
		rep  *report.Report
		cat  *rules.Catalog
	}{{"fixture", fix, fcat}, {"shop", shop, scat}} {
		for _, width := range []int{0, 80, 60, 40} {
			limit := width
			if limit == 0 {
				limit = output.DefaultWidth
			}
			for _, o := range []output.Options{
				{Width: width},
				{Width: width, Color: true},
				{Width: width, Summary: true},
				{Width: width, Baseline: diff.NewBaseline([]*report.Report{old}, []*report.Report{c.rep})},
			} {
				out := render(t, o, "table", []*report.Report{c.rep, c.rep}, c.cat)
				if n, line := widest(out); n > limit {
					t.Errorf("%s at width %d (%+v): a line is %d wide:\n%s", c.name, width, o, n, line)
				}
			}
		}
		wide := render(t, output.Options{}, "wide", []*report.Report{c.rep}, c.cat)
		if n, _ := widest(wide); n <= output.DefaultWidth {
			t.Errorf("%s: -o wide is only %d wide", c.name, n)
		}
		if !strings.Contains(wide, "NIST 800-53") || !strings.Contains(wide, "│ Location") {
			t.Errorf("%s: -o wide lacks columns:\n%s", c.name, wide)
		}
	}
	// Every message of the shop is in the table, whole once the wrapping
	// is undone.
	out := render(t, output.Options{Width: 80}, "table", []*report.Report{shop}, scat)
	var cells []string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Split(l, "│"); len(f) == 6 {
			cells = append(cells, strings.TrimSpace(f[4]))
		}
	}
	joined := strings.Join(strings.Fields(strings.Join(cells, "")), "")
	for _, f := range shop.Findings {
		if f.Exception == nil && !strings.Contains(joined, strings.Join(strings.Fields(f.Message), "")) {
			t.Errorf("message %q not in the table", f.Message)
		}
	}
}

func TestTableColour(t *testing.T) {
	rep, cat := fixture(t)
	plain := render(t, output.Options{}, "table", []*report.Report{rep}, cat)
	if ansi.MatchString(plain) {
		t.Error("colour without Color")
	}
	col := render(t, output.Options{Color: true}, "table", []*report.Report{rep}, cat)
	for _, want := range []string{"\x1b[1;31mCRITICAL\x1b[0m", "\x1b[33mMEDIUM\x1b[0m", "\x1b[31mFAIL\x1b[0m", "\x1b[33mUNKNOWN\x1b[0m"} {
		if !strings.Contains(col, want) {
			t.Errorf("no %q in the coloured table", want)
		}
	}
	if ansi.ReplaceAllString(col, "") != plain {
		t.Error("colour changes more than colour")
	}
}

func TestTableSummary(t *testing.T) {
	rep, cat := fixture(t)
	out := render(t, output.Options{Summary: true}, "table", []*report.Report{rep}, cat)
	for _, want := range []string{"│ CRITICAL │ 1    │ 0        │", "│ MEDIUM   │ 1    │ 1        │", "│ FAIL           │ 2        │", "│ NOT APPLICABLE │ 1        │",
		"Findings by namespace: 3", "│ (mesh-wide) │ 0        │ 0    │ 1      │ 0   │ 0        │", "│ db          │ 0        │ 0    │ 0      │ 0   │ 1        │", "│ shop        │ 1        │"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "port 8080 is PERMISSIVE") {
		t.Error("summary lists findings")
	}
}

// TestTableBaseline: with a previous report, new findings are marked, fixed
// ones listed, and the counts line says how many.
func TestTableBaseline(t *testing.T) {
	rep, cat := fixture(t)
	old, _ := fixture(t)
	old.Findings = append([]report.Finding{}, old.Findings[1:]...)
	gone := old.Findings[0]
	gone.Fingerprint, gone.Message = "fp-gone", "an old problem, since fixed"
	old.Findings = append(old.Findings, gone)
	old.Findings[0].Line = 99 // the mesh finding moved: updated
	b := diff.NewBaseline([]*report.Report{old}, []*report.Report{rep})
	out := render(t, output.Options{Baseline: b}, "table", []*report.Report{rep}, cat)
	for _, want := range []string{
		"Compared with the previous report: 1 new, 1 fixed, 1 updated, 1 unchanged",
		"│ NEW     │ CRITICAL │ TEST-01 │ Deployment/shop/web",
		"│ UPDATED │ MEDIUM   │ TEST-01 │ Mesh/prod-eu-1",
		"Fixed since the previous report: 1",
		"│ FIXED  │ MEDIUM   │ TEST-01 │ Mesh/prod-eu-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}
