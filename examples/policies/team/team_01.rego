# METADATA
# title: Workloads carry an owning team label
# description: |
#   Every workload names the team that owns it in the label
#   `example.com/team`, so that a finding reaches someone who can fix it.
# custom:
#   id: TEAM-01
#   severity: medium
#   controls: [CM-8]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Add the label `example.com/team: <team>` to the workload's metadata.
package meshaudit.custom.rules.team_01

import data.meshaudit.lib
import rego.v1

deny contains {
	"msg": sprintf("%s has no example.com/team label", [w.kind]),
	"resource": w.resource,
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	not lib.labels(w.obj)["example.com/team"]
}
