// Package snapshot defines the one versioned type every source produces:
// manifests, a live cluster or a saved file. Rules evaluate a Snapshot, never
// a client.
package snapshot

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
)

// SchemaVersion identifies the snapshot format. Bump it on incompatible change.
const SchemaVersion = "meshaudit.io/snapshot/v1"

// Source types.
const (
	SourceManifests = "manifests"
	SourceCluster   = "cluster"
)

// Kind collection statuses.
const (
	StatusCollected = "collected"
	StatusAbsent    = "absent"    // not served by the API server (e.g. no Istio CRDs)
	StatusForbidden = "forbidden" // RBAC refused the list
	StatusError     = "error"     // timeout, server error, ...
)

// Snapshot is the state a scan judges.
type Snapshot struct {
	SchemaVersion string `json:"schemaVersion"`
	Cluster       string `json:"cluster"`
	Source        Source `json:"source"`
	// CollectedAt is RFC 3339. Manifest snapshots leave it empty unless
	// SOURCE_DATE_EPOCH is set: files have no collection time, and leaving it
	// out keeps pre-merge reports byte-identical from run to run.
	CollectedAt string       `json:"collectedAt,omitempty"`
	ToolVersion string       `json:"toolVersion"`
	Kinds       []KindStatus `json:"kinds"`
	ParseErrors []ParseError `json:"parseErrors"`
	// Notices are facts about the input that change no verdict: files
	// skipped as not Kubernetes, duplicate definitions, objects the API
	// server would reject (see Notice).
	Notices []Notice `json:"notices,omitempty"`
	// ImagePlaceholders are the image names build tools of the input fill
	// in at deploy time (see ImagePlaceholder); manifest scans only.
	ImagePlaceholders []ImagePlaceholder `json:"imagePlaceholders,omitempty"`
	Objects           []Object           `json:"objects"`
}

// Build tools that declare image placeholders.
const (
	ToolSkaffold  = "skaffold"
	ToolKustomize = "kustomize"
)

// ImagePlaceholder is an image name that a build tool of the input replaces
// at deploy time: a skaffold build artifact (build.artifacts[].image, also
// in profiles), or the image a kustomize `images:` entry leaves untagged
// (an entry that sets neither newTag nor digest: the deploy pipeline sets
// the tag, as `kustomize edit set image` does). A container image written
// as exactly this name with no tag and no digest is not the image that
// runs, so it is not judged as pulling "latest" (POD-11).
type ImagePlaceholder struct {
	Image string `json:"image"`
	Tool  string `json:"tool"` // skaffold | kustomize
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
	Field string `json:"field,omitempty"` // dotted path in the file: build.artifacts[2].image
}

// Location is "file:line", "file", or "".
func (p ImagePlaceholder) Location() string {
	if p.File != "" && p.Line > 0 {
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return p.File
}

// Notice kinds.
const (
	// NoticeSkipped: an input that holds no Kubernetes object (a values
	// file, a CI workflow, docker-compose, a kustomize Component not used
	// by any kustomization, ...) was not read as manifests.
	NoticeSkipped = "skipped"
	// NoticeDuplicate: an object is defined twice; the later definition is
	// judged, as `kubectl apply` of both would leave it.
	NoticeDuplicate = "duplicate"
	// NoticeValidity: the object is not valid apart from any policy (an
	// unknown field or enum value of an Istio kind, a container without an
	// image, ...): the API server or istioctl validate would reject it. It
	// is still judged on what could be read.
	NoticeValidity = "validity"
	// NoticePlaceholder: an image reference a build tool fills in at
	// deploy time (a skaffold artifact, a kustomize images: entry, ko://,
	// params.placeholder_images), so POD-11 did not judge it. Rules report
	// it (their notices set), not collectors.
	NoticePlaceholder = "placeholder"
)

// Notice is one fact about the input that is not a finding and never
// changes a verdict or the exit code (except --fail-on-duplicates).
type Notice struct {
	Kind    string `json:"kind"` // skipped | duplicate | validity | placeholder
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Object  string `json:"object,omitempty"` // Kind/namespace/name
	Field   string `json:"field,omitempty"`  // dotted field path (validity)
	Message string `json:"message"`
}

// Location is "file:line", "file", or "" when the notice has no file.
func (n Notice) Location() string {
	switch {
	case n.File != "" && n.Line > 0:
		return fmt.Sprintf("%s:%d", n.File, n.Line)
	default:
		return n.File
	}
}

// Source says where the objects came from.
type Source struct {
	Type   string   `json:"type"`             // manifests | cluster
	Inputs []string `json:"inputs,omitempty"` // files/dirs/"-" for manifests; context/server for a cluster
}

// KindStatus is the collection status of one kind.
type KindStatus struct {
	Kind   string `json:"kind"` // input key, see Key
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	Count  int    `json:"count"`
}

// ParseError is an input that could not be read; it is data, not an abort.
type ParseError struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

// Object is one Kubernetes object.
type Object struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Namespace  string         `json:"namespace,omitempty"`
	Name       string         `json:"name"`
	File       string         `json:"file,omitempty"`
	Line       int            `json:"line,omitempty"`
	Object     map[string]any `json:"object"`
	// Value is the object already converted for the evaluator (an OPA ast
	// term, see evaluate.Converter) when the collector was asked to convert
	// objects as it read them; Object is then nil. Never serialized: a
	// snapshot whose objects were converted cannot be written.
	Value any `json:"-"`
}

// Group returns the API group of the object ("" for core).
func (o *Object) Group() string { return GroupOf(o.APIVersion) }

// Key returns the input key of the object's kind (see Key).
func (o *Object) Key() string { return Key(o.Group(), o.Kind) }

// Ref returns the object's reference.
func (o *Object) Ref() Ref {
	return Ref{APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name}
}

// Ref names an object.
type Ref struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// FQN is the fully qualified name used in reports: Kind/namespace/name, or
// Kind/name for cluster-scoped objects.
func (r Ref) FQN() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// GroupOf returns the group part of an apiVersion.
func GroupOf(apiVersion string) string {
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

// Key is how a kind is addressed in rule inputs and in input.objects: the
// bare Kind for the groups the catalog reads (core, apps, batch, networking,
// policy, autoscaling, rbac, scheduling, admissionregistration and every
// *.istio.io group), and Kind.group for any other group, so that e.g. the
// Gateway API's Gateway ("Gateway.gateway.networking.k8s.io") never collides
// with Istio's Gateway.
func Key(group, kind string) string {
	if knownGroup(group) {
		return kind
	}
	return kind + "." + group
}

func knownGroup(g string) bool {
	switch g {
	case "", "apps", "batch", "networking.k8s.io", "policy", "autoscaling",
		"rbac.authorization.k8s.io", "scheduling.k8s.io", "admissionregistration.k8s.io":
		return true
	}
	return strings.HasSuffix(g, ".istio.io")
}

// istioKinds are the kinds of Istio's API groups (*.istio.io), by key: Key
// drops those groups, so the bare kind names them.
var istioKinds = map[string]bool{
	"VirtualService": true, "DestinationRule": true, "Gateway": true, "ServiceEntry": true, "Sidecar": true,
	"EnvoyFilter": true, "WorkloadEntry": true, "WorkloadGroup": true, "ProxyConfig": true,
	"PeerAuthentication": true, "AuthorizationPolicy": true, "RequestAuthentication": true, "Telemetry": true, "WasmPlugin": true,
}

// IstioKind reports whether a kind key belongs to an Istio API group.
func IstioKind(key string) bool { return istioKinds[key] }

// Sort orders objects, kinds and parse errors canonically.
func (s *Snapshot) Sort() {
	sort.SliceStable(s.Objects, func(i, j int) bool {
		a, b := &s.Objects[i], &s.Objects[j]
		if a.Key() != b.Key() {
			return a.Key() < b.Key()
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	sort.Slice(s.Kinds, func(i, j int) bool { return s.Kinds[i].Kind < s.Kinds[j].Kind })
	SortNotices(s.Notices)
	s.ImagePlaceholders = SortPlaceholders(s.ImagePlaceholders)
	sort.SliceStable(s.ParseErrors, func(i, j int) bool {
		a, b := s.ParseErrors[i], s.ParseErrors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
}

// SortPlaceholders orders placeholders by image, file, line and field, and
// drops exact repeats (one kustomization read by two overlays).
func SortPlaceholders(ps []ImagePlaceholder) []ImagePlaceholder {
	slices.SortStableFunc(ps, func(a, b ImagePlaceholder) int {
		return cmp.Or(cmp.Compare(a.Image, b.Image), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Tool, b.Tool), cmp.Compare(a.Field, b.Field))
	})
	return slices.Compact(ps)
}

// SortNotices orders notices by file, line, kind, object and message.
func SortNotices(ns []Notice) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		return a.Message < b.Message
	})
}

// KindState reports whether objects of kind key can be relied on. For a
// manifest snapshot, the files are the whole input: any kind not seen simply
// has no objects. For a cluster snapshot, a kind without a status was not
// collected.
func (s *Snapshot) KindState(key string) (status, reason string) {
	for _, k := range s.Kinds {
		if k.Kind == key {
			return k.Status, k.Reason
		}
	}
	if s.Source.Type == SourceManifests {
		return StatusCollected, ""
	}
	return StatusError, "kind was not collected"
}

// Write encodes the snapshot as indented JSON.
func (s *Snapshot) Write(w io.Writer) error {
	for i := range s.Objects {
		if s.Objects[i].Object == nil {
			return fmt.Errorf("snapshot object %s was converted for evaluation and released (or has no content); it cannot be written", s.Objects[i].Ref().FQN())
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// Read decodes a snapshot and checks its version.
func Read(r io.Reader) (*Snapshot, error) { return ReadEach(r, nil) }

// ReadEach decodes a snapshot as Read does, decoding the objects on every
// core (a 100k-object snapshot is hundreds of megabytes of JSON) and calling
// each, when not nil, on every object from the decoding goroutine.
func ReadEach(r io.Reader, each func(*Object)) (*Snapshot, error) {
	return read(r, each, nil)
}

func read(r io.Reader, each func(*Object), value ValueFunc) (*Snapshot, error) {
	s, err := readStream(r, each, value)
	return checked(s, err)
}

// checked is a decoded snapshot, checked.
func checked(s *Snapshot, err error) (*Snapshot, error) {
	if err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if s.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("unsupported snapshot schemaVersion %q (want %q)", s.SchemaVersion, SchemaVersion)
	}
	for i := range s.Objects {
		o := &s.Objects[i]
		if o.Kind == "" || o.Name == "" || (o.Object == nil && o.Value == nil) {
			return nil, fmt.Errorf("snapshot object %d: kind, name and object are required", i)
		}
	}
	if s.Kinds == nil {
		s.Kinds = []KindStatus{}
	}
	if s.ParseErrors == nil {
		s.ParseErrors = []ParseError{}
	}
	return s, nil
}
