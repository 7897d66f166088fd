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

// TestNotices: notices (skipped, duplicate, validity) appear in the table,
// in JSON and as SARIF tool notifications located in their file and line,
// never as results.
func TestNotices(t *testing.T) {
	rep, cat := fixture(t)
	rep.Notices = []snapshot.Notice{
		{Kind: snapshot.NoticeSkipped, File: ".github/workflows/ci.yaml", Message: "not read as manifests: a CI workflow"},
		{Kind: snapshot.NoticeDuplicate, File: "istio/reviews-v2.yaml", Line: 1, Object: "VirtualService/shop/reviews", Message: "defined twice: at istio/reviews-v1.yaml:2 and here; this later definition is judged"},
		{Kind: snapshot.NoticeValidity, File: "istio/pa.yaml", Line: 7, Object: "PeerAuthentication/shop/default", Field: "spec.mtsl", Message: `unknown field "mtsl"`},
	}
	reps := []*report.Report{rep}
	// -o wide: nothing wrapped, so each location reads whole (the default
	// table wraps cells to the terminal's width).
	wide, err := output.Options{}.Lookup("wide")
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := wide(&table, reps, cat); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Notices: 3 (they change no verdict)", ".github/workflows/ci.yaml", "istio/reviews-v2.yaml:1", "istio/pa.yaml:7", `spec.mtsl: unknown field "mtsl"`} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	var js bytes.Buffer
	if err := output.JSON(&js, reps, cat); err != nil {
		t.Fatal(err)
	}
	var doc struct{ Notices []snapshot.Notice }
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || len(doc.Notices) != 3 || doc.Notices[2].Field != "spec.mtsl" {
		t.Errorf("json notices: %+v %v", doc.Notices, err)
	}
	var sarif bytes.Buffer
	if err := output.SARIF(&sarif, reps, cat); err != nil {
		t.Fatal(err)
	}
	if s := sarifSchemaIfPresent(t); s != nil {
		validateSARIF(t, s, sarif.Bytes())
	}
	var log struct {
		Runs []struct {
			Results     []json.RawMessage
			Invocations []struct {
				ToolExecutionNotifications []struct {
					Level     string
					Message   struct{ Text string }
					Locations []struct {
						PhysicalLocation struct {
							ArtifactLocation struct{ URI string }
							Region           *struct{ StartLine int }
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(sarif.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, n := range log.Runs[0].Invocations[0].ToolExecutionNotifications {
		if !strings.Contains(n.Message.Text, " notice: ") {
			continue
		}
		found++
		if len(n.Locations) != 1 {
			t.Errorf("notification without location: %+v", n)
			continue
		}
		loc := n.Locations[0].PhysicalLocation
		if strings.HasPrefix(n.Message.Text, "validity") && (n.Level != "warning" || loc.ArtifactLocation.URI != "istio/pa.yaml" || loc.Region == nil || loc.Region.StartLine != 7) {
			t.Errorf("validity notification: %+v", n)
		}
	}
	if found != 3 || len(log.Runs[0].Results) != len(rep.Findings) {
		t.Errorf("%d notice notifications, %d results", found, len(log.Runs[0].Results))
	}
}
