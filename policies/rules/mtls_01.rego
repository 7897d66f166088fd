# METADATA
# title: Mesh-wide STRICT mTLS
# description: |
#   Exactly one PeerAuthentication without a selector in the Istio root
#   namespace, with spec.mtls.mode STRICT. Without it Istio accepts plaintext
#   (PERMISSIVE is the default), so service-to-service traffic is neither
#   encrypted nor authenticated by the mesh. Judged: the mesh, when its
#   mesh-wide policy is known (a live scan, or an input holding the mesh
#   config or an Istio policy object of the root namespace); the missing
#   policy is reported only then. A manifest scan without such evidence
#   (an application repository) is not applicable.
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

# judged: the mesh, when the input shows its mesh-wide policy (or a live
# scan read the whole cluster).
judged contains lib.mesh_resource if lib.mesh_policy_known

deny contains {
	"msg": sprintf("no mesh-wide PeerAuthentication in root namespace %q: Istio defaults to PERMISSIVE and accepts plaintext; add PeerAuthentication %s/default with mtls.mode STRICT and no selector", [lib.root_ns, lib.root_ns]),
	"resource": lib.mesh_resource,
	"evidence": [{"path": sprintf("PeerAuthentication without selector in root namespace %q", [lib.root_ns]), "value": 0}],
} if {
	lib.mesh_policy_known
	count(lib.mesh_pas) == 0
}

mode_evidence(pa) := {"path": "spec.mtls.mode", "value": pa.spec.mtls.mode} if {
	pa.spec.mtls.mode
} else := {"path": "spec.mtls.mode"}

deny contains {
	"msg": sprintf("mesh-wide PeerAuthentication sets mtls.mode %s, want STRICT", [mode]),
	"resource": lib.resource(pa),
	"evidence": [mode_evidence(pa)],
} if {
	pa := lib.mesh_pa
	mode := upper(object.get(pa.spec, ["mtls", "mode"], "UNSET"))
	mode != "STRICT"
}

deny contains {
	"msg": sprintf("%d selector-less PeerAuthentications in root namespace %q; only the oldest (%s) applies", [count(lib.mesh_pas), lib.root_ns, lib.name(lib.mesh_pa)]),
	"resource": lib.resource(pa),
	"evidence": [
		{"path": sprintf("PeerAuthentication without selector in root namespace %q", [lib.root_ns]), "value": count(lib.mesh_pas)},
		created(pa, null),
		created(lib.mesh_pa, lib.resource(lib.mesh_pa)),
	],
} if {
	count(lib.mesh_pas) > 1
	some pa in lib.mesh_pas
	pa != lib.mesh_pa
}

# created(pa, res): the creation time that ranks duplicates (res: the
# object holding it when it is not the finding's own).
ts_evidence(pa) := {"path": "metadata.creationTimestamp", "value": pa.metadata.creationTimestamp} if {
	pa.metadata.creationTimestamp
} else := {"path": "metadata.creationTimestamp"}

created(pa, null) := ts_evidence(pa)

created(pa, res) := object.union(ts_evidence(pa), {"resource": res}) if res != null
