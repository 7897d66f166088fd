package output_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
)

// benchReport evaluates a generated 1k-object cluster once, then scales its
// findings to n/1000 times as many (distinct resources), so that rendering
// is measured on a report of the size a cluster of n objects yields without
// evaluating n objects.
func benchReport(b *testing.B, n int) (*report.Report, *rules.Catalog) {
	b.Helper()
	mods, err := policies.Modules(false)
	if err != nil {
		b.Fatal(err)
	}
	cat, err := catalog.Load(mods)
	if err != nil {
		b.Fatal(err)
	}
	e, err := evaluate.New(context.Background(), cat, mods, policies.Defaults(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	s := gen.Generate(gen.Config{Objects: 1000, Seed: 1}).Snapshot("bench")
	rep, err := e.Evaluate(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	base := rep.Findings
	out := make([]report.Finding, 0, len(base)*(n/1000))
	for k := 0; k < n/1000; k++ {
		for _, f := range base {
			if k > 0 {
				f.Resource.Name = fmt.Sprintf("%s-%d", f.Resource.Name, k)
				f.Fingerprint = fmt.Sprintf("%s%d", f.Fingerprint[:24], k)
			}
			out = append(out, f)
		}
	}
	rep.Findings = out
	return rep, cat
}

// BenchmarkOutput renders every format for reports of generated clusters of
// 1k and 10k objects (100k with MESHAUDIT_BENCH_LARGE=1).
func BenchmarkOutput(b *testing.B) {
	for _, n := range gen.BenchSizes() {
		rep, cat := benchReport(b, n)
		for _, format := range output.Names() {
			w, err := output.Lookup(format)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("%s/%s", gen.SizeName(n), format), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := w(io.Discard, []*report.Report{rep}, cat); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(rep.Findings)), "findings")
			})
		}
	}
}
