package scanner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// Result is what a run produced: one report per cluster (also when the run
// fails on findings or is incomplete), and the evidence bundles written.
type Result struct {
	Reports []*report.Report
	Catalog *rules.Catalog
	Bundles []output.OSCALBundle
}

// Run scans as o says: it applies the memory policy, waits for the Istio
// proxy beside meshaudit (and asks it to exit at the end), collects,
// evaluates, applies exceptions, writes the reports (all or none), the
// evidence bundles and the metrics, and judges the outcome. The error is
// nil for a clean run, else an *Error whose Kind says what failed (a
// Findings or Incomplete run has written its reports); other errors are
// internal failures. Diagnostics go to s.Stderr.
func Run(ctx context.Context, o Options, s Streams) (*Result, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	restore, err := TuneMemory(o.MemoryLimit, o.MemoryLimitSet)
	if err != nil {
		return nil, err
	}
	defer restore()
	if o.CPUProfile != "" {
		stop, err := startCPUProfile(o.CPUProfile)
		if err != nil {
			return nil, usageErr("--cpu-profile: %v", err)
		}
		defer stop()
	}
	r := &run{o: o, io: s, res: &Result{}}
	err = withProxy(ctx, o.Proxy, o.Input.Live.Quiet, s.Stderr, r.scan)
	return r.res, err
}

// newEngine compiles the policies (tests share engines across runs).
var newEngine = evaluate.NewParsed

// run is one scan in progress.
type run struct {
	o   Options
	io  Streams
	res *Result
	// configs: each live cluster's REST config (--write-reports).
	configs sync.Map
}

func (r *run) scan(ctx context.Context) (err error) {
	o := r.o
	defer r.emitMetrics(time.Now(), &err) // MetricsFile, Pushgateway (metrics.go)
	outs, err := parseOutputs(o.Outputs, "table")
	if err != nil {
		return err
	}
	view, err := o.View.options()
	if err != nil {
		return err
	}
	if err := o.checkWriteReports(); err != nil {
		return err
	}
	var previous []*report.Report
	if o.Previous != "" {
		if previous, err = diff.ReadReports(o.Previous); err != nil {
			return usageErr("--previous: %v", err)
		}
	} else if o.FailOnNew {
		return usageErr("--fail-on-new needs --previous OLD.json")
	}
	threshold := rules.Severity(o.FailOn)
	if err := output.CheckOSCALVersion(o.OSCALVersion); err != nil {
		return usageErr("--oscal-version: %v", err)
	}
	params, err := o.Input.Params.Params()
	if err != nil {
		return err
	}
	signKey, err := o.evidenceKey() // before the scan: a bad key must not cost one
	if err != nil {
		return err
	}
	// The exceptions file too: a blanket or too long-lived exception is
	// refused before anything is collected.
	now := now()
	limits := exceptions.Limits{MaxDays: params.MaxExceptionDays, AllowBroad: o.AllowBroadExceptions, Now: now}
	var excs []exceptions.Exception
	if f := o.Exceptions; f != "" {
		if excs, err = exceptions.Load(f); err != nil {
			return usageErr("%v", err)
		}
		if err := exceptions.Check(excs, limits); err != nil {
			return usageErr("--exceptions %s: %v", f, err)
		}
	}
	// The policies compile (one core, ~0.5 s) while the input is read.
	type built struct {
		mods   []policies.Module
		parsed []*ast.Module
		cat    *rules.Catalog
		eng    *evaluate.Engine
		err    error
	}
	engc := make(chan built, 1)
	cctx, cancelCompile := context.WithCancel(ctx)
	defer cancelCompile() // an early return stops the compile
	go func() {
		var b built
		var all *rules.Catalog
		if b.mods, b.parsed, all, b.err = loadParsed(o.Select.PolicyDirs); b.err == nil {
			if b.cat, b.err = o.Select.Filter(all); b.err == nil {
				b.eng, b.err = newEngine(cctx, b.cat, b.parsed, params, o.ToolVersion)
			}
		}
		engc <- b
	}()
	// Exceptions read objects' labels and annotations, and an evidence
	// bundle holds the snapshot; otherwise nothing reads the objects after
	// evaluation, and they are converted for evaluation as they are read,
	// releasing their decoded maps.
	release := o.Exceptions == "" && !o.SelfDeclaredExceptions && o.EvidenceDir == ""
	c := collector{in: o.Input, params: params, version: o.ToolVersion, io: r.io, release: release, configs: &r.configs}
	snaps, err := c.collect(ctx)
	if err != nil {
		return err
	}
	if !evaluable(snaps) {
		for _, snap := range snaps {
			for _, pe := range snap.ParseErrors {
				fmt.Fprintf(r.io.Stderr, "meshaudit: %s\n", FormatParseError(pe))
			}
			for _, k := range snap.Kinds {
				if k.Status != snapshot.StatusCollected && k.Status != snapshot.StatusAbsent {
					fmt.Fprintf(r.io.Stderr, "meshaudit: %s: %s %s: %s\n", snap.Cluster, k.Kind, k.Status, k.Reason)
					break
				}
			}
		}
		return usageErr("nothing could be evaluated: no Kubernetes objects in the input")
	}
	b := <-engc
	if b.err != nil {
		if KindOf(b.err) == 0 { // a custom policy that does not compile
			return &Error{Kind: Usage, Err: b.err}
		}
		return b.err
	}
	mods, cat, eng := b.mods, b.cat, b.eng
	r.res.Catalog = cat
	eng.Deadline = o.EvalTimeout
	custom, err := evaluate.CustomPolicies(mods)
	if err != nil {
		return err
	}
	reps := make([]*report.Report, 0, len(snaps))
	for _, snap := range snaps {
		rep, err := eng.Evaluate(ctx, snap)
		if err != nil {
			if ctx.Err() != nil {
				return InterruptedError(ctx.Err())
			}
			return fmt.Errorf("evaluate %s: %w", snap.Cluster, err)
		}
		rep.CustomPolicies = custom
		if o.SelfDeclaredExceptions {
			own, err := evaluate.SelfDeclaredExceptions(snap)
			if err != nil {
				return usageErr("exceptions: %v", err)
			}
			if err := exceptions.Check(own, limits); err != nil {
				return usageErr("self-declared %v", err)
			}
		}
		if len(excs) > 0 || o.SelfDeclaredExceptions {
			if err := evaluate.ApplyExceptions(rep, snap, excs, o.SelfDeclaredExceptions, now); err != nil {
				return usageErr("exceptions: %v", err)
			}
		}
		reps = append(reps, rep)
		r.res.Reports = reps
	}
	// Interrupted (SIGINT/SIGTERM): write nothing rather than a report of
	// a half-collected cluster.
	if err := ctx.Err(); err != nil {
		return InterruptedError(err)
	}
	// A failed evidence bundle does not cost the reports: they are still
	// written (all or none), and the error says which part failed.
	bundles, evErr := r.writeEvidence(ctx, snaps, reps, cat, mods, params, now, signKey)
	r.res.Bundles = bundles
	oscal, err := r.oscalOptions(now, bundles)
	if err != nil {
		return err
	}
	// --severity filters the reports by each finding's own severity; the
	// evidence bundle above keeps every finding (verify re-evaluates it).
	if min := rules.Severity(o.Select.Severity); min != 0 {
		for _, rep := range reps {
			rep.KeepSeverity(min)
		}
	}
	view.Time = now
	view.Anchors = map[string]output.Anchor{}
	wd, _ := os.Getwd()
	for _, snap := range snaps {
		view.Anchors[snap.Cluster] = output.AnchorOf(snap, params.RootNamespace, wd)
	}
	if previous != nil {
		view.Baseline = diff.NewBaseline(previous, reps)
	}
	if err := r.writeReports(ctx, outs, reps, cat, view, oscal); err != nil {
		if evErr != nil {
			fmt.Fprintf(r.io.Stderr, "meshaudit: evidence bundle not written either: %v\n", evErr)
		}
		return err
	}
	// --write-reports: after the files, so that a cluster refusing the
	// writes costs none of them; Incomplete below unless something worse.
	namespaces, _ := c.namespaces()
	pubErr := r.publishReports(ctx, reps, now, namespaces)
	if pubErr != nil {
		fmt.Fprintf(r.io.Stderr, "meshaudit: %v\n", pubErr)
	}
	if evErr != nil {
		if KindOf(evErr) == Usage {
			return evErr
		}
		return &Error{Kind: EvidenceFailed, Err: fmt.Errorf("the reports were written, the evidence bundle was not: %w", evErr)}
	}
	err = r.verdict(reps, threshold, view.Baseline)
	if pubErr != nil && (err == nil || KindOf(err) == Incomplete) {
		return &Error{Kind: Incomplete, Err: fmt.Errorf("reports not written to the cluster: %w", pubErr)}
	}
	return err
}

func evaluable(snaps []*snapshot.Snapshot) bool {
	for _, snap := range snaps {
		if len(snap.Objects) > 0 {
			return true
		}
	}
	return false
}

// verdict reports on stderr what the reports hold — parse errors, findings
// at or above the threshold, warnings, incompleteness, notices — and
// returns the run's outcome: Findings (findings, or duplicates with
// FailOnDuplicates) over Incomplete over clean.
func (r *run) verdict(reps []*report.Report, threshold rules.Severity, baseline *diff.Baseline) error {
	findings, incomplete := 0, false
	prefix := func(rep *report.Report) string {
		if len(reps) > 1 {
			return "meshaudit: " + rep.Cluster + ": "
		}
		return "meshaudit: "
	}
	for _, rep := range reps {
		p := prefix(rep)
		for _, pe := range rep.ParseErrors {
			fmt.Fprintf(r.io.Stderr, "%sskipped %s\n", p, FormatParseError(pe))
		}
		if threshold != 0 {
			n, kind := rep.CountAtOrAbove(threshold), ""
			if r.o.FailOnNew {
				n, kind = 0, "new "
				for _, f := range rep.Findings {
					if f.Exception == nil && f.Severity >= threshold && baseline.State(rep.Cluster, f) == diff.StateNew {
						n++
					}
				}
			}
			if n > 0 {
				fmt.Fprintf(r.io.Stderr, "%s%d %sfinding(s) at or above %s\n", p, n, kind, threshold)
				findings += n
			}
		}
		for _, w := range rep.Summary.Warnings {
			fmt.Fprintf(r.io.Stderr, "%swarning: %s\n", p, w)
		}
		if !rep.Summary.Complete {
			fmt.Fprintf(r.io.Stderr, "%sincomplete: %s\n", p, strings.Join(rep.Summary.Incomplete, "; "))
			incomplete = true
		}
	}
	dups := 0
	for _, rep := range reps {
		p := prefix(rep)
		if line := NoticeSummary(rep.Notices); line != "" {
			fmt.Fprintf(r.io.Stderr, "%s%s\n", p, line)
		}
		if r.o.FailOnDuplicates {
			for _, n := range rep.Notices {
				if n.Kind == snapshot.NoticeDuplicate {
					fmt.Fprintf(r.io.Stderr, "%sduplicate: %s: %s\n", p, n.Location(), n.Message)
					dups++
				}
			}
		}
	}
	switch {
	case findings > 0:
		return &Error{Kind: Findings, Err: fmt.Errorf("%d finding(s) at or above %s", findings, threshold)}
	case dups > 0:
		return &Error{Kind: Findings, Err: fmt.Errorf("%d duplicate definition(s) (--fail-on-duplicates)", dups)}
	case incomplete:
		return &Error{Kind: Incomplete, Err: errors.New("incomplete")}
	}
	return nil
}

// NoticeSummary counts the notices by kind for stderr ("" when none); the
// reports list each.
func NoticeSummary(ns []snapshot.Notice) string {
	if len(ns) == 0 {
		return ""
	}
	by := map[string]int{}
	for _, n := range ns {
		by[n.Kind]++
	}
	var parts []string
	for _, k := range []string{snapshot.NoticeSkipped, snapshot.NoticeDuplicate, snapshot.NoticeValidity, snapshot.NoticePlaceholder} {
		if by[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[k], k))
			delete(by, k)
		}
	}
	var other []string // kinds of custom rules' notices
	for k := range by {
		other = append(other, k)
	}
	slices.Sort(other)
	for _, k := range other {
		parts = append(parts, fmt.Sprintf("%d %s", by[k], k))
	}
	return fmt.Sprintf("%d notice(s) (%s), listed in the report; they change no verdict", len(ns), strings.Join(parts, ", "))
}

// FormatParseError is a parse error for the terminal: control characters
// of file names (and of reasons quoting them) are escaped.
func FormatParseError(pe snapshot.ParseError) string {
	if pe.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", output.Printable(pe.File), pe.Line, output.Printable(pe.Reason))
	}
	return fmt.Sprintf("%s: %s", output.Printable(pe.File), output.Printable(pe.Reason))
}
