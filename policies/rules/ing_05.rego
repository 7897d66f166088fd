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
#   do not count. In a manifest scan without the root namespace, a gateway
#   no policy of the input selects is unknown (a root policy may).
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

dry_run(p) if lib.truthy(object.get(lib.annotations(p), "istio.io/dry-run", "false"))

selector(p) := object.get(p, ["spec", "selector", "matchLabels"], {})

target_refs(p) := [r | some r in object.get(p, ["spec", "targetRefs"], [])] if not p.spec.targetRef

else := [p.spec.targetRef]

gateway_name_label := "gateway.networking.k8s.io/gateway-name"

# applies(p, n, lbls): policy p applies to a pod with labels lbls in
# namespace n.
applies(p, n, lbls) if {
	count(target_refs(p)) == 0
	lib.ns(p) in {n, lib.root_ns}
	lib.selects(selector(p), lbls)
}

applies(p, n, lbls) if {
	lib.ns(p) == n
	some r in target_refs(p)
	object.get(r, "kind", "") == "Gateway"
	r.name == lbls[gateway_name_label]
}

aps := [p | some p in lib.objects("AuthorizationPolicy"); not dry_run(p)]

# aps_by_ns: namespace -> its policies, grouped once as a complete object (a
# lookup into a partial rule re-evaluates it on every call).
ap_pairs := [[lib.ns(p), p] | some p in aps]

aps_by_ns := {n: ps |
	some n in {x[0] | some x in ap_pairs}
	ps := [x[1] | some x in ap_pairs; x[0] == n]
}

# ---- ingress gateways selected by an AuthorizationPolicy ------------------------------

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

# Ambient waypoints are gateway proxies too, but inside the mesh.
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
	some p in object.get(aps_by_ns, n, [])
	applies(p, w.namespace, w.labels)
}

not_applicable contains "no ingress gateway workload and no user-facing Gateway in the input" if {
	count(ingress_gateways) == 0
	count(istio_gateways) == 0
	count(api_gateways) == 0
}

root_known if lib.live

root_known if lib.has_root_objects

deny contains {
	"msg": "ingress gateway is selected by no enforced AuthorizationPolicy, so it admits every request",
	"resource": w.resource,
} if {
	some w in ingress_gateways
	root_known
	not authorized(w)
}

unknown contains sprintf("no AuthorizationPolicy in the input selects ingress gateway %s %s/%s and the root namespace %q is not in the input", [w.kind, w.namespace, w.resource.name, lib.root_ns]) if {
	some w in ingress_gateways
	not root_known
	not authorized(w)
}

# ---- end-user authentication on user-facing Gateways ------------------------------------

authenticators := array.concat(
	lib.objects("RequestAuthentication"),
	[p | some p in aps; upper(object.get(p, ["spec", "action"], "")) == "CUSTOM"],
)

authenticated(n, lbls) if {
	some p in authenticators
	applies(p, n, lbls)
}

# unresolved Istio Gateway (workload not in the input): a policy whose
# selector covers the Gateway's selector, or a mesh-wide one.
authenticated_sel(sel) if {
	some p in authenticators
	count(target_refs(p)) == 0
	count(selector(p)) > 0
	lib.selects(selector(p), sel)
}

authenticated_sel(_) if {
	some p in authenticators
	lib.ns(p) == lib.root_ns
	count(target_refs(p)) == 0
	count(selector(p)) == 0
}

user_facing(s) if upper(object.get(s, ["port", "protocol"], "")) == "HTTPS"

user_facing(s) if {
	upper(object.get(s, ["port", "protocol"], "")) in {"HTTP", "HTTP2", "GRPC", "GRPC-WEB"}
	not lib.truthy(object.get(s, ["tls", "httpsRedirect"], false))
}

# An egress gateway's servers face mesh sidecars (authenticated by mTLS),
# not end users; ISTIO_MUTUAL servers likewise accept only mesh peers.
egress_gateway(gw) if {
	egress := object.get(lib.params, "egress_gateway_labels", {})
	count(egress) > 0
	lib.selects(egress, object.get(gw.spec, "selector", {}))
}

istio_gateways contains gw if {
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
	not egress_gateway(gw)
	some s in object.get(gw.spec, "servers", [])
	user_facing(s)
	upper(object.get(s, ["tls", "mode"], "")) != "ISTIO_MUTUAL"
}

gw_workloads(gw) := {w |
	sel := object.get(gw.spec, "selector", {})
	count(sel) > 0
	some w in lib.workloads
	lib.selects(sel, w.labels)
}

msg := "user-facing Gateway has no RequestAuthentication or CUSTOM AuthorizationPolicy on %s, so end users are not authenticated at the edge"

wdesc(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.resource.name])

deny contains {
	"msg": sprintf(msg, [sprintf("its gateway workload %s", [wdesc(w)])]),
	"resource": lib.resource(gw),
} if {
	some gw in istio_gateways
	some w in gw_workloads(gw)
	not authenticated(w.namespace, w.labels)
}

deny contains {
	"msg": sprintf(msg, [sprintf("its selector %s", [json.marshal(sel)])]),
	"resource": lib.resource(gw),
} if {
	not lib.live
	some gw in istio_gateways
	count(gw_workloads(gw)) == 0
	sel := object.get(gw.spec, "selector", {})
	not authenticated_sel(sel)
}

api_gateways contains gw if {
	some gw in lib.objects("Gateway.gateway.networking.k8s.io")
	lib.in_scope(lib.ns(gw))
	some l in object.get(gw.spec, "listeners", [])
	upper(object.get(l, "protocol", "")) in {"HTTP", "HTTPS"}
}

deny contains {
	"msg": sprintf(msg, [sprintf("its gateway pods (%s=%s)", [gateway_name_label, lib.name(gw)])]),
	"resource": lib.resource(gw),
} if {
	some gw in api_gateways
	pods := {w.labels |
		some w in lib.workloads
		w.namespace == lib.ns(gw)
		w.labels[gateway_name_label] == lib.name(gw)
	}
	lbls := pods | {{gateway_name_label: lib.name(gw)} | count(pods) == 0}
	some l in lbls
	not authenticated(lib.ns(gw), l)
}
