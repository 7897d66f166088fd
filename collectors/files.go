// Package collectors builds snapshots: from manifest files (pre-merge), from
// a saved snapshot (evidence) and, later, from a live cluster. Every source
// produces the same snapshot.Snapshot; inputs that cannot be read are
// recorded in it, never dropped silently.
package collectors

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/snapshot"
)

// Stdin is the path that reads standard input.
const Stdin = "-"

// FileOptions configure a manifest collection.
type FileOptions struct {
	Paths            []string  // files, directories (recursive) or "-"
	Namespace        string    // for namespaced objects without metadata.namespace
	Cluster          string    // cluster name recorded in the snapshot
	RootNamespace    string    // Istio root namespace (to keep mesh ConfigMap data)
	ToolVersion      string    //
	Stdin            io.Reader // read for "-"
	WorkDir          string    // file paths are recorded relative to it when below it
	CollectedAt      time.Time // zero: leave unset (see snapshot.Snapshot.CollectedAt)
	MaxDocumentBytes int       // a larger YAML document is a parse error; 0: DefaultMaxDocumentBytes
	MaxFileBytes     int64     // a larger file (or stdin) is a parse error, never read whole; 0: DefaultMaxFileBytes
	// Convert, when set, is called on each object once it is complete
	// (redacted), in input order; evaluate.Converter.Convert converts it
	// for evaluation and drops its map (Object.Object), so that the decoded
	// maps of the whole input are never held at once.
	Convert func(*snapshot.Object)

	// Exclude skips paths matching its globs (--exclude) below each
	// directory given; nil excludes nothing.
	Exclude *Excluder
	// Helm renders every directory holding Chart.yaml as `helm template`
	// would (see helm.go).
	Helm HelmOptions
	// MeshConfigFile (--mesh-config) and IstioValues (--istio-values) are
	// sources of the mesh config (see meshconfig.go).
	MeshConfigFile string
	IstioValues    []string
}

// Input limits, so that memory stays bounded whatever the input. YAML alias
// expansion ("billion laughs") is refused by the YAML decoder and nesting
// deeper than 10,000 levels by the JSON decoder, each as a parse error.
const (
	DefaultMaxDocumentBytes = 32 << 20  // 32 MiB per YAML document
	DefaultMaxFileBytes     = 256 << 20 // 256 MiB per file
)

// manifestExts are the extensions read from directories.
var manifestExts = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// FromFiles reads manifests into a snapshot. Unreadable paths and malformed
// documents become snapshot.ParseErrors; the rest is still read.
func FromFiles(opts FileOptions) *snapshot.Snapshot {
	s := &snapshot.Snapshot{
		SchemaVersion: snapshot.SchemaVersion,
		Cluster:       opts.Cluster,
		Source:        snapshot.Source{Type: snapshot.SourceManifests, Inputs: append([]string{}, opts.Paths...)},
		ToolVersion:   opts.ToolVersion,
		Kinds:         []snapshot.KindStatus{},
		ParseErrors:   []snapshot.ParseError{},
		Objects:       []snapshot.Object{},
	}
	if !opts.CollectedAt.IsZero() {
		s.CollectedAt = opts.CollectedAt.UTC().Format(time.RFC3339)
	}
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	r := &fileReader{opts: opts, snap: s, seen: map[string]int{}}
	for _, p := range opts.Paths {
		r.path(p)
	}
	r.meshConfigSources()
	r.decodeAll()
	counts := map[string]int{}
	for i := range s.Objects {
		counts[s.Objects[i].Key()]++
	}
	for k, n := range counts {
		s.Kinds = append(s.Kinds, snapshot.KindStatus{Kind: k, Status: snapshot.StatusCollected, Count: n})
	}
	s.Sort()
	return s
}

type fileReader struct {
	opts FileOptions
	snap *snapshot.Snapshot
	seen map[string]int // object identity → its index in snap.Objects
	jobs []*fileJob     // inputs to decode, in input order
}

// fileJob is one input file (or standard input) to decode. Files are read and
// decoded concurrently; their results are then applied in input order, so
// the snapshot (the later definition wins for duplicates) does not depend
// on scheduling.
type fileJob struct {
	path    string // "" when data is already read (stdin) or rendered
	display string
	data    []byte
	// render, when set, produces the results instead of reading path (a
	// Helm chart rendered on a worker; a kustomization built already).
	render  func() []decoded
	results []decoded
	done    chan struct{} // closed once results are set
}

// decoded is the outcome of one document: an object, a parse error or a
// notice.
type decoded struct {
	file   string // when not the job's (rendered charts, kustomize builds)
	line   int
	obj    map[string]any
	err    string           // parse error reason when obj and notice are nil
	notice *snapshot.Notice // a notice instead of an object
	hard   bool             // an error about the input itself (binary, too large): never a file to skip
	src    *document        // the document's text, to locate fields (nil: lines are the object's)
	// placeholders, when set, are image placeholders a build tool's
	// configuration declares (the entry holds nothing else).
	placeholders []snapshot.ImagePlaceholder
}

func (r *fileReader) fail(file string, line int, format string, args ...any) {
	r.snap.ParseErrors = append(r.snap.ParseErrors, snapshot.ParseError{File: file, Line: line, Reason: fmt.Sprintf(format, args...)})
}

func (r *fileReader) display(p string) string {
	if p == Stdin {
		return "<stdin>"
	}
	if r.opts.WorkDir != "" {
		if abs, err := filepath.Abs(p); err == nil {
			if rel, err := filepath.Rel(r.opts.WorkDir, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return filepath.ToSlash(rel)
			}
		}
	}
	return filepath.ToSlash(filepath.Clean(p))
}

func (r *fileReader) path(p string) {
	if p == Stdin {
		in := r.opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		b, err := io.ReadAll(io.LimitReader(in, r.opts.MaxFileBytes+1))
		if err != nil {
			r.fail("<stdin>", 0, "read: %v", err)
			return
		}
		if int64(len(b)) > r.opts.MaxFileBytes {
			r.fail("<stdin>", 0, "input is larger than the %d-byte limit; not read", r.opts.MaxFileBytes)
			return
		}
		r.jobs = append(r.jobs, &fileJob{display: "<stdin>", data: b})
		return
	}
	info, err := os.Stat(p)
	if err != nil {
		r.fail(r.display(p), 0, "%s", errReason(err))
		return
	}
	if !info.IsDir() {
		switch base := filepath.Base(p); {
		case isKustomizationFile(base), isChartFile(base):
			// A kustomization or Chart.yaml given alone stands for its
			// directory: built or rendered, never read as manifests.
			t := &tree{root: filepath.Dir(p)}
			if isChartFile(base) {
				t.charts = []string{t.root}
			} else {
				t.kdirs = []string{t.root}
			}
			r.plan(t, nil)
		default:
			r.file(p)
		}
		return
	}
	var files []string
	t := &tree{root: p}
	err = filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
		if err != nil {
			r.fail(r.display(fp), 0, "%s", errReason(err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if ex, _ := r.opts.Exclude.Excluded(relSlash(p, fp)); ex {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return t.dir(fp) // a chart is one input: its files are not walked
		}
		if reason, ok := dirLink(p, fp, d); ok {
			if reason != "" {
				r.fail(r.display(fp), 0, "%s", reason)
			}
			return nil
		}
		if !manifestExts[strings.ToLower(filepath.Ext(fp))] {
			return nil
		}
		if reason := skipEntry(p, fp, d); reason != "" {
			r.fail(r.display(fp), 0, "%s", reason)
			return nil
		}
		files = append(files, fp)
		return nil
	})
	if err != nil {
		r.fail(r.display(p), 0, "%s", errReason(err))
	}
	r.plan(t, files)
}

// relSlash is fp relative to root, slash-separated ("" for root itself).
func relSlash(root, fp string) string {
	rel, err := filepath.Rel(root, fp)
	if err != nil || rel == "." {
		return ""
	}
	return filepath.ToSlash(rel)
}

// errReason drops the path from a file-system error: the file is reported
// beside it.
func errReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}

func (r *fileReader) file(p string) {
	r.jobs = append(r.jobs, &fileJob{path: p, display: r.display(p)})
}

// decodeAll reads and decodes the queued inputs on every core and adds
// their objects and parse errors in input order, each input as soon as it
// and those before it are decoded (so that, with FileOptions.Convert, the
// decoded maps of only a few inputs are alive at once).
func (r *fileReader) decodeAll() {
	workers := runtime.GOMAXPROCS(0)
	if workers > len(r.jobs) {
		workers = len(r.jobs)
	}
	next := make(chan *fileJob)
	for _, j := range r.jobs {
		j.done = make(chan struct{})
	}
	for i := 0; i < workers; i++ {
		go func() {
			for j := range next {
				r.decodeJob(j)
				close(j.done)
			}
		}()
	}
	go func() {
		for _, j := range r.jobs {
			next <- j
		}
		close(next)
	}()
	for _, j := range r.jobs {
		<-j.done
		for _, d := range j.results {
			file := j.display
			if d.file != "" {
				file = d.file
			}
			switch {
			case d.placeholders != nil:
				r.snap.ImagePlaceholders = append(r.snap.ImagePlaceholders, d.placeholders...)
			case d.notice != nil:
				n := *d.notice
				if n.File == "" {
					n.File = file
				}
				r.snap.Notices = append(r.snap.Notices, n)
			case d.obj == nil:
				r.snap.ParseErrors = append(r.snap.ParseErrors, snapshot.ParseError{File: file, Line: d.line, Reason: d.err})
			default:
				r.object(file, d.line, d.obj, "", d.src, "")
			}
		}
		j.results, j.data = nil, nil
	}
	r.jobs = nil
}

func (r *fileReader) decodeJob(j *fileJob) {
	if j.render != nil {
		j.results = j.render()
		return
	}
	if j.path != "" {
		if st, err := os.Stat(j.path); err == nil && st.Mode().IsRegular() && st.Size() > r.opts.MaxFileBytes {
			j.results = []decoded{{err: fmt.Sprintf("file is %d bytes, more than the %d-byte limit; not read", st.Size(), r.opts.MaxFileBytes), hard: true}}
			return
		}
		b, reason := readInput(j.path, r.opts.MaxFileBytes)
		if reason != "" {
			j.results = []decoded{{err: reason, hard: true}}
			return
		}
		j.data = b
	}
	j.results = r.content(j.data)
	if j.path != "" {
		// Files found in a tree or named on the command line hold
		// manifests or are skipped; standard input is always manifests.
		// A skaffold configuration is skipped too, and its build
		// artifacts are image placeholders.
		ps := skaffoldPlaceholders(j.display, j.results)
		j.results = classifyFile(j.data, j.results)
		if len(ps) > 0 {
			j.results = append(j.results, decoded{placeholders: ps})
		}
	}
}

// document is one YAML document of a file and the line it starts on.
type document struct {
	line  int // 1-based line of the first content line
	first int // 1-based line the document's text starts on (for error offsets)
	data  []byte
}

var separator = regexp.MustCompile(`^---(\s.*)?$`)

// splitDocuments splits a YAML stream on `---` lines, remembering where each
// document starts.
func splitDocuments(b []byte) []document {
	var docs []document
	var cur bytes.Buffer
	first, content := 1, 0
	flush := func() {
		if content > 0 {
			docs = append(docs, document{line: content, first: first, data: append([]byte(nil), cur.Bytes()...)})
		}
		cur.Reset()
		content = 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), len(b)+1)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.HasPrefix(line, "---") && separator.MatchString(strings.TrimRight(line, "\r")) {
			flush()
			first = n + 1
			continue
		}
		if line == "..." {
			continue
		}
		t := strings.TrimSpace(line)
		if content == 0 && (t == "" || strings.HasPrefix(t, "#")) {
			// Leading blank and comment lines are kept so error line
			// numbers stay right, but do not start the document.
			cur.WriteString(line)
			cur.WriteByte('\n')
			continue
		}
		if content == 0 {
			content = n
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return docs
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// absLine turns a YAML error's document-relative line into the file's line.
func absLine(err error, d document) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil {
			abs := d.first + n - 1
			return abs, strings.Replace(msg, m[0], "line "+strconv.Itoa(abs), 1)
		}
	}
	return d.line, msg
}

// content decodes the documents of one input. It touches no shared state
// (inputs are decoded concurrently).
func (r *fileReader) content(b []byte) []decoded {
	if !isText(b) {
		return []decoded{{err: "not a text file (binary content)", hard: true}}
	}
	var out []decoded
	fail := func(line int, format string, args ...any) {
		out = append(out, decoded{line: line, err: fmt.Sprintf(format, args...)})
	}
	for _, d := range splitDocuments(b) {
		if len(d.data) > r.opts.MaxDocumentBytes {
			fail(d.line, "document is %d bytes, more than the %d-byte limit", len(d.data), r.opts.MaxDocumentBytes)
			out[len(out)-1].hard = true
			continue
		}
		j, err := yaml.YAMLToJSONStrict(d.data)
		if err != nil {
			line, msg := absLine(err, d)
			fail(line, "invalid YAML: %s", msg)
			continue
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			fail(d.line, "invalid document: %v", err)
			continue
		}
		if v == nil {
			continue // empty document
		}
		obj, ok := v.(map[string]any)
		if !ok {
			fail(d.line, "document is not an object (%s)", typeName(v))
			continue
		}
		snapshot.DropNulls(obj)
		out = append(out, decoded{line: d.line, obj: obj, src: &d})
	}
	return out
}

func typeName(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

func isText(b []byte) bool {
	n := len(b)
	if n > 8000 {
		n = 8000
	}
	return bytes.IndexByte(b[:n], 0) < 0
}

// object adds one object, unwrapping List and *List kinds.
// src, when not nil, is the document's text, and prefix the path of obj in
// it ("items[2]."), to locate the fields of validity notices.
func (r *fileReader) object(file string, line int, obj map[string]any, where string, src *document, prefix string) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if kind == "List" || (strings.HasSuffix(kind, "List") && obj["items"] != nil) {
		items, ok := obj["items"].([]any)
		if !ok {
			r.fail(file, line, "%s%s: items is not a list", where, kind)
			return
		}
		for i, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				r.fail(file, line, "%s%s item %d is not an object", where, kind, i)
				continue
			}
			r.object(file, line, m, fmt.Sprintf("%s%s item %d: ", where, kind, i), src, fmt.Sprintf("%sitems[%d].", prefix, i))
		}
		return
	}
	md, _ := obj["metadata"].(map[string]any)
	name, _ := md["name"].(string)
	if name == "" && isIstioOperator(apiVersion, kind) {
		// istioctl install -f takes an IstioOperator without a name.
		md = nameIstioOperator(obj)
		name, _ = md["name"].(string)
	}
	var missing []string
	if apiVersion == "" {
		missing = append(missing, "apiVersion")
	}
	if kind == "" {
		missing = append(missing, "kind")
	}
	if name == "" {
		missing = append(missing, "metadata.name")
	}
	if len(missing) > 0 {
		r.fail(file, line, "%snot a Kubernetes object: missing %s", where, strings.Join(missing, ", "))
		return
	}
	ns, _ := md["namespace"].(string)
	if ClusterScoped(snapshot.GroupOf(apiVersion), kind) {
		if ns != "" {
			delete(md, "namespace")
			ns = ""
		}
	} else if ns == "" {
		ns = r.opts.Namespace
		if isIstioOperator(apiVersion, kind) {
			ns = r.opts.RootNamespace // where istioctl installs it
		}
		md["namespace"] = ns
	}
	o := snapshot.Object{APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, File: file, Line: line, Object: obj}
	for _, is := range validate(apiVersion, kind, obj, r.opts.RootNamespace) {
		at := line
		if src != nil {
			if l := fieldLine(src.data, src.first, prefix+is.path); l > 0 {
				at = l
			}
		}
		r.snap.Notices = append(r.snap.Notices, snapshot.Notice{Kind: snapshot.NoticeValidity, File: file, Line: at, Object: o.Ref().FQN(), Field: is.path, Message: where + is.msg})
	}
	r.add(o, where)
}

// add appends a complete object. A second definition of the same object
// replaces the first, as `kubectl apply` of both would leave it, with a
// duplicate notice naming both places.
func (r *fileReader) add(o snapshot.Object, where string) {
	snapshot.Redact(o.Kind, o.Object, r.opts.RootNamespace)
	if r.opts.Convert != nil {
		r.opts.Convert(&o)
	}
	id := o.Key() + "/" + o.Namespace + "/" + o.Name
	i, dup := r.seen[id]
	if !dup {
		r.seen[id] = len(r.snap.Objects)
		r.snap.Objects = append(r.snap.Objects, o)
		return
	}
	prev := &r.snap.Objects[i]
	r.snap.Notices = append(r.snap.Notices, snapshot.Notice{
		Kind: snapshot.NoticeDuplicate, File: o.File, Line: o.Line, Object: o.Ref().FQN(),
		Message: fmt.Sprintf("%s%s is defined twice: at %s and here; this later definition is judged (what kubectl apply of both would leave)",
			where, o.Ref().FQN(), location(prev.File, prev.Line)),
	})
	*prev = o
}

func location(file string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", file, line)
	}
	return file
}

// clusterScoped lists the cluster-scoped kinds by group; kinds not listed
// are namespaced.
var clusterScoped = map[string]bool{
	"/Namespace": true, "/Node": true, "/PersistentVolume": true, "/ComponentStatus": true,
	"rbac.authorization.k8s.io/ClusterRole": true, "rbac.authorization.k8s.io/ClusterRoleBinding": true,
	"scheduling.k8s.io/PriorityClass":                               true,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     true,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicy":          true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding":   true,
	"apiextensions.k8s.io/CustomResourceDefinition":                 true,
	"apiregistration.k8s.io/APIService":                             true,
	"storage.k8s.io/StorageClass":                                   true,
	"storage.k8s.io/CSIDriver":                                      true,
	"storage.k8s.io/CSINode":                                        true,
	"storage.k8s.io/VolumeAttachment":                               true,
	"networking.k8s.io/IngressClass":                                true,
	"node.k8s.io/RuntimeClass":                                      true,
	"policy/PodSecurityPolicy":                                      true,
	"certificates.k8s.io/CertificateSigningRequest":                 true,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       true,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       true,
	"gateway.networking.k8s.io/GatewayClass":                        true,
	"meshaudit.io/" + MeshConfigKind:                                true,
	"meshaudit.io/" + IstiodValuesKind:                              true,
}

// ClusterScoped reports whether a kind of a group is cluster-scoped.
func ClusterScoped(group, kind string) bool { return clusterScoped[group+"/"+kind] }
