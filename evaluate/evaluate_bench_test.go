package evaluate

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/report"

	"github.com/open-policy-agent/opa/v1/profiler"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
)

func benchEngine(tb testing.TB) *Engine {
	tb.Helper()
	mods, err := policies.Modules(false)
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := catalog.Load(mods)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := New(context.Background(), cat, mods, policies.Defaults(), "bench")
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// checkPlanted fails when the finding counts of the planted rules differ from
// the generator's.
func checkPlanted(tb testing.TB, rep *report.Report, c *gen.Cluster) {
	tb.Helper()
	got := map[string]int{}
	for _, f := range rep.Findings {
		got[f.RuleID]++
	}
	for id, want := range c.Expected {
		if _, ok := got[id]; !ok && want > 0 {
			// The rule may be filtered out of a custom catalog.
			found := false
			for _, r := range rep.Rules {
				found = found || r.ID == id
			}
			if !found {
				continue
			}
		}
		if got[id] != want {
			tb.Errorf("%s: %d findings, want %d (planted)", id, got[id], want)
		}
	}
}

// BenchmarkEvaluate evaluates the whole catalog over a generated live-shaped
// snapshot (1k, 10k; 100k with MESHAUDIT_BENCH_LARGE=1) and checks the
// planted finding counts.
func BenchmarkEvaluate(b *testing.B) {
	e := benchEngine(b)
	for _, n := range gen.BenchSizes() {
		c := gen.Generate(gen.Config{Objects: n, Seed: 1})
		s := c.Snapshot("bench")
		b.Run(gen.SizeName(n), func(b *testing.B) {
			b.ReportAllocs()
			var rep *report.Report
			for b.Loop() {
				var err error
				if rep, err = e.Evaluate(context.Background(), s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(s.Objects)), "objects")
			checkPlanted(b, rep, c)
		})
	}
}

// TestRuleCosts prints the evaluation time of every rule on its own (its
// per-rule prepared query, library included) over a generated snapshot.
// Run with MESHAUDIT_RULE_COSTS=SIZE[,SIZE...] (MESHAUDIT_BENCH_SHAPE picks
// the generator's shape), e.g.
//
//	MESHAUDIT_RULE_COSTS=1000,3000 go test ./evaluate/ -run TestRuleCosts -v
//	MESHAUDIT_BENCH_SHAPE=messy MESHAUDIT_RULE_COSTS=10000 go test ./evaluate/ -run TestRuleCosts -v
func TestRuleCosts(t *testing.T) {
	sizes := os.Getenv("MESHAUDIT_RULE_COSTS")
	if sizes == "" {
		t.Skip("set MESHAUDIT_RULE_COSTS=1000,3000 to profile the rules")
	}
	t.Setenv("MESHAUDIT_BENCH_SIZES", sizes)
	e := benchEngine(t)
	type cost struct {
		id string
		d  []time.Duration
	}
	ns := gen.BenchSizes()
	costs := map[string]*cost{}
	for i, n := range ns {
		s := gen.Generate(gen.Config{Objects: n, Seed: 1, Shape: benchShape(t)}).Snapshot("bench")
		for id, d := range e.ruleCosts(context.Background(), s) {
			if costs[id] == nil {
				costs[id] = &cost{id: id, d: make([]time.Duration, len(ns))}
			}
			costs[id].d[i] = d
		}
	}
	list := make([]*cost, 0, len(costs))
	for _, c := range costs {
		list = append(list, c)
	}
	last := len(ns) - 1
	sort.Slice(list, func(i, j int) bool { return list[i].d[last] > list[j].d[last] })
	hdr := "rule"
	for _, n := range ns {
		hdr += fmt.Sprintf("\t%s", gen.SizeName(n))
	}
	if len(ns) > 1 {
		hdr += "\tgrowth"
	}
	t.Log(hdr)
	for _, c := range list {
		line := c.id
		for _, d := range c.d {
			line += fmt.Sprintf("\t%.3fs", d.Seconds())
		}
		if len(ns) > 1 && c.d[0] > 0 {
			line += fmt.Sprintf("\t%.1fx", float64(c.d[last])/float64(c.d[0]))
		}
		t.Log(line)
	}
}

var _ = snapshot.SchemaVersion

// benchShape is the generator shape MESHAUDIT_BENCH_SHAPE names (default:
// the default shape).
func benchShape(tb testing.TB) gen.Shape {
	sh, err := gen.ParseShape(os.Getenv("MESHAUDIT_BENCH_SHAPE"))
	if err != nil {
		tb.Fatal(err)
	}
	return sh
}

// ruleCosts times each rule's own prepared query over the snapshot.
func (e *Engine) ruleCosts(ctx context.Context, s *snapshot.Snapshot) map[string]time.Duration {
	val, err := inputValue(s) // as Evaluate builds it, input.derived included
	if err != nil {
		panic(err)
	}
	out := map[string]time.Duration{}
	for _, r := range e.catalog.Rules {
		start := time.Now()
		_, _ = e.each[r.ID].Eval(ctx, rego.EvalParsedInput(val))
		out[r.ID] = time.Since(start)
	}
	return out
}

// TestRegoProfile runs the whole rule set in one query under OPA's profiler
// over a generated snapshot and prints the costliest expressions (file:line,
// time, evaluations). Run with MESHAUDIT_REGO_PROFILE=SIZE, e.g.
//
//	MESHAUDIT_REGO_PROFILE=10000 go test ./evaluate/ -run TestRegoProfile -v
func TestRegoProfile(t *testing.T) {
	size := os.Getenv("MESHAUDIT_REGO_PROFILE")
	if size == "" {
		t.Skip("set MESHAUDIT_REGO_PROFILE=10000 to profile the policies' expressions")
	}
	t.Setenv("MESHAUDIT_BENCH_SIZES", size)
	e := benchEngine(t)
	s := gen.Generate(gen.Config{Objects: gen.BenchSizes()[0], Seed: 1, Shape: benchShape(t)}).Snapshot("bench")
	val, err := inputValue(s)
	if err != nil {
		t.Fatal(err)
	}
	p := profiler.New()
	for _, r := range e.catalog.Rules {
		if _, err := e.each[r.ID].Eval(context.Background(), rego.EvalParsedInput(val), rego.EvalQueryTracer(p)); err != nil {
			t.Fatal(err)
		}
	}
	t.Log("time\tevals\tredos\tlocation")
	for _, st := range p.ReportTopNResults(40, []string{"total_time_ns"}) {
		t.Logf("%.3fs\t%d\t%d\t%s", float64(st.ExprTimeNs)/1e9, st.NumEval, st.NumRedo, st.Location)
	}
}
