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
#   scan without the root namespace, a mode that falls through to the unseen
#   mesh default is not judged.
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

policies := [ap |
	some ap in lib.objects("AuthorizationPolicy")
	lib.in_scope(lib.ns(ap))
]

rules(ap) := object.get(ap, ["spec", "rules"], [])

mtls_source_fields := {"principals", "notPrincipals", "namespaces", "notNamespaces"}

mtls_condition_keys := {"source.principal", "source.namespace"}

# mtls_fields: the mTLS-only fields a policy uses.
mtls_fields(ap) := {sprintf("from.source.%s", [k]) |
	some r in rules(ap)
	some fr in object.get(r, "from", [])
	some k, v in object.get(fr, "source", {})
	k in mtls_source_fields
	count(v) > 0
} | {sprintf("when %s", [c.key]) |
	some r in rules(ap)
	some c in object.get(r, "when", [])
	c.key in mtls_condition_keys
}

# ---- which workloads a policy selects --------------------------------------------

# workloads_by_ns: namespace -> its workloads, grouped once as a complete
# object (a lookup into a partial rule re-evaluates it on every call).
workload_pairs := [[w.namespace, w] | some w in lib.workloads]

workloads_by_ns := {n: ws |
	some n in {p[0] | some p in workload_pairs}
	ws := [p[1] | some p in workload_pairs; p[0] == n]
}

selector(ap) := object.get(ap, ["spec", "selector", "matchLabels"], {})

targeted(ap) if ap.spec.targetRef

targeted(ap) if count(object.get(ap, ["spec", "targetRefs"], [])) > 0

candidates(ap) := {w | some w in lib.workloads} if lib.ns(ap) == lib.root_ns

else := object.get(workloads_by_ns, lib.ns(ap), [])

selected(ap) := {w |
	not targeted(ap)
	some w in candidates(ap)
	lib.selects(selector(ap), w.labels)
	lib.in_scope(w.namespace)
	lib.meshed(w)
	not lib.gateway(w)
}

# ---- the workload's mode (as MTLS-02) ------------------------------------------

mesh_default_known if lib.live

mesh_default_known if lib.has_root_objects

judged(res) if res != null

judged(null) if mesh_default_known

weak_modes := {"PERMISSIVE", "DISABLE"}

source(null) := "Istio's default: no PeerAuthentication sets a mode"

source(res) := sprintf("set by PeerAuthentication %s/%s", [res.namespace, res.name]) if res != null

wname(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.resource.name])

# weakness(w): why plaintext reaches the workload, undefined when it does not.
weakness(w) := sprintf("%s is %s (%s)", [wname(w), mode, source(res)]) if {
	[mode, res] := lib.workload_mode(w)
	mode in weak_modes
	judged(res)
} else := sprintf("port(s) %s of %s are not STRICT (portLevelMtls of PeerAuthentication %s/%s)", [concat(", ", ports), wname(w), pa.namespace, pa.name]) if {
	pa := lib.resource(lib.workload_pa(w.namespace, w.labels))
	ports := [sprintf("%v", [p]) |
		some p in sort(lib.container_ports(w))
		lib.port_mode(w, p) in weak_modes
	]
	count(ports) > 0
}

deny contains {
	"msg": sprintf("policy matches on mTLS-only %s but %s, so plaintext requests carry no peer identity and bypass these conditions", [concat(", ", sort(fields)), why]),
	"resource": lib.resource(ap),
} if {
	some ap in policies
	fields := mtls_fields(ap)
	count(fields) > 0
	some w in selected(ap)
	why := weakness(w)
}

# ---- ALLOW by IP only ------------------------------------------------------------------

ip_keys := {"ipBlocks", "notIpBlocks", "remoteIpBlocks", "notRemoteIpBlocks"}

allow_policy(ap) if upper(object.get(ap, ["spec", "action"], "ALLOW")) == "ALLOW"

ip_only(fr) if {
	src := object.get(fr, "source", {})
	count(src) > 0
	every k, _ in src {
		k in ip_keys
	}
}

deny contains {
	"msg": sprintf("ALLOW policy rules[%d] identifies callers only by IP address (%s), which is not an authenticated identity: use principals or namespaces under STRICT mTLS", [i, concat(", ", sort(keys))]),
	"resource": lib.resource(ap),
	"severity": "medium",
} if {
	some ap in policies
	allow_policy(ap)
	some i, r in rules(ap)
	keys := {sprintf("from.source.%s", [k]) |
		some fr in object.get(r, "from", [])
		ip_only(fr)
		some k, _ in fr.source
	}
	count(keys) > 0
}
