package meshaudit.rules.tel_02_test

import data.meshaudit.rules.tel_02
import data.meshaudit.testlib
import rego.v1

deny_for(cfg) := {object.remove(f, ["evidence"]) | some f in x} if {
	x := tel_02.deny with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm(cfg)]})
}

test_evidence_and_judged if {
	i := testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm("accessLogEncoding: TEXT\n")]})
	{f.evidence | some f in tel_02.deny} == {[{"path": "data.mesh.accessLogEncoding", "value": "TEXT", "resource": testlib.mesh_cm_ref}]} with input as i
	tel_02.judged == {testlib.mesh_cm_ref} with input as i
	count(tel_02.judged) == 0 with input as testlib.input_from("manifests", {})
	count(tel_02.deny) == 0 with input as testlib.input_from("manifests", {})
	count(tel_02.not_applicable) == 1 with input as testlib.input_from("manifests", {})
	tel_02.judged == {{"kind": "Mesh", "name": "c1"}} with input as testlib.input_from("cluster", {})
	{f.evidence | some f in tel_02.deny} == {[{"path": "meshConfig.accessLogEncoding"}]} with input as testlib.input_from("cluster", {})
}

complete := `{"start_time":"%START_TIME(%s.%3f)%","code":"%RESPONSE_CODE%","flags":"%RESPONSE_FLAGS%","peer":"%DOWNSTREAM_PEER_URI_SAN%","upstream":"%UPSTREAM_HOST%","request_id":"%REQ(X-REQUEST-ID)%","authority":"%REQ(:AUTHORITY)%","path":"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"}`

test_json_default_format_passes if {
	count(deny_for("accessLogFile: /dev/stdout\naccessLogEncoding: JSON\n")) == 0
}

test_encoding_unset_fails if {
	deny_for("accessLogFile: /dev/stdout\n") == {{
		"msg": "mesh config does not set accessLogEncoding, so Istio writes TEXT access logs (want JSON)",
		"resource": testlib.mesh_cm_ref,
	}}
}

test_encoding_text_fails if {
	deny_for("accessLogEncoding: TEXT\n") == {{"msg": "mesh config sets accessLogEncoding TEXT, want JSON", "resource": testlib.mesh_cm_ref}}
}

test_live_default_fails_on_mesh if {
	some f in tel_02.deny with input as testlib.input_from("cluster", {})
	f.resource == {"kind": "Mesh", "name": "c1"}
}

test_complete_custom_format_passes if {
	cfg := sprintf("accessLogEncoding: JSON\naccessLogFormat: '%s'\n", [complete])
	count(deny_for(cfg)) == 0
}

test_plain_path_accepted if {
	f := replace(complete, "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "%REQ(:PATH)%")
	count(deny_for(sprintf("accessLogEncoding: JSON\naccessLogFormat: '%s'\n", [f]))) == 0
}

test_custom_format_missing_fields_fails if {
	f := `{"start_time":"%START_TIME%","code":"%RESPONSE_CODE%","upstream":"%UPSTREAM_HOST%","path":"%REQ(:PATH)%"}`
	deny_for(sprintf("accessLogEncoding: JSON\naccessLogFormat: '%s'\n", [f])) == {{
		"msg": "mesh config's accessLogFormat lacks %RESPONSE_FLAGS%, %DOWNSTREAM_PEER_URI_SAN%, %REQ(X-REQUEST-ID)%, %REQ(:AUTHORITY)%",
		"resource": testlib.mesh_cm_ref,
	}}
}

provider_cfg(fmt) := sprintf("accessLogEncoding: JSON\ndefaultProviders:\n  accessLogging: [file]\nextensionProviders:\n- name: file\n  envoyFileAccessLog:\n    path: /dev/stdout\n%s", [fmt])

test_provider_text_format_fails if {
	d := deny_for(provider_cfg("    logFormat:\n      text: \"%START_TIME% %RESPONSE_CODE%\\n\"\n"))
	d == {
		{"msg": "access log provider \"file\" writes a text logFormat, not JSON (set logFormat.labels)", "resource": testlib.mesh_cm_ref},
		{"msg": "access log provider \"file\"'s logFormat lacks %RESPONSE_FLAGS%, %DOWNSTREAM_PEER_URI_SAN%, %UPSTREAM_HOST%, %REQ(X-REQUEST-ID)%, %REQ(:AUTHORITY)%, %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "resource": testlib.mesh_cm_ref},
	}
}

test_provider_default_format_fails if {
	deny_for(provider_cfg("")) == {{"msg": "access log provider \"file\" writes Istio's default text format, not JSON (set logFormat.labels)", "resource": testlib.mesh_cm_ref}}
}

test_provider_labels_complete_passes if {
	labels := "    logFormat:\n      labels:\n        start_time: \"%START_TIME%\"\n        code: \"%RESPONSE_CODE%\"\n        flags: \"%RESPONSE_FLAGS%\"\n        peer: \"%DOWNSTREAM_PEER_URI_SAN%\"\n        upstream: \"%UPSTREAM_HOST%\"\n        id: \"%REQ(X-REQUEST-ID)%\"\n        authority: \"%REQ(:AUTHORITY)%\"\n        path: \"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%\"\n"
	count(deny_for(provider_cfg(labels))) == 0
}

# A provider no Telemetry nor defaultProviders uses is not judged.
test_unused_provider_ignored if {
	cfg := "accessLogEncoding: JSON\nextensionProviders:\n- name: file\n  envoyFileAccessLog:\n    path: /dev/stdout\n"
	count(deny_for(cfg)) == 0
}

test_provider_used_by_telemetry_judged if {
	cfg := "accessLogEncoding: JSON\nextensionProviders:\n- name: file\n  envoyFileAccessLog:\n    path: /dev/stdout\n"
	t := {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"name": "mesh-default", "namespace": "istio-system"}, "spec": {"accessLogging": [{"providers": [{"name": "file"}]}]}}
	count(tel_02.deny) == 1 with input as testlib.input_from("manifests", {"ConfigMap": [testlib.mesh_cm(cfg)], "Telemetry": [t]})
}
