package meshaudit.lib_meshconfig_test

import data.meshaudit.lib
import data.meshaudit.testlib
import rego.v1

cm(name, mesh) := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "istio-system"}, "data": {"mesh": mesh}}

iop(name, spec) := {"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator", "metadata": {"name": name, "namespace": "istio-system"}, "spec": spec}

meshfile(spec) := {"apiVersion": "meshaudit.io/v1alpha1", "kind": "MeshConfig", "metadata": {"name": "mesh-config"}, "spec": spec}

values(name, spec) := {"apiVersion": "meshaudit.io/v1alpha1", "kind": "IstiodValues", "metadata": {"name": name}, "spec": spec}

registry_only := {"outboundTrafficPolicy": {"mode": "REGISTRY_ONLY"}}

test_istio_operator_is_a_source if {
	objs := {"IstioOperator": [iop("installed-state", {"meshConfig": object.union(registry_only, {"accessLogFile": "/dev/stdout"})})]}
	lib.has_mesh_config with input as testlib.inp(objs)
	lib.mesh_config.outboundTrafficPolicy.mode == "REGISTRY_ONLY" with input as testlib.inp(objs)
	lib.mesh_configmap.kind == "IstioOperator" with input as testlib.inp(objs)
	lib.mesh_config_source(["accessLogFile"]).name == "installed-state" with input as testlib.inp(objs)
	lib.scope.mesh_config with input as testlib.inp(objs)
}

test_istio_operator_meshconfig_over_values if {
	spec := {"values": {"meshConfig": {"accessLogFile": "/a", "enableTracing": true}}, "meshConfig": {"accessLogFile": "/b"}}
	lib.mesh_config == {"accessLogFile": "/b", "enableTracing": true} with input as testlib.inp({"IstioOperator": [iop("i", spec)]})
}

test_precedence_setting_by_setting if {
	objs := {
		"MeshConfig.meshaudit.io": [meshfile({"accessLogFile": "/from-flag"})],
		"ConfigMap": [cm("istio", "outboundTrafficPolicy: {mode: ALLOW_ANY}\naccessLogFile: /from-cm\nenableTracing: false\n")],
		"IstioOperator": [iop("i", {"meshConfig": object.union(registry_only, {"defaultServiceExportTo": ["."], "enableTracing": true})})],
		"IstiodValues.meshaudit.io": [values("v", {"meshConfig": {"trustDomain": "example.org", "defaultServiceExportTo": ["*"]}})],
	}
	mc := lib.mesh_config with input as testlib.inp(objs)
	mc.accessLogFile == "/from-flag"
	mc.outboundTrafficPolicy.mode == "ALLOW_ANY"
	mc.enableTracing == false
	mc.defaultServiceExportTo == ["."]
	mc.trustDomain == "example.org"
	lib.mesh_config_source(["accessLogFile"]).kind == "MeshConfig" with input as testlib.inp(objs)
	lib.mesh_config_source(["outboundTrafficPolicy", "mode"]).kind == "ConfigMap" with input as testlib.inp(objs)
	lib.mesh_config_source(["defaultServiceExportTo"]).kind == "IstioOperator" with input as testlib.inp(objs)
	lib.mesh_config_source(["trustDomain"]).kind == "IstiodValues" with input as testlib.inp(objs)
	not lib.mesh_config_source(["enableAutoMtls"]) with input as testlib.inp(objs)
	lib.mesh_configmap.kind == "MeshConfig" with input as testlib.inp(objs)
	ev := lib.mesh_setting_evidence(["outboundTrafficPolicy", "mode"]) with input as testlib.inp(objs)
	ev == {"path": "outboundTrafficPolicy.mode", "value": "ALLOW_ANY", "resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "istio-system", "name": "istio"}}
}

test_revisions if {
	objs := {
		"ConfigMap": [cm("istio", "accessLogFile: /default\n"), cm("istio-canary", "accessLogFile: /canary\n"), {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio-ca-root-cert", "namespace": "istio-system"}, "data": {"root-cert.pem": "x"}}],
		"IstioOperator": [iop("installed-state-blue", {"revision": "blue", "meshConfig": registry_only})],
		"Namespace": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "rev-ns", "labels": {"istio.io/rev": "blue"}}}],
	}
	lib.mesh_revisions == {"", "canary", "blue"} with input as testlib.inp(objs)
	lib.mesh_config == {"accessLogFile": "/default"} with input as testlib.inp(objs)
	lib.mesh_config_of("canary") == {"accessLogFile": "/canary"} with input as testlib.inp(objs)
	pod_canary := {"namespace": "app", "labels": {"istio.io/rev": "canary"}, "annotations": {}, "spec": {}}
	lib.mesh_config_for(pod_canary) == {"accessLogFile": "/canary"} with input as testlib.inp(objs)
	in_blue_ns := {"namespace": "rev-ns", "labels": {}, "annotations": {}, "spec": {}}
	lib.workload_revision(in_blue_ns) == "blue" with input as testlib.inp(objs)
	lib.mesh_config_for(in_blue_ns) == registry_only with input as testlib.inp(objs)
	lib.has_mesh_config_for(in_blue_ns) with input as testlib.inp(objs)
	other := {"namespace": "app", "labels": {"istio.io/rev": "green"}, "annotations": {}, "spec": {}}
	not lib.has_mesh_config_for(other) with input as testlib.inp(objs)
}

test_only_a_revision if {
	objs := {"IstioOperator": [iop("installed-state-blue", {"revision": "blue", "meshConfig": registry_only})]}
	lib.mesh_revision == "blue" with input as testlib.inp(objs)
	lib.mesh_config == registry_only with input as testlib.inp(objs)
}

test_no_source if {
	not lib.has_mesh_config with input as testlib.inp({"ConfigMap": [cm("other", "x: 1")]})
	lib.mesh_config == {} with input as testlib.inp({})
	not lib.mesh_configmap with input as testlib.inp({})
	not lib.scope.mesh_config with input as testlib.inp({})
}

test_empty_istio_configmap_is_a_source if {
	objs := {"ConfigMap": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}}]}
	lib.has_mesh_config with input as testlib.inp(objs)
	lib.mesh_config == {} with input as testlib.inp(objs)
}
