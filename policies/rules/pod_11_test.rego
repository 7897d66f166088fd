package meshaudit.rules.pod_11_test

import data.meshaudit.lib
import data.meshaudit.rules.pod_11
import data.meshaudit.testlib
import rego.v1

deploy(ns, containers) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": containers}}},
}

c(image) := {"name": "app", "image": image}

run(image) := testlib.strip(d) if {
	d := pod_11.deny with input as testlib.inp({"Deployment": [deploy("shop", [c(image)])]})
}

approved := object.union(lib.params, {"approved_registries": ["registry.example.com/", "docker.io/library/"]})

run_approved(image) := testlib.strip(d) if {
	d := pod_11.deny with input as testlib.inp({"Deployment": [deploy("shop", [c(image)])]})
		with data.meshaudit.params as approved
}

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

test_version_tag_passes if {
	count(run("registry.example.com/shop/web:1.4.2")) == 0
}

test_digest_passes if {
	count(run(concat("@", ["registry.example.com/shop/web", digest]))) == 0
	count(run(concat("@", ["registry.example.com/shop/web:latest", digest]))) == 0
}

test_latest_fails if {
	run("registry.example.com/shop/web:latest") == {{
		"msg": "container \"app\" image \"registry.example.com/shop/web:latest\": tag \"latest\" moves (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_untagged_fails if {
	run("nginx") == {{
		"msg": "container \"app\" image \"nginx\": no tag, so it pulls \"latest\" (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

# A registry port is not a tag.
test_registry_port_untagged_fails if {
	count(run("localhost:5000/web")) == 1
	count(run("localhost:5000/web:2.0")) == 0
}

test_moving_tag_fails if {
	count(run("registry.example.com/web:stable")) == 1
}

test_empty_approved_list_accepts_any_registry if {
	count(run("quay.io/org/web:3.1.0")) == 0
}

test_unapproved_registry_fails if {
	run_approved("quay.io/org/web:latest") == {{
		"msg": "container \"app\" image \"quay.io/org/web:latest\": not from an approved registry (approved: registry.example.com/, docker.io/library/); tag \"latest\" moves (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

# Docker Hub short names are qualified before prefix matching.
test_short_name_matches_qualified_prefix if {
	count(run_approved("nginx:1.25.3")) == 0
	count(run_approved("library/nginx:1.25.3")) == 0
	count(run_approved("bitnami/nginx:1.25.3")) == 1
}

test_gateway_auto_image_ignored if {
	d := deploy("shop", [{"name": "istio-proxy", "image": "auto"}, {"name": "other", "image": "auto"}])
	count(pod_11.deny) == 0 with input as testlib.inp({"Deployment": [d]})
}

test_injected_containers_ignored if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {"containers": [c("r/web:1.0"), {"name": "istio-proxy", "image": "docker.io/istio/proxyv2"}]},
	}
	count(pod_11.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

test_init_container_judged if {
	d := object.union(deploy("shop", [c("r/web:1.0")]), {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "busybox:latest"}]}}}})
	testlib.strip(pod_11.deny) == {{
		"msg": "init container \"init\" image \"busybox:latest\": tag \"latest\" moves (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}

# A container without an image is an input-validity problem (the API server
# rejects it), never an image-pinning finding; nothing else to judge.
test_missing_image_not_reported_nor_judged if {
	count(pod_11.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", [{"name": "app"}])]})
	count(pod_11.judged) == 0 with input as testlib.inp({"Deployment": [deploy("shop", [{"name": "app"}])]})
}

test_one_finding_per_workload_with_evidence if {
	d := object.union(deploy("shop", [c("nginx")]), {"spec": {"template": {"spec": {"initContainers": [{"name": "init", "image": "busybox:latest"}]}}}})
	pod_11.deny == {{
		"msg": "init container \"init\" image \"busybox:latest\": tag \"latest\" moves (pin by digest or an immutable version tag); container \"app\" image \"nginx\": no tag, so it pulls \"latest\" (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
		"evidence": [
			{"path": "spec.template.spec.initContainers[0].image", "value": "busybox:latest"},
			{"path": "spec.template.spec.containers[0].image", "value": "nginx"},
		],
	}} with input as testlib.inp({"Deployment": [d]})
	pod_11.judged == {testlib.deployment_ref("shop", "web")} with input as testlib.inp({"Deployment": [d]})
}

placeholders := object.union(lib.params, {"placeholder_images": ["paymentservice", "shop/cart"]})

# skaffold / kustomize artifact names listed in params.placeholder_images.
test_listed_placeholder_not_judged if {
	inp1 := testlib.inp({"Deployment": [deploy("shop", [c("paymentservice")])]})
	count(pod_11.deny) == 0 with input as inp1 with data.meshaudit.params as placeholders
	count(pod_11.judged) == 0 with input as inp1 with data.meshaudit.params as placeholders
	count(pod_11.not_applicable) == 1 with input as inp1 with data.meshaudit.params as placeholders
}

test_listed_placeholder_with_path_not_judged if {
	count(pod_11.deny) == 0 with input as testlib.inp({"Deployment": [deploy("shop", [c("shop/cart")])]}) with data.meshaudit.params as placeholders
}

# Without the parameter the same reference pulls latest.
test_unlisted_untagged_still_fails if {
	count(run("paymentservice")) == 1
}

# A listed name written with a registry, a tag or a digest is a real reference.
test_listed_name_with_tag_or_registry_judged if {
	count(pod_11.deny) == 1 with input as testlib.inp({"Deployment": [deploy("shop", [c("paymentservice:latest")])]}) with data.meshaudit.params as placeholders
	count(pod_11.deny) == 1 with input as testlib.inp({"Deployment": [deploy("shop", [c("docker.io/paymentservice")])]}) with data.meshaudit.params as placeholders
}

test_ko_reference_is_a_placeholder if {
	count(run("ko://github.com/example/shop/cmd/cart")) == 0
	count(pod_11.judged) == 0 with input as testlib.inp({"Deployment": [deploy("shop", [c("ko://github.com/example/shop/cmd/cart")])]})
}

# A workload mixing a placeholder and a real image is judged on the real one.
test_mixed_placeholder_and_real_image if {
	d := deploy("shop", [c("ko://example.com/cmd/app"), {"name": "proxy", "image": "envoyproxy/envoy"}])
	testlib.strip(pod_11.deny) == {{
		"msg": "container \"proxy\" image \"envoyproxy/envoy\": no tag, so it pulls \"latest\" (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
	}} with input as testlib.inp({"Deployment": [d]})
}

test_excluded_namespace_ignored if {
	count(pod_11.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", [c("nginx")])]})
}

test_template_with_null_metadata_judged if {
	d := object.union(deploy("shop", [c("nginx")]), {"spec": {"template": {"metadata": null}}})
	count(pod_11.deny) == 1 with input as testlib.inp({"Deployment": [d]})
}

# ---- placeholders the input declares (input.image_placeholders) -------------

skaffold_ph := {"image": "paymentservice", "tool": "skaffold", "file": "skaffold.yaml", "line": 14, "field": "build.artifacts[2].image"}

kustomize_ph := {"image": "registry.example.com/shop/cart", "tool": "kustomize", "file": "deploy/kustomization.yaml", "line": 9, "field": "images[0].newName"}

inp_ph(objs, phs) := object.union(testlib.inp(objs), {"image_placeholders": phs})

test_skaffold_artifact_not_judged_and_noticed if {
	i := inp_ph({"Deployment": [deploy("shop", [c("paymentservice")])]}, [skaffold_ph])
	count(pod_11.deny) == 0 with input as i
	count(pod_11.judged) == 0 with input as i
	pod_11.notices == {{
		"kind": "placeholder",
		"msg": "container \"app\" image \"paymentservice\" is not judged: it is a skaffold build artifact (skaffold.yaml:14 build.artifacts[2].image)",
		"resource": testlib.deployment_ref("shop", "web"),
		"field": "spec.template.spec.containers[0].image",
	}} with input as i
}

# A declared name with a registry (skaffold artifacts often carry one, a
# kustomize newName does) is matched as written.
test_kustomize_untagged_entry_not_judged if {
	i := inp_ph({"Deployment": [deploy("shop", [c("registry.example.com/shop/cart")])]}, [kustomize_ph])
	count(pod_11.deny) == 0 with input as i
	[n.msg | some n in pod_11.notices] == ["container \"app\" image \"registry.example.com/shop/cart\" is not judged: it is a kustomize images: entry that sets no newTag or digest (deploy/kustomization.yaml:9 images[0].newName), so the deploy pipeline sets its tag"] with input as i
}

# Written with a tag or a digest, a declared name is a real reference.
test_declared_name_with_tag_judged if {
	i := inp_ph({"Deployment": [deploy("shop", [c("paymentservice:latest")])]}, [skaffold_ph])
	count(pod_11.deny) == 1 with input as i
	count(pod_11.notices) == 0 with input as i
	i2 := inp_ph({"Deployment": [deploy("shop", [c(concat("@", ["paymentservice", digest]))])]}, [skaffold_ph])
	count(pod_11.deny) == 0 with input as i2
	pod_11.judged == {testlib.deployment_ref("shop", "web")} with input as i2
}

# Another name, or the same name under another path, is not covered.
test_undeclared_name_judged if {
	i := inp_ph({"Deployment": [deploy("shop", [c("cartservice"), {"name": "b", "image": "shop/paymentservice"}])]}, [skaffold_ph])
	[f.msg | some f in pod_11.deny] == ["container \"app\" image \"cartservice\": no tag, so it pulls \"latest\" (pin by digest or an immutable version tag); container \"b\" image \"shop/paymentservice\": no tag, so it pulls \"latest\" (pin by digest or an immutable version tag)"] with input as i
}

# One name declared twice (skaffold.yaml and a profile): one notice, naming
# the first declaration.
test_declared_twice_one_notice if {
	second := object.union(skaffold_ph, {"line": 40, "field": "profiles[0].build.artifacts[0].image"})
	i := inp_ph({"Deployment": [deploy("shop", [c("paymentservice")])]}, [skaffold_ph, second])
	count(pod_11.notices) == 1 with input as i
	some n in pod_11.notices with input as i
	contains(n.msg, "skaffold.yaml:14 build.artifacts[2].image")
}

test_ko_and_param_placeholders_noticed if {
	d := deploy("shop", [c("ko://github.com/example/shop/cmd/cart"), {"name": "pay", "image": "paymentservice"}])
	ns := pod_11.notices with input as testlib.inp({"Deployment": [d]}) with data.meshaudit.params as placeholders
	{n.msg | some n in ns} == {
		"container \"app\" image \"ko://github.com/example/shop/cmd/cart\" is not judged: it is a ko:// reference, which ko builds and resolves at deploy time",
		"container \"pay\" image \"paymentservice\" is not judged: it is listed in params.placeholder_images",
	}
	{n.field | some n in ns} == {"spec.template.spec.containers[0].image", "spec.template.spec.containers[1].image"}
}

# The not-applicable reason when nothing but placeholders is in scope.
test_only_placeholders_not_applicable if {
	i := inp_ph({"Deployment": [deploy("shop", [c("paymentservice")])]}, [skaffold_ph])
	some r in pod_11.not_applicable with input as i
	contains(r, "build-tool placeholder")
}

# A tag with no digit names a variant (redis:alpine), not a version: it
# moves like latest. Any tag with a version number is accepted.
test_variant_tag_without_version_fails if {
	run("redis:alpine") == {{
		"msg": "container \"app\" image \"redis:alpine\": tag \"alpine\" names no version, so it moves with every push of that variant (pin by digest or an immutable version tag)",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
	count(run("redis:7.2-alpine")) == 0
	count(run("node:lts-bookworm")) == 1
	count(run("node:20-bookworm-slim")) == 0
	count(run(concat("@", ["redis:alpine", digest]))) == 0
}
