# METADATA
# title: Traffic capture is not disabled
# description: |
#   Settings that leave a sidecar in place but stop traffic from being
#   redirected to it, so the traffic gets no mTLS, no authorization and no
#   telemetry: the interception mode NONE (pod annotation
#   `sidecar.istio.io/interceptionMode`, else `interceptionMode` of the pod's
#   `proxy.istio.io/config`, else the mesh config's
#   `defaultConfig.interceptionMode`; the injector then adds no iptables init
#   container), Sidecar resources whose `ingress[]` or `egress[]` listeners set
#   `captureMode: NONE`, and application containers running as UID 1337, the
#   proxy's UID, whose traffic istio-iptables never redirects (istioctl
#   analyze IST0144). The UID is the container's `securityContext.runAsUser`,
#   else the pod's. Istio's own containers are not judged.
# custom:
#   id: MESH-05
#   severity: high
#   controls: [AC-4, SC-7(5)]
#   inputs: [workloads, Namespace, Sidecar, ConfigMap]
#   requires: [istio]
#   subjects: [workloads, Sidecar]
#   remediation: |
#     Remove `sidecar.istio.io/interceptionMode: NONE` (and `interceptionMode:
#     NONE` from `proxy.istio.io/config` and the mesh config's
#     `defaultConfig`); use REDIRECT (default) or TPROXY. Remove `captureMode:
#     NONE` from Sidecar listeners. Run application containers under a UID
#     other than 1337 (set `runAsUser` on the container or the pod).
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: recommendations
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: recommendations
#         template:
#           metadata:
#             labels:
#               app: recommendations
#           spec:
#             securityContext:
#               runAsNonRoot: true
#               runAsUser: 1337
#             containers:
#               - name: recommendations
#                 image: registry.example.com/storefront/recommendations:2.0.4
#                 ports:
#                   - containerPort: 8080
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: storefront
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: recommendations
#         namespace: storefront
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: recommendations
#         template:
#           metadata:
#             labels:
#               app: recommendations
#           spec:
#             securityContext:
#               runAsNonRoot: true
#               runAsUser: 10001
#             containers:
#               - name: recommendations
#                 image: registry.example.com/storefront/recommendations:2.0.4
#                 ports:
#                   - containerPort: 8080
package meshaudit.rules.mesh_05

import data.meshaudit.lib
import rego.v1

proxy_uid := 1337

# ---- which workloads have a sidecar (lib.sidecar, as MESH-03/MESH-04) ----------

# Judged: workloads with a sidecar, and workloads whose Namespace object is
# not in the input (enrolment unknown) unless they opt out.
applies(w) if lib.sidecar(w)

applies(w) if {
	not lib.namespace_objects[w.namespace]
	not lib.opted_out(w)
}

judged contains w if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	not lib.host_network(w)
	applies(w)
}

# ---- interception mode -------------------------------------------------------------

mode_key := "sidecar.istio.io/interceptionMode"

proxy_config(w) := pc if {
	pc := yaml.unmarshal(w.annotations["proxy.istio.io/config"])
	is_object(pc)
}

# pod_mode(w): [mode, where] set by the pod itself (undefined when neither
# the annotation nor proxy.istio.io/config sets one).
pod_mode(w) := [upper(trim_space(sprintf("%v", [w.annotations[mode_key]]))), sprintf("annotation %s", [mode_key])] if {
	mode_key in object.keys(w.annotations)
} else := [upper(sprintf("%v", [proxy_config(w).interceptionMode])), "interceptionMode of proxy.istio.io/config"] if {
	proxy_config(w).interceptionMode
}

deny contains {
	"msg": sprintf("%s sets interception mode NONE: no iptables redirection is installed, so the pod's traffic bypasses its sidecar (no mTLS, no authorization)", [where]),
	"resource": w.resource,
} if {
	some w in judged
	[mode, where] := pod_mode(w)
	mode == "NONE"
}

mesh_subject := lib.resource(lib.mesh_configmap)

deny contains {
	"msg": "mesh config sets defaultConfig.interceptionMode NONE: sidecars without their own interception mode get no iptables redirection, so their traffic bypasses the proxy",
	"resource": mesh_subject,
} if {
	lib.has_mesh_config
	upper(sprintf("%v", [lib.mesh_config.defaultConfig.interceptionMode])) == "NONE"
}

# ---- Sidecar captureMode -----------------------------------------------------------

listener_text(l) := sprintf("port %v", [l.port.number]) if l.port.number

listener_text(l) := "without a port" if not l.port.number

deny contains {
	"msg": sprintf("%s listener %s of Sidecar %s/%s sets captureMode NONE, so its traffic is not captured by the sidecar", [dir, listener_text(l), lib.ns(sc), lib.name(sc)]),
	"resource": lib.resource(sc),
} if {
	some sc in lib.objects("Sidecar")
	lib.in_scope(lib.ns(sc))
	some dir in ["ingress", "egress"]
	some l in object.get(sc.spec, dir, [])
	upper(sprintf("%v", [object.get(l, "captureMode", "")])) == "NONE"
}

# ---- UID 1337 ----------------------------------------------------------------------

own_names := {"istio-proxy", "istio-init", "istio-validation"}

# uid_of: [uid, where] of a container (the container overrides the pod).
uid_of(w, c) := [to_number(c.securityContext.runAsUser), "its securityContext"] if {
	is_number(c.securityContext.runAsUser)
} else := [to_number(w.spec.securityContext.runAsUser), "the pod securityContext"] if {
	is_number(w.spec.securityContext.runAsUser)
}

deny contains {
	"msg": sprintf("container %s runs as UID 1337 (from %s), the sidecar proxy's UID: istio-iptables does not redirect its traffic, so it bypasses the sidecar", [x.c.name, where]),
	"resource": w.resource,
} if {
	some w in judged
	some x in lib.app_containers(w)
	not x.c.name in own_names
	[uid, where] := uid_of(w, x.c)
	uid == proxy_uid
}
