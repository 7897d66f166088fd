# METADATA
# title: Egress gateway present and highly available
# description: |
#   External traffic should leave the mesh through a dedicated egress
#   gateway: workloads whose pods carry the egress gateway labels (parameter
#   `egress_gateway_labels`, default `istio: egressgateway`). The talk's
#   clusters sent ten times more traffic out than in, so the egress gateway
#   must survive the loss of a pod or node: at least `min_replicas` replicas
#   (a HorizontalPodAutoscaler's minReplicas replaces spec.replicas when one
#   targets the workload; spec.replicas unset means 1; a DaemonSet counts the
#   nodes it is scheduled on, visible only in a live scan) and a
#   PodDisruptionBudget selecting its pods. A live scan without any egress
#   gateway fails. A manifest scan without an egress gateway workload is not
#   applicable: the gateway is deployed (and judged) elsewhere, even when the
#   input's Gateways or VirtualServices refer to it. One finding per egress
#   gateway workload lists every problem. A DaemonSet's node count is a
#   live-only fact: in a manifest scan such a gateway is not judged. Judged:
#   every egress gateway workload whose replica count is known, and the mesh
#   in a live scan without any; findings carry the replica, HPA and PDB
#   lookups as evidence.
# custom:
#   id: EGR-02
#   severity: high
#   controls: [SC-7(8), CP-10]
#   inputs: [workloads, HorizontalPodAutoscaler, PodDisruptionBudget, Gateway, VirtualService]
#   remediation: |
#     Deploy a dedicated egress gateway (Helm chart `istio/gateway` or
#     IstioOperator `components.egressGateways`) labelled
#     `istio: egressgateway`, with at least two replicas (or an HPA with
#     `minReplicas: 2`) spread across zones, and a PodDisruptionBudget
#     (`minAvailable: 1` or `maxUnavailable: 1`) selecting its pods.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         replicas: 1
#         selector:
#           matchLabels:
#             istio: egressgateway
#         template:
#           metadata:
#             annotations:
#               inject.istio.io/templates: gateway
#             labels:
#               app: istio-egressgateway
#               istio: egressgateway
#               sidecar.istio.io/inject: "true"
#           spec:
#             serviceAccountName: istio-egressgateway
#             containers:
#             - name: istio-proxy
#               image: auto
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: egressgateway
#         template:
#           metadata:
#             annotations:
#               inject.istio.io/templates: gateway
#             labels:
#               app: istio-egressgateway
#               istio: egressgateway
#               sidecar.istio.io/inject: "true"
#           spec:
#             serviceAccountName: istio-egressgateway
#             containers:
#             - name: istio-proxy
#               image: auto
#       ---
#       apiVersion: policy/v1
#       kind: PodDisruptionBudget
#       metadata:
#         name: istio-egressgateway
#         namespace: istio-system
#       spec:
#         minAvailable: 1
#         selector:
#           matchLabels:
#             istio: egressgateway
package meshaudit.rules.egr_02

import data.meshaudit.lib
import rego.v1

labels_text := concat(",", sort([sprintf("%s=%s", [k, v]) | some k, v in lib.egress_gateway_labels]))

# ---- replicas ------------------------------------------------------------------------

hpas_by_ns := lib.group([[lib.ns(h), h] | some h in lib.objects("HorizontalPodAutoscaler")])

hpas(w) := [h |
	some h in object.get(hpas_by_ns, w.namespace, set())
	ref := lib.as_object(object.get(lib.as_object(object.get(h, "spec", {})), "scaleTargetRef", {}))
	ref.kind == w.kind
	ref.name == lib.name(w.obj)
]

hpa_min(h) := n if {
	n := h.spec.minReplicas
	is_number(n)
} else := 1

# replicas(w): [count, source text, evidence].
replicas(w) := [n, sprintf("minReplicas of HorizontalPodAutoscaler %s/%s", [lib.ns(h), lib.name(h)]), object.union({"path": "spec.minReplicas", "resource": lib.resource(h)}, {"value": v | v := h.spec.minReplicas})] if {
	hs := hpas(w)
	count(hs) > 0
	n := min({hpa_min(h) | some h in hs})
	h := [x | some x in hs; hpa_min(x) == n][0]
} else := [n, "spec.replicas", {"path": "spec.replicas", "value": n}] if {
	w.kind in {"Deployment", "StatefulSet", "ReplicaSet"}
	n := w.obj.spec.replicas
	is_number(n)
} else := [1, "spec.replicas unset, Kubernetes' default", {"path": "spec.replicas"}] if {
	w.kind in {"Deployment", "StatefulSet", "ReplicaSet"}
} else := [n, "status.desiredNumberScheduled: one pod per node", {"path": "status.desiredNumberScheduled", "value": n}] if {
	w.kind == "DaemonSet"
	n := w.obj.status.desiredNumberScheduled
	is_number(n)
} else := [1, "a bare Pod", {"path": "kind", "value": "Pod"}] if {
	w.kind == "Pod"
} else := [1, "a Job", {"path": "kind", "value": w.kind}] if {
	w.kind in {"Job", "CronJob"}
}

# ---- PodDisruptionBudgets -----------------------------------------------------------------

pdb_selects(p, l) if {
	sel := object.get(lib.as_object(object.get(p, "spec", {})), "selector", null)
	is_object(sel)
	lib.label_selector_matches(sel, l)
}

has_pdb(w) if {
	some p in object.get(lib.pdbs_by_ns, w.namespace, set())
	pdb_selects(p, w.labels)
}

# ---- references to an egress gateway not in the input -----------------------------------

referring contains sprintf("Gateway %s/%s", [lib.ns(gw), lib.name(gw)]) if {
	count(lib.egress_gateway_labels) > 0
	some gw in lib.objects("Gateway")
	sel := object.get(lib.as_object(object.get(gw, "spec", {})), "selector", {})
	is_object(sel)
	count(sel) > 0
	lib.selects(lib.egress_gateway_labels, sel)
}

referring contains sprintf("VirtualService %s/%s", [lib.ns(vs), lib.name(vs)]) if {
	some vs in lib.objects("VirtualService")
	some kind in ["http", "tls", "tcp"]
	some r in lib.as_array(object.get(lib.as_object(object.get(vs, "spec", {})), kind, []))
	some d in lib.as_array(object.get(lib.as_object(r), "route", []))
	host := d.destination.host
	is_string(host)
	startswith(lower(host), "istio-egressgateway")
}

# ---- findings ----------------------------------------------------------------------------

deny contains {
	"msg": sprintf("no egress gateway: no workload's pods carry the egress gateway labels %s, so external traffic has no controlled exit point: deploy one (at least %d replicas, with a PodDisruptionBudget)", [labels_text, lib.params.min_replicas]),
	"resource": lib.mesh_resource,
	"evidence": [{"path": sprintf("workload whose pods carry labels %s", [labels_text]), "value": 0}],
} if {
	lib.live
	count(lib.egress_gateway_labels) > 0
	count(lib.egress_gateways) == 0
}

pod_labels_text(w) := concat(",", sort([sprintf("%s=%s", [k, v]) | some k, v in w.labels]))

# problems(w): [text, evidence] of each problem of egress gateway w.
problems(w) := array.concat(
	[[sprintf("egress gateway runs %d replica(s) (%s), fewer than the required %d: run at least %d (spec.replicas or an HPA's minReplicas)", [n, src, lib.params.min_replicas, lib.params.min_replicas]), ev] |
		[n, src, ev] := replicas(w)
		n < lib.params.min_replicas
	],
	[[sprintf("no PodDisruptionBudget in namespace %q selects the egress gateway pods (labels %s), so a node drain may evict every replica at once: add one (minAvailable 1 or maxUnavailable 1) selecting them", [w.namespace, pod_labels_text(w)]), {"path": sprintf("PodDisruptionBudget in namespace %q selecting labels %s", [w.namespace, pod_labels_text(w)]), "value": 0}] |
		not has_pdb(w)
	],
)

deny contains {
	"msg": concat("; ", [p[0] | some p in ps]),
	"resource": w.resource,
	"evidence": [p[1] | some p in ps],
} if {
	some w in lib.egress_gateways
	ps := problems(w)
	count(ps) > 0
}

# ---- verdict ------------------------------------------------------------------------------

# judged: every egress gateway whose replica count is known (a DaemonSet's
# node count is only in a live cluster's status), and the mesh in a live
# scan without any egress gateway.
judged contains w.resource if {
	some w in lib.egress_gateways
	replicas(w)
}

judged contains lib.mesh_resource if {
	lib.live
	count(lib.egress_gateway_labels) > 0
	count(lib.egress_gateways) == 0
}

unknown contains "params.egress_gateway_labels is empty: egress gateway pods cannot be identified" if {
	count(lib.egress_gateway_labels) == 0
}

unknown contains sprintf("egress gateway %s is a DaemonSet whose number of nodes is not in the input (no status.desiredNumberScheduled)", [lib.workload_name(w)]) if {
	lib.live
	some w in lib.egress_gateways
	not replicas(w)
}

not_applicable contains sprintf("only a live scan can tell how many nodes egress gateway %s runs on (a DaemonSet's status.desiredNumberScheduled)", [lib.workload_name(w)]) if {
	not lib.live
	count(judged) == 0
	some w in lib.egress_gateways
	not replicas(w)
}

not_applicable contains sprintf("only a live scan can tell whether an egress gateway is deployed: no egress gateway workload (pods labelled %s) is in the input (it may be deployed and judged elsewhere)", [labels_text]) if {
	not lib.live
	count(lib.egress_gateway_labels) > 0
	count(lib.egress_gateways) == 0
	count(referring) == 0
}

not_applicable contains sprintf("no egress gateway workload (pods labelled %s) in the input, although %s refer to one: it is deployed elsewhere, so judge its replicas and PodDisruptionBudget with a live scan or a scan of its manifests", [labels_text, concat(", ", sort(referring))]) if {
	not lib.live
	count(lib.egress_gateway_labels) > 0
	count(lib.egress_gateways) == 0
	count(referring) > 0
}
