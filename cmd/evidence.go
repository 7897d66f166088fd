package cmd

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/policies"
	"github.com/meshaudit/meshaudit/rules"
	"github.com/meshaudit/meshaudit/snapshot"
)

func addEvidenceFlags(c *cobra.Command) {
	c.Flags().String("evidence-dir", "", "write an evidence bundle per cluster to DIR/<cluster>-<UTC time> (docs/evidence.md); never overwrites")
	c.Flags().String("sign-key", "", "ed25519 private key (meshaudit keygen) signing each evidence bundle's manifest")
}

// writeEvidence writes one evidence bundle per cluster when --evidence-dir
// is given. snaps and reps are in the same order.
func (a *app) writeEvidence(snaps []*snapshot.Snapshot, reps []*evaluate.Report, cat *rules.Catalog, mods []policies.Module, params policies.Params, now time.Time) error {
	dir, keyFile := a.v.GetString("evidence-dir"), a.v.GetString("sign-key")
	if dir == "" {
		if keyFile != "" {
			return usageErr("--sign-key needs --evidence-dir")
		}
		return nil
	}
	in := evidence.Input{
		Catalog:      cat,
		Modules:      mods,
		Params:       params,
		SelfDeclared: a.v.GetBool("self-declared-exceptions"),
		EvaluatedAt:  now,
		ToolVersion:  Version(),
		CreatedAt:    time.Now(),
	}
	var err error
	if in.PolicyDigest, err = PolicyDigest(); err != nil {
		return err
	}
	if keyFile != "" {
		if in.SignKey, err = evidence.LoadPrivateKey(keyFile); err != nil {
			return usageErr("--sign-key: %v", err)
		}
	}
	if f := a.v.GetString("exceptions"); f != "" {
		if in.Exceptions, err = os.ReadFile(f); err != nil {
			return usageErr("--exceptions: %v", err)
		}
	}
	for i, rep := range reps {
		in.Snapshot, in.Report = snaps[i], rep
		path, err := evidence.Build(dir, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "meshaudit: evidence bundle %s\n", path)
	}
	return nil
}
