package meshaudit.rules.egr_04_test

import data.meshaudit.lib
import data.meshaudit.rules.egr_04
import data.meshaudit.testlib
import rego.v1

documented := {"meshaudit.io/owner": "team-payments", "meshaudit.io/justification": "card processor API"}

se(name, spec) := se_ann(name, spec, documented)

se_ann(name, spec, ann) := {
	"apiVersion": "networking.istio.io/v1",
	"kind": "ServiceEntry",
	"metadata": {"name": name, "namespace": "app", "annotations": ann},
	"spec": spec,
}

good_spec := {
	"hosts": ["api.stripe.com"],
	"ports": [{"number": 443, "name": "https", "protocol": "TLS"}],
	"resolution": "DNS",
	"exportTo": ["."],
}

res(name) := {"apiVersion": "networking.istio.io/v1", "kind": "ServiceEntry", "namespace": "app", "name": name}

inp(list) := {"cluster": "c1", "source": "manifests", "objects": {"ServiceEntry": list}}

msgs(d) := {f.msg | some f in d}

# problems(d): the problems listed by the findings' messages.
problems(d) := {p | some f in d; some p in split(f.msg, "; ")}

live(list) := {"cluster": "c1", "source": "cluster", "objects": {"ServiceEntry": list}}

test_documented_narrow_entry_passes if {
	count(egr_04.deny) == 0 with input as inp([se("stripe", good_spec)])
}

test_two_label_wildcard_passes if {
	count(egr_04.deny) == 0 with input as inp([se("s3", object.union(good_spec, {"hosts": ["*.amazonaws.com"]}))])
}

test_star_host_fails if {
	testlib.strip(egr_04.deny) == {{"msg": "host \"*\" matches every external host: list the exact hosts", "resource": res("any")}} with input as inp([se("any", object.union(good_spec, {"hosts": ["*"]}))])
}

test_broad_wildcard_fails if {
	testlib.strip(egr_04.deny) == {{
		"msg": "host \"*.com\" is a broad wildcard: name at least two labels after \"*.\"",
		"resource": res("com"),
	}} with input as inp([se("com", object.union(good_spec, {"hosts": ["api.stripe.com", "*.com"]}))])
}

test_no_ports_fails if {
	spec := object.remove(good_spec, ["ports"])
	testlib.strip(egr_04.deny) == {{"msg": "no ports are listed for hosts [\"api.stripe.com\"]: list the ports they are reached on", "resource": res("noports")}} with input as inp([se("noports", spec)])
}

test_export_to_unset_fails if {
	spec := object.remove(good_spec, ["exportTo"])
	testlib.strip(egr_04.deny) == {{"msg": "exportTo is unset, so the entry is exported to every namespace: set exportTo to [\".\"] or the namespaces that need it", "resource": res("e")}} with input as live([se("e", spec)])

	# a manifest scan without the mesh config cannot tell what unset means:
	# no finding, and the entry is not judged
	count(egr_04.deny) == 0 with input as inp([se("e", spec)])
	count(egr_04.judged) == 0 with input as inp([se("e", spec)])
	count(egr_04.not_applicable) == 1 with input as inp([se("e", spec)])
}

test_export_to_star_fails if {
	spec := object.union(good_spec, {"exportTo": [".", "*"]})
	testlib.strip(egr_04.deny) == {{"msg": "exportTo contains \"*\", so the entry is exported to every namespace: list only the namespaces that need it", "resource": res("e")}} with input as inp([se("e", spec)])
}

# MeshConfig defaultServiceExportTo decides what an unset exportTo means.
test_export_to_unset_with_mesh_default_dot_passes if {
	spec := object.remove(good_spec, ["exportTo"])
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "istio", "namespace": "istio-system"}, "data": {"mesh": "defaultServiceExportTo:\n- \".\"\n"}}
	count(egr_04.deny) == 0 with input as {"cluster": "c1", "source": "cluster", "objects": {"ServiceEntry": [se("e", spec)], "ConfigMap": [cm]}}
}

test_missing_annotations_fail if {
	testlib.strip(egr_04.deny) == {
		{"msg": "owner annotation \"meshaudit.io/owner\" is missing: add it; justification annotation \"meshaudit.io/justification\" is missing: add it", "resource": res("e")},
	} with input as inp([se_ann("e", good_spec, {"meshaudit.io/owner": " "})])
}

test_custom_annotation_names if {
	d := egr_04.deny with input as inp([se_ann("e", good_spec, {"corp/owner": "x", "corp/why": "y"})])
		with data.meshaudit.params as object.union(lib.params, {"serviceentry_owner_annotation": "corp/owner", "serviceentry_justification_annotation": "corp/why"})
	count(d) == 0
}

test_resolution_none_tcp_without_addresses_fails if {
	spec := object.union(good_spec, {"resolution": "NONE", "ports": [{"number": 5432, "name": "pg", "protocol": "TCP"}]})
	testlib.strip(egr_04.deny) == {{
		"msg": "resolution NONE with TCP port 5432 and no addresses matches any IP on that port: set addresses or resolution DNS",
		"resource": res("pg"),
	}} with input as inp([se("pg", spec)])
}

# resolution defaults to NONE and an unset port protocol counts as TCP (IST0134).
test_resolution_unset_protocol_unset_fails if {
	spec := object.union(object.remove(good_spec, ["resolution"]), {"ports": [{"number": 6379, "name": "redis"}]})
	testlib.strip(egr_04.deny) == {{
		"msg": "resolution unset (NONE) with TCP port 6379 and no addresses matches any IP on that port: set addresses or resolution DNS",
		"resource": res("r"),
	}} with input as inp([se("r", spec)])
}

test_resolution_none_with_addresses_passes if {
	spec := object.union(good_spec, {"resolution": "NONE", "addresses": ["10.1.2.3/32"], "ports": [{"number": 5432, "name": "pg", "protocol": "TCP"}]})
	count(egr_04.deny) == 0 with input as inp([se("pg", spec)])
}

test_resolution_none_tls_port_passes if {
	spec := object.union(good_spec, {"resolution": "NONE"})
	count(egr_04.deny) == 0 with input as inp([se("tls", spec)])
}

test_resolution_dns_tcp_passes if {
	spec := object.union(good_spec, {"ports": [{"number": 5432, "name": "pg", "protocol": "TCP"}]})
	count(egr_04.deny) == 0 with input as inp([se("pg", spec)])
}

test_every_problem_reported if {
	bad := se_ann("bad", {"hosts": ["*"]}, {})
	count(egr_04.deny) == 1 with input as live([bad])
	problems(egr_04.deny) == {
		"host \"*\" matches every external host: list the exact hosts",
		"no ports are listed for hosts [\"*\"]: list the ports they are reached on",
		"exportTo is unset, so the entry is exported to every namespace: set exportTo to [\".\"] or the namespaces that need it",
		"owner annotation \"meshaudit.io/owner\" is missing: add it",
		"justification annotation \"meshaudit.io/justification\" is missing: add it",
	} with input as live([bad])
}

test_excluded_namespace_ignored if {
	bad := object.union(se_ann("bad", {"hosts": ["*"]}, {}), {"metadata": {"namespace": "kube-system"}})
	count(egr_04.deny) == 0 with input as inp([bad])
}

test_evidence if {
	some f in egr_04.deny with input as inp([se_ann("e", object.union(good_spec, {"hosts": ["api.stripe.com", "*"]}), {"meshaudit.io/owner": "x"})])
	f.evidence == [
		{"path": "spec.hosts[1]", "value": "*"},
		{"path": "metadata.annotations[\"meshaudit.io/justification\"]"},
	]
}

test_judged if {
	egr_04.judged == {res("stripe")} with input as inp([se("stripe", good_spec)])
	egr_04.not_applicable == {"no ServiceEntry in the input"} with input as inp([])
}
