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
#   and hostPath/hostPort POD-07's.
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

# workloads: lib.workloads plus a workaround for a lib bug. lib.workloads
# calls object.get on the pod template's metadata, so a template with
# `metadata: null` (an empty `metadata:` line in YAML, which Kubernetes
# accepts) raises a type error and, outside strict evaluation, silently drops
# the workload and its findings. Those workloads are added here in lib's
# shape (no template labels or annotations to read); once lib is fixed the
# union changes nothing.
workloads := lib.workloads | null_meta_workloads

null_meta_workloads contains w if {
	some k in lib.workload_kinds
	some obj in lib.objects(k)
	not lib.owned(obj)
	t := lib.pod_template(obj)
	is_object(t)
	object.get(t, "metadata", {}) == null
	spec := object.get(t, "spec", {})
	is_object(spec)
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": lib.ns(obj),
		"resource": lib.resource(obj),
		"labels": {},
		"annotations": {},
		"spec": spec,
	}
}

kind_label := {
	"containers": "container",
	"initContainers": "init container",
	"ephemeralContainers": "ephemeral container",
}

host_namespace := {"hostPID": "process", "hostIPC": "IPC"}

# sc: a securityContext as an object ({} when absent or null).
sc(x) := s if {
	s := x.securityContext
	is_object(s)
} else := {}

# Pod-level host namespaces.
deny contains {
	"msg": sprintf("pod sets %s: true and shares the node's %s namespace", [field, what]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some field, what in host_namespace
	lib.truthy(w.spec[field])
}

# Pod-level Windows HostProcess.
deny contains {
	"msg": "pod sets securityContext.windowsOptions.hostProcess: true and runs its containers as processes on the Windows host",
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	lib.truthy(sc(w.spec).windowsOptions.hostProcess)
}

# Container-level privileged.
deny contains {
	"msg": sprintf("%s %q sets securityContext.privileged: true", [kind_label[x.kind], x.c.name]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some x in lib.app_containers(w)
	lib.truthy(sc(x.c).privileged)
}

# Container-level Windows HostProcess.
deny contains {
	"msg": sprintf("%s %q sets securityContext.windowsOptions.hostProcess: true", [kind_label[x.kind], x.c.name]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some x in lib.app_containers(w)
	lib.truthy(sc(x.c).windowsOptions.hostProcess)
}
