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
#   mesh-wide setting when it holds the mesh ConfigMap or the root
#   Telemetry, and the Telemetries it holds; with neither ConfigMap nor
#   Telemetry the rule is not applicable.
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

tname(t) := sprintf("%s/%s", [lib.ns(t), lib.name(t)])

sel(t) := object.get(t, ["spec", "selector", "matchLabels"], {})

targeted(t) if object.get(t.spec, "targetRef", null) != null

targeted(t) if count(object.get(t.spec, "targetRefs", [])) > 0

selectorless(t) if {
	count(sel(t)) == 0
	not targeted(t)
}

entries(t) := object.get(t.spec, "accessLogging", [])

disabled(e) if object.get(e, "disabled", false) == true

providers(e) := [p.name | some p in object.get(e, "providers", []); p.name]

mc := lib.mesh_config

# The mesh config is known in a live scan (absence = Istio's defaults) or
# when the input holds it.
mc_known if lib.live

mc_known if lib.has_mesh_config

default_providers := [p | some p in object.get(object.get(mc, "defaultProviders", {}), "accessLogging", [])]

mc_on if trim_space(sprintf("%v", [object.get(mc, "accessLogFile", "")])) != ""

mc_on if count(default_providers) > 0

mesh_subject := lib.resource(lib.mesh_configmap)

mesh_subject := lib.mesh_resource if not lib.has_mesh_config

# ---- the mesh-wide Telemetry ------------------------------------------------------

ts(t) := object.get(t.metadata, "creationTimestamp", "")

root_list := [t | some t in telemetries; lib.ns(t) == lib.root_ns; selectorless(t)]

root_tel := t if {
	count(root_list) > 0
	first := min({[ts(t), lib.name(t)] | some t in root_list})
	t := [x | some x in root_list; [ts(x), lib.name(x)] == first][0]
}

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
	not mc_known
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

mesh_known if mc_known

mesh_known if count(root_entries) > 0

not_applicable contains "neither the mesh ConfigMap nor any Telemetry is in the input" if {
	not lib.live
	not lib.has_mesh_config
	count(lib.objects("Telemetry")) == 0
}

unknown contains sprintf("Telemetry %s enables access logging without providers, which uses the mesh config's defaultProviders.accessLogging, and the mesh ConfigMap is not in the input", [tname(root_tel)]) if {
	root_undecided
	not root_on
}

deny contains {
	"msg": "access logging is not enabled mesh-wide: the mesh config sets no accessLogFile or defaultProviders.accessLogging and no selector-less Telemetry in the root namespace enables accessLogging with a provider",
	"resource": mesh_subject,
} if {
	mesh_known
	not mesh_on
	not root_disabled
	not root_undecided
}

# ---- Telemetries ----------------------------------------------------------------

scope_text(t) := "the whole mesh" if {
	lib.ns(t) == lib.root_ns
	selectorless(t)
} else := sprintf("namespace %q", [lib.ns(t)]) if {
	selectorless(t)
} else := sprintf("the workloads it selects in namespace %q", [lib.ns(t)])

deny contains {
	"msg": sprintf("Telemetry %s sets accessLogging[%d].disabled: true, turning off access logs for %s", [tname(t), i, scope_text(t)]),
	"resource": lib.resource(t),
} if {
	some t in telemetries
	some i, e in entries(t)
	disabled(e)
}

deny contains {
	"msg": sprintf("Telemetry %s has accessLogging[%d] without providers and the mesh config sets no defaultProviders.accessLogging, so Istio ignores it (IST0157)", [tname(t), i]),
	"resource": lib.resource(t),
} if {
	mc_known
	count(default_providers) == 0
	some t in telemetries
	some i, e in entries(t)
	not disabled(e)
	count(providers(e)) == 0
}

selectorless_pairs := [[lib.ns(t), lib.name(t)] | some t in telemetries; selectorless(t)]

selectorless_by_ns := {n: names |
	some n in {p[0] | some p in selectorless_pairs}
	names := {p[1] | some p in selectorless_pairs; p[0] == n}
}

deny contains {
	"msg": sprintf("namespace %q has %d Telemetries without selector (%s): Istio applies only one of them (IST0160)", [n, count(names), concat(", ", sort(names))]),
	"resource": lib.namespace_resource(n),
} if {
	some n, names in selectorless_by_ns
	count(names) > 1
}

# selected_by_ns: namespace -> Telemetries with a selector, grouped once as a
# complete object (a keyed lookup into a partial rule re-scans every
# Telemetry on each call).
selected_pairs := [[lib.ns(t), t] | some t in telemetries; count(sel(t)) > 0]

selected_by_ns := {n: ts |
	some n in {p[0] | some p in selected_pairs}
	ts := {p[1] | some p in selected_pairs; p[0] == n}
}

deny contains {
	"msg": sprintf("pods of %s %s/%s are selected by %d Telemetries (%s): Istio applies only one of them (IST0159)", [w.kind, w.namespace, lib.name(w.obj), count(names), concat(", ", sort(names))]),
	"resource": w.resource,
} if {
	some w in lib.workloads
	list := selected_by_ns[w.namespace]
	names := [lib.name(t) | some t in list; lib.selects(sel(t), w.labels)]
	count(names) > 1
}
