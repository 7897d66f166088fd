# Helpers shared by the benchmark's conftest rules. conftest passes each YAML
# document as its own `input`, so every rule looks at one Kubernetes object.
package main

workload_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}

pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.template.spec if input.kind in workload_kinds

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

containers contains c if some c in pod_spec.containers

containers contains c if some c in pod_spec.initContainers

# kind/namespace/name of the object under test, for messages.
obj := sprintf("%s %s/%s", [input.kind, object.get(input, ["metadata", "namespace"], "-"), input.metadata.name])

sc(c, field, default_value) := object.get(c, ["securityContext", field], default_value)
