package scanner

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meshaudit/meshaudit/metrics"
	"github.com/meshaudit/meshaudit/output"
)

// emitMetrics writes --metrics-file and pushes to --pushgateway once the
// scan has returned *errp; it is deferred at the start of scan, with reps
// filled in as the scan goes. Nothing is emitted when no report exists (a
// usage error, nothing evaluable) or when the run was interrupted.
//
// A cluster's scan succeeded when the run got to its verdict (exit 0, 1 or
// 3: reports and evidence written) and that cluster's report is complete:
// findings at or above --fail-on are a result, not a failure; an incomplete
// report (unparsed input, unknown rule, a kind not collected) is not a
// success. Only successes set meshaudit_last_success_timestamp_seconds; the
// metrics file carries the previous value over, and a push of a run that
// did not succeed uses POST so the Pushgateway keeps it.
//
// Failing to write or push metrics is reported on stderr and never hides
// the scan's verdict: exit 1 (findings) and 3 (incomplete) stay, and an
// otherwise clean run (exit 0) exits 3, because its metrics are missing.
func (r *run) emitMetrics(start time.Time, errp *error) {
	file, gateway := r.o.MetricsFile, r.o.Pushgateway
	reps := r.res.Reports
	if (file == "" && gateway == "") || len(reps) == 0 {
		return
	}
	kind := KindOf(*errp)
	if kind == Interrupted {
		return
	}
	verdict := *errp == nil || kind == Findings || kind == Incomplete
	now := time.Now()
	run := metrics.Run{Reports: reps, Duration: now.Sub(start), Finished: now, Succeeded: map[string]bool{}, Version: r.o.ToolVersion}
	run.PolicyDigest, _ = PolicyDigest()
	for _, rep := range reps {
		run.Succeeded[rep.Cluster] = verdict && rep.Summary.Complete
	}
	var failed []string
	if file != "" {
		reg, err := metrics.Registry(run, reps, true, metrics.PreviousSuccess(file))
		if err == nil {
			err = output.WriteFile(file, func(w io.Writer) error { return metrics.WriteText(w, reg) })
		}
		if err != nil {
			fmt.Fprintf(r.io.Stderr, "meshaudit: metrics: %v\n", err)
			failed = append(failed, "--metrics-file")
		}
	}
	if gateway != "" {
		p := metrics.Pusher{URL: gateway, Timeout: r.o.PushgatewayTimeout}
		if err := p.Push(context.Background(), run); err != nil {
			fmt.Fprintf(r.io.Stderr, "meshaudit: metrics: %v\n", err)
			failed = append(failed, "--pushgateway")
		}
	}
	if len(failed) > 0 && *errp == nil {
		*errp = &Error{Kind: Incomplete, Err: fmt.Errorf("metrics not delivered (%s)", strings.Join(failed, ", "))}
	}
}
