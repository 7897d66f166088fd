// Package scanner runs meshaudit's scan: collect (manifests, a saved
// snapshot or live clusters) → evaluate → outputs, with what surrounds it —
// exceptions, the baseline of a previous report, evidence bundles,
// metrics, the Istio sidecar proxy's lifecycle and the process's memory
// policy. Options are typed (the command line fills them from flags, the
// config file and the environment through viper; the mapstructure tags are
// the flag names) and failures are typed errors (*Error) that the command
// line maps to exit codes.
package scanner

import (
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/rules"
)

// Options configure a scan.
type Options struct {
	Input  InputOptions  `mapstructure:",squash"`
	Select SelectOptions `mapstructure:",squash"`

	// Outputs are -o FORMAT or FORMAT=FILE (default: table on stdout).
	Outputs      []string `mapstructure:"output"`
	OSCALVersion string   `mapstructure:"oscal-version"`
	// FailOn is the severity at or above which findings fail the run (0:
	// none).
	FailOn      FailOn        `mapstructure:"fail-on"`
	EvalTimeout time.Duration `mapstructure:"eval-timeout"`

	Exceptions             string `mapstructure:"exceptions"`
	AllowBroadExceptions   bool   `mapstructure:"allow-broad-exceptions"`
	SelfDeclaredExceptions bool   `mapstructure:"self-declared-exceptions"`

	Previous         string `mapstructure:"previous"`
	FailOnNew        bool   `mapstructure:"fail-on-new"`
	FailOnDuplicates bool   `mapstructure:"fail-on-duplicates"`

	EvidenceDir string `mapstructure:"evidence-dir"` // a folder or s3://BUCKET/PREFIX
	RetainDays  int    `mapstructure:"retain-days"`  // Object Lock retention of an s3:// EvidenceDir
	SignKey     string `mapstructure:"sign-key"`

	MetricsFile        string        `mapstructure:"metrics-file"`
	Pushgateway        string        `mapstructure:"pushgateway"`
	PushgatewayTimeout time.Duration `mapstructure:"pushgateway-timeout"`

	View  ViewOptions  `mapstructure:",squash"`
	Proxy ProxyOptions `mapstructure:",squash"`

	// MemoryLimit is the soft limit on the Go heap (a Kubernetes quantity;
	// "0": none); MemoryLimitSet says it was given rather than defaulted
	// (GOMEMLIMIT wins over the default only).
	MemoryLimit    string `mapstructure:"memory-limit"`
	MemoryLimitSet bool   `mapstructure:"-"`
	CPUProfile     string `mapstructure:"cpu-profile"`

	// ToolVersion is meshaudit's version, recorded in reports.
	ToolVersion string `mapstructure:"-"`
}

// InputOptions say what to read: manifests (Files), a saved snapshot, or
// live clusters; shared by scan and snapshot.
type InputOptions struct {
	Files            []string `mapstructure:"file"`
	Snapshot         string   `mapstructure:"snapshot"`
	Namespaces       []string `mapstructure:"namespace"`
	AllNamespaces    bool     `mapstructure:"all-namespaces"`
	DefaultNamespace string   `mapstructure:"default-namespace"`
	Exclude          []string `mapstructure:"exclude"`
	ReleaseName      string   `mapstructure:"release-name"`
	Values           []string `mapstructure:"values"`
	Set              HelmSet  `mapstructure:"set"`
	MeshConfig       string   `mapstructure:"mesh-config"`
	IstioValues      []string `mapstructure:"istio-values"`
	MaxDocumentBytes int      `mapstructure:"max-document-bytes"`
	MaxFileBytes     int64    `mapstructure:"max-file-bytes"`
	ClusterName      string   `mapstructure:"cluster-name"`
	// Timeout bounds the whole collection (reading files, or listing every
	// cluster).
	Timeout time.Duration `mapstructure:"timeout"`
	Live    LiveOptions   `mapstructure:",squash"`

	// Params: the organisation parameters, in layers (see Params).
	Params ParamLayers `mapstructure:",squash"`
}

// LiveOptions configure the collection from live clusters.
type LiveOptions struct {
	Kubeconfig         string        `mapstructure:"kubeconfig"`
	Contexts           []string      `mapstructure:"context"`
	AllContexts        bool          `mapstructure:"all-contexts"`
	QPS                float32       `mapstructure:"qps"`
	Burst              int           `mapstructure:"burst"`
	PageSize           int64         `mapstructure:"page-size"`
	Concurrency        int           `mapstructure:"concurrency"`
	ClusterConcurrency int           `mapstructure:"cluster-concurrency"`
	KindTimeout        time.Duration `mapstructure:"kind-timeout"`
	SecretNames        bool          `mapstructure:"secret-names"`
	Quiet              bool          `mapstructure:"quiet"`
}

// ParamLayers are the organisation parameters as given, merged over the
// defaults in this order: the config file's params: map, MESHAUDIT_PARAMS
// (a YAML or JSON object), each --param KEY=VALUE (VALUE is YAML).
type ParamLayers struct {
	Config map[string]any `mapstructure:"-"`
	Env    string         `mapstructure:"-"`
	Flags  []string       `mapstructure:"param"`
}

// SelectOptions choose the rules: the policy set (embedded plus custom
// directories) and the filters.
type SelectOptions struct {
	PolicyDirs []string    `mapstructure:"policy"`
	Rules      []string    `mapstructure:"rules"`
	SkipRules  []string    `mapstructure:"skip-rules"`
	Controls   []string    `mapstructure:"controls"`
	Severity   MinSeverity `mapstructure:"severity"`
}

// ViewOptions configure the table.
type ViewOptions struct {
	Color   string `mapstructure:"color"` // auto, always or never
	Summary bool   `mapstructure:"summary"`
}

// ProxyOptions configure the Istio sidecar proxy's lifecycle (proxy.go).
type ProxyOptions struct {
	Wait        string        `mapstructure:"proxy-wait"`
	Quit        string        `mapstructure:"proxy-quit"`
	ReadyURL    string        `mapstructure:"proxy-ready-url"`
	QuitURL     string        `mapstructure:"proxy-quit-url"`
	WaitTimeout time.Duration `mapstructure:"proxy-wait-timeout"`
}

// Streams are the run's standard streams: Stdin for -f -, Stdout for the
// report written there, Stderr for diagnostics (parse errors, notices,
// warnings, progress).
type Streams struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// FailOn is a --fail-on threshold: a severity, or 0 for none.
type FailOn rules.Severity

// MinSeverity is a --severity filter: a severity, or 0 for all.
type MinSeverity rules.Severity

// HelmSet is a list of Helm --set values. Given as one string (an
// environment variable), it is split at white space, not at commas: a
// value may hold commas ({a,b}).
type HelmSet []string

// DecodeHook converts settings as viper holds them (flag values, YAML
// values, environment strings) into Options' types: durations, severities,
// and lists given as one string — comma-separated, blanks trimmed (HelmSet:
// white-space separated). A bad severity is a Usage *Error naming the flag.
func DecodeHook() mapstructure.DecodeHookFunc {
	return mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(),
		func(from, to reflect.Type, data any) (any, error) {
			s, isString := data.(string)
			switch to {
			case reflect.TypeFor[FailOn]():
				if !isString {
					return data, nil
				}
				v := strings.ToLower(s)
				if v == "none" {
					return FailOn(0), nil
				}
				sev, err := rules.ParseSeverity(v)
				if err != nil {
					return nil, usageErr("--fail-on %q: want critical, high, medium, low or none", v)
				}
				return FailOn(sev), nil
			case reflect.TypeFor[MinSeverity]():
				if !isString {
					return data, nil
				}
				if s == "" {
					return MinSeverity(0), nil
				}
				sev, err := rules.ParseSeverity(strings.ToLower(s))
				if err != nil {
					return nil, usageErr("--severity: %v", err)
				}
				return MinSeverity(sev), nil
			case reflect.TypeFor[HelmSet]():
				if isString {
					return strings.Fields(s), nil
				}
			case reflect.TypeFor[[]string]():
				if isString {
					return splitList(s), nil
				}
			}
			return data, nil
		},
	)
}

// splitList splits a comma-separated list, trimming blanks and dropping
// empty entries.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Defaults are the options of a scan nobody configured: the command line's
// flag defaults.
func Defaults() Options {
	return Options{
		Input: InputOptions{
			DefaultNamespace: "default",
			MaxDocumentBytes: collectors.DefaultMaxDocumentBytes,
			MaxFileBytes:     collectors.DefaultMaxFileBytes,
			Timeout:          10 * time.Minute,
			Live: LiveOptions{
				QPS:                20,
				Burst:              40,
				PageSize:           500,
				Concurrency:        4,
				ClusterConcurrency: 4,
				KindTimeout:        2 * time.Minute,
			},
		},
		OSCALVersion:       output.DefaultOSCALVersion,
		FailOn:             FailOn(rules.SeverityHigh),
		EvalTimeout:        evaluate.DefaultDeadline,
		PushgatewayTimeout: 30 * time.Second,
		View:               ViewOptions{Color: "auto"},
		Proxy: ProxyOptions{
			Wait:        ProxyAuto,
			Quit:        ProxyAuto,
			ReadyURL:    DefaultProxyReadyURL,
			QuitURL:     DefaultProxyQuitURL,
			WaitTimeout: 2 * time.Minute,
		},
		MemoryLimit: DefaultMemoryLimit,
	}
}

// String is the threshold as --fail-on spells it.
func (f FailOn) String() string {
	if f == 0 {
		return "none"
	}
	return rules.Severity(f).String()
}
