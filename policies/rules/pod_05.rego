# METADATA
# title: Containers run as non-root without privilege escalation
# description: |
#   Pod Security Standards (restricted): every app container (containers,
#   initContainers, ephemeralContainers) must run with an effective
#   runAsNonRoot of true and an effective runAsUser other than 0 (a container's
#   securityContext overrides the pod's), and must set
#   allowPrivilegeEscalation: false explicitly (unset, the no_new_privs flag is
#   not set and setuid binaries can gain privileges). A container running as
#   root, or able to become root, turns any code-execution bug into control of
#   the container and a head start on escaping it. Windows pods
#   (spec.os.name: windows) are not judged on allowPrivilegeEscalation, a
#   Linux-only field the API rejects on them. Istio's own injected containers
#   are not judged.
# custom:
#   id: POD-05
#   severity: high
#   controls: [AC-6]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser` on the
#     pod (or on each container), remove any container-level `runAsNonRoot:
#     false` or `runAsUser: 0` override, and set
#     `securityContext.allowPrivilegeEscalation: false` on every container and
#     init container. Build images with a numeric non-root USER.
#   examples:
#     fail: |
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
#           spec:
#             securityContext:
#               runAsUser: 0
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#     pass: |
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
#           spec:
#             securityContext:
#               runAsNonRoot: true
#               runAsUser: 10001
#               runAsGroup: 10001
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#               securityContext:
#                 allowPrivilegeEscalation: false
package meshaudit.rules.pod_05

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

# sc: a securityContext as an object ({} when absent or null).
sc(x) := s if {
	s := x.securityContext
	is_object(s)
} else := {}

# effective(w, c, field): [value, where] of a field the container's
# securityContext overrides on the pod's; undefined when neither sets it.
effective(w, c, field) := [v, "container securityContext"] if {
	v := sc(c)[field]
	v != null
} else := [v, "pod securityContext"] if {
	v := sc(w.spec)[field]
	v != null
}

windows(w) if lower(sprintf("%v", [w.spec.os.name])) == "windows"

non_root_problems(w, c) := [] if {
	[v, _] := effective(w, c, "runAsNonRoot")
	lib.truthy(v)
} else := [sprintf("runAsNonRoot %v in the %s (want true)", [v, where])] if {
	[v, where] := effective(w, c, "runAsNonRoot")
} else := ["runAsNonRoot not set (want true)"]

user_problems(w, c) := [sprintf("runAsUser 0 in the %s", [where])] if {
	[v, where] := effective(w, c, "runAsUser")
	sprintf("%v", [v]) == "0"
} else := []

escalation_problems(c) := [] if {
	lib.falsy(object.get(sc(c), "allowPrivilegeEscalation", null))
} else := [sprintf("allowPrivilegeEscalation %v (want false)", [v])] if {
	v := sc(c).allowPrivilegeEscalation
	v != null
} else := ["allowPrivilegeEscalation not set (defaults to true, want false)"]

deny contains {
	"msg": sprintf("%s %q: %s", [kind_label[x.kind], x.c.name, concat("; ", problems)]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some x in lib.app_containers(w)
	problems := array.concat(
		array.concat(non_root_problems(w, x.c), user_problems(w, x.c)),
		[p | not windows(w); some p in escalation_problems(x.c)],
	)
	count(problems) > 0
}
