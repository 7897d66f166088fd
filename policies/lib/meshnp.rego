# meshaudit rule library, MESH-*, NP-* and POD-* helpers: a null-safe set
# of workloads and the evidence of a namespace label (docs/verdicts.md).
package meshaudit.lib

import rego.v1

# as_obj(x): x when it is an object, else {}.
as_obj(x) := x if is_object(x)

else := {}

# safe_workloads: lib.workloads' entries (same shape and owner filtering),
# built null-safe: a pod template with `metadata: null` (an empty
# `metadata:` line in YAML, which Kubernetes accepts) or a null
# labels/annotations/spec makes lib.workloads a built-in type error, which
# the engine's strict built-in errors turn into an unknown rule. Built once
# per query and shared by the POD-* rules.
safe_workloads := {w |
	some k in workload_kinds
	some obj in objects(k)
	not owned(obj)
	t := pod_template(obj)
	is_object(t)
	meta := as_obj(object.get(t, "metadata", {}))
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": ns(obj),
		"resource": resource(obj),
		"labels": as_obj(object.get(meta, "labels", {})),
		"annotations": as_obj(object.get(meta, "annotations", {})),
		"spec": as_obj(object.get(t, "spec", {})),
	}
}

# ns_label_evidence(n, key): the evidence entry for label `key` of namespace
# n: the label of its Namespace object, else the entry of
# params.namespace_labels that states it, else the lookup that found no
# Namespace object (an implied namespace shows no label). "value" is absent
# when the label is not set.
ns_label_evidence(n, key) := e if {
	namespace_objects[n]
	e := object.union(
		{"path": sprintf("metadata.labels[%q]", [key])},
		label_value(labels(namespace_objects[n]), key),
	)
} else := e if {
	object.get(object.get(params, "namespace_labels", {}), n, null) != null
	e := object.union(
		{"path": sprintf("params.namespace_labels[%q][%q]", [n, key])},
		label_value(ns_labels(n), key),
	)
} else := {"path": sprintf("Namespace %q in the input (implied by its objects; no params.namespace_labels entry)", [n]), "value": 0}

label_value(l, key) := {"value": l[key]} if key in object.keys(l)

else := {}

# ns_label_evidence_of(n, key): ns_label_evidence for a finding on another
# subject (a workload): it names the Namespace object holding the label.
ns_label_evidence_of(n, key) := object.union(ns_label_evidence(n, key), {"resource": namespace_resource(n)}) if {
	namespace_objects[n]
} else := ns_label_evidence(n, key)
