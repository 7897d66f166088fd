# conftest verify -p bench/conftest/policy
package main

good_container := {
	"name": "app",
	"image": "registry.example.com/app:1.2.3",
	"resources": {"limits": {"cpu": "1", "memory": "256Mi"}, "requests": {"memory": "128Mi"}},
	"securityContext": {
		"runAsNonRoot": true,
		"allowPrivilegeEscalation": false,
		"readOnlyRootFilesystem": true,
		"capabilities": {"drop": ["ALL"]},
	},
}

deployment(pod) := {
	"apiVersion": "apps/v1", "kind": "Deployment",
	"metadata": {"name": "api", "namespace": "shop"},
	"spec": {"template": {"spec": pod}},
}

test_good_deployment_passes if {
	count(deny) == 0 with input as deployment({"containers": [good_container]})
}

test_privileged_deployment if {
	bad := object.union(good_container, {"securityContext": {"privileged": true}})
	msgs := deny with input as deployment({"containers": [bad]})
	"Deployment shop/api: container \"app\" is privileged" in msgs
}

test_cronjob_latest_image_and_host_path if {
	bad := object.union(good_container, {"image": "nginx"})
	pod := {"containers": [bad], "volumes": [{"name": "root", "hostPath": {"path": "/"}}]}
	cj := {
		"kind": "CronJob", "metadata": {"name": "c", "namespace": "n"},
		"spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}},
	}
	msgs := deny with input as cj
	count(msgs) == 2
}

test_pod_level_run_as_non_root_is_inherited if {
	c := json.remove(good_container, ["securityContext/runAsNonRoot"])
	pod := {"kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "spec": {"securityContext": {"runAsNonRoot": true}, "containers": [c]}}
	count(deny) == 0 with input as pod
}

test_all_fifteen_rules_fire if {
	bad := {"name": "bad", "image": "nginx:latest", "securityContext": {"privileged": true}}
	pod := {"kind": "Pod", "metadata": {"name": "p", "namespace": "n"}, "spec": {
		"hostNetwork": true, "hostPID": true, "hostIPC": true,
		"containers": [bad], "volumes": [{"name": "h", "hostPath": {"path": "/var"}}],
	}}
	svc := {"kind": "Service", "metadata": {"name": "s", "namespace": "n"}, "spec": {"type": "NodePort"}}
	pa := {"kind": "PeerAuthentication", "metadata": {"name": "default", "namespace": "n"}, "spec": {"mtls": {"mode": "PERMISSIVE"}}}
	dr := {"kind": "DestinationRule", "metadata": {"name": "d", "namespace": "n"}, "spec": {"host": "h", "subsets": [{"name": "v1", "trafficPolicy": {"tls": {"mode": "DISABLE"}}}]}}
	d_pod := deny with input as pod
	d_svc := deny with input as svc
	d_pa := deny with input as pa
	d_dr := deny with input as dr
	count(d_pod) == 12
	count(((d_svc | d_pa) | d_dr)) == 3
}

test_strict_peer_authentication_and_cluster_ip_service_pass if {
	count(deny) == 0 with input as {"kind": "PeerAuthentication", "metadata": {"name": "default"}, "spec": {"mtls": {"mode": "STRICT"}}}
	count(deny) == 0 with input as {"kind": "Service", "metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}}
}
