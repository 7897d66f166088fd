# METADATA
# title: Authentication and authorization at the edge
# description: |
#   Every ingress gateway workload (pods labelled `istio: ingressgateway`, or
#   an Istio gateway proxy that is neither an egress gateway per
#   `egress_gateway_labels` nor an ambient waypoint) must be selected by at least one enforced
#   AuthorizationPolicy: a matching selector in its namespace or the root
#   namespace, a selector-less policy there, or `targetRefs` naming its
#   Gateway API Gateway. Without one, the gateway admits every request.
#   Each user-facing Gateway (an Istio Gateway with an HTTPS server or an
#   HTTP server that is not only a redirect, or a Gateway API Gateway with an
#   HTTP/HTTPS listener) must authenticate end users: a RequestAuthentication
#   or a CUSTOM (external authorizer) AuthorizationPolicy must apply to its
#   gateway workload. A Gateway whose workload is not in the input is judged
#   by the policies whose selector covers its selector. Policies in dry-run
#   do not count. Reported once per gateway workload (issue 14): one
#   finding on the workload lists every problem and every user-facing
#   Gateway it serves; when the workload is not in the input (manifests),
#   one finding per distinct selector, on the first Gateway, naming the
#   others. A missing policy is a finding only when mesh-wide policy is
#   known (a live scan, or an input holding the mesh config or root-namespace
#   Istio policy): a root-namespace policy the input does not show could
#   apply. Judged: every gateway workload and unresolved Gateway whose checks
#   were decided (a policy applies, or mesh-wide policy is known).
# custom:
#   id: ING-05
#   severity: medium
#   controls: [AC-3, AC-17, IA-8]
#   inputs: [AuthorizationPolicy, RequestAuthentication, Gateway, Gateway.gateway.networking.k8s.io, workloads]
#   subjects: [workloads, Gateway, Gateway.gateway.networking.k8s.io]
#   remediation: |
#     Apply an AuthorizationPolicy with the ingress gateway's selector that
#     allows only the expected hosts, paths and methods (and a default deny).
#     Authenticate end users at the edge: a RequestAuthentication with the
#     gateway's selector plus an AuthorizationPolicy requiring a token, or a
#     CUSTOM AuthorizationPolicy calling the organisation's external
#     authorizer (oauth2-proxy, OPA, ...).
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istio-ingressgateway
#         namespace: istio-system
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: ingressgateway
#         template:
#           metadata:
#             annotations:
#               inject.istio.io/templates: gateway
#             labels:
#               app: istio-ingressgateway
#               istio: ingressgateway
#               sidecar.istio.io/inject: "true"
#           spec:
#             serviceAccountName: istio-ingressgateway
#             containers:
#             - name: istio-proxy
#               image: auto
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: storefront-gateway
#         namespace: storefront
#       spec:
#         selector:
#           istio: ingressgateway
#         servers:
#         - port:
#             number: 443
#             name: https
#             protocol: HTTPS
#           hosts:
#           - shop.example.com
#           tls:
#             mode: SIMPLE
#             credentialName: shop-example-com-tls
#       ---
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: STRICT
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istio-ingressgateway
#         namespace: istio-system
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: ingressgateway
#         template:
#           metadata:
#             annotations:
#               inject.istio.io/templates: gateway
#             labels:
#               app: istio-ingressgateway
#               istio: ingressgateway
#               sidecar.istio.io/inject: "true"
#           spec:
#             serviceAccountName: istio-ingressgateway
#             containers:
#             - name: istio-proxy
#               image: auto
#       ---
#       apiVersion: networking.istio.io/v1
#       kind: Gateway
#       metadata:
#         name: storefront-gateway
#         namespace: storefront
#       spec:
#         selector:
#           istio: ingressgateway
#         servers:
#         - port:
#             number: 443
#             name: https
#             protocol: HTTPS
#           hosts:
#           - shop.example.com
#           tls:
#             mode: SIMPLE
#             credentialName: shop-example-com-tls
#       ---
#       apiVersion: security.istio.io/v1
#       kind: RequestAuthentication
#       metadata:
#         name: ingressgateway-jwt
#         namespace: istio-system
#       spec:
#         selector:
#           matchLabels:
#             istio: ingressgateway
#         jwtRules:
#         - issuer: https://auth.example.com
#           jwksUri: https://auth.example.com/.well-known/jwks.json
#       ---
#       apiVersion: security.istio.io/v1
#       kind: AuthorizationPolicy
#       metadata:
#         name: ingressgateway-require-jwt
#         namespace: istio-system
#       spec:
#         selector:
#           matchLabels:
#             istio: ingressgateway
#         action: ALLOW
#         rules:
#         - from:
#           - source:
#               requestPrincipals: ["https://auth.example.com/*"]
#           to:
#           - operation:
#               hosts: ["shop.example.com"]
package meshaudit.rules.ing_05

import data.meshaudit.lib
import rego.v1

target_refs(p) := [r | some r in object.get(p, ["spec", "targetRefs"], [])] if not p.spec.targetRef

else := [p.spec.targetRef]

gateway_name_label := "gateway.networking.k8s.io/gateway-name"

applies(p, n, lbls) if {
	count(target_refs(p)) == 0
	lib.ns(p) in {n, lib.root_ns}
	lib.selects(lib.match_labels(p), lbls)
}

applies(p, n, lbls) if {
	lib.ns(p) == n
	some r in target_refs(p)
	object.get(r, "kind", "") == "Gateway"
	r.name == lbls[gateway_name_label]
}

aps := [p | some p in lib.objects("AuthorizationPolicy"); not lib.dry_run(p)]

aps_by_ns := lib.group([[lib.ns(p), p] | some p in aps])

egress(w) if w.labels.istio == "egressgateway"

egress(w) if {
	count(lib.params.egress_gateway_labels) > 0
	lib.selects(lib.params.egress_gateway_labels, w.labels)
}

ingress_gateways contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	w.labels.istio == "ingressgateway"
}

waypoint(w) if w.labels["gateway.istio.io/managed"] == "istio.io-mesh-controller"

waypoint(w) if w.labels["gateway.networking.k8s.io/gateway-class-name"] == "istio-waypoint"

ingress_gateways contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	lib.gateway(w)
	not egress(w)
	not waypoint(w)
}

authorized(w) if {
	some n in {w.namespace, lib.root_ns}
	some p in object.get(aps_by_ns, n, set())
	applies(p, w.namespace, w.labels)
}

# ---- authentication --------------------------------------------------------------

authenticators := array.concat(
	lib.objects("RequestAuthentication"),
	[p | some p in aps; upper(object.get(p, ["spec", "action"], "")) == "CUSTOM"],
)

authenticated(n, lbls) if {
	some p in authenticators
	applies(p, n, lbls)
}

authenticated_sel(sel) if {
	some p in authenticators
	count(target_refs(p)) == 0
	count(lib.match_labels(p)) > 0
	lib.selects(lib.match_labels(p), sel)
}

authenticated_sel(_) if {
	some p in authenticators
	lib.ns(p) == lib.root_ns
	count(target_refs(p)) == 0
	count(lib.match_labels(p)) == 0
}

user_facing(s) if upper(object.get(s, ["port", "protocol"], "")) == "HTTPS"

user_facing(s) if {
	upper(object.get(s, ["port", "protocol"], "")) in {"HTTP", "HTTP2", "GRPC", "GRPC-WEB"}
	not lib.truthy(object.get(s, ["tls", "httpsRedirect"], false))
}

egress_gateway(gw) if {
	egress := object.get(lib.params, "egress_gateway_labels", {})
	count(egress) > 0
	lib.selects(egress, object.get(gw.spec, "selector", {}))
}

# istio_gateways: user-facing Istio Gateways, with the index of their first
# user-facing server.
istio_gateways contains gw if {
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
	not egress_gateway(gw)
	some s in object.get(gw.spec, "servers", [])
	user_facing(s)
	upper(object.get(s, ["tls", "mode"], "")) != "ISTIO_MUTUAL"
}

api_gateways contains gw if {
	some gw in lib.objects("Gateway.gateway.networking.k8s.io")
	lib.in_scope(lib.ns(gw))
	some l in object.get(gw.spec, "listeners", [])
	upper(object.get(l, "protocol", "")) in {"HTTP", "HTTPS"}
}

selected_workloads(sel) := {w |
	count(sel) > 0
	some k in [min(object.keys(sel))]
	some w in object.get(lib.workloads_by_label, [[k, sel[k]]], set())
	lib.selects(sel, w.labels)
}

# facing: the user-facing Gateways each gateway workload of the input serves
# (Istio Gateways by selector, Gateway API Gateways by the gateway-name
# label of their pods in their namespace).
facing := lib.group(array.concat(
	[[w.resource, gw] |
		some gw in istio_gateways
		some w in selected_workloads(lib.spec_selector(gw))
	],
	[[w.resource, gw] |
		some gw in api_gateways
		some w in selected_workloads({gateway_name_label: lib.name(gw)})
		w.namespace == lib.ns(gw)
	],
))

# subjects: the gateway workloads judged: every ingress gateway and every
# workload serving a user-facing Gateway.
subjects contains w if some w in ingress_gateways

subjects contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	object.get(facing, w.resource, null) != null
}

gateways_text(gws) := sprintf("user-facing Gateway %s", [names[0]]) if {
	names := sort([lib.ns_name(g) | some g in gws])
	count(names) == 1
} else := sprintf("user-facing Gateways %s", [concat(", ", sort([lib.ns_name(g) | some g in gws]))])

authz_fix := "add an AuthorizationPolicy with its selector (in its namespace or the root namespace) allowing only the expected hosts, paths and methods"

authn_fix := "add a RequestAuthentication with its selector and an AuthorizationPolicy requiring a token, or a CUSTOM AuthorizationPolicy calling the external authorizer"

# problems(w): [text, evidence] of each problem of gateway workload w.
problems(w) := array.concat(
	[[
		sprintf("no enforced AuthorizationPolicy selects it, so it admits every request: %s", [authz_fix]),
		{"path": sprintf("AuthorizationPolicy (not dry-run) in namespace %q or %q selecting labels %s", [w.namespace, lib.root_ns, json.marshal(w.labels)]), "value": 0},
	] |
		w in ingress_gateways
		lib.mesh_policy_known
		not authorized(w)
	],
	[[
		sprintf("it serves %s and no RequestAuthentication or CUSTOM AuthorizationPolicy applies to it, so end users are not authenticated at the edge: %s", [gateways_text(gws), authn_fix]),
		{"path": sprintf("RequestAuthentication or CUSTOM AuthorizationPolicy in namespace %q or %q applying to labels %s", [w.namespace, lib.root_ns, json.marshal(w.labels)]), "value": 0},
	] |
		gws := object.get(facing, w.resource, set())
		count(gws) > 0
		lib.mesh_policy_known
		not authenticated(w.namespace, w.labels)
	],
)

gateway_evidence(gws) := [{"path": "spec.selector", "value": lib.spec_selector(g), "resource": lib.resource(g)} |
	some g in lib.sort_by_ns_name(gws)
	startswith(g.apiVersion, "networking.istio.io/")
]

deny contains {
	"msg": sprintf("gateway workload %s: %s", [lib.workload_name(w), concat("; ", [p[0] | some p in ps])]),
	"resource": w.resource,
	"evidence": array.concat([p[1] | some p in ps], gateway_evidence(object.get(facing, w.resource, set()))),
} if {
	some w in subjects
	ps := problems(w)
	count(ps) > 0
}

# decided(w): every check of w has its deciding fact in the input.
authz_decided(w) if not w in ingress_gateways

authz_decided(w) if authorized(w)

authz_decided(_) if lib.mesh_policy_known

authn_decided(w) if count(object.get(facing, w.resource, set())) == 0

authn_decided(w) if authenticated(w.namespace, w.labels)

authn_decided(_) if lib.mesh_policy_known

judged contains w.resource if {
	some w in subjects
	authz_decided(w)
	authn_decided(w)
}

# ---- Gateways whose workload is not in the input (manifests) ------------------------

unresolved_istio := [gw |
	not lib.live
	some gw in istio_gateways
	count(selected_workloads(lib.spec_selector(gw))) == 0
]

# by_selector: the unresolved Gateways by selector, reported once per
# selector on the first of them.
by_selector := lib.group([[lib.spec_selector(gw), gw] | some gw in unresolved_istio])

unresolved_api contains gw if {
	not lib.live
	some gw in api_gateways
	count({w | some w in selected_workloads({gateway_name_label: lib.name(gw)}); w.namespace == lib.ns(gw)}) == 0
}

first_of(gws) := lib.sort_by_ns_name(gws)[0]

others_text(gws) := "" if count(gws) == 1

else := sprintf(" (also for %s, which select the same workload)", [concat(", ", [lib.ns_name(g) | some g in array.slice(lib.sort_by_ns_name(gws), 1, count(gws))])])

deny contains {
	"msg": sprintf("user-facing Gateway selects gateway workload %s, which is not in the input, and no RequestAuthentication or CUSTOM AuthorizationPolicy covers that selector, so end users are not authenticated at the edge%s: %s", [json.marshal(sel), others_text(gws), authn_fix]),
	"resource": lib.resource(first_of(gws)),
	"evidence": array.concat(
		[
			{"path": "spec.selector", "value": sel},
			{"path": sprintf("RequestAuthentication or CUSTOM AuthorizationPolicy whose selector covers %s", [json.marshal(sel)]), "value": 0},
		],
		[{"path": "spec.selector", "value": sel, "resource": lib.resource(g)} | some g in array.slice(lib.sort_by_ns_name(gws), 1, count(gws))],
	),
} if {
	lib.mesh_policy_known
	some sel, gws in by_selector
	not authenticated_sel(sel)
}

judged contains lib.resource(first_of(gws)) if {
	some sel, gws in by_selector
	selector_decided(sel)
}

selector_decided(sel) if authenticated_sel(sel)

selector_decided(_) if lib.mesh_policy_known

api_labels(gw) := {gateway_name_label: lib.name(gw)}

deny contains {
	"msg": sprintf("user-facing Gateway has no RequestAuthentication or CUSTOM AuthorizationPolicy on its gateway pods (%s=%s, not in the input), so end users are not authenticated at the edge: %s", [gateway_name_label, lib.name(gw), authn_fix]),
	"resource": lib.resource(gw),
	"evidence": [{"path": sprintf("RequestAuthentication or CUSTOM AuthorizationPolicy in namespace %q with targetRefs naming Gateway %s or a selector of %s=%s", [lib.ns(gw), lib.name(gw), gateway_name_label, lib.name(gw)]), "value": 0}],
} if {
	lib.mesh_policy_known
	some gw in unresolved_api
	not authenticated(lib.ns(gw), api_labels(gw))
}

judged contains lib.resource(gw) if {
	some gw in unresolved_api
	api_decided(gw)
}

api_decided(gw) if authenticated(lib.ns(gw), api_labels(gw))

api_decided(_) if lib.mesh_policy_known

# ---- not applicable ----------------------------------------------------------------

not_applicable contains "no ingress gateway workload and no user-facing Gateway in the input" if {
	count(subjects) == 0
	count(istio_gateways) == 0
	count(api_gateways) == 0
}

not_applicable contains sprintf("no policy of the input applies to its gateways, and the input holds no mesh-wide evidence (mesh config or Istio policy in root namespace %q): a root-namespace policy may authorize and authenticate them", [lib.root_ns]) if {
	not lib.mesh_policy_known
	count(judged) == 0
	(count(subjects) + count(istio_gateways)) + count(api_gateways) > 0
}
