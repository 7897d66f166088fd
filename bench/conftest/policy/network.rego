# 3 network and mesh rules.
package main

# 13
deny contains msg if {
	input.kind == "Service"
	input.spec.type in {"NodePort", "LoadBalancer"}
	msg := sprintf("%s: Service type %s exposes it outside the cluster", [obj, input.spec.type])
}

# 14: an explicit mTLS mode other than STRICT (UNSET inherits the parent's).
deny contains msg if {
	input.kind == "PeerAuthentication"
	mode := object.get(input, ["spec", "mtls", "mode"], "UNSET")
	mode in {"PERMISSIVE", "DISABLE"}
	msg := sprintf("%s: PeerAuthentication mTLS mode is %s, not STRICT", [obj, mode])
}

# 15: TLS disabled in the traffic policy or a subset's.
deny contains msg if {
	input.kind == "DestinationRule"
	some policy in dr_traffic_policies
	policy.tls.mode == "DISABLE"
	msg := sprintf("%s: DestinationRule disables TLS to %s", [obj, input.spec.host])
}

dr_traffic_policies contains p if p := input.spec.trafficPolicy

dr_traffic_policies contains p if {
	some s in input.spec.subsets
	p := s.trafficPolicy
}
