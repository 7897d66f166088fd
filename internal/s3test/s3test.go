// Package s3test starts a real S3-compatible server for tests: Versity's
// gateway, through hack/s3-server.sh (built once from the Go module proxy
// into a cache folder), on a loopback port with its data in a test's
// temporary folder and bucket meshaudit-evidence created with Object Lock
// enabled.
package s3test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Server is a running test server.
type Server struct {
	Endpoint, AccessKey, SecretKey, Region, Bucket string
}

// Start starts a server for the test, sets the AWS_* variables a client
// reads (t.Setenv: not for parallel tests) and stops it when the test
// ends. When the server cannot be built or started the test fails in CI
// (CI set) and is skipped elsewhere, saying why.
func Start(t testing.TB) *Server {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "hack", "s3-server.sh")
	dir := t.TempDir()
	cmd := exec.Command("bash", script, "start", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := fmt.Sprintf("cannot start the S3 test server (hack/s3-server.sh start): %v\n%s", err, stderr.String())
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("bash", script, "stop", dir).CombinedOutput(); err != nil {
			t.Logf("s3-server stop: %v: %s", err, out)
		}
	})
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "export "), "=")
		if ok {
			env[k] = v
		}
	}
	s := &Server{Endpoint: env["AWS_ENDPOINT_URL"], AccessKey: env["AWS_ACCESS_KEY_ID"], SecretKey: env["AWS_SECRET_ACCESS_KEY"], Region: env["AWS_REGION"], Bucket: env["MESHAUDIT_S3_BUCKET"]}
	if s.Endpoint == "" || s.AccessKey == "" || s.Bucket == "" {
		t.Fatalf("hack/s3-server.sh start printed no endpoint, keys or bucket:\n%s", out)
	}
	for _, k := range []string{"AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_ENDPOINT_URL", s.Endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", s.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.SecretKey)
	t.Setenv("AWS_REGION", s.Region)
	return s
}
