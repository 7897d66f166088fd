# Istio host matching, one way for every rule (issue 12).
#
# Istio's documented host semantics, as applied here:
# - VirtualService `hosts`, DestinationRule `host`, ServiceEntry `hosts`:
#   a short name (no dot) is relative to the namespace of the rule
#   ("reviews" in namespace default is reviews.default.svc.cluster.local);
#   `*` is every host; `*.suffix` is every host ending in `.suffix`, at any
#   depth (`*.example.com` covers a.example.com and a.b.example.com, not
#   example.com). Hosts are DNS names: case does not matter.
# - Istio completes only short names: `reviews.default` in a DestinationRule
#   is taken as written (it is not the Service reviews.default.svc.cluster.local,
#   and istioctl analyze reports the rule's host as unknown).
#   host_normalize_dns completes `name.namespace` and `name.namespace.svc` as
#   a client's DNS search path does, for names dialled by clients.
# - exportTo: `*` every namespace, `.` the object's own namespace, `~` none,
#   any other entry a namespace name; unset means the default (`*` unless
#   the mesh config's default*ExportTo says otherwise).
# - Sidecar `egress.hosts` and Gateway `servers[].hosts` are `ns/host`:
#   `*` any namespace, `.` the Sidecar's (or Gateway's) own, `~` none; a
#   host without `ns/` means `*/host`.
#
# Linear use: index the objects by normalised host with lib.group, then
# look a host up under each of host_keys(h) (the host itself, `*` and each
# `*.suffix` that could cover it): O(labels of h) lookups, never a scan.
package meshaudit.lib

import rego.v1

# cluster_domain: the Kubernetes DNS domain (istiod's default domain suffix).
cluster_domain := "cluster.local"

svc_suffix := concat("", [".svc.", cluster_domain])

# service_host(name, n): the FQDN of Service name in namespace n.
service_host(name, n) := lower(concat("", [name, ".", n, svc_suffix]))

# service_fqdn(s): the FQDN of a Service object.
service_fqdn(s) := service_host(name(s), ns(s))

# host_normalize(h, n): host h as written in a host field of an Istio object
# of namespace n (VirtualService hosts and destination hosts, DestinationRule
# host, ServiceEntry hosts), as Istio resolves it: lower-cased, without a
# trailing dot, and a short name (no dot) completed with n and the cluster
# domain. Istio takes every other name as written: `reviews.default` in a
# DestinationRule is not reviews.default.svc.cluster.local.
host_normalize(h, n) := out if {
	is_string(h)
	l := trim_suffix(lower(trim_space(h)), ".")
	out := short_host(l, n)
}

# host_normalize_dns(h, n): a name a client dials from namespace n, as the
# cluster DNS search path completes it: host_normalize, plus
# `name.namespace.svc` and `name.namespace` completed to the Service FQDN
# (`name.namespace` only when namespace is one the input shows, so
# `example.com` stays an external name). For references that reach a
# Service by DNS rather than through an Istio host field.
host_normalize_dns(h, n) := out if {
	l := host_normalize(h, n)
	out := dns_host(l)
}

short_host(h, n) := concat("", [h, ".", lower(n), svc_suffix]) if {
	h != "*"
	h != ""
	not contains(h, ".")
	not contains(h, ":")
} else := h

dns_host(h) := concat("", [h, ".", cluster_domain]) if {
	parts := split(h, ".")
	count(parts) == 3
	parts[2] == "svc"
	not startswith(h, "*")
} else := concat("", [h, svc_suffix]) if {
	parts := split(h, ".")
	count(parts) == 2
	not startswith(h, "*")
	parts[1] in namespaces
} else := h

# wildcard_host(h): a pattern (`*` or `*.suffix`).
wildcard_host(h) if startswith(h, "*")

# host_keys(h): every pattern that may cover the normalised host h: h
# itself, `*`, and `*.suffix` for each suffix after a dot (for a wildcard
# h, the wider wildcards). Look h up in an index by normalised host under
# each key.
host_keys(h) := {h, "*"} | {concat("", ["*", substring(h, i, -1)]) |
	some i in indexof_n(h, ".")
}

# host_covers(p, h): pattern p (normalised) covers host h (normalised,
# possibly itself a wildcard): equal, `*`, or `*.suffix` with h ending in
# `.suffix` and longer than it.
host_covers(p, p)

host_covers("*", _)

host_covers(p, h) if {
	startswith(p, "*.")
	suffix := substring(p, 1, -1)
	endswith(h, suffix)
	count(h) > count(suffix)
}

# hosts_overlap(a, b): some name is matched by both (normalised) hosts.
hosts_overlap(a, b) if host_covers(a, b)

hosts_overlap(a, b) if host_covers(b, a)

# host_specificity(p, h): how closely pattern p matches host h (exact beats
# any wildcard, a longer wildcard beats a shorter one); undefined when p
# does not cover h. Istio picks the most specific match.
host_specificity(p, h) := 1000000 if p == h

else := count(p) if host_covers(p, h)

# host_lookup(idx, h): the values of idx (lib.group of [normalised host,
# value]) under every pattern covering h: a few hash lookups.
host_lookup(idx, h) := {v |
	some k in host_keys(h)
	some v in object.get(idx, k, set())
}

# host_lookup_best(idx, h): the values of idx under the most specific
# pattern covering h (empty when none).
host_lookup_best(idx, h) := object.get(idx, best, set()) if {
	keys := [k | some k in host_keys(h); count(object.get(idx, k, set())) > 0]
	count(keys) > 0
	top := max([host_specificity(k, h) | some k in keys])
	best := [k | some k in keys; host_specificity(k, h) == top][0]
} else := set()

# ---- exportTo ------------------------------------------------------------------

# export_to(obj, default): the object's spec.exportTo, or default when
# unset or empty.
export_to(obj, default_) := e if {
	e := object.get(obj, ["spec", "exportTo"], [])
	is_array(e)
	count(e) > 0
} else := default_

# exported_to(exports, owner_ns, client_ns): an object of namespace
# owner_ns with that exportTo list is visible to proxies of client_ns.
exported_to(exports, _, _) if "*" in exports

exported_to(exports, owner_ns, owner_ns) if "." in exports

exported_to(exports, _, client_ns) if client_ns in exports

# ---- ns/host (Sidecar egress.hosts, Gateway servers[].hosts) -------------------

# ns_host(entry): [namespace part, host part] of a `ns/host` entry; a host
# without a namespace part is `*/host`. The host part is lower-cased.
ns_host(entry) := [parts[0], trim_suffix(lower(parts[1]), ".")] if {
	parts := split(entry, "/")
	count(parts) == 2
} else := ["*", trim_suffix(lower(entry), ".")]

# ns_part_selects(part, own_ns, n): the namespace part of a `ns/host`
# entry, in an object of namespace own_ns, selects objects of namespace n.
ns_part_selects("*", _, _)

ns_part_selects(".", own_ns, own_ns)

ns_part_selects(part, _, part) if not part in {"*", ".", "~"}

# ns_host_selects(entry, own_ns, n, h): the `ns/host` entry of an object in
# own_ns selects host h (normalised) declared in namespace n.
ns_host_selects(entry, own_ns, n, h) if {
	[part, pattern] := ns_host(entry)
	ns_part_selects(part, own_ns, n)
	host_covers(pattern, h)
}
