# METADATA
# title: Sidecar injector fails closed and covers enrolled namespaces
# description: |
#   Istio's sidecar injector webhooks (MutatingWebhookConfigurations
#   `istio-sidecar-injector*` and the revision tags `istio-revision-tag-*`)
#   must use `failurePolicy: Fail` (the admissionregistration/v1 default when
#   unset): with `Ignore`, pods created while istiod is unreachable start
#   without a sidecar, outside the mesh. Their selectors must not skip
#   enrolled namespaces: an enrolled, in-scope namespace that no injector
#   webhook selects because a
#   `NotIn`/`DoesNotExist` expression of a webhook's namespaceSelector (or,
#   for its pods, objectSelector) excludes it is reported. Namespaces are
#   matched with their labels plus `kubernetes.io/metadata.name`; pods opted
#   out with `sidecar.istio.io/inject` are not judged. A live cluster without
#   any injector webhook fails. The injector's `neverInjectSelector` lives in
#   the `config` key of ConfigMap `istio-sidecar-injector`, which meshaudit
#   never collects: it is not checked here. Judged: every injector
#   configuration of the input (live: a cluster without one fails on the
#   mesh). One finding per configuration lists every problem with the
#   webhook field as evidence and names the fix.
# custom:
#   id: MESH-07
#   severity: high
#   controls: [SC-24, CM-3]
#   inputs: [MutatingWebhookConfiguration, Namespace, workloads]
#   requires: [istio]
#   subjects: [MutatingWebhookConfiguration]
#   remediation: |
#     Set `failurePolicy: Fail` on every webhook of the istio-sidecar-injector
#     and istio-revision-tag MutatingWebhookConfigurations (Helm value
#     `sidecarInjectorWebhook` defaults do), and remove the `NotIn` /
#     `DoesNotExist` selector expressions that exclude enrolled namespaces or
#     their pods (opt a namespace out by removing its injection label, a pod
#     with `sidecar.istio.io/inject: "false"`). Keep `neverInjectSelector` in
#     the injector ConfigMap limited to approved selectors.
#   examples:
#     fail: |
#       apiVersion: admissionregistration.k8s.io/v1
#       kind: MutatingWebhookConfiguration
#       metadata:
#         name: istio-sidecar-injector
#         labels:
#           app: sidecar-injector
#           istio.io/rev: default
#       webhooks:
#         - name: namespace.sidecar-injector.istio.io
#           admissionReviewVersions: ["v1"]
#           sideEffects: None
#           failurePolicy: Ignore
#           reinvocationPolicy: Never
#           clientConfig:
#             service:
#               name: istiod
#               namespace: istio-system
#               path: /inject
#               port: 443
#           rules:
#             - operations: ["CREATE"]
#               apiGroups: [""]
#               apiVersions: ["v1"]
#               resources: ["pods"]
#           namespaceSelector:
#             matchExpressions:
#               - key: istio-injection
#                 operator: In
#                 values: ["enabled"]
#           objectSelector:
#             matchExpressions:
#               - key: sidecar.istio.io/inject
#                 operator: NotIn
#                 values: ["false"]
#     pass: |
#       apiVersion: admissionregistration.k8s.io/v1
#       kind: MutatingWebhookConfiguration
#       metadata:
#         name: istio-sidecar-injector
#         labels:
#           app: sidecar-injector
#           istio.io/rev: default
#       webhooks:
#         - name: namespace.sidecar-injector.istio.io
#           admissionReviewVersions: ["v1"]
#           sideEffects: None
#           failurePolicy: Fail
#           reinvocationPolicy: Never
#           clientConfig:
#             service:
#               name: istiod
#               namespace: istio-system
#               path: /inject
#               port: 443
#           rules:
#             - operations: ["CREATE"]
#               apiGroups: [""]
#               apiVersions: ["v1"]
#               resources: ["pods"]
#           namespaceSelector:
#             matchExpressions:
#               - key: istio-injection
#                 operator: In
#                 values: ["enabled"]
#           objectSelector:
#             matchExpressions:
#               - key: sidecar.istio.io/inject
#                 operator: NotIn
#                 values: ["false"]
package meshaudit.rules.mesh_07

import data.meshaudit.lib
import rego.v1

injector(m) if startswith(lib.name(m), "istio-sidecar-injector")

injector(m) if startswith(lib.name(m), "istio-revision-tag-")

injectors := [m | some m in lib.objects("MutatingWebhookConfiguration"); injector(m)]

# hooks: every webhook of the injector configurations with its configuration.
hooks := [{"mwc": m, "hook": h, "i": i} | some m in injectors; some i, h in object.get(m, "webhooks", [])]

# judged: every injector configuration of the input (and, live, the mesh:
# a cluster without any injector fails).
judged contains lib.resource(m) if some m in injectors

judged contains lib.mesh_resource if {
	lib.live
	count(injectors) == 0
}

not_applicable contains "no istio-sidecar-injector or istio-revision-tag MutatingWebhookConfiguration in the input" if {
	not lib.live
	count(injectors) == 0
}

deny contains {
	"msg": "no sidecar injector webhook (MutatingWebhookConfiguration istio-sidecar-injector* or istio-revision-tag-*) is installed, so no pod gets a sidecar by injection; install istiod's injector (or a revision tag)",
	"resource": lib.mesh_resource,
	"evidence": [{"path": "MutatingWebhookConfiguration istio-sidecar-injector* or istio-revision-tag-* in the cluster", "value": 0}],
} if {
	lib.live
	count(injectors) == 0
}

# ---- failurePolicy ----------------------------------------------------------------

failure_problems(m) := [{
	"text": sprintf("webhook %s has failurePolicy %v: pods created while istiod is unreachable start without a sidecar (set failurePolicy: Fail)", [x.hook.name, fp]),
	"evidence": {"path": sprintf("webhooks[%d].failurePolicy", [x.i]), "value": fp},
} |
	some x in hooks
	x.mwc == m
	fp := object.get(x.hook, "failurePolicy", "Fail")
	fp != "Fail"
]

# ---- label selectors ----------------------------------------------------------------

negative := {"NotIn", "DoesNotExist"}

# positive_matches: the selector matches but for its NotIn/DoesNotExist
# expressions.
positive_matches(sel, l) if {
	lib.selects(object.get(sel, "matchLabels", {}), l)
	every e in object.get(sel, "matchExpressions", []) {
		expr_check(e, l)
	}
}

expr_check(e, _) if e.operator in negative

expr_check(e, l) if {
	not e.operator in negative
	lib.label_expr_matches(e, l)
}

# excluding: the text of a selector's negative expressions that fail on l.
excluding(sel, l) := concat(", ", sort([expr_text(e) |
	some e in object.get(sel, "matchExpressions", [])
	e.operator in negative
	not lib.label_expr_matches(e, l)
]))

expr_text(e) := sprintf("%s NotIn [%s]", [e.key, concat(", ", [sprintf("%v", [v]) | some v in e.values])]) if e.operator == "NotIn"

expr_text(e) := sprintf("%s DoesNotExist", [e.key]) if e.operator == "DoesNotExist"

# nontrivial: the selector has a positive condition (matchLabels, In,
# Exists), i.e. it targets some namespaces or pods rather than being a
# catch-all narrowed by exclusions (Istio's object-selector webhooks).
nontrivial(sel) if count(object.get(sel, "matchLabels", {})) > 0

nontrivial(sel) if {
	some e in object.get(sel, "matchExpressions", [])
	not e.operator in negative
}

ns_sel(h) := object.get(h, "namespaceSelector", {})

obj_sel(h) := object.get(h, "objectSelector", {})

# enrolled_namespaces: application namespaces enrolled for sidecar
# injection (an implied namespace only through params.namespace_labels).
enrolled_namespaces contains n if {
	some n in lib.namespaces
	lib.app_ns(n)
	lib.sidecar_enrolled(n)
}

# A namespace is selected when some webhook's namespaceSelector matches it
# and its objectSelector matches an unlabelled pod.
ns_selected(l) if {
	some x in hooks
	lib.label_selector_matches(ns_sel(x.hook), l)
	lib.label_selector_matches(obj_sel(x.hook), {})
}

namespace_problems(m) := [{
	"text": sprintf("namespace %q%s is enrolled for sidecar injection but no injector webhook selects it: the namespaceSelector of webhook %s excludes it with %s (remove the exclusion)", [n, lib.ns_note(n), x.hook.name, excluding(ns_sel(x.hook), l)]),
	"evidence": {"path": sprintf("webhooks[%d].namespaceSelector", [x.i]), "value": ns_sel(x.hook)},
} |
	some n in enrolled_namespaces
	l := lib.ns_selector_labels(n)
	not ns_selected(l)
	some x in hooks
	x.mwc == m
	nontrivial(ns_sel(x.hook))
	positive_matches(ns_sel(x.hook), l)
	not lib.label_selector_matches(ns_sel(x.hook), l)
]

pod_selected(nl, pl) if {
	some x in hooks
	lib.label_selector_matches(ns_sel(x.hook), nl)
	lib.label_selector_matches(obj_sel(x.hook), pl)
}

# workloads_not_selected: enrolled workloads that no webhook's
# objectSelector selects (computed once, not per configuration).
workloads_not_selected contains w if {
	count(hooks) > 0
	some w in lib.workloads
	w.namespace in enrolled_namespaces
	not lib.opted_out(w)
	not lib.injected(w)
	not lib.host_network(w)
	nl := lib.ns_selector_labels(w.namespace)
	ns_selected(nl)
	not pod_selected(nl, w.labels)
}

object_problems(m) := [{
	"text": sprintf("pods of %s %s/%s in enrolled namespace %q get no sidecar: the objectSelector of webhook %s excludes them with %s (remove the exclusion)", [w.kind, w.namespace, lib.name(w.obj), w.namespace, x.hook.name, excluding(obj_sel(x.hook), w.labels)]),
	"evidence": {"path": sprintf("webhooks[%d].objectSelector", [x.i]), "value": obj_sel(x.hook)},
} |
	some w in workloads_not_selected
	nl := lib.ns_selector_labels(w.namespace)
	some x in hooks
	x.mwc == m
	lib.label_selector_matches(ns_sel(x.hook), nl)
	has_selector(x.hook)
	positive_matches(obj_sel(x.hook), w.labels)
	not lib.label_selector_matches(obj_sel(x.hook), w.labels)
]

# One finding per injector configuration, every problem listed.
deny contains {
	"msg": sprintf("MutatingWebhookConfiguration %s: %s", [lib.name(m), concat("; ", [p.text | some p in ps])]),
	"resource": lib.resource(m),
	"evidence": [p.evidence | some p in ps],
} if {
	some m in injectors
	ps := array.concat(array.concat(failure_problems(m), namespace_problems(m)), object_problems(m))
	count(ps) > 0
}

has_selector(h) if nontrivial(ns_sel(h))

has_selector(h) if nontrivial(obj_sel(h))
