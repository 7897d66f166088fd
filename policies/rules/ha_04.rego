# METADATA
# title: Pod priority classes exist and the mesh's own pods run at high priority
# description: |
#   The talk's first HA guideline: the most important pods get scheduling
#   priority, so that under resource pressure the scheduler preempts less
#   important pods instead of leaving istiod or a gateway pending. Checks that
#   every `priorityClassName` names an existing PriorityClass (the Priority
#   admission plugin rejects pods naming an unknown class, so the workload
#   cannot create pods at all); the built-in `system-cluster-critical` and
#   `system-node-critical` always exist. A manifest scan judges existence only
#   when the input holds PriorityClasses (they are cluster-scoped and usually
#   installed separately). istiod and Istio gateway workloads must set a
#   `priorityClassName` whose value is above the default priority (the
#   globalDefault PriorityClass, else 0); a class not in the input is taken
#   as elevated. Other workloads without a priorityClassName are not
#   reported: they get the default priority. The workloads judged are
#   istiod, the gateways and, where existence can be judged, every workload
#   naming a class; one finding per workload, with the priorityClassName
#   field (and the PriorityClass's value) as evidence.
# custom:
#   id: HA-04
#   severity: medium
#   controls: [SC-6]
#   inputs: [workloads, PriorityClass]
#   subjects: [workloads]
#   remediation: |
#     Create the missing PriorityClass or fix the `priorityClassName`. Give
#     istiod and the gateways a high-priority class (for example
#     `system-cluster-critical`, or an organisation class with a value above
#     every application class), set in the pod template's
#     `spec.priorityClassName`.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: istiod
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#             - name: discovery
#               image: docker.io/istio/pilot:1.30.0
#               args: ["discovery", "--monitoringAddr=:15014", "--log_output_level=default:info"]
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             app: istiod
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             priorityClassName: system-cluster-critical
#             containers:
#             - name: discovery
#               image: docker.io/istio/pilot:1.30.0
#               args: ["discovery", "--monitoringAddr=:15014", "--log_output_level=default:info"]
package meshaudit.rules.ha_04

import data.meshaudit.lib
import rego.v1

builtin := {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}

# classes: name -> value (a complete object: looked up per workload).
classes := {lib.name(pc): object.get(pc, "value", 0) | some pc in lib.objects("PriorityClass")}

# existence is judged in a live scan, or when the input holds PriorityClasses.
existence_known if lib.live

existence_known if count(lib.objects("PriorityClass")) > 0

exists(name) if builtin[name]

exists(name) if classes[name]

value(name) := builtin[name]

value(name) := classes[name] if not builtin[name]

default_priority := max({v |
	some pc in lib.objects("PriorityClass")
	pc.globalDefault == true
	v := object.get(pc, "value", 0)
}) if {
	some pc in lib.objects("PriorityClass")
	pc.globalDefault == true
} else := 0

pcn(w) := object.get(w.spec, "priorityClassName", "")

istiod_workload(w) if w.labels.app == "istiod"

istiod_workload(w) if {
	w.kind == "Deployment"
	regex.match(`^istiod(-.+)?$`, w.obj.metadata.name)
}

role(w) := "istiod" if istiod_workload(w)

role(w) := "the Istio gateway" if {
	not istiod_workload(w)
	lib.gateway(w)
}

pcn_evidence(w) := {"path": sprintf("%s.priorityClassName", [lib.pod_spec_path(w)]), "value": pcn(w)} if {
	pcn(w) != ""
} else := {"path": sprintf("%s.priorityClassName", [lib.pod_spec_path(w)])}

class_evidence(name) := [{"path": "value", "value": classes[name], "resource": lib.resource(pc)}] if {
	not builtin[name]
	some pc in lib.objects("PriorityClass")
	lib.name(pc) == name
} else := []

problems contains {
	"resource": w.resource,
	"msg": sprintf("priorityClassName %q names no PriorityClass, so the Priority admission plugin rejects its pods", [name]),
	"evidence": [pcn_evidence(w), {"path": sprintf("PriorityClass %q", [name]), "value": 0}],
} if {
	existence_known
	some w in lib.workloads
	lib.in_scope(w.namespace)
	name := pcn(w)
	name != ""
	not exists(name)
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s has no priorityClassName: it runs at the default priority %v and can be preempted or left pending under resource pressure; set priorityClassName: system-cluster-critical (or a high PriorityClass of the organisation)", [r, default_priority]),
	"evidence": [pcn_evidence(w)],
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	r := role(w)
	pcn(w) == ""
}

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s uses priorityClassName %q with value %v, not above the default priority %v", [r, name, v, default_priority]),
	"evidence": array.concat([pcn_evidence(w)], class_evidence(name)),
} if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	r := role(w)
	name := pcn(w)
	v := value(name)
	v <= default_priority
}

# One finding per workload.
deny contains f if some f in lib.findings_per_subject(problems)

# judged: the workloads a check applies to on the input's evidence: every
# workload naming a priorityClassName when existence can be judged (a live
# scan, or PriorityClasses in the input), and istiod and the Istio gateways.
judged contains w.resource if {
	existence_known
	some w in lib.workloads
	lib.in_scope(w.namespace)
	pcn(w) != ""
}

judged contains w.resource if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
	role(w)
}

not_applicable contains "no istiod or Istio gateway workload in the input, and no priorityClassName whose existence it can judge (PriorityClasses are cluster-scoped: a manifest scan judges existence only when it holds them)" if count(judged) == 0
