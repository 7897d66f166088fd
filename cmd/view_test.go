package cmd

import (
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

func TestSnapshotOutputSpelling(t *testing.T) {
	code, _, stderr := run(t, "", "snapshot", "-f", "examples/shop", "-o", "snap.json")
	if code != ExitUsage || !strings.Contains(stderr, "-o snapshot=snap.json") {
		t.Errorf("old spelling: %d %s", code, stderr)
	}
	code, out, _ := run(t, "", "snapshot", "-f", "examples/shop", "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"schemaVersion": "meshaudit.io/snapshot/v1"`) {
		t.Errorf("-o json: %d", code)
	}
}

// TestOwnTablesFitColumns: the tables of rules and controls fit $COLUMNS
// (on a pipe); -o wide does not wrap them.
func TestOwnTablesFitColumns(t *testing.T) {
	t.Setenv("COLUMNS", "64")
	for _, c := range []string{"rules", "controls"} {
		_, out, _ := run(t, "", c)
		if w := widest(out); w > 64 {
			t.Errorf("%s table is %d wide at COLUMNS=64", c, w)
		}
		if _, out, _ = run(t, "", c, "-o", "wide"); widest(out) <= 64 {
			t.Errorf("%s -o wide is %d wide", c, widest(out))
		}
	}
}

func widest(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, runewidth.StringWidth(l))
	}
	return w
}
