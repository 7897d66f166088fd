package scanner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// standInProxy is an Istio proxy on loopback: /healthz/ready answers 503
// until readyAfter has passed, then 200; /quitquitquit records the call.
type standInProxy struct {
	srv        *httptest.Server
	start      time.Time
	readyAfter time.Duration

	mu      sync.Mutex
	probes  int
	readyAt time.Time // first 200
	quits   []time.Time
}

func newStandInProxy(t *testing.T, readyAfter time.Duration) *standInProxy {
	p := &standInProxy{start: time.Now(), readyAfter: readyAfter}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz/ready", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.probes++
		if r.Method != http.MethodGet || time.Since(p.start) < p.readyAfter {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if p.readyAt.IsZero() {
			p.readyAt = time.Now()
		}
	})
	mux.HandleFunc("/quitquitquit", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		p.mu.Lock()
		p.quits = append(p.quits, time.Now())
		p.mu.Unlock()
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *standInProxy) flags() []string {
	return []string{"--proxy-ready-url", p.srv.URL + "/healthz/ready", "--proxy-quit-url", p.srv.URL + "/quitquitquit"}
}

func (p *standInProxy) state() (probes int, readyAt time.Time, quits []time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.probes, p.readyAt, append([]time.Time(nil), p.quits...)
}

// fakeAPIServer records when meshaudit first and last talked to it; it
// answers 404 to everything (the scan then has nothing to evaluate).
type fakeAPIServer struct {
	kubeconfig  string
	mu          sync.Mutex
	first, last time.Time
	n           int
}

func newFakeAPIServer(t *testing.T) *fakeAPIServer {
	f := &fakeAPIServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		now := time.Now()
		if f.first.IsZero() {
			f.first = now
		}
		f.last = now
		f.n++
		f.mu.Unlock()
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	f.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(f.kubeconfig, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: %q}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, srv.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeAPIServer) state() (first, last time.Time, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.first, f.last, f.n
}

const classicStatus = `{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}`
const nativeStatus = `{"initContainers":["istio-validation","istio-proxy"],"containers":null,"volumes":["istio-envoy"],"imagePullSecrets":null,"revision":"default"}`

// TestProxyWaitThenQuit: beside a classic sidecar (the injector's status
// annotation, as the chart passes it), a live scan does not talk to the API
// server before the proxy is ready, and asks the proxy to exit once, after
// its last API call.
func TestProxyWaitThenQuit(t *testing.T) {
	t.Setenv(SidecarStatusEnv, classicStatus)
	proxy := newStandInProxy(t, 600*time.Millisecond)
	api := newFakeAPIServer(t)
	args := append([]string{"scan", "--kubeconfig", api.kubeconfig, "--timeout", "10s", "--kind-timeout", "3s"}, proxy.flags()...)
	code, _, stderr := scanCLI(t, "", args...)
	if code != Usage { // a 404 API server: nothing to evaluate
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, Usage, stderr)
	}
	probes, readyAt, quits := proxy.state()
	first, last, n := api.state()
	if readyAt.IsZero() || probes < 2 {
		t.Fatalf("proxy readiness: %d probes, ready at %v; stderr:\n%s", probes, readyAt, stderr)
	}
	if n == 0 {
		t.Fatal("the scan never called the API server")
	}
	if first.Before(readyAt) {
		t.Errorf("first API call %v before the proxy was ready (%v)", first.Sub(proxy.start), readyAt.Sub(proxy.start))
	}
	if len(quits) != 1 {
		t.Fatalf("quitquitquit called %d times, want 1; stderr:\n%s", len(quits), stderr)
	}
	if quits[0].Before(last) {
		t.Errorf("quit at %v before the last API call at %v", quits[0].Sub(proxy.start), last.Sub(proxy.start))
	}
	for _, want := range []string{"Istio proxy detected", "asked the Istio proxy to exit"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestProxyQuitAfterFindings: a manifest scan that exits 1 still quits the
// proxy; the report on stdout is whole.
func TestProxyQuitAfterFindings(t *testing.T) {
	t.Setenv(SidecarStatusEnv, classicStatus)
	proxy := newStandInProxy(t, 0)
	args := append([]string{"scan", "-f", "testdata/cli/privileged.yaml", "-o", "json", "-q"}, proxy.flags()...)
	code, stdout, stderr := scanCLI(t, "", args...)
	if code != Findings {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "{") {
		t.Errorf("stdout is not the JSON report: %.80q", stdout)
	}
	if _, _, quits := proxy.state(); len(quits) != 1 {
		t.Errorf("quitquitquit called %d times, want 1", len(quits))
	}
}

// TestProxyNative: a native sidecar (istio-proxy among the init
// containers) is waited for but not quit: kubelet stops it.
func TestProxyNative(t *testing.T) {
	t.Setenv(SidecarStatusEnv, nativeStatus)
	proxy := newStandInProxy(t, 200*time.Millisecond)
	args := append([]string{"scan", "-f", "testdata/cli/privileged.yaml", "-o", "json", "-q", "--fail-on", "none"}, proxy.flags()...)
	if code, _, stderr := scanCLI(t, "", args...); code != OK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	probes, readyAt, quits := proxy.state()
	if readyAt.IsZero() || probes < 2 {
		t.Errorf("native sidecar not waited for: %d probes", probes)
	}
	if len(quits) != 0 {
		t.Errorf("native sidecar asked to quit %d times", len(quits))
	}
	// always overrides the detection.
	args = append(args, "--proxy-quit", "always")
	if code, _, stderr := scanCLI(t, "", args...); code != OK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if _, _, quits := proxy.state(); len(quits) != 1 {
		t.Errorf("--proxy-quit always: %d quit calls, want 1", len(quits))
	}
}

// TestProxyDetectedByEndpoint: with no hint in the environment, a readiness
// endpoint that answers at all (503 included) means a proxy is there.
func TestProxyDetectedByEndpoint(t *testing.T) {
	t.Setenv(SidecarStatusEnv, "")
	proxy := newStandInProxy(t, 300*time.Millisecond)
	args := append([]string{"scan", "-f", "testdata/cli/privileged.yaml", "-q", "--fail-on", "none"}, proxy.flags()...)
	if code, _, stderr := scanCLI(t, "", args...); code != OK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	_, readyAt, quits := proxy.state()
	if readyAt.IsZero() || len(quits) != 1 {
		t.Errorf("ready at %v, %d quit calls; want waited and 1 quit", readyAt, len(quits))
	}
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestNoProxy: no hint and nothing listening: no wait, no quit, and the
// scan is not delayed. --proxy-wait always with no proxy gives up after the
// timeout with a warning and goes on.
func TestNoProxy(t *testing.T) {
	t.Setenv(SidecarStatusEnv, "")
	base := closedURL(t)
	flags := []string{"--proxy-ready-url", base + "/healthz/ready", "--proxy-quit-url", base + "/quitquitquit"}
	start := time.Now()
	args := append([]string{"scan", "-f", "testdata/cli/privileged.yaml", "-q", "--fail-on", "none"}, flags...)
	code, _, stderr := scanCLI(t, "", args...)
	if code != OK || strings.Contains(stderr, "proxy") {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("scan without a proxy took %s", d)
	}
	args = append(args, "--proxy-wait", "always", "--proxy-wait-timeout", "300ms")
	code, _, stderr = scanCLI(t, "", args...)
	if code != OK || !strings.Contains(stderr, "not ready after 300ms") {
		t.Errorf("--proxy-wait always without a proxy: exit %d; stderr:\n%s", code, stderr)
	}
	if code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/privileged.yaml", "--proxy-wait", "sometimes"); code != Usage {
		t.Errorf("--proxy-wait sometimes: exit %d; stderr:\n%s", code, stderr)
	}
}

// TestProxyNever: never means no probe at all, even beside a proxy.
func TestProxyNever(t *testing.T) {
	t.Setenv(SidecarStatusEnv, classicStatus)
	proxy := newStandInProxy(t, 0)
	args := append([]string{"scan", "-f", "testdata/cli/privileged.yaml", "-q", "--fail-on", "none", "--proxy-wait", "never", "--proxy-quit", "never"}, proxy.flags()...)
	if code, _, stderr := scanCLI(t, "", args...); code != OK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if probes, _, quits := proxy.state(); probes != 0 || len(quits) != 0 {
		t.Errorf("never: %d probes, %d quits", probes, len(quits))
	}
}

// TestProxyQuitWhenInterrupted: a cancelled run still asks the proxy to
// exit (the pod must complete).
func TestProxyQuitWhenInterrupted(t *testing.T) {
	t.Setenv(SidecarStatusEnv, classicStatus)
	proxy := newStandInProxy(t, 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb strings.Builder
	o, err := options(append([]string{"-f", "../testdata/cli/privileged.yaml", "-q"}, proxy.flags()...))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(ctx, o, Streams{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb})
	if KindOf(err) != Interrupted {
		t.Fatalf("%v: %s", err, errb.String())
	}
	if _, _, quits := proxy.state(); len(quits) != 1 {
		t.Errorf("interrupted run: %d quit calls, want 1", len(quits))
	}
}
