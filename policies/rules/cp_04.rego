# METADATA
# title: istiod's plaintext debug and xDS ports are closed
# description: |
#   istiod serves its debug endpoints (config dumps, proxy status, secrets
#   metadata) without authentication on HTTP port 8080 unless
#   `ENABLE_DEBUG_ON_HTTP=false`, and plaintext xDS on port 15010 unless it
#   runs with `--grpcAddr=""`. Each open port is reported unless a
#   NetworkPolicy of istiod's namespace that selects istiod's pods isolates
#   their ingress without opening that port to every source (a rule with no
#   `from`, `namespaceSelector: {}` alone, or an ipBlock of 0.0.0.0/0 or ::/0
#   opens it). Env values are redacted in snapshots: a set
#   ENABLE_DEBUG_ON_HTTP whose value cannot be read makes the rule unknown
#   for port 8080 unless a NetworkPolicy restricts it. Judged: every istiod
#   whose port 8080 state is known; findings carry the env entry or args and
#   the NetworkPolicy lookup as evidence.
# custom:
#   id: CP-04
#   severity: medium
#   controls: [CM-7, SC-8]
#   inputs: [Deployment, NetworkPolicy]
#   requires: [istio]
#   remediation: |
#     Set `ENABLE_DEBUG_ON_HTTP=false` in istiod's env (Helm `pilot.env`;
#     `istioctl` debug commands then use the authenticated 15014/15012
#     ports) and add `--grpcAddr=""` to its args to close plaintext xDS on
#     15010, or apply a NetworkPolicy in istiod's namespace that admits 8080
#     and 15010 only from the sources that need them.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args:
#                   - discovery
#                   - --monitoringAddr=:15014
#                   - --domain
#                   - cluster.local
#                 ports:
#                   - containerPort: 8080
#                   - containerPort: 15010
#                   - containerPort: 15012
#                   - containerPort: 15017
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args:
#                   - discovery
#                   - --monitoringAddr=:15014
#                   - --domain
#                   - cluster.local
#                   - --grpcAddr=
#                 env:
#                   - name: ENABLE_DEBUG_ON_HTTP
#                     value: "false"
#                 ports:
#                   - containerPort: 15012
#                   - containerPort: 15017
package meshaudit.rules.cp_04

import data.meshaudit.lib
import rego.v1

discovery(d) := c if {
	some c in object.get(d, ["spec", "template", "spec", "containers"], [])
	c.name == "discovery"
}

discovery_path(d) := sprintf("spec.template.spec.containers[%d]", [i]) if {
	some i, c in object.get(d, ["spec", "template", "spec", "containers"], [])
	c.name == "discovery"
}

debug_evidence(d) := {"path": sprintf("%s.env[%d].value", [discovery_path(d), i]), "value": object.get(e, "value", null)} if {
	some i, e in object.get(discovery(d), "env", [])
	e.name == "ENABLE_DEBUG_ON_HTTP"
} else := {"path": sprintf("%s.env ENABLE_DEBUG_ON_HTTP", [discovery_path(d)])}

np_lookup(d, port) := {"path": sprintf("NetworkPolicy isolating ingress to port %d of Deployment %s/%s", [port, lib.ns(d), lib.name(d)]), "value": 0}

env_entry(d, n) := e if {
	some e in object.get(discovery(d), "env", [])
	e.name == n
}

# ---- what istiod serves ----------------------------------------------------

# debug_state(d): "closed", "open: <why>" or "unknown: <why>".
debug_state(d) := "closed" if {
	lower(env_entry(d, "ENABLE_DEBUG_ON_HTTP").value) == "false"
} else := "unknown: its value is redacted in snapshots" if {
	env_entry(d, "ENABLE_DEBUG_ON_HTTP").value == lib.redacted
} else := "unknown: its value comes from valueFrom" if {
	e := env_entry(d, "ENABLE_DEBUG_ON_HTTP")
	not "value" in object.keys(e)
} else := sprintf("open: ENABLE_DEBUG_ON_HTTP=%s", [env_entry(d, "ENABLE_DEBUG_ON_HTTP").value]) if {
	env_entry(d, "ENABLE_DEBUG_ON_HTTP")
} else := "open: ENABLE_DEBUG_ON_HTTP unset, Istio's default true"

args(d) := object.get(discovery(d), "args", [])

grpc_closed(d) if {
	some a in args(d)
	a in {"--grpcAddr=", "--grpcAddr=\"\"", "--grpcAddr=''", "-grpcAddr=", "-grpcAddr=\"\""}
}

grpc_closed(d) if {
	some i, a in args(d)
	a in {"--grpcAddr", "-grpcAddr"}
	args(d)[i + 1] in {"", "\"\"", "''"}
}

# ---- NetworkPolicy ---------------------------------------------------------

np_selects(p, lbls) if {
	sel := object.get(p.spec, "podSelector", {})
	lib.label_selector_matches(sel, lbls)
}

isolates_ingress(p) if not p.spec.policyTypes

isolates_ingress(p) if "Ingress" in p.spec.policyTypes

open_peer(peer) if {
	object.keys(peer) == {"namespaceSelector"}
	count(object.get(peer.namespaceSelector, "matchLabels", {})) == 0
	count(object.get(peer.namespaceSelector, "matchExpressions", [])) == 0
}

open_peer(peer) if peer.ipBlock.cidr in {"0.0.0.0/0", "::/0"}

open_sources(r) if count(object.get(r, "from", [])) == 0

open_sources(r) if {
	some peer in r.from
	open_peer(peer)
}

port_name(d, port) := p.name if {
	some p in object.get(discovery(d), "ports", [])
	p.containerPort == port
}

port_matches(pe, _, _) if not "port" in object.keys(pe)

port_matches(pe, _, port) if pe.port == port

port_matches(pe, d, port) if pe.port == port_name(d, port)

port_matches(pe, _, port) if {
	is_number(pe.port)
	pe.port <= port
	port <= pe.endPort
}

rule_covers(r, _, _) if count(object.get(r, "ports", [])) == 0

rule_covers(r, d, port) if {
	some pe in r.ports
	port_matches(pe, d, port)
}

opened(p, d, port) if {
	some r in object.get(p.spec, "ingress", [])
	open_sources(r)
	rule_covers(r, d, port)
}

selecting(d) := [p |
	some p in object.get(lib.network_policies_by_ns, lib.ns(d), set())
	np_selects(p, lib.template_labels(d))
]

restricted(d, port) if {
	some p in selecting(d)
	isolates_ingress(p)
	every q in selecting(d) {
		not opened(q, d, port)
	}
}

# ---- findings --------------------------------------------------------------

# One finding per istiod listing every open plaintext port.
deny contains f if some f in lib.findings_per_subject(problems)

problems contains {
	"order": 1,
	"msg": sprintf("istiod %s/%s serves unauthenticated debug endpoints on plaintext port 8080 (%s) and no NetworkPolicy restricts that port", [lib.ns(d), lib.name(d), substring(state, 6, -1)]),
	"resource": lib.resource(d),
	"evidence": [debug_evidence(d), np_lookup(d, 8080)],
} if {
	some d in lib.istiods
	state := debug_state(d)
	startswith(state, "open: ")
	not restricted(d, 8080)
}

unknown contains sprintf("istiod %s/%s sets ENABLE_DEBUG_ON_HTTP but %s, and no NetworkPolicy restricts port 8080", [lib.ns(d), lib.name(d), substring(state, 9, -1)]) if {
	some d in lib.istiods
	state := debug_state(d)
	startswith(state, "unknown: ")
	not restricted(d, 8080)
}

problems contains {
	"order": 0,
	"msg": sprintf("istiod %s/%s serves plaintext xDS on port 15010 (no --grpcAddr=\"\" argument) and no NetworkPolicy restricts that port", [lib.ns(d), lib.name(d)]),
	"resource": lib.resource(d),
	"evidence": [{"path": sprintf("%s.args", [discovery_path(d)]), "value": args(d)}, np_lookup(d, 15010)],
} if {
	some d in lib.istiods
	not grpc_closed(d)
	not restricted(d, 15010)
}

# judged: every istiod whose debug port state is known (or restricted by a
# NetworkPolicy either way).
judged contains lib.resource(d) if {
	some d in lib.istiods
	not startswith(debug_state(d), "unknown: ")
}

judged contains lib.resource(d) if {
	some d in lib.istiods
	restricted(d, 8080)
}

not_applicable contains "no istiod Deployment in the input" if count(lib.istiods) == 0
