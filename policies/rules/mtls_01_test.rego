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

test_missing_fails if {
	mtls_01.deny == {{
		"msg": "no mesh-wide PeerAuthentication in root namespace \"istio-system\": Istio defaults to PERMISSIVE and accepts plaintext",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as inp([pa("app", "default", "STRICT", "")])
}

test_permissive_fails if {
	some f in mtls_01.deny with input as inp([pa("istio-system", "default", "PERMISSIVE", "")])
	f.msg == "mesh-wide PeerAuthentication sets mtls.mode PERMISSIVE, want STRICT"
	f.resource.name == "default"
}

test_unset_fails if {
	p := {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "istio-system"}, "spec": {}}
	some f in mtls_01.deny with input as inp([p])
	contains(f.msg, "UNSET")
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
}

test_oldest_decides_mode if {
	d := mtls_01.deny with input as inp([
		pa("istio-system", "new-strict", "STRICT", "2024-02-01T00:00:00Z"),
		pa("istio-system", "old-permissive", "PERMISSIVE", "2024-01-01T00:00:00Z"),
	])
	some f in d
	f.msg == "mesh-wide PeerAuthentication sets mtls.mode PERMISSIVE, want STRICT"
}
