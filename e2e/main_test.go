package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/meshaudit/meshaudit/cmd"
)

// k8sVersion is the control plane hack/e2e-bins.sh builds; its cache folder
// is keyed by it and the Go version.
const k8sVersion = "v1.37.2"

const missingBinaries = "e2e: control-plane binaries not found; run hack/e2e-bins.sh and set KUBEBUILDER_ASSETS=$(hack/e2e-bins.sh | tail -1)"

var (
	// shared is the cluster every test uses, with Istio's CRDs; nil when skipped.
	shared *cluster
	// istioInstall is the sidecar injector stand-in on the shared cluster.
	istioInstall *injector
	// assets is the folder holding kube-apiserver and etcd ("" = none).
	assets string
	// istioCRDs is Istio's CRD file from the istio.io/api module.
	istioCRDs string
	// workDir holds kubeconfigs and reports of the run.
	workDir string
	// configFile is the meshaudit config every CLI run of the tests uses.
	configFile string
)

// testParams are the rule parameters of every scan of the tests (CLI and
// library). envtest's API server writes no audit log, and a live scan
// cannot see that (TEL-04 would be unknown): the tests say so.
var testParams = map[string]any{"audit_logging_configured": false}

// cluster is one running control plane and an admin's clients for it.
type cluster struct {
	env        *envtest.Environment
	cfg        *rest.Config // admin (system:masters)
	kubeconfig string       // admin kubeconfig file
	dyn        dynamic.Interface
	cs         kubernetes.Interface
	mapper     *restmapper.DeferredDiscoveryRESTMapper
}

func TestMain(m *testing.M) {
	logf.SetLogger(logr.Discard())
	os.Exit(run(m))
}

func run(m *testing.M) int {
	assets = findAssets()
	if assets == "" {
		if os.Getenv("CI") != "" {
			fmt.Fprintln(os.Stderr, missingBinaries)
			fmt.Fprintln(os.Stderr, "e2e: CI is set: the end-to-end tests must run, failing")
			return 1
		}
		fmt.Fprintln(os.Stderr, missingBinaries)
		return m.Run() // every test skips with the message
	}
	var err error
	if istioCRDs, err = findIstioCRDs(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if workDir, err = os.MkdirTemp("", "meshaudit-e2e-"); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(workDir)
	configFile = filepath.Join(workDir, "meshaudit.yaml")
	if err := os.WriteFile(configFile, []byte("params:\n  audit_logging_configured: false\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	start := time.Now()
	shared, err = startCluster("main", true)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start control plane:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: control plane with Istio CRDs up in %s (%s)\n", time.Since(start).Round(100*time.Millisecond), shared.cfg.Host)
	defer func() {
		start := time.Now()
		istioInstall.close()
		if err := shared.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: stop control plane:", err)
		}
		fmt.Fprintf(os.Stderr, "e2e: control plane stopped in %s\n", time.Since(start).Round(100*time.Millisecond))
	}()
	if istioInstall, err = shared.installInjector(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// needCluster skips the test (locally) when the binaries are missing.
func needCluster(t *testing.T) *cluster {
	t.Helper()
	if shared == nil {
		t.Skip(missingBinaries)
	}
	return shared
}

func hasBinaries(dir string) bool {
	for _, b := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// findAssets: KUBEBUILDER_ASSETS when set, else hack/e2e-bins.sh's cache
// folder ($MESHAUDIT_E2E_CACHE or ~/.cache/meshaudit-e2e, then
// <k8s version>-<go version>).
func findAssets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		if hasBinaries(dir) {
			return dir
		}
		return ""
	}
	base := os.Getenv("MESHAUDIT_E2E_CACHE")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".cache", "meshaudit-e2e")
	}
	dir := filepath.Join(base, k8sVersion+"-"+runtime.Version())
	if hasBinaries(dir) {
		return dir
	}
	return ""
}

// istioAPIVersion is the istio.io/api module whose CRDs are installed.
const istioAPIVersion = "v1.32.0"

// findIstioCRDs locates kubernetes/customresourcedefinitions.gen.yaml of
// istio.io/api in the module cache (go mod download fetches it from the
// module proxy on a fresh machine).
func findIstioCRDs() (string, error) {
	out, err := exec.Command("go", "mod", "download", "-json", "istio.io/api@"+istioAPIVersion).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("go mod download istio.io/api@%s: %w", istioAPIVersion, err)
	}
	var mod struct{ Dir, Error string }
	if err := json.Unmarshal(out, &mod); err != nil {
		return "", fmt.Errorf("go mod download istio.io/api: %w", err)
	}
	if mod.Error != "" || mod.Dir == "" {
		return "", fmt.Errorf("go mod download istio.io/api@%s: %s", istioAPIVersion, mod.Error)
	}
	path := filepath.Join(mod.Dir, "kubernetes", "customresourcedefinitions.gen.yaml")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("istio CRDs: %w", err)
	}
	return path, nil
}

// startCluster starts kube-apiserver and etcd on loopback, installs Istio's
// CRDs when asked (and waits until they are Established), and writes an
// admin kubeconfig.
func startCluster(name string, withIstio bool) (*cluster, error) {
	env := &envtest.Environment{ErrorIfCRDPathMissing: true}
	if withIstio {
		env.CRDDirectoryPaths = []string{istioCRDs}
		env.CRDInstallOptions.MaxTime = 60 * time.Second
	}
	env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(assets, "etcd")}
	env.ControlPlane.Etcd.Configure().Enable("unsafe-no-fsync")
	api := env.ControlPlane.GetAPIServer()
	api.Path = filepath.Join(assets, "kube-apiserver")
	// envtest advertises the first non-loopback address by default; on
	// loopback the endpoint reconciler must be off.
	api.Configure().Set("advertise-address", "127.0.0.1").Set("endpoint-reconciler-type", "none")
	env.ControlPlaneStartTimeout = 60 * time.Second
	env.ControlPlaneStopTimeout = 30 * time.Second
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, err
	}
	c := &cluster{env: env, cfg: cfg}
	if err := c.init(name); err != nil {
		_ = c.stop()
		return nil, err
	}
	if withIstio {
		if err := c.waitEstablished(len(env.CRDs)); err != nil {
			_ = c.stop()
			return nil, err
		}
	}
	return c, nil
}

func (c *cluster) init(name string) error {
	var err error
	if c.dyn, err = dynamic.NewForConfig(c.cfg); err != nil {
		return err
	}
	if c.cs, err = kubernetes.NewForConfig(c.cfg); err != nil {
		return err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(c.cfg)
	if err != nil {
		return err
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	c.kubeconfig = filepath.Join(workDir, name+"-admin.kubeconfig")
	return os.WriteFile(c.kubeconfig, c.env.KubeConfig, 0o600)
}

func (c *cluster) stop() error { return c.env.Stop() }

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// waitEstablished waits until every *.istio.io CRD has the Established
// condition, and that there are want of them.
func (c *cluster) waitEstablished(want int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		l, err := c.dyn.Resource(crdGVR).List(ctx, metav1.ListOptions{})
		if err == nil {
			established := 0
			for _, crd := range l.Items {
				conds, _, _ := unstructuredSlice(crd.Object, "status", "conditions")
				for _, cond := range conds {
					m, _ := cond.(map[string]any)
					if m["type"] == "Established" && m["status"] == "True" {
						established++
					}
				}
			}
			if established >= want && want > 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("istio CRDs not Established after 60s (last error: %v)", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func unstructuredSlice(obj map[string]any, fields ...string) ([]any, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[f]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}

// addUser provisions a client-certificate user (groups as given, plus
// system:authenticated) and writes its kubeconfig.
func (c *cluster) addUser(t *testing.T, name string, groups ...string) (string, *rest.Config) {
	t.Helper()
	u, err := c.env.AddUser(envtest.User{Name: name, Groups: groups}, &rest.Config{QPS: 200, Burst: 400})
	if err != nil {
		t.Fatalf("add user %s: %v", name, err)
	}
	kc, err := u.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "user.kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, u.Config()
}

// cli runs meshaudit's command line in-process.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if len(args) > 0 && (args[0] == "scan" || args[0] == "snapshot") {
		args = append(args, "--config", configFile)
	}
	var out, errb bytes.Buffer
	code = cmd.Execute(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// repoPath is a path from the repository root.
func repoPath(p string) string { return filepath.Join("..", p) }
