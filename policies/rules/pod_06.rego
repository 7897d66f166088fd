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

# workloads: lib.workloads' entries, built null-safe. lib.workloads calls
# object.get on the pod template's metadata, so a template with
# `metadata: null` (an empty `metadata:` line in YAML, which Kubernetes
# accepts) is a built-in type error; under the engine's strict built-in
# errors the whole rule would turn unknown. Same shape and owner filtering
# as lib.workloads.
workloads contains w if {
	some k in lib.workload_kinds
	some obj in lib.objects(k)
	not lib.owned(obj)
	t := lib.pod_template(obj)
	is_object(t)
	meta := as_object(object.get(t, "metadata", {}))
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": lib.ns(obj),
		"resource": lib.resource(obj),
		"labels": as_object(object.get(meta, "labels", {})),
		"annotations": as_object(object.get(meta, "annotations", {})),
		"spec": as_object(object.get(t, "spec", {})),
	}
}

as_object(x) := x if is_object(x) else := {}

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

# Linux-only securityContext fields are rejected by the API on Windows pods.
windows(w) if lower(sprintf("%v", [w.spec.os.name])) == "windows"

good_profiles := {"RuntimeDefault", "Localhost"}

profile_type(x) := t if {
	p := sc(x).seccompProfile
	is_object(p)
	t := p.type
	t != null
}

# effective_profile(w, c): [type, where] with the container's setting
# overriding the pod's; undefined when neither sets one.
effective_profile(w, c) := [t, "container securityContext"] if {
	t := profile_type(c)
} else := [t, "pod securityContext"] if {
	t := profile_type(w.spec)
}

annotation_text(w, c) := sprintf("; annotation %s is deprecated and not honoured by current Kubernetes", [concat(", ", keys)]) if {
	keys := sort([k |
		some k in ["seccomp.security.alpha.kubernetes.io/pod", concat("", ["container.seccomp.security.alpha.kubernetes.io/", c.name])]
		k in object.keys(w.annotations)
	])
	count(keys) > 0
} else := ""

seccomp_problems(w, c) := [] if {
	[t, _] := effective_profile(w, c)
	t in good_profiles
} else := [sprintf("seccompProfile %v in the %s (want RuntimeDefault or Localhost)", [t, where])] if {
	[t, where] := effective_profile(w, c)
} else := [sprintf("seccompProfile not set (want RuntimeDefault or Localhost%s)", [annotation_text(w, c)])]

rootfs_problems(c) := [] if {
	lib.truthy(sc(c).readOnlyRootFilesystem)
} else := [sprintf("readOnlyRootFilesystem %v (want true)", [v])] if {
	v := sc(c).readOnlyRootFilesystem
	v != null
} else := ["readOnlyRootFilesystem not set (want true)"]

deny contains {
	"msg": sprintf("%s %q: %s", [kind_label[x.kind], x.c.name, concat("; ", problems)]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	not windows(w)
	some x in lib.app_containers(w)
	problems := array.concat(seccomp_problems(w, x.c), rootfs_problems(x.c))
	count(problems) > 0
}
