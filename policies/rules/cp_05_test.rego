package meshaudit.rules.cp_05_test

import data.meshaudit.rules.cp_05
import data.meshaudit.testlib
import rego.v1

vwc(name, policies) := {
	"apiVersion": "admissionregistration.k8s.io/v1",
	"kind": "ValidatingWebhookConfiguration",
	"metadata": {"name": name, "labels": {"app": "istiod", "istio.io/rev": "default"}},
	"webhooks": [object.union({"name": sprintf("wh%d.validation.istio.io", [i])}, p) | some i, p in policies],
}

vres(name) := {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration", "namespace": "", "name": name}

istiod := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
	"spec": {"template": {"spec": {"containers": [{"name": "discovery", "image": "istio/pilot:1.31.2"}]}}},
}

test_evidence if {
	inp := testlib.live({"ValidatingWebhookConfiguration": [vwc("istio-validator-istio-system", [{"failurePolicy": "Ignore"}])]})
	{f.evidence | some f in cp_05.deny} == {[{"path": "webhooks[0].failurePolicy", "value": "Ignore"}]} with input as inp
	cp_05.judged == {vres("istio-validator-istio-system")} with input as inp
}

test_fail_passes if {
	cp_05.judged == {vres("istio-validator-istio-system")} with input as testlib.live({"ValidatingWebhookConfiguration": [vwc("istio-validator-istio-system", [{"failurePolicy": "Fail"}])]})
	count(cp_05.deny) == 0 with input as testlib.live({"ValidatingWebhookConfiguration": [vwc("istio-validator-istio-system", [{"failurePolicy": "Fail"}])]})
}

test_unset_defaults_to_fail if {
	count(cp_05.deny) == 0 with input as testlib.live({"ValidatingWebhookConfiguration": [vwc("istiod-default-validator", [{}])]})
}

test_live_ignore_fails if {
	testlib.strip(cp_05.deny) == {{
		"msg": "webhook wh1.validation.istio.io of ValidatingWebhookConfiguration istio-validator-1-31-istio-system has failurePolicy Ignore: invalid Istio configuration is admitted whenever istiod is unreachable",
		"resource": vres("istio-validator-1-31-istio-system"),
	}} with input as testlib.live({"ValidatingWebhookConfiguration": [vwc("istio-validator-1-31-istio-system", [{"failurePolicy": "Fail"}, {"failurePolicy": "Ignore"}])]})
}

# Issue 12: the runtime failurePolicy is a live-only fact: a manifest scan
# (Istio's rendered install) is not applicable, never unknown, whatever the
# manifests say.
test_manifest_live_only if {
	inp := testlib.inp({"ValidatingWebhookConfiguration": [vwc("istio-validator-istio-system", [{"failurePolicy": "Fail"}, {"failurePolicy": "Ignore"}])]})
	count(cp_05.deny) == 0 with input as inp
	not cp_05.unknown with input as inp
	count(cp_05.judged) == 0 with input as inp
	cp_05.not_applicable == {"only a live scan can tell the validation webhook's effective failurePolicy: istiod switches it to Fail at runtime once its validation controller is ready (the input's ValidatingWebhookConfiguration istio-validator-istio-system says Ignore)"} with input as inp
}

# Fail in the manifests is the effective policy: judged, pass.
test_manifest_fail_judged if {
	inp := testlib.inp({"ValidatingWebhookConfiguration": [vwc("istio-validator-istio-system", [{"failurePolicy": "Fail"}, {}])]})
	count(cp_05.deny) == 0 with input as inp
	cp_05.judged == {vres("istio-validator-istio-system")} with input as inp
	count(cp_05.not_applicable) == 0 with input as inp
}

test_other_webhooks_ignored if {
	other := json.patch(vwc("kyverno-policy", [{"failurePolicy": "Ignore"}]), [{"op": "replace", "path": "/metadata/labels", "value": {}}])
	inp := testlib.live({"ValidatingWebhookConfiguration": [other]})
	count(cp_05.deny) == 0 with input as inp
	cp_05.not_applicable == {"no Istio ValidatingWebhookConfiguration (istio-validator*, istiod-default-validator) and no istiod in the cluster"} with input as inp
}

test_live_istiod_without_validator_fails if {
	testlib.strip(cp_05.deny) == {{
		"msg": "istiod runs but no Istio ValidatingWebhookConfiguration (istio-validator*) exists: Istio configuration is not validated on admission",
		"resource": {"kind": "Mesh", "name": "c1"},
	}} with input as testlib.live({"Deployment": [istiod]})
}

test_manifest_istiod_without_validator_not_applicable if {
	inp := testlib.inp({"Deployment": [istiod]})
	count(cp_05.deny) == 0 with input as inp
	cp_05.not_applicable == {"only a live scan can tell whether Istio's validation webhook fails closed: the input holds no Istio ValidatingWebhookConfiguration (istio-validator*, istiod-default-validator)"} with input as inp
}
