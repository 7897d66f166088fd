package snapshot

import "slices"

// rootPolicyKinds are the Istio policy kinds whose objects in the root
// namespace apply mesh-wide (docs/verdicts.md, "Mesh-wide evidence").
var rootPolicyKinds = map[string]bool{
	"PeerAuthentication": true, "AuthorizationPolicy": true, "RequestAuthentication": true, "Sidecar": true,
	"Telemetry": true, "EnvoyFilter": true, "ProxyConfig": true, "WasmPlugin": true,
}

// RootPolicyKind reports whether objects of kind, in the Istio root
// namespace, are mesh-wide policy.
func RootPolicyKind(kind string) bool { return rootPolicyKinds[kind] }

// MeshWide reports whether an object of kind, namespace and name is
// mesh-wide evidence: an Istio policy of the root namespace, the mesh
// ConfigMap (istio or istio-<revision> in the root namespace) or an
// IstioOperator. name "" asks about the kind only (any ConfigMap of the
// root namespace may be the mesh config).
func MeshWide(kind, namespace, name, rootNamespace string) bool {
	switch {
	case kind == "IstioOperator":
		return true
	case namespace != rootNamespace:
		return false
	case kind == "ConfigMap":
		return name == "" || IsMeshConfigMap(namespace, name, rootNamespace)
	}
	return rootPolicyKinds[kind]
}

// KeepNamespaces limits a snapshot to namespaces (-n): it keeps the
// namespaced objects of those namespaces, the Namespace objects of those
// namespaces, every other cluster-scoped object, and what mesh-wide rules
// read (MeshWide: the root namespace's Istio policy, the mesh ConfigMap,
// IstioOperators). Everything else is dropped before evaluation, so it is
// neither judged nor reported. Kind statuses and parse errors are kept.
// It returns the number of objects dropped.
func (s *Snapshot) KeepNamespaces(namespaces []string, rootNamespace string) int {
	keep := s.Objects[:0]
	dropped := 0
	for _, o := range s.Objects {
		ok := false
		switch {
		case o.Kind == "Namespace" && o.Namespace == "":
			ok = slices.Contains(namespaces, o.Name)
		case o.Namespace == "":
			ok = true
		default:
			ok = slices.Contains(namespaces, o.Namespace) || MeshWide(o.Kind, o.Namespace, o.Name, rootNamespace)
		}
		if ok {
			keep = append(keep, o)
		} else {
			dropped++
		}
	}
	clear(s.Objects[len(keep):])
	s.Objects = keep
	return dropped
}
