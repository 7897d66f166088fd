# 12 pod-spec rules (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob).
package main

# 1
deny contains msg if {
	some c in containers
	sc(c, "privileged", false) == true
	msg := sprintf("%s: container %q is privileged", [obj, c.name])
}

# 2: runAsNonRoot on the container, or inherited from the pod.
deny contains msg if {
	some c in containers
	sc(c, "runAsNonRoot", object.get(pod_spec, ["securityContext", "runAsNonRoot"], false)) != true
	msg := sprintf("%s: container %q does not set runAsNonRoot", [obj, c.name])
}

# 3
deny contains msg if {
	some c in containers
	sc(c, "allowPrivilegeEscalation", true) != false
	msg := sprintf("%s: container %q does not set allowPrivilegeEscalation: false", [obj, c.name])
}

# 4
deny contains msg if {
	some c in containers
	count(object.get(c, ["resources", "limits"], {})) == 0
	msg := sprintf("%s: container %q has no resource limits", [obj, c.name])
}

# 5
deny contains msg if {
	some c in containers
	not c.resources.requests.memory
	msg := sprintf("%s: container %q has no memory request", [obj, c.name])
}

# 6
deny contains msg if {
	some c in containers
	latest_or_untagged(c.image)
	msg := sprintf("%s: container %q uses a latest or untagged image %q", [obj, c.name, c.image])
}

latest_or_untagged(image) if endswith(image, ":latest")

latest_or_untagged(image) if {
	not contains(image, "@")
	parts := split(image, "/")
	not contains(parts[count(parts) - 1], ":")
}

# 7
deny contains msg if {
	pod_spec.hostNetwork == true
	msg := sprintf("%s: uses the host network", [obj])
}

# 8
deny contains msg if {
	pod_spec.hostPID == true
	msg := sprintf("%s: shares the host PID namespace", [obj])
}

# 9
deny contains msg if {
	pod_spec.hostIPC == true
	msg := sprintf("%s: shares the host IPC namespace", [obj])
}

# 10
deny contains msg if {
	some v in pod_spec.volumes
	v.hostPath
	msg := sprintf("%s: volume %q is a hostPath", [obj, v.name])
}

# 11
deny contains msg if {
	some c in containers
	sc(c, "readOnlyRootFilesystem", false) != true
	msg := sprintf("%s: container %q root filesystem is not read-only", [obj, c.name])
}

# 12
deny contains msg if {
	some c in containers
	not "ALL" in object.get(c, ["securityContext", "capabilities", "drop"], [])
	msg := sprintf("%s: container %q does not drop ALL capabilities", [obj, c.name])
}
