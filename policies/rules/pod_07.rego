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
#   pods may be exposed). One finding per workload lists every hostPath
#   volume and host port, with their field paths and values as evidence.
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

# judged: every in-scope workload but Istio's node agents.
judged contains w.resource if {
	some w in candidates
}

candidates contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.istio_node_agent(w)
}

volume_problems(w) := [{
	"text": sprintf("volume %q mounts hostPath %s from the node", [v.name, object.get(hp, "path", "")]),
	"evidence": {"path": sprintf("%s.volumes[%d].hostPath.path", [lib.pod_spec_path(w), i]), "value": object.get(hp, "path", "")},
} |
	some i, v in object.get(w.spec, "volumes", [])
	is_object(v)
	hp := v.hostPath
	is_object(hp)
]

port_problems(w) := [{
	"text": sprintf("%s %q binds hostPort %v (containerPort %v) on the node", [lib.container_kind_labels[x.kind], x.c.name, hp, object.get(p, "containerPort", "unset")]),
	"evidence": {"path": sprintf("%s.ports[%d].hostPort", [lib.container_path(w, x), j]), "value": hp},
} |
	some x in lib.app_containers(w)
	some j, p in object.get(x.c, "ports", [])
	is_object(p)
	hp := object.get(p, "hostPort", 0)
	hp != null
	hp != 0
]

deny contains {
	"msg": sprintf("%s; remove the hostPath volumes (use emptyDir, a ConfigMap or a PersistentVolumeClaim) and the hostPorts (expose through a Service)", [concat("; ", [p.text | some p in ps])]),
	"resource": w.resource,
	"evidence": [p.evidence | some p in ps],
} if {
	some w in candidates
	ps := array.concat(volume_problems(w), port_problems(w))
	count(ps) > 0
}

not_applicable contains "no workload in an in-scope namespace (Istio node agents are not judged)" if count(judged) == 0
