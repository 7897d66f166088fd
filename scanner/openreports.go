package scanner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"

	"github.com/meshaudit/meshaudit/openreports"
	"github.com/meshaudit/meshaudit/report"
)

// checkWriteReports: --write-reports needs a live scan.
func (o Options) checkWriteReports() error {
	if o.WriteReports && (len(o.Input.Files) > 0 || o.Input.Snapshot != "") {
		return usageErr("--write-reports writes to the scanned cluster: it needs a live scan (no -f, no --snapshot)")
	}
	return nil
}

// publishReports writes each live cluster's OpenReports objects to it
// (--write-reports; docs/openreports.md). It returns what could not be
// written, naming the cluster and objects; the scan's other outputs are
// not affected.
func (r *run) publishReports(ctx context.Context, reps []*report.Report, now time.Time, namespaces []string) error {
	if !r.o.WriteReports {
		return nil
	}
	var errs []error
	for _, rep := range reps {
		prefix := "meshaudit: "
		if len(reps) > 1 {
			prefix += rep.Cluster + ": "
		}
		v, ok := r.configs.Load(rep.Cluster)
		if !ok {
			errs = append(errs, fmt.Errorf("cluster %s: not reached, no reports written", rep.Cluster))
			continue
		}
		objs, err := openreports.Build(rep, openreports.Options{Time: now})
		if err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", rep.Cluster, err))
			continue
		}
		w, err := openreports.NewWriter(v.(*rest.Config))
		if err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", rep.Cluster, err))
			continue
		}
		w.Namespaces = namespaces
		out, err := w.Write(ctx, objs)
		fmt.Fprintf(r.io.Stderr, "%sreports: %s\n", prefix, out)
		if err != nil {
			errs = append(errs, fmt.Errorf("cluster %s: %w", rep.Cluster, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("--write-reports: %w", err)
	}
	return nil
}
