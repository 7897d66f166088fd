package meshaudit.rules.authz_03_test

import data.meshaudit.rules.authz_03
import data.meshaudit.testlib
import rego.v1

not_ns := testlib.authz_policy("app", "not-ns", {"rules": [{"from": [{"source": {"notNamespaces": ["foo"]}}], "to": [{"operation": {"notMethods": ["DELETE"]}}]}]})

paths := testlib.authz_policy("app", "admin", {"action": "DENY", "rules": [{"to": [{"operation": {"paths": ["/admin"]}}]}]})

positive := testlib.authz_policy("app", "ok", {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/app/sa/web"]}}], "to": [{"operation": {"methods": ["GET"]}}]}]})

test_allow_with_not_fields_fails if {
	testlib.strip(authz_03.deny) == {{
		"msg": "ALLOW policy matches by negation (from.source.notNamespaces, to.operation.notMethods): every request not in the excluded list is allowed, so use positive matching in ALLOW policies and keep negation for DENY",
		"resource": testlib.authz_policy_ref("app", "not-ns"),
	}} with input as testlib.inp({"AuthorizationPolicy": [not_ns]})
}

test_when_not_values_fails if {
	p := testlib.authz_policy("app", "w", {"action": "ALLOW", "rules": [{"when": [{"key": "request.headers[x-env]", "notValues": ["prod"]}]}]})
	testlib.strip(authz_03.deny) == {{
		"msg": "ALLOW policy matches by negation (when[request.headers[x-env]].notValues): every request not in the excluded list is allowed, so use positive matching in ALLOW policies and keep negation for DENY",
		"resource": testlib.authz_policy_ref("app", "w"),
	}} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_deny_with_not_fields_passes if {
	p := testlib.authz_policy("app", "d", {"action": "DENY", "rules": [{"from": [{"source": {"notPrincipals": ["cluster.local/ns/app/sa/web"]}}]}]})
	count(authz_03.deny) == 0 with input as testlib.live({"AuthorizationPolicy": [p], "ConfigMap": [testlib.mesh_cm("pathNormalization:\n  normalization: MERGE_SLASHES\n")]})
}

test_positive_allow_passes if {
	count(authz_03.deny) == 0 with input as testlib.live({"AuthorizationPolicy": [positive]})
}

test_paths_live_default_base_fails if {
	testlib.strip(authz_03.deny) == {{
		"msg": "policy matches on to.operation.paths but MeshConfig pathNormalization is unset (Istio's default BASE), which does not merge slashes: a variant such as //admin or an encoded path is matched unnormalized; set MERGE_SLASHES or DECODE_AND_MERGE_SLASHES",
		"resource": testlib.authz_policy_ref("app", "admin"),
	}} with input as testlib.live({"AuthorizationPolicy": [paths]})
}

test_paths_manifest_none_fails if {
	testlib.strip(authz_03.deny) == {{
		"msg": "policy matches on to.operation.paths but MeshConfig pathNormalization is NONE, which does not merge slashes: a variant such as //admin or an encoded path is matched unnormalized; set MERGE_SLASHES or DECODE_AND_MERGE_SLASHES",
		"resource": testlib.authz_policy_ref("app", "admin"),
	}} with input as testlib.inp({"AuthorizationPolicy": [paths], "ConfigMap": [testlib.mesh_cm("pathNormalization:\n  normalization: NONE\n")]})
}

test_paths_merge_slashes_passes if {
	count(authz_03.deny) == 0 with input as testlib.live({"AuthorizationPolicy": [paths], "ConfigMap": [testlib.mesh_cm("pathNormalization:\n  normalization: DECODE_AND_MERGE_SLASHES\n")]})
}

# Manifests without the mesh ConfigMap: only the not* part is judged.
test_paths_manifest_without_mesh_config_not_judged if {
	count(authz_03.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [paths]})
}

# Both problems of one policy are one finding.
test_not_paths_reports_both if {
	p := testlib.authz_policy("app", "np", {"rules": [{"to": [{"operation": {"notPaths": ["/private/*"]}}]}]})
	testlib.strip(authz_03.deny) == {{
		"msg": "ALLOW policy matches by negation (to.operation.notPaths): every request not in the excluded list is allowed, so use positive matching in ALLOW policies and keep negation for DENY; policy matches on to.operation.notPaths but MeshConfig pathNormalization is unset (Istio's default BASE), which does not merge slashes: a variant such as //admin or an encoded path is matched unnormalized; set MERGE_SLASHES or DECODE_AND_MERGE_SLASHES",
		"resource": testlib.authz_policy_ref("app", "np"),
	}} with input as testlib.live({"AuthorizationPolicy": [p]})
	some f in authz_03.deny with input as testlib.live({"AuthorizationPolicy": [p]})
	count(f.evidence) == 3
}

test_excluded_namespace_ignored if {
	p := testlib.authz_policy("kube-system", "x", {"rules": [{"from": [{"source": {"notNamespaces": ["foo"]}}]}]})
	count(authz_03.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [p]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_negation_evidence if {
	some f in authz_03.deny with input as testlib.inp({"AuthorizationPolicy": [not_ns]})
	f.evidence == [
		{"path": "spec.rules[0].from[0].source.notNamespaces", "value": ["foo"]},
		{"path": "spec.rules[0].to[0].operation.notMethods", "value": ["DELETE"]},
	]
}

test_normalization_evidence if {
	some f in authz_03.deny with input as testlib.inp({"AuthorizationPolicy": [paths], "ConfigMap": [testlib.mesh_cm("pathNormalization:\n  normalization: BASE\n")]})
	f.evidence == [
		{"path": "spec.rules[0].to[0].operation.paths", "value": ["/admin"]},
		{"path": "data.mesh.pathNormalization.normalization", "value": "BASE", "resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}},
	]
	some g in authz_03.deny with input as testlib.live({"AuthorizationPolicy": [paths]})
	g.evidence[1] == {"path": "pathNormalization.normalization", "resource": {"kind": "Mesh", "name": "c1"}}
}

# A DENY policy on paths without the mesh config is not judged; ALLOW
# policies are.
test_judged if {
	authz_03.judged == {testlib.authz_policy_ref("app", "ok")} with input as testlib.inp({"AuthorizationPolicy": [paths, positive]})
	authz_03.judged == {testlib.authz_policy_ref("app", "ok"), testlib.authz_policy_ref("app", "admin")} with input as testlib.live({"AuthorizationPolicy": [paths, positive]})
	count(authz_03.judged) == 0 with input as testlib.inp({"AuthorizationPolicy": [paths]})
	authz_03.not_applicable == {"the AuthorizationPolicies of the input (app/admin) are not ALLOW policies and match on paths, whose safety depends on the mesh config's pathNormalization, which the input does not hold (ConfigMap istio-system/istio)"} with input as testlib.inp({"AuthorizationPolicy": [paths]})
}

test_no_subject_not_applicable if {
	some r in authz_03.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_03.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}
