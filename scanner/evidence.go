package scanner

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/report"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

// evidenceKey checks the evidence options before anything is collected and
// loads the signing key (nil when none).
func (o Options) evidenceKey() (ed25519.PrivateKey, error) {
	dir, keyFile := o.EvidenceDir, o.SignKey
	if keyFile == "" {
		return nil, nil
	}
	if dir == "" {
		return nil, usageErr("--sign-key needs --evidence-dir")
	}
	key, err := evidence.LoadPrivateKey(keyFile)
	if err != nil {
		return nil, usageErr("--sign-key: %v", err)
	}
	return key, nil
}

// writeEvidence writes one evidence bundle per cluster when EvidenceDir
// is set, signed with key when not nil, and returns them for the OSCAL
// report. snaps and reps are in the same order.
func (r *run) writeEvidence(snaps []*snapshot.Snapshot, reps []*report.Report, cat *rules.Catalog, mods []policies.Module, params policies.Params, now time.Time, key ed25519.PrivateKey) ([]output.OSCALBundle, error) {
	o := r.o
	dir := o.EvidenceDir
	if dir == "" {
		return nil, nil
	}
	in := evidence.Input{
		Catalog:      cat,
		Modules:      mods,
		Params:       params,
		SelfDeclared: o.SelfDeclaredExceptions,
		EvaluatedAt:  now,
		Deadline:     o.EvalTimeout,
		ToolVersion:  o.ToolVersion,
		CreatedAt:    time.Now(),
		SignKey:      key,
		OSCALVersion: o.OSCALVersion,
	}
	var err error
	if in.PolicyDigest, err = PolicyDigest(); err != nil {
		return nil, err
	}
	if f := o.Exceptions; f != "" {
		if in.Exceptions, err = fsutil.ReadRegular(f, exceptions.MaxFileBytes, false); err != nil {
			return nil, usageErr("--exceptions: %v", err)
		}
	}
	var bundles []output.OSCALBundle
	for i, rep := range reps {
		in.Snapshot, in.Report = snaps[i], rep
		path, err := evidence.Build(dir, in)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(r.io.Stderr, "meshaudit: evidence bundle %s\n", path)
		man, err := os.ReadFile(filepath.Join(path, evidence.FileManifest))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(man)
		bundles = append(bundles, output.OSCALBundle{Cluster: rep.Cluster, Path: path, ManifestSHA256: hex.EncodeToString(sum[:])})
	}
	return bundles, nil
}
