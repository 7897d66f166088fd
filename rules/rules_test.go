package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/rules/internal/nistgen"
)

func updateGolden() bool { return os.Getenv("MESHAUDIT_UPDATE_GOLDEN") != "" }

// TestNISTTableUpToDate regenerates the control table from ../shared/nist.
func TestNISTTableUpToDate(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "nist")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must have ../shared beside the checkout: %v", err)
		}
		t.Skipf("skipped: %s is not beside this checkout (CI always has it)", dir)
	}
	got, err := nistgen.Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, nistJSON) {
		t.Fatal("rules/nist_controls.gen.json is stale: run go generate ./rules")
	}
	if c, ok, _ := NISTControl("SC-8(1)"); !ok || c.Family != "System and Communications Protection" || strings.Join(c.Baselines, ",") != "MODERATE,HIGH" {
		t.Fatalf("SC-8(1) = %+v", c)
	}
}
