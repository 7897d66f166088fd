# METADATA
# title: Mesh-wide STRICT mTLS
# description: |
#   Exactly one PeerAuthentication without a selector in the Istio root
#   namespace, with spec.mtls.mode STRICT. Without it Istio accepts plaintext
#   (PERMISSIVE is the default), so service-to-service traffic is neither
#   encrypted nor authenticated by the mesh.
# custom:
#   id: MTLS-01
#   severity: high
#   controls: [SC-8, SC-8(1), IA-9]
#   inputs: [PeerAuthentication]
#   requires: [root_namespace]
#   remediation: |
#     Apply one PeerAuthentication named `default` in the Istio root namespace
#     with no selector and `spec.mtls.mode: STRICT`, and delete any other
#     selector-less PeerAuthentication there.
#   examples:
#     fail: |
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: PERMISSIVE
#     pass: |
#       apiVersion: security.istio.io/v1
#       kind: PeerAuthentication
#       metadata:
#         name: default
#         namespace: istio-system
#       spec:
#         mtls:
#           mode: STRICT
package meshaudit.rules.mtls_01

import data.meshaudit.lib
import rego.v1

deny contains {
	"msg": sprintf("no mesh-wide PeerAuthentication in root namespace %q: Istio defaults to PERMISSIVE and accepts plaintext", [lib.root_ns]),
	"resource": lib.mesh_resource,
} if {
	count(lib.mesh_pas) == 0
}

deny contains {
	"msg": sprintf("mesh-wide PeerAuthentication sets mtls.mode %s, want STRICT", [mode]),
	"resource": lib.resource(pa),
} if {
	pa := lib.mesh_pa
	mode := upper(object.get(pa.spec, ["mtls", "mode"], "UNSET"))
	mode != "STRICT"
}

deny contains {
	"msg": sprintf("%d selector-less PeerAuthentications in root namespace %q; only the oldest (%s) applies", [count(lib.mesh_pas), lib.root_ns, lib.name(lib.mesh_pa)]),
	"resource": lib.resource(pa),
} if {
	count(lib.mesh_pas) > 1
	some pa in lib.mesh_pas
	pa != lib.mesh_pa
}
