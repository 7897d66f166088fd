# Helpers of the HA-*, TEL-* and CP-* rules that other rules may use too:
# one finding per rule and subject listing every problem
# (findings_per_subject), and evidence entries for mesh config fields.
package meshaudit.lib

import rego.v1

severity_rank := {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

# findings_per_subject(problems): one finding per subject from a set of
# problems {"resource": ref, "msg": str, "evidence": [...], "severity"?: str}.
# The message lists every problem of the subject (sorted, joined by "; "),
# the evidence is every problem's, and the severity is the highest of the
# problems' (omitted, i.e. the rule's, when a problem has none). A problem
# may carry a number "order" to sort before others (default 0; then by msg).
findings_per_subject(problems) := {merged_finding(subject, ps) |
	some subject, ps in group([[p.resource, p] | some p in problems])
}

merged_finding(subject, ps) := object.union(
	{
		"msg": concat("; ", msgs),
		"resource": subject,
		"evidence": [e | some m in msgs; some p in ps; p.msg == m; some e in object.get(p, "evidence", [])],
	},
	merged_severity(ps),
) if {
	msgs := [k[1] | some k in sort({[object.get(p, "order", 0), p.msg] | some p in ps})]
}

merged_severity(ps) := {} if {
	some p in ps
	not p.severity
} else := {"severity": s} if {
	top := max({severity_rank[p.severity] | some p in ps})
	some s, r in severity_rank
	r == top
}

# mesh_config_field_evidence(field, value): the evidence entry of a mesh
# config field (a dotted path inside the mesh config): inside data.mesh of
# the istio ConfigMap when the input holds it, else the mesh config Istio
# applies (a live scan without the ConfigMap: Istio's defaults). value null
# means the field is not set (the entry then has no value).
mesh_config_field_evidence(field, value) := object.union(mesh_config_evidence_base(field), value_entry(value))

mesh_config_evidence_base(field) := {"path": sprintf("data.mesh.%s", [field]), "resource": resource(mesh_configmap)} if {
	mesh_configmap
} else := {"path": sprintf("meshConfig.%s", [field])}

value_entry(null) := {}

value_entry(v) := {"value": v} if v != null
