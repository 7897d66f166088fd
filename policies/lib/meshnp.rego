# meshaudit rule library, MESH-*, NP-* and POD-* helpers: the evidence of a
# namespace label (docs/verdicts.md).
package meshaudit.lib

import rego.v1

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
