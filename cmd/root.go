// Package cmd is meshaudit's command line: cobra commands built by
// functions, configured through viper (flags, config file, MESHAUDIT_*
// environment), with errors mapped to exit codes once, in Execute.
package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/meshaudit/meshaudit/scanner"
)

// Exit codes.
const (
	ExitOK         = 0 // complete, nothing at or above --fail-on
	ExitFindings   = 1 // findings at or above --fail-on
	ExitUsage      = 2 // usage error, or nothing could be evaluated
	ExitIncomplete = 3 // nothing at or above --fail-on, but an input was not parsed or a rule is unknown
	// ExitEvidence: the reports were written, an evidence bundle was not.
	ExitEvidence = 4
	// ExitWrite: the reports could not be written (none was: the previous
	// files are kept).
	ExitWrite = 5
	// ExitInterrupted: stopped by SIGINT or SIGTERM before reports were
	// written; no report file is left half-written (128 + SIGINT).
	ExitInterrupted = 130
)

const exitCodesHelp = `Exit codes:
  0  complete, and nothing at or above --fail-on
  1  findings at or above --fail-on
  2  usage error, or nothing could be evaluated
  3  evaluated, nothing at or above --fail-on, but incomplete: an input
     could not be parsed, or a rule's status is unknown
  4  the reports were written, but an evidence bundle could not be
  5  the reports could not be written (none of them was; previous files
     are kept)
  130 interrupted (SIGINT or SIGTERM): no report was written; a second
     signal ends the process at once`

// exitError carries an exit code of a command's own (verify, diff) to
// Execute; the scan's errors carry a scanner.Kind (exitCode).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

var usageErr = scanner.UsageError

// exitCode maps an error to the process exit code: a command's own
// exitError, a scanner.Error by its kind; anything else — what cobra
// rejected (unknown flag, bad args), an internal failure — is a usage
// error.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	switch scanner.KindOf(err) {
	case scanner.Findings:
		return ExitFindings
	case scanner.Incomplete:
		return ExitIncomplete
	case scanner.EvidenceFailed:
		return ExitEvidence
	case scanner.WriteFailed:
		return ExitWrite
	case scanner.Interrupted:
		return ExitInterrupted
	}
	return ExitUsage
}

// app holds what every command shares: one viper instance (no globals),
// the config file's params: map, and the standard streams.
type app struct {
	v            *viper.Viper
	configParams map[string]any // the config file's params:, if any
	stdin        io.Reader
	stdout       io.Writer
	stderr       io.Writer
}

func (a *app) streams() scanner.Streams {
	return scanner.Streams{Stdin: a.stdin, Stdout: a.stdout, Stderr: a.stderr}
}

// Execute runs the command line and returns the process exit code. The
// first SIGINT or SIGTERM cancels the run (which then ends within a second,
// writing no report); a second one ends the process at once, exit 130.
func Execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		fmt.Fprintf(stderr, "meshaudit: %v: stopping (send it again to exit at once)\n", s)
		cancel()
		if s, ok = <-sigs; ok {
			fmt.Fprintf(stderr, "meshaudit: %v again: exiting now\n", s)
			os.Exit(ExitInterrupted)
		}
	}()
	return ExecuteContext(ctx, args, stdin, stdout, stderr)
}

// ExecuteContext runs the command line under ctx.
func ExecuteContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{v: viper.New(), stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCommand(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	code := exitCode(err)
	if code != ExitFindings && code != ExitIncomplete {
		fmt.Fprintln(stderr, "meshaudit:", err)
	}
	return code
}

func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "meshaudit",
		Short: "Audit Istio service-mesh clusters against NIST SP 800-53 controls",
		Long: `meshaudit checks Kubernetes clusters that run the Istio service mesh — strict
mTLS, documented egress, sidecar capture and bypass, authorization, network
policy, workload hardening and HA — and maps every finding to NIST SP 800-53
Rev5 controls. It reads manifests (pre-merge: plain YAML or JSON, helm
template or kustomize build output), a live cluster (or several, through
kubeconfig contexts) or a saved snapshot (meshaudit snapshot), and writes a
table sized to the terminal, JSON, SARIF for code scanning, OSCAL assessment
results or a self-contained HTML summary (-o FORMAT[=FILE], repeatable), and
evidence bundles an auditor can check with meshaudit verify (--evidence-dir).

Every flag can also be set in a config file (--config, default ./meshaudit.yaml
when present; keys are the flag names) or as an environment variable
MESHAUDIT_<FLAG> (dashes become underscores; lists are comma-separated).

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.loadConfig(cmd)
		},
	}
	root.PersistentFlags().String("config", "", "config file (default ./meshaudit.yaml when present)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: ExitUsage, err: err}
	})
	root.AddCommand(newScanCommand(a), newSnapshotCommand(a), newRulesCommand(a), newControlsCommand(a), newDiffCommand(a), newVerifyCommand(a), newFleetCommand(a), newKeygenCommand(a), newVersionCommand(a), newPruneCommand(a))
	return root
}

// loadConfig binds the running command's flags to viper, reads the config
// file and the environment. Unknown config keys are an error.
func (a *app) loadConfig(cmd *cobra.Command) error {
	v := a.v
	v.SetEnvPrefix("MESHAUDIT")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	known := map[string]bool{"params": true, "param": true}
	var bindErr error
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		known[f.Name] = true
		if err := v.BindPFlag(f.Name, f); err != nil && bindErr == nil {
			bindErr = err
		}
	})
	if bindErr != nil {
		return bindErr
	}
	path, explicit := v.GetString("config"), true
	if path == "" {
		path, explicit = "meshaudit.yaml", false
	}
	if _, err := os.Stat(path); err != nil {
		if explicit {
			return usageErr("config file %s: %v", path, err)
		}
		return nil
	}
	// Read once; params: is taken from the file alone (MESHAUDIT_PARAMS is
	// a layer over it, not a replacement: scanner.ParamLayers).
	b, err := os.ReadFile(path)
	if err == nil {
		v.SetConfigType("yaml")
		err = v.ReadConfig(bytes.NewReader(b))
	}
	if err == nil {
		fv := viper.New()
		fv.SetConfigType("yaml")
		if err = fv.ReadConfig(bytes.NewReader(b)); err == nil {
			a.configParams = fv.GetStringMap("params")
		}
	}
	if err != nil {
		return usageErr("config file %s: %v", path, err)
	}
	// Keys of every command are allowed (one file configures them all).
	for _, c := range cmd.Root().Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
	}
	var unknown []string
	for _, k := range topKeys(v) {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return usageErr("config file %s: unknown key(s) %s", path, strings.Join(unknown, ", "))
	}
	return nil
}

func topKeys(v *viper.Viper) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range v.AllKeys() {
		top, _, _ := strings.Cut(k, ".")
		if !seen[top] && v.InConfig(top) {
			seen[top] = true
			out = append(out, top)
		}
	}
	return out
}

// decode fills a command's typed options from viper (flags over
// environment over config file; keys are the flag names); the
// organisation parameters are layered apart (scanner.ParamLayers).
func (a *app) decode(opts any) error {
	err := a.v.Unmarshal(opts, viper.DecodeHook(scanner.DecodeHook()))
	var se *scanner.Error
	if errors.As(err, &se) {
		return se
	}
	if err != nil {
		return usageErr("%v", err)
	}
	return nil
}
