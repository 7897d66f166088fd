// Package output renders a report. One file per format; every format is
// registered here, in one place.
package output

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/meshaudit/meshaudit/evaluate"
	"github.com/meshaudit/meshaudit/rules"
)

// Writer renders the reports of one run (one per cluster) in one format.
type Writer func(w io.Writer, reps []*evaluate.Report, cat *rules.Catalog) error

// formats is the registry of report formats: each builds its writer from
// the run's Options.
var formats = map[string]func(Options) Writer{
	"table": func(o Options) Writer { return o.table },
	"wide":  func(o Options) Writer { o.Wide = true; return o.table },
	"json":  func(o Options) Writer { return o.json },
	"sarif": func(o Options) Writer { return o.sarif },
	"oscal": func(Options) Writer { return OSCAL },
	"html":  func(o Options) Writer { return o.html },
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

// WriteFile writes a report atomically: to a temporary file in the target's
// directory, synced, then renamed over the target, so a crash never leaves a
// half-written report.
func WriteFile(path string, render func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := render(tmp); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	ok = true
	return nil
}
