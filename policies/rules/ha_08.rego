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
#   applies, which the organisation has not tuned, so it is reported). Hosts are matched as Istio does: a short name is
#   relative to the rule's namespace, `*` prefixes are wildcards; a
#   DestinationRule of any namespace counts (exportTo is not evaluated). Each
#   Istio gateway must also limit downstream connections (Envoy accepts
#   connections without limit by default): `runtimeValues` key
#   `overload.global_downstream_max_connections` in the gateway's
#   `proxy.istio.io/config` annotation or in the mesh config's
#   `defaultConfig`, or an EnvoyFilter applying to the gateway that adds a
#   downstream-connections overload monitor or a connection_limit filter. A
#   custom bootstrap (`sidecar.istio.io/bootstrapOverride`) is not collected
#   (unknown), and so is the mesh config absent from a manifest scan. A
#   critical workload without any Service in a manifest scan is unknown.
#   When nothing is labelled critical the rule is not applicable: the label
#   is how an organisation opts its services in.
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

# ---- what is critical ------------------------------------------------------------

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

# (Built as a complete object from [key, value] pairs: a partial rule
# `idx[key] contains value` re-runs per keyed lookup and grows quadratically
# even when materialised whole.)
service_pairs := [[lib.ns(s), s] | some s in lib.objects("Service")]

services_by_ns := {n: list |
	some n in {p[0] | some p in service_pairs}
	list := {p[1] | some p in service_pairs; p[0] == n}
}

selects_workload(s, w) if {
	sel := object.get(s.spec, "selector", {})
	is_object(sel)
	count(sel) > 0
	lib.selects(sel, w.labels)
}

workload_services(w) := {s | some s in services_by_ns[w.namespace]; selects_workload(s, w)}

host_services contains s if some s in critical_services

host_services contains s if {
	some w in critical_workloads
	not lib.gateway(w)
	some s in workload_services(w)
}

unknown contains sprintf("critical %s %s/%s: no Service in the input selects it, so its host is unknown", [w.kind, w.namespace, w.obj.metadata.name]) if {
	not lib.live
	some w in critical_workloads
	not lib.gateway(w)
	count(workload_services(w)) == 0
}

fqdn(s) := sprintf("%s.%s.svc.cluster.local", [lib.name(s), lib.ns(s)])

# ---- host matching (pilot's ResolveShortnameToFQDN) --------------------------------

norm(h, _) := h if contains(h, ".")

norm("*", _) := "*"

norm(h, n) := sprintf("%s.%s.svc.cluster.local", [h, n]) if {
	not contains(h, ".")
	h != "*"
}

wildcard(h) if startswith(h, "*")

covers(h, host) if {
	wildcard(h)
	endswith(host, substring(h, 1, -1))
}

dr_pairs := [[norm(dr.spec.host, lib.ns(dr)), dr] | some dr in lib.objects("DestinationRule")]

drs_by_host := {h: list |
	some h in {p[0] | some p in dr_pairs}
	list := {p[1] | some p in dr_pairs; p[0] == h}
}

wildcard_dr_hosts contains h if {
	some h, _ in drs_by_host
	wildcard(h)
}

drs_for(host) := object.get(drs_by_host, host, set()) | {dr |
	some h in wildcard_dr_hosts
	covers(h, host)
	some dr in drs_by_host[h]
}

mesh_bound(vs) if count(object.get(vs.spec, "gateways", [])) == 0

mesh_bound(vs) if "mesh" in vs.spec.gateways

vs_pairs := [[norm(h, lib.ns(vs)), vs] |
	some vs in lib.objects("VirtualService")
	mesh_bound(vs)
	some h in object.get(vs.spec, "hosts", [])
]

vss_by_host := {h: list |
	some h in {p[0] | some p in vs_pairs}
	list := {p[1] | some p in vs_pairs; p[0] == h}
}

wildcard_vs_hosts contains h if {
	some h, _ in vss_by_host
	wildcard(h)
}

vss_for(host) := object.get(vss_by_host, host, set()) | {vs |
	some h in wildcard_vs_hosts
	covers(h, host)
	some vs in vss_by_host[h]
}

ref(o) := sprintf("%s/%s", [lib.ns(o), lib.name(o)])

# ---- DestinationRule ---------------------------------------------------------------

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

list_text(set_) := concat(", ", sort([ref(o) | some o in set_])) if count(set_) > 0

deny contains {
	"msg": sprintf("no DestinationRule for critical host %s sets %s (DestinationRules for the host: %s)", [host, concat(" or ", [sprintf("trafficPolicy.%s", [f]) | some f in missing]), list_text(drs)]),
	"resource": lib.resource(s),
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

# ---- VirtualService -----------------------------------------------------------------

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

deny contains {
	"msg": sprintf("no VirtualService bound to the mesh routes critical host %s, so its HTTP routes have no timeout and no retries policy", [host]),
	"resource": lib.resource(s),
} if {
	any_critical
	some s in host_services
	http_capable(s)
	host := fqdn(s)
	count(vss_for(host)) == 0
}

forwarding(r) if not r.redirect

zero_duration(d) if regex.match(`^0+(\.0+)?(s|ms|m|h)?$`, sprintf("%v", [d]))

route_problems(r) := [p |
	some p in [
		timeout_problem(r),
		retries_problem(r),
	]
	p != ""
]

timeout_problem(r) := "no timeout" if object.get(r, "timeout", null) == null

else := sprintf("timeout %v, which disables it", [r.timeout]) if zero_duration(r.timeout)

else := ""

retries_problem(r) := "no retries policy" if object.get(r, "retries", null) == null

else := "retries.attempts 0, which disables retries" if r.retries.attempts == 0

else := "retries without attempts (0), which disables retries" if not r.retries.attempts

else := ""

deny contains {
	"msg": sprintf("http[%d] of VirtualService %s for critical host %s has %s", [i, ref(vs), host, concat(" and ", problems)]),
	"resource": lib.resource(vs),
} if {
	any_critical
	some s in host_services
	http_capable(s)
	host := fqdn(s)
	some vs in vss_for(host)
	some i, r in object.get(vs.spec, "http", [])
	forwarding(r)
	not r.directResponse
	problems := route_problems(r)
	count(problems) > 0
}

# ---- gateways --------------------------------------------------------------------------

limit_key := "overload.global_downstream_max_connections"

# Istio's bootstrap sets the key to 2147483647: no limit.
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

# runtime_limit(w): [value, where] of the effective runtime value.
runtime_limit(w) := [v, "the proxy.istio.io/config annotation"] if {
	v := pod_proxy_config(w).runtimeValues[limit_key]
} else := [v, "the mesh config's defaultConfig"] if {
	v := lib.mesh_config.defaultConfig.runtimeValues[limit_key]
}

as_number(v) := v if is_number(v)

as_number(v) := to_number(trim_space(v)) if {
	is_string(v)
	regex.match(`^\s*[0-9]+\s*$`, v)
}

limited_by_runtime(w) if {
	[v, _] := runtime_limit(w)
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

limited_by_envoyfilter(w) if {
	some ef in lib.objects("EnvoyFilter")
	envoyfilter_applies(ef, w)
	limiting_envoyfilter(ef)
}

limited(w) if limited_by_runtime(w)

limited(w) if limited_by_envoyfilter(w)

bootstrap_override(w) := w.annotations["sidecar.istio.io/bootstrapOverride"]

mesh_known if lib.live

mesh_known if lib.has_mesh_config

gw_name(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.obj.metadata.name])

deny contains {
	"msg": sprintf("the Istio gateway sets %s to %v in %s, which is no limit", [limit_key, v, where]),
	"resource": w.resource,
} if {
	some w in gateways
	not limited_by_envoyfilter(w)
	[v, where] := runtime_limit(w)
	not limited_by_runtime(w)
}

deny contains {
	"msg": sprintf("the Istio gateway does not limit downstream connections: no %s in runtimeValues of its proxy.istio.io/config annotation or the mesh config's defaultConfig, and no EnvoyFilter adds a connection limit", [limit_key]),
	"resource": w.resource,
} if {
	some w in gateways
	mesh_known
	not limited(w)
	not runtime_limit(w)
	not bootstrap_override(w)
}

unknown contains sprintf("%s: its custom bootstrap (ConfigMap %s of sidecar.istio.io/bootstrapOverride) is not collected and may limit downstream connections", [gw_name(w), bootstrap_override(w)]) if {
	some w in gateways
	not limited(w)
	not runtime_limit(w)
}

unknown contains sprintf("%s: the mesh config is not in the input, and its defaultConfig.runtimeValues may set %s", [gw_name(w), limit_key]) if {
	some w in gateways
	not mesh_known
	not limited(w)
	not runtime_limit(w)
	not bootstrap_override(w)
}
