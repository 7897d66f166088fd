# METADATA
# title: Kubernetes API audit logging configured
# description: |
#   The kube-apiserver must write audit events: `--audit-policy-file` (without
#   a policy no event is recorded) and a backend, `--audit-log-path` or
#   `--audit-webhook-config-file`. Judged from the kube-apiserver static pods
#   (namespace kube-system, label component=kube-apiserver; their command
#   and args) when the input holds them, although kube-system is otherwise
#   out of scope. Otherwise the operator's assertion
#   `audit_logging_configured` decides; without it a live scan (a managed
#   control plane shows no API server pod) is unknown, and a manifest scan
#   without the static-pod manifest is not applicable ("only a live scan or
#   params.audit_logging_configured can tell"; API-server flags are a
#   live-only fact). Judged: the static pods, else the cluster when the
#   parameter is set; findings carry the flags (or the parameter) as
#   evidence.
# custom:
#   id: TEL-04
#   severity: high
#   controls: [AU-2, AU-12]
#   inputs: [Pod]
#   remediation: |
#     Start kube-apiserver with `--audit-policy-file=<policy>` and
#     `--audit-log-path=<file>` (with `--audit-log-maxage`,
#     `--audit-log-maxbackup`, `--audit-log-maxsize`) or
#     `--audit-webhook-config-file`. On a managed control plane enable the
#     provider's audit logs and set `audit_logging_configured: true` in the
#     meshaudit parameters.
#   examples:
#     fail: |
#       # /etc/kubernetes/manifests/kube-apiserver.yaml (static pod)
#       apiVersion: v1
#       kind: Pod
#       metadata:
#         name: kube-apiserver
#         namespace: kube-system
#         labels:
#           component: kube-apiserver
#           tier: control-plane
#       spec:
#         hostNetwork: true
#         priorityClassName: system-node-critical
#         containers:
#         - name: kube-apiserver
#           image: registry.k8s.io/kube-apiserver:v1.33.1
#           command:
#           - kube-apiserver
#           - --advertise-address=10.0.0.10
#           - --authorization-mode=Node,RBAC
#           - --etcd-servers=https://127.0.0.1:2379
#           - --secure-port=6443
#     pass: |
#       # /etc/kubernetes/manifests/kube-apiserver.yaml (static pod)
#       apiVersion: v1
#       kind: Pod
#       metadata:
#         name: kube-apiserver
#         namespace: kube-system
#         labels:
#           component: kube-apiserver
#           tier: control-plane
#       spec:
#         hostNetwork: true
#         priorityClassName: system-node-critical
#         containers:
#         - name: kube-apiserver
#           image: registry.k8s.io/kube-apiserver:v1.33.1
#           command:
#           - kube-apiserver
#           - --advertise-address=10.0.0.10
#           - --authorization-mode=Node,RBAC
#           - --etcd-servers=https://127.0.0.1:2379
#           - --secure-port=6443
#           - --audit-policy-file=/etc/kubernetes/audit/policy.yaml
#           - --audit-log-path=/var/log/kubernetes/audit/audit.log
#           - --audit-log-maxage=30
#           - --audit-log-maxbackup=10
#           - --audit-log-maxsize=100
package meshaudit.rules.tel_04

import data.meshaudit.lib
import rego.v1

apiservers := [p |
	some p in lib.objects("Pod")
	lib.ns(p) == "kube-system"
	lib.labels(p).component == "kube-apiserver"
]

words(c) := array.concat(object.get(c, "command", []), object.get(c, "args", []))

# flag(p, name): the pod's kube-apiserver container passes --name with a
# non-empty value (--name=value or --name value).
flag(p, name) if flag_value(p, name)

flag_value(p, name) := v if {
	some c in p.spec.containers
	ws := words(c)
	some w in ws
	startswith(w, sprintf("--%s=", [name]))
	v := trim_space(substring(w, count(name) + 3, -1))
	v != ""
}

flag_value(p, name) := v if {
	some c in p.spec.containers
	ws := words(c)
	some i, w in ws
	w == sprintf("--%s", [name])
	v := trim_space(ws[i + 1])
	v != ""
	not startswith(ws[i + 1], "--")
}

backend(p) if flag(p, "audit-log-path")

backend(p) if flag(p, "audit-webhook-config-file")

# flag_evidence: where the absent flag would be: the command and args of
# the kube-apiserver container (the first one naming it, else the first).
apiserver_index(p) := min({i |
	some i, c in p.spec.containers
	some w in words(c)
	contains(w, "kube-apiserver")
}) if {
	some c in p.spec.containers
	some w in words(c)
	contains(w, "kube-apiserver")
} else := 0

flag_evidence(p, name) := {"path": sprintf("spec.containers[%d].command and args: --%s", [apiserver_index(p), name])}

deny contains {
	"msg": "kube-apiserver runs without --audit-policy-file, so it records no audit events",
	"resource": lib.resource(p),
	"evidence": [flag_evidence(p, "audit-policy-file")],
} if {
	some p in apiservers
	not flag(p, "audit-policy-file")
}

deny contains {
	"msg": "kube-apiserver has no audit backend: neither --audit-log-path nor --audit-webhook-config-file is set",
	"resource": lib.resource(p),
	"evidence": [flag_evidence(p, "audit-log-path"), flag_evidence(p, "audit-webhook-config-file")],
} if {
	some p in apiservers
	not backend(p)
}

asserted := lib.params.audit_logging_configured

deny contains {
	"msg": "params.audit_logging_configured is false: the operator states that Kubernetes API audit logging is not configured",
	"resource": lib.mesh_resource,
	"evidence": [{"path": "params.audit_logging_configured", "value": false}],
} if {
	count(apiservers) == 0
	asserted == false
}

# judged: the kube-apiserver static pods of the input, else the cluster
# (the mesh resource) when the operator states whether audit logging is on.
judged contains lib.resource(p) if some p in apiservers

judged contains lib.mesh_resource if {
	count(apiservers) == 0
	asserted != null
}

unknown contains "audit logging is not visible from cluster objects (managed control plane); set params.audit_logging_configured" if {
	count(apiservers) == 0
	asserted == null
	lib.live
}

not_applicable contains "only a live scan or params.audit_logging_configured can tell whether the Kubernetes API server writes audit logs: the input holds no kube-apiserver static pod (kube-system, component=kube-apiserver)" if {
	count(apiservers) == 0
	asserted == null
	not lib.live
}
