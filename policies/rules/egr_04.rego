# METADATA
# title: ServiceEntries documented and narrow
# description: |
#   Every ServiceEntry names precise hosts (no `*`, no broad wildcard such as
#   `*.com`), lists its ports, limits exportTo (unset exports it to every
#   namespace) and carries the owner and justification annotations, so that
#   all outbound traffic is known and documented. A `resolution: NONE` entry
#   (NONE is also the default) with a TCP port and no `addresses` matches any
#   destination IP on that port (istioctl analyze IST0134).
# custom:
#   id: EGR-04
#   severity: medium
#   controls: [CM-8, CA-3]
#   inputs: [ServiceEntry, ConfigMap]
#   subjects: [ServiceEntry]
#   remediation: |
#     List exact hosts (or a wildcard with at least two labels after `*.`) and
#     their ports, set `exportTo: ["."]` or the namespaces that need the entry,
#     annotate it with its owner and justification (parameters
#     serviceentry_owner_annotation, serviceentry_justification_annotation),
#     and give `resolution: NONE` entries with TCP ports explicit `addresses`
#     (or use DNS resolution).
#   examples:
#     fail: |
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: partner-api
#         namespace: payments
#       spec:
#         hosts:
#         - api.partner.example.com
#         ports:
#         - number: 443
#           name: https
#           protocol: HTTPS
#         location: MESH_EXTERNAL
#         resolution: DNS
#     pass: |
#       apiVersion: networking.istio.io/v1
#       kind: ServiceEntry
#       metadata:
#         name: partner-api
#         namespace: payments
#         annotations:
#           meshaudit.io/owner: payments-team
#           meshaudit.io/justification: card settlement with the payment partner (CHG-2041)
#       spec:
#         hosts:
#         - api.partner.example.com
#         ports:
#         - number: 443
#           name: https
#           protocol: HTTPS
#         location: MESH_EXTERNAL
#         resolution: DNS
#         exportTo:
#         - "."
package meshaudit.rules.egr_04

import data.meshaudit.lib
import rego.v1

entries := [se | some se in lib.objects("ServiceEntry"); lib.in_scope(lib.ns(se))]

# ---- hosts -------------------------------------------------------------------

deny contains {
	"msg": "host \"*\" matches every external host",
	"resource": lib.resource(se),
} if {
	some se in entries
	"*" in object.get(se.spec, "hosts", [])
}

deny contains {
	"msg": sprintf("host %q is a broad wildcard: name at least two labels after \"*.\"", [h]),
	"resource": lib.resource(se),
} if {
	some se in entries
	some h in object.get(se.spec, "hosts", [])
	startswith(h, "*.")
	count([l | some l in split(substring(h, 2, -1), "."); l != ""]) < 2
}

# ---- ports -------------------------------------------------------------------

deny contains {
	"msg": sprintf("no ports are listed for hosts %v", [object.get(se.spec, "hosts", [])]),
	"resource": lib.resource(se),
} if {
	some se in entries
	count(object.get(se.spec, "ports", [])) == 0
}

# ---- exportTo ------------------------------------------------------------------

# mesh_default_export_to: MeshConfig defaultServiceExportTo, the value an
# unset exportTo takes (every namespace when the mesh config does not set it).
default mesh_default_export_to := ["*"]

mesh_default_export_to := l if {
	l := lib.mesh_config.defaultServiceExportTo
	is_array(l)
	count(l) > 0
}

deny contains {
	"msg": "exportTo is unset, so the entry is exported to every namespace",
	"resource": lib.resource(se),
} if {
	some se in entries
	count(object.get(se.spec, "exportTo", [])) == 0
	"*" in mesh_default_export_to
}

deny contains {
	"msg": "exportTo contains \"*\", so the entry is exported to every namespace",
	"resource": lib.resource(se),
} if {
	some se in entries
	"*" in object.get(se.spec, "exportTo", [])
}

# ---- documentation ---------------------------------------------------------------

doc_annotations := [
	["owner", lib.params.serviceentry_owner_annotation],
	["justification", lib.params.serviceentry_justification_annotation],
]

deny contains {
	"msg": sprintf("%s annotation %q is missing", [what, key]),
	"resource": lib.resource(se),
} if {
	some se in entries
	some [what, key] in doc_annotations
	trim_space(sprintf("%v", [object.get(lib.annotations(se), key, "")])) == ""
}

# ---- resolution NONE without addresses --------------------------------------------

resolution_desc(se) := "resolution NONE" if se.spec.resolution
else := "resolution unset (NONE)"

tcp_port(p) if upper(object.get(p, "protocol", "")) in {"", "TCP"}

no_addresses(se) if {
	count(object.get(se.spec, "addresses", [])) == 0
	count(object.get(se, ["status", "addresses"], [])) == 0
}

deny contains {
	"msg": sprintf("%s with TCP port %v and no addresses matches any IP on that port", [resolution_desc(se), p.number]),
	"resource": lib.resource(se),
} if {
	some se in entries
	upper(object.get(se.spec, "resolution", "NONE")) == "NONE"
	no_addresses(se)
	some p in object.get(se.spec, "ports", [])
	tcp_port(p)
}
