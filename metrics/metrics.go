// Package metrics turns scan reports into Prometheus metrics: a text
// exposition file (for node_exporter's textfile collector or any scraper of
// files) and pushes to a Prometheus Pushgateway, one group per cluster.
//
// Every metric is a gauge in a fresh registry built for one run: no global
// registry, no process or Go runtime collectors (a CronJob's process is gone
// before anything could scrape it).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Job is the Pushgateway job name; each push is grouped by cluster too.
const Job = "meshaudit"

// Metric names.
const (
	Findings             = "meshaudit_findings"
	RuleStatus           = "meshaudit_rule_status"
	Rules                = "meshaudit_rules"
	ControlStatus        = "meshaudit_control_status"
	Controls             = "meshaudit_controls"
	KindStatus           = "meshaudit_kind_status"
	KindObjects          = "meshaudit_kind_objects"
	ParseErrors          = "meshaudit_parse_errors"
	ScanDuration         = "meshaudit_scan_duration_seconds"
	ScanSuccess          = "meshaudit_scan_success"
	LastRun              = "meshaudit_last_run_timestamp_seconds"
	LastSuccess          = "meshaudit_last_success_timestamp_seconds"
	BuildInfo            = "meshaudit_build_info"
	clusterLabel         = "cluster"
	findingStateOpen     = "open"
	findingStateExcepted = "excepted"
)

// Statuses every rule and control metric is exported for (a state set:
// 1 for the current status, 0 for the others).
var (
	RuleStatuses = []report.Status{report.StatusPass, report.StatusFail, report.StatusExcepted, report.StatusNotApplicable, report.StatusUnknown}
	KindStatuses = []string{snapshot.StatusCollected, snapshot.StatusAbsent, snapshot.StatusForbidden, snapshot.StatusError}
)

// Run is what the metrics say about one scan run besides its reports.
type Run struct {
	// Reports, one per cluster.
	Reports []*report.Report
	// Duration of the whole run (collection of every cluster, evaluation,
	// reports), the same for each cluster of a multi-cluster run.
	Duration time.Duration
	// Finished is when the run ended.
	Finished time.Time
	// Succeeded tells, by cluster name, whether that cluster's scan
	// succeeded; only those get meshaudit_last_success_timestamp_seconds.
	Succeeded map[string]bool
	// Version and PolicyDigest label meshaudit_build_info.
	Version, PolicyDigest string
}

// Registry builds a fresh registry holding the metrics of the given
// reports. With withCluster every series has a cluster label (a metrics
// file of a whole run); without it, the reports should be one cluster's, and
// the Pushgateway's grouping label names the cluster. carried adds
// meshaudit_last_success_timestamp_seconds for clusters that did not
// succeed in this run (from a previous metrics file), by cluster.
func Registry(run Run, reps []*report.Report, withCluster bool, carried map[string]float64) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	labels := func(l ...string) []string {
		if withCluster {
			return append([]string{clusterLabel}, l...)
		}
		return l
	}
	gauge := func(name, help string, l ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels(l...))
		reg.MustRegister(g)
		return g
	}
	findings := gauge(Findings, "Findings of the last scan by rule and severity; state is open (counts toward --fail-on) or excepted (covered by an approved exception).", "rule", "severity", "state")
	ruleStatus := gauge(RuleStatus, "Status of each rule in the last scan: 1 for the current status, 0 for the others.", "rule", "severity", "status")
	ruleCount := gauge(Rules, "Rules of the last scan by status.", "status")
	controlStatus := gauge(ControlStatus, "NIST SP 800-53 control roll-up of the last scan: 1 for the current status, 0 for the others.", "control", "status")
	controlCount := gauge(Controls, "NIST SP 800-53 controls of the last scan by status.", "status")
	kindStatus := gauge(KindStatus, "Collection status of each input kind in the last scan (collected, absent, forbidden, error): 1 for the current status, 0 for the others.", "kind", "status")
	kindObjects := gauge(KindObjects, "Objects collected per input kind in the last scan.", "kind")
	parseErrors := gauge(ParseErrors, "Inputs that could not be parsed in the last scan.")
	duration := gauge(ScanDuration, "Wall time of the last scan run (collection, evaluation and reports of all its clusters).")
	success := gauge(ScanSuccess, "1 when the last scan of the cluster succeeded (reports written, evaluation complete: exit 0 or 1), else 0.")
	lastRun := gauge(LastRun, "Unix time the last scan of the cluster ended, whatever its outcome.")
	lastSuccess := gauge(LastSuccess, "Unix time of the last successful scan of the cluster (see meshaudit_scan_success).")
	info := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: BuildInfo, Help: "meshaudit's version and policy bundle digest; always 1."}, []string{"version", "policy_digest"})
	reg.MustRegister(info)
	info.WithLabelValues(run.Version, run.PolicyDigest).Set(1)

	for _, rep := range reps {
		c := func(l ...string) []string {
			if withCluster {
				return append([]string{rep.Cluster}, l...)
			}
			return l
		}
		for _, r := range rep.Rules {
			sev := r.Severity.String()
			findings.WithLabelValues(c(r.ID, sev, findingStateOpen)...).Set(0)
			findings.WithLabelValues(c(r.ID, sev, findingStateExcepted)...).Set(0)
			for _, st := range RuleStatuses {
				ruleStatus.WithLabelValues(c(r.ID, sev, string(st))...).Set(b2f(r.Status == st))
			}
		}
		for _, f := range rep.Findings {
			state := findingStateOpen
			if f.Exception != nil {
				state = findingStateExcepted
			}
			findings.WithLabelValues(c(f.RuleID, f.Severity.String(), state)...).Inc()
		}
		rc := map[report.Status]int{}
		for _, r := range rep.Rules {
			rc[r.Status]++
		}
		cc := map[report.Status]int{}
		for _, ctl := range rep.Controls {
			cc[ctl.Status]++
			for _, st := range RuleStatuses {
				controlStatus.WithLabelValues(c(ctl.ID, string(st))...).Set(b2f(ctl.Status == st))
			}
		}
		for _, st := range RuleStatuses {
			ruleCount.WithLabelValues(c(string(st))...).Set(float64(rc[st]))
			controlCount.WithLabelValues(c(string(st))...).Set(float64(cc[st]))
		}
		for _, k := range rep.Kinds {
			known := false
			for _, st := range KindStatuses {
				known = known || k.Status == st
				kindStatus.WithLabelValues(c(k.Kind, st)...).Set(b2f(k.Status == st))
			}
			if !known && k.Status != "" {
				kindStatus.WithLabelValues(c(k.Kind, k.Status)...).Set(1)
			}
			kindObjects.WithLabelValues(c(k.Kind)...).Set(float64(k.Count))
		}
		parseErrors.WithLabelValues(c()...).Set(float64(len(rep.ParseErrors)))
		duration.WithLabelValues(c()...).Set(run.Duration.Seconds())
		ok := run.Succeeded[rep.Cluster]
		success.WithLabelValues(c()...).Set(b2f(ok))
		lastRun.WithLabelValues(c()...).Set(unix(run.Finished))
		if ok {
			lastSuccess.WithLabelValues(c()...).Set(unix(run.Finished))
		} else if t, found := carried[rep.Cluster]; found {
			lastSuccess.WithLabelValues(c()...).Set(t)
		}
	}
	return reg, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// WriteText writes the gathered metrics in the Prometheus text exposition
// format (version 0.0.4).
func WriteText(w io.Writer, g prometheus.Gatherer) error {
	mfs, err := g.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	return nil
}

// Parse reads the text exposition format.
func Parse(r io.Reader) (map[string]*dto.MetricFamily, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(r)
}

// PreviousSuccess reads meshaudit_last_success_timestamp_seconds by cluster
// from an earlier metrics file at path, so that a run that does not succeed
// keeps the last success time instead of dropping it. A missing or
// unreadable file yields nothing.
func PreviousSuccess(path string) map[string]float64 {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	mfs, err := Parse(f)
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	if mf := mfs[LastSuccess]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == clusterLabel && m.GetGauge() != nil {
					out[l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return out
}

// Pusher pushes each cluster's metrics to a Pushgateway, grouped by
// job="meshaudit" and cluster.
type Pusher struct {
	URL     string
	Timeout time.Duration
	Client  *http.Client // nil: a client with Timeout
}

// Push sends one group per cluster. A cluster whose scan succeeded
// replaces its whole group (PUT); one that did not is added with POST
// without meshaudit_last_success_timestamp_seconds, which replaces the
// metric families it sends and keeps the group's last success time. Errors
// of every cluster are joined; credentials in the URL are never printed.
func (p Pusher) Push(ctx context.Context, run Run) error {
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--pushgateway %q: want an http(s) URL", redact(p.URL))
	}
	var user, pass string
	basic := u.User != nil
	if basic {
		user = u.User.Username()
		pass, _ = u.User.Password()
		u.User = nil
	}
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: p.Timeout}
	}
	reps := append([]*report.Report(nil), run.Reports...)
	sort.SliceStable(reps, func(i, j int) bool { return reps[i].Cluster < reps[j].Cluster })
	var errs []error
	for _, rep := range reps {
		reg, err := Registry(run, []*report.Report{rep}, false, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pu := push.New(u.String(), Job).Grouping(clusterLabel, rep.Cluster).Gatherer(reg).Client(client)
		if basic {
			pu = pu.BasicAuth(user, pass)
		}
		pctx, cancel := context.WithTimeout(ctx, p.Timeout)
		if run.Succeeded[rep.Cluster] {
			err = pu.PushContext(pctx)
		} else {
			err = pu.AddContext(pctx)
		}
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("push cluster %s to %s: %w", rep.Cluster, u.Redacted(), err))
		}
	}
	return errors.Join(errs...)
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
