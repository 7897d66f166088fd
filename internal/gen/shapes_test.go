package gen_test

import (
	"context"
	"testing"

	"github.com/meshaudit/meshaudit/collectors"
	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/internal/gen"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/snapshot"
)

// TestShapesPlanted scans every shape, from its manifests and (for the
// live-shaped ones) from its snapshot, with the whole catalog, and checks
// that each counted rule finds exactly what the generator planted; the
// messy shape must be findings-heavy (at least two findings per object) and
// the manifest repository must hold no Pods or ReplicaSets.
func TestShapesPlanted(t *testing.T) {
	if testing.Short() {
		t.Skip("scans four generated clusters")
	}
	e, _, err := evaluate.NewEmbedded(context.Background(), policies.Defaults(), "test")
	if err != nil {
		t.Fatal(err)
	}
	infra := map[string]bool{"kube-system": true, "istio-system": true}
	for _, shape := range gen.Shapes {
		t.Run(shape.Name(), func(t *testing.T) {
			c := gen.Generate(gen.Config{Objects: 1000, Seed: 7, Shape: shape})
			kinds := map[string]int{}
			for _, k := range c.Summary() {
				kinds[k.Kind] = k.Count
			}
			if shape == gen.ShapeManifests && kinds["Pod"]+kinds["ReplicaSet"] > 0 {
				t.Errorf("manifest repository holds %d Pods and %d ReplicaSets", kinds["Pod"], kinds["ReplicaSet"])
			}
			if shape == gen.ShapeManifests && kinds["ConfigMap"] < kinds["Deployment"] {
				t.Errorf("manifest repository: %d ConfigMaps for %d Deployments", kinds["ConfigMap"], kinds["Deployment"])
			}
			if shape == gen.ShapePolicy && kinds["AuthorizationPolicy"] < 3*kinds["Deployment"] {
				t.Errorf("policy-heavy: %d AuthorizationPolicies for %d Deployments", kinds["AuthorizationPolicy"], kinds["Deployment"])
			}
			for _, want := range c.Expected {
				if want == 0 {
					t.Errorf("a counted rule has nothing planted: %v", c.Expected)
				}
			}
			dir := t.TempDir()
			if _, err := c.WriteManifests(dir); err != nil {
				t.Fatal(err)
			}
			s := collectors.FromFiles(collectors.FileOptions{Paths: []string{dir}, Namespace: "default", Cluster: "test", RootNamespace: "istio-system"})
			if len(s.ParseErrors) > 0 {
				t.Fatalf("parse errors: %v", s.ParseErrors)
			}
			inputs := map[string]*snapshot.Snapshot{"manifests": s}
			if shape != gen.ShapeManifests {
				inputs["snapshot"] = c.Snapshot("test")
			}
			for name, s := range inputs {
				rep, err := e.Evaluate(context.Background(), s)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]int{}
				for _, f := range rep.Findings {
					got[f.RuleID]++
				}
				for id, want := range c.Expected {
					if got[id] != want {
						t.Errorf("%s: %s has %d findings, want %d (planted)", name, id, got[id], want)
					}
				}
				// Findings per object of the application namespaces (the
				// infrastructure is the same in every shape).
				appObjects, appFindings := 0, 0
				for _, o := range s.Objects {
					if o.Namespace != "" && !infra[o.Namespace] {
						appObjects++
					}
				}
				for _, f := range rep.Findings {
					if f.Resource.Namespace != "" && !infra[f.Resource.Namespace] {
						appFindings++
					}
				}
				perObject := float64(appFindings) / float64(appObjects)
				t.Logf("%s: %d objects, %d findings; application namespaces: %d objects, %d findings (%.2f per object)", name, len(s.Objects), len(rep.Findings), appObjects, appFindings, perObject)
				if shape == gen.ShapeMessy && perObject < 2 {
					t.Errorf("%s: %.2f findings per application object, want a findings-heavy cluster (at least 2)", name, perObject)
				}
			}
		})
	}
}
