# METADATA
# title: Pod Security Admission enforced on application namespaces
# description: |
#   Every in-scope application namespace (not excluded, not the Istio root)
#   must carry the label `pod-security.kubernetes.io/enforce` at the level
#   required by `pod_security_level` (restricted by default; with baseline,
#   baseline or restricted passes). Without it the built-in Pod Security
#   admission controller rejects nothing there (unless a cluster-wide
#   AdmissionConfiguration default, which is not visible from cluster objects,
#   says otherwise), so every other workload-hardening check is advisory only.
#   Levels are the Pod Security Standards' privileged < baseline < restricted;
#   a value that is not one of them (the labels are case-sensitive) is
#   reported as invalid. A namespace seen only through the objects in it (no
#   Namespace object in the input) is implied (docs/verdicts.md): judged
#   with the labels `namespace_labels` states for it, else none, and the
#   message says so. A namespace the input neither holds nor implies is
#   never judged. Every finding carries the label (or the lookup that found
#   no Namespace object) as evidence. Sidecar pods pass baseline and restricted only with Istio CNI
#   (POD-02): `istio-init` needs NET_ADMIN and NET_RAW.
# custom:
#   id: POD-01
#   severity: high
#   controls: [CM-6, CM-7]
#   inputs: [Namespace, workloads]
#   subjects: [Namespace, workloads]
#   remediation: |
#     Label each application namespace
#     `pod-security.kubernetes.io/enforce: restricted` (or at least the level
#     set in `pod_security_level`), optionally with
#     `pod-security.kubernetes.io/enforce-version`, after checking with
#     `kubectl label --dry-run=server` that its pods comply. Use Istio CNI so
#     that sidecar pods need no NET_ADMIN/NET_RAW. Keep the Namespace object
#     with the application's manifests so its labels can be checked.
#   examples:
#     fail: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: shop
#         labels:
#           istio-injection: enabled
#           pod-security.kubernetes.io/enforce: baseline
#     pass: |
#       apiVersion: v1
#       kind: Namespace
#       metadata:
#         name: shop
#         labels:
#           istio-injection: enabled
#           pod-security.kubernetes.io/enforce: restricted
#           pod-security.kubernetes.io/enforce-version: latest
package meshaudit.rules.pod_01

import data.meshaudit.lib
import rego.v1

label := "pod-security.kubernetes.io/enforce"

rank := {"privileged": 0, "baseline": 1, "restricted": 2}

# accepted: the levels that satisfy the required one.
accepted := {l | some l, r in rank; r >= rank[lib.params.pod_security_level]}

accepted_text := "restricted" if lib.params.pod_security_level == "restricted"

accepted_text := "baseline or restricted" if lib.params.pod_security_level == "baseline"

judged contains lib.namespace_resource(n) if some n in lib.app_namespaces

deny contains {
	"msg": sprintf("namespace %q%s has no %s label, so Pod Security admission enforces no level there (want %s)", [n, lib.ns_note(n), label, accepted_text]),
	"resource": lib.namespace_resource(n),
	"evidence": [lib.ns_label_evidence(n, label)],
} if {
	some n in lib.app_namespaces
	l := lib.ns_labels(n)
	not label in object.keys(l)
}

deny contains {
	"msg": sprintf("namespace %q%s has %s=%s, below the required level (want %s)", [n, lib.ns_note(n), label, v, accepted_text]),
	"resource": lib.namespace_resource(n),
	"evidence": [lib.ns_label_evidence(n, label)],
} if {
	some n in lib.app_namespaces
	v := lib.ns_labels(n)[label]
	v in object.keys(rank)
	not v in accepted
}

deny contains {
	"msg": sprintf("namespace %q%s has %s=%q, which is not a Pod Security level (privileged, baseline, restricted; case-sensitive) (want %s)", [n, lib.ns_note(n), label, v, accepted_text]),
	"resource": lib.namespace_resource(n),
	"evidence": [lib.ns_label_evidence(n, label)],
} if {
	some n in lib.app_namespaces
	v := lib.ns_labels(n)[label]
	not v in object.keys(rank)
}

not_applicable contains "no application namespace in the input (the root namespace and excluded namespaces are not judged)" if count(judged) == 0
