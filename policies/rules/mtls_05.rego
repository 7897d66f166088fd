# METADATA
# title: Mesh CA rooted in the enterprise PKI
# description: |
#   istiod signs workload certificates with the CA in Secret `cacerts` of
#   the Istio root namespace when it exists (a plugged-in intermediate of the
#   enterprise PKI), or forwards them to an external CA (istiod env
#   `EXTERNAL_CA` or `CA_ADDR`, MeshConfig `ca.address`, or cert-manager's
#   istio-csr); otherwise it generates a self-signed root (`istio-ca-secret`)
#   that nothing outside the mesh trusts or can revoke. Only Secret names are
#   read, never their data. Whether Secret `cacerts` exists is a live-only
#   fact: Secrets are collected in a live scan only with `--secret-names`
#   (without them the rule is unknown unless an external CA is configured),
#   and a manifest scan is not applicable ("only a live scan can tell")
#   unless the input holds Secrets of the root namespace or a SealedSecret,
#   ExternalSecret or cert-manager Certificate producing `cacerts` there —
#   then it is judged on them. An istiod with an external CA is judged in
#   every scan. Without istiod in the input, the root namespace's
#   `istio-ca-secret` (a finding) or `cacerts` (a pass) is judged.
# custom:
#   id: MTLS-05
#   severity: high
#   controls: [SC-12, SC-17]
#   inputs: [Deployment, ConfigMap]
#   remediation: |
#     Plug an intermediate CA of the enterprise PKI into istiod: create Secret
#     `cacerts` (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem) in
#     the Istio root namespace and restart istiod, or integrate an external
#     CA (cert-manager istio-csr, or istiod `EXTERNAL_CA` with a Kubernetes
#     CSR signer). Then delete the self-signed `istio-ca-secret`.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args:
#                   - discovery
#                   - --monitoringAddr=:15014
#                   - --domain
#                   - cluster.local
#       ---
#       apiVersion: v1
#       kind: Secret
#       metadata:
#         name: istio-ca-secret
#         namespace: istio-system
#       type: istio.io/ca-root
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: istiod
#         namespace: istio-system
#         labels:
#           app: istiod
#           istio: pilot
#       spec:
#         replicas: 2
#         selector:
#           matchLabels:
#             istio: pilot
#         template:
#           metadata:
#             labels:
#               app: istiod
#               istio: pilot
#           spec:
#             serviceAccountName: istiod
#             containers:
#               - name: discovery
#                 image: docker.io/istio/pilot:1.31.2-distroless
#                 args:
#                   - discovery
#                   - --monitoringAddr=:15014
#                   - --domain
#                   - cluster.local
#       ---
#       apiVersion: cert-manager.io/v1
#       kind: Certificate
#       metadata:
#         name: istio-intermediate-ca
#         namespace: istio-system
#       spec:
#         isCA: true
#         commonName: istio-intermediate-ca.prod.example.com
#         duration: 8760h
#         secretName: cacerts
#         privateKey:
#           algorithm: ECDSA
#           size: 256
#         issuerRef:
#           kind: ClusterIssuer
#           name: enterprise-pki
#           group: cert-manager.io
package meshaudit.rules.mtls_05

import data.meshaudit.lib
import rego.v1

env_names(d) := {e.name |
	some c in object.get(d, ["spec", "template", "spec", "containers"], [])
	some e in object.get(c, "env", [])
}

# ---- external CA -----------------------------------------------------------

# istiod forwards CSRs to an external CA (a redacted value still shows the
# variable is set).
external_env(d) := n if {
	some n in ["EXTERNAL_CA", "CA_ADDR"]
	n in env_names(d)
}

istio_csr(d) if contains(lib.name(d), "istio-csr")

istio_csr(d) if lib.labels(d)["app.kubernetes.io/name"] == "cert-manager-istio-csr"

istio_csr(d) if {
	some c in object.get(d, ["spec", "template", "spec", "containers"], [])
	contains(object.get(c, "image", ""), "cert-manager-istio-csr")
}

mesh_external_ca if object.get(lib.mesh_config, ["ca", "address"], "") != ""

cluster_external_ca if mesh_external_ca

cluster_external_ca if {
	some d in lib.objects("Deployment")
	istio_csr(d)
}

external_ca(_) if cluster_external_ca

external_ca(d) if external_env(d)

# ---- plugged-in CA ---------------------------------------------------------

root_objects(kind) := [o | some o in lib.objects(kind); lib.ns(o) == lib.root_ns]

root_secrets := root_objects("Secret")

root_secret_names := {lib.name(s) | some s in root_secrets}

# has_cacerts: Secret cacerts, or a manifest stand-in producing it, is in
# the root namespace (see cacerts_producers).
has_cacerts if count(cacerts_producers) > 0

# ---- verdict ---------------------------------------------------------------

self_signed_istiods contains d if {
	some d in lib.istiods
	not external_ca(d)
	not has_cacerts
}

# Secret names are known: a live scan that collected Secret names (even
# none), or a manifest scan holding Secrets of the root namespace or a
# stand-in producing cacerts there.
secrets_known if {
	lib.live
	lib.collected("Secret")
}

secrets_known if {
	not lib.live
	count(root_secrets) > 0
}

secrets_known if {
	not lib.live
	has_cacerts
}

ca_secret_note := sprintf("Secret %s/istio-ca-secret exists but", [lib.root_ns]) if {
	"istio-ca-secret" in root_secret_names
} else := "there is"

cacerts_lookup := {
	"path": sprintf("Secret cacerts (or a SealedSecret, ExternalSecret or cert-manager Certificate producing it) in namespace %q", [lib.root_ns]),
	"value": 0,
}

external_lookup := {
	"path": "env EXTERNAL_CA or CA_ADDR in spec.template.spec.containers, mesh config ca.address, or a cert-manager istio-csr Deployment",
	"value": 0,
}

ca_secret_evidence := [{"path": "metadata.name", "value": "istio-ca-secret", "resource": lib.resource(s)} |
	some s in root_secrets
	lib.name(s) == "istio-ca-secret"
]

deny contains {
	"msg": sprintf("istiod %s/%s signs workload certificates with its self-signed root: %s no Secret cacerts in %s and no external CA is configured", [lib.ns(d), lib.name(d), ca_secret_note, lib.root_ns]),
	"resource": lib.resource(d),
	"evidence": array.concat([cacerts_lookup, external_lookup], ca_secret_evidence),
} if {
	secrets_known
	some d in self_signed_istiods
}

unknown contains sprintf("Secret names were not collected (%s), so whether Secret cacerts exists in %s is unknown: run the live scan with --secret-names (names only, never data)", [lib.kind_status("Secret"), lib.root_ns]) if {
	lib.live
	count(self_signed_istiods) > 0
	not secrets_known
}

# Without istiod in the input: judge the Secrets shown, if any.
deny contains {
	"msg": sprintf("Secret %s/istio-ca-secret (istiod's self-signed root) exists and there is no Secret cacerts and no external CA", [lib.root_ns]),
	"resource": lib.resource(s),
	"evidence": [{"path": "metadata.name", "value": "istio-ca-secret"}, cacerts_lookup],
} if {
	count(lib.istiods) == 0
	not cluster_external_ca
	not has_cacerts
	some s in root_secrets
	lib.name(s) == "istio-ca-secret"
}

# judged: each istiod whose CA the input decides (an external CA, or the
# root namespace's Secret names known); without istiod, the root
# namespace's self-signed root or cacerts (or the object producing it).
judged contains lib.resource(d) if {
	some d in lib.istiods
	external_ca(d)
}

judged contains lib.resource(d) if {
	some d in lib.istiods
	secrets_known
}

judged contains lib.resource(s) if {
	count(lib.istiods) == 0
	some s in root_secrets
	lib.name(s) == "istio-ca-secret"
}

judged contains lib.resource(o) if {
	count(lib.istiods) == 0
	some o in cacerts_producers
}

# cacerts_producers: Secret cacerts, or a manifest stand-in producing it, in
# the root namespace.
cacerts_producers contains s if {
	some s in root_secrets
	lib.name(s) == "cacerts"
}

cacerts_producers contains o if {
	some o in root_objects("SealedSecret.bitnami.com")
	object.get(o, ["spec", "template", "metadata", "name"], lib.name(o)) == "cacerts"
}

cacerts_producers contains o if {
	some o in root_objects("ExternalSecret.external-secrets.io")
	object.get(o, ["spec", "target", "name"], lib.name(o)) == "cacerts"
}

cacerts_producers contains o if {
	some o in root_objects("Certificate.cert-manager.io")
	object.get(o, ["spec", "secretName"], "") == "cacerts"
}

# A manifest scan cannot show whether Secret cacerts exists when the input
# holds no Secret of the root namespace (they are usually created outside
# manifests): a live-only fact, not unknown.
not_applicable contains sprintf("only a live scan can tell whether Secret cacerts exists in %s: the input holds no Secret of %s nor a SealedSecret, ExternalSecret or cert-manager Certificate producing it, and istiod %s configures no external CA", [lib.root_ns, lib.root_ns, concat(", ", sort([sprintf("%s/%s", [lib.ns(d), lib.name(d)]) | some d in self_signed_istiods]))]) if {
	not lib.live
	count(self_signed_istiods) > 0
	not secrets_known
	count(judged) == 0
}

not_applicable contains "no istiod Deployment in the input" if {
	count(lib.istiods) == 0
	count(judged) == 0
}
