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
#   else the pod's. Istio's own containers are not judged. Judged: workloads
#   with (or about to get) a sidecar (a namespace implied by its objects is
#   not enrolled unless `namespace_labels` says so, docs/verdicts.md), every
#   in-scope Sidecar and the mesh config. One finding per workload and per
#   Sidecar lists every problem with its field as evidence and names the fix.
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

# subjects: workloads with (or about to get) a sidecar, not on the host
# network. An implied namespace is not enrolled unless
# params.namespace_labels says so (docs/verdicts.md).
subjects contains w if {
	some w in lib.workloads
	lib.app_ns(w.namespace)
	not lib.host_network(w)
	lib.sidecar(w)
}

# judged: those workloads, every in-scope Sidecar and the mesh config.
judged contains w.resource if some w in subjects

judged contains lib.resource(sc) if some sc in lib.scoped_sidecars

judged contains mesh_subject if lib.has_mesh_config

# ---- interception mode -------------------------------------------------------------

mode_key := "sidecar.istio.io/interceptionMode"

# pod_mode(w): [mode, where, evidence] set by the pod itself (undefined when
# neither the annotation nor proxy.istio.io/config sets one).
pod_mode(w) := [upper(trim_space(sprintf("%v", [w.annotations[mode_key]]))), sprintf("annotation %s", [mode_key]), {"path": lib.annotation_path(w, mode_key), "value": w.annotations[mode_key]}] if {
	mode_key in object.keys(w.annotations)
} else := [upper(sprintf("%v", [lib.proxy_config(w).interceptionMode])), "interceptionMode of proxy.istio.io/config", {"path": lib.annotation_path(w, "proxy.istio.io/config"), "value": w.annotations["proxy.istio.io/config"]}] if {
	lib.proxy_config(w).interceptionMode
}

mesh_subject := lib.resource(lib.mesh_configmap)

deny contains {
	"msg": "mesh config sets defaultConfig.interceptionMode NONE: sidecars without their own interception mode get no iptables redirection, so their traffic bypasses the proxy; remove it (REDIRECT is the default)",
	"resource": mesh_subject,
	"evidence": [{"path": "data.mesh: defaultConfig.interceptionMode", "value": lib.mesh_config.defaultConfig.interceptionMode}],
} if {
	lib.has_mesh_config
	upper(sprintf("%v", [lib.mesh_config.defaultConfig.interceptionMode])) == "NONE"
}

# ---- Sidecar captureMode -----------------------------------------------------------

listener_text(l) := sprintf("port %v", [l.port.number]) if l.port.number

listener_text(l) := "without a port" if not l.port.number

sidecar_problems(sc) := [{
	"text": sprintf("%s listener %s sets captureMode NONE", [dir, listener_text(l)]),
	"evidence": {"path": sprintf("spec.%s[%d].captureMode", [dir, i]), "value": l.captureMode},
} |
	some dir in ["ingress", "egress"]
	some i, l in object.get(sc.spec, dir, [])
	upper(sprintf("%v", [object.get(l, "captureMode", "")])) == "NONE"
]

deny contains {
	"msg": sprintf("Sidecar %s/%s: %s, so their traffic is not captured by the sidecar; remove captureMode NONE (DEFAULT or IPTABLES)", [lib.ns(sc), lib.name(sc), concat("; ", [p.text | some p in ps])]),
	"resource": lib.resource(sc),
	"evidence": [p.evidence | some p in ps],
} if {
	some sc in lib.scoped_sidecars
	ps := sidecar_problems(sc)
	count(ps) > 0
}

# ---- UID 1337 ----------------------------------------------------------------------

# uid_of: [uid, where] of a container (the container overrides the pod).
uid_of(w, c) := [to_number(c.securityContext.runAsUser), "its securityContext"] if {
	is_number(c.securityContext.runAsUser)
} else := [to_number(w.spec.securityContext.runAsUser), "the pod securityContext"] if {
	is_number(w.spec.securityContext.runAsUser)
}

uid_path(w, x, "its securityContext") := sprintf("%s.securityContext.runAsUser", [lib.container_path(w, x)])

uid_path(w, _, "the pod securityContext") := sprintf("%s.securityContext.runAsUser", [lib.pod_spec_path(w)])

# workload_problems(w): interception mode NONE and app containers running
# as the proxy's UID, as {text, evidence}.
workload_problems(w) := array.concat(
	[{
		"text": sprintf("%s sets interception mode NONE: no iptables redirection is installed, so the pod's traffic bypasses its sidecar (no mTLS, no authorization)", [where]),
		"evidence": e,
	} |
		[mode, where, e] := pod_mode(w)
		mode == "NONE"
	],
	[{
		"text": sprintf("container %s runs as UID 1337 (from %s), the sidecar proxy's UID: istio-iptables does not redirect its traffic, so it bypasses the sidecar", [x.c.name, where]),
		"evidence": {"path": uid_path(w, x, where), "value": uid},
	} |
		some x in lib.app_containers(w)
		not x.c.name in lib.istio_container_names
		[uid, where] := uid_of(w, x.c)
		uid == proxy_uid
	],
)

deny contains {
	"msg": sprintf("%s; remove the interception mode NONE and run application containers as another UID", [concat("; ", [p.text | some p in ps])]),
	"resource": w.resource,
	"evidence": [p.evidence | some p in ps],
} if {
	some w in subjects
	ps := workload_problems(w)
	count(ps) > 0
}

not_applicable contains "no workload with a sidecar, no Sidecar and no mesh config in the input (a namespace implied by its objects is not enrolled unless params.namespace_labels says so)" if count(judged) == 0
