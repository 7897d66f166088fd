package meshaudit.rules.mesh_04_test

import data.meshaudit.lib
import data.meshaudit.rules.mesh_04
import data.meshaudit.testlib
import rego.v1

deploy(name, labels, annotations) := {
	"apiVersion": "apps/v1",
	"kind": "Deployment",
	"metadata": {"name": name, "namespace": "app"},
	"spec": {"template": {
		"metadata": {"labels": labels, "annotations": annotations},
		"spec": {"containers": [{"name": "app", "image": "app:1"}]},
	}},
}

dres(name) := {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "app", "name": name}

deny_for(d) := testlib.strip(x) if {
	x := mesh_04.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_no_annotations_pass if {
	count(deny_for(deploy("web", {}, {}))) == 0
}

# The talk's database clients bypassing the mesh.
test_db_bypass_cidr_fails if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.20.0.0/16, 10.30.1.5/32"})
	deny_for(d) == {{
		"msg": "traffic.sidecar.istio.io/excludeOutboundIPRanges \"10.20.0.0/16, 10.30.1.5/32\" sends traffic to 10.20.0.0/16, 10.30.1.5/32 around the sidecar (no mTLS, no egress policy); remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("orders"),
	}}
}

test_cidr_allowlisted_or_contained_passes if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.20.0.0/16,10.30.1.5/32"})
	p := object.union(lib.params, {"allowed_outbound_bypass_cidrs": ["10.20.0.0/16", "10.30.0.0/16"]})
	count(mesh_04.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
		with data.meshaudit.params as p
}

test_cidr_partly_allowlisted_names_the_rest if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.20.0.0/16,192.168.0.0/24"})
	p := object.union(lib.params, {"allowed_outbound_bypass_cidrs": ["10.0.0.0/8"]})
	some f in mesh_04.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
		with data.meshaudit.params as p
	f.msg == "traffic.sidecar.istio.io/excludeOutboundIPRanges \"10.20.0.0/16,192.168.0.0/24\" sends traffic to 192.168.0.0/24 around the sidecar (no mTLS, no egress policy); remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception"
}

test_invalid_cidr_reported_not_error if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundIPRanges": "db.internal"})
	p := object.union(lib.params, {"allowed_outbound_bypass_cidrs": ["10.0.0.0/8"]})
	d2 := mesh_04.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
		with data.meshaudit.params as p
	count(d2) == 1
}

test_exclude_ports_fails if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundPorts": "5432,3306"})
	deny_for(d) == {{
		"msg": "traffic.sidecar.istio.io/excludeOutboundPorts \"5432,3306\" sends outbound traffic on port(s) 3306, 5432 around the sidecar (no mTLS, no egress policy); remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("orders"),
	}}
}

test_exclude_ports_allowlisted_passes if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"})
	p := object.union(lib.params, {"allowed_outbound_bypass_ports": [5432]})
	count(mesh_04.deny) == 0 with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
		with data.meshaudit.params as p
}

test_include_ranges_restricted_fails if {
	d := deploy("web", {}, {"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.96.0.0/12"})
	deny_for(d) == {{
		"msg": "traffic.sidecar.istio.io/includeOutboundIPRanges \"10.96.0.0/12\" captures only these ranges, so outbound traffic to any other address bypasses the sidecar; remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("web"),
	}}
}

test_include_ranges_wildcard_passes if {
	count(deny_for(deploy("web", {}, {"traffic.sidecar.istio.io/includeOutboundIPRanges": "*"}))) == 0
}

test_include_ranges_empty_fails if {
	deny_for(deploy("web", {}, {"traffic.sidecar.istio.io/includeOutboundIPRanges": ""})) == {{
		"msg": "traffic.sidecar.istio.io/includeOutboundIPRanges \"\" disables outbound capture, so all outbound traffic bypasses the sidecar; remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("web"),
	}}
}

# TEL-03's injected Prometheus: still reported, with a pointer to the exemption.
test_prometheus_pattern_reported_with_note if {
	d := deploy("prometheus", {}, {
		"traffic.sidecar.istio.io/includeInboundPorts": "",
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "",
	})
	deny_for(d) == {{
		"msg": "traffic.sidecar.istio.io/includeOutboundIPRanges \"\" disables outbound capture, so all outbound traffic bypasses the sidecar; this is TEL-03's Prometheus scraping pattern: if this is the mesh's Prometheus, record it as an approved exception; remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("prometheus"),
	}}
}

test_exclude_interfaces_fails if {
	deny_for(deploy("vm", {}, {"traffic.sidecar.istio.io/excludeInterfaces": "net1,net2"})) == {{
		"msg": "traffic.sidecar.istio.io/excludeInterfaces \"net1,net2\" lets traffic on interface(s) net1, net2 bypass the sidecar; remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("vm"),
	}}
}

# includeOutboundPorts and kubevirtInterfaces add capture in istio-iptables.
test_include_ports_and_kubevirt_not_reported if {
	d := deploy("vm", {}, {
		"traffic.sidecar.istio.io/includeOutboundPorts": "443",
		"traffic.sidecar.istio.io/kubevirtInterfaces": "k6t-eth0",
	})
	count(deny_for(d)) == 0
}

# One finding per workload lists every bypass, each annotation as evidence.
test_one_finding_per_workload_with_evidence if {
	d := deploy("orders", {}, {
		"traffic.sidecar.istio.io/excludeOutboundIPRanges": "10.20.0.0/16",
		"traffic.sidecar.istio.io/excludeOutboundPorts": "5432",
		"traffic.sidecar.istio.io/includeOutboundIPRanges": "10.96.0.0/12",
		"traffic.sidecar.istio.io/excludeInterfaces": "net1",
	})
	mesh_04.deny == {{
		"msg": "traffic.sidecar.istio.io/excludeOutboundIPRanges \"10.20.0.0/16\" sends traffic to 10.20.0.0/16 around the sidecar (no mTLS, no egress policy); traffic.sidecar.istio.io/excludeOutboundPorts \"5432\" sends outbound traffic on port(s) 5432 around the sidecar (no mTLS, no egress policy); traffic.sidecar.istio.io/includeOutboundIPRanges \"10.96.0.0/12\" captures only these ranges, so outbound traffic to any other address bypasses the sidecar; traffic.sidecar.istio.io/excludeInterfaces \"net1\" lets traffic on interface(s) net1 bypass the sidecar; remove these annotations, or allow the destinations in allowed_outbound_bypass_cidrs / allowed_outbound_bypass_ports with an approved exception",
		"resource": dres("orders"),
		"evidence": [
			{"path": "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/excludeOutboundIPRanges\"]", "value": "10.20.0.0/16"},
			{"path": "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/excludeOutboundPorts\"]", "value": "5432"},
			{"path": "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/includeOutboundIPRanges\"]", "value": "10.96.0.0/12"},
			{"path": "spec.template.metadata.annotations[\"traffic.sidecar.istio.io/excludeInterfaces\"]", "value": "net1"},
		],
	}} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
	mesh_04.judged == {dres("orders")} with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "Deployment": [d]})
}

test_unenrolled_namespace_ignored if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"})
	count(mesh_04.deny) == 0 with input as testlib.inp({"Namespace": [testlib.namespace("app", {})], "Deployment": [d]})
}

test_opted_out_ignored if {
	d := deploy("orders", {}, {"sidecar.istio.io/inject": "false", "traffic.sidecar.istio.io/excludeOutboundPorts": "5432"})
	count(deny_for(d)) == 0
}

# An implied namespace is not enrolled (docs/verdicts.md): no sidecar, not
# judged, unless params.namespace_labels enrols it.
test_implied_namespace_not_enrolled if {
	d := deploy("orders", {}, {"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"})
	count(mesh_04.deny) == 0 with input as testlib.inp({"Deployment": [d]})
	count(mesh_04.judged) == 0 with input as testlib.inp({"Deployment": [d]})
	count(mesh_04.deny) == 1 with input as testlib.inp({"Deployment": [d]})
		with data.meshaudit.params.namespace_labels as {"app": {"istio.io/rev": "canary"}}
}

test_cronjob_template_judged if {
	cj := {
		"apiVersion": "batch/v1",
		"kind": "CronJob",
		"metadata": {"name": "sync", "namespace": "app"},
		"spec": {"jobTemplate": {"spec": {"template": {
			"metadata": {"annotations": {"traffic.sidecar.istio.io/excludeOutboundPorts": "5432"}},
			"spec": {"containers": [{"name": "sync"}]},
		}}}},
	}
	some f in mesh_04.deny with input as testlib.inp({"Namespace": [testlib.enrolled("app")], "CronJob": [cj]})
	f.resource.kind == "CronJob"
}
