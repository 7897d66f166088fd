# meshaudit rule library: helpers more than one rule needs (issue 15: one
# library, no rule keeps a private copy). Type guards, names, the in-scope
# objects and per-namespace indexes of common kinds, istiod, Kubernetes
# label selectors, authorization and TLS vocabulary, pod-spec details.
# policies/house_test.go fails when a rule defines a helper lib has.
package meshaudit.lib

import rego.v1

# ---- type guards -------------------------------------------------------------

# as_array(x): x when it is an array, else [] (a field read from an object
# of the input may hold anything a manifest says).
as_array(x) := x if is_array(x)

else := []

# spec(o): o's spec when it is an object, else {}.
spec(o) := as_object(object.get(o, "spec", {}))

# ---- names -------------------------------------------------------------------

# ns_name(o): "namespace/name" of an object, as messages name it.
ns_name(o) := sprintf("%s/%s", [ns(o), name(o)])

# workload_name(w): "Kind namespace/name" of a workload (an element of
# workloads), as messages name it.
workload_name(w) := sprintf("%s %s/%s", [w.kind, w.namespace, w.resource.name])

# template_labels(o): the pod-template labels of a Deployment-like object.
template_labels(o) := object.get(o, ["spec", "template", "metadata", "labels"], {})

# container_kind_labels: the words for each list of containers of a pod
# spec (the `kind` of an element of all_containers).
container_kind_labels := {
	"containers": "container",
	"initContainers": "init container",
	"ephemeralContainers": "ephemeral container",
}

# image_tag(img): the tag of an image reference ("1.31.2" of
# "docker.io/istio/pilot:1.31.2@sha256:…"), "" when it has none.
image_tag(img) := t if {
	ref := split(img, "@")[0]
	parts := split(ref, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := split(last, ":")[1]
} else := ""

# redacted: what a snapshot holds in place of an environment value.
redacted := "<redacted by meshaudit>"

# ---- the mesh config as a finding's subject ---------------------------------

# mesh_config_subject: the subject of a finding on a mesh setting: the
# object holding the deciding mesh config (mesh_configmap; it exists exactly
# when has_mesh_config), else the mesh (Istio's defaults).
mesh_config_subject := resource(mesh_configmap) if mesh_configmap

else := mesh_resource

# ---- namespaces and workloads ------------------------------------------------

# app_namespaces: the namespaces in scope, the root namespace excepted.
app_namespaces := {n | some n in namespaces; app_ns(n)}

# app_workloads: the workloads of app_namespaces.
app_workloads contains w if {
	some w in workloads
	app_ns(w.namespace)
}

# sidecar_app_workloads: the workloads of app_namespaces that have or will
# get a sidecar.
sidecar_app_workloads contains w if {
	some w in app_workloads
	sidecar(w)
}

# workloads_by_ns: the workloads of each namespace (lib.group).
workloads_by_ns := group([[w.namespace, w] | some w in workloads])

# workloads_by_label: the workloads carrying each [label, value] of their
# pod template (lib.group; read with object.get(idx, [[k, v]], set())).
workloads_by_label := group([[[k, v], w] |
	some w in workloads
	some k, v in w.labels
])

# runs_sidecar(w): the pod runs a sidecar proxy: injected, an istio-proxy
# container, or sidecar(w) when not on the host network (Istio never
# injects a host-network pod).
rego_runs_sidecar(w) if injected(w)

rego_runs_sidecar(w) if has_proxy_container(w)

rego_runs_sidecar(w) if {
	not host_network(w)
	sidecar(w)
}

# runs_sidecar(w) reads derive's fact when there is one (see "workload
# facts" in lib.rego); rego_runs_sidecar is its definition.
runs_sidecar(w) if {
	w.facts.runs_sidecar == true
	go_ns_labels(w.namespace)
}

runs_sidecar(w) if {
	not go_ns_fact(w, "runs_sidecar")
	rego_runs_sidecar(w)
}

# proxy_config(w): the pod's proxy.istio.io/config annotation, parsed
# (undefined when absent or not a YAML object).
proxy_config(w) := pc if {
	pc := yaml.unmarshal(w.annotations["proxy.istio.io/config"])
	is_object(pc)
}

# inject_source(w): where the pod's sidecar.istio.io/inject setting is read
# from: "label" when the label is present (it wins), else "annotation".
inject_source(w) := "label" if {
	"sidecar.istio.io/inject" in object.keys(w.labels)
} else := "annotation"

# inject_raw(w): the sidecar.istio.io/inject value as written (undefined
# when neither label nor annotation is set).
inject_raw(w) := w.labels["sidecar.istio.io/inject"] if {
	inject_source(w) == "label"
} else := w.annotations["sidecar.istio.io/inject"]

# inject_path(w): the evidence path of that setting.
inject_path(w) := label_path(w, "sidecar.istio.io/inject") if {
	inject_source(w) == "label"
} else := annotation_path(w, "sidecar.istio.io/inject")

# The sidecar's traffic-interception annotations.
traffic_annotation_prefix := "traffic.sidecar.istio.io/"

include_inbound_ports_key := "traffic.sidecar.istio.io/includeInboundPorts"

exclude_inbound_ports_key := "traffic.sidecar.istio.io/excludeInboundPorts"

# comma_list(v): the non-empty, trimmed items of a comma-separated value.
comma_list(v) := {p |
	some raw in split(sprintf("%v", [v]), ",")
	p := trim_space(raw)
	p != ""
}

# format_ports(s): a set of port strings for a message: numbers in numeric
# order, then anything else sorted.
format_ports(s) := concat(", ", array.concat(
	[sprintf("%d", [n]) | some n in sort({to_number(p) | some p in s; regex.match(`^[0-9]+$`, p)})],
	sort([p | some p in s; not regex.match(`^[0-9]+$`, p)]),
))

# ns_selector_labels(n): the labels a namespaceSelector matches namespace n
# by: its labels and kubernetes.io/metadata.name, which Kubernetes sets on
# every namespace.
ns_selector_labels(n) := object.union(ns_labels(n), {"kubernetes.io/metadata.name": n})

# ---- objects in scope and their indexes ---------------------------------------

# in_scope_objects(key): the objects of a kind in namespaces in scope. A
# function: assign it to a complete rule where it is read in a loop.
in_scope_objects(key) := [o | some o in objects(key); in_scope(ns(o))]

scoped_sidecars := in_scope_objects("Sidecar")

scoped_authorization_policies := in_scope_objects("AuthorizationPolicy")

scoped_service_entries := in_scope_objects("ServiceEntry")

# pdbs_by_ns, network_policies_by_ns: the objects of each namespace.
pdbs_by_ns := group([[ns(p), p] | some p in objects("PodDisruptionBudget")])

network_policies_by_ns := group([[ns(p), p] | some p in objects("NetworkPolicy")])

# gateway_refs / gateway_namespaces: the [namespace, name] and the
# namespaces of the Istio Gateways of the input.
gateway_refs := {[ns(gw), name(gw)] | some gw in objects("Gateway")}

gateway_namespaces := {ns(gw) | some gw in objects("Gateway")}

# gateway_api_key: the kind key of Kubernetes Gateway API Gateways.
gateway_api_key := "Gateway.gateway.networking.k8s.io"

# ---- istiod -------------------------------------------------------------------

# istiod(d): a Deployment is istiod: app=istiod on the object or on its pod
# template.
istiod(d) if labels(d).app == "istiod"

istiod(d) if object.get(d, ["spec", "template", "metadata", "labels", "app"], "") == "istiod"

# istiods: the istiod Deployments in scope.
istiods contains d if {
	some d in objects("Deployment")
	in_scope(ns(d))
	istiod(d)
}

# ---- egress gateways ----------------------------------------------------------

# egress_gateway_labels: params.egress_gateway_labels ({} when not an
# object).
default egress_gateway_labels := {}

egress_gateway_labels := l if {
	l := params.egress_gateway_labels
	is_object(l)
}

# egress_gateways: the workloads in scope that egress_gateway_labels select.
egress_gateways contains w if {
	count(egress_gateway_labels) > 0
	some w in workloads
	in_scope(w.namespace)
	selects(egress_gateway_labels, w.labels)
}

# ---- selectors ----------------------------------------------------------------

# match_labels(o): spec.selector.matchLabels of an Istio policy ({} when
# unset: the policy selects every workload of its namespace).
match_labels(o) := object.get(o, ["spec", "selector", "matchLabels"], {})

# spec_selector(o): spec.selector of a Service or an Istio Gateway (a plain
# label map; {} when unset).
spec_selector(o) := object.get(o.spec, "selector", {})

# targeted(o): the policy names its targets with targetRef/targetRefs
# instead of a selector.
targeted(o) if o.spec.targetRef

targeted(o) if count(object.get(o, ["spec", "targetRefs"], [])) > 0

# selector_matches(sel, lbls): a LabelSelector as read from an object,
# whatever it holds: a non-object selector, matchLabels or
# matchExpressions counts as empty (so it selects everything), as
# NetworkPolicy reads an empty podSelector.
selector_matches(sel, lbls) if {
	s := as_object(sel)
	selects(as_object(object.get(s, "matchLabels", {})), lbls)
	every e in as_array(object.get(s, "matchExpressions", [])) {
		label_expr_matches(e, lbls)
	}
}

# set_selector_matches(sel, lbls): a LabelSelector that must be set (a
# PodDisruptionBudget's: a missing selector selects nothing).
set_selector_matches(sel, lbls) if {
	is_object(sel)
	selector_matches(sel, lbls)
}

# ---- authorization and TLS vocabulary -------------------------------------

# dry_run(o): an AuthorizationPolicy annotated istio.io/dry-run=true (Istio
# evaluates it but does not enforce it).
dry_run(o) if truthy(object.get(annotations(o), "istio.io/dry-run", "false"))

# allow_policy(ap): an ALLOW AuthorizationPolicy (the default action).
allow_policy(ap) if upper(object.get(ap, ["spec", "action"], "ALLOW")) == "ALLOW"

# authz_rules(ap): spec.rules of an AuthorizationPolicy.
authz_rules(ap) := object.get(ap, ["spec", "rules"], [])

# weak_modes: the mTLS modes that accept plaintext.
weak_modes := {"PERMISSIVE", "DISABLE"}

# mode_decided(res): the object that decided a workload's mTLS mode (the
# second element of workload_mode / effective_mode) is in the input, or no
# object decides it and the mesh-wide policy is known (Istio's default
# applies).
mode_decided(res) if res != null

mode_decided(null) if mesh_policy_known

# deciding_pa(w, res): the PeerAuthentication, among those that apply to
# workload w, whose resource is res.
deciding_pa(w, res) := pa if {
	pa := workload_pa(w.namespace, w.labels)
	resource(pa) == res
} else := pa if {
	pa := namespace_pa(w.namespace)
	resource(pa) == res
} else := pa if {
	pa := mesh_pa
	resource(pa) == res
}

# tls_mode(t): the upper-cased mode of a TLS settings object (DISABLE when
# unset).
tls_mode(t) := upper(object.get(t, "mode", "DISABLE"))

# terminating_tls_modes: Gateway server TLS modes in which the gateway
# terminates TLS.
terminating_tls_modes := {"SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL", "ISTIO_MUTUAL"}

# http_protocols: the port protocols Istio treats as HTTP.
http_protocols := {"HTTP", "HTTP2", "GRPC", "GRPC-WEB"}

# sort_by_ns_name(objs): objects sorted by "namespace/name" (then whole).
sort_by_ns_name(objs) := [o | some [_, o] in sort([[ns_name(x), x] | some x in objs])]

# host_part(entry): the host of an `ns/host` entry (see ns_host).
host_part(entry) := ns_host(entry)[1]

# fields_evidence(fields): evidence entries from [sort key, path, value]
# triples, sorted.
fields_evidence(fields) := [{"path": p, "value": v} | some [_, p, v] in sort(fields)]

# ---- pod specs ------------------------------------------------------------------

# security_context(x): x.securityContext (of a pod spec or a container)
# when it is an object, else {}.
security_context(x) := s if {
	s := x.securityContext
	is_object(s)
} else := {}

# windows(w): the pod runs on Windows nodes (spec.os.name).
windows(w) if lower(sprintf("%v", [w.spec.os.name])) == "windows"

# istio_node_agent(w): Istio's own node agents (the CNI node agent and
# ztunnel), DaemonSets that need host privileges by design.
istio_node_agent_names := {"istio-cni-node", "ztunnel"}

istio_node_agent(w) if {
	w.kind == "DaemonSet"
	name(w.obj) in istio_node_agent_names
}

istio_node_agent(w) if {
	w.kind == "DaemonSet"
	some k in ["k8s-app", "app"]
	w.labels[k] in istio_node_agent_names
}

# istio_component_names: the names (and app / k8s-app labels) of Istio's
# own control-plane and node components.
istio_component_names := {"istiod", "istio-cni-node", "ztunnel"}

# ---- NetworkPolicy ---------------------------------------------------------

np_directions := ["Ingress", "Egress"]

# np_policy_types(np): the directions a NetworkPolicy applies to:
# spec.policyTypes, else Ingress plus Egress when it has egress rules.
np_policy_types(np) := {t | some t in as_array(object.get(spec(np), "policyTypes", []))} if {
	count(as_array(object.get(spec(np), "policyTypes", []))) > 0
} else := {"Ingress", "Egress"} if {
	count(as_array(object.get(spec(np), "egress", []))) > 0
} else := {"Ingress"}

# rule_ports(r): the ports of a NetworkPolicy rule ([] when none: every
# port).
rule_ports(r) := as_array(object.get(r, "ports", []))

# port_number(p): the numeric port of a ports entry (undefined for a named
# port).
port_number(p) := n if {
	n := p.port
	is_number(n)
} else := to_number(p.port) if {
	is_string(p.port)
	regex.match(`^[0-9]+$`, p.port)
}

# np_protocol(p): the protocol of a NetworkPolicy ports entry (TCP when
# unset).
np_protocol(p) := object.get(as_object(p), "protocol", "TCP")

# np_port_text(p): a ports entry for a message: 8080/TCP, 8000-8100/TCP or
# "all UDP ports".
np_port_text(p) := sprintf("%v-%v/%s", [p.port, p.endPort, np_protocol(p)]) if {
	object.get(p, "port", null) != null
	object.get(p, "endPort", null) != null
} else := sprintf("%v/%s", [p.port, np_protocol(p)]) if {
	object.get(p, "port", null) != null
} else := sprintf("all %s ports", [np_protocol(p)])

# np_ports_text(r): the ports of a NetworkPolicy rule for a message.
np_ports_text(r) := "all ports" if count(rule_ports(r)) == 0

else := sprintf("ports %s", [concat(", ", [np_port_text(as_object(p)) | some p in rule_ports(r)])])
