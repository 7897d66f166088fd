package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/meshaudit/meshaudit/evidence"
)

func newPruneCommand(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "prune",
		Short: "Keep the newest N evidence bundles of a directory and delete the older ones",
		Long: `Delete the oldest evidence bundles (the entries scan --evidence-dir writes,
DIR/<cluster>-<timestamp>) so that at most --keep remain, per cluster name
prefix when --cluster is given. Entries are ordered by modification time,
newest first (names break ties). Unfinished bundles (".tmp-*") whose scan
has ended — killed before the final rename — are removed too (they are never
verifiable); other hidden entries, bundles still being written and
lost+found are never touched.

  meshaudit prune --dir /evidence --keep 30
  meshaudit prune --dir /evidence --keep 29 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.prune()
		},
	}
	c.Flags().String("dir", "", "the evidence directory (scan --evidence-dir)")
	c.Flags().Int("keep", 0, "how many of the newest bundles to keep (0 deletes them all)")
	c.Flags().String("cluster", "", "only bundles of this cluster (names starting with CLUSTER-)")
	c.Flags().Bool("dry-run", false, "print what would be deleted and delete nothing")
	return c
}

func (a *app) prune() error {
	var o struct {
		Dir     string `mapstructure:"dir"`
		Keep    int    `mapstructure:"keep"`
		Cluster string `mapstructure:"cluster"`
		DryRun  bool   `mapstructure:"dry-run"`
	}
	if err := a.decode(&o); err != nil {
		return err
	}
	if o.Dir == "" {
		return usageErr("prune: --dir is required")
	}
	if o.Keep < 0 {
		return usageErr("prune: --keep %d: want 0 or more", o.Keep)
	}
	removed, err := evidence.Prune(o.Dir, o.Keep, o.Cluster, o.DryRun)
	verb := "deleted"
	if o.DryRun {
		verb = "would delete"
	}
	for _, r := range removed {
		fmt.Fprintf(a.stderr, "meshaudit: prune: %s %s\n", verb, r)
	}
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}
