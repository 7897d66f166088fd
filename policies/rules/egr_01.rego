# METADATA
# title: Registry-only outbound traffic
# description: |
#   The mesh config sets outboundTrafficPolicy.mode REGISTRY_ONLY (Istio's
#   default is ALLOW_ANY) and no Sidecar resource switches its workloads back
#   to ALLOW_ANY. With ALLOW_ANY a sidecar forwards traffic to any host that is
#   not in the service registry, so outbound traffic is neither known nor
#   documented. This is best effort on its own: pair it with egress gateway
#   routing (EGR-03) and NetworkPolicy egress control (NP-03). A Sidecar that
#   sets ALLOW_ANY is a finding on the Sidecar whether or not the input
#   holds the mesh config (a repository of mesh policy is not silent); the
#   mesh config itself is judged only when it is known (a live scan, where
#   its absence means Istio's default ALLOW_ANY, or an input holding it).
#   Judged: the mesh config when known, and every in-scope Sidecar.
# custom:
#   id: EGR-01
#   severity: high
#   controls: [SC-7(5), CM-7]
#   inputs: [ConfigMap, Sidecar]
#   requires: [mesh_config]
#   subjects: [Sidecar]
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

mode_path := "data.mesh: outboundTrafficPolicy.mode" if lib.mesh_configmap

else := "meshConfig.outboundTrafficPolicy.mode"

# mesh_mode: the mesh-wide mode as written ("" when unset).
default mesh_mode := ""

mesh_mode := upper(sprintf("%v", [m])) if {
	m := lib.mesh_config.outboundTrafficPolicy.mode
	m != null
}

deny contains {
	"msg": "mesh config does not set outboundTrafficPolicy.mode, so Istio defaults to ALLOW_ANY and sidecars forward traffic to any external host: set outboundTrafficPolicy.mode REGISTRY_ONLY in the mesh config",
	"resource": lib.mesh_config_subject,
	"evidence": [{"path": mode_path}],
} if {
	lib.mesh_config_known
	mesh_mode == ""
}

deny contains {
	"msg": sprintf("mesh config sets outboundTrafficPolicy.mode %s: set it to REGISTRY_ONLY", [mesh_mode]),
	"resource": lib.mesh_config_subject,
	"evidence": [{"path": mode_path, "value": lib.mesh_config.outboundTrafficPolicy.mode}],
} if {
	lib.mesh_config_known
	not mesh_mode in {"", "REGISTRY_ONLY"}
}

sidecar_mode(sc) := upper(sprintf("%v", [sc.spec.outboundTrafficPolicy.mode]))

# applies_text(sc): whose outbound traffic the Sidecar governs.
applies_text(sc) := "every workload of the mesh without a Sidecar of its own namespace" if {
	lib.ns(sc) == lib.root_ns
	not sc.spec.workloadSelector
} else := sprintf("the workloads it selects in namespace %q%s", [lib.ns(sc), lib.ns_note(lib.ns(sc))]) if {
	sc.spec.workloadSelector
} else := sprintf("the workloads of namespace %q%s", [lib.ns(sc), lib.ns_note(lib.ns(sc))])

deny contains {
	"msg": sprintf("Sidecar sets outboundTrafficPolicy.mode ALLOW_ANY, so %s can reach any external host: set it to REGISTRY_ONLY (or remove it to inherit a REGISTRY_ONLY mesh config)", [applies_text(sc)]),
	"resource": lib.resource(sc),
	"evidence": [{"path": "spec.outboundTrafficPolicy.mode", "value": sc.spec.outboundTrafficPolicy.mode}],
} if {
	some sc in lib.scoped_sidecars
	sidecar_mode(sc) == "ALLOW_ANY"
}

# judged: the mesh config when it is known, and every Sidecar (one that
# does not set ALLOW_ANY passes on its own setting).
judged contains lib.mesh_config_subject if lib.mesh_config_known

judged contains lib.resource(sc) if some sc in lib.scoped_sidecars

not_applicable contains "the mesh config is not known (no mesh config in the input) and the input holds no Sidecar" if {
	not lib.mesh_config_known
	count(lib.scoped_sidecars) == 0
}
