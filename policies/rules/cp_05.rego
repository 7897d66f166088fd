# METADATA
# title: Istio's validation webhook fails closed
# description: |
#   Every webhook of Istio's ValidatingWebhookConfigurations
#   (`istio-validator*`, `istiod-default-validator`, or labelled `app=istiod`)
#   must use `failurePolicy: Fail` (the admissionregistration/v1 default when
#   unset); with `Ignore`, invalid Istio configuration is admitted whenever
#   istiod is unreachable and then silently ignored by the proxies. Istio's
#   charts ship `Ignore` and istiod's webhook controller switches it to
#   `Fail` once its endpoint is ready, so only a live scan can tell the
#   effective policy: a manifest scan showing `Ignore` (Istio's rendered
#   install) is not applicable, saying "only a live scan can tell", never
#   unknown (a documented exception to file/live parity); one whose webhooks
#   all say `Fail` passes (istiod never turns Fail into Ignore). A live cluster running istiod
#   without any Istio validation webhook is reported too (nothing validates
#   Istio configuration). Judged (live): every Istio validation webhook
#   configuration; findings carry webhooks[i].failurePolicy as evidence.
# custom:
#   id: CP-05
#   severity: medium
#   controls: [CM-3, CM-6]
#   inputs: [ValidatingWebhookConfiguration, Deployment]
#   requires: [istio]
#   subjects: [ValidatingWebhookConfiguration]
#   remediation: |
#     Set `failurePolicy: Fail` on the webhooks of `istio-validator*` /
#     `istiod-default-validator` (keep istiod's validation controller enabled
#     so that it does so after start-up), and make istiod highly available
#     (CP-03) so that failing closed does not block changes.
#   examples:
#     note: |
#       Only a live scan can fail this rule: Istio's charts render the
#       validating webhook with failurePolicy Ignore and istiod switches it to
#       Fail at runtime, so Ignore in manifests is not applicable ("only a
#       live scan can tell"), not a failure.
#     pass: |
#       apiVersion: admissionregistration.k8s.io/v1
#       kind: ValidatingWebhookConfiguration
#       metadata:
#         name: istio-validator-istio-system
#         labels:
#           app: istiod
#           istio: istiod
#           istio.io/rev: default
#       webhooks:
#         - name: rev.validation.istio.io
#           admissionReviewVersions: ["v1"]
#           sideEffects: None
#           failurePolicy: Fail
#           clientConfig:
#             service:
#               name: istiod
#               namespace: istio-system
#               path: /validate
#           rules:
#             - operations: ["CREATE", "UPDATE"]
#               apiGroups: ["security.istio.io", "networking.istio.io", "telemetry.istio.io", "extensions.istio.io"]
#               apiVersions: ["*"]
#               resources: ["*"]
#           objectSelector:
#             matchExpressions:
#               - key: istio.io/rev
#                 operator: In
#                 values: ["default"]
package meshaudit.rules.cp_05

import data.meshaudit.lib
import rego.v1

istio_vwc(v) if startswith(lib.name(v), "istio-validator")

istio_vwc(v) if lib.name(v) == "istiod-default-validator"

istio_vwc(v) if lib.labels(v).app == "istiod"

vwcs contains v if {
	some v in lib.objects("ValidatingWebhookConfiguration")
	istio_vwc(v)
}

ignoring contains [v, i, wh] if {
	some v in vwcs
	some i, wh in object.get(v, "webhooks", [])
	object.get(wh, "failurePolicy", "Fail") != "Fail"
}

# The failurePolicy that counts is the one istiod leaves at runtime: its
# webhook controller switches Istio's charts' Ignore to Fail once its
# endpoint is ready. Only a live scan shows it.
deny contains {
	"msg": sprintf("webhook %s of ValidatingWebhookConfiguration %s has failurePolicy %s: invalid Istio configuration is admitted whenever istiod is unreachable", [wh.name, lib.name(v), wh.failurePolicy]),
	"resource": lib.resource(v),
	"evidence": [{"path": sprintf("webhooks[%d].failurePolicy", [i]), "value": wh.failurePolicy}],
} if {
	lib.live
	some [v, i, wh] in ignoring
}

live_istiods contains d if {
	lib.live
	some d in lib.objects("Deployment")
	lib.istiod(d)
}

deny contains {
	"msg": "istiod runs but no Istio ValidatingWebhookConfiguration (istio-validator*) exists: Istio configuration is not validated on admission",
	"resource": lib.mesh_resource,
	"evidence": [
		{"path": "ValidatingWebhookConfiguration istio-validator*, istiod-default-validator or labelled app=istiod", "value": 0},
		{"path": "metadata.labels.app", "value": "istiod", "resource": lib.resource(d)},
	],
} if {
	count(vwcs) == 0
	d := min_istiod
}

min_istiod := [d | some d in live_istiods][0] if count(live_istiods) > 0

# judged: in a live scan every Istio validation webhook configuration; in a
# manifest scan only when every webhook already says Fail (istiod switches
# Ignore to Fail, never Fail to Ignore, so Fail in the manifests is the
# effective policy); and the mesh when istiod runs without one.
judged contains lib.resource(v) if {
	lib.live
	some v in vwcs
}

judged contains lib.resource(v) if {
	not lib.live
	count(ignoring) == 0
	some v in vwcs
}

judged contains lib.mesh_resource if {
	count(vwcs) == 0
	count(live_istiods) > 0
}

not_applicable contains sprintf("only a live scan can tell the validation webhook's effective failurePolicy: istiod switches it to Fail at runtime once its validation controller is ready (the input's %s)", [concat(", ", sort([sprintf("ValidatingWebhookConfiguration %s says %s", [lib.name(v), wh.failurePolicy]) | some [v, _, wh] in ignoring]))]) if {
	not lib.live
	count(ignoring) > 0
}

not_applicable contains "only a live scan can tell whether Istio's validation webhook fails closed: the input holds no Istio ValidatingWebhookConfiguration (istio-validator*, istiod-default-validator)" if {
	not lib.live
	count(vwcs) == 0
}

not_applicable contains "no Istio ValidatingWebhookConfiguration (istio-validator*, istiod-default-validator) and no istiod in the cluster" if {
	lib.live
	count(vwcs) == 0
	count(live_istiods) == 0
}
