# METADATA
# title: Critical services have circuit breaking, timeouts and retries; gateways limit connections
# description: |
#   The talk's thundering-herd 503s: without bounds, a restart or a slow
#   backend makes every client pile on. For each critical host — a Service
#   labelled with the `critical_label` parameter (value "true"), or a Service
#   selecting a workload so labelled (on the workload or its pod template) —
#   a DestinationRule for the host must set `trafficPolicy.connectionPool`
#   and `trafficPolicy.outlierDetection` (at the top level, in a
#   portLevelSettings entry, or in every subset), and, when the Service has
#   a port that may carry HTTP (named or appProtocol http/http2/grpc/h2c, or
#   no declared protocol), a VirtualService for the host bound to the mesh
#   must give each forwarding HTTP route a `timeout` (not 0s) and `retries`
#   (attempts above 0: Istio disables retries for a retries block with
#   attempts 0 or unset; without a retries block Istio's implicit default
#   applies, which the organisation has not tuned, so it is reported). Hosts
#   are matched by the shared host matcher (lib/hosts.rego) as Istio does: a
#   short name is relative to the rule's namespace, `*` and `*.suffix` are
#   wildcards, case does not matter; a DestinationRule of any namespace
#   counts (exportTo is not evaluated). Each
#   Istio gateway must also limit downstream connections (Envoy accepts
#   connections without limit by default): `runtimeValues` key
#   `overload.global_downstream_max_connections` in the gateway's
#   `proxy.istio.io/config` annotation or in the mesh config's
#   `defaultConfig`, or an EnvoyFilter applying to the gateway that adds a
#   downstream-connections overload monitor or a connection_limit filter. A
#   custom bootstrap (`sidecar.istio.io/bootstrapOverride`) is not collected
#   (unknown in a live scan; in a manifest scan that gateway is not judged),
#   nor is a gateway when the mesh config is not known (a manifest scan
#   without it: its defaultConfig may set the limit). A critical workload
#   without any Service in a manifest scan is not judged (its host is not
#   in the input). Judged: every critical host Service and every gateway
#   whose limit was decided; with none, not applicable with the reasons.
#   When nothing is labelled critical the rule is not applicable: the label
#   is how an organisation opts its services in.
#   One finding per Service, VirtualService or gateway lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
# custom:
#   id: HA-08
#   severity: medium
#   controls: [SC-5]
#   inputs: [Service, workloads, DestinationRule, VirtualService, EnvoyFilter, ConfigMap]
#   subjects: [Service, workloads]
#   remediation: |
#     For each critical host, add a DestinationRule with
#     `trafficPolicy.connectionPool` (tcp.maxConnections,
#     http.http1MaxPendingRequests / http2MaxRequests) and
#     `trafficPolicy.outlierDetection` (consecutive5xxErrors, interval,
#     baseEjectionTime), and a VirtualService whose HTTP routes set `timeout`
#     and `retries` (attempts, perTryTimeout, retryOn). For gateways, set
#     `runtimeValues: {"overload.global_downstream_max_connections": "<n>"}`
#     in the gateway pods' `proxy.istio.io/config` annotation (or in
#     `meshConfig.defaultConfig`).
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: payments
#         namespace: payments
#         labels:
#           meshaudit.io/critical: "true"
#       spec:
#         selector:
#           app: payments
#         ports:
#         - name: http
#           port: 8080
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: VirtualService
#       metadata:
#         name: payments
#         namespace: payments
#       spec:
#         hosts:
#         - payments
#         http:
#         - route:
#           - destination:
#               host: payments
#               port:
#                 number: 8080
#     pass: |
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: payments
#         namespace: payments
#         labels:
#           meshaudit.io/critical: "true"
#       spec:
#         selector:
#           app: payments
#         ports:
#         - name: http
#           port: 8080
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: DestinationRule
#       metadata:
#         name: payments
#         namespace: payments
#       spec:
#         host: payments.payments.svc.cluster.local
#         trafficPolicy:
#           connectionPool:
#             tcp:
#               maxConnections: 100
#             http:
#               http1MaxPendingRequests: 50
#               http2MaxRequests: 200
#           outlierDetection:
#             consecutive5xxErrors: 5
#             interval: 10s
#             baseEjectionTime: 30s
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: VirtualService
#       metadata:
#         name: payments
#         namespace: payments
#       spec:
#         hosts:
#         - payments
#         http:
#         - route:
#           - destination:
#               host: payments
#               port:
#                 number: 8080
#           timeout: 5s
#           retries:
#             attempts: 2
#             perTryTimeout: 2s
#             retryOn: connect-failure,refused-stream,unavailable,503
package meshaudit.rules.ha_08

import data.meshaudit.lib
import rego.v1

label := lib.params.critical_label

critical(lbls) if lib.truthy(object.get(lbls, label, ""))

critical_services contains s if {
	some s in lib.objects("Service")
	lib.in_scope(lib.ns(s))
	critical(lib.labels(s))
}

critical_workloads contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	critical(lib.labels(w.obj))
}

critical_workloads contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	critical(w.labels)
}

any_critical if count(critical_services) > 0

any_critical if count(critical_workloads) > 0

not_applicable contains sprintf("no workload or Service labelled %s: \"true\"", [label]) if not any_critical

# services_by_pair: the Services with a selector, by [namespace, key,
# value] of the smallest key of their selector (built once): a workload
# finds the Services selecting it by looking up each of its labels.
services_by_pair := lib.group([[[lib.ns(s), k, sel[k]], s] |
	some s in lib.objects("Service")
	sel := object.get(s, ["spec", "selector"], {})
	is_object(sel)
	count(sel) > 0
	k := min(object.keys(sel))
])

workload_services(w) := {s |
	some k, v in w.labels
	some s in object.get(services_by_pair, [[w.namespace, k, v]], set())
	lib.selects(s.spec.selector, w.labels)
}

host_services contains s if some s in critical_services

host_services contains s if {
	some w in critical_workloads
	not lib.gateway(w)
	some s in workload_services(w)
}

unresolved_workloads contains w if {
	not lib.live
	some w in critical_workloads
	not lib.gateway(w)
	count(workload_services(w)) == 0
}

# critical_evidence(s): why the Service's host is critical.
critical_evidence(s) := [{"path": sprintf("metadata.labels[%q]", [label]), "value": lib.labels(s)[label]}] if critical(lib.labels(s))

else := [{"path": "spec.selector", "value": s.spec.selector}]

# ---- hosts (lib/hosts.rego) ----------------------------------------------------

fqdn(s) := lib.service_fqdn(s)

drs_by_host := lib.group([[lib.host_normalize(dr.spec.host, lib.ns(dr)), dr] |
	some dr in lib.objects("DestinationRule")
	is_string(dr.spec.host)
])

drs_for(host) := lib.host_lookup(drs_by_host, host)

mesh_bound(vs) if count(object.get(vs.spec, "gateways", [])) == 0

mesh_bound(vs) if "mesh" in vs.spec.gateways

vss_by_host := lib.group([[lib.host_normalize(h, lib.ns(vs)), vs] |
	some vs in lib.objects("VirtualService")
	mesh_bound(vs)
	some h in object.get(vs.spec, "hosts", [])
])

vss_for(host) := lib.host_lookup(vss_by_host, host)

# ---- DestinationRule: connectionPool and outlierDetection -----------------------

policy_fields := ["connectionPool", "outlierDetection"]

policy_has(dr, f) if object.get(dr.spec, ["trafficPolicy", f], null) != null

policy_has(dr, f) if {
	some pls in object.get(dr.spec, ["trafficPolicy", "portLevelSettings"], [])
	object.get(pls, f, null) != null
}

policy_has(dr, f) if {
	subsets := object.get(dr.spec, "subsets", [])
	count(subsets) > 0
	every ss in subsets {
		object.get(ss, ["trafficPolicy", f], null) != null
	}
}

list_text(set_) := "none" if count(set_) == 0

list_text(set_) := concat(", ", sort([lib.ns_name(o) | some o in set_])) if count(set_) > 0

finding contains {
	"msg": sprintf("no DestinationRule for critical host %s sets %s (DestinationRules for the host: %s): add them to a DestinationRule for the host", [host, concat(" or ", [sprintf("trafficPolicy.%s", [f]) | some f in missing]), list_text(drs)]),
	"resource": lib.resource(s),
	"evidence": array.concat(
		critical_evidence(s),
		array.concat(
			[{"path": sprintf("DestinationRule for host %s setting trafficPolicy.%s", [host, f]), "value": 0} | some f in missing],
			[{"path": "spec.host", "value": dr.spec.host, "resource": lib.resource(dr)} | some dr in drs],
		),
	),
} if {
	any_critical
	some s in host_services
	host := fqdn(s)
	drs := drs_for(host)
	missing := [f | some f in policy_fields; not any_has(drs, f)]
	count(missing) > 0
}

any_has(drs, f) if {
	some dr in drs
	policy_has(dr, f)
}

# ---- VirtualService: timeouts and retries ---------------------------------------

non_http := {"tcp", "tls", "https", "mongo", "mysql", "redis", "udp"}

port_protocol(p) := lower(p.appProtocol) if p.appProtocol

port_protocol(p) := lower(split(p.name, "-")[0]) if {
	not p.appProtocol
	p.name
}

port_protocol(p) := "" if {
	not p.appProtocol
	not p.name
}

http_capable(s) if {
	some p in object.get(s.spec, "ports", [])
	not object.get(p, "protocol", "TCP") in {"UDP", "SCTP"}
	not port_protocol(p) in non_http
}

finding contains {
	"msg": sprintf("no VirtualService bound to the mesh routes critical host %s, so its HTTP routes have no timeout and no retries policy: add one with timeout and retries on its HTTP routes", [host]),
	"resource": lib.resource(s),
	"evidence": array.concat(critical_evidence(s), [{"path": sprintf("VirtualService bound to gateway mesh for host %s", [host]), "value": 0}]),
} if {
	any_critical
	some s in host_services
	http_capable(s)
	host := fqdn(s)
	count(vss_for(host)) == 0
}

forwarding(r) if not r.redirect

zero_duration(d) if regex.match(`^0+(\.0+)?(s|ms|m|h)?$`, sprintf("%v", [d]))

# route_problems(r, i): [text, evidence] of each problem of http[i].
route_problems(r, i) := [p |
	some p in [
		timeout_problem(r, i),
		retries_problem(r, i),
	]
	p != null
]

timeout_problem(r, i) := ["no timeout", {"path": sprintf("spec.http[%d].timeout", [i])}] if object.get(r, "timeout", null) == null

else := [sprintf("timeout %v, which disables it", [r.timeout]), {"path": sprintf("spec.http[%d].timeout", [i]), "value": r.timeout}] if zero_duration(r.timeout)

else := null

retries_problem(r, i) := ["no retries policy", {"path": sprintf("spec.http[%d].retries", [i])}] if object.get(r, "retries", null) == null

else := ["retries.attempts 0, which disables retries", {"path": sprintf("spec.http[%d].retries.attempts", [i]), "value": 0}] if r.retries.attempts == 0

else := ["retries without attempts (0), which disables retries", {"path": sprintf("spec.http[%d].retries.attempts", [i])}] if not r.retries.attempts

else := null

finding contains {
	"msg": sprintf("http[%d] of VirtualService %s for critical host %s has %s: set a timeout and retries with attempts above 0", [i, lib.ns_name(vs), host, concat(" and ", [p[0] | some p in problems])]),
	"resource": lib.resource(vs),
	"evidence": [p[1] | some p in problems],
} if {
	any_critical
	some s in host_services
	http_capable(s)
	host := fqdn(s)
	some vs in vss_for(host)
	some i, r in object.get(vs.spec, "http", [])
	forwarding(r)
	not r.directResponse
	problems := route_problems(r, i)
	count(problems) > 0
}

# ---- gateways: downstream connection limit ---------------------------------------

limit_key := "overload.global_downstream_max_connections"

unlimited := 2147483647

gateways contains w if {
	any_critical
	some w in lib.workloads
	lib.in_scope(w.namespace)
	lib.gateway(w)
}

pod_proxy_config(w) := c if {
	c := yaml.unmarshal(w.annotations["proxy.istio.io/config"])
	is_object(c)
} else := {}

mesh_config_resource := lib.resource(lib.mesh_configmap) if lib.mesh_configmap

# runtime_limit(w): [value, where, evidence] of the limit set for gateway w.
runtime_limit(w) := [v, "the proxy.istio.io/config annotation", {"path": sprintf("%s: runtimeValues[%q]", [lib.annotation_path(w, "proxy.istio.io/config"), limit_key]), "value": v}] if {
	v := pod_proxy_config(w).runtimeValues[limit_key]
} else := [v, "the mesh config's defaultConfig", object.union({"path": sprintf("data.mesh: defaultConfig.runtimeValues[%q]", [limit_key]), "value": v}, {"resource": r | r := mesh_config_resource})] if {
	v := lib.mesh_config.defaultConfig.runtimeValues[limit_key]
}

as_number(v) := v if is_number(v)

as_number(v) := to_number(trim_space(v)) if {
	is_string(v)
	regex.match(`^\s*[0-9]+\s*$`, v)
}

limited_by_runtime(w) if {
	[v, _, _] := runtime_limit(w)
	n := as_number(v)
	n > 0
	n < unlimited
}

limit_markers := [
	"global_downstream_max_connections",
	"envoy.resource_monitors.downstream_connections",
	"downstream_connections.v3.DownstreamConnectionsConfig",
	"envoy.filters.network.connection_limit",
	"connection_limit.v3.ConnectionLimit",
]

envoyfilter_applies(ef, w) if {
	lib.ns(ef) in {lib.root_ns, w.namespace}
	not ef.spec.targetRefs
	lib.selects(object.get(ef.spec, ["workloadSelector", "labels"], {}), w.labels)
}

limiting_envoyfilter(ef) if {
	patches := json.marshal(object.get(ef.spec, "configPatches", []))
	some m in limit_markers
	contains(patches, m)
}

# limiting_envoyfilters: the EnvoyFilters adding a connection limit (built
# once; few), checked against each gateway.
limiting_envoyfilters := [ef | some ef in lib.objects("EnvoyFilter"); limiting_envoyfilter(ef)]

limited_by_envoyfilter(w) if {
	some ef in limiting_envoyfilters
	envoyfilter_applies(ef, w)
}

limited(w) if limited_by_runtime(w)

limited(w) if limited_by_envoyfilter(w)

bootstrap_override(w) := w.annotations["sidecar.istio.io/bootstrapOverride"]

gw_name(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.obj.metadata.name])

finding contains {
	"msg": sprintf("the Istio gateway sets %s to %v in %s, which is no limit: set it to the number of connections the gateway can serve", [limit_key, v, where]),
	"resource": w.resource,
	"evidence": [ev],
} if {
	some w in gateways
	not limited_by_envoyfilter(w)
	[v, where, ev] := runtime_limit(w)
	not limited_by_runtime(w)
}

finding contains {
	"msg": sprintf("the Istio gateway does not limit downstream connections: no %s in runtimeValues of its proxy.istio.io/config annotation or the mesh config's defaultConfig, and no EnvoyFilter adds a connection limit: set it in the annotation's runtimeValues", [limit_key]),
	"resource": w.resource,
	"evidence": [
		{"path": lib.annotation_path(w, "proxy.istio.io/config")},
		object.union({"path": sprintf("data.mesh: defaultConfig.runtimeValues[%q]", [limit_key])}, {"resource": r | r := mesh_config_resource}),
		{"path": "EnvoyFilter applying to the gateway that adds a downstream connection limit", "value": 0},
	],
} if {
	some w in gateways
	lib.mesh_config_known
	not limited(w)
	not runtime_limit(w)
	not bootstrap_override(w)
}

unknown contains sprintf("%s: its custom bootstrap (ConfigMap %s of sidecar.istio.io/bootstrapOverride) is not collected and may limit downstream connections", [gw_name(w), bootstrap_override(w)]) if {
	lib.live
	some w in gateways
	not limited(w)
	not runtime_limit(w)
}

# ---- verdict -------------------------------------------------------------------------

# gateway_decided(w): the input holds what decides the gateway's limit.
gateway_decided(w) if limited(w)

gateway_decided(w) if runtime_limit(w)

gateway_decided(w) if {
	lib.mesh_config_known
	not bootstrap_override(w)
}

# judged: every critical host Service (its DestinationRules and
# VirtualServices decide it) and every gateway whose limit was decided.
judged contains lib.resource(s) if {
	any_critical
	some s in host_services
}

judged contains w.resource if {
	some w in gateways
	gateway_decided(w)
}

not_applicable contains sprintf("critical %s: no Service in the input selects it, so its host is not in the input", [gw_name(w)]) if {
	count(judged) == 0
	some w in unresolved_workloads
}

not_applicable contains sprintf("%s: the mesh config is not in the input, and its defaultConfig.runtimeValues may set %s", [gw_name(w), limit_key]) if {
	count(judged) == 0
	some w in gateways
	not gateway_decided(w)
	not bootstrap_override(w)
}

not_applicable contains sprintf("%s: its custom bootstrap (ConfigMap %s of sidecar.istio.io/bootstrapOverride) is not in the input and may limit downstream connections", [gw_name(w), bootstrap_override(w)]) if {
	not lib.live
	count(judged) == 0
	some w in gateways
	not gateway_decided(w)
}

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
