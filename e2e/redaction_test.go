package e2e

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Canaries: none of these may reach a snapshot or a report.
const (
	canarySecret      = "CANARY-secret-data-5f1c2e"
	canarySecretStr   = "CANARY-secret-stringdata-77ab01"
	canaryConfigMap   = "CANARY-configmap-data-9d4e1a"
	canaryBinaryData  = "CANARY-configmap-binarydata-03c9"
	canaryMeshExtra   = "CANARY-mesh-configmap-other-key-c0ffee"
	canaryInjector    = "CANARY-root-configmap-not-mesh-4b2d"
	canaryEnv         = "CANARY-deployment-env-value-a7e3"
	canaryInitEnv     = "CANARY-init-container-env-value-61bd"
	canaryPodEnv      = "CANARY-pod-env-value-2c8f"
	canaryCronEnv     = "CANARY-cronjob-env-value-e519"
	canaryLastApplied = "CANARY-last-applied-configuration-d00d"
	canaryManager     = "canary-field-manager-b16b00b5"
	// Container args may carry credentials (--token=...): redacted too.
	canaryArg = "CANARY-container-arg-1e7a"
)

func canaryObjects() []*unstructured.Unstructured {
	lastApplied := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"canary-secret"},"stringData":{"token":"` + canaryLastApplied + `"}}`
	meta := func(name string, ann bool) map[string]any {
		m := map[string]any{"name": name, "namespace": "canary", "labels": map[string]any{"app": name}}
		if ann {
			m["annotations"] = map[string]any{snapshot.LastApplied: lastApplied}
		}
		return m
	}
	container := func(env string) map[string]any {
		return map[string]any{
			"name": "app", "image": "registry.example/app:1.0",
			"args": []any{"--flag=" + canaryArg},
			"env": []any{
				map[string]any{"name": "TOKEN", "value": env},
				map[string]any{"name": "FROM_SECRET", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "canary-secret", "key": "token"}}},
			},
		}
	}
	podSpec := func(env string, restart string) map[string]any {
		s := map[string]any{"containers": []any{container(env)}}
		if restart != "" {
			s["restartPolicy"] = restart
		}
		return s
	}
	dep := podSpec(canaryEnv, "")
	init := container(canaryInitEnv)
	init["name"] = "init"
	dep["initContainers"] = []any{init}
	objs := []map[string]any{
		{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "canary", "annotations": map[string]any{snapshot.LastApplied: lastApplied}}},
		{"apiVersion": "v1", "kind": "Secret", "metadata": meta("canary-secret", true), "type": "Opaque",
			"data":       map[string]any{"token": base64.StdEncoding.EncodeToString([]byte(canarySecret))},
			"stringData": map[string]any{"other": canarySecretStr}},
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta("canary-config", true),
			"data":       map[string]any{"config.yaml": "password: " + canaryConfigMap},
			"binaryData": map[string]any{"blob": base64.StdEncoding.EncodeToString([]byte(canaryBinaryData))}},
		// The mesh ConfigMap: only its mesh keys are kept.
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "istio", "namespace": rootNamespace, "annotations": map[string]any{snapshot.LastApplied: lastApplied}},
			"data": map[string]any{"mesh": "outboundTrafficPolicy:\n  mode: REGISTRY_ONLY\n", "extra": canaryMeshExtra}},
		// A root-namespace ConfigMap that is not mesh config: never read.
		{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "istio-sidecar-injector", "namespace": rootNamespace},
			"data": map[string]any{"config": canaryInjector}},
		{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("canary-app", true),
			"spec": map[string]any{
				"selector": map[string]any{"matchLabels": map[string]any{"app": "canary-app"}},
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "canary-app"}}, "spec": dep},
			}},
		{"apiVersion": "v1", "kind": "Pod", "metadata": meta("canary-pod", true), "spec": podSpec(canaryPodEnv, "")},
		{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta("canary-cron", true),
			"spec": map[string]any{"schedule": "0 * * * *", "jobTemplate": map[string]any{"spec": map[string]any{
				"template": map[string]any{"spec": podSpec(canaryCronEnv, "OnFailure")},
			}}}},
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		out = append(out, &unstructured.Unstructured{Object: o})
	}
	return out
}

// secretCanaries are every planted secret, raw and base64-encoded.
func secretCanaries() []string {
	raw := []string{canarySecret, canarySecretStr, canaryConfigMap, canaryBinaryData, canaryMeshExtra, canaryInjector,
		canaryEnv, canaryInitEnv, canaryPodEnv, canaryCronEnv, canaryLastApplied, canaryManager, canaryArg}
	out := append([]string{}, raw...)
	for _, c := range raw {
		out = append(out, base64.StdEncoding.EncodeToString([]byte(c)))
	}
	return out
}

func assertNoCanary(t *testing.T, what string, data []byte) {
	t.Helper()
	if len(data) == 0 {
		t.Errorf("%s is empty", what)
	}
	for _, c := range secretCanaries() {
		if bytes.Contains(data, []byte(c)) {
			t.Errorf("%s contains canary %q", what, c)
		}
	}
}

// TestRedaction plants canaries in Secret data, ConfigMap data (outside the
// mesh config, and a non-mesh key of the mesh ConfigMap), env values (pod,
// init container, Deployment and CronJob templates), the
// last-applied-configuration annotation and managedFields (the field
// manager's name), then asserts no byte of the live snapshot (with and
// without --secret-names) or of any report format holds one.
func TestRedaction(t *testing.T) {
	c := needCluster(t)
	c.applyAs(t, canaryManager, canaryObjects())
	dir := t.TempDir()

	var snaps = map[string]*snapshot.Snapshot{}
	for _, sn := range []struct {
		name string
		args []string
	}{
		{"snapshot.json", nil},
		{"snapshot-secret-names.json", []string{"--secret-names"}},
	} {
		path := filepath.Join(dir, sn.name)
		args := append([]string{"snapshot", "--kubeconfig", c.kubeconfig, "-o", "snapshot=" + path}, sn.args...)
		code, stdout, stderr := cli(t, args...)
		if code != 0 {
			t.Fatalf("%v exited %d; stderr:\n%s", args, code, stderr)
		}
		assertNoCanary(t, "snapshot stderr+stdout "+sn.name, []byte(stdout+stderr+" "))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		assertNoCanary(t, sn.name, b)
		s, err := snapshot.Read(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", sn.name, err)
		}
		snaps[sn.name] = s
		if bytes.Contains(b, []byte(snapshot.LastApplied)) {
			t.Errorf("%s holds the last-applied-configuration annotation", sn.name)
		}
		if bytes.Contains(b, []byte(`"managedFields"`)) {
			t.Errorf("%s holds managedFields", sn.name)
		}
		if bytes.Contains(b, []byte(canaryArg)) {
			t.Errorf("%s holds the container-arg canary", sn.name)
		}
		if !bytes.Contains(b, []byte(`"--flag=`+snapshot.Redacted+`"`)) {
			t.Errorf("%s: the redacted arg lost its flag name", sn.name)
		}
	}

	// Positive controls: the canary objects were collected, redacted.
	plain := snaps["snapshot.json"]
	checkAllCollected(t, plain.Kinds)
	byRef := map[string]snapshot.Object{}
	for _, o := range plain.Objects {
		byRef[objRef(o)] = o
		if o.Kind == "Secret" {
			t.Errorf("Secret %s/%s in a snapshot without --secret-names", o.Namespace, o.Name)
		}
		if o.Kind == "ConfigMap" && !(o.Namespace == rootNamespace && o.Name == "istio") {
			t.Errorf("ConfigMap %s/%s collected (only mesh ConfigMaps may be)", o.Namespace, o.Name)
		}
	}
	for _, k := range plain.Kinds {
		if k.Kind == "Secret" {
			t.Errorf("Secret kind status without --secret-names: %+v", k)
		}
	}
	dep, ok := byRef["Deployment canary/canary-app"]
	if !ok {
		t.Fatal("Deployment canary/canary-app not in the snapshot")
	}
	containers, _, _ := unstructured.NestedSlice(dep.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("Deployment canary-app: %d containers", len(containers))
	}
	env, _, _ := unstructured.NestedSlice(containers[0].(map[string]any), "env")
	if len(env) != 2 {
		t.Fatalf("Deployment canary-app env: %v", env)
	}
	if v := env[0].(map[string]any)["value"]; v != snapshot.Redacted {
		t.Errorf("Deployment env value %v, want the marker %q", v, snapshot.Redacted)
	}
	if _, ok := env[1].(map[string]any)["valueFrom"]; !ok {
		t.Errorf("Deployment env valueFrom dropped: %v", env[1])
	}
	for _, ref := range []string{"Pod canary/canary-pod", "CronJob canary/canary-cron", "Namespace /canary"} {
		if _, ok := byRef[ref]; !ok {
			t.Errorf("%s not in the snapshot", ref)
		}
	}
	mesh, ok := byRef["ConfigMap istio-system/istio"]
	if !ok {
		t.Fatal("mesh ConfigMap istio-system/istio not in the snapshot")
	}
	data, _, _ := unstructured.NestedStringMap(mesh.Object, "data")
	if _, ok := data["mesh"]; !ok || len(data) != 1 {
		t.Errorf("mesh ConfigMap data keys %v, want [mesh]", data)
	}
	withNames := snaps["snapshot-secret-names.json"]
	found := false
	for _, o := range withNames.Objects {
		if o.Kind == "Secret" && o.Namespace == "canary" && o.Name == "canary-secret" {
			found = true
			if len(o.Object) > 3 { // apiVersion, kind, metadata
				t.Errorf("Secret with --secret-names holds more than metadata: %v", o.Object)
			}
		}
	}
	if !found {
		t.Error("--secret-names: Secret canary/canary-secret not listed")
	}

	// Every report format, from the live cluster and from the snapshot.
	for _, src := range [][]string{
		{"--kubeconfig", c.kubeconfig, "--secret-names"},
		{"--snapshot", filepath.Join(dir, "snapshot-secret-names.json")},
	} {
		files := map[string]string{}
		args := append([]string{"scan", "--fail-on", "none"}, src...)
		for _, f := range []string{"json", "sarif", "table"} {
			files[f] = filepath.Join(dir, "report."+f)
			args = append(args, "-o", f+"="+files[f])
		}
		code, stdout, stderr := cli(t, args...)
		if code != 0 {
			t.Errorf("%v exited %d; stderr:\n%s", args, code, stderr)
		}
		assertNoCanary(t, "scan stdout+stderr", []byte(stdout+stderr+" "))
		for f, path := range files {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			assertNoCanary(t, src[0]+" report "+f, b)
			if !bytes.Contains(b, []byte("canary-app")) {
				t.Logf("%s report %s does not mention canary-app", src[0], f)
			}
		}
	}
}
