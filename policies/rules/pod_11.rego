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
#   the next pull. A tag without any digit (`alpine`, `slim`, `lts`) names a
#   variant, not a version, and moves the same way. Version tags such as
#   `1.4.2` are accepted as immutable by convention: whether a registry enforces tag immutability is not visible
#   from cluster objects; digests are the stronger pin. Image `auto` (filled
#   in by Istio's gateway injection) and Istio's injected containers are not
#   judged, nor are build-tool placeholders, which the tool replaces at
#   deploy time: `ko://` references, and a name written with no tag and no
#   digest exactly as the input declares it — a skaffold build artifact
#   (`build.artifacts[].image`, also in profiles), the image a kustomize
#   `images:` entry leaves untagged (no `newTag`, no `digest`: the deploy
#   pipeline sets it), or a name listed in `placeholder_images` (e.g.
#   `image: paymentservice` in microservices-demo's manifests). A declared
#   name written with a tag or digest is judged as any reference. Each
#   placeholder not judged is a `placeholder` notice naming the declaration
#   (file and line). A container without an image is an input-validity
#   problem (the API server rejects it), not reported here. One finding per
#   workload lists every container's image problems, with each image as
#   evidence.
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
} else := [sprintf("tag %q names no version, so it moves with every push of that variant (pin by digest or an immutable version tag)", [t])] if {
	t := tag(img)
	t != ""
	not regex.match(`[0-9]`, t)
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

# ---- build-tool placeholders -------------------------------------------------

placeholder_names := {n | some n in object.get(lib.params, "placeholder_images", [])}

# declared[img]: where the input declares image name img a build-tool
# placeholder (input.image_placeholders, collected from skaffold
# configurations and kustomize images: entries that set no tag or digest;
# see snapshot.ImagePlaceholder), in the collector's order.
declared := {img: [p | some p in object.get(input, "image_placeholders", []); p.image == img] |
	some q in object.get(input, "image_placeholders", [])
	img := q.image
}

untagged(img) if {
	not contains(img, "@")
	not tag(img)
}

# placeholder_source(img): why img is a reference a build tool replaces at
# deploy time, undefined when it is not one: ko's `ko://<import path>`, or a
# name written exactly as declared (input.image_placeholders, then
# params.placeholder_images) with no tag and no digest. A declared name
# written with a tag or digest is a real reference, judged as any other.
placeholder_source(img) := "a ko:// reference, which ko builds and resolves at deploy time" if {
	startswith(img, "ko://")
} else := sprintf("a %s", [declaration(declared[img][0])]) if {
	untagged(img)
	count(object.get(declared, img, [])) > 0
} else := "listed in params.placeholder_images" if {
	untagged(img)
	img in placeholder_names
}

declaration(p) := sprintf("skaffold build artifact (%s %s)", [where(p), p.field]) if {
	p.tool == "skaffold"
} else := sprintf("kustomize images: entry that sets no newTag or digest (%s %s), so the deploy pipeline sets its tag", [where(p), p.field]) if {
	p.tool == "kustomize"
} else := sprintf("%s placeholder (%s)", [p.tool, where(p)])

where(p) := sprintf("%s:%d", [p.file, p.line]) if p.line > 0

else := p.file

placeholder(img) if placeholder_source(img)

# judgeable(x): an app container whose image this rule judges: set (a
# container without one is an input-validity problem the API server
# rejects, not an image-pinning one), not Istio's gateway `auto`, not a
# build-tool placeholder.
judgeable(x) := img if {
	img := image(x.c)
	img != "auto"
	not placeholder(img)
}

candidates contains w if {
	some w in lib.workloads
	lib.in_scope(w.namespace)
}

judged contains w.resource if {
	some w in candidates
	some x in lib.app_containers(w)
	judgeable(x)
}

not_applicable contains "every app container image in scope is a build-tool placeholder (ko://, a skaffold artifact, a kustomize images: entry without a tag, params.placeholder_images) or unset, so no image reference can be judged; the placeholders are listed in the notices" if {
	count(judged) == 0
	some w in candidates
	some x in lib.app_containers(w)
	not judgeable(x)
	not image(x.c) == "auto"
}

container_problems(w) := [{
	"text": sprintf("%s %q image %q: %s", [lib.container_kind_labels[x.kind], x.c.name, img, concat("; ", p)]),
	"evidence": {"path": sprintf("%s.image", [lib.container_path(w, x)]), "value": img},
} |
	some x in lib.app_containers(w)
	img := judgeable(x)
	p := problems(img)
	count(p) > 0
]

deny contains {
	"msg": concat("; ", [p.text | some p in ps]),
	"resource": w.resource,
	"evidence": [p.evidence | some p in ps],
} if {
	some w in candidates
	ps := container_problems(w)
	count(ps) > 0
}

# notices: each container image not judged because a build tool replaces
# it, and why, so that the report says what was not judged.
notices contains {
	"kind": "placeholder",
	"msg": sprintf("%s %q image %q is not judged: it is %s", [lib.container_kind_labels[x.kind], x.c.name, img, placeholder_source(img)]),
	"resource": w.resource,
	"field": sprintf("%s.image", [lib.container_path(w, x)]),
} if {
	some w in candidates
	some x in lib.app_containers(w)
	img := image(x.c)
	placeholder(img)
}
