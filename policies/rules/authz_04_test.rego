package meshaudit.rules.authz_04_test

import data.meshaudit.rules.authz_04
import data.meshaudit.testlib
import rego.v1

namespace(name) := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {"istio-injection": "enabled"}}}

deploy(ns, name, lbls, ports) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": ns},
	"spec": {"template": {
		"metadata": {"labels": lbls},
		"spec": {"containers": [{"name": "app", "image": "r/app:1", "ports": [{"containerPort": p} | some p in ports]}]},
	}},
}

web := deploy("app", "web", {"app": "web"}, [8080])

by_principal := testlib.authz_policy("app", "web-allow", {
	"selector": {"matchLabels": {"app": "web"}},
	"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/app/sa/client"]}}]}],
})

test_default_permissive_live_fails if {
	testlib.strip(authz_04.deny) == {{
		"msg": "policy matches on mTLS-only from.source.principals but Deployment app/web is PERMISSIVE (Istio's default: no PeerAuthentication sets a mode), so plaintext requests carry no peer identity and bypass these conditions",
		"resource": testlib.authz_policy_ref("app", "web-allow"),
	}} with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [by_principal]})
}

test_strict_passes if {
	count(authz_04.deny) == 0 with input as testlib.live({
		"Namespace": [namespace("app")],
		"Deployment": [web],
		"AuthorizationPolicy": [by_principal],
		"PeerAuthentication": [testlib.peer_auth("istio-system", "default", "STRICT")],
	})
}

test_namespace_disable_and_conditions if {
	p := testlib.authz_policy("app", "deny-ns", {"action": "DENY", "rules": [
		{"from": [{"source": {"notNamespaces": ["app"]}}]},
		{"when": [{"key": "source.namespace", "values": ["bad"]}]},
	]})
	testlib.strip(authz_04.deny) == {{
		"msg": "policy matches on mTLS-only from.source.notNamespaces, when source.namespace but Deployment app/web is DISABLE (set by PeerAuthentication app/default), so plaintext requests carry no peer identity and bypass these conditions",
		"resource": testlib.authz_policy_ref("app", "deny-ns"),
	}} with input as testlib.live({
		"Namespace": [namespace("app")],
		"Deployment": [web],
		"AuthorizationPolicy": [p],
		"PeerAuthentication": [testlib.peer_auth("istio-system", "default", "STRICT"), testlib.peer_auth("app", "default", "DISABLE")],
	})
}

test_port_level_permissive_fails if {
	w := deploy("app", "web", {"app": "web"}, [8080, 9090])
	wpa := object.union(testlib.peer_auth("app", "web", "STRICT"), {"spec": {"selector": {"matchLabels": {"app": "web"}}, "portLevelMtls": {"9090": {"mode": "PERMISSIVE"}}}})
	testlib.strip(authz_04.deny) == {{
		"msg": "policy matches on mTLS-only from.source.principals but port(s) 9090 of Deployment app/web are not STRICT (portLevelMtls of PeerAuthentication app/web), so plaintext requests carry no peer identity and bypass these conditions",
		"resource": testlib.authz_policy_ref("app", "web-allow"),
	}} with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [w], "AuthorizationPolicy": [by_principal], "PeerAuthentication": [wpa]})
}

# requestPrincipals come from a JWT, not from mTLS.
test_request_principals_not_judged if {
	p := testlib.authz_policy("app", "jwt", {"rules": [{"from": [{"source": {"requestPrincipals": ["*"]}}]}]})
	count(authz_04.deny) == 0 with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [p]})
}

test_selector_not_matching_not_judged if {
	p := json.patch(by_principal, [{"op": "replace", "path": "/spec/selector/matchLabels/app", "value": "other"}])
	count(authz_04.deny) == 0 with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [p]})
}

test_root_policy_applies_mesh_wide if {
	p := testlib.authz_policy("istio-system", "global", {"action": "DENY", "rules": [{"from": [{"source": {"namespaces": ["untrusted"]}}]}]})
	testlib.strip(authz_04.deny) == {{
		"msg": "policy matches on mTLS-only from.source.namespaces but Deployment app/web is PERMISSIVE (set by PeerAuthentication istio-system/default), so plaintext requests carry no peer identity and bypass these conditions",
		"resource": testlib.authz_policy_ref("istio-system", "global"),
	}} with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [p], "PeerAuthentication": [testlib.peer_auth("istio-system", "default", "PERMISSIVE")]})
}

# Manifests without the root namespace: the mesh default is unknown.
test_manifest_mesh_default_unknown_not_judged if {
	count(authz_04.deny) == 0 with input as testlib.inp({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [by_principal]})
}

test_manifest_namespace_permissive_fails if {
	count(authz_04.deny) == 1 with input as testlib.inp({
		"Namespace": [namespace("app")],
		"Deployment": [web],
		"AuthorizationPolicy": [by_principal],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "PERMISSIVE")],
	})
}

test_unmeshed_and_gateway_not_judged if {
	ns := {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}}
	gw := object.union(deploy("app", "gw", {"app": "web", "istio.io/gateway-name": "gw"}, [8443]), {"spec": {"template": {"metadata": {"annotations": {"inject.istio.io/templates": "gateway"}}}}})
	count(authz_04.deny) == 0 with input as testlib.live({"Namespace": [ns], "Deployment": [web, gw], "AuthorizationPolicy": [by_principal]})
}

test_allow_by_ip_only_medium if {
	p := testlib.authz_policy("app", "ip", {"rules": [
		{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]},
		{"from": [{"source": {"principals": ["cluster.local/ns/app/sa/x"], "ipBlocks": ["10.1.0.0/16"]}}]},
	]})
	testlib.strip(authz_04.deny) == {{
		"msg": "ALLOW policy identifies callers only by IP address in rules[0] (from.source.ipBlocks), which is not an authenticated identity: use principals or namespaces under STRICT mTLS",
		"resource": testlib.authz_policy_ref("app", "ip"),
		"severity": "medium",
	}} with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [p], "PeerAuthentication": [testlib.peer_auth("istio-system", "default", "STRICT")]})
}

test_deny_by_ip_passes if {
	p := testlib.authz_policy("app", "ip", {"action": "DENY", "rules": [{"from": [{"source": {"remoteIpBlocks": ["1.2.3.4"]}}]}]})
	count(authz_04.deny) == 0 with input as testlib.inp({"AuthorizationPolicy": [p]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence_fields_and_mode if {
	some f in authz_04.deny with input as testlib.inp({
		"Namespace": [namespace("app")],
		"Deployment": [web],
		"AuthorizationPolicy": [by_principal],
		"PeerAuthentication": [testlib.peer_auth("app", "default", "PERMISSIVE")],
	})
	f.evidence == [
		{"path": "spec.rules[0].from[0].source.principals", "value": ["cluster.local/ns/app/sa/client"]},
		{"path": "spec.mtls.mode", "value": "PERMISSIVE", "resource": testlib.peer_auth_ref("app", "default")},
	]
}

test_evidence_default_and_port_level if {
	some f in authz_04.deny with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [by_principal]})
	f.evidence[1] == {"path": "PeerAuthentication setting a mode for Deployment app/web in namespace \"app\" or mesh-wide in root namespace \"istio-system\"", "value": 0}
	w := deploy("app", "web", {"app": "web"}, [8080, 9090])
	wpa := object.union(testlib.peer_auth("app", "web", "STRICT"), {"spec": {"selector": {"matchLabels": {"app": "web"}}, "portLevelMtls": {"9090": {"mode": "PERMISSIVE"}}}})
	some g in authz_04.deny with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [w], "AuthorizationPolicy": [by_principal], "PeerAuthentication": [wpa]})
	g.evidence[1] == {"path": "spec.portLevelMtls[\"9090\"].mode", "value": "PERMISSIVE", "resource": testlib.peer_auth_ref("app", "web")}
}

test_evidence_ip_only if {
	p := testlib.authz_policy("app", "ip", {"rules": [{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]}]})
	some f in authz_04.deny with input as testlib.inp({"AuthorizationPolicy": [p]})
	f.evidence == [{"path": "spec.rules[0].from[0].source.ipBlocks", "value": ["10.0.0.0/8"]}]
}

test_judged_identity_policy_with_decided_workload if {
	inp := testlib.inp({
		"Namespace": [namespace("app")],
		"Deployment": [web],
		"AuthorizationPolicy": [by_principal],
		"PeerAuthentication": [testlib.peer_auth("istio-system", "default", "STRICT")],
	})
	authz_04.judged == {testlib.authz_policy_ref("app", "web-allow")} with input as inp
	count(authz_04.deny) == 0 with input as inp
}

# The mode falls through to an unseen mesh default: not judged, and the
# rule says why.
test_undecided_not_judged if {
	inp := testlib.inp({"Namespace": [namespace("app")], "Deployment": [web], "AuthorizationPolicy": [by_principal]})
	count(authz_04.judged) == 0 with input as inp
	authz_04.not_applicable == {"the identity-based AuthorizationPolicies of the input (app/web-allow) select no meshed workload of the input whose mTLS mode it decides (the workloads are elsewhere, or their mode falls through to a mesh-wide PeerAuthentication of root namespace \"istio-system\" the input does not show)"} with input as inp
}

# A policy repository: an ALLOW policy without mTLS-only fields is judged on
# the IP rule.
test_judged_allow_without_identity_fields if {
	p := testlib.authz_policy("app", "get", {"rules": [{"to": [{"operation": {"methods": ["GET"]}}]}]})
	authz_04.judged == {testlib.authz_policy_ref("app", "get")} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

test_no_subject_not_applicable if {
	some r in authz_04.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_04.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}

test_only_deny_without_identity_not_applicable if {
	p := testlib.authz_policy("app", "ip", {"action": "DENY", "rules": [{"from": [{"source": {"remoteIpBlocks": ["1.2.3.4"]}}]}]})
	authz_04.not_applicable == {"no AuthorizationPolicy of the input matches on an mTLS-only field or is an ALLOW policy"} with input as testlib.inp({"AuthorizationPolicy": [p]})
}

# One finding per policy, naming every selected workload plaintext reaches.
test_one_finding_per_policy if {
	api := deploy("app", "api", {"app": "web", "tier": "api"}, [8080])
	d := authz_04.deny with input as testlib.live({"Namespace": [namespace("app")], "Deployment": [web, api], "AuthorizationPolicy": [by_principal]})
	count(d) == 1
	some f in d
	f.msg == "policy matches on mTLS-only from.source.principals but Deployment app/api is PERMISSIVE (Istio's default: no PeerAuthentication sets a mode); Deployment app/web is PERMISSIVE (Istio's default: no PeerAuthentication sets a mode), so plaintext requests carry no peer identity and bypass these conditions"
	count(f.evidence) == 3
}

test_ip_rules_one_finding if {
	p := testlib.authz_policy("app", "ip", {"rules": [
		{"from": [{"source": {"ipBlocks": ["10.0.0.0/8"]}}]},
		{"to": [{"operation": {"methods": ["GET"]}}]},
		{"from": [{"source": {"remoteIpBlocks": ["1.2.3.4"], "notIpBlocks": ["10.9.0.0/16"]}}]},
	]})
	d := authz_04.deny with input as testlib.inp({"AuthorizationPolicy": [p]})
	count(d) == 1
	some f in d
	f.msg == "ALLOW policy identifies callers only by IP address in rules[0] (from.source.ipBlocks), rules[2] (from.source.notIpBlocks, from.source.remoteIpBlocks), which is not an authenticated identity: use principals or namespaces under STRICT mTLS"
	count(f.evidence) == 3
}
