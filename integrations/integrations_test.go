package integrations

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// tool finds an external tool: the environment variable env, else name on
// PATH. Missing, the test skips with how to get it, or fails when CI is set
// (.ci/run installs both).
func tool(t *testing.T, env, name, how string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("CI must have %s (%s); .ci/run installs it", name, how)
	}
	t.Skipf("skipped: %s not found (set %s or put it on PATH: %s); CI always runs this", name, env, how)
	return ""
}

func root(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, string(b))
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

const exampleWorkflow = "docs/examples/github-workflow.yml"

// TestActionLint lints action.yml and the example workflow with actionlint:
// the example as published (meshaudit/meshaudit@main) and as a workflow of
// this repository (uses: ./), which makes actionlint check every input it
// passes against action.yml. A workflow passing an input the action does
// not declare must fail the lint: the check is real.
func TestActionLint(t *testing.T) {
	bin := tool(t, "MESHAUDIT_ACTIONLINT", "actionlint", "hack/actionlint-bin.sh builds it from the Go module proxy")
	repo := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil { // actionlint looks for a repository
		t.Fatalf("git init: %v\n%s", err, out)
	}
	copyFile(t, filepath.Join(root(t), "action.yml"), filepath.Join(repo, "action.yml"))
	example, err := os.ReadFile(filepath.Join(root(t), exampleWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(example), "uses: meshaudit/meshaudit@main") {
		t.Fatal("the example workflow does not use meshaudit/meshaudit@main")
	}
	writeFile(t, filepath.Join(repo, ".github/workflows/published.yml"), string(example))
	writeFile(t, filepath.Join(repo, ".github/workflows/local.yml"), strings.ReplaceAll(string(example), "meshaudit/meshaudit@main", "./"))
	lint := func() (string, error) {
		cmd := exec.Command(bin, "-no-color")
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := lint(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
	writeFile(t, filepath.Join(repo, ".github/workflows/wrong.yml"), `on: push
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: ./
        with:
          pathz: deploy
`)
	out, err := lint()
	if err == nil || !strings.Contains(out, "pathz") || !strings.Contains(out, `"paths"`) {
		t.Fatalf("actionlint accepted an undeclared input, or did not name the missing required one: %v\n%s", err, out)
	}
}

type action struct {
	Inputs map[string]struct {
		Required bool
		Default  *string
	}
	Runs struct {
		Using string
		Steps []struct {
			ID    string
			Name  string
			Uses  string
			Shell string
			Run   string
			Env   map[string]string
			With  map[string]string
		}
	}
}

// TestActionScanStep runs the action's own scripts, as the runner would,
// on examples/shop: the build step's command, the scan step with the
// inputs' environment, and the verdict step. The scan writes SARIF and JSON
// and records exit code 1 (findings at or above high) without failing
// before the upload; the verdict step fails with it.
func TestActionScanStep(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q", a.Runs.Using)
	}
	steps := map[string]string{}
	uploads := 0
	for _, s := range a.Runs.Steps {
		if s.Run != "" {
			if s.Shell != "bash" {
				t.Errorf("step %q: shell %q, want bash", s.Name, s.Shell)
			}
			check := exec.Command("bash", "-n")
			check.Stdin = strings.NewReader(s.Run)
			if out, err := check.CombinedOutput(); err != nil {
				t.Errorf("step %q: bash -n: %v\n%s", s.Name, err, out)
			}
			steps[s.Name] = s.Run
		}
		if strings.HasPrefix(s.Uses, "github/codeql-action/upload-sarif@") {
			uploads++
			if s.With["sarif_file"] != "${{ inputs.sarif-file }}" {
				t.Errorf("upload-sarif uploads %q", s.With["sarif_file"])
			}
		}
	}
	if uploads != 1 {
		t.Errorf("%d upload-sarif steps", uploads)
	}
	for _, name := range []string{"paths", "fail-on", "previous", "fail-on-new", "sarif-file", "upload-sarif"} {
		if _, ok := a.Inputs[name]; !ok {
			t.Errorf("no input %q", name)
		}
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "meshaudit"), "./cmd/meshaudit")
	build.Dir = root(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ghOut := filepath.Join(dir, "github-output")
	run := func(script string, env ...string) (string, int) {
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Dir = root(t)
		cmd.Env = append(os.Environ(), append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "GITHUB_OUTPUT=" + ghOut}, env...)...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	scan, ok := steps["Scan"]
	if !ok {
		t.Fatal("no Scan step")
	}
	inputs := []string{
		"MESHAUDIT_ACTION_PATHS=examples/shop", "MESHAUDIT_ACTION_FAIL_ON=high", "MESHAUDIT_ACTION_PREVIOUS=", "MESHAUDIT_ACTION_FAIL_ON_NEW=false",
		"MESHAUDIT_ACTION_ARGS=--rules MTLS-01,POD-03,POD-04", "MESHAUDIT_ACTION_SARIF=" + filepath.Join(dir, "out.sarif"), "MESHAUDIT_ACTION_JSON=" + filepath.Join(dir, "out.json"),
	}
	out, code := run(scan, inputs...)
	if code != 0 {
		t.Fatalf("scan step exited %d (it must not fail before the upload):\n%s", code, out)
	}
	if !strings.Contains(out, "POD-03") || strings.Contains(out, "HA-01") {
		t.Errorf("scan step output (--rules from args not applied?):\n%s", out)
	}
	got, _ := os.ReadFile(ghOut)
	if strings.TrimSpace(string(got)) != "exit-code=1" {
		t.Errorf("GITHUB_OUTPUT %q", got)
	}
	for _, f := range []string{"out.sarif", "out.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	// Compared with itself, with fail-on-new: nothing new, exit 0.
	os.Remove(ghOut)
	inputs[2], inputs[3] = "MESHAUDIT_ACTION_PREVIOUS="+filepath.Join(dir, "out.json"), "MESHAUDIT_ACTION_FAIL_ON_NEW=true"
	inputs[6] = "MESHAUDIT_ACTION_JSON=" + filepath.Join(dir, "again.json")
	if out, code := run(scan, inputs...); code != 0 || !bytes.Contains(must(os.ReadFile(ghOut)), []byte("exit-code=0")) || !strings.Contains(out, "0 new, 0 fixed") {
		t.Errorf("fail-on-new against itself: %d\n%s", code, out)
	}
	verdict := steps["Verdict"]
	for code, want := range map[string]int{"0": 0, "1": 1, "3": 3, "2": 2} {
		if _, got := run(verdict, "CODE="+code); got != want {
			t.Errorf("verdict step with exit code %s: %d", code, got)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestPreCommitHook runs the hook with the real pre-commit (pre-commit
// try-repo on this checkout) in a sample repository: it builds meshaudit
// (language: golang), fails on a privileged pod and names the rule (POD-03), and
// skips a commit with no YAML.
func TestPreCommitHook(t *testing.T) {
	bin := tool(t, "MESHAUDIT_PRE_COMMIT", "pre-commit", "apt-get install -y pre-commit")
	sample := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = sample
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("config", "user.email", "test@example.com")
	git("config", "user.name", "test")
	writeFile(t, filepath.Join(sample, "README.md"), "sample\n")
	git("add", "-A")
	git("commit", "-q", "-m", "init")

	gomodcache, _ := exec.Command("go", "env", "GOMODCACHE").Output()
	env := append(os.Environ(),
		"PRE_COMMIT_HOME="+filepath.Join(t.TempDir(), "pre-commit"),
		"GOMODCACHE="+strings.TrimSpace(string(gomodcache)), // share the module cache: no second download
		"GOFLAGS=-buildvcs=false",
		// try-repo commits uncommitted changes of the checkout in a shadow
		// clone: give it an identity on machines without one.
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com",
	)
	try := func() (string, int) {
		cmd := exec.Command(bin, "try-repo", root(t), "meshaudit", "--all-files", "--verbose")
		cmd.Dir = sample
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := try(); code != 0 || !strings.Contains(out, "Skipped") {
		t.Fatalf("no YAML: pre-commit exited %d\n%s", code, out)
	}
	writeFile(t, filepath.Join(sample, "deploy/pod.yaml"), `apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  containers:
    - name: c
      image: busybox:1.36
      securityContext: {privileged: true}
`)
	git("add", "-A")
	git("commit", "-q", "-m", "privileged")
	out, code := try()
	if code != 1 || !strings.Contains(out, "Failed") || !strings.Contains(out, "POD-03") || !strings.Contains(out, "Pod/shop/debug") {
		t.Fatalf("privileged pod: pre-commit exited %d\n%s", code, out)
	}
}
