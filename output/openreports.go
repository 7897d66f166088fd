package output

import (
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/openreports"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
)

// openReports writes -o openreports: the OpenReports (openreports.io/v1alpha1)
// Report of each namespace with results and the ClusterReport, as a YAML
// List ready for kubectl apply (docs/openreports.md). The objects are
// those --write-reports applies.
func (o Options) openReports(w io.Writer, reps []*report.Report, _ *rules.Catalog) error {
	return writeReportList(w, reps, "openreports", func(r *report.Report) ([]*unstructured.Unstructured, error) {
		return openreports.Build(r, openreports.Options{Time: o.Time})
	})
}

// policyReports writes -o policyreports: the same results as wgpolicyk8s.io/v1alpha2
// PolicyReports and a ClusterPolicyReport, for consumers that have not
// moved to OpenReports.
func (o Options) policyReports(w io.Writer, reps []*report.Report, _ *rules.Catalog) error {
	return writeReportList(w, reps, "policyreports", func(r *report.Report) ([]*unstructured.Unstructured, error) {
		return openreports.BuildPolicyReports(r, openreports.Options{Time: o.Time})
	})
}

// writeReportList renders one cluster's report objects as a v1 List. The
// objects of two clusters would share names: one file per cluster.
func writeReportList(w io.Writer, reps []*report.Report, format string, build func(*report.Report) ([]*unstructured.Unstructured, error)) error {
	if len(reps) != 1 {
		return fmt.Errorf("-o %s holds the reports of one cluster (their objects share names): write one file per cluster with -o %s={cluster}.yaml", format, format)
	}
	objs, err := build(reps[0])
	if err != nil {
		return err
	}
	items := make([]any, len(objs))
	for i, u := range objs {
		items[i] = u.Object
	}
	b, err := yaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": items})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
