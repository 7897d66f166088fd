package cmd

import (
	"crypto/ed25519"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evidence"
)

// ExitVerifyFailed: verify found an edited, missing or added file, a bad
// signature, or a report the re-evaluation does not confirm.
const ExitVerifyFailed = 1

func newVerifyCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "verify DIR",
		Short: "Verify an evidence bundle: digests, signature, and a re-evaluation of the snapshot",
		Long: `Verify an evidence bundle written by scan --evidence-dir: the manifest's own
digest, the ed25519 signature (with --pub-key), the SHA-256 of every file
(and that none was added or removed), then re-evaluate the bundled snapshot
with this binary's embedded policies — whose digest must be the recorded
one — and the recorded settings, and compare report.json, report.sarif,
oscal.json and summary.html with the re-evaluation.

Exit codes: 0 verified, 1 verification failed (each problem names the file
and what changed), 2 usage error or unreadable bundle.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pub ed25519.PublicKey
			if f, _ := cmd.Flags().GetString("pub-key"); f != "" {
				var err error
				if pub, err = evidence.LoadPublicKey(f); err != nil {
					return usageErr("--pub-key: %v", err)
				}
			}
			digest, err := PolicyDigest()
			if err != nil {
				return err
			}
			res, err := evidence.Verify(cmd.Context(), args[0], evidence.VerifyOptions{PubKey: pub, PolicyDigest: digest, ToolVersion: Version()})
			if err != nil {
				return usageErr("verify: %v", err)
			}
			for _, c := range res.Checks {
				fmt.Fprintf(a.stdout, "ok    %s\n", c)
			}
			for _, n := range res.Notes {
				fmt.Fprintf(a.stdout, "note  %s\n", n)
			}
			for _, p := range res.Problems {
				fmt.Fprintf(a.stdout, "FAIL  %s\n", p)
			}
			if !res.OK() {
				return &exitError{code: ExitVerifyFailed, err: fmt.Errorf("%s: verification failed: %d problem(s)", args[0], len(res.Problems))}
			}
			fmt.Fprintf(a.stdout, "%s: verified\n", args[0])
			return nil
		},
	}
	c.Flags().String("pub-key", "", "ed25519 public key (meshaudit keygen's PREFIX.pub) the manifest must be signed with")
	return c
}
