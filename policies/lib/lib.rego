# METADATA
# title: meshaudit rule library
# description: |
#   Helpers shared by every rule: object access, scope, mesh config, pod
#   templates of workloads, injection state and the effective mTLS mode.
#   input = {"cluster": str, "source": "manifests"|"cluster",
#            "objects": {<kind key>: [object, ...]}};
#   data.meshaudit.params = organisation parameters (defaults from Go).
package meshaudit.lib

import rego.v1

params := data.meshaudit.params

# objects returns the objects of a kind key ("Deployment", "PeerAuthentication",
# "Gateway.gateway.networking.k8s.io", ...).
objects(key) := object.get(input.objects, key, [])

live if input.source == "cluster"

name(obj) := obj.metadata.name

ns(obj) := object.get(obj.metadata, "namespace", "")

labels(obj) := object.get(obj.metadata, "labels", {})

annotations(obj) := object.get(obj.metadata, "annotations", {})

# resource is what a finding points at.
resource(obj) := {
	"apiVersion": obj.apiVersion,
	"kind": obj.kind,
	"namespace": ns(obj),
	"name": name(obj),
}

# mesh_resource is the subject of a finding about the whole mesh.
mesh_resource := {"kind": "Mesh", "name": input.cluster}

# namespace_resource points at a namespace, whether or not its object is in
# the input (Go locates an implied namespace by its first object).
namespace_resource(n) := {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": n}

root_ns := params.root_namespace

# group(pairs): an index built in one pass from a list (or set) of
# [key, value] pairs: an object mapping each key to the set of its values.
# Assign it to a complete rule (`idx := lib.group([...])`) so it is built
# once per query, and read it with object.get(idx, key, set()) — with
# [[key]] for an array key, since object.get reads a bare array as a path.
# (A partial rule `idx[key] contains value` is not an index: read by key it
# re-runs its body per lookup, and built whole it grows quadratically.)
group(pairs) := {k: {v | some v, _ in vs} | some k, vs in object.union_n([{k: {v: true}} | some [k, v] in pairs])}

excluded(n) if n in params.excluded_namespaces

# in_scope: a namespace the checks apply to (not excluded).
in_scope(n) if not excluded(n)

# app_ns: in scope and not the Istio root namespace.
app_ns(n) if {
	in_scope(n)
	n != root_ns
}

# namespace_objects maps a namespace name to its Namespace object. A complete
# object (built once), so `namespace_objects[n]` is a hash lookup; see
# docs/writing-rules.md on why a partial rule looked up by key is not.
namespace_objects := {name(n): n | some n in objects("Namespace")}

# namespaces: every namespace the input shows, by object or by use.
namespaces := input.derived.namespaces if input.derived.namespaces
else := {name(n) | some n in objects("Namespace")} | {n |
	some key, list in input.objects
	some obj in list
	n := ns(obj)
	n != ""
}

# ---- mesh config -----------------------------------------------------------

# Sources of the mesh config (docs/inputs.md), by rank (a lower rank wins,
# setting by setting):
#   0  --mesh-config FILE (MeshConfig.meshaudit.io), for every revision;
#   1  the mesh ConfigMap of the root namespace: `istio` (the default
#      revision) or `istio-<revision>` (its `mesh` key);
#   2  an IstioOperator: spec.meshConfig over spec.values.meshConfig, for
#      spec.revision;
#   3  istiod Helm values (--istio-values, IstiodValues.meshaudit.io):
#      meshConfig, for revision.
# Each is {"rank", "revision" ("" the default revision, "*" every one),
# "config", "obj", "key"}.
mesh_sources contains {"rank": 0, "revision": "*", "config": c, "obj": o, "key": name(o)} if {
	some o in objects("MeshConfig.meshaudit.io")
	c := object.get(o, "spec", {})
	is_object(c)
}

mesh_sources contains {"rank": 1, "revision": rev, "config": c, "obj": cm, "key": name(cm)} if {
	some cm in objects("ConfigMap")
	ns(cm) == root_ns
	rev := configmap_revision(cm)
	c := configmap_mesh(cm)
}

mesh_sources contains {"rank": 2, "revision": rev, "config": c, "obj": o, "key": sprintf("%s/%s", [ns(o), name(o)])} if {
	some o in objects("IstioOperator")
	rev := revision_name(object.get(o, ["spec", "revision"], ""))
	c := object.union(
		as_object(object.get(o, ["spec", "values", "meshConfig"], {})),
		as_object(object.get(o, ["spec", "meshConfig"], {})),
	)
}

mesh_sources contains {"rank": 3, "revision": rev, "config": c, "obj": o, "key": name(o)} if {
	some o in objects("IstiodValues.meshaudit.io")
	rev := revision_name(object.get(o, ["spec", "revision"], ""))
	c := as_object(object.get(o, ["spec", "meshConfig"], {}))
}

as_object(v) := v if is_object(v)

else := {}

# revision_name: "" for the default revision (Istio's tag "default" too).
revision_name(r) := "" if r in {"", "default"}

else := r

configmap_revision(cm) := "" if name(cm) == "istio"

# istio-<revision>: only a ConfigMap holding mesh config (not
# istio-sidecar-injector, istio-ca-root-cert, ...).
configmap_revision(cm) := revision_name(substring(name(cm), 6, -1)) if {
	startswith(name(cm), "istio-")
	is_string(cm.data.mesh)
}

# configmap_mesh: the parsed `mesh` key ({} when absent or empty).
configmap_mesh(cm) := c if {
	c := yaml.unmarshal(cm.data.mesh)
	is_object(c)
} else := {}

# mesh_revisions: the revisions some source names ("" the default one).
mesh_revisions := {s.revision | some s in mesh_sources; s.revision != "*"}

# mesh_sources_of(rev): the sources that apply to revision rev, lowest
# precedence first (so that object.union_n lets the higher ones win).
mesh_sources_of(rev) := [s |
	some k in sort({[0 - t.rank, t.key] | some t in mesh_sources; t.revision in {rev, "*"}})
	some s in mesh_sources
	s.revision in {rev, "*"}
	[0 - s.rank, s.key] == k
]

# mesh_config_of(rev): the mesh config of revision rev, every source merged
# setting by setting ({} when the input holds none).
mesh_config_of(rev) := object.union_n([s.config | some s in mesh_sources_of(rev)])

# mesh_revision: the revision whose config mesh_config is: the default
# revision when a source names it (or only --mesh-config is given), else
# the first revision by name.
default mesh_revision := ""

mesh_revision := r if {
	not "" in mesh_revisions
	count(mesh_revisions) > 0
	r := min(mesh_revisions)
}

# has_mesh_config: the input holds a mesh config source.
has_mesh_config if count(mesh_sources) > 0

# mesh_config is the mesh config rules read (of mesh_revision; {} when the
# input holds none). mesh_config_for(w) is that of a workload's revision.
default mesh_config := {}

mesh_config := mesh_config_of(mesh_revision) if has_mesh_config

# mesh_configmap: the object holding the mesh config that decides most: the
# highest-precedence source of mesh_revision, whatever its kind (ConfigMap,
# IstioOperator, MeshConfig, IstiodValues); the name is kept for the rules
# that point findings at it with lib.resource(lib.mesh_configmap).
mesh_configmap := s.obj if {
	srcs := mesh_sources_of(mesh_revision)
	count(srcs) > 0
	s := srcs[count(srcs) - 1]
}

# mesh_config_source(path): the resource of the source that decided the
# mesh setting at path (an array, ["outboundTrafficPolicy", "mode"]), of
# mesh_revision; undefined when no source sets it (Istio's default).
mesh_config_source(path) := resource(s.obj) if {
	srcs := [t | some t in mesh_sources_of(mesh_revision); object.get(t.config, path, null) != null]
	count(srcs) > 0
	s := srcs[count(srcs) - 1]
}

# mesh_setting_evidence(path): evidence for a finding on a mesh setting:
# the dotted path, its value and the source that decided it.
mesh_setting_evidence(path) := {"path": concat(".", [sprintf("%v", [p]) | some p in path]), "value": object.get(mesh_config, path, null), "resource": mesh_config_source(path)}

# workload_revision(w): the control-plane revision a workload's sidecar
# comes from: the pod's istio.io/rev label, else its namespace's (unless
# istio-injection=enabled, which selects the default revision), else "".
workload_revision(w) := revision_name(w.labels["istio.io/rev"]) if {
	object.get(w.labels, "istio.io/rev", "") != ""
} else := revision_name(l["istio.io/rev"]) if {
	l := ns_labels(w.namespace)
	not l["istio-injection"] == "enabled"
	object.get(l, "istio.io/rev", "") != ""
} else := ""

# mesh_config_for(w): the mesh config of the workload's revision.
mesh_config_for(w) := mesh_config_of(workload_revision(w))

# has_mesh_config_for(w): a source of the workload's revision is in the
# input.
has_mesh_config_for(w) if count(mesh_sources_of(workload_revision(w))) > 0

# ---- mesh-wide evidence (docs/verdicts.md) -----------------------------------

# mesh_policy_kinds: Istio policy kinds whose objects in the root namespace
# apply mesh-wide. An object of another kind that merely lives in the root
# namespace (a Role, a Gateway, a Service) says nothing about the mesh.
mesh_policy_kinds := [
	"PeerAuthentication", "AuthorizationPolicy", "RequestAuthentication",
	"Sidecar", "Telemetry", "EnvoyFilter", "ProxyConfig", "WasmPlugin",
]

# root_policies: the Istio policy objects of the root namespace.
root_policies := [o |
	some k in mesh_policy_kinds
	some o in objects(k)
	ns(o) == root_ns
]

# mesh_evidence: the objects of the input that are evidence about the mesh as
# a whole: the mesh config and the root namespace's Istio policy.
mesh_evidence contains resource(mesh_configmap) if has_mesh_config

mesh_evidence contains resource(o) if some o in root_policies

# has_mesh_evidence: a manifest scan judges root-namespace (mesh-wide) policy
# only when the input holds evidence about the mesh.
has_mesh_evidence if count(mesh_evidence) > 0

# has_root_objects: kept for custom policies written against it; it now
# means has_mesh_evidence (an unrelated object in the root namespace is not
# evidence about the mesh).
has_root_objects if has_mesh_evidence

# mesh_config_known: the mesh config is known: a live scan (absence means
# Istio's defaults) or an input holding a mesh config source.
mesh_config_known if live

mesh_config_known if has_mesh_config

# mesh_policy_known: mesh-wide policy is known: a live scan, or an input
# holding mesh-wide evidence. Findings that follow from the absence of a
# mesh-wide policy (Istio's defaults) need it.
mesh_policy_known if live

mesh_policy_known if has_mesh_evidence

# scope is what the engine reads once per evaluation to apply
# `requires:` (docs/verdicts.md): the mesh-wide evidence of the input.
scope := {
	"mesh_config": has_mesh_config_bool,
	"mesh_evidence": has_mesh_evidence_bool,
}

default has_mesh_config_bool := false

has_mesh_config_bool if has_mesh_config

default has_mesh_evidence_bool := false

has_mesh_evidence_bool if has_mesh_evidence

# ---- bool/annotation helpers ----------------------------------------------

truthy(v) if lower(sprintf("%v", [v])) == "true"

falsy(v) if lower(sprintf("%v", [v])) == "false"

# ---- workloads and pod templates ------------------------------------------

workload_kinds := ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod"]

# present: refs of every object in the input, to drop owned objects whose
# owner is also in the input (findings go on the owner).
present := input.derived.present if input.derived.present
else := {[o.kind, ns(o), name(o)] |
	some k in workload_kinds
	some o in objects(k)
}

owned(obj) if {
	some ref in object.get(obj.metadata, "ownerReferences", [])
	object.get(ref, "controller", false) == true
	[ref.kind, ns(obj), ref.name] in present
}

# workloads_by_ref: every object of a workload kind by [kind, namespace,
# name], built once (lib.group: sets, so duplicates cannot conflict). Read
# it with workload_objects(kind, n, nm).
workloads_by_ref := input.derived.workloads_by_ref if input.derived.workloads_by_ref
else := group([[[o.kind, ns(o), name(o)], o] |
	some k in workload_kinds
	some o in objects(k)
])

# workload_objects(kind, n, nm): the set of workload objects (normally one
# or none) of that kind, namespace and name.
workload_objects(kind, n, nm) := object.get(workloads_by_ref, [[kind, n, nm]], set())

# controller(o): o's controller reference (the ownerReference with
# controller: true), undefined when it has none.
controller(o) := ref if {
	some ref in object.get(o.metadata, "ownerReferences", [])
	object.get(ref, "controller", false) == true
}

# owner_refs maps [kind key, namespace, name] of every object whose
# controller is a workload in the input (present) to the set of those
# controller references (a set: duplicates cannot conflict). Read it with
# object.get(lib.owner_refs, [[kind, ns, name]], set()) (an array key goes
# inside a one-element path: object.get reads a bare array as a path).
owner_refs := input.derived.owner_refs if input.derived.owner_refs
else := group([[[key, n, name(o)], ref] |
	some key, list in input.objects
	some o in list
	n := ns(o)
	ref := controller(o)
	[ref.kind, n, ref.name] in present
])

# top_owners(kind, n, nm): the controllers one link above the
# object [kind, n, nm] whose controller is in the input (ReplicaSet ->
# Deployment, Job -> CronJob); else {[kind, nm]} itself. Elements are
# [kind, name].
top_owners(kind, n, nm) := s if {
	s := {[r.kind, r.name] | some r in object.get(owner_refs, [[kind, n, nm]], set())}
	count(s) > 0
} else := {[kind, nm]}

# pods_by_owner maps [kind, namespace, name] of a workload to the set of its
# Pods: those whose controller is that workload, or is an object whose own
# controller is that workload and in the input (Pod -> ReplicaSet ->
# Deployment, Pod -> Job -> CronJob). Built once; read it with
# pods_of(w) or object.get(lib.pods_by_owner, [[kind, ns, name]], set()).
pods_by_owner := input.derived.pods_by_owner if input.derived.pods_by_owner
else := group([[[k, n, nm], p] |
	some p in objects("Pod")
	n := ns(p)
	ref := controller(p)
	some [k, nm] in top_owners(ref.kind, n, ref.name)
])

# pods_of(w): the Pods of workload w (an element of workloads), a set.
pods_of(w) := object.get(pods_by_owner, [[w.kind, w.namespace, name(w.obj)]], set())

pod_template(obj) := t if {
	obj.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
	t := object.get(obj, ["spec", "template"], {})
}

pod_template(obj) := t if {
	obj.kind == "CronJob"
	t := object.get(obj, ["spec", "jobTemplate", "spec", "template"], {})
}

pod_template(obj) := obj if obj.kind == "Pod"

# workloads: one entry per owning workload (or bare pod), with its pod
# template's metadata and spec. A null field counts as absent, as the
# collectors read it (snapshot.DropNulls: `metadata:` with nothing under it
# is no metadata), so rules need no null-safe copy of their own.
workloads := input.derived.workloads if input.derived.workloads
else := {w |
	some k in workload_kinds
	some obj in objects(k)
	not owned(obj)
	t := non_null(pod_template(obj), {})
	meta := non_null(object.get(t, "metadata", {}), {})
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": ns(obj),
		"resource": resource(obj),
		"labels": non_null(object.get(meta, "labels", {}), {}),
		"annotations": non_null(object.get(meta, "annotations", {}), {}),
		"spec": non_null(object.get(t, "spec", {}), {}),
	}
}

# non_null(v, d): v, or d when v is null.
non_null(null, d) := d

non_null(v, _) := v if v != null

istio_container_names := {"istio-proxy", "istio-init", "istio-validation"}

# injected: the pod was injected by Istio (live), or is a gateway pod whose
# istio-proxy container is filled in by the injector (image "auto").
# (The definition is rego_injected; see "workload facts" below for how
# injected(w) reads the fact derive computed.)
rego_injected(w) if w.annotations["sidecar.istio.io/status"]

istio_container(w, c) if {
	c.name in istio_container_names
	injected(w)
}

istio_container(_, c) if {
	c.name == "istio-proxy"
	c.image == "auto"
}

# all_containers: every container of a pod spec with its kind and its index
# in that list.
all_containers(w) := [{"kind": kind, "c": c, "i": i} |
	some kind in ["initContainers", "containers", "ephemeralContainers"]
	some i, c in object.get(w.spec, kind, [])
]

# ---- evidence paths (docs/verdicts.md) --------------------------------------

# pod_spec_path(w): the path of the pod spec inside the workload's object
# (spec.template.spec, spec.jobTemplate.spec.template.spec, or spec for a Pod).
pod_spec_path(w) := "spec" if w.kind == "Pod"

pod_spec_path(w) := "spec.jobTemplate.spec.template.spec" if w.kind == "CronJob"

pod_spec_path(w) := "spec.template.spec" if not w.kind in {"Pod", "CronJob"}

# pod_meta_path(w): the path of the pod template's metadata.
pod_meta_path(w) := "metadata" if w.kind == "Pod"

pod_meta_path(w) := "spec.jobTemplate.spec.template.metadata" if w.kind == "CronJob"

pod_meta_path(w) := "spec.template.metadata" if not w.kind in {"Pod", "CronJob"}

# container_path(w, x): the path of container x (an element of
# all_containers / app_containers) inside the workload's object, e.g.
# spec.template.spec.containers[0].
container_path(w, x) := sprintf("%s.%s[%d]", [pod_spec_path(w), x.kind, x.i])

# annotation_path(w, key): the path of a pod-template annotation.
annotation_path(w, key) := sprintf("%s.annotations[%q]", [pod_meta_path(w), key])

# label_path(w, key): the path of a pod-template label.
label_path(w, key) := sprintf("%s.labels[%q]", [pod_meta_path(w), key])

# app_containers: containers that are not Istio's own.
app_containers(w) := [x |
	some x in all_containers(w)
	not istio_container(w, x.c)
]

# ---- mesh membership -------------------------------------------------------

# implied(n): namespace n is in the input only through the objects that live
# in it (no Namespace object). Its labels are params.namespace_labels[n], or
# none: an implied namespace counts as not enrolled (docs/verdicts.md).
implied(n) if {
	n in namespaces
	not namespace_objects[n]
}

# ns_labels(n): the labels of namespace n: its Namespace object's, else those
# stated in params.namespace_labels, else none.
ns_labels(n) := labels(namespace_objects[n])

ns_labels(n) := object.get(object.get(params, "namespace_labels", {}), n, {}) if not namespace_objects[n]

# ns_note(n): the words a message about namespace n adds when it is implied.
ns_note(n) := " (implied: no Namespace object in the input; labels from params.namespace_labels)" if {
	implied(n)
	object.get(object.get(params, "namespace_labels", {}), n, null) != null
} else := " (implied: no Namespace object in the input, so no label is known; state its labels in params.namespace_labels)" if {
	implied(n)
} else := ""

# sidecar_enrolled: the Namespace object enrols it for sidecar injection
# (istio-injection=enabled, or istio.io/rev without istio-injection: the
# revision webhook requires istio-injection to be absent).
sidecar_enrolled(n) if ns_labels(n)["istio-injection"] == "enabled"

sidecar_enrolled(n) if {
	l := ns_labels(n)
	not "istio-injection" in object.keys(l)
	l["istio.io/rev"] != ""
}

# ambient_enrolled: the Namespace object enrols it in ambient mode.
ambient_enrolled(n) if ns_labels(n)["istio.io/dataplane-mode"] == "ambient"

# unlabelled_ns: no injection label on the namespace (or no Namespace object
# to tell).
unlabelled_ns(n) if {
	nl := ns_labels(n)
	not "istio-injection" in object.keys(nl)
	not "istio.io/rev" in object.keys(nl)
}

# namespace_enrolled: the Namespace object enrols it in the mesh.
namespace_enrolled(n) if sidecar_enrolled(n)

namespace_enrolled(n) if ambient_enrolled(n)

# inject_setting: the lower-cased value of the sidecar.istio.io/inject pod
# label, else of the annotation (the label wins whenever it is present),
# undefined when neither is set.
inject_setting(w) := lower(sprintf("%v", [w.labels["sidecar.istio.io/inject"]])) if {
	"sidecar.istio.io/inject" in object.keys(w.labels)
}

inject_setting(w) := lower(sprintf("%v", [w.annotations["sidecar.istio.io/inject"]])) if {
	not "sidecar.istio.io/inject" in object.keys(w.labels)
	"sidecar.istio.io/inject" in object.keys(w.annotations)
}

# Values Istio's injector reads as "inject"; any other non-empty value opts
# the pod out (an empty value means "use the namespace default").
inject_true_values := {"y", "yes", "true", "on"}

rego_opted_out(w) if {
	s := inject_setting(w)
	s != ""
	not s in inject_true_values
}

rego_has_proxy_container(w) if {
	some x in all_containers(w)
	x.c.name == "istio-proxy"
}

# Istio never injects (nor ambient-captures) host-network pods.
rego_host_network(w) if object.get(w.spec, "hostNetwork", false) == true

# meshed: the workload has (live) or will get (manifests) a sidecar, or is
# captured by ambient mode.
rego_meshed(w) if injected(w)

rego_meshed(w) if has_proxy_container(w)

rego_meshed(w) if {
	not host_network(w)
	not opted_out(w)
	sidecar_enrolled(w.namespace)
}

# The injector's object selector: pod label sidecar.istio.io/inject=true in a
# namespace with neither istio-injection nor istio.io/rev.
rego_meshed(w) if {
	not host_network(w)
	w.labels["sidecar.istio.io/inject"] == "true"
	unlabelled_ns(w.namespace)
}

# The revision injector's object selector: pod label istio.io/rev (not opted
# out) in a namespace with neither istio-injection nor istio.io/rev.
rego_meshed(w) if {
	not host_network(w)
	object.get(w.labels, "istio.io/rev", "") != ""
	not opted_out(w)
	unlabelled_ns(w.namespace)
}

rego_meshed(w) if {
	not host_network(w)
	ambient_enrolled(w.namespace)
	object.get(w.labels, "istio.io/dataplane-mode", "") != "none"
}

rego_meshed(w) if {
	not host_network(w)
	w.labels["istio.io/dataplane-mode"] == "ambient"
}

# sidecar(w): the workload has (live) or will get (manifests) a sidecar
# proxy: injected, an istio-proxy container, or selected by an injector
# webhook (namespace istio-injection=enabled or istio.io/rev; pod label
# sidecar.istio.io/inject=true or istio.io/rev in an unlabelled namespace)
# and not opted out. Unlike meshed(w): not ambient capture, and
# host-network pods are not excluded (callers that care check
# host_network(w)).
rego_sidecar(w) if injected(w)

rego_sidecar(w) if has_proxy_container(w)

rego_sidecar(w) if {
	sidecar_enrolled(w.namespace)
	not opted_out(w)
}

rego_sidecar(w) if {
	w.labels["sidecar.istio.io/inject"] == "true"
	unlabelled_ns(w.namespace)
}

rego_sidecar(w) if {
	object.get(w.labels, "istio.io/rev", "") != ""
	unlabelled_ns(w.namespace)
	not opted_out(w)
}

# gateway: an Istio gateway (router) proxy. PeerAuthentication does not
# decide the TLS of its listeners (the Gateway's servers[].tls does).
rego_gateway(w) if {
	some x in all_containers(w)
	x.c.name == "istio-proxy"
	"router" in object.get(x.c, "args", [])
}

rego_gateway(w) if contains(object.get(w.annotations, "inject.istio.io/templates", ""), "gateway")

rego_gateway(w) if "gateway.networking.k8s.io/gateway-name" in object.keys(w.labels)

rego_gateway(w) if "istio.io/gateway-name" in object.keys(w.labels)

# ---- workload facts (evaluate/facts.go) ------------------------------------

# derive computes the predicates above once per element w of
# input.derived.workloads, exactly as their rego_ definitions, and hands
# them over as w.facts.<predicate> (a boolean), leaving out any one Rego
# could raise an error on. injected(w) & co. read that fact when it is
# there, and evaluate the definition otherwise (a w of a _test.rego or
# built by a rule, an input without input.derived, a fact left out). A
# false fact makes the predicate undefined, like its definition.
#
# meshed, sidecar and runs_sidecar read w's namespace labels, which derive
# takes from the Namespace object, or as none when there is none: their
# facts hold only when that is ns_labels(n) (go_ns_labels).

# go_fact(w, p): derive decided predicate p of w.
go_fact(w, p) if is_boolean(w.facts[p])

# go_ns_fact(w, p): derive decided p of w, on w's namespace labels.
go_ns_fact(w, p) if {
	is_boolean(w.facts[p])
	go_ns_labels(w.namespace)
}

# go_ns_labels(n): ns_labels(n) is what derive read: the Namespace
# object's labels, or none (no params.namespace_labels entry).
go_ns_labels(n) if namespace_objects[n]

go_ns_labels(n) if {
	not namespace_objects[n]
	object.get(object.get(params, "namespace_labels", {}), n, null) == null
}

injected(w) if w.facts.injected == true

injected(w) if {
	not go_fact(w, "injected")
	rego_injected(w)
}

opted_out(w) if w.facts.opted_out == true

opted_out(w) if {
	not go_fact(w, "opted_out")
	rego_opted_out(w)
}

has_proxy_container(w) if w.facts.has_proxy_container == true

has_proxy_container(w) if {
	not go_fact(w, "has_proxy_container")
	rego_has_proxy_container(w)
}

host_network(w) if w.facts.host_network == true

host_network(w) if {
	not go_fact(w, "host_network")
	rego_host_network(w)
}

gateway(w) if w.facts.gateway == true

gateway(w) if {
	not go_fact(w, "gateway")
	rego_gateway(w)
}

meshed(w) if {
	w.facts.meshed == true
	go_ns_labels(w.namespace)
}

meshed(w) if {
	not go_ns_fact(w, "meshed")
	rego_meshed(w)
}

sidecar(w) if {
	w.facts.sidecar == true
	go_ns_labels(w.namespace)
}

sidecar(w) if {
	not go_ns_fact(w, "sidecar")
	rego_sidecar(w)
}

# ---- selectors ---------------------------------------------------------------

# selects(sel, lbls): a matchLabels map selects the labels.
selects(sel, lbls) if {
	every k, v in sel {
		lbls[k] == v
	}
}

# label_expr_matches(e, lbls): one matchExpressions entry (In, NotIn,
# Exists, DoesNotExist) holds for the labels. Labels without the key match
# NotIn; an unknown operator matches nothing.
label_expr_matches(e, lbls) if {
	e.operator == "In"
	some v in object.get(e, "values", [])
	lbls[e.key] == v
}

label_expr_matches(e, lbls) if {
	e.operator == "NotIn"
	not label_value_in(e, lbls)
}

label_expr_matches(e, lbls) if {
	e.operator == "Exists"
	e.key in object.keys(lbls)
}

label_expr_matches(e, lbls) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(lbls)
}

label_value_in(e, lbls) if {
	some v in object.get(e, "values", [])
	lbls[e.key] == v
}

# label_selector_matches(selector, lbls): a Kubernetes LabelSelector
# ({matchLabels, matchExpressions}) selects the labels. The empty selector
# {} selects everything; a missing (null/undefined) selector is the
# caller's business (it selects nothing for most kinds).
label_selector_matches(selector, lbls) if {
	selects(object.get(selector, "matchLabels", {}), lbls)
	every e in object.get(selector, "matchExpressions", []) {
		label_expr_matches(e, lbls)
	}
}

# ---- effective mTLS mode (EffMode) -------------------------------------------

pas := objects("PeerAuthentication")

no_selector(pa) if not pa.spec.selector.matchLabels

no_selector(pa) if count(pa.spec.selector.matchLabels) == 0

ts(pa) := object.get(pa.metadata, "creationTimestamp", "")

# oldest picks the object (a PeerAuthentication, a Sidecar, a Telemetry)
# created first, then by name, from a non-empty list; deterministic even
# for objects with equal keys.
oldest(list) := pa if {
	first := min({[ts(p), name(p)] | some p in list})
	pa := [p | some p in list; [ts(p), name(p)] == first][0]
}

# pa_indices maps a namespace to the (sorted) positions in pas of its
# PeerAuthentications, so per-workload lookups keep the input order without
# scanning every policy.
pa_indices := group([[ns(pa), i] | some i, pa in pas])

ns_pas(n) := [pas[i] | some i in sort(object.get(pa_indices, n, set()))]

mesh_pas := [pa | some pa in pas; ns(pa) == root_ns; no_selector(pa)]

mesh_pa := oldest(mesh_pas) if count(mesh_pas) > 0

namespace_pa(n) := oldest(list) if {
	list := [pa | some pa in ns_pas(n); no_selector(pa)]
	count(list) > 0
}

# workload_pa: the oldest PeerAuthentication with a selector matching the
# labels in namespace n. Istio ignores PeerAuthentications with a selector in
# the root namespace (they select no workload, not even the root's).
workload_pa(n, lbls) := oldest(list) if {
	n != root_ns
	list := [pa |
		some pa in ns_pas(n)
		not no_selector(pa)
		selects(pa.spec.selector.matchLabels, lbls)
	]
	count(list) > 0
}

mode_of(pa) := m if {
	m := upper(pa.spec.mtls.mode)
	m != "UNSET"
}

# namespace_mode(n): the mode of namespace n's selector-less policy, else of
# the mesh policy, else PERMISSIVE, with the object that decided it (null for
# the default). In the root namespace both levels are the mesh policy.
namespace_mode(n) := [m, resource(pa)] if {
	pa := namespace_pa(n)
	m := mode_of(pa)
} else := [m, resource(pa)] if {
	pa := mesh_pa
	m := mode_of(pa)
} else := ["PERMISSIVE", null]

# workload_mode(w): the workload-level mode (no port override).
workload_mode(w) := [m, resource(pa)] if {
	pa := workload_pa(w.namespace, w.labels)
	m := mode_of(pa)
} else := namespace_mode(w.namespace)

# port_mode(w, port): the mode set for a port by portLevelMtls of the
# workload's PeerAuthentication (undefined when absent or UNSET).
port_mode(w, port) := m if {
	pa := workload_pa(w.namespace, w.labels)
	m := upper(pa.spec.portLevelMtls[sprintf("%v", [port])].mode)
	m != "UNSET"
}

# effective_mode(w, port): the mTLS mode a workload's port receives, with the
# object that decided it (null when no PeerAuthentication sets a mode and
# Istio's default PERMISSIVE applies).
effective_mode(w, port) := [m, resource(workload_pa(w.namespace, w.labels))] if {
	m := port_mode(w, port)
} else := workload_mode(w)

# container_ports: every declared port of the workload's app containers.
container_ports(w) := {p.containerPort |
	some x in app_containers(w)
	x.kind == "containers"
	some p in object.get(x.c, "ports", [])
}

# collected(key): the kind was read (input.kinds, see docs/writing-rules.md):
# in a live scan Secret names are read only with --secret-names, and any
# kind may have been forbidden or failed.
collected(key) if object.get(input, ["kinds", key], "") == "collected"

# kind_status(key): collected | absent | forbidden | error, or
# "not collected" when the scan did not try.
kind_status(key) := object.get(input, ["kinds", key], "not collected")
