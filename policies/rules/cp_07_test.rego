package meshaudit.rules.cp_07_test

import data.meshaudit.lib
import data.meshaudit.rules.cp_07
import data.meshaudit.testlib
import rego.v1

role(ns, name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name, "namespace": ns}, "rules": rules}

crole(name, rules) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules}

rb(ns, name, kind, ref, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "RoleBinding",
	"metadata": {"name": name, "namespace": ns},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": ref},
	"subjects": subjects,
}

crb(name, ref, subjects) := {
	"apiVersion": "rbac.authorization.k8s.io/v1",
	"kind": "ClusterRoleBinding",
	"metadata": {"name": name},
	"roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": ref},
	"subjects": subjects,
}

rbres(ns, name) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "namespace": ns, "name": name}

crbres(name) := {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "namespace": "", "name": name}

secret_reader := [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]

alice := {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}

test_role_in_root_fails if {
	testlib.strip(cp_07.deny) == {{
		"msg": "RoleBinding istio-system/read-secrets lets User:alice get, list secrets in istio-system (Role istio-system/secret-reader); grant secret access only in the namespaces the subject needs, never in the Istio root namespace (a Role and RoleBinding there, not a ClusterRole)",
		"resource": rbres("istio-system", "read-secrets"),
	}} with input as testlib.inp({
		"Role": [role("istio-system", "secret-reader", secret_reader)],
		"RoleBinding": [rb("istio-system", "read-secrets", "Role", "secret-reader", [alice])],
	})
}

test_role_in_other_namespace_ignored if {
	count(cp_07.deny) == 0 with input as testlib.inp({
		"Role": [role("app", "secret-reader", secret_reader)],
		"RoleBinding": [rb("app", "read-secrets", "Role", "secret-reader", [alice])],
	})
}

test_wildcards_resolved_cluster_wide if {
	wild := [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]
	grp := {"kind": "Group", "name": "developers", "apiGroup": "rbac.authorization.k8s.io"}
	testlib.strip(cp_07.deny) == {{
		"msg": "ClusterRoleBinding devs-admin lets Group:developers get, list, watch secrets in every namespace, istio-system included (ClusterRole everything); grant secret access only in the namespaces the subject needs, never in the Istio root namespace (a Role and RoleBinding there, not a ClusterRole)",
		"resource": crbres("devs-admin"),
	}} with input as testlib.inp({"ClusterRole": [crole("everything", wild)], "ClusterRoleBinding": [crb("devs-admin", "everything", [grp])]})
}

test_non_read_verbs_and_other_resources_pass if {
	rules := [
		{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]},
		{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]},
		{"apiGroups": ["apps"], "resources": ["*"], "verbs": ["get"]},
	]
	count(cp_07.deny) == 0 with input as testlib.inp({
		"Role": [role("istio-system", "r", rules)],
		"RoleBinding": [rb("istio-system", "b", "Role", "r", [alice])],
	})
}

test_resource_names_other_secrets_pass if {
	rules := [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["gateway-cert"], "verbs": ["get"]}]
	ca := [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["cacerts"], "verbs": ["get"]}]
	count(cp_07.deny) == 0 with input as testlib.inp({"Role": [role("istio-system", "r", rules)], "RoleBinding": [rb("istio-system", "b", "Role", "r", [alice])]})
	count(cp_07.deny) == 1 with input as testlib.inp({"Role": [role("istio-system", "r", ca)], "RoleBinding": [rb("istio-system", "b", "Role", "r", [alice])]})
}

test_allowed_subjects_pass if {
	subjects := [
		{"kind": "Group", "name": "system:masters"},
		{"kind": "ServiceAccount", "name": "istiod", "namespace": "istio-system"},
		{"kind": "ServiceAccount", "name": "istio-ingressgateway-service-account", "namespace": "istio-system"},
		{"kind": "ServiceAccount", "name": "cloud-controller", "namespace": "kube-system"},
		{"kind": "User", "name": "platform-admin"},
	]
	p := object.union(lib.params, {"platform_subjects": ["User:platform-admin"]})
	inp := testlib.inp({"ClusterRole": [crole("istio-reader-cr", secret_reader)], "ClusterRoleBinding": [crb("b", "istio-reader-cr", subjects)]})
	count(cp_07.deny) == 0 with input as inp with data.meshaudit.params as p
}

test_istio_named_sa_elsewhere_not_allowed if {
	s := {"kind": "ServiceAccount", "name": "istiod", "namespace": "app"}
	count(cp_07.deny) == 1 with input as testlib.inp({"ClusterRole": [crole("cr", secret_reader)], "ClusterRoleBinding": [crb("b", "cr", [s])]})
}

test_platform_service_account_subject if {
	s := {"kind": "ServiceAccount", "name": "argocd", "namespace": "argocd"}
	p := object.union(lib.params, {"platform_subjects": ["ServiceAccount:argocd/argocd"]})
	inp := testlib.inp({"RoleBinding": [rb("istio-system", "argo", "ClusterRole", "admin", [s])]})
	count(cp_07.deny) == 1 with input as inp
	count(cp_07.deny) == 0 with input as inp with data.meshaudit.params as p
}

test_builtin_cluster_roles_without_objects if {
	edit := rb("istio-system", "edit", "ClusterRole", "edit", [alice])
	view := rb("istio-system", "view", "ClusterRole", "view", [alice])
	testlib.strip(cp_07.deny) == {{
		"msg": "RoleBinding istio-system/edit lets User:alice get, list, watch secrets in istio-system (ClusterRole edit); grant secret access only in the namespaces the subject needs, never in the Istio root namespace (a Role and RoleBinding there, not a ClusterRole)",
		"resource": rbres("istio-system", "edit"),
	}} with input as testlib.inp({"RoleBinding": [edit, view]})
}

# A manifest scan that does not hold the role leaves the binding unjudged
# (never unknown); in a live scan the role does not exist: nothing granted.
test_missing_role_not_judged if {
	inp := testlib.inp({"RoleBinding": [rb("istio-system", "b", "Role", "gone", [alice])]})
	count(cp_07.deny) == 0 with input as inp
	not cp_07.unknown with input as inp
	count(cp_07.judged) == 0 with input as inp
	cp_07.not_applicable == {"only a live scan can tell what the roles of the input's bindings grant (RoleBinding istio-system/b -> Role gone): the input does not hold them, so whether they give access to the Secrets of istio-system is not in it"} with input as inp
	live := {"cluster": "c1", "source": "cluster", "objects": {"RoleBinding": [rb("istio-system", "b", "Role", "gone", [alice])]}}
	count(cp_07.deny) == 0 with input as live
	cp_07.judged == {rbres("istio-system", "b")} with input as live
}

test_evidence if {
	r := role("istio-system", "reader", secret_reader)
	inp := testlib.inp({"Role": [r], "RoleBinding": [rb("istio-system", "b", "Role", "reader", [alice])]})
	{f.evidence | some f in cp_07.deny} == {[
		{"path": "subjects[0]", "value": alice},
		{"path": "roleRef", "value": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"}},
		{"path": "rules", "resource": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "namespace": "istio-system", "name": "reader"}},
	]} with input as inp
	cp_07.judged == {rbres("istio-system", "b")} with input as inp
}

test_kubernetes_default_bindings_skipped if {
	b := json.patch(crb("system:controller:namespace-controller", "system:controller:namespace-controller", [{"kind": "ServiceAccount", "name": "namespace-controller", "namespace": "kube-system"}]), [{"op": "add", "path": "/metadata/labels", "value": {"kubernetes.io/bootstrapping": "rbac-defaults"}}])
	r := crole("system:controller:namespace-controller", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get", "list", "delete"]}])
	count(cp_07.deny) == 0 with input as testlib.inp({"ClusterRole": [r], "ClusterRoleBinding": [b]})
}

test_istiod_broadened if {
	sa := {"kind": "ServiceAccount", "name": "istiod", "namespace": "istio-system"}
	inp := testlib.inp({"ClusterRoleBinding": [
		crb("istiod-clusterrole-istio-system", "istiod-clusterrole-istio-system", [sa]),
		crb("istio-reader-clusterrole-istio-system", "istio-reader-clusterrole-istio-system", [sa]),
		crb("istiod-extra", "cluster-admin", [sa]),
	]})
	testlib.strip(cp_07.deny) == {{
		"msg": "ClusterRoleBinding istiod-extra gives istiod's ServiceAccount istio-system/istiod the ClusterRole cluster-admin, beyond Istio's own roles",
		"resource": crbres("istiod-extra"),
	}} with input as inp
}

test_istiod_role_in_root_allowed if {
	sa := {"kind": "ServiceAccount", "name": "istiod", "namespace": "istio-system"}
	count(cp_07.deny) == 0 with input as testlib.inp({
		"Role": [role("istio-system", "istiod", secret_reader)],
		"RoleBinding": [rb("istio-system", "istiod", "Role", "istiod", [sa])],
	})
}
