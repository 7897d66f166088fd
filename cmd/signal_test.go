package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startup is how long the tests give a child process to start (and install
// its signal handler) before signalling it: a test binary takes about a
// second to start on a loaded machine.
const startup = 3 * time.Second

// TestMain lets the test binary act as meshaudit for process-level tests.
func TestMain(m *testing.M) {
	if os.Getenv("MESHAUDIT_TEST_MAIN") == "1" {
		os.Exit(Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestCancelledRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb strings.Builder
	code := ExecuteContext(ctx, []string{"scan", "-f", "../testdata/cli/privileged.yaml", "-o", "json=" + filepath.Join(dir, "r.json")}, strings.NewReader(""), &out, &errb)
	if code != ExitInterrupted {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files written: %v", entries)
	}
}

// TestSIGTERMDuringLiveCollection: the API server hangs; SIGTERM stops the
// scan with exit 130 and no report file, partial or whole.
func TestSIGTERMDuringLiveCollection(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	dir := t.TempDir()
	kc := filepath.Join(dir, "kubeconfig")
	os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, srv.URL)), 0o600)
	report := filepath.Join(dir, "r.json")
	cmd := exec.Command(os.Args[0], "scan", "--kubeconfig", kc, "-q", "-o", "json="+report)
	cmd.Env = append(os.Environ(), "MESHAUDIT_TEST_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(startup)
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted {
		t.Fatalf("exit: %v; stderr: %s", err, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// TestSignalEndsBlockedInput: a scan reading standard input that never
// closes ends within a second of SIGTERM, exit 130, no report.
func TestSignalEndsBlockedInput(t *testing.T) {
	dir := t.TempDir()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	cmd := exec.Command(os.Args[0], "scan", "-f", "-", "-o", "json="+filepath.Join(dir, "r.json"))
	cmd.Env = append(os.Environ(), "MESHAUDIT_TEST_MAIN=1")
	cmd.Stdin = pr
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	time.Sleep(startup)
	cmd.Process.Signal(syscall.SIGTERM)
	sent := time.Now()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted || time.Since(sent) > time.Second {
		t.Fatalf("exit %v after %s; stderr: %s", err, time.Since(sent), stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("files left: %v", entries)
	}
}

// TestStdinHonoursTimeout: -f - on a stream that never closes stops at
// --timeout.
func TestStdinHonoursTimeout(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, errb strings.Builder
	start := time.Now()
	code := ExecuteContext(context.Background(), []string{"scan", "-f", "-", "--timeout", "500ms"}, pr, &out, &errb)
	if code != ExitUsage || !strings.Contains(errb.String(), "not read within --timeout 500ms") || time.Since(start) > 5*time.Second {
		t.Fatalf("exit %d after %s: %s", code, time.Since(start), errb.String())
	}
}

// TestSecondSignalExits: the report goes to a FIFO whose reader never
// reads, so the write blocks past the first SIGTERM; the second ends the
// process at once.
func TestSecondSignalExits(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "scan", "-f", "../examples/shop", "-o", "oscal="+fifo, "--fail-on", "none")
	cmd.Env = append(os.Environ(), "MESHAUDIT_TEST_MAIN=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reader, err := os.OpenFile(fifo, os.O_RDONLY, 0) // opens once the scan opens it to write
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	time.Sleep(500 * time.Millisecond) // the write fills the pipe and blocks
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-waited:
		t.Fatalf("ended on the first signal (the pipe did not fill?): %v %s", err, stderr.String())
	case <-time.After(time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	sent := time.Now()
	select {
	case err := <-waited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitInterrupted || !strings.Contains(stderr.String(), "again: exiting now") {
			t.Fatalf("second signal: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(2 * time.Second):
		t.Fatalf("still running %s after the second signal", time.Since(sent))
	}
}
