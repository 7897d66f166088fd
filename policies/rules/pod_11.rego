# METADATA
# title: Images from approved registries, pinned
# description: |
#   Every app container image (containers, initContainers,
#   ephemeralContainers) must come from an approved registry
#   (`approved_registries`: prefixes matched against the image as written or
#   its fully qualified form, so `docker.io/library/` matches `nginx`; an empty
#   list accepts any registry) and be pinned: by digest (`@sha256:`) or by a
#   version tag. Untagged images pull `latest`; `latest` and other
#   conventionally moving tags (stable, main, master, edge, nightly, dev,
#   develop, snapshot, canary) change under the same name, so what runs is
#   not what was reviewed and a registry compromise reaches the cluster on
#   the next pull. Version tags such as `1.4.2` are accepted as immutable by
#   convention: whether a registry enforces tag immutability is not visible
#   from cluster objects; digests are the stronger pin. Image `auto` (filled
#   in by Istio's gateway injection) and Istio's injected containers are not
#   judged.
# custom:
#   id: POD-11
#   severity: medium
#   controls: [CM-14, SI-7]
#   inputs: [workloads]
#   subjects: [workloads]
#   remediation: |
#     Pull images from the approved registries (mirror third-party images
#     there) and reference them by digest (`registry.example.com/app@sha256:…`,
#     optionally with the tag for readability) or at least by a version tag
#     the registry keeps immutable; never use `latest`, an untagged image or a
#     moving tag. Add a registry to `approved_registries` only after
#     reviewing it.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             initContainers:
#             - name: migrate
#               image: registry.example.com/shop/cart-migrate
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:latest
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: cart
#         namespace: shop
#       spec:
#         selector:
#           matchLabels:
#             app: cart
#         template:
#           metadata:
#             labels:
#               app: cart
#           spec:
#             initContainers:
#             - name: migrate
#               image: registry.example.com/shop/cart-migrate:1.4.2
#             containers:
#             - name: cart
#               image: registry.example.com/shop/cart:1.4.2@sha256:3b5c8a6e2f1d4c7b9a0e8f6d5c4b3a2918171615141312111009080706050403
package meshaudit.rules.pod_11

import data.meshaudit.lib
import rego.v1

# workloads: lib.workloads' entries, built null-safe. lib.workloads calls
# object.get on the pod template's metadata, so a template with
# `metadata: null` (an empty `metadata:` line in YAML, which Kubernetes
# accepts) is a built-in type error; under the engine's strict built-in
# errors the whole rule would turn unknown. Same shape and owner filtering
# as lib.workloads.
workloads contains w if {
	some k in lib.workload_kinds
	some obj in lib.objects(k)
	not lib.owned(obj)
	t := lib.pod_template(obj)
	is_object(t)
	meta := as_object(object.get(t, "metadata", {}))
	w := {
		"obj": obj,
		"kind": obj.kind,
		"namespace": lib.ns(obj),
		"resource": lib.resource(obj),
		"labels": as_object(object.get(meta, "labels", {})),
		"annotations": as_object(object.get(meta, "annotations", {})),
		"spec": as_object(object.get(t, "spec", {})),
	}
}

as_object(x) := x if is_object(x) else := {}

kind_label := {
	"containers": "container",
	"initContainers": "init container",
	"ephemeralContainers": "ephemeral container",
}

moving_tags := {"latest", "stable", "main", "master", "edge", "nightly", "dev", "develop", "snapshot", "canary"}

approved := lib.params.approved_registries

# qualified: the image with Docker's implicit registry and library/ added.
qualified(img) := img if {
	parts := split(img, "/")
	count(parts) > 1
	registry_host(parts[0])
} else := concat("", ["docker.io/library/", img]) if {
	not contains(img, "/")
} else := concat("", ["docker.io/", img])

registry_host(h) if contains(h, ".")

registry_host(h) if contains(h, ":")

registry_host("localhost")

registry_ok(_) if count(approved) == 0

registry_ok(img) if {
	some p in approved
	startswith(img, p)
}

registry_ok(img) if {
	some p in approved
	startswith(qualified(img), p)
}

digest_pinned(img) if regex.match(`@sha256:[0-9a-fA-F]{64}$`, img)

# tag: the tag of the image (after the last ":" of the last path element),
# undefined when untagged.
tag(img) := t if {
	name := split(img, "@")[0]
	parts := split(name, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := substring(last, indexof(last, ":") + 1, -1)
}

registry_problems(img) := [] if {
	registry_ok(img)
} else := [sprintf("not from an approved registry (approved: %s)", [concat(", ", approved)])]

pin_problems(img) := [] if {
	digest_pinned(img)
} else := [sprintf("tag %q moves (pin by digest or an immutable version tag)", [t])] if {
	t := tag(img)
	lower(t) in moving_tags
} else := [] if {
	t := tag(img)
	t != ""
} else := ["no tag, so it pulls \"latest\" (pin by digest or an immutable version tag)"]

problems(img) := array.concat(registry_problems(img), pin_problems(img))

image(c) := i if {
	i := c.image
	is_string(i)
	i != ""
}

deny contains {
	"msg": sprintf("%s %q image %q: %s", [kind_label[x.kind], x.c.name, img, concat("; ", p)]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some x in lib.app_containers(w)
	img := image(x.c)
	img != "auto"
	p := problems(img)
	count(p) > 0
}

deny contains {
	"msg": sprintf("%s %q has no image", [kind_label[x.kind], x.c.name]),
	"resource": w.resource,
} if {
	some w in workloads
	lib.in_scope(w.namespace)
	some x in lib.app_containers(w)
	not image(x.c)
}
