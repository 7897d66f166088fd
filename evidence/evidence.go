// Package evidence writes and verifies evidence bundles: one directory per
// cluster and scan holding the redacted snapshot, the reports (JSON, SARIF,
// OSCAL, HTML summary) and a manifest with the SHA-256 of every file, the
// policy bundle digest and what the evaluation needs to be re-run offline;
// optionally signed with ed25519 (docs/evidence.md).
package evidence

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/meshaudit/meshaudit/report"

	opaversion "github.com/open-policy-agent/opa/v1/version"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// SchemaVersion versions the manifest.
const SchemaVersion = "meshaudit.io/evidence/v1"

// Bundle file names.
const (
	FileSnapshot   = "snapshot.json.gz"
	FileReport     = "report.json"
	FileSARIF      = "report.sarif"
	FileOSCAL      = "oscal.json"
	FileSummary    = "summary.html"
	FileManifest   = "manifest.json"
	FileSignature  = "manifest.sig"
	FileExceptions = "exceptions.yaml"
	// FileFindings holds one finding per line (FindingLine), for querying
	// a fleet's bundles in place (docs/evidence.md).
	FileFindings = "findings.jsonl"
	// DirPolicies holds the custom (--policy) Rego modules evaluated.
	DirPolicies = "policies"
)

// Permissions of bundle files and directories.
const (
	FileMode os.FileMode = 0o640
	DirMode  os.FileMode = 0o750
)

// tmpPrefix starts the name of a bundle being written.
const tmpPrefix = ".tmp-"

// RemoveUnfinished removes the temporary bundles of dir whose scan has
// ended without renaming them into place (killed, or the machine went
// down), and returns their paths. A temporary bundle still being written
// (its writer holds a lock on it) is left alone. With dryRun, nothing is
// removed.
func RemoveUnfinished(dir string, dryRun bool) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !IsUnfinished(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if !abandoned(p) {
			continue
		}
		if dryRun || os.RemoveAll(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// TimeFormat is the UTC timestamp of bundle directory names.
const TimeFormat = "20060102T150405Z"

// Manifest describes a bundle. Its last field, ManifestDigest, is the
// SHA-256 of the manifest file with that digest's hex replaced by zeros, so
// that any edited byte of an unsigned manifest is noticed too (a signature
// is what makes it tamper-evident against a deliberate edit).
type Manifest struct {
	SchemaVersion string      `json:"schemaVersion"`
	Cluster       string      `json:"cluster"`
	CreatedAt     string      `json:"createdAt"`
	Tool          report.Tool `json:"tool"`
	PolicyDigest  string      `json:"policyDigest"`
	// OPAVersion evaluated the policies; verify needs the same.
	OPAVersion string         `json:"opaVersion"`
	Evaluation Evaluation     `json:"evaluation"`
	Files      []FileDigest   `json:"files"`
	Summary    ManifestCounts `json:"summary"`
	// ManifestDigest: "sha256:<hex>", see above.
	ManifestDigest string `json:"manifestDigest"`
}

// ManifestCounts repeats the headline numbers for a reader of the
// manifest alone.
type ManifestCounts struct {
	Complete bool           `json:"complete"`
	Findings map[string]int `json:"findings"`
	Excepted int            `json:"excepted"`
	Controls map[string]int `json:"controls"`
}

// Evaluation is what re-running the evaluation needs besides the snapshot
// and the policies.
type Evaluation struct {
	// Params: the organisation parameters in effect (all of them).
	Params json.RawMessage `json:"params"`
	// Rules: the ids of the rules evaluated (after --rules, --skip-rules,
	// --controls and --severity).
	Rules []string `json:"rules"`
	// Exceptions: the bundled exceptions file, when one was given.
	Exceptions string `json:"exceptions,omitempty"`
	// SelfDeclaredExceptions: annotations were honoured.
	SelfDeclaredExceptions bool `json:"selfDeclaredExceptions"`
	// EvaluatedAt: the time exceptions' expiry was judged at (RFC 3339).
	EvaluatedAt string `json:"evaluatedAt"`
	// Deadline: the evaluation time limit (--eval-timeout, a Go
	// duration): a rule running past it is unknown, so verify uses it too.
	Deadline string `json:"deadline"`
	// CustomPolicies: custom (--policy) modules, bundled under policies/.
	CustomPolicies []CustomPolicy `json:"customPolicies"`
	// OSCALVersion: the OSCAL version of oscal.json (--oscal-version).
	OSCALVersion string `json:"oscalVersion"`
}

// CustomPolicy is one bundled custom Rego module.
type CustomPolicy struct {
	File   string `json:"file"`   // bundle-relative
	Path   string `json:"path"`   // the module path at scan time
	SHA256 string `json:"sha256"` // "sha256:<hex>" of the source
}

// FileDigest is one file of the bundle.
type FileDigest struct {
	Path   string `json:"path"` // slash-separated, relative to the bundle
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Input is everything a bundle is made of.
type Input struct {
	Snapshot     *snapshot.Snapshot
	Report       *report.Report
	Catalog      *rules.Catalog
	Modules      []policies.Module // every module evaluated (embedded and custom)
	Params       policies.Params
	Exceptions   []byte // the exceptions file, nil when none
	SelfDeclared bool
	EvaluatedAt  time.Time
	Deadline     time.Duration // the evaluation deadline; 0: evaluate.DefaultDeadline
	ToolVersion  string
	PolicyDigest string
	CreatedAt    time.Time
	SignKey      ed25519.PrivateKey // nil: unsigned
	// OSCALVersion of oscal.json; "" is output.DefaultOSCALVersion.
	OSCALVersion string
}

// Build writes a new bundle directory under dir, named
// <cluster>-<UTC timestamp>, and returns its path. It never overwrites: an
// existing bundle of that name is an error. The bundle is written in a
// temporary directory beside it and renamed into place.
func Build(dir string, in Input) (string, error) {
	w, err := BuildTo(context.Background(), DirStore(dir), in)
	return w.Location, err
}

// Written is a bundle BuildTo wrote.
type Written struct {
	Location string // a path or an s3:// URL
	// ManifestSHA256 is the SHA-256 (hex) of its manifest.json.
	ManifestSHA256 string
}

// BuildTo renders a bundle and writes it to a store (a local folder, an
// object store) under <cluster>-<UTC timestamp>, and returns its location.
// The store writes every file, then the signature, then the manifest
// last, and never overwrites a bundle.
func BuildTo(ctx context.Context, st Store, in Input) (Written, error) {
	created := in.CreatedAt.UTC()
	name := BundleName(in.Report.Cluster, created)
	files, man, err := render(in, created)
	if err != nil {
		return Written{}, err
	}
	for _, f := range files {
		man.Files = append(man.Files, digestOf(f.Path, f.Data))
	}
	sort.Slice(man.Files, func(i, j int) bool { return man.Files[i].Path < man.Files[j].Path })
	mb, err := encodeManifest(man)
	if err != nil {
		return Written{}, err
	}
	if in.SignKey != nil {
		sig := ed25519.Sign(in.SignKey, mb)
		files = append(files, File{FileSignature, []byte(base64.StdEncoding.EncodeToString(sig) + "\n")})
	}
	files = append(files, File{FileManifest, mb})
	loc, err := st.WriteBundle(ctx, name, files)
	if err != nil {
		return Written{}, err
	}
	sum := sha256.Sum256(mb)
	return Written{Location: loc, ManifestSHA256: hex.EncodeToString(sum[:])}, nil
}

// BundleName is a bundle's name: <cluster>-<UTC time of its creation>.
func BundleName(cluster string, created time.Time) string {
	return SafeName(cluster) + "-" + created.UTC().Format(TimeFormat)
}

// File is one file of a bundle: its slash-separated path in the bundle
// and its bytes.
type File struct {
	Path string
	Data []byte
}

// Store keeps bundles: a local folder (DirStore) or an object store
// (S3Store).
type Store interface {
	// WriteBundle writes a new bundle of the given files, in their order
	// (the manifest is the last: a bundle without one is incomplete), and
	// returns its location (a path, an s3:// URL). It never overwrites a
	// bundle: one of that name existing is an error.
	WriteBundle(ctx context.Context, name string, files []File) (string, error)
}

// DirStore is a local folder of bundles, each a directory written in a
// temporary directory beside it and renamed into place.
type DirStore string

// WriteBundle implements Store.
func (d DirStore) WriteBundle(_ context.Context, name string, files []File) (string, error) {
	dir := string(d)
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("evidence bundle %s already exists: bundles are never overwritten", final)
	}
	if err := os.MkdirAll(dir, DirMode); err != nil {
		return "", fmt.Errorf("evidence directory: %w", err)
	}
	RemoveUnfinished(dir, false)
	tmp, err := os.MkdirTemp(dir, tmpPrefix+name+"-")
	if err != nil {
		return "", fmt.Errorf("evidence bundle: %w", err)
	}
	// Held until the bundle is renamed into place: a leftover temporary
	// bundle whose lock is free is one whose scan died (RemoveUnfinished).
	unlock := lockDir(tmp)
	defer unlock()
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	for _, f := range files {
		p := filepath.Join(tmp, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), DirMode); err != nil {
			return "", err
		}
		if err := writeSynced(p, f.Data); err != nil {
			return "", err
		}
	}
	if err := filepath.WalkDir(tmp, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(p, DirMode)
		}
		return err
	}); err != nil {
		return "", err
	}
	beforeRename(tmp)
	if err := renameNoReplace(tmp, final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("evidence bundle %s already exists: bundles are never overwritten", final)
		}
		return "", fmt.Errorf("evidence bundle: %w", err)
	}
	ok = true
	fsutil.SyncDir(dir)
	return final, nil
}

// beforeRename is a test hook: it runs once the temporary bundle is
// complete, just before the final rename (the fault tests kill the process
// there).
var beforeRename = func(string) {}

// render produces every file of the bundle but the manifest, and the
// manifest without its file list.
func render(in Input, created time.Time) ([]File, *Manifest, error) {
	rep, cat := in.Report, in.Catalog
	reps := []*report.Report{rep}
	var files []File
	var snap bytes.Buffer
	zw := gzip.NewWriter(&snap) // no name, no mtime: deterministic
	if err := in.Snapshot.Write(zw); err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	files = append(files, File{FileSnapshot, snap.Bytes()})
	oscalVersion := in.OSCALVersion
	if oscalVersion == "" {
		oscalVersion = output.DefaultOSCALVersion
	}
	params, err := json.Marshal(in.Params)
	if err != nil {
		return nil, nil, err
	}
	deadline := in.Deadline
	if deadline <= 0 {
		deadline = evaluate.DefaultDeadline
	}
	man := &Manifest{
		OPAVersion:    opaversion.Version,
		SchemaVersion: SchemaVersion,
		Cluster:       rep.Cluster,
		CreatedAt:     created.Format(time.RFC3339),
		Tool:          report.Tool{Name: "meshaudit", Version: in.ToolVersion},
		PolicyDigest:  in.PolicyDigest,
		Evaluation: Evaluation{
			Params:                 params,
			Rules:                  []string{},
			SelfDeclaredExceptions: in.SelfDeclared,
			EvaluatedAt:            in.EvaluatedAt.UTC().Format(time.RFC3339),
			Deadline:               deadline.String(),
			CustomPolicies:         []CustomPolicy{},
			OSCALVersion:           oscalVersion,
		},
		Files:   []FileDigest{},
		Summary: ManifestCounts{Complete: rep.Summary.Complete, Findings: rep.Summary.Findings, Excepted: rep.Summary.Excepted, Controls: rep.Summary.Controls},
	}
	for _, r := range cat.Rules {
		man.Evaluation.Rules = append(man.Evaluation.Rules, r.ID)
	}
	if in.Exceptions != nil {
		man.Evaluation.Exceptions = FileExceptions
		files = append(files, File{FileExceptions, in.Exceptions})
	}
	custom, err := policies.Custom(in.Modules)
	if err != nil {
		return nil, nil, err
	}
	for i, m := range custom {
		f := fmt.Sprintf("%s/%03d-%s", DirPolicies, i+1, SafeName(path.Base(m.Path)))
		man.Evaluation.CustomPolicies = append(man.Evaluation.CustomPolicies, CustomPolicy{File: f, Path: m.Path, SHA256: m.Digest()})
		files = append(files, File{f, []byte(m.Source)})
	}
	derived, err := renderReports(reps, cat, man, snap.Bytes())
	if err != nil {
		return nil, nil, err
	}
	return append(files, derived...), man, nil
}

// renderReports renders the files derived from the report; verify renders
// them again from the re-evaluated report and compares bytes. oscal.json
// takes its times from the manifest (last-modified and end: createdAt;
// start: the snapshot's collection time, else evaluatedAt) and names the
// snapshot's SHA-256.
func renderReports(reps []*report.Report, cat *rules.Catalog, man *Manifest, snapshotGz []byte) ([]File, error) {
	if err := output.CheckOSCALVersion(man.Evaluation.OSCALVersion); err != nil {
		return nil, fmt.Errorf("%s: evaluation.oscalVersion: %w", FileManifest, err)
	}
	created, err := time.Parse(time.RFC3339, man.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("%s: createdAt: %w", FileManifest, err)
	}
	evaluated, err := time.Parse(time.RFC3339, man.Evaluation.EvaluatedAt)
	if err != nil {
		return nil, fmt.Errorf("%s: evaluation.evaluatedAt: %w", FileManifest, err)
	}
	snapSum := sha256.Sum256(snapshotGz)
	oscal := output.OSCALWith(output.OSCALOptions{
		Version:        man.Evaluation.OSCALVersion,
		Generated:      created,
		Started:        evaluated,
		PolicyDigest:   man.PolicyDigest,
		SnapshotDigest: hex.EncodeToString(snapSum[:]),
	})
	var out []File
	for _, f := range []struct {
		name  string
		write output.Writer
	}{{FileReport, output.JSON}, {FileSARIF, output.SARIF}, {FileOSCAL, oscal}} {
		var b bytes.Buffer
		if err := f.write(&b, reps, cat); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		out = append(out, File{f.name, b.Bytes()})
	}
	jl, err := FindingsJSONL(reps[0], man.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", FileFindings, err)
	}
	out = append(out, File{FileFindings, jl})
	var b bytes.Buffer
	if err := SummaryHTML(&b, reps[0], SummaryMeta{CreatedAt: man.CreatedAt, PolicyDigest: man.PolicyDigest, ToolVersion: man.Tool.Version}); err != nil {
		return nil, fmt.Errorf("%s: %w", FileSummary, err)
	}
	return append(out, File{FileSummary, b.Bytes()}), nil
}

func digestOf(p string, b []byte) FileDigest {
	sum := sha256.Sum256(b)
	return FileDigest{Path: p, Size: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}
}

var zeroDigest = "sha256:" + strings.Repeat("0", 64)

// manifestDigestRE finds the self-digest in a manifest file.
var manifestDigestRE = regexp.MustCompile(`"manifestDigest": "sha256:([0-9a-f]{64})"`)

// encodeManifest writes the manifest with its self-digest.
func encodeManifest(m *Manifest) ([]byte, error) {
	m.ManifestDigest = zeroDigest
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	sum := sha256.Sum256(b)
	digest := hex.EncodeToString(sum[:])
	m.ManifestDigest = "sha256:" + digest
	return bytes.Replace(b, []byte(zeroDigest), []byte(m.ManifestDigest), 1), nil
}

// checkManifestDigest recomputes a manifest file's self-digest.
func checkManifestDigest(b []byte) error {
	loc := manifestDigestRE.FindSubmatchIndex(b)
	if loc == nil {
		return errors.New("no manifestDigest")
	}
	recorded := string(b[loc[2]:loc[3]])
	zeroed := append([]byte{}, b...)
	copy(zeroed[loc[2]:loc[3]], strings.Repeat("0", 64))
	sum := sha256.Sum256(zeroed)
	if got := hex.EncodeToString(sum[:]); got != recorded {
		return fmt.Errorf("content does not match its manifestDigest (recorded %s, computed %s)", short(recorded), short(got))
	}
	return nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	return h
}

func writeSynced(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FileMode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(FileMode); err != nil { // umask may have narrowed it
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// SafeName keeps a cluster or file name usable as one path element.
func SafeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, s)
	s = strings.TrimLeft(s, ".")
	if s == "" {
		s = "cluster"
	}
	return s
}

// readSnapshot decodes the bundled snapshot, refusing more than max bytes
// once decompressed (a gzip bomb).
func readSnapshot(b []byte, max int64) (*snapshot.Snapshot, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	lr := &fsutil.LimitedReader{R: zr, N: max}
	s, err := snapshot.Read(lr)
	if lr.N < 0 || errors.Is(err, fsutil.ErrTooLarge) {
		return nil, fmt.Errorf("more than %d bytes decompressed: refused", max)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// FindingLine is one line of findings.jsonl: a finding with what a query
// over many bundles needs to group it (cluster, scan time), flat enough
// for Athena, Trino or DuckDB to read as JSON lines.
type FindingLine struct {
	Cluster     string   `json:"cluster"`
	ScanTime    string   `json:"scanTime"` // the bundle's createdAt, RFC 3339 UTC
	Rule        string   `json:"rule"`
	Severity    string   `json:"severity"`
	Controls    []string `json:"controls"`
	Resource    string   `json:"resource"` // Kind/namespace/name
	Kind        string   `json:"kind"`
	Namespace   string   `json:"namespace"`
	Name        string   `json:"name"`
	Status      string   `json:"status"` // open or excepted
	ExceptionID string   `json:"exceptionId,omitempty"`
	Message     string   `json:"message"`
	File        string   `json:"file,omitempty"`
	Line        int      `json:"line,omitempty"`
	Fingerprint string   `json:"fingerprint"`
}

// Finding statuses of findings.jsonl.
const (
	FindingOpen     = "open"
	FindingExcepted = "excepted"
)

// FindingsJSONL renders a report's findings as JSON lines, in the
// report's (sorted) order.
func FindingsJSONL(rep *report.Report, scanTime string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, f := range rep.Findings {
		l := FindingLine{
			Cluster: rep.Cluster, ScanTime: scanTime, Rule: f.RuleID, Severity: f.Severity.String(),
			Controls: f.Controls, Resource: f.FQN(), Kind: f.Resource.Kind, Namespace: f.Resource.Namespace,
			Name: f.Resource.Name, Status: FindingOpen, Message: f.Message, File: f.File, Line: f.Line,
			Fingerprint: f.Fingerprint,
		}
		if l.Controls == nil {
			l.Controls = []string{}
		}
		if f.Exception != nil {
			l.Status, l.ExceptionID = FindingExcepted, f.Exception.ID
		}
		if err := enc.Encode(l); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}
