package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshaudit/meshaudit/rules/catalog"

	"github.com/meshaudit/meshaudit/report"

	"k8s.io/client-go/rest"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

const rootNamespace = "istio-system"

var (
	engineOnce sync.Once
	engineVal  *evaluate.Engine
	catalogVal *rules.Catalog
	engineErr  error
)

// engine is the embedded rule set with default parameters, built once.
func engine(t *testing.T) (*evaluate.Engine, *rules.Catalog) {
	t.Helper()
	engineOnce.Do(func() {
		if catalogVal, engineErr = catalog.Embedded(); engineErr != nil {
			return
		}
		mods, err := policies.Modules(false)
		if err != nil {
			engineErr = err
			return
		}
		params, err := policies.Defaults().Merge(testParams)
		if err != nil {
			engineErr = err
			return
		}
		engineVal, engineErr = evaluate.New(context.Background(), catalogVal, mods, params, "e2e")
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engineVal, catalogVal
}

func evaluateSnap(t *testing.T, s *snapshot.Snapshot) *report.Report {
	t.Helper()
	eng, _ := engine(t)
	rep, err := eng.Evaluate(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// liveSnapshot collects the cluster the config points at, through the
// library (the CLI tests go through cmd.Execute).
func liveSnapshot(t *testing.T, cfg *rest.Config, cluster string, secretNames bool) *snapshot.Snapshot {
	t.Helper()
	clients, err := collectors.NewClients(cfg, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := collectors.FromCluster(ctx, clients, collectors.LiveOptions{
		Cluster: cluster, RootNamespace: rootNamespace, ToolVersion: "e2e", SecretNames: secretNames,
		KindTimeout: 30 * time.Second,
	})
	if err != nil {
		t.Fatalf("live collection: %v", err)
	}
	return s
}

func fileSnapshot(t *testing.T, paths ...string) *snapshot.Snapshot {
	t.Helper()
	s := collectors.FromFiles(collectors.FileOptions{Paths: paths, Namespace: "default", Cluster: "manifests", RootNamespace: rootNamespace, ToolVersion: "e2e"})
	for _, pe := range s.ParseErrors {
		t.Errorf("file scan: parse error %+v", pe)
	}
	return s
}

// pair is a finding's identity across live and file scans: rule id and
// Kind ns/name (as in testdata/scenarios/*/expected.txt).
func pair(f report.Finding) string {
	name := f.Resource.Name
	if f.Resource.Namespace != "" {
		name = f.Resource.Namespace + "/" + name
	}
	return fmt.Sprintf("%s %s %s", f.RuleID, f.Resource.Kind, name)
}

func pairs(fs []report.Finding) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		out[pair(f)] = true
	}
	return out
}

// messages of a report's findings, by pair, for failure details.
func messages(fs []report.Finding) map[string][]string {
	out := map[string][]string{}
	for _, f := range fs {
		out[pair(f)] = append(out[pair(f)], f.Message)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// objRef identifies a snapshot object: kind key and ns/name.
func objRef(o snapshot.Object) string { return o.Key() + " " + o.Namespace + "/" + o.Name }

func refs(s *snapshot.Snapshot) map[string]bool {
	out := map[string]bool{}
	for _, o := range s.Objects {
		out[objRef(o)] = true
	}
	return out
}

// kindStatuses maps kind key to status.
func kindStatuses(kinds []snapshot.KindStatus) map[string]snapshot.KindStatus {
	out := map[string]snapshot.KindStatus{}
	for _, k := range kinds {
		out[k.Kind] = k
	}
	return out
}

// gatewayAPIKind: Gateway API kinds are absent here (no CRDs installed).
func gatewayAPIKind(key string) bool { return strings.HasSuffix(key, ".gateway.networking.k8s.io") }

// checkAllCollected asserts every live kind was collected (Gateway API
// kinds may be absent: their CRDs are not installed).
func checkAllCollected(t *testing.T, kinds []snapshot.KindStatus) {
	t.Helper()
	st := kindStatuses(kinds)
	for _, k := range collectors.LiveKinds {
		ks, ok := st[k.Key()]
		switch {
		case !ok:
			t.Errorf("kind %s: no status", k.Key())
		case ks.Status == snapshot.StatusCollected:
		case ks.Status == snapshot.StatusAbsent && gatewayAPIKind(k.Key()):
		default:
			t.Errorf("kind %s: %s (%s), want collected", k.Key(), ks.Status, ks.Reason)
		}
	}
}

func readReport(t *testing.T, path string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &rep
}
