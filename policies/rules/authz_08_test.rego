package meshaudit.rules.authz_08_test

import data.meshaudit.lib
import data.meshaudit.rules.authz_08
import data.meshaudit.testlib
import rego.v1

rbac := "rbac.authorization.k8s.io/v1"

cr(name, rules) := {"apiVersion": rbac, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}

role(ns, name, rules) := {"apiVersion": rbac, "kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": rules}

crb(name, role_name, subjects) := {"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": name}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role_name}, "subjects": subjects}

rb(ns, name, kind, role_name, subjects) := {"apiVersion": rbac, "kind": "RoleBinding", "metadata": {"name": name, "namespace": ns}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role_name}, "subjects": subjects}

crb_res(name) := {"apiVersion": rbac, "kind": "ClusterRoleBinding", "namespace": "", "name": name}

rb_res(ns, name) := {"apiVersion": rbac, "kind": "RoleBinding", "namespace": ns, "name": name}

user(n) := {"kind": "User", "name": n, "apiGroup": "rbac.authorization.k8s.io"}

group(n) := {"kind": "Group", "name": n, "apiGroup": "rbac.authorization.k8s.io"}

sa(ns, n) := {"kind": "ServiceAccount", "name": n, "namespace": ns}

ap_writer := cr("ap-writer", [{"apiGroups": ["security.istio.io"], "resources": ["authorizationpolicies", "peerauthentications"], "verbs": ["get", "list", "patch", "update"]}])

test_cluster_binding_to_user_fails if {
	testlib.strip(authz_08.deny) == {{
		"msg": "ClusterRole ap-writer grants patch/update on authorizationpolicies.security.istio.io, peerauthentications.security.istio.io to User alice, which are not platform subjects; remove these permissions from the role (or the subjects from the binding), or list the subjects in the platform_subjects parameter",
		"resource": crb_res("devs"),
	}} with input as testlib.live({"ClusterRole": [ap_writer], "ClusterRoleBinding": [crb("devs", "ap-writer", [user("alice"), group("system:masters")])]})
}

test_wildcards_resolved if {
	r := role("app", "all", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	testlib.strip(authz_08.deny) == {{
		"msg": "Role all grants * on authorizationpolicies.security.istio.io, envoyfilters.networking.istio.io, gateways.networking.istio.io, peerauthentications.security.istio.io, requestauthentications.security.istio.io, serviceentries.networking.istio.io, sidecars.networking.istio.io in namespace \"app\" to Group app-team, ServiceAccount ci/deployer, which are not platform subjects; remove these permissions from the role (or the subjects from the binding), or list the subjects in the platform_subjects parameter",
		"resource": rb_res("app", "team"),
	}} with input as testlib.live({"Role": [r], "RoleBinding": [rb("app", "team", "Role", "all", [group("app-team"), sa("ci", "deployer")])]})
}

test_read_only_passes if {
	r := cr("reader", [{"apiGroups": ["security.istio.io", "networking.istio.io"], "resources": ["*"], "verbs": ["get", "list", "watch"]}])
	count(authz_08.deny) == 0 with input as testlib.live({"ClusterRole": [r], "ClusterRoleBinding": [crb("r", "reader", [group("everyone")])]})
}

test_other_resources_pass if {
	r := cr("vs", [{"apiGroups": ["networking.istio.io"], "resources": ["virtualservices", "destinationrules"], "verbs": ["*"]}])
	count(authz_08.deny) == 0 with input as testlib.live({"ClusterRole": [r], "ClusterRoleBinding": [crb("vs", "vs", [group("devs")])]})
}

test_platform_and_istio_subjects_pass if {
	subjects := [group("platform-admins"), sa("istio-system", "istiod"), sa("istio-system", "istiod-1-22"), user("system:serviceaccount:kube-system:generic-garbage-collector"), sa("ops", "gitops")]
	count(authz_08.deny) == 0 with input as testlib.live({"ClusterRole": [ap_writer], "ClusterRoleBinding": [crb("ok", "ap-writer", subjects)]})
		with data.meshaudit.params as object.union(lib.params, {"platform_subjects": ["Group:platform-admins", "ServiceAccount:ops/gitops"]})
}

test_cluster_admin_not_in_input if {
	testlib.strip(authz_08.deny) == {{
		"msg": "ClusterRole cluster-admin grants * on authorizationpolicies.security.istio.io, envoyfilters.networking.istio.io, gateways.networking.istio.io, peerauthentications.security.istio.io, requestauthentications.security.istio.io, serviceentries.networking.istio.io, sidecars.networking.istio.io to Group system:authenticated, which are not platform subjects; remove these permissions from the role (or the subjects from the binding), or list the subjects in the platform_subjects parameter",
		"resource": crb_res("oops"),
	}} with input as testlib.inp({"ClusterRoleBinding": [crb("oops", "cluster-admin", [group("system:authenticated")])]})
}

test_aggregated_role if {
	agg := object.union(cr("mesh-edit", []), {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"mesh/aggregate": "true"}}]}})
	part := object.union(cr("part", [{"apiGroups": ["networking.istio.io"], "resources": ["envoyfilters"], "verbs": ["create"]}]), {"metadata": {"labels": {"mesh/aggregate": "true"}}})
	testlib.strip(authz_08.deny) == {{
		"msg": "ClusterRole mesh-edit grants create on envoyfilters.networking.istio.io in namespace \"app\" to User bob, which are not platform subjects; remove these permissions from the role (or the subjects from the binding), or list the subjects in the platform_subjects parameter",
		"resource": rb_res("app", "b"),
	}} with input as testlib.inp({"ClusterRole": [agg, part], "RoleBinding": [rb("app", "b", "ClusterRole", "mesh-edit", [user("bob")])]})
}

test_builtin_edit_aggregates_labelled_roles if {
	part := object.union(cr("istio-edit", [{"apiGroups": ["networking.istio.io"], "resources": ["sidecars"], "verbs": ["delete"]}]), {"metadata": {"labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}}})
	count(authz_08.deny) == 1 with input as testlib.inp({"ClusterRole": [part], "RoleBinding": [rb("app", "e", "ClusterRole", "edit", [user("bob")])]})
	count(authz_08.deny) == 0 with input as testlib.inp({"RoleBinding": [rb("app", "e", "ClusterRole", "edit", [user("bob")])]})
	count(authz_08.not_applicable) == 0 with input as testlib.inp({"RoleBinding": [rb("app", "e", "ClusterRole", "view", [user("bob")])]})
}

# A binding to a role not in the input is not judged in a manifest scan
# (not applicable when nothing else is); live, the role does not exist.
test_manifest_missing_role_not_judged if {
	i := testlib.inp({"RoleBinding": [rb("app", "b", "Role", "custom", [user("bob")])]})
	count(authz_08.judged) == 0 with input as i
	authz_08.not_applicable == {"the roles the bindings of the input refer to are not in the input: RoleBinding b in namespace \"app\" binds Role custom"} with input as i
	l := testlib.live({"RoleBinding": [rb("app", "b", "Role", "custom", [user("bob")])]})
	authz_08.judged == {{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "namespace": "app", "name": "b"}} with input as l
}

test_excluded_namespace_rolebinding_ignored if {
	r := role("kube-system", "all", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
	count(authz_08.deny) == 0 with input as testlib.live({"Role": [r], "RoleBinding": [rb("kube-system", "x", "Role", "all", [user("bob")])]})
}

# ---- verdict: judged and evidence ------------------------------------------------

test_evidence if {
	b := crb("writers", "ap-writer", [group("system:masters"), user("alice")])
	some f in authz_08.deny with input as testlib.inp({"ClusterRole": [ap_writer], "ClusterRoleBinding": [b]})
	f.evidence == [
		{"path": "roleRef", "value": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "ap-writer"}},
		{"path": "subjects[1]", "value": user("alice")},
	]
}

# Judged: bindings whose role is known, and bindings of platform subjects
# only (whatever the role).
test_judged if {
	i := testlib.inp({
		"ClusterRole": [ap_writer],
		"ClusterRoleBinding": [crb("writers", "ap-writer", [user("alice")]), crb("masters", "missing", [group("system:masters")])],
		"RoleBinding": [rb("app", "b", "Role", "custom", [user("bob")])],
	})
	authz_08.judged == {crb_res("writers"), crb_res("masters")} with input as i
	count(authz_08.not_applicable) == 0 with input as i
}

test_no_subject_not_applicable if {
	some r in authz_08.not_applicable with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	startswith(r, "no ")
	count(authz_08.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}
