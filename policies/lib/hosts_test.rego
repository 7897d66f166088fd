package meshaudit.lib_test

import data.meshaudit.lib
import rego.v1

# An input that shows namespaces default and prod (for `name.namespace`).
hosts_inp := {"cluster": "c1", "source": "manifests", "objects": {"Service": [
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reviews", "namespace": "default"}},
	{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "prod"}},
]}}

# [host as written, namespace of the object, normalised]
normalize_cases := [
	# DestinationRule/VirtualService docs: "reviews" in namespace default is
	# reviews.default.svc.cluster.local.
	["reviews", "default", "reviews.default.svc.cluster.local"],
	["reviews", "prod", "reviews.prod.svc.cluster.local"],
	# Istio completes only short names: name.namespace is taken as written.
	["reviews.default", "prod", "reviews.default"],
	["reviews.default.svc", "prod", "reviews.default.svc"],
	["reviews.default.svc.cluster.local", "prod", "reviews.default.svc.cluster.local"],
	["example.com", "default", "example.com"],
	["www.example.com", "default", "www.example.com"],
	# Case and a trailing dot do not matter (DNS).
	["Reviews.Default.SVC.Cluster.Local.", "x", "reviews.default.svc.cluster.local"],
	["API.Example.COM", "default", "api.example.com"],
	["Reviews", "default", "reviews.default.svc.cluster.local"],
	# Wildcards stay patterns.
	["*", "default", "*"],
	["*.example.com", "default", "*.example.com"],
	["*.Default.svc.cluster.local", "x", "*.default.svc.cluster.local"],
	# Addresses are taken as written.
	["10.0.0.1", "default", "10.0.0.1"],
	["::1", "default", "::1"],
]

test_host_normalize_table if {
	bad := [c |
		some c in normalize_cases
		not lib.host_normalize(c[0], c[1]) == c[2] with input as hosts_inp
	]
	bad == []
}

# [name dialled, client namespace, FQDN]: the cluster DNS search path.
dns_cases := [
	["reviews", "default", "reviews.default.svc.cluster.local"],
	["reviews.default", "prod", "reviews.default.svc.cluster.local"],
	["Reviews.Default.Svc", "prod", "reviews.default.svc.cluster.local"],
	["reviews.default.svc.cluster.local", "prod", "reviews.default.svc.cluster.local"],
	# a second label that is no namespace of the input: an external name
	["example.com", "default", "example.com"],
	["api.example.com", "default", "api.example.com"],
	["*.default", "prod", "*.default"],
	["*", "prod", "*"],
]

test_host_normalize_dns_table if {
	bad := [c |
		some c in dns_cases
		not lib.host_normalize_dns(c[0], c[1]) == c[2] with input as hosts_inp
	]
	bad == []
}

test_host_normalize_non_string_undefined if {
	not lib.host_normalize(null, "default")
	not lib.host_normalize(3, "default")
}

# [pattern, host, covers?] (both as written in namespace default)
covers_cases := [
	# VirtualService docs: *.example.com matches a.example.com and deeper
	# names, not example.com itself.
	["*.example.com", "a.example.com", true],
	["*.example.com", "a.b.example.com", true],
	["*.example.com", "example.com", false],
	["*.example.com", "aexample.com", false],
	["*.example.com", "a.example.org", false],
	# "*" matches every host.
	["*", "a.example.com", true],
	["*", "reviews", true],
	["*", "*.example.com", true],
	# exact, case-insensitive, short name against FQDN
	["reviews", "reviews.default.svc.cluster.local", true],
	["Reviews", "reviews.default.svc.cluster.local", true],
	# Istio does not complete name.namespace in host fields
	["reviews.default", "reviews", false],
	["reviews", "reviews.prod.svc.cluster.local", false],
	["API.example.com", "api.EXAMPLE.com", true],
	# a wider wildcard covers a narrower one, not the reverse
	["*.example.com", "*.a.example.com", true],
	["*.a.example.com", "*.example.com", false],
	# mesh-wide DestinationRule host *.local / *.cluster.local
	["*.local", "reviews", true],
	["*.svc.cluster.local", "reviews.prod.svc.cluster.local", true],
	["*.default.svc.cluster.local", "reviews", true],
	["*.default.svc.cluster.local", "reviews.prod", false],
	# a wildcard must be the whole first label
	["*example.com", "a.example.com", false],
]

test_host_covers_table if {
	bad := [c |
		some c in covers_cases
		got := covers_bool(c[0], c[1]) with input as hosts_inp
		got != c[2]
	]
	bad == []
}

covers_bool(p, h) if {
	lib.host_covers(lib.host_normalize(p, "default"), lib.host_normalize(h, "default"))
} else := false

test_host_keys_cover_exactly_what_host_covers if {
	# Every pattern of the table that covers its host is one of the host's
	# keys: an index lookup finds what a scan would.
	bad := [c |
		some c in covers_cases
		got := key_of(c[0], c[1]) with input as hosts_inp
		got != c[2]
	]
	bad == []
}

# key_of(p, h): pattern p is one of host h's keys.
key_of(p, h) if {
	lib.host_normalize(p, "default") in keys_of(h)
} else := false

keys_of(h) := lib.host_keys(lib.host_normalize(h, "default"))

test_host_keys if {
	lib.host_keys("a.b.example.com") == {"a.b.example.com", "*", "*.b.example.com", "*.example.com", "*.com"}
	lib.host_keys("*.example.com") == {"*.example.com", "*", "*.com"}
	lib.host_keys("*") == {"*"}
}

test_hosts_overlap if {
	lib.hosts_overlap("*.example.com", "a.example.com")
	lib.hosts_overlap("a.example.com", "*.example.com")
	lib.hosts_overlap("*", "a.example.com")
	lib.hosts_overlap("*.example.com", "*.a.example.com")
	not lib.hosts_overlap("*.example.com", "example.com")
	not lib.hosts_overlap("a.example.com", "b.example.com")
}

test_host_lookup_by_keys if {
	idx := lib.group([["*.example.com", "wild"], ["a.example.com", "exact"], ["*", "all"], ["b.example.com", "other"]])
	lib.host_lookup(idx, "a.example.com") == {"wild", "exact", "all"}
	lib.host_lookup(idx, "c.example.com") == {"wild", "all"}
	lib.host_lookup(idx, "example.com") == {"all"}
	lib.host_lookup_best(idx, "a.example.com") == {"exact"}
	lib.host_lookup_best(idx, "c.d.example.com") == {"wild"}
	lib.host_lookup_best(idx, "example.org") == {"all"}
	lib.host_lookup_best({}, "example.org") == set()
}

test_host_specificity_exact_beats_wildcards if {
	lib.host_specificity("a.example.com", "a.example.com") > lib.host_specificity("*.example.com", "a.example.com")
	lib.host_specificity("*.example.com", "a.example.com") > lib.host_specificity("*.com", "a.example.com")
	lib.host_specificity("*.com", "a.example.com") > lib.host_specificity("*", "a.example.com")
	not lib.host_specificity("*.org", "a.example.com")
}

test_service_fqdn if {
	lib.service_fqdn({"metadata": {"name": "Ratings", "namespace": "default"}}) == "ratings.default.svc.cluster.local"
}

# [exportTo, owner namespace, client namespace, visible?]
export_cases := [
	[["*"], "a", "b", true],
	[["."], "a", "a", true],
	[["."], "a", "b", false],
	[["b"], "a", "b", true],
	[["b"], "a", "c", false],
	[[".", "c"], "a", "c", true],
	[[".", "c"], "a", "a", true],
	[["~"], "a", "a", false],
	[["~"], "a", "b", false],
]

test_exported_to_table if {
	bad := [c |
		some c in export_cases
		got := exported_bool(c[0], c[1], c[2])
		got != c[3]
	]
	bad == []
}

exported_bool(e, o, c) if lib.exported_to(e, o, c)

else := false

test_export_to_default if {
	lib.export_to({"spec": {}}, ["*"]) == ["*"]
	lib.export_to({"spec": {"exportTo": []}}, ["."]) == ["."]
	lib.export_to({"spec": {"exportTo": ["a"]}}, ["*"]) == ["a"]
}

test_ns_host if {
	lib.ns_host("istio-system/*.example.com") == ["istio-system", "*.example.com"]
	lib.ns_host("./*") == [".", "*"]
	lib.ns_host("*/*") == ["*", "*"]
	lib.ns_host("API.example.com") == ["*", "api.example.com"]
}

# Sidecar egress hosts (Sidecar docs): "./*" the Sidecar's namespace,
# "istio-system/*" one namespace, "*/*.example.com" a wildcard anywhere,
# "~/*" nothing.
test_ns_host_selects if {
	lib.ns_host_selects("./*", "shop", "shop", "reviews.shop.svc.cluster.local")
	not lib.ns_host_selects("./*", "shop", "prod", "api.prod.svc.cluster.local")
	lib.ns_host_selects("istio-system/*", "shop", "istio-system", "istiod.istio-system.svc.cluster.local")
	lib.ns_host_selects("*/*.example.com", "shop", "egress", "api.example.com")
	not lib.ns_host_selects("*/*.example.com", "shop", "egress", "example.com")
	not lib.ns_host_selects("~/*", "shop", "shop", "reviews.shop.svc.cluster.local")
	lib.ns_host_selects("api.example.com", "shop", "egress", "api.example.com")
}
