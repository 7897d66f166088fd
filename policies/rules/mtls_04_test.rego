package meshaudit.rules.mtls_04_test

import data.meshaudit.lib
import data.meshaudit.rules.mtls_04
import data.meshaudit.testlib
import rego.v1

inp(mesh) := {"cluster": "c1", "source": "manifests", "objects": {"ConfigMap": [testlib.mesh_cm(mesh)]}}

good_defaults := "tlsDefaults:\n  cipherSuites: [ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES128-GCM-SHA256]\n"

test_explicit_allowlisted_suites_pass if {
	count(mtls_04.deny) == 0 with input as inp(good_defaults)
}

test_unset_suites_use_istio_defaults_medium if {
	testlib.strip(mtls_04.deny) == {{
		"msg": "tlsDefaults.cipherSuites is unset, so Istio's default list applies, which includes AES128-GCM-SHA256, AES256-GCM-SHA384, not in the allowed cipher suites; set meshConfig.tlsDefaults.cipherSuites to the allowed suites",
		"resource": testlib.mesh_cm_ref,
		"severity": "medium",
	}} with input as inp("rootNamespace: istio-system\n")
}

test_unset_suites_pass_when_allowlist_holds_defaults if {
	p := object.union(lib.params, {"allowed_cipher_suites": array.concat(lib.params.allowed_cipher_suites, ["AES256-GCM-SHA384", "AES128-GCM-SHA256"])})
	count(mtls_04.deny) == 0 with input as inp("{}") with data.meshaudit.params as p
}

test_weak_mesh_suites_fail if {
	mesh := concat("", [good_defaults, "meshMTLS:\n  cipherSuites: [ECDHE-RSA-AES128-GCM-SHA256, AES128-SHA, DES-CBC3-SHA]\n"])
	testlib.strip(mtls_04.deny) == {{
		"msg": "meshMTLS.cipherSuites allows AES128-SHA, DES-CBC3-SHA, not in the allowed cipher suites: remove them",
		"resource": testlib.mesh_cm_ref,
	}} with input as inp(mesh)
}

test_weak_curve_fails if {
	mesh := concat("", [good_defaults, "  ecdhCurves: [X25519, P-521]\n"])
	testlib.strip(mtls_04.deny) == {{
		"msg": "tlsDefaults.ecdhCurves allows P-521, not in the allowed ECDH curves",
		"resource": testlib.mesh_cm_ref,
	}} with input as inp(mesh)
}

test_min_version_default_meets_tls12 if {
	count(mtls_04.deny) == 0 with input as inp(concat("", [good_defaults, "meshMTLS:\n  minProtocolVersion: TLS_AUTO\n"]))
}

test_min_version_unset_below_required_13 if {
	p := object.union(lib.params, {"min_tls_version": "TLSV1_3"})
	testlib.strip(mtls_04.deny) == {{
		"msg": "meshMTLS.minProtocolVersion is unset (TLS_AUTO: TLS 1.2), below the required TLSV1_3",
		"resource": testlib.mesh_cm_ref,
	}} with input as inp(good_defaults) with data.meshaudit.params as p
}

test_min_version_12_below_required_13 if {
	p := object.union(lib.params, {"min_tls_version": "TLSV1_3"})
	testlib.strip(mtls_04.deny) == {{
		"msg": "meshMTLS.minProtocolVersion is TLSV1_2, below the required TLSV1_3",
		"resource": testlib.mesh_cm_ref,
	}} with input as inp(concat("", [good_defaults, "meshMTLS:\n  minProtocolVersion: TLSV1_2\n"])) with data.meshaudit.params as p
}

test_min_version_13_passes if {
	p := object.union(lib.params, {"min_tls_version": "TLSV1_3"})
	count(mtls_04.deny) == 0 with input as inp(concat("", [good_defaults, "meshMTLS:\n  minProtocolVersion: TLSV1_3\n"])) with data.meshaudit.params as p
}

test_invalid_version_reported if {
	testlib.strip(mtls_04.deny) == {{
		"msg": "meshMTLS.minProtocolVersion \"TLSV1_1\" is not a TLS version Istio accepts (TLS_AUTO, TLSV1_2, TLSV1_3)",
		"resource": testlib.mesh_cm_ref,
	}} with input as inp(concat("", [good_defaults, "meshMTLS:\n  minProtocolVersion: TLSV1_1\n"]))
}

test_fips_policy_fixes_suites if {
	count(mtls_04.deny) == 0 with input as inp("compliancePolicy: fips-140-2\ntlsDefaults:\n  cipherSuites: [AES128-SHA]\n")
}

# tlsDefaults.minProtocolVersion is ignored by Istio.
test_tls_defaults_min_version_not_judged if {
	count(mtls_04.deny) == 0 with input as inp(concat("", [good_defaults, "  minProtocolVersion: TLSV1_2\n"]))
		with data.meshaudit.params as object.union(lib.params, {"min_tls_version": "TLSV1_2"})
}

# Live scan without the mesh ConfigMap: Istio's defaults, on the mesh.
test_live_without_configmap_uses_defaults if {
	some f in mtls_04.deny with input as {"cluster": "c1", "source": "cluster", "objects": {}}
	f.resource == {"kind": "Mesh", "name": "c1"}
	f.severity == "medium"
}

# ---- verdict: judged and evidence ------------------------------------------------

test_judged_mesh_config if {
	mtls_04.judged == {testlib.mesh_cm_ref} with input as inp(good_defaults)
	count(mtls_04.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {}}
	mtls_04.judged == {{"kind": "Mesh", "name": "c1"}} with input as {"cluster": "c1", "source": "cluster", "objects": {}}
}

test_evidence_paths if {
	mesh := concat("", [good_defaults, "meshMTLS:\n  minProtocolVersion: TLSV1_2\n  cipherSuites: [AES128-SHA]\n"])
	d := mtls_04.deny with input as inp(mesh) with data.meshaudit.params as object.union(lib.params, {"min_tls_version": "TLSV1_3"})
	{e | some f in d; some e in f.evidence} == {
		{"path": "data.mesh.meshMTLS.minProtocolVersion", "value": "TLSV1_2"},
		{"path": "data.mesh.meshMTLS.cipherSuites", "value": ["AES128-SHA"]},
	}
}

test_evidence_unset_live if {
	some f in mtls_04.deny with input as {"cluster": "c1", "source": "cluster", "objects": {}}
	f.evidence == [{"path": "tlsDefaults.cipherSuites"}]
}

# The high-severity problems of the mesh config are one finding.
test_one_finding_for_high_problems if {
	mesh := concat("", [good_defaults, "meshMTLS:\n  minProtocolVersion: TLSV1_2\n  cipherSuites: [AES128-SHA]\n  ecdhCurves: [P-521]\n"])
	d := testlib.strip(mtls_04.deny) with input as inp(mesh) with data.meshaudit.params as object.union(lib.params, {"min_tls_version": "TLSV1_3"})
	d == {{
		"msg": "meshMTLS.minProtocolVersion is TLSV1_2, below the required TLSV1_3; meshMTLS.cipherSuites allows AES128-SHA, not in the allowed cipher suites: remove them; meshMTLS.ecdhCurves allows P-521, not in the allowed ECDH curves",
		"resource": testlib.mesh_cm_ref,
	}}
}
