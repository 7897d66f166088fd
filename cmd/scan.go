package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/diff"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// outputSpec is one -o FORMAT[=FILE].
type outputSpec struct {
	format string
	file   string // "" = stdout
}

func parseOutputs(specs []string, def string) ([]outputSpec, error) {
	if len(specs) == 0 {
		specs = []string{def}
	}
	var out []outputSpec
	stdout := 0
	files := map[string]string{}
	for _, s := range specs {
		format, file, _ := strings.Cut(s, "=")
		if _, err := output.Lookup(format); err != nil {
			return nil, usageErr("-o %s: %v", s, err)
		}
		if file == "-" {
			file = ""
		}
		if strings.Contains(s, "=") && file == "" && !strings.HasSuffix(s, "=-") {
			return nil, usageErr("-o %s: empty file name", s)
		}
		if file == "" {
			stdout++
		} else if !strings.Contains(file, ClusterPlaceholder) {
			key := sameFileKey(file)
			if prev, dup := files[key]; dup {
				return nil, usageErr("-o %s and -o %s write the same file: give each output its own file", prev, s)
			}
			files[key] = s
		}
		out = append(out, outputSpec{format: format, file: file})
	}
	if stdout > 1 {
		return nil, usageErr("at most one output format may go to stdout; give the others a file (-o FORMAT=FILE)")
	}
	return out, nil
}

// params merges the organisation parameters over the defaults: the config
// file's `params:` map, then MESHAUDIT_PARAMS (a YAML or JSON object), then
// each --param KEY=VALUE (VALUE is YAML: 3, [a, b], {k: v}). Unknown keys
// and wrong types are usage errors.
func (a *app) params() (policies.Params, error) {
	raw := map[string]any{}
	if a.configFile != "" {
		fv := viper.New()
		fv.SetConfigFile(a.configFile)
		fv.SetConfigType("yaml")
		if err := fv.ReadInConfig(); err != nil {
			return policies.Params{}, usageErr("config file %s: %v", a.configFile, err)
		}
		for k, v := range fv.GetStringMap("params") {
			raw[k] = v
		}
	}
	if env := os.Getenv("MESHAUDIT_PARAMS"); env != "" {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(env), &m); err != nil {
			return policies.Params{}, usageErr("MESHAUDIT_PARAMS: want a YAML or JSON object: %v", err)
		}
		for k, v := range m {
			raw[k] = v
		}
	}
	for _, kv := range a.list("param") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return policies.Params{}, usageErr("--param %q: want KEY=VALUE", kv)
		}
		var v any
		if err := yaml.Unmarshal([]byte(val), &v); err != nil {
			return policies.Params{}, usageErr("--param %s: %v", k, err)
		}
		raw[k] = v
	}
	p, err := policies.Defaults().Merge(raw)
	if err != nil {
		return p, usageErr("%v", err)
	}
	return p, nil
}

// collect builds the snapshots: one from -f paths or --snapshot, else one
// per live cluster. With release, objects are converted for evaluation as
// they are read, releasing their decoded maps (evaluate.Converter).
func (a *app) collect(ctx context.Context, params policies.Params, release bool) ([]*snapshot.Snapshot, error) {
	namespaces, err := a.namespaces()
	if err != nil {
		return nil, err
	}
	var snaps []*snapshot.Snapshot
	files := a.list("file")
	if a.v.GetString("snapshot") != "" || len(files) > 0 {
		s, err := a.collectFiles(ctx, params, release)
		if err != nil {
			return nil, err
		}
		snaps = []*snapshot.Snapshot{s}
	} else if snaps, err = a.collectLive(ctx, params, release, namespaces); err != nil {
		return nil, err
	}
	if len(namespaces) > 0 {
		for _, s := range snaps {
			s.KeepNamespaces(namespaces, params.RootNamespace)
		}
	}
	return snaps, nil
}

// namespaces reads -n/--namespace and -A/--all-namespaces: the namespaces
// to limit the scan to, or none (all).
func (a *app) namespaces() ([]string, error) {
	var out []string
	for _, n := range a.list("namespace") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if a.v.GetBool("all-namespaces") && len(out) > 0 {
		return nil, usageErr("give either -n/--namespace or -A/--all-namespaces")
	}
	return out, nil
}

// collectFiles reads -f paths or --snapshot within --timeout, and returns
// as soon as ctx ends: reading is not interruptible (standard input that
// never closes, a slow file system), so it runs on its own and is
// abandoned when the run is cancelled or times out.
func (a *app) collectFiles(ctx context.Context, params policies.Params, release bool) (*snapshot.Snapshot, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	timeout := a.v.GetDuration("timeout")
	tctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		tctx, cancel = context.WithTimeout(ctx, timeout)
	}
	defer cancel()
	type result struct {
		s   *snapshot.Snapshot
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := a.collectOne(params, converter(release))
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-tctx.Done():
		if err := ctx.Err(); err != nil {
			return nil, interrupted(err)
		}
		return nil, usageErr("the input was not read within --timeout %s (a stream that never ends?): nothing evaluated", timeout)
	}
}

// converter returns a new snapshot's object converter, or nil.
func converter(release bool) func(*snapshot.Object) {
	if !release {
		return nil
	}
	return evaluate.NewConverter().Convert
}

// collectOne builds the snapshot from -f paths or --snapshot.
func (a *app) collectOne(params policies.Params, convert func(*snapshot.Object)) (*snapshot.Snapshot, error) {
	files := a.list("file")
	snapPath := a.v.GetString("snapshot")
	switch {
	case snapPath != "" && len(files) > 0:
		return nil, usageErr("give either -f or --snapshot, not both")
	case snapPath != "":
		in, _ := a.stdin.(*os.File)
		if snapPath == collectors.Stdin && in == nil {
			return nil, usageErr("--snapshot -: standard input is not readable")
		}
		s, err := collectors.FromSnapshotFile(snapPath, in, params.RootNamespace, convert)
		if err != nil {
			return nil, &exitError{code: ExitUsage, err: err}
		}
		if c := a.v.GetString("cluster-name"); c != "" {
			s.Cluster = c
		}
		return s, nil
	}
	wd, _ := os.Getwd()
	collectedAt, err := sourceDateEpoch()
	if err != nil {
		return nil, usageErr("%v", err)
	}
	cluster := a.v.GetString("cluster-name")
	if cluster == "" {
		cluster = "manifests"
	}
	ex, err := collectors.NewExcluder(a.list("exclude"))
	if err != nil {
		return nil, usageErr("--exclude: %v", err)
	}
	return collectors.FromFiles(collectors.FileOptions{
		Exclude: ex,
		Helm: collectors.HelmOptions{
			ReleaseName: a.v.GetString("release-name"),
			Namespace:   a.v.GetString("default-namespace"),
			ValueFiles:  a.list("values"),
			Set:         a.v.GetStringSlice("set"),
		},
		MeshConfigFile:   a.v.GetString("mesh-config"),
		IstioValues:      a.list("istio-values"),
		Paths:            files,
		Namespace:        a.v.GetString("default-namespace"),
		Cluster:          cluster,
		RootNamespace:    params.RootNamespace,
		ToolVersion:      Version(),
		Stdin:            a.stdin,
		WorkDir:          wd,
		CollectedAt:      collectedAt,
		MaxDocumentBytes: a.v.GetInt("max-document-bytes"),
		MaxFileBytes:     a.v.GetInt64("max-file-bytes"),
		Convert:          convert,
	}), nil
}

// oscalOptions configure -o oscal: --oscal-version; the evaluation's
// start (a result's start when the snapshot has no collection time); the
// time written (now, or SOURCE_DATE_EPOCH: reproducible pre-merge
// reports); the policy digest and the evidence bundles of this scan.
func (a *app) oscalOptions(started time.Time, bundles []output.OSCALBundle) (output.OSCALOptions, error) {
	generated := time.Now()
	if t, err := sourceDateEpoch(); err == nil && !t.IsZero() {
		generated = t
	}
	digest, err := PolicyDigest()
	if err != nil {
		return output.OSCALOptions{}, err
	}
	return output.OSCALOptions{Version: a.v.GetString("oscal-version"), Generated: generated, Started: started, PolicyDigest: digest, Bundles: bundles}, nil
}

// sourceDateEpoch honours SOURCE_DATE_EPOCH for the collection time of
// manifest snapshots (which otherwise have none).
func sourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

func addInputFlags(c *cobra.Command) {
	c.Flags().StringArrayP("file", "f", nil, "manifest file, directory (recursive: .yaml .yml .json) or - for stdin; repeatable")
	c.Flags().StringSliceP("namespace", "n", nil, "judge and report only the namespaced objects of these namespaces (repeatable or comma-separated; mesh-wide policy and mesh config are kept); default: all namespaces")
	c.Flags().BoolP("all-namespaces", "A", false, "judge and report every namespace (the default; an error with -n)")
	c.Flags().String("default-namespace", "default", "namespace given to namespaced objects of the manifests that have none (and release namespace of Helm charts)")
	c.Flags().StringArray("exclude", nil, "skip paths below each -f directory matching GLOB (* ? [..] within a name, ** across directories; a GLOB without / matches any file or directory name); repeatable")
	c.Flags().String("release-name", "", "release name of Helm charts found in the input (default: the chart's name)")
	c.Flags().StringArray("values", nil, "Helm values FILE for the charts found in the input, as helm template --values; repeatable, later wins")
	c.Flags().StringArray("set", nil, "Helm value k=v for the charts found in the input, as helm template --set, over --values; repeatable")
	c.Flags().String("mesh-config", "", "Istio MeshConfig FILE (as istioctl analyze --meshConfigFile): the mesh config, over any in the input")
	c.Flags().StringArray("istio-values", nil, "Helm values FILE of Istio's istiod chart (meshConfig, revision): a source of the mesh config; repeatable")
	c.Flags().Int("max-document-bytes", collectors.DefaultMaxDocumentBytes, "a larger YAML document is reported as a parse error")
	c.Flags().Int64("max-file-bytes", collectors.DefaultMaxFileBytes, "a larger file (or stdin) is reported as a parse error, never read")
	c.Flags().StringArray("param", nil, "organisation parameter KEY=VALUE (VALUE is YAML), over the config file's params: and MESHAUDIT_PARAMS; repeatable (docs/params.md)")
	c.Flags().String("cluster-name", "", `cluster name in reports (default "manifests" for files, the context name for a live cluster)`)
	addLiveFlags(c)
}

func newScanCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Scan manifests or a saved snapshot and report findings",
		Long: `Scan Kubernetes/Istio manifests (plain YAML or JSON, multi-document, List
kinds, helm template or kustomize build output; in a directory, Helm charts
are rendered, kustomizations built and non-Kubernetes YAML skipped with a
notice: docs/inputs.md), a saved snapshot, or — when
neither -f nor --snapshot is given — a live cluster (kubectl's kubeconfig
loading rules, or the in-cluster config), evaluate every rule and write
reports. Arguments are paths, as with -f.

  meshaudit scan -f deploy/ -o table -o sarif=out.sarif -o json=out.json
  helm template my-chart | meshaudit scan -f - --fail-on medium
  meshaudit scan --snapshot snap.json
  meshaudit scan --kubeconfig ~/.kube/config --context prod -n shop
  meshaudit scan -f deploy/ --previous main.json --fail-on-new

Formats: ` + strings.Join(output.Names(), ", ") + `. -o FORMAT writes to stdout
(at most one), -o FORMAT=FILE writes the file atomically. The table fits the
terminal (else $COLUMNS, else 80 columns); -o wide shows every column unwrapped;
--summary shows counts only. With --previous, every format marks which findings
are new (table: a Change column; JSON: "baseline"; SARIF: baselineState, with
"absent" results for fixed findings).

` + exitCodesHelp,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 { // scan PATH... is scan -f PATH... (pre-commit passes file names)
				a.v.Set("file", append(a.list("file"), args...))
			}
			restore, err := a.tuneMemory(cmd)
			if err != nil {
				return err
			}
			defer restore()
			if p := a.v.GetString("cpu-profile"); p != "" {
				stop, err := startCPUProfile(p)
				if err != nil {
					return usageErr("--cpu-profile: %v", err)
				}
				defer stop()
			}
			return a.withProxy(cmd.Context(), a.scan)
		},
	}
	addInputFlags(c)
	addProxyFlags(c)
	addMemoryFlags(c)
	c.Flags().String("cpu-profile", "", "write a Go CPU profile of the scan to FILE (go tool pprof)")
	_ = c.Flags().MarkHidden("cpu-profile")
	c.Flags().StringArrayP("output", "o", nil, "report FORMAT or FORMAT=FILE; repeatable (default table)")
	c.Flags().String("oscal-version", output.DefaultOSCALVersion, "OSCAL version of -o oscal and of the evidence bundle's oscal.json: "+strings.Join(output.OSCALVersions(), " or "))
	c.Flags().String("fail-on", "high", "exit 1 when a finding is at or above: critical, high, medium, low or none")
	c.Flags().String("snapshot", "", "evaluate a saved snapshot (from meshaudit snapshot) instead of -f")
	addPolicyFlags(c)
	addFilterFlags(c)
	c.Flags().Duration("eval-timeout", evaluate.DefaultDeadline, "time limit for evaluating the policies; a rule running past it is unknown")
	c.Flags().String("exceptions", "", "exceptions file (docs/exceptions.md): excepted findings stay in reports, marked, and do not count toward --fail-on")
	c.Flags().String("previous", "", "a previous JSON report (or bundle) to compare with: every output marks new, updated and fixed findings; with --fail-on-new only new findings fail")
	c.Flags().Bool("fail-on-duplicates", false, "exit 1 when an object is defined twice in the input (otherwise a notice)")
	c.Flags().Bool("fail-on-new", false, "exit 1 only for findings at or above --fail-on that are not in --previous (same fingerprint)")
	c.Flags().Bool("allow-broad-exceptions", false, "accept exceptions with a wildcard rule or control, or a selector matching every resource (refused otherwise)")
	c.Flags().Bool("self-declared-exceptions", false, "also honour meshaudit.io/exceptions annotations on objects (reported as self-declared)")
	addEvidenceFlags(c)
	addMetricsFlags(c)
	addViewFlags(c)
	return c
}

func (a *app) scan(ctx context.Context) (err error) {
	var reps []*report.Report
	defer a.emitMetrics(time.Now(), &reps, &err) // --metrics-file, --pushgateway (cmd/metrics.go)
	if ctx == nil {
		ctx = context.Background()
	}
	outs, err := parseOutputs(a.list("output"), "table")
	if err != nil {
		return err
	}
	view, err := a.tableView()
	if err != nil {
		return err
	}
	var previous []*report.Report
	if prev := a.v.GetString("previous"); prev != "" {
		if previous, err = diff.ReadReports(prev); err != nil {
			return usageErr("--previous: %v", err)
		}
	} else if a.v.GetBool("fail-on-new") {
		return usageErr("--fail-on-new needs --previous OLD.json")
	}
	failOn := strings.ToLower(a.v.GetString("fail-on"))
	var threshold rules.Severity
	if failOn != "none" {
		if threshold, err = rules.ParseSeverity(failOn); err != nil {
			return usageErr("--fail-on %q: want critical, high, medium, low or none", failOn)
		}
	}
	if err := output.CheckOSCALVersion(a.v.GetString("oscal-version")); err != nil {
		return usageErr("--oscal-version: %v", err)
	}
	params, err := a.params()
	if err != nil {
		return err
	}
	signKey, err := a.evidenceKey() // before the scan: a bad key must not cost one
	if err != nil {
		return err
	}
	// The exceptions file too: a blanket or too long-lived exception is
	// refused before anything is collected.
	selfDeclared := a.v.GetBool("self-declared-exceptions")
	now := time.Now()
	if t, err := sourceDateEpoch(); err == nil && !t.IsZero() {
		now = t
	}
	limits := exceptions.Limits{MaxDays: params.MaxExceptionDays, AllowBroad: a.v.GetBool("allow-broad-exceptions"), Now: now}
	var excs []exceptions.Exception
	if f := a.v.GetString("exceptions"); f != "" {
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
		if b.mods, b.parsed, all, b.err = a.parsedPolicySet(); b.err == nil {
			if b.cat, b.err = a.filter(all); b.err == nil {
				b.eng, b.err = evaluate.NewParsed(cctx, b.cat, b.parsed, params, Version())
			}
		}
		engc <- b
	}()
	// Exceptions read objects' labels and annotations, and an evidence
	// bundle holds the snapshot; otherwise nothing reads the objects after
	// evaluation, and they are converted for evaluation as they are read,
	// releasing their decoded maps.
	release := a.v.GetString("exceptions") == "" && !a.v.GetBool("self-declared-exceptions") && a.v.GetString("evidence-dir") == ""
	snaps, err := a.collect(ctx, params, release)
	if err != nil {
		return err
	}
	evaluable := 0
	for _, snap := range snaps {
		if len(snap.Objects) > 0 {
			evaluable++
		}
	}
	if evaluable == 0 {
		for _, snap := range snaps {
			for _, pe := range snap.ParseErrors {
				fmt.Fprintf(a.stderr, "meshaudit: %s\n", formatParseError(pe))
			}
			for _, k := range snap.Kinds {
				if k.Status != snapshot.StatusCollected && k.Status != snapshot.StatusAbsent {
					fmt.Fprintf(a.stderr, "meshaudit: %s: %s %s: %s\n", snap.Cluster, k.Kind, k.Status, k.Reason)
					break
				}
			}
		}
		return usageErr("nothing could be evaluated: no Kubernetes objects in the input")
	}
	b := <-engc
	if b.err != nil {
		return b.err
	}
	mods, cat, eng := b.mods, b.cat, b.eng
	eng.Deadline = a.v.GetDuration("eval-timeout")
	custom, err := evaluate.CustomPolicies(mods)
	if err != nil {
		return err
	}
	reps = make([]*report.Report, 0, len(snaps))
	for _, snap := range snaps {
		rep, err := eng.Evaluate(ctx, snap)
		if err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx.Err())
			}
			return fmt.Errorf("evaluate %s: %w", snap.Cluster, err)
		}
		rep.CustomPolicies = custom
		if selfDeclared {
			own, err := evaluate.SelfDeclaredExceptions(snap)
			if err != nil {
				return usageErr("exceptions: %v", err)
			}
			if err := exceptions.Check(own, limits); err != nil {
				return usageErr("self-declared %v", err)
			}
		}
		if len(excs) > 0 || selfDeclared {
			if err := evaluate.ApplyExceptions(rep, snap, excs, selfDeclared, now); err != nil {
				return usageErr("exceptions: %v", err)
			}
		}
		reps = append(reps, rep)
	}
	// Interrupted (SIGINT/SIGTERM): write nothing rather than a report of
	// a half-collected cluster.
	if err := ctx.Err(); err != nil {
		return interrupted(err)
	}
	// A failed evidence bundle does not cost the reports: they are still
	// written (all or none), and the exit code says which part failed.
	bundles, evErr := a.writeEvidence(snaps, reps, cat, mods, params, now, signKey)
	oscal, err := a.oscalOptions(now, bundles)
	if err != nil {
		return err
	}
	// --severity filters the reports by each finding's own severity; the
	// evidence bundle above keeps every finding (verify re-evaluates it).
	if sev := a.v.GetString("severity"); sev != "" {
		min, _ := rules.ParseSeverity(strings.ToLower(sev)) // checked by filter
		for _, rep := range reps {
			rep.KeepSeverity(min)
		}
	}
	view.Anchors = map[string]output.Anchor{}
	wd, _ := os.Getwd()
	for _, snap := range snaps {
		view.Anchors[snap.Cluster] = output.AnchorOf(snap, params.RootNamespace, wd)
	}
	if previous != nil {
		view.Baseline = diff.NewBaseline(previous, reps)
	}
	if err := a.writeReports(ctx, outs, reps, cat, view, oscal); err != nil {
		if evErr != nil {
			fmt.Fprintf(a.stderr, "meshaudit: evidence bundle not written either: %v\n", evErr)
		}
		return err
	}
	if evErr != nil {
		var ee *exitError
		if errors.As(evErr, &ee) && ee.code == ExitUsage {
			return evErr
		}
		return &exitError{code: ExitEvidence, err: fmt.Errorf("the reports were written, the evidence bundle was not: %w", evErr)}
	}
	failOnNew := a.v.GetBool("fail-on-new")
	findings, incomplete := 0, false
	for _, rep := range reps {
		prefix := "meshaudit: "
		if len(reps) > 1 {
			prefix += rep.Cluster + ": "
		}
		for _, pe := range rep.ParseErrors {
			fmt.Fprintf(a.stderr, "%sskipped %s\n", prefix, formatParseError(pe))
		}
		if threshold != 0 {
			n, kind := rep.CountAtOrAbove(threshold), ""
			if failOnNew {
				n, kind = 0, "new "
				for _, f := range rep.Findings {
					if f.Exception == nil && f.Severity >= threshold && view.Baseline.State(rep.Cluster, f) == diff.StateNew {
						n++
					}
				}
			}
			if n > 0 {
				fmt.Fprintf(a.stderr, "%s%d %sfinding(s) at or above %s\n", prefix, n, kind, threshold)
				findings += n
			}
		}
		for _, w := range rep.Summary.Warnings {
			fmt.Fprintf(a.stderr, "%swarning: %s\n", prefix, w)
		}
		if !rep.Summary.Complete {
			fmt.Fprintf(a.stderr, "%sincomplete: %s\n", prefix, strings.Join(rep.Summary.Incomplete, "; "))
			incomplete = true
		}
	}
	dups := 0
	for _, rep := range reps {
		prefix := "meshaudit: "
		if len(reps) > 1 {
			prefix += rep.Cluster + ": "
		}
		if line := noticeSummary(rep.Notices); line != "" {
			fmt.Fprintf(a.stderr, "%s%s\n", prefix, line)
		}
		if a.v.GetBool("fail-on-duplicates") {
			for _, n := range rep.Notices {
				if n.Kind == snapshot.NoticeDuplicate {
					fmt.Fprintf(a.stderr, "%sduplicate: %s: %s\n", prefix, n.Location(), n.Message)
					dups++
				}
			}
		}
	}
	if findings > 0 {
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d finding(s) at or above %s", findings, threshold)}
	}
	if dups > 0 {
		return &exitError{code: ExitFindings, err: fmt.Errorf("%d duplicate definition(s) (--fail-on-duplicates)", dups)}
	}
	if incomplete {
		return &exitError{code: ExitIncomplete, err: fmt.Errorf("incomplete")}
	}
	return nil
}

// noticeSummary counts the notices by kind for stderr ("" when none); the
// reports list each.
func noticeSummary(ns []snapshot.Notice) string {
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

// formatParseError is a parse error for the terminal: control characters
// of file names (and of reasons quoting them) are escaped.
func formatParseError(pe snapshot.ParseError) string {
	if pe.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", output.Printable(pe.File), pe.Line, output.Printable(pe.Reason))
	}
	return fmt.Sprintf("%s: %s", output.Printable(pe.File), output.Printable(pe.Reason))
}

// ClusterPlaceholder in an output file name is replaced by each cluster's
// name, writing one file per cluster.
const ClusterPlaceholder = "{cluster}"

// writeReports renders each requested format. The files of a run are
// written together or not at all (output.WriteAll: temporary files, then
// renames; a device or FIFO target is written in place); stdout is written
// only once every file is, and its report has rendered completely. Two
// outputs naming one file are a usage error.
func (a *app) writeReports(ctx context.Context, outs []outputSpec, reps []*report.Report, cat *rules.Catalog, view output.Options, oscal output.OSCALOptions) error {
	var targets []output.Target
	var toStdout *outputSpec
	seen := map[string]string{}
	for i, o := range outs {
		w, err := a.forTarget(view, o.file == "").Lookup(o.format)
		if err != nil {
			return err
		}
		if o.format == "oscal" {
			w = output.OSCALWith(oscal)
		}
		if o.file == "" {
			toStdout = &outs[i]
			continue
		}
		add := func(name string, reps []*report.Report) error {
			key := sameFileKey(name)
			if prev, dup := seen[key]; dup {
				return usageErr("-o %s=%s and -o %s write the same file %s: give each output its own file", o.format, o.file, prev, name)
			}
			seen[key] = o.format + "=" + o.file
			targets = append(targets, output.Target{Path: name, Render: func(dst io.Writer) error { return w(dst, reps, cat) }})
			return nil
		}
		if strings.Contains(o.file, ClusterPlaceholder) {
			for _, rep := range reps {
				if err := add(strings.ReplaceAll(o.file, ClusterPlaceholder, safeFileName(rep.Cluster)), []*report.Report{rep}); err != nil {
					return err
				}
			}
			continue
		}
		if err := add(o.file, reps); err != nil {
			return err
		}
	}
	if err := output.WriteAll(ctx, targets); err != nil {
		return &exitError{code: ExitWrite, err: fmt.Errorf("reports not written (none of them): %w", err)}
	}
	if toStdout != nil {
		w, _ := a.forTarget(view, true).Lookup(toStdout.format)
		if toStdout.format == "oscal" {
			w = output.OSCALWith(oscal)
		}
		var buf bytes.Buffer
		if err := w(&buf, reps, cat); err != nil {
			return &exitError{code: ExitWrite, err: fmt.Errorf("render %s: %w", toStdout.format, err)}
		}
		if _, err := a.stdout.Write(buf.Bytes()); err != nil {
			return &exitError{code: ExitWrite, err: fmt.Errorf("write stdout: %w", err)}
		}
	}
	return nil
}

// sameFileKey identifies the file a path names: its absolute, cleaned
// path, or the device and inode of an existing file (two spellings, or a
// link, of one file).
func sameFileKey(name string) string {
	if st, err := os.Stat(name); err == nil {
		if id, ok := fileID(st); ok {
			return id
		}
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return filepath.Clean(name)
	}
	return abs
}

// safeFileName keeps a cluster name usable in a file name.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == 0 {
			return '_'
		}
		return r
	}, s)
}
