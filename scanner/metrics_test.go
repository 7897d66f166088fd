package scanner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/meshaudit/meshaudit/metrics"
)

// parseText parses the Prometheus text exposition format with Prometheus'
// own parser.
func parseText(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("text exposition does not parse: %v", err)
	}
	return mfs
}

// value finds the gauge of family name whose labels include want.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := mfs[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		if m.GetGauge() != nil {
			return m.GetGauge().GetValue(), true
		}
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}

func mustValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	v, ok := value(mfs, name, want)
	if !ok {
		t.Fatalf("no %s%v", name, want)
	}
	return v
}

type metricsReport struct {
	Cluster string
	Summary struct{ Complete bool }
	Rules   []struct {
		ID, Status, Severity string
	}
	Findings []struct {
		RuleID, Severity string
		Exception        *struct{ ID string }
	}
	Controls []struct{ ID, Status string }
	Kinds    []struct {
		Kind, Status string
		Count        int
	}
}

func readReport(t *testing.T, path string) metricsReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep metricsReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkAgainstReport asserts that the metrics say what the JSON report
// says: findings by rule/severity/state, every rule's and control's status
// (and the counts by status), every kind's status and object count. extra
// labels (job, for a Pushgateway) must be on every series.
func checkAgainstReport(t *testing.T, mfs map[string]*dto.MetricFamily, rep metricsReport, extra map[string]string) {
	t.Helper()
	lbl := func(kv ...string) map[string]string {
		m := map[string]string{"cluster": rep.Cluster}
		for k, v := range extra {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	// Findings by rule, severity (a finding may have its own) and state.
	type key struct{ rule, sev, state string }
	counts := map[key]int{}
	for _, r := range rep.Rules {
		counts[key{r.ID, r.Severity, "open"}] += 0
		counts[key{r.ID, r.Severity, "excepted"}] += 0
	}
	for _, f := range rep.Findings {
		state := "open"
		if f.Exception != nil {
			state = "excepted"
		}
		counts[key{f.RuleID, f.Severity, state}]++
	}
	for k, n := range counts {
		if got := mustValue(t, mfs, metrics.Findings, lbl("rule", k.rule, "severity", k.sev, "state", k.state)); got != float64(n) {
			t.Errorf("%s %s %s findings = %v, report has %d", k.rule, k.sev, k.state, got, n)
		}
	}
	if n := len(mfs[metrics.Findings].GetMetric()); extra == nil && n != len(counts) {
		t.Errorf("%d finding series, want %d", n, len(counts))
	}
	ruleCounts := map[string]int{}
	for _, r := range rep.Rules {
		ruleCounts[r.Status]++
		for _, st := range metrics.RuleStatuses {
			want := 0.0
			if string(st) == r.Status {
				want = 1
			}
			if got := mustValue(t, mfs, metrics.RuleStatus, lbl("rule", r.ID, "status", string(st))); got != want {
				t.Errorf("rule %s status %s = %v, report says %s", r.ID, st, got, r.Status)
			}
		}
	}
	for st, n := range ruleCounts {
		if got := mustValue(t, mfs, metrics.Rules, lbl("status", st)); got != float64(n) {
			t.Errorf("rules %s = %v, want %d", st, got, n)
		}
	}
	controlCounts := map[string]int{}
	for _, c := range rep.Controls {
		controlCounts[c.Status]++
		if got := mustValue(t, mfs, metrics.ControlStatus, lbl("control", c.ID, "status", c.Status)); got != 1 {
			t.Errorf("control %s status %s = %v, want 1", c.ID, c.Status, got)
		}
		other := "pass"
		if c.Status == "pass" {
			other = "fail"
		}
		if got := mustValue(t, mfs, metrics.ControlStatus, lbl("control", c.ID, "status", other)); got != 0 {
			t.Errorf("control %s status %s = %v, want 0", c.ID, other, got)
		}
	}
	for st, n := range controlCounts {
		if got := mustValue(t, mfs, metrics.Controls, lbl("status", st)); got != float64(n) {
			t.Errorf("controls %s = %v, want %d", st, got, n)
		}
	}
	for _, k := range rep.Kinds {
		if got := mustValue(t, mfs, metrics.KindStatus, lbl("kind", k.Kind, "status", k.Status)); got != 1 {
			t.Errorf("kind %s status %s = %v", k.Kind, k.Status, got)
		}
		if got := mustValue(t, mfs, metrics.KindObjects, lbl("kind", k.Kind)); got != float64(k.Count) {
			t.Errorf("kind %s objects = %v, want %d", k.Kind, got, k.Count)
		}
	}
	if d := mustValue(t, mfs, metrics.ScanDuration, lbl()); d <= 0 || d > 600 {
		t.Errorf("scan duration %v s", d)
	}
}

func TestMetricsFile(t *testing.T) {
	exceptionsDay(t)
	dir := t.TempDir()
	prom, js := filepath.Join(dir, "meshaudit.prom"), filepath.Join(dir, "report.json")
	before := float64(time.Now().Unix())
	// Findings at or above high: exit 1, which is a successful scan.
	code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--exceptions", "examples/config/exceptions.yaml",
		"-o", "json="+js, "--metrics-file", prom, "--cluster-name", "shop-1")
	if code != Findings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rep := readReport(t, js)
	f, err := os.Open(prom)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mfs := parseText(t, f)
	checkAgainstReport(t, mfs, rep, nil)
	// The shipped example exception covers MESH-04 on payments.
	if got := mustValue(t, mfs, metrics.Findings, map[string]string{"cluster": "shop-1", "rule": "MESH-04", "state": "excepted"}); got != 1 {
		t.Errorf("MESH-04 excepted = %v, want 1", got)
	}
	if got := mustValue(t, mfs, metrics.ScanSuccess, map[string]string{"cluster": "shop-1"}); got != 1 {
		t.Errorf("scan_success = %v after exit 1, want 1", got)
	}
	last := mustValue(t, mfs, metrics.LastSuccess, map[string]string{"cluster": "shop-1"})
	if last < before || last > float64(time.Now().Unix()+1) {
		t.Errorf("last success %v not within the run (started %v)", last, before)
	}
	if v := mustValue(t, mfs, metrics.BuildInfo, map[string]string{"version": "test"}); v != 1 {
		t.Errorf("build_info %v", v)
	}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "meshaudit_") || mf.GetType() != dto.MetricType_GAUGE {
			t.Errorf("unexpected family %s (%s): no default-registry collectors, only meshaudit gauges", name, mf.GetType())
		}
	}

	// An incomplete run (an unparsable input: exit 3) is not a success:
	// scan_success 0, and the previous success time is carried over.
	code, _, stderr = scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-f", "testdata/cli/bad.yaml", "--metrics-file", prom, "--cluster-name", "shop-1")
	if code != Incomplete {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ := os.ReadFile(prom)
	mfs = parseText(t, bytes.NewReader(b))
	if got := mustValue(t, mfs, metrics.ScanSuccess, map[string]string{"cluster": "shop-1"}); got != 0 {
		t.Errorf("scan_success = %v after an incomplete run", got)
	}
	if got := mustValue(t, mfs, metrics.LastSuccess, map[string]string{"cluster": "shop-1"}); got != last {
		t.Errorf("last success %v, want the previous run's %v carried over", got, last)
	}
	if got := mustValue(t, mfs, metrics.ParseErrors, map[string]string{"cluster": "shop-1"}); got != 1 {
		t.Errorf("parse errors %v", got)
	}
	if lr := mustValue(t, mfs, metrics.LastRun, map[string]string{"cluster": "shop-1"}); lr < last {
		t.Errorf("last run %v before last success %v", lr, last)
	}
	// No temporary files left beside it (written atomically).
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files left in %s: %v", dir, ents)
	}
}

// TestMetricsFailureKeepsVerdict: metrics that cannot be delivered are
// reported on stderr; findings still exit 1, a clean run exits 3.
func TestMetricsFailureKeepsVerdict(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "m.prom")
	code, _, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/privileged.yaml", "--metrics-file", missing)
	if code != Findings || !strings.Contains(stderr, "metrics:") || !strings.Contains(stderr, "finding(s) at or above high") {
		t.Errorf("findings with a failed metrics file: exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "--metrics-file", missing)
	if code != Incomplete || !strings.Contains(stderr, "metrics:") {
		t.Errorf("clean run with a failed metrics file: exit %d, want %d; stderr:\n%s", code, Incomplete, stderr)
	}
	// A Pushgateway that is not there (a closed loopback port).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	code, out, stderr := scanCLI(t, "", "scan", "-f", "testdata/cli/privileged.yaml", "-o", "json", "--pushgateway", "http://user:s3cret@"+addr, "--pushgateway-timeout", "5s")
	if code != Findings || !strings.Contains(stderr, "push cluster manifests to http://"+addr) || !strings.Contains(out, `"ruleId"`) {
		t.Errorf("findings with a failed push: exit %d, stdout %d bytes, stderr:\n%s", code, len(out), stderr)
	}
	if strings.Contains(stderr, "s3cret") {
		t.Errorf("password printed: %s", stderr)
	}
	code, _, stderr = scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "--pushgateway", "http://"+addr, "--pushgateway-timeout", "5s")
	if code != Incomplete || !strings.Contains(stderr, "metrics not delivered") && !strings.Contains(stderr, "push cluster") {
		t.Errorf("clean run with a failed push: exit %d; stderr:\n%s", code, stderr)
	}
	// Usage errors emit nothing (no report, no metrics).
	prom := filepath.Join(t.TempDir(), "m.prom")
	if code, _, _ := scanCLI(t, "", "scan", "-f", "testdata/cli/does-not-exist.yaml", "--metrics-file", prom); code != Usage {
		t.Errorf("exit %d", code)
	}
	if _, err := os.Stat(prom); err == nil {
		t.Errorf("metrics written for a scan that evaluated nothing")
	}
}

// pushgatewayBin returns a Pushgateway binary: $MESHAUDIT_PUSHGATEWAY_BIN,
// else the one hack/pushgateway-bin.sh builds once (from the Go module
// proxy, pinned in tools/pushgateway) into its cache. In CI it must be
// there; elsewhere the test skips, saying why, when it cannot be built.
func pushgatewayBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("MESHAUDIT_PUSHGATEWAY_BIN"); bin != "" {
		return bin
	}
	cmd := exec.Command("bash", "../hack/pushgateway-bin.sh")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err != nil || len(lines) == 0 || lines[len(lines)-1] == "" {
		msg := fmt.Sprintf("cannot build the Pushgateway (hack/pushgateway-bin.sh): %v\n%s", err, stderr.String())
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return lines[len(lines)-1]
}

// startPushgateway runs a real Pushgateway on a loopback port and returns
// its base URL.
func startPushgateway(t *testing.T) string {
	t.Helper()
	bin := pushgatewayBin(t)
	for attempt := 0; attempt < 3; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		var logs bytes.Buffer
		cmd := exec.Command(bin, "--web.listen-address="+addr, "--log.level=warn")
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		base := "http://" + addr
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Logf("pushgateway exited (%v): %s", err, logs.String())
				goto retry
			default:
			}
			if resp, err := http.Get(base + "/-/ready"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					t.Cleanup(func() {
						cmd.Process.Kill()
						<-done
					})
					return base
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		cmd.Process.Kill()
		<-done
		t.Fatalf("pushgateway not ready on %s: %s", addr, logs.String())
	retry:
	}
	t.Fatal("pushgateway did not start")
	return ""
}

func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	return parseText(t, resp.Body)
}

// TestPushgateway pushes to a real Prometheus Pushgateway and reads the
// series back from its /metrics with Prometheus' text parser.
func TestPushgateway(t *testing.T) {
	exceptionsDay(t)
	base := startPushgateway(t)
	dir := t.TempDir()
	js := filepath.Join(dir, "shop.json")
	before := float64(time.Now().Unix())
	code, _, stderr := scanCLI(t, "", "scan", "-f", "examples/shop", "--exceptions", "examples/config/exceptions.yaml",
		"-o", "json="+js, "--cluster-name", "prod-eu-1", "--pushgateway", base)
	if code != Findings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// A second cluster, clean, in its own group.
	code, _, stderr = scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "--cluster-name", "prod-us-2", "--pushgateway", base)
	if code != OK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mfs := scrape(t, base)
	job := map[string]string{"job": metrics.Job}
	checkAgainstReport(t, mfs, readReport(t, js), job)
	for _, c := range []string{"prod-eu-1", "prod-us-2"} {
		l := map[string]string{"job": metrics.Job, "cluster": c}
		if v := mustValue(t, mfs, metrics.ScanSuccess, l); v != 1 {
			t.Errorf("%s scan_success %v", c, v)
		}
		if v := mustValue(t, mfs, metrics.LastSuccess, l); v < before {
			t.Errorf("%s last success %v < %v", c, v, before)
		}
		// The Pushgateway's own record of the push, for the same group.
		if v := mustValue(t, mfs, "push_time_seconds", l); v < before {
			t.Errorf("%s push_time_seconds %v", c, v)
		}
	}
	if v := mustValue(t, mfs, metrics.Findings, map[string]string{"job": metrics.Job, "cluster": "prod-eu-1", "rule": "POD-01", "state": "open"}); v < 1 {
		t.Errorf("prod-eu-1 POD-01 open findings %v", v)
	}
	if _, ok := value(mfs, metrics.Findings, map[string]string{"cluster": "prod-us-2", "state": "open", "rule": "POD-01"}); !ok {
		t.Errorf("prod-us-2 has no zero-valued POD-01 series")
	}
	last := mustValue(t, mfs, metrics.LastSuccess, map[string]string{"cluster": "prod-eu-1"})

	// An incomplete run of prod-eu-1 is pushed with POST: its series are
	// replaced, the group keeps its last success time.
	code, _, stderr = scanCLI(t, "", "scan", "-f", "testdata/cli/good.yaml", "-f", "testdata/cli/bad.yaml", "--cluster-name", "prod-eu-1", "--pushgateway", base)
	if code != Incomplete {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mfs = scrape(t, base)
	l := map[string]string{"job": metrics.Job, "cluster": "prod-eu-1"}
	if v := mustValue(t, mfs, metrics.ScanSuccess, l); v != 0 {
		t.Errorf("scan_success %v after an incomplete run", v)
	}
	if v := mustValue(t, mfs, metrics.LastSuccess, l); v != last {
		t.Errorf("last success %v, want %v kept", v, last)
	}
	if v := mustValue(t, mfs, metrics.ParseErrors, l); v != 1 {
		t.Errorf("parse errors %v", v)
	}
	if v := mustValue(t, mfs, metrics.Findings, map[string]string{"cluster": "prod-eu-1", "rule": "POD-01", "state": "open"}); v != 0 {
		t.Errorf("POD-01 findings %v: the previous run's series were not replaced", v)
	}
}
