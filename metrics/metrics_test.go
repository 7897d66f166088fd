package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/rules"
)

func testRun(succeeded bool) Run {
	rep := &report.Report{
		Cluster:  "a/b",
		Rules:    []report.RuleResult{{ID: "POD-01", Severity: rules.SeverityHigh, Status: report.StatusFail}},
		Findings: []report.Finding{{RuleID: "POD-01", Severity: rules.SeverityHigh}, {RuleID: "POD-01", Severity: rules.SeverityHigh, Exception: &report.AppliedException{ID: "X"}}},
	}
	return Run{Reports: []*report.Report{rep}, Duration: 1500 * time.Millisecond, Finished: time.Unix(1700000000, 0),
		Succeeded: map[string]bool{"a/b": succeeded}, Version: "v1", PolicyDigest: "sha256:x"}
}

// TestPushMethods: a success replaces the group (PUT), anything else adds
// (POST) without the last success time; credentials become basic auth and
// the grouping label value with a slash is encoded by the push package.
func TestPushMethods(t *testing.T) {
	type req struct {
		method, path, user, pass, body string
	}
	var mu sync.Mutex
	var got []req
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		mu.Lock()
		got = append(got, req{r.Method, r.URL.Path, u, p, string(b)})
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "http://u:p@", 1)
	for _, ok := range []bool{true, false} {
		if err := (Pusher{URL: url, Timeout: 5 * time.Second}).Push(context.Background(), testRun(ok)); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0].method != http.MethodPut || got[1].method != http.MethodPost {
		t.Fatalf("requests %+v", got)
	}
	for i, r := range got {
		if r.user != "u" || r.pass != "p" || !strings.HasPrefix(r.path, "/metrics/job/meshaudit/cluster@base64/") {
			t.Errorf("request %d: %+v", i, r)
		}
		if strings.Contains(r.body, "cluster=") {
			t.Errorf("pushed series carry a cluster label (the grouping key has it)")
		}
	}
	if !strings.Contains(got[0].body, LastSuccess) || strings.Contains(got[1].body, LastSuccess) {
		t.Errorf("last success sent on failure or missing on success")
	}
	if err := (Pusher{URL: "ftp://x", Timeout: time.Second}).Push(context.Background(), testRun(true)); err == nil {
		t.Errorf("ftp URL accepted")
	}
}

func TestFileCarriesLastSuccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.prom")
	write := func(run Run) {
		reg, _ := Registry(run, run.Reports, true, PreviousSuccess(path))
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := WriteText(f, reg); err != nil {
			t.Fatal(err)
		}
	}
	write(testRun(true))
	fail := testRun(false)
	fail.Finished = time.Unix(1700003600, 0)
	write(fail)
	if got := PreviousSuccess(path)["a/b"]; got != 1700000000 {
		t.Errorf("last success %v", got)
	}
	f, _ := os.Open(path)
	defer f.Close()
	mfs, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mfs[Findings].GetMetric() {
		want := map[string]float64{"open": 1, "excepted": 1}
		for _, l := range m.GetLabel() {
			if l.GetName() == "state" && m.GetGauge().GetValue() != want[l.GetValue()] {
				t.Errorf("%s = %v", l.GetValue(), m.GetGauge().GetValue())
			}
		}
	}
}
