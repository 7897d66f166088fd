package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/fleet"
	"github.com/meshaudit/meshaudit/internal/s3test"
)

// TestFleetS3 is the fleet story end to end against a real S3 server:
// three clusters' scans write signed bundles to s3://, with Object Lock
// retention; fleet names all three; one byte flipped in one bundle's
// object makes fleet name that bundle, leave it out and exit 1, and
// verify s3:// fail on it.
func TestFleetS3(t *testing.T) {
	srv := s3test.Start(t)
	keys := filepath.Join(t.TempDir(), "audit")
	if code, _, stderr := run(t, "", "keygen", "--out", keys); code != 0 {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	prefix := "s3://" + srv.Bucket + "/prod"
	var bundles []string
	for _, c := range []string{"eu-1", "us-1", "ap-1"} {
		code, _, stderr := run(t, "", "scan", "-f", "examples/shop", "--cluster-name", c, "--evidence-dir", prefix, "--retain-days", "2", "--sign-key", keys+".key", "-o", "json=/dev/null")
		if code != ExitFindings {
			t.Fatalf("scan %s: exit %d: %s", c, code, stderr)
		}
		i := strings.Index(stderr, "evidence bundle s3://")
		if i < 0 {
			t.Fatalf("scan %s names no bundle: %s", c, stderr)
		}
		bundles = append(bundles, strings.Fields(stderr[i+len("evidence bundle "):])[0])
	}
	code, stdout, stderr := run(t, "", "fleet", "--from", prefix, "--pub-key", keys+".pub", "-o", "json")
	if code != 0 {
		t.Fatalf("fleet: exit %d: %s", code, stderr)
	}
	var rep fleet.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range rep.Clusters {
		names = append(names, c.Name)
		if !c.Authenticated || c.ManifestSHA256 == "" || c.Controls["fail"] == 0 {
			t.Errorf("cluster %+v", c)
		}
	}
	if strings.Join(names, ",") != "ap-1,eu-1,us-1" || len(rep.Failed) != 0 || rep.Summary.BundlesRead != 3 {
		t.Fatalf("fleet clusters %v, failed %v, read %d", names, rep.Failed, rep.Summary.BundlesRead)
	}
	for _, row := range rep.Controls {
		if row.ID == "SC-8" && (len(row.Clusters) != 3 || row.Counts["fail"] != 3) {
			t.Errorf("SC-8 row %+v", row)
		}
	}

	// One flipped byte in us-1's report.sarif (a new version of the key:
	// retention protects versions, not keys).
	loc, err := evidence.ParseS3URL(bundles[1])
	if err != nil {
		t.Fatal(err)
	}
	client, err := evidence.NewS3Client(evidence.S3ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := evidence.S3Source{Client: client, S3Location: loc}.Read(ctx, evidence.FileSARIF, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0x20
	if _, err := client.PutObject(ctx, loc.Bucket, loc.Key(evidence.FileSARIF), bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{SendContentMd5: true}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run(t, "", "fleet", "--from", prefix, "--pub-key", keys+".pub", "-o", "table")
	if code != ExitVerifyFailed {
		t.Fatalf("fleet with an edited bundle: exit %d, want %d: %s", code, ExitVerifyFailed, stderr)
	}
	if !strings.Contains(stdout, "FAILED (left out): "+bundles[1]) || !strings.Contains(stdout, "report.sarif: SHA-256") || !strings.Contains(stderr, bundles[1]) {
		t.Errorf("the edited bundle is not named:\n%s\n%s", stdout, stderr)
	}
	if strings.Contains(stdout, "\nus-1 ") || !strings.Contains(stdout, "\nap-1 ") || !strings.Contains(stdout, "\neu-1 ") {
		t.Errorf("the roll-up should hold ap-1 and eu-1 only:\n%s", stdout)
	}
	if code, stdout, _ := run(t, "", "verify", bundles[1], "--pub-key", keys+".pub"); code != ExitVerifyFailed || !strings.Contains(stdout, "report.sarif") {
		t.Errorf("verify %s: exit %d\n%s", bundles[1], code, stdout)
	}
	if code, stdout, _ := run(t, "", "verify", bundles[0], "--pub-key", keys+".pub"); code != 0 {
		t.Errorf("verify %s: exit %d\n%s", bundles[0], code, stdout)
	}
}
