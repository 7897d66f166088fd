# METADATA
# title: Jobs and CronJobs handle the sidecar lifecycle
# description: |
#   A Job's pod with a classic sidecar races the proxy at start-up (its
#   calls fail until Envoy is ready) and never completes, because the proxy
#   keeps running after the job's work is done (the talk's alert-config
#   jobs). Jobs and CronJobs in meshed namespaces pass with native sidecars
#   (`sidecar.istio.io/nativeSidecar: "true"`, istio-proxy as an init
#   container with `restartPolicy: Always`, istiod with
#   `ENABLE_NATIVE_SIDECARS=true`, or live pods running a native
#   istio-proxy), or with `holdApplicationUntilProxyStarts: true` (pod
#   `proxy.istio.io/config`, the mesh's `defaultConfig`, or a wait on the
#   proxy's readiness endpoint 15021/healthz/ready) together with a call to
#   the proxy's `/quitquitquit`. Opting the Job out of injection takes it
#   out of the mesh and fails. A manifest scan without the mesh config does
#   not know the mesh default of holdApplicationUntilProxyStarts: unless the
#   pod sets it, only the /quitquitquit part is judged. A namespace implied
#   by its objects is not enrolled unless `namespace_labels` says so
#   (docs/verdicts.md). Findings name the fix and carry the annotations and
#   commands that decided them.
# custom:
#   id: MESH-08
#   severity: medium
#   controls: [CP-10, AC-4]
#   inputs: [workloads, Namespace, ConfigMap]
#   requires: [istio]
#   subjects: [Job, CronJob]
#   remediation: |
#     Use native sidecars: annotate the pod template
#     `sidecar.istio.io/nativeSidecar: "true"` (Kubernetes 1.29+), or set
#     `ENABLE_NATIVE_SIDECARS=true` on istiod. Otherwise set
#     `proxy.istio.io/config: '{"holdApplicationUntilProxyStarts": true}'` and
#     end the job's command with
#     `curl -fsI -X POST http://localhost:15020/quitquitquit`. Do not opt Jobs
#     out of injection.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: monitoring
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: batch/v1
#       kind: Job
#       metadata:
#         name: alert-conf
#         namespace: monitoring
#       spec:
#         backoffLimit: 3
#         template:
#           metadata:
#             labels:
#               app: alert-conf
#           spec:
#             restartPolicy: Never
#             serviceAccountName: alert-conf
#             containers:
#               - name: alert-conf
#                 image: registry.example.com/monitoring/alert-conf:1.6.0
#                 command: ["/alert-conf"]
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: monitoring
#         labels:
#           istio-injection: enabled
#       ---
#       apiVersion: batch/v1
#       kind: Job
#       metadata:
#         name: alert-conf
#         namespace: monitoring
#       spec:
#         backoffLimit: 3
#         template:
#           metadata:
#             labels:
#               app: alert-conf
#             annotations:
#               proxy.istio.io/config: '{ "holdApplicationUntilProxyStarts": true }'
#           spec:
#             restartPolicy: Never
#             serviceAccountName: alert-conf
#             containers:
#               - name: alert-conf
#                 image: registry.example.com/monitoring/alert-conf:1.6.0
#                 command:
#                   - /bin/sh
#                   - -c
#                   - |
#                     /alert-conf
#                     x=$?
#                     curl -fsI -X POST http://localhost:15020/quitquitquit
#                     exit $x
package meshaudit.rules.mesh_08

import data.meshaudit.lib
import rego.v1

# ---- which Jobs are in the mesh (see MESH-02 for the webhook logic) ---------

jobs contains w if {
	some w in lib.workloads
	w.kind in {"Job", "CronJob"}
	lib.app_ns(w.namespace)
}

# ---- native sidecars ------------------------------------------------------------

native_init(spec) if {
	some c in object.get(spec, "initContainers", [])
	c.name == "istio-proxy"
	object.get(c, "restartPolicy", "") == "Always"
}

istiod_native if {
	some d in lib.objects("Deployment")
	lib.ns(d) == lib.root_ns
	lib.labels(d).app == "istiod"
	some c in object.get(d, ["spec", "template", "spec", "containers"], [])
	some e in object.get(c, "env", [])
	e.name == "ENABLE_NATIVE_SIDECARS"
	lib.truthy(object.get(e, "value", ""))
}

native(w) if lib.truthy(object.get(w.annotations, "sidecar.istio.io/nativeSidecar", ""))

native(w) if native_init(w.spec)

native(w) if {
	istiod_native
	not lib.falsy(object.get(w.annotations, "sidecar.istio.io/nativeSidecar", ""))
}

# Live: the Job's (or CronJob's Jobs') pods run istio-proxy as a native sidecar.
native(w) if {
	lib.live
	some p in lib.pods_of(w)
	native_init(p.spec)
}

# ---- hold and quit -----------------------------------------------------------------

valid_proxy_config(w) := pc if {
	raw := w.annotations["proxy.istio.io/config"]
	yaml.is_valid(raw)
	pc := yaml.unmarshal(raw)
	is_object(pc)
}

hold(w) if lib.truthy(valid_proxy_config(w).holdApplicationUntilProxyStarts)

hold(w) if {
	lib.truthy(object.get(lib.mesh_config, ["defaultConfig", "holdApplicationUntilProxyStarts"], false))
	not lib.falsy(object.get(proxy_config_or_empty(w), "holdApplicationUntilProxyStarts", ""))
}

# The talk's hack: the command waits for the proxy's readiness endpoint.
hold(w) if contains(command_text(w), "15021/healthz/ready")

proxy_config_or_empty(w) := pc if {
	pc := valid_proxy_config(w)
} else := {}

command_text(w) := concat(" ", [s |
	some x in lib.app_containers(w)
	x.kind == "containers"
	some field in ["command", "args"]
	some s in object.get(x.c, field, [])
])

quit(w) if contains(command_text(w), "/quitquitquit")

# hold_known(w): whether the job holds its application is decided by the
# input: it holds (pod config, mesh default or the readiness wait), the pod
# sets holdApplicationUntilProxyStarts itself, or the mesh config is known
# (a live scan, or the input holds it). Otherwise the mesh default, which
# the input does not show, decides.
hold_known(w) if hold(w)

hold_known(w) if "holdApplicationUntilProxyStarts" in object.keys(proxy_config_or_empty(w))

hold_known(_) if lib.mesh_config_known

hold_missing(w) if {
	not hold(w)
	hold_known(w)
}

missing(w) := "holdApplicationUntilProxyStarts and no container calls /quitquitquit: the job can start before its proxy is ready and the proxy keeps the pod running after the work is done" if {
	hold_missing(w)
	not quit(w)
} else := "holdApplicationUntilProxyStarts: the job's containers can start before the proxy is ready" if {
	hold_missing(w)
} else := "/quitquitquit call in any container: the proxy keeps the pod running after the job's work is done" if {
	not quit(w)
}

# missing_evidence(w): the fields that lack what is missing.
missing_evidence(w) := array.concat(
	array.concat(
		[object.union({"path": lib.annotation_path(w, "sidecar.istio.io/nativeSidecar")}, {"value": v | v := w.annotations["sidecar.istio.io/nativeSidecar"]})],
		[object.union({"path": lib.annotation_path(w, "proxy.istio.io/config")}, {"value": v | v := w.annotations["proxy.istio.io/config"]}) | hold_missing(w)],
	),
	[{"path": sprintf("%s.containers[*].command, args (a call to /quitquitquit)", [lib.pod_spec_path(w)])} | not quit(w)],
)

opted_out_in_mesh(w) if {
	lib.opted_out(w)
	lib.sidecar_enrolled(w.namespace)
}

sidecar_job(w) if {
	lib.sidecar(w)
	not opted_out_in_mesh(w)
}

# judged: Jobs and CronJobs of meshed namespaces opted out as a workaround,
# and those with a sidecar whose lifecycle the input decides (native, or
# hold and quit known).
judged contains w.resource if {
	some w in jobs
	opted_out_in_mesh(w)
}

judged contains w.resource if {
	some w in jobs
	sidecar_job(w)
	native(w)
}

judged contains w.resource if {
	some w in jobs
	sidecar_job(w)
	not native(w)
	decided(w)
}

decided(w) if missing(w)

decided(w) if {
	hold(w)
	quit(w)
}

# ---- findings ------------------------------------------------------------------------

deny contains {
	"msg": sprintf("sidecar.istio.io/inject %s %q keeps the %s out of the mesh as a sidecar-lifecycle workaround; use native sidecars instead", [lib.inject_source(w), lib.inject_raw(w), w.kind]),
	"resource": w.resource,
	"evidence": [{"path": lib.inject_path(w), "value": lib.inject_raw(w)}],
} if {
	some w in jobs
	opted_out_in_mesh(w)
}

deny contains {
	"msg": sprintf("no native sidecar and no %s; set sidecar.istio.io/nativeSidecar: \"true\" (or holdApplicationUntilProxyStarts plus a /quitquitquit call)", [missing(w)]),
	"resource": w.resource,
	"evidence": missing_evidence(w),
} if {
	some w in jobs
	sidecar_job(w)
	not native(w)
	missing(w)
}

not_applicable contains "no Job or CronJob with a sidecar whose lifecycle the input decides (a namespace implied by its objects is not enrolled unless params.namespace_labels says so; without the mesh config only the /quitquitquit part can be judged)" if count(judged) == 0
