package meshaudit.rules.pod_01_test

import data.meshaudit.lib
import data.meshaudit.rules.pod_01
import rego.v1

namespace(name, lbls) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": lbls}}

psa(level) := {"pod-security.kubernetes.io/enforce": level}

nsres(n) := {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": n}

inp(objs) := {"cluster": "c1", "source": "manifests", "objects": objs}

deploy(ns) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "r/app:1"}]}}},
}

baseline_params := object.union(lib.params, {"pod_security_level": "baseline"})

test_restricted_passes if {
	count(pod_01.deny) == 0 with input as inp({"Namespace": [namespace("shop", psa("restricted"))]})
}

test_missing_label_fails if {
	pod_01.deny == {{
		"msg": "namespace \"shop\" has no pod-security.kubernetes.io/enforce label, so Pod Security admission enforces no level there (want restricted)",
		"resource": nsres("shop"),
	}} with input as inp({"Namespace": [namespace("shop", {"pod-security.kubernetes.io/warn": "restricted"})]})
}

test_baseline_below_restricted_fails if {
	pod_01.deny == {{
		"msg": "namespace \"shop\" has pod-security.kubernetes.io/enforce=baseline, below the required level (want restricted)",
		"resource": nsres("shop"),
	}} with input as inp({"Namespace": [namespace("shop", psa("baseline"))]})
}

test_baseline_required_accepts_baseline_and_restricted if {
	count(pod_01.deny) == 0 with input as inp({"Namespace": [namespace("a", psa("baseline")), namespace("b", psa("restricted"))]})
		with data.meshaudit.params as baseline_params
}

test_baseline_required_privileged_fails if {
	pod_01.deny == {{
		"msg": "namespace \"a\" has pod-security.kubernetes.io/enforce=privileged, below the required level (want baseline or restricted)",
		"resource": nsres("a"),
	}} with input as inp({"Namespace": [namespace("a", psa("privileged"))]})
		with data.meshaudit.params as baseline_params
}

test_invalid_value_fails if {
	pod_01.deny == {{
		"msg": "namespace \"a\" has pod-security.kubernetes.io/enforce=\"Restricted\", which is not a Pod Security level (privileged, baseline, restricted; case-sensitive) (want restricted)",
		"resource": nsres("a"),
	}} with input as inp({"Namespace": [namespace("a", psa("Restricted"))]})
}

test_implied_namespace_reported_once if {
	pod_01.deny == {{
		"msg": "namespace \"shop\" (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels) has no pod-security.kubernetes.io/enforce label, so Pod Security admission enforces no level there (want restricted)",
		"resource": nsres("shop"),
	}} with input as inp({"Deployment": [deploy("shop"), object.union(deploy("shop"), {"metadata": {"name": "api"}})]})
}

test_implied_namespace_labels_from_params if {
	count(pod_01.deny) == 0 with input as inp({"Deployment": [deploy("shop")]})
		with data.meshaudit.params.namespace_labels as {"shop": psa("restricted")}
}

test_root_and_excluded_not_judged if {
	count(pod_01.deny) == 0 with input as inp({
		"Namespace": [namespace("istio-system", {}), namespace("kube-system", {})],
		"Deployment": [deploy("kube-public")],
	})
}

test_excluded_param_respected if {
	p := object.union(lib.params, {"excluded_namespaces": ["legacy"]})
	count(pod_01.deny) == 0 with input as inp({"Namespace": [namespace("legacy", {})]})
		with data.meshaudit.params as p
}

test_no_labels_object if {
	n := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bare"}}
	count(pod_01.deny) == 1 with input as inp({"Namespace": [n]})
}
