# meshaudit's Rego test library: the fixtures the rules' and the library's
# tests share (issue 15). A _test.rego file, so it is loaded with the tests
# (policies.Modules(true), OPA's tester, `opa test policies/`) and never
# with the rules (policies.Modules(false): the engine, the catalog, evidence
# bundles). It defines no test_ rule of its own. Import it as
# `import data.meshaudit.testlib`; a fixture only one rule's tests need
# stays in that rule's test file.
package meshaudit.testlib

import rego.v1

# ---- inputs -----------------------------------------------------------------

# inp(objs): a manifest scan's input ({kind key: [object, ...]}).
inp(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

# live(objs): a live scan's input.
live(objs) := {"cluster": "c1", "source": "cluster", "objects": objs}

# input_from(source, objs): an input of source "manifests" or "cluster".
input_from(source, objs) := {"cluster": "c1", "source": source, "objects": objs}

# ---- findings ---------------------------------------------------------------

# strip(fs): findings without their evidence, for tests about messages and
# subjects.
strip(fs) := {object.remove(f, ["evidence"]) | some f in fs}

# ---- objects ----------------------------------------------------------------

# ref(api, kind, ns, name): a finding's resource.
ref(api, kind, ns, name) := {"apiVersion": api, "kind": kind, "namespace": ns, "name": name}

namespace(name, labels) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}

# enrolled(name): a Namespace enrolled for sidecar injection.
enrolled(name) := namespace(name, {"istio-injection": "enabled"})

namespace_ref(name) := ref("v1", "Namespace", "", name)

deployment_ref(ns, name) := ref("apps/v1", "Deployment", ns, name)

# deployment(ns, name, labels): a Deployment with pod-template labels and
# one container "app" (image r/app:1).
deployment(ns, name, labels) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {
		"metadata": {"labels": labels},
		"spec": {"containers": [{"name": "app", "image": "r/app:1"}]},
	}},
}

# mesh_cm(mesh): the default revision's mesh ConfigMap (istio in
# istio-system) with `mesh` as its data.mesh (a YAML string).
mesh_cm(mesh) := {
	"apiVersion": "v1",
	"kind": "ConfigMap",
	"metadata": {"name": "istio", "namespace": "istio-system"},
	"data": {"mesh": mesh},
}

mesh_cm_ref := ref("v1", "ConfigMap", "istio-system", "istio")

authz_policy(ns, name, spec) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "AuthorizationPolicy",
	"metadata": {"name": name, "namespace": ns},
	"spec": spec,
}

authz_policy_ref(ns, name) := ref("security.istio.io/v1", "AuthorizationPolicy", ns, name)

peer_auth(ns, name, mode) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "PeerAuthentication",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"mtls": {"mode": mode}},
}

peer_auth_ref(ns, name) := ref("security.istio.io/v1", "PeerAuthentication", ns, name)

# root_strict_pa: the mesh-wide STRICT PeerAuthentication.
root_strict_pa := peer_auth("istio-system", "default", "STRICT")

network_policy(ns, name, spec) := {
	"apiVersion": "networking.k8s.io/v1",
	"kind": "NetworkPolicy",
	"metadata": {"name": name, "namespace": ns},
	"spec": spec,
}
