# METADATA
# title: No hostPath volumes or host ports
# description: |
#   Pod Security Standards (baseline): no `hostPath` volume and no non-zero
#   `hostPort` on an app container. A hostPath mount exposes the node's
#   filesystem (container runtime socket, kubelet credentials, other pods'
#   data) to the workload; a host port binds the node's network interface,
#   bypassing the Service, NetworkPolicy assumptions and the mesh's ingress
#   gateway. Istio's own injected containers are not judged, nor are Istio's
#   node agents (DaemonSets istio-cni-node and ztunnel), which mount the
#   node's CNI directories by design. Host ports are reported on gateways
#   too: Pod Security baseline forbids them everywhere (ING-06 judges which
#   pods may be exposed).
# custom:
#   id: POD-07
#   severity: high
#   controls: [AC-6, SC-7]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Replace `hostPath` volumes with `emptyDir`, a PersistentVolumeClaim,
#     a ConfigMap/Secret or a projected volume; node agents that truly need
#     the node's filesystem belong in an excluded system namespace. Remove
#     `hostPort` and expose the workload through a Service and the mesh's
#     ingress gateway.
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
#               ports:
#               - containerPort: 8080
#                 hostPort: 8080
#               volumeMounts:
#               - name: cache
#                 mountPath: /var/cache/cart
#             volumes:
#             - name: cache
#               hostPath:
#                 path: /var/cache/cart
#                 type: DirectoryOrCreate
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
#               ports:
#               - containerPort: 8080
#               volumeMounts:
#               - name: cache
#                 mountPath: /var/cache/cart
#             volumes:
#             - name: cache
#               emptyDir: {}
package meshaudit.rules.pod_07

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

# Istio's node agents mount the node's CNI directories by design.
istio_node_agent_names := {"istio-cni-node", "ztunnel"}

istio_node_agent(w) if {
	w.kind == "DaemonSet"
	lib.name(w.obj) in istio_node_agent_names
}

istio_node_agent(w) if {
	w.kind == "DaemonSet"
	some k in ["k8s-app", "app"]
	w.labels[k] in istio_node_agent_names
}

judged contains w if {
	some w in workloads
	lib.in_scope(w.namespace)
	not istio_node_agent(w)
}

deny contains {
	"msg": sprintf("volume %q mounts hostPath %s from the node", [v.name, path]),
	"resource": w.resource,
} if {
	some w in judged
	some v in object.get(w.spec, "volumes", [])
	is_object(v)
	hp := v.hostPath
	is_object(hp)
	path := object.get(hp, "path", "")
}

deny contains {
	"msg": sprintf("%s %q binds hostPort %v (containerPort %v) on the node", [kind_label[x.kind], x.c.name, p.hostPort, object.get(p, "containerPort", "unset")]),
	"resource": w.resource,
} if {
	some w in judged
	some x in lib.app_containers(w)
	some p in object.get(x.c, "ports", [])
	is_object(p)
	hp := object.get(p, "hostPort", 0)
	hp != null
	hp != 0
}
