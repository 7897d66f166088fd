package meshaudit.rules.pod_09_test

import data.meshaudit.rules.pod_09
import data.meshaudit.testlib
import rego.v1

deploy(ns, spec) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": "web", "namespace": ns},
	"spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": spec}},
}

run(spec) := testlib.strip(d) if {
	d := pod_09.deny with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}

test_plain_env_and_configmap_pass if {
	c := {
		"name": "app",
		"env": [
			{"name": "MODE", "value": "prod"},
			{"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}},
			{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
		],
		"envFrom": [{"configMapRef": {"name": "cfg"}}],
	}
	count(run({"containers": [c]})) == 0
}

test_secret_key_ref_fails if {
	c := {"name": "app", "env": [{"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}
	run({"containers": [c]}) == {{
		"msg": "container \"app\" takes Secret values into environment variables: env DB_PASSWORD from Secret db key password; mount the Secrets as files instead",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_env_from_secret_and_key_ref_in_one_finding if {
	c := {
		"name": "migrate",
		"env": [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}}],
		"envFrom": [{"secretRef": {"name": "db-creds"}, "prefix": "DB_"}, {"configMapRef": {"name": "cfg"}}],
	}
	run({"initContainers": [c], "containers": [{"name": "app"}]}) == {{
		"msg": "init container \"migrate\" takes Secret values into environment variables: env TOKEN from Secret api key token; envFrom Secret db-creds (prefix DB_); mount the Secrets as files instead",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_secret_volume_passes if {
	spec := {
		"containers": [{"name": "app", "volumeMounts": [{"name": "db", "mountPath": "/etc/db", "readOnly": true}]}],
		"volumes": [{"name": "db", "secret": {"secretName": "db", "defaultMode": 256}}],
	}
	count(run(spec)) == 0
}

test_injected_istio_proxy_ignored if {
	p := {
		"apiVersion": "v1",
		"kind": "Pod",
		"metadata": {"name": "p", "namespace": "shop", "annotations": {"sidecar.istio.io/status": "{}"}},
		"spec": {"containers": [{"name": "app"}, {"name": "istio-proxy", "envFrom": [{"secretRef": {"name": "x"}}]}]},
	}
	count(pod_09.deny) == 0 with input as testlib.inp({"Pod": [p]})
}

test_excluded_namespace_ignored if {
	c := {"name": "app", "envFrom": [{"secretRef": {"name": "x"}}]}
	count(pod_09.deny) == 0 with input as testlib.inp({"Deployment": [deploy("kube-system", {"containers": [c]})]})
}

test_template_with_null_metadata_judged if {
	c := {"name": "app", "envFrom": [{"secretRef": {"name": "x"}}]}
	d := object.union(deploy("shop", {"containers": [c]}), {"spec": {"template": {"metadata": null}}})
	count(pod_09.deny) == 1 with input as testlib.inp({"Deployment": [d]})
}

test_incomplete_refs_still_reported if {
	c := {"name": "app", "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s"}}}], "envFrom": [{"secretRef": {}}]}
	run({"containers": [c]}) == {{
		"msg": "container \"app\" takes Secret values into environment variables: env X from Secret s key ; envFrom Secret ; mount the Secrets as files instead",
		"resource": testlib.deployment_ref("shop", "web"),
	}}
}

test_one_finding_per_workload_with_evidence if {
	spec := {
		"initContainers": [{"name": "init", "image": "r/i:1", "envFrom": [{"secretRef": {"name": "db"}}]}],
		"containers": [{"name": "app", "image": "r/a:1", "env": [{"name": "A", "value": "x"}, {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}],
	}
	pod_09.deny == {{
		"msg": "init container \"init\" takes Secret values into environment variables: envFrom Secret db; container \"app\" takes Secret values into environment variables: env B from Secret s key k; mount the Secrets as files instead",
		"resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
		"evidence": [
			{"path": "spec.template.spec.initContainers[0].envFrom[0].secretRef", "value": {"name": "db"}},
			{"path": "spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef", "value": {"name": "s", "key": "k"}},
		],
	}} with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
	count(pod_09.judged) == 1 with input as testlib.inp({"Deployment": [deploy("shop", spec)]})
}
