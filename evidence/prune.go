package evidence

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Prune deletes all but the keep newest entries of an evidence directory
// (those whose name starts with cluster+"-" when cluster is set), and the
// unfinished bundles of scans that have ended, and returns the paths
// deleted (with dryRun: that would be), oldest first. Hidden entries and
// lost+found are never touched. Entries are ordered by modification time,
// newest first; names break ties.
func Prune(dir string, keep int, cluster string, dryRun bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	removed := RemoveUnfinished(dir, dryRun)
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
