# METADATA
# title: Readiness and liveness probes on long-running containers
# description: |
#   Every app container of a long-running workload (Deployment, StatefulSet,
#   DaemonSet, ReplicaSet, bare Pod) needs a readinessProbe, so it gets no
#   traffic before it can serve (and a rollout waits for it), and a
#   livenessProbe, so a wedged process is restarted instead of failing
#   requests. Native sidecar init containers (restartPolicy: Always) run for
#   the pod's lifetime and support probes, so they are judged too; ordinary
#   init containers and ephemeral containers cannot have these probes. Jobs,
#   CronJobs, Pods owned by a Job and bare Pods with restartPolicy Never or
#   OnFailure run to completion and are not judged. A startupProbe for slow
#   starters is recommended but not required (slowness is not visible in the
#   spec). Istio's own injected containers are not judged. One finding per
#   workload lists every container missing a probe, with the probe fields'
#   paths as evidence; the workloads judged are the long-running ones with
#   at least one such container.
# custom:
#   id: HA-01
#   severity: medium
#   controls: [CP-10, SC-24]
#   inputs: [workloads]
#   subjects: [Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod]
#   remediation: |
#     Add a `readinessProbe` and a `livenessProbe` (httpGet, grpc, tcpSocket or
#     exec) to each listed container, with initialDelaySeconds, periodSeconds,
#     timeoutSeconds and failureThreshold set for the application; add a
#     `startupProbe` when start-up is slow rather than a long initialDelaySeconds.
#   examples:
#     fail: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: razzee
#       spec:
#         replicas: 5
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#           spec:
#             containers:
#             - name: alb-api
#               image: registry.example.com/razzee/alb-api:3.2.0
#               ports:
#               - name: http
#                 containerPort: 8080
#               readinessProbe:
#                 httpGet:
#                   path: /healthz
#                   port: http
#     pass: |
#       apiVersion: apps/v1
#       kind: Deployment
#       metadata:
#         name: alb-api
#         namespace: razzee
#       spec:
#         replicas: 5
#         selector:
#           matchLabels:
#             app: alb-api
#         template:
#           metadata:
#             labels:
#               app: alb-api
#           spec:
#             containers:
#             - name: alb-api
#               image: registry.example.com/razzee/alb-api:3.2.0
#               ports:
#               - name: http
#                 containerPort: 8080
#               startupProbe:
#                 httpGet:
#                   path: /healthz
#                   port: http
#                 periodSeconds: 5
#                 failureThreshold: 30
#               readinessProbe:
#                 httpGet:
#                   path: /healthz
#                   port: http
#                 initialDelaySeconds: 5
#                 periodSeconds: 10
#                 timeoutSeconds: 2
#                 failureThreshold: 3
#               livenessProbe:
#                 httpGet:
#                   path: /livez
#                   port: http
#                 initialDelaySeconds: 10
#                 periodSeconds: 20
#                 timeoutSeconds: 2
#                 failureThreshold: 3
package meshaudit.rules.ha_01

import data.meshaudit.lib
import rego.v1

long_running := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod"}

probes := ["readinessProbe", "livenessProbe"]

handlers := ["exec", "httpGet", "tcpSocket", "grpc"]

# completes: a bare or live Pod that runs to completion.
completes(w) if {
	w.kind == "Pod"
	w.spec.restartPolicy in {"Never", "OnFailure"}
}

completes(w) if {
	w.kind == "Pod"
	some ref in object.get(w.obj.metadata, "ownerReferences", [])
	ref.kind in {"Job", "CronJob"}
}

# probed: containers that run for the pod's lifetime and accept probes.
probed(x) := "container" if x.kind == "containers"

probed(x) := "sidecar init container" if {
	x.kind == "initContainers"
	x.c.restartPolicy == "Always"
}

# has_probe: the probe is set with a handler.
has_probe(c, p) if {
	pr := c[p]
	is_object(pr)
	some h in handlers
	object.get(pr, h, null) != null
}

# long_running_subjects: the workloads judged: long-running, in scope, with
# at least one container that can have these probes.
subjects contains w if {
	some w in lib.workloads
	w.kind in long_running
	lib.in_scope(w.namespace)
	not completes(w)
	some x in lib.app_containers(w)
	probed(x)
}

judged contains w.resource if some w in subjects

# probe_evidence: the probe field of the container, with its value when it
# is set without a handler.
probe_evidence(w, x, p) := {"path": sprintf("%s.%s", [lib.container_path(w, x), p]), "value": x.c[p]} if {
	x.c[p] != null
} else := {"path": sprintf("%s.%s", [lib.container_path(w, x), p])}

problems contains {
	"resource": w.resource,
	"msg": sprintf("%s %q has no %s; add %s (and a startupProbe where it starts slowly)", [label, x.c.name, concat(" and no ", missing), concat(" and ", missing)]),
	"evidence": [probe_evidence(w, x, p) | some p in missing],
} if {
	some w in subjects
	some x in lib.app_containers(w)
	label := probed(x)
	missing := [p | some p in probes; not has_probe(x.c, p)]
	count(missing) > 0
}

# One finding per workload, listing every container.
deny contains f if some f in lib.findings_per_subject(problems)

not_applicable contains "no long-running workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod) with an app container in the input" if count(judged) == 0
