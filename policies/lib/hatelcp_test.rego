package meshaudit.lib_hatelcp_test

import data.meshaudit.lib
import rego.v1

ra := {"kind": "Deployment", "namespace": "shop", "name": "a"}

rb := {"kind": "Deployment", "namespace": "shop", "name": "b"}

# One finding per subject: messages sorted by order then text, evidence in
# that order, severity the highest of the problems' (omitted when one
# problem has the rule's own).
test_findings_per_subject if {
	problems := {
		{"resource": ra, "msg": "z second", "evidence": [{"path": "p2"}], "severity": "low"},
		{"resource": ra, "msg": "y first", "evidence": [{"path": "p1", "value": 1}], "severity": "medium", "order": -1},
		{"resource": rb, "msg": "only", "evidence": [{"path": "q"}]},
		{"resource": rb, "msg": "low one", "evidence": [], "severity": "low"},
	}
	lib.findings_per_subject(problems) == {
		{"msg": "y first; z second", "resource": ra, "evidence": [{"path": "p1", "value": 1}, {"path": "p2"}], "severity": "medium"},
		{"msg": "low one; only", "resource": rb, "evidence": [{"path": "q"}]},
	}
	count(lib.findings_per_subject(set())) == 0
}

test_mesh_config_field_evidence if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "accessLogEncoding: TEXT\n"}}
	lib.mesh_config_field_evidence("accessLogEncoding", "TEXT") == {"path": "data.mesh.accessLogEncoding", "value": "TEXT", "resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}} with input as {"cluster": "c", "source": "manifests", "objects": {"ConfigMap": [cm]}}
	lib.mesh_config_field_evidence("accessLogFile", null) == {"path": "meshConfig.accessLogFile"} with input as {"cluster": "c", "source": "cluster", "objects": {}}
}
