package meshaudit.rules.cp_01_test

import data.meshaudit.rules.cp_01
import data.meshaudit.testlib
import rego.v1

istiod(image) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}},
	"spec": {"template": {"spec": {"containers": [{"name": "discovery", "image": image}]}}},
}

inp(image) := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [istiod(image)]}}

test_supported_passes if {
	count(cp_01.deny) == 0 with input as inp("docker.io/istio/pilot:1.31.2")
	count(cp_01.unknown) == 0 with input as inp("docker.io/istio/pilot:1.31.2")
}

test_distroless_and_registry_port_pass if {
	count(cp_01.deny) == 0 with input as inp("registry.example.com:5000/istio/pilot:1.32.0-distroless")
	count(cp_01.unknown) == 0 with input as inp("registry.example.com:5000/istio/pilot:1.32.0-distroless")
}

test_tag_and_digest_uses_tag if {
	count(cp_01.deny) == 1 with input as inp("gcr.io/istio-release/pilot:1.24.1@sha256:0123abcd")
}

test_unsupported_fails if {
	testlib.strip(cp_01.deny) == {{
		"msg": "istiod image docker.io/istio/pilot:1.27.3 is Istio 1.27, not in the supported versions 1.30, 1.31, 1.32",
		"resource": testlib.deployment_ref("istio-system", "istiod"),
	}} with input as inp("docker.io/istio/pilot:1.27.3")
}

test_digest_only_unknown if {
	inp2 := inp("docker.io/istio/pilot@sha256:0123abcd")
	count(cp_01.deny) == 0 with input as inp2
	cp_01.unknown == {"istiod istio-system/istiod image docker.io/istio/pilot@sha256:0123abcd is pinned by digest only, so its Istio version is unknown: add the version tag (name:tag@digest)"} with input as inp2
}

test_latest_unknown if {
	cp_01.unknown == {"istiod istio-system/istiod image docker.io/istio/pilot:latest has no version tag, so its Istio version is unknown"} with input as inp("docker.io/istio/pilot:latest")
}

test_untagged_unknown if {
	count(cp_01.unknown) == 1 with input as inp("docker.io/istio/pilot")
}

test_revisioned_istiod_by_template_label if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "istiod-1-29", "namespace": "istio-system"},
		"spec": {"template": {"metadata": {"labels": {"app": "istiod", "istio.io/rev": "1-29"}}, "spec": {"containers": [{"name": "discovery", "image": "istio/pilot:1.29.0"}]}}},
	}
	count(cp_01.deny) == 1 with input as {"cluster": "c1", "source": "cluster", "objects": {"Deployment": [d]}}
}

test_no_istiod_not_applicable if {
	cp_01.not_applicable == {"no istiod Deployment in the input"} with input as {"cluster": "c1", "source": "manifests", "objects": {}}
}

test_evidence_and_judged if {
	d := {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "istiod", "namespace": "istio-system", "labels": {"app": "istiod"}}, "spec": {"template": {"spec": {"containers": [{"name": "sidecar", "image": "x:1"}, {"name": "discovery", "image": "docker.io/istio/pilot:1.10.0"}]}}}}
	inp := {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d]}}
	{f.evidence | some f in cp_01.deny} == {[{"path": "spec.template.spec.containers[1].image", "value": "docker.io/istio/pilot:1.10.0"}]} with input as inp
	cp_01.judged == {{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istiod"}} with input as inp
	d2 := json.patch(d, [{"op": "replace", "path": "/spec/template/spec/containers/1/image", "value": "docker.io/istio/pilot@sha256:abc"}])
	count(cp_01.judged) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [d2]}}
}
