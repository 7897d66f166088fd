# METADATA
# title: ServiceEntries documented and narrow
# description: |
#   Every ServiceEntry names precise hosts (no `*`, no broad wildcard such as
#   `*.com`), lists its ports, limits exportTo (unset exports it to every
#   namespace) and carries the owner and justification annotations, so that
#   all outbound traffic is known and documented. A `resolution: NONE` entry
#   (NONE is also the default) with a TCP port and no `addresses` matches any
#   destination IP on that port (istioctl analyze IST0134). One finding per
#   ServiceEntry lists every problem (issue 14). What an unset exportTo
#   means depends on the mesh config's defaultServiceExportTo: it is judged
#   only when the mesh config is known (live scan, or in the input); an
#   entry whose only open question is that is not judged. Judged: every
#   other in-scope ServiceEntry; findings carry the fields as evidence.
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

# problems contains [entry index, order, text, evidence] for each problem.
problems contains [i, [1, j], "host \"*\" matches every external host: list the exact hosts", [{"path": sprintf("spec.hosts[%d]", [j]), "value": "*"}]] if {
	some i, se in lib.scoped_service_entries
	some j, h in object.get(se.spec, "hosts", [])
	h == "*"
}

problems contains [i, [2, j], sprintf("host %q is a broad wildcard: name at least two labels after \"*.\"", [h]), [{"path": sprintf("spec.hosts[%d]", [j]), "value": h}]] if {
	some i, se in lib.scoped_service_entries
	some j, h in object.get(se.spec, "hosts", [])
	startswith(h, "*.")
	count([l | some l in split(substring(h, 2, -1), "."); l != ""]) < 2
}

problems contains [i, [3, 0], sprintf("no ports are listed for hosts %v: list the ports they are reached on", [object.get(se.spec, "hosts", [])]), [{"path": "spec.ports"}]] if {
	some i, se in lib.scoped_service_entries
	count(object.get(se.spec, "ports", [])) == 0
}

default mesh_default_export_to := ["*"]

mesh_default_export_to := l if {
	l := lib.mesh_config.defaultServiceExportTo
	is_array(l)
	count(l) > 0
}

export_unset(se) if count(object.get(se.spec, "exportTo", [])) == 0

problems contains [i, [4, 0], "exportTo is unset, so the entry is exported to every namespace: set exportTo to [\".\"] or the namespaces that need it", [{"path": "spec.exportTo"}]] if {
	lib.mesh_config_known
	some i, se in lib.scoped_service_entries
	export_unset(se)
	"*" in mesh_default_export_to
}

problems contains [i, [5, 0], "exportTo contains \"*\", so the entry is exported to every namespace: list only the namespaces that need it", [{"path": "spec.exportTo", "value": se.spec.exportTo}]] if {
	some i, se in lib.scoped_service_entries
	"*" in object.get(se.spec, "exportTo", [])
}

doc_annotations := [
	["owner", lib.params.serviceentry_owner_annotation],
	["justification", lib.params.serviceentry_justification_annotation],
]

problems contains [i, [6, k], sprintf("%s annotation %q is missing: add it", [what, key]), [{"path": sprintf("metadata.annotations[%q]", [key])}]] if {
	some i, se in lib.scoped_service_entries
	some k, [what, key] in doc_annotations
	trim_space(sprintf("%v", [object.get(lib.annotations(se), key, "")])) == ""
}

resolution_desc(se) := "resolution NONE" if se.spec.resolution

else := "resolution unset (NONE)"

tcp_port(p) if upper(object.get(p, "protocol", "")) in {"", "TCP"}

no_addresses(se) if {
	count(object.get(se.spec, "addresses", [])) == 0
	count(object.get(se, ["status", "addresses"], [])) == 0
}

problems contains [i, [7, j], sprintf("%s with TCP port %v and no addresses matches any IP on that port: set addresses or resolution DNS", [resolution_desc(se), p.number]), [
	object.union({"path": "spec.resolution"}, {"value": v | v := se.spec.resolution}),
	object.union({"path": sprintf("spec.ports[%d].protocol", [j])}, {"value": v | v := p.protocol}),
	{"path": "spec.addresses"},
]] if {
	some i, se in lib.scoped_service_entries
	upper(object.get(se.spec, "resolution", "NONE")) == "NONE"
	no_addresses(se)
	some j, p in object.get(se.spec, "ports", [])
	tcp_port(p)
}

by_entry := lib.group([[i, [order, text, ev]] | some [i, order, text, ev] in problems])

deny contains {
	"msg": concat("; ", [x[1] | some x in ps]),
	"resource": lib.resource(lib.scoped_service_entries[i]),
	"evidence": [e | some x in ps; some e in x[2]],
} if {
	some i, group in by_entry
	ps := sort(group)
}

# judged: every in-scope entry, except one whose only open question is what
# its unset exportTo means while the mesh config is not known.
judged contains lib.resource(se) if {
	some i, se in lib.scoped_service_entries
	object.get(by_entry, i, null) != null
}

judged contains lib.resource(se) if {
	some se in lib.scoped_service_entries
	not export_unset(se)
}

judged contains lib.resource(se) if {
	lib.mesh_config_known
	some se in lib.scoped_service_entries
}

not_applicable contains "no ServiceEntry in the input" if count(lib.scoped_service_entries) == 0

not_applicable contains "the ServiceEntries of the input leave exportTo unset, and what that means depends on the mesh config's defaultServiceExportTo, which is not in the input" if {
	count(lib.scoped_service_entries) > 0
	count(judged) == 0
}
