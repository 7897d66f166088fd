package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/scanner"
)

// ExitVerifyFailed: verify found an edited, missing or added file, a bad
// signature, an unauthenticated bundle (without --allow-unsigned), or a
// report the re-evaluation does not confirm.
const ExitVerifyFailed = 1

func newVerifyCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "verify DIR|s3://BUCKET/PREFIX[/BUNDLE]",
		Short: "Verify an evidence bundle (or each bundle of a folder): signature, digests, and a re-evaluation of the snapshot",
		Long: `Verify an evidence bundle written by scan --evidence-dir, or every bundle of
the --evidence-dir folder (one line per bundle; --latest: only the newest).
An s3://BUCKET/PREFIX/BUNDLE URL verifies a bundle scan wrote to object
storage, s3://BUCKET/PREFIX every bundle under the prefix (endpoint and
credentials from the AWS_* variables, as scan reads them).

Authentication comes first: with --pub-key, the ed25519 signature over
manifest.json must verify before anything else of the bundle is read.
Without --pub-key a bundle is at best "integrity only, not authenticated" —
the manifest's self-digest proves nothing against someone who edits the
bundle, since they recompute it — and verify exits 1 unless
--allow-unsigned. Then the manifest's own digest, the SHA-256 of every file
(each a regular file of bounded size; none added or removed), then the
bundled snapshot is re-evaluated with this binary's embedded policies —
whose digest must be the recorded one — and the recorded settings
(parameters, rules, exceptions, evaluation deadline, custom policies, which
run only once the bundle is authenticated or with --allow-unsigned), and
report.json, report.sarif, oscal.json, summary.html and the manifest's
summary are compared with the re-evaluation.

Exit codes: 0 verified, 1 verification failed (each problem names the file
and what changed; for a folder: any bundle failed), 2 usage error or
unreadable bundle.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := evidence.VerifyOptions{AllowUnsigned: a.v.GetBool("allow-unsigned"), ToolVersion: Version()}
			if f := a.v.GetString("pub-key"); f != "" {
				var err error
				if opt.PubKey, err = evidence.LoadPublicKey(f); err != nil {
					return usageErr("--pub-key: %v", err)
				}
			}
			var err error
			if opt.PolicyDigest, err = scanner.PolicyDigest(); err != nil {
				return err
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			t, err := evidence.OpenTarget(ctx, args[0], a.v.GetBool("latest"))
			if err != nil {
				return usageErr("verify: %v", err)
			}
			if t.Single {
				res, err := t.Bundles[0].Verify(ctx, opt)
				return a.printVerified(t.Bundles[0].Name, res, err)
			}
			return a.verifyAll(ctx, args[0], t, opt)
		},
	}
	c.Flags().String("pub-key", "", "ed25519 public key (meshaudit keygen's PREFIX.pub) the manifest must be signed with")
	c.Flags().Bool("allow-unsigned", false, "accept a bundle verified without --pub-key (integrity only, not authenticated)")
	c.Flags().Bool("latest", false, "with a folder of bundles: verify only the newest")
	return c
}

// printFolderLine prints one bundle's line of a folder's verification and
// reports whether it verified.
func (a *app) printFolderLine(p string, res *evidence.Result, err error) bool {
	switch {
	case err != nil:
		fmt.Fprintf(a.stdout, "FAIL  %s: %v\n", p, err)
	case !res.OK():
		fmt.Fprintf(a.stdout, "FAIL  %s: %d problem(s)\n", p, len(res.Problems))
		for _, pr := range res.Problems {
			fmt.Fprintf(a.stdout, "        %s\n", pr)
		}
	default:
		fmt.Fprintf(a.stdout, "ok    %s: verified (%s)\n", p, authText(res))
		return true
	}
	return false
}

// printVerified prints every check of one bundle's verification.
func (a *app) printVerified(dir string, res *evidence.Result, err error) error {
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
		return &exitError{code: ExitVerifyFailed, err: fmt.Errorf("%s: verification failed: %d problem(s)", dir, len(res.Problems))}
	}
	fmt.Fprintf(a.stdout, "%s: verified (%s)\n", dir, authText(res))
	return nil
}

func authText(res *evidence.Result) string {
	if res.Authenticated {
		return "authenticated"
	}
	return "integrity only, not authenticated"
}

// verifyAll verifies each bundle of a folder or s3:// prefix: one line per
// bundle (its problems below it when it fails).
func (a *app) verifyAll(ctx context.Context, arg string, t *evidence.Target, opt evidence.VerifyOptions) error {
	for _, s := range t.Skipped {
		fmt.Fprintf(a.stdout, "skip  %s\n", s)
	}
	failed := 0
	for _, b := range t.Bundles {
		res, err := b.Verify(ctx, opt)
		if !a.printFolderLine(b.Name, res, err) {
			failed++
		}
		if ctx.Err() != nil {
			return scanner.InterruptedError(ctx.Err())
		}
	}
	if failed > 0 {
		return &exitError{code: ExitVerifyFailed, err: fmt.Errorf("%s: %d of %d bundle(s) failed verification", arg, failed, len(t.Bundles))}
	}
	return nil
}
