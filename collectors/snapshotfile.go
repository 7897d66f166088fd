package collectors

import (
	"fmt"
	"os"

	"github.com/meshaudit/meshaudit/snapshot"
)

// FromSnapshotFile reads a saved snapshot ("-" reads standard input through
// in) and redacts it again. The snapshot is evaluated as it was collected: its cluster, source
// and kind statuses are kept.
func FromSnapshotFile(path string, in *os.File, rootNamespace string) (*snapshot.Snapshot, error) {
	f := in
	if path != Stdin {
		var err error
		if f, err = os.Open(path); err != nil {
			return nil, fmt.Errorf("read snapshot: %w", err)
		}
		defer f.Close()
	}
	s, err := snapshot.Read(f)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	// Redact again: a snapshot from elsewhere may not have been.
	for i := range s.Objects {
		snapshot.DropNulls(s.Objects[i].Object)
		snapshot.Redact(s.Objects[i].Kind, s.Objects[i].Object, rootNamespace)
	}
	s.Sort()
	return s, nil
}
