package cmd

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshaudit/meshaudit/report"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/exceptions"
	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

func addEvidenceFlags(c *cobra.Command) {
	c.Flags().String("evidence-dir", "", "write an evidence bundle per cluster to DIR/<cluster>-<UTC time> (docs/evidence.md); never overwrites")
	c.Flags().String("sign-key", "", "ed25519 private key (meshaudit keygen) signing each evidence bundle's manifest")
}

// evidenceKey checks the evidence flags before anything is collected and
// loads the signing key (nil when none).
func (a *app) evidenceKey() (ed25519.PrivateKey, error) {
	dir, keyFile := a.v.GetString("evidence-dir"), a.v.GetString("sign-key")
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

// writeEvidence writes one evidence bundle per cluster when --evidence-dir
// is given, signed with key when not nil, and returns them for the OSCAL
// report. snaps and reps are in the same order.
func (a *app) writeEvidence(snaps []*snapshot.Snapshot, reps []*report.Report, cat *rules.Catalog, mods []policies.Module, params policies.Params, now time.Time, key ed25519.PrivateKey) ([]output.OSCALBundle, error) {
	dir := a.v.GetString("evidence-dir")
	if dir == "" {
		return nil, nil
	}
	in := evidence.Input{
		Catalog:      cat,
		Modules:      mods,
		Params:       params,
		SelfDeclared: a.v.GetBool("self-declared-exceptions"),
		EvaluatedAt:  now,
		Deadline:     a.v.GetDuration("eval-timeout"),
		ToolVersion:  Version(),
		CreatedAt:    time.Now(),
		SignKey:      key,
		OSCALVersion: a.v.GetString("oscal-version"),
	}
	var err error
	if in.PolicyDigest, err = PolicyDigest(); err != nil {
		return nil, err
	}
	if f := a.v.GetString("exceptions"); f != "" {
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
		fmt.Fprintf(a.stderr, "meshaudit: evidence bundle %s\n", path)
		man, err := os.ReadFile(filepath.Join(path, evidence.FileManifest))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(man)
		bundles = append(bundles, output.OSCALBundle{Cluster: rep.Cluster, Path: path, ManifestSHA256: hex.EncodeToString(sum[:])})
	}
	return bundles, nil
}
