package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

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
	dir := a.v.GetString("dir")
	if dir == "" {
		return usageErr("prune: --dir is required")
	}
	keep := a.v.GetInt("keep")
	if keep < 0 {
		return usageErr("prune: --keep %d: want 0 or more", keep)
	}
	removed, err := pruneBundles(dir, keep, a.v.GetString("cluster"), a.v.GetBool("dry-run"))
	verb := "deleted"
	if a.v.GetBool("dry-run") {
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

// pruneBundles deletes all but the keep newest entries of dir (those whose
// name starts with cluster+"-" when cluster is set) and returns the paths
// deleted, oldest first.
func pruneBundles(dir string, keep int, cluster string, dryRun bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	removed := evidence.RemoveUnfinished(dir, dryRun)
	type bundle struct {
		name  string
		mtime int64
	}
	var bundles []bundle
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, ".") || n == "lost+found" {
			continue
		}
		if cluster != "" && !strings.HasPrefix(n, cluster+"-") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		bundles = append(bundles, bundle{n, fi.ModTime().UnixNano()})
	}
	// Newest first; equal times: the greater name (a later timestamp) first.
	sort.Slice(bundles, func(i, j int) bool {
		if bundles[i].mtime != bundles[j].mtime {
			return bundles[i].mtime > bundles[j].mtime
		}
		return bundles[i].name > bundles[j].name
	})
	if len(bundles) <= keep {
		return removed, nil
	}
	old := bundles[keep:]
	for i := len(old) - 1; i >= 0; i-- {
		p := filepath.Join(dir, old[i].name)
		if !dryRun {
			if err := os.RemoveAll(p); err != nil {
				return removed, err
			}
		}
		removed = append(removed, p)
	}
	return removed, nil
}
