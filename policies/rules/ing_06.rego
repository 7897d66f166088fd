# METADATA
# title: No side doors around the gateways
# description: |
#   Traffic from outside the cluster must enter through the designated
#   gateways (pods carrying one of the `gateway_labels` label sets). A
#   LoadBalancer or NodePort Service whose selector does not contain one of
#   those label sets (or that has no selector), a Service with
#   `spec.externalIPs`, a `hostPort` on a container of any other workload,
#   and an Ingress not served by Istio's gateway (ingressClassName or
#   `kubernetes.io/ingress.class` other than `istio`) open a path that skips
#   the gateways' TLS, authentication and authorization. A gateway
#   LoadBalancer Service annotated as an internal load balancer (AWS
#   `service.beta.kubernetes.io/aws-load-balancer-internal` or
#   `aws-load-balancer-scheme: internal`, GKE
#   `networking.gke.io/load-balancer-type: Internal` or
#   `cloud.google.com/load-balancer-type: Internal`, Azure
#   `service.beta.kubernetes.io/azure-load-balancer-internal`) must also
#   restrict its clients with `loadBalancerSourceRanges`. Judged: every
#   in-scope Service, Ingress and workload; findings carry the exposing
#   field as evidence.
#   One finding per Service, Ingress or workload lists every problem found on it, with the
#   evidence of each, at the highest severity among them.
# custom:
#   id: ING-06
#   severity: high
#   controls: [SC-7(3), SC-7]
#   inputs: [Service, Ingress, workloads]
#   subjects: [Service, Ingress, workloads]
#   remediation: |
#     Expose applications through the Istio ingress gateway (Gateway plus
#     VirtualService, or Gateway API routes): change their Services to
#     ClusterIP, remove externalIPs and hostPort, and serve Ingresses with
#     `ingressClassName: istio` or replace them. Set
#     `loadBalancerSourceRanges` to the networks allowed to reach an internal
#     gateway load balancer.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: frontend
#         namespace: storefront
#       spec:
#         type: LoadBalancer
#         selector:
#           app: frontend
#         ports:
#         - name: http
#           port: 80
#           targetPort: 8080
#     pass: |
#       apiVersion: v1
#       kind: Service
#       metadata:
#         name: frontend
#         namespace: storefront
#       spec:
#         type: ClusterIP
#         selector:
#           app: frontend
#         ports:
#         - name: http
#           port: 80
#           targetPort: 8080
package meshaudit.rules.ing_06

import data.meshaudit.lib
import rego.v1

gateway_selector(sel) if {
	some gl in lib.params.gateway_labels
	count(gl) > 0
	lib.selects(gl, sel)
}

gateway_pod(lbls) if gateway_selector(lbls)

services := [s |
	some s in lib.objects("Service")
	lib.in_scope(lib.ns(s))
]

svc_type(s) := object.get(s, ["spec", "type"], "ClusterIP")

selector(s) := object.get(s, ["spec", "selector"], {})

gateway_service(s) if gateway_selector(selector(s))

labels_text := concat(" or ", [json.marshal(gl) | some gl in lib.params.gateway_labels])

finding contains {
	"msg": sprintf("%s Service selects %s, not a designated gateway (%s), so it exposes pods outside the gateways: make it ClusterIP and expose it through the gateway", [svc_type(s), json.marshal(selector(s)), labels_text]),
	"resource": lib.resource(s),
	"evidence": [{"path": "spec.type", "value": svc_type(s)}, {"path": "spec.selector", "value": selector(s)}],
} if {
	some s in services
	svc_type(s) in {"LoadBalancer", "NodePort"}
	count(selector(s)) > 0
	not gateway_service(s)
}

finding contains {
	"msg": sprintf("%s Service has no selector: its manually managed endpoints are exposed outside the designated gateways: make it ClusterIP and expose it through the gateway", [svc_type(s)]),
	"resource": lib.resource(s),
	"evidence": [{"path": "spec.type", "value": svc_type(s)}, {"path": "spec.selector"}],
} if {
	some s in services
	svc_type(s) in {"LoadBalancer", "NodePort"}
	count(selector(s)) == 0
}

finding contains {
	"msg": sprintf("Service sets externalIPs %s, which route outside traffic to pods that are not designated gateways: remove spec.externalIPs", [concat(", ", ips)]),
	"resource": lib.resource(s),
	"evidence": [{"path": "spec.externalIPs", "value": ips}],
} if {
	some s in services
	ips := object.get(s, ["spec", "externalIPs"], [])
	count(ips) > 0
	not gateway_service(s)
}

finding contains {
	"msg": sprintf("container %q binds hostPort %v on its node, a way in that skips the designated gateways: remove hostPort and expose it through the gateway", [x.c.name, p.hostPort]),
	"resource": w.resource,
	"evidence": [{"path": sprintf("%s.ports[%d].hostPort", [lib.container_path(w, x), k]), "value": p.hostPort}],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not gateway_pod(w.labels)
	some x in lib.app_containers(w)
	some k, p in object.get(x.c, "ports", [])
	object.get(p, "hostPort", 0) > 0
}

# ---- Ingress ---------------------------------------------------------------------------

ingress_class(i) := c if {
	c := i.spec.ingressClassName
} else := c if {
	c := lib.annotations(i)["kubernetes.io/ingress.class"]
}

class_path(i) := "spec.ingressClassName" if i.spec.ingressClassName

else := `metadata.annotations["kubernetes.io/ingress.class"]`

istio_ingress(i) if ingress_class(i) == "istio"

finding contains {
	"msg": sprintf("Ingress with class %q is served by a controller other than the Istio gateway, a way in that skips the designated gateways: set ingressClassName istio or replace it with a Gateway and VirtualService", [ingress_class(i)]),
	"resource": lib.resource(i),
	"evidence": [{"path": class_path(i), "value": ingress_class(i)}],
} if {
	some i in ingresses
	not istio_ingress(i)
}

finding contains {
	"msg": "Ingress names no ingress class, so the cluster's default controller serves it, which is not known to be the Istio gateway: set ingressClassName istio",
	"resource": lib.resource(i),
	"evidence": [{"path": "spec.ingressClassName"}],
} if {
	some i in ingresses
	not ingress_class(i)
}

ingresses := [i |
	some i in lib.objects("Ingress")
	lib.in_scope(lib.ns(i))
]

# ---- internal gateway load balancers ----------------------------------------------------

internal_annotations := {
	"service.beta.kubernetes.io/aws-load-balancer-internal": {"true", "0.0.0.0/0"},
	"service.beta.kubernetes.io/aws-load-balancer-scheme": {"internal"},
	"networking.gke.io/load-balancer-type": {"internal"},
	"cloud.google.com/load-balancer-type": {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal": {"true"},
}

internal_by(s) := {k |
	some k, v in lib.annotations(s)
	lower(sprintf("%v", [v])) in internal_annotations[k]
}

finding contains {
	"msg": sprintf("internal gateway load balancer (%s) sets no loadBalancerSourceRanges, so any network that reaches it can connect: set them to the networks allowed to reach it", [concat(", ", sort(keys))]),
	"resource": lib.resource(s),
	"evidence": array.concat([{"path": sprintf("metadata.annotations[%q]", [k]), "value": lib.annotations(s)[k]} | some k in sort(keys)], [{"path": "spec.loadBalancerSourceRanges"}]),
} if {
	some s in services
	svc_type(s) == "LoadBalancer"
	gateway_service(s)
	keys := internal_by(s)
	count(keys) > 0
	count(object.get(s, ["spec", "loadBalancerSourceRanges"], [])) == 0
}

# judged: every in-scope Service, Ingress and workload (each is judged on
# how it exposes pods).
judged contains lib.resource(s) if some s in services

judged contains lib.resource(i) if some i in ingresses

judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

not_applicable contains "no Service, Ingress or workload in the input" if count(judged) == 0

# ---- one finding per subject (issue 14) -------------------------------------------

# deny: one finding per subject, listing every problem found on it (sorted
# by message) with all their evidence; its severity is the highest of its
# problems' (no severity = the rule's).
deny contains f if some f in lib.findings_per_subject(finding)
