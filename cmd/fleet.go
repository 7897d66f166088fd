package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evidence"
	"github.com/meshaudit/meshaudit/fleet"
	"github.com/meshaudit/meshaudit/output"
	"github.com/meshaudit/meshaudit/scanner"
)

func newFleetCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "fleet --from s3://BUCKET/PREFIX|DIR",
		Short: "Roll the evidence bundles of many clusters up: controls × clusters, findings per rule, changes, stale clusters",
		Long: `Read every evidence bundle under an S3 prefix or in a local evidence folder
(scan --evidence-dir) concurrently, authenticate each (--pub-key) and check
the SHA-256 of every file; a bundle that fails is named and left out (exit
1). The latest verified bundle of each cluster gives the fleet roll-up:
controls × clusters (pass / fail / excepted / unknown / not applicable),
open findings per rule and cluster, what changed since each cluster's
previous verified bundle (new and fixed findings, control statuses), and
clusters whose latest bundle is older than --max-age. meshaudit verify
re-evaluates a single bundle; fleet does not.

  meshaudit fleet --from s3://meshaudit-evidence/prod --pub-key audit.pub --max-age 26h
  meshaudit fleet --from /evidence --pub-key audit.pub -o oscal --out-file fleet.json

Exit codes: 0 every bundle verified, 1 a bundle failed verification (left
out of the roll-up), 2 usage error or nothing could be read.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return a.fleet(ctx)
		},
	}
	c.Flags().String("from", "", "the bundles: s3://BUCKET/PREFIX or a local evidence folder")
	c.Flags().String("pub-key", "", "ed25519 public key (meshaudit keygen's PREFIX.pub) every bundle must be signed with")
	c.Flags().Bool("allow-unsigned", false, "take bundles without --pub-key (integrity only, not authenticated)")
	c.Flags().String("since", "", "read only bundles created at or after this time (RFC 3339, or a date YYYY-MM-DD, UTC)")
	c.Flags().String("max-age", "", "a cluster whose latest bundle is older than this is stale (a Go duration such as 26h, or days: 7d)")
	c.Flags().StringP("output", "o", "table", "output format: "+strings.Join(fleet.Formats, ", "))
	c.Flags().String("out-file", "", "write the report to this file (atomically) instead of stdout")
	c.Flags().Int("concurrency", 0, "bundles read at once (0: 4 per core)")
	return c
}

func (a *app) fleet(ctx context.Context) error {
	from := a.v.GetString("from")
	if from == "" {
		return usageErr("fleet: --from s3://BUCKET/PREFIX or DIR is required")
	}
	format := a.v.GetString("output")
	if !slices.Contains(fleet.Formats, format) {
		return usageErr("fleet: -o %q: want one of %s", format, strings.Join(fleet.Formats, ", "))
	}
	opt := fleet.Options{AllowUnsigned: a.v.GetBool("allow-unsigned"), Concurrency: a.v.GetInt("concurrency")}
	if f := a.v.GetString("pub-key"); f != "" {
		var err error
		if opt.PubKey, err = evidence.LoadPublicKey(f); err != nil {
			return usageErr("--pub-key: %v", err)
		}
	}
	var err error
	if s := a.v.GetString("since"); s != "" {
		if opt.Since, err = fleet.ParseSince(s); err != nil {
			return usageErr("%v", err)
		}
	}
	if s := a.v.GetString("max-age"); s != "" {
		if opt.MaxAge, err = fleet.ParseMaxAge(s); err != nil {
			return usageErr("%v", err)
		}
	}
	if t, err := scanner.SourceDateEpoch(); err == nil && !t.IsZero() {
		opt.Now = t
	}
	bundles, incomplete, err := fleet.List(ctx, from)
	if err != nil {
		return usageErr("fleet: %v", err)
	}
	if len(bundles) == 0 {
		return usageErr("fleet: no evidence bundle under %s", from)
	}
	rep, err := fleet.Roll(ctx, from, bundles, incomplete, opt)
	if err != nil {
		if ctx.Err() != nil {
			return scanner.InterruptedError(ctx.Err())
		}
		return err
	}
	render := func(w io.Writer) error { return fleet.Write(w, format, rep) }
	if f := a.v.GetString("out-file"); f != "" {
		if err := output.WriteAll(ctx, []output.Target{{Path: f, Render: render}}); err != nil {
			return &exitError{code: ExitWrite, err: fmt.Errorf("fleet: %w", err)}
		}
	} else if err := render(a.stdout); err != nil {
		return err
	}
	if n := len(rep.Failed); n > 0 {
		for _, f := range rep.Failed {
			fmt.Fprintf(a.stderr, "meshaudit: fleet: %s failed verification and is left out: %s\n", f.Bundle, strings.Join(f.Problems, "; "))
		}
		return &exitError{code: ExitVerifyFailed, err: fmt.Errorf("fleet: %d bundle(s) failed verification and are left out", n)}
	}
	if len(rep.Clusters) == 0 {
		fmt.Fprintln(a.stderr, "meshaudit: fleet: no verified bundle to roll up")
	}
	return nil
}
