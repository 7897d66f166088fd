# METADATA
# title: Gateway credentials exist
# description: |
#   Every `credentialName` (and `credentialNames`) of an Istio Gateway
#   server must name a Secret in the namespace of the gateway *workload*
#   that the Gateway's selector picks (Istio reads the Secret where the
#   gateway proxy runs, not where the Gateway object is; istioctl analyze
#   IST0161). A Gateway API listener's `certificateRefs` Secret must exist in
#   the namespace it names (default: the Gateway's). A missing Secret means
#   the listener serves no certificate. Only Secret names are read, never
#   their data. Secrets are collected only when the live scan runs with
#   `--secret-names` (so the kind is not declared as an input, which would
#   make the rule unknown before this hint could be given): without any
#   Secret in a live scan the rule is unknown. Whether a Secret exists is a
#   live-only fact (docs/verdicts.md): manifests rarely hold Secrets (they
#   are issued in the cluster), so in a manifest scan a namespace is judged
#   only when the input holds Secrets of it; otherwise the rule is not
#   applicable ("only a live scan can tell ..."). A Gateway whose selector
#   matches no workload in the input cannot be resolved to a namespace and
#   is unknown (live) or not judged (manifests). Judged: every Gateway whose
#   credential references were all checked against the Secrets of their
#   namespace. Findings carry the credential field and the Secret looked up
#   as evidence.
# custom:
#   id: ING-03
#   severity: medium
#   controls: [SC-17, SC-12]
#   inputs: [Gateway, Gateway.gateway.networking.k8s.io, workloads]
#   subjects: [Gateway, Gateway.gateway.networking.k8s.io]
#   remediation: |
#     Create the TLS Secret (e.g. with cert-manager) in the namespace of the
#     gateway deployment, with the exact name the Gateway's `credentialName`
#     gives, or fix the name.
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
#       apiVersion: v1
#       kind: Secret
#       metadata:
#         name: shop-example-com-cert
#         namespace: istio-system
#       type: kubernetes.io/tls
#       data:
#         tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t  # truncated
#         tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t  # truncated
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
#       apiVersion: v1
#       kind: Secret
#       metadata:
#         name: shop-example-com-tls
#         namespace: istio-system
#       type: kubernetes.io/tls
#       data:
#         tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t  # truncated
#         tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t  # truncated
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
package meshaudit.rules.ing_03

import data.meshaudit.lib
import rego.v1

secrets := {[lib.ns(s), lib.name(s)] | some s in lib.objects("Secret")}

secret_namespaces := {n | some [n, _] in secrets}

no_secrets_live if {
	lib.live
	not lib.collected("Secret")
}

unknown contains sprintf("Secret names were not collected (%s): run the live scan with --secret-names (metadata only) to check gateway credentials", [lib.kind_status("Secret")]) if {
	no_secrets_live
	count(refs) + count(unresolved) > 0
}

workloads_matching(sel) := {w.namespace |
	count(sel) > 0
	some k in [min(object.keys(sel))]
	some w in object.get(lib.workloads_by_label, [[k, sel[k]]], set())
	lib.selects(sel, w.labels)
}

# credential_names(s, i): [name, path] of the credentials of server i.
credential_names(s, i) := {[n, sprintf("spec.servers[%d].tls.credentialName", [i])] | n := s.tls.credentialName; n != ""} | {[n, sprintf("spec.servers[%d].tls.credentialNames[%d]", [i, j])] | some j, n in object.get(s, ["tls", "credentialNames"], []); n != ""}

# refs: [gateway, Secret namespace, Secret name, where, field path].
refs contains [gw, n, name, sprintf("server port %v", [object.get(s, ["port", "number"], "?")]), path] if {
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
	some i, s in object.get(gw.spec, "servers", [])
	some [name, path] in credential_names(s, i)
	some n in workloads_matching(object.get(gw.spec, "selector", {}))
}

unresolved contains gw if {
	some gw in lib.objects("Gateway")
	lib.in_scope(lib.ns(gw))
	some i, s in object.get(gw.spec, "servers", [])
	count(credential_names(s, i)) > 0
	count(workloads_matching(object.get(gw.spec, "selector", {}))) == 0
}

refs contains [gw, n, r.name, sprintf("listener %s", [object.get(l, "name", "?")]), sprintf("spec.listeners[%d].tls.certificateRefs[%d].name", [i, j])] if {
	some gw in lib.objects(lib.gateway_api_key)
	lib.in_scope(lib.ns(gw))
	some i, l in object.get(gw.spec, "listeners", [])
	some j, r in object.get(l, ["tls", "certificateRefs"], [])
	object.get(r, "kind", "Secret") == "Secret"
	object.get(r, "group", "") == ""
	n := object.get(r, "namespace", lib.ns(gw))
}

evidence(name, n, path) := [
	{"path": path, "value": name},
	{"path": sprintf("Secret %q in namespace %q", [name, n]), "value": 0},
]

deny contains {
	"msg": sprintf("%s credential %q has no Secret %s/%s (the gateway workload's namespace), so the listener serves no certificate: create the Secret there or fix the name", [where, name, n, name]),
	"resource": lib.resource(gw),
	"evidence": evidence(name, n, path),
} if {
	not no_secrets_live
	some [gw, n, name, where, path] in refs
	startswith(gw.apiVersion, "networking.istio.io/")
	judged_ns(n)
	not [n, name] in secrets
}

deny contains {
	"msg": sprintf("%s certificateRef %q has no Secret %s/%s, so the listener serves no certificate: create the Secret there or fix the reference", [where, name, n, name]),
	"resource": lib.resource(gw),
	"evidence": evidence(name, n, path),
} if {
	not no_secrets_live
	some [gw, n, name, where, path] in refs
	startswith(gw.apiVersion, "gateway.networking.k8s.io/")
	judged_ns(n)
	not [n, name] in secrets
}

judged_ns(_) if lib.live

judged_ns(n) if n in secret_namespaces

# judged: every Gateway whose credential references were all checked (its
# workload resolved and the Secrets of their namespaces known).
ref_namespaces := lib.group([[lib.resource(gw), n] | some [gw, n, _, _, _] in refs])

unresolved_refs := {lib.resource(gw) | some gw in unresolved}

judged contains r if {
	not no_secrets_live
	some r, ns_set in ref_namespaces
	not r in unresolved_refs
	every n in ns_set {
		judged_ns(n)
	}
}

# ---- not applicable (only when nothing was judged) ------------------------------------

not_applicable contains "no Gateway in the input references a credential Secret (credentialName, credentialNames or certificateRefs)" if {
	count(refs) + count(unresolved) == 0
}

not_applicable contains sprintf("only a live scan can tell whether the gateways' credential Secrets exist: the input holds no Secret of namespace(s) %s (manifests do not carry issued certificates; scan the cluster with --secret-names)", [concat(", ", sort(missing))]) if {
	not lib.live
	count(judged) == 0
	missing := {n | some [_, n, _, _, _] in refs; not n in secret_namespaces}
	count(missing) > 0
}

unknown contains sprintf("Gateway %s/%s selects no workload in the input, so the namespace of its credential Secrets is unknown", [lib.ns(gw), lib.name(gw)]) if {
	lib.live
	not no_secrets_live
	some gw in unresolved
}

not_applicable contains sprintf("only a live scan can tell whether the credential Secrets of Gateway %s/%s exist: its gateway workload is not in the input, so the namespace they must be in is unknown", [lib.ns(gw), lib.name(gw)]) if {
	not lib.live
	count(judged) == 0
	some gw in unresolved
}
