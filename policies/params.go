package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Params are the organisation's choices the rules read as
// data.meshaudit.params. Every field has a default (Defaults) and a comment
// that is its documentation; the config file's `params:` section overrides
// them, and an unknown key is an error.
type Params struct {
	// Namespaces no check applies to.
	ExcludedNamespaces []string `json:"excluded_namespaces"`
	// The Istio root namespace (MeshConfig rootNamespace).
	RootNamespace string `json:"root_namespace"`
	// Hosts (globs, `*` matches one or more DNS labels) a Gateway server may
	// expose with tls.mode PASSTHROUGH / AUTO_PASSTHROUGH (ING-01).
	AllowedPassthroughHosts []string `json:"allowed_passthrough_hosts"`
	// Ports that may be excluded from inbound capture (MESH-03).
	AllowedInboundBypassPorts []int `json:"allowed_inbound_bypass_ports"`
	// CIDRs that may be excluded from outbound capture (MESH-04).
	AllowedOutboundBypassCIDRs []string `json:"allowed_outbound_bypass_cidrs"`
	// Ports that may be excluded from outbound capture (MESH-04).
	AllowedOutboundBypassPorts []int `json:"allowed_outbound_bypass_ports"`
	// Labels that identify egress gateway pods and Gateways (EGR-03).
	EgressGatewayLabels map[string]string `json:"egress_gateway_labels"`
	// Annotation naming the owner of a ServiceEntry (EGR-04).
	ServiceEntryOwnerAnnotation string `json:"serviceentry_owner_annotation"`
	// Annotation giving the justification of a ServiceEntry (EGR-04).
	ServiceEntryJustificationAnnotation string `json:"serviceentry_justification_annotation"`
	// Required RollingUpdate maxUnavailable (HA-07); a number.
	RolloutMaxUnavailable int `json:"rollout_max_unavailable"`
	// Required RollingUpdate maxSurge (HA-07); a number.
	RolloutMaxSurge int `json:"rollout_max_surge"`
}

// Defaults returns the default parameters.
func Defaults() Params {
	return Params{
		ExcludedNamespaces:                  []string{"kube-system", "kube-public", "kube-node-lease"},
		RootNamespace:                       "istio-system",
		AllowedPassthroughHosts:             []string{},
		AllowedInboundBypassPorts:           []int{},
		AllowedOutboundBypassCIDRs:          []string{},
		AllowedOutboundBypassPorts:          []int{},
		EgressGatewayLabels:                 map[string]string{"istio": "egressgateway"},
		ServiceEntryOwnerAnnotation:         "meshaudit.io/owner",
		ServiceEntryJustificationAnnotation: "meshaudit.io/justification",
		RolloutMaxUnavailable:               1,
		RolloutMaxSurge:                     0,
	}
}

// Merge overlays a decoded `params:` map onto p, rejecting unknown keys and
// wrong types.
func (p Params) Merge(raw map[string]any) (Params, error) {
	if len(raw) == 0 {
		return p, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return p, fmt.Errorf("params: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	out := p
	// Decoding into a non-nil map merges keys; a map given in the config
	// replaces the default instead.
	if _, ok := raw["egress_gateway_labels"]; ok {
		out.EgressGatewayLabels = nil
	}
	if err := dec.Decode(&out); err != nil {
		return p, fmt.Errorf("params: %w", err)
	}
	return out, nil
}

// Data returns the parameters as the generic value Rego reads.
func (p Params) Data() (map[string]any, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
