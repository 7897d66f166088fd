# METADATA
# title: Identity-based authorization needs STRICT mTLS
# description: |
#   AuthorizationPolicy fields that match the peer identity are mTLS-only
#   (Istio security bulletin ISTIO-SECURITY-2021-004): `source.principals`,
#   `notPrincipals`, `namespaces`, `notNamespaces` and the `source.principal`
#   / `source.namespace` conditions. On a plaintext connection the peer
#   identity is empty, so a DENY rule on these fields does not match and a
#   `not*` ALLOW rule does: a workload whose effective PeerAuthentication
#   mode is not STRICT (PERMISSIVE or DISABLE, Istio's default PERMISSIVE
#   included, or a port downgraded by portLevelMtls) lets plaintext traffic
#   around these rules. `requestPrincipals` come from a JWT, not from mTLS,
#   and are not judged here. ALLOW rules that identify callers only by IP
#   (`ipBlocks`, `remoteIpBlocks`) are reported as medium: an IP address is
#   not an authenticated identity. Gateways are not judged (their listeners'
#   TLS is set by the Gateway), nor workloads without a proxy. In a manifest
#   scan without mesh-wide evidence (the mesh config or an Istio policy of
#   the root namespace), a mode that falls through to the unseen mesh
#   default is not judged. Judged: identity-based policies that select a
#   meshed workload of the input whose mode the input decides, and ALLOW
#   policies without mTLS-only fields (judged on the IP rule only).
# custom:
#   id: AUTHZ-04
#   severity: high
#   controls: [AC-3, IA-9]
#   inputs: [AuthorizationPolicy, PeerAuthentication, Namespace, workloads]
#   subjects: [AuthorizationPolicy]
#   remediation: |
#     Set `spec.mtls.mode: STRICT` on every workload an identity-based
#     AuthorizationPolicy selects (mesh-wide PeerAuthentication, or one for
#     the namespace or workload), including the ports listed in
#     `portLevelMtls`. Replace rules that allow callers by IP address with
#     `principals` or `namespaces` under STRICT mTLS.
#   examples:
#     fail: |
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: PERMISSIVE
#       ---
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: payments
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: payments-api
#         namespace: payments
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: payments-api
#         template:
#           metadata:
#             labels:
#               app: payments-api
#           spec:
#             serviceAccountName: payments-api
#             containers:
#             - name: payments-api
#               image: registry.example.com/payments-api:1.4.2
#               ports:
#               - containerPort: 8080
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: payments-api-allow-checkout
#         namespace: payments
#       spec:
#         selector:
#           matchLabels:
#             app: payments-api
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["cluster.local/ns/storefront/sa/checkout"]
#     pass: |
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: STRICT
#       ---
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: payments
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: payments-api
#         namespace: payments
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: payments-api
#         template:
#           metadata:
#             labels:
#               app: payments-api
#           spec:
#             serviceAccountName: payments-api
#             containers:
#             - name: payments-api
#               image: registry.example.com/payments-api:1.4.2
#               ports:
#               - containerPort: 8080
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: payments-api-allow-checkout
#         namespace: payments
#       spec:
#         selector:
#           matchLabels:
#             app: payments-api
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               principals: ["cluster.local/ns/storefront/sa/checkout"]
package meshaudit.rules.authz_04

import data.meshaudit.lib
import rego.v1

mtls_source_fields := {"principals", "notPrincipals", "namespaces", "notNamespaces"}

mtls_condition_keys := {"source.principal", "source.namespace"}

# mtls_fields(ap): [field, path, value] of each mTLS-only field the policy
# uses.
mtls_fields(ap) := {[sprintf("from.source.%s", [k]), sprintf("spec.rules[%d].from[%d].source.%s", [i, j, k]), v] |
	some i, r in lib.authz_rules(ap)
	some j, fr in object.get(r, "from", [])
	some k, v in object.get(fr, "source", {})
	k in mtls_source_fields
	count(v) > 0
} | {[sprintf("when %s", [c.key]), sprintf("spec.rules[%d].when[%d].key", [i, j]), c.key] |
	some i, r in lib.authz_rules(ap)
	some j, c in object.get(r, "when", [])
	c.key in mtls_condition_keys
}

field_names(fields) := concat(", ", sort({f | some [f, _, _] in fields}))

# ---- which workloads a policy selects --------------------------------------------

candidates(ap) := {w | some w in lib.workloads} if lib.ns(ap) == lib.root_ns

else := object.get(lib.workloads_by_ns, lib.ns(ap), set())

selected(ap) := {w |
	not lib.targeted(ap)
	some w in candidates(ap)
	lib.selects(lib.match_labels(ap), w.labels)
	lib.in_scope(w.namespace)
	lib.meshed(w)
	not lib.gateway(w)
}

# ---- the workload's mode (as MTLS-02) ------------------------------------------

source(null) := "Istio's default: no PeerAuthentication sets a mode"

source(res) := sprintf("set by PeerAuthentication %s/%s", [res.namespace, res.name]) if res != null

mode_evidence(w, null) := {"path": sprintf("PeerAuthentication setting a mode for %s in namespace %q or mesh-wide in root namespace %q", [lib.workload_name(w), w.namespace, lib.root_ns]), "value": 0}

mode_evidence(w, res) := {"path": "spec.mtls.mode", "value": lib.deciding_pa(w, res).spec.mtls.mode, "resource": res} if res != null

# weak_port_list(w): the declared ports that portLevelMtls makes weak.
weak_port_list(w) := [sprintf("%v", [p]) |
	some p in sort(lib.container_ports(w))
	lib.port_mode(w, p) in lib.weak_modes
]

# weakness(w): [why plaintext reaches the workload, evidence], undefined
# when it does not (or the input does not decide it).
weakness(w) := [sprintf("%s is %s (%s)", [lib.workload_name(w), mode, source(res)]), [mode_evidence(w, res)]] if {
	[mode, res] := lib.workload_mode(w)
	mode in lib.weak_modes
	lib.mode_decided(res)
} else := [sprintf("port(s) %s of %s are not STRICT (portLevelMtls of PeerAuthentication %s/%s)", [concat(", ", ports), lib.workload_name(w), res.namespace, res.name]), [{"path": sprintf("spec.portLevelMtls[%q].mode", [p]), "value": pa.spec.portLevelMtls[p].mode, "resource": res} | some p in ports]] if {
	pa := lib.workload_pa(w.namespace, w.labels)
	res := lib.resource(pa)
	ports := weak_port_list(w)
	count(ports) > 0
}

# mode_decided(w): the input decides whether plaintext reaches w.
workload_decided(w) if {
	[_, res] := lib.workload_mode(w)
	lib.mode_decided(res)
}

workload_decided(w) if count(weak_port_list(w)) > 0

# One finding per policy, naming every selected workload plaintext reaches.
deny contains {
	"msg": sprintf("policy matches on mTLS-only %s but %s, so plaintext requests carry no peer identity and bypass these conditions", [field_names(fields), concat("; ", [why | some [why, _] in weak])]),
	"resource": lib.resource(ap),
	"evidence": array.concat(lib.fields_evidence(fields), [e | some [_, ev] in weak; some e in ev]),
} if {
	some ap in lib.scoped_authorization_policies
	fields := mtls_fields(ap)
	count(fields) > 0
	weak := sort([[why, ev] | some w in selected(ap); [why, ev] := weakness(w)])
	count(weak) > 0
}

# judged: identity-based policies selecting a meshed workload whose mode the
# input decides; ALLOW policies without mTLS-only fields (the IP rule).
judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	count(mtls_fields(ap)) > 0
	some w in selected(ap)
	workload_decided(w)
}

judged contains lib.resource(ap) if {
	some ap in lib.scoped_authorization_policies
	lib.allow_policy(ap)
	count(mtls_fields(ap)) == 0
}

identity_policies := {sprintf("%s/%s", [lib.ns(ap), lib.name(ap)]) |
	some ap in lib.scoped_authorization_policies
	count(mtls_fields(ap)) > 0
}

not_applicable contains sprintf("the identity-based AuthorizationPolicies of the input (%s) select no meshed workload of the input whose mTLS mode it decides (the workloads are elsewhere, or their mode falls through to a mesh-wide PeerAuthentication of root namespace %q the input does not show)", [concat(", ", sort(identity_policies)), lib.root_ns]) if {
	count(judged) == 0
	count(identity_policies) > 0
}

# ---- ALLOW by IP only ------------------------------------------------------------------

ip_keys := {"ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"}

ip_only(fr) if {
	src := object.get(fr, "source", {})
	count(src) > 0
	every k, _ in src {
		k in ip_keys
	}
}

# ip_keys_of(r, i): [field, path, value] of the IP-only sources of rule i.
ip_keys_of(r, i) := {[sprintf("from.source.%s", [k]), sprintf("spec.rules[%d].from[%d].source.%s", [i, j, k]), v] |
	some j, fr in object.get(r, "from", [])
	ip_only(fr)
	some k, v in fr.source
}

# ip_rules(ap): [text, evidence] of each ALLOW rule identifying callers only
# by IP address.
ip_rules(ap) := [[sprintf("rules[%d] (%s)", [i, concat(", ", sort({k | some [k, _, _] in keys}))]), [{"path": p, "value": v} | some [_, p, v] in sort(keys)]] |
	some i, r in lib.authz_rules(ap)
	keys := ip_keys_of(r, i)
	count(keys) > 0
]

# One finding per policy, listing every rule that trusts IP addresses.
deny contains {
	"msg": sprintf("ALLOW policy identifies callers only by IP address in %s, which is not an authenticated identity: use principals or namespaces under STRICT mTLS", [concat(", ", [t | some [t, _] in found])]),
	"resource": lib.resource(ap),
	"severity": "medium",
	"evidence": [e | some [_, es] in found; some e in es],
} if {
	some ap in lib.scoped_authorization_policies
	lib.allow_policy(ap)
	found := ip_rules(ap)
	count(found) > 0
}

not_applicable contains "no AuthorizationPolicy in the input (outside excluded namespaces)" if count(lib.scoped_authorization_policies) == 0

not_applicable contains "no AuthorizationPolicy of the input matches on an mTLS-only field or is an ALLOW policy" if {
	count(lib.scoped_authorization_policies) > 0
	count(identity_policies) == 0
	count(judged) == 0
}
