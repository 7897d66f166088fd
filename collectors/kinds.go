package collectors

import (
	"github.com/meshaudit/meshaudit/snapshot"
	"sort"
)

// KindSpec is one kind the live collector reads.
type KindSpec struct {
	Group      string
	Versions   []string // preferred first; the first one served is used
	Resource   string   // plural resource name
	Kind       string
	Namespaced bool
	// RootOnly kinds are read in the Istio root namespace only (the mesh
	// ConfigMaps).
	RootOnly bool
	// MetadataOnly kinds are read through the metadata-only client: names
	// and labels, never content (Secrets, only when enabled).
	MetadataOnly bool
}

// Key is the snapshot kind key.
func (k KindSpec) Key() string { return snapshot.Key(k.Group, k.Kind) }

var (
	istioNetworking = []string{"v1", "v1beta1", "v1alpha3"}
	istioSecurity   = []string{"v1", "v1beta1"}
	istioTelemetry  = []string{"v1", "v1alpha1"}
	gatewayAPI      = []string{"v1", "v1beta1"}
)

// LiveKinds is every kind the catalog reads from a live cluster. Secrets are
// not in it: SecretKind is added only when secret names are enabled.
var LiveKinds = []KindSpec{
	{Group: "", Versions: []string{"v1"}, Resource: "namespaces", Kind: "Namespace"},
	{Group: "", Versions: []string{"v1"}, Resource: "pods", Kind: "Pod", Namespaced: true},
	{Group: "", Versions: []string{"v1"}, Resource: "services", Kind: "Service", Namespaced: true},
	{Group: "", Versions: []string{"v1"}, Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true},
	{Group: "", Versions: []string{"v1"}, Resource: "limitranges", Kind: "LimitRange", Namespaced: true},
	{Group: "", Versions: []string{"v1"}, Resource: "resourcequotas", Kind: "ResourceQuota", Namespaced: true},
	{Group: "", Versions: []string{"v1"}, Resource: "configmaps", Kind: "ConfigMap", Namespaced: true, RootOnly: true},
	{Group: "apps", Versions: []string{"v1"}, Resource: "deployments", Kind: "Deployment", Namespaced: true},
	{Group: "apps", Versions: []string{"v1"}, Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true},
	{Group: "apps", Versions: []string{"v1"}, Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true},
	{Group: "apps", Versions: []string{"v1"}, Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true},
	{Group: "batch", Versions: []string{"v1"}, Resource: "jobs", Kind: "Job", Namespaced: true},
	{Group: "batch", Versions: []string{"v1"}, Resource: "cronjobs", Kind: "CronJob", Namespaced: true},
	{Group: "networking.k8s.io", Versions: []string{"v1"}, Resource: "ingresses", Kind: "Ingress", Namespaced: true},
	{Group: "networking.k8s.io", Versions: []string{"v1"}, Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true},
	{Group: "policy", Versions: []string{"v1"}, Resource: "poddisruptionbudgets", Kind: "PodDisruptionBudget", Namespaced: true},
	{Group: "autoscaling", Versions: []string{"v2", "v1"}, Resource: "horizontalpodautoscalers", Kind: "HorizontalPodAutoscaler", Namespaced: true},
	{Group: "scheduling.k8s.io", Versions: []string{"v1"}, Resource: "priorityclasses", Kind: "PriorityClass"},
	{Group: "rbac.authorization.k8s.io", Versions: []string{"v1"}, Resource: "roles", Kind: "Role", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Versions: []string{"v1"}, Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Versions: []string{"v1"}, Resource: "clusterroles", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Versions: []string{"v1"}, Resource: "clusterrolebindings", Kind: "ClusterRoleBinding"},
	{Group: "admissionregistration.k8s.io", Versions: []string{"v1"}, Resource: "mutatingwebhookconfigurations", Kind: "MutatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Versions: []string{"v1"}, Resource: "validatingwebhookconfigurations", Kind: "ValidatingWebhookConfiguration"},
	{Group: "networking.istio.io", Versions: istioNetworking, Resource: "virtualservices", Kind: "VirtualService", Namespaced: true},
	{Group: "networking.istio.io", Versions: istioNetworking, Resource: "destinationrules", Kind: "DestinationRule", Namespaced: true},
	{Group: "networking.istio.io", Versions: istioNetworking, Resource: "gateways", Kind: "Gateway", Namespaced: true},
	{Group: "networking.istio.io", Versions: istioNetworking, Resource: "serviceentries", Kind: "ServiceEntry", Namespaced: true},
	{Group: "networking.istio.io", Versions: istioNetworking, Resource: "sidecars", Kind: "Sidecar", Namespaced: true},
	{Group: "networking.istio.io", Versions: []string{"v1alpha3"}, Resource: "envoyfilters", Kind: "EnvoyFilter", Namespaced: true},
	{Group: "networking.istio.io", Versions: istioNetworking, Resource: "workloadentries", Kind: "WorkloadEntry", Namespaced: true},
	{Group: "security.istio.io", Versions: istioSecurity, Resource: "peerauthentications", Kind: "PeerAuthentication", Namespaced: true},
	{Group: "security.istio.io", Versions: istioSecurity, Resource: "authorizationpolicies", Kind: "AuthorizationPolicy", Namespaced: true},
	{Group: "security.istio.io", Versions: istioSecurity, Resource: "requestauthentications", Kind: "RequestAuthentication", Namespaced: true},
	{Group: "telemetry.istio.io", Versions: istioTelemetry, Resource: "telemetries", Kind: "Telemetry", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Versions: gatewayAPI, Resource: "gateways", Kind: "Gateway", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Versions: gatewayAPI, Resource: "httproutes", Kind: "HTTPRoute", Namespaced: true},
}

// SecretKind is read (names only) when the operator enables it.
var SecretKind = KindSpec{Group: "", Versions: []string{"v1"}, Resource: "secrets", Kind: "Secret", Namespaced: true, MetadataOnly: true}

// RBACRule is one rule of the read-only ClusterRole.
type RBACRule struct {
	Group     string
	Resources []string
}

// ReadRules are the get/list permissions the live collector needs (outside
// the root-namespace ConfigMaps, which a Role grants), by group, sorted.
func ReadRules(secretNames bool) []RBACRule {
	byGroup := map[string][]string{}
	kinds := LiveKinds
	if secretNames {
		kinds = append(append([]KindSpec{}, kinds...), SecretKind)
	}
	for _, k := range kinds {
		if k.RootOnly {
			continue
		}
		byGroup[k.Group] = append(byGroup[k.Group], k.Resource)
	}
	var out []RBACRule
	for g, rs := range byGroup {
		sort.Strings(rs)
		out = append(out, RBACRule{Group: g, Resources: rs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}
