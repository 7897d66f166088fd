# METADATA
# title: No privileged containers or host namespaces
# description: |
#   Pod Security Standards (baseline): no app container of any kind
#   (containers, initContainers, ephemeralContainers) sets
#   securityContext.privileged true, the pod does not share the node's PID or
#   IPC namespace (hostPID, hostIPC), and neither the pod nor a container runs
#   as a Windows HostProcess container (securityContext.windowsOptions.hostProcess).
#   Each of these hands the workload the node itself, so a compromised
#   container escapes its isolation and the mesh identity boundary with it.
#   Istio's own injected containers are not judged. hostNetwork is MESH-06's
#   and hostPath/hostPort POD-07's. One finding per workload lists every
#   problem with its field path and value as evidence; every in-scope
#   workload is judged (docs/verdicts.md).
# custom:
#   id: POD-03
#   severity: critical
#   controls: [AC-6, SC-39]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Remove `securityContext.privileged: true` from the container (grant the
#     single capability it needs instead), drop `hostPID: true` and
#     `hostIPC: true` from the pod spec, and do not set
#     `securityContext.windowsOptions.hostProcess: true` on the pod or its
#     containers. Node agents that truly need these belong in an excluded
#     system namespace.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: log-shipper
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: log-shipper
#         template:
#           metadata:
#             labels:
#               app: log-shipper
#           spec:
#             hostPID: true
#             containers:
#             - name: shipper
#               image: registry.example.com/shop/log-shipper:2.3.1
#               securityContext:
#                 privileged: true
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: log-shipper
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: log-shipper
#         template:
#           metadata:
#             labels:
#               app: log-shipper
#           spec:
#             containers:
#             - name: shipper
#               image: registry.example.com/shop/log-shipper:2.3.1
#               securityContext:
#                 privileged: false
#                 allowPrivilegeEscalation: false
package meshaudit.rules.pod_03

import data.meshaudit.lib
import rego.v1

host_namespace := {"hostPID": "process", "hostIPC": "IPC"}

# judged: every in-scope workload (its pod spec holds every field read).
judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

# problems(w): every problem of the workload, pod-level first, then each app
# container in spec order, with the evidence that decided it.
problems(w) := array.concat(pod_problems(w), container_problems(w))

pod_problems(w) := array.concat(
	[{
		"text": sprintf("pod sets %s: true and shares the node's %s namespace", [field, host_namespace[field]]),
		"evidence": [{"path": sprintf("%s.%s", [lib.pod_spec_path(w), field]), "value": w.spec[field]}],
	} |
		some field in ["hostPID", "hostIPC"]
		lib.truthy(w.spec[field])
	],
	[{
		"text": "pod sets securityContext.windowsOptions.hostProcess: true and runs its containers as processes on the Windows host",
		"evidence": [{"path": sprintf("%s.securityContext.windowsOptions.hostProcess", [lib.pod_spec_path(w)]), "value": lib.security_context(w.spec).windowsOptions.hostProcess}],
	} |
		lib.truthy(lib.security_context(w.spec).windowsOptions.hostProcess)
	],
)

container_fields := [["privileged", "securityContext.privileged"], ["hostProcess", "securityContext.windowsOptions.hostProcess"]]

field_value(c, "privileged") := lib.security_context(c).privileged

field_value(c, "hostProcess") := lib.security_context(c).windowsOptions.hostProcess

container_problems(w) := [{
	"text": sprintf("%s %q sets %s: true", [lib.container_kind_labels[x.kind], x.c.name, path]),
	"evidence": [{"path": sprintf("%s.%s", [lib.container_path(w, x), path]), "value": v}],
} |
	some x in lib.app_containers(w)
	some [f, path] in container_fields
	v := field_value(x.c, f)
	lib.truthy(v)
]

deny contains {
	"msg": sprintf("%s; set each to false", [concat("; ", [p.text | some p in ps])]),
	"resource": w.resource,
	"evidence": [e | some p in ps; some e in p.evidence],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	ps := problems(w)
	count(ps) > 0
}

not_applicable contains "no workload in an in-scope namespace" if count(judged) == 0
