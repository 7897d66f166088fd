// Package output renders a report. One file per format; every format is
// registered here, in one place.
package output

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/report"

	"github.com/meshaudit/meshaudit/rules"
)

// Writer renders the reports of one run (one per cluster) in one format.
type Writer func(w io.Writer, reps []*report.Report, cat *rules.Catalog) error

// formats is the registry of report formats: each builds its writer from
// the run's Options.
var formats = map[string]func(Options) Writer{
	"table": func(o Options) Writer { return o.table },
	"wide":  func(o Options) Writer { o.Wide = true; return o.table },
	"json":  func(o Options) Writer { return o.json },
	"sarif": func(o Options) Writer { return o.sarif },
	"oscal": func(Options) Writer { return OSCAL },
	"html":  func(o Options) Writer { return o.html },
	// docs/openreports.md
	"openreports":   func(o Options) Writer { return o.openReports },
	"policyreports": func(o Options) Writer { return o.policyReports },
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

// Lookup returns the writer of a format with default options.
func Lookup(name string) (Writer, error) { return Options{}.Lookup(name) }

// Lookup returns the writer of a format with these options.
func (o Options) Lookup(name string) (Writer, error) {
	mk, ok := formats[name]
	if !ok {
		return nil, fmt.Errorf("unknown output format %q (want one of %s)", name, strings.Join(Names(), ", "))
	}
	return mk(o), nil
}

// WriteFile writes one report atomically: to a temporary file in the
// target's directory, synced, then renamed over the target, so a crash
// never leaves a half-written report; a target that is not a regular file
// (a device, a FIFO, /dev/stdout) is written in place (WriteAll).
func WriteFile(path string, render func(io.Writer) error) error {
	return WriteAll(context.Background(), []Target{{Path: path, Render: render}})
}
