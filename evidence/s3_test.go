package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/meshaudit/meshaudit/internal/s3test"
)

// failPut fails every PUT of a key ending in suffix, as a broken network
// or a full quota would.
type failPut struct {
	suffix string
	next   http.RoundTripper
}

func (f failPut) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, f.suffix) {
		return nil, errors.New("injected: connection reset by peer")
	}
	return f.next.RoundTrip(r)
}

func s3Client(t *testing.T, rt http.RoundTripper) *minio.Client {
	t.Helper()
	c, err := NewS3Client(S3ClientOptions{Transport: rt})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func objectKeys(t *testing.T, c *minio.Client, bucket, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range c.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// retention reads an object's Object Lock mode and retain-until date from
// its HEAD (the headers every S3 server sends; the gateway's GET
// ?retention body has a root element minio-go does not decode).
func retention(t *testing.T, c *minio.Client, bucket, key string) (string, time.Time) {
	t.Helper()
	info, err := c.StatObject(context.Background(), bucket, key, minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mode := info.Metadata.Get("X-Amz-Object-Lock-Mode")
	until, _ := time.Parse(time.RFC3339, info.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
	return mode, until
}

// TestS3Bundle writes a signed bundle to a real S3 server (Versity's
// gateway, Object Lock enabled): every file an object under
// PREFIX/<cluster>-<time>/, findings.jsonl among them, compliance-mode
// retention on each, the bundle verifies from the bucket (re-evaluation
// included), is never overwritten, and an edited object is named.
func TestS3Bundle(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	c := s3Client(t, nil)
	priv, pub, _ := testKeys(t, "k")
	in := shopInput(t)
	in.SignKey = priv
	st := &S3Store{Client: c, S3Location: S3Location{Bucket: srv.Bucket, Prefix: "fleet/eu"}, RetainDays: 7}
	before := time.Now()
	w, err := BuildTo(ctx, st, in)
	if err != nil {
		t.Fatal(err)
	}
	if loc, want := w.Location, "s3://"+srv.Bucket+"/fleet/eu/manifests-20261101T120005Z"; loc != want {
		t.Fatalf("location %s, want %s", loc, want)
	}
	if len(st.Notes) != 0 {
		t.Errorf("notes on a bucket with Object Lock: %v", st.Notes)
	}
	keys := objectKeys(t, c, srv.Bucket, "fleet/eu/")
	for _, f := range []string{FileManifest, FileSignature, FileReport, FileFindings, FileSnapshot, FileSARIF, FileOSCAL, FileSummary, FileExceptions} {
		found := false
		for _, k := range keys {
			found = found || k == "fleet/eu/manifests-20261101T120005Z/"+f
		}
		if !found {
			t.Errorf("no object %s in %v", f, keys)
		}
	}
	for _, k := range keys {
		mode, until := retention(t, c, srv.Bucket, k)
		if mode != "COMPLIANCE" || until.Before(before.AddDate(0, 0, 7).Add(-time.Minute)) || until.After(time.Now().AddDate(0, 0, 7).Add(time.Minute)) {
			t.Errorf("%s: retention %q until %v, want COMPLIANCE for 7 days", k, mode, until)
		}
	}

	src := S3Source{Client: c, S3Location: S3Location{Bucket: srv.Bucket, Prefix: "fleet/eu/manifests-20261101T120005Z"}}
	res, err := VerifySource(ctx, src, VerifyOptions{PubKey: pub, PolicyDigest: testDigest, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || !res.Authenticated {
		t.Fatalf("S3 bundle does not verify: %v", res.Problems)
	}
	// findings.jsonl: one line per finding, each with its cluster and time.
	jl, err := src.Read(ctx, FileFindings, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(jl))
	for sc.Scan() {
		var l FindingLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Cluster != "manifests" || l.ScanTime != "2026-11-01T12:00:05Z" || l.Rule == "" || l.Fingerprint == "" || l.Resource == "" || (l.Status != FindingOpen && l.Status != FindingExcepted) {
			t.Errorf("findings.jsonl line %d: %+v", n+1, l)
		}
		n++
	}
	if n != len(in.Report.Findings) || n == 0 {
		t.Errorf("findings.jsonl has %d lines, the report %d findings", n, len(in.Report.Findings))
	}

	// Never overwritten.
	if _, err := BuildTo(ctx, st, in); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second bundle of the same name: %v", err)
	}

	// An edited object (a new version of the key: retention keeps the old
	// version, not the key) is named.
	rep, err := src.Read(ctx, FileReport, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	rep[len(rep)/2] ^= 1
	if _, err := c.PutObject(ctx, srv.Bucket, "fleet/eu/manifests-20261101T120005Z/"+FileReport, bytes.NewReader(rep), int64(len(rep)), minio.PutObjectOptions{SendContentMd5: true}); err != nil {
		t.Fatal(err)
	}
	res, err = VerifySource(ctx, src, VerifyOptions{PubKey: pub, PolicyDigest: testDigest, ToolVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || !hasProblem(res, FileReport+":", "does not match the manifest") {
		t.Errorf("an edited report.json verified: %v", res.Problems)
	}
}

// TestS3NoObjectLock: --retain-days on a bucket without Object Lock writes
// the bundle without retention and says so.
func TestS3NoObjectLock(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	c := s3Client(t, nil)
	if err := c.MakeBucket(ctx, "plain", minio.MakeBucketOptions{Region: srv.Region}); err != nil {
		t.Fatal(err)
	}
	st := &S3Store{Client: c, S3Location: S3Location{Bucket: "plain"}, RetainDays: 30}
	w, err := BuildTo(ctx, st, shopInput(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "does not have Object Lock enabled") {
		t.Errorf("notes %v, want one saying retention was not set", st.Notes)
	}
	if loc := w.Location; loc != "s3://plain/manifests-20261101T120005Z" {
		t.Errorf("location %s", loc)
	}
	if mode, _ := retention(t, c, "plain", "manifests-20261101T120005Z/"+FileManifest); mode != "" {
		t.Errorf("retention %v set on a bucket without Object Lock", mode)
	}
}

// TestS3FailedUpload: a put that fails stops the upload before the
// manifest, names the object and the reason, and leaves no manifest (the
// objects already put are removed).
func TestS3FailedUpload(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	base, err := minio.DefaultTransport(false)
	if err != nil {
		t.Fatal(err)
	}
	c := s3Client(t, failPut{suffix: "/" + FileSARIF, next: base})
	c.SetAppInfo("meshaudit-test", "0")
	st := &S3Store{Client: c, S3Location: S3Location{Bucket: srv.Bucket, Prefix: "broken"}, RetainDays: 1}
	_, err = BuildTo(ctx, st, shopInput(t))
	if err == nil {
		t.Fatal("upload with a failing put succeeded")
	}
	if !strings.Contains(err.Error(), FileSARIF) || !strings.Contains(err.Error(), "connection reset") || !strings.Contains(err.Error(), "no "+FileManifest) {
		t.Errorf("error %q does not name the object and the reason", err)
	}
	for _, k := range objectKeys(t, s3Client(t, nil), srv.Bucket, "broken/") {
		if strings.HasSuffix(k, "/"+FileManifest) || strings.HasSuffix(k, "/"+FileSignature) {
			t.Errorf("%s left after a failed upload", k)
		}
	}
}
