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
#   are not judged. One finding per workload lists every container's
#   problems, with the field paths and values (or the unset field) as
#   evidence.
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

# effective(w, x, field): [value, where, path] of a field the container's
# securityContext overrides on the pod's; undefined when neither sets it.
effective(w, x, field) := [v, "container securityContext", sprintf("%s.securityContext.%s", [lib.container_path(w, x), field])] if {
	v := lib.security_context(x.c)[field]
	v != null
} else := [v, "pod securityContext", sprintf("%s.securityContext.%s", [lib.pod_spec_path(w), field])] if {
	v := lib.security_context(w.spec)[field]
	v != null
}

# Each *_problems(w, x) is a list of {text, evidence} (empty when fine).
non_root_problems(w, x) := [] if {
	[v, _, _] := effective(w, x, "runAsNonRoot")
	lib.truthy(v)
} else := [{"text": sprintf("runAsNonRoot %v in the %s (want true)", [v, where]), "evidence": {"path": path, "value": v}}] if {
	[v, where, path] := effective(w, x, "runAsNonRoot")
} else := [{"text": "runAsNonRoot not set (want true)", "evidence": {"path": sprintf("%s.securityContext.runAsNonRoot", [lib.container_path(w, x)])}}]

user_problems(w, x) := [{"text": sprintf("runAsUser 0 in the %s", [where]), "evidence": {"path": path, "value": v}}] if {
	[v, where, path] := effective(w, x, "runAsUser")
	sprintf("%v", [v]) == "0"
} else := []

escalation_problems(w, x) := [] if {
	lib.falsy(object.get(lib.security_context(x.c), "allowPrivilegeEscalation", null))
} else := [{"text": sprintf("allowPrivilegeEscalation %v (want false)", [v]), "evidence": {"path": path, "value": v}}] if {
	v := lib.security_context(x.c).allowPrivilegeEscalation
	v != null
	path := sprintf("%s.securityContext.allowPrivilegeEscalation", [lib.container_path(w, x)])
} else := [{"text": "allowPrivilegeEscalation not set (defaults to true, want false)", "evidence": {"path": sprintf("%s.securityContext.allowPrivilegeEscalation", [lib.container_path(w, x)])}}]

container_problems(w) := [{"text": sprintf("%s %q: %s", [lib.container_kind_labels[x.kind], x.c.name, concat("; ", [p.text | some p in ps])]), "evidence": [p.evidence | some p in ps]} |
	some x in lib.app_containers(w)
	ps := array.concat(
		array.concat(non_root_problems(w, x), user_problems(w, x)),
		[p | not lib.windows(w); some p in escalation_problems(w, x)],
	)
	count(ps) > 0
]

# judged: every in-scope workload.
judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

deny contains {
	"msg": concat("; ", [p.text | some p in ps]),
	"resource": w.resource,
	"evidence": [e | some p in ps; some e in p.evidence],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	ps := container_problems(w)
	count(ps) > 0
}

not_applicable contains "no workload in an in-scope namespace" if count(judged) == 0
