package collectors

import (
	"fmt"
	"os"

	"github.com/valyala/fastjson"

	"github.com/meshaudit/meshaudit/internal/fsutil"
	"github.com/meshaudit/meshaudit/snapshot"
)

// FromSnapshotFile reads a saved snapshot ("-" reads standard input through
// in) and redacts it again. The snapshot is evaluated as it was collected: its cluster, source
// and kind statuses are kept. convert, when not nil, is called on each object
// once redacted (see FileOptions.Convert), from the decoding goroutines.
func FromSnapshotFile(path string, in *os.File, rootNamespace string, convert func(*snapshot.Object)) (*snapshot.Snapshot, error) {
	return readSnapshotFile(path, in, rootNamespace, convert, nil)
}

// SnapshotConverter converts objects for evaluation as they are read
// (evaluate.Converter).
type SnapshotConverter interface {
	// Convert converts a decoded object (see FileOptions.Convert).
	Convert(*snapshot.Object)
	// ConvertValue converts an object's document parsed by
	// snapshot.ReadValues, or returns false.
	ConvertValue(*snapshot.Object, *fastjson.Value) bool
}

// FromSnapshotFileConverted is FromSnapshotFile converting every object
// with conv, each decoded straight from the file into conv's terms (see
// snapshot.ReadValues) when it can be, never held as decoded maps.
func FromSnapshotFileConverted(path string, in *os.File, rootNamespace string, conv SnapshotConverter) (*snapshot.Snapshot, error) {
	return readSnapshotFile(path, in, rootNamespace, conv.Convert, func(o *snapshot.Object, v *fastjson.Value, a *fastjson.Arena) bool {
		snapshot.DropNullsValue(v)
		snapshot.RedactValue(o.Kind, v, rootNamespace, a)
		return conv.ConvertValue(o, v)
	})
}

func readSnapshotFile(path string, in *os.File, rootNamespace string, convert func(*snapshot.Object), value snapshot.ValueFunc) (*snapshot.Snapshot, error) {
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
	s, err := snapshot.ReadValues(f, func(o *snapshot.Object) {
		snapshot.DropNulls(o.Object)
		snapshot.Redact(o.Kind, o.Object, rootNamespace)
		if convert != nil {
			convert(o)
		}
	}, value)
	if err != nil {
		return nil, fmt.Errorf("read snapshot %s: %w", path, err)
	}
	s.Sort()
	return s, nil
}
