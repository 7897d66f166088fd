# METADATA
# title: Access logs everywhere
# description: |
#   Every proxy (workloads, ingress and egress gateways) must write access
#   logs: the mesh config sets `accessLogFile` (or
#   `defaultProviders.accessLogging`), or the mesh-wide Telemetry (no
#   selector or targetRef, in the Istio root namespace, the oldest applying)
#   enables `accessLogging` with providers. A Telemetry's accessLogging
#   replaces the mesh config's setting. Reported: logging not enabled
#   mesh-wide, any Telemetry with `accessLogging[].disabled: true`, an
#   accessLogging entry without providers while the mesh config names no
#   default provider (istioctl analyze IST0157: Istio ignores it), several
#   selector-less Telemetries in one namespace (IST0160) and a workload
#   selected by several Telemetries (IST0159). A manifest scan judges the
#   mesh-wide setting when it holds a mesh config source (the finding that
#   logging is off mesh-wide follows from the mesh config, so it needs
#   lib.mesh_config_known) or a root Telemetry that decides it, and always
#   the Telemetries it holds: one that disables access logging is a finding
#   on itself with or without the mesh config. Judged: the mesh when
#   decided, every Telemetry, the namespaces with selector-less Telemetries
#   and the workloads a Telemetry selects; with none of them the rule is not
#   applicable, saying why. Findings carry the mesh config fields or the
#   Telemetry fields as evidence.
# custom:
#   id: TEL-01
#   severity: high
#   controls: [AU-2, AU-12, SI-4(4)]
#   inputs: [ConfigMap, Telemetry, workloads]
#   requires: [istio]
#   remediation: |
#     Enable access logs mesh-wide: a Telemetry `mesh-default` in the Istio
#     root namespace with `spec.accessLogging: [{providers: [{name: envoy}]}]`
#     (or `accessLogFile: /dev/stdout` in the mesh config). Remove
#     `disabled: true` from accessLogging entries, name a provider in each
#     entry (or set `defaultProviders.accessLogging`), keep one selector-less
#     Telemetry per namespace and make workload selectors disjoint.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           rootNamespace: istio-system
#           trustDomain: cluster.local
#     pass: |
#       apiVersion: v1
#       kind: ConfigMap
#       metadata:
#         name: istio
#         namespace: istio-system
#       data:
#         mesh: |-
#           rootNamespace: istio-system
#           trustDomain: cluster.local
#       ---
#       apiVersion: telemetry.istio.io/v1
#       kind: Telemetry
#       metadata:
#         name: mesh-default
#         namespace: istio-system
#       spec:
#         accessLogging:
#         - providers:
#           - name: envoy
package meshaudit.rules.tel_01

import data.meshaudit.lib
import rego.v1

telemetries := [t | some t in lib.objects("Telemetry"); lib.in_scope(lib.ns(t))]

selectorless(t) if {
	count(lib.match_labels(t)) == 0
	not lib.targeted(t)
}

entries(t) := object.get(t.spec, "accessLogging", [])

disabled(e) if object.get(e, "disabled", false) == true

providers(e) := [p.name | some p in object.get(e, "providers", []); p.name]

default_providers := [p | some p in object.get(object.get(lib.mesh_config, "defaultProviders", {}), "accessLogging", [])]

mc_on if trim_space(sprintf("%v", [object.get(lib.mesh_config, "accessLogFile", "")])) != ""

mc_on if count(default_providers) > 0

# ---- the mesh-wide Telemetry ------------------------------------------------------

root_list := [t | some t in telemetries; lib.ns(t) == lib.root_ns; selectorless(t)]

root_tel := t if {
	count(root_list) > 0
	first := min({[lib.ts(t), lib.name(t)] | some t in root_list})
	t := [x | some x in root_list; [lib.ts(x), lib.name(x)] == first][0]
}

default root_entries := []

root_entries := entries(root_tel)

# An entry takes effect when it names providers, or when it names none and
# the mesh config names default providers.
effective(e) if count(providers(e)) > 0

effective(e) if {
	count(providers(e)) == 0
	count(default_providers) > 0
}

root_on if {
	some e in root_entries
	not disabled(e)
	effective(e)
}

root_disabled if {
	some e in root_entries
	disabled(e)
}

# Entries without providers while the default providers are unknown.
root_undecided if {
	not lib.mesh_config_known
	some e in root_entries
	not disabled(e)
	count(providers(e)) == 0
}

root_applies if root_on

root_applies if root_disabled

mesh_on if root_on

mesh_on if {
	not root_applies
	mc_on
}

mesh_known if lib.mesh_config_known

mesh_known if count(root_entries) > 0

# mesh_judged: whether logging is on mesh-wide is decided on the input's
# evidence: the mesh config is known (a live scan, or a mesh config source
# in the input), or the root Telemetry decides it (it enables logging with
# providers, or disables it). A root Telemetry whose entries name no
# provider, without the mesh config, leaves it undecided.
mesh_judged if {
	mesh_known
	not root_undecided
}

mesh_judged if root_on

access_log_evidence := array.concat(
	[lib.mesh_config_field_evidence("accessLogFile", object.get(lib.mesh_config, "accessLogFile", null)), lib.mesh_config_field_evidence("defaultProviders.accessLogging", object.get(object.get(lib.mesh_config, "defaultProviders", {}), "accessLogging", null))],
	[{"path": sprintf("selector-less Telemetry with accessLogging in root namespace %q", [lib.root_ns]), "value": count(root_entries)}],
)

deny contains {
	"msg": "access logging is not enabled mesh-wide: the mesh config sets no accessLogFile or defaultProviders.accessLogging and no selector-less Telemetry in the root namespace enables accessLogging with a provider",
	"resource": lib.mesh_config_subject,
	"evidence": access_log_evidence,
} if {
	lib.mesh_config_known
	mesh_judged
	not mesh_on
	not root_disabled
}

# ---- Telemetries ----------------------------------------------------------------

scope_text(t) := "the whole mesh" if {
	lib.ns(t) == lib.root_ns
	selectorless(t)
} else := sprintf("namespace %q", [lib.ns(t)]) if {
	selectorless(t)
} else := sprintf("the workloads it selects in namespace %q", [lib.ns(t)])

deny contains {
	"msg": sprintf("Telemetry %s sets accessLogging[%d].disabled: true, turning off access logs for %s", [lib.ns_name(t), i, scope_text(t)]),
	"resource": lib.resource(t),
	"evidence": [{"path": sprintf("spec.accessLogging[%d].disabled", [i]), "value": true}],
} if {
	some t in telemetries
	some i, e in entries(t)
	disabled(e)
}

deny contains {
	"msg": sprintf("Telemetry %s has accessLogging[%d] without providers and the mesh config sets no defaultProviders.accessLogging, so Istio ignores it (IST0157)", [lib.ns_name(t), i]),
	"resource": lib.resource(t),
	"evidence": [
		{"path": sprintf("spec.accessLogging[%d].providers", [i]), "value": object.get(e, "providers", null)},
		lib.mesh_config_field_evidence("defaultProviders.accessLogging", null),
	],
} if {
	lib.mesh_config_known
	count(default_providers) == 0
	some t in telemetries
	some i, e in entries(t)
	not disabled(e)
	count(providers(e)) == 0
}

selectorless_by_ns := lib.group([[lib.ns(t), t] | some t in telemetries; selectorless(t)])

deny contains {
	"msg": sprintf("namespace %q%s has %d Telemetries without selector (%s): Istio applies only one of them (IST0160)", [n, lib.ns_note(n), count(ts), concat(", ", sort([lib.name(t) | some t in ts]))]),
	"resource": lib.namespace_resource(n),
	"evidence": [{"path": "spec.selector", "resource": lib.resource(t)} | some t in ts],
} if {
	some n, ts in selectorless_by_ns
	count(ts) > 1
}

# selected_by_ns: namespace -> Telemetries with a selector, grouped once as a
# complete object (a keyed lookup into a partial rule re-scans every
# Telemetry on each call).
selected_by_ns := lib.group([[lib.ns(t), t] | some t in telemetries; count(lib.match_labels(t)) > 0])

selecting(w) := [t | some t in object.get(selected_by_ns, w.namespace, set()); lib.selects(lib.match_labels(t), w.labels)]

deny contains {
	"msg": sprintf("pods of %s %s/%s are selected by %d Telemetries (%s): Istio applies only one of them (IST0159)", [w.kind, w.namespace, lib.name(w.obj), count(ts), concat(", ", sort([lib.name(t) | some t in ts]))]),
	"resource": w.resource,
	"evidence": [{"path": "spec.selector.matchLabels", "value": lib.match_labels(t), "resource": lib.resource(t)} | some t in ts],
} if {
	some w in lib.workloads
	ts := selecting(w)
	count(ts) > 1
}

# ---- verdict -----------------------------------------------------------------------

# judged: the mesh when its logging is decided, every Telemetry in scope
# (disabled entries are judged on the Telemetry itself), the namespaces with
# selector-less Telemetries, and the workloads a Telemetry selects.
judged contains lib.mesh_config_subject if mesh_judged

judged contains lib.resource(t) if some t in telemetries

judged contains lib.namespace_resource(n) if some n, _ in selectorless_by_ns

judged contains w.resource if {
	some w in lib.workloads
	count(selecting(w)) > 0
}

not_applicable contains "only a live scan can tell whether access logging is on mesh-wide: neither a mesh config source nor any Telemetry is in the input" if {
	count(judged) == 0
	not lib.mesh_config_known
	count(lib.objects("Telemetry")) == 0
}

not_applicable contains sprintf("Telemetry %s enables access logging without providers, which uses the mesh config's defaultProviders.accessLogging, and the input holds no mesh config", [lib.ns_name(root_tel)]) if {
	count(judged) == 0
	root_undecided
}
