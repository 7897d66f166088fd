# METADATA
# title: Istio CNI instead of the privileged istio-init container
# description: |
#   Without Istio CNI, the sidecar injector adds an `istio-init` init
#   container that runs istio-iptables as root with the NET_ADMIN and NET_RAW
#   capabilities, so every meshed pod needs rights that Pod Security baseline
#   and restricted forbid, and anyone allowed to create pods in the namespace
#   gets them. With Istio CNI (DaemonSet `istio-cni-node`, in any namespace,
#   excluded ones included) the node agent sets up the redirection and the
#   injector adds the unprivileged `istio-validation` container instead.
#   Every in-scope pod (or kube-injected pod template) with an `istio-init`
#   init container is reported on its owning workload; when CNI is in use,
#   such pods were injected before CNI was enabled or the injector is not
#   configured for it. A manifest scan holds un-injected pod templates: unless
#   it holds the CNI DaemonSet or kube-injected pods, the rule is not
#   applicable (how the cluster injects is not in the input). In a live scan
#   with neither injected pods nor the CNI DaemonSet there is nothing to
#   judge. Judged: the owners of injected pods (or templates) and, with the
#   CNI DaemonSet in the input, the workloads that get a sidecar. One finding
#   per owning workload, with each pod's istio-init container as evidence,
#   and the message names the fix.
# custom:
#   id: POD-02
#   severity: high
#   controls: [AC-6, CM-7]
#   inputs: [workloads]
#   remediation: |
#     Install Istio CNI (`helm install istio-cni istio/cni`, or
#     `components.cni.enabled: true` with istioctl) and enable it for the
#     injector (`pilot.cni.enabled: true`; `istio_cni.enabled` in older
#     releases), then restart the meshed workloads (`kubectl rollout
#     restart`) so that their pods get `istio-validation` instead of
#     `istio-init`.
#   examples:
#     fail: |
#       # kube-injected (istioctl kube-inject) without Istio CNI
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
#               sidecar.istio.io/status: '{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"revision":"default"}'
#           spec:
#             initContainers:
#             - name: istio-init
#               image: docker.io/istio/proxyv2:1.30.0
#               args: ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-b", "*", "-d", "15090,15021,15020"]
#               securityContext:
#                 allowPrivilegeEscalation: false
#                 capabilities:
#                   add: ["NET_ADMIN", "NET_RAW"]
#                   drop: ["ALL"]
#                 runAsNonRoot: false
#                 runAsUser: 0
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#             - name: istio-proxy
#               image: docker.io/istio/proxyv2:1.30.0
#               args: ["proxy", "sidecar"]
#     pass: |
#       # kube-injected (istioctl kube-inject) with Istio CNI enabled
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
#               sidecar.istio.io/status: '{"initContainers":["istio-validation"],"containers":["istio-proxy"],"volumes":["istio-envoy","istio-data","istio-podinfo","istio-token","istiod-ca-cert"],"revision":"default"}'
#           spec:
#             initContainers:
#             - name: istio-validation
#               image: docker.io/istio/proxyv2:1.30.0
#               args: ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT", "-i", "*", "-b", "*", "-d", "15090,15021,15020", "--run-validation", "--skip-rule-apply"]
#               securityContext:
#                 allowPrivilegeEscalation: false
#                 capabilities:
#                   drop: ["ALL"]
#                 runAsNonRoot: true
#                 runAsUser: 1337
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#             - name: istio-proxy
#               image: docker.io/istio/proxyv2:1.30.0
#               args: ["proxy", "sidecar"]
package meshaudit.rules.pod_02

import data.meshaudit.lib
import rego.v1

# ---- is Istio CNI in use? -------------------------------------------------------

cni_daemonsets contains sprintf("%s/%s", [lib.ns(d), lib.name(d)]) if {
	some d in lib.objects("DaemonSet")
	cni_daemonset(d)
}

cni_daemonset(d) if lib.name(d) == "istio-cni-node"

cni_daemonset(d) if lib.labels(d)["k8s-app"] == "istio-cni-node"

# Pods and pod templates of every workload object (owned ones included: in a
# live scan the injected containers are only on the Pods). A function, so
# the list is not copied into the rule's result document.
templates(kinds) := [[obj, t] |
	some k in kinds
	some obj in lib.objects(k)
	t := lib.pod_template(obj)
	is_object(t)
]

template_annotations(t) := a if {
	a := t.metadata.annotations
	is_object(a)
} else := {}

template_injected(t) if template_annotations(t)["sidecar.istio.io/status"]

init_names(t) := {c.name |
	some c in object.get(object.get(t, "spec", {}), "initContainers", [])
	is_object(c)
}

# An injected pod with istio-validation: the injector was configured for CNI.
validation_seen if {
	some [_, t] in templates(lib.workload_kinds)
	template_injected(t)
	"istio-validation" in init_names(t)
}

cni_in_use if count(cni_daemonsets) > 0

cni_in_use if validation_seen

injected_seen if {
	some [obj, t] in templates(lib.workload_kinds)
	lib.in_scope(lib.ns(obj))
	template_injected(t)
}

# ---- owning workload --------------------------------------------------------------

ref_resource(ref, n) := {"apiVersion": ref.apiVersion, "kind": ref.kind, "namespace": n, "name": ref.name}

# controller_refs(kind, n, nm): the controller references of the workload
# object whose controller is also in the input (lib.owner_refs, built once).
controller_refs(kind, n, nm) := object.get(lib.owner_refs, [[kind, n, nm]], set())

# owner(obj): the resource a finding on obj goes to, following up to two
# controller links (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob).
owner(obj) := ref_resource(ref2, n) if {
	n := lib.ns(obj)
	some ref1 in controller_refs(obj.kind, n, lib.name(obj))
	some ref2 in controller_refs(ref1.kind, n, ref1.name)
} else := ref_resource(ref1, n) if {
	n := lib.ns(obj)
	some ref1 in controller_refs(obj.kind, n, lib.name(obj))
} else := lib.resource(obj)

# ---- findings ---------------------------------------------------------------------

# istio_init(t): [index, container] of the template's istio-init init
# container.
istio_init(t) := [i, c] if {
	some i, c in object.get(object.get(t, "spec", {}), "initContainers", [])
	is_object(c)
	c.name == "istio-init"
}

caps_text(c) := sprintf("adds capabilities %s", [concat(", ", sort(add))]) if {
	add := c.securityContext.capabilities.add
	is_array(add)
	count(add) > 0
} else := "needs NET_ADMIN and NET_RAW"

cni_text := "Istio CNI is not in use (no istio-cni-node DaemonSet in the input); install Istio CNI so that sidecars need no istio-init" if {
	not cni_in_use
}

cni_text := sprintf("DaemonSet %s runs Istio CNI, so the pods were injected before CNI was enabled or the injector is not configured for it; enable CNI in the injector (values.istio_cni.enabled) and restart the pods", [concat(", ", sort(cni_daemonsets))]) if {
	count(cni_daemonsets) > 0
}

cni_text := "other injected pods use istio-validation (Istio CNI), so these pods were injected before CNI was enabled or by an injector not configured for it; restart them or re-inject them with CNI" if {
	count(cni_daemonsets) == 0
	validation_seen
}

# template_path(obj): where the pod spec lies in obj.
template_path(obj) := lib.pod_spec_path({"kind": obj.kind})

# init_by_owner: owner resource -> [obj, index, container] of every in-scope
# pod or template running istio-init (lib.group: one finding per owner, built
# once).
init_by_owner := lib.group([[owner(obj), [obj, i, c]] |
	some [obj, t] in templates(lib.workload_kinds)
	lib.in_scope(lib.ns(obj))
	[i, c] := istio_init(t)
])

init_evidence(res, obj, i, c) := object.union(
	{"path": sprintf("%s.initContainers[%d]", [template_path(obj), i]), "value": c.name},
	{"resource": lib.resource(obj) | lib.resource(obj) != res},
)

# judged: the owners of every in-scope pod (or kube-injected template) that
# went through injection or runs istio-init, and, when the input shows that
# Istio CNI is in use, the workloads that get a sidecar (the injector adds
# istio-validation, not istio-init, to them).
judged contains res if some res, _ in init_by_owner

judged contains owner(obj) if {
	some [obj, t] in templates(lib.workload_kinds)
	lib.in_scope(lib.ns(obj))
	template_injected(t)
}

judged contains w.resource if {
	count(cni_daemonsets) > 0
	some w in lib.workloads
	lib.in_scope(w.namespace)
	lib.sidecar(w)
}

deny contains {
	"msg": sprintf("init container istio-init %s to redirect traffic to the sidecar: %s", [caps_text(c), cni_text]),
	"resource": res,
	"evidence": [init_evidence(res, obj, i, c) | some [obj, i, c] in sort(entries)],
} if {
	some res, entries in init_by_owner
	[_, _, c] := sort(entries)[0]
}

not_applicable contains "manifest scan: pod templates are not injected yet and the input holds neither an istio-cni-node DaemonSet nor kube-injected pods, so whether sidecars will need istio-init (NET_ADMIN, NET_RAW) cannot be told from it" if {
	not lib.live
	not cni_in_use
	not injected_seen
	count(judged) == 0
}

not_applicable contains "no injected pod in scope and no istio-cni-node DaemonSet in the cluster: no pod runs istio-init" if {
	lib.live
	not cni_in_use
	not injected_seen
	count(judged) == 0
}
