package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestWriteReportsNeedsLiveScan: --write-reports with -f or --snapshot is a
// usage error, before anything is read.
func TestWriteReportsNeedsLiveScan(t *testing.T) {
	for _, args := range [][]string{
		{"scan", "--write-reports", "-f", "testdata/cli/privileged.yaml"},
		{"scan", "--write-reports", "--snapshot", "no-such-snapshot.json"},
	} {
		code, _, stderr := run(t, "", args...)
		if code != ExitUsage || !strings.Contains(stderr, "--write-reports") || !strings.Contains(stderr, "live scan") {
			t.Errorf("%v: exit %d, stderr %s", args, code, stderr)
		}
	}
}

// TestOpenReportsOutput: -o openreports and -o policyreports of a manifest
// scan are YAML Lists of the same results, timestamped with
// SOURCE_DATE_EPOCH, byte-identical across runs.
func TestOpenReportsOutput(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1764731820")
	dir := t.TempDir()
	var first []byte
	for i := 0; i < 2; i++ {
		or, pr := filepath.Join(dir, "or.yaml"), filepath.Join(dir, "pr.yaml")
		code, _, stderr := run(t, "", "scan", "-f", "testdata/cli/privileged.yaml", "--fail-on", "none", "-o", "openreports="+or, "-o", "policyreports="+pr)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(or)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 && string(b) != string(first) {
			t.Fatal("-o openreports differs between two runs")
		}
		first = b
		for file, kinds := range map[string][]string{or: {"ClusterReport", "Report"}, pr: {"ClusterPolicyReport", "PolicyReport"}} {
			b, _ := os.ReadFile(file)
			var list struct {
				Kind  string `json:"kind"`
				Items []struct {
					Kind    string `json:"kind"`
					Results []struct {
						Policy    string           `json:"policy"`
						Result    string           `json:"result"`
						Timestamp map[string]int64 `json:"timestamp"`
					} `json:"results"`
				} `json:"items"`
			}
			if err := yaml.Unmarshal(b, &list); err != nil || list.Kind != "List" || len(list.Items) == 0 {
				t.Fatalf("%s: %v, %+v", file, err, list)
			}
			fails := 0
			for _, it := range list.Items {
				if it.Kind != kinds[0] && it.Kind != kinds[1] {
					t.Errorf("%s: kind %s", file, it.Kind)
				}
				for _, r := range it.Results {
					if r.Timestamp["seconds"] != 1764731820 {
						t.Errorf("%s: %s timestamp %v", file, r.Policy, r.Timestamp)
					}
					if r.Result == "fail" && r.Policy == "POD-03" {
						fails++
					}
				}
			}
			if fails == 0 {
				t.Errorf("%s: no POD-03 fail result", file)
			}
		}
	}
}
