package output_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/snapshot"
)

// TestNamesInReports: a file name holding control characters reaches no
// terminal raw, and its SARIF URI is percent-encoded.
func TestNamesInReports(t *testing.T) {
	// In the reports: no raw escape in the table, an encoded URI in SARIF.
	rep, cat := fixture(t)
	rep.ParseErrors = []snapshot.ParseError{{File: "x/\x1b[2Jevil.yaml", Line: 1, Reason: "invalid YAML"}}
	rep.Findings[0].File = "my dir/\x1b]0;title\x07.yaml"
	var tb, sb bytes.Buffer
	if err := output.Table(&tb, []*report.Report{rep}, cat); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(tb.String(), "\x1b\x07") {
		t.Error("the table holds a raw control character")
	}
	if err := output.SARIF(&sb, []*report.Report{rep}, cat); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				Locations []struct {
					PhysicalLocation *struct{ ArtifactLocation struct{ URI string } }
				}
			}
		}
	}
	json.Unmarshal(sb.Bytes(), &doc)
	found := false
	for _, r := range doc.Runs[0].Results {
		for _, l := range r.Locations {
			if l.PhysicalLocation != nil && l.PhysicalLocation.ArtifactLocation.URI == "my%20dir/%1B%5D0%3Btitle%07.yaml" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("SARIF URI not percent-encoded:\n%s", sb.String())
	}
}
