package scanner

import "strings"

// SnapshotTarget reads snapshot's -o: snapshot or json (the snapshot is
// JSON), alone for stdout or =FILE. The old spelling -o FILE is an error
// that names the new one.
func SnapshotTarget(spec string) (string, error) {
	format, file, hasFile := strings.Cut(spec, "=")
	switch format {
	case "snapshot", "json":
	default:
		if !hasFile {
			return "", UsageError("snapshot -o %s: -o is a format (snapshot or json); write the snapshot to a file with -o snapshot=%s", spec, spec)
		}
		return "", UsageError("snapshot -o %s: unknown format %q (want snapshot or json)", spec, format)
	}
	if hasFile && file == "" {
		return "", UsageError("snapshot -o %s: empty file name", spec)
	}
	if file == "-" {
		file = ""
	}
	return file, nil
}
