package cmd

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

func addEvidenceFlags(c *cobra.Command) {
	c.Flags().String("evidence-dir", "", "write an evidence bundle per cluster to DIR/<cluster>-<UTC time> (docs/evidence.md); never overwrites")
	c.Flags().String("sign-key", "", "ed25519 private key (meshaudit keygen) signing each evidence bundle's manifest")
}

// writeEvidence writes one evidence bundle per cluster when --evidence-dir
// is given, and returns them for the OSCAL report. snaps and reps are in
// the same order.
func (a *app) writeEvidence(snaps []*snapshot.Snapshot, reps []*evaluate.Report, cat *rules.Catalog, mods []policies.Module, params policies.Params, now time.Time) ([]output.OSCALBundle, error) {
	dir, keyFile := a.v.GetString("evidence-dir"), a.v.GetString("sign-key")
	if dir == "" {
		if keyFile != "" {
			return nil, usageErr("--sign-key needs --evidence-dir")
		}
		return nil, nil
	}
	in := evidence.Input{
		Catalog:      cat,
		Modules:      mods,
		Params:       params,
		SelfDeclared: a.v.GetBool("self-declared-exceptions"),
		EvaluatedAt:  now,
		ToolVersion:  Version(),
		CreatedAt:    time.Now(),
		OSCALVersion: a.v.GetString("oscal-version"),
	}
	var err error
	if in.PolicyDigest, err = PolicyDigest(); err != nil {
		return nil, err
	}
	if keyFile != "" {
		if in.SignKey, err = evidence.LoadPrivateKey(keyFile); err != nil {
			return nil, usageErr("--sign-key: %v", err)
		}
	}
	if f := a.v.GetString("exceptions"); f != "" {
		if in.Exceptions, err = os.ReadFile(f); err != nil {
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
