# METADATA
# title: Containers add no capabilities beyond the Pod Security level
# description: |
#   Linux capabilities of every app container (containers, initContainers,
#   ephemeralContainers), judged at the Pod Security Standards level set by
#   `pod_security_level`. Baseline: `capabilities.add` only from the baseline
#   list (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD,
#   NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT).
#   Restricted: `capabilities.drop` must include ALL and only NET_BIND_SERVICE
#   may be added. Names are compared exactly as Pod Security admission does
#   (`CAP_SYS_ADMIN` or `all` do not match). Extra capabilities such as
#   NET_ADMIN or SYS_ADMIN let a compromised container reconfigure the pod's
#   network (and bypass the sidecar's redirection) or escape to the node.
#   Istio's injected containers are not judged (istio-init is POD-02's), nor
#   are Istio's node agents (DaemonSets istio-cni-node and ztunnel), which
#   need these capabilities by design, nor Windows pods (capabilities are
#   Linux-only). One finding per workload lists every container's problems
#   with the capabilities lists as evidence.
# custom:
#   id: POD-04
#   severity: high
#   controls: [AC-6, CM-7]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Set `securityContext.capabilities.drop: ["ALL"]` on every container and
#     add back only what the process needs: `NET_BIND_SERVICE` under
#     restricted, or a capability from the baseline list under baseline.
#     Listen on ports above 1024 instead of adding NET_BIND_SERVICE where
#     possible, and redesign anything that needs NET_ADMIN/SYS_ADMIN.
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
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#               securityContext:
#                 capabilities:
#                   add: ["NET_ADMIN"]
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
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#               securityContext:
#                 capabilities:
#                   drop: ["ALL"]
package meshaudit.rules.pod_04

import data.meshaudit.lib
import rego.v1

baseline_caps := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

allowed_add := baseline_caps if lib.params.pod_security_level == "baseline"

allowed_add := {"NET_BIND_SERVICE"} if lib.params.pod_security_level == "restricted"

caps(c) := x if {
	x := lib.security_context(c).capabilities
	is_object(x)
} else := {}

list(x, k) := [sprintf("%v", [v]) | some v in x[k]] if is_array(x[k])

else := []

fmt_list(l) := "none" if count(l) == 0

fmt_list(l) := concat(", ", l) if count(l) > 0

cap_evidence(w, x, k) := object.union(
	{"path": sprintf("%s.securityContext.capabilities.%s", [lib.container_path(w, x), k])},
	{"value": caps(x.c)[k] | caps(x.c)[k] != null},
)

drop_problems(c) := [] if {
	lib.params.pod_security_level == "baseline"
} else := [] if {
	"ALL" in list(caps(c), "drop")
} else := [sprintf("capabilities.drop does not include ALL (drop: %s)", [fmt_list(list(caps(c), "drop"))])]

extra_caps(c) := sort({v | some v in list(caps(c), "add"); not v in allowed_add})

add_problems(c) := [] if {
	count(extra_caps(c)) == 0
} else := [sprintf("adds %s (restricted allows adding only NET_BIND_SERVICE)", [concat(", ", extra_caps(c))])] if {
	lib.params.pod_security_level == "restricted"
} else := [sprintf("adds %s, outside the Pod Security baseline list", [concat(", ", extra_caps(c))])]

fix_text := "drop ALL and add back at most NET_BIND_SERVICE" if lib.params.pod_security_level == "restricted"

fix_text := "add only capabilities of the baseline list" if lib.params.pod_security_level == "baseline"

# judged: in-scope Linux workloads other than Istio's node agents.
judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.istio_node_agent(w)
	not lib.windows(w)
}

# container_problems(w): one entry per app container with problems.
container_problems(w) := [{
	"text": sprintf("%s %q: %s", [lib.container_kind_labels[x.kind], x.c.name, concat(" and ", ps)]),
	"evidence": array.concat(
		[cap_evidence(w, x, "drop") | count(drop_problems(x.c)) > 0],
		[cap_evidence(w, x, "add") | count(add_problems(x.c)) > 0],
	),
} |
	some x in lib.app_containers(w)
	ps := array.concat(drop_problems(x.c), add_problems(x.c))
	count(ps) > 0
]

deny contains {
	"msg": sprintf("%s; %s", [concat("; ", [p.text | some p in ps]), fix_text]),
	"resource": w.resource,
	"evidence": [e | some p in ps; some e in p.evidence],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.istio_node_agent(w)
	not lib.windows(w)
	ps := container_problems(w)
	count(ps) > 0
}

not_applicable contains "no Linux workload in an in-scope namespace (Istio node agents are not judged)" if count(judged) == 0
