package meshaudit.rules.tel_04_test

import data.meshaudit.lib
import data.meshaudit.rules.tel_04
import data.meshaudit.testlib
import rego.v1

apiserver(command, args) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {"name": "kube-apiserver-cp1", "namespace": "kube-system", "labels": {"component": "kube-apiserver", "tier": "control-plane"}},
	"spec": {"containers": [{"name": "kube-apiserver", "image": "registry.k8s.io/kube-apiserver:v1.33.0", "command": command, "args": args}]},
}

pres := {"apiVersion": "v1", "kind": "Pod", "namespace": "kube-system", "name": "kube-apiserver-cp1"}

test_evidence if {
	p := apiserver(["kube-apiserver", "--audit-log-path=/var/log/audit.log"], [])
	tel_04.deny == {{
		"msg": "kube-apiserver runs without --audit-policy-file, so it records no audit events",
		"resource": pres,
		"evidence": [{"path": "spec.containers[0].command and args: --audit-policy-file"}],
	}} with input as testlib.input_from("manifests", {"Pod": [p]})
	tel_04.judged == {pres} with input as testlib.input_from("manifests", {"Pod": [p]})
	{f.evidence | some f in tel_04.deny} == {[{"path": "params.audit_logging_configured", "value": false}]} with input as testlib.input_from("manifests", {}) with data.meshaudit.params as with_param(false)
	tel_04.judged == {{"kind": "Mesh", "name": "c1"}} with input as testlib.input_from("manifests", {}) with data.meshaudit.params as with_param(true)
}

with_param(v) := object.union(lib.params, {"audit_logging_configured": v})

test_kubeadm_flags_pass if {
	p := apiserver(["kube-apiserver", "--advertise-address=10.0.0.1", "--audit-policy-file=/etc/kubernetes/audit-policy.yaml", "--audit-log-path=/var/log/kubernetes/audit.log"], [])
	count(tel_04.deny) == 0 with input as testlib.input_from("cluster", {"Pod": [p]})
	count(tel_04.unknown) == 0 with input as testlib.input_from("cluster", {"Pod": [p]})
}

test_separate_values_and_webhook_pass if {
	p := apiserver(["kube-apiserver"], ["--audit-policy-file", "/etc/audit.yaml", "--audit-webhook-config-file", "/etc/webhook.yaml"])
	count(tel_04.deny) == 0 with input as testlib.input_from("manifests", {"Pod": [p]})
}

test_no_audit_flags_fail if {
	p := apiserver(["kube-apiserver", "--advertise-address=10.0.0.1"], [])
	testlib.strip(tel_04.deny) == {
		{"msg": "kube-apiserver runs without --audit-policy-file, so it records no audit events", "resource": pres},
		{"msg": "kube-apiserver has no audit backend: neither --audit-log-path nor --audit-webhook-config-file is set", "resource": pres},
	} with input as testlib.input_from("cluster", {"Pod": [p]})
}

test_policy_without_backend_fails if {
	p := apiserver(["kube-apiserver", "--audit-policy-file=/etc/audit.yaml", "--audit-log-path="], [])
	testlib.strip(tel_04.deny) == {{"msg": "kube-apiserver has no audit backend: neither --audit-log-path nor --audit-webhook-config-file is set", "resource": pres}} with input as testlib.input_from("cluster", {"Pod": [p]})
}

# The pod wins over the operator's assertion.
test_pod_overrides_param if {
	p := apiserver(["kube-apiserver"], [])
	count(tel_04.deny) == 2 with input as testlib.input_from("cluster", {"Pod": [p]}) with data.meshaudit.params as with_param(true)
}

test_other_pods_ignored if {
	p := object.union(apiserver(["kube-apiserver"], []), {"metadata": {"namespace": "default"}})
	tel_04.unknown == {"audit logging is not visible from cluster objects (managed control plane); set params.audit_logging_configured"} with input as testlib.input_from("cluster", {"Pod": [p]})
	count(tel_04.deny) == 0 with input as testlib.input_from("cluster", {"Pod": [p]})
}

test_managed_unknown if {
	tel_04.unknown == {"audit logging is not visible from cluster objects (managed control plane); set params.audit_logging_configured"} with input as testlib.input_from("cluster", {})
}

test_param_true_passes if {
	count(tel_04.deny) == 0 with input as testlib.input_from("cluster", {}) with data.meshaudit.params as with_param(true)
	count(tel_04.unknown) == 0 with input as testlib.input_from("cluster", {}) with data.meshaudit.params as with_param(true)
}

test_param_false_fails if {
	testlib.strip(tel_04.deny) == {{
		"msg": "params.audit_logging_configured is false: the operator states that Kubernetes API audit logging is not configured",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as testlib.input_from("cluster", {}) with data.meshaudit.params as with_param(false)
}

test_manifests_without_apiserver_not_applicable if {
	tel_04.not_applicable == {"only a live scan or params.audit_logging_configured can tell whether the Kubernetes API server writes audit logs: the input holds no kube-apiserver static pod (kube-system, component=kube-apiserver)"} with input as testlib.input_from("manifests", {})
	count(tel_04.unknown) == 0 with input as testlib.input_from("manifests", {})
	count(tel_04.judged) == 0 with input as testlib.input_from("manifests", {})
}
