# METADATA
# title: Prometheus can scrape under STRICT mTLS
# description: |
#   Under STRICT mTLS Prometheus scrapes meshed workloads either through
#   Istio's metrics merging (the default: the injector points the
#   `prometheus.io` annotations at the agent's plaintext port 15020) or with
#   Istio certificates: a Prometheus pod injected with
#   `traffic.sidecar.istio.io/includeInboundPorts: ""`,
#   `traffic.sidecar.istio.io/includeOutboundIPRanges: ""` and
#   `proxyMetadata.OUTPUT_CERTS` in `proxy.istio.io/config`. Reported:
#   merging turned off (mesh config `enablePrometheusMerge: false`, pod
#   annotation `prometheus.istio.io/merge-metrics: "false"`) without that
#   Prometheus pattern in the input (in a manifest scan without the mesh
#   config the pattern may live elsewhere: not judged), a Prometheus pod
#   using the pattern without OUTPUT_CERTS while merging is off, and a
#   sidecar workload annotated `prometheus.io/scrape: "true"` whose scrape
#   port (`prometheus.io/port`, else its declared ports) is not captured
#   by the sidecar: excluded with `excludeInboundPorts` or left out of an
#   explicit `includeInboundPorts` (the talk's `"15090,6969"` case passes),
#   with the annotation value that fixes it. Sidecar workloads follow
#   lib.sidecar (an implied namespace counts as not enrolled unless
#   params.namespace_labels or a pod-level signal says otherwise). A
#   workload turning merging off in an application repository (no mesh
#   config source, no Prometheus with certificates in the input) is not
#   judged (never unknown). Judged: the mesh when its config is known, the
#   scraped sidecar workloads, those turning merging off where decidable,
#   and the Prometheus pods using the pattern; findings carry the
#   annotations, ports and mesh config fields as evidence.
# custom:
#   id: TEL-03
#   severity: medium
#   controls: [SI-4, AU-12]
#   inputs: [ConfigMap, Namespace, workloads]
#   requires: [istio]
#   subjects: [workloads, ConfigMap]
#   remediation: |
#     Keep metrics merging on (`enablePrometheusMerge` unset or true, no
#     `prometheus.istio.io/merge-metrics: "false"`), or scrape with Istio
#     certificates from a Prometheus injected with `includeInboundPorts: ""`,
#     `includeOutboundIPRanges: ""` and `proxyMetadata: {OUTPUT_CERTS:
#     /etc/istio-output-certs}`. Make the scrape port captured by the
#     sidecar: set the annotation to the value the finding gives.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: razzee
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: razzee
#       spec:
#         replicas: 5
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#             annotations:
#               prometheus.io/scrape: "true"
#               prometheus.io/path: /metrics
#               prometheus.io/port: "6969"
#               traffic.sidecar.istio.io/includeInboundPorts: "15090"
#           spec:
#             containers:
#             - name: alb-api
#               image: registry.example.com/razzee/alb-api:3.2.0
#               ports:
#               - name: http-metrics
#                 containerPort: 6969
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: razzee
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: razzee
#       spec:
#         replicas: 5
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#             annotations:
#               prometheus.io/scrape: "true"
#               prometheus.io/path: /metrics
#               prometheus.io/port: "6969"
#               traffic.sidecar.istio.io/includeInboundPorts: "15090,6969"
#           spec:
#             containers:
#             - name: alb-api
#               image: registry.example.com/razzee/alb-api:3.2.0
#               ports:
#               - name: http-metrics
#                 containerPort: 6969
package meshaudit.rules.tel_03

import data.meshaudit.lib
import rego.v1

# ---- sidecar workloads -------------------------------------------------------------

# subjects: in-scope sidecar workloads (lib.sidecar: an implied namespace
# counts as not enrolled unless params.namespace_labels or a pod-level
# signal says otherwise), not on the host network.
subjects contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.host_network(w)
	lib.sidecar(w)
}

# ---- the injected-Prometheus pattern ------------------------------------------------

ann(w, k) := trim_space(sprintf("%v", [w.annotations[k]]))

pattern_annotations(w) if {
	ann(w, lib.include_inbound_ports_key) == ""
	ann(w, concat("", [lib.traffic_annotation_prefix, "includeOutboundIPRanges"])) == ""
}

output_certs(w) if trim_space(sprintf("%v", [lib.proxy_config(w).proxyMetadata.OUTPUT_CERTS])) != ""

prometheus_pattern(w) if {
	pattern_annotations(w)
	output_certs(w)
}

pattern_present if {
	some w in lib.workloads
	prometheus_pattern(w)
}

# ---- metrics merging ------------------------------------------------------------------

mesh_merge_off if {
	lib.has_mesh_config
	lib.falsy(lib.mesh_config.enablePrometheusMerge)
}

merge_key := "prometheus.istio.io/merge-metrics"

pod_merge_off(w) if lib.falsy(w.annotations[merge_key])

merge_off if mesh_merge_off

merge_off if {
	some w in subjects
	pod_merge_off(w)
}

pattern_lookup := {"path": "Deployment or Pod with includeInboundPorts \"\", includeOutboundIPRanges \"\" and proxyMetadata.OUTPUT_CERTS (a Prometheus scraping with Istio certificates)", "value": 0}

deny contains {
	"msg": "mesh config sets enablePrometheusMerge: false and no Prometheus in the input scrapes with Istio certificates (includeInboundPorts \"\", includeOutboundIPRanges \"\" and proxyMetadata.OUTPUT_CERTS), so Prometheus cannot scrape STRICT mTLS workloads",
	"resource": lib.mesh_config_subject,
	"evidence": [lib.mesh_config_field_evidence("enablePrometheusMerge", lib.mesh_config.enablePrometheusMerge), pattern_lookup],
} if {
	mesh_merge_off
	not pattern_present
}

deny contains {
	"msg": sprintf("%s \"false\" turns off metrics merging and no Prometheus in the input scrapes with Istio certificates (includeInboundPorts \"\", includeOutboundIPRanges \"\" and proxyMetadata.OUTPUT_CERTS), so Prometheus cannot scrape it under STRICT mTLS", [merge_key]),
	"resource": w.resource,
	"evidence": [{"path": lib.annotation_path(w, merge_key), "value": w.annotations[merge_key]}, pattern_lookup],
} if {
	lib.mesh_config_known
	not pattern_present
	some w in subjects
	pod_merge_off(w)
}

# undecided(w): it turns merging off, and where Prometheus runs is not in
# the input (no mesh config source, no Prometheus with certificates): an
# application repository. Not judged on that; never unknown.
undecided(w) if {
	not lib.mesh_config_known
	not pattern_present
	pod_merge_off(w)
}

deny contains {
	"msg": "Prometheus pattern without certificates: includeInboundPorts \"\" and includeOutboundIPRanges \"\" but proxy.istio.io/config sets no proxyMetadata.OUTPUT_CERTS, so this Prometheus has no Istio certificates to scrape STRICT mTLS workloads with metrics merging off",
	"resource": w.resource,
	"evidence": [
		{"path": lib.annotation_path(w, lib.include_inbound_ports_key), "value": ""},
		{"path": lib.annotation_path(w, "proxy.istio.io/config"), "value": object.get(w.annotations, "proxy.istio.io/config", null)},
	],
} if {
	merge_off
	some w in lib.workloads
	lib.in_scope(w.namespace)
	pattern_annotations(w)
	not output_certs(w)
}

# ---- scrape port captured ---------------------------------------------------------------

items(v) := [p |
	some raw in split(v, ",")
	p := trim_space(raw)
	p != ""
]

# Ports of the proxy itself (the merged-metrics endpoint 15020 and Envoy's
# 15090 are served by the proxy, never redirected).
istio_ports := {"15000", "15001", "15004", "15006", "15008", "15020", "15021", "15053", "15090"}

scrape_ports(w) := {trim_space(sprintf("%v", [w.annotations["prometheus.io/port"]]))} if {
	"prometheus.io/port" in object.keys(w.annotations)
} else := {sprintf("%v", [p]) | some p in lib.container_ports(w)}

port_text(w, port) := sprintf("prometheus.io/port %s", [port]) if {
	"prometheus.io/port" in object.keys(w.annotations)
} else := sprintf("scrape port %s (a declared port: no prometheus.io/port)", [port])

include_value(w) := ann(w, lib.include_inbound_ports_key) if lib.include_inbound_ports_key in object.keys(w.annotations)

include_value(w) := "*" if not lib.include_inbound_ports_key in object.keys(w.annotations)

# The scraped workloads, except Prometheus itself (the pattern's pod).
scraped(w) if {
	lib.truthy(w.annotations["prometheus.io/scrape"])
	not pattern_annotations(w)
}

deny contains {
	"msg": sprintf("%s is not in %s %q, so the scrape bypasses the sidecar (plaintext, and Prometheus using Istio certificates fails); set %s: %q", [port_text(w, port), lib.include_inbound_ports_key, v, lib.include_inbound_ports_key, fixed]),
	"resource": w.resource,
	"evidence": [port_evidence(w, port), {"path": lib.annotation_path(w, lib.include_inbound_ports_key), "value": v}],
} if {
	some w in subjects
	scraped(w)
	v := include_value(w)
	v != "*"
	listed := items(v)
	some port in scrape_ports(w)
	not port in istio_ports
	not port in listed
	fixed := concat(",", array.concat(listed, [port]))
}

deny contains {
	"msg": sprintf("%s is excluded by %s %q, so the scrape bypasses the sidecar (plaintext, and Prometheus using Istio certificates fails); %s", [port_text(w, port), lib.exclude_inbound_ports_key, ann(w, lib.exclude_inbound_ports_key), exclude_fix(w, port)]),
	"resource": w.resource,
	"evidence": [port_evidence(w, port), {"path": lib.annotation_path(w, lib.exclude_inbound_ports_key), "value": w.annotations[lib.exclude_inbound_ports_key]}],
} if {
	some w in subjects
	scraped(w)
	include_value(w) == "*"
	some port in scrape_ports(w)
	not port in istio_ports
	port in items(ann(w, lib.exclude_inbound_ports_key))
}

exclude_fix(w, port) := sprintf("set %s: %q", [lib.exclude_inbound_ports_key, concat(",", rest)]) if {
	rest := [p | some p in items(ann(w, lib.exclude_inbound_ports_key)); p != port]
	count(rest) > 0
} else := sprintf("remove %s", [lib.exclude_inbound_ports_key])

# port_evidence: the prometheus.io/port annotation, else the declared
# container port scraped.
port_evidence(w, port) := {"path": lib.annotation_path(w, "prometheus.io/port"), "value": w.annotations["prometheus.io/port"]} if {
	"prometheus.io/port" in object.keys(w.annotations)
} else := {"path": sprintf("%s.ports[%d].containerPort", [lib.container_path(w, x), i]), "value": p.containerPort} if {
	some x in lib.app_containers(w)
	x.kind == "containers"
	some i, p in object.get(x.c, "ports", [])
	sprintf("%v", [p.containerPort]) == port
}

# ---- verdict ------------------------------------------------------------------------------

# judged: the mesh when its merge setting is known, every sidecar workload
# Prometheus scrapes (its scrape port is judged) and every sidecar workload
# that turns merging off where the input shows whether Prometheus scrapes
# with certificates.
judged contains lib.mesh_config_subject if lib.mesh_config_known

# A manifest scan without a mesh config source cannot tell whether metrics
# merging is on (Istio's default, or the mesh config's enablePrometheusMerge).
not_applicable contains "only a live scan can tell whether metrics merging is on: the input holds no mesh config source (the mesh ConfigMap, an IstioOperator, --mesh-config)" if {
	not lib.mesh_config_known
	count(judged) == 0
}

judged contains w.resource if {
	some w in subjects
	scraped(w)
	not undecided(w)
}

judged contains w.resource if {
	some w in subjects
	pod_merge_off(w)
	not undecided(w)
}

judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	prometheus_pattern(w)
}

not_applicable contains sprintf("%s/%s turns off metrics merging (%s \"false\"); whether Prometheus scrapes it with Istio certificates is not in the input: neither a mesh config source nor a Prometheus with proxyMetadata.OUTPUT_CERTS", [w.namespace, lib.name(w.obj), merge_key]) if {
	count(judged) == 0
	some w in subjects
	undecided(w)
}
