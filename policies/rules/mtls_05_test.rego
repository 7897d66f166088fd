package meshaudit.rules.mtls_05_test

import data.meshaudit.rules.mtls_05
import data.meshaudit.testlib
import rego.v1

istiod(env) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
	"spec": {"template": {
		"metadata": {"labels": {"app": "istiod"}},
		"spec": {"containers": [{"name": "discovery", "image": "docker.io/istio/pilot:1.31.2", "env": env}]},
	}},
}

secret(name) := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "istio-system"}, "type": "Opaque"}

live(objs) := {"cluster": "c1", "source": "cluster", "objects": objs, "kinds": {k: "collected" | some k, _ in objs}}

self_signed_msg := "istiod istio-system/istiod signs workload certificates with its self-signed root: Secret istio-system/istio-ca-secret exists but no Secret cacerts in istio-system and no external CA is configured"

test_live_self_signed_fails if {
	testlib.strip(mtls_05.deny) == {{"msg": self_signed_msg, "resource": testlib.deployment_ref("istio-system", "istiod")}} with input as live({
		"Deployment": [istiod([])],
		"Secret": [secret("istio-ca-secret"), secret("istiod-tls")],
	})
}

test_live_other_secrets_only_fails if {
	testlib.strip(mtls_05.deny) == {{
		"msg": "istiod istio-system/istiod signs workload certificates with its self-signed root: there is no Secret cacerts in istio-system and no external CA is configured",
		"resource": testlib.deployment_ref("istio-system", "istiod"),
	}} with input as live({
		"Deployment": [istiod([])],
		"Secret": [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls", "namespace": "app"}}],
	})
}

test_live_cacerts_passes if {
	inp := live({"Deployment": [istiod([])], "Secret": [secret("cacerts"), secret("istio-ca-secret")]})
	count(mtls_05.deny) == 0 with input as inp
	count(mtls_05.unknown) == 0 with input as inp
	count(mtls_05.not_applicable) == 0 with input as inp
}

test_cacerts_in_other_namespace_does_not_count if {
	s := {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cacerts", "namespace": "default"}}
	count(mtls_05.deny) == 1 with input as live({"Deployment": [istiod([])], "Secret": [s]})
}

test_live_secrets_not_collected_unknown if {
	inp := live({"Deployment": [istiod([])]})
	count(mtls_05.deny) == 0 with input as inp
	mtls_05.unknown == {"Secret names were not collected (not collected), so whether Secret cacerts exists in istio-system is unknown: run the live scan with --secret-names (names only, never data)"} with input as inp
}

# --secret-names given, no Secret at all: the names are known, cacerts is
# not there.
test_live_secret_names_collected_but_none_fails if {
	inp := object.union(live({"Deployment": [istiod([])]}), {"kinds": {"Secret": "collected"}})
	count(mtls_05.deny) == 1 with input as inp
	count(mtls_05.unknown) == 0 with input as inp
}

test_live_secrets_forbidden_unknown if {
	inp := object.union(live({"Deployment": [istiod([])]}), {"kinds": {"Secret": "forbidden"}})
	count(mtls_05.deny) == 0 with input as inp
	some u in mtls_05.unknown with input as inp
	contains(u, "(forbidden)")
}

test_external_ca_env_passes_without_secrets if {
	inp := live({"Deployment": [istiod([{"name": "EXTERNAL_CA", "value": "<redacted by meshaudit>"}])]})
	count(mtls_05.deny) == 0 with input as inp
	count(mtls_05.unknown) == 0 with input as inp
}

test_ca_addr_env_passes if {
	inp := live({"Deployment": [istiod([{"name": "CA_ADDR", "value": "cert-manager-istio-csr.cert-manager.svc:443"}])], "Secret": [secret("istio-ca-secret")]})
	count(mtls_05.deny) == 0 with input as inp
}

test_istio_csr_deployment_passes if {
	csr := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "cert-manager-istio-csr", "namespace": "cert-manager"},
		"spec": {"template": {"spec": {"containers": [{"name": "csr", "image": "quay.io/jetstack/cert-manager-istio-csr:v0.14.0"}]}}},
	}
	inp := live({"Deployment": [istiod([]), csr], "Secret": [secret("istio-ca-secret")]})
	count(mtls_05.deny) == 0 with input as inp
	count(mtls_05.unknown) == 0 with input as inp
}

test_mesh_config_ca_address_passes if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "ca:\n  address: ca.pki.svc:8932\n"}}
	count(mtls_05.deny) == 0 with input as live({"Deployment": [istiod([])], "ConfigMap": [cm], "Secret": [secret("istio-ca-secret")]})
}

# Whether Secret cacerts exists is a live-only fact: a manifest scan without
# Secrets of the root namespace is not applicable, never unknown.
test_manifests_without_secrets_live_only if {
	inp := testlib.inp({"Deployment": [istiod([])]})
	count(mtls_05.deny) == 0 with input as inp
	count(mtls_05.unknown) == 0 with input as inp
	count(mtls_05.judged) == 0 with input as inp
	mtls_05.not_applicable == {"only a live scan can tell whether Secret cacerts exists in istio-system: the input holds no Secret of istio-system nor a SealedSecret, ExternalSecret or cert-manager Certificate producing it, and istiod istio-system/istiod configures no external CA"} with input as inp
}

# Istio's rendered default install (istioctl manifest generate): istiod,
# the mesh ConfigMap, ServiceAccounts, webhooks, no Secret.
test_rendered_default_install_live_only if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "defaultConfig:\n  discoveryAddress: istiod.istio-system.svc:15012\n"}}
	sa := {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "istiod", "namespace": "istio-system"}}
	inp := testlib.inp({"Deployment": [istiod([{"name": "PILOT_ENABLE_ANALYSIS", "value": "false"}])], "ConfigMap": [cm], "ServiceAccount": [sa]})
	count(mtls_05.unknown) == 0 with input as inp
	count(mtls_05.deny) == 0 with input as inp
	some r in mtls_05.not_applicable with input as inp
	startswith(r, "only a live scan can tell")
}

test_judged_istiod_when_decided if {
	mtls_05.judged == {testlib.deployment_ref("istio-system", "istiod")} with input as testlib.inp({"Deployment": [istiod([])], "Secret": [secret("istio-ingressgateway-certs")]})
	mtls_05.judged == {testlib.deployment_ref("istio-system", "istiod")} with input as testlib.inp({"Deployment": [istiod([{"name": "EXTERNAL_CA", "value": "ISTIOD_RA_KUBERNETES_API"}])]})
	count(mtls_05.judged) == 0 with input as live({"Deployment": [istiod([])]})
}

test_self_signed_evidence if {
	some f in mtls_05.deny with input as live({"Deployment": [istiod([])], "Secret": [secret("istio-ca-secret")]})
	f.evidence == [
		{"path": "Secret cacerts (or a SealedSecret, ExternalSecret or cert-manager Certificate producing it) in namespace \"istio-system\"", "value": 0},
		{"path": "env EXTERNAL_CA or CA_ADDR in spec.template.spec.containers, mesh config ca.address, or a cert-manager istio-csr Deployment", "value": 0},
		{"path": "metadata.name", "value": "istio-ca-secret", "resource": {"apiVersion": "v1", "kind": "Secret", "namespace": "istio-system", "name": "istio-ca-secret"}},
	]
}

test_manifests_with_root_secrets_but_no_cacerts_fail if {
	count(mtls_05.deny) == 1 with input as testlib.inp({"Deployment": [istiod([])], "Secret": [secret("istio-ingressgateway-certs")]})
}

test_manifests_external_secret_producing_cacerts_passes if {
	es := {
		"apiVersion": "external-secrets.io/v1beta1",
		"kind": "ExternalSecret",
		"metadata": {"name": "mesh-ca", "namespace": "istio-system"},
		"spec": {"target": {"name": "cacerts"}},
	}
	inp := testlib.inp({"Deployment": [istiod([])], "ExternalSecret.external-secrets.io": [es]})
	count(mtls_05.deny) == 0 with input as inp
	count(mtls_05.unknown) == 0 with input as inp
}

test_manifests_certificate_producing_cacerts_passes if {
	c := {
		"apiVersion": "cert-manager.io/v1",
		"kind": "Certificate",
		"metadata": {"name": "istio-ca", "namespace": "istio-system"},
		"spec": {"secretName": "cacerts", "isCA": true},
	}
	count(mtls_05.unknown) == 0 with input as testlib.inp({"Deployment": [istiod([])], "Certificate.cert-manager.io": [c]})
}

test_no_istiod_not_applicable if {
	inp := testlib.inp({"Secret": [secret("istiod-tls")]})
	mtls_05.not_applicable == {"no istiod Deployment in the input"} with input as inp
	count(mtls_05.deny) == 0 with input as inp
}

# Without istiod, Secret cacerts in the root namespace is judged: a pass.
test_no_istiod_cacerts_judged if {
	inp := testlib.inp({"Secret": [secret("cacerts")]})
	mtls_05.judged == {{"apiVersion": "v1", "kind": "Secret", "namespace": "istio-system", "name": "cacerts"}} with input as inp
	count(mtls_05.not_applicable) == 0 with input as inp
	count(mtls_05.deny) == 0 with input as inp
}

test_no_istiod_but_self_signed_secret_fails if {
	testlib.strip(mtls_05.deny) == {{
		"msg": "Secret istio-system/istio-ca-secret (istiod's self-signed root) exists and there is no Secret cacerts and no external CA",
		"resource": {"apiVersion": "v1", "kind": "Secret", "namespace": "istio-system", "name": "istio-ca-secret"},
	}} with input as live({"Secret": [secret("istio-ca-secret")]})
}

test_excluded_namespace_istiod_ignored if {
	d := json.patch(istiod([]), [{"op": "replace", "path": "/metadata/namespace", "value": "kube-system"}])
	mtls_05.not_applicable == {"no istiod Deployment in the input"} with input as testlib.inp({"Deployment": [d]})
}
