# METADATA
# title: Probes keep working under STRICT mTLS
# description: |
#   Istio rewrites the httpGet, grpc and tcpSocket liveness, readiness and
#   startup probes of sidecar-injected pods so that the kubelet probes the
#   sidecar agent (port 15020), which forwards them to the application. A pod
#   annotated `sidecar.istio.io/rewriteAppHTTPProbers: "false"` keeps its
#   original probes, and the kubelet, which has no Istio certificate, sends
#   them through the sidecar. Following Istio's health-checking docs:
#   httpGet and grpc probes on a port whose effective mTLS mode is STRICT
#   are rejected by the sidecar, so the probe always fails (pods never become
#   ready, or are restarted in a loop); a tcpSocket probe does not fail but
#   always succeeds while the sidecar runs (the sidecar accepts every
#   connection), whatever the mTLS mode, so it checks nothing (reported with
#   low severity). exec probes, probes on ports excluded from inbound capture
#   (`traffic.sidecar.istio.io/excludeInboundPorts`, or not listed in
#   `includeInboundPorts`) and ambient-mode pods (the kubelet's probes are
#   exempted from ztunnel's capture) are not affected. The injector-wide
#   default (`sidecarInjectorWebhook.rewriteAppHTTPProbe`) lives in the
#   istio-sidecar-injector ConfigMap, which meshaudit does not read: only the
#   pod annotation is judged. In a manifest scan without mesh-wide evidence
#   (the mesh config, or an Istio policy in the root namespace; an unrelated
#   object there is none), a port whose mode falls through to the mesh-wide
#   policy is not judged (the rule is not applicable when nothing else is).
#   The workloads judged are the sidecar workloads with network probes. One
#   finding per workload lists every affected probe, with the probe port,
#   the annotation and the STRICT PeerAuthentication as evidence.
# custom:
#   id: HA-02
#   severity: medium
#   controls: [CP-10]
#   inputs: [workloads, Namespace, PeerAuthentication]
#   subjects: [workloads]
#   remediation: |
#     Remove the `sidecar.istio.io/rewriteAppHTTPProbers: "false"` pod
#     annotation so that Istio rewrites the probes to its agent; if the
#     rewrite must stay off, use exec probes, or serve the probe on a port
#     excluded from inbound capture (`traffic.sidecar.istio.io/excludeInboundPorts`)
#     that only the health endpoint listens on.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: shop
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: shop
#       spec:
#         mtls:
#           mode: STRICT
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#             annotations:
#               sidecar.istio.io/rewriteAppHTTPProbers: "false"
#           spec:
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#               ports:
#               - name: http
#                 containerPort: 8080
#               readinessProbe:
#                 httpGet:
#                   path: /healthz
#                   port: http
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: shop
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: shop
#       spec:
#         mtls:
#           mode: STRICT
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#               ports:
#               - name: http
#                 containerPort: 8080
#               readinessProbe:
#                 httpGet:
#                   path: /healthz
#                   port: http
package meshaudit.rules.ha_02

import data.meshaudit.lib
import rego.v1

annotation := "sidecar.istio.io/rewriteAppHTTPProbers"

probe_fields := ["readinessProbe", "livenessProbe", "startupProbe"]

# ---- sidecar workloads (lib.meshed minus ambient capture) --------------------

rewrite_off(w) if lib.falsy(w.annotations[annotation])

# candidates: sidecar workloads that turn probe rewriting off.
candidates contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	rewrite_off(w)
	lib.runs_sidecar(w)
}

# probed_workloads: every sidecar workload with network probes.
probed_workloads contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	lib.runs_sidecar(w)
	count(probes(w)) > 0
}

# undecided(w): a candidate with an httpGet/grpc probe on a captured port
# whose mode falls through to the mesh-wide PeerAuthentication, which a
# manifest scan without mesh-wide evidence does not show.
undecided(w) if {
	not lib.mesh_policy_known
	some p in probes(w)
	p.handler in {"httpGet", "grpc"}
	not not_captured(w, p.port)
	[_, res] := lib.effective_mode(w, p.port)
	res == null
}

failed := {p.resource | some p in problems}

# judged: every sidecar workload with probes, on the evidence: one that
# keeps probe rewriting on passes; a candidate whose probe's mode is
# Istio's mesh-wide default unseen in the input is judged only when it has
# a problem anyway.
judged contains w.resource if {
	some w in probed_workloads
	not w in candidates
}

judged contains w.resource if {
	some w in candidates
	count(probes(w)) > 0
	not undecided(w)
}

judged contains w.resource if {
	some w in candidates
	w.resource in failed
}

# ---- probes ----------------------------------------------------------------------

# Containers that can have these probes: app containers and native sidecar
# init containers.
probed(x) if x.kind == "containers"

probed(x) if {
	x.kind == "initContainers"
	x.c.restartPolicy == "Always"
}

handler_kinds := ["httpGet", "grpc", "tcpSocket"]

# port_of(c, v): the container port a probe port (number or name) stands for.
port_of(_, v) := v if is_number(v)

port_of(c, v) := p.containerPort if {
	is_string(v)
	some p in object.get(c, "ports", [])
	p.name == v
}

# probes(w): {container, field, handler, port} of every network probe.
probes(w) := {{"container": x.c.name, "field": f, "handler": h, "port": port, "path": sprintf("%s.%s.%s.port", [lib.container_path(w, x), f, h]), "value": hd.port} |
	some x in lib.app_containers(w)
	probed(x)
	some f in probe_fields
	pr := x.c[f]
	is_object(pr)
	some h in handler_kinds
	hd := pr[h]
	is_object(hd)
	port := port_of(x.c, hd.port)
}

# ---- inbound capture -------------------------------------------------------------

items(v) := {trim_space(s) | some s in split(sprintf("%v", [v]), ","); trim_space(s) != ""}

port_text(p) := sprintf("%v", [p])

not_captured(w, port) if port_text(port) in items(object.get(w.annotations, "traffic.sidecar.istio.io/excludeInboundPorts", ""))

not_captured(w, port) if {
	v := w.annotations["traffic.sidecar.istio.io/includeInboundPorts"]
	not "*" in items(v)
	not port_text(port) in items(v)
}

# ---- effective mode --------------------------------------------------------------

source(null) := "Istio's default: no PeerAuthentication sets a mode"

source(res) := sprintf("PeerAuthentication %s/%s", [res.namespace, res.name]) if res != null

# ---- findings --------------------------------------------------------------------

annotation_evidence(w) := {"path": lib.annotation_path(w, annotation), "value": w.annotations[annotation]}

probe_evidence(p) := {"path": p.path, "value": p.value}

mode_evidence(null) := []

mode_evidence(res) := [{"path": "spec.mtls.mode", "value": "STRICT", "resource": res}] if res != null

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s (%s) of container %q fails: port %v is STRICT (%s) and %s is \"false\", so the kubelet's plaintext probe is rejected by the sidecar", [p.field, p.handler, p.container, p.port, source(res), annotation]),
	"evidence": array.concat([probe_evidence(p), annotation_evidence(w)], mode_evidence(res)),
} if {
	some w in candidates
	some p in probes(w)
	p.handler in {"httpGet", "grpc"}
	not not_captured(w, p.port)
	[mode, res] := lib.effective_mode(w, p.port)
	mode == "STRICT"
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s (tcpSocket) of container %q on port %v always succeeds while the sidecar runs: %s is \"false\", so the kubelet's connection is accepted by the sidecar, not the application", [p.field, p.container, p.port, annotation]),
	"evidence": [probe_evidence(p), annotation_evidence(w)],
	"severity": "low",
} if {
	some w in candidates
	some p in probes(w)
	p.handler == "tcpSocket"
	not not_captured(w, p.port)
}

# One finding per workload, listing every probe (medium when any probe
# fails under STRICT, low when only tcpSocket probes check nothing).
deny contains f if some f in lib.findings_per_subject(problems)

not_applicable contains sprintf("%s %s/%s has httpGet or grpc probes with %s \"false\" whose mTLS mode falls through to the mesh-wide PeerAuthentication, and the input holds no mesh-wide evidence (the mesh config, or an Istio policy in root namespace %q)", [w.kind, w.namespace, w.obj.metadata.name, annotation, lib.root_ns]) if {
	count(judged) == 0
	some w in candidates
	undecided(w)
}
