# METADATA
# title: Control-plane secrets and istiod's ServiceAccount are isolated
# description: |
#   Whoever can read the Secrets of the Istio root namespace holds the mesh
#   CA key (`cacerts`, `istio-ca-secret`) and can mint any workload
#   identity. Reported: RoleBindings in the root namespace and
#   ClusterRoleBindings whose role grants get, list or watch on secrets
#   (wildcards resolved; rules limited by resourceNames to other Secrets than
#   the CA's are not) to a subject other than system:masters, Istio's own
#   ServiceAccounts (root namespace, named istiod* or istio-*), Kubernetes'
#   default bindings (label kubernetes.io/bootstrapping=rbac-defaults) and
#   components (system:kube-controller-manager, system:kube-scheduler),
#   ServiceAccounts of excluded namespaces, and `platform_subjects`. Also
#   reported: bindings that give istiod's ServiceAccount roles other than
#   Istio's own (istiod-*, istio-reader-*). A referenced role missing from
#   the input is resolved for Kubernetes' built-in ClusterRoles
#   (cluster-admin, admin, edit grant secrets; view does not); another role
#   missing from a live cluster does not exist (the binding grants nothing),
#   while a manifest scan that does not hold it leaves that binding
#   unjudged (never unknown). Judged: the bindings checked; findings carry
#   the subject, the roleRef and the role as evidence.
# custom:
#   id: CP-07
#   severity: high
#   controls: [SC-12, SC-3, AC-6]
#   inputs: [Role, ClusterRole, RoleBinding, ClusterRoleBinding]
#   requires: [istio]
#   subjects: [RoleBinding, ClusterRoleBinding]
#   remediation: |
#     Remove these subjects from the bindings (or narrow the roles so they no
#     longer grant get/list/watch on secrets), keep access to the root
#     namespace's Secrets to the platform team (`platform_subjects`) and
#     Istio itself, and leave istiod's ServiceAccount with only the roles
#     Istio's charts create.
#   examples:
#     fail: |
#       apiVersion: rbac.authorization.k8s.io/v1
#       kind: RoleBinding
#       metadata:
#         name: mesh-developers
#         namespace: istio-system
#       roleRef:
#         apiGroup: rbac.authorization.k8s.io
#         kind: ClusterRole
#         name: edit
#       subjects:
#         - apiGroup: rbac.authorization.k8s.io
#           kind: Group
#           name: mesh-developers
#     pass: |
#       apiVersion: rbac.authorization.k8s.io/v1
#       kind: RoleBinding
#       metadata:
#         name: mesh-developers
#         namespace: istio-system
#       roleRef:
#         apiGroup: rbac.authorization.k8s.io
#         kind: ClusterRole
#         name: view
#       subjects:
#         - apiGroup: rbac.authorization.k8s.io
#           kind: Group
#           name: mesh-developers
package meshaudit.rules.cp_07

import data.meshaudit.lib
import rego.v1

# ---- roles -----------------------------------------------------------------

# (complete objects, built once: a partial rule looked up by key re-runs
# its body per lookup)
roles := {[lib.ns(r), lib.name(r)]: r | some r in lib.objects("Role")}

cluster_roles := {lib.name(r): r | some r in lib.objects("ClusterRole")}

read_verbs := {"get", "list", "watch"}

ca_secrets := {"cacerts", "istio-ca-secret"}

# rule_reads(rule): the read verbs a policy rule grants on secrets.
rule_reads(rule) := vs if {
	some g in object.get(rule, "apiGroups", [])
	g in {"", "*"}
	some res in object.get(rule, "resources", [])
	res in {"secrets", "*"}
	names := object.get(rule, "resourceNames", [])
	reaches_ca(names)
	verbs := {v | some v in object.get(rule, "verbs", [])}
	vs := (read_verbs & verbs) | {v | "*" in verbs; some v in read_verbs}
	count(vs) > 0
}

reaches_ca(names) if count(names) == 0

reaches_ca(names) if {
	some n in names
	n in ca_secrets
}

role_reads(role) := {v |
	some rule in object.get(role, "rules", [])
	some v in rule_reads(rule)
}

# Kubernetes' built-in ClusterRoles, for manifest scans that do not hold them.
builtin_reads := {
	"cluster-admin": read_verbs,
	"admin": read_verbs,
	"edit": read_verbs,
	"view": set(),
}

# role_of(b): [description, verbs read on secrets] of the binding's role.
role_of(b) := [sprintf("Role %s/%s", [lib.ns(b), b.roleRef.name]), role_reads(r)] if {
	b.roleRef.kind == "Role"
	r := roles[[lib.ns(b), b.roleRef.name]]
}

role_of(b) := [sprintf("ClusterRole %s", [b.roleRef.name]), role_reads(r)] if {
	b.roleRef.kind == "ClusterRole"
	r := cluster_roles[b.roleRef.name]
}

role_of(b) := [sprintf("ClusterRole %s", [b.roleRef.name]), builtin_reads[b.roleRef.name]] if {
	b.roleRef.kind == "ClusterRole"
	not cluster_roles[b.roleRef.name]
}

# ---- bindings --------------------------------------------------------------

bindings contains b if {
	some b in lib.objects("RoleBinding")
	lib.ns(b) == lib.root_ns
}

bindings contains b if some b in lib.objects("ClusterRoleBinding")

default_binding(b) if lib.labels(b)["kubernetes.io/bootstrapping"] == "rbac-defaults"

sa_ns(b, s) := object.get(s, "namespace", lib.ns(b))

subject_text(b, s) := sprintf("ServiceAccount:%s/%s", [sa_ns(b, s), s.name]) if {
	s.kind == "ServiceAccount"
} else := sprintf("%s:%s", [s.kind, s.name])

istio_sa(b, s) if {
	s.kind == "ServiceAccount"
	sa_ns(b, s) == lib.root_ns
	some p in ["istiod", "istio-"]
	startswith(s.name, p)
}

allowed(b, s) if istio_sa(b, s)

allowed(_, s) if {
	s.kind == "Group"
	s.name == "system:masters"
}

allowed(_, s) if {
	s.kind == "User"
	s.name in {"system:kube-controller-manager", "system:kube-scheduler"}
}

allowed(b, s) if {
	s.kind == "ServiceAccount"
	lib.excluded(sa_ns(b, s))
}

allowed(b, s) if subject_text(b, s) in lib.params.platform_subjects

binding_scope(b) := sprintf("in %s", [lib.root_ns]) if {
	b.kind == "RoleBinding"
} else := sprintf("in every namespace, %s included", [lib.root_ns])

role_evidence(b) := {"path": "rules", "resource": lib.resource(r)} if {
	b.roleRef.kind == "Role"
	r := roles[[lib.ns(b), b.roleRef.name]]
} else := {"path": "rules", "resource": lib.resource(r)} if {
	b.roleRef.kind == "ClusterRole"
	r := cluster_roles[b.roleRef.name]
} else := {"path": "roleRef.name", "value": b.roleRef.name}

deny contains {
	"msg": sprintf("%s %s lets %s %s secrets %s (%s); grant secret access only in the namespaces the subject needs, never in the Istio root namespace (a Role and RoleBinding there, not a ClusterRole)", [b.kind, bref(b), subject_text(b, s), concat(", ", sort(verbs)), binding_scope(b), desc]),
	"resource": lib.resource(b),
	"evidence": [{"path": sprintf("subjects[%d]", [i]), "value": s}, {"path": "roleRef", "value": b.roleRef}, role_evidence(b)],
} if {
	some b in bindings
	not default_binding(b)
	[desc, verbs] := role_of(b)
	count(verbs) > 0
	some i, s in object.get(b, "subjects", [])
	not allowed(b, s)
}

bref(b) := sprintf("%s/%s", [lib.ns(b), lib.name(b)]) if {
	lib.ns(b) != ""
} else := lib.name(b)

# A role missing from a live cluster does not exist: the binding grants
# nothing. A manifest scan may simply not hold it: that binding is not
# judged.
role_known(b) if role_of(b)

role_known(_) if lib.live

# ---- istiod's ServiceAccount -----------------------------------------------

istiod_sa(b, s) if {
	s.kind == "ServiceAccount"
	sa_ns(b, s) == lib.root_ns
	startswith(s.name, "istiod")
}

istio_role(name) if startswith(name, "istiod")

istio_role(name) if startswith(name, "istio-reader-")

deny contains {
	"msg": sprintf("%s %s gives istiod's ServiceAccount %s/%s the %s %s, beyond Istio's own roles", [b.kind, bref(b), lib.root_ns, s.name, b.roleRef.kind, b.roleRef.name]),
	"resource": lib.resource(b),
	"evidence": [{"path": sprintf("subjects[%d]", [i]), "value": s}, {"path": "roleRef", "value": b.roleRef}],
} if {
	some b in all_bindings
	some i, s in object.get(b, "subjects", [])
	istiod_sa(b, s)
	not istio_role(b.roleRef.name)
}

all_bindings contains b if some b in lib.objects("RoleBinding")

all_bindings contains b if some b in lib.objects("ClusterRoleBinding")

# ---- verdict ---------------------------------------------------------------

# judged: the root-namespace RoleBindings and ClusterRoleBindings whose role
# is known (Kubernetes' default bindings are Kubernetes' own), and every
# binding of istiod's ServiceAccount.
judged contains lib.resource(b) if {
	some b in bindings
	not default_binding(b)
	role_known(b)
}

judged contains lib.resource(b) if {
	some b in all_bindings
	some s in object.get(b, "subjects", [])
	istiod_sa(b, s)
}

not_applicable contains sprintf("only a live scan can tell what the roles of the input's bindings grant (%s): the input does not hold them, so whether they give access to the Secrets of %s is not in it", [concat(", ", sort([sprintf("%s %s -> %s %s", [b.kind, bref(b), b.roleRef.kind, b.roleRef.name]) | some b in bindings; not default_binding(b); not role_known(b)])), lib.root_ns]) if {
	count(judged) == 0
	some b in bindings
	not default_binding(b)
	not role_known(b)
}
