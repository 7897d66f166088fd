package meshaudit.rules.mtls_01_test

import data.meshaudit.rules.mtls_01
import rego.v1

pa(ns, name, mode, ts) := {
	"apiVersion": "security.istio.io/v1",
	"kind": "PeerAuthentication",
	"metadata": {"name": name, "namespace": ns, "creationTimestamp": ts},
	"spec": {"mtls": {"mode": mode}},
}

inp(list) := {"cluster": "c1", "source": "manifests", "objects": {"PeerAuthentication": list}}

test_strict_passes if {
	count(mtls_01.deny) == 0 with input as inp([pa("istio-system", "default", "STRICT", "")])
}

root_policy := {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": {"name": "deny-debug", "namespace": "istio-system"}, "spec": {"action": "DENY"}}

test_missing_fails if {
	mtls_01.deny == {{
		"msg": "no mesh-wide PeerAuthentication in root namespace \"istio-system\": Istio defaults to PERMISSIVE and accepts plaintext; add PeerAuthentication istio-system/default with mtls.mode STRICT and no selector",
		"resource": {"kind": "Mesh", "name": "c1"},
		"evidence": [{"path": "PeerAuthentication without selector in root namespace \"istio-system\"", "value": 0}],
	}} with input as {"cluster": "c1", "source": "manifests", "objects": {"PeerAuthentication": [pa("app", "default", "STRICT", "")], "AuthorizationPolicy": [root_policy]}}
}

test_missing_fails_live if {
	some f in mtls_01.deny with input as {"cluster": "c1", "source": "cluster", "objects": {}}
	f.resource == {"kind": "Mesh", "name": "c1"}
	mtls_01.judged == {{"kind": "Mesh", "name": "c1"}} with input as {"cluster": "c1", "source": "cluster", "objects": {}}
}

# Without mesh-wide evidence the absence is not a finding and nothing is
# judged (an application repository; an unrelated root object is no evidence).
test_missing_not_judged_without_mesh_evidence if {
	role := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r", "namespace": "istio-system"}}
	i := {"cluster": "c1", "source": "manifests", "objects": {"PeerAuthentication": [pa("app", "default", "STRICT", "")], "Role": [role]}}
	count(mtls_01.deny) == 0 with input as i
	count(mtls_01.judged) == 0 with input as i
}

test_judged_mesh_with_policy if {
	mtls_01.judged == {{"kind": "Mesh", "name": "c1"}} with input as inp([pa("istio-system", "default", "STRICT", "")])
}

test_permissive_fails if {
	some f in mtls_01.deny with input as inp([pa("istio-system", "default", "PERMISSIVE", "")])
	f.msg == "mesh-wide PeerAuthentication sets mtls.mode PERMISSIVE, want STRICT"
	f.resource.name == "default"
	f.evidence == [{"path": "spec.mtls.mode", "value": "PERMISSIVE"}]
}

test_unset_fails if {
	p := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {}}
	some f in mtls_01.deny with input as inp([p])
	contains(f.msg, "UNSET")
	f.evidence == [{"path": "spec.mtls.mode"}]
}

test_selector_in_root_is_not_mesh_wide if {
	p := object.union(pa("istio-system", "gw", "STRICT", ""), {"spec": {"selector": {"matchLabels": {"app": "gw"}}}})
	some f in mtls_01.deny with input as inp([p])
	f.resource.kind == "Mesh"
}

test_duplicates_fail_on_the_newer if {
	d := mtls_01.deny with input as inp([
		pa("istio-system", "b-new", "STRICT", "2024-02-01T00:00:00Z"),
		pa("istio-system", "a-old", "STRICT", "2024-01-01T00:00:00Z"),
	])
	count(d) == 1
	some f in d
	f.resource.name == "b-new"
	contains(f.msg, "only the oldest (a-old) applies")
	f.evidence == [
		{"path": "PeerAuthentication without selector in root namespace \"istio-system\"", "value": 2},
		{"path": "metadata.creationTimestamp", "value": "2024-02-01T00:00:00Z"},
		{"path": "metadata.creationTimestamp", "value": "2024-01-01T00:00:00Z", "resource": {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "namespace": "istio-system", "name": "a-old"}},
	]
}

test_oldest_decides_mode if {
	d := mtls_01.deny with input as inp([
		pa("istio-system", "new-strict", "STRICT", "2024-02-01T00:00:00Z"),
		pa("istio-system", "old-permissive", "PERMISSIVE", "2024-01-01T00:00:00Z"),
	])
	some f in d
	f.msg == "mesh-wide PeerAuthentication sets mtls.mode PERMISSIVE, want STRICT"
}
