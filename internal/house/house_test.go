// Package house holds tests that keep the codebase's shape (issue 15): a
// thin CLI and an evaluate package split by job.
package house

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goLines counts the lines of the non-test Go files of dir, per file.
func goLines(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = bytes.Count(b, []byte("\n"))
	}
	if len(out) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	return out
}

// TestThinCmd: cmd wires flags to the scanner library and maps errors to
// exit codes; logic belongs in scanner (or the package it concerns).
func TestThinCmd(t *testing.T) {
	const limit = 1200
	total := 0
	for _, n := range goLines(t, filepath.Join("..", "..", "cmd")) {
		total += n
	}
	if total >= limit {
		t.Errorf("cmd has %d non-test lines, the limit is %d: move logic into scanner", total, limit)
	}
}

// TestEvaluateSplitByJob: no non-test file of evaluate over 500 lines.
func TestEvaluateSplitByJob(t *testing.T) {
	for f, n := range goLines(t, filepath.Join("..", "..", "evaluate")) {
		if n > 500 {
			t.Errorf("%s has %d lines (limit 500): split it by job", f, n)
		}
	}
}
