package policies

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"
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
	// Labels of namespaces a manifest scan implies (objects live in them
	// but their Namespace object is not in the input), by namespace name,
	// e.g. {shop: {istio-injection: enabled}}. Without an entry an implied
	// namespace has no labels: not enrolled in the mesh, no Pod Security
	// level (docs/verdicts.md). Ignored for namespaces whose object is in
	// the input.
	NamespaceLabels map[string]map[string]string `json:"namespace_labels"`
	// Hosts (globs: `*` matches any characters, dots included) a Gateway
	// server may expose with tls.mode PASSTHROUGH / AUTO_PASSTHROUGH
	// (ING-01).
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
	// Minimum replicas (or HPA minReplicas) of workloads, istiod and
	// gateways (HA-05, EGR-02, CP-03).
	MinReplicas int `json:"min_replicas"`
	// Minimum TLS version of mesh mTLS and gateways: TLSV1_2 or TLSV1_3
	// (MTLS-04, ING-02).
	MinTLSVersion string `json:"min_tls_version"`
	// Cipher suites allowed in MeshConfig tlsDefaults and Gateway servers
	// (MTLS-04, ING-02). Defaults: the ECDHE AEAD suites.
	AllowedCipherSuites []string `json:"allowed_cipher_suites"`
	// ECDH curves allowed in MeshConfig tlsDefaults (MTLS-04).
	AllowedECDHCurves []string `json:"allowed_ecdh_curves"`
	// Longest accepted workload certificate lifetime, a Go duration
	// (MTLS-06).
	MaxWorkloadCertTTL string `json:"max_workload_cert_ttl"`
	// Supported Istio minor versions, "1.30" form (CP-01).
	SupportedIstioVersions []string `json:"supported_istio_versions"`
	// Allowed keys of the injector's neverInjectSelector (MESH-07).
	AllowedNeverInjectSelectors []string `json:"allowed_never_inject_selectors"`
	// Subjects allowed to change mesh policy and read root-namespace
	// secrets, as "Kind:name" or "ServiceAccount:namespace/name"
	// (AUTHZ-08, CP-07). system:masters and Istio's own service accounts
	// are always allowed.
	PlatformSubjects []string `json:"platform_subjects"`
	// Label sets (any of) that mark designated gateways: the only pods that
	// may be exposed by LoadBalancer/NodePort Services, hostPort or
	// externalIPs (ING-06).
	GatewayLabels []map[string]string `json:"gateway_labels"`
	// Cluster pod and Service CIDRs: NetworkPolicy egress ipBlocks inside
	// them are not external (NP-03).
	ClusterCIDRs []string `json:"cluster_cidrs"`
	// Namespaces that are part of the mesh's infrastructure: NetworkPolicy
	// egress to them is allowed (NP-03); the root namespace always is.
	MeshNamespaces []string `json:"mesh_namespaces"`
	// Monitoring namespaces: ingress from them is limited to 15020/15090
	// (NP-04).
	MonitoringNamespaces []string `json:"monitoring_namespaces"`
	// Pod Security Admission level required on app namespaces: restricted
	// or baseline (POD-01).
	PodSecurityLevel string `json:"pod_security_level"`
	// Approved image registries (prefixes, e.g. "registry.example.com/");
	// empty: any registry (pinning is still checked) (POD-11).
	ApprovedRegistries []string `json:"approved_registries"`
	// Image names that a build tool replaces at deploy time, beyond those
	// the input declares (skaffold artifacts and kustomize images: entries
	// without a tag are collected from the input), e.g. "paymentservice":
	// a reference written exactly as one of them, with no tag and no
	// digest, is a placeholder, not judged as pulling "latest" (POD-11).
	// `ko://` references are always placeholders.
	PlaceholderImages []string `json:"placeholder_images"`
	// Label that marks critical hosts/workloads needing resilience
	// settings (HA-08).
	CriticalLabel string `json:"critical_label"`
	// Operator assertion that the Kubernetes API server's audit logging is
	// configured; null: unknown unless the static-pod manifest shows it
	// (TEL-04).
	AuditLoggingConfigured *bool `json:"audit_logging_configured"`
	// Namespaces besides the root where EnvoyFilters are allowed (CP-06).
	AllowedEnvoyFilterNamespaces []string `json:"allowed_envoyfilter_namespaces"`
	// Longest lifetime of an exception in days, from its created date (a
	// self-declared one: from the scan day) to its expiry; a longer one is
	// refused (docs/exceptions.md).
	MaxExceptionDays int `json:"max_exception_days"`
}

// Defaults returns the default parameters.
func Defaults() Params {
	return Params{
		ExcludedNamespaces:                  []string{"kube-system", "kube-public", "kube-node-lease"},
		RootNamespace:                       "istio-system",
		NamespaceLabels:                     map[string]map[string]string{},
		AllowedPassthroughHosts:             []string{},
		AllowedInboundBypassPorts:           []int{},
		AllowedOutboundBypassCIDRs:          []string{},
		AllowedOutboundBypassPorts:          []int{},
		EgressGatewayLabels:                 map[string]string{"istio": "egressgateway"},
		ServiceEntryOwnerAnnotation:         "meshaudit.io/owner",
		ServiceEntryJustificationAnnotation: "meshaudit.io/justification",
		RolloutMaxUnavailable:               1,
		RolloutMaxSurge:                     0,
		MinReplicas:                         2,
		MinTLSVersion:                       "TLSV1_2",
		AllowedCipherSuites: []string{
			"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
			"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
			"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
		},
		AllowedECDHCurves:            []string{"X25519", "P-256", "P-384", "X25519MLKEM768"},
		MaxWorkloadCertTTL:           "24h",
		SupportedIstioVersions:       []string{"1.30", "1.31", "1.32"},
		AllowedNeverInjectSelectors:  []string{},
		PlatformSubjects:             []string{},
		GatewayLabels:                []map[string]string{{"istio": "ingressgateway"}, {"istio": "egressgateway"}},
		ClusterCIDRs:                 []string{},
		MeshNamespaces:               []string{},
		MonitoringNamespaces:         []string{"monitoring"},
		PodSecurityLevel:             "restricted",
		ApprovedRegistries:           []string{},
		PlaceholderImages:            []string{},
		CriticalLabel:                "meshaudit.io/critical",
		AuditLoggingConfigured:       nil,
		AllowedEnvoyFilterNamespaces: []string{},
		MaxExceptionDays:             365,
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
	if err := out.Validate(); err != nil {
		return p, fmt.Errorf("params: %w", err)
	}
	return out, nil
}

// Validate checks the values the rules cannot check themselves.
func (p Params) Validate() error {
	if p.RootNamespace == "" {
		return fmt.Errorf("root_namespace must not be empty")
	}
	if p.MinTLSVersion != "TLSV1_2" && p.MinTLSVersion != "TLSV1_3" {
		return fmt.Errorf("min_tls_version %q: want TLSV1_2 or TLSV1_3", p.MinTLSVersion)
	}
	if p.PodSecurityLevel != "restricted" && p.PodSecurityLevel != "baseline" {
		return fmt.Errorf("pod_security_level %q: want restricted or baseline", p.PodSecurityLevel)
	}
	if _, err := time.ParseDuration(p.MaxWorkloadCertTTL); err != nil {
		return fmt.Errorf("max_workload_cert_ttl: %w", err)
	}
	for _, list := range [][]string{p.AllowedOutboundBypassCIDRs, p.ClusterCIDRs} {
		for _, c := range list {
			if _, err := netip.ParsePrefix(c); err != nil {
				return fmt.Errorf("CIDR %q: %w", c, err)
			}
		}
	}
	if p.MaxExceptionDays < 1 {
		return fmt.Errorf("max_exception_days must be at least 1")
	}
	if p.MinReplicas < 1 || p.RolloutMaxUnavailable < 0 || p.RolloutMaxSurge < 0 {
		return fmt.Errorf("min_replicas must be at least 1, rollout numbers not negative")
	}
	return nil
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
