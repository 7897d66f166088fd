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
#   are not inherited. Istio's own injected containers are not judged. One
#   finding per workload lists every container's Secret references, with
#   the env/envFrom entries as evidence.
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

# env_refs(w, x): {text, evidence} of every env entry taking a Secret key.
env_refs(w, x) := [{
	"text": sprintf("env %v from Secret %v key %v", [object.get(e, "name", ""), object.get(r, "name", ""), object.get(r, "key", "")]),
	"evidence": {"path": sprintf("%s.env[%d].valueFrom.secretKeyRef", [lib.container_path(w, x), i]), "value": r},
} |
	some i, e in object.get(x.c, "env", [])
	is_object(e)
	r := e.valueFrom.secretKeyRef
	is_object(r)
]

# envfrom_refs(w, x): {text, evidence} of every envFrom entry taking a Secret.
envfrom_refs(w, x) := [{
	"text": sprintf("envFrom Secret %v%s", [object.get(r, "name", ""), prefix_text(e)]),
	"evidence": {"path": sprintf("%s.envFrom[%d].secretRef", [lib.container_path(w, x), i]), "value": r},
} |
	some i, e in object.get(x.c, "envFrom", [])
	is_object(e)
	r := e.secretRef
	is_object(r)
]

prefix_text(e) := sprintf(" (prefix %s)", [e.prefix]) if {
	is_string(e.prefix)
	e.prefix != ""
} else := ""

container_problems(w) := [{
	"text": sprintf("%s %q takes Secret values into environment variables: %s", [lib.container_kind_labels[x.kind], x.c.name, concat("; ", [r.text | some r in refs])]),
	"evidence": [r.evidence | some r in refs],
} |
	some x in lib.app_containers(w)
	refs := array.concat(env_refs(w, x), envfrom_refs(w, x))
	count(refs) > 0
]

judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

deny contains {
	"msg": sprintf("%s; mount the Secrets as files instead", [concat("; ", [p.text | some p in ps])]),
	"resource": w.resource,
	"evidence": [e | some p in ps; some e in p.evidence],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	ps := container_problems(w)
	count(ps) > 0
}

not_applicable contains "no workload in an in-scope namespace" if count(judged) == 0
