# METADATA
# title: Istio's validation webhook fails closed
# description: |
#   Every webhook of Istio's ValidatingWebhookConfigurations
#   (`istio-validator*`, `istiod-default-validator`, or labelled `app=istiod`)
#   must use `failurePolicy: Fail` (the admissionregistration/v1 default when
#   unset); with `Ignore`, invalid Istio configuration is admitted whenever
#   istiod is unreachable and then silently ignored by the proxies. Istio's
#   charts ship `Ignore` and istiod's webhook controller switches it to
#   `Fail` once its endpoint is ready, so a manifest scan that sees `Ignore`
#   cannot tell the effective policy: the rule is unknown there, and a live
#   scan decides. A live cluster running istiod without any Istio validation
#   webhook is reported too (nothing validates Istio configuration).
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
#       Fail at runtime, so Ignore in manifests is unknown, not a failure.
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

ignoring contains [v, wh] if {
	some v in vwcs
	some wh in object.get(v, "webhooks", [])
	object.get(wh, "failurePolicy", "Fail") != "Fail"
}

deny contains {
	"msg": sprintf("webhook %s of ValidatingWebhookConfiguration %s has failurePolicy %s: invalid Istio configuration is admitted whenever istiod is unreachable", [wh.name, lib.name(v), wh.failurePolicy]),
	"resource": lib.resource(v),
} if {
	lib.live
	some pair in ignoring
	v := pair[0]
	wh := pair[1]
}

unknown contains sprintf("webhook %s of ValidatingWebhookConfiguration %s has failurePolicy %s in the manifests; istiod switches it to Fail at runtime when its validation controller is enabled, so scan the live cluster", [wh.name, lib.name(v), wh.failurePolicy]) if {
	not lib.live
	some pair in ignoring
	v := pair[0]
	wh := pair[1]
}

istiod(d) if lib.labels(d).app == "istiod"

istiod(d) if object.get(d, ["spec", "template", "metadata", "labels", "app"], "") == "istiod"

deny contains {
	"msg": "istiod runs but no Istio ValidatingWebhookConfiguration (istio-validator*) exists: Istio configuration is not validated on admission",
	"resource": lib.mesh_resource,
} if {
	lib.live
	count(vwcs) == 0
	some d in lib.objects("Deployment")
	istiod(d)
}

not_applicable contains "no Istio ValidatingWebhookConfiguration (istio-validator*, istiod-default-validator) in the input" if {
	count(vwcs) == 0
	not live_istiod
}

live_istiod if {
	lib.live
	some d in lib.objects("Deployment")
	istiod(d)
}
