package meshaudit.rules.cp_02_test

import data.meshaudit.rules.cp_02
import data.meshaudit.testlib
import rego.v1

istiod(name, rev, image) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "istio-system", "labels": {"app": "istiod", "istio.io/rev": rev}},
	"spec": {"template": {"spec": {"containers": [{"name": "discovery", "image": image}]}}},
}

web := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": "app"},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

web_rs := {
	"apiVersion": "apps/v1",
	"kind": "ReplicaSet",
	"metadata": {"name": "web-5d4f", "namespace": "app", "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
	"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}},
}

pod(name, rev, image) := {
	"apiVersion": "v1",
	"kind": "Pod",
	"metadata": {
		"name": name,
		"namespace": "app",
		"ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d4f", "controller": true}],
		"annotations": {"sidecar.istio.io/status": sprintf("{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"revision\":\"%s\"}", [rev])},
	},
	"spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "istio-proxy", "image": image}]},
}

base(pods) := {
	"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})],
	"Deployment": [istiod("istiod", "default", "docker.io/istio/pilot:1.31.2"), web],
	"ReplicaSet": [web_rs],
	"Pod": pods,
}

test_matching_versions_pass if {
	inp := testlib.live(base([pod("web-1", "default", "docker.io/istio/proxyv2:1.31.2"), pod("web-2", "default", "docker.io/istio/proxyv2:1.31.2-distroless")]))
	count(cp_02.deny) == 0 with input as inp
	count(cp_02.unknown) == 0 with input as inp
	cp_02.judged == {testlib.deployment_ref("app", "web"), {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istiod"}, {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}} with input as inp
}

test_minor_skew_reported_once_on_owner if {
	inp := testlib.live(base([pod("web-1", "default", "docker.io/istio/proxyv2:1.30.1"), pod("web-2", "default", "docker.io/istio/proxyv2:1.30.1")]))
	testlib.strip(cp_02.deny) == {{
		"msg": "istio-proxy image docker.io/istio/proxyv2:1.30.1 runs Istio 1.30.1 but istiod revision default runs 1.31.2",
		"resource": testlib.deployment_ref("app", "web"),
		"severity": "medium",
	}} with input as inp
}

test_patch_skew_low if {
	some f in cp_02.deny with input as testlib.live(base([pod("web-1", "default", "docker.io/istio/proxyv2:1.31.0")]))
	f.severity == "low"
}

test_revision_without_istiod if {
	testlib.strip(cp_02.deny) == {{
		"msg": "istio-proxy was injected by revision canary, which has no istiod Deployment",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.live(base([pod("web-1", "canary", "docker.io/istio/proxyv2:1.31.2")]))
}

test_untagged_proxy_unknown if {
	inp := testlib.live(base([pod("web-1", "default", "docker.io/istio/proxyv2@sha256:abcd")]))
	count(cp_02.deny) == 0 with input as inp
	cp_02.unknown == {"istio-proxy image docker.io/istio/proxyv2@sha256:abcd of Deployment app/web has no version tag, so its skew is unknown"} with input as inp
}

test_namespace_missing_revision if {
	objs := object.union(base([]), {"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"}), testlib.namespace("shop", {"istio.io/rev": "1-29"})]})
	testlib.strip(cp_02.deny) == {{
		"msg": "namespace shop selects revision 1-29 (istio.io/rev), but no istiod of that revision exists",
		"resource": {"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "shop"},
	}} with input as testlib.live(objs)
}

test_revision_tag_resolves if {
	tag := {
		"apiVersion": "admissionregistration.k8s.io/v1",
		"kind": "MutatingWebhookConfiguration",
		"metadata": {"name": "istio-revision-tag-prod", "labels": {"istio.io/tag": "prod", "istio.io/rev": "1-31"}},
	}
	objs := {
		"Namespace": [testlib.namespace("app", {"istio.io/rev": "prod"})],
		"Deployment": [istiod("istiod-1-31", "1-31", "istio/pilot:1.31.2")],
		"MutatingWebhookConfiguration": [tag],
	}
	count(cp_02.deny) == 0 with input as testlib.live(objs)
}

test_orphan_revision_live if {
	objs := object.union(base([pod("web-1", "default", "docker.io/istio/proxyv2:1.31.2")]), {"Deployment": [
		istiod("istiod", "default", "docker.io/istio/pilot:1.31.2"),
		istiod("istiod-old", "1-29", "docker.io/istio/pilot:1.29.4"),
		web,
	]})
	testlib.strip(cp_02.deny) == {{
		"msg": "istiod revision 1-29 (istio-system/istiod-old) is used by no namespace, pod or revision tag",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istiod-old"},
	}} with input as testlib.live(objs)
}

test_orphan_not_judged_in_manifests if {
	objs := {"Deployment": [istiod("istiod-old", "1-29", "docker.io/istio/pilot:1.29.4")]}
	count(cp_02.deny) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": objs}
}

test_manually_injected_template if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "web", "namespace": "app"},
		"spec": {"template": {
			"metadata": {"annotations": {"sidecar.istio.io/status": "{\"revision\":\"default\"}"}},
			"spec": {"containers": [{"name": "app", "image": "app:1"}, {"name": "istio-proxy", "image": "istio/proxyv2:1.29.0"}]},
		}},
	}
	objs := {"Deployment": [istiod("istiod", "default", "istio/pilot:1.31.2"), d]}
	count(cp_02.deny) == 1 with input as {"cluster": "c1", "source": "manifests", "objects": objs}
}

test_gateway_auto_image_ignored if {
	d := {
		"apiVersion": "apps/v1",
		"kind": "Deployment",
		"metadata": {"name": "gw", "namespace": "istio-system"},
		"spec": {"template": {"spec": {"containers": [{"name": "istio-proxy", "image": "auto"}]}}},
	}
	count(cp_02.deny) == 0 with input as {"cluster": "c1", "source": "manifests", "objects": {"Deployment": [istiod("istiod", "default", "istio/pilot:1.31.2"), d]}}
}

test_no_istiod_not_applicable if {
	cp_02.not_applicable == {"no istiod Deployment in the input"} with input as testlib.live({"Pod": [pod("web-1", "default", "istio/proxyv2:1.20.0")]})
}

test_evidence if {
	inp := testlib.live(base([pod("web-1", "default", "docker.io/istio/proxyv2:1.30.1"), pod("web-2", "default", "docker.io/istio/proxyv2:1.30.1")]))
	d := cp_02.deny with input as inp
	count(d) == 1
	some f in d
	f.evidence == [
		{"path": "spec.containers[1].image", "value": "docker.io/istio/proxyv2:1.30.1", "resource": {"apiVersion": "v1", "kind": "Pod", "namespace": "app", "name": "web-1"}},
		{"path": "spec.template.spec.containers[0].image", "value": "docker.io/istio/pilot:1.31.2", "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system", "name": "istiod"}},
	]
	testlib.deployment_ref("app", "web") in cp_02.judged with input as inp
}

# istio-injection=enabled uses the default revision: judged, and reported
# when neither a default istiod nor a default revision tag exists.
test_injection_enabled_needs_default_revision if {
	objs := {"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})], "Deployment": [istiod("istiod-1-31", "1-31", "docker.io/istio/pilot:1.31.2")]}
	inp := {"cluster": "c1", "source": "manifests", "objects": objs}
	{f.msg | some f in cp_02.deny} == {"namespace app enables injection (istio-injection=enabled), which uses the default revision, but no istiod of revision default and no default revision tag exists"} with input as inp
	objs2 := {"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"})], "Deployment": [istiod("istiod", "default", "docker.io/istio/pilot:1.31.2")]}
	inp2 := {"cluster": "c1", "source": "manifests", "objects": objs2}
	count(cp_02.deny) == 0 with input as inp2
	cp_02.judged == {{"apiVersion": "v1", "kind": "Namespace", "namespace": "", "name": "app"}} with input as inp2
}

# The owner walk is shared per controller reference: same ReplicaSet name in
# two namespaces, the Deployment only in one of them.
test_owner_walk_keyed_by_namespace if {
	other_rs := json.patch(web_rs, [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	other_pod := json.patch(pod("web-1", "default", "docker.io/istio/proxyv2:1.30.1"), [{"op": "replace", "path": "/metadata/namespace", "value": "other"}])
	inp := testlib.live(object.union(base([pod("web-1", "default", "docker.io/istio/proxyv2:1.30.1"), other_pod]), {
		"Namespace": [testlib.namespace("app", {"istio-injection": "enabled"}), testlib.namespace("other", {"istio-injection": "enabled"})],
		"ReplicaSet": [web_rs, other_rs],
	}))
	{f.resource | some f in cp_02.deny} == {
		testlib.deployment_ref("app", "web"),
		{"apiVersion": "apps/v1", "kind": "ReplicaSet", "namespace": "other", "name": "web-5d4f"},
	} with input as inp
}

# A status annotation that is not JSON, or has no string revision, falls
# back to the pod's istio.io/rev label, else the default revision.
test_status_annotation_fallbacks if {
	bad := json.patch(pod("web-1", "default", "docker.io/istio/proxyv2:1.31.2"), [
		{"op": "replace", "path": "/metadata/annotations/sidecar.istio.io~1status", "value": "{not json"},
		{"op": "add", "path": "/metadata/labels", "value": {"istio.io/rev": "canary"}},
	])
	norev := json.patch(pod("web-2", "default", "docker.io/istio/proxyv2:1.31.2"), [{"op": "replace", "path": "/metadata/annotations/sidecar.istio.io~1status", "value": "{\"revision\":3}"}])
	testlib.strip(cp_02.deny) == {{
		"msg": "istio-proxy was injected by revision canary, which has no istiod Deployment",
		"resource": testlib.deployment_ref("app", "web"),
	}} with input as testlib.live(base([bad, norev]))
}
