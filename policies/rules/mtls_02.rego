# METADATA
# title: STRICT mTLS on every meshed workload and port
# description: |
#   Computes the effective PeerAuthentication mode of every meshed workload
#   and each of its declared container ports (workload policy, then namespace
#   policy, then mesh policy, the oldest winning among duplicates; the
#   workload policy's portLevelMtls overrides per port). A port in PERMISSIVE
#   or DISABLE accepts plaintext from anyone who can reach the pod, bypassing
#   mesh identity and authorization by principal. This includes Istio's
#   default PERMISSIVE when no policy sets a mode, and a namespace or workload
#   policy that downgrades a STRICT mesh. Istio gateways are not judged: the
#   Gateway's servers[].tls decides their listeners. Also warns on
#   PeerAuthentications Istio ignores: portLevelMtls without a selector, and a
#   selector in the root namespace. In a manifest scan without the Istio root
#   namespace the mesh-wide policy is unknown, so only the policies in the
#   input are judged.
# custom:
#   id: MTLS-02
#   severity: critical
#   controls: [SC-8(1), SC-23, IA-3, IA-9]
#   inputs: [PeerAuthentication, Namespace, workloads]
#   subjects: [workloads, PeerAuthentication]
#   remediation: |
#     Apply `spec.mtls.mode: STRICT` mesh-wide (PeerAuthentication `default` in
#     the Istio root namespace) and remove or change to STRICT the namespace
#     and workload PeerAuthentications that set PERMISSIVE or DISABLE. For a
#     port that must accept plaintext, use a PeerAuthentication with a selector
#     and `portLevelMtls` for that port only, covered by an approved exception.
#     Move `portLevelMtls` to a PeerAuthentication with a selector, and
#     workload PeerAuthentications out of the root namespace.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: payments
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: payments
#       spec:
#         mtls:
#           mode: PERMISSIVE
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
#             containers:
#               - name: payments-api
#                 image: registry.example.com/payments/api:2.3.1
#                 ports:
#                   - containerPort: 8080
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: payments
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: payments
#       spec:
#         mtls:
#           mode: STRICT
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
#             containers:
#               - name: payments-api
#                 image: registry.example.com/payments/api:2.3.1
#                 ports:
#                   - containerPort: 8080
package meshaudit.rules.mtls_02

import data.meshaudit.lib
import rego.v1

weak_modes := {"PERMISSIVE", "DISABLE"}

# The mesh-wide default is known in a live scan, or when the input holds the
# root namespace (a manifest scan of the mesh's own configuration). Otherwise
# a mode that falls through to the mesh default is not judged.
mesh_default_known if lib.live

mesh_default_known if lib.has_root_objects

judged(res) if res != null

judged(null) if mesh_default_known

subject_workloads contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	lib.meshed(w)
	not lib.gateway(w)
}

pa_name(res) := sprintf("%s/%s", [res.namespace, res.name])

# overridden(w, port, res): text naming a STRICT setting the weak mode
# overrides, "" when it overrides none.
parent_mode(w, port, res) := lib.workload_mode(w) if {
	lib.port_mode(w, port)
} else := lib.namespace_mode(w.namespace) if {
	res == lib.resource(lib.workload_pa(w.namespace, w.labels))
} else := [lib.mode_of(lib.mesh_pa), lib.resource(lib.mesh_pa)] if {
	w.namespace != lib.root_ns
	res == lib.resource(lib.namespace_pa(w.namespace))
}

overrides(w, port, res) := sprintf(", overriding STRICT from PeerAuthentication %s", [pa_name(p)]) if {
	[m, p] := parent_mode(w, port, res)
	m == "STRICT"
} else := ""

source(_, _, null) := "Istio's default: no PeerAuthentication sets a mode"

source(w, port, res) := sprintf("set by portLevelMtls of PeerAuthentication %s%s", [pa_name(res), overrides(w, port, res)]) if {
	res != null
	lib.port_mode(w, port)
}

source(w, port, res) := sprintf("set by PeerAuthentication %s%s", [pa_name(res), overrides(w, port, res)]) if {
	res != null
	not lib.port_mode(w, port)
}

weak_ports(w) := {p |
	some p in lib.container_ports(w)
	[mode, res] := lib.effective_mode(w, p)
	mode in weak_modes
	judged(res)
}

# Each declared container port.
deny contains {
	"msg": sprintf("port %v is %s (%s)", [port, mode, source(w, port, res)]),
	"resource": w.resource,
} if {
	some w in subject_workloads
	some port in weak_ports(w)
	[mode, res] := lib.effective_mode(w, port)
}

# The workload-level mode, when no declared port already reports it: a
# workload without declared ports, or whose declared ports are all overridden
# to STRICT (its other ports still receive the workload-level mode).
deny contains {
	"msg": sprintf("%s %s (%s)", [which, mode, source(w, null, res)]),
	"resource": w.resource,
} if {
	some w in subject_workloads
	count(weak_ports(w)) == 0
	[mode, res] := lib.workload_mode(w)
	mode in weak_modes
	judged(res)
	ports := lib.container_ports(w)
	which := ports_text(ports)
}

ports_text(ports) := "all ports are" if count(ports) == 0

ports_text(ports) := sprintf("ports other than %s are", [concat(", ", [sprintf("%v", [p]) | some p in sort(ports)])]) if {
	count(ports) > 0
}

# portLevelMtls on a selector-less PeerAuthentication is ignored by Istio.
deny contains {
	"msg": sprintf("portLevelMtls (ports %s) of PeerAuthentication %s/%s is ignored by Istio because the policy has no selector", [ports, lib.ns(pa), lib.name(pa)]),
	"resource": lib.resource(pa),
	"severity": "low",
} if {
	some pa in lib.pas
	lib.in_scope(lib.ns(pa))
	lib.no_selector(pa)
	count(object.get(pa.spec, "portLevelMtls", {})) > 0
	ports := concat(", ", sort([k | some k, _ in pa.spec.portLevelMtls]))
}

# A PeerAuthentication with a selector in the root namespace selects nothing.
deny contains {
	"msg": sprintf("selector of PeerAuthentication %s/%s in root namespace %q selects nothing: Istio ignores workload policies in the root namespace", [lib.ns(pa), lib.name(pa), lib.root_ns]),
	"resource": lib.resource(pa),
	"severity": "low",
} if {
	some pa in lib.pas
	lib.ns(pa) == lib.root_ns
	lib.in_scope(lib.ns(pa))
	not lib.no_selector(pa)
}
