package meshaudit.lib_meshnp_test

import data.meshaudit.lib
import data.meshaudit.testlib
import rego.v1

deploy(n, template) := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": n}, "spec": {"template": template}}

# null metadata, labels, annotations and spec are read as empty, never a
# built-in error.
test_workloads_null_safe if {
	ws := lib.workloads with input as testlib.inp({"Deployment": [
		deploy("a", {"metadata": null, "spec": {"containers": []}}),
		object.union(deploy("b", {"metadata": {"labels": null, "annotations": null}, "spec": null}), {"metadata": {"name": "api"}}),
	]})
	count(ws) == 2
	every w in ws {
		w.labels == {}
		w.annotations == {}
	}
}

test_ns_label_evidence_namespace_object if {
	lib.ns_label_evidence("shop", "istio-injection") == {"path": "metadata.labels[\"istio-injection\"]", "value": "enabled"} with input as testlib.inp({"Namespace": [testlib.namespace("shop", {"istio-injection": "enabled"})]})
	lib.ns_label_evidence("shop", "x") == {"path": "metadata.labels[\"x\"]"} with input as testlib.inp({"Namespace": [testlib.namespace("shop", {})]})
	lib.ns_label_evidence_of("shop", "x") == {"path": "metadata.labels[\"x\"]", "resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"}} with input as testlib.inp({"Namespace": [testlib.namespace("shop", {})]})
}

test_ns_label_evidence_implied if {
	i := testlib.inp({"Deployment": [deploy("shop", {"spec": {}})]})
	lib.ns_label_evidence("shop", "x") == {"path": "Namespace \"shop\" in the input (implied by its objects; no params.namespace_labels entry)", "value": 0} with input as i
	lib.ns_label_evidence_of("shop", "x") == lib.ns_label_evidence("shop", "x") with input as i
	lib.ns_label_evidence("shop", "x") == {"path": "params.namespace_labels[\"shop\"][\"x\"]", "value": "1"} with input as i
		with data.meshaudit.params.namespace_labels as {"shop": {"x": "1"}}
}
