# METADATA
# title: Secrets not exposed as environment variables
# description: |
#   App containers (containers, initContainers, ephemeralContainers) must not
#   take Secret values into environment variables, neither one key
#   (`env[].valueFrom.secretKeyRef`) nor a whole Secret
#   (`envFrom[].secretRef`). Environment variables leak: they are inherited
#   by child processes, dumped in crash reports and debug endpoints, visible
#   in /proc to anything sharing the PID namespace and readable by anyone
#   allowed to exec into the pod. Secrets mounted as files (optionally
#   read-only, with restrictive modes) can be rotated without a restart and
#   are not inherited. Istio's own injected containers are not judged.
# custom:
#   id: POD-09
#   severity: high
#   controls: [IA-5, SC-28]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Mount the Secret as a volume (`volumes[].secret` with `defaultMode:
#     0400` and a read-only `volumeMount`) and have the application read the
#     file, or fetch it at runtime from a secrets manager (e.g. the Secrets
#     Store CSI driver), instead of `env[].valueFrom.secretKeyRef` and
#     `envFrom[].secretRef`.
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
#               env:
#               - name: DB_PASSWORD
#                 valueFrom:
#                   secretKeyRef:
#                     name: cart-db
#                     key: password
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
#               env:
#               - name: DB_PASSWORD_FILE
#                 value: /etc/cart-db/password
#               volumeMounts:
#               - name: cart-db
#                 mountPath: /etc/cart-db
#                 readOnly: true
#             volumes:
#             - name: cart-db
#               secret:
#                 secretName: cart-db
#                 defaultMode: 0400
package meshaudit.rules.pod_09

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

env_refs(c) := [sprintf("env %v from Secret %v key %v", [object.get(e, "name", ""), object.get(r, "name", ""), object.get(r, "key", "")]) |
	some e in object.get(c, "env", [])
	is_object(e)
	r := e.valueFrom.secretKeyRef
	is_object(r)
]

envfrom_refs(c) := [sprintf("envFrom Secret %v%s", [object.get(r, "name", ""), prefix_text(e)]) |
	some e in object.get(c, "envFrom", [])
	is_object(e)
	r := e.secretRef
	is_object(r)
]

prefix_text(e) := sprintf(" (prefix %s)", [e.prefix]) if {
	is_string(e.prefix)
	e.prefix != ""
} else := ""

deny contains {
	"msg": sprintf("%s %q takes Secret values into environment variables: %s", [kind_label[x.kind], x.c.name, concat("; ", refs)]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some x in lib.app_containers(w)
	refs := array.concat(env_refs(x.c), envfrom_refs(x.c))
	count(refs) > 0
}
