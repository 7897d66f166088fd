package cmd

import (
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/scanner"
)

// SidecarStatusEnv: see scanner.SidecarStatusEnv.
const SidecarStatusEnv = scanner.SidecarStatusEnv

// ClusterPlaceholder: see scanner.ClusterPlaceholder.
const ClusterPlaceholder = scanner.ClusterPlaceholder

// runScan runs the scan (tests capture the options instead).
var runScan = scanner.Run

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
			opts, err := a.scanOptions(cmd)
			if err != nil {
				return err
			}
			// scan PATH... is scan -f PATH... (pre-commit passes file names)
			opts.Input.Files = append(opts.Input.Files, args...)
			_, err = runScan(cmd.Context(), opts, a.streams())
			return err
		},
	}
	addInputFlags(c)
	f, d := c.Flags(), scanner.Defaults()
	f.String("proxy-wait", d.Proxy.Wait, "wait for an Istio proxy beside meshaudit to be ready before reading the cluster: auto (when one is detected), always or never")
	f.String("proxy-quit", d.Proxy.Quit, "ask the Istio proxy to exit (POST --proxy-quit-url) when meshaudit finishes: auto (a detected classic sidecar), always or never")
	f.String("proxy-ready-url", d.Proxy.ReadyURL, "the proxy's readiness endpoint")
	f.String("proxy-quit-url", d.Proxy.QuitURL, "the proxy's quit endpoint (pilot-agent)")
	f.Duration("proxy-wait-timeout", d.Proxy.WaitTimeout, "how long to wait for the proxy to be ready; then meshaudit goes on and says so")
	f.String("memory-limit", d.MemoryLimit, "soft limit on the Go heap (e.g. 1280Mi, 4Gi; 0: none): near it the garbage collector works harder instead of growing; GOMEMLIMIT, when set, wins over the default. Set it below a container's memory limit")
	f.String("cpu-profile", "", "write a Go CPU profile of the scan to FILE (go tool pprof)")
	_ = f.MarkHidden("cpu-profile")
	f.StringArrayP("output", "o", nil, "report FORMAT or FORMAT=FILE; repeatable (default table)")
	f.String("oscal-version", d.OSCALVersion, "OSCAL version of -o oscal and of the evidence bundle's oscal.json: "+strings.Join(output.OSCALVersions(), " or "))
	f.String("fail-on", d.FailOn.String(), "exit 1 when a finding is at or above: critical, high, medium, low or none")
	f.String("snapshot", "", "evaluate a saved snapshot (from meshaudit snapshot) instead of -f")
	addPolicyFlags(c)
	f.StringSlice("rules", nil, "evaluate only these rule ids (comma-separated)")
	f.StringSlice("skip-rules", nil, "do not evaluate these rule ids")
	f.StringSlice("controls", nil, "evaluate only rules mapped to these NIST controls; a control selects its enhancements (SC-8 selects SC-8(1))")
	f.String("severity", "", "report only findings at or above this severity, by the finding's own severity (a rule may report findings below its own): critical, high, medium or low; rules that cannot reach it are not evaluated")
	f.Duration("eval-timeout", d.EvalTimeout, "time limit for evaluating the policies; a rule running past it is unknown")
	f.String("exceptions", "", "exceptions file (docs/exceptions.md): excepted findings stay in reports, marked, and do not count toward --fail-on")
	f.String("previous", "", "a previous JSON report (or bundle) to compare with: every output marks new, updated and fixed findings; with --fail-on-new only new findings fail")
	f.Bool("fail-on-duplicates", false, "exit 1 when an object is defined twice in the input (otherwise a notice)")
	f.Bool("fail-on-new", false, "exit 1 only for findings at or above --fail-on that are not in --previous (same fingerprint)")
	f.Bool("allow-broad-exceptions", false, "accept exceptions with a wildcard rule or control, or a selector matching every resource (refused otherwise)")
	f.Bool("self-declared-exceptions", false, "also honour meshaudit.io/exceptions annotations on objects (reported as self-declared)")
	f.String("evidence-dir", "", "write an evidence bundle per cluster to DIR/<cluster>-<UTC time>, or as objects under s3://BUCKET/PREFIX/<cluster>-<UTC time>/ (endpoint and credentials from the AWS_* variables; docs/evidence.md); never overwrites")
	f.Int("retain-days", 0, "with an s3:// --evidence-dir: Object Lock retention in compliance mode for N days on every object of the bundle (where the bucket has Object Lock; the scan says so where it has not)")
	f.String("sign-key", "", "ed25519 private key (meshaudit keygen) signing each evidence bundle's manifest")
	f.String("metrics-file", "", "also write Prometheus metrics (text exposition format) to FILE, atomically, e.g. for node_exporter's textfile collector; if it cannot be written a clean run exits 3")
	f.String("pushgateway", "", "push Prometheus metrics to this Pushgateway URL (job meshaudit, grouped by cluster); if the push fails a clean run exits 3")
	f.Duration("pushgateway-timeout", d.PushgatewayTimeout, "time limit for each push to the Pushgateway")
	f.String("color", d.View.Color, "colour the table by severity and status: auto (on a terminal, unless NO_COLOR is set or TERM=dumb), always or never")
	f.Bool("summary", false, "table: counts only (per severity, control status and namespace), no finding rows")
	return c
}

// scanOptions are the scan's typed options: flags over environment over
// the config file.
func (a *app) scanOptions(cmd *cobra.Command) (scanner.Options, error) {
	var o scanner.Options
	if err := a.decode(&o); err != nil {
		return o, err
	}
	o.ToolVersion = Version()
	o.MemoryLimitSet = cmd.Flags().Changed("memory-limit")
	a.paramLayers(&o.Input.Params)
	return o, nil
}

// paramLayers adds the organisation parameters' layers viper does not
// hold: the config file's params: map and MESHAUDIT_PARAMS.
func (a *app) paramLayers(p *scanner.ParamLayers) {
	p.Config, p.Env = a.configParams, os.Getenv("MESHAUDIT_PARAMS")
}

func addPolicyFlags(c *cobra.Command) {
	c.Flags().StringArray("policy", nil, "directory of custom Rego policies (same annotation contract); repeatable")
}

func addInputFlags(c *cobra.Command) {
	f, d := c.Flags(), scanner.Defaults().Input
	f.StringArrayP("file", "f", nil, "manifest file, directory (recursive: .yaml .yml .json) or - for stdin; repeatable")
	f.StringSliceP("namespace", "n", nil, "judge and report only the namespaced objects of these namespaces (repeatable or comma-separated; mesh-wide policy and mesh config are kept); default: all namespaces")
	f.BoolP("all-namespaces", "A", false, "judge and report every namespace (the default; an error with -n)")
	f.String("default-namespace", d.DefaultNamespace, "namespace given to namespaced objects of the manifests that have none (and release namespace of Helm charts)")
	f.StringArray("exclude", nil, "skip paths below each -f directory matching GLOB (* ? [..] within a name, ** across directories; a GLOB without / matches any file or directory name); repeatable")
	f.String("release-name", "", "release name of Helm charts found in the input (default: the chart's name)")
	f.StringArray("values", nil, "Helm values FILE for the charts found in the input, as helm template --values; repeatable, later wins")
	f.StringArray("set", nil, "Helm value k=v for the charts found in the input, as helm template --set, over --values; repeatable")
	f.String("mesh-config", "", "Istio MeshConfig FILE (as istioctl analyze --meshConfigFile): the mesh config, over any in the input")
	f.StringArray("istio-values", nil, "Helm values FILE of Istio's istiod chart (meshConfig, revision): a source of the mesh config; repeatable")
	f.Int("max-document-bytes", d.MaxDocumentBytes, "a larger YAML document is reported as a parse error")
	f.Int64("max-file-bytes", d.MaxFileBytes, "a larger file (or stdin) is reported as a parse error, never read")
	f.StringArray("param", nil, "organisation parameter KEY=VALUE (VALUE is YAML), over the config file's params: and MESHAUDIT_PARAMS; repeatable (docs/params.md)")
	f.String("cluster-name", "", `cluster name in reports (default "manifests" for files, the context name for a live cluster)`)
	f.String("kubeconfig", "", "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or the in-cluster config)")
	f.StringArray("context", nil, "kubeconfig context; repeatable, clusters are scanned concurrently (default: the current context)")
	f.Bool("all-contexts", false, "scan every context of the kubeconfig")
	f.Float32("qps", d.Live.QPS, "API client queries per second")
	f.Int("burst", d.Live.Burst, "API client burst")
	f.Int64("page-size", d.Live.PageSize, "objects per list page")
	f.Int("concurrency", d.Live.Concurrency, "kinds listed at the same time, per cluster")
	f.Int("cluster-concurrency", d.Live.ClusterConcurrency, "clusters collected at the same time")
	f.Duration("kind-timeout", d.Live.KindTimeout, "time limit to list one kind (all pages and retries)")
	f.Duration("timeout", d.Timeout, "time limit for the whole collection")
	f.Bool("secret-names", false, "also list Secret names (metadata only; never data) for the checks that need them")
	f.BoolP("quiet", "q", false, "no progress display")
}

// width is the width of a command's own table (rules, controls, diff):
// unlimited with -o wide, else as for a report on standard output.
func (a *app) width(cmd *cobra.Command) int {
	if f, _ := cmd.Flags().GetString("output"); f == "wide" {
		return 0
	}
	return scanner.Width(a.stdout)
}
