package snapshot_test

import (
	"slices"
	"testing"

	"github.com/meshaudit/meshaudit/snapshot"
)

func TestKeepNamespaces(t *testing.T) {
	obj := func(kind, ns, name string) snapshot.Object {
		return snapshot.Object{Kind: kind, Namespace: ns, Name: name}
	}
	s := &snapshot.Snapshot{Objects: []snapshot.Object{
		obj("Deployment", "shop", "web"),                          // kept: selected
		obj("Deployment", "payments", "api"),                      // dropped
		obj("Namespace", "", "shop"),                              // kept: a selected namespace
		obj("Namespace", "", "payments"),                          // dropped
		obj("Namespace", "", "istio-system"),                      // dropped: the root is not selected
		obj("ClusterRole", "", "admin"),                           // kept: cluster-scoped
		obj("PeerAuthentication", "istio-system", "default"),      // kept: mesh-wide policy
		obj("AuthorizationPolicy", "istio-system", "deny"),        // kept: mesh-wide policy
		obj("PeerAuthentication", "payments", "permissive"),       // dropped
		obj("ConfigMap", "istio-system", "istio"),                 // kept: mesh config
		obj("ConfigMap", "istio-system", "istio-canary"),          // kept: a revision's mesh config
		obj("ConfigMap", "istio-system", "other"),                 // dropped
		obj("Deployment", "istio-system", "istiod"),               // dropped: not mesh-wide evidence
		obj("IstioOperator", "istio-operator", "installed-state"), // kept: mesh config
		obj("Gateway", "istio-system", "public"),                  // dropped
	}}
	if n := s.KeepNamespaces([]string{"shop"}, "istio-system"); n != 7 {
		t.Errorf("dropped %d, want 7", n)
	}
	var got []string
	for _, o := range s.Objects {
		got = append(got, o.Ref().FQN())
	}
	want := []string{"Deployment/shop/web", "Namespace/shop", "ClusterRole/admin", "PeerAuthentication/istio-system/default", "AuthorizationPolicy/istio-system/deny",
		"ConfigMap/istio-system/istio", "ConfigMap/istio-system/istio-canary", "IstioOperator/istio-operator/installed-state"}
	if !slices.Equal(got, want) {
		t.Errorf("kept %v\nwant %v", got, want)
	}
	// Selecting the root namespace keeps all of it.
	s = &snapshot.Snapshot{Objects: []snapshot.Object{obj("Deployment", "istio-system", "istiod"), obj("Namespace", "", "istio-system")}}
	if s.KeepNamespaces([]string{"shop", "istio-system"}, "istio-system"); len(s.Objects) != 2 {
		t.Errorf("root namespace selected: kept %v", s.Objects)
	}
}
