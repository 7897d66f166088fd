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
#   Gateway's servers[].tls decides their listeners. Judged: the meshed
#   workloads whose mode is decided by evidence in the input (a
#   PeerAuthentication, or Istio's default when the mesh-wide policy is
#   known: a live scan, or an input holding the mesh config or an Istio
#   policy of the root namespace); a workload whose mode falls through to an
#   unseen mesh-wide policy is not judged. Namespace and workload
#   PeerAuthentications that decide the mode of no meshed workload of the
#   input (a policy repository kept apart from the applications, or
#   workloads not in the mesh) are judged as policies: one that sets
#   PERMISSIVE or DISABLE (mtls.mode or portLevelMtls) is a finding on
#   itself. With no meshed workload and no such policy the rule is not
#   applicable. Also warns on PeerAuthentications Istio ignores:
#   portLevelMtls without a selector, and a selector in the root namespace.
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
	mode in lib.weak_modes
	lib.mode_decided(res)
}

# ---- evidence -----------------------------------------------------------------

# mode_evidence(w, port, res): the field that set the mode (port null: the
# workload-level mode), or the lookup that found none (Istio's default).
mode_evidence(w, _, null) := {
	"path": sprintf("PeerAuthentication setting a mode for this workload in namespace %q or mesh-wide in root namespace %q", [w.namespace, lib.root_ns]),
	"value": 0,
}

mode_evidence(w, port, res) := {
	"path": sprintf("spec.portLevelMtls[%q].mode", [sprintf("%v", [port])]),
	"value": pa.spec.portLevelMtls[sprintf("%v", [port])].mode,
	"resource": res,
} if {
	res != null
	port != null
	lib.port_mode(w, port)
	pa := lib.deciding_pa(w, res)
}

mode_evidence(w, port, res) := {
	"path": "spec.mtls.mode",
	"value": pa.spec.mtls.mode,
	"resource": res,
} if {
	res != null
	not lib.port_mode(w, port)
	pa := lib.deciding_pa(w, res)
}

# port_evidence(w, port): where the workload declares the port (its first
# declaration).
port_evidence(w, port) := paths[0] if {
	paths := [{"path": sprintf("%s.ports[%d].containerPort", [lib.container_path(w, x), j]), "value": port} |
		some x in lib.app_containers(w)
		x.kind == "containers"
		some j, p in object.get(x.c, "ports", [])
		p.containerPort == port
	]
	count(paths) > 0
}

# ---- findings on workloads ----------------------------------------------------

# port_problems(w): [text, evidence] of each declared container port that
# accepts plaintext, in port order.
port_problems(w) := [[sprintf("port %v is %s (%s)", [port, mode, source(w, port, res)]), [port_evidence(w, port), mode_evidence(w, port, res)]] |
	some port in sort(weak_ports(w))
	[mode, res] := lib.effective_mode(w, port)
]

# One finding per workload, listing every declared port that accepts
# plaintext.
deny contains {
	"msg": concat("; ", [t | some [t, _] in problems]),
	"resource": w.resource,
	"evidence": [e | some [_, es] in problems; some e in es],
} if {
	some w in subject_workloads
	problems := port_problems(w)
	count(problems) > 0
}

# The workload-level mode, when no declared port already reports it: a
# workload without declared ports, or whose declared ports are all overridden
# to STRICT (its other ports still receive the workload-level mode).
deny contains {
	"msg": sprintf("%s %s (%s)", [which, mode, source(w, null, res)]),
	"resource": w.resource,
	"evidence": [mode_evidence(w, null, res)],
} if {
	some w in subject_workloads
	count(weak_ports(w)) == 0
	[mode, res] := lib.workload_mode(w)
	mode in lib.weak_modes
	lib.mode_decided(res)
	ports := lib.container_ports(w)
	which := ports_text(ports)
}

ports_text(ports) := "all ports are" if count(ports) == 0

ports_text(ports) := sprintf("ports other than %s are", [concat(", ", [sprintf("%v", [p]) | some p in sort(ports)])]) if {
	count(ports) > 0
}

# ---- PeerAuthentications as subjects --------------------------------------------

# deciding: the PeerAuthentications that decide the mode of a meshed
# workload of the input (at workload level or on a declared port).
deciding contains res if {
	some w in subject_workloads
	[_, res] := lib.workload_mode(w)
	res != null
}

deciding contains res if {
	some w in subject_workloads
	some p in lib.container_ports(w)
	[_, res] := lib.effective_mode(w, p)
	res != null
}

# active(pa): Istio applies it: a policy with a selector, or the oldest
# selector-less policy of its namespace.
active(pa) if not lib.no_selector(pa)

active(pa) if {
	lib.no_selector(pa)
	lib.namespace_pa(lib.ns(pa)) == pa
}

# policy_subjects: the namespace and workload PeerAuthentications that
# decide no meshed workload of the input: judged on their own settings
# (mesh-wide ones are MTLS-01's).
policy_subjects contains pa if {
	some pa in lib.pas
	n := lib.ns(pa)
	n != lib.root_ns
	lib.in_scope(n)
	active(pa)
	not lib.resource(pa) in deciding
}

# weak_settings(pa): [text, evidence] of each PERMISSIVE or DISABLE setting
# (portLevelMtls only counts with a selector: Istio ignores it otherwise).
weak_settings(pa) := [[sprintf("mtls.mode %s", [m]), {"path": "spec.mtls.mode", "value": pa.spec.mtls.mode}] |
	m := lib.mode_of(pa)
	m in lib.weak_modes
]

port_settings(pa) := [[sprintf("portLevelMtls port %s %s", [port, m]), {"path": sprintf("spec.portLevelMtls[%q].mode", [port]), "value": v.mode}] |
	not lib.no_selector(pa)
	some port in sort(object.keys(object.get(pa.spec, "portLevelMtls", {})))
	v := pa.spec.portLevelMtls[port]
	m := upper(v.mode)
	m in lib.weak_modes
]

pa_scope(pa) := sprintf("pods labelled %s in namespace %q%s", [json.marshal(pa.spec.selector.matchLabels), lib.ns(pa), lib.ns_note(lib.ns(pa))]) if {
	not lib.no_selector(pa)
} else := sprintf("namespace %q%s", [lib.ns(pa), lib.ns_note(lib.ns(pa))])

deny contains {
	"msg": sprintf("sets %s for %s, so they accept plaintext; no meshed workload it applies to is in the input, so the policy itself is reported", [concat(" and ", [t | some [t, _] in settings]), pa_scope(pa)]),
	"resource": lib.resource(pa),
	"evidence": [e | some [_, e] in settings],
} if {
	some pa in policy_subjects
	settings := array.concat(weak_settings(pa), port_settings(pa))
	count(settings) > 0
}

# ---- PeerAuthentications Istio ignores ------------------------------------------

# portLevelMtls on a selector-less PeerAuthentication is ignored by Istio.
deny contains {
	"msg": sprintf("portLevelMtls (ports %s) of PeerAuthentication %s/%s is ignored by Istio because the policy has no selector", [ports, lib.ns(pa), lib.name(pa)]),
	"resource": lib.resource(pa),
	"severity": "low",
	"evidence": [{"path": "spec.portLevelMtls", "value": pa.spec.portLevelMtls}, {"path": "spec.selector"}],
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
	"evidence": [{"path": "spec.selector.matchLabels", "value": pa.spec.selector.matchLabels}, {"path": "metadata.namespace", "value": lib.ns(pa)}],
} if {
	some pa in lib.pas
	lib.ns(pa) == lib.root_ns
	lib.in_scope(lib.ns(pa))
	not lib.no_selector(pa)
}

# ---- verdict ----------------------------------------------------------------------

# judged: the meshed workloads whose mode is decided by evidence (every
# port's mode then is: a port-level mode is always set by a policy), and the
# PeerAuthentications judged as policies.
judged contains w.resource if {
	some w in subject_workloads
	[_, res] := lib.workload_mode(w)
	lib.mode_decided(res)
}

judged contains lib.resource(pa) if some pa in policy_subjects

undecided contains w if {
	some w in subject_workloads
	[_, res] := lib.workload_mode(w)
	not lib.mode_decided(res)
}

not_applicable contains sprintf("the mTLS mode of the meshed workloads of the input (%s) falls through to the mesh-wide PeerAuthentication of root namespace %q, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy object in %q)", [concat(", ", sort([sprintf("%s %s/%s", [w.kind, w.namespace, w.resource.name]) | some w in undecided])), lib.root_ns, lib.root_ns]) if {
	count(judged) == 0
	count(undecided) > 0
}

# Namespaces of the input's workloads that put none of them in the mesh.
unmeshed_namespaces := {w.namespace |
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

not_applicable contains sprintf("no meshed workload in the input%s, and no namespace or workload PeerAuthentication", [ns_text]) if {
	count(judged) == 0
	count(subject_workloads) == 0
	ns_text := unmeshed_text
}

unmeshed_text := sprintf(": namespaces %s put no workload in the mesh", [concat(", ", [sprintf("%q%s", [n, lib.ns_note(n)]) | some n in sort(unmeshed_namespaces)])]) if {
	count(unmeshed_namespaces) > 0
} else := ""
