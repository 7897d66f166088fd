package output

import (
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Location is a file and line in the scan's input.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// Anchor says where, in a scan's input, a finding with no object of its own
// belongs (a mesh-wide finding such as MTLS-01 on Mesh/<cluster>: no
// mesh-wide PeerAuthentication at all). SARIF needs a file for every result;
// code scanning refuses or drops a result with only a logical location.
type Anchor struct {
	// Policy: the first Istio policy object of the root namespace
	// (PeerAuthentication, AuthorizationPolicy, RequestAuthentication,
	// Sidecar, Telemetry, EnvoyFilter, ProxyConfig, WasmPlugin): where a
	// missing mesh-wide policy belongs.
	Policy *Location
	// MeshConfig: the mesh config (the root namespace's istio or
	// istio-<revision> ConfigMap, or an IstioOperator).
	MeshConfig *Location
	// First: line 1 of the first input file that holds an object.
	First *Location
}

// AnchorOf finds, in a manifest snapshot, where findings without an object
// belong; workDir is the directory the collector made file names relative
// to. A live snapshot has no files: its anchor is empty and SARIF uses a
// pseudo-artifact (see ClusterArtifact).
func AnchorOf(s *snapshot.Snapshot, rootNamespace, workDir string) Anchor {
	var a Anchor
	if s.Source.Type != snapshot.SourceManifests {
		return a
	}
	earlier := func(cur *Location, o *snapshot.Object) *Location {
		if !inFile(o.File) {
			return cur
		}
		if cur == nil || o.File < cur.File || o.File == cur.File && o.Line < cur.Line {
			return &Location{File: o.File, Line: max(o.Line, 1)}
		}
		return cur
	}
	files := map[string]bool{}
	for i := range s.Objects {
		o := &s.Objects[i]
		if inFile(o.File) {
			files[o.File] = true
		}
		switch {
		case o.Namespace == rootNamespace && snapshot.RootPolicyKind(o.Kind):
			a.Policy = earlier(a.Policy, o)
		case o.Kind == "ConfigMap" && snapshot.IsMeshConfigMap(o.Namespace, o.Name, rootNamespace), o.Kind == "IstioOperator":
			a.MeshConfig = earlier(a.MeshConfig, o)
		}
	}
	sorted := make([]string, 0, len(files))
	for f := range files {
		sorted = append(sorted, f)
	}
	sort.Strings(sorted)
	// The first input (in the order given) that holds a file; within a
	// directory, the first file by name.
	for _, in := range s.Source.Inputs {
		if in == "-" {
			continue
		}
		clean := filepath.ToSlash(filepath.Clean(in))
		if abs, err := filepath.Abs(in); err == nil && workDir != "" {
			if rel, err := filepath.Rel(workDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
				clean = filepath.ToSlash(rel)
			}
		}
		for _, f := range sorted {
			if f == clean || clean == "." || strings.HasPrefix(f, clean+"/") {
				a.First = &Location{File: f, Line: 1}
				return a
			}
		}
	}
	if len(sorted) > 0 {
		a.First = &Location{File: sorted[0], Line: 1}
	}
	return a
}

// inFile: the object came from a file (not standard input, not a cluster).
func inFile(f string) bool { return f != "" && f != "<stdin>" }

// ClusterArtifact is the pseudo-artifact of a SARIF result that has no input
// file: an object read from a live cluster, or from standard input, or a
// mesh-wide finding of a scan whose input holds no file at all. It is a
// relative URI, cluster/<cluster>/<Kind>/<namespace>/<name> (each segment
// URL-escaped), at line 1; code scanning accepts it and shows the alert
// without a code snippet.
func ClusterArtifact(cluster, fqn string) string {
	segs := append([]string{"cluster", cluster}, strings.Split(fqn, "/")...)
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
