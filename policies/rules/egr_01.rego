# METADATA
# title: Registry-only outbound traffic
# description: |
#   The mesh config sets outboundTrafficPolicy.mode REGISTRY_ONLY (Istio's
#   default is ALLOW_ANY) and no Sidecar resource switches its workloads back
#   to ALLOW_ANY. With ALLOW_ANY a sidecar forwards traffic to any host that is
#   not in the service registry, so outbound traffic is neither known nor
#   documented. This is best effort on its own: pair it with egress gateway
#   routing (EGR-03) and NetworkPolicy egress control (NP-03).
# custom:
#   id: EGR-01
#   severity: high
#   controls: [SC-7(5), CM-7]
#   inputs: [ConfigMap, Sidecar]
#   requires: [mesh_config]
#   remediation: |
#     Set `outboundTrafficPolicy: {mode: REGISTRY_ONLY}` in the `mesh` key of
#     the `istio` ConfigMap in the Istio root namespace (or
#     `meshConfig.outboundTrafficPolicy.mode` in the IstioOperator / Helm
#     values), declare every external host with a ServiceEntry, and remove
#     `outboundTrafficPolicy.mode: ALLOW_ANY` from Sidecar resources.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           accessLogFile: /dev/stdout
#           outboundTrafficPolicy:
#             mode: ALLOW_ANY
#     pass: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           accessLogFile: /dev/stdout
#           outboundTrafficPolicy:
#             mode: REGISTRY_ONLY
package meshaudit.rules.egr_01

import data.meshaudit.lib
import rego.v1

# mesh_subject: the istio ConfigMap when the input has it, else the mesh.
mesh_subject := lib.resource(lib.mesh_configmap)

mesh_subject := lib.mesh_resource if not lib.has_mesh_config

# mesh_mode: the mesh-wide mode as written ("" when unset).
default mesh_mode := ""

mesh_mode := upper(sprintf("%v", [m])) if {
	m := lib.mesh_config.outboundTrafficPolicy.mode
	m != null
}

deny contains {
	"msg": "mesh config does not set outboundTrafficPolicy.mode, so Istio defaults to ALLOW_ANY and sidecars forward traffic to any external host (want REGISTRY_ONLY)",
	"resource": mesh_subject,
} if {
	mesh_mode == ""
}

deny contains {
	"msg": sprintf("mesh config sets outboundTrafficPolicy.mode %s, want REGISTRY_ONLY", [mesh_mode]),
	"resource": mesh_subject,
} if {
	not mesh_mode in {"", "REGISTRY_ONLY"}
}

deny contains {
	"msg": sprintf("sidecar resource sets outboundTrafficPolicy.mode ALLOW_ANY, so the workloads it applies to in namespace %q can reach any external host", [lib.ns(sc)]),
	"resource": lib.resource(sc),
} if {
	some sc in lib.objects("Sidecar")
	lib.in_scope(lib.ns(sc))
	upper(sprintf("%v", [sc.spec.outboundTrafficPolicy.mode])) == "ALLOW_ANY"
}
