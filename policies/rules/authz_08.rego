# METADATA
# title: Only platform subjects may change mesh policy
# description: |
#   Resolves every RoleBinding and ClusterRoleBinding to the rules of its
#   Role/ClusterRole (wildcards in verbs, resources and apiGroups included;
#   aggregated ClusterRoles resolved from their label selectors; the built-in
#   `cluster-admin`, `admin`, `edit` and `view` when not in the input, the
#   last three from the ClusterRoles labelled to aggregate into them) and
#   reports bindings that grant
#   create, update, patch, delete or deletecollection on
#   authorizationpolicies, peerauthentications, requestauthentications
#   (security.istio.io), sidecars, envoyfilters, gateways or serviceentries
#   (networking.istio.io) to a subject that is not a platform subject:
#   `system:masters`, the `platform_subjects` parameter ("Kind:name" or
#   "ServiceAccount:namespace/name"), Istio's own service accounts in the
#   root namespace (istiod, istiod-<revision>, istio-operator,
#   istio-reader-service-account) and Kubernetes' own controllers
#   (ServiceAccounts in kube-system, `system:kube-controller-manager`). Whoever
#   can write these objects can switch off mTLS or authorization for the
#   mesh. RoleBindings in excluded namespaces are not judged. Judged: every
#   binding whose role's rules are known (in the input, or built in); in a
#   manifest scan a binding to a role that is not in the input is not judged
#   (in a live scan such a role does not exist and grants nothing), and when
#   no binding is judged the rule is not applicable, naming them.
# custom:
#   id: AUTHZ-08
#   severity: high
#   controls: [AC-6, CM-5, AC-5]
#   inputs: [Role, ClusterRole, RoleBinding, ClusterRoleBinding]
#   subjects: [RoleBinding, ClusterRoleBinding]
#   remediation: |
#     Grant write access to Istio security and traffic policy only to the
#     platform team (list it in the platform_subjects parameter); give
#     application teams read-only access or a narrower role without these
#     resources, and let changes go through reviewed GitOps pipelines.
#   examples:
#     fail: |
#       apiVersion: rbac.authorization.k8s.io/v1
#       kind: Role
#       metadata:
#         name: istio-config-editor
#         namespace: storefront
#       rules:
#       - apiGroups: ["security.istio.io", "networking.istio.io"]
#         resources: ["*"]
#         verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
#       ---
#       apiVersion: rbac.authorization.k8s.io/v1
#       kind: RoleBinding
#       metadata:
#         name: storefront-devs-istio-config
#         namespace: storefront
#       subjects:
#       - apiGroup: rbac.authorization.k8s.io
#         kind: Group
#         name: storefront-developers
#       roleRef:
#         apiGroup: rbac.authorization.k8s.io
#         kind: Role
#         name: istio-config-editor
#     pass: |
#       apiVersion: rbac.authorization.k8s.io/v1
#       kind: Role
#       metadata:
#         name: istio-config-viewer
#         namespace: storefront
#       rules:
#       - apiGroups: ["security.istio.io", "networking.istio.io"]
#         resources: ["*"]
#         verbs: ["get", "list", "watch"]
#       ---
#       apiVersion: rbac.authorization.k8s.io/v1
#       kind: RoleBinding
#       metadata:
#         name: storefront-devs-istio-config
#         namespace: storefront
#       subjects:
#       - apiGroup: rbac.authorization.k8s.io
#         kind: Group
#         name: storefront-developers
#       roleRef:
#         apiGroup: rbac.authorization.k8s.io
#         kind: Role
#         name: istio-config-viewer
package meshaudit.rules.authz_08

import data.meshaudit.lib
import rego.v1

write_verbs := {"create", "update", "patch", "delete", "deletecollection"}

protected := {
	"security.istio.io": {"authorizationpolicies", "peerauthentications", "requestauthentications"},
	"networking.istio.io": {"sidecars", "envoyfilters", "gateways", "serviceentries"},
}

# grants(rule): the "verb resource.group" permissions a PolicyRule grants
# on the protected resources.
grants(rule) := {sprintf("%s.%s", [res, group]) |
	verbs := {v | some v in object.get(rule, "verbs", [])}
	count(verbs & ({"*"} | write_verbs)) > 0
	some group, resources in protected
	some g in object.get(rule, "apiGroups", [])
	g in {"*", group}
	some res in resources
	some r in object.get(rule, "resources", [])
	r in {"*", res}
}

verbs_of(rule) := {v |
	some v in object.get(rule, "verbs", [])
	v in ({"*"} | write_verbs)
}

# ---- roles ------------------------------------------------------------------------


own_rules(r) := object.get(r, "rules", [])

# aggregated: rules of the ClusterRoles an aggregationRule selects (the
# controller fills them in live; a manifest shows only the selectors).
aggregated(r) := [rule |
	some sel in object.get(r, ["aggregationRule", "clusterRoleSelectors"], [])
	m := object.get(sel, "matchLabels", {})
	count(m) > 0
	some other in lib.objects("ClusterRole")
	lib.name(other) != lib.name(r)
	lib.selects(m, lib.labels(other))
	some rule in own_rules(other)
]

cluster_admin_rules := [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]

# The rules of every role, by name (ClusterRoles) and by [namespace, name]
# (Roles), built once: bindings look their role up instead of scanning.
cluster_role_rules := {lib.name(r): array.concat(own_rules(r), aggregated(r)) | some r in lib.objects("ClusterRole")}

role_rules_by_ref := {[lib.ns(r), lib.name(r)]: own_rules(r) | some r in lib.objects("Role")}

role_rules(b) := cluster_role_rules[b.roleRef.name] if {
	b.roleRef.kind == "ClusterRole"
} else := cluster_admin_rules if {
	b.roleRef.kind == "ClusterRole"
	b.roleRef.name == "cluster-admin"
} else := object.get(builtin_rules, b.roleRef.name, []) if {
	b.roleRef.kind == "ClusterRole"
} else := role_rules_by_ref[[lib.ns(b), b.roleRef.name]] if {
	b.roleRef.kind == "Role"
}

# The built-in user-facing ClusterRoles hold no Istio permissions of their
# own: they aggregate those of the ClusterRoles labelled for them.
builtin_aggregation := {
	"admin": {"rbac.authorization.k8s.io/aggregate-to-admin", "rbac.authorization.k8s.io/aggregate-to-edit"},
	"edit": {"rbac.authorization.k8s.io/aggregate-to-edit"},
	"view": {"rbac.authorization.k8s.io/aggregate-to-view"},
}

builtin_rules := {name: rules |
	some name, aggregation_labels in builtin_aggregation
	rules := [rule |
		some label in aggregation_labels
		some other in lib.objects("ClusterRole")
		lib.labels(other)[label] == "true"
		some rule in own_rules(other)
	]
}

role_desc(b) := sprintf("%s %s", [b.roleRef.kind, b.roleRef.name])

# ---- subjects ---------------------------------------------------------------------

platform := {s | some s in lib.params.platform_subjects}

istio_sa_names := {"istiod", "istio-operator", "istio-reader-service-account"}

subject_key(s) := sprintf("ServiceAccount:%s/%s", [object.get(s, "namespace", ""), s.name]) if s.kind == "ServiceAccount"

else := sprintf("%s:%s", [s.kind, s.name])

# sa_ref(s): [namespace, name] of a ServiceAccount subject, given as such or
# as its user name system:serviceaccount:<ns>:<name>.
sa_ref(s) := [object.get(s, "namespace", ""), s.name] if s.kind == "ServiceAccount"

sa_ref(s) := [parts[2], parts[3]] if {
	s.kind == "User"
	parts := split(s.name, ":")
	count(parts) == 4
	parts[0] == "system"
	parts[1] == "serviceaccount"
}

allowed(s) if subject_key(s) in platform

allowed(s) if {
	s.kind == "Group"
	s.name == "system:masters"
}

allowed(s) if {
	[n, name] := sa_ref(s)
	n == lib.root_ns
	istio_sa(name)
}

allowed(s) if {
	[n, _] := sa_ref(s)
	n == "kube-system"
}

allowed(s) if {
	s.kind == "User"
	s.name == "system:kube-controller-manager"
}

istio_sa(name) if name in istio_sa_names

istio_sa(name) if startswith(name, "istiod-")

# ---- findings ----------------------------------------------------------------------

bindings contains b if some b in lib.objects("ClusterRoleBinding")

bindings contains b if {
	some b in lib.objects("RoleBinding")
	lib.in_scope(lib.ns(b))
}

scope_desc(b) := sprintf(" in namespace %q", [lib.ns(b)]) if b.kind == "RoleBinding"

else := ""

subject_desc(s) := sprintf("ServiceAccount %s/%s", [object.get(s, "namespace", ""), s.name]) if s.kind == "ServiceAccount"

else := sprintf("%s %s", [s.kind, s.name])

# role_known(b): the rules of b's role are known: resolved from the input
# or the built-in roles, or a live scan (a role it did not read does not
# exist and grants nothing).
role_known(b) if role_rules(b)

role_known(_) if lib.live

deny contains {
	"msg": sprintf("%s grants %s on %s%s to %s, which are not platform subjects; remove these permissions from the role (or the subjects from the binding), or list the subjects in the platform_subjects parameter", [role_desc(b), concat("/", sort(verbs)), concat(", ", sort(perms)), scope_desc(b), concat(", ", sort(subjects))]),
	"resource": lib.resource(b),
	"evidence": array.concat(
		[{"path": "roleRef", "value": b.roleRef}],
		[{"path": sprintf("subjects[%d]", [k]), "value": s} | some k, s in object.get(b, "subjects", []); not allowed(s)],
	),
} if {
	some b in bindings
	rules := role_rules(b)
	perms := {p | some rule in rules; some p in grants(rule)}
	count(perms) > 0
	verbs := {v | some rule in rules; count(grants(rule)) > 0; some v in verbs_of(rule)}
	subjects := {subject_desc(s) | some s in object.get(b, "subjects", []); not allowed(s)}
	count(subjects) > 0
}

# decided(b): the binding's role is known, or every subject it binds is a
# platform subject (whatever the role grants).
decided(b) if role_known(b)

decided(b) if {
	every s in object.get(b, "subjects", []) {
		allowed(s)
	}
}

# judged: every binding the input decides.
judged contains lib.resource(b) if {
	some b in bindings
	decided(b)
}

# A manifest scan may bind roles that are not in the input: those bindings
# are not judged, and with none judged the rule says which.
unresolved contains sprintf("%s %s%s binds %s", [b.kind, lib.name(b), scope_desc(b), role_desc(b)]) if {
	some b in bindings
	not decided(b)
}

not_applicable contains sprintf("the roles the bindings of the input refer to are not in the input: %s", [concat("; ", sort(unresolved))]) if {
	count(judged) == 0
	count(unresolved) > 0
}

not_applicable contains "no RoleBinding or ClusterRoleBinding in the input (RoleBindings of excluded namespaces are not judged)" if count(bindings) == 0
