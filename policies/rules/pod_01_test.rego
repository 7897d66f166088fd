package meshaudit.rules.pod_01_test

import data.meshaudit.lib
import data.meshaudit.rules.pod_01
import data.meshaudit.testlib
import rego.v1

psa(level) := {"pod-security.kubernetes.io/enforce": level}

deploy(ns) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

baseline_params := object.union(lib.params, {"pod_security_level": "baseline"})

test_restricted_passes if {
	count(pod_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("shop", psa("restricted"))]})
}

test_missing_label_fails if {
	testlib.strip(pod_01.deny) == {{
		"msg": "namespace \"shop\" has no pod-security.kubernetes.io/enforce label, so Pod Security admission enforces no level there (want restricted)",
		"resource": testlib.namespace_ref("shop"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("shop", {"pod-security.kubernetes.io/warn": "restricted"})]})
}

test_baseline_below_restricted_fails if {
	testlib.strip(pod_01.deny) == {{
		"msg": "namespace \"shop\" has pod-security.kubernetes.io/enforce=baseline, below the required level (want restricted)",
		"resource": testlib.namespace_ref("shop"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("shop", psa("baseline"))]})
}

test_baseline_required_accepts_baseline_and_restricted if {
	count(pod_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("a", psa("baseline")), testlib.namespace("b", psa("restricted"))]})
		with data.meshaudit.params as baseline_params
}

test_baseline_required_privileged_fails if {
	testlib.strip(pod_01.deny) == {{
		"msg": "namespace \"a\" has pod-security.kubernetes.io/enforce=privileged, below the required level (want baseline or restricted)",
		"resource": testlib.namespace_ref("a"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("a", psa("privileged"))]})
		with data.meshaudit.params as baseline_params
}

test_invalid_value_fails if {
	testlib.strip(pod_01.deny) == {{
		"msg": "namespace \"a\" has pod-security.kubernetes.io/enforce=\"Restricted\", which is not a Pod Security level (privileged, baseline, restricted; case-sensitive) (want restricted)",
		"resource": testlib.namespace_ref("a"),
	}} with input as testlib.inp({"Namespace": [testlib.namespace("a", psa("Restricted"))]})
}

test_implied_namespace_reported_once if {
	testlib.strip(pod_01.deny) == {{
		"msg": "namespace \"shop\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) has no pod-security.kubernetes.io/enforce label, so Pod Security admission enforces no level there (want restricted)",
		"resource": testlib.namespace_ref("shop"),
	}} with input as testlib.inp({"Deployment": [deploy("shop"), object.union(deploy("shop"), {"metadata": {"name": "api"}})]})
}

test_implied_namespace_labels_from_params if {
	count(pod_01.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop")]})
		with data.meshaudit.params.namespace_labels as {"shop": psa("restricted")}
}

test_root_and_excluded_not_judged if {
	count(pod_01.deny) == 0 with input as testlib.inp({
		"Namespace": [testlib.namespace("istio-system", {}), testlib.namespace("kube-system", {})],
		"Deployment": [deploy("kube-public")],
	})
}

test_excluded_param_respected if {
	p := object.union(lib.params, {"excluded_namespaces": ["legacy"]})
	count(pod_01.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("legacy", {})]})
		with data.meshaudit.params as p
}

test_no_labels_object if {
	n := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bare"}}
	count(pod_01.deny) == 1 with input as testlib.inp({"Namespace": [n]})
}

test_evidence_and_judged if {
	i := testlib.inp({"Namespace": [testlib.namespace("shop", psa("baseline")), testlib.namespace("ok", psa("restricted"))]})
	pod_01.deny == {{
		"msg": "namespace \"shop\" has pod-security.kubernetes.io/enforce=baseline, below the required level (want restricted)",
		"resource": testlib.namespace_ref("shop"),
		"evidence": [{"path": "metadata.labels[\"pod-security.kubernetes.io/enforce\"]", "value": "baseline"}],
	}} with input as i
	pod_01.judged == {testlib.namespace_ref("shop"), testlib.namespace_ref("ok")} with input as i
}

test_implied_namespace_evidence if {
	some f in pod_01.deny with input as testlib.inp({"Deployment": [deploy("shop")]})
	f.evidence == [{"path": "Namespace \"shop\" in the input (implied by its objects; no params.namespace_labels entry)", "value": 0}]
}

test_implied_namespace_params_evidence if {
	some f in pod_01.deny with input as testlib.inp({"Deployment": [deploy("shop")]})
		with data.meshaudit.params.namespace_labels as {"shop": psa("baseline")}
	f.evidence == [{"path": "params.namespace_labels[\"shop\"][\"pod-security.kubernetes.io/enforce\"]", "value": "baseline"}]
	contains(f.msg, "(implied: no Namespace object in the input; labels from params.namespace_labels)")
}

# Only cluster-scoped and root-namespace objects: no application namespace
# is held or implied, so nothing is judged (never `default`).
test_no_namespace_from_cluster_scoped_or_root_objects if {
	i := testlib.inp({
		"ClusterRole": [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}],
		"PeerAuthentication": [{"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {}}],
	})
	count(pod_01.deny) == 0 with input as i
	count(pod_01.judged) == 0 with input as i
}
