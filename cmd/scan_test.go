package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/scanner"
)

// run executes the CLI from the repository root (so recorded paths are
// relative to it, as for a user running in their checkout).
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var out, errb bytes.Buffer
	code = Execute(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	// No -f means a live scan; make sure no real cluster is found.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"compliant", []string{"scan", "-f", "testdata/cli/good.yaml"}, ExitOK},
		{"findings at or above high", []string{"scan", "-f", "testdata/cli/privileged.yaml"}, ExitFindings},
		{"findings below fail-on", []string{"scan", "-f", "testdata/cli/privileged.yaml", "--fail-on", "none"}, ExitOK},
		{"malformed beside good", []string{"scan", "-f", "testdata/cli/good.yaml", "-f", "testdata/cli/bad.yaml"}, ExitIncomplete},
		{"findings win over incomplete", []string{"scan", "-f", "testdata/cli/privileged.yaml", "-f", "testdata/cli/bad.yaml"}, ExitFindings},
		{"nothing evaluated", []string{"scan", "-f", "testdata/cli/does-not-exist.yaml"}, ExitUsage},
		{"no input and no cluster", []string{"scan"}, ExitUsage},
		{"unknown flag", []string{"scan", "--frobnicate"}, ExitUsage},
		{"bad fail-on", []string{"scan", "-f", "testdata/cli/good.yaml", "--fail-on", "urgent"}, ExitUsage},
		{"bad memory limit", []string{"scan", "-f", "testdata/cli/good.yaml", "--memory-limit", "lots"}, ExitUsage},
		{"negative memory limit", []string{"scan", "-f", "testdata/cli/good.yaml", "--memory-limit", "-1Gi"}, ExitUsage},
		{"memory limit in bytes by mistake", []string{"scan", "-f", "testdata/cli/good.yaml", "--memory-limit", "1280"}, ExitUsage},
		{"bad format", []string{"scan", "-f", "testdata/cli/good.yaml", "-o", "xml"}, ExitUsage},
		{"two stdout formats", []string{"scan", "-f", "testdata/cli/good.yaml", "-o", "json", "-o", "sarif"}, ExitUsage},
		{"file and snapshot", []string{"scan", "-f", "testdata/cli/good.yaml", "--snapshot", "x.json"}, ExitUsage},
		{"unknown rule", []string{"rules", "NOPE-01"}, ExitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
		})
	}
}

func TestNamespaceDefault(t *testing.T) {
	in := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostIPC: true\n  containers: [{name: c, image: x:1}]\n"
	_, out, _ := run(t, in, "snapshot", "-f", "-", "--default-namespace", "team-a")
	if !strings.Contains(out, `"namespace": "team-a"`) {
		t.Fatalf("namespace not defaulted:\n%s", out)
	}
}

// scanOptions runs `meshaudit ARGS...` up to the scan and returns the
// typed options the command line filled (flags, environment, config file),
// or the exit code when it stopped before.
func scanOptions(t *testing.T, args ...string) (scanner.Options, int, string) {
	t.Helper()
	var got scanner.Options
	runScan = func(_ context.Context, o scanner.Options, _ scanner.Streams) (*scanner.Result, error) {
		got = o
		return nil, nil
	}
	defer func() { runScan = scanner.Run }()
	code, _, stderr := run(t, "", args...)
	return got, code, stderr
}

// TestConfigFileAndEnv: flags over environment over config file, lists
// from YAML lists and comma-separated variables, positional paths after
// -f; an unknown config key or parameter is a usage error naming it.
func TestConfigFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "meshaudit.yaml")
	os.WriteFile(cfg, []byte("fail-on: none\nfile:\n  - testdata/cli/privileged.yaml\nrules: [MTLS-01]\neval-timeout: 90s\n"), 0o644)
	o, code, stderr := scanOptions(t, "scan", "--config", cfg, "extra.yaml")
	if code != ExitOK || o.FailOn != 0 || strings.Join(o.Input.Files, ",") != "testdata/cli/privileged.yaml,extra.yaml" ||
		strings.Join(o.Select.Rules, ",") != "MTLS-01" || o.EvalTimeout != 90*time.Second || o.ToolVersion != Version() {
		t.Fatalf("config file: exit %d %s\n%+v", code, stderr, o)
	}
	t.Setenv("MESHAUDIT_FAIL_ON", "critical")
	t.Setenv("MESHAUDIT_SKIP_RULES", "POD-03, POD-01")
	t.Setenv("MESHAUDIT_SET", "a=1 b={x,y}")
	if o, _, _ = scanOptions(t, "scan", "--config", cfg); o.FailOn != scanner.FailOn(rules.SeverityCritical) ||
		strings.Join(o.Select.SkipRules, "|") != "POD-03|POD-01" || strings.Join(o.Input.Set, "|") != "a=1|b={x,y}" {
		t.Fatalf("environment over the config file: %+v", o)
	}
	if o, _, _ = scanOptions(t, "scan", "--config", cfg, "--fail-on", "none", "--memory-limit", "2Gi"); o.FailOn != 0 || !o.MemoryLimitSet || o.MemoryLimit != "2Gi" {
		t.Fatalf("flag over environment: %+v", o)
	}
	if _, code, stderr = scanOptions(t, "scan", "--config", cfg, "--fail-on", "urgent"); code != ExitUsage || !strings.Contains(stderr, `--fail-on "urgent": want critical, high, medium, low or none`) {
		t.Fatalf("bad --fail-on: exit %d: %s", code, stderr)
	}
	os.WriteFile(cfg, []byte("fail-on: none\nfial-on: low\n"), 0o644)
	if _, code, stderr := scanOptions(t, "scan", "--config", cfg, "-f", "testdata/cli/good.yaml"); code != ExitUsage || !strings.Contains(stderr, "fial-on") {
		t.Fatalf("unknown config key: exit %d: %s", code, stderr)
	}
	// The real thing once: the config file's fail-on decides the exit code.
	os.WriteFile(cfg, []byte("fail-on: none\nfile:\n  - testdata/cli/privileged.yaml\n"), 0o644)
	t.Setenv("MESHAUDIT_FAIL_ON", "")
	if code, _, stderr := run(t, "", "scan", "--config", cfg, "-o", "json="+filepath.Join(dir, "r.json")); code != ExitOK {
		t.Fatalf("config fail-on none: exit %d: %s", code, stderr)
	}
}

func TestRulesCommand(t *testing.T) {
	code, out, _ := run(t, "", "rules", "-o", "json")
	var list []struct {
		ID       string
		Controls []string
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) == 0 {
		t.Fatalf("rules -o json: %d %s", code, out)
	}
	code, out, _ = run(t, "", "rules", "mtls-01")
	if code != 0 || !strings.Contains(out, "Remediation:") || !strings.Contains(out, "SC-8(1)") {
		t.Fatalf("rules MTLS-01: %s", out)
	}
	code, out, _ = run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "meshaudit ") || !strings.Contains(out, "sha256:") {
		t.Fatalf("version: %s", out)
	}
}

func TestHelpDocumentsExitCodes(t *testing.T) {
	_, out, _ := run(t, "", "scan", "--help")
	for _, want := range []string{"Exit codes:", "0  complete", "1  findings", "2  usage error", "3  evaluated"} {
		if !strings.Contains(out, want) {
			t.Errorf("scan --help lacks %q", want)
		}
	}
}

func TestParamsLayers(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "meshaudit.yaml")
	// The talk's etcd PASSTHROUGH egress is allowlisted by the organisation.
	os.WriteFile(cfg, []byte("params:\n  allowed_passthrough_hosts: [\"nothing.example\"]\n  max_exception_days: 30\n"), 0o644)
	hosts := func(args ...string) (policies.Params, string) {
		t.Helper()
		o, code, stderr := scanOptions(t, append([]string{"scan", "--config", cfg, "-f", "x.yaml"}, args...)...)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		p, err := o.Input.Params.Params()
		if err != nil {
			t.Fatal(err)
		}
		return p, strings.Join(p.AllowedPassthroughHosts, ",")
	}
	if p, h := hosts(); h != "nothing.example" || p.MaxExceptionDays != 30 {
		t.Fatalf("config params: %s %d", h, p.MaxExceptionDays)
	}
	t.Setenv("MESHAUDIT_PARAMS", `{"allowed_passthrough_hosts": ["etcd-*"]}`)
	if p, h := hosts(); h != "etcd-*" || p.MaxExceptionDays != 30 {
		t.Fatalf("MESHAUDIT_PARAMS is a layer over the config file's params: %s %d", h, p.MaxExceptionDays)
	}
	if _, h := hosts("--param", `allowed_passthrough_hosts=["etcd-*.us-south.containers.cloud.ibm.com"]`); h != "etcd-*.us-south.containers.cloud.ibm.com" {
		t.Fatalf("--param over MESHAUDIT_PARAMS: %s", h)
	}
	t.Setenv("MESHAUDIT_PARAMS", "")
	// The real thing: an allowlisted PASSTHROUGH is no finding.
	count := func(args ...string) int {
		t.Helper()
		code, out, stderr := run(t, "", append([]string{"scan", "--config", cfg, "-f", "testdata/scenarios/talk-ibm", "--rules", "ING-01", "-o", "json", "--fail-on", "none"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var rep struct{ Findings []struct{ RuleID string } }
		json.Unmarshal([]byte(out), &rep)
		return len(rep.Findings)
	}
	if n := count(); n == 0 {
		t.Fatal("PASSTHROUGH not reported without allowlist")
	}
	if n := count("--param", `allowed_passthrough_hosts=["etcd-*.us-south.containers.cloud.ibm.com"]`); n != 0 {
		t.Fatalf("--param allowlist: %d findings", n)
	}
	if code, _, stderr := run(t, "", "scan", "-f", "testdata/cli/good.yaml", "--param", "min_replica=3"); code != ExitUsage || !strings.Contains(stderr, "min_replica") {
		t.Fatalf("unknown --param: %d %s", code, stderr)
	}
	os.WriteFile(cfg, []byte("params:\n  root_namespce: x\n"), 0o644)
	if code, _, stderr := run(t, "", "scan", "--config", cfg, "-f", "testdata/cli/good.yaml"); code != ExitUsage || !strings.Contains(stderr, "root_namespce") {
		t.Fatalf("unknown param: exit %d: %s", code, stderr)
	}
}
