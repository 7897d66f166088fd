# METADATA
# title: Supported Istio version
# description: |
#   The minor version of every istiod (the tag of its `discovery` container
#   image, e.g. `docker.io/istio/pilot:1.31.2-distroless` is 1.31) must be in
#   the organisation's supported list (`supported_istio_versions`). An
#   unsupported control plane no longer receives security fixes. An image
#   pinned by digest only, or a tag that is not a version, cannot be mapped
#   to a version: the rule is then unknown with the image named. Judged:
#   every istiod whose image maps to a version; findings carry the image
#   field as evidence.
# custom:
#   id: CP-01
#   severity: high
#   controls: [SI-2, SA-22]
#   inputs: [Deployment]
#   requires: [istio]
#   remediation: |
#     Upgrade istiod (revision-based canary upgrade: install the new
#     revision, move namespaces with `istio.io/rev`, restart workloads,
#     remove the old revision) to a supported minor version, and use a
#     versioned image tag (a digest may be added: `pilot:1.31.2@sha256:...`).
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
#                 image: docker.io/istio/pilot:1.22.3-distroless
#                 args:
#                   - discovery
#                   - --monitoringAddr=:15014
#                   - --domain
#                   - cluster.local
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
package meshaudit.rules.cp_01

import data.meshaudit.lib
import rego.v1

containers(d) := object.get(d, ["spec", "template", "spec", "containers"], [])

# The discovery container, else the only container: [index, image].
image_at(d) := [i, c.image] if {
	some i, c in containers(d)
	c.name == "discovery"
} else := [0, containers(d)[0].image] if count(containers(d)) == 1

image(d) := image_at(d)[1]

image_evidence(d) := {"path": sprintf("spec.template.spec.containers[%d].image", [image_at(d)[0]]), "value": image(d)}

# minor: "1.31" from "1.31.2", "1.31.2-distroless", "v1.31.0-debug".
minor(img) := sprintf("%s.%s", [m[1], m[2]]) if {
	m := regex.find_all_string_submatch_n(`^v?([0-9]+)\.([0-9]+)(\.|-|_|$)`, lib.image_tag(img), 1)[0]
}

supported := {v | some v in lib.params.supported_istio_versions}

deny contains {
	"msg": sprintf("istiod image %s is Istio %s, not in the supported versions %s", [img, v, concat(", ", sort(supported))]),
	"resource": lib.resource(d),
	"evidence": [image_evidence(d)],
} if {
	some d in lib.istiods
	img := image(d)
	v := minor(img)
	not v in supported
}

# judged: every istiod whose image maps to a version.
judged contains lib.resource(d) if {
	some d in lib.istiods
	minor(image(d))
}

unknown contains sprintf("istiod %s/%s image %s is pinned by digest only, so its Istio version is unknown: add the version tag (name:tag@digest)", [lib.ns(d), lib.name(d), img]) if {
	some d in lib.istiods
	img := image(d)
	lib.image_tag(img) == ""
	contains(img, "@")
}

unknown contains sprintf("istiod %s/%s image %s has no version tag, so its Istio version is unknown", [lib.ns(d), lib.name(d), img]) if {
	some d in lib.istiods
	img := image(d)
	not minor(img)
	not digest_only(img)
}

unknown contains sprintf("istiod %s/%s has no discovery container, so its image and version are unknown", [lib.ns(d), lib.name(d)]) if {
	some d in lib.istiods
	not image(d)
}

digest_only(img) if {
	lib.image_tag(img) == ""
	contains(img, "@")
}

not_applicable contains "no istiod Deployment in the input" if count(lib.istiods) == 0
