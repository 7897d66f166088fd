package collectors

import (
	"fmt"
	"os"

	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/snapshot"
)

// FromSnapshotFile reads a saved snapshot ("-" reads standard input through
// in) and redacts it again. The snapshot is evaluated as it was collected: its cluster, source
// and kind statuses are kept. convert, when not nil, is called on each object
// once redacted (see FileOptions.Convert), from the decoding goroutines.
func FromSnapshotFile(path string, in *os.File, rootNamespace string, convert func(*snapshot.Object)) (*snapshot.Snapshot, error) {
	f := in
	if path != Stdin {
		var err error
		// A regular file only: a FIFO would block the run.
		if f, _, err = fsutil.OpenRegular(path, false); err != nil {
			return nil, fmt.Errorf("read snapshot: %w", err)
		}
		defer f.Close()
	}
	// Redact again, as each object is decoded: a snapshot from elsewhere
	// may not have been.
	s, err := snapshot.ReadEach(f, func(o *snapshot.Object) {
		snapshot.DropNulls(o.Object)
		snapshot.Redact(o.Kind, o.Object, rootNamespace)
		if convert != nil {
			convert(o)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	s.Sort()
	return s, nil
}
