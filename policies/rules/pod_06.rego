# METADATA
# title: Seccomp profile and read-only root filesystem
# description: |
#   Every app container (containers, initContainers, ephemeralContainers)
#   must run under a seccomp profile of type RuntimeDefault or Localhost (the
#   container's securityContext.seccompProfile overrides the pod's; unset
#   means Unconfined on most runtimes) and with
#   securityContext.readOnlyRootFilesystem: true. Seccomp cuts the kernel
#   attack surface a compromised container can reach; a read-only root
#   filesystem stops an attacker from dropping tools or altering binaries.
#   The deprecated `seccomp.security.alpha.kubernetes.io/pod` and
#   `container.seccomp.security.alpha.kubernetes.io/<name>` annotations do
#   not count: current Kubernetes releases no longer honour them. Windows pods
#   (spec.os.name: windows) are not judged: both fields are Linux-only and the
#   API rejects them there. Istio's own injected containers are not judged.
#   One finding per workload lists every container's problems, with the
#   field paths and values (or the unset field) as evidence.
# custom:
#   id: POD-06
#   severity: medium
#   controls: [CM-7, SC-39, SI-7]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (or
#     a `Localhost` profile where a tighter one exists) and remove container
#     overrides to `Unconfined` and the deprecated seccomp annotations. Set
#     `securityContext.readOnlyRootFilesystem: true` on every container and
#     mount an `emptyDir` where the process must write (e.g. /tmp).
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
#               seccompProfile:
#                 type: RuntimeDefault
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2
#               securityContext:
#                 readOnlyRootFilesystem: true
#               volumeMounts:
#               - name: tmp
#                 mountPath: /tmp
#             volumes:
#             - name: tmp
#               emptyDir: {}
package meshaudit.rules.pod_06

import data.meshaudit.lib
import rego.v1

good_profiles := {"RuntimeDefault", "Localhost"}

profile_type(x) := t if {
	p := lib.security_context(x).seccompProfile
	is_object(p)
	t := p.type
	t != null
}

# effective_profile(w, x): [type, where, path] with the container's setting
# overriding the pod's; undefined when neither sets one.
effective_profile(w, x) := [t, "container securityContext", sprintf("%s.securityContext.seccompProfile.type", [lib.container_path(w, x)])] if {
	t := profile_type(x.c)
} else := [t, "pod securityContext", sprintf("%s.securityContext.seccompProfile.type", [lib.pod_spec_path(w)])] if {
	t := profile_type(w.spec)
}

annotation_text(w, c) := sprintf("; annotation %s is deprecated and not honoured by current Kubernetes", [concat(", ", keys)]) if {
	keys := sort([k |
		some k in ["seccomp.security.alpha.kubernetes.io/pod", concat("", ["container.seccomp.security.alpha.kubernetes.io/", c.name])]
		k in object.keys(w.annotations)
	])
	count(keys) > 0
} else := ""

# Each *_problems(w, x) is a list of {text, evidence} (empty when fine).
seccomp_problems(w, x) := [] if {
	[t, _, _] := effective_profile(w, x)
	t in good_profiles
} else := [{"text": sprintf("seccompProfile %v in the %s (want RuntimeDefault or Localhost)", [t, where]), "evidence": {"path": path, "value": t}}] if {
	[t, where, path] := effective_profile(w, x)
} else := [{"text": sprintf("seccompProfile not set (want RuntimeDefault or Localhost%s)", [annotation_text(w, x.c)]), "evidence": {"path": sprintf("%s.securityContext.seccompProfile", [lib.container_path(w, x)])}}]

rootfs_problems(w, x) := [] if {
	lib.truthy(lib.security_context(x.c).readOnlyRootFilesystem)
} else := [{"text": sprintf("readOnlyRootFilesystem %v (want true)", [v]), "evidence": {"path": path, "value": v}}] if {
	v := lib.security_context(x.c).readOnlyRootFilesystem
	v != null
	path := sprintf("%s.securityContext.readOnlyRootFilesystem", [lib.container_path(w, x)])
} else := [{"text": "readOnlyRootFilesystem not set (want true)", "evidence": {"path": sprintf("%s.securityContext.readOnlyRootFilesystem", [lib.container_path(w, x)])}}]

container_problems(w) := [{"text": sprintf("%s %q: %s", [lib.container_kind_labels[x.kind], x.c.name, concat("; ", [p.text | some p in ps])]), "evidence": [p.evidence | some p in ps]} |
	some x in lib.app_containers(w)
	ps := array.concat(seccomp_problems(w, x), rootfs_problems(w, x))
	count(ps) > 0
]

# judged: every in-scope Linux workload.
judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.windows(w)
}

deny contains {
	"msg": concat("; ", [p.text | some p in ps]),
	"resource": w.resource,
	"evidence": [e | some p in ps; some e in p.evidence],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.windows(w)
	ps := container_problems(w)
	count(ps) > 0
}

not_applicable contains "no Linux workload in an in-scope namespace" if count(judged) == 0
