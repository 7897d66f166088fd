// Package output renders a report. One file per format; every format is
// registered here, in one place.
package output

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/rules"
)

// Writer renders the reports of one run (one per cluster) in one format.
type Writer func(w io.Writer, reps []*evaluate.Report, cat *rules.Catalog) error

// formats is the registry of report formats.
var formats = map[string]Writer{
	"table": Table,
	"json":  JSON,
	"sarif": SARIF,
	"oscal": OSCAL,
}

// Names lists the registered formats, sorted.
func Names() []string {
	out := make([]string, 0, len(formats))
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the writer of a format.
func Lookup(name string) (Writer, error) {
	w, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (want one of %v)", name, Names())
	}
	return w, nil
}

// WriteFile writes one report atomically: to a temporary file in the
// target's directory, synced, then renamed over the target, so a crash
// never leaves a half-written report; a target that is not a regular file
// (a device, a FIFO, /dev/stdout) is written in place (WriteAll).
func WriteFile(path string, render func(io.Writer) error) error {
	return WriteAll(context.Background(), []Target{{Path: path, Render: render}})
}
